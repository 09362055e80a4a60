"""Bounded load test of ``headstart serve`` on loopback: concurrent clients, latency percentiles, errors.

    python benchmarks/load_test.py RUN_DIR --clients 8 --requests 2000

Starts ``headstart serve RUN_DIR`` on a free loopback port (with a token), waits for
/health, then ``--clients`` threads send ``--requests`` POST /predict requests in
total, one SST-2 dev sentence each, over keep-alive connections. Reports
requests/s, p50/p90/p99 latency, errors (any non-200 or connection failure), and
the server's own batching statistics (texts per forward pass). Results go to
``bench-out/load_test.json``. The anchor is the same requests sent by one client
one after another (``--clients 1``), run first in the same process.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "bench-out" / "load_test.json"
TOKEN = "load-test-token-123"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def sentences(path: Path) -> list[str]:
    with open(path, encoding="utf-8", newline="") as handle:
        return [row["sentence"] for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)]


def wait_healthy(port: int, server: subprocess.Popen, timeout: float = 300) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"server exited with code {server.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("server did not become healthy in time")


def run_clients(port: int, texts: list[str], clients: int, total: int) -> dict:
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    counter = iter(range(total))

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                break
            body = json.dumps({"text": texts[i % len(texts)]})
            started = time.perf_counter()
            try:
                conn.request("POST", "/predict", body, headers)
                response = conn.getresponse()
                payload = response.read()
                ok = response.status == 200 and len(json.loads(payload)["predictions"]) == 1
                problem = None if ok else f"HTTP {response.status}: {payload[:200]!r}"
            except (OSError, http.client.HTTPException, ValueError) as err:
                problem = f"{type(err).__name__}: {err}"
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            elapsed = time.perf_counter() - started
            with lock:
                (errors.append(problem) if problem else latencies.append(elapsed))
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    latencies.sort()

    def pct(q: float) -> float:
        return round(1000 * latencies[min(len(latencies) - 1, int(q * len(latencies)))], 1) if latencies else float("nan")

    return {"clients": clients, "requests": total, "ok": len(latencies), "errors": len(errors), "first_errors": errors[:5], "seconds": round(seconds, 2), "requests_per_s": round(total / seconds, 1), "p50_ms": pct(0.50), "p90_ms": pct(0.90), "p99_ms": pct(0.99), "max_ms": round(1000 * latencies[-1], 1) if latencies else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data" / "sst2_glue" / "dev.tsv")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--baseline-requests", type=int, default=200, help="requests of the one-client anchor (0: skip)")
    parser.add_argument("--batch-wait-ms", type=float, default=5.0)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    texts = sentences(args.data)
    port = free_port()
    headstart = Path(sys.executable).parent / "headstart"
    command = [str(headstart), "serve", str(args.run_dir), "--port", str(port), "--token", TOKEN, "--batch-wait-ms", str(args.batch_wait_ms)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, "TOKENIZERS_PARALLELISM": "false"})
    try:
        wait_healthy(port, server)
        run_clients(port, texts, 2, 32)  # warm-up
        results = {}
        if args.baseline_requests:
            results["one_client"] = run_clients(port, texts, 1, args.baseline_requests)
            print(json.dumps(results["one_client"]), flush=True)
        results["concurrent"] = run_clients(port, texts, args.clients, args.requests)
        print(json.dumps(results["concurrent"]), flush=True)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", "/info", headers={"Authorization": f"Bearer {TOKEN}"})
        results["server_batching"] = json.loads(conn.getresponse().read()).get("batching")
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    from headstart.runs.environment import machine

    report = {"run_dir": str(args.run_dir), "command": f"headstart serve {args.run_dir} --port PORT --token TOKEN --batch-wait-ms {args.batch_wait_ms}", "data": str(args.data), "machine": machine(), **results}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    c = results["concurrent"]
    print(f"\n| clients | requests | errors | requests/s | p50 ms | p90 ms | p99 ms |\n|---:|---:|---:|---:|---:|---:|---:|")
    for row in [results.get("one_client"), c]:
        if row:
            print(f"| {row['clients']} | {row['requests']} | {row['errors']} | {row['requests_per_s']} | {row['p50_ms']} | {row['p90_ms']} | {row['p99_ms']} |")
    print(f"server batching: {results['server_batching']}\nwritten to {args.out}")
    if c["errors"]:
        raise SystemExit(f"{c['errors']} request(s) failed, e.g. {c['first_errors'][:2]}")


if __name__ == "__main__":
    main()
