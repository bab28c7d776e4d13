# Local stand-in for `rust:<version>-bookworm`, built by scripts/base-images when no registry
# answers. Context: a folder scripts/base-images prepares on the host with
#   toolchain/  the host's Rust sysroot of exactly <version> (bin, lib, libexec; no docs)
#   vendor/     every crate of Cargo.lock (`cargo vendor --locked`)
#   config.toml cargo set to offline, crates.io replaced by /usr/local/cargo/vendor
# so the Dockerfiles' own `cargo build --release --locked` runs unchanged and offline.
FROM debian:bookworm-slim
# What the official image (buildpack-deps) brings that a Rust build of this workspace uses:
# a C toolchain for the -sys crates (ring, aws-lc-sys), pkg-config, CA certificates.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates gcc g++ libc6-dev make pkg-config \
 && rm -rf /var/lib/apt/lists/*
ARG RUST_VERSION
ENV RUSTUP_HOME=/usr/local/rustup \
    CARGO_HOME=/usr/local/cargo \
    PATH=/usr/local/cargo/bin:/usr/local/rust/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    RUST_VERSION=${RUST_VERSION} \
    CARGO_NET_OFFLINE=true
COPY toolchain/ /usr/local/rust/
COPY vendor/ /usr/local/cargo/vendor/
COPY config.toml /usr/local/cargo/config.toml
RUN mkdir -p /usr/local/cargo/bin && rustc --version && cargo --version
