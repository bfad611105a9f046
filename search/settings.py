"""Every setting, in one table: its environment variable, default, parser, meaning and readers.

This module is the only place that reads `NEWSEARCH_*` from the environment. The API's `Config`
(api/config.py), gunicorn's settings (api/gunicorn.conf.py) and the `newsearch` command read their
values through `value()` / `values()`, and the settings section of README.md is rendered from the
table (`python -m search.settings --update README.md`; a test checks that they agree).

    >>> value("NEWSEARCH_WRITE_LOCK_TIMEOUT", {})
    10.0
    >>> value("NEWSEARCH_BIND", {"NEWSEARCH_BIND": "0.0.0.0:8000"})
    '0.0.0.0:8000'

An unset or blank variable means the default; a value the parser refuses raises `SettingError`
naming the variable, never a silent fallback.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping

from search.cores import usable_cores

# Who reads a setting: the API app (api/config.py), the gunicorn server (api/gunicorn.conf.py), the
# `newsearch` command (cli/), the Whoosh backend (constructor knobs the app and the CLI pass on),
# the OpenSearch backend (search/engine.py reads these when it opens a cluster), the Docker image's
# entry point (a shell, so the table documents it but cannot parse it), or the test suite.
READERS = ("app", "server", "cli", "whoosh", "opensearch", "docker", "tests")


class SettingError(ValueError):
    """An environment variable holds a value we cannot use."""


class _Refused(ValueError):
    """A parser's complete verdict ("lists origins; '*' is not accepted"), not "must be ..., not 'x'"."""


# -- parsers: text in, value out, ValueError("must be ...") when the text will not do ---------------
def text(raw: str) -> str:
    return raw


def names(raw: str) -> tuple[str, ...]:
    """Comma-separated values, stripped, blanks and repeats dropped, in order."""
    return tuple(dict.fromkeys(part.strip() for part in raw.split(",") if part.strip()))


def origins(raw: str) -> tuple[str, ...]:
    listed = names(raw)
    if "*" in listed:
        raise _Refused("lists origins; '*' is not accepted")
    return tuple(o.rstrip("/") for o in listed)


