"""One monthly run and 150 validations at the same time, on PostgreSQL (issue 13).

(a) in separate OS processes: `prebill validate <150 ids>` and `prebill run` against the test database;
(b) through the API from worker threads while a run goes in another thread.

The month was run once before, so the concurrent run re-runs it and changes no draft: every validation
must then succeed (a refusal would only be acceptable for a draft the run changed). Afterwards: no
deadlock surfaced, no 500, numbers 1..150 without gap, every item billed exactly once, each invoice line
the sum of its item shares, and a final run changes no draft.

PostgreSQL only: SQLite runs every write transaction as BEGIN IMMEDIATE, one writer at a time, so there is
no interleaving of the run's and the validations' locks to test there.
"""

import json
import logging
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from django.db.models import Count, Sum
from django.test import Client

from prebill.api.models import ApiToken
from prebill.billing.models import BillableItem, BillingRun, PreInvoice
from prebill.billing.services import run_pre_billing
from prebill.core.periods import Period
from prebill.invoicing.models import Invoice, InvoiceLine, InvoiceLineItem
from tests import factories as f

NOV = Period(2026, 11)
ISSUED = date(2026, 11, 30)
CLIENTS = 150
PREBILL = Path(sys.executable).with_name("prebill")

# Read when the module is collected (Django is set up by then; vendor needs no connection): skipped tests
# set up no database at all.
pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL only: SQLite serialises writers (BEGIN IMMEDIATE)")


@pytest.fixture
def month_run_once(unfreeze_after, firm):
    """150 clients, each with a fixed-fee installment due on the 30th; one in three also has time to bill
    under the same engagement, all its parts on one invoice: one draft per client.

    Run once: the drafts the validations see are those a re-run of the month gives again unchanged.
    """
    collaborator = f.collaborator()
    for n in range(CLIENTS):
        engagement = f.engagement(f.client(), all_parts_on_one_invoice=True)
        f.fixed_fee_part(engagement, installments=[(ISSUED, f"{100 + n}.00")])
        if n % 3 == 0:
            f.time_part(engagement)
            f.time_entry(collaborator, engagement, date(2026, 11, 3 + n % 20), f"{1 + n % 4}.5")
            f.time_entry(collaborator, engagement, date(2026, 11, 4 + n % 20), "0.25")
    first = run_pre_billing(period=NOV)
    drafts = list(PreInvoice.objects.order_by("pk").values_list("pk", "version"))
    assert first.pre_invoices == len(drafts) == CLIENTS
    return drafts


def database_url() -> str:
    s = connection.settings_dict
    credentials = quote(s["USER"] or "", safe="") + (f":{quote(s['PASSWORD'], safe='')}" if s["PASSWORD"] else "")
    return f"postgresql://{credentials}@{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}/{quote(s['NAME'], safe='')}"


def started(tmp_path: Path, name: str, *args: str) -> subprocess.Popen:
    """`prebill ARGS` on the test database; its output goes to files (a pipe could fill up and block it). The
    invoices' documents go to a queue no worker reads: rendering them is not what this test is about."""
    env = os.environ | {"PREBILL_DATABASE_URL": database_url(), "PREBILL_RUNS_INLINE": "0",
                        "PREBILL_BROKER_URL": "", "PREBILL_BROKER_FOLDER": str(tmp_path / "broker")}
    with (tmp_path / f"{name}.out").open("w") as out, (tmp_path / f"{name}.err").open("w") as err:
        return subprocess.Popen([str(PREBILL), *args], env=env, stdout=out, stderr=err)


def first_invoice_or(done) -> None:
    """Wait until a first validation has committed (or the validations are over, or 30 s went by)."""
    deadline = time.monotonic() + 30
    while not Invoice.objects.exists() and not done() and time.monotonic() < deadline:
        time.sleep(0.005)


def overlapping(run: BillingRun) -> bool:
    """Some validations were done before the run ended and some after it started: they went at the same time."""
    first = Invoice.objects.order_by("validated_at").values_list("validated_at", flat=True).first()
    last = Invoice.objects.order_by("-validated_at").values_list("validated_at", flat=True).first()
    return first < run.finished_at and last > run.started_at


