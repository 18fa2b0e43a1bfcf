# syntax=docker/dockerfile:1
#
# Candor in two stages: a Rust builder, then a slim Debian runtime holding one static-ish
# binary. SQLite and libpq are compiled into the binary (bundled) and OpenSSL is vendored and
# linked statically, so the runtime needs no libsqlite3, libpq5 or libssl: only CA certificates
# (for PostgreSQL over TLS).
#
#   docker build -t candor .
#   docker run -p 127.0.0.1:8080:8080 -v candor-data:/data candor
#
# See docs/operations.md for HTTPS, PostgreSQL, backups and every setting.

############################ builder ############################
FROM rust:1-bookworm AS builder

# The vendored OpenSSL build needs perl and make; the C compiler (for OpenSSL, SQLite and
# libpq) ships with this image. Both are normally present too; installed explicitly so a
# change of base image fails here, loudly, rather than halfway through openssl-src.
RUN apt-get update \
 && apt-get install -y --no-install-recommends perl make \
 && rm -rf /var/lib/apt/lists/*

ENV CARGO_TERM_COLOR=never
WORKDIR /build

# 1. Dependencies only, in their own layer: rebuilt when Cargo.toml or Cargo.lock change,
#    not on every source edit. The crate is replaced by empty stand-ins for this step.
#    `build.rs*` copies a build script if one is ever added and matches nothing today.
#    tests/it/main.rs is a stand-in for the [[test]] target Cargo.toml names (the real tests
#    are not in the build context; `cargo build` never compiles them).
COPY Cargo.toml Cargo.lock build.rs* ./
RUN mkdir -p src tests/it \
 && echo 'fn main() {}' > src/main.rs \
 && : > src/lib.rs \
 && : > tests/it/main.rs \
 && cargo build --release --locked \
 && rm -rf src

# 2. The crate itself. migrations/ is embedded at compile time (diesel embed_migrations!) and
#    static/ through include_str!, so both must be here before `cargo build`.
COPY src ./src
COPY migrations ./migrations
COPY static ./static
# COPY keeps the files' original modification times, which can be older than the stand-ins
# built above; touching the crate roots makes cargo rebuild the crate instead of reusing the
# empty one.
RUN touch src/main.rs src/lib.rs \
 && cargo build --release --locked \
 && install -m 0755 target/release/candor /usr/local/bin/candor

############################ runtime ############################
FROM debian:bookworm-slim

LABEL org.opencontainers.image.title="Candor" \
      org.opencontainers.image.licenses="AGPL-3.0-or-later"

RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/*

# A fixed, unprivileged uid/gid (10001) so a bind-mounted data directory can be prepared on
# the host with `chown 10001:10001 DIR`. /data is private to it: with SQLite it holds the
# whole database, including the instance secret.
RUN groupadd --system --gid 10001 candor \
 && useradd --system --uid 10001 --gid candor --no-create-home \
      --home-dir /nonexistent --shell /usr/sbin/nologin candor \
 && mkdir -p /data \
 && chown candor:candor /data \
 && chmod 0700 /data

COPY --from=builder /usr/local/bin/candor /usr/local/bin/candor

# The vendored OpenSSL looks for CA certificates under its own compile-time directory
# (/usr/local/ssl), not Debian's. These point it at Debian's bundle, so a DATABASE_URL with
# `sslrootcert=system` verifies a managed PostgreSQL against the usual public CAs.
ENV CANDOR_BIND=0.0.0.0:8080 \
    CANDOR_DATA_DIR=/data \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    SSL_CERT_DIR=/etc/ssl/certs

USER candor
WORKDIR /data
# Declared after the chown: a new named volume starts with this directory's owner and mode.
VOLUME ["/data"]
EXPOSE 8080

# No HEALTHCHECK, on purpose. bookworm-slim has neither curl nor wget, and installing one only
# for a probe would add a network client (and its security updates) to an image that otherwise
# holds one binary and the CA bundle. Each probe would also add a line to the log every few
# seconds. Candor serves GET /healthz (200 when the database answers, 503 when not) for a load
# balancer, reverse proxy or orchestrator to probe from outside the container; Kubernetes
# httpGet probes need nothing in the image. Candor exits when it cannot open the database at
# start, so `restart: unless-stopped` in docker-compose.yml covers the start-up case.

ENTRYPOINT ["/usr/local/bin/candor"]
CMD ["serve"]
