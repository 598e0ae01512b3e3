"""Legal wordings printed on invoices and carried in Factur-X notes, as dated settings.

The text in force on an invoice's issue date applies (VAT moved from the CGI to the CIBS on
1 September 2026; CGI references stay tolerated until 31 December 2027).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from .grouping import PaymentTerms
from .refusals import Refusal, gettext_noop
from .vat import VatRegime

CIBS_START = date(2026, 9, 1)

# EN 16931 VAT category (BT-118) and exemption reason code (BT-121) of each regime.
VAT_CATEGORY = {VatRegime.STANDARD: "S", VatRegime.REVERSE_CHARGE: "AE", VatRegime.EXPORT: "G",
                VatRegime.EXEMPT: "E"}
VATEX = {VatRegime.REVERSE_CHARGE: "VATEX-EU-AE", VatRegime.EXPORT: "VATEX-EU-G", VatRegime.EXEMPT: "VATEX-EU-132-1I"}

# (valid from, wording) per regime, latest first.
EXEMPTION_WORDING: dict[VatRegime, list[tuple[date, str]]] = {
    VatRegime.REVERSE_CHARGE: [
        (CIBS_START, "Autoliquidation : TVA due par le preneur (CIBS, anciennement art. 283-2 du CGI)"),
        (date(2000, 1, 1), "Autoliquidation : TVA due par le preneur (art. 283-2 du CGI)"),
    ],
    VatRegime.EXPORT: [
        (CIBS_START, "Exonération de TVA (CIBS, anciennement art. 262 I du CGI)"),
        (date(2000, 1, 1), "Exonération de TVA, art. 262 I du CGI"),
    ],
    # Continuing vocational training. Its CIBS article is not confirmed (french-invoicing.md §1.6): until it is
    # entered here as a dated wording, the CGI article (tolerated on invoices until 31/12/2027) and the directive's.
    VatRegime.EXEMPT: [
        (CIBS_START, "Exonération de TVA – formation professionnelle continue : art. 261-4-4° a du CGI, "
                     "repris au CIBS (référence admise jusqu'au 31/12/2027) ; art. 132, 1, i) de la directive "
                     "2006/112/CE"),
        (date(2000, 1, 1), "Exonération de TVA, art. 261-4-4° a du CGI"),
    ],
}

PENALTY = ("Tout retard de paiement entraîne de plein droit, sans qu'un rappel soit nécessaire, des pénalités "
           "calculées au taux de {rate} à compter du jour suivant la date d'échéance.")
DEFAULT_PENALTY_RATE = "trois fois le taux d'intérêt légal"
INDEMNITY = "Indemnité forfaitaire pour frais de recouvrement en cas de retard de paiement : 40 €."
NO_DISCOUNT = "Pas d'escompte pour paiement anticipé."


def exemption_wording(regime: VatRegime, issued: date) -> str:
    """The exemption or reverse-charge wording in force on the issue date ('' under standard VAT)."""
    for valid_from, text in EXEMPTION_WORDING.get(regime, []):
        if issued >= valid_from:
            return text
    return ""


def payment_notes(penalty_rate: str = DEFAULT_PENALTY_RATE) -> dict[str, str]:
    """The three notes French rule BR-FR-05 requires (PMD penalties, PMT indemnity, AAB discount)."""
    return {"PMD": PENALTY.format(rate=penalty_rate), "PMT": INDEMNITY, "AAB": NO_DISCOUNT}


DEBITS_OPTION = "Option pour le paiement de la taxe d'après les débits"


def _euros(amount: Decimal) -> str:
    """10000 -> '10 000 €', 1234.5 -> '1 234,50 €' (French grouping, no cents when there are none)."""
    whole = amount == amount.to_integral_value()
    text = f"{amount:,.0f}" if whole else f"{amount:,.2f}"
    return text.replace(",", " ").replace(".", ",") + " €"


def company_mentions(*, name: str, legal_form: str, share_capital: Decimal | None, rcs_city: str,
                     siren: str) -> dict[str, str]:
    """The company's identity mentions (Code de commerce R123-237) as the REG (legal form and capital) and ABL
    (trade register) notes of the Factur-X XML; the PDF prints the same texts. A part not known is left out."""
    mentions = {}
    if legal_form or share_capital is not None:
        reg = " ".join(part for part in (name, legal_form) if part)
        if share_capital is not None:
            reg += f" au capital de {_euros(share_capital)}"
        mentions["REG"] = reg.strip()
    if rcs_city:
        mentions["ABL"] = f"RCS {rcs_city} {siren[:3]} {siren[3:6]} {siren[6:]}".rstrip()
    return mentions


# -- What the law refuses on an invoice ---------------------------------------------------------------------------

# Code de commerce L441-10 I: the agreed payment term may not exceed 60 days from the invoice date, or 45 days
# end of month when the contract says so; only a sector agreement (accord interprofessionnel) allows longer.
LEGAL_MAX_DAYS = 60
LEGAL_MAX_DAYS_END_OF_MONTH = 45


class LegalRefusal(Refusal, ValueError):
    """The law refuses what was asked (an unidentified French business client, payment terms beyond the cap)."""


def check_buyer_identified(*, category: str, siren: str, client: str) -> None:
    """A French business client (BAR note B2B) must be identified by its SIREN on its invoices (CGI annexe II
    art. 242 nonies A, 1°; BR-FR-11 and BR-FR-21 of the French e-invoicing rules): refuse without one."""
    if category == "B2B" and not (siren or "").strip():
        raise LegalRefusal(gettext_noop(
            "Client %(client)s is a French company without a SIREN: its invoices must give its SIREN. Enter the "
            "client's SIREN, or set its nature if it is not a French company."), where="siren", client=client)


def check_payment_terms(terms: PaymentTerms, *, agreement: str = "", agreement_days: int | None = None) -> None:
    """Refuse payment terms beyond the legal cap (L441-10: 60 days from the invoice date, or 45 days end of
    month), unless the firm records the sector agreement that allows them: then up to the number of days that
    agreement allows, counted as the terms are written."""
    cap = LEGAL_MAX_DAYS_END_OF_MONTH if terms.end_of_month else LEGAL_MAX_DAYS
    if terms.days <= cap:
        return
    if (agreement or "").strip() and agreement_days is not None:
        if terms.days <= agreement_days:
            return
        raise LegalRefusal(gettext_noop(
            "Payment terms of %(terms)s exceed the %(days)s days the sector agreement %(agreement)s allows."),
            where="payment_terms_days", terms=str(terms), days=agreement_days, agreement=agreement.strip())
    raise LegalRefusal(gettext_noop(
        "Payment terms of %(terms)s exceed the legal cap (Code de commerce L441-10): at most 60 days from the "
        "invoice date, or 45 days end of month. Longer terms need a sector agreement recorded in the firm's "
        "settings."), where="payment_terms_days", terms=str(terms))
