#!/usr/bin/env bash
# Runs every benchmark scenario against Matchwire and its peers on this machine, in one go, and rewrites
# docs/benchmarks.md. Needs root for apt-get when nginx, nchan or wrk are missing. Takes about 5 minutes.
#
#   Benchmarks/run.sh            every scenario
#   SHORT=1 Benchmarks/run.sh    fewer subscribers, for a quick look (the report says so)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=$(mktemp -d /tmp/matchwire-bench.XXXXXX)
RESULTS=$WORK/results.jsonl
MATCHWIRE_PORT=18080
NCHAN_PORT=18090

missing=""
command -v nginx >/dev/null || missing="$missing nginx"
command -v wrk >/dev/null || missing="$missing wrk"
command -v python3 >/dev/null || missing="$missing python3"
[ -f /usr/lib/nginx/modules/ngx_nchan_module.so ] || missing="$missing libnginx-mod-nchan"
if [ -n "$missing" ]; then
    echo "installing:$missing"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
# Every subscriber is an open file in the generator and in the server: as many as the hard limit allows.
ulimit -n "$(ulimit -Hn)"
OPEN_FILES=$(ulimit -n)

echo "building (release)"
swift build -c release --product matchwire
swift build -c release --product matchwire-load
BIN=$(swift build -c release --show-bin-path)
M=$BIN/matchwire
L=$BIN/matchwire-load

SUBSCRIBERS=5000; SMALL=500; IDLE=20000
if [ "$OPEN_FILES" != unlimited ] && [ "$OPEN_FILES" -lt $((IDLE + 1000)) ]; then
    IDLE=$((OPEN_FILES - 1000))
    echo "open files are limited to $OPEN_FILES per process: the idle scenario uses $IDLE subscribers"
fi
if [ -n "${SHORT:-}" ]; then SUBSCRIBERS=1000; SMALL=200; IDLE=2000; fi

