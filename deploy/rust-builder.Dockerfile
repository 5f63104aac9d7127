# A builder image for the Dockerfile's first stage, made from any Debian bookworm image, for
# machines that cannot pull `rust:1.95-bookworm` but reach Debian's mirror and
# static.rust-lang.org. It is laid out as the official image is (RUSTUP_HOME, CARGO_HOME,
# PATH), so the Dockerfile's cache mounts and commands work unchanged:
#
#   docker build -f deploy/rust-builder.Dockerfile --build-arg BASE=localhost/bookworm \
#       [--secret id=extra_ca,src=proxy-ca.pem] -t localhost/rust-builder deploy
#   cargo xtask container --base localhost/bookworm --builder localhost/rust-builder

ARG BASE=docker.io/library/debian:bookworm
FROM ${BASE}
SHELL ["/bin/bash", "-o", "pipefail", "-c"]

# What the official image's buildpack-deps base brings and the build needs: a C toolchain for
# the linker and the build scripts, and TLS for cargo install's dependencies. Behind a proxy
# that re-signs TLS, pass its CA certificates (PEM) as the build secret `extra_ca`
# (`--secret id=extra_ca,src=ca.pem`): they are added to the image's trust store, which
# cargo, curl and npm then use.
# hadolint ignore=DL3008
RUN --mount=type=secret,id=extra_ca \
    apt-get update \
    && apt-get install -y --no-install-recommends \
        ca-certificates curl gcc libc6-dev make pkg-config libssl-dev \
    && rm -rf /var/lib/apt/lists/* \
    && if [ -s /run/secrets/extra_ca ]; then \
        awk '/BEGIN CERTIFICATE/ { n++ } { print > ("/usr/local/share/ca-certificates/extra-" n ".crt") }' \
            /run/secrets/extra_ca \
        && update-ca-certificates; \
    fi

ENV RUSTUP_HOME=/usr/local/rustup \
    CARGO_HOME=/usr/local/cargo \
    PATH=/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
ARG RUST_VERSION=1.95.0
RUN curl --proto '=https' --tlsv1.2 -fsSLo /tmp/rustup-init \
        https://static.rust-lang.org/rustup/dist/x86_64-unknown-linux-gnu/rustup-init \
    && chmod +x /tmp/rustup-init \
    && /tmp/rustup-init -y --no-modify-path --profile minimal --default-toolchain "${RUST_VERSION}" \
    && rm /tmp/rustup-init \
    && rustc --version
