"""A pre-invoice of 1,000 lines: median and p95 answer times, and queries, of its page and of its PDF.

Builds its own SQLite database: one client billed in detail (a line per time entry), 1,000 time entries of 20
collaborators in November, the month run. Usage: python benchmarks/pre_invoice_page.py [--lines 1000]
"""

import argparse
import os
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the test factories build the portfolio
directory = tempfile.mkdtemp(prefix="prebill-bench-pre-invoice-")
os.environ["PREBILL_DATABASE_URL"] = f"sqlite:///{Path(directory) / 'pre-invoice.sqlite3'}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prebill.config.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from page_timing import time_page  # noqa: E402
from tests import factories as f  # noqa: E402

from prebill.billing.models import PreInvoice  # noqa: E402
from prebill.billing.services import run_pre_billing  # noqa: E402
from prebill.core.periods import Period  # noqa: E402


def build(lines: int) -> PreInvoice:
    call_command("migrate", verbosity=0)
    f.organisation()
    client = f.client(conditions={"line_mode": "detailed"})
    engagement = f.engagement(client)
    f.time_part(engagement)
    workers = [f.collaborator() for _ in range(20)]
    for n in range(lines):
        f.time_entry(workers[n % 20], engagement, date(2026, 11, 1 + n % 28), f"{1 + n % 8}.25")
    run_pre_billing(period=Period(2026, 11))
    return PreInvoice.objects.get()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=1000)
    args = parser.parse_args()
    document = build(args.lines)
    print(f"pre-invoice page: #{document.pk}, {document.lines.count()} lines", flush=True)
    browser = Client(HTTP_HOST="localhost")
    browser.force_login(User.objects.create_superuser("bench", password="bench-2026"))
    for label, path in {"page": f"/billing/pre-invoices/{document.pk}/",
                        "draft PDF": f"/documents/pre-invoices/{document.pk}/pdf/"}.items():
        median, p95, queries = time_page(browser, path)
        print(f"  {label:<10} median {median:6.0f} ms   p95 {p95:6.0f} ms   {queries} queries", flush=True)


if __name__ == "__main__":
    sys.exit(main())
