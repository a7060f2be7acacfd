#!/usr/bin/env python3
"""The reconnect drill: subscribers that drop their stream at random and resume with startPosition get every
packet exactly once, in order, and are never closed by the server for its own fault.

Starts `matchwire serve --port 0` on a new database in a temporary folder (or attaches to a running server with
--server and --token), and for DURATION seconds:
  - one ingest client posts arrays of 1-10 actions to one table tennis fixture, each as soon as the one before
    it is answered (or at most --rate actions a second);
  - SUBSCRIBERS websocket clients follow the fixture's betting stream
    (ws://127.0.0.1:PORT/v2/tabletennis/fixtures/ID/actions, first message {"authToken": TOKEN}); each one drops
    its connection after a random 50-500 ms (half the time with a close handshake, half the time by closing the
    socket) and connects again with ?startPosition=LAST, the last fixtureSeqNum it received;
  - POLLERS REST clients (--pollers, 4) read the fixture's whole actions list
    (GET /v2/tabletennis/fixtures/ID/actions), one read after another. A list read is a long SQLite statement
    that runs beside the streams' short reads: on a server whose streams and REST reads shared one reader
    connection the two overlapped, and its streams skipped packets or were closed with 1011. A read answered
    5xx, or lost to a dropped connection or a timeout, is a violation.
Every packet received must carry fixtureSeqNum LAST+1: anything else is a gap or a duplicate. A close code the
subscriber did not cause (1011, 1001, 1008, an unexpected 1000, a connection dropped without a close frame) is
a violation; 1013 (the subscriber fell a whole queue behind: docs/streams.md) is counted and resumed from like any
other drop, and is a violation only with --fail-on-1013. Then the ingest stops, every subscriber reads on until
it has the last acknowledged number, and the actions list read over REST must hold exactly that many packets,
numbered 1..n, each the one the ingest was answered with.

It prints a summary line, then the result as one JSON line. Exit status: 0 when every check holds, 1 when one
does not, 2 when the drill could not run. Seeded (--seed): the hold times, the ways of dropping and the batch sizes
are the same for a seed; the server's timing is not.

Against a running server (--server), the token must be an admin token (the drill creates its fixture with
POST /admin/fixtures), and every stream connect and every actions list read counts against the token's rate
limit: about SUBSCRIBERS x 4 connects a second plus the pollers' reads, so that server needs a high --rate-limit
and --rate-burst (a 429 stops the drill; the drill's own server is started with 100000 of each, and heartbeats
every 0.25 s so that they interleave with the packets).

Examples:
  Benchmarks/drills/reconnect.py                               # .build/release/matchwire, 50 subscribers, 30 s
  Benchmarks/drills/reconnect.py --subscribers 200 --duration 60 --seed 7
  Benchmarks/drills/reconnect.py --pollers 0                   # the streams only, no REST list reads
  Benchmarks/drills/reconnect.py --server http://127.0.0.1:8080 --token mw_...
"""
import asyncio
import base64
import collections
import hashlib
import json
import os
import random
import re
import shlex
import struct
import sys
import time

import drillkit
from drillkit import DrillError

WEBSOCKET_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
SEQ = re.compile(rb'"fixtureSeqNum":(\d+)')
TRACE = re.compile(rb'^\{"traceId":"([0-9a-f]+)"')
MAX_MESSAGE = 16 << 20
OUR_CLOSE = 1000


# ---------------------------------------------------------------------------------------------------------------
# A minimal RFC 6455 client: the upgrade, masked client frames, server frames read (text, binary, continuation,
# ping, pong, close), pings answered.

class HandshakeRefused(Exception):
    def __init__(self, status, body):
        super().__init__("upgrade refused: %s %s" % (status, body[:300]))
        self.status = status
        self.body = body


class ProtocolFault(Exception):
    """The server broke the websocket framing."""


if hasattr(asyncio, "timeout"):  # Python 3.11+: no task per read
    async def within(seconds, awaitable):
        async with asyncio.timeout(seconds):
            return await awaitable
