"""Life-cycle status messages: UN/CEFACT CDAR D22B as the French reform profiles it (urn.cpro.gouv.fr:1p0:CDV:invoice).

A platform tells the seller each status of an invoice with one of these (flows `CustomerInvoiceLC`), and the
seller sends one to declare a payment received (212 "Encaissée", amounts per VAT rate). Built and read here
with only the elements the FNFE-MPE rules BR-FR-CDV ask for, in the element order of the D22B schema.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from lxml import etree

from . import xmlsafe
from .lifecycle import Role, status

RSM = "urn:un:unece:uncefact:data:standard:CrossDomainAcknowledgementAndResponse:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
NS = {"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT}
GUIDELINE = "urn.cpro.gouv.fr:1p0:CDV:invoice"
SIREN_SCHEME = "0002"
ELECTRONIC_ADDRESS_SCHEME = "0225"
COLLECTED = "MEN"  # MDT-207: the characteristic that carries an amount received


class CdarError(ValueError):
    """A status message that lacks what it must carry (the element, or what is wrong with it)."""


@dataclass(frozen=True)
class Party:
    role: str  # UNTDID 3035 (lifecycle.Role for the usual ones)
    siren: str | None = None
    name: str | None = None
    electronic_address: str | None = None
    address_scheme: str = ELECTRONIC_ADDRESS_SCHEME


@dataclass(frozen=True)
class Reason:
    code: str
    text: str = ""
    requested_action: str | None = None  # MDT-121: NOA, PIN, NIN, CNF, CNP, CNA, OTH


@dataclass(frozen=True)
class CollectedAmount:
    """Money received for one VAT rate of the invoice (MDT-215, MDT-224): negative to correct an earlier one."""

    amount: Decimal
    vat_rate: Decimal
    currency: str = "EUR"

    def __post_init__(self) -> None:
        for value in (self.amount, self.vat_rate):
            if not isinstance(value, Decimal):  # money is Decimal from the edge inward
                raise TypeError(f"{value!r} is not a Decimal")


@dataclass(frozen=True)
class StatusMessage:
    message_id: str
    issued_at: datetime
    status: int
    invoice_number: str
    invoice_date: date | None
    seller_siren: str | None
    sender: Party
    issuer: Party
    recipients: tuple[Party, ...]
    invoice_type: str = "380"
    reasons: tuple[Reason, ...] = ()
    amounts: tuple[CollectedAmount, ...] = ()
    received_on: date | None = None  # 212: the day the money came in
    business_process: str = "REGULATED"


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attributes: str) -> etree._Element:
    prefix, name = tag.split(":")
    element = etree.SubElement(parent, f"{{{NS[prefix]}}}{name}", {k: v for k, v in attributes.items() if v})
    if text is not None:
        element.text = text
    return element


def _datetime(parent: etree._Element, tag: str, moment: datetime) -> None:
    _sub(_sub(parent, tag), "udt:DateTimeString", moment.astimezone(UTC).strftime("%Y%m%d%H%M%S"), format="204")


def _party(parent: etree._Element, tag: str, party: Party) -> None:
    element = _sub(parent, tag)
    if party.siren:
        _sub(element, "ram:GlobalID", party.siren, schemeID=SIREN_SCHEME)
    if party.name:
        _sub(element, "ram:Name", party.name)
    _sub(element, "ram:RoleCode", str(party.role))
    if party.electronic_address:
        _sub(_sub(element, "ram:URIUniversalCommunication"), "ram:URIID", party.electronic_address,
             schemeID=party.address_scheme)


def _amount(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))


def status_message_xml(message: StatusMessage) -> bytes:
    """The CDAR document of `message`, UTF-8."""
    described = status(message.status)
    root = etree.Element(f"{{{RSM}}}CrossDomainAcknowledgementAndResponse", nsmap=NS)
    context = _sub(root, "rsm:ExchangedDocumentContext")
    _sub(_sub(context, "ram:BusinessProcessSpecifiedDocumentContextParameter"), "ram:ID", message.business_process)
    _sub(_sub(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", GUIDELINE)

    exchanged = _sub(root, "rsm:ExchangedDocument")
    _sub(exchanged, "ram:ID", message.message_id)
    _sub(exchanged, "ram:Name", f"{message.status} {described.label}")
    _datetime(exchanged, "ram:IssueDateTime", message.issued_at)
    _party(exchanged, "ram:SenderTradeParty", message.sender)
    _party(exchanged, "ram:IssuerTradeParty", message.issuer)
    for recipient in message.recipients:
        _party(exchanged, "ram:RecipientTradeParty", recipient)

    acknowledgement = _sub(root, "rsm:AcknowledgementDocument")
    _sub(acknowledgement, "ram:TypeCode", described.phase.value)
    _datetime(acknowledgement, "ram:IssueDateTime", message.issued_at)
    reference = _sub(acknowledgement, "ram:ReferenceReferencedDocument")
    _sub(reference, "ram:IssuerAssignedID", message.invoice_number)
    _sub(reference, "ram:TypeCode", message.invoice_type)
    if message.invoice_date:
        _sub(_sub(reference, "ram:FormattedIssueDateTime"), "qdt:DateTimeString",
             message.invoice_date.strftime("%Y%m%d"), format="102")
    _sub(reference, "ram:ProcessConditionCode", str(message.status))
    _sub(reference, "ram:ProcessCondition", described.label)
    if message.seller_siren:
        _party(reference, "ram:IssuerTradeParty", Party(Role.SELLER, siren=message.seller_siren))
    sequence = 0
    for reason in message.reasons:
        sequence += 1
        detail = _sub(reference, "ram:SpecifiedDocumentStatus")
        _sub(detail, "ram:ReasonCode", reason.code)
        if reason.text:
            _sub(detail, "ram:Reason", reason.text)
        if reason.requested_action:
            _sub(detail, "ram:RequestedActionCode", reason.requested_action)
        _sub(detail, "ram:SequenceNumeric", str(sequence))
    if message.amounts:
        sequence += 1
        detail = _sub(reference, "ram:SpecifiedDocumentStatus")
        if message.received_on:
            _sub(_sub(detail, "ram:ReferenceDateTime"), "udt:DateTimeString",
                 message.received_on.strftime("%Y%m%d"), format="102")
        _sub(detail, "ram:SequenceNumeric", str(sequence))
        for collected in message.amounts:
            characteristic = _sub(detail, "ram:SpecifiedDocumentCharacteristic")
            _sub(characteristic, "ram:TypeCode", COLLECTED)
            _sub(characteristic, "ram:ValueAmount", _amount(collected.amount), currencyID=collected.currency)
            _sub(characteristic, "ram:ValuePercent", _amount(collected.vat_rate))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _text(element: etree._Element, path: str) -> str | None:
    found = element.findtext(path, namespaces=NS)
    return found.strip() if found and found.strip() else None


def _required(element: etree._Element, path: str) -> str:
    found = _text(element, path)
    if found is None:
        raise CdarError(f"{path} is missing")
    return found


def _parse_date(value: str | None, path: str) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value[:8], "%Y%m%d").date()
    except ValueError:
        raise CdarError(f"{path}: {value!r} is not a date YYYYMMDD") from None


def _parse_datetime(value: str, path: str) -> datetime:
    for layout in ("%Y%m%d%H%M%S", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S", "%Y%m%d"):
        try:
            parsed = datetime.strptime(value, layout)
        except ValueError:
            continue
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise CdarError(f"{path}: {value!r} is not a date and time")


def _decimal(value: str | None, path: str) -> Decimal:
    try:
        return Decimal(value or "")
    except InvalidOperation:
        raise CdarError(f"{path}: {value!r} is not a number") from None


def _read_party(element: etree._Element | None) -> Party:
    if element is None:
        raise CdarError("a trade party is missing")
    role = _required(element, "ram:RoleCode")
    siren = element.find(f"ram:GlobalID[@schemeID='{SIREN_SCHEME}']", NS)
    address = element.find("ram:URIUniversalCommunication/ram:URIID", NS)
    return Party(role, siren=siren.text.strip() if siren is not None and siren.text else None,
                 name=_text(element, "ram:Name"),
                 electronic_address=address.text.strip() if address is not None and address.text else None,
                 address_scheme=address.get("schemeID", ELECTRONIC_ADDRESS_SCHEME) if address is not None
                 else ELECTRONIC_ADDRESS_SCHEME)


def parse_status_message(content: bytes) -> StatusMessage:
    """The status message in `content` (its first referenced invoice), or CdarError / xmlsafe.NotXml."""
    root = xmlsafe.parse(content)
    if root.tag != f"{{{RSM}}}CrossDomainAcknowledgementAndResponse":
        raise CdarError(f"the root element is {root.tag}, not a CrossDomainAcknowledgementAndResponse")
    exchanged = root.find("rsm:ExchangedDocument", NS)
    reference = root.find("rsm:AcknowledgementDocument/ram:ReferenceReferencedDocument", NS)
    if exchanged is None or reference is None:
        raise CdarError("rsm:ExchangedDocument or rsm:AcknowledgementDocument/ram:ReferenceReferencedDocument is missing")
    code = _required(reference, "ram:ProcessConditionCode")
    if not code.isdigit():
        raise CdarError(f"ram:ProcessConditionCode {code!r} is not a status code")
    seller = reference.find(f"ram:IssuerTradeParty/ram:GlobalID[@schemeID='{SIREN_SCHEME}']", NS)
    reasons, amounts, received_on = [], [], None
    for detail in reference.iterfind("ram:SpecifiedDocumentStatus", NS):
        if (reason_code := _text(detail, "ram:ReasonCode")) is not None:
            reasons.append(Reason(reason_code, _text(detail, "ram:Reason") or "",
                                  _text(detail, "ram:RequestedActionCode")))
        received_on = _parse_date(_text(detail, "ram:ReferenceDateTime/udt:DateTimeString"),
                                  "ram:ReferenceDateTime") or received_on
        for characteristic in detail.iterfind("ram:SpecifiedDocumentCharacteristic", NS):
            if _text(characteristic, "ram:TypeCode") != COLLECTED:
                continue
            value = characteristic.find("ram:ValueAmount", NS)
            amounts.append(CollectedAmount(
                _decimal(value.text if value is not None else None, "ram:ValueAmount"),
                _decimal(_text(characteristic, "ram:ValuePercent"), "ram:ValuePercent"),
                (value.get("currencyID") if value is not None else None) or "EUR"))
    return StatusMessage(
        message_id=_required(exchanged, "ram:ID"),
        issued_at=_parse_datetime(_required(exchanged, "ram:IssueDateTime/udt:DateTimeString"), "ram:IssueDateTime"),
        status=int(code),
        invoice_number=_required(reference, "ram:IssuerAssignedID"),
        invoice_date=_parse_date(_text(reference, "ram:FormattedIssueDateTime/qdt:DateTimeString"),
                                 "ram:FormattedIssueDateTime"),
        seller_siren=seller.text.strip() if seller is not None and seller.text else None,
        sender=_read_party(exchanged.find("ram:SenderTradeParty", NS)),
        issuer=_read_party(exchanged.find("ram:IssuerTradeParty", NS)),
        recipients=tuple(_read_party(r) for r in exchanged.iterfind("ram:RecipientTradeParty", NS)),
        invoice_type=_text(reference, "ram:TypeCode") or "380",
        reasons=tuple(reasons),
        amounts=tuple(amounts),
        received_on=received_on,
        business_process=_text(root, "rsm:ExchangedDocumentContext/ram:BusinessProcessSpecifiedDocumentContextParameter"
                                     "/ram:ID") or "",
    )
