"""Write a tiny llama-architecture GGUF with random weights, for testing servers on the wire.

Usage: tiny_gguf.py VOCAB_GGUF OUT_GGUF [--eos-likely]

The tokenizer is copied from a llama.cpp vocabulary file (models/ggml-vocab-llama-spm.gguf), so the
model tokenizes real text; the weights are random, so it answers gibberish, quickly. With
--eos-likely every position favours the end-of-sequence token, so generations stop by themselves
after a few tokens instead of running to max_tokens.
"""
import sys

import numpy as np
import gguf

N_LAYER, N_EMBD, N_HEAD, N_FF, N_CTX = 2, 128, 4, 256, 512
CHATML = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


def field_value(reader, name):
    field = reader.fields[name]
    kind = field.types[0]
    if kind == gguf.GGUFValueType.ARRAY:
        item = field.types[1]
        if item == gguf.GGUFValueType.STRING:
            return [bytes(field.parts[i]).decode("utf-8", errors="surrogateescape") for i in field.data]
        return [field.parts[i][0].item() for i in field.data]
    if kind == gguf.GGUFValueType.STRING:
        return bytes(field.parts[field.data[0]]).decode("utf-8")
    return field.parts[field.data[0]][0].item()


def main():
    vocab_path, out_path = sys.argv[1], sys.argv[2]
    eos_likely = "--eos-likely" in sys.argv[3:]
    vocab = gguf.GGUFReader(vocab_path)
    tokens = field_value(vocab, "tokenizer.ggml.tokens")
    n_vocab = len(tokens)
    eos = field_value(vocab, "tokenizer.ggml.eos_token_id")

    w = gguf.GGUFWriter(out_path, "llama")
    w.add_name("tureen-tiny-eos" if eos_likely else "tureen-tiny")
    w.add_block_count(N_LAYER)
    w.add_context_length(N_CTX)
    w.add_embedding_length(N_EMBD)
    w.add_feed_forward_length(N_FF)
    w.add_head_count(N_HEAD)
    w.add_head_count_kv(N_HEAD)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_rope_dimension_count(N_EMBD // N_HEAD)
    w.add_vocab_size(n_vocab)
    w.add_file_type(gguf.LlamaFileType.ALL_F32)
    w.add_tokenizer_model(field_value(vocab, "tokenizer.ggml.model"))
    w.add_tokenizer_pre(field_value(vocab, "tokenizer.ggml.pre"))
    w.add_token_list(tokens)
    w.add_token_scores(field_value(vocab, "tokenizer.ggml.scores"))
    w.add_token_types(field_value(vocab, "tokenizer.ggml.token_type"))
    w.add_bos_token_id(field_value(vocab, "tokenizer.ggml.bos_token_id"))
    w.add_eos_token_id(eos)
    w.add_unk_token_id(field_value(vocab, "tokenizer.ggml.unknown_token_id"))
    w.add_add_bos_token(True)
    w.add_add_eos_token(False)
    w.add_chat_template(CHATML)

    rng = np.random.default_rng(11)
    rand = lambda *shape: (rng.standard_normal(shape) * 0.02).astype(np.float32)
    embd = rand(n_vocab, N_EMBD)
    out = rand(n_vocab, N_EMBD)
    if eos_likely:
        # Give every token embedding a constant first component that survives the residual stream
        # and the final RMS norm, and let only EOS read it: EOS then wins often but not always.
        embd[:, 0] = 1.0
        out[:, 0] = 0.0
        out[eos, 0] = 0.2
    w.add_tensor("token_embd.weight", embd)
    w.add_tensor("output_norm.weight", np.ones(N_EMBD, dtype=np.float32))
    w.add_tensor("output.weight", out)
    for i in range(N_LAYER):
        w.add_tensor(f"blk.{i}.attn_norm.weight", np.ones(N_EMBD, dtype=np.float32))
        w.add_tensor(f"blk.{i}.attn_q.weight", rand(N_EMBD, N_EMBD))
        w.add_tensor(f"blk.{i}.attn_k.weight", rand(N_EMBD, N_EMBD))
        w.add_tensor(f"blk.{i}.attn_v.weight", rand(N_EMBD, N_EMBD))
        w.add_tensor(f"blk.{i}.attn_output.weight", rand(N_EMBD, N_EMBD))
        w.add_tensor(f"blk.{i}.ffn_norm.weight", np.ones(N_EMBD, dtype=np.float32))
        w.add_tensor(f"blk.{i}.ffn_gate.weight", rand(N_FF, N_EMBD))
        w.add_tensor(f"blk.{i}.ffn_up.weight", rand(N_FF, N_EMBD))
        w.add_tensor(f"blk.{i}.ffn_down.weight", rand(N_EMBD, N_FF))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


if __name__ == "__main__":
    main()
