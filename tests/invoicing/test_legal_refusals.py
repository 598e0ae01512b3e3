"""Validation refuses what the law refuses: a French business client without a SIREN, payment terms beyond the
legal cap of Code de commerce L441-10 (unless the firm records the sector agreement that allows them)."""

from datetime import date

import pytest
from django.utils import translation

from prebill.billing.models import PreInvoice
from prebill.billing.services import run_pre_billing
from prebill.clients.models import BillingAddress, Client
from prebill.core.periods import Period
from prebill.invoicing.models import Invoice
from prebill.invoicing.services import ValidationRefused, validate_pre_invoice
from tests import factories as f

pytestmark = pytest.mark.django_db
NOV = Period(2026, 11)


def unidentified(code: str, **fields) -> Client:
    """A client without SIREN nor VAT number (the factory gives one)."""
    row = f.client(code=code, **fields)
    Client.objects.filter(pk=row.pk).update(siren="", vat_number="")
    row.refresh_from_db()
    return row


def draft_of(client) -> PreInvoice:
    f.fixed_fee_part(f.engagement(client), installments=[(date(2026, 11, 30), "1000.00")])
    run_pre_billing(period=NOV)
    return PreInvoice.objects.get(client=client)


def validate(pre: PreInvoice) -> Invoice:
    return validate_pre_invoice(pre_invoice_id=pre.pk, issue_date=date(2026, 11, 30))


@pytest.mark.parametrize("nature", ["french_company", ""])  # set, or from its French billing address
def test_a_french_company_without_siren_is_refused_with_its_name_in_french(firm, nature):
    acme = unidentified("ACME", nature=nature)
    Client.objects.filter(pk=acme.pk).update(name="Acme SAS")
    acme.refresh_from_db()
    pre = draft_of(acme)

    with pytest.raises(ValidationRefused) as refused:
        validate(pre)

    with translation.override("fr"):
        message = refused.value.translated(translation.gettext)
    assert "ACME Acme SAS" in message and "SIREN" in message and "société française" in message
    assert not Invoice.objects.exists() and PreInvoice.objects.filter(pk=pre.pk).exists()


def test_with_its_siren_or_when_not_a_french_company_it_is_invoiced(firm):
    foreign = unidentified("GMBH")
    BillingAddress.objects.filter(client=foreign).update(country="DE")
    consumer = unidentified("MME", nature="consumer")
    known = f.client(code="KNOWN")

    for client in (foreign, consumer, known):
        assert validate(draft_of(client)).number


def test_payment_terms_beyond_the_legal_cap_are_refused_at_validation(firm):
    slow = f.client(code="SLOW", conditions={"payment_terms_days": 90})  # entered before the rule
    eom = f.client(code="EOM", conditions={"payment_terms_days": 60, "end_of_month": True})

    for client in (slow, eom):
        with pytest.raises(ValidationRefused) as refused:
            validate(draft_of(client))
        with translation.override("fr"):
            assert "L441-10" in refused.value.translated(translation.gettext)
    assert not Invoice.objects.exists()


def test_a_recorded_sector_agreement_allows_the_terms_it_allows(firm):
    firm.payment_terms_agreement, firm.payment_terms_agreement_days = "Accord dérogatoire BTP", 90
    firm.save()
    slow = f.client(code="SLOW", conditions={"payment_terms_days": 90})
    slower = f.client(code="SLOWER", conditions={"payment_terms_days": 120})

    assert validate(draft_of(slow)).payment_terms_days == 90
    with pytest.raises(ValidationRefused) as refused:
        validate(draft_of(slower))
    assert "Accord dérogatoire BTP" in str(refused.value)


def test_terms_at_the_cap_are_invoiced(firm):
    for code, conditions in (("D60", {"payment_terms_days": 60}), ("EOM45", {"payment_terms_days": 45,
                                                                              "end_of_month": True})):
        assert validate(draft_of(f.client(code=code, conditions=conditions))).number
