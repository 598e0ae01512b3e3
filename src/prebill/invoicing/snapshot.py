"""The seller's identity as the documents print it, frozen onto each invoice at validation.

Every Organisation attribute the PDF or the Factur-X / UBL XML reads is copied here, so a document
rendered years later (or re-rendered) says what it said the day it was issued.
"""

from __future__ import annotations

from prebill.attachments.services import sniff

SELLER_FIELDS = (
    "seller_name", "seller_siren", "seller_vat_number", "seller_address", "seller_legal_form", "seller_iban",
    "seller_bic", "seller_logo", "seller_logo_type",
)


def seller_address(org) -> str:
    """'line1\\nline2\\nPOSTCODE City\\nCOUNTRY', blank parts left out."""
    parts = [org.address_line1, org.address_line2, f"{org.postcode} {org.city}", org.country]
    return "\n".join(part for part in parts if part and part.strip())


def seller_snapshot(org) -> dict:
    """The Invoice.seller_* keyword arguments for the organisation `org` as it is now."""
    logo = bytes(org.logo) if org.logo else b""
    kind = sniff(logo[:16]) if logo else None
    return {
        "seller_name": org.legal_name, "seller_siren": org.siren, "seller_vat_number": org.vat_number,
        "seller_address": seller_address(org), "seller_legal_form": org.legal_form, "seller_iban": org.iban,
        "seller_bic": org.bic, "seller_logo": logo if kind else b"", "seller_logo_type": kind[0] if kind else "",
    }
