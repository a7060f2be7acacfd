#!/usr/bin/env bash
# Ingestion on PostgreSQL against its floor, the figure of issue 14: one release node on a throwaway cluster,
# 50 fixtures ingested in parallel for 10 s (`matchwire-load ingest`), then pgbench doing the same durable writes
# (Benchmarks/postgres_floor.sh), in turns, three times each, each Matchwire round on a new database. Prints one
# JSON line per run and, at the end, the medians and their ratio. Takes about 2 minutes after the build.
#
#   Benchmarks/postgres_ingest.sh
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=$(mktemp -d /tmp/matchwire-pgingest.XXXXXX)
RESULTS=$WORK/results.jsonl
PGPORT=18433
PORT=18083
ROUNDS=${ROUNDS:-3}

swift build -c release --product matchwire >/dev/null
swift build -c release --product matchwire-load >/dev/null
BIN=$(swift build -c release --show-bin-path)
M=$BIN/matchwire
L=$BIN/matchwire-load

source Benchmarks/lib/postgres.sh
cleanup() {
    [ -n "${NODE:-}" ] && kill "$NODE" 2>/dev/null || true
    PG_STOP
}
trap cleanup EXIT
psql -X -q "${PSQL_ARGS[@]}" -c "CREATE DATABASE floor"

for round in $(seq "$ROUNDS"); do
    psql -X -q "${PSQL_ARGS[@]}" -c "CREATE DATABASE matchwire$round"
    url="postgres://postgres@127.0.0.1:$PGPORT/matchwire$round?sslmode=disable"
    token=$("$M" token create --name bench --role admin --postgres "$url" | tail -1)
    "$M" serve --host 0.0.0.0 --port $PORT --postgres "$url" --rate-limit 1000000 --rate-burst 1000000 \
        --max-connections 100000 >"$WORK/node-$round.log" 2>&1 &
    NODE=$!
    for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
    "$L" ingest --fixtures 50 --duration 10 --url "http://127.0.0.1:$PORT" --target matchwire --token "$token" \
        --label postgres --server-pid "$NODE" | tee -a "$RESULTS"
    kill "$NODE"
    wait "$NODE" 2>/dev/null || true
    NODE=
    # The floor inserts a packet as Matchwire stores it: the third of this round's.
    psql -X -q -A -t "${PSQL_ARGS[@]}" -d "matchwire$round" \
        -c "SELECT convert_from(body, 'UTF8') FROM packets ORDER BY fixture_id, seq OFFSET 2 LIMIT 1" \
        >"$WORK/packet.json"
    Benchmarks/postgres_floor.sh "${PSQL_ARGS[@]}" -d floor -- "$WORK/packet.json" 10 | tee -a "$RESULTS"
done

python3 - "$RESULTS" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]
def values(target):
    return [r["acknowledgedPerSecond"] for r in rows if r.get("target") == target]
ours, floor = values("postgres"), values("pgbench")
print(f"matchwire on postgres: acknowledged/s median {statistics.median(ours):.0f} of {[round(v) for v in ours]}")
print(f"pgbench floor: transactions/s median {statistics.median(floor):.0f} of {[round(v) for v in floor]}")
print(f"ratio: {statistics.median(ours) / statistics.median(floor):.2f}")
PY
