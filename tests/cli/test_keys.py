"""`newsearch keys create` (cli/keys.py): a key printed for a partner page verifies on the server."""
from __future__ import annotations

import argparse
from datetime import datetime, timezone

import pytest

from api.keys import verify_scoped_key
from cli.keys import add_keys_command
from search.fields import FIELDS

SECRET = "test-key-secret-0123456789abcdef"
NOW = datetime(2026, 1, 15, 12, 0, tzinfo=timezone.utc)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="newsearch")
    add_keys_command(p.add_subparsers(dest="command", required=True))
    return p


def test_cli_prints_a_key_that_verifies(capsys):
    args = parser().parse_args(["keys", "create", "--filter", "source=KCTV", "--filter", "source=KSHB", "--expires", "2027-01-01"])
    assert args.run(args, environ={"NEWSEARCH_KEY_SECRET": SECRET}, now=NOW) == 0
    out, err = capsys.readouterr()
    scope = verify_scoped_key(SECRET, out.strip(), NOW)
    assert scope.filters == {"source": ("KCTV", "KSHB")}
    assert scope.expires == datetime(2027, 1, 1, tzinfo=timezone.utc)
    assert SECRET not in out + err


def test_cli_reads_the_secret_from_the_named_variable(capsys):
    args = parser().parse_args(["keys", "create", "--filter", "place=Kansas City", "--secret-env", "PARTNER_SECRET"])
    assert args.run(args, environ={"PARTNER_SECRET": SECRET}, now=NOW) == 0
    assert verify_scoped_key(SECRET, capsys.readouterr().out.strip(), NOW).filters == {"place": ("Kansas City",)}


def test_cli_refuses_without_a_secret_or_with_a_past_expiry(capsys):
    args = parser().parse_args(["keys", "create", "--filter", "source=KCTV"])
    assert args.run(args, environ={}, now=NOW) == 2
    args = parser().parse_args(["keys", "create", "--filter", "source=KCTV", "--expires", "2020-01-01"])
    assert args.run(args, environ={"NEWSEARCH_KEY_SECRET": SECRET}, now=NOW) == 2
    assert capsys.readouterr().out == ""


def test_cli_rejects_an_unknown_filter_name(capsys):
    with pytest.raises(SystemExit):
        parser().parse_args(["keys", "create", "--filter", "url=x"])


def test_cli_lists_the_declared_filter_names(capsys):
    with pytest.raises(SystemExit):
        parser().parse_args(["keys", "create", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert f"NAME is one of {', '.join(FIELDS.filter_names)}" in help_text


def test_cli_reads_the_default_secret_through_the_settings_table(capsys):
    # Blank is unset, as for every setting; surrounding whitespace is not part of the secret.
    args = parser().parse_args(["keys", "create", "--filter", "source=KCTV"])
    assert args.run(args, environ={"NEWSEARCH_KEY_SECRET": "  "}, now=NOW) == 2
    assert args.run(args, environ={"NEWSEARCH_KEY_SECRET": f" {SECRET}\n"}, now=NOW) == 0
    assert verify_scoped_key(SECRET, capsys.readouterr().out.strip(), NOW) is not None
