# syntax=docker/dockerfile:1
#
# The chat server with its built web client, in two stages:
#   builder: the Rust toolchain plus the wasm tools, builds dist/ and the release binary;
#   runtime: glibc and libgcc only (distroless `cc`), the binary, dist/ and nothing else: no
#            shell, no package manager, no curl. `chat-server healthcheck` is the health check.
#
#   docker build -t chat .
#   docker run -p 8080:8080 -v chat-data:/app/data chat
#
# Both bases can be replaced, e.g. where no registry can be reached (`cargo xtask container`
# passes them; deploy/rust-builder.Dockerfile makes a builder from any Debian bookworm image):
#   docker build --build-arg BUILDER_IMAGE=localhost/rust-builder \
#                --build-arg RUNTIME_IMAGE=localhost/bookworm -t chat .
# The runtime stage runs no command, so any image with glibc 2.36 or newer will do.
#
# Rebuilds are incremental: the cargo registry and the target directory (native and wasm32
# alike) live in BuildKit cache mounts (podman and buildah have them too), so a change to the
# sources recompiles only the workspace's crates, not every dependency; the tools are
# installed in layers of their own, before the sources are copied.
#
# The tool versions match xtask/src/tools.rs (and Cargo.lock / Trunk.toml).

ARG BUILDER_IMAGE=docker.io/library/rust:1.95-bookworm
ARG RUNTIME_IMAGE=gcr.io/distroless/cc-debian12:nonroot

FROM ${BUILDER_IMAGE} AS builder
SHELL ["/bin/bash", "-o", "pipefail", "-c"]

# Debian's nodejs and npm follow its security updates; pinning their versions would break the
# build at every update (hadolint's DL3008).
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends nodejs npm \
    && rm -rf /var/lib/apt/lists/*
RUN rustup target add wasm32-unknown-unknown
# Not --locked for wasm-bindgen-cli: the lock file published with 0.2.130 names a crate the
# registry lacks.
RUN --mount=type=cache,target=/usr/local/cargo/registry,id=chat-cargo-registry \
    cargo install trunk --version 0.21.14 --locked \
    && cargo install wasm-bindgen-cli --version 0.2.130
WORKDIR /src
# wasm-opt from binaryen 132 (Debian's binaryen is too old), where `cargo xtask dist` looks
# for it: .tools/ is left out of the build context, so the sources copied next keep it.
RUN npm install --no-save --no-audit --no-fund --prefix /src/.tools binaryen@132.0.0

COPY . .
# `cargo xtask dist`: trunk build --release --offline, then the brotli and gzip copies of the
# client's files that the server sends as they are. The built files leave the cached target
# directory for /out, which the next stage copies.
RUN --mount=type=cache,target=/usr/local/cargo/registry,id=chat-cargo-registry \
    --mount=type=cache,target=/src/target,id=chat-target \
    cargo fetch --locked \
    && cargo xtask dist \
    && cargo build --release --locked --offline -p backend --bin chat-server \
    && install -D target/release/chat-server /out/chat-server \
    && mkdir -p /out/data


FROM ${RUNTIME_IMAGE} AS runtime

COPY --from=builder /out/chat-server /usr/local/bin/chat-server
COPY --from=builder /src/dist /app/dist
# The data directory belongs to the numeric user the server runs as; a named volume mounted
# here starts as a copy of it. A bind-mounted directory must be writable by uid 10001.
COPY --from=builder --chown=10001:10001 /out/data /app/data

WORKDIR /app
ENV PORT=8080
EXPOSE 8080
# `chat-server healthcheck`: GET http://127.0.0.1:$PORT/healthz, exit 0 on 200, else 1.
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
    CMD ["/usr/local/bin/chat-server", "healthcheck"]

# Numeric, so that a `runAsNonRoot` policy can verify it; no passwd entry is needed.
USER 10001:10001
# The server is PID 1: it handles SIGTERM itself (every WebSocket gets 1001, then it exits).
CMD ["/usr/local/bin/chat-server", "--static-dir", "/app/dist", "--data-dir", "/app/data"]