def whole(minimum: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            number = int(raw)
        except ValueError:
            raise ValueError("must be a number") from None
        if number < minimum:
            raise ValueError(f"must be at least {minimum}")
        return number

    parse.__name__ = f"whole number >= {minimum}"
    return parse


def seconds(minimum: float) -> Callable[[str], float]:
    def parse(raw: str) -> float:
        try:
            number = float(raw)
        except ValueError:
            raise ValueError("must be a number") from None
        if not number >= minimum or number == float("inf"):  # also refuses nan and inf
            raise ValueError(f"must be at least {minimum:g}")
        return number

    parse.__name__ = f"seconds >= {minimum:g}"
    return parse


KEY_SECRET_MIN_BYTES = 16  # api/keys.py signs and verifies scoped keys with no shorter secret


def secret(minimum: int) -> Callable[[str], str]:
    """A signing secret of at least `minimum` bytes (UTF-8); refused without echoing it."""

    def parse(raw: str) -> str:
        if len(raw.encode("utf-8", "surrogatepass")) < minimum:
            raise _Refused(f"must be at least {minimum} bytes (the one given is shorter)")
        return raw

    parse.__name__ = f"secret of >= {minimum} bytes"
    return parse


def backend(raw: str) -> str:
    """An index directory, or an `opensearch+https://host:9200/alias` URL."""
    if "://" in raw and not raw.lower().startswith(("opensearch+http://", "opensearch+https://")):
        raise ValueError("must be an index directory or an opensearch+https://host:port/alias URL")
    if "://" in raw:
        from search.opensearch_backend.connection import parse_url  # no client imported: the URL's rules

        try:
            parse_url(raw)
        except ValueError as error:
            raise _Refused(f"must be an opensearch+https://host:port/alias URL: {error}") from None
    return raw


def public_url(raw: str) -> str:
    """An absolute http(s) URL with no query or fragment (a path prefix is kept), without a trailing '/'."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        parts = None
    if (parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname or parts.query
            or parts.fragment or raw.endswith("?") or raw.endswith("#") or parts.username or parts.password
            or any(c.isspace() or not c.isprintable() for c in raw)):
        raise ValueError("must be an absolute http(s) URL such as https://news.example.org, without query or fragment")
    return raw.rstrip("/")


def bind(raw: str) -> str:
    """gunicorn's HOST:PORT (or [IPv6]:PORT, unix:PATH, fd://N)."""
    if raw.startswith(("unix:", "fd://")):
        return raw
    host, sep, port = raw.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError("must be HOST:PORT (or unix:PATH)")
    return raw


def choice(*allowed: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if raw.lower() not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}")
        return raw.lower()

    parse.__name__ = " | ".join(allowed)
    return parse


def _cores() -> int:
    """The CPUs this process may use: its cores, capped by a container's CPU limit (search/cores.py)."""
    return usable_cores()


def switch(raw: str) -> bool:
    """`on` or `off` (`true` and `false` too)."""
    if raw.lower() not in ("on", "off", "true", "false"):
        raise ValueError("must be on or off")
    return raw.lower() in ("on", "true")


switch.__name__ = "on | off"


def _cores_plus_one() -> int:
    return _cores() + 1


# -- the table ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Setting:
    name: str  # the environment variable
    default: object  # the value when unset or blank (None: no value); a callable is computed when read
    parse: Callable[[str], object]
    help: str  # one sentence or two, Markdown
    readers: tuple[str, ...]
    shown: str | None = None  # how the documentation shows the default, when repr would not do

    def __post_init__(self) -> None:
        unknown = set(self.readers) - set(READERS)
        if unknown or not self.readers:
            raise TypeError(f"{self.name}: readers must be some of {READERS}, not {self.readers}")

    @property
    def documented_default(self) -> str:
        if self.shown is not None:
            return self.shown
        if self.default is None or self.default == ():
            return "none"
        return f"`{self.default}`"

    def read(self, environ: Mapping[str, str]) -> object:
        raw = environ.get(self.name)
        if raw is None or raw.strip() == "":
            return self.default() if callable(self.default) else self.default
        raw = raw.strip()
        try:
            return self.parse(raw)
        except _Refused as error:
            raise SettingError(f"{self.name} {error}") from None
        except ValueError as error:
            raise SettingError(f"{self.name} {error}, not {raw!r}") from None


MB = 1024 * 1024

SETTINGS: tuple[Setting, ...] = (
    Setting("NEWSEARCH_INDEX", "./data/index", text,
            "Index directory: the one `newsearch index` builds and the API serves (the CLI's `--index` default).",
            ("app", "cli")),
    Setting("NEWSEARCH_BACKEND", None, backend,
            "Where the index lives, when not the directory above: a path means the Whoosh index there, an "
            "`opensearch+https://host:9200/alias` URL an OpenSearch cluster (the CLI's `--backend`).",
            ("app", "cli"), shown="`$NEWSEARCH_INDEX`"),
    Setting("NEWSEARCH_API_KEYS", (), names,
            "Comma-separated write keys (`Authorization: Bearer <key>`); with none, every write is refused.",
            ("app",)),
    Setting("NEWSEARCH_READ_KEYS", (), names,
            "Comma-separated read keys; with none, reads are open, with some, reads need one of them (or a write key).",
            ("app",)),
    Setting("NEWSEARCH_CORS_ORIGINS", (), origins,
            "Comma-separated origins allowed to call the API from a browser and to frame `/embed` "
            "(`https://news.example.org`; `*` is refused); with none, no CORS.",
            ("app",)),
    Setting("NEWSEARCH_KEY_SECRET", None, secret(KEY_SECRET_MIN_BYTES),
            f"Signs scoped search keys (`newsearch keys create`), at least {KEY_SECRET_MIN_BYTES} bytes "
            "(the server refuses to start with a shorter one); with none, scoped keys are off.",
            ("app", "cli")),
    Setting("NEWSEARCH_PUBLIC_URL", None, public_url,
            "The API's public base URL as browsers and feed readers reach it (`https://news.example.org`, or "
            "with a path prefix behind a proxy): every absolute URL the API writes (Atom links, `/opensearch.xml`, "
            "`Location`, `/embed`) starts with it. Unset: those URLs follow each request's `Host` header, and "
            "the responses carrying them are `private` (never stored by a shared cache).",
            ("app",)),
    Setting("NEWSEARCH_MAX_QUERY_LENGTH", 512, whole(1),
            "Longest `q` (and any other text parameter), in characters.", ("app",)),
    Setting("NEWSEARCH_MAX_PER_PAGE", 100, whole(1), "Largest `per_page`.", ("app",)),
    Setting("NEWSEARCH_RESULT_WINDOW", 1000, whole(1),
            "Deepest result reachable: `page × per_page` may not exceed it.", ("app",)),
    Setting("NEWSEARCH_MAX_BODY_BYTES", 10 * MB, whole(1),
            "Largest request body, in bytes (10 MB); larger gets 413.", ("app",)),
    Setting("NEWSEARCH_MAX_BATCH_SIZE", 500, whole(1),
            "Most articles in one `POST /v1/articles`; more gets 413.", ("app",)),
    Setting("NEWSEARCH_WRITE_LOCK_TIMEOUT", 10.0, seconds(0),
            "Seconds `newsearch index` waits for another writer before giving up. API writes never wait "
            "for the lock: they are journaled (durable) and applied by whichever writer holds it.",
            ("app", "cli", "whoosh"), shown="`10`"),
    Setting("NEWSEARCH_SEARCH_TIMEOUT", 2.0, seconds(0.05),
            "Seconds a search (or `similar`) may run: past it, ranking stops and the answer holds the hits "
            "found so far with `timed_out: true`, or, when not even the match set is ready, a 503 with "
            "`Retry-After`. Keep it well below `NEWSEARCH_TIMEOUT`.",
            ("app", "cli", "whoosh"), shown="`2`"),
    Setting("NEWSEARCH_LONG_SEARCHES", _cores, whole(0),
            "Searches that may run longer than a quarter of a second at once, across the server's workers; "
            "one more stops there (partial results or a 503), so that with fewer than `NEWSEARCH_WORKERS` "
            "a worker is always free for `/health` and ordinary searches. 0: no limit.",
            ("app", "whoosh"), shown="cores"),
    Setting("NEWSEARCH_RAW_SECONDS", 15.0, seconds(0),
            "Most seconds one write request spends running raw text/HTML through the pipeline (entity "
            "extraction runs at a few raw articles a second); the items not reached are written by no one and "
            "listed in `errors` to be sent again. Keep it well below `NEWSEARCH_TIMEOUT`.",
            ("app",), shown="`15`"),
    Setting("NEWSEARCH_WRITE_WAIT", 5.0, seconds(0),
            "Most seconds an API write sent with `?wait=true` waits to become searchable (`visible`) "
            "before answering; keep it below `NEWSEARCH_TIMEOUT`.",
            ("app",), shown="`5`"),
    Setting("NEWSEARCH_WRITE_YIELD", 0.1, seconds(0),
            "Most seconds an API write waits for the searches in flight to finish before it is processed "
            "(reads first: writers posting flat out would otherwise take the searches' CPU); 0: never waits.",
            ("app",), shown="`0.1`"),
    Setting("NEWSEARCH_CACHE_MAX_AGE", 0, whole(0),
            "`Cache-Control: max-age` of read responses, in seconds; 0: clients revalidate with the ETag every time.",
            ("app",)),
    Setting("NEWSEARCH_METRICS", True, switch,
            "`GET /metrics`: request, latency, search-budget and index metrics in Prometheus's text format, "
            "summed over gunicorn's workers, open without a key (like `/health`); `off`: no such route (404).",
            ("app", "server"), shown="`on`"),
    Setting("NEWSEARCH_BUFFER_MB", 1024, whole(1),
            "`newsearch index`'s posting buffer in MB, shared by its writer processes (`--buffer-mb`); "
            "a ceiling, not an allocation: less spills to disk and indexes slower.",
            ("cli", "whoosh")),
    Setting("NEWSEARCH_PROGRESS_INTERVAL", 5.0, seconds(0),
            "Seconds between the progress lines `newsearch index` writes when its output is not a terminal "
            "(a log, `docker logs`): articles done out of the total, rate and time left. On a terminal it "
            "shows a progress bar instead.",
            ("cli",), shown="`5`"),
    Setting("NEWSEARCH_BIND", "127.0.0.1:8000", bind,
            "Address gunicorn listens on (`newsearch serve --bind` overrides it).", ("server", "cli")),
    Setting("NEWSEARCH_WORKERS", _cores_plus_one, whole(1),
            "gunicorn worker processes (threaded: `gthread`). Cores are those the server may use: in a "
            "container, its CPU limit (cgroup `cpu.max`, or v1's CFS quota), rounded up, not the host's.",
            ("server",), shown="cores + 1"),
    Setting("NEWSEARCH_THREADS", 32, whole(1),
            "Threads per gunicorn worker: how many slow or idle clients a worker absorbs before requests queue "
            "(searches still run one at a time per worker).", ("server",)),
    Setting("NEWSEARCH_CLIENT_TIMEOUT", 30.0, seconds(1),
            "Seconds a client may take to read an answer (or to send the next part of a request body) "
            "before the server drops it and frees the thread.", ("server",), shown="`30`"),
    Setting("NEWSEARCH_TIMEOUT", 30, whole(1),
            "Seconds before gunicorn kills a stuck worker.", ("server",)),
    Setting("NEWSEARCH_LOG_LEVEL", "info", choice("debug", "info", "warning", "error", "critical"),
            "gunicorn's log level.", ("server",), shown="`info`"),
    Setting("NEWSEARCH_OPENSEARCH_SHARDS", 1, whole(1),
            "Primary shards of an index the OpenSearch backend creates (its first, and each `--rebuild`'s); "
            "fixed for the index's life, a rebuild applies a new value.", ("opensearch",)),
    Setting("NEWSEARCH_OPENSEARCH_REPLICAS", 1, whole(0),
            "Replicas of each shard of an index the OpenSearch backend creates (0 on a single node).",
            ("opensearch",)),
    Setting("NEWSEARCH_OPENSEARCH_TIMEOUT", 5.0, seconds(0.1),
            "Seconds one request to the OpenSearch cluster may take before it counts as unavailable "
            "(a 503 with `Retry-After`); with the retries, keep it well below `NEWSEARCH_TIMEOUT`.",
            ("opensearch",), shown="`5`"),
    Setting("NEWSEARCH_OPENSEARCH_RETRIES", 1, whole(0),
            "Further attempts at a request the OpenSearch cluster refused the connection for or answered "
            "502, 503 or 504 (a timeout is not retried).", ("opensearch",)),
    Setting("NEWSEARCH_OPENSEARCH_VERIFY", True, switch,
            "Check the OpenSearch cluster's TLS certificate (`opensearch+https://` URLs); `off` only for a test cluster.",
            ("opensearch",), shown="`on`"),
    Setting("NEWSEARCH_OPENSEARCH_CA_BUNDLE", None, text,
            "A CA certificate file (PEM) to check the OpenSearch cluster's certificate with, when it is not "
            "signed by a public authority.", ("opensearch",)),
    Setting("NEWSEARCH_TEST_OPENSEARCH_URL", None, text,
            "tests: a real cluster to run the OpenSearch side of the suite against "
            "(`opensearch+https://user:pw@host:9200`); unset, the suite starts osmem-server on 127.0.0.1.",
            ("tests",)),
    Setting("NEWSEARCH_CORPUS", None, text,
            "Docker image only: a mounted directory indexed (incrementally) in the background while the server "
            "starts and serves the index already there (the Dockerfile says why).",
            ("docker",)),
)

BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}


