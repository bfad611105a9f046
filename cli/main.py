"""The `newsearch` command: index, extract, search, stats, serve, keys, settings.

    newsearch index [--index DIR | --backend URL] [--rebuild] [--prune] [--workers N] [--source NAME]
                    [--no-entities] [--commit-every N] [--progress-log FILE] [--buffer-mb MB] PATH...
    newsearch extract [--format json|jsonl] [--workers N] [--no-entities] [--source NAME] PATH...
    newsearch search [--index DIR | --backend URL] [--limit N] [--format text|json|trec] [--batch FILE] [QUERY]
    newsearch stats [--index DIR | --backend URL] [--format text|json]
    newsearch serve [--index DIR | --backend URL] [--bind HOST:PORT]
    newsearch keys create --filter NAME=VALUE [--expires DATE]
    newsearch settings

The command sits above the three packages: it drives the indexer (indexer.pipeline) into a backend
(search.engine.open_engine) and starts the API (api.wsgi:app) under gunicorn. Defaults come from the
settings table (search/settings.py): $NEWSEARCH_INDEX, $NEWSEARCH_BACKEND, $NEWSEARCH_BIND,
$NEWSEARCH_BUFFER_MB, $NEWSEARCH_WRITE_LOCK_TIMEOUT, $NEWSEARCH_PROGRESS_INTERVAL; an option given on the command line wins.
"""
from __future__ import annotations

import argparse
import dataclasses
import errno
import importlib.util
import json
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Mapping, TextIO

from search import settings
from search.errors import BackendUnavailable, StorageFull
from search.fields import FIELDS

from .keys import add_keys_command

# Exit codes: 0 done (something indexed or all unchanged), 1 nothing could be read / no index,
# 2 usage errors (argparse's own).
OK, NOTHING, USAGE = 0, 1, 2


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def _setting(name: str, environ: Mapping[str, str] | None = None):
    """A setting's value; a bad one is a usage error (exit 2) that names the variable."""
    try:
        return settings.value(name, environ)
    except settings.SettingError as error:
        print(f"newsearch: {error}", file=sys.stderr)
        raise SystemExit(USAGE) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsearch", description="Self-hosted full-text search for news articles.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    index_help = f"index directory (default: $NEWSEARCH_BACKEND, $NEWSEARCH_INDEX or {settings.default('NEWSEARCH_INDEX')})"
    backend_help = "a backend location instead of --index: a path, or an opensearch+https://host:9200/alias URL"

    p = commands.add_parser("index", help="index .txt, .html/.htm and .jsonl(.gz) articles")
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or directories (read recursively)")
    _location_options(p, index_help, backend_help)
    p.add_argument("--rebuild", action="store_true", help="build a fresh index and switch to it atomically (keeping what the API wrote)")
    p.add_argument("--prune", action="store_true", help="delete articles read from files under PATH that are no longer there (never what the API wrote)")
    p.add_argument("--commit-every", type=_positive, default=5000, metavar="N",
                   help="commit after every N changed articles (default 5000): a crash loses at most N")
    p.add_argument("--progress-log", default=None, metavar="FILE",
                   help="append the id of every article once it is durable in the index (written by a "
                        "commit, or found unchanged), one a line (after a crash, what is in FILE is in the index)")
    p.add_argument("--buffer-mb", type=_positive, default=None, metavar="MB",
                   help="memory for the index writer's posting buffer, shared by its processes "
                        f"(default $NEWSEARCH_BUFFER_MB or {settings.default('NEWSEARCH_BUFFER_MB')}); "
                        "less spills to disk and indexes slower")
    _pipeline_options(p)
    p.set_defaults(run=cmd_index)

    p = commands.add_parser("extract", help="print what the indexer makes of files, as JSON (no index)")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--format", choices=("json", "jsonl"), default="json")
    _pipeline_options(p)
    p.set_defaults(run=cmd_extract)

    p = commands.add_parser("search", help="search the index and print ranked titles")
    p.add_argument("query", nargs="?", default=None, metavar="QUERY")
    _location_options(p, index_help, backend_help)
    p.add_argument("--limit", type=_positive, default=10, help="results per query (default 10)")
    p.add_argument("--format", choices=("text", "json", "trec"), default="text")
    p.add_argument("--batch", metavar="FILE", help="queries as 'qid<TAB>query text' lines ('-' for stdin)")
    p.set_defaults(run=cmd_search)

    p = commands.add_parser("stats", help="document count, sources, date range, top entities")
    _location_options(p, index_help, backend_help)
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(run=cmd_stats)

    p = commands.add_parser("serve", help="serve the HTTP API with gunicorn")
    _location_options(p, index_help, backend_help)
    p.add_argument("--bind", default=None, metavar="HOST:PORT",
                   help=f"address to listen on (default: $NEWSEARCH_BIND or {settings.default('NEWSEARCH_BIND')})")
    p.set_defaults(run=cmd_serve)

    p = commands.add_parser("entities", help="decide every article's people, organisations and places again "
                                             "with what the whole archive says (newsearch index does it after each run)")
    _location_options(p, index_help, backend_help)
    p.set_defaults(run=cmd_entities)

    add_keys_command(commands)

    p = commands.add_parser("settings", help="print every NEWSEARCH_ environment variable as a Markdown table")
    p.set_defaults(run=cmd_settings)
    return parser


