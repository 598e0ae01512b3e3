"""Documents per second: invoices rendered as Factur-X PDF/A-3b (and the CII XML alone).

Builds its own small SQLite database (a demo firm of 40 clients, its month validated), then renders
every invoice one after the other. Usage: python benchmarks/documents.py
"""

import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

directory = tempfile.mkdtemp(prefix="prebill-bench-docs-")
os.environ["PREBILL_DATABASE_URL"] = f"sqlite:///{Path(directory) / 'docs.sqlite3'}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prebill.config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402

from prebill.billing.models import PreInvoice  # noqa: E402
from prebill.demo.loader import load_demo  # noqa: E402
from prebill.documents.facturx import invoice_xml  # noqa: E402
from prebill.documents.pdf import invoice_pdf  # noqa: E402
from prebill.documents.services import start_batch  # noqa: E402
from prebill.invoicing.models import Invoice  # noqa: E402
from prebill.invoicing.services import validate_pre_invoice  # noqa: E402
from prebill.organisation.models import InvoiceSeries, Organisation  # noqa: E402

TODAY = date(2026, 11, 23)


def main() -> None:
    call_command("migrate", verbosity=0)
    load_demo(clients=40, seed=1, today=TODAY)
    if not InvoiceSeries.objects.exists():
        InvoiceSeries.objects.create(organisation=Organisation.objects.get(), code="F", prefix="F{year}-", digits=6)
    for pk in PreInvoice.objects.order_by("pk").values_list("pk", flat=True):
        validate_pre_invoice(pre_invoice_id=pk, issue_date=date(2026, 11, 30))
    invoices = list(Invoice.objects.select_related("credited_invoice").order_by("pk"))
    lines = sum(invoice.lines.count() for invoice in invoices)
    invoice_pdf(invoices[0])  # warm up fonts and templates

    started = time.perf_counter()
    sizes = [len(invoice_pdf(invoice)) for invoice in invoices]
    pdf_seconds = time.perf_counter() - started
    started = time.perf_counter()
    for invoice in invoices:
        invoice_xml(invoice, lines=list(invoice.lines.all()), vat_lines=list(invoice.vat_lines.all()))
    xml_seconds = time.perf_counter() - started

    settings.PREBILL_RUNS_INLINE = True
    settings.PREBILL_FILES_DIR = Path(directory) / "files"
    started = time.perf_counter()
    batch = start_batch(invoice_ids=[invoice.pk for invoice in invoices], label="bench")
    batch_seconds = time.perf_counter() - started
    assert batch.status == "done", batch.error

    print(f"documents: {len(invoices)} invoices, {lines} lines, {sum(sizes) / len(sizes) / 1024:.0f} KiB a PDF")
    print(f"  Factur-X PDF/A-3b   {len(invoices) / pdf_seconds:6.1f} documents/s  ({pdf_seconds:.1f} s)")
    print(f"  CII XML alone       {len(invoices) / xml_seconds:6.1f} documents/s  ({xml_seconds:.2f} s)")
    print(f"  batch into one zip  {len(invoices) / batch_seconds:6.1f} documents/s  ({batch_seconds:.1f} s)")


if __name__ == "__main__":
    sys.exit(main())
