# bot-api image. Multi-stage: the build stage runs the same cargo command as CI
# (`cargo build --release --locked --bin ...`), the runtime stage holds only the binary.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock clippy.toml ./
COPY shared shared
COPY bot-api bot-api
COPY ops-agent ops-agent
COPY migrations migrations
RUN cargo build --release --locked --bin bot-api

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home /nonexistent bot
COPY --from=build /src/target/release/bot-api /usr/local/bin/bot-api
USER bot
ENV BOT_API_LISTEN=0.0.0.0:8080 LOG_FORMAT=json
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/health || exit 1
ENTRYPOINT ["bot-api"]
CMD ["serve"]
