#!/usr/bin/env python3
"""The kill -9 drill: every acknowledged action survives SIGKILL, exactly once, and fixtureSeqNum has no gap.

Makes a new database in a temporary folder (an admin token and a table tennis fixture, with the `matchwire`
command line), starts `matchwire serve --port 0` on it, and then runs CYCLES cycles: CLIENTS concurrent ingest
clients post arrays of actions back to back, and after a random 0.5-3 s the server is killed with SIGKILL and
started again on the same database (on the same port when it can be had again). An action counts as acknowledged
when its request was answered 2xx. A request that got no answer (the server died under it) is sent again,
unchanged, once the server is back: the server recognises a retry by its actionIds and content and answers it
with the packets it stored (200) instead of storing them again (docs/ingestion.md).

At the end it reads the actions list over REST and checks that
  - every acknowledged action is listed exactly once, with the fixtureSeqNum and traceId it was acknowledged with;
  - no action is listed twice and none that the drill did not send;
  - the fixtureSeqNums are 1..n, in order, without gap or repeat;
  - every request was answered in the end (none refused, none left without an answer);
  - the server stops cleanly (status 0) on SIGTERM.
It prints a summary line, then the result as one JSON line. Exit status: 0 when every check holds, 1 when one
does not, 2 when the drill could not run (no binary, the server did not start, out of time).

The actions keep the first game level (points come in pairs within one array; docs/sports.md), so the fixture
stays live however many cycles run.

Examples:
  Benchmarks/drills/kill9.py                                  # .build/release/matchwire, 20 cycles, 4 clients
  Benchmarks/drills/kill9.py .build/debug/matchwire --cycles 5 --seed 7
  Benchmarks/drills/kill9.py --no-retry --json /tmp/kill9.json
"""
import collections
import http.client
import json
import random
import socket
import sys
import threading
import time

import drillkit
from drillkit import DrillError


class Request:
    """One ingest request: its body never changes, so that a retry is recognised as one."""

    def __init__(self, actions):
        self.ids = [a["actionId"] for a in actions]
        self.body = json.dumps(actions).encode()
        self.attempts = 0


class Server:
    """The server process and what the clients need of it: the port now, and whether it is up."""

    def __init__(self, process):
        self.process = process
        self.lock = threading.Lock()
        self.up = threading.Event()
        self.generation = 0
        self.port = None

    def started(self, port):
        with self.lock:
            self.port = port
            self.generation += 1
        self.up.set()

    def current(self):
        with self.lock:
            return self.generation, self.port


class Drill:
    def __init__(self, args, server, token, fixture, home, away):
        self.args = args
        self.server = server
        self.token = token
        self.path = drillkit.ingest_path(fixture)
        self.home, self.away = home, away
        self.lock = threading.Lock()
        self.pending = collections.deque()  # requests to send again
        self.in_flight = 0
        self.no_new = threading.Event()  # the cycles are over: only retries from now on
        self.stop = threading.Event()  # give up now (out of time)
        self.sent_ids = set()
        self.acknowledged = {}  # actionId -> (fixtureSeqNum, traceId)
        self.unanswered = []  # requests given up on (--no-retry)
        self.refusals = []  # 4xx answers: the drill's actions are all valid, so any is a fault
        self.bad_answers = []  # 2xx answers that are not the packets of the request's actions
        self.counts = collections.Counter()

    # Work for the clients.

    def take(self, rng):
        with self.lock:
            if self.pending:
                self.in_flight += 1
                return self.pending.popleft()
            if self.no_new.is_set():
                return None
            request = Request(drillkit.level_batch(rng, rng.randint(1, self.args.max_batch), self.home, self.away))
            self.sent_ids.update(request.ids)
            self.counts["requests"] += 1
            self.in_flight += 1
            return request

    def done(self, request, status, body):
        with self.lock:
            self.in_flight -= 1
            if status is None:  # no answer: the outcome is unknown
                self.counts["unanswered attempts"] += 1
                if self.args.no_retry:
                    self.unanswered.append(request)
                else:
                    self.pending.append(request)
                return
            if 200 <= status < 300:
                try:
                    packets = drillkit.answered_packets(body)
                    answered = [(p["fixtureAction"]["actionId"].lower(), p["fixtureAction"]["fixtureSeqNum"],
                                 p["traceId"]) for p in packets]
                except (ValueError, KeyError, TypeError) as error:
                    answered = []
                    self.bad_answers.append("%d answer unreadable (%s): %s" % (status, error, body[:200]))
                if [a[0] for a in answered] != request.ids:
                    self.bad_answers.append("%d answer names %s for %s" % (status, [a[0] for a in answered],
                                                                          request.ids))
                for action_id, seq, trace in answered:
                    self.acknowledged[action_id] = (seq, trace)
                self.counts["acknowledged requests"] += 1
                if request.attempts > 1:
                    self.counts["acknowledged on a retry"] += 1
                if status == 200:
                    # Every action was stored already: the answer to an earlier attempt was lost with the server.
                    self.counts["answered as a retry (200)"] += 1
            elif status >= 500:
                self.counts["5xx answers"] += 1
                self.pending.append(request)
            else:
                self.refusals.append("%d %s" % (status, body[:300].decode(errors="replace")))

    def finished(self):
        with self.lock:
            return self.no_new.is_set() and not self.pending and self.in_flight == 0

    # A client.

    def client(self, index):
        rng = random.Random(self.args.seed * 1000 + index)
        connection, connected_to = None, None
        while not self.stop.is_set():
            if not self.server.up.wait(0.1):
                continue
            generation, port = self.server.current()
            request = self.take(rng)
            if request is None:
                if self.finished():
                    break
                time.sleep(0.01)  # another client holds the last retries
                continue
            if connection is None or connected_to != (generation, port):
                if connection is not None:
                    connection.close()
                connection = http.client.HTTPConnection(drillkit.HOST, port, timeout=self.args.request_timeout)
                connected_to = (generation, port)
            request.attempts += 1
            try:
                connection.request("POST", self.path, body=request.body,
                                   headers={"Authorization": "Bearer " + self.token,
                                            "Content-Type": "application/json"})
                response = connection.getresponse()
                status, body = response.status, response.read()
                if response.will_close:
                    connection.close()
                    connection = None
            except (OSError, http.client.HTTPException, socket.timeout):
                status, body = None, b""
                connection.close()
                connection = None
            self.done(request, status, body)
            if status is None or status >= 500:
                # The server is being killed, restarting, or dropped this connection: wait a little.
                if self.server.current()[0] == generation:
                    time.sleep(0.05)
        if connection is not None:
            connection.close()


