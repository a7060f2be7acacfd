#!/usr/bin/env bash
# Runs every benchmark scenario against Matchwire and its peers on this machine, in one go, and rewrites
# docs/benchmarks.md. Needs root for apt-get when nginx, nchan or wrk are missing. Takes about 5 minutes a repeat.
#
#   Benchmarks/run.sh            every scenario, three times (Matchwire and its peer alternating)
#   REPEATS=1 Benchmarks/run.sh  once
#   SHORT=1 Benchmarks/run.sh    fewer subscribers, for a quick look (the report says so)
#
# Every server (Matchwire with one event loop, nginx with one worker, PostgreSQL) runs on core 0 and every load
# (matchwire-load with one event loop, wrk with one thread, the floors' clients) on core 1, so that the load never
# takes the server's cycles and each comparison is one core of server against one core of server. The report
# gives each figure's median over the repeats with its range.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=$(mktemp -d /tmp/matchwire-bench.XXXXXX)
RESULTS=$WORK/results.jsonl
MATCHWIRE_PORT=18080
NCHAN_PORT=18090
REPEATS=${REPEATS:-3}
# The server's core and the load's (on a single core, both share it and the report says nothing of pinning).
# The first two CPUs this process may run on (not always 0 and 1 in a container).
read -r SERVER_CORE LOAD_CORE < <(python3 -c '
import os
cpus = sorted(os.sched_getaffinity(0))
print(cpus[0], cpus[1] if len(cpus) > 1 else cpus[0])')
on_load() { NIO_SINGLETON_GROUP_LOOP_COUNT=1 taskset -c "$LOAD_CORE" "$@"; }
# Tags each JSON line of a scenario with its repeat, for the report's medians.
tag() { python3 -c '
import json, sys
for line in sys.stdin:
    line = line.strip()
    if line.startswith("{"):
        record = json.loads(line)
        record["run"] = int(sys.argv[1])
        print(json.dumps(record), flush=True)' "$RUN"; }

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
    [ -n "${NODE_A:-}" ] && kill "$NODE_A" "${NODE_B:-}" 2>/dev/null || true
    declare -F PG_STOP >/dev/null && PG_STOP || true
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
mkdir -p "$WORK/static"
sed -e "s|WORK|$WORK|g" -e "s|OPEN_FILES|$([ "$OPEN_FILES" = unlimited ] && echo 100000 || echo "$OPEN_FILES")|g" \
    Benchmarks/nginx.conf.template >"$WORK/nginx.conf"
# Fresh server processes for every repeat: the idle scenario measures the growth of resident memory, which a
# process that already held thousands of connections does not show again (freed memory stays resident).
# Servers are started by taskset directly (it becomes the server: `$!` is the server's pid, which a shell function
# run in the background would not give), with one event loop for their one core.
start_servers() {
    NIO_SINGLETON_GROUP_LOOP_COUNT=1 taskset -c "$SERVER_CORE" "$M" serve --host 0.0.0.0 --port $MATCHWIRE_PORT \
        --database "$DB" --rate-limit 1000000 --rate-burst 1000000 --max-connections 100000 \
        >>"$WORK/matchwire.log" 2>&1 &
    MATCHWIRE_PID=$!
    taskset -c "$SERVER_CORE" nginx -p "$WORK" -c "$WORK/nginx.conf" &
    wait_for_port $MATCHWIRE_PORT
    wait_for_port $NCHAN_PORT
    # nginx listens before it writes its pid file and starts its worker: wait for both, so that the worker's CPU and
    # memory are counted.
    for _ in $(seq 100); do
        [ -s "$WORK/nginx.pid" ] && pgrep -P "$(cat "$WORK/nginx.pid")" >/dev/null && break
        sleep 0.1
    done
    NGINX_PIDS="$(cat "$WORK/nginx.pid") $(pgrep -P "$(cat "$WORK/nginx.pid")" | tr '\n' ' ')"
}
stop_servers() {
    kill "$MATCHWIRE_PID" "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
    wait "$MATCHWIRE_PID" 2>/dev/null || true
    while [ -f "$WORK/nginx.pid" ] && kill -0 "$(cat "$WORK/nginx.pid")" 2>/dev/null; do sleep 0.1; done
    while (exec 3<>"/dev/tcp/127.0.0.1/$MATCHWIRE_PORT") 2>/dev/null; do sleep 0.1; done
}
start_servers

matchwire() { on_load "$L" "$@" --target matchwire --url "http://127.0.0.1:$MATCHWIRE_PORT" --token "$TOKEN" \
    --server-pid "$MATCHWIRE_PID" | tag | tee -a "$RESULTS"; }
nchan() {
    local pids=()
    for pid in $NGINX_PIDS; do pids+=(--server-pid "$pid"); done
    on_load "$L" "$@" --target nchan --url "http://127.0.0.1:$NCHAN_PORT" "${pids[@]}" | tag | tee -a "$RESULTS"
}

# Both targets on one scenario, Matchwire first on odd repeats and nchan first on even ones, so that neither always
# runs on a machine the other has just warmed (or loaded).
both() {
    if ((RUN % 2)); then matchwire "$@" && nchan "$@"; else nchan "$@" && matchwire "$@"; fi
}

# The REST scenario's fixture, read by Matchwire and saved for nginx once.
FIXTURE=$("$L" rest-fixture --url "http://127.0.0.1:$MATCHWIRE_PORT" --token "$TOKEN" --packets 1500 |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["fixture"])')
ACTIONS="http://127.0.0.1:$MATCHWIRE_PORT/v2/tabletennis/fixtures/$FIXTURE/actions"
curl -sf -H "Authorization: Bearer $TOKEN" -H "Accept: application/json" "$ACTIONS" >"$WORK/static/actions.json"
python3 -c 'import json,sys; sys.stdout.write(json.dumps(json.load(open(sys.argv[1]))[2]))' \
    "$WORK/static/actions.json" >"$WORK/packet.json"
rest() {
    taskset -c "$LOAD_CORE" wrk -t1 -c32 -d10s "$@" | python3 -c '
import json, re, sys
text = sys.stdin.read()
rate = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
print(json.dumps({"scenario": "rest", "target": sys.argv[1], "requestsPerSecond": rate,
                  "errors": int(errors.group(1)) if errors else 0}))' "$TARGET" | tag | tee -a "$RESULTS"
}
for RUN in $(seq "$REPEATS"); do
echo "=== repeat $RUN of $REPEATS"
if ((RUN > 1)); then stop_servers && start_servers; fi
echo "fan-out: $SUBSCRIBERS subscribers, one fixture, 20 actions/s"
both fanout --subscribers $SUBSCRIBERS --rate 20 --duration 10 --addresses 4

echo "fan-out: $SMALL subscribers, 10 actions/s"
both fanout --subscribers $SMALL --rate 10 --duration 10

echo "idle: $IDLE authenticated subscribers"
both idle --subscribers $IDLE --hold 12 --addresses 4

TARGET=matchwire rest -H "Authorization: Bearer $TOKEN" -H "Accept: application/json" "$ACTIONS"
TARGET=nginx rest "http://127.0.0.1:$NCHAN_PORT/static/actions.json"

echo "ingestion: 50 fixtures in parallel"
matchwire ingest --fixtures 50 --duration 10
taskset -c "$SERVER_CORE" python3 Benchmarks/sqlite_floor.py "$WORK/floor-$RUN.sqlite" "$WORK/packet.json" 10 | tag |
    tee -a "$RESULTS"

done

echo "PostgreSQL: a throwaway cluster (fsync on, synchronous_commit on), two nodes on it"
PGPORT=18432
PG_PIN=(taskset -c "$SERVER_CORE")
source Benchmarks/lib/postgres.sh
psql -X -q "${PSQL_ARGS[@]}" -c "CREATE DATABASE matchwire" -c "CREATE DATABASE floor"
PG_URL="postgres://postgres@127.0.0.1:$PGPORT/matchwire?sslmode=disable"
PG_TOKEN=$("$M" token create --name bench --role admin --postgres "$PG_URL" | tail -1)
NIO_SINGLETON_GROUP_LOOP_COUNT=1 taskset -c "$SERVER_CORE" "$M" serve --host 0.0.0.0 --port 18081 \
    --postgres "$PG_URL" --rate-limit 1000000 --rate-burst 1000000 --max-connections 100000 >"$WORK/node-a.log" 2>&1 &
NODE_A=$!
NIO_SINGLETON_GROUP_LOOP_COUNT=1 taskset -c "$SERVER_CORE" "$M" serve --host 0.0.0.0 --port 18082 \
    --postgres "$PG_URL" --rate-limit 1000000 --rate-burst 1000000 --max-connections 100000 >"$WORK/node-b.log" 2>&1 &
NODE_B=$!
wait_for_port 18081
wait_for_port 18082
node() { on_load "$L" "$@" --target matchwire --token "$PG_TOKEN" | tag | tee -a "$RESULTS"; }

for RUN in $(seq "$REPEATS"); do
echo "=== PostgreSQL repeat $RUN of $REPEATS"
echo "ingestion on PostgreSQL: 50 fixtures in parallel, and the pgbench floor"
node ingest --fixtures 50 --duration 10 --url http://127.0.0.1:18081 --label postgres --server-pid $NODE_A
taskset -c "$LOAD_CORE" Benchmarks/postgres_floor.sh "${PSQL_ARGS[@]}" -d floor -- "$WORK/packet.json" 10 | tag |
    tee -a "$RESULTS"

echo "cross-node: $SMALL subscribers on node B, 10 actions/s ingested on node A; and all on node A"
cross_node() {
    node fanout --subscribers $SMALL --rate 10 --duration 10 --url http://127.0.0.1:18081 \
        --subscribe-url http://127.0.0.1:18082 --label cross-node --server-pid $NODE_B
}
one_node() {
    node fanout --subscribers $SMALL --rate 10 --duration 10 --url http://127.0.0.1:18081 --label one-node \
        --server-pid $NODE_A
}
# In turns, as `both` does: whichever runs first follows the pgbench floor's writes (PostgreSQL's checkpoint
# and its flushes, on the servers' core), which the other does not.
if ((RUN % 2)); then cross_node && one_node; else one_node && cross_node; fi
done
kill $NODE_A $NODE_B 2>/dev/null || true
wait $NODE_A $NODE_B 2>/dev/null || true
PG_STOP

python3 Benchmarks/report.py "$RESULTS" ${SHORT:+--short} >docs/benchmarks.md
echo "docs/benchmarks.md rewritten (raw results: $RESULTS)"
