"""PDF documents: invoices and credit notes as Factur-X (PDF/A-3b with factur-x.xml), pre-invoices as drafts.

Proofs kept with the billed costs (expense receipts, purchase proofs) follow the document as extra pages.
"""

from __future__ import annotations

import base64
import io
from datetime import date
from decimal import Decimal

import facturx
from django.db.models import Sum
from django.template.loader import render_to_string
from django.utils import translation
from pypdf import PdfReader, PdfWriter
from weasyprint import HTML

from prebill.attachments.services import path_of, sniff
from prebill.billing.models import InvoiceTemplate
from prebill.core.grouping import is_disbursement
from prebill.core.legal import DEBITS_OPTION, company_mentions, disbursement_wording, exemption_wording, payment_notes
from prebill.core.money import money_sum
from prebill.core.vat import VatRegime, vat_breakdown
from prebill.costs.models import ActivityReport
from prebill.invoicing.models import InvoiceLineItem
from prebill.organisation.models import Organisation
from prebill.organisation.selectors import firm_wordings
from prebill.payments.services import pre_invoice_due
from prebill.training import selectors as training

from .facturx import invoice_xml

METHODS = {"transfer": "virement bancaire", "direct_debit": "prélèvement", "cheque": "chèque", "card": "carte",
           "cash": "espèces"}


def terms_text(days: int, end_of_month: bool) -> str:
    if days == 0:
        return "à réception"
    return f"{days} jours{' fin de mois' if end_of_month else ''}"


def _period(lines) -> tuple:
    starts = [line.service_start for line in lines if line.service_start]
    ends = [line.service_end for line in lines if line.service_end]
    return (min(starts), max(ends)) if starts and ends else (None, None)


def _logo_uri(logo: bytes, content_type: str) -> str:
    return f"data:{content_type};base64,{base64.b64encode(logo).decode()}" if logo and content_type else ""


def _company(*, legal_form: str, share_capital, rcs_city: str, siren: str) -> list[str]:
    """The identity mentions under the seller's name: "SAS au capital de 10 000 €", "RCS Paris 812 345 678"."""
    return list(company_mentions(name="", legal_form=legal_form, share_capital=share_capital, rcs_city=rcs_city,
                                 siren=siren).values())


def _org_context() -> dict:
    """The live organisation: only drafts (pre-invoices) read it; an invoice prints its own snapshot."""
    org = Organisation.objects.first()
    logo = bytes(org.logo) if org and org.logo else b""
    kind = sniff(logo[:16]) if logo else None
    return {"iban": org.iban if org else "", "bic": org.bic if org else "",
            "legal_form": org.legal_form if org else "", "logo": _logo_uri(logo, kind[0] if kind else ""),
            "company": _company(legal_form=org.legal_form, share_capital=org.share_capital, rcs_city=org.rcs_city,
                                siren=org.siren) if org else [],
            "debits": DEBITS_OPTION if org and org.vat_on_debits else ""}


def _snapshot_context(invoice) -> dict:
    """The seller as frozen on the invoice or credit note at its validation (prebill.invoicing.snapshot)."""
    return {"iban": invoice.seller_iban, "bic": invoice.seller_bic, "legal_form": invoice.seller_legal_form,
            "logo": _logo_uri(bytes(invoice.seller_logo or b""), invoice.seller_logo_type),
            "company": _company(legal_form=invoice.seller_legal_form, share_capital=invoice.seller_share_capital,
                                rcs_city=invoice.seller_rcs_city, siren=invoice.seller_siren),
            "debits": DEBITS_OPTION if invoice.seller_vat_on_debits else ""}


def _training(document) -> dict | None:
    """A training invoice details each session it bills, and each funding as the session was held."""
    charges = list(training.charges_on(document))
    if not charges:
        return None
    return {"lines": training.training_lines(charges), "fundings": training.funding_details(charges)}


def _disbursements(lines, issued: date) -> dict:
    """The débours apart: their lines in a block of their own, their total beside the totals, their wording; the
    VAT bases printed are those of the other lines only (a débours is no 0 % VAT base)."""
    debours = [line for line in lines if is_disbursement(line.kind)]
    others = [line for line in lines if not is_disbursement(line.kind)]
    return {"disbursement_lines": debours, "disbursements": money_sum(line.amount for line in debours),
            "vat_bases": vat_breakdown((line.vat_rate, line.amount) for line in others),
            "disbursement_wording": disbursement_wording(issued) if debours else ""}


