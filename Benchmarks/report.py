"""Writes docs/benchmarks.md from the JSON lines of a Benchmarks/run.sh run (on standard output)."""
import datetime
import json
import os
import platform
import sys


def load(path):
    """Every run's record by (scenario, target, subscribers): a list, one per run (run.sh repeats each scenario)."""
    runs = {}
    for line in open(path):
        line = line.strip()
        if not line.startswith("{"):
            continue
        r = json.loads(line)
        runs.setdefault((r["scenario"], r["target"], r.get("subscribers")), []).append(r)
    return runs


def median(values):
    values = sorted(values)
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


class Runs:
    """The runs of one key: each numeric field as its median, and its spread (lowest, highest)."""

    def __init__(self, records):
        self.records = records

    def get(self, field):
        values = [r[field] for r in self.records if isinstance(r.get(field), (int, float))]
        return median(values) if values else None

    def spread(self, field):
        values = [r[field] for r in self.records if isinstance(r.get(field), (int, float))]
        return (min(values), max(values)) if len(values) > 1 else None


def machine():
    model = "unknown CPU"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    memory = 0
    for line in open("/proc/meminfo"):
        if line.startswith("MemTotal"):
            memory = int(line.split()[1]) // (1024 * 1024)
    return f"{os.cpu_count()} cores ({model}), {memory} GiB, Linux {platform.release()}"


def fmt(value, unit=""):
    if value is None:
        return "n/a"
    if isinstance(value, float) and value < 0.01:
        return f"{value:.2e}{unit}"
    if isinstance(value, float) and value < 100:
        return f"{value:.2f}{unit}"
    return f"{value:,.0f}{unit}"


