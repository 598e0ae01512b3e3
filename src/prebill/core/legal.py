"""Legal wordings printed on invoices and carried in Factur-X notes, as dated settings.

The text in force on an invoice's issue date applies (VAT moved from the CGI to the CIBS on
1 September 2026; CGI references stay tolerated until 31 December 2027).
"""

from __future__ import annotations

from datetime import date

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
