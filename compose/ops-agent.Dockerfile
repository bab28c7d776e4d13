# ops-agent image: the agent plus pg_dump/pg_restore of the server's major version
# (PG_MAJOR must match the postgres service: pg_dump refuses older servers' successors).
ARG PG_MAJOR=15
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock clippy.toml ./
COPY shared shared
COPY bot-api bot-api
COPY ops-agent ops-agent
COPY migrations migrations
RUN cargo build --release --locked --bin ops-agent

FROM debian:bookworm-slim
ARG PG_MAJOR
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl "postgresql-client-${PG_MAJOR}" \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10002 --home /nonexistent ops \
 && mkdir -p /backups && chown ops /backups
ENV PG_BIN_DIR=/usr/lib/postgresql/${PG_MAJOR}/bin \
    OPS_BACKUP_DIR=/backups \
    OPS_AGENT_LISTEN=0.0.0.0:9187 \
    LOG_FORMAT=json
COPY --from=build /src/target/release/ops-agent /usr/local/bin/ops-agent
COPY ops-agent/ops-agent.example.toml /etc/ops-agent/ops-agent.toml
USER ops
VOLUME ["/backups"]
EXPOSE 9187
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD curl -fsS http://127.0.0.1:9187/health || exit 1
ENTRYPOINT ["ops-agent"]
CMD ["run", "--config", "/etc/ops-agent/ops-agent.toml"]
