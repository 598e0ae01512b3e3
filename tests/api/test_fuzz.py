"""Property-based fuzz of the API from its own OpenAPI schema: no input makes the server fail."""

import os
from datetime import date

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from prebill.api.models import ApiToken
from prebill.api.urls import api
from prebill.billing.services import run_pre_billing
from prebill.core.periods import Period
from tests import factories as f

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
schema = schemathesis.openapi.from_dict(api.get_openapi_schema())


@pytest.fixture
def bearer(transactional_db, unfreeze_after, django_user_model):
    """A small portfolio with one run, and an administrator's token."""
    f.organisation()
    client = f.client(code="C1")
    engagement = f.engagement(client, code="E1")
    f.time_part(engagement)
    f.fixed_fee_part(engagement, installments=[(date(2026, 11, 30), "100.00")])
    f.time_entry(f.collaborator(code="ANNE"), engagement, date(2026, 11, 2), "1")
    run_pre_billing(period=Period(2026, 11))
    user = django_user_model.objects.create_user(username="fuzz", password="x", is_superuser=True)
    return ApiToken.issue(user=user, name="fuzz")[1]


@schema.parametrize()
@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much])
def test_no_request_makes_the_server_fail(case, live_server, bearer):
    response = case.call(base_url=live_server.url, headers={"Authorization": f"Bearer {bearer}"})

    assert response.status_code < 500, (case.method, case.path, response.text[:300])
    content_type = {name.lower(): value for name, value in response.headers.items()}.get("content-type", "")
    assert "application/json" in str(content_type), (case.method, case.path, content_type)
