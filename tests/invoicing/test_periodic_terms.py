"""A periodic invoice (the deliveries of several days of a month on one invoice) is due at most 45 days from its
date (Code de commerce L441-10 I, CGI art. 289 I-3): validation refuses longer terms, unless the firm's sector
agreement allows them."""

from datetime import date

import pytest
from django.utils import translation

from prebill.billing.models import PreInvoice
from prebill.billing.services import run_pre_billing
from prebill.core.periods import Period
from prebill.invoicing.models import Invoice
from prebill.invoicing.services import ValidationRefused, validate_pre_invoice
from tests import factories as f

pytestmark = pytest.mark.django_db
NOV = Period(2026, 11)
ISSUED = date(2026, 11, 30)


def time_draft(code: str, days: tuple[int, ...], **conditions) -> PreInvoice:
    """A client's time of the given days of November on one draft."""
    client = f.client(code=code, conditions=conditions)
    engagement = f.engagement(client)
    f.time_part(engagement, unit="day")
    consultant = f.collaborator(daily="700")
    for day in days:
        f.time_entry(consultant, engagement, date(2026, 11, day), "7")
    run_pre_billing(period=NOV)
    return PreInvoice.objects.get(client=client)


def validate(pre: PreInvoice) -> Invoice:
    return validate_pre_invoice(pre_invoice_id=pre.pk, issue_date=ISSUED)


@pytest.mark.parametrize("conditions", [{"payment_terms_days": 60}, {"payment_terms_days": 45, "end_of_month": True}])
def test_a_periodic_invoice_due_beyond_45_days_is_refused_in_french(firm, conditions):
    pre = time_draft("REGIE", (2, 3, 4), **conditions)

    with pytest.raises(ValidationRefused) as refused:
        validate(pre)

    assert refused.value.where == "payment_terms_days"
    with translation.override("fr"):
        message = refused.value.translated(translation.gettext)
    assert "facture périodique" in message and "45 jours" in message and "L441-10" in message
    assert not Invoice.objects.exists() and PreInvoice.objects.filter(pk=pre.pk).exists()


@pytest.mark.parametrize("conditions", [{"payment_terms_days": 45}, {"payment_terms_days": 30, "end_of_month": True}])
def test_a_periodic_invoice_due_within_45_days_is_validated(firm, conditions):
    assert validate(time_draft("REGIE", (2, 3, 4), **conditions)).number


def test_one_delivery_is_not_periodic_and_keeps_the_60_day_cap(firm):
    one_day = time_draft("ONEDAY", (12,), payment_terms_days=60)
    client = f.client(code="FORFAIT", conditions={"payment_terms_days": 60})
    f.fixed_fee_part(f.engagement(client), installments=[(ISSUED, "1000.00")])
    run_pre_billing(period=NOV)

    assert validate(one_day).payment_terms_days == 60
    assert validate(PreInvoice.objects.get(client=client)).payment_terms_days == 60


def test_a_sector_agreement_allows_longer_periodic_terms(firm):
    firm.payment_terms_agreement, firm.payment_terms_agreement_days = "Accord dérogatoire BTP", 60
    firm.save()

    assert validate(time_draft("REGIE", (2, 3), payment_terms_days=60)).payment_terms_days == 60
