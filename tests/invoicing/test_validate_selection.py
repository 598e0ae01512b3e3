"""Validating a selection of the month page: ticked drafts or all the filters show, one job, its summary."""

from datetime import date

from django.test import Client as Browser

from prebill.billing.models import PreInvoice
from prebill.billing.services import run_pre_billing
from prebill.core.periods import Period
from prebill.invoicing.models import Invoice
from prebill.jobs.models import Job
from tests import factories as f

URL = "/invoices/validate/month/2026-11/"


def _month(firm):
    clients = [f.client(), f.client(), f.client()]
    for client, amount in zip(clients, ("100.00", "200.00", "300.00"), strict=True):
        f.fixed_fee_part(f.engagement(client), installments=[(date(2026, 11, 30), amount)])
    run_pre_billing(period=Period(2026, 11))
    return clients


def _browser(user) -> Browser:
    browser = Browser()
    browser.force_login(user)
    return browser


def test_the_ticked_drafts_become_invoices_and_the_summary_names_them(firm, user_with):
    _month(firm)
    ticked = list(PreInvoice.objects.order_by("total_excluding_vat")[:2])

    answer = _browser(user_with("validator")).post(URL, {"pre_invoice": [f"{d.pk}@{d.version}" for d in ticked]},
                                                   follow=True)

    job = Job.objects.get(kind="validate_drafts")
    assert answer.redirect_chain[-1][0] == f"/invoices/validations/{job.pk}/"
    page = answer.content.decode()
    assert "2 factures validées" in page and "F2026-000001" in page and "F2026-000002" in page
    assert sorted(Invoice.objects.values_list("total_excluding_vat", flat=True)) == [100, 200]
    assert PreInvoice.objects.count() == 1


def test_all_the_filters_show_is_refused_when_they_show_another_count(firm, user_with):
    _month(firm)
    browser = _browser(user_with("validator"))

    stale = browser.post(URL, {"scope": "filters", "min": "150", "expected_count": "3"}, follow=True)
    assert "2 au lieu de 3" in stale.content.decode()
    assert not Invoice.objects.exists()

    done = browser.post(URL, {"scope": "filters", "min": "150", "expected_count": "2"}, follow=True)
    assert "2 factures validées" in done.content.decode()
    assert sorted(Invoice.objects.values_list("total_excluding_vat", flat=True)) == [200, 300]


def test_a_version_changed_since_the_page_is_refused_with_why_and_the_others_go_through(firm, user_with):
    _month(firm)
    first, second = PreInvoice.objects.order_by("total_excluding_vat")[:2]

    answer = _browser(user_with("validator")).post(
        URL, {"pre_invoice": [f"{first.pk}@{first.version + 1}", f"{second.pk}@{second.version}"]}, follow=True)

    page = answer.content.decode()
    assert "1 facture validée" in page and "1 refusée" in page
    assert list(Invoice.objects.values_list("total_excluding_vat", flat=True)) == [200]


def test_nothing_ticked_or_a_bad_date_changes_nothing(firm, user_with):
    _month(firm)
    browser = _browser(user_with("validator"))

    empty = browser.post(URL, {}, follow=True)
    bad_date = browser.post(URL, {"scope": "filters", "expected_count": "3", "issue_date": "31/02/2026"}, follow=True)

    assert "Cochez les préfactures à valider" in empty.content.decode()
    assert "31/02/2026 n&#x27;est pas une date" in bad_date.content.decode()
    assert not Invoice.objects.exists() and not Job.objects.exists()


def test_only_a_validator_may_validate_a_selection(firm, user_with):
    _month(firm)
    draft = PreInvoice.objects.first()

    refused = _browser(user_with("preparer")).post(URL, {"pre_invoice": [f"{draft.pk}@{draft.version}"]})

    assert refused.status_code == 403
    assert not Invoice.objects.exists()