def verify(drill, listed):
    """Checks the actions list against what was acknowledged; returns the figures and the first faults found."""
    faults = []
    seqs = [packet["fixtureAction"]["fixtureSeqNum"] for packet in listed]
    out_of_order = sum(1 for a, b in zip(seqs, seqs[1:]) if b <= a)
    counted = collections.Counter(seqs)
    repeated = sum(count - 1 for count in counted.values() if count > 1)
    top = max(seqs, default=0)
    missing = sum(1 for n in range(1, top + 1) if n not in counted)
    if missing or repeated or out_of_order or (seqs and min(seqs) != 1):
        faults.append("fixtureSeqNum: %d missing, %d repeated, %d out of order, first %s"
                      % (missing, repeated, out_of_order, seqs[0] if seqs else None))

    by_action = collections.defaultdict(list)
    for packet in listed:
        by_action[packet["fixtureAction"]["actionId"].lower()].append(
            (packet["fixtureAction"]["fixtureSeqNum"], packet["traceId"]))
    lost = [a for a in drill.acknowledged if a not in by_action]
    duplicated = [a for a, found in by_action.items() if len(found) > 1]
    unknown = [a for a in by_action if a not in drill.sent_ids]
    changed = [a for a, ack in drill.acknowledged.items()
               if len(by_action.get(a, ())) == 1 and by_action[a][0] != ack]
    unanswered_ids = [i for request in drill.unanswered for i in request.ids]
    stored_unanswered = sum(1 for i in unanswered_ids if i in by_action)
    for what, ids in (("acknowledged actions not listed (lost)", lost),
                      ("actions listed more than once", duplicated),
                      ("actions listed that the drill never sent", unknown),
                      ("acknowledged actions listed with another fixtureSeqNum or traceId", changed)):
        if ids:
            faults.append("%d %s, e.g. %s" % (len(ids), what, ", ".join(ids[:3])))
    return {
        "packets": len(listed),
        "lost": len(lost),
        "duplicated": len(duplicated),
        "gaps": missing,
        "repeatedSeqNums": repeated,
        "outOfOrder": out_of_order,
        "unknown": len(unknown),
        "changed": len(changed),
        "unansweredActions": len(unanswered_ids),
        "unansweredButStored": stored_unanswered,
    }, faults


# One log a start of the server: there are CYCLES + 1 of them.
LOGS = "server logs"


def main():
    parser = drillkit.drill_parser(__doc__, "the matchwire executable (default %(default)s; a relative path is also "
                                            "looked for under the repository root)")
    parser.add_argument("--cycles", type=int, default=20, help="kills and restarts (default %(default)s)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent ingest clients (default %(default)s)")
    parser.add_argument("--max-batch", type=int, default=5,
                        help="actions per request, 1 to this many (default %(default)s)")
    parser.add_argument("--min-up", type=float, default=0.5,
                        help="shortest time the server runs before it is killed, s (default %(default)s)")
    parser.add_argument("--max-up", type=float, default=3.0,
                        help="longest time the server runs before it is killed, s (default %(default)s)")
    parser.add_argument("--no-retry", action="store_true",
                        help="never send an unanswered request again (its actions may then be stored or not, "
                             "but at most once)")
    drillkit.add_common_options(parser, LOGS, max_seconds=900.0,
                                seed_help="seed of the timings and batches (default: random)")
    args = parser.parse_args()
    if args.cycles < 1 or args.clients < 1 or args.max_batch < 1 or not 0 < args.min_up <= args.max_up:
        parser.error("--cycles, --clients and --max-batch must be at least 1, and 0 < --min-up <= --max-up")
    return drillkit.run_drill("kill9", args, LOGS, lambda run: cycles(args, run))