def assert_billed_once_and_in_step(expected_items: int) -> None:
    assert sorted(Invoice.objects.filter(kind="invoice").values_list("sequence", flat=True)) == list(
        range(1, CLIENTS + 1))
    assert Invoice.objects.count() == CLIENTS
    assert not PreInvoice.objects.exists()
    assert not BillableItem.objects.filter(status=BillableItem.Status.PENDING).exists()
    assert BillableItem.objects.count() == expected_items
    per_item = BillableItem.objects.annotate(shares=Count("invoice_shares")).values_list("shares", flat=True)
    assert set(per_item) == {1}
    assert InvoiceLineItem.objects.count() == expected_items
    uneven = [(line.pk, line.amount, line.shared) for line in
              InvoiceLine.objects.annotate(shared=Sum("item_shares__amount")) if line.shared != line.amount]
    assert not uneven
    for invoice in Invoice.objects.annotate(lines_total=Sum("lines__amount")):
        assert invoice.lines_total == invoice.total_excluding_vat, invoice.number
    again = run_pre_billing(period=NOV)
    assert (again.drafts_created, again.drafts_changed, again.pre_invoices) == (0, 0, 0)


def test_a_run_and_150_validations_in_separate_processes(month_run_once, tmp_path):
    items = BillableItem.objects.count()

    began = time.monotonic()
    validate = started(tmp_path, "validate", "validate", *[f"{pk}@{version}" for pk, version in month_run_once],
                       "--date", f"{ISSUED}")
    first_invoice_or(lambda: validate.poll() is not None)
    run = started(tmp_path, "run", "run", "--period", f"{NOV}")  # the run starts while the validations go
    validate.wait(timeout=120)
    run.wait(timeout=120)
    elapsed = time.monotonic() - began
    validated_out, errors = (tmp_path / "validate.out").read_text(), (
        (tmp_path / "validate.err").read_text() + (tmp_path / "run.err").read_text())

    concurrent = BillingRun.objects.order_by("-pk").first()
    assert "deadlock" not in errors, errors
    assert "Traceback" not in errors, errors[-5000:]
    assert (validate.returncode, run.returncode) == (0, 0), errors
    assert validated_out.count(" -> F2026-") == CLIENTS
    assert concurrent.status == BillingRun.Status.DONE
    assert concurrent.summary["drafts_changed"] == 0 and concurrent.summary["drafts_created"] == 0
    assert overlapping(concurrent), f"the run and the validations did not overlap ({elapsed:.1f} s)"
    assert_billed_once_and_in_step(items)


def test_a_run_while_150_validations_go_through_the_api(month_run_once, user_with, caplog, settings, tmp_path):
    settings.PREBILL_RUNS_INLINE, settings.PREBILL_BROKER_URL = False, ""  # documents queued for workers
    settings.PREBILL_BROKER_FOLDER = tmp_path / "broker"
    _, key = ApiToken.issue(user=user_with("validator", username="validator"), name="concurrency")
    items = BillableItem.objects.count()
    caplog.set_level(logging.WARNING)
    run_outcome = {}

    def validate(draft: tuple[int, int]) -> tuple[int, dict]:
        pk, version = draft
        try:
            response = Client(headers={"Authorization": f"Bearer {key}"}).post(
                f"/api/pre-invoices/{pk}/validate", json.dumps({"issue_date": f"{ISSUED}", "version": version}),
                content_type="application/json")
            return response.status_code, response.json() if response.content else {}
        except Exception as error:  # the test Client re-raises what the view raised: that would be a 500
            return 500, {"detail": f"{type(error).__name__}: {error}"}
        finally:
            connection.close()  # each worker thread has its own connection

    def run() -> None:
        try:
            run_outcome["summary"] = run_pre_billing(period=NOV)
        except Exception as error:
            run_outcome["error"] = f"{type(error).__name__}: {error}"
        finally:
            connection.close()

    runner = threading.Thread(target=run)
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(validate, draft) for draft in month_run_once]
        first_invoice_or(lambda: all(future.done() for future in futures))
        runner.start()  # the run starts while the validations go
        answers = [future.result() for future in futures]
    runner.join(timeout=120)

    assert "error" not in run_outcome, run_outcome
    refused_or_failed = [(status, body) for status, body in answers if status != 201]
    assert not refused_or_failed, f"{len(refused_or_failed)} not validated, e.g. {refused_or_failed[:3]}"
    assert sorted(body["number"] for _, body in answers) == [f"F2026-{n:06d}" for n in range(1, CLIENTS + 1)]
    assert run_outcome["summary"].drafts_changed == 0 and run_outcome["summary"].drafts_created == 0
    assert overlapping(BillingRun.objects.get(pk=run_outcome["summary"].run_id))
    assert not [r.getMessage() for r in caplog.records if "deadlock" in r.getMessage()]
    assert_billed_once_and_in_step(items)
