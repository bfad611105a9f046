"""schemathesis over our own /openapi.json, against the WSGI app on a private copy of the seed index.

Every operation, positive and negative cases, a bounded number of examples each: the JSON API and the
embedding routes (/v1/search.atom, /v1/suggest/opensearch, /opensearch.xml, /embed, /widget.js). The
checks: no 5xx, every response conforms to its documented status, content type and schema, every
error is problem+json, and the XML documents (which schemathesis does not parse) are well-formed.
Writes carry a configured write key (and sometimes none or a wrong one)."""
from __future__ import annotations

import os
import random
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest
import schemathesis
from falcon import testing
from hypothesis import HealthCheck, settings
from lxml import etree

from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api.app import create_app
from tests.indexes import copy_index

from .conftest import PROBLEM, WRITE_KEY, config_for

READ_EXAMPLES = 250
WRITE_EXAMPLES = 150


# schemathesis's from_fixture does not work with pytest 9, so the schema comes from an app built at
# import. create_app opens no index (the engine opens it on the first request), so the app can name
# a directory that the module fixture below fills before the first case runs.
FUZZ_INDEX = Path(tempfile.gettempdir()) / f"newsearch-fuzz-{os.getpid()}-{uuid.uuid4().hex[:8]}" / "index"
APP = create_app(config_for(FUZZ_INDEX))
# A request the schema forbids must be refused with a 4xx this API documents: 413 for a batch or
# body over the limit, 415 for a body that is not JSON, next to schemathesis's defaults.
CONFIG = SchemathesisConfig.from_dict(
    {"checks": {"negative_data_rejection": {"expected-statuses": [400, 401, 403, 404, 413, 415, 422]}}}
)
schema = schemathesis.openapi.from_wsgi("/openapi.json", APP, config=CONFIG)


@pytest.fixture(scope="module", autouse=True)
def fuzz_index(seed_index):
    copy_index(seed_index, FUZZ_INDEX)
    # Load the NER model now, not inside the first raw-article example (its deadline would trip).
    warm = testing.TestClient(APP).simulate_post(
        "/v1/articles", json={"id": "warm-up", "text": "Warm up\n\nPolice in Kansas City said."},
        headers={"Authorization": f"Bearer {WRITE_KEY}"},
    )
    assert warm.status_code == 201, warm.text
    yield FUZZ_INDEX
    shutil.rmtree(FUZZ_INDEX.parent, ignore_errors=True)


# Rules JSON Schema cannot state, so a schema-valid request may still get a 400 for them: the
# result window (page × per_page), `from` after `to`, and raw text/HTML with no article in it once
# cleaned (a judgement of the content). Everything else schema-valid must be accepted.
SEMANTIC_REASONS = ("Beyond the result window", "`from` is after `to`.")
PIPELINE_REASONS = ("no article text", "cannot process", "Duplicate id in this batch")


def _semantic_rejection(problem: dict) -> bool:
    params = problem.get("invalid_params") or []
    if params and all(any(r in p["reason"] for r in SEMANTIC_REASONS) for p in params):
        return True
    if problem.get("type", "").endswith("invalid-article") and problem.get("errors"):
        return True  # a batch none of whose items could be written: each item's reason is listed
    if problem.get("type", "").endswith("invalid-article"):
        reasons = [problem.get("detail") or ""] + [e["reason"] for e in problem.get("errors") or []]
        return all(any(r in reason for r in PIPELINE_REASONS) for reason in reasons[1:] or reasons)
    return False


def _checked(case) -> None:
    headers = {}
    if case.method.upper() in ("POST", "PUT", "DELETE"):
        # A negative case that leaves the header out on purpose (the schema requires the key) is
        # sent without it and must be refused (401); every other write carries the write key.
        header = case.meta.components.get(ParameterLocation.HEADER) if case.meta is not None else None
        if not (header is not None and header.mode is GenerationMode.NEGATIVE
                and "authorization" not in {k.lower() for k in (case.headers or {})}):
            headers["Authorization"] = f"Bearer {WRITE_KEY}"
        # Hypothesis seeds the global `random` the same way for every example, and Whoosh names new
        # segments with it: without fresh entropy the second write collides with the first's
        # segment file. (gunicorn workers are reseeded at fork by Python; this is a test artefact.)
        random.seed(os.urandom(16))
    response = case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])
    media = _header(response, "content-type").split(";")[0].strip()
    if response.status_code == 200 and media.endswith("+xml") and case.method.upper() != "HEAD":
        etree.fromstring(response.content)  # raises on a document that is not well-formed XML
    if response.status_code >= 400:
        assert media == PROBLEM, (case.method, case.path, response.status_code, media)
        if case.method.upper() != "HEAD":
            problem = response.json()
            assert problem["status"] == response.status_code and problem["title"]
            # Our own, stricter positive_data_acceptance: a schema-valid request is only refused for
            # one of the rules above (or a 404 for an id that does not exist).
            if case.meta is not None and case.meta.generation.mode is GenerationMode.POSITIVE and response.status_code == 400:
                assert _semantic_rejection(problem), (case.method, case.formatted_path, case.query, case.body, problem)


def _header(response, name: str) -> str:
    for key, values in response.headers.items():
        if key.lower() == name:
            return values[0] if isinstance(values, list) else values
    return ""


@schema.include(method=["GET", "HEAD"]).parametrize()
@settings(max_examples=READ_EXAMPLES, deadline=2000, suppress_health_check=list(HealthCheck))
def test_reads_conform(case):
    _checked(case)


@schema.include(method=["POST", "PUT", "DELETE"]).parametrize()
@settings(max_examples=WRITE_EXAMPLES, deadline=5000, suppress_health_check=list(HealthCheck))
def test_writes_conform(case):
    _checked(case)
