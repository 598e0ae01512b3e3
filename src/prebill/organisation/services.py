"""Changes to the firm's settings: its dated legal wordings and its sector agreement on payment terms."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from prebill.core.legal import EXEMPTION_WORDING, LegalRefusal, check_payment_terms_agreement
from prebill.core.refusals import Refusal, gettext_noop
from prebill.core.vat import VatRegime

from .models import LegalWording, Organisation


class SettingsRefused(Refusal, ValueError):
    """The firm's settings cannot be changed that way; nothing was changed."""


@transaction.atomic
def save_legal_wording(*, regime: str, valid_from: date, text: str) -> LegalWording:
    """Enter (or correct) the firm's wording of a regime in force from `valid_from`. Invoices already issued keep
    the text they were issued with, whatever the date."""
    text = (text or "").strip()
    if regime not in {r.value for r in EXEMPTION_WORDING}:
        raise SettingsRefused(gettext_noop("Choose the VAT regime of the wording."), where="regime")
    if not text:
        raise SettingsRefused(gettext_noop("Enter the wording as the invoices must print it."), where="text")
    wording = LegalWording.objects.select_for_update().filter(regime=regime, valid_from=valid_from).first()
    if wording is None:
        wording = LegalWording.objects.create(regime=VatRegime(regime), valid_from=valid_from, text=text)
    else:
        wording.text = text
        wording.save(update_fields=["text"])
    return wording


@transaction.atomic
def delete_legal_wording(*, pk: int) -> None:
    """Take back a firm wording: the built-in one (or the firm's earlier one) prints again from that date on
    invoices still to issue."""
    wording = LegalWording.objects.select_for_update().filter(pk=pk).first()
    if wording is None:
        raise SettingsRefused(gettext_noop("This wording does not exist any more."))
    wording.delete()


@transaction.atomic
def set_payment_terms_agreement(*, agreement: str, agreement_days: int | None) -> Organisation:
    """Record the sector agreement that allows payment terms beyond the legal cap, with its days (or none)."""
    org = Organisation.objects.select_for_update().first()
    if org is None:
        raise SettingsRefused(gettext_noop("The firm's identity (organisation) is not set."))
    agreement = (agreement or "").strip()
    try:
        check_payment_terms_agreement(agreement, agreement_days)
    except LegalRefusal as refused:
        raise SettingsRefused(refused.message, where=refused.where, **refused.params) from None
    org.payment_terms_agreement, org.payment_terms_agreement_days = agreement, agreement_days
    org.save(update_fields=["payment_terms_agreement", "payment_terms_agreement_days"])
    return org
