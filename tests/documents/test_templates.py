"""Invoice templates: designations composed as chosen, per engagement, client or default; proofs they attach."""

import io
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader

from prebill.billing.models import BillableItem, InvoiceTemplate, PreInvoice, TemplateLine
from prebill.billing.services import run_pre_billing
from prebill.core.periods import Period
from prebill.documents.pdf import invoice_pdf
from prebill.engagements.models import Task
from prebill.invoicing.services import validate_pre_invoice
from tests import factories as f

pytestmark = pytest.mark.django_db
NOV = Period(2026, 11)


@pytest.fixture
def consulting(firm):
    client = f.client(code="ACME")
    engagement = f.engagement(client, "P-1")
    f.time_part(engagement)
    f.fixed_fee_part(engagement, installments=[(date(2026, 11, 30), "1000.00")])
    task = Task.objects.create(engagement=engagement, code="AUDIT", label="Audit des comptes")
    entry = f.time_entry(f.collaborator("ANNE", hourly="100"), engagement, date(2026, 11, 2), "7", task=task)
    return client, engagement, entry


def designations():
    return dict(BillableItem.objects.values_list("kind", "designation"))


def test_the_default_wording_then_a_client_template_then_an_engagement_template(consulting):
    client, engagement, _ = consulting
    run_pre_billing(period=NOV)
    default = designations()
    for_client = InvoiceTemplate.objects.create(code="CLIENT", label="Client")
    for_client.clients.add(client)
    TemplateLine.objects.create(template=for_client, kind="time", elements=["task", "date", "quantity"],
                                prefix="Prestation :")
    run_pre_billing(period=NOV)
    by_client = designations()
    for_engagement = InvoiceTemplate.objects.create(code="MISSION", label="Mission")
    for_engagement.engagements.add(engagement)
    TemplateLine.objects.create(template=for_engagement, kind="time", elements=["engagement", "collaborator"])
    TemplateLine.objects.create(template=for_engagement, kind="fixed_fee", elements=["article", "period"])
    run_pre_billing(period=NOV)
    by_engagement = designations()

    assert default["time"].endswith("— 02/11/2026 — 7 h — Audit des comptes")
    assert by_client["time"] == "Prestation : Audit des comptes — 02/11/2026 — 7 h"
    assert by_engagement["time"].startswith("P-1 — Collaborateur")
    assert (default["fixed_fee"], by_engagement["fixed_fee"]) == ("Forfait annuel — novembre 2026",
                                                                  "Article HON — novembre 2026")


def test_a_designation_typed_on_the_pre_invoice_wins_over_the_template(consulting, user_with):
    from django.contrib.auth.models import Permission

    from prebill.billing.services import replace_designation

    template = InvoiceTemplate.objects.create(code="DEF", label="Default", is_default=True)
    TemplateLine.objects.create(template=template, kind="time", elements=["task"])
    run_pre_billing(period=NOV)
    chief = user_with("preparer", username="chief")
    chief.user_permissions.add(Permission.objects.get(codename="special_actions"))
    line = PreInvoice.objects.get(lines__kind="time").lines.get(kind="time")
    replace_designation(line_id=line.pk, text="Mission d'audit, novembre", user=chief)
    run_pre_billing(period=NOV)

    invoice = validate_pre_invoice(pre_invoice_id=PreInvoice.objects.get(lines__kind="time").pk,
                                   issue_date=date(2026, 11, 30))
    assert invoice.lines.get(kind="time").designation == "Mission d'audit, novembre"


def test_signed_activity_reports_follow_the_t_and_m_lines_when_the_template_asks(consulting, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from weasyprint import HTML

    from prebill.costs.services import attach_signed_report

    settings.PREBILL_FILES_DIR = tmp_path
    client, engagement, entry = consulting
    attach_signed_report(collaborator_id=entry.collaborator_id, engagement_id=engagement.pk, month=date(2026, 11, 1),
                         upload=SimpleUploadedFile("cra.pdf", HTML(string="<p>CRA SIGNE NOVEMBRE</p>").write_pdf()))
    run_pre_billing(period=NOV)
    invoice = validate_pre_invoice(pre_invoice_id=PreInvoice.objects.get(lines__kind="time").pk,
                                   issue_date=date(2026, 11, 30))
    without = len(PdfReader(io.BytesIO(invoice_pdf(invoice))).pages)
    template = InvoiceTemplate.objects.create(code="CRA", label="With reports", attach_activity_reports=True)
    template.clients.add(client)

    pages = PdfReader(io.BytesIO(invoice_pdf(invoice))).pages

    assert without == 1 and len(pages) == 2 and "CRA SIGNE NOVEMBRE" in pages[1].extract_text()
    assert invoice.total_excluding_vat == Decimal("700.00")


def test_costs_and_units_are_worded_by_the_template_too(consulting):
    from prebill.costs.services import declare_expense
    from prebill.organisation.models import Organisation

    client, engagement, entry = consulting
    Organisation.objects.update(expense_article=f.article("FRAIS"))
    f.units_part(engagement, price="18.50", metric="PAYSLIPS")
    f.metric(client, date(2026, 11, 1), "12", engagement=engagement)
    declare_expense(collaborator_id=entry.collaborator_id, client_id=client.pk, engagement_id=engagement.pk,
                    day=date(2026, 11, 10), nature="Train", amount_excluding_vat=Decimal("50"),
                    amount_including_vat=Decimal("55"), vat_rate=Decimal("10"))
    template = InvoiceTemplate.objects.create(code="DEF", label="Default", is_default=True)
    TemplateLine.objects.create(template=template, kind="expense", elements=["nature", "date"], prefix="Frais :")
    TemplateLine.objects.create(template=template, kind="units", elements=["quantity", "part"])

    run_pre_billing(period=NOV)

    assert designations()["expense"] == "Frais : Train — 10/11/2026"
    assert designations()["units"] == "12 — Bulletins de paie"
