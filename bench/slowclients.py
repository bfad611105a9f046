"""Slow clients against the production gunicorn config: do they starve the server?

    .venv/bin/python -m bench.slowclients [--data DIR | --index DIR] [--slow 50] [--seconds 10]

Opens `--slow` connections to gunicorn on 127.0.0.1 that each hold on as long as they can, in three
kinds (a third each): `idle` (connected, sends nothing), `drip` (sends a request's headers one byte
every half second, never finishing) and `no-read` (sends 200 pipelined requests for /widget.js, 5 MB
of answers, with a 4 KB receive buffer, and never reads: the server's write blocks until
NEWSEARCH_CLIENT_TIMEOUT drops it). Meanwhile it times `GET /health` and searches of the benchmark
query mix, one new connection each, and compares them with the same requests before the slow
clients came. Target: /health and searches under 100 ms (p95) with the slow clients connected.

The index is the RSS one (bench.latency.rss_index, 135,608 articles) when the data is there, else
an index of seeds/ built on the fly. 127.0.0.1 only; every connection is closed at the end.
`GUNICORN_CMD_ARGS` in the environment (e.g. `--worker-class sync`) is passed on, to compare models.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

from bench.load import percentile
from tests.gunicorn_process import GunicornProcess

RESULTS = Path(__file__).resolve().parent / "results"
QUERIES = Path(__file__).resolve().parent / "queries"
TARGET_MS = 100.0
KINDS = ("idle", "drip", "no-read")
HOST = "127.0.0.1"  # the only address this benchmark talks to
SETTLE = 5.0  # seconds between opening the slow clients and timing
PIPELINED = 200  # requests a no-read client sends at once (of /widget.js: 5 MB of answers)


class SlowClients:
    """`count` connections to 127.0.0.1:`port` that hold the server as long as it lets them."""

    def __init__(self, port: int, count: int, big_path: str) -> None:
        self.port = port
        self.big_path = big_path
        self.sockets: list[tuple[str, socket.socket]] = []
        self.stop = threading.Event()
        self.dropped = {kind: 0 for kind in KINDS}  # closed by the server meanwhile
        for n in range(count):
            kind = KINDS[n % len(KINDS)]
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            if kind == "no-read":  # a small window: the server's write blocks once its buffer is full
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect((HOST, port))
            if kind == "no-read":  # pipelined: MBs of answers, more than the kernel's buffers hold
                sock.sendall(f"GET {big_path} HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode() * PIPELINED)
            self.sockets.append((kind, sock))
        self.request = f"GET /health HTTP/1.1\r\nHost: {HOST}\r\nX-Slow: {'x' * 4000}\r\n\r\n".encode()
        self.thread = threading.Thread(target=self._drip, daemon=True)
        self.thread.start()

    def _drip(self) -> None:
        position = 0
        while not self.stop.wait(0.5):
            for kind, sock in self.sockets:
                if kind != "drip" or sock.fileno() < 0:
                    continue
                try:
                    sock.send(self.request[position % (len(self.request) - 4): position % (len(self.request) - 4) + 1])
                except OSError:
                    self.dropped[kind] += 1
                    sock.close()
            position += 1

    def still_open(self) -> dict[str, int]:
        """Per kind, the connections the server has not closed (a peek that does not read a byte)."""
        counts = {kind: 0 for kind in KINDS}
        for kind, sock in self.sockets:
            if sock.fileno() < 0:
                continue
            sock.setblocking(False)
            try:
                closed = sock.recv(1, socket.MSG_PEEK) == b""
            except BlockingIOError:
                closed = False
            except OSError:
                closed = True
            finally:
                sock.setblocking(True)
            counts[kind] += 0 if closed else 1
        return counts

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        for _, sock in self.sockets:
            sock.close()


def _timed_get(port: int, path: str, timeout: float = 10.0) -> tuple[float, int]:
    started = time.perf_counter()
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        status = response.status
    except OSError:
        status = 0  # refused, reset or timed out
    finally:
        connection.close()
    return (time.perf_counter() - started) * 1000, status


def _probe(port: int, paths: list[str], seconds: float) -> dict:
    """/health and searches in turn, one connection each, for `seconds`: latencies per class."""
    timings: dict[str, list[float]] = {"health": [], "search": []}
    failures = {"health": 0, "search": 0}
    deadline = time.monotonic() + seconds
    i = 0
    while time.monotonic() < deadline:
        for label, path in (("health", "/health"), ("search", paths[i % len(paths)])):
            ms, status = _timed_get(port, path)
            timings[label].append(ms)
            failures[label] += status != 200
        i += 1
    return {label: _summary(values, failures[label]) for label, values in timings.items()}


def _summary(values: list[float], failures: int) -> dict:
    ordered = sorted(values)
    p95 = percentile(ordered, 0.95)
    return {"n": len(values), "p50": round(statistics.median(ordered), 1), "p95": round(p95, 1),
            "max": round(ordered[-1], 1), "failures": failures}


def _index(data_dir: Path | None, index: Path | None) -> tuple[Path, str]:
    if index is not None:
        return index, str(index)
    from bench.latency import DATA, rss_index

    found = rss_index(Path(data_dir) if data_dir else DATA)
    if found is not None:
        return found, "rss-2023q1"
    from tests.indexes import build_seed_index

    path = Path(tempfile.mkdtemp(prefix="newsearch-slow-")) / "index"
    return build_seed_index(path), "seeds"


def _paths() -> list[str]:
    queries = [q.strip() for q in (QUERIES / "rss.txt").read_text().splitlines() if q.strip()]
    return ["/v1/search?" + urllib.parse.urlencode({"q": q}) for q in queries]


def run(data_dir: Path | None = None, index: Path | None = None, slow: int = 50, seconds: float = 10.0) -> dict:
    index, corpus = _index(data_dir, index)
    paths = _paths()
    big = "/widget.js"  # 25 KB, cheap to serve: what holds the thread is the write, not the work
    extra = {"GUNICORN_CMD_ARGS": os.environ["GUNICORN_CMD_ARGS"]} if os.environ.get("GUNICORN_CMD_ARGS") else {}
    with GunicornProcess(index, None, NEWSEARCH_LOG_LEVEL="warning", **extra) as server:
        for path in paths[:20]:  # warm every worker's searcher a little
            _timed_get(server.port, path)
        big_bytes = len(_fetch(server.port, big))
        before = _probe(server.port, paths, seconds / 2)
        clients = SlowClients(server.port, slow, big)
        try:
            # Let them settle: the no-read clients' searches (a 100-hit page each) are real work the
            # server does first; what is measured after is whether the held connections starve it.
            time.sleep(SETTLE)
            during = _probe(server.port, paths, seconds)
            still_open = clients.still_open()
        finally:
            clients.close()
        conf = _server_config()
    result = {
        "corpus": corpus, "slow_clients": slow, "kinds": list(KINDS), "seconds": seconds,
        "big_response_bytes": big_bytes, "server": conf, "gunicorn_cmd_args": extra.get("GUNICORN_CMD_ARGS"),
        "before": before, "during": during, "slow_still_open": still_open,
    }
    result["met"] = all(during[label]["p95"] <= TARGET_MS and during[label]["failures"] == 0 for label in during)
    return result


def _fetch(port: int, path: str) -> bytes:
    connection = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        connection.request("GET", path)
        return connection.getresponse().read()
    finally:
        connection.close()


def _server_config() -> dict:
    """What api/gunicorn.conf.py sets, read the way gunicorn reads it."""
    import runpy

    conf = runpy.run_path(str(Path(__file__).resolve().parent.parent / "api" / "gunicorn.conf.py"))
    return {name: conf.get(name) for name in ("worker_class", "workers", "threads", "worker_connections", "keepalive", "timeout")}


def table(r: dict) -> str:
    lines = [f"{'slow clients':<44} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'n':>5} {'fail':>5}"]
    for phase in ("before", "during"):
        for label in ("health", "search"):
            m = r[phase][label]
            name = f"{label} alone" if phase == "before" else f"{label} with {r['slow_clients']} slow clients"
            lines.append(f"{name:<44} "
                         f"{m['p50']:>8} {m['p95']:>8} {m['max']:>8} {m['n']:>5} {m['failures']:>5}")
    s = r["server"]
    lines.append(f"server: {s['worker_class']}, {s['workers']} workers, {s['threads']} threads, keepalive {s['keepalive']} s"
                 + (f"; GUNICORN_CMD_ARGS={r['gunicorn_cmd_args']}" if r["gunicorn_cmd_args"] else ""))
    lines.append(f"corpus {r['corpus']}; slow kinds {', '.join(r['kinds'])}; still open at the end: {r['slow_still_open']}; "
                 f"no-read: {PIPELINED} x {r['big_response_bytes']} bytes pipelined")
    lines.append(f"target: p95 ≤ {TARGET_MS:.0f} ms, no failure, with the slow clients: {'met' if r['met'] else 'NOT met'}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--index", type=Path, default=None, help="an existing index to serve (read only)")
    parser.add_argument("--slow", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args(argv)
    result = run(args.data, args.index, args.slow, args.seconds)
    print(table(result))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "slowclients.json").write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