def _location_options(p: argparse.ArgumentParser, index_help: str, backend_help: str) -> None:
    where = p.add_mutually_exclusive_group()
    where.add_argument("--index", default=None, metavar="DIR", help=index_help)
    where.add_argument("--backend", dest="index", type=_backend, default=None, metavar="LOCATION", help=backend_help)


def _backend(text: str) -> str:
    """--backend checked as $NEWSEARCH_BACKEND is (search.settings.backend)."""
    try:
        return settings.backend(text.strip())
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _pipeline_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--workers", type=_positive, default=None, help="worker processes (default: the core count)")
    p.add_argument("--source", default=None, metavar="NAME", help="publisher name for every article read")
    p.add_argument("--no-entities", dest="entities", action="store_false", help="skip named-entity extraction")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "index", "unset") is None:  # no --index or --backend: the environment's location
        args.index = _setting("NEWSEARCH_BACKEND") or _setting("NEWSEARCH_INDEX")
    try:
        return args.run(args)
    except BackendUnavailable as error:  # a cluster down or not supported: say which, without its credentials
        return _unavailable(args.command, args.index, error)
    except StorageFull as error:
        return _no_room(args, error)
    except OSError as error:
        if error.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            raise
        return _no_room(args, error)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `newsearch extract ... | head`
        sys.stderr.close()
        return OK


def _no_room(args: argparse.Namespace, error: OSError | StorageFull) -> int:
    """A full disk or quota: one line, exit 1; Whoosh's commit is atomic, so the index holds what the
    last commit wrote (with --progress-log, the ids listed there)."""
    where = getattr(args, "index", None)
    target = f"{_where(where)}: " if isinstance(where, str) else ""
    name = getattr(error, "filename", None) if isinstance(error, OSError) else None
    print(f"newsearch {args.command}: {target}no space left on the device"
          f"{f' writing {name}' if name else ''}; nothing after the last commit was written", file=sys.stderr)
    return NOTHING


# -- index ----------------------------------------------------------------------------------------
def open_backend(location: str, *, writing: bool = False, workers: int | None = None, buffer_mb: int | None = None):
    """The backend at `location` (search.engine.open_engine), tuned from the settings table.

    An index run lets other writers (the API) in every 2 s and writes a rebuild in one process per
    worker; every caller waits for another writer as long as $NEWSEARCH_WRITE_LOCK_TIMEOUT says."""
    from search.engine import open_engine
    from indexer.pipeline import default_workers

    options = {"lock_timeout": _setting("NEWSEARCH_WRITE_LOCK_TIMEOUT"),
               "search_timeout": _setting("NEWSEARCH_SEARCH_TIMEOUT")}
    if writing:
        options.update(share_lock=2.0, procs=max(1, workers or default_workers()),
                       buffer_mb=buffer_mb or _setting("NEWSEARCH_BUFFER_MB"))
    return open_engine(location, **options)


