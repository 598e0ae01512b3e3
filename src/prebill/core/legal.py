"""Legal wordings printed on invoices and carried in Factur-X notes, as dated settings.

The text in force on an invoice's issue date applies (VAT moved from the CGI to the CIBS on
1 September 2026; CGI references stay tolerated until 31 December 2027).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

from .grouping import PaymentTerms
from .numbering import due_date
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

# Débours (costs paid in the client's name and for its account): the exemption reason (BT-120) of their own E
# breakdown group, and the mention the PDF prints under their block. (valid from, wording), latest first; the CIBS
# article taking over art. 267 II-2° is not confirmed: the CGI reference stays (tolerated until 31/12/2027).
DISBURSEMENT_WORDING: list[tuple[date, str]] = [
    (CIBS_START, "Débours : montants payés au nom et pour le compte du client, hors base d'imposition "
                 "(art. 267 II-2° du CGI, repris au CIBS ; art. 79 c de la directive 2006/112/CE)"),
    (date(2000, 1, 1), "Débours : montants payés au nom et pour le compte du client, hors base d'imposition "
                       "(art. 267 II-2° du CGI)"),
]


def disbursement_wording(issued: date) -> str:
    """The débours wording in force on the issue date."""
    return next((text for valid_from, text in DISBURSEMENT_WORDING if issued >= valid_from), "")


PENALTY = ("Tout retard de paiement entraîne de plein droit, sans qu'un rappel soit nécessaire, des pénalités "
           "calculées au taux de {rate} à compter du jour suivant la date d'échéance.")
DEFAULT_PENALTY_RATE = "trois fois le taux d'intérêt légal"
INDEMNITY = "Indemnité forfaitaire pour frais de recouvrement en cas de retard de paiement : 40 €."
NO_DISCOUNT = "Pas d'escompte pour paiement anticipé."


# CGI references stay tolerated on invoices until this day (french-invoicing.md §1.6); the firm is warned from
# CGI_WARNING_FROM that it must enter its CIBS wordings, and from the day after, an invoice citing only the CGI
# is refused.
CGI_TOLERATED_UNTIL = date(2027, 12, 31)
CGI_WARNING_FROM = date(2027, 10, 1)

# A firm wording: (regime, valid from, text), as the firm enters it once it has confirmed the CIBS article.
FirmWording = tuple[VatRegime | str, date, str]


def firm_wording(regime: VatRegime, issued: date, firm_wordings: Iterable[FirmWording] = ()) -> str:
    """The firm's own wording of `regime` in force on the issue date ('' when it entered none by then)."""
    in_force = [(valid_from, text) for kind, valid_from, text in firm_wordings
                if kind == regime and valid_from <= issued]
    return max(in_force)[1] if in_force else ""


def exemption_wording(regime: VatRegime, issued: date, firm_wordings: Iterable[FirmWording] = ()) -> str:
    """The exemption or reverse-charge wording in force on the issue date ('' under standard VAT): the firm's
    own wording in force then if it entered one, else the built-in one (which cites the CGI)."""
    if regime not in EXEMPTION_WORDING:
        return ""
    own = firm_wording(regime, issued, firm_wordings)
    if own:
        return own
    for valid_from, text in EXEMPTION_WORDING.get(regime, []):
        if issued >= valid_from:
            return text
    return ""


def regimes_citing_the_cgi(on: date, firm_wordings: Iterable[FirmWording] = ()) -> list[VatRegime]:
    """The regimes whose wording on `on` would still be the built-in one, citing the CGI."""
    wordings = list(firm_wordings)
    return [regime for regime in EXEMPTION_WORDING if not firm_wording(regime, on, wordings)]


def cgi_tolerance_warning(today: date, firm_wordings: Iterable[FirmWording] = ()) -> list[VatRegime]:
    """From CGI_WARNING_FROM, the regimes for which the firm has no wording in force once the CGI stops being
    tolerated (or today, when that is later): the firm must enter their CIBS wording. Before then, none."""
    if today < CGI_WARNING_FROM:
        return []
    return regimes_citing_the_cgi(max(today, CGI_TOLERATED_UNTIL + timedelta(days=1)), firm_wordings)


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


def _agreement_allows(terms: PaymentTerms, agreement: str, agreement_days: int | None) -> bool:
    """Whether the firm's sector agreement allows `terms`: False without one; refused beyond its days."""
    if not (agreement or "").strip() or agreement_days is None:
        return False
    if terms.days <= agreement_days:
        return True
    raise LegalRefusal(gettext_noop(
        "Payment terms of %(terms)s exceed the %(days)s days the sector agreement %(agreement)s allows."),
        where="payment_terms_days", terms=str(terms), days=agreement_days, agreement=agreement.strip())