def cycles(args, run):
    """The drill itself, for run_drill: returns the result, the faults and the summary."""
    # Before the folder: without a binary there is nothing to keep.
    binary = drillkit.find_binary(args.binary)
    started = time.monotonic()
    deadline = started + args.max_seconds
    workdir = run.new_folder()
    database = str(workdir / "drill.sqlite")
    token, fixture = drillkit.prepare_database(binary, database)
    process = run.new_server(binary, database, ["--rate-limit", "100000", "--rate-burst", "100000"])
    port = process.start()
    home, away = drillkit.teams(port, token, fixture)
    print("kill9: seed %d, %d cycles, %d clients, fixture %s, server %s, folder %s"
          % (args.seed, args.cycles, args.clients, fixture, binary, workdir), flush=True)

    server = Server(process)
    drill = Drill(args, server, token, fixture, home, away)
    opening = Request(drillkit.opening())
    drill.sent_ids.update(opening.ids)
    drill.counts["requests"] += 1
    opening.attempts = 1
    status, body = drillkit.request(port, "POST", drill.path, token, body=opening.body, accept=None)
    if status != 201:
        raise DrillError("Start Fixture and Start Period: %d %s" % (status, body[:300]))
    drill.in_flight += 1
    drill.done(opening, status, body)

    server.started(port)
    clients = [threading.Thread(target=drill.client, args=(i,), daemon=True) for i in range(args.clients)]
    for thread in clients:
        thread.start()
    rng = random.Random(args.seed)
    for cycle in range(1, args.cycles + 1):
        time.sleep(rng.uniform(args.min_up, args.max_up))
        server.up.clear()
        process.kill9()
        if time.monotonic() > deadline:
            raise DrillError("out of time after %d cycles (--max-seconds %.0f)" % (cycle, args.max_seconds))
        server.started(process.restart())
        with drill.lock:
            print("cycle %d/%d: %d actions acknowledged, %d requests to send again"
                  % (cycle, args.cycles, len(drill.acknowledged), len(drill.pending)), flush=True)

    # No new requests; what is left unanswered is sent again to the server as it now runs.
    drill.no_new.set()
    for thread in clients:
        thread.join(max(1.0, deadline - time.monotonic()))
    if any(thread.is_alive() for thread in clients):
        drill.stop.set()
        raise DrillError("the clients did not finish their retries in time")

    status, body = drillkit.request(server.current()[1], "GET", drillkit.actions_path(fixture), token,
                                    timeout=300)
    if status != 200:
        raise DrillError("GET actions list: %d %s" % (status, body[:300]))
    figures, faults = verify(drill, json.loads(body))
    stop_status = process.terminate()
    if stop_status != 0:
        faults.append("the server did not stop cleanly on SIGTERM (status %s)" % stop_status)
    if drill.refusals:
        faults.append("%d requests refused, e.g. %s" % (len(drill.refusals), drill.refusals[0]))
    if drill.bad_answers:
        faults.append("%d answers not the request's packets, e.g. %s"
                      % (len(drill.bad_answers), drill.bad_answers[0]))
    unresolved = len(drill.pending)
    if unresolved:
        faults.append("%d requests never answered" % unresolved)

    seconds = time.monotonic() - started
    result = {
        "drill": "kill9", "seed": args.seed, "cycles": args.cycles, "clients": args.clients,
        "retry": not args.no_retry, "requests": drill.counts["requests"],
        "acknowledgedActions": len(drill.acknowledged),
        "acknowledgedOnRetry": drill.counts["acknowledged on a retry"],
        "answeredAsRetry": drill.counts["answered as a retry (200)"],
        "unansweredAttempts": drill.counts["unanswered attempts"],
        "serverErrors": drill.counts["5xx answers"], "refused": len(drill.refusals),
        "badAnswers": len(drill.bad_answers), "unresolved": unresolved,
        **figures, "serverStopStatus": stop_status, "seconds": round(seconds, 1), "ok": not faults,
    }
    summary = ("%d cycles, %d actions acknowledged (%d requests, %d on a retry, %d answered 200 as retries), "
               "%d packets listed; lost %d, duplicated %d, gaps %d; %.1f s"
               % (args.cycles, len(drill.acknowledged), drill.counts["requests"],
                  drill.counts["acknowledged on a retry"], drill.counts["answered as a retry (200)"],
                  figures["packets"], figures["lost"], figures["duplicated"], figures["gaps"], seconds))
    return result, faults, summary


if __name__ == "__main__":
    sys.exit(main())