else:
    def within(seconds, awaitable):
        return asyncio.wait_for(awaitable, seconds)


def mask(key, data):
    if not data:
        return b""
    n = len(data)
    repeated = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "big") ^ int.from_bytes(repeated, "big")).to_bytes(n, "big")


def client_frame(opcode, payload, fin=True):
    """A masked client frame (RFC 6455 5.2, 5.3)."""
    head = bytearray([(0x80 if fin else 0) | opcode])
    n = len(payload)
    if n < 126:
        head.append(0x80 | n)
    elif n < 1 << 16:
        head.append(0x80 | 126)
        head += struct.pack("!H", n)
    else:
        head.append(0x80 | 127)
        head += struct.pack("!Q", n)
    key = os.urandom(4)
    return bytes(head) + key + mask(key, payload)


class WebSocket:
    TEXT, BINARY, CLOSE, PING, PONG = 1, 2, 8, 9, 10

    def __init__(self, reader, writer):
        self.reader = reader
        self.writer = writer
        self.buffer = bytearray()
        self.fragments = None
        self.fragment_opcode = None

    @classmethod
    async def connect(cls, port, path, timeout=10.0, headers=()):
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(drillkit.HOST, port, limit=1 << 20), timeout)
        try:
            key = base64.b64encode(os.urandom(16))
            lines = ["GET %s HTTP/1.1" % path, "Host: %s:%d" % (drillkit.HOST, port), "Upgrade: websocket",
                     "Connection: Upgrade", "Sec-WebSocket-Key: " + key.decode(), "Sec-WebSocket-Version: 13",
                     "Accept: application/json"] + list(headers)
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
            status_line, *header_lines = head.decode("latin-1").split("\r\n")
            fields = {}
            for line in header_lines:
                if ":" in line:
                    name, value = line.split(":", 1)
                    fields[name.strip().lower()] = value.strip()
            parts = status_line.split(" ", 2)
            status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
            if status != 101:
                body = b""
                length = int(fields.get("content-length", "0") or 0)
                if length:
                    try:
                        body = await asyncio.wait_for(reader.readexactly(min(length, 1 << 16)), timeout)
                    except (asyncio.IncompleteReadError, asyncio.TimeoutError):
                        pass
                raise HandshakeRefused(status_line, body)
            expected = base64.b64encode(hashlib.sha1(key + WEBSOCKET_GUID).digest()).decode()
            if fields.get("sec-websocket-accept") != expected or fields.get("upgrade", "").lower() != "websocket":
                raise ProtocolFault("bad upgrade answer: %r" % head[:300])
        except BaseException:
            writer.transport.abort()
            raise
        return cls(reader, writer)

    def send_text(self, text):
        self.writer.write(client_frame(self.TEXT, text.encode()))

    def send_close(self, code, reason=b""):
        self.writer.write(client_frame(self.CLOSE, struct.pack("!H", code) + reason))

    def send_pong(self, payload):
        self.writer.write(client_frame(self.PONG, payload))

    async def receive(self, timeout):
        """The complete messages and control frames in the next chunk read, as (opcode, payload).
        asyncio.TimeoutError when nothing arrives in time; EOFError when the server closed the connection."""
        chunk = await within(timeout, self.reader.read(1 << 16))
        if not chunk:
            raise EOFError("connection closed by the server")
        self.buffer += chunk
        return self._parse()

    def _parse(self):
        buf = self.buffer
        n = len(buf)
        pos = 0
        out = []
        while n - pos >= 2:
            b0, b1 = buf[pos], buf[pos + 1]
            length = b1 & 0x7F
            head = 2
            if length == 126:
                if n - pos < 4:
                    break
                length = (buf[pos + 2] << 8) | buf[pos + 3]
                head = 4
            elif length == 127:
                if n - pos < 10:
                    break
                length = int.from_bytes(buf[pos + 2:pos + 10], "big")
                head = 10
            if b1 & 0x80:
                raise ProtocolFault("the server sent a masked frame")
            if b0 & 0x70:
                raise ProtocolFault("reserved bits set (no extension was negotiated)")
            if length > MAX_MESSAGE:
                raise ProtocolFault("frame of %d bytes" % length)
            end = pos + head + length
            if end > n:
                break
            payload = bytes(buf[pos + head:end])
            pos = end
            fin, opcode = b0 & 0x80, b0 & 0x0F
            if opcode >= 8:
                if not fin or length > 125:
                    raise ProtocolFault("fragmented or long control frame")
                if opcode not in (self.CLOSE, self.PING, self.PONG):
                    raise ProtocolFault("unknown control opcode %d" % opcode)
                out.append((opcode, payload))
            elif opcode == 0:
                if self.fragments is None:
                    raise ProtocolFault("continuation frame with nothing to continue")
                self.fragments.append(payload)
                if fin:
                    out.append((self.fragment_opcode, b"".join(self.fragments)))
                    self.fragments = None
            elif opcode in (self.TEXT, self.BINARY):
                if self.fragments is not None:
                    raise ProtocolFault("new message inside a fragmented one")
                if fin:
                    out.append((opcode, payload))
                else:
                    self.fragments, self.fragment_opcode = [payload], opcode
            else:
                raise ProtocolFault("unknown data opcode %d" % opcode)
        del buf[:pos]
        return out

    def abort(self):
        """Drops the connection without a close handshake."""
        self.writer.transport.abort()

    async def close(self):
        self.writer.close()
        try:
            await asyncio.wait_for(self.writer.wait_closed(), 1.0)
        except (OSError, asyncio.TimeoutError):
            pass


