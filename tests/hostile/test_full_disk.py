"""A full disk, for real: a 4 MB tmpfs filled to the last byte (as root, where mount works), and a
file-size limit (RLIMIT_FSIZE, anywhere) for the command line. Writes answer 507 problem+json naming
the cause, nothing half-written is visible, the next write after space comes back succeeds (no lock
is left behind), and `newsearch index` prints one line and exits 1."""
from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
from falcon import testing

from api.app import create_app
from tests.indexes import copy_index, indexed_ids

from .conftest import WRITE_KEY, assert_problem, config_for

ROOT = Path(__file__).resolve().parents[2]
AUTH = {"Authorization": f"Bearer {WRITE_KEY}"}


@pytest.fixture
def small_disk(tmp_path):
    """A directory on its own 4 MB tmpfs; skipped where this process may not mount one."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m,mode=0755", "tmpfs", str(mount_point)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace').strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill(directory: Path) -> Path:
    """Take every free byte of the file system holding `directory`; returns the filler file."""
    filler = directory / f"filler-{uuid.uuid4().hex[:6]}"
    with open(filler, "wb", buffering=0) as handle:  # unbuffered: nothing left to flush at close
        for size in (1 << 20, 65536, 4096, 1):
            try:
                while True:
                    handle.write(b"\0" * size)
            except OSError:
                pass
    return filler


def article(article_id: str, words: int = 3000) -> dict:
    return {"id": article_id, "title": f"Disk {article_id}", "body": " ".join(f"word{n}" for n in range(words))}


def test_writes_on_a_full_disk_are_507_and_recover_when_space_returns(seed_index, small_disk):
    index = copy_index(seed_index, small_disk / "index")
    before = indexed_ids(index)
    client = testing.TestClient(create_app(config_for(index)))
    assert client.simulate_get("/v1/search", params={"q": "police"}).status_code == 200
    filler = fill(small_disk)

    for attempt in range(2):  # the second finds no lock left behind by the first
        problem = assert_problem(client.simulate_post("/v1/articles", json=article(f"full-{attempt}"), headers=AUTH), 507)
        assert problem["type"].endswith(":storage-full") and "disk" in problem["detail"] and "full" in problem["detail"]
    batch = {"articles": [article("full-b1"), article("full-b2")]}
    assert_problem(client.simulate_post("/v1/articles", json=batch, headers=AUTH), 507)
    assert_problem(client.simulate_put("/v1/articles/full-put", json={"title": "T", "body": "word " * 3000}, headers=AUTH), 507)
    victim = sorted(before)[0]
    assert_problem(client.simulate_delete(f"/v1/articles/{victim}", headers=AUTH), 507)
    # Reads go on, and nothing half-written shows.
    assert client.simulate_get("/v1/search", params={"q": "police"}).status_code == 200
    assert client.simulate_get(f"/v1/articles/{victim}").status_code == 200
    assert indexed_ids(index) == before

    filler.unlink()
    written = client.simulate_post("/v1/articles", json=article("after"), headers=AUTH)
    assert written.status_code == 201 and written.json["committed"] is True
    assert client.simulate_delete(f"/v1/articles/{victim}", headers=AUTH).status_code == 200
    assert indexed_ids(index) == (before - {victim}) | {"after"}


def test_concurrent_writers_on_a_full_disk_get_507_or_503_never_500(seed_index, small_disk):
    index = copy_index(seed_index, small_disk / "index")
    # Two apps over one index: two workers of one server, each with its own backend.
    clients = [testing.TestClient(create_app(config_for(index, write_lock_timeout=5.0))) for _ in range(2)]
    fill(small_disk)
    statuses: list[int] = []

    def write(client, n):
        for k in range(3):
            response = client.simulate_post("/v1/articles", json=article(f"c{n}-{k}", words=500), headers=AUTH)
            assert response.headers["content-type"] == "application/problem+json", response.text
            statuses.append(response.status_code)

    threads = [threading.Thread(target=write, args=(c, n)) for n, c in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(statuses) == 6 and set(statuses) <= {503, 507} and 507 in statuses, statuses


def _corpus(path: Path, count: int = 400) -> Path:
    with open(path, "w", encoding="utf-8") as handle:
        for n in range(count):
            body = " ".join(f"term{n}x{k}" for k in range(150))
            handle.write(json.dumps({"id": f"d{n}", "title": f"Doc {n}", "body": body, "source": "Disk"}) + "\n")
    return path


def _index_command(index: Path, corpus: Path) -> list[str]:
    return [sys.executable, "-m", "cli", "index", "--index", str(index), "--workers", "1", "--no-entities", str(corpus)]


def _one_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 1, (result.returncode, result.stderr[-3000:])
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    return lines[0]


def test_the_cli_prints_one_line_on_a_full_disk(small_disk, tmp_path):
    corpus = _corpus(tmp_path / "corpus.jsonl")
    fill(small_disk)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run(_index_command(small_disk / "index", corpus), cwd=ROOT, capture_output=True, text=True, timeout=120, env=env)
    line = _one_line(result)
    assert line.startswith("newsearch index: ") and "no space left" in line and str(small_disk / "index") in line


def _limit_file_size(limit: int):
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_the_cli_prints_one_line_when_a_file_cannot_grow(tmp_path):
    # Portable (no root): the kernel refuses to let any file of the process grow past 256 KB.
    corpus = _corpus(tmp_path / "corpus.jsonl", count=1500)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run(_index_command(tmp_path / "index", corpus), cwd=ROOT, capture_output=True, text=True,
                            timeout=120, env=env, preexec_fn=_limit_file_size(256 * 1024))
    line = _one_line(result)
    assert line.startswith("newsearch index: ") and "no space left" in line


def test_whoosh_s_own_lock_held_elsewhere_is_a_503_not_a_lock_error(private_index):
    # Whoosh keeps a lock of its own inside the index (MAIN_WRITELOCK) besides our root lock: a
    # writer that leaked it (as a commit failing on a full disk once did) made every later write a
    # raw LockError, a 500. Held here by another handle, as a leaked writer would hold it.
    from search.whoosh_backend.store import IndexStore

    ix = IndexStore(private_index).open()
    lock = ix.lock("WRITELOCK")
    assert lock.acquire()
    try:
        client = testing.TestClient(create_app(config_for(private_index)))
        problem = assert_problem(client.simulate_post("/v1/articles", json=article("locked", words=10), headers=AUTH), 503)
        assert problem["type"].endswith(":index-busy") and problem["status"] == 503
    finally:
        lock.release()
        ix.close()
    assert client.simulate_post("/v1/articles", json=article("unlocked", words=10), headers=AUTH).status_code == 201