def value(name: str, environ: Mapping[str, str] | None = None) -> object:
    """The setting's value in `environ` (default: the process environment), or its default."""
    return BY_NAME[name].read(os.environ if environ is None else environ)


def default(name: str) -> object:
    """The setting's default (what `value` answers when the variable is unset)."""
    found = BY_NAME[name].default
    return found() if callable(found) else found


def values(reader: str | None = None, environ: Mapping[str, str] | None = None) -> dict[str, object]:
    """Every setting `reader` reads (all when None), by variable name, each parsed."""
    environ = os.environ if environ is None else environ
    return {s.name: s.read(environ) for s in SETTINGS if reader is None or reader in s.readers}


def location(environ: Mapping[str, str] | None = None) -> str:
    """The backend's location: NEWSEARCH_BACKEND, else NEWSEARCH_INDEX."""
    return value("NEWSEARCH_BACKEND", environ) or value("NEWSEARCH_INDEX", environ)


# -- documentation --------------------------------------------------------------------------------
DOC_START = "<!-- settings: generated by `python -m search.settings --update README.md` -->"
DOC_END = "<!-- settings: end -->"


def markdown(settings: Iterable[Setting] = SETTINGS) -> str:
    """The table as Markdown: variable, default, read by, meaning."""
    lines = ["| Variable | Default | Read by | Meaning |", "|---|---|---|---|"]
    for s in settings:
        lines.append(f"| `{s.name}` | {s.documented_default} | {', '.join(s.readers)} | {s.help} |")
    return "\n".join(lines) + "\n"


