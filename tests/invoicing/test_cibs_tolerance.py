"""From 2028 an invoice may no longer cite only the CGI for its exemption: validation refuses it until the firm has
entered the CIBS wording; the wording printed is frozen on the invoice, whatever the firm enters later."""

from datetime import date

import pytest
from django.db import DatabaseError, transaction
from django.utils import timezone, translation

from prebill.billing.models import PreInvoice
from prebill.billing.services import run_pre_billing
from prebill.core.ledger import CreditRefused
from prebill.core.legal import EXEMPTION_WORDING
from prebill.core.periods import Period
from prebill.core.vat import VatRegime
from prebill.documents.pdf import invoice_context
from prebill.invoicing.models import Invoice
from prebill.invoicing.services import ValidationRefused, issue_credit_note, validate_pre_invoice
from prebill.organisation.models import LegalWording
from tests import factories as f

pytestmark = pytest.mark.django_db
CIBS = "Exonération de TVA – formation professionnelle continue : art. X du CIBS (confirmé par le cabinet)"
BUILT_IN = EXEMPTION_WORDING[VatRegime.EXEMPT][0][1]


@pytest.fixture
def in_2028(monkeypatch):
    """Today is 15 February 2028 (invoices may not be dated in the future)."""
    monkeypatch.setattr(timezone, "localdate", lambda *args: date(2028, 2, 15))


def exempt_draft(month: Period, code: str = "EXO") -> PreInvoice:
    client = f.client(code=code, conditions={"vat_regime": "exempt"})
    f.fixed_fee_part(f.engagement(client), installments=[(month.last_day, "1000.00")])
    run_pre_billing(period=month)
    return PreInvoice.objects.get(client=client)


def test_in_2028_an_invoice_citing_only_the_cgi_is_refused_in_french(firm, in_2028):
    pre = exempt_draft(Period(2028, 1))

    with pytest.raises(ValidationRefused) as refused:
        validate_pre_invoice(pre_invoice_id=pre.pk, issue_date=date(2028, 1, 31))

    assert refused.value.where == "exemption_wording"
    with translation.override("fr"):
        message = refused.value.translated(translation.gettext)
    assert "CIBS" in message and "réglages du cabinet" in message and "31/01/2028" in message
    assert not Invoice.objects.exists() and PreInvoice.objects.filter(pk=pre.pk).exists()


def test_on_the_last_day_of_the_tolerance_the_cgi_wording_still_goes(firm, in_2028):
    pre = exempt_draft(Period(2027, 12))

    invoice = validate_pre_invoice(pre_invoice_id=pre.pk, issue_date=date(2027, 12, 31))

    assert invoice.exemption_wording == BUILT_IN


def test_with_the_firm_wording_in_force_it_is_validated_and_printed(firm, in_2028):
    LegalWording.objects.create(regime="exempt", valid_from=date(2028, 1, 1), text=CIBS)
    pre = exempt_draft(Period(2028, 1))

    invoice = validate_pre_invoice(pre_invoice_id=pre.pk, issue_date=date(2028, 1, 31))

    assert invoice.exemption_wording == CIBS
    assert invoice_context(invoice)["exemption"] == CIBS


def test_a_wording_entered_later_for_an_earlier_date_never_changes_an_issued_invoice(firm, in_2028):
    pre = exempt_draft(Period(2027, 11))
    invoice = validate_pre_invoice(pre_invoice_id=pre.pk, issue_date=date(2027, 11, 30))

    LegalWording.objects.create(regime="exempt", valid_from=date(2027, 9, 1), text=CIBS)
    invoice.refresh_from_db()

    assert invoice.exemption_wording == BUILT_IN
    assert invoice_context(invoice)["exemption"] == BUILT_IN
    assert Invoice.objects.get(pk=invoice.pk).exemption_wording == BUILT_IN


def test_a_credit_note_of_2028_needs_the_cibs_wording_too_and_keeps_its_own(firm, in_2028):
    invoice = validate_pre_invoice(pre_invoice_id=exempt_draft(Period(2027, 12)).pk, issue_date=date(2027, 12, 31))

    with pytest.raises(CreditRefused) as refused:
        issue_credit_note(invoice_id=invoice.pk, rebill=False, issue_date=date(2028, 2, 1))
    assert refused.value.where == "exemption_wording"

    LegalWording.objects.create(regime="exempt", valid_from=date(2028, 1, 1), text=CIBS)
    note = issue_credit_note(invoice_id=invoice.pk, rebill=False, issue_date=date(2028, 2, 1))

    assert note.exemption_wording == CIBS
    invoice.refresh_from_db()
    assert invoice.exemption_wording == BUILT_IN


def test_standard_vat_invoices_have_no_wording_and_are_not_concerned(firm, in_2028):
    client = f.client(code="STD")
    f.fixed_fee_part(f.engagement(client), installments=[(date(2028, 1, 31), "1000.00")])
    run_pre_billing(period=Period(2028, 1))

    invoice = validate_pre_invoice(pre_invoice_id=PreInvoice.objects.get(client=client).pk,
                                   issue_date=date(2028, 1, 31))

    assert invoice.exemption_wording == ""


def test_the_database_refuses_any_change_to_the_frozen_wording(firm, in_2028):
    invoice = validate_pre_invoice(pre_invoice_id=exempt_draft(Period(2027, 12)).pk, issue_date=date(2027, 12, 31))

    with pytest.raises(DatabaseError, match="never change"), transaction.atomic():
        Invoice.objects.filter(pk=invoice.pk).update(exemption_wording=CIBS)

    assert Invoice.objects.get(pk=invoice.pk).exemption_wording == BUILT_IN
