#!/usr/bin/env bash
# Starts (or reuses) the benchmark PostgreSQL cluster and seeds a Baileys
# database of the asked size, once. Prints the database URL on stdout.
#   bench/cluster.sh KEYS [DAYS]     e.g. bench/cluster.sh 1400000
# Env: BENCH_DIR (default /var/tmp/pgkeeper-bench), BENCH_PORT (default 55432),
#      PG_BIN (default: newest /usr/lib/postgresql/*/bin).
set -euo pipefail
keys=${1:?usage: cluster.sh KEYS [DAYS]}
days=${2:-60}
here=$(cd "$(dirname "$0")" && pwd)
dir=${BENCH_DIR:-/var/tmp/pgkeeper-bench}
port=${BENCH_PORT:-55432}
bin=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)}
pass=${BENCH_PASSWORD:-'b3nch p@ss<|>'}
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

if [ ! -s "$dir/data/PG_VERSION" ]; then
  mkdir -p "$dir" && chmod 755 "$dir"
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  printf '%s\n' "$pass" > "$dir/pw" && { [ "$(id -u)" = 0 ] && chown postgres "$dir/pw" || true; }
  as_pg "$bin/initdb" -D "$dir/data" -U bench --pwfile="$dir/pw" --auth-host=scram-sha-256 --auth-local=trust --no-sync >/dev/null
  rm -f "$dir/pw"
fi
if ! as_pg "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
  # Production-like durability: fsync stays on, so timings are honest.
  as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
    -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir -c shared_buffers=1GB -c max_wal_size=4GB -c log_lock_waits=on -c deadlock_timeout=100ms" start >/dev/null
fi
db="bench_k${keys}_d${days}"
export PGPASSWORD=$pass PGHOST=127.0.0.1 PGPORT=$port PGUSER=bench
if ! "$bin/psql" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
  echo "seeding $db (keys=$keys days=$days): this takes a while" >&2
  "$bin/createdb" "$db.tmp" 2>/dev/null || { "$bin/dropdb" "$db.tmp"; "$bin/createdb" "$db.tmp"; }
  "$bin/psql" -q -v ON_ERROR_STOP=1 -d "$db.tmp" -v companies=3 -v keys="$keys" -v days="$days" \
    -f "$here/../internal/scratchpg/sql/baileys-schema.sql" -f "$here/../internal/scratchpg/sql/seed-baileys.sql" >&2
  "$bin/psql" -q -d postgres -c "ALTER DATABASE \"$db.tmp\" RENAME TO \"$db\""
fi
enc=$(python3 -c 'import sys,urllib.parse;print(urllib.parse.quote(sys.argv[1],safe=""))' "$pass")
echo "postgres://bench:$enc@127.0.0.1:$port/$db?sslmode=disable"
