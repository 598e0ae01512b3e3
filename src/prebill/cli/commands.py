"""Sub-commands of `prebill`: parse arguments, call one service, print its result or its errors."""

from __future__ import annotations

import argparse
import csv
import json
import signal
import subprocess
import sys
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.management import call_command
from django.utils.translation import gettext, gettext_noop

from prebill.core.periods import Period, PeriodError
from prebill.core.refusals import Refusal

EXIT_BAD_INPUT = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="prebill", description="Pre-billing for professional-services firms.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("migrate", help="create or update the database schema")
    cmd = commands.add_parser("import", help="import a portfolio JSON file (all or nothing)")
    cmd.add_argument("file", type=Path)
    cmd = commands.add_parser("import-time", help="import a timesheet, CSV or XLSX (all or nothing)")
    cmd.add_argument("file", type=Path)
    cmd = commands.add_parser("import-metrics", help="import payroll metrics, CSV or XLSX (all or nothing)")
    cmd.add_argument("file", type=Path)
    cmd = commands.add_parser("import-costs", help="import expenses, purchases or overtime, CSV or XLSX (all or nothing)")
    cmd.add_argument("kind", choices=["expenses", "purchases", "overtime"])
    cmd.add_argument("file", type=Path)
    cmd = commands.add_parser("costs", help="rebillable costs of a month: list, join a fixed fee, group")
    actions = cmd.add_subparsers(dest="action", required=True)
    sub = actions.add_parser("list", help="the month's costs (untreated only unless --all)")
    sub.add_argument("--period", required=True, help="YYYY-MM")
    sub.add_argument("--all", action="store_true", help="also the costs already on an invoice")
    sub = actions.add_parser("join", help="put a cost on a fixed-fee invoice of its engagement (no fee: its own)")
    sub.add_argument("item", type=int)
    sub.add_argument("fee", type=int, nargs="?", help="the pending fixed-fee item")
    sub = actions.add_parser("group", help="a collaborator's costs of the month on one invoice")
    sub.add_argument("--period", required=True, help="YYYY-MM")
    sub.add_argument("collaborator", help="collaborator code")
    sub.add_argument("--off", action="store_true", help="back on their own invoices")
    cmd = commands.add_parser("einvoicing", help="the firm's Plateforme Agréée: send, follow, statuses, directory")
    actions = cmd.add_subparsers(dest="action", required=True)
    actions.add_parser("send", help="send what is due to the platform now (retries too), then read its statuses")
    actions.add_parser("follow", help="read the statuses the platform returned since the last time")
    sub = actions.add_parser("status", help="the life cycle of invoices at the platform")
    sub.add_argument("numbers", nargs="+", help="invoice or credit note numbers")
    sub = actions.add_parser("again", help="queue again invoices that could not be sent")
    sub.add_argument("numbers", nargs="+")
    sub = actions.add_parser("directory", help="look a client up in the directory by its SIREN (kept on the client)")
    sub.add_argument("client", help="client code")
    sub = actions.add_parser("reports", help="e-reporting: prepare the periods ended, list the reports")
    sub.add_argument("--prepare", action="store_true", help="prepare the reports of the periods ended first")
    sub = actions.add_parser("report-again", help="prepare a rejected report again (its next version)")
    sub.add_argument("report", type=int, help="the report's id (from `prebill einvoicing reports`)")
    sub = actions.add_parser("webhook", help="ask the platform to call this URL when something changes")
    sub.add_argument("url", help="the public URL of /einvoicing/callback/")
    cmd = commands.add_parser("export", help="export the portfolio or a period's pre-invoices")
    cmd.add_argument("what", choices=["portfolio", "pre-invoices"])
    cmd.add_argument("--period", help="YYYY-MM (pre-invoices)")
    cmd.add_argument("--format", choices=["json", "csv"], default="json")
    cmd.add_argument("-o", "--output", type=Path, help="file to write (default: standard output)")
    cmd = commands.add_parser("run", help="run the pre-billing of a month")
    cmd.add_argument("--period", help="YYYY-MM (default: the current month)")
    cmd = commands.add_parser("demo", help="load a generated demo portfolio and run the current month")
    cmd.add_argument("--clients", type=int, default=200)
    cmd.add_argument("--seed", type=int, default=1)
    cmd.add_argument("--time-entries", type=int, default=None, help="number of time entries (default: ~60 a client)")
    cmd.add_argument("--address", default="127.0.0.1:8000", help="where `prebill serve` will serve it (printed)")
    cmd = commands.add_parser("validate", help="validate pre-invoices into numbered invoices")
    cmd.add_argument("pre_invoice", type=_id_at_version, nargs="*",
                     help="pre-invoice ids, each optionally ID@VERSION: refused if the draft is no longer that version")
    cmd.add_argument("--period", help="YYYY-MM: the pre-invoices of that month (with --client or --all)")
    cmd.add_argument("--client", help="client code: its pre-invoices of --period")
    cmd.add_argument("--all", action="store_true", help="every pre-invoice of --period")
    cmd.add_argument("--date", help="issue date YYYY-MM-DD (default: each pre-invoice's date, or today while that "
                                    "day has not come)")
    cmd = commands.add_parser("duplicate", help="copy a pre-invoice into a draft typed by hand (kept by runs)")
    cmd.add_argument("pre_invoice", type=int, help="pre-invoice id")
    cmd = commands.add_parser("pro-forma", help="pro forma invoices: generate, show, change a line, process")
    actions = cmd.add_subparsers(dest="action", required=True)
    sub = actions.add_parser("generate", help="put a client's hours and units on its open pro forma")
    sub.add_argument("client")
    sub.add_argument("--until", help="cost lines done up to YYYY-MM-DD (default: today)")
    sub = actions.add_parser("show", help="a pro forma's lines")
    sub.add_argument("pro_forma", type=int)
    sub = actions.add_parser("amount", help="bill another amount for a line")
    sub.add_argument("line", type=int)
    sub.add_argument("amount")
    sub = actions.add_parser("status", help="transfer a line to a later invoice, withdraw it, or bill it")
    sub.add_argument("line", type=int)
    sub.add_argument("status", choices=["open", "transferred", "withdrawn"])
    sub = actions.add_parser("process", help="the open lines become a pre-invoice")
    sub.add_argument("pro_forma", type=int)
    sub.add_argument("--date", help="invoice date YYYY-MM-DD (default: today)")
    cmd = commands.add_parser("review", help="the periodic billing wizard: start, list, decide, allocate, confirm")
    steps = cmd.add_subparsers(dest="step", required=True)
    sub = steps.add_parser("start", help="step 1: open a review of a scope")
    sub.add_argument("--from", dest="start", required=True, help="first day YYYY-MM-DD")
    sub.add_argument("--to", dest="end", required=True, help="last day YYYY-MM-DD")
    for name in ("client-from", "client-to", "engagement-from", "engagement-to", "engagement-class", "salesperson",
                 "manager", "collaborator", "collaborator-group"):
        sub.add_argument(f"--{name}", default="")
    sub.add_argument("--task-status", action="append", default=[], help="preparing, active, done, rejected "
                     "(default: active and done)")
    sub = steps.add_parser("time", help="step 2: how a time entry is billed (the entry never changes)")
    sub.add_argument("review", type=int)
    sub.add_argument("element", type=int)
    sub.add_argument("--billable", choices=["yes", "no", "undecided"])
    sub.add_argument("--hours")
    for name in ("task", "activity", "domain", "article"):
        sub.add_argument(f"--{name}")
    sub = steps.add_parser("add", help="step 2: an element entered by hand")
    sub.add_argument("review", type=int)
    for name in ("engagement", "date", "article", "designation", "quantity", "price"):
        sub.add_argument(f"--{name}", required=True)
    sub = steps.add_parser("deliver", help="step 2: bill a delivery note line")
    sub.add_argument("review", type=int)
    sub.add_argument("line", type=int)
    sub = steps.add_parser("elements", help="steps 2-3: the elements with their decision and matching order lines")
    sub.add_argument("review", type=int)
    sub = steps.add_parser("move", help="step 3: decide an element")
    sub.add_argument("review", type=int)
    sub.add_argument("element", type=int)
    sub.add_argument("to", choices=["bill_now", "accrued", "bill_later", "extra", "not_billed", "standalone"])
    sub.add_argument("--until", help="bill_later: the month to bill it in (YYYY-MM-DD)")
    sub = steps.add_parser("allocate", help="step 3: bill part of an element against an order line")
    sub.add_argument("review", type=int)
    sub.add_argument("element", type=int)
    sub.add_argument("order_line", type=int)
    sub.add_argument("quantity")
    sub = steps.add_parser("confirm", help="step 4: create the pre-invoices")
    sub.add_argument("review", type=int)
    cmd = commands.add_parser("training", help="training sessions: list, mark done, cancel, invoice by hand, "
                                               "add to a consolidated invoice")
    actions = cmd.add_subparsers(dest="action", required=True)
    sub = actions.add_parser("sessions", help="the sessions: reference, product, dates, status")
    sub.add_argument("--status", choices=["planned", "ongoing", "done", "cancelled"])
    sub = actions.add_parser("done", help="mark a session done: drafts what funders and sponsors owe")
    sub.add_argument("reference")
    sub = actions.add_parser("cancel", help="cancel a session (a done one loses its drafts)")
    sub.add_argument("reference")
    sub = actions.add_parser("invoice", help="draft what a client owes for a done session not drafted automatically")
    sub.add_argument("reference")
    sub.add_argument("--client", required=True, help="client code")
    sub = actions.add_parser("add", help="add what a funder funds in a done session to its consolidated invoice")
    sub.add_argument("reference")
    sub.add_argument("--to", dest="pre_invoice", type=int, required=True, help="pre-invoice id")
    cmd = commands.add_parser("credit", help="issue a credit note for an invoice")
    cmd.add_argument("number", help="invoice number")
    cmd.add_argument("--item", action="append", default=[], metavar="ID:QUANTITY",
                     help="credit this quantity of a billable item (default: everything left to credit)")
    cmd.add_argument("--rebill", action="store_true", help="make the credited quantities billable again")
    cmd.add_argument("--date", help="issue date YYYY-MM-DD (default: today)")
    cmd = commands.add_parser("payments", help="payments of an invoice; undo one: remove it from an invoice, cancel it")
    actions = cmd.add_subparsers(dest="action", required=True)
    sub = actions.add_parser("list", help="the payments allocated to an invoice, with their ids")
    sub.add_argument("number", help="invoice number")
    sub = actions.add_parser("cancel", help="cancel a payment recorded by mistake (its invoices owe it again)")
    sub.add_argument("payment", type=int, help="the payment's id (from `prebill payments list`)")
    sub.add_argument("--reason", required=True, help="why (kept in the audit trail)")
    sub = actions.add_parser("remove", help="take a payment off an invoice: the money goes back to the deposit")
    sub.add_argument("allocation", type=int, help="the allocation's id (from `prebill payments list`)")
    sub.add_argument("--reason", required=True, help="why (kept in the audit trail)")
    for name, what in (("post", "post invoices and credit notes to the sales journal"),
                       ("send", "e-mail invoices and credit notes to their clients, each with its PDF")):
        cmd = commands.add_parser(name, help=what)
        cmd.add_argument("number", nargs="*", help="invoice or credit note numbers")
        cmd.add_argument("--period", help="YYYY-MM: the invoices and credit notes issued that month")
        cmd.add_argument("--client", help="client code: its invoices (of --period, if given)")
    # send's own (the loop's last parser)
    cmd.add_argument("--to", default="", help="the addresses to send to (default: each client's billing e-mail)")
    cmd = commands.add_parser("pdf", help="write the PDF (Factur-X for invoices and credit notes) of documents")
    cmd.add_argument("number", nargs="+", help="invoice or credit note numbers")
    cmd.add_argument("-o", "--output", type=Path, help="directory to write into (default: current)")
    cmd = commands.add_parser("facturx", help="write the Factur-X CII XML of invoices and credit notes")
    cmd.add_argument("number", nargs="+")
    cmd.add_argument("--ubl", action="store_true", help="write the UBL 2.1 invoice instead")
    cmd.add_argument("-o", "--output", type=Path, help="directory to write into (default: current)")
    cmd = commands.add_parser("logo", help="the firm's logo on its documents (a PNG or JPEG file of at most 1 MB)")
    cmd.add_argument("file", type=Path)
    cmd = commands.add_parser("fec", help="write the FEC file of a fiscal year")
    cmd.add_argument("--year", type=int, required=True, help="fiscal year (January to December)")
    cmd.add_argument("-o", "--output", type=Path, help="directory to write into (default: current)")
    cmd = commands.add_parser("vat", help="the VAT per month and rate of a year, as posted (on receipts, on debits)")
    cmd.add_argument("--year", type=int, required=True, help="fiscal year (January to December)")
    cmd = commands.add_parser("serve", help="serve the web application (and a worker and the scheduler beside it, "
                                            "embedded mode)")
    cmd.add_argument("--address", default="127.0.0.1:8000")
    cmd.add_argument("--production", action="store_true",
                     help="serve with gunicorn under the production settings (PREBILL_PRODUCTION=1; docs/operations.md)")
    cmd.add_argument("--workers", type=int, default=None, help="gunicorn's web processes (--production; default "
                                                               "2 × cores + 1, at most 9)")
    cmd.add_argument("--no-worker", action="store_true",
                     help="start no worker and no scheduler (workers and `prebill beat` run elsewhere)")
    cmd.add_argument("--pa-simulator", type=int, nargs="?", const=8790, default=None, metavar="PORT",
                     help="start the Plateforme Agréée simulator on this port (default 8790) and send invoices to it "
                          "(the demo; flows kept in var/pa)")
    cmd = commands.add_parser("worker", help="take background jobs (runs, document batches, documents) until stopped")
    cmd.add_argument("--concurrency", type=int, default=1, help="jobs at a time in this process (default 1)")
    cmd.add_argument("--name", help="the worker's name (default celery@host)")
    cmd = commands.add_parser("beat", help="the scheduler: starts the month's automatic preparation when it is due "
                                           "(one per installation; the workers do the work)")
    cmd.add_argument("--loglevel", default="INFO", help="DEBUG, INFO, WARNING... (default INFO)")
    return parser


