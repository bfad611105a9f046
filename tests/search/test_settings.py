"""The settings table (search/settings.py): the one reader of the environment, and the docs' source."""
from __future__ import annotations

import ast
import re
import runpy
from pathlib import Path

import pytest

from api.config import Config, ConfigError
from search import settings
from search.settings import SETTINGS, SettingError, value

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("api", "cli", "indexer", "search")


def test_the_readme_shows_the_table():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert settings.with_table(readme) == readme, "run: python -m search.settings --update README.md"
    assert settings.markdown() in readme


def test_every_setting_has_one_row_a_help_text_and_a_default_that_reads_back():
    names = [s.name for s in SETTINGS]
    assert len(names) == len(set(names))
    for s in SETTINGS:
        assert s.name.startswith("NEWSEARCH_") and s.help and s.readers
        default = value(s.name, {})
        if default is not None and not isinstance(default, tuple):
            # The default, written as a value, parses back to itself: no default the parser would refuse.
            assert value(s.name, {s.name: str(default)}) == default


def test_unset_and_blank_mean_the_default():
    assert value("NEWSEARCH_INDEX", {}) == value("NEWSEARCH_INDEX", {"NEWSEARCH_INDEX": "  "}) == "./data/index"
    assert value("NEWSEARCH_WRITE_LOCK_TIMEOUT", {"NEWSEARCH_WRITE_LOCK_TIMEOUT": ""}) == 10.0
    assert value("NEWSEARCH_BIND", {}) == "127.0.0.1:8000"
    assert value("NEWSEARCH_BUFFER_MB", {}) == 1024
    assert value("NEWSEARCH_TIMEOUT", {}) == 30
    assert value("NEWSEARCH_WORKERS", {}) >= 2


@pytest.mark.parametrize("name, raw, message", [
    ("NEWSEARCH_MAX_PER_PAGE", "many", "NEWSEARCH_MAX_PER_PAGE must be a number, not 'many'"),
    ("NEWSEARCH_MAX_PER_PAGE", "0", "NEWSEARCH_MAX_PER_PAGE must be at least 1, not '0'"),
    ("NEWSEARCH_WRITE_LOCK_TIMEOUT", "-1", "NEWSEARCH_WRITE_LOCK_TIMEOUT must be at least 0, not '-1'"),
    ("NEWSEARCH_WRITE_LOCK_TIMEOUT", "nan", "NEWSEARCH_WRITE_LOCK_TIMEOUT must be at least 0, not 'nan'"),
    ("NEWSEARCH_CORS_ORIGINS", "https://a.example, *", "NEWSEARCH_CORS_ORIGINS lists origins; '*' is not accepted"),
    ("NEWSEARCH_BIND", "8000", "NEWSEARCH_BIND must be HOST:PORT (or unix:PATH), not '8000'"),
    ("NEWSEARCH_BIND", "0.0.0.0:http", "NEWSEARCH_BIND must be HOST:PORT (or unix:PATH), not '0.0.0.0:http'"),
    ("NEWSEARCH_BACKEND", "https://search.example:9200/news", "NEWSEARCH_BACKEND must be an index directory"),
    ("NEWSEARCH_LOG_LEVEL", "loud", "NEWSEARCH_LOG_LEVEL must be one of debug, info, warning, error, critical"),
    ("NEWSEARCH_METRICS", "yes", "NEWSEARCH_METRICS must be on or off, not 'yes'"),
])
def test_a_bad_value_is_refused_naming_the_variable(name, raw, message):
    with pytest.raises(SettingError) as refused:
        value(name, {name: raw})
    assert str(refused.value).startswith(message)


def test_values_are_parsed():
    env = {"NEWSEARCH_API_KEYS": " a, b ,,a ", "NEWSEARCH_CORS_ORIGINS": "https://a.example/",
           "NEWSEARCH_BACKEND": "opensearch+https://user:pw@os.example:9200/news", "NEWSEARCH_LOG_LEVEL": "WARNING",
           "NEWSEARCH_BIND": "[::1]:8080"}
    assert value("NEWSEARCH_API_KEYS", env) == ("a", "b")
    assert value("NEWSEARCH_CORS_ORIGINS", env) == ("https://a.example",)
    assert value("NEWSEARCH_LOG_LEVEL", env) == "warning"
    assert (value("NEWSEARCH_METRICS", {}), value("NEWSEARCH_METRICS", {"NEWSEARCH_METRICS": "OFF"})) == (True, False)
    assert value("NEWSEARCH_BIND", env) == "[::1]:8080"
    assert settings.location(env) == "opensearch+https://user:pw@os.example:9200/news"
    assert settings.location({"NEWSEARCH_INDEX": "/srv/index"}) == "/srv/index"
    assert settings.location({"NEWSEARCH_INDEX": "/srv/index", "NEWSEARCH_BACKEND": "/srv/other"}) == "/srv/other"


def test_values_by_reader():
    assert set(settings.values("server", {})) == {"NEWSEARCH_BIND", "NEWSEARCH_WORKERS", "NEWSEARCH_THREADS", "NEWSEARCH_CLIENT_TIMEOUT", "NEWSEARCH_TIMEOUT", "NEWSEARCH_LOG_LEVEL", "NEWSEARCH_METRICS"}
    assert "NEWSEARCH_BIND" not in settings.values("app", {})


