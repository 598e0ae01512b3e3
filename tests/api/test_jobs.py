"""Bulk work through the API: validating many drafts and posting many invoices start a job, followed by its id."""

from datetime import date

import pytest

from prebill.billing.models import PreInvoice
from prebill.billing.services import run_pre_billing
from prebill.core.periods import Period
from prebill.invoicing.models import Invoice
from tests import factories as f
from tests.api.test_invoicing import caller, post  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def drafts(firm) -> list[PreInvoice]:
    for n in range(3):
        f.fixed_fee_part(f.engagement(f.client()), installments=[(date(2026, 11, 30), f"{100 + n}.00")])
    run_pre_billing(period=Period(2026, 11))
    return list(PreInvoice.objects.order_by("pk"))


def test_validate_then_post_many_and_follow_the_jobs(drafts, caller):  # noqa: F811
    validator, accountant = caller("validator"), caller("accountant")
    asked = [{"id": d.pk, "version": d.version} for d in reversed(drafts)]

    started = post(validator, "/api/validations", {"pre_invoices": asked, "issue_date": "2026-11-30"})
    job = validator.get(f"/api/jobs/{started.json()['id']}").json()
    numbers = [done["number"] for done in job["result"]["validated"]]
    posting = post(accountant, "/api/postings", {"invoices": numbers})
    posted = accountant.get(f"/api/jobs/{posting.json()['id']}").json()

    assert started.status_code == 202 and job["state"] == "done" and (job["done"], job["total"]) == (3, 3)
    assert [done["pre_invoice"] for done in job["result"]["validated"]] == [d.pk for d in reversed(drafts)]
    assert numbers == sorted(numbers) and job["result"]["refused"] == []
    assert posting.status_code == 202 and posted["state"] == "done"
    assert [p["number"] for p in posted["result"]["posted"]] == numbers
    assert set(Invoice.objects.values_list("state", flat=True)) == {"posted"}


def test_bulk_work_needs_its_role_and_names_what_is_wrong(drafts, caller):  # noqa: F811
    validator, accountant, collections = caller("validator"), caller("accountant"), caller("collections")

    by_accountant = post(accountant, "/api/validations", {"pre_invoices": [{"id": drafts[0].pk}]})
    started = post(validator, "/api/validations", {"pre_invoices": [{"id": drafts[0].pk}]})
    followed_by_other = collections.get(f"/api/jobs/{started.json()['id']}")
    unknown = post(accountant, "/api/postings", {"invoices": ["F2026-999999"]})
    empty = post(validator, "/api/validations", {"pre_invoices": []})
    twice = post(validator, "/api/validations", {"pre_invoices": [{"id": drafts[1].pk}, {"id": drafts[1].pk}]})
    unknown_draft = post(validator, "/api/validations", {"pre_invoices": [{"id": 999999}]})

    assert by_accountant.status_code == 403 and started.status_code == 202
    assert followed_by_other.status_code == 403
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"] == "invoices.0"
    assert empty.status_code == 422 and twice.status_code == 422 and Invoice.objects.count() == 1
    refused = validator.get(f"/api/jobs/{unknown_draft.json()['id']}").json()["result"]["refused"]
    assert [r["pre_invoice"] for r in refused] == [999999] and "999999" in refused[0]["reason"]
