"""The Docker image's start command (the Dockerfile's CMD), run here with a real gunicorn and a real
`newsearch index`: it serves at once and indexes the mounted corpus in the background, so /health
answers within the health check's start period however long the corpus takes."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from search.engine import open_engine
from tests.gunicorn_process import free_port

ROOT = Path(__file__).resolve().parents[1]
BATCH = ROOT / "tests" / "fixtures" / "batch"


def start_command() -> list[str]:
    line = next(line for line in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines() if line.startswith("CMD "))
    return json.loads(line[len("CMD "):])


def health(base: str) -> dict | None:
    try:
        with urllib.request.urlopen(f"{base}/health", timeout=2) as response:
            return json.load(response)
    except OSError:
        return None


def wait_for(condition, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.2)
    return None


def test_the_image_serves_first_and_indexes_the_mounted_corpus_in_the_background(tmp_path):
    index, corpus = tmp_path / "index", tmp_path / "corpus"
    corpus.mkdir()
    for name in ("europa.html", "latin1-199.txt"):  # two articles the seeds do not hold
        shutil.copy(BATCH / name, corpus / name)
    built = subprocess.run([sys.executable, "-m", "cli", "index", "--index", str(index), "--no-entities", "--workers", "1",
                            "seeds/"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr  # the image's build step: the sample index
    port = free_port()
    env = {name: value for name, value in os.environ.items() if not name.startswith("NEWSEARCH_")}
    env.update(NEWSEARCH_INDEX=str(index), NEWSEARCH_CORPUS=str(corpus), NEWSEARCH_BIND=f"127.0.0.1:{port}",
               NEWSEARCH_WORKERS="1", NEWSEARCH_WRITE_LOCK_TIMEOUT="120", PYTHONPATH=str(ROOT),
               PATH=os.pathsep.join((str(Path(sys.executable).parent), env.get("PATH", ""))))
    engine = open_engine(index, refresh_interval=0)
    log = open(tmp_path / "container.log", "wb")
    server = None
    try:
        with engine.writer():  # another writer holds the index: the corpus cannot be indexed yet
            server = subprocess.Popen(start_command(), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                      start_new_session=True)
            ready = wait_for(lambda: health(f"http://127.0.0.1:{port}"), 60)
            assert ready is not None, (tmp_path / "container.log").read_text(errors="replace")
            assert ready["documents"] == 5  # served before the corpus was indexed
        done = wait_for(lambda: (h := health(f"http://127.0.0.1:{port}")) and h["documents"] == 7 and h, 120)
        assert done is not None, (tmp_path / "container.log").read_text(errors="replace")
        # The run's summary comes once it closes: after its commit is visible, its segment files.
        summary = "indexed: 2 (added 2, updated 0)"
        printed = wait_for(lambda: summary in (tmp_path / "container.log").read_text(errors="replace"), 60)
        assert printed, (tmp_path / "container.log").read_text(errors="replace")
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        log.close()
        engine.close()