# -- the readers --------------------------------------------------------------------------------------
def test_config_defaults_are_the_tables():
    assert Config() == Config.from_env({})
    assert Config().write_lock_timeout == 10.0


def test_config_reads_through_the_table_and_keeps_its_errors():
    config = Config.from_env({"NEWSEARCH_INDEX": "/srv/index", "NEWSEARCH_WRITE_LOCK_TIMEOUT": "2.5",
                              "NEWSEARCH_KEY_SECRET": "s" * 32, "NEWSEARCH_CACHE_MAX_AGE": "0"})
    assert (config.index, config.write_lock_timeout, config.key_secret) == (Path("/srv/index"), 2.5, "s" * 32)
    assert config.location == Path("/srv/index")
    assert Config.from_env({"NEWSEARCH_BACKEND": "opensearch+https://os:9200/news"}).location == "opensearch+https://os:9200/news"
    with pytest.raises(ConfigError, match="NEWSEARCH_CORS_ORIGINS lists origins; '\\*' is not accepted"):
        Config.from_env({"NEWSEARCH_CORS_ORIGINS": "*"})
    with pytest.raises(ConfigError, match="NEWSEARCH_RESULT_WINDOW must be a number, not 'deep'"):
        Config.from_env({"NEWSEARCH_RESULT_WINDOW": "deep"})
    assert issubclass(ConfigError, SettingError)


def test_gunicorn_reads_through_the_table(monkeypatch, capsys):
    monkeypatch.setenv("NEWSEARCH_METRICS", "off")  # on: a metrics directory (tests/api/test_metrics.py)
    for name, raw in {"NEWSEARCH_BIND": "0.0.0.0:9001", "NEWSEARCH_WORKERS": "3", "NEWSEARCH_TIMEOUT": "45",
                      "NEWSEARCH_LOG_LEVEL": "warning"}.items():
        monkeypatch.setenv(name, raw)
    monkeypatch.setenv("NEWSEARCH_THREADS", "12")
    conf = runpy.run_path(str(ROOT / "api" / "gunicorn.conf.py"))
    assert (conf["bind"], conf["workers"], conf["timeout"], conf["loglevel"]) == ("0.0.0.0:9001", 3, 45, "warning")
    assert (conf["worker_class"], conf["threads"]) == ("gthread", 12)
    # A bad value, the server's or the app's, stops gunicorn before any worker with one line naming it.
    for name, raw in {"NEWSEARCH_WORKERS": "some", "NEWSEARCH_KEY_SECRET": "short-secret"}.items():
        with monkeypatch.context() as env:
            env.setenv(name, raw)
            with pytest.raises(SystemExit) as stopped:
                runpy.run_path(str(ROOT / "api" / "gunicorn.conf.py"))
        assert stopped.value.code == 2
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"newsearch: {name} "), lines
    assert "short-secret" not in lines[0] and "at least 16 bytes" in lines[0]  # the secret is never echoed


def test_the_whoosh_backend_defaults_agree_with_the_table():
    # The backend keeps its own keyword defaults (it is usable without the table, from a shell);
    # they must be the table's, or the API, the CLI and a bare open_engine() would disagree again.
    from search.whoosh_backend.backend import LOCK_TIMEOUT
    from search.whoosh_backend.writer import BUFFER_MB

    assert LOCK_TIMEOUT == settings.default("NEWSEARCH_WRITE_LOCK_TIMEOUT")
    assert BUFFER_MB == settings.default("NEWSEARCH_BUFFER_MB")


# -- nothing else reads the environment -------------------------------------------------------------
def _sources():
    for package in PACKAGES:
        yield from sorted((ROOT / package).rglob("*.py"))


def test_only_the_table_reads_the_environment():
    """No os.getenv, and no environ.get / environ[...] of a NEWSEARCH_ name, outside search/settings.py."""
    offenders = []
    for path in _sources():
        if path == ROOT / "search" / "settings.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}"
            if isinstance(node, ast.Attribute) and node.attr in ("getenv", "getenvb"):
                offenders.append(where)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get":
                if _names_environ(node.func.value) and node.args and _is_ours(node.args[0]):
                    offenders.append(where)
            elif isinstance(node, ast.Subscript) and _names_environ(node.value) and isinstance(node.ctx, ast.Load):
                if _is_ours(node.slice):
                    offenders.append(where)
    assert offenders == []


def _names_environ(node: ast.AST) -> bool:
    return (isinstance(node, ast.Name) and node.id == "environ") or (
        isinstance(node, ast.Attribute) and node.attr == "environ")


def _is_ours(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("NEWSEARCH_")


def test_every_variable_the_repository_names_is_in_the_table():
    files = [*_sources(), ROOT / "Makefile", ROOT / "Dockerfile", ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    named = set()
    for path in files:
        named |= set(re.findall(r"\bNEWSEARCH_[A-Z_]*[A-Z]\b", path.read_text(encoding="utf-8")))
    assert named - {s.name for s in SETTINGS} == set()
