"""The API's settings, read once from the environment by `Config.from_env()`.

Which variables there are, their defaults, limits and meaning: the one table in search/settings.py
(rendered in README.md's Configuration section). This module only gathers the ones the app reads.
Keys are never printed: they are left out of the dataclass's repr.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from search.settings import KEY_SECRET_MIN_BYTES, SettingError, default, public_url, secret, values


class ConfigError(SettingError):
    """An environment variable holds a value we cannot use."""


@dataclass(frozen=True)
class Config:
    # Defaults are the table's, so that `Config(index=...)` in a test means what an unset variable means.
    index: Path = Path(default("NEWSEARCH_INDEX"))
    api_keys: tuple[str, ...] = field(default=(), repr=False)
    read_keys: tuple[str, ...] = field(default=(), repr=False)
    cors_origins: tuple[str, ...] = ()
    max_query_length: int = default("NEWSEARCH_MAX_QUERY_LENGTH")
    max_per_page: int = default("NEWSEARCH_MAX_PER_PAGE")
    result_window: int = default("NEWSEARCH_RESULT_WINDOW")
    max_body_bytes: int = default("NEWSEARCH_MAX_BODY_BYTES")
    max_batch_size: int = default("NEWSEARCH_MAX_BATCH_SIZE")
    write_lock_timeout: float = default("NEWSEARCH_WRITE_LOCK_TIMEOUT")
    write_wait: float = default("NEWSEARCH_WRITE_WAIT")
    write_yield: float = default("NEWSEARCH_WRITE_YIELD")
    raw_seconds: float = default("NEWSEARCH_RAW_SECONDS")
    cache_max_age: int = default("NEWSEARCH_CACHE_MAX_AGE")
    search_timeout: float = default("NEWSEARCH_SEARCH_TIMEOUT")
    long_searches: int = default("NEWSEARCH_LONG_SEARCHES")  # 0: no limit
    key_secret: str | None = field(default=None, repr=False)  # signs scoped search keys
    backend: str | None = None  # an OpenSearch URL or another index path; None: `index`
    metrics: bool = default("NEWSEARCH_METRICS")  # GET /metrics (api/metrics.py)
    public_url: str | None = None  # base of every absolute URL the API writes; None: the request's Host

    def __post_init__(self) -> None:
        # The table refuses a short NEWSEARCH_KEY_SECRET; a Config built in code is held to the same
        # rule, so that no server runs with a secret that then fails on every unknown bearer token.
        if self.public_url is not None:
            try:
                object.__setattr__(self, "public_url", public_url(self.public_url))
            except ValueError as error:
                raise ConfigError(f"NEWSEARCH_PUBLIC_URL {error}, not {self.public_url!r}") from None
        if self.key_secret:
            try:
                secret(KEY_SECRET_MIN_BYTES)(self.key_secret)
            except ValueError as error:
                raise ConfigError(f"NEWSEARCH_KEY_SECRET {error}") from None

    @property
    def location(self) -> str | Path:
        """What to open (search.engine.open_engine): the backend when one is named, else the index."""
        return self.backend or self.index

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "Config":
        try:
            env = values("app", environ)
        except SettingError as error:
            raise ConfigError(str(error)) from None
        return cls(
            index=Path(env["NEWSEARCH_INDEX"]),
            api_keys=env["NEWSEARCH_API_KEYS"],
            read_keys=env["NEWSEARCH_READ_KEYS"],
            cors_origins=env["NEWSEARCH_CORS_ORIGINS"],
            max_query_length=env["NEWSEARCH_MAX_QUERY_LENGTH"],
            max_per_page=env["NEWSEARCH_MAX_PER_PAGE"],
            result_window=env["NEWSEARCH_RESULT_WINDOW"],
            max_body_bytes=env["NEWSEARCH_MAX_BODY_BYTES"],
            max_batch_size=env["NEWSEARCH_MAX_BATCH_SIZE"],
            write_lock_timeout=env["NEWSEARCH_WRITE_LOCK_TIMEOUT"],
            write_wait=env["NEWSEARCH_WRITE_WAIT"],
            write_yield=env["NEWSEARCH_WRITE_YIELD"],
            raw_seconds=env["NEWSEARCH_RAW_SECONDS"],
            cache_max_age=env["NEWSEARCH_CACHE_MAX_AGE"],
            search_timeout=env["NEWSEARCH_SEARCH_TIMEOUT"],
            long_searches=env["NEWSEARCH_LONG_SEARCHES"],
            key_secret=env["NEWSEARCH_KEY_SECRET"],
            backend=env["NEWSEARCH_BACKEND"],
            public_url=env["NEWSEARCH_PUBLIC_URL"],
            metrics=env["NEWSEARCH_METRICS"],
        )