def invoice_context(invoice) -> dict:
    lines = list(invoice.lines.all())
    credit = invoice.kind == "credit_note"
    deposits = invoice.allocations.aggregate(total=Sum("amount"))["total"] or Decimal(0) if not credit else Decimal(0)
    start, end = _period(lines)
    org = _snapshot_context(invoice)
    return {
        "title": f"{'Avoir' if credit else 'Facture'} n° {invoice.number}", "draft": False,
        "seller": {"name": invoice.seller_name, "siren": invoice.seller_siren, "vat": invoice.seller_vat_number,
                   "address": invoice.seller_address, "legal_form": org["legal_form"], "company": org["company"]},
        "buyer": {"name": invoice.buyer_name, "siren": invoice.buyer_siren, "vat": invoice.buyer_vat_number,
                  "address": invoice.buyer_address, "code": invoice.buyer_code},
        "issue_date": invoice.issue_date, "due_date": invoice.due_date, "period_start": start, "period_end": end,
        "terms": terms_text(invoice.payment_terms_days, invoice.end_of_month),
        "credited": invoice.credited_invoice if credit else None, "lines": lines,
        "vat_lines": list(invoice.vat_lines.all()), "currency": invoice.currency,
        "total_excluding_vat": invoice.total_excluding_vat, "total_vat": invoice.total_vat,
        "total_including_vat": invoice.total_including_vat, "deposits": deposits,
        "amount_due": invoice.total_including_vat - deposits,
        # Frozen at validation (empty on invoices of before: the built-in wording of their date, as they printed).
        "exemption": invoice.exemption_wording or exemption_wording(VatRegime(invoice.vat_regime), invoice.issue_date),
        "payment_method": METHODS.get(invoice.payment_method, invoice.payment_method), "iban": org["iban"],
        "bic": org["bic"], "notes": list(payment_notes().values()), "logo": org["logo"], "debits": org["debits"],
        "training": None if credit else _training(invoice),
        **_disbursements(lines, invoice.issue_date),
    }


def pre_invoice_context(pre) -> dict:

    org = Organisation.objects.first()
    client, address = pre.client, pre.billing_address
    lines = list(pre.lines.select_related("article").order_by("position"))
    for line in lines:
        line.designation = line.designation_override or line.designation
    start, end = _period(lines)
    due = pre_invoice_due(pre)[1]
    org_context = _org_context()
    seller_address = "\n".join(part for part in ([org.address_line1, org.address_line2, f"{org.postcode} {org.city}",
                                                  org.country] if org else []) if part.strip())
    buyer_address = "\n".join(part for part in ([address.line1, address.line2, f"{address.postcode} {address.city}",
                                                 address.country] if address else []) if part.strip())
    return {
        "title": f"Pré-facture #{pre.pk} (brouillon, sans numéro)", "draft": True,
        "seller": {"name": org.legal_name if org else "", "siren": org.siren if org else "",
                   "vat": org.vat_number if org else "", "address": seller_address,
                   "legal_form": org_context["legal_form"], "company": org_context["company"]},
        "buyer": {"name": client.name, "siren": client.siren, "vat": client.vat_number, "address": buyer_address,
                  "code": client.code},
        "issue_date": date.today(), "due_date": pre.invoice_date, "period_start": start, "period_end": end,
        "terms": terms_text(pre.payment_terms_days, pre.end_of_month), "credited": None, "lines": lines,
        "vat_lines": list(pre.vat_lines.all()), "currency": pre.currency,
        "total_excluding_vat": pre.total_excluding_vat, "total_vat": pre.total_vat,
        "total_including_vat": pre.total_including_vat, "deposits": pre.total_including_vat - due,
        "amount_due": due,
        "exemption": exemption_wording(VatRegime(pre.vat_regime), pre.invoice_date, firm_wordings()),
        "payment_method": METHODS.get(pre.payment_method, pre.payment_method), "iban": org_context["iban"],
        "bic": org_context["bic"], "notes": list(payment_notes().values()), "logo": org_context["logo"],
        "debits": org_context["debits"], "training": _training(pre),
        **_disbursements(lines, pre.invoice_date),
    }


