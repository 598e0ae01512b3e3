"""The invoices list with 100,000 invoices: median and p95 answer times, and queries, of its pages and filters.

Builds its own SQLite database: a demo firm of 40 clients, then 100,000 invoices written directly (bulk
inserts: validating them one by one would take an hour), a credit note for one in twenty and a payment for one
in three. Usage: python benchmarks/invoices_page.py [--invoices 100000]
"""

import argparse
import os
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

directory = tempfile.mkdtemp(prefix="prebill-bench-invoices-")
os.environ["PREBILL_DATABASE_URL"] = f"sqlite:///{Path(directory) / 'invoices.sqlite3'}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prebill.config.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402
from page_timing import time_page  # noqa: E402

from prebill.clients.models import Client as Customer  # noqa: E402
from prebill.demo.loader import load_demo  # noqa: E402
from prebill.invoicing.models import Invoice  # noqa: E402
from prebill.organisation.models import InvoiceSeries, Organisation  # noqa: E402
from prebill.payments.models import Allocation, Payment  # noqa: E402

TODAY = date(2026, 11, 23)


def build(count: int) -> None:
    call_command("migrate", verbosity=0)
    load_demo(clients=40, seed=1, today=TODAY)
    series = InvoiceSeries.objects.first() or InvoiceSeries.objects.create(
        organisation=Organisation.objects.get(), code="F", prefix="F{year}-", digits=6)
    clients = list(Customer.objects.order_by("pk"))
    now, first = timezone.now(), date(2024, 1, 1)
    common = {"series": series, "seller_name": "Cabinet", "seller_siren": "123456782", "seller_address": "Paris",
              "buyer_address": "Lyon", "currency": "EUR", "vat_regime": "standard", "payment_terms_days": 30,
              "end_of_month": False, "payment_method": "transfer", "validated_at": now}
    invoices = []
    for n in range(1, count + 1):
        day = first + timedelta(days=n * 1000 // count)
        client = clients[n % len(clients)]
        total = Decimal(100 + n % 900)
        invoices.append(Invoice(kind="invoice", sequence=n, sequence_year=0, number=f"B-{n:07d}", issue_date=day,
                                due_date=day + timedelta(days=30), state="paid" if n % 3 == 0 else "posted",
                                client=client, period=day.replace(day=1), buyer_code=client.code,
                                buyer_name=client.name, total_excluding_vat=total, total_vat=total / 5,
                                total_including_vat=total * Decimal("1.2"), **common))
    Invoice.objects.bulk_create(invoices, batch_size=2000)
    ids = dict(Invoice.objects.values_list("number", "pk"))
    notes = [Invoice(kind="credit_note", sequence=count + n, sequence_year=0, number=f"A-{n:07d}",
                     issue_date=invoice.issue_date, due_date=invoice.due_date, state="posted", client=invoice.client,
                     credited_invoice_id=ids[invoice.number], period=invoice.period, buyer_code=invoice.buyer_code,
                     buyer_name=invoice.buyer_name, total_excluding_vat=invoice.total_excluding_vat,
                     total_vat=invoice.total_vat, total_including_vat=invoice.total_including_vat, **common)
             for n, invoice in enumerate(invoices[::20], start=1)]
    Invoice.objects.bulk_create(notes, batch_size=2000)
    payments = Payment.objects.bulk_create(
        [Payment(client=invoice.client, date=invoice.due_date, method="transfer", amount=invoice.total_including_vat)
         for invoice in invoices[::3]], batch_size=2000)
    Allocation.objects.bulk_create(
        [Allocation(payment=payment, invoice_id=ids[invoice.number], amount=payment.amount)
         for payment, invoice in zip(payments, invoices[::3], strict=True)], batch_size=2000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--invoices", type=int, default=100_000)
    args = parser.parse_args()
    started = time.perf_counter()
    build(args.invoices)
    print(f"invoices list: {Invoice.objects.count()} invoices and credit notes, built in "
          f"{time.perf_counter() - started:.1f} s", flush=True)
    browser = Client(HTTP_HOST="localhost")
    browser.force_login(User.objects.create_superuser("bench", password="bench-2026"))
    pages = {"first page": "/invoices/", "page 1000": "/invoices/?page=1000",
             "a number": "/invoices/?q=B-00420", "a client": f"/invoices/?q={Customer.objects.first().code}",
             "paid": "/invoices/?state=paid", "credited": "/invoices/?state=credited",
             "a month issued": "/invoices/?from=2025-03-01&to=2025-03-31"}
    for label, path in pages.items():
        median, p95, queries = time_page(browser, path)
        print(f"  {label:<16} median {median:6.0f} ms   p95 {p95:6.0f} ms   {queries} queries", flush=True)


if __name__ == "__main__":
    sys.exit(main())
