"""Helpers for the load and crash tests: generated corpora, `newsearch index` subprocesses, gunicorn."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.gunicorn_process import GunicornProcess

ROOT = Path(__file__).resolve().parents[2]
WRITE_KEY = "stress-write-key-9d81c3"
AUTH = {"Authorization": f"Bearer {WRITE_KEY}"}

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
    return [sys.executable, "-m", "cli", "index", "--index", str(index), "--workers", "1",
            "--no-entities", *extra, *map(str, paths)]


def run_index(index: Path, *paths: Path, extra: tuple[str, ...] = (), timeout: float = 300) -> subprocess.CompletedProcess:
    result = subprocess.run(index_command(index, *paths, extra=extra), cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture
def gunicorn_factory(tmp_path):
    """Starts gunicorn over an index (`workers=2` unless given; keyword arguments are environment
    variables), with the write key; every server is stopped after the test."""
    servers: list[GunicornProcess] = []

    def start(index: Path, workers: int = 2, **env: str | None) -> GunicornProcess:
        env.setdefault("NEWSEARCH_API_KEYS", WRITE_KEY)
        server = GunicornProcess(index, tmp_path / f"gunicorn-{len(servers)}.log", workers=workers, **env)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
        print(server.log()[-3000:])
