"""The seller's identity, and the buyer's, as the documents print them, frozen onto each invoice at validation.

Every Organisation attribute the PDF or the Factur-X / UBL XML reads is copied here, so a document
rendered years later (or re-rendered) says what it said the day it was issued.
"""

from __future__ import annotations

from prebill.attachments.services import sniff
from prebill.clients.models import TRANSACTION_CATEGORY, Nature, nature_of
from prebill.core.vat import VatRegime

SELLER_FIELDS = (
    "seller_name", "seller_siren", "seller_vat_number", "seller_address", "seller_legal_form", "seller_iban",
    "seller_bic", "seller_logo", "seller_logo_type", "seller_share_capital", "seller_rcs_city", "seller_vat_on_debits",
)
BUYER_FIELDS = (
    "buyer_code", "buyer_name", "buyer_siren", "buyer_vat_number", "buyer_address", "buyer_category",
    "buyer_endpoint_scheme", "buyer_endpoint",
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
        "seller_share_capital": org.share_capital, "seller_rcs_city": org.rcs_city,
        "seller_vat_on_debits": org.vat_on_debits,
    }


def buyer_electronic_address(*, siren: str, email: str, category: str, directory_address: str = "") -> tuple[str, str]:
    """(scheme, address) of the buyer's electronic address BT-49, required on every document (BR-FR-12).

    A company with a SIREN is reached at its SIREN-based address of the French directory (scheme 0225, which
    BR-FR-21 requires in B2B); a buyer without one (abroad, a consumer) is not in the directory: its e-mail
    address (scheme EM), when there is one. B2B with no SIREN gives none: the French rules refuse it anyway.
    """
    if siren and directory_address:  # the directory's address (an establishment's, a suffix) wins
        return "0225", directory_address
    if siren:
        return "0225", siren
    if email and category != "B2B" and len(email) <= 125:  # BR-FR-25: at most 125 characters
        return "EM", email
    return "", ""


def transaction_category(client, address, vat_regime: str) -> str:
    """The BAR note: the client's nature gives B2B, B2BINT, B2C or OUTOFSCOPE; an operation exempt under arts. 261
    to 261 E CGI (training) is outside the e-invoicing and e-reporting mandate whoever the client."""
    if vat_regime == VatRegime.EXEMPT:
        return TRANSACTION_CATEGORY[Nature.OUT_OF_SCOPE]
    return TRANSACTION_CATEGORY[nature_of(client.nature, country=address.country)]


def buyer_snapshot(client, address, *, vat_regime: str) -> dict:
    """The Invoice.buyer_* keyword arguments for `client` billed at `address` under `vat_regime`, as they are now."""
    category = transaction_category(client, address, vat_regime)
    scheme, endpoint = buyer_electronic_address(siren=client.siren, email=client.email, category=category,
                                                directory_address=client.directory_address)
    parts = [address.line1, address.line2, f"{address.postcode} {address.city}", address.country]
    return {
        "buyer_code": client.code, "buyer_name": client.name, "buyer_siren": client.siren,
        "buyer_vat_number": client.vat_number, "buyer_address": "\n".join(part for part in parts if part),
        "buyer_category": category, "buyer_endpoint_scheme": scheme, "buyer_endpoint": endpoint,
    }
