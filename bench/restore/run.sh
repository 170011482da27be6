#!/usr/bin/env bash
# Seeds (once) the benchmark database of BENCH_KEYS keys on the benchmark
# cluster (bench/cluster.sh), then runs the restore benchmark on it.
#   bench/restore/run.sh                  # BENCH_KEYS=2400000: the 1.09 GB database
#   BENCH_KEYS=300000 bench/restore/run.sh
# Or point it at a database of your own: BENCH_DATABASE_URL=postgres://… bench/restore/run.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
url=${BENCH_DATABASE_URL:-$("$here/../cluster.sh" "${BENCH_KEYS:-2400000}")}
cd "$here/../.."
exec go run ./bench/restore "$url"