def main():
    runs = load(sys.argv[1])
    results = {key: Runs(records) for key, records in runs.items()}
    empty = Runs([])
    short = "--short" in sys.argv
    rows = []

    def shown(key, field, unit):
        """The median, and the range of the runs when there were several."""
        r = results.get(key, empty)
        spread = r.spread(field)
        text = fmt(r.get(field), unit)
        return f"{text} ({fmt(spread[0], unit)}–{fmt(spread[1], unit)})" if spread else text

    def pair(scenario, subscribers, peer, field, unit, target, better, mine="matchwire"):
        m = results.get((scenario, mine, subscribers), empty).get(field)
        p = results.get((scenario, peer, subscribers), empty).get(field) if peer else None
        ratio = f"{m / p:.2f}" if m is not None and p else "n/a"
        met = ""
        if target is not None and m is not None:
            met = "yes" if (m >= target if better == "higher" else m <= target) else "**no**"
        return ratio, m, p, met

    fan = [k[2] for k in results if k[0] == "fanout" and k[1] == "matchwire"]
    big = max(fan) if fan else None
    small = min(fan) if fan else None
    idle = next((k[2] for k in results if k[0] == "idle"), None)

    def add(name, scenario, subscribers, peer, field, unit, target=None, better="higher", target_text="",
            ratio_target=None, mine="matchwire"):
        ratio, m, p, met = pair(scenario, subscribers, peer, field, unit, target, better, mine)
        if ratio_target is not None and ratio != "n/a":
            met = "yes" if float(ratio) >= ratio_target else "**no**"
        mine_text = shown((scenario, mine, subscribers), field, unit)
        peer_text = shown((scenario, peer, subscribers), field, unit) if peer else ""
        rows.append(f"| {name} | {mine_text} | {peer or ''} {peer_text} | {ratio} | {target_text} | {met} |")

    add(f"fan-out {big} subscribers, 20 actions/s: deliveries/s", "fanout", big, "nchan", "deliveriesPerSecond", "",
        100000, "higher", ">= 100,000; ratio >= 1.0")
    add(f"fan-out {big}: latency p50 (ms)", "fanout", big, "nchan", "p50", "")
    add(f"fan-out {big}: latency p99 (ms)", "fanout", big, "nchan", "p99", "", 50, "lower", "<= 50 ms")
    add(f"fan-out {big}: latency p99.9 / max (ms)", "fanout", big, "nchan", "p999", "")
    add(f"fan-out {big}: latency p50 from the action's due time (ms)", "fanout", big, "nchan", "p50FromDue", "")
    add(f"fan-out {big}: latency p99 from the action's due time (ms)", "fanout", big, "nchan", "p99FromDue", "")
    add(f"fan-out {big}: connections set up per second", "fanout", big, "nchan", "connectionsPerSecond", "")
    add(f"fan-out {big}: server CPU seconds per delivery", "fanout", big, "nchan", "cpuSecondsPerDelivery", "")
    add(f"fan-out {big}: of which user space", "fanout", big, "nchan", "userCpuSecondsPerDelivery", "")
    add(f"fan-out {big}: server peak memory (bytes)", "fanout", big, "nchan", "peakMemoryBytes", "")
    add(f"fan-out {small} subscribers, 10 actions/s: latency p99 (ms)", "fanout", small, "nchan", "p99", "", 5, "lower",
        "<= 5 ms incl. durable commit")
    add(f"fan-out {small}: latency p50 (ms)", "fanout", small, "nchan", "p50", "")
    add(f"fan-out {small}: publish answered, p50 (ms)", "fanout", small, "nchan", "publishP50", "")
    add(f"fan-out {small}: publish answered, slowest (ms)", "fanout", small, "nchan", "publishMax", "")
    add(f"idle {idle} authenticated subscribers: server bytes each", "idle", idle, "nchan", "bytesPerSubscriber", "",
        16384, "lower", "<= 16 KiB")
    add(f"idle {idle}: connections set up per second", "idle", idle, "nchan", "connectionsPerSecond", "")
    add(f"idle {idle}: server CPU seconds per connection set up", "idle", idle, "nchan", "cpuSecondsPerConnection", "")
    add(f"idle {idle}: of which user space", "idle", idle, "nchan", "userCpuSecondsPerConnection", "")
    add("REST actions list (1,500 packets), 32 connections: requests/s", "rest", None, "nginx", "requestsPerSecond", "",
        target_text=">= 0.50 of nginx", ratio_target=0.5)
    add("ingestion, 50 fixtures in parallel: acknowledged actions/s", "ingest", None, "sqlite", "acknowledgedPerSecond", "",
        5000, "higher", ">= 5,000")
    add("ingestion: latency p99 per request (ms)", "ingest", None, "sqlite", "p99", "", 20, "lower", "<= 20 ms")

    add("PostgreSQL ingestion, 50 fixtures in parallel: acknowledged actions/s", "ingest", None, "pgbench",
        "acknowledgedPerSecond", "", target_text=">= 0.80 of the pgbench floor", ratio_target=0.8, mine="postgres")
    add("PostgreSQL ingestion: latency p99 per request (ms)", "ingest", None, None, "p99", "", mine="postgres")
    cross = results.get(("fanout", "cross-node", small), empty).get("p99")
    one = results.get(("fanout", "one-node", small), empty).get("p99")
    add(f"cross-node fan-out {small} subscribers on node B, 10 actions/s on node A: latency p99 (ms)", "fanout",
        small, "one-node", "p99", "", None, "lower", "<= one node's p99 + 20 ms", mine="cross-node")
    if cross is not None and one is not None:
        rows[-1] = rows[-1].rsplit("|", 2)[0] + f"| {'yes' if cross <= one + 20 else '**no**'} |"
    add(f"cross-node fan-out {small}: deliveries/s", "fanout", small, "one-node", "deliveriesPerSecond", "",
        mine="cross-node")

    # Issue 19's targets: each a ratio to nchan measured in the same run.
    ratio_rows = []
    for name, scenario, subscribers, field, at_least in [
        (f"fan-out {big}: deliveries/s", "fanout", big, "deliveriesPerSecond", True),
        (f"fan-out {big}: server CPU per delivery", "fanout", big, "cpuSecondsPerDelivery", False),
        (f"fan-out {big}: connections set up per second", "fanout", big, "connectionsPerSecond", True),
        (f"idle {idle}: server bytes per subscriber", "idle", idle, "bytesPerSubscriber", False),
        (f"fan-out {small}: latency p99", "fanout", small, "p99", False),
    ]:
        ratio, _, _, _ = pair(scenario, subscribers, "nchan", field, "", None, None)
        met = "" if ratio == "n/a" else "yes" if (float(ratio) >= 1 if at_least else float(ratio) <= 1) else "**no**"
        ratio_rows.append(f"| {name} | {ratio} | {'>= 1.0' if at_least else '<= 1.0'} | {met} |")

    fanbig_m = results.get(("fanout", "matchwire", big), empty)
    fanbig_n = results.get(("fanout", "nchan", big), empty)
    raw = "\n".join(json.dumps(r, sort_keys=True) for k in runs for r in runs[k])
    repeats = max((len(records) for records in runs.values()), default=1)
    notes_path = os.path.join(os.path.dirname(__file__), "notes.md")
    notes = open(notes_path).read() if os.path.exists(notes_path) else ""
    today = datetime.date.today().isoformat()
    print(f"""# Benchmarks

Measured by `Benchmarks/run.sh` on {today}, on {machine()}. Matchwire and its peers ran on the same
machine in the same run, one after the other: each server pinned to one core and the load generator to the
other (`taskset`), every scenario {repeats} times, Matchwire and its peer alternating.{" **Short run (SHORT=1): fewer subscribers than the targets name.**" if short else ""}

Each figure is the median of the runs, with their range in brackets. Ratio = Matchwire's median / the peer's
median (for latency, CPU and memory, lower is better, so a ratio above 1 means slower or larger). The "met"
column compares Matchwire's own median with the issue's target.

| scenario | Matchwire | peer | ratio | target | met |
|---|---|---|---|---|---|
{chr(10).join(rows)}

The fan-out targets of issue 19, each a ratio to nchan in this run:

| figure | ratio to nchan | target | met |
|---|---|---|---|
{chr(10).join(ratio_rows)}

Fan-out deliveries (median of the runs): Matchwire {fanbig_m.get("deliveries") or 0:,.0f} of {fanbig_m.get("expected") or 0:,.0f} expected,
nchan {fanbig_n.get("deliveries") or 0:,.0f} of {fanbig_n.get("expected") or 0:,.0f} (subscribers accepted: Matchwire
{fanbig_m.get("accepted") or 0:,.0f}, nchan {fanbig_n.get("accepted") or 0:,.0f}). CPU per delivery is in seconds.

## Method

- **Load generator**: `matchwire-load` (`Benchmarks/LoadGenerator`, release build). Subscribers are
  websocket clients written on SwiftNIO's channel (a handler that parses the frames as they arrive and
  finds the action number with `memchr`, no task per frame: it reads 100,000 frames a second on its one
  core with room to spare, so the servers, not the client, set the figures) spread over
  127.0.0.1-127.0.0.4 when there are many (each address connected to as given, with no name resolution, and
  the answers' ends found with `memchr`: before, the generator's own cost per connect set nchan's connect
  rate), connected with 250 connects in flight at once (each one
  accepted, or failed, starts the next: the server always has work, and the figure is its rate of
  setting connections up, not the round trips of batches that wait for their slowest member); on
  Matchwire each sends the auth message and counts from "Authorisation accepted", on nchan from the
  upgrade. **Connections set up per second** = subscribers accepted / (the last one accepted or refused -
  the first connect); a setup in which none settles for 30 s (nginx past its `worker_connections`) ends
  there. The generator's one core is the busier one while connecting (both servers), so that rate is partly
  the generator's; **server CPU per connection set up** = the server's user+system CPU from before the
  first connect to the last one settled / subscribers accepted, a figure of the server alone (Matchwire's
  includes the auth exchange, which nchan's subscribers do not make). Actions are published at a fixed rate by one publisher:
  on Matchwire an HTTP ingest (`POST /ingest/...`, a Pending table tennis point, answered after
  the durable commit), on nchan an HTTP POST of the same packet bytes to `/pub/CHANNEL`. The action
  number is carried in the action id, so a subscriber reads it from the frame without decoding JSON.
  **Latency** = from the publisher starting the request to the frame read by the subscriber, on one
  clock; percentiles are nearest-rank over every delivery. The publisher waits for each answer before its
  next request, so a server that answers late (busy writing the last publish) also starts the next action's
  clock late; **latency from the action's due time** counts from when the action was due instead
  (first publish + its number / the rate), which puts that wait back in, for both servers alike (the
  correction for "coordinated omission"). **Publish answered** = from the publisher starting the request to
  its answer (Matchwire answers after the durable commit, nchan once it holds the message in memory): a
  publish that waited for the disk shows here as well as in every one of its deliveries, which is what sets
  a p99 over 100 publishes. **Deliveries/s** = deliveries / (last
  delivery - first publish). **CPU per delivery** = server user+system CPU seconds during publishing
  (`/proc/PID/stat`, nginx master and workers summed) / deliveries; its user-space part is given apart (the
  rest is the kernel's: system calls and the TCP stack, on the sender's core for loopback). **Peak memory** =
  `VmHWM`.
- **Idle**: subscribers connected and authenticated, then held 12 s (a heartbeat every 10 s on
  Matchwire); server bytes each = growth of resident memory (`VmRSS`) / subscribers.
- **REST**: a finished fixture of 1,500 packets (Start Fixture, Start Period, 1,497 Pending points, a
  dropped collection) read with `wrk -t1 -c32 -d10s` from `GET /v2/tabletennis/fixtures/ID/actions`
  (with the token; the rate limit is lifted for the run) and, as the peer, the same bytes saved to a
  file served by nginx.
- **Ingestion**: 50 fixtures, one request in flight each, one Pending point per request, for 10 s;
  latency per request. Floor: `Benchmarks/sqlite_floor.py`, the same packet bytes inserted in SQLite
  (WAL, `synchronous=FULL`, one transaction and flush per insert) one after another, with no HTTP.
- **PostgreSQL** (the last rows): a throwaway PostgreSQL cluster on this machine (`initdb`, fsync and
  `synchronous_commit` on, as in production), two nodes (`serve --postgres`) on one database. Ingestion:
  the same 50-fixture scenario through node A; floor: `Benchmarks/postgres_floor.sh`, pgbench with 50
  clients doing per transaction what a Matchwire append does (the fixture row's number moved on under its
  lock, the same packet bytes inserted, a NOTIFY, COMMIT), with no HTTP and no rules engine. Cross-node:
  the fan-out scenario with its subscribers on node B and its publisher on node A (each packet reaches B
  through the database: NOTIFY, then B's read), beside the same load with everything on node A.
- Matchwire: `matchwire serve --host 0.0.0.0 --rate-limit 1000000 --rate-burst 1000000` on a new
  SQLite file, one event loop (`NIO_SINGLETON_GROUP_LOOP_COUNT=1`) on core 0; nginx 1.22 with nchan 1.3.6,
  `worker_processes 1`, `access_log off` (`Benchmarks/nginx.conf.template`), on core 0; the load generator
  (`matchwire-load`, one event loop too) and wrk on core 1; the PostgreSQL scenarios: the cluster and both nodes on
  core 0. A server on one core and its load on the other: neither takes the other's cycles, and the comparison
  is one core of server against one core of server.

{notes}
## Raw results

```
{raw}
```
""")


main()