def dispatch(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except Refusal as refused:
        # The one place a refusal reaches the terminal: in the active language (main() takes the locale's).
        print(gettext("error: %(reason)s") % {"reason": refused.translated(gettext)}, file=sys.stderr)
        for problem in getattr(refused, "problems", ()):  # an import's located problems
            print(f"  {problem.located(gettext)}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _migrate(args) -> int:
    call_command("migrate", verbosity=0)
    print(gettext("database ready"))
    return 0


def _import(args) -> int:
    from prebill.imports.portfolio import import_portfolio, load_portfolio_file

    counts = import_portfolio(load_portfolio_file(args.file), source=str(args.file))
    _print_counts(args.file, counts)
    return 0


def _import_time(args) -> int:
    from prebill.imports.activity import import_time_csv

    _print_counts(args.file, {"time_entries": import_time_csv(args.file)})
    return 0


def _import_metrics(args) -> int:
    from prebill.imports.activity import import_metrics_csv

    _print_counts(args.file, {"unit_metrics": import_metrics_csv(args.file)})
    return 0


def _import_costs(args) -> int:
    from prebill.imports.costs import import_costs_csv

    _print_counts(args.file, {args.kind: import_costs_csv(args.kind, args.file)})
    return 0


def _costs(args) -> int:
    from prebill.billing import services
    from prebill.billing.selectors import rebillables
    from prebill.team.models import Collaborator

    if args.action == "list":
        for item in rebillables(Period.parse(args.period), untreated_only=not args.all):
            where = (gettext("pre-invoice %(id)s") % {"id": item.pre_invoice_line.pre_invoice_id} if item.pre_invoice_line
                     else item.status)
            print(f"{item.pk}\t{item.kind}\t{item.client.code}\t{item.designation}\t{_euros(item.amount)}\t{where}")
    elif args.action == "join":
        item = services.join_fixed_fee(item_id=args.item, installment_item_id=args.fee)
        print(gettext("cost %(id)s: %(grouping)s") % {"id": item.pk, "grouping": item.grouping or gettext("on its own invoice")})
    else:
        collaborator = Collaborator.objects.filter(code=args.collaborator).first()
        if collaborator is None:
            raise Refusal(gettext("no collaborator %(code)s"), code=args.collaborator)
        count = services.group_by_collaborator(period=Period.parse(args.period), collaborator_id=collaborator.pk,
                                               on=not args.off)
        print((gettext("%(count)s cost(s) of %(code)s on their own invoices") if args.off
               else gettext("%(count)s cost(s) of %(code)s on one invoice")) % {"count": count, "code": collaborator.code})
    return 0


def _einvoicing(args) -> int:
    from django.utils import timezone

    from prebill.clients.models import Client
    from prebill.einvoicing import services
    from prebill.einvoicing.models import Report, Transmission

    if args.action in ("send", "follow"):
        if services.platform() is None:
            raise Refusal(gettext("No Plateforme Agréée is configured (PREBILL_PA_URL)."))
        if args.action == "send":
            done = services.send_due(follow_after=True)
            print(gettext("%(sent)s sent, %(failed)s not sent (retried later), %(statuses)s new status(es)")
                  % {"sent": done.sent, "failed": done.failed, "statuses": done.statuses})
        else:
            print(gettext("%(count)s new status(es) from the platform.") % {"count": services.follow()})
        return 0
    if args.action == "directory":
        client = Client.objects.filter(code=args.client).first()
        if client is None:
            raise Refusal(gettext("no client %(code)s"), code=args.client)
        address = services.look_up_client(client)
        print(address or gettext("%(name)s has no platform in the directory yet.") % {"name": client.name})
        return 0
    if args.action == "reports":
        if args.prepare:
            print(gettext("%(count)s report(s) prepared") % {"count": len(services.prepare_reports())})
        for report in Report.objects.defer("content").order_by("period_first", "flow", "version"):
            print(f"{report.pk}\t{report.flow}\t{report.period_first}\t{report.period_last}\tv{report.version}"
                  f"\t{report.entries}\t{report.total_excluding_vat}\t{report.total_vat}\t{report.get_state_display()}"
                  f"\t{report.last_error}".rstrip())
        return 0
    if args.action == "report-again":
        report = Report.objects.filter(pk=args.report).first()
        if report is None:
            raise Refusal(gettext("no report %(id)s"), id=args.report)
        again = services.prepare_again(report)
        print(gettext("report %(id)s: version %(version)s") % {"id": again.pk, "version": again.version})
        return 0
    if args.action == "webhook":
        webhook = services.register_webhook(args.url)
        print(gettext("webhook %(id)s registered") % {"id": webhook.webhook_id})
        return 0
    found = {t.invoice.number: t for t in Transmission.objects.filter(invoice__number__in=args.numbers)
             .select_related("invoice").prefetch_related("events")}
    missing = [number for number in args.numbers if number not in found]
    if missing:
        raise Refusal(gettext("not sent to the platform: %(numbers)s"), numbers=", ".join(missing))
    for number in args.numbers:
        transmission = found[number]
        if args.action == "again":
            services.send_again(transmission)
            print(gettext("%(number)s will be sent again.") % {"number": number})
            continue
        print(f"{number}\t{transmission.get_state_display()}\t{transmission.status or ''} {transmission.status_label}"
              f"\t{transmission.last_error}".rstrip())
        for event in transmission.events.all():
            reasons = "; ".join(f"{r.get('code', '')} {r.get('text', '')}".strip() for r in event.reasons)
            print(f"  {timezone.localtime(event.at):%Y-%m-%d %H:%M}\t{event.code} {event.label}\t{reasons}".rstrip())
    return 0


COUNTED = {"created": gettext_noop("%(count)s created"), "updated": gettext_noop("%(count)s updated"),
           "unchanged": gettext_noop("%(count)s unchanged")}


def _print_counts(source: Path, counts: dict[str, dict[str, int]]) -> None:
    """The file's sections (the format's own names) and what the import did to their rows."""
    print(gettext("%(source)s: imported") % {"source": source})
    for section, numbers in counts.items():
        print(f"  {section}: " + ", ".join(gettext(COUNTED[what]) % {"count": n} if what in COUNTED else f"{n} {what}"
                                          for what, n in numbers.items()))


def _export(args) -> int:
    out = args.output.open("w", encoding="utf-8", newline="") if args.output else sys.stdout
    try:
        if args.what == "portfolio":
            from prebill.imports.portfolio import export_portfolio

            json.dump(export_portfolio(), out, ensure_ascii=False, indent=1)
            out.write("\n")
            return 0
        from prebill.billing.selectors import LINE_COLUMNS, pre_invoice_csv_rows, pre_invoices_of_period

        if not args.period:
            raise Refusal(gettext("--period YYYY-MM is required for pre-invoices"))
        period = Period.parse(args.period)
        if args.format == "json":
            json.dump({"period": str(period), "pre_invoices": list(pre_invoices_of_period(period))}, out,
                      ensure_ascii=False, indent=1)
            out.write("\n")
        else:
            writer = csv.DictWriter(out, fieldnames=LINE_COLUMNS)
            writer.writeheader()
            writer.writerows(pre_invoice_csv_rows(period))
        return 0
    finally:
        if args.output:
            out.close()


def _run(args) -> int:
    from prebill.billing.services import RunSummary, start_pre_billing

    period = Period.parse(args.period) if args.period else Period.of(date.today())
    run = start_pre_billing(period=period, here=True)  # a job run in this process: a kill leaves it interrupted
    if run.status != "done":
        reason = run.error if run.status == "failed" else gettext("a run of this month is going (run %(run)s)") % {
            "run": run.pk}
        print(gettext("error: %(reason)s") % {"reason": reason}, file=sys.stderr)
        return 1
    print_run_summary(RunSummary.from_json(run.summary))
    return 0


def print_run_summary(summary) -> None:
    def total(counts: dict) -> str:
        return f"{sum(counts.values())}" + (f" ({', '.join(f'{k} {v}' for k, v in sorted(counts.items()))})" if counts else "")

    print(gettext("Pre-billing of %(period)s (run %(run)s)") % {"period": summary.period, "run": summary.run_id})
    print("  " + gettext("billable items: %(new)s new, %(updated)s updated, %(unchanged)s unchanged") % {
        "new": total(summary.created), "updated": total(summary.updated),
        "unchanged": sum(summary.unchanged.values())})
    if summary.not_billed_now:
        print("  " + gettext("items not billed now: %(count)s") % {"count": total(summary.not_billed_now)})
    print("  " + gettext("pre-invoices: %(documents)s, lines: %(lines)s, items on them: %(items)s") % {
        "documents": summary.pre_invoices, "lines": summary.lines, "items": summary.items_on_pre_invoices})
    print("  " + gettext("total excl. VAT: %(excluding)s   VAT: %(vat)s   total incl. VAT: %(including)s") % {
        "excluding": _euros(summary.total_excluding_vat), "vat": _euros(summary.total_vat),
        "including": _euros(summary.total_including_vat)})
    if summary.excess_to_credit:
        print("  " + gettext("items invoiced beyond what is now owed (to credit): %(count)s")
              % {"count": summary.excess_to_credit})
    if summary.skipped:
        print("  " + gettext("skipped: %(count)s") % {"count": sum(summary.skipped.values())})
        for reason, count in sorted(summary.skipped.items(), key=lambda kv: -kv[1]):
            print(f"    {count:>8}  {reason}")


def _euros(amount: Decimal) -> str:
    return f"{amount:,.2f}".replace(",", " ")


def _demo(args) -> int:
    from prebill.demo.loader import load_demo

    today = date.today()
    summary, login = load_demo(clients=args.clients, seed=args.seed, today=today, time_entries=args.time_entries)
    print_run_summary(summary)
    print(gettext("Demo loaded. Log in at http://%(address)s/ as %(user)s / %(password)s")
          % {"address": args.address, "user": login[0], "password": login[1]})
    return 0


def _day(text: str | None) -> date:
    if not text:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise PeriodError(gettext("a date is written YYYY-MM-DD, got %(text)s"), text=repr(text)) from None


def _decimal(text: str) -> Decimal:
    """A number typed on the command line (quantity, hours, price, amount)."""
    try:
        return Decimal(text)
    except InvalidOperation:
        raise Refusal(gettext("a number is expected, got %(text)s"), text=repr(text)) from None


def _id_at_version(text: str) -> tuple[int, int | None]:
    """'12' or '12@3' (pre-invoice 12 as seen at version 3)."""
    pk, _, version = text.partition("@")
    try:
        return int(pk), int(version) if version else None
    except ValueError:
        raise argparse.ArgumentTypeError(gettext("%(text)s: a pre-invoice id, or ID@VERSION") % {"text": repr(text)}) from None


def _validate(args) -> int:
    from prebill.billing.selectors import drafts_of
    from prebill.invoicing.validations import start_validations

    if args.pre_invoice and (args.period or args.client or args.all):
        raise Refusal(gettext("give pre-invoice ids, or --period with --client or --all, not both"))
    if args.pre_invoice:
        drafts = args.pre_invoice
    elif args.period and (args.client or args.all):
        drafts = drafts_of(Period.parse(args.period), client_code=args.client or None)
        if not drafts:
            raise Refusal(gettext("no pre-invoice to validate in %(period)s%(client)s"), period=args.period,
                          client=f" ({args.client})" if args.client else "")
    else:
        raise Refusal(gettext("name the pre-invoices to validate: their ids, or --period with --client or --all"))
    job = start_validations(drafts=drafts, issue_date=_day(args.date) if args.date else None, here=True)
    _failed_job(job)
    for done in job.result["validated"]:
        print(gettext("pre-invoice %(id)s -> %(number)s (%(total)s incl. VAT)") % {
            "id": done["pre_invoice"], "number": done["number"], "total": _euros(Decimal(done["total_including_vat"]))})
    for refused in job.result["refused"]:  # the others are still validated: say which one
        print(gettext("pre-invoice %(id)s: %(reason)s") % {"id": refused["pre_invoice"], "reason": refused["reason"]},
              file=sys.stderr)
    return EXIT_BAD_INPUT if job.result["refused"] else 0


def _failed_job(job) -> None:
    if job.state != "done":
        raise Refusal(gettext("the job %(id)s did not finish (%(state)s): %(error)s"), id=job.pk, state=job.state,
                      error=job.error or "-")


def _duplicate(args) -> int:
    from prebill.billing.models import PreInvoice
    from prebill.billing.services import duplicate_pre_invoice

    if not PreInvoice.objects.filter(pk=args.pre_invoice).exists():
        raise Refusal(gettext("no pre-invoice %(id)s"), id=args.pre_invoice)
    copy = duplicate_pre_invoice(pre_invoice_id=args.pre_invoice, user=None)
    print(gettext("pre-invoice %(id)s copied as pre-invoice %(copy)s (%(total)s incl. VAT): its lines bill no item; "
                  "runs leave it alone") % {"id": args.pre_invoice, "copy": copy.pk, "total": _euros(copy.total_including_vat)})
    return 0


def _pro_forma(args) -> int:
    from prebill.clients.models import Client
    from prebill.proforma import services
    from prebill.proforma.models import ProForma

    if args.action == "generate":
        client = Client.objects.filter(code=args.client).first()
        if client is None:
            raise Refusal(gettext("no client %(code)s"), code=args.client)
        pro_forma, added = services.generate(client_id=client.pk, until=_day(args.until))
        print(gettext("pro forma %(id)s of %(client)s: %(count)s line(s) added; their time is locked")
              % {"id": pro_forma.pk, "client": client.code, "count": added})
    elif args.action == "show":
        pro_forma = ProForma.objects.filter(pk=args.pro_forma).first()
        if pro_forma is None:
            raise Refusal(gettext("no pro forma %(id)s"), id=args.pro_forma)
        print(gettext("pro forma %(id)s of %(client)s: %(state)s")
              % {"id": pro_forma.pk, "client": pro_forma.client.code, "state": pro_forma.state})
        for line in pro_forma.lines.order_by("position"):
            print(f"{line.pk}\t{line.designation}\t{line.quantity.normalize()} {line.unit}\t"
                  f"{_euros(line.proposed_amount)}\t{_euros(line.amount)}\t{line.status}")
    elif args.action == "amount":
        line = services.change_amount(line_id=args.line, amount=_decimal(args.amount))
        print(gettext("line %(id)s: %(amount)s to bill") % {"id": line.pk, "amount": _euros(line.amount)})
    elif args.action == "status":
        line = services.set_status(line_id=args.line, status=args.status)
        print(gettext("line %(id)s: %(status)s") % {"id": line.pk, "status": line.status})
    else:
        pre = services.process(pro_forma_id=args.pro_forma, on=_day(args.date))
        print(gettext("pro forma %(id)s -> pre-invoice %(pre)s (%(total)s incl. VAT)")
              % {"id": args.pro_forma, "pre": pre.pk, "total": _euros(pre.total_including_vat)})
    return 0


def _review(args) -> int:
    from prebill.review import services
    from prebill.review.models import ReviewSession
    from prebill.review.scope import DEFAULT_TASK_STATUSES, Scope

    if args.step == "start":
        scope = Scope(start=_day(args.start), end=_day(args.end), client_from=args.client_from,
                      client_to=args.client_to, engagement_from=args.engagement_from,
                      engagement_to=args.engagement_to, engagement_class=args.engagement_class,
                      salesperson=args.salesperson, manager=args.manager, collaborator=args.collaborator,
                      collaborator_group=args.collaborator_group,
                      task_statuses=frozenset(args.task_status) or DEFAULT_TASK_STATUSES)
        session = services.start(scope=scope)
        print(gettext("review %(id)s: %(count)s element(s) in scope")
              % {"id": session.pk, "count": services.elements(session).count()})
        return 0
    session = ReviewSession.objects.filter(pk=args.review).first()
    if session is None:
        raise Refusal(gettext("no review %(id)s"), id=args.review)
    if args.step == "elements":
        for item, lines, allocated in services.matches(session):
            orders = ", ".join(f"{line.pk}={line.order.number}/{line.position} ("
                               + gettext("%(quantity)s left") % {"quantity": line.remaining_quantity.normalize()} + ")"
                               for line in lines) or "-"
            print(f"{item.pk}\t{item.engagement.code}\t{item.service_date}\t{item.quantity.normalize()}\t"
                  f"{_euros(item.amount)}\t{item.decision}\t"
                  + gettext("allocated %(quantity)s") % {"quantity": allocated.normalize()} + "\t"
                  + gettext("orders: %(orders)s") % {"orders": orders})
    elif args.step == "time":
        item = services.edit_time(session_id=session.pk, item_id=args.element, billable=args.billable,
                                  hours=_decimal(args.hours) if args.hours else None, task=args.task,
                                  activity=args.activity, domain=args.domain, article=args.article)
        print(gettext("element %(id)s: %(decision)s, %(quantity)s %(unit)s, %(article)s")
              % {"id": item.pk, "decision": item.decision, "quantity": (item.adjusted_quantity or item.quantity).normalize(),
                 "unit": item.unit, "article": item.article})
    elif args.step == "add":
        item = services.add_element(session_id=session.pk, engagement_code=args.engagement, day=_day(args.date),
                                    article_code=args.article, designation=args.designation,
                                    quantity=_decimal(args.quantity), unit_price=_decimal(args.price))
        print(gettext("element %(id)s: %(designation)s %(amount)s")
              % {"id": item.pk, "designation": item.designation, "amount": _euros(item.amount)})
    elif args.step == "deliver":
        item = services.bill_delivery_note_line(session_id=session.pk, line_id=args.line)
        print(gettext("element %(id)s: %(designation)s %(amount)s")
              % {"id": item.pk, "designation": item.designation, "amount": _euros(item.amount)})
    elif args.step == "move":
        services.move(session_id=session.pk, item_id=args.element, to=args.to,
                      postpone_to=_day(args.until) if args.until else None)
        print(gettext("element %(id)s: %(decision)s") % {"id": args.element, "decision": args.to})
    elif args.step == "allocate":
        allocation = services.allocate(session_id=session.pk, item_id=args.element,
                                       order_line_id=args.order_line, quantity=_decimal(args.quantity))
        print(gettext("element %(id)s: %(quantity)s on order line %(line)s (%(amount)s); %(left)s left")
              % {"id": args.element, "quantity": allocation.quantity.normalize(), "line": args.order_line,
                 "amount": _euros(allocation.amount), "left": allocation.line.remaining_quantity.normalize()})
    else:
        for pre in services.confirm(session_id=session.pk):
            print(gettext("pre-invoice %(id)s: %(client)s %(total)s incl. VAT")
                  % {"id": pre.pk, "client": pre.client.code, "total": _euros(pre.total_including_vat)})
    return 0


def _training(args) -> int:
    from prebill.billing.models import PreInvoice
    from prebill.clients.models import Client
    from prebill.training import services
    from prebill.training.models import TrainingSession
    from prebill.training.selectors import billing_follow_up

    if args.action == "sessions":
        sessions = TrainingSession.objects.select_related("product").order_by("start", "reference")
        for session in sessions.filter(status=args.status) if args.status else sessions:
            print(f"{session.reference}\t{session.product.reference}\t"
                  + gettext("%(start)s to %(end)s") % {"start": session.start, "end": session.end}
                  + f"\t{session.status}")
        return 0
    session = TrainingSession.objects.filter(reference=args.reference).first()
    if session is None:
        raise Refusal(gettext("no training session %(reference)s"), reference=args.reference)
    if args.action == "done":
        if session.status == TrainingSession.Status.DONE:
            print(gettext("session %(reference)s is already done: nothing drafted again") % {"reference": session.reference})
            return 0
        count = services.mark_done(session_id=session.pk)
        done = (gettext("session %(reference)s done: %(count)s charge(s) drafted") if services.drafts_on_done()
                else gettext("session %(reference)s done: %(count)s charge(s) to bill, drafted by the month's next run"))
        print(done % {"reference": session.reference, "count": count})
        if not count:  # no learner, or every payer's option is "no automatic invoicing"
            print("  " + gettext("invoice it by hand: %(command)s")
                  % {"command": f"prebill training invoice {session.reference} --client CODE"})
        for pre in billing_follow_up(session)[0]:
            print(gettext("pre-invoice %(id)s: %(client)s %(total)s incl. VAT")
                  % {"id": pre.pk, "client": pre.client.code, "total": _euros(pre.total_including_vat)})
    elif args.action == "cancel":
        services.cancel(session_id=session.pk)
        print((gettext("session %(reference)s cancelled: its drafts are removed") if session.status == "done"
               else gettext("session %(reference)s cancelled")) % {"reference": session.reference})
    elif args.action == "invoice":
        client = Client.objects.filter(code=args.client).first()
        if client is None:
            raise Refusal(gettext("no client %(code)s"), code=args.client)
        pre = services.invoice_by_hand(session_id=session.pk, client_id=client.pk)
        print(gettext("session %(reference)s -> pre-invoice %(id)s: %(client)s %(total)s incl. VAT")
              % {"reference": session.reference, "id": pre.pk, "client": client.code,
                 "total": _euros(pre.total_including_vat)})
    else:
        if not PreInvoice.objects.filter(pk=args.pre_invoice).exists():
            raise Refusal(gettext("no pre-invoice %(id)s"), id=args.pre_invoice)
        # The client's drafts of the month are rebuilt: the consolidated invoice comes back under a new id.
        pre = services.add_session(pre_invoice_id=args.pre_invoice, session_id=session.pk)
        print(gettext("session %(reference)s added: pre-invoice %(old)s is now pre-invoice %(id)s "
                      "(%(client)s %(total)s incl. VAT)")
              % {"reference": session.reference, "old": args.pre_invoice, "id": pre.pk, "client": pre.client.code,
                 "total": _euros(pre.total_including_vat)})
    return 0


def _item_quantity(spec: str) -> tuple[int, Decimal]:
    """--item ID:QUANTITY"""
    item, _, quantity = spec.partition(":")
    if not (item.isascii() and item.isdigit()):
        raise Refusal(gettext("--item is ID:QUANTITY, got %(text)s"), text=repr(spec))
    return int(item), _decimal(quantity)


def _credit(args) -> int:
    from prebill.invoicing.models import Invoice
    from prebill.invoicing.services import issue_credit_note

    invoice = Invoice.objects.filter(number=args.number).first()
    if invoice is None:
        raise Refusal(gettext("no invoice %(number)s"), number=args.number)
    quantities = dict(_item_quantity(spec) for spec in args.item) or None
    note = issue_credit_note(invoice_id=invoice.pk, quantities=quantities, rebill=args.rebill,
                             issue_date=_day(args.date))
    print(gettext("%(note)s credits %(number)s: %(total)s incl. VAT")
          % {"note": note.number, "number": invoice.number, "total": _euros(note.total_including_vat)})
    return 0


def _payments(args) -> int:
    from prebill.invoicing.models import Invoice
    from prebill.payments import services
    from prebill.payments.models import Allocation, Payment

    if args.action == "list":
        invoice = Invoice.objects.filter(number=args.number).first()
        if invoice is None:
            raise Refusal(gettext("no invoice %(number)s"), number=args.number)
        for a in Allocation.objects.filter(invoice=invoice).select_related("payment").order_by("pk"):
            print(gettext("allocation %(allocation)s: %(amount)s of payment %(payment)s of %(date)s %(reference)s")
                  % {"allocation": a.pk, "amount": _euros(a.amount), "payment": a.payment_id,
                     "date": a.payment.date.isoformat(), "reference": a.payment.reference})
        print(gettext("due: %(due)s") % {"due": _euros(services.amounts_due([invoice.pk])[invoice.pk])})
        return 0
    if args.action == "cancel":
        payment = Payment.all_objects.filter(pk=args.payment).first()
        if payment is None:
            raise Refusal(gettext("no payment %(id)s"), id=args.payment)
        removed = list(payment.allocations.select_related("invoice").order_by("pk"))
        services.cancel_payment(payment=payment, reason=args.reason)
        print(gettext("payment %(id)s cancelled; its bank entry is reversed") % {"id": payment.pk})
        for a in removed:
            print("  " + gettext("%(number)s owes %(amount)s again") % {"number": a.invoice.number,
                                                                          "amount": _euros(a.amount)})
        return 0
    allocation = Allocation.all_objects.select_related("invoice").filter(pk=args.allocation).first()
    if allocation is None:
        raise Refusal(gettext("no allocation %(id)s"), id=args.allocation)
    services.remove_allocation(allocation=allocation, reason=args.reason)
    print(gettext("%(amount)s removed from %(number)s: back on the deposit of payment %(payment)s (%(left)s left)")
          % {"amount": _euros(allocation.amount), "number": allocation.invoice.number,
             "payment": allocation.payment_id, "left": _euros(services.deposit_left(allocation.payment))})
    return 0


def _chosen_invoices(args) -> tuple[list[int], list[str]]:
    """The invoices named, then those of --period and --client (in number order), and the numbers naming none."""
    from prebill.accounting.services import invoices_named
    from prebill.core.periods import Period
    from prebill.documents.services import invoices_of

    ids, missing = invoices_named(args.number)
    for number in missing:
        print(gettext("%(number)s: %(reason)s") % {"number": number, "reason": gettext("no such invoice")},
              file=sys.stderr)
    if args.period or args.client:
        named = set(ids)
        ids += [pk for pk in invoices_of(period=Period.parse(args.period) if args.period else None,
                                         client=args.client or "") if pk not in named]
    if not ids and not missing:
        raise Refusal(gettext("no invoice chosen: name invoices, or give --period or --client"))
    return ids, missing


def _post(args) -> int:
    from prebill.accounting.services import start_posting

    ids, missing = _chosen_invoices(args)
    job = start_posting(invoice_ids=ids, here=True)
    _failed_job(job)
    for done in job.result["posted"]:
        print(gettext("%(number)s posted as %(entry)s") % done)
    for refused in job.result["refused"]:  # the others are still posted: say which one
        print(gettext("%(number)s: %(reason)s") % refused, file=sys.stderr)
    return EXIT_BAD_INPUT if missing or job.result["refused"] else 0


def _send(args) -> int:
    from prebill.sending.services import start_sending

    ids, missing = _chosen_invoices(args)
    if not ids:
        return EXIT_BAD_INPUT
    job = start_sending(invoice_ids=ids, to=args.to, here=True)
    _failed_job(job)
    for sent in job.result["sent"]:
        print(gettext("%(number)s sent to %(detail)s") % sent)
    for refused in job.result["refused"]:  # the others are still sent: say which one
        print(gettext("%(number)s: %(reason)s") % {"number": refused.get("number", refused.get("invoice")),
                                                   "reason": refused["reason"]}, file=sys.stderr)
    return EXIT_BAD_INPUT if missing or job.result["refused"] else 0


def _documents(args) -> int:
    from prebill.documents.issued import filename, issued_document
    from prebill.invoicing.models import Invoice

    directory = args.output or Path.cwd()
    directory.mkdir(parents=True, exist_ok=True)
    failures = 0
    for number in args.number:
        invoice = Invoice.objects.select_related("credited_invoice").filter(number=number).first()
        if invoice is None:
            print(gettext("error: %(reason)s") % {"reason": gettext("no invoice %(number)s") % {"number": number}},
                  file=sys.stderr)
            failures += 1
            continue
        kind = "pdf" if args.command == "pdf" else "ubl" if args.ubl else "cii"  # the issued bytes, kept once
        path, content = directory / filename(invoice, kind), issued_document(invoice, kind)
        path.write_bytes(content)
        print(gettext("%(path)s (%(size)s bytes)") % {"path": path, "size": len(content)})
    return EXIT_BAD_INPUT if failures else 0


def _logo(args) -> int:
    from prebill.attachments.services import sniff
    from prebill.organisation.models import Organisation

    data = args.file.read_bytes() if args.file.is_file() else b""
    kind = sniff(data[:16])
    if not data or len(data) > 1024 * 1024 or kind is None or kind[0] == "application/pdf":
        raise Refusal(gettext("%(file)s: a PNG or JPEG file of at most 1 MB is expected"), file=args.file)
    if not Organisation.objects.update(logo=data):
        raise Refusal(gettext("The firm's identity (organisation) is not set."))
    print(gettext("logo set (%(type)s, %(size)s bytes)") % {"type": kind[0], "size": len(data)})
    return 0


def _fec(args) -> int:
    from prebill.accounting.services import fec_file

    name, content = fec_file(opening_date=date(args.year, 1, 1), closing_date=date(args.year, 12, 31))
    target = (args.output or Path.cwd()) / name
    target.write_bytes(content)
    lines = content.count(b"\r\n") - 1  # without the header
    print(gettext("%(path)s: %(count)s lines") % {"path": target, "count": lines})
    return 0


def _vat(args) -> int:
    from prebill.accounting.services import vat_summary

    print("\t".join([gettext("Month"), gettext("Rate"), gettext("VAT invoiced"), gettext("Due on debits"),
                     gettext("Collected on receipts"), gettext("VAT due"), gettext("Still pending")]))
    for row in vat_summary(opening_date=date(args.year, 1, 1), closing_date=date(args.year, 12, 31)):
        print("\t".join([f"{row.month:%m/%Y}", f"{row.rate.normalize():f} %", *(_euros(amount) for amount in (
            row.invoiced, row.due_on_debits, row.collected_on_receipts, row.due, row.pending))]))
    return 0


def _serve(args) -> int:
    from django.conf import settings

    helpers = []
    # SIGTERM (a service manager, or the whole process group) ends the server as Ctrl-C does, so that the
    # helpers are stopped and waited for below rather than left running.
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    if args.pa_simulator:
        helpers.append(_start_pa_simulator(args.pa_simulator, args.address))
    if not args.no_worker:  # the embedded mode: one worker process beside the web server, stopped with it
        helpers.append(subprocess.Popen([sys.executable, "-m", "prebill.cli.main", "worker"]))
        # With no broker server this machine is the installation: its scheduler runs here too, as a process of
        # its own (`prebill beat`). With a broker, servers may be many and the scheduler one: started apart.
        if not settings.PREBILL_BROKER_URL:
            helpers.append(subprocess.Popen([sys.executable, "-m", "prebill.cli.main", "beat"]))
    try:
        if args.production:
            from prebill.web.serving import default_workers, start_production_server

            server = start_production_server(args.address, args.workers or default_workers())
            helpers.append(server)
            server.wait()
        else:
            call_command("runserver", args.address, "--noreload", "--insecure")
    finally:
        signal.signal(signal.SIGTERM, previous)
        for helper in helpers:
            helper.terminate()
        for helper in helpers:
            helper.wait(timeout=30)
    return 0


def _start_pa_simulator(port: int, address: str) -> subprocess.Popen:
    """The PA simulator in a process of its own, and this installation configured to use it (the worker and the
    scheduler started next inherit the settings); its webhook calls this server back when a status comes."""
    import os
    import secrets
    import threading
    import time

    from django.conf import settings

    secret = secrets.token_urlsafe(24)
    folder = Path(settings.VAR_DIR) / "pa"
    simulator = subprocess.Popen([sys.executable, "-m", "prebill.einvoicing.simulator", "--port", str(port),
                                  "--client-id", "prebill-demo", "--client-secret", secret, "--folder", str(folder)])
    values = {"PREBILL_PA_URL": f"http://127.0.0.1:{port}", "PREBILL_PA_CLIENT_ID": "prebill-demo",
              "PREBILL_PA_CLIENT_SECRET": secret}
    os.environ.update(values)
    for name, value in values.items():
        setattr(settings, name, value)

    def register() -> None:  # once both answer; without it the scheduler's pass reads the statuses every minute
        from prebill.einvoicing import services
        from prebill.einvoicing.platform import PlatformError

        for _ in range(30):
            time.sleep(1)
            try:
                services.register_webhook(f"http://{address}/einvoicing/callback/")
                break
            except PlatformError:
                continue
        services.send_due(follow_after=True)  # what the demo validated before the platform was there
    threading.Thread(target=register, daemon=True).start()
    print(gettext("PA simulator on http://127.0.0.1:%(port)s (flows in %(folder)s)") % {"port": port, "folder": folder})
    return simulator


def _worker(args) -> int:
    from prebill.jobs.worker import run_worker

    run_worker(concurrency=max(1, args.concurrency), name=args.name)
    return 0


def _beat(args) -> int:
    from prebill.jobs.queue import run_beat

    run_beat(loglevel=args.loglevel)
    return 0


COMMANDS = {
    "migrate": _migrate, "import": _import, "import-time": _import_time, "import-metrics": _import_metrics,
    "import-costs": _import_costs, "pdf": _documents, "facturx": _documents, "logo": _logo, "costs": _costs,
    "export": _export, "run": _run, "demo": _demo, "serve": _serve, "worker": _worker, "validate": _validate,
    "credit": _credit, "beat": _beat, "einvoicing": _einvoicing,
    "post": _post, "send": _send, "payments": _payments, "fec": _fec, "vat": _vat, "duplicate": _duplicate,
    "pro-forma": _pro_forma, "review": _review, "training": _training,
}
