"""Helpers for the load and crash tests: generated corpora, `newsearch index` subprocesses, gunicorn."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
WRITE_KEY = "stress-write-key-9d81c3"

WORDS = ("river council ferry bridge police school budget storm harbor museum library transit "
         "zoning festival market hospital airport stadium park election").split()


def write_corpus(path: Path, ids: list[str], *, tag: str = "", start: int = 0) -> Path:
    """Small JSONL articles, one a line; `tag` is a word every article of this corpus contains."""
    with open(path, "w", encoding="utf-8") as f:
        for n, article_id in enumerate(ids, start):
            words = " ".join(WORDS[(n * 7 + k) % len(WORDS)] for k in range(12))
            f.write(json.dumps({
                "id": article_id,
                "title": f"{WORDS[n % len(WORDS)].title()} report {n} {tag}".strip(),
                "body": f"The {words}. Item {n} {tag}.",
                "source": "Stress",
                "published": f"2024-{1 + n % 12:02d}-{1 + n % 28:02d}T12:00:00Z",
            }) + "\n")
    return path


def index_command(index: Path, *paths: Path, extra: tuple[str, ...] = ()) -> list[str]:
    return [sys.executable, "-m", "indexer.cli", "index", "--index", str(index), "--workers", "1",
            "--no-entities", *extra, *map(str, paths)]


def run_index(index: Path, *paths: Path, extra: tuple[str, ...] = (), timeout: float = 300) -> subprocess.CompletedProcess:
    result = subprocess.run(index_command(index, *paths, extra=extra), cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """A real gunicorn with api/gunicorn.conf.py on 127.0.0.1, its log in a file."""

    def __init__(self, index: Path, log_path: Path, workers: int = 2, **env) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        environment = dict(os.environ, NEWSEARCH_INDEX=str(index), NEWSEARCH_BIND=f"127.0.0.1:{self.port}",
                           NEWSEARCH_API_KEYS=WRITE_KEY, NEWSEARCH_WORKERS=str(workers), **env)
        self._log = open(log_path, "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "api/gunicorn.conf.py", "api.wsgi:app"],
            cwd=ROOT, env=environment, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log()}")
            try:
                if requests.get(f"{self.base}/health", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn not healthy in 60 s: {self.log()}")
            time.sleep(0.1)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def worker_pids(self) -> list[int]:
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.process.pid)], capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._log.close()


@pytest.fixture
def gunicorn_factory(tmp_path):
    servers: list[Gunicorn] = []

    def start(index: Path, **kwargs) -> Gunicorn:
        server = Gunicorn(index, tmp_path / f"gunicorn-{len(servers)}.log", **kwargs)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
        print(server.log()[-3000:])
