"""schemathesis over every operation of /api/openapi.json, as every kind of account.

For each role of the permission matrix (and anonymous), every operation is sent a few
generated requests: some valid by the schema, some not (wrong types, missing fields,
values out of range), some aimed at a real record inside the role's scope (the matrix
table says which kind of record an operation addresses), the rest at made-up ids. Each
answer must not be a server error and must match the schema: a documented status, the
documented content type, a body that fits the response schema (errors: the platform's
``{code, message, fields}``), and invalid input refused with a 4xx.

Every request runs in a savepoint that is rolled back, so each one meets the same world.
The run is bounded: ``SHANZHI_FUZZ_EXAMPLES`` examples per operation and role (default 1,
so each operation gets 18 different requests, one per kind of account; about 8 s of CPU per
role, under 3 minutes per database on two cores). A longer run by hand (README,
"Development"): ``SHANZHI_FUZZ_EXAMPLES=50 SHANZHI_FUZZ_SEED=7 pytest -n 0
tests/trust/test_schema_fuzz.py``. Each role and operation has a fixed seed (changed by
``SHANZHI_FUZZ_SEED``), so CI sends the same requests every time.
"""

from __future__ import annotations

import os
import zlib
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from tests.matrix import registry
from tests.matrix.runner import rolled_back
from tests.matrix.world import ANONYMOUS, World
from tests.trust.conftest import ALL_ROLES

EXAMPLES = int(os.environ.get("SHANZHI_FUZZ_EXAMPLES", "1"))
SEED = os.environ.get("SHANZHI_FUZZ_SEED")
# Only these operations (a substring of "METHOD /api/path"), to chase one failure by hand.
ONLY = os.environ.get("SHANZHI_FUZZ_ONLY", "")

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          negative_data_rejection]


def _settings() -> hypothesis.settings:
    return hypothesis.settings(
        max_examples=EXAMPLES, deadline=None, database=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: failures are collected, not raised
        suppress_health_check=list(HealthCheck), print_blob=False,
    )


def _real_path_parameters(entry: registry.Entry | None, world: World, role: str, names: set[str]) -> dict[str, Any]:
    """Path parameters naming a record inside the role's scope, when the matrix knows the
    kind of record the operation addresses (anonymous callers get a grid worker's)."""
    if entry is None or not entry.kind or not names:
        return {}
    try:
        obj = entry.target(world, role, "inside")
        values = entry.url_kwargs(obj)
    except Exception:  # the kind has no record for this role: made-up ids only
        return {}
    fixed = {k: v for k, v in values.items() if k in names}
    return fixed if set(fixed) == names else {}


def _strategy(operation: Any, fixed: dict[str, Any]) -> st.SearchStrategy[Any]:
    key = operation.label
    if key not in _GENERATED:
        _GENERATED[key] = [operation.as_strategy(GenerationMode.POSITIVE),
                           operation.as_strategy(GenerationMode.NEGATIVE)]
    options = list(_GENERATED[key])
    if fixed:
        options += [operation.as_strategy(GenerationMode.POSITIVE, path_parameters=fixed),
                    operation.as_strategy(GenerationMode.NEGATIVE, path_parameters=fixed)]
    return st.one_of(options)


def _describe(role: str, label: str, case: Any, response: Any, problem: str) -> str:
    body = getattr(response, "text", "") if response is not None else ""
    request = f"path={case.path_parameters} query={case.query} body={case.body!r}"[:400]
    status = response.status_code if response is not None else "-"
    return f"[{role}] {label}: {problem.strip()[:600]}\n    sent {request}\n    got {status} {body[:300]}"


def fuzz_operation(app: Any, operation: Any, world: World, role: str, headers: dict[str, str],
                   failures: list[str]) -> None:
    label = f"{operation.method.upper()} {operation.path}"
    entry = _ENTRIES.get(label)
    names = {p.name for p in operation.path_parameters}
    strategy = _strategy(operation, _real_path_parameters(entry, world, role, names))
    seen: set[str] = set()

    @_settings()
    @given(case=strategy)
    def check(case: Any) -> None:
        response = None
        try:
            with rolled_back():
                response = case.call(headers=headers, app=app)
            case.validate_response(response, checks=CHECKS, headers=headers)
        except FailureGroup as group:
            for failure in group.exceptions:
                key = f"{failure.title}"
                if key not in seen:
                    seen.add(key)
                    failures.append(_describe(role, label, case, response, f"{failure.title}: {failure.message}"))
        except Exception as exc:  # the app or the transport blew up: one failure, not the end of the run
            key = type(exc).__name__
            if key not in seen:
                seen.add(key)
                failures.append(_describe(role, label, case, response, f"raised {exc!r}"))

    # A seed of its own for each role and operation: the same requests on every run (unless
    # SHANZHI_FUZZ_SEED changes it), but not the same choices for every role.
    hypothesis.seed(zlib.crc32(f"{SEED or 0}:{role}:{label}".encode()))(check)()


_ENTRIES: dict[str, registry.Entry] = {e.ident: e for e in registry.load()[0] if e.is_api}
_GENERATED: dict[str, list[st.SearchStrategy[Any]]] = {}


@pytest.fixture(scope="module")
def api_schema() -> Any:
    """The schema, loaded once (building it is slow) from the same code that serves
    /api/openapi.json."""
    from shanzhi.api import api

    return schemathesis.openapi.from_dict(api.get_openapi_schema())


@pytest.mark.parametrize("role", ALL_ROLES)
def test_every_operation_answers_within_its_schema(role, api_schema, world, wsgi_app, settings):
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False
    # Every role fuzzes the token and public addresses from one client address.
    settings.SHANZHI_RATE_LIMITS = dict.fromkeys(getattr(settings, "SHANZHI_RATE_LIMITS", {}), "1000000/m")
    headers = {} if role == ANONYMOUS else {"Authorization": f"Bearer {world.tokens[role]}"}
    failures: list[str] = []
    operations = 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        if ONLY and ONLY not in f"{operation.method.upper()} {operation.path}":
            continue
        operations += 1
        fuzz_operation(wsgi_app, operation, world, role, headers, failures)
    assert operations, "no operation was fuzzed"
    assert not failures, f"{len(failures)} failures as {role}:\n" + "\n".join(failures)
