"""The Factur-X XML (UN/CEFACT CII, EN 16931 profile) of a validated invoice or credit note.

Element order follows the CII XSD; French CTC data (XP Z12-012, rules BR-FR): SIREN with scheme 0002, electronic
addresses (BT-34 and BT-49: scheme 0225, SIREN-based; EM for a buyer without SIREN), the "cadre de facturation"
BT-23, the notes PMT / PMD / AAB (payment mentions), BAR (transaction category), REG / ABL (legal form, capital,
trade register) and TXD (the VAT-on-debits option, with BT-8 = 5).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal

import facturx

from prebill.core.grouping import ItemKind, is_disbursement
from prebill.core.legal import (
    DEBITS_OPTION,
    VAT_CATEGORY,
    VATEX,
    company_mentions,
    disbursement_wording,
    exemption_wording,
    payment_notes,
)
from prebill.core.vat import DISBURSEMENT_CATEGORY, DISBURSEMENT_VATEX, VatRegime
from prebill.training.selectors import line_references

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
for _prefix, _uri in NS.items():
    ET.register_namespace(_prefix, _uri)

UNIT_CODES = {"hour": "HUR", "heure": "HUR", "day": "DAY", "jour": "DAY", "month": "MON", "mois": "MON"}
PAYMENT_MEANS = {"transfer": "30", "direct_debit": "59", "cheque": "20", "card": "48", "cash": "10"}
INVOICE, CREDIT_NOTE = "380", "381"
GOODS = {ItemKind.RESALE, ItemKind.PURCHASE}
DUE_ON_INVOICE_DATE = "5"  # BT-8 (UNTDID 2005) when the seller opted for VAT on debits


def billing_frame(line_kinds, *, prepaid: bool) -> str:
    """BT-23, the French "cadre de facturation": B goods, S services, M both; 1 a plain invoice, 4 the final invoice
    after a down payment (deposits deducted)."""
    goods = {kind in GOODS for kind in line_kinds}
    nature = "M" if goods == {True, False} else "B" if goods == {True} else "S"
    return f"{nature}{4 if prepaid else 1}"


def _el(parent: ET.Element, tag: str, text: str | None = None, **attributes) -> ET.Element:
    prefix, name = tag.split(":")
    element = ET.SubElement(parent, f"{{{NS[prefix]}}}{name}", attributes)
    if text is not None:
        element.text = text
    return element


def _date(parent: ET.Element, tag: str, day: date, kind: str = "udt") -> None:
    _el(_el(parent, tag), f"{kind}:DateTimeString", day.strftime("%Y%m%d"), format="102")


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


def _quantity(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _address(party: ET.Element, text: str) -> None:
    """Snapshot addresses are 'line1\\nline2\\nPOSTCODE City\\nCOUNTRY'."""
    lines = [line for line in text.splitlines() if line.strip()]
    country = lines.pop() if lines and len(lines[-1].strip()) == 2 else "FR"
    city_line = lines.pop() if lines else ""
    postcode, _, city = city_line.partition(" ")
    address = _el(party, "ram:PostalTradeAddress")
    _el(address, "ram:PostcodeCode", postcode)
    for tag, line in zip(("ram:LineOne", "ram:LineTwo"), lines, strict=False):
        _el(address, tag, line)
    _el(address, "ram:CityName", city or postcode)
    _el(address, "ram:CountryID", country.strip().upper())


def _party(parent: ET.Element, tag: str, *, name: str, siren: str, vat: str, address: str,
           endpoint: tuple[str, str]) -> None:
    party = _el(parent, tag)
    _el(party, "ram:Name", name)
    if siren:
        _el(_el(party, "ram:SpecifiedLegalOrganization"), "ram:ID", siren, schemeID="0002")
    _address(party, address)
    scheme, uri = endpoint
    if uri:
        _el(_el(party, "ram:URIUniversalCommunication"), "ram:URIID", uri, schemeID=scheme)
    if vat:
        _el(_el(party, "ram:SpecifiedTaxRegistration"), "ram:ID", vat, schemeID="VA")


def buyer_endpoint(invoice) -> tuple[str, str]:
    """(scheme, address) of BT-49 as frozen on the invoice; an invoice of before that snapshot: its SIREN."""
    if invoice.buyer_endpoint:
        return invoice.buyer_endpoint_scheme, invoice.buyer_endpoint
    return ("0225", invoice.buyer_siren) if invoice.buyer_siren else ("", "")


def legal_notes(invoice, penalty_rate: str | None = None) -> dict[str, str]:
    """The invoice's notes by subject code (BT-21 -> BT-22), in the order they are written."""
    notes = payment_notes(penalty_rate) if penalty_rate else payment_notes()
    notes["AAI"] = f"{invoice.seller_name} — SIREN {invoice.seller_siren}"
    notes |= company_mentions(name=invoice.seller_name, legal_form=invoice.seller_legal_form,
                              share_capital=invoice.seller_share_capital, rcs_city=invoice.seller_rcs_city,
                              siren=invoice.seller_siren)
    if invoice.seller_vat_on_debits:
        notes["TXD"] = DEBITS_OPTION
    if invoice.buyer_category:
        notes["BAR"] = invoice.buyer_category
    return notes


