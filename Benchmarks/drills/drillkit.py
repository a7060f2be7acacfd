"""What the Matchwire drills (kill9.py, reconnect.py) share: their command line and report, the `matchwire` binary
and its commands, a server process on 127.0.0.1, plain HTTP requests, and table tennis actions that never end a game.

Standard library only. Everything talks to 127.0.0.1 and nothing else.
"""
import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_BINARY = ".build/release/matchwire"
HOST = "127.0.0.1"
# The start-up line of `matchwire serve` (Sources/matchwire/Serve.swift):
#   ... matchwire listening on http://127.0.0.1:8080 store=sqlite ./matchwire.sqlite heartbeat-interval=10.0s ...
LISTENING = re.compile(r"matchwire listening on http://[^\s:]+:(\d+)")
JSON_TYPES = "application/vnd.imggaming.dde.api+json;version=1"
SPORT = "v2/tabletennis"

# Table tennis action types (docs/sports.md).
START_FIXTURE = 4
START_PERIOD = 6
POINT_STARTED = 1101  # team: the server
POINT_SCORED = 1102  # team: the winner of the point
LET = 1104  # no team


class DrillError(Exception):
    """The drill could not be set up or run (not a broken promise): exit status 2."""


def drill_parser(doc, binary_help):
    """The command line of a drill: the first paragraph of its docstring as the description, the rest (what it
    checks, exit statuses, examples) as the epilog, kept as written, and the optional binary first."""
    parser = argparse.ArgumentParser(
        description=doc.split("\n\n")[0],
        epilog=doc.split("\n\n", 1)[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binary", nargs="?", default=DEFAULT_BINARY, help=binary_help)
    return parser


def add_common_options(parser, logs, seed_help, max_seconds, max_seconds_help=None):
    """The options every drill has, last in its --help. `logs` names the server logs it keeps ("server log" for
    one start, "server logs" for many), as run_drill says it on exit."""
    parser.add_argument("--request-timeout", type=float, default=30.0,
                        help="seconds to wait for an ingest answer (default %(default)s)")
    parser.add_argument("--max-seconds", type=float, default=max_seconds,
                        help=max_seconds_help or "give up (exit status 2) after this long (default %(default)s)")
    parser.add_argument("--seed", type=int, default=None, help=seed_help)
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary folder (database, %s); it is kept anyway on failure" % logs)
    parser.add_argument("--json", metavar="PATH", help="also write the JSON result to this file")


class DrillRun:
    """What run_drill cleans up after a drill's body, however it ends: the temporary folder and the server, once
    the body has made them (a drill attached to a running server makes neither)."""

    def __init__(self, name):
        self.name = name
        self.workdir = None
        self.server = None

    def new_folder(self):
        """A new temporary folder for the database and the server logs."""
        self.workdir = Path(tempfile.mkdtemp(prefix="matchwire-%s-" % self.name))
        return self.workdir

    def new_server(self, binary, database, options=()):
        """A Server with its logs in the folder; it is killed at the end even when the body never stops it."""
        self.server = Server(binary, database, self.workdir, options)
        return self.server


def run_drill(name, args, logs, body):
    """Runs body(DrillRun), which returns (result, faults, summary), and reports: a FAULT line a fault, the summary
    line ("NAME passed: SUMMARY" or "NAME FAILED: SUMMARY"), the result as one JSON line (and to --json). Returns
    the exit status: 0 when result["ok"], 1 when not, 2 when the drill could not run or was interrupted. The
    folder is removed only after a pass without --keep: after anything else its database and logs are the
    evidence."""
    if args.seed is None:
        # Random, but in the start line and the JSON: a failing seed can be run again.
        args.seed = random.randrange(1 << 31)
    run = DrillRun(name)
    ok = False
    try:
        result, faults, summary = body(run)
        ok = result["ok"]
        for fault in faults:
            print("FAULT: " + fault, flush=True)
        print("%s %s: %s" % (name, "passed" if ok else "FAILED", summary), flush=True)
        print(json.dumps(result), flush=True)
        if args.json:
            Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
        return 0 if ok else 1
    except DrillError as error:
        print("%s: could not run: %s" % (name, error), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("%s: interrupted" % name, file=sys.stderr)
        return 2
    finally:
        if run.server is not None:
            run.server.kill9()
        if run.workdir is not None:
            if ok and not args.keep:
                shutil.rmtree(run.workdir, ignore_errors=True)
            else:
                print("%s: database and %s kept in %s" % (name, logs, run.workdir), file=sys.stderr)


def find_binary(path):
    """The `matchwire` executable: `path` as given, else relative to the repository root."""
    candidates = [Path(path)]
    if not Path(path).is_absolute():
        candidates.append(REPO / path)
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate.resolve())
    raise DrillError(
        "no matchwire executable at %s; build one with `swift build -c release --product matchwire` "
        "or pass its path" % " or ".join(str(c) for c in candidates))


def run_cli(binary, arguments, timeout=60):
    """Runs a `matchwire` command to its end and returns the last line of its output."""
    try:
        done = subprocess.run([binary] + arguments, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        raise DrillError("matchwire %s did not finish in %d s" % (" ".join(arguments), timeout))
    if done.returncode != 0:
        raise DrillError("matchwire %s failed (%d): %s" % (" ".join(arguments), done.returncode,
                                                            (done.stderr or done.stdout).strip()))
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    if not lines:
        raise DrillError("matchwire %s printed nothing" % " ".join(arguments))
    return lines[-1].strip()


def prepare_database(binary, database):
    """A new database with an admin token and a table tennis fixture, made with the command line."""
    token = run_cli(binary, ["token", "create", "--name", "drill", "--role", "admin", "--database", database])
    fixture = run_cli(binary, [
        "fixture", "create", "--sport", "tabletennis", "--home", "A", "--away", "B",
        "--start", "2025-05-20T08:30:00", "--database", database])
    uuid.UUID(fixture)  # the last line is the id
    return token, fixture


class Server:
    """`matchwire serve` on 127.0.0.1, its output in a log file of its own per start."""

    def __init__(self, binary, database, workdir, options=()):
        self.binary = binary
        self.database = database
        self.workdir = Path(workdir)
        self.options = list(options)
        self.process = None
        self.port = None
        self.starts = 0
        self.log_path = None

    def start(self, port=0, timeout=60.0):
        """Starts the server and waits for its start-up line; returns the port it listens on."""
        self.starts += 1
        self.log_path = self.workdir / ("serve-%03d.log" % self.starts)
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [self.binary, "serve", "--host", HOST, "--port", str(port), "--database", self.database]
                + self.options,
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)  # a ^C of the drill reaches the drill only; it stops the server itself
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = LISTENING.search(self.log_path.read_text(errors="replace"))
            if match:
                self.port = int(match.group(1))
                return self.port
            if self.process.poll() is not None:
                raise DrillError("the server stopped (status %s) before it listened:\n%s"
                                 % (self.process.returncode, self.log_tail()))
            time.sleep(0.02)
        self.kill9()
        raise DrillError("the server did not print its start-up line within %.0f s:\n%s" % (timeout, self.log_tail()))

    def restart(self, timeout=60.0):
        """Starts again on the same port when it can be had again, else on a free one."""
        for attempt in range(5):
            try:
                return self.start(self.port or 0, timeout)
            except DrillError:
                if attempt == 4:
                    break
                time.sleep(0.2)
        return self.start(0, timeout)

    @property
    def running(self):
        return self.process is not None and self.process.poll() is None

    def kill9(self):
        """SIGKILL, then waits for the exit."""
        if self.running:
            os.kill(self.process.pid, signal.SIGKILL)
        if self.process is not None:
            self.process.wait()

    def terminate(self, timeout=30.0):
        """SIGTERM and waits for the exit; returns the exit status, or None when it had to be killed."""
        if not self.running:
            return self.process.returncode if self.process else None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill9()
            return None

    def log_tail(self, lines=20):
        if self.log_path is None or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def local_server(url):
    """The port of a --server URL, which must be plain http on this machine."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "http" or parts.hostname not in ("127.0.0.1", "localhost"):
        raise DrillError("--server must be http://127.0.0.1:PORT (the drills talk to this machine only)")
    return parts.port or 80


def request(port, method, path, token, body=None, accept=JSON_TYPES, timeout=30.0):
    """One HTTP request on a connection of its own; returns (status, body bytes)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        headers = {"Authorization": "Bearer " + token}
        if accept:
            headers["Accept"] = accept
        if body is not None:
            headers["Content-Type"] = "application/json"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def teams(port, token, fixture):
    """The home and away team ids of a table tennis fixture, from the fixture object."""
    status, body = request(port, "GET", "/%s/fixtures/%s" % (SPORT, fixture), token)
    if status != 200:
        raise DrillError("GET fixture %s: %d %s" % (fixture, status, body[:300]))
    listed = json.loads(body)["teams"]
    home = next(team["id"] for team in listed if team.get("homeTeam"))
    away = next(team["id"] for team in listed if not team.get("homeTeam"))
    return home, away


def create_fixture(port, token):
    """A new table tennis fixture made with the admin API (an admin token); returns its id."""
    body = json.dumps({"sport": "tabletennis", "startDateUTC": "2025-05-20T08:30:00", "type": "Simulation",
                       "teams": [{"name": "A"}, {"name": "B"}]}).encode()
    status, answer = request(port, "POST", "/admin/fixtures", token, body=body)
    if status != 201:
        raise DrillError("POST /admin/fixtures: %d %s" % (status, answer[:300]))
    return json.loads(answer)["id"]


def ingest_path(fixture):
    return "/ingest/%s/fixtures/%s/actions" % (SPORT, fixture)


def actions_path(fixture):
    return "/%s/fixtures/%s/actions" % (SPORT, fixture)


def action(type_id, team=None):
    """An action in the ingest format with a fresh actionId (random, whatever the drill's seed: a second run
    against the same fixture must not send the ids of the first)."""
    submitted = {"actionId": str(uuid.uuid4()), "fixtureActionTypeId": type_id}
    if team is not None:
        submitted["team"] = {"id": team}
    return submitted


def opening():
    """Start Fixture and Start Period: what makes points possible."""
    return [action(START_FIXTURE), action(START_PERIOD)]


def level_batch(rng, size, home, away):
    """`size` play actions that leave the game's score level: points come in pairs, one to each side in one array
    (which is stored all or nothing), and singles are Point Started or Let. Within an array a side leads by one
    point at most, so no game is ever won, whatever the order in which concurrent arrays are stored: the
    first game goes to deuce and stays there, and the fixture stays live for as long as a drill likes."""
    batch = []
    while len(batch) < size:
        if size - len(batch) >= 2 and rng.random() < 0.7:
            first = rng.choice((home, away))
            batch += [action(POINT_SCORED, first), action(POINT_SCORED, away if first == home else home)]
        elif rng.random() < 0.5:
            batch.append(action(POINT_STARTED, rng.choice((home, away))))
        else:
            batch.append(action(LET))
    return batch


def answered_packets(body):
    """The packets of an ingest answer (one packet, or an array of them for an array body)."""
    answer = json.loads(body)
    return answer if isinstance(answer, list) else [answer]