def close_code(payload):
    """The status code of a close frame's payload: 1005 when it has none (RFC 6455 7.1.5)."""
    return struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005


# ---------------------------------------------------------------------------------------------------------------
# A keep-alive HTTP/1.1 client on asyncio, for the ingest.

class HttpClient:
    def __init__(self, port, timeout):
        self.port = port
        self.timeout = timeout
        self.reader = self.writer = None

    async def request(self, method, path, headers, body=b""):
        try:
            return await asyncio.wait_for(self._request(method, path, headers, body), self.timeout)
        except BaseException:
            self.drop()
            raise

    async def _request(self, method, path, headers, body):
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(drillkit.HOST, self.port, limit=1 << 20)
        lines = ["%s %s HTTP/1.1" % (method, path), "Host: %s:%d" % (drillkit.HOST, self.port),
                 "Content-Length: %d" % len(body)] + ["%s: %s" % item for item in headers.items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        fields = {}
        for line in header_lines:
            if ":" in line:
                name, value = line.split(":", 1)
                fields[name.strip().lower()] = value.strip()
        if fields.get("transfer-encoding", "").lower() == "chunked":
            answer = bytearray()
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    while (await self.reader.readuntil(b"\r\n")) != b"\r\n":
                        pass
                    break
                answer += await self.reader.readexactly(size)
                await self.reader.readexactly(2)
            answer = bytes(answer)
        elif "content-length" in fields:
            answer = await self.reader.readexactly(int(fields["content-length"]))
        else:
            answer = await self.reader.read()
            fields["connection"] = "close"
        if fields.get("connection", "").lower() == "close":
            self.drop()
        return status, answer

    def drop(self):
        if self.writer is not None:
            self.writer.transport.abort()
        self.reader = self.writer = None


# ---------------------------------------------------------------------------------------------------------------
# The drill.

class State:
    """What the ingest and the subscribers share (one event loop: no locks)."""

    def __init__(self):
        self.acknowledged = {}  # fixtureSeqNum -> traceId, from the ingest answers
        self.last_acknowledged = 0
        self.ingest_requests = 0
        self.final = None  # set when the ingest has stopped: the number every subscriber must reach
        self.seen = {}  # fixtureSeqNum -> traceId, as first received by any subscriber
        self.mismatches = 0
        self.poller_reads = 0  # actions lists read whole, answered 200
        self.poller_errors = 0  # reads answered 5xx or lost to a connection error or timeout
        self.faults = []
        self.fault_count = 0

    def fault(self, text):
        self.fault_count += 1
        if len(self.faults) < 20:
            self.faults.append(text)


class Subscriber:
    def __init__(self, index, args, state, port, path, token):
        self.index = index
        self.args = args
        self.state = state
        self.port = port
        self.path = path
        self.auth = json.dumps({"authToken": token})
        self.rng = random.Random("%d/%d" % (args.seed, index))
        self.last = 0
        self.start_position = 0
        self.received = 0
        self.connections = 0
        self.handshake_closes = 0  # ours, answered
        self.dropped = 0  # ours, without a close handshake
        self.gaps = 0
        self.missing = 0
        self.duplicates = 0
        self.heartbeats = 0
        self.closes_1013 = 0
        self.unexpected = collections.Counter()  # close code (1006: dropped without a close frame) -> count
        self.auth_errors = collections.Counter()
        self.connect_failures = 0
        self.caught_up = False

    def fault(self, text):
        self.state.fault("subscriber %d, connection %d (from %d): %s"
                         % (self.index, self.connections, self.start_position, text))

    async def run(self, catch_up_by):
        loop = asyncio.get_running_loop()
        failures = 0
        while True:
            if self.state.final is not None and self.last >= self.state.final:
                self.caught_up = True
                return
            if self.state.final is not None and loop.time() > catch_up_by:
                self.fault("did not catch up: last %d of %d" % (self.last, self.state.final))
                return
            if await self.session():
                failures = 0
            else:
                failures += 1
                await asyncio.sleep(min(2.0, 0.05 * 2 ** min(failures, 6)))

    async def session(self):
        """One connection, from LAST on. Returns False when it could not connect."""
        loop = asyncio.get_running_loop()
        self.start_position = self.last
        self.connections += 1
        try:
            ws = await WebSocket.connect(self.port, "%s?startPosition=%d" % (self.path, self.last))
        except HandshakeRefused as refused:
            self.fault(str(refused))
            return False
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                ProtocolFault) as error:
            self.connect_failures += 1
            self.fault("could not connect: %r" % error)
            return False
        ws.send_text(self.auth)
        hold = self.rng.uniform(self.args.min_hold, self.args.max_hold)
        drop_at = loop.time() + hold
        handshake = self.rng.random() < self.args.close_ratio
        authorised = False
        closing_since = None  # when we sent our close frame
        last_frame = loop.time()
        try:
            while True:
                now = loop.time()
                final = self.state.final
                if closing_since is None:
                    if final is not None and self.last >= final:
                        ws.send_close(OUR_CLOSE, b"caught up")
                        closing_since = now
                    elif final is None and now >= drop_at:
                        if not handshake:
                            self.dropped += 1
                            ws.abort()
                            return True
                        ws.send_close(OUR_CLOSE, b"drill")
                        closing_since = now
                if closing_since is not None:
                    wait = closing_since + self.args.close_wait - now
                    if wait <= 0:
                        self.fault("no close frame in answer to ours within %.0f s" % self.args.close_wait)
                        ws.abort()
                        return True
                elif final is None:
                    wait = max(0.001, drop_at - now)
                else:
                    wait = 0.25  # catching up: look at `final` again now and then
                wait = min(wait, self.args.stall_timeout - (now - last_frame))
                if wait <= 0:
                    self.fault("nothing received for %.0f s (last %d)" % (self.args.stall_timeout, self.last))
                    ws.abort()
                    return True
                try:
                    messages = await ws.receive(wait)
                except asyncio.TimeoutError:
                    continue
                except (EOFError, OSError) as error:
                    # Dropped by the server without a close frame (what the client sees of a crash, or of a close
                    # frame that never came).
                    self.unexpected[1006] += 1
                    self.fault("connection lost without a close frame%s: %r"
                               % (" after our close" if closing_since else "", error))
                    ws.abort()
                    return True
                last_frame = loop.time()
                for opcode, payload in messages:
                    if opcode == WebSocket.TEXT:
                        authorised = self.text(payload, authorised)
                    elif opcode == WebSocket.PING:
                        ws.send_pong(payload)
                    elif opcode == WebSocket.CLOSE:
                        code = close_code(payload)
                        if closing_since is not None and code == OUR_CLOSE:
                            self.handshake_closes += 1
                        elif code == 1013:
                            self.closes_1013 += 1
                        else:
                            self.unexpected[code] += 1
                            self.fault("closed by the server with %d %r" % (code, payload[2:80]))
                        if closing_since is None:
                            ws.send_close(code if code not in (1005, 1006, 1015) else 1000)
                        await ws.close()
                        return True
                    elif opcode == WebSocket.BINARY:
                        self.fault("binary message of %d bytes" % len(payload))
        except ProtocolFault as fault:
            self.fault("websocket framing: %s" % fault)
            self.unexpected["protocol"] += 1
            ws.abort()
            return True

    def text(self, payload, authorised):
        """Checks one text message; returns whether the stream is now authorised."""
        if payload.startswith(b'{"traceId"'):
            if not authorised:
                self.fault("a packet before 'Authorisation accepted'")
            seq_match, trace_match = SEQ.search(payload), TRACE.match(payload)
            if not seq_match or not trace_match:
                self.fault("unreadable packet %r" % payload[:120])
                return authorised
            seq, trace = int(seq_match.group(1)), trace_match.group(1).decode()
            if seq == self.last + 1:
                self.received += 1
                self.last = seq
            elif seq <= self.last:
                self.duplicates += 1
                self.fault("fixtureSeqNum %d after %d (duplicate)" % (seq, self.last))
                return authorised
            else:
                self.gaps += 1
                self.missing += seq - self.last - 1
                self.fault("fixtureSeqNum %d after %d (gap)" % (seq, self.last))
                self.received += 1
                self.last = seq
            first = self.state.seen.setdefault(seq, trace)
            if first != trace:
                self.state.mismatches += 1
                self.fault("fixtureSeqNum %d has traceId %s here, %s elsewhere" % (seq, trace, first))
            return authorised
        try:
            message = json.loads(payload)
            level, text = message["level"], message["message"]
        except (ValueError, KeyError, TypeError):
            self.fault("unexpected text %r" % payload[:120])
            return authorised
        if level == "INFO" and text == "Authorisation accepted":
            if authorised:
                self.fault("a second 'Authorisation accepted'")
            return True
        if level == "INFO" and text.startswith("Heartbeat sent at "):
            if not authorised:
                self.fault("a heartbeat before 'Authorisation accepted'")
            self.heartbeats += 1
            return authorised
        if level == "ERROR":
            self.auth_errors[text] += 1
            hint = (" (start the server with a higher --rate-limit and --rate-burst)"
                    if text.startswith("Rate limit") else "")
            self.fault("ERROR %r%s" % (text, hint))
            return authorised
        self.fault("unexpected control message %r" % payload[:120])
        return authorised


