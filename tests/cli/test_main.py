"""The `newsearch` command, run as a user runs it: a subprocess with real files and a real index."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cli.main import build_parser, main, open_backend, read_batch, serve_command
from search import settings
from search.fields import FIELDS
from search.settings import SettingError
from tests.indexes import indexed_ids

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
BATCH = FIXTURES / "batch"
SEEDS = ROOT / "seeds"


def newsearch(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cli", *map(str, args)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, env={**os.environ, **(env or {})},
    )


@pytest.fixture(scope="module")
def seeds_jsonl() -> list[dict]:
    """`newsearch extract --format jsonl seeds/` with entities, once for the module."""
    run = newsearch("extract", "--format", "jsonl", "--workers", "1", "seeds/")
    assert run.returncode == 0, run.stderr
    return [json.loads(line) for line in run.stdout.splitlines()]


@pytest.fixture(scope="module")
def seeds_index(tmp_path_factory) -> Path:
    index = tmp_path_factory.mktemp("seeds") / "index"
    run = newsearch("index", "--index", index, "--workers", "1", "seeds/")
    assert run.returncode == 0, run.stdout + run.stderr
    return index


def test_extract_prints_the_seeds_as_articles(seeds_jsonl):
    assert len(seeds_jsonl) == 5
    fields = {"id", "url", "title", "body", "summary", "published", "source", "dateline", "author",
              "people", "organizations", "places", "checksum", "origin", "raw_checksum"}
    assert all(set(article) == fields for article in seeds_jsonl)
    by_id = {a["id"]: a for a in seeds_jsonl}
    kctv = by_id["000_cd26570f11a59a8a"]
    assert kctv["published"].startswith("2020-07-03T")
    assert kctv["source"] == "KCTV"
    assert kctv["origin"] == str(SEEDS / "000_cd26570f11a59a8a.txt")
    assert "Rick Smith" in kctv["people"]
    liberty = by_id["003_db9d275e6a739cde"]
    assert (liberty["source"], liberty["author"]) == ("Liberty Alliance", "Chris Vas")
    assert by_id["002_bd1a7639317eeb3a"]["published"] is None


def test_extract_json_is_one_array_and_two_workers_agree(seeds_jsonl):
    run = newsearch("extract", "--format", "json", "--workers", "2", "seeds/")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == seeds_jsonl
    assert "extracted 5 articles, 0 failed" in run.stderr


def test_extract_prints_the_ids_index_stores(tmp_path):
    # One function names a file's article (indexer.readers.file_name_id), for both commands: its path
    # below the directory named on the command line, so `extract bbc/` shows what `index bbc/` stores.
    sport = tmp_path / "bbc" / "sport"
    sport.mkdir(parents=True)
    for name in ("000_cd26570f11a59a8a.txt", "latin1-199.txt"):
        shutil.copy(BATCH / name, sport / name)
    run = newsearch("extract", "--format", "jsonl", "--no-entities", "--workers", "1", tmp_path / "bbc")
    assert run.returncode == 0, run.stderr
    extracted = {json.loads(line)["id"] for line in run.stdout.splitlines()}
    assert extracted == {"sport-000_cd26570f11a59a8a", "sport-latin1-199"}
    run = newsearch("index", "--index", tmp_path / "index", "--no-entities", "--workers", "1", tmp_path / "bbc")
    assert run.returncode == 0, run.stderr
    assert indexed_ids(tmp_path / "index") == extracted
    # A file named alone is named by its file name, by both commands alike.
    run = newsearch("extract", "--format", "jsonl", "--no-entities", "--workers", "1", sport / "latin1-199.txt")
    assert json.loads(run.stdout)["id"] == "latin1-199"


def test_extract_reports_failures_on_stderr():
    run = newsearch("extract", "--format", "jsonl", "--no-entities", "--workers", "1", BATCH / "empty.txt", BATCH / "000_cd26570f11a59a8a.txt")
    assert run.returncode == 0
    assert len(run.stdout.splitlines()) == 1
    assert f"{BATCH / 'empty.txt'}: empty file" in run.stderr


def test_index_a_bad_batch_indexes_the_good_and_reports_the_bad(tmp_path):
    index = tmp_path / "index"
    run = newsearch("index", "--index", index, "--no-entities", "--workers", "2", BATCH)
    assert run.returncode == 0, run.stderr
    report = run.stdout
    assert "read: 6 articles from 8 files" in report
    assert "indexed: 5 (added 5, updated 0)" in report
    assert "failed: 4" in report
    assert f"  {BATCH / 'binary.txt'}: binary file (contains NUL bytes)" in report
    assert f"  {BATCH / 'empty.txt'}: empty file" in report
    assert f"  {BATCH / 'broken.html'}: no article text" in report
    assert f"  {BATCH / 'feed.jsonl'}:2: invalid JSON" in report
    ids = indexed_ids(index)
    assert {"000_cd26570f11a59a8a", "003_db9d275e6a739cde", "latin1-199", "bbc-politics-001"} <= ids
    assert len(ids) == 5
    assert "\r" not in run.stderr  # no progress bar when stderr is not a terminal

    again = newsearch("index", "--index", index, "--no-entities", "--workers", "1", BATCH)
    assert again.returncode == 0
    assert "indexed: 0 (added 0, updated 0)" in again.stdout
    assert "unchanged: 5" in again.stdout


def test_index_defaults_to_the_environment_and_fails_when_nothing_is_read(tmp_path):
    index = tmp_path / "from-env"
    run = newsearch("index", "--no-entities", "--workers", "1", BATCH / "empty.txt", tmp_path / "missing",
                    env={"NEWSEARCH_INDEX": str(index)})
    assert run.returncode == 1
    assert "no such file or directory" in run.stdout
    assert not (index / "current").exists()  # nothing read: the index is not touched
    ok = newsearch("index", "--no-entities", "--workers", "1", SEEDS / "004_a8b559b7e96d520f.txt",
                   env={"NEWSEARCH_INDEX": str(index)})
    assert ok.returncode == 0 and indexed_ids(index) == {"004_a8b559b7e96d520f"}


def test_index_writes_progress_lines_when_not_on_a_terminal(tmp_path):
    # stderr is a pipe here, as in a log or `docker logs`: lines with the counted total, rate and ETA.
    run = newsearch("index", "--index", tmp_path / "index", "--no-entities", "--workers", "1", "seeds/", BATCH,
                    env={"NEWSEARCH_PROGRESS_INTERVAL": "0"})
    assert run.returncode == 0, run.stderr
    lines = [line for line in run.stderr.splitlines() if line.startswith("progress: ")]
    assert lines[0].startswith("progress: 1/14 articles (7%), ") and "/s, ETA " in lines[0]
    assert lines[-1].startswith("progress: 14/14 articles (100%), ")
    assert "\r" not in run.stderr  # no bar redrawn in the log


def test_index_rebuild_and_prune_through_main(tmp_path, capsys):
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    index = tmp_path / "index"
    assert main(["index", "--index", str(index), "--no-entities", "--workers", "1", str(corpus)]) == 0
    first = os.readlink(index / "current")
    (corpus / "000_cd26570f11a59a8a.txt").unlink()
    assert main(["index", "--index", str(index), "--prune", "--no-entities", "--workers", "1", str(corpus)]) == 0
    assert "deleted: 1" in capsys.readouterr().out
    assert main(["index", "--index", str(index), "--rebuild", "--no-entities", "--workers", "1", str(corpus)]) == 0
    assert os.readlink(index / "current") != first
    assert len(indexed_ids(index)) == 4


def test_usage_errors_exit_2(tmp_path):
    assert newsearch("index").returncode == 2  # no PATH
    assert newsearch("extract", "--format", "xml", "seeds/").returncode == 2
    assert newsearch("search", "--limit", "0", "police").returncode == 2
    assert newsearch("index", "--index", tmp_path / "ix", "--buffer-mb", "0", "seeds/").returncode == 2
    assert newsearch("stats", "--backend", "https://search.example:9200/news").returncode == 2
    assert newsearch("stats", "--index", tmp_path / "a", "--backend", tmp_path / "b").returncode == 2
    bad_env = newsearch("index", "--index", tmp_path / "ix", "seeds/", env={"NEWSEARCH_BUFFER_MB": "lots"})
    assert bad_env.returncode == 2 and "NEWSEARCH_BUFFER_MB" in bad_env.stderr


def test_search_prints_ranked_titles(seeds_index):
    run = newsearch("search", "--index", seeds_index, "Fraternal Order of Police")
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].endswith("results for 'Fraternal Order of Police'")
    assert lines[1].startswith("  1. ")
    as_json = json.loads(newsearch("search", "--index", seeds_index, "--format", "json", "--limit", "2", "police").stdout)
    assert as_json["query"] == "police" and 1 <= len(as_json["hits"]) <= 2
    assert {"id", "title", "score", "source"} <= set(as_json["hits"][0])
    # Facet values sit at the top level of a hit, one key per declared facet, as before the declaration.
    assert {f.attribute for f in FIELDS.facets} <= set(as_json["hits"][0]) and "values" not in as_json["hits"][0]


def test_search_batch_prints_trec_run_lines(seeds_index, tmp_path):
    queries = tmp_path / "queries.tsv"
    queries.write_text("q1\tpolice block party\n\n# a comment\nq2\tnarcotics division\n", encoding="utf-8")
    run = newsearch("search", "--index", seeds_index, "--batch", queries, "--format", "trec", "--limit", "3")
    assert run.returncode == 0, run.stderr
    rows = [line.split() for line in run.stdout.splitlines()]
    assert rows and all(len(r) == 6 and r[1] == "Q0" and r[5] == "newsearch" for r in rows)
    assert {r[0] for r in rows} == {"q1", "q2"}
    for qid in ("q1", "q2"):
        ranks = [int(r[3]) for r in rows if r[0] == qid]
        scores = [float(r[4]) for r in rows if r[0] == qid]
        assert ranks == list(range(1, len(ranks) + 1)) and len(ranks) <= 3
        assert scores == sorted(scores, reverse=True)
    assert [r[2] for r in rows if r[0] == "q2"][0] == "003_db9d275e6a739cde"


def test_read_batch_rejects_lines_without_a_query():
    assert read_batch(["1\tstorm\n", "2 flood warning\n"]) == [("1", "storm"), ("2", "flood warning")]
    with pytest.raises(ValueError, match="line 1"):
        read_batch(["lonely\n"])


def test_stats(seeds_index):
    run = newsearch("stats", "--index", seeds_index, "--format", "json")
    assert run.returncode == 0, run.stderr
    stats = json.loads(run.stdout)
    assert stats["documents"] == 5
    assert {b["value"] for b in stats["facets"]["source"]} >= {"KCTV", "KSHB", "Liberty Alliance"}
    assert stats["first_published"].startswith("2020-07-02")
    assert stats["last_published"].startswith("2021-09-16")
    assert "Rick Smith" in {b["value"] for b in stats["facets"]["person"]}
    # Each declared facet with top values, by its name, as /v1/stats has them.
    assert set(stats["facets"]) == {f.name for f in FIELDS.facets if f.top}
    text = newsearch("stats", "--index", seeds_index).stdout
    assert "documents: 5" in text and "published: 2020-07-02 .. 2021-09-16" in text


def test_index_keeps_the_archives_entity_knowledge_and_entities_refreshes_it(seeds_index):
    from indexer.archive import load
    from search.engine import open_engine

    engine = open_engine(seeds_index)
    registry = load(engine)  # written by the index run that built the seeds index
    assert registry is not None and registry.articles == 5
    assert registry.kind("kansas city") == "places"
    engine.close()
    run = newsearch("entities", "--index", seeds_index)
    assert run.returncode == 0, run.stderr
    # The run already decided with this knowledge: nothing to rewrite.
    assert "5 articles with mentions; 0 decided again" in run.stdout


def test_search_and_stats_without_an_index_say_so(tmp_path):
    for command in (["stats"], ["search", "police"], ["entities"]):
        run = newsearch(*command, "--index", tmp_path / "none")
        assert run.returncode == 1
        assert "no index at" in run.stderr


def test_serve_runs_gunicorn_on_the_api_by_name(tmp_path):
    if not (ROOT / "api" / "gunicorn.conf.py").exists():
        pytest.skip("api/gunicorn.conf.py has not landed yet")
    argv, env = serve_command(str(tmp_path / "index"), "127.0.0.1:8123")
    assert argv[1:] == ["-m", "gunicorn", "-c", str(ROOT / "api" / "gunicorn.conf.py"), "--bind", "127.0.0.1:8123", "api.wsgi:app"]
    assert env["NEWSEARCH_INDEX"] == str(tmp_path / "index")


def test_serve_binds_to_newsearch_bind_unless_told_otherwise(tmp_path):
    if not (ROOT / "api" / "gunicorn.conf.py").exists():
        pytest.skip("api/gunicorn.conf.py has not landed yet")
    index = str(tmp_path / "index")
    assert build_parser().parse_args(["serve"]).bind is None  # no default of its own to hide the variable

    def bound(bind, environ):
        argv, _ = serve_command(index, bind, environ=environ)
        return argv[argv.index("--bind") + 1]

    assert bound(None, {"NEWSEARCH_BIND": "0.0.0.0:8080"}) == "0.0.0.0:8080"
    assert bound(None, {}) == "127.0.0.1:8000"
    assert bound("127.0.0.1:9999", {"NEWSEARCH_BIND": "0.0.0.0:8080"}) == "127.0.0.1:9999"
    with pytest.raises(SettingError, match="NEWSEARCH_BIND"):
        serve_command(index, None, environ={"NEWSEARCH_BIND": "8000"})


def test_serve_tells_the_server_the_location_it_resolved(tmp_path):
    if not (ROOT / "api" / "gunicorn.conf.py").exists():
        pytest.skip("api/gunicorn.conf.py has not landed yet")
    # --index wins over a $NEWSEARCH_BACKEND in the environment: the server must not see the latter.
    _, env = serve_command(str(tmp_path / "index"), None, environ={"NEWSEARCH_BACKEND": "/elsewhere", "KEEP": "1"})
    assert env["NEWSEARCH_INDEX"] == str(tmp_path / "index") and "NEWSEARCH_BACKEND" not in env and env["KEEP"] == "1"
    cluster = "opensearch+https://os.example:9200/news"
    _, env = serve_command(cluster, None, environ={})
    assert env["NEWSEARCH_BACKEND"] == cluster


def test_serve_without_bind_uses_the_environment(tmp_path):
    """The whole command up to the exec: `NEWSEARCH_BIND=... newsearch serve` listens there."""
    code = ("import os, sys, cli.main as m; "
            "os.execve = lambda path, argv, env: print(argv[argv.index('--bind') + 1]); "
            "sys.exit(m.main(sys.argv[1:]))")
    run = subprocess.run([sys.executable, "-c", code, "serve", "--index", str(tmp_path / "ix")], cwd=ROOT,
                         capture_output=True, text=True, timeout=60,
                         env={**os.environ, "NEWSEARCH_BIND": "127.0.0.1:8765"})
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "127.0.0.1:8765"
    bad = subprocess.run([sys.executable, "-m", "cli", "serve", "--index", str(tmp_path / "ix")], cwd=ROOT,
                         capture_output=True, text=True, timeout=60, env={**os.environ, "NEWSEARCH_BIND": "nowhere"})
    assert bad.returncode == 2 and "NEWSEARCH_BIND must be HOST:PORT" in bad.stderr


def test_the_cli_tunes_the_backend_from_the_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSEARCH_WRITE_LOCK_TIMEOUT", "2.5")
    monkeypatch.setenv("NEWSEARCH_BUFFER_MB", "64")
    reader = open_backend(str(tmp_path / "ix"))
    writer = open_backend(str(tmp_path / "ix"), writing=True, workers=3)
    given = open_backend(str(tmp_path / "ix"), writing=True, workers=1, buffer_mb=128)
    assert reader.lock_timeout == writer.lock_timeout == 2.5
    assert (writer.buffer_mb, writer.procs, writer.share_lock) == (64, 3, 2.0)
    assert (given.buffer_mb, given.procs) == (128, 1)  # --buffer-mb wins over the variable
    monkeypatch.delenv("NEWSEARCH_WRITE_LOCK_TIMEOUT")
    assert open_backend(str(tmp_path / "ix")).lock_timeout == 10.0  # the one default, as the API's


def test_index_location_comes_from_newsearch_backend_then_newsearch_index(tmp_path):
    index, other = tmp_path / "index", tmp_path / "other"
    env = {"NEWSEARCH_INDEX": str(index), "NEWSEARCH_BACKEND": str(other)}
    run = newsearch("index", "--no-entities", "--workers", "1", SEEDS / "004_a8b559b7e96d520f.txt", env=env)
    assert run.returncode == 0, run.stderr
    assert indexed_ids(other) == {"004_a8b559b7e96d520f"} and not index.exists()
    run = newsearch("stats", "--backend", other, env={"NEWSEARCH_WRITE_LOCK_TIMEOUT": "soon"})
    assert run.returncode == 2 and "NEWSEARCH_WRITE_LOCK_TIMEOUT must be a number" in run.stderr
    cluster = newsearch("stats", "--backend", "opensearch+https://user:secret@os.invalid:9200/news")
    assert cluster.returncode == 1 and "secret" not in cluster.stderr and "os.invalid" in cluster.stderr
    assert "Traceback" not in cluster.stderr and cluster.stderr.startswith("newsearch stats: os.invalid:9200/news: ")


def test_settings_prints_the_table():
    run = newsearch("settings")
    assert run.returncode == 0
    assert run.stdout == settings.markdown()


def _imported(code: str) -> set[str]:
    """The modules a fresh interpreter has imported after running `code`."""
    code += "; import sys, json; print(json.dumps(sorted(sys.modules)))"
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    return set(json.loads(run.stdout.splitlines()[-1]))


def test_the_indexer_never_imports_the_api_nor_the_cli():
    imported = _imported("import indexer, indexer.pipeline, indexer.readers, indexer.metadata")
    assert not {m.split(".")[0] for m in imported} & {"api", "cli"}


def test_the_cli_starts_the_api_by_name_without_loading_the_web_stack():
    # `newsearch index` and `keys create` need api.keys at most; gunicorn imports api.wsgi:app itself.
    imported = _imported("import cli.main; cli.main.gunicorn_config(); cli.main.build_parser()")
    assert "api.app" not in imported and "falcon" not in imported
