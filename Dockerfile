# Tollgate: one static-ish binary (rustls, bundled SQLite) on a slim Debian.
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin tollgate

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin tollgate \
 && mkdir -p /data && chown tollgate /data
COPY --from=build /src/target/release/tollgate /usr/local/bin/tollgate
USER tollgate
WORKDIR /data
ENV HTTP_ADDR=0.0.0.0:8080 \
    DATABASE_URL=sqlite:///data/tollgate.db?mode=rwc \
    LOG_FORMAT=json
EXPOSE 8080
VOLUME ["/data"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["tollgate", "healthcheck"]
ENTRYPOINT ["tollgate"]
CMD ["run"]