def with_table(document: str) -> str:
    """`document` with the text between DOC_START and DOC_END replaced by the current table."""
    return with_block(document, DOC_START, DOC_END, markdown())


def with_block(document: str, start_marker: str, end_marker: str, body: str) -> str:
    """`document` with the text between two marker lines replaced by `body` (a generated README
    block: the settings table here, the JSONL fields in indexer/readers.py)."""
    head, start, rest = document.partition(start_marker)
    _, end, tail = rest.partition(end_marker)
    if not start or not end:
        raise ValueError(f"no {start_marker!r} ... {end_marker!r} block to fill")
    return f"{head}{start_marker}\n{body}{end_marker}{tail}"


def main(argv: list[str] | None = None) -> int:
    """`python -m search.settings` prints the table; `--update FILE` rewrites FILE's settings block;
    `--get NAME` prints one setting's value in this environment."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--update"] and len(args) == 2:
        with open(args[1], encoding="utf-8") as handle:
            document = handle.read()
        updated = with_table(document)
        if updated != document:
            with open(args[1], "w", encoding="utf-8") as handle:
                handle.write(updated)
        return 0
    if args[:1] == ["--get"] and len(args) == 2 and args[1] in BY_NAME:
        try:
            found = value(args[1])
        except SettingError as error:
            print(error, file=sys.stderr)
            return 2
        print("" if found is None else ",".join(found) if isinstance(found, tuple) else found)
        return 0
    if args:
        print("usage: python -m search.settings [--update FILE | --get NAME]", file=sys.stderr)
        return 2
    sys.stdout.write(markdown())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
