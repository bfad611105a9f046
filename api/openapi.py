"""The OpenAPI 3 document, built with apispec's MarshmallowPlugin from our own route table.

falcon-apispec does not work with Falcon 4, so this walks the `(path, resource)` pairs that
`create_app` registers and asks each resource for its `operations()`: the same schema instances
that validate requests document them.
"""
from __future__ import annotations

import re
from http import HTTPStatus

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from . import schemas

API_VERSION = "1.0.0"
_PATH_PARAM = re.compile(r"{(\w+)}")


def build_spec(routes: list[tuple[str, object]], *, title: str = "newsearch") -> dict:
    spec = APISpec(
        title=title,
        version=API_VERSION,
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": "Full-text search over news articles. Errors are RFC 9457 problem details."},
    )
    spec.components.schema("Problem", schema=schemas.ProblemSchema)
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    for path, resource in routes:
        describe = getattr(resource, "operations", None)
        if describe is None:
            continue
        operations = {}
        for method, op in describe().items():
            operations[method] = _operation(path, method, op)
        spec.path(path=path, operations=operations)
    document = spec.to_dict()
    # Rules a schema checks across fields (`@validates_schema`) that JSON Schema can state: each
    # schema class says them in `openapi_extra`.
    for name, component in document.get("components", {}).get("schemas", {}).items():
        extra = getattr(getattr(schemas, name, None), "openapi_extra", None)
        if extra:
            component.update(extra)
    return document


def _operation(path: str, method: str, op) -> dict:
    parameters = [
        {"in": "path", "name": name, "required": True, "schema": op.path.get(name, {"type": "string"})}
        for name in _PATH_PARAM.findall(path)
    ]
    if op.query is not None and op.query.fields:
        parameters.append({"in": "query", "schema": op.query})
    parameters.extend(op.params)
    responses = {
        str(op.status): _content(HTTPStatus(op.status).phrase, op.response, op.media_type),
        **{str(status): _content(text, op.response, op.media_type) for status, text in op.statuses.items()},
    }
    if method in ("get", "head") and getattr(op, "status", 200) == 200:
        responses["304"] = {"description": "Not modified: the ETag in If-None-Match still holds"}
    for status in op.errors:
        responses[str(status)] = {
            "description": HTTPStatus(status).phrase,
            "content": {"application/problem+json": {"schema": "Problem"}},
        }
    operation = {"summary": op.summary, "tags": list(op.tags), "responses": responses}
    if parameters:
        operation["parameters"] = parameters
    if op.body is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": op.body}}}
    if op.security is not None:
        operation["security"] = list(op.security)
    elif 401 in op.errors:
        operation["security"] = [{"bearer": []}]
    return operation


def _content(description: str, schema, media_type: str) -> dict:
    if schema is None:
        return {"description": description}
    return {"description": description, "content": {media_type: {"schema": schema}}}


class OpenAPIResource:
    public = True  # readable without a key, and not tied to the index generation

    def __init__(self, routes: list[tuple[str, object]]) -> None:
        self.routes = routes
        self._document: bytes | None = None

    def on_get(self, req, resp) -> None:
        if self._document is None:  # built on first use: the route table is complete by then
            import json

            self._document = json.dumps(build_spec(self.routes), separators=(",", ":")).encode()
        resp.content_type = "application/json"
        resp.cache_control = ["public", "max-age=3600"]
        resp.data = self._document

    on_head = on_get
