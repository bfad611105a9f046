"""`newsearch keys create`: make a scoped search key for a public page (see api/keys.py).

    NEWSEARCH_KEY_SECRET=... newsearch keys create --filter source=KCTV --expires 2027-01-01

The secret is read from an environment variable (never a command-line argument, which other
users can see in the process list); the key is printed on stdout and nothing else is.
"""
from __future__ import annotations

import argparse
import os
import sys
from datetime import date, datetime, timezone

from api.keys import ScopedKeyError, create_scoped_key
from search import settings
from search.fields import FIELDS

DEFAULT_SECRET_ENV = "NEWSEARCH_KEY_SECRET"
FILTER_NAMES = FIELDS.filter_names  # source, person, org, place, author


def add_keys_command(subparsers) -> None:
    """Add `keys create` to the `newsearch` command's subparsers."""
    keys = subparsers.add_parser("keys", help="make scoped search keys for public pages")
    actions = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    p = actions.add_parser("create", help="print a signed key that allows searches only within its filters")
    p.add_argument(
        "--filter",
        dest="filters",
        action="append",
        default=[],
        type=_filter,
        metavar="NAME=VALUE",
        help=f"restrict to this value; repeat (same name: OR). NAME is one of {', '.join(FILTER_NAMES)}",
    )
    p.add_argument("--expires", type=_expiry, default=None, metavar="DATE", help="YYYY-MM-DD or ISO 8601 date-time (UTC if no offset)")
    p.add_argument("--secret-env", default=DEFAULT_SECRET_ENV, metavar="NAME", help=f"environment variable holding the secret (default {DEFAULT_SECRET_ENV})")
    p.set_defaults(run=cmd_keys_create)


def cmd_keys_create(args: argparse.Namespace, environ=os.environ, now=None) -> int:
    if args.secret_env == DEFAULT_SECRET_ENV:
        try:
            secret = settings.value(DEFAULT_SECRET_ENV, environ)
        except settings.SettingError as error:  # too short: the server would refuse it too
            print(f"newsearch keys: {error}", file=sys.stderr)
            return 2
    else:  # a variable the operator named: not one of ours, so not in the settings table
        secret = environ.get(args.secret_env, "").strip()
    if not secret:
        print(f"newsearch keys: set {args.secret_env} to the server's key secret", file=sys.stderr)
        return 2
    now = now or datetime.now(timezone.utc)
    if args.expires is not None and args.expires <= now:
        print("newsearch keys: --expires is in the past", file=sys.stderr)
        return 2
    filters: dict[str, list[str]] = {}
    for name, value in args.filters:
        filters.setdefault(name, []).append(value)
    try:
        key = create_scoped_key(secret, filters=filters, expires=args.expires)
    except ScopedKeyError as error:
        print(f"newsearch keys: {error}", file=sys.stderr)
        return 2
    print(key)
    return 0


def _filter(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    name, value = name.strip(), value.strip()
    if not sep or not value:
        raise argparse.ArgumentTypeError("use NAME=VALUE, e.g. source=KCTV")
    if name not in FILTER_NAMES:
        raise argparse.ArgumentTypeError(f"unknown filter {name!r}; use one of {', '.join(FILTER_NAMES)}")
    return name, value


def _expiry(text: str) -> datetime:
    try:
        day = date.fromisoformat(text.strip())
        return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError("use YYYY-MM-DD or an ISO 8601 date-time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
