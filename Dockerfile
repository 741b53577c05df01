# Build: compile one self-contained binary with Bun.
FROM oven/bun:1.4.5 AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN bun install --production --frozen-lockfile --ignore-scripts || bun install --production --ignore-scripts
COPY main.ts deno.json ./
COPY src ./src
RUN bun build --compile --minify --bytecode --format=esm main.ts --outfile /out/tureen

# Run: a distroless base with glibc, no shell, no package manager, non-root.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/tureen /usr/local/bin/tureen
COPY config.yaml /etc/tureen/config.yaml
ENV OLLA_SERVER_HOST=0.0.0.0 \
    OLLA_CONFIG_FILE=/etc/tureen/config.yaml
EXPOSE 40114
USER nonroot
ENTRYPOINT ["/usr/local/bin/tureen"]
