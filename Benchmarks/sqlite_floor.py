"""The ingestion floor: the same durable inserts Matchwire makes per acknowledged action (one transaction,
WAL, synchronous=FULL), done directly in SQLite with no HTTP, one after another for DURATION seconds.
Prints one JSON object like the load generator."""
import json
import math
import sqlite3
import sys
import time


def main(path, packet_file, duration):
    packet = open(packet_file, "rb").read()
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE IF NOT EXISTS packets (fixture_id TEXT, seq INTEGER, bytes BLOB, PRIMARY KEY (fixture_id, seq))")
    latencies = []
    seq = 0
    start = time.perf_counter()
    while time.perf_counter() - start < duration:
        sent = time.perf_counter()
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO packets VALUES (?, ?, ?)", ("floor-%d" % (seq % 50), seq, packet))
        db.execute("COMMIT")
        latencies.append((time.perf_counter() - sent) * 1000)
        seq += 1
    elapsed = time.perf_counter() - start
    latencies.sort()

    def percentile(p):
        rank = max(1, min(len(latencies), math.ceil(p * len(latencies) / 100 - 1e-9)))
        return latencies[rank - 1]

    print(json.dumps({"scenario": "ingest", "target": "sqlite", "acknowledged": len(latencies),
                      "acknowledgedPerSecond": len(latencies) / elapsed, "p50": percentile(50),
                      "p99": percentile(99), "max": latencies[-1]}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]))