async def ingest(args, state, port, path, token, home, away, stop_at):
    """One client posting level arrays back to back (or paced to --rate actions a second) until `stop_at`."""
    loop = asyncio.get_running_loop()
    rng = random.Random("%d/ingest" % args.seed)
    client = HttpClient(port, args.request_timeout)
    headers = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
    sent = 0
    started = loop.time()
    batches = [drillkit.opening()]
    try:
        while True:
            if batches:
                batch = batches.pop()
            else:
                if loop.time() >= stop_at:
                    break
                batch = drillkit.level_batch(rng, rng.randint(1, args.max_batch), home, away)
            if args.rate:
                delay = started + sent / args.rate - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
            body = json.dumps(batch).encode()
            for attempt in range(1, 11):
                try:
                    status, answer = await client.request("POST", drillkit.ingest_path(args.fixture), headers, body)
                except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                        ValueError, IndexError) as error:
                    status, answer = None, repr(error).encode()
                if status in (200, 201):
                    break
                if status is not None and status < 500:
                    raise DrillError("ingest refused: %d %s" % (status, answer[:300]))
                await asyncio.sleep(0.1 * attempt)  # no answer: the same body again (a retry by actionId)
            else:
                raise DrillError("ingest got no answer in 10 attempts: %s" % answer[:300])
            state.ingest_requests += 1
            sent += len(batch)
            for packet in drillkit.answered_packets(answer):
                seq = packet["fixtureAction"]["fixtureSeqNum"]
                state.acknowledged[seq] = packet["traceId"]
                state.last_acknowledged = max(state.last_acknowledged, seq)
    finally:
        client.drop()
        state.final = state.last_acknowledged


