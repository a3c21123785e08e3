"""Property-based tests of the whole HTTP API from its OpenAPI schema (schemathesis), against the
ASGI app serving the real index: every operation, every built-in check, a bounded number of
generated requests per operation, with the /retrieval key and without it.

Two allowances: a 503 that carries Retry-After (load shedding, when the machine is busy) is
counted, not validated; and positive_data_acceptance also expects 400 and 422 for schema-valid requests,
because a filter or metadata condition may name a place, year or document that the loaded
documents do not hold (refused as README says); the schema cannot list them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from qa.app import create_app
from qa.config import Settings
from qa.service import QAService

EXAMPLES = 25  # per operation and phase: the run stays under two minutes on a busy 2-core machine
CONFIG = SchemathesisConfig.from_dict({
    "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "400", "403", "404", "422"]}},
    "phases": {"stateful": {"enabled": False}},
})
TALLY: Counter = Counter()


APP = create_app(Settings())
schema = schemathesis.openapi.from_dict(APP.openapi(), config=CONFIG)
schema.app = APP  # requests go to the app in process (ASGI)


@pytest.fixture(scope="module", autouse=True)
def serving(service: QAService) -> Iterator[None]:
    service.retriever.search("高压用户报装时限是多少")  # loads the model's lazy parts, as the app's loader does
    APP.state.loader.service = service  # the session's loaded index: no second model load
    yield
    statuses = Counter(status for (_, status), n in TALLY.items() for _ in range(n))
    print(f"\nschemathesis: {TALLY.total()} cases; statuses {dict(sorted(statuses.items(), key=str))}")
    for (operation, status), n in sorted(TALLY.items(), key=str):
        print(f"  {operation}  {status}: {n}")


def _call(case: schemathesis.Case) -> None:
    response = case.call()
    if response.status_code == 503 and "retry-after" in response.headers:
        # Shed under load (the machine is shared): the documented answer to overload, not a fault.
        TALLY[(f"{case.operation.method.upper()} {case.operation.path}", "503 shed")] += 1
        return
    case.validate_response(response)
    TALLY[(f"{case.operation.method.upper()} {case.operation.path}", response.status_code)] += 1


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_with_the_key(case: schemathesis.Case) -> None:
    case.headers = _without_authorization(case.headers) | {"Authorization": f"Bearer {APP.state.retrieval_key.decode()}"}
    _call(case)


@schema.include(path="/retrieval").parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_retrieval_without_the_key(case: schemathesis.Case) -> None:
    _call(case)  # whatever Authorization header was generated, or none


def _without_authorization(headers: dict[str, str] | None) -> dict[str, str]:
    return {k: v for k, v in (headers or {}).items() if k.lower() != "authorization"}