cleanup() {
    [ -n "${MATCHWIRE_PID:-}" ] && kill "$MATCHWIRE_PID" 2>/dev/null || true
    [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
}
trap cleanup EXIT

wait_for_port() {
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "nothing listens on port $1" >&2
    exit 1
}

echo "starting Matchwire and nginx with nchan"
DB=$WORK/bench.sqlite
TOKEN=$("$M" token create --name bench --role admin --database "$DB" | tail -1)
# Listening on every address, so that subscribers can be spread over 127.0.0.1-127.0.0.4; the rate limit is
# lifted, as for a trusted load generator, and so is the connection limit (the idle scenario opens ~19,000).
"$M" serve --host 0.0.0.0 --port $MATCHWIRE_PORT --database "$DB" --rate-limit 1000000 --rate-burst 1000000 \
    --max-connections 100000 >"$WORK/matchwire.log" 2>&1 &
MATCHWIRE_PID=$!
mkdir -p "$WORK/static"
sed -e "s|WORK|$WORK|g" -e "s|OPEN_FILES|$([ "$OPEN_FILES" = unlimited ] && echo 100000 || echo "$OPEN_FILES")|g" \
    Benchmarks/nginx.conf.template >"$WORK/nginx.conf"
nginx -p "$WORK" -c "$WORK/nginx.conf" &
wait_for_port $MATCHWIRE_PORT
wait_for_port $NCHAN_PORT
NGINX_PIDS="$(cat "$WORK/nginx.pid") $(pgrep -P "$(cat "$WORK/nginx.pid")" | tr '\n' ' ')"

matchwire() { "$L" "$@" --target matchwire --url "http://127.0.0.1:$MATCHWIRE_PORT" --token "$TOKEN" \
    --server-pid "$MATCHWIRE_PID" | tee -a "$RESULTS"; }
nchan() {
    local pids=()
    for pid in $NGINX_PIDS; do pids+=(--server-pid "$pid"); done
    "$L" "$@" --target nchan --url "http://127.0.0.1:$NCHAN_PORT" "${pids[@]}" | tee -a "$RESULTS"
}

echo "fan-out: $SUBSCRIBERS subscribers, one fixture, 20 actions/s"
matchwire fanout --subscribers $SUBSCRIBERS --rate 20 --duration 10 --addresses 4
nchan fanout --subscribers $SUBSCRIBERS --rate 20 --duration 10 --addresses 4

echo "fan-out: $SMALL subscribers, 10 actions/s"
matchwire fanout --subscribers $SMALL --rate 10 --duration 10
nchan fanout --subscribers $SMALL --rate 10 --duration 10

echo "idle: $IDLE authenticated subscribers"
matchwire idle --subscribers $IDLE --hold 12 --addresses 4
nchan idle --subscribers $IDLE --hold 12 --addresses 4

echo "REST: a finished 1,500-packet actions list, 32 connections"
FIXTURE=$("$L" rest-fixture --url "http://127.0.0.1:$MATCHWIRE_PORT" --token "$TOKEN" --packets 1500 |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["fixture"])')
ACTIONS="http://127.0.0.1:$MATCHWIRE_PORT/v2/tabletennis/fixtures/$FIXTURE/actions"
curl -sf -H "Authorization: Bearer $TOKEN" -H "Accept: application/json" "$ACTIONS" >"$WORK/static/actions.json"
python3 -c 'import json,sys; sys.stdout.write(json.dumps(json.load(open(sys.argv[1]))[2]))' \
    "$WORK/static/actions.json" >"$WORK/packet.json"
rest() {
    wrk -t2 -c32 -d10s "$@" | python3 -c '
import json, re, sys
text = sys.stdin.read()
rate = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
print(json.dumps({"scenario": "rest", "target": sys.argv[1], "requestsPerSecond": rate,
                  "errors": int(errors.group(1)) if errors else 0}))' "$TARGET" | tee -a "$RESULTS"
}
TARGET=matchwire rest -H "Authorization: Bearer $TOKEN" -H "Accept: application/json" "$ACTIONS"
TARGET=nginx rest "http://127.0.0.1:$NCHAN_PORT/static/actions.json"

echo "ingestion: 50 fixtures in parallel"
matchwire ingest --fixtures 50 --duration 10
python3 Benchmarks/sqlite_floor.py "$WORK/floor.sqlite" "$WORK/packet.json" 10 | tee -a "$RESULTS"

echo "PostgreSQL: a throwaway cluster (fsync on, synchronous_commit on), two nodes on it"
PGPORT=18432
source Benchmarks/lib/postgres.sh
psql -X -q "${PSQL_ARGS[@]}" -c "CREATE DATABASE matchwire" -c "CREATE DATABASE floor"
PG_URL="postgres://postgres@127.0.0.1:$PGPORT/matchwire?sslmode=disable"
PG_TOKEN=$("$M" token create --name bench --role admin --postgres "$PG_URL" | tail -1)
"$M" serve --host 0.0.0.0 --port 18081 --postgres "$PG_URL" --rate-limit 1000000 --rate-burst 1000000 \
    --max-connections 100000 >"$WORK/node-a.log" 2>&1 &
NODE_A=$!
"$M" serve --host 0.0.0.0 --port 18082 --postgres "$PG_URL" --rate-limit 1000000 --rate-burst 1000000 \
    --max-connections 100000 >"$WORK/node-b.log" 2>&1 &
NODE_B=$!
wait_for_port 18081
wait_for_port 18082
node() { "$L" "$@" --target matchwire --token "$PG_TOKEN" | tee -a "$RESULTS"; }

echo "ingestion on PostgreSQL: 50 fixtures in parallel, and the pgbench floor"
node ingest --fixtures 50 --duration 10 --url http://127.0.0.1:18081 --label postgres --server-pid $NODE_A
Benchmarks/postgres_floor.sh "${PSQL_ARGS[@]}" -d floor -- "$WORK/packet.json" 10 | tee -a "$RESULTS"

echo "cross-node: $SMALL subscribers on node B, 10 actions/s ingested on node A; then all on node A"
node fanout --subscribers $SMALL --rate 10 --duration 10 --url http://127.0.0.1:18081 \
    --subscribe-url http://127.0.0.1:18082 --label cross-node --server-pid $NODE_B
node fanout --subscribers $SMALL --rate 10 --duration 10 --url http://127.0.0.1:18081 --label one-node \
    --server-pid $NODE_A
kill $NODE_A $NODE_B 2>/dev/null || true
wait $NODE_A $NODE_B 2>/dev/null || true
PG_STOP

python3 Benchmarks/report.py "$RESULTS" ${SHORT:+--short} >docs/benchmarks.md
echo "docs/benchmarks.md rewritten (raw results: $RESULTS)"