async def poller(index, args, state, port, path, token, stop_at):
    """Reads the fixture's whole actions list over REST, one read after another, until the ingest stops. A list
    read is a long SQLite statement; run beside the streams' short reads it is what exposed a server whose streams
    and REST reads shared one reader connection (streams skipping packets, or closed with 1011). An answer 5xx,
    a lost connection or a timeout is a fault; any other answer but 200 means the drill cannot run (a 429: the
    server's rate limit is too low)."""
    loop = asyncio.get_running_loop()
    client = HttpClient(port, args.request_timeout)
    headers = {"Authorization": "Bearer " + token, "Accept": "application/json"}
    try:
        while state.final is None and loop.time() < stop_at:
            try:
                status, answer = await client.request("GET", path, headers)
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                    ValueError, IndexError) as error:
                state.poller_errors += 1
                state.fault("poller %d: actions list read failed: %r" % (index, error))
                await asyncio.sleep(0.1)
                continue
            if status == 200:
                state.poller_reads += 1
            elif status >= 500:
                state.poller_errors += 1
                state.fault("poller %d: actions list read answered %d %r" % (index, status, answer[:200]))
                await asyncio.sleep(0.1)
            else:
                hint = (" (start the server with a higher --rate-limit and --rate-burst)" if status == 429 else "")
                raise DrillError("poller %d: GET actions list: %d %s%s" % (index, status, answer[:300], hint))
    finally:
        client.drop()


