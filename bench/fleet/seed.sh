#!/usr/bin/env bash
# Makes, once, the fleet benchmark's databases bench_fleet_01..N (default 20)
# on the benchmark cluster: each a copy (CREATE DATABASE … TEMPLATE) of one
# Baileys database seeded by bench/cluster.sh with KEYS keys (default 60000:
# 54.5 MB by pg_database_size). Prints the server's URL (its postgres
# database) on stdout.
#   bench/fleet/seed.sh [KEYS] [N]
set -euo pipefail
keys=${1:-60000}
n=${2:-20}
here=$(cd "$(dirname "$0")" && pwd)
src=$("$here/../cluster.sh" "$keys")
bin=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)}
server=${src%%\?*}
server="${server%/*}/postgres?${src#*\?}"
seed=${src%%\?*}
seed=${seed##*/}
for i in $(seq -f %02g 1 "$n"); do
  db="bench_fleet_$i"
  if ! "$bin/psql" -d "$server" -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
    echo "making $db from $seed" >&2
    "$bin/psql" -q -d "$server" -c "CREATE DATABASE \"$db\" TEMPLATE \"$seed\""
  fi
done
echo "$server"
