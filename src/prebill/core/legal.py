"""Legal wordings printed on invoices and carried in Factur-X notes, as dated settings.

The text in force on an invoice's issue date applies (VAT moved from the CGI to the CIBS on
1 September 2026; CGI references stay tolerated until 31 December 2027).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

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
    VatRegime.EXEMPT: [
        (CIBS_START, "Exonération de TVA (CIBS, anciennement art. 261-4-4° a du CGI)"),
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
