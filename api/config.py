"""The API's settings, read once from the environment by `Config.from_env()`.

=============================  ================  ==========================================================
Variable                       Default           Meaning
=============================  ================  ==========================================================
NEWSEARCH_INDEX                ./data/index      Index directory (the one `newsearch index --index` builds).
NEWSEARCH_API_KEYS             (none)            Comma-separated write keys (`Authorization: Bearer <key>`).
                                                 With none, every write is refused.
NEWSEARCH_READ_KEYS            (none)            Comma-separated read keys. With none, reads are open;
                                                 with some, reads need one of them (or a write key).
NEWSEARCH_CORS_ORIGINS         (none)            Comma-separated origins allowed to call the API from a
                                                 browser (`https://news.example.org`). None: no CORS.
NEWSEARCH_MAX_QUERY_LENGTH     512               Longest `q` (and any other text parameter), in characters.
NEWSEARCH_MAX_PER_PAGE         100               Largest `per_page`.
NEWSEARCH_RESULT_WINDOW        1000              Deepest result reachable: `page * per_page` must not exceed it.
NEWSEARCH_MAX_BODY_BYTES       10485760          Largest request body (10 MB); larger gets 413.
NEWSEARCH_MAX_BATCH_SIZE       500               Most articles in one `POST /v1/articles`; more gets 413.
NEWSEARCH_WRITE_LOCK_TIMEOUT   10                Seconds a write waits for another writer before 503.
                                                 Keep it below gunicorn's worker timeout.
NEWSEARCH_CACHE_MAX_AGE        0                 `Cache-Control: max-age` of read responses, in seconds.
                                                 0 means clients revalidate with the ETag every time.
=============================  ================  ==========================================================

Keys are never printed: they are left out of the dataclass's repr.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping


class ConfigError(ValueError):
    """An environment variable holds a value we cannot use."""


def _split(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))


def _number(environ: Mapping[str, str], name: str, default, kind=int, minimum=1):
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = kind(raw.strip())
    except ValueError:
        raise ConfigError(f"{name} must be a number, not {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, not {raw!r}")
    return value


@dataclass(frozen=True)
class Config:
    index: Path = Path("./data/index")
    api_keys: tuple[str, ...] = field(default=(), repr=False)
    read_keys: tuple[str, ...] = field(default=(), repr=False)
    cors_origins: tuple[str, ...] = ()
    max_query_length: int = 512
    max_per_page: int = 100
    result_window: int = 1000
    max_body_bytes: int = 10 * 1024 * 1024
    max_batch_size: int = 500
    write_lock_timeout: float = 10.0
    cache_max_age: int = 0
    key_secret: str | None = field(default=None, repr=False)  # signs scoped search keys

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "Config":
        origins = _split(environ.get("NEWSEARCH_CORS_ORIGINS"))
        if "*" in origins:
            raise ConfigError("NEWSEARCH_CORS_ORIGINS lists origins; '*' is not accepted")
        return cls(
            index=Path(environ.get("NEWSEARCH_INDEX") or "./data/index"),
            api_keys=_split(environ.get("NEWSEARCH_API_KEYS")),
            read_keys=_split(environ.get("NEWSEARCH_READ_KEYS")),
            cors_origins=tuple(o.rstrip("/") for o in origins),
            max_query_length=_number(environ, "NEWSEARCH_MAX_QUERY_LENGTH", 512),
            max_per_page=_number(environ, "NEWSEARCH_MAX_PER_PAGE", 100),
            result_window=_number(environ, "NEWSEARCH_RESULT_WINDOW", 1000),
            max_body_bytes=_number(environ, "NEWSEARCH_MAX_BODY_BYTES", 10 * 1024 * 1024),
            max_batch_size=_number(environ, "NEWSEARCH_MAX_BATCH_SIZE", 500),
            write_lock_timeout=_number(environ, "NEWSEARCH_WRITE_LOCK_TIMEOUT", 10.0, kind=float, minimum=0),
            cache_max_age=_number(environ, "NEWSEARCH_CACHE_MAX_AGE", 0, minimum=0),
            key_secret=environ.get("NEWSEARCH_KEY_SECRET") or None,
        )