async def drill(args, port, token):
    state = State()
    loop = asyncio.get_running_loop()
    home, away = await loop.run_in_executor(None, drillkit.teams, port, token, args.fixture)
    path = drillkit.actions_path(args.fixture)
    subscribers = [Subscriber(i, args, state, port, path, token) for i in range(args.subscribers)]
    stop_at = loop.time() + args.duration
    catch_up_by = stop_at + args.catch_up
    tasks = [asyncio.ensure_future(s.run(catch_up_by)) for s in subscribers]
    # The ingest and the pollers: the pollers stop when the ingest does; the first of them to raise stops all.
    workers = [asyncio.ensure_future(ingest(args, state, port, path, token, home, away, stop_at))]
    workers += [asyncio.ensure_future(poller(i, args, state, port, path, token, stop_at))
                for i in range(args.pollers)]
    try:
        done, _ = await asyncio.wait(workers, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            if task.exception() is not None:
                raise task.exception()
    except BaseException:
        for task in tasks + workers:
            task.cancel()
        raise
    done, pending = await asyncio.wait(tasks, timeout=args.catch_up + 2 * args.stall_timeout + 10)
    for task in pending:
        task.cancel()
    if pending:
        state.fault("%d subscribers still running after the catch-up time" % len(pending))
    for task in done:
        if task.exception() is not None:
            state.fault("a subscriber failed: %r" % task.exception())

    # The actions list: exactly the numbers acknowledged, each the packet the ingest was answered with.
    status, body = await loop.run_in_executor(
        None, lambda: drillkit.request(port, "GET", path, token, timeout=300))
    if status != 200:
        raise DrillError("GET actions list: %d %s" % (status, body[:300]))
    listed = json.loads(body)
    seqs = [p["fixtureAction"]["fixtureSeqNum"] for p in listed]
    if seqs != list(range(1, state.final + 1)):
        state.fault("the actions list holds %d packets, not 1..%d in order" % (len(seqs), state.final))
    wrong = sum(1 for p in listed if state.acknowledged.get(p["fixtureAction"]["fixtureSeqNum"]) != p["traceId"])
    if wrong:
        state.fault("%d listed packets are not the ones the ingest was answered with" % wrong)
    wrong_seen = sum(1 for seq, trace in state.seen.items() if state.acknowledged.get(seq, trace) != trace)
    if wrong_seen:
        state.mismatches += wrong_seen
        state.fault("%d streamed packets are not the ones the ingest was answered with" % wrong_seen)
    return state, subscribers


async def bounded(coroutine, seconds):
    try:
        return await asyncio.wait_for(coroutine, seconds)
    except asyncio.TimeoutError:
        raise DrillError("out of time after %.0f s (--max-seconds)" % seconds)


# The drill's own server starts once: one log.
LOGS = "server log"


def main():
    parser = drillkit.drill_parser(__doc__, "the matchwire executable to start (default %(default)s; a relative "
                                            "path is also looked for under the repository root); not used with "
                                            "--server")
    parser.add_argument("--server", metavar="URL",
                        help="attach to this running server (http://127.0.0.1:PORT); it needs a high "
                             "--rate-limit and --rate-burst (stream connects and the pollers' reads count)")
    parser.add_argument("--token", help="an admin token of --server")
    parser.add_argument("--subscribers", type=int, default=50, help="stream clients (default %(default)s)")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of ingest (default %(default)s)")
    parser.add_argument("--pollers", type=int, default=4,
                        help="REST clients reading the fixture's whole actions list in a loop while the ingest "
                             "runs, each read within --request-timeout (default %(default)s; 0: none)")
    parser.add_argument("--max-batch", type=int, default=10,
                        help="actions per ingest request, 1 to this many (default %(default)s)")
    parser.add_argument("--rate", type=float, default=0.0,
                        help="at most this many actions a second (default: as fast as the answers come)")
    parser.add_argument("--min-hold", type=float, default=0.05,
                        help="shortest time a connection is held, s (default %(default)s)")
    parser.add_argument("--max-hold", type=float, default=0.5,
                        help="longest time a connection is held, s (default %(default)s)")
    parser.add_argument("--close-ratio", type=float, default=0.5,
                        help="share of the drops made with a close handshake; the rest close the socket "
                             "(default %(default)s)")
    parser.add_argument("--fail-on-1013", action="store_true", help="count a 1013 close as a violation")
    parser.add_argument("--catch-up", type=float, default=60.0,
                        help="seconds the subscribers have to catch up after the ingest stops (default %(default)s)")
    parser.add_argument("--stall-timeout", type=float, default=15.0,
                        help="seconds without a frame before a connection counts as stalled (default %(default)s)")
    parser.add_argument("--close-wait", type=float, default=5.0,
                        help="seconds the server has to answer a close frame (default %(default)s)")
    parser.add_argument("--serve-args", default="",
                        help="more options for the server the drill starts, e.g. --serve-args='--subscriber-queue 100'")
    drillkit.add_common_options(parser, LOGS, max_seconds=None, seed_help="seed (default: random, printed)",
                                max_seconds_help="give up (exit status 2) after this long "
                                                 "(default: duration + catch-up + 300)")
    args = parser.parse_args()
    if args.subscribers < 1 or args.duration <= 0 or args.max_batch < 1 or args.pollers < 0:
        parser.error("--subscribers and --max-batch must be at least 1, --pollers at least 0 and --duration "
                     "above 0")
    if not 0 < args.min_hold <= args.max_hold or not 0 <= args.close_ratio <= 1:
        parser.error("0 < --min-hold <= --max-hold and 0 <= --close-ratio <= 1")
    if args.server and not args.token:
        parser.error("--server needs --token")
    if args.max_seconds is None:
        args.max_seconds = args.duration + args.catch_up + 300
    return drillkit.run_drill("reconnect", args, LOGS, lambda run: attach_or_start(args, run))


def attach_or_start(args, run):
    """The drill against --server, or against a server of its own in a new folder, for run_drill: returns the
    result, the faults and the summary."""
    started = time.monotonic()
    server = None
    if args.server:
        port = drillkit.local_server(args.server)
        token = args.token
        args.fixture = drillkit.create_fixture(port, token)
        where = args.server
    else:
        workdir = run.new_folder()
        binary = drillkit.find_binary(args.binary)
        database = str(workdir / "drill.sqlite")
        token, args.fixture = drillkit.prepare_database(binary, database)
        server = run.new_server(binary, database,
                                ["--rate-limit", "100000", "--rate-burst", "100000",
                                 "--heartbeat-interval", "0.25"] + shlex.split(args.serve_args))
        port = server.start()
        where = "%s on port %d, folder %s" % (binary, port, workdir)
    print("reconnect: seed %d, %d subscribers, %d pollers, %.0f s, fixture %s, server %s"
          % (args.seed, args.subscribers, args.pollers, args.duration, args.fixture, where), flush=True)

    state, subscribers = asyncio.run(bounded(drill(args, port, token), args.max_seconds))

    stop_status = None
    if server is not None:
        stop_status = server.terminate()
        if stop_status != 0:
            state.fault("the server did not stop cleanly on SIGTERM (status %s)" % stop_status)
    total = lambda name: sum(getattr(s, name) for s in subscribers)
    unexpected = collections.Counter()
    auth_errors = collections.Counter()
    for s in subscribers:
        unexpected.update(s.unexpected)
        auth_errors.update(s.auth_errors)
    connections = total("connections")
    closes_1013 = total("closes_1013")
    behind = sum(1 for s in subscribers if not s.caught_up)
    violations = (total("gaps") + total("duplicates") + sum(unexpected.values()) + sum(auth_errors.values())
                  + state.mismatches + behind + state.fault_count
                  + (closes_1013 if args.fail_on_1013 else 0))
    ok = violations == 0
    seconds = time.monotonic() - started
    result = {
        "drill": "reconnect", "seed": args.seed, "subscribers": args.subscribers, "pollers": args.pollers,
        "duration": args.duration, "ingestRequests": state.ingest_requests, "packets": state.final,
        "packetsReceived": total("received"), "connections": connections,
        "reconnects": connections - args.subscribers, "closeHandshakes": total("handshake_closes"),
        "droppedConnections": total("dropped"), "closes1013": closes_1013, "heartbeats": total("heartbeats"),
        "pollerReads": state.poller_reads, "pollerErrors": state.poller_errors,
        "gaps": total("gaps"), "missing": total("missing"), "duplicates": total("duplicates"),
        "unexpectedCloses": {str(code): count for code, count in sorted(unexpected.items(), key=str)},
        "authErrors": dict(auth_errors), "mismatches": state.mismatches, "notCaughtUp": behind,
        "faults": state.fault_count, "serverStopStatus": stop_status, "seconds": round(seconds, 1), "ok": ok,
    }
    faults = list(state.faults)
    if state.fault_count > len(state.faults):
        # The state keeps the first 20 faults and only counts the rest.
        faults.append("... and %d more" % (state.fault_count - len(state.faults)))
    summary = ("%d packets ingested in %d requests; %d subscribers received %d packets over %d connections "
               "(%d reconnects, %d closed with 1013); %d pollers read the actions list %d times (%d failed); "
               "gaps %d, duplicates %d, unexpected closes %s; %.1f s"
               % (state.final, state.ingest_requests, args.subscribers, result["packetsReceived"], connections,
                  result["reconnects"], closes_1013, args.pollers, state.poller_reads, state.poller_errors,
                  result["gaps"], result["duplicates"], result["unexpectedCloses"] or "none", seconds))
    return result, faults, summary


if __name__ == "__main__":
    sys.exit(main())
