"""Issued documents: an invoice's PDF, CII and UBL are rendered once, from its snapshot, and kept.

They are rendered by a worker as soon as the validation commits (prebill.documents.receivers), outside its
locks; a document not rendered yet (a worker busy or stopped, a rendering error) is rendered at its first
download.

Every download (web, API, command line, batches) returns the kept bytes, whatever the organisation became since.
The CII is the source of the two others: the PDF embeds the kept CII and the UBL is converted from it, so the
three always tell the same invoice. Two first downloads at the same time: the unique (invoice, kind) constraint
decides, the loser returns the winner's bytes.
"""

from __future__ import annotations

import hashlib

from django.db import IntegrityError, transaction

from prebill.invoicing.models import Invoice
from prebill.jobs.services import background

from .models import IssuedDocument

Kind = IssuedDocument.Kind
CONTENT_TYPES = {Kind.PDF: "application/pdf", Kind.CII: "application/xml", Kind.UBL: "application/xml"}
SUFFIXES = {Kind.PDF: ".pdf", Kind.CII: "-factur-x.xml", Kind.UBL: "-ubl.xml"}


def _render(invoice, kind: str) -> bytes:
    # WeasyPrint and factur-x take 2 s to import: only a process that renders pays it, not every command.
    from .facturx import ubl_xml
    from .pdf import factur_x_xml, invoice_pdf

    if kind == Kind.CII:
        return factur_x_xml(invoice)
    cii = issued(invoice, Kind.CII).content
    return invoice_pdf(invoice, xml=cii) if kind == Kind.PDF else ubl_xml(cii)


def issued(invoice, kind: str) -> IssuedDocument:
    """The kept document of `kind` (pdf, cii, ubl) of a validated invoice or credit note, produced the first time."""
    kind = Kind(kind)
    found = IssuedDocument.objects.filter(invoice=invoice, kind=kind).first()
    if found is None:
        content = _render(invoice, kind)
        try:
            with transaction.atomic():
                found = IssuedDocument.objects.create(invoice=invoice, kind=kind, content=content,
                                                      sha256=hashlib.sha256(content).hexdigest())
        except IntegrityError:  # produced meanwhile by another download: the first one stays
            found = IssuedDocument.objects.get(invoice=invoice, kind=kind)
    found.content = bytes(found.content)
    return found


@background("documents.issue")
def issue_documents(invoice_id: int) -> None:
    """Render and keep the three documents of a newly issued invoice (its CII first: the others embed it)."""
    invoice = Invoice.objects.get(pk=invoice_id)
    for kind in (Kind.CII, Kind.PDF, Kind.UBL):
        issued(invoice, kind)


def issued_document(invoice, kind: str) -> bytes:
    """The bytes of `issued(invoice, kind)`."""
    return issued(invoice, kind).content


def filename(invoice, kind: str) -> str:
    return f"{invoice.number}{SUFFIXES[Kind(kind)]}"
