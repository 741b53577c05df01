# syntax=docker/dockerfile:1
# Tureen: one compiled binary on a distroless, non-root base. Build and run: docs/OPERATIONS.md.
#   docker build -t tureen .
#   docker buildx build --platform linux/amd64,linux/arm64 -t tureen .   (cross-compiled, no emulation)

# The two bases are build arguments only so that CI can build this file unchanged from local
# stand-ins (scripts/image-test.sh), or from a registry mirror; a normal build leaves them alone.
ARG BUN_IMAGE=oven/bun:1.4.5
ARG RUNTIME_IMAGE=gcr.io/distroless/cc-debian12:nonroot

# Build: compile one self-contained binary with Bun, for the target platform.
FROM --platform=$BUILDPLATFORM ${BUN_IMAGE} AS build
ARG TARGETARCH
WORKDIR /src
COPY package.json package-lock.json ./
RUN bun install --production --frozen-lockfile --ignore-scripts || bun install --production --ignore-scripts
COPY main.ts deno.json ./
COPY src ./src
RUN case "${TARGETARCH:-amd64}" in \
      amd64) target=bun-linux-x64 ;; \
      arm64) target=bun-linux-arm64 ;; \
      *) echo "unsupported TARGETARCH ${TARGETARCH}: use amd64 or arm64" >&2; exit 1 ;; \
    esac \
 && bun build --compile --minify --bytecode --format=esm --target="$target" main.ts --outfile /out/tureen

# Run: a distroless base with glibc, no shell, no package manager, non-root (uid 65532).
FROM ${RUNTIME_IMAGE}
COPY --from=build /out/tureen /usr/local/bin/tureen
# The config is found as ./config.yaml from here: mount a directory holding it at /etc/tureen
# (a directory, not the single file, so an edited file is seen by SIGHUP). With no file, Tureen
# starts on its built-in defaults. OLLA_CONFIG_FILE and the other OLLA_* variables still apply.
WORKDIR /etc/tureen
ENV OLLA_SERVER_HOST=0.0.0.0
EXPOSE 40114
USER nonroot
# No curl in the image: the binary checks itself (GET /internal/health, 2 s, exit 0/1).
HEALTHCHECK --interval=30s --timeout=5s --start-period=5s --retries=3 CMD ["/usr/local/bin/tureen", "healthcheck"]
# SIGTERM drains streams for server.shutdown_timeout (10s): give `docker stop` more (-t 30, or
# stop_grace_period in compose). SIGHUP (`docker kill -s HUP`) reloads the config.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/tureen"]
