#!/usr/bin/env bash
# The container image, built and run for real. Builds local stand-ins for the Dockerfile's base
# images (scripts/image/standin-bases.sh: the registries serving them are out of reach), builds the
# Dockerfile unchanged with --build-arg pointing at them, then runs the image with podman against an
# emulated DMR on the host (loopback only) and checks what docs/OPERATIONS.md promises. One line per
# check, then "N passed, N failed"; exit 0 only when every check passed.
#
# Needs root (podman and runc from Debian are installed when missing) and node_modules (npm ci).
# This VM's quirks are handled here: crun cannot run under its hybrid cgroups, so runc is used, and
# the default rlimits are above the VM's, so they are lowered.
set -uo pipefail
cd "$(dirname "$0")/.."

image=localhost/tureen:image-test
podman=(podman --runtime runc)
limits=(--ulimit nofile=16000:16000 --ulimit nproc=1024:1024)
bun=$PWD/node_modules/.bin/bun
work=$(mktemp -d /tmp/tureen-image-test.XXXXXX)
chmod 755 "$work"
passed=0
failed=0
containers=()
dmr_pid=

pass() { passed=$((passed + 1)); printf 'ok    %s\n' "$1"; }
fail() {
  failed=$((failed + 1))
  printf 'FAIL  %s\n' "$1"
  [[ -s $work/why ]] && sed 's/^/      /' "$work/why" | tail -n 15
  return 0
}
# check NAME COMMAND...: one line for the check; on failure, the command's output follows it.
check() {
  local title=$1; shift
  if "$@" >"$work/why" 2>&1; then pass "$title"; else fail "$title"; fi
}
summary() {
  printf '\n%d passed, %d failed\n' "$passed" "$failed"
  [[ $failed -eq 0 && $passed -gt 0 ]]
  exit
}
cleanup() {
  for c in "${containers[@]}"; do "${podman[@]}" rm -f -t 0 "$c" >/dev/null 2>&1; done
  "${podman[@]}" network rm -f tureen-image-test_default >/dev/null 2>&1
  [[ -n $dmr_pid ]] && kill "$dmr_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --------------------------------------------------------------------------- tools

ensure_tools() {
  local missing=()
  command -v podman >/dev/null || missing+=(podman)
  command -v runc >/dev/null || missing+=(runc)
  command -v podman-compose >/dev/null || missing+=(podman-compose)
  command -v curl >/dev/null || missing+=(curl)
  [[ ${#missing[@]} -eq 0 ]] && return
  echo "installing ${missing[*]} from Debian"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -qq &&
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

if ! ensure_tools >"$work/why" 2>&1 || ! command -v podman >/dev/null || ! command -v runc >/dev/null; then
  fail "podman and runc are installed (Debian packages; needs root)"
  summary
fi
if [[ ! -x $bun ]]; then
  echo "no $bun: run npm ci first" >"$work/why"
  fail "bun from node_modules is available"
  summary
fi

# --------------------------------------------------------------------------- build

seconds() { echo $((SECONDS - $1))s; }

real_defaults() {
  grep -xF 'ARG BUN_IMAGE=oven/bun:1.4.5' Dockerfile && grep -xF 'ARG RUNTIME_IMAGE=gcr.io/distroless/cc-debian12:nonroot' Dockerfile
}
check "Dockerfile: base images are build arguments defaulting to oven/bun and distroless cc" real_defaults

start=$SECONDS
if bases=$(bash scripts/image/standin-bases.sh "$bun" 2>"$work/why"); then
  read -r build_base runtime_base <<<"$bases"
  pass "stand-in bases ready in $(seconds "$start"): $build_base, $runtime_base"
else
  fail "stand-in bases"
  summary
fi

# --network host: the build stage's `bun install` fetches hono, zod and yaml from the npm registry, as it
# does for any user; the host reaches it, a container's own network does not. --format docker keeps
# HEALTHCHECK, which the OCI image format has no field for.
start=$SECONDS
if nice "${podman[@]}" build --format docker --platform "linux/$(dpkg --print-architecture)" --network host \
  "${limits[@]}" --build-arg "BUN_IMAGE=$build_base" --build-arg "RUNTIME_IMAGE=$runtime_base" \
  -t "$image" . >"$work/why" 2>&1; then
  pass "podman build of the unchanged Dockerfile in $(seconds "$start")"
else
  fail "podman build of the unchanged Dockerfile"
  summary
fi

# --------------------------------------------------------------------------- helpers

free_port() { "$bun" -e 'const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } }); console.log(s.port); s.stop(true);'; }

# run NAME ARGS...: start a container of the image in the background, with the VM's limits.
run() {
  local name=tureen-image-test-$1; shift
  containers+=("$name")
  "${podman[@]}" rm -f -t 0 "$name" >/dev/null 2>&1
  "${podman[@]}" run -d --name "$name" "${limits[@]}" "$@" "$image" >/dev/null 2>>"$work/podman.log"
}
ctr() { echo "tureen-image-test-$1"; }

# wait_log_of CONTAINER TEXT [SECONDS]: until the container's log holds TEXT.
wait_log_of() {
  local deadline=$((SECONDS + ${3:-15}))
  until "${podman[@]}" logs "$1" 2>&1 | grep -qF -- "$2"; do
    if ((SECONDS > deadline)); then
      echo "no log line with $2 within ${3:-15}s; the log:"; "${podman[@]}" logs "$1" 2>&1 | tail -n 20
      return 1
    fi
    sleep 0.2
  done
}
wait_log() { wait_log_of "$(ctr "$1")" "${@:2}"; }

# fetch URL [CURL ARGS...]: the body on stdout; fails on a non-2xx status.
fetch() { curl -sS --fail-with-body --max-time 20 "$@"; }
chat() { fetch "$1" -H 'Content-Type: application/json' -d "$2" "${@:3}"; }

# --------------------------------------------------------------------------- no config

# Its own network namespace, no config file and no OLLA_* variable beyond the image's: the built-in
# defaults, port 40114 included, and the HEALTHCHECK reaching it from inside.
run defaults --network none
check "starts with no config: built-in defaults" wait_log defaults '"config":"(built-in defaults)"'

uid_of() { awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$("${podman[@]}" inspect -f '{{.State.Pid}}' "$(ctr "$1")")/status"; }
runs_as_nonroot() { local uids; uids=$(uid_of defaults) && echo "uids: $uids" && [[ $uids == "65532 65532 65532 65532" ]]; }
check "runs as uid 65532 (nonroot)" runs_as_nonroot

no_shell() {
  local root found
  root=$("${podman[@]}" image mount "$image") || return 1
  found=$(find "$root" \( -name sh -o -name bash -o -name dash -o -name ash -o -name busybox \) -print)
  "${podman[@]}" image unmount "$image" >/dev/null
  for sh in /bin/sh /bin/bash /usr/bin/sh /bin/busybox; do
    if "${podman[@]}" exec "$(ctr defaults)" "$sh" -c true 2>/dev/null; then echo "$sh ran in the container"; return 1; fi
  done
  [[ -z $found ]] || { echo "shells in the image: $found"; return 1; }
}
check "has no shell (none in the file system, exec of /bin/sh fails)" no_shell

size_report() {
  local root binary total extra
  root=$("${podman[@]}" image mount "$image") || return 1
  binary=$(stat -c %s "$root/usr/local/bin/tureen")
  "${podman[@]}" image unmount "$image" >/dev/null
  total=$("${podman[@]}" image inspect -f '{{.Size}}' "$image")
  extra=$((total - binary))
  awk -v t="$total" -v b="$binary" -v e="$extra" 'BEGIN { printf "image %.1f MB = binary %.1f MB + %.1f MB\n", t / 1e6, b / 1e6, e / 1e6 }'
  ((extra < 30000000))
}
if size_report >"$work/why" 2>&1; then
  pass "size: $(tr -d '\n' <"$work/why"), under the binary + 30 MB target"
else
  fail "size: binary + under 30 MB"
fi

healthy() {
  "${podman[@]}" image inspect -f '{{.Config.Healthcheck.Test}}' "$image" | tee /dev/stderr | grep -q 'tureen healthcheck' &&
    "${podman[@]}" healthcheck run "$(ctr defaults)" 2>/dev/null &&
    [[ $("${podman[@]}" inspect -f '{{.State.Health.Status}}' "$(ctr defaults)") == healthy ]]
}
check "HEALTHCHECK (tureen healthcheck) reports healthy" healthy
# The same command must fail where nothing answers, or the check above proves nothing.
unhealthy() { ! "${podman[@]}" exec "$(ctr defaults)" /usr/local/bin/tureen healthcheck --url http://127.0.0.1:9; }
check "tureen healthcheck exits 1 where nothing answers" unhealthy
"${podman[@]}" rm -f -t 0 "$(ctr defaults)" >/dev/null 2>&1

# --------------------------------------------------------------------------- config mounted

"$bun" scripts/image/dmr.ts >"$work/dmr.port" 2>"$work/dmr.log" &
dmr_pid=$!
for _ in $(seq 100); do [[ -s $work/dmr.port ]] && break; sleep 0.1; done
dmr_port=$(head -n1 "$work/dmr.port")
port=$(free_port)
base=http://127.0.0.1:$port
mkdir -m 755 "$work/etc"
write_config() { # write_config EXTRA_ENDPOINT_NAME: the file as an editor saves it (a new file renamed over the old)
  local name
  {
    printf 'server:\n  port: %s\n  shutdown_timeout: 10s\nlogging:\n  level: info\n  format: json\nendpoints:\n' "$port"
    for name in host-dmr "$@"; do
      printf '  - url: "http://127.0.0.1:%s"\n    name: "%s"\n    type: "docker-model-runner"\n    check_interval: 1s\n    check_timeout: 500ms\n' "$dmr_port" "$name"
    done
  } >"$work/etc/config.yaml.new"
  chmod 644 "$work/etc/config.yaml.new"
  mv "$work/etc/config.yaml.new" "$work/etc/config.yaml"
}
write_config

run config --network host -v "$work/etc:/etc/tureen:ro"
check "starts with a config directory mounted at /etc/tureen" wait_log config '"config":"config.yaml"'
wait_log config '"endpoint healthy"' >/dev/null 2>&1

models() { fetch "$base/olla/dmr/engines/v1/models" | grep -q '"ai/smollm2"'; }
check "GET /olla/dmr/engines/v1/models lists the DMR's model" models
check "GET /olla/dmr/engines/llama.cpp/v1/models" fetch "$base/olla/dmr/engines/llama.cpp/v1/models"
chat_ok() { chat "$base/olla/dmr/engines/$1/chat/completions" '{"model":"ai/smollm2","messages":[{"role":"user","content":"hi"}]}' | grep -q '"choices"'; }
check "POST /olla/dmr/engines/v1/chat/completions" chat_ok v1
check "POST /olla/dmr/engines/llama.cpp/v1/chat/completions" chat_ok llama.cpp/v1
completion_ok() { chat "$base/olla/dmr/engines/v1/completions" '{"model":"ai/smollm2","prompt":"hi"}' | grep -q '"choices"'; }
check "POST /olla/dmr/engines/v1/completions" completion_ok
embeddings_ok() { chat "$base/olla/dmr/engines/v1/embeddings" '{"model":"ai/smollm2","input":"hi"}' | grep -q '"embedding"'; }
check "POST /olla/dmr/engines/v1/embeddings" embeddings_ok
stream_body='{"model":"ai/smollm2","stream":true,"messages":[{"role":"user","content":"hi"}]}'
stream_ok() {
  chat "$base/olla/dmr/engines/v1/chat/completions" "$stream_body" -D "$work/stream.headers" >"$work/stream.body" &&
    grep -qi '^content-type: text/event-stream' "$work/stream.headers" &&
    grep -qi '^x-olla-endpoint: host-dmr' "$work/stream.headers" &&
    [[ $(grep -c '^data: {' "$work/stream.body") -ge 10 ]] && tail -n 2 "$work/stream.body" | grep -qx 'data: \[DONE\]'
}
check "stream: chat completion as text/event-stream, every event, data: [DONE]" stream_ok

endpoint_listed() { fetch "$base/internal/status/endpoints" | grep -q "\"$1\""; }
reloaded() {
  write_config host-dmr-2
  "${podman[@]}" kill -s HUP "$(ctr config)" >/dev/null && wait_log config '"added":["host-dmr-2"]' && endpoint_listed host-dmr-2
}
check "podman kill -s HUP reloads the edited config (endpoint host-dmr-2 added)" reloaded
rejected() {
  echo 'server: { port: "not a port" }' >"$work/etc/config.yaml"
  "${podman[@]}" kill -s HUP "$(ctr config)" >/dev/null && wait_log config 'config reload rejected' && endpoint_listed host-dmr-2
}
check "an invalid config on HUP is rejected and the running one stays" rejected
write_config host-dmr-2

# A stream is open when `podman stop` sends SIGTERM: it must finish, [DONE] included, before the exit.
drained() {
  chat "$base/olla/dmr/engines/v1/chat/completions" "$stream_body" -N >"$work/drain.body" 2>&1 &
  local client=$!
  for _ in $(seq 50); do grep -q '^data: {' "$work/drain.body" && break; sleep 0.1; done
  grep -q '^data: {' "$work/drain.body" || { echo "the stream did not start"; return 1; }
  local stop_start=$SECONDS
  "${podman[@]}" stop -t 30 "$(ctr config)" >/dev/null 2>&1
  wait "$client" || { echo "the client failed"; cat "$work/drain.body"; return 1; }
  echo "podman stop took $((SECONDS - stop_start))s"
  grep -qx 'data: \[DONE\]' "$work/drain.body" || { echo "the stream was cut:"; tail -n 3 "$work/drain.body"; return 1; }
  [[ $("${podman[@]}" inspect -f '{{.State.ExitCode}}' "$(ctr config)") == 0 ]] || { echo "exit code not 0"; return 1; }
  "${podman[@]}" logs "$(ctr config)" 2>&1 | grep '"msg":"stopped"' | grep -q '"cut":0'
}
check "podman stop (SIGTERM) drains an open stream, then exits 0" drained

# --------------------------------------------------------------------------- OLLA_* variables

env_port=$(free_port)
run env --network host -v "$work/etc:/etc/tureen:ro" -e "OLLA_SERVER_PORT=$env_port" -e OLLA_LOGGING_FORMAT=text \
  -e OLLA_PROXY_LOAD_BALANCER=round-robin
env_applied() {
  wait_log env "listening" && fetch "http://127.0.0.1:$env_port/internal/health" >/dev/null &&
    ! "${podman[@]}" logs "$(ctr env)" 2>&1 | grep -q '^{"time"' &&
    "${podman[@]}" run --rm "${limits[@]}" -v "$work/etc:/etc/tureen:ro" -e OLLA_PROXY_LOAD_BALANCER=round-robin \
      "$image" --print-config | grep -q 'load_balancer: round-robin'
}
check "OLLA_* variables apply (server port, text logs, load balancer over the mounted file)" env_applied

# --------------------------------------------------------------------------- compose.yaml

# compose.yaml as it stands, through Debian's podman-compose (1.0.3; `podman compose` arrived in podman
# 4.7). Only the VM's needs are added: runc, the lower rlimits, and model-runner.docker.internal pointed
# at loopback so that its health probes stay on this machine. It publishes port 40114 on the host.
compose=(podman-compose -p tureen-image-test --podman-args="--runtime runc" -f compose.yaml)
compose_ctr=tureen-image-test_tureen_1
compose_up() {
  containers+=("$compose_ctr")
  "${podman[@]}" tag "$image" localhost/tureen:latest || return 1
  # On a shared machine something else may hold port 40114 for a while: wait for it, up to 30 s.
  for _ in 1 2 3; do
    "${compose[@]}" --podman-run-args="${limits[*]} --add-host=model-runner.docker.internal:127.0.0.1" up -d --no-build
    [[ $("${podman[@]}" inspect -f '{{.State.Running}}' "$compose_ctr") == true ]] && break
    echo "not running; port 40114 is held by: $(ss -ltnpH 'sport = :40114' 2>/dev/null)"
    "${compose[@]}" down >/dev/null 2>&1
    sleep 10
  done
  wait_log_of "$compose_ctr" '"config":"config.yaml"' && fetch http://127.0.0.1:40114/internal/health
}
compose_locked_down() {
  local status
  status=$(<"/proc/$("${podman[@]}" inspect -f '{{.State.Pid}}' "$compose_ctr")/status") || return 1
  grep -E 'CapEff|NoNewPrivs' <<<"$status"
  [[ $("${podman[@]}" inspect -f '{{.HostConfig.ReadonlyRootfs}}' "$compose_ctr") == true ]] &&
    grep -qx $'CapEff:\t0000000000000000' <<<"$status" && grep -qx $'NoNewPrivs:\t1' <<<"$status"
}
compose_reload() { "${podman[@]}" kill -s HUP "$compose_ctr" >/dev/null && wait_log_of "$compose_ctr" '"msg":"config reloaded"'; }
if command -v podman-compose >/dev/null; then
  check "compose.yaml: podman-compose up serves on :40114 with deploy/docker mounted" compose_up
  check "compose.yaml: read-only root, no capabilities, no-new-privileges" compose_locked_down
  check "compose.yaml: HUP reloads the mounted config" compose_reload
  check "compose.yaml: podman-compose down" "${compose[@]}" down
else
  echo "no podman-compose here" >"$work/why"
  fail "compose.yaml: podman-compose is installed"
fi

# --------------------------------------------------------------------------- arm64

# The build stage cross-compiles for TARGETARCH (buildx sets it from --platform). podman 4.3 does not honour
# `FROM --platform=$BUILDPLATFORM` for a local image, so the argument is given directly; the runtime stage
# is not built, having no arm64 stand-in base (it only copies the binary).
arm64_binary() {
  local root machine
  nice "${podman[@]}" build --format docker --target build --network host "${limits[@]}" --build-arg TARGETARCH=arm64 \
    --build-arg "BUN_IMAGE=$build_base" -t localhost/tureen:image-test-arm64-build . >/dev/null || return 1
  root=$("${podman[@]}" image mount localhost/tureen:image-test-arm64-build) || return 1
  machine=$(od -An -tx1 -j18 -N2 "$root/out/tureen" | tr -d ' ')
  "${podman[@]}" image unmount localhost/tureen:image-test-arm64-build >/dev/null
  echo "ELF e_machine: $machine"
  [[ $machine == b700 ]]
}
check "arm64: the build stage cross-compiles an aarch64 binary (TARGETARCH=arm64)" arm64_binary

summary
