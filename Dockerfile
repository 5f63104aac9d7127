# syntax=docker/dockerfile:1
#
# The chat server with its built web client, in two stages:
#   builder: the Rust toolchain plus the wasm tools, builds dist/ and the release binary;
#   runtime: a slim Debian with just the binary, dist/ and an unprivileged user.
#
#   docker build -t chat .
#   docker run -p 8080:8080 -v chat-data:/app/data chat
#
# The tool versions match xtask/src/tools.rs (and Cargo.lock / Trunk.toml).

FROM rust:1.95-bookworm AS builder

RUN apt-get update \
    && apt-get install -y --no-install-recommends nodejs npm \
    && rm -rf /var/lib/apt/lists/*
RUN rustup target add wasm32-unknown-unknown
RUN cargo install trunk --version 0.21.14 --locked
# Not --locked: the lock file published with 0.2.130 names a crate the registry lacks.
RUN cargo install wasm-bindgen-cli --version 0.2.130
# wasm-opt from binaryen 132 (Debian's binaryen is too old); lands in /usr/local/bin.
RUN npm install -g binaryen@132.0.0

WORKDIR /src
COPY . .
RUN trunk build --release --offline
RUN cargo build --release -p backend --bin chat-server


FROM debian:bookworm-slim AS runtime

RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin chat

COPY --from=builder /src/target/release/chat-server /usr/local/bin/chat-server
COPY --from=builder /src/dist /app/dist
RUN mkdir -p /app/data && chown chat:chat /app/data

WORKDIR /app
ENV PORT=8080
EXPOSE 8080
HEALTHCHECK CMD curl -fsS http://127.0.0.1:${PORT}/healthz || exit 1

USER chat
CMD ["chat-server", "--static-dir", "/app/dist", "--data-dir", "/app/data"]