def render(context: dict, *, pdf_a: bool) -> bytes:
    # The document is written in French whoever renders it (a page in English, the command line's locale).
    with translation.override("fr"):
        html = render_to_string("documents/invoice.html", context)
    return HTML(string=html).write_pdf(pdf_variant="pdf/a-3b" if pdf_a else None)


def template_for(engagement_id: int | None, client_id: int) -> InvoiceTemplate | None:
    """The engagement's template, else the client's, else the organisation's default."""
    templates = InvoiceTemplate.objects
    return ((engagement_id and templates.filter(engagements=engagement_id).first())
            or templates.filter(clients=client_id).first() or templates.filter(is_default=True).first())


def proofs_of(invoice) -> list:
    """The proofs that follow the document, in line order: receipts and purchase proofs (unless the template
    says not), the client-signed activity reports of its T&M lines (when the template asks), and on a training
    funder's invoice the certificates of completion and attendance sheets of the learners it funds."""
    shares = list(InvoiceLineItem.objects.filter(line__invoice=invoice).select_related(
        "item__expense__receipt", "item__purchase__proof").order_by("line__position", "pk"))
    if not shares:
        return []
    template = template_for(shares[0].item.engagement_id, invoice.client_id)
    receipts = template is None or template.attach_receipts
    reports = template is not None and template.attach_activity_reports
    signed = {}
    if reports:
        signed = {(r.collaborator_id, r.engagement_id, r.month): r.signed for r in ActivityReport.objects.filter(
            engagement_id__in={s.item.engagement_id for s in shares}, signed__isnull=False).select_related("signed")}
    proofs = []
    for share in shares:
        item = share.item
        proof = None
        if receipts and item.expense_id and item.expense.receipt_id:
            proof = item.expense.receipt
        elif receipts and item.purchase_id and item.purchase.proof_id:
            proof = item.purchase.proof
        elif reports and item.kind == "time":
            proof = signed.get((item.collaborator_id, item.engagement_id, item.service_date.replace(day=1)))
        if proof is not None and proof not in proofs:
            proofs.append(proof)
    if invoice.kind != "credit_note":  # a funder's invoice: the certificates and attendance sheets it pays for
        proofs.extend(proof for proof in training.funders_proofs(invoice) if proof not in proofs)
    return proofs


def with_proofs(pdf: bytes, proofs: list) -> bytes:
    """The document followed by its proofs as pages (PDF pages as they are, pictures one per page)."""
    if not proofs:
        return pdf
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    for proof in proofs:
        path = path_of(proof)
        if proof.content_type == "application/pdf":
            data = path.read_bytes()
        else:
            html = f'<img src="{path.as_uri()}" style="max-width:100%;max-height:260mm">'
            data = HTML(string=f"<html><body style='margin:0'>{html}</body></html>").write_pdf()
        for page in PdfReader(io.BytesIO(data)).pages:
            writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _xml(invoice, context: dict) -> bytes:
    return invoice_xml(invoice, lines=context["lines"], vat_lines=context["vat_lines"], prepaid=context["deposits"],
                       iban=context["iban"])


def factur_x_xml(invoice) -> bytes:
    """The CII XML alone, as embedded in the invoice's PDF."""
    return _xml(invoice, invoice_context(invoice))


def invoice_pdf(invoice, *, xml: bytes | None = None) -> bytes:
    """The invoice or credit note as a Factur-X EN 16931 PDF/A-3b, its proofs appended, rendered now from its
    snapshot; `xml`: the CII to embed (the issued one), else rendered too. Downloads go through
    prebill.documents.issued, which keeps the first rendering."""
    context = invoice_context(invoice)
    xml = xml if xml is not None else _xml(invoice, context)
    pdf = with_proofs(render(context, pdf_a=True), proofs_of(invoice))
    return facturx.generate_from_binary(pdf, xml, flavor="factur-x", level="en16931", check_xsd=True, lang="fr-FR")


def pre_invoice_pdf(pre) -> bytes:
    return render(pre_invoice_context(pre), pdf_a=False)
