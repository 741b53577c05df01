import { describe, expect, test } from "bun:test";
import { Endpoint } from "../../../src/endpoints/endpoint.ts";
import {
  anthropicCapable,
  chatPathOf,
  countTokensPathOf,
  messagesPathOf,
} from "../../../src/http/anthropic_targets.ts";
import { DMR_PROFILE } from "../../../src/profiles/dmr.ts";
import { LEMONADE_PROFILE } from "../../../src/profiles/lemonade.ts";
import { LLAMACPP_PROFILE } from "../../../src/profiles/llamacpp.ts";
import type { Profile } from "../../../src/profiles/profile.ts";
import { SGLANG_PROFILE } from "../../../src/profiles/sglang.ts";
import { VLLM_PROFILE } from "../../../src/profiles/vllm.ts";
import { BREAKER, endpointConfig } from "../_endpoints.ts";

const clock = { now: () => 0, setTimeout: () => 0, clearTimeout: () => {} };
/** An endpoint of `profile` with `anthropic_support` defaulted as config does: whether the type has a native path. */
const of = (profile: Profile, anthropicSupport = profile.nativeApis.anthropicMessages !== undefined) =>
  new Endpoint(endpointConfig(profile.type, { type: profile.type, anthropicSupport }), profile, BREAKER, clock);

describe("Anthropic targets per endpoint", () => {
  test("passthrough goes to each type's own Messages path", () => {
    expect(messagesPathOf(of(DMR_PROFILE))).toBe("/anthropic/v1/messages");
    expect(messagesPathOf(of(LLAMACPP_PROFILE))).toBe("/v1/messages");
    expect(messagesPathOf(of(VLLM_PROFILE))).toBe("/v1/messages");
    expect(messagesPathOf(of(SGLANG_PROFILE))).toBeNull();
  });

  test("anthropic_support: false turns passthrough off, except on DMR's own route (always)", () => {
    expect(messagesPathOf(of(LLAMACPP_PROFILE, false))).toBeNull();
    expect(messagesPathOf(of(DMR_PROFILE, false))).toBeNull();
    expect(messagesPathOf(of(DMR_PROFILE, false), true)).toBe("/anthropic/v1/messages");
  });

  test("anthropic_support: true on a type with no native path uses the common /v1/messages", () => {
    expect(messagesPathOf(of(SGLANG_PROFILE, true))).toBe("/v1/messages");
  });

  test("a native token count only where the type has one; vLLM's is estimated", () => {
    expect(countTokensPathOf(of(LLAMACPP_PROFILE))).toBe("/v1/messages/count_tokens");
    expect(countTokensPathOf(of(DMR_PROFILE))).toBe("/anthropic/v1/messages/count_tokens");
    expect(countTokensPathOf(of(VLLM_PROFILE))).toBeNull();
    expect(countTokensPathOf(of(LLAMACPP_PROFILE, false))).toBeNull();
  });

  test("translation goes to each type's own chat path", () => {
    expect(chatPathOf(of(DMR_PROFILE))).toBe("/engines/v1/chat/completions");
    expect(chatPathOf(of(SGLANG_PROFILE))).toBe("/v1/chat/completions");
    expect(chatPathOf(of(LEMONADE_PROFILE))).toBe("/v1/chat/completions");
  });

  test("every OpenAI-compatible type can answer one way or the other", () => {
    const fleet = [of(DMR_PROFILE), of(SGLANG_PROFILE), of(LLAMACPP_PROFILE, false)];
    expect(anthropicCapable(fleet)).toEqual(fleet);
  });
});