def cmd_index(args: argparse.Namespace) -> int:
    from indexer.pipeline import index_paths
    from indexer.readers import count_items
    from search.errors import WriteLockTimeout

    from .progress import Progress

    engine = open_backend(args.index, writing=True, workers=args.workers, buffer_mb=args.buffer_mb)
    # On a terminal a bar with the total, rate and time left; in a log, a line every few seconds.
    bar = Progress(count_items(args.paths), sys.stderr, interval=_setting("NEWSEARCH_PROGRESS_INTERVAL"))
    log = open(args.progress_log, "a", encoding="utf-8") if args.progress_log else None
    try:
        report = index_paths(
            args.paths, engine, rebuild=args.rebuild, prune=args.prune, workers=args.workers,
            entities=args.entities, source=args.source, progress=bar.update,
            commit_every=args.commit_every, on_commit=_progress_logger(log) if log else None,
        )
    except WriteLockTimeout as error:
        print(f"newsearch index: {_where(args.index)}: {error}", file=sys.stderr)
        return NOTHING
    finally:
        bar.close()
        if log is not None:
            log.close()
        engine.close()
    print_index_report(report, args.index, sys.stdout)
    return OK if report.indexed or report.unchanged else NOTHING


def _progress_logger(handle: TextIO):
    """on_commit for --progress-log: the ids, flushed and fsynced once their commit is durable."""

    def committed(ids: list[str]) -> None:
        handle.write("".join(f"{article_id}\n" for article_id in ids))
        handle.flush()
        os.fsync(handle.fileno())

    return committed


def _where(location: str) -> str:
    """A location as messages show it: a directory made absolute, a cluster URL without credentials."""
    from search.engine import shown_location

    return shown_location(location)


def print_index_report(report, index_dir: str, out: TextIO) -> None:
    rate = report.read / report.seconds if report.seconds else 0.0
    print(f"index: {_where(index_dir)}", file=out)
    print(f"read: {report.read} articles from {report.files} files in {report.seconds:.1f} s ({rate:.0f}/s)", file=out)
    print(f"indexed: {report.indexed} (added {report.added}, updated {report.updated})", file=out)
    print(f"unchanged: {report.unchanged}", file=out)
    print(f"deleted: {report.deleted}", file=out)
    if report.note:
        print(f"note: {report.note}", file=out)
    if report.skipped:
        print(f"skipped: {len(report.skipped)} files not read: not articles (README, LICENSE, hidden) or of a type "
              f"not read (e.g. {report.skipped[0]})", file=out)
    if report.entities_seconds:
        print(f"entities: {report.entities_changed} articles decided again with the archive's knowledge "
              f"in {report.entities_seconds:.1f} s", file=out)
    print(f"failed: {len(report.failures)}", file=out)
    for failure in report.failures:
        print(f"  {failure.origin}: {failure.reason}", file=out)


def cmd_entities(args: argparse.Namespace) -> int:
    from indexer.archive import refresh_entities
    from search.errors import IndexMissing, WriteLockTimeout

    engine = open_backend(args.index, writing=True)
    try:
        report = refresh_entities(engine)
    except IndexMissing:
        return _no_index("entities", args.index)
    except WriteLockTimeout as error:
        print(f"newsearch entities: {_where(args.index)}: {error}", file=sys.stderr)
        return NOTHING
    finally:
        engine.close()
    print(f"index: {_where(args.index)}")
    print(f"entities: {report.articles} articles with mentions; {report.changed} decided again "
          f"with the archive's knowledge in {report.seconds:.1f} s")
    return OK