def training_references(invoice, lines) -> tuple[tuple[str, str] | None, dict[int, str]]:
    """A training invoice quotes its funder's file number and the training agreement: for one funding, once for
    the document (BT-13 purchase order, BT-12 contract); for several, a note on each line (BT-127)."""
    references = line_references(invoice)
    if not references:
        return None, {}
    if len(set(references.values())) == 1 and len(references) == len(lines):
        return next(iter(references.values())), {}
    notes = {}
    for line_id, (number, agreement) in references.items():
        text = " — ".join(filter(None, (number and f"Dossier n° {number}", agreement and f"Convention {agreement}")))
        if text:
            notes[line_id] = text
    return None, notes


def invoice_xml(invoice, *, lines, vat_lines, prepaid: Decimal = Decimal(0), penalty_rate: str | None = None,
                iban: str = "") -> bytes:
    """CII XML of an invoice snapshot; amounts, identifiers and dates are the invoice's own."""
    credit = invoice.kind == "credit_note"
    regime = VatRegime(invoice.vat_regime)
    category = VAT_CATEGORY[regime]
    root = ET.Element(f"{{{NS['rsm']}}}CrossIndustryInvoice")
    context = _el(root, "rsm:ExchangedDocumentContext")
    _el(_el(context, "ram:BusinessProcessSpecifiedDocumentContextParameter"), "ram:ID",
        billing_frame((line.kind for line in lines), prepaid=bool(prepaid)))
    _el(_el(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", "urn:cen.eu:en16931:2017")

    document = _el(root, "rsm:ExchangedDocument")
    _el(document, "ram:ID", invoice.number)
    _el(document, "ram:TypeCode", CREDIT_NOTE if credit else INVOICE)
    _date(document, "ram:IssueDateTime", invoice.issue_date)
    for code, text in legal_notes(invoice, penalty_rate).items():
        note = _el(document, "ram:IncludedNote")
        _el(note, "ram:Content", text)
        _el(note, "ram:SubjectCode", code)

    transaction = _el(root, "rsm:SupplyChainTradeTransaction")
    header_references, line_notes = training_references(invoice, lines)
    for line in lines:
        item = _el(transaction, "ram:IncludedSupplyChainTradeLineItem")
        line_document = _el(item, "ram:AssociatedDocumentLineDocument")
        _el(line_document, "ram:LineID", str(line.position))
        if line.pk in line_notes:
            _el(_el(line_document, "ram:IncludedNote"), "ram:Content", line_notes[line.pk])
        product = _el(item, "ram:SpecifiedTradeProduct")
        _el(product, "ram:SellerAssignedID", line.article_code)
        _el(product, "ram:Name", line.designation[:500])
        price = _el(_el(item, "ram:SpecifiedLineTradeAgreement"), "ram:NetPriceProductTradePrice")
        _el(price, "ram:ChargeAmount", f"{line.unit_price.normalize():f}" if line.unit_price else "0")
        _el(_el(item, "ram:SpecifiedLineTradeDelivery"), "ram:BilledQuantity", _quantity(line.quantity),
            unitCode=UNIT_CODES.get(line.unit.lower(), "C62"))
        settlement = _el(item, "ram:SpecifiedLineTradeSettlement")
        tax = _el(settlement, "ram:ApplicableTradeTax")
        _el(tax, "ram:TypeCode", "VAT")
        # Débours: exempt (E) at 0 % whatever the regime, in their own breakdown group (below).
        line_category = DISBURSEMENT_CATEGORY if is_disbursement(line.kind) else category
        _el(tax, "ram:CategoryCode", line_category)
        _el(tax, "ram:RateApplicablePercent", _quantity(line.vat_rate) if line_category == "S" else "0")
        if line.service_start and line.service_end:
            period = _el(settlement, "ram:BillingSpecifiedPeriod")
            _date(period, "ram:StartDateTime", line.service_start)
            _date(period, "ram:EndDateTime", line.service_end)
        _el(_el(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation"), "ram:LineTotalAmount",
            _amount(line.amount))

    agreement = _el(transaction, "ram:ApplicableHeaderTradeAgreement")
    # The seller is reached at its SIREN-based address of the French directory (BR-FR-13).
    _party(agreement, "ram:SellerTradeParty", name=invoice.seller_name, siren=invoice.seller_siren,
           vat=invoice.seller_vat_number, address=invoice.seller_address, endpoint=("0225", invoice.seller_siren))
    _party(agreement, "ram:BuyerTradeParty", name=invoice.buyer_name, siren=invoice.buyer_siren,
           vat=invoice.buyer_vat_number, address=invoice.buyer_address, endpoint=buyer_endpoint(invoice))
    if header_references:  # the funder's file (its commitment, an order) and the training agreement (a contract)
        file_number, agreement_reference = header_references
        if file_number:
            _el(_el(agreement, "ram:BuyerOrderReferencedDocument"), "ram:IssuerAssignedID", file_number)
        if agreement_reference:
            _el(_el(agreement, "ram:ContractReferencedDocument"), "ram:IssuerAssignedID", agreement_reference)
    starts = [line.service_start for line in lines if line.service_start]
    ends = [line.service_end for line in lines if line.service_end]
    # The element is required and must not be empty (PEPPOL-EN16931-R008): the date the service was completed
    # (BT-72), the end of the period billed, or for a document without period its issue date.
    delivery = _el(_el(transaction, "ram:ApplicableHeaderTradeDelivery"), "ram:ActualDeliverySupplyChainEvent")
    _date(delivery, "ram:OccurrenceDateTime", max(ends) if ends else invoice.issue_date)

    settlement = _el(transaction, "ram:ApplicableHeaderTradeSettlement")
    # In another currency than the euro, the VAT is also given in euros, the French accounting currency (BT-6 and
    # BT-111, BR-FR-CO-12): the VAT of each rate at the invoice's exchange rate, summed (prebill.core.receipts).
    vat_in_euros = getattr(invoice, "total_vat_eur", None) if invoice.currency != "EUR" else None
    if vat_in_euros is not None:
        _el(settlement, "ram:TaxCurrencyCode", "EUR")
    _el(settlement, "ram:InvoiceCurrencyCode", invoice.currency)
    means = _el(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
    code = PAYMENT_MEANS.get(invoice.payment_method, "30")
    if code in ("30", "58", "59") and not iban:
        code = "1"  # a transfer needs the payee's IBAN (CII-SR-470): without one the means stay undefined
    _el(means, "ram:TypeCode", code)
    if code in ("30", "58") and iban:
        _el(_el(means, "ram:PayeePartyCreditorFinancialAccount"), "ram:IBANID", iban.replace(" ", ""))
    # The wording frozen on the invoice at validation; one issued before it was kept prints its date's built-in one.
    reason = getattr(invoice, "exemption_wording", "") or exemption_wording(regime, invoice.issue_date)
    reason_code = VATEX.get(regime, "")
    if regime is VatRegime.EXEMPT and any(is_disbursement(line.kind) for line in lines):
        # One E group at 0 % (BR-E-08) holds the exempt operations and the débours: both reasons, or the débours'
        # alone on a document that bills nothing else.
        if all(is_disbursement(line.kind) for line in lines):
            reason, reason_code = disbursement_wording(invoice.issue_date), DISBURSEMENT_VATEX
        else:
            reason = f"{reason} ; {disbursement_wording(invoice.issue_date)}"
    for vat in vat_lines:
        own = getattr(vat, "category", "") == DISBURSEMENT_CATEGORY  # the débours' group
        group_category = DISBURSEMENT_CATEGORY if own else category
        group_reason = disbursement_wording(invoice.issue_date) if own else reason
        tax = _el(settlement, "ram:ApplicableTradeTax")
        _el(tax, "ram:CalculatedAmount", _amount(vat.vat))
        _el(tax, "ram:TypeCode", "VAT")
        if group_reason:
            _el(tax, "ram:ExemptionReason", group_reason)
        _el(tax, "ram:BasisAmount", _amount(vat.base))
        _el(tax, "ram:CategoryCode", group_category)
        if own or reason_code:
            _el(tax, "ram:ExemptionReasonCode", DISBURSEMENT_VATEX if own else reason_code)
        if invoice.seller_vat_on_debits:
            _el(tax, "ram:DueDateTypeCode", DUE_ON_INVOICE_DATE)
        _el(tax, "ram:RateApplicablePercent", _quantity(vat.rate) if group_category == "S" else "0")
    if starts and ends:
        period = _el(settlement, "ram:BillingSpecifiedPeriod")
        _date(period, "ram:StartDateTime", min(starts))
        _date(period, "ram:EndDateTime", max(ends))
    terms = _el(settlement, "ram:SpecifiedTradePaymentTerms")
    _date(terms, "ram:DueDateDateTime", invoice.due_date)
    totals = _el(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    _el(totals, "ram:LineTotalAmount", _amount(sum((line.amount for line in lines), Decimal(0))))
    _el(totals, "ram:TaxBasisTotalAmount", _amount(invoice.total_excluding_vat))
    _el(totals, "ram:TaxTotalAmount", _amount(invoice.total_vat), currencyID=invoice.currency)
    if vat_in_euros is not None:
        _el(totals, "ram:TaxTotalAmount", _amount(vat_in_euros), currencyID="EUR")
    _el(totals, "ram:GrandTotalAmount", _amount(invoice.total_including_vat))
    if prepaid:
        _el(totals, "ram:TotalPrepaidAmount", _amount(prepaid))
    _el(totals, "ram:DuePayableAmount", _amount(invoice.total_including_vat - prepaid))
    if credit and invoice.credited_invoice_id:
        reference = _el(settlement, "ram:InvoiceReferencedDocument")
        _el(reference, "ram:IssuerAssignedID", invoice.credited_invoice.number)
        _date(reference, "ram:FormattedIssueDateTime", invoice.credited_invoice.issue_date, kind="qdt")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def ubl_xml(cii: bytes) -> bytes:
    """The same invoice as a UBL 2.1 Invoice or CreditNote (converted by `factur-x`, checked against its XSD)."""
    data = facturx.parse_ubl_cii_xml(cii, float_as="string", date_as="date", check_xsd=True)
    return facturx.generate_xml(data, flavor="ubl-2.1", level="en16931", check_xsd=True, check_schematron=False)
