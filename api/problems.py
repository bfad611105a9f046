"""Errors as RFC 9457 `application/problem+json`, and the handlers that turn exceptions into them.

Every error response, Falcon's own (404 route, 405, malformed media) included, goes through
`serialize_problem`, so clients see one shape: `type`, `title`, `status`, `detail`, and for bad
input an `invalid_params` list of `{name, reason}`.
"""
from __future__ import annotations

import json
import logging
from http import HTTPStatus

import falcon

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "urn:newsearch:problem:"

log = logging.getLogger("api")


class Problem(falcon.HTTPError):
    """An HTTPError with an RFC 9457 `type` slug and extension members (e.g. invalid_params)."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str | None = None,
        *,
        slug: str | None = None,
        headers: dict | None = None,
        **extensions,
    ) -> None:
        super().__init__(status, title=title, description=detail, headers=headers)
        self.slug = slug
        self.extensions = extensions


def invalid_params(errors: dict, *, prefix: str = "", title: str = "Invalid parameters", status: int = 400) -> Problem:
    """A 400 naming each parameter marshmallow rejected, with its reason."""
    items = list(flatten_errors(errors, prefix))
    names = ", ".join(dict.fromkeys(i["name"] for i in items))
    return Problem(
        status,
        title,
        f"Check these parameters: {names}." if names else None,
        slug="invalid-parameters",
        invalid_params=items,
    )


def flatten_errors(errors, prefix: str = ""):
    """marshmallow's nested error messages as [{name, reason}], names like `articles[2].title`."""
    if isinstance(errors, dict):
        for key, value in errors.items():
            if isinstance(key, int):
                name = f"{prefix}[{key}]"
            elif key == "_schema":
                name = prefix or "(request)"
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            yield from flatten_errors(value, name)
    elif isinstance(errors, (list, tuple)):
        for value in errors:
            if isinstance(value, (dict, list, tuple)):
                yield from flatten_errors(value, prefix)
            else:
                yield {"name": prefix or "(request)", "reason": _reason(str(value))}
    else:
        yield {"name": prefix or "(request)", "reason": _reason(str(errors))}


def _reason(message: str) -> str:
    return "Unknown parameter." if message == "Unknown field." else message


def problem_document(status: int, title: str, detail: str | None, slug: str | None, extensions: dict) -> dict:
    doc = {
        "type": TYPE_BASE + slug if slug else "about:blank",
        "title": title,
        "status": status,
    }
    if detail:
        doc["detail"] = detail
    doc.update(extensions)
    return doc


def serialize_problem(req: falcon.Request, resp: falcon.Response, error: falcon.HTTPError) -> None:
    """Falcon error serializer: every HTTPError becomes problem+json, whatever the client accepts."""
    status = error.status_code
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    title = error.title or phrase
    if title == f"{status} {phrase}":  # Falcon's default titles repeat the status line
        title = phrase
    slug = getattr(error, "slug", None)
    extensions = getattr(error, "extensions", {})
    resp.content_type = PROBLEM_JSON
    resp.data = json.dumps(problem_document(status, title, error.description, slug, extensions)).encode()
    resp.set_header("Cache-Control", "no-store")


def handle_unexpected(req: falcon.Request, resp: falcon.Response, error: Exception, params: dict) -> None:
    """The catch-all: log the traceback (never the headers), answer a 500 problem."""
    if isinstance(error, (falcon.HTTPError, falcon.HTTPStatus)):  # pragma: no cover - Falcon routes these itself
        raise error
    log.exception("unhandled error on %s %s", req.method, req.path)
    raise Problem(500, "Internal server error", "The server failed to answer this request; it has been logged.")