# -- extract --------------------------------------------------------------------------------------
def cmd_extract(args: argparse.Namespace) -> int:
    from indexer.pipeline import Article, run_pipeline

    out = sys.stdout
    articles = failures = 0
    first = True
    if args.format == "json":
        out.write("[")
    for item in run_pipeline(args.paths, workers=args.workers, entities=args.entities, source=args.source):
        if not isinstance(item, Article):
            failures += 1
            print(f"{item.origin}: {item.reason}", file=sys.stderr)
            continue
        articles += 1
        record = item.to_dict()
        record.pop("entity_mentions", None)  # the evidence behind the entity lists: index-internal
        text = json.dumps(record, ensure_ascii=False)
        if args.format == "jsonl":
            out.write(text + "\n")
        else:
            out.write(("\n" if first else ",\n") + text)
        first = False
        out.flush()
    if args.format == "json":
        out.write("\n]\n" if articles else "]\n")
    print(f"extracted {articles} articles, {failures} failed", file=sys.stderr)
    return OK if articles else NOTHING


# -- search ---------------------------------------------------------------------------------------
def read_batch(handle: TextIO) -> list[tuple[str, str]]:
    """(qid, query) pairs from 'qid<TAB>query text' lines; blank lines and '#' comments skipped."""
    queries = []
    for lineno, line in enumerate(handle, 1):
        line = line.rstrip("\r\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        qid, sep, text = line.partition("\t")
        if not sep:  # tolerate a space after the id
            qid, _, text = line.strip().partition(" ")
        if not qid.strip() or not text.strip():
            raise ValueError(f"line {lineno}: expected 'qid<TAB>query text'")
        queries.append((qid.strip(), text.strip()))
    return queries


def cmd_search(args: argparse.Namespace) -> int:
    from search.errors import IndexMissing
    from search.request import SearchRequest

    if args.batch:
        try:
            if args.batch == "-":
                queries = read_batch(sys.stdin)
            else:
                with open(args.batch, encoding="utf-8") as handle:
                    queries = read_batch(handle)
        except (OSError, ValueError) as e:
            print(f"newsearch search: --batch {args.batch}: {e}", file=sys.stderr)
            return USAGE
    elif args.query is not None:
        queries = [("1", args.query)]
    else:
        print("newsearch search: give a QUERY or --batch FILE", file=sys.stderr)
        return USAGE

    engine = open_backend(args.index)
    results = []
    try:
        for qid, text in queries:
            request = SearchRequest(q=text, per_page=args.limit, facets=(), highlight=args.format == "json")
            results.append((qid, text, engine.search(request)))
    except IndexMissing:
        return _no_index("search", args.index)
    finally:
        engine.close()

    out = sys.stdout
    if args.format == "trec":
        for qid, _, res in results:
            for rank, hit in enumerate(res.hits, 1):
                out.write(f"{qid} Q0 {hit.id} {rank} {hit.score:.6f} newsearch\n")
    elif args.format == "json":
        payload = [
            {"qid": qid, "query": text, "total": res.total, "took_ms": res.took_ms, "suggestion": res.suggestion,
             "timed_out": res.timed_out, "hits": [_jsonable(hit_record(hit)) for hit in res.hits]}
            for qid, text, res in results
        ]
        json.dump(payload if args.batch else payload[0], out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        for qid, text, res in results:
            if args.batch:
                out.write(f"# {qid}: {text}\n")
            out.write(f"{res.total} results for {text!r}" + (f" (did you mean {res.suggestion!r}?)" if res.suggestion else "")
                      + (" (out of time: the best hits found in time)" if res.timed_out else "") + "\n")
            for rank, hit in enumerate(res.hits, 1):
                day = hit.published.date().isoformat() if hit.published else "----------"
                out.write(f"{rank:3d}. {hit.title or '(untitled)'}\n     {day}  {hit.source or '-'}  score {hit.score:.2f}  id {hit.id}\n")
    return OK


def hit_record(hit) -> dict:
    """A hit as one flat JSON object: its facet values (source, author, people, ...) at the top level."""
    record = dataclasses.asdict(hit)
    values = record.pop("values", None) or {}
    return {**record, **values}


def _no_index(command: str, index: str) -> int:
    print(f"newsearch {command}: no index at {_where(index)} (run `newsearch index` first)", file=sys.stderr)
    return NOTHING


def _unavailable(command: str, location: str, error: Exception) -> int:
    print(f"newsearch {command}: {_where(location)}: {error}", file=sys.stderr)
    return NOTHING


# -- stats ----------------------------------------------------------------------------------------
def stats_record(stats) -> dict:
    """The statistics as JSON: counts, dates, and each facet's top values by facet name."""
    return dataclasses.asdict(stats)


def cmd_stats(args: argparse.Namespace) -> int:
    from search.errors import IndexMissing

    engine = open_backend(args.index)
    try:
        stats = engine.stats()
    except IndexMissing:
        return _no_index("stats", args.index)
    finally:
        engine.close()
    out = sys.stdout
    if args.format == "json":
        json.dump(_jsonable(stats_record(stats)), out, ensure_ascii=False, indent=2)
        out.write("\n")
        return OK
    first = stats.first_published.date().isoformat() if stats.first_published else "-"
    last = stats.last_published.date().isoformat() if stats.last_published else "-"
    out.write(f"index: {_where(args.index)} (generation {stats.generation})\n")
    out.write(f"documents: {stats.documents}\n")
    out.write(f"published: {first} .. {last}\n")
    for facet in FIELDS.facets:
        if facet.name in stats.facets:
            listed = ", ".join(f"{b.value} ({b.count})" for b in stats.facets[facet.name]) or "-"
            out.write(f"{facet.label.lower()}: {listed}\n")
    return OK


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


# -- serve ----------------------------------------------------------------------------------------
def gunicorn_config() -> Path | None:
    """api/gunicorn.conf.py of the installed (or checked-out) api package, found without importing it."""
    spec = importlib.util.find_spec("api")
    if spec is None:
        return None
    if spec.origin and spec.origin not in ("namespace", "built-in"):
        folder = Path(spec.origin).parent
    elif spec.submodule_search_locations:
        folder = Path(list(spec.submodule_search_locations)[0])
    else:
        return None
    config = folder / "gunicorn.conf.py"
    return config if config.is_file() else None


def serve_command(location: str, bind: str | None = None,
                  environ: Mapping[str, str] | None = None) -> tuple[list[str], dict[str, str]]:
    """The gunicorn command line and environment `newsearch serve` runs.

    `bind` is --bind; without it, $NEWSEARCH_BIND in `environ` (default: this process's), then the
    settings table's default. The server is told the location the command resolved, so a --index
    given here wins over a $NEWSEARCH_BACKEND in the environment."""
    from search.engine import is_cluster

    config = gunicorn_config()
    if config is None:
        raise FileNotFoundError("api/gunicorn.conf.py not found: is the api package installed?")
    env = dict(os.environ if environ is None else environ)
    bind = bind or settings.value("NEWSEARCH_BIND", env)
    if is_cluster(location):
        env["NEWSEARCH_BACKEND"] = location
    else:
        env.pop("NEWSEARCH_BACKEND", None)
        env["NEWSEARCH_INDEX"] = os.path.abspath(location)
    # gunicorn imports api.wsgi by name: make sure the package's parent directory is importable.
    package_parent = str(config.parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_parent, env.get("PYTHONPATH", "")) if p)
    argv = [sys.executable, "-m", "gunicorn", "-c", str(config), "--bind", bind, "api.wsgi:app"]
    return argv, env


def cmd_serve(args: argparse.Namespace) -> int:
    from search.engine import is_cluster

    try:
        argv, env = serve_command(args.index, args.bind)
        settings.values("app", env)  # what the server would refuse at start-up, refused here first
    except FileNotFoundError as e:
        print(f"newsearch serve: {e}", file=sys.stderr)
        return NOTHING
    except settings.SettingError as e:
        print(f"newsearch serve: {e}", file=sys.stderr)
        return USAGE
    if not is_cluster(args.index) and not os.path.isdir(args.index):
        print(f"newsearch serve: warning: no index at {os.path.abspath(args.index)} yet", file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(argv[0], argv, env)
    return OK  # not reached


# -- settings -------------------------------------------------------------------------------------
def cmd_settings(args: argparse.Namespace) -> int:
    sys.stdout.write(settings.markdown())
    return OK


if __name__ == "__main__":
    raise SystemExit(main())
