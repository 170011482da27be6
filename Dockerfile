# syntax=docker/dockerfile:1
# Build: docker build --build-arg PG_MAJOR=18 -t pgkeeper .
# PG_MAJOR must be at least the guarded servers' major version: pg_dump refuses newer servers.
# Several majors, for servers of several versions: --build-arg PG_MAJOR="15 18"; pgkeeper picks,
# per server, the lowest installed one that is at least the server's.
ARG PG_MAJOR=18
ARG GO_VERSION=1.26

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/pgkeeper .

FROM debian:bookworm-slim
ARG PG_MAJOR
# PostgreSQL's own apt repository carries every supported client major for bookworm.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl gnupg \
 && install -d /usr/share/postgresql-common/pgdg \
 && curl -fsSL https://www.postgresql.org/media/keys/ACCC4CF8.asc -o /usr/share/postgresql-common/pgdg/apt.postgresql.org.asc \
 && echo "deb [signed-by=/usr/share/postgresql-common/pgdg/apt.postgresql.org.asc] https://apt.postgresql.org/pub/repos/apt bookworm-pgdg main" > /etc/apt/sources.list.d/pgdg.list \
 && apt-get update \
 && apt-get install -y --no-install-recommends $(for m in ${PG_MAJOR}; do echo postgresql-client-$m; done) \
 && apt-get purge -y curl gnupg && apt-get autoremove -y \
 && rm -rf /var/lib/apt/lists/*
# No PG_BIN_DIR: pgkeeper looks in every /usr/lib/postgresql/N/bin installed above.
ENV BACKUP_DIR=/var/lib/pgkeeper/backups
RUN useradd --system --uid 10001 --home /var/lib/pgkeeper --create-home pgkeeper \
 && install -d -o pgkeeper -g pgkeeper -m 0700 /var/lib/pgkeeper/backups
COPY --from=build /out/pgkeeper /usr/local/bin/pgkeeper
USER pgkeeper
WORKDIR /var/lib/pgkeeper
VOLUME ["/var/lib/pgkeeper/backups"]
# With HTTP_ADDR set, the process's own /healthz (`pgkeeper health`: the image has no curl);
# without, `pgkeeper status`, which exits 2 only when critical (database unreachable, no usable pg_dump).
HEALTHCHECK --interval=5m --timeout=30s --start-period=30s CMD ["/bin/sh", "-c", "if [ -n \"$HTTP_ADDR\" ]; then exec pgkeeper health >/dev/null; fi; pgkeeper status >/dev/null; [ $? -lt 2 ]"]
ENTRYPOINT ["pgkeeper"]
CMD ["serve"]