def check_payment_terms(terms: PaymentTerms, *, agreement: str = "", agreement_days: int | None = None) -> None:
    """Refuse payment terms beyond the legal cap (L441-10: 60 days from the invoice date, or 45 days end of
    month), unless the firm records the sector agreement that allows them: then up to the number of days that
    agreement allows, counted as the terms are written."""
    cap = LEGAL_MAX_DAYS_END_OF_MONTH if terms.end_of_month else LEGAL_MAX_DAYS
    if terms.days <= cap:
        return
    if _agreement_allows(terms, agreement, agreement_days):
        return
    raise LegalRefusal(gettext_noop(
        "Payment terms of %(terms)s exceed the legal cap (Code de commerce L441-10): at most 60 days from the "
        "invoice date, or 45 days end of month. Longer terms need a sector agreement recorded in the firm's "
        "settings."), where="payment_terms_days", terms=str(terms))


# Names of the regimes in the refusals and warnings (msgids the interfaces translate).
REGIME_NAMES = {VatRegime.REVERSE_CHARGE: gettext_noop("reverse charge"), VatRegime.EXPORT: gettext_noop("export"),
                VatRegime.EXEMPT: gettext_noop("exempt (training)")}


def check_cibs_wording(regime: VatRegime, issued: date, firm_wordings: Iterable[FirmWording] = ()) -> None:
    """Refuse, from the day the CGI references stop being tolerated (1 January 2028), an invoice whose exemption,
    reverse-charge or export wording would still be the built-in one citing the CGI: the firm must first enter
    the wording with its CIBS article (we do not know those numbers: the firm confirms them on Légifrance)."""
    if regime not in EXEMPTION_WORDING or issued <= CGI_TOLERATED_UNTIL:
        return
    if firm_wording(regime, issued, firm_wordings):
        return
    raise LegalRefusal(gettext_noop(
        "From 1 January 2028 the CGI references are no longer tolerated on invoices, and the %(regime)s wording "
        "of this invoice still cites only the CGI. Enter that wording with its CIBS article (Légifrance "
        "correspondence table) in the firm's settings, in force on %(date)s at the latest, then validate again."),
        where="exemption_wording", regime=REGIME_NAMES.get(regime, str(regime)), date=issued.strftime("%d/%m/%Y"))


# Code de commerce L441-10 I (and CGI art. 289 I-3): a periodic invoice, one invoice for the deliveries of several
# days of a month, is due at most 45 days from its date, end of month or not.
PERIODIC_MAX_DAYS = 45


def is_periodic(service_dates: Iterable[date | None]) -> bool:
    """Whether an invoice is periodic: it groups deliveries of more than one day (time entries, units, expenses,
    several installments of a schedule). One delivery, even over a period (one installment of a fixed fee for
    its month), is not."""
    return len({day for day in service_dates if day is not None}) > 1


def check_periodic_payment_terms(terms: PaymentTerms, *, issued: date, agreement: str = "",
                                 agreement_days: int | None = None) -> None:
    """Refuse the terms of a periodic invoice that fall due more than 45 days after its date (counted from the
    issue date to the due date, so end-of-month terms count the days to the end of the month), unless the firm
    records the sector agreement that allows them (then up to its days, as check_payment_terms counts them)."""
    due = due_date(issued, terms.days, terms.end_of_month)
    if (due - issued).days <= PERIODIC_MAX_DAYS:
        return
    if _agreement_allows(terms, agreement, agreement_days):
        return
    raise LegalRefusal(gettext_noop(
        "Payment terms of %(terms)s make this periodic invoice (it groups deliveries of several days) due on "
        "%(due)s, %(days)s days after its date: a periodic invoice is due at most 45 days from its date (Code de "
        "commerce L441-10 I, CGI art. 289 I-3). Shorten the client's payment terms, or record the sector agreement "
        "that allows them in the firm's settings."),
        where="payment_terms_days", terms=str(terms), due=due.strftime("%d/%m/%Y"), days=(due - issued).days)


def check_payment_terms_agreement(agreement: str, agreement_days: int | None) -> None:
    """A sector agreement on payment terms is recorded with both its reference and the days it allows: one
    without the other would leave check_payment_terms applying the legal cap while the firm thinks otherwise."""
    if (agreement or "").strip() and agreement_days is None:
        raise LegalRefusal(gettext_noop(
            "Give the longest payment terms, in days, the sector agreement %(agreement)s allows, or leave its "
            "reference empty."), where="payment_terms_agreement_days", agreement=agreement.strip())
    if not (agreement or "").strip() and agreement_days is not None:
        raise LegalRefusal(gettext_noop(
            "Give the reference of the sector agreement that allows payment terms of %(days)s days, or leave the "
            "days empty."), where="payment_terms_agreement", days=agreement_days)
