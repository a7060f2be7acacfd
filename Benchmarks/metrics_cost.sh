#!/usr/bin/env bash
# What the metrics cost the fan-out: the same release server with metrics on (the default) and with
# `--no-metrics`, in turns, three times each, under `matchwire-load fanout` (5,000 subscribers, 20 actions/s).
# Prints one JSON line per run and, at the end, the median server CPU seconds per delivery of each and their ratio.
#
#   Benchmarks/metrics_cost.sh            (SUBSCRIBERS=1000 for a quick look)
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=$(mktemp -d /tmp/matchwire-metrics-cost.XXXXXX)
PORT=18085
SUBSCRIBERS=${SUBSCRIBERS:-5000}
ulimit -n "$(ulimit -Hn)"

swift build -c release --product matchwire >/dev/null
swift build -c release --product matchwire-load >/dev/null
BIN=$(swift build -c release --show-bin-path)

cleanup() { [ -n "${PID:-}" ] && kill "$PID" 2>/dev/null || true; }
trap cleanup EXIT

run() {
    local label=$1
    local db=$WORK/$label-$2.sqlite
    shift 2
    local token
    token=$("$BIN/matchwire" token create --name bench --role admin --database "$db" | tail -1)
    "$BIN/matchwire" serve --host 0.0.0.0 --port $PORT --database "$db" --rate-limit 1000000 --rate-burst 1000000 \
        --max-connections 100000 "$@" >"$WORK/$label.log" 2>&1 &
    PID=$!
    for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
    "$BIN/matchwire-load" fanout --subscribers "$SUBSCRIBERS" --rate 20 --duration 10 --addresses 4 \
        --target matchwire --url "http://127.0.0.1:$PORT" --token "$token" --server-pid "$PID" --label "$label" \
        | tee -a "$WORK/results.jsonl"
    kill "$PID"
    wait "$PID" 2>/dev/null || true
    PID=
}

for round in 1 2 3; do
    run metrics-on "$round"
    run metrics-off "$round" --no-metrics
done

python3 - "$WORK/results.jsonl" <<'EOF'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]
def median(label, key):
    return statistics.median(r[key] for r in rows if r.get("target") == label)
on, off = median("metrics-on", "cpuSecondsPerDelivery"), median("metrics-off", "cpuSecondsPerDelivery")
for label in ("metrics-on", "metrics-off"):
    values = [r["cpuSecondsPerDelivery"] for r in rows if r.get("target") == label]
    print(f"{label}: CPU s per delivery, median {median(label, 'cpuSecondsPerDelivery'):.3e} of {values}; "
          f"deliveries/s median {median(label, 'deliveriesPerSecond'):.0f}")
print(f"metrics on / off: {on / off:.3f}")
EOF
