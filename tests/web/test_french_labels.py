"""French everywhere: every page of the French interface, walked with a small demo firm's month, reads French.

Each URL of prebill.config.urls is fetched (its arguments filled with an object of the right kind) and the text a
user sees is searched for English: words that never occur in French UI text, snake_case codes (a raw choice
value: "direct_debit", "bill_now") and raw dictionaries ("{'state': ...}" in a history).
"""

import re
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import User
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.views.defaults import server_error

from prebill.accounting.services import post_invoice, start_posting
from prebill.billing.models import BillingRun, PreInvoice, PreInvoiceLine
from prebill.clients.models import Client as Customer
from prebill.demo.loader import load_demo
from prebill.documents.models import DocumentBatch
from prebill.engagements.models import Engagement
from prebill.invoicing.models import Invoice
from prebill.invoicing.services import issue_credit_note, validate_pre_invoice
from prebill.invoicing.validations import start_validations
from prebill.jobs.models import Job
from prebill.payments.models import Allocation, Payment
from prebill.payments.services import pay_invoice
from prebill.proforma.models import ProForma
from prebill.proforma.services import ProFormaRefused
from prebill.proforma.services import generate as generate_pro_forma
from prebill.review import services as review
from prebill.review.models import ReviewSession
from prebill.review.scope import Scope
from prebill.sending.services import start_sending
from prebill.training.models import TrainingProduct, TrainingSession

TODAY = date(2026, 11, 23)
PERIOD = "2026-11"

# URLs not walked, and why. A GET answered 405 must be listed here (and one listed here must be refused a GET).
POST_ONLY = {
    "logout", "billing:start_run", "billing:resume_run", "billing:replace_designation",
    "billing:move_line", "billing:reorder_lines", "billing:decide",
    "billing:decide_selection",
    "billing:bill_again", "billing:change_quantity", "billing:duplicate", "billing:delete_copy", "billing:change_copy_line",
    "billing:remove_copy_line", "billing:group_costs", "billing:join_fixed_fee", "client_billing:add_conditions",
    "engagement_billing:set_rate", "engagement_billing:remove_rate", "engagement_billing:change_installment",
    "engagement_billing:add_conditions", "invoicing:validate", "invoicing:validate_selection", "invoicing:credit",
    "payments:deposit", "payments:reserve", "payments:release", "payments:pay_invoice", "payments:use_deposit",
    "proforma:generate", "proforma:process",
    "proforma:change_amount", "proforma:set_status", "review:start", "review:edit_time", "review:add_element",
    "review:bill_delivery", "review:move", "review:allocate", "review:confirm", "review:cancel",
    "order_entry:enter", "documents:start_batch", "documents:resume_batch", "training:done", "training:cancel",
    "training:attach_document", "training:invoice_by_hand_draft", "training:add_session", "costs:declare_expense",
    "costs:record_purchase", "costs:declare_overtime", "costs:enter_units", "costs:sign_report",
    "accounting:post_invoice", "accounting:post_selection", "einvoicing:send_again", "einvoicing:follow",
    "einvoicing:look_up", "einvoicing:report_again", "sending:send_invoice", "sending:send_selection",
    "sending:retry_sendings", "sending:retry_email", "organisation:delete_wording",
}
SKIPPED = {
    **{name: "POST only: an act, answered by a redirect or a fragment of a page walked here" for name in POST_ONLY},
    "set_language": "Django's language switch: a GET only redirects back",
    "einvoicing:callback": "the platform's notifications (machine to machine, JSON)",
    "imports:template": "a download: an import file's template (CSV/JSON)",
    "attachments:download": "a download: an attached file",
    "documents:invoice_pdf": "a download: the PDF", "documents:invoice_xml": "a download: the CII XML",
    "documents:invoice_ubl": "a download: the UBL XML", "documents:pre_invoice_pdf": "a download: the PDF",
    "documents:batch_zip": "a download: the zip of a batch",
    "accounting:fec": "a download: the FEC file", "accounting:journal": "a download: the journal as CSV",
}
# /api/ (JSON, documented in English for integrators) and /admin/ (Django's admin) are out of scope.
OUT_OF_SCOPE = ("api/", "admin/")


def _first(model, **filters):
    found = model.objects.filter(**filters).order_by("pk").first()
    assert found is not None, f"the walk needs a {model.__name__} {filters or ''}"
    return found


def _job(kind: str) -> dict:
    return {"pk": _first(Job, kind=kind).pk}


# How each argument is found: URL name -> its kwargs.
ARGUMENTS = {
    "billing:pre_billing": lambda: {"period": PERIOD},
    "billing:run_status": lambda: {"pk": _first(BillingRun).pk},
    "billing:pre_invoice": lambda: {"pk": _first(PreInvoice).pk},
    "billing:line_sources": lambda: {"pk": _first(PreInvoiceLine).pk},
    "billing:line_decisions": lambda: {"pk": _first(PreInvoiceLine).pk},
    "client_billing:edit": lambda: {"code": _first(Customer).code},
    "client_billing:new_engagement": lambda: {"client_code": _first(Customer).code},
    "clients:detail": lambda: {"code": _first(Customer).code},
    "engagement_billing:edit": lambda: {"code": _first(Engagement).code},
    "engagements:detail": lambda: {"code": _first(Engagement).code},
    "invoicing:validations": lambda: _job("validate_drafts"),
    "invoicing:detail": lambda: {"pk": _first(Invoice, kind=Invoice.Kind.INVOICE).pk},
    "invoicing:by_number": lambda: {"number": _first(Invoice, kind=Invoice.Kind.INVOICE).number},
    "proforma:detail": lambda: {"pk": _first(ProForma).pk},
    "review:resume": lambda: {"pk": _first(ReviewSession).pk},
    "review:step": lambda: {"pk": _first(ReviewSession).pk, "step": 2},
    "documents:batch": lambda: {"pk": _first(DocumentBatch).pk},
    "training:detail": lambda: {"pk": _first(TrainingSession).pk},
    "training:edit": lambda: {"pk": _first(TrainingSession).pk},
    "training:product_edit": lambda: {"pk": _first(TrainingProduct).pk},
    "accounting:postings": lambda: _job("post_invoices"),
    "payments:remove_allocation": lambda: {"pk": _first(Allocation).pk},
    "payments:cancel_payment": lambda: {"pk": _first(Payment).pk},
    "sending:sendings": lambda: _job("send_invoices"),
}
# More pages of one URL: the other steps of a review, invoices in each state and a credit note, the latest drafts,
# the page of a client with invoices.
MORE_PAGES = {
    "review:step": lambda: [{"pk": _first(ReviewSession).pk, "step": step} for step in (3, 4)],
    "invoicing:detail": lambda: [{"pk": invoice.pk} for invoice in Invoice.objects.order_by("pk")[:8]],
    "billing:pre_invoice": lambda: [{"pk": draft.pk} for draft in PreInvoice.objects.order_by("-pk")[:6]],
    "clients:detail": lambda: [{"code": Invoice.objects.order_by("pk").first().client.code}],
}


def _url_names(patterns=None, prefix: str = "", namespace: str = ""):
    """(name, route) of every URL pattern, namespaces included, outside /api/ and /admin/."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if route.startswith(OUT_OF_SCOPE):
            continue
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}:{pattern.namespace}" if namespace and pattern.namespace else \
                pattern.namespace or namespace
            yield from _url_names(pattern.url_patterns, route, inner)
        elif isinstance(pattern, URLPattern):  # an unnamed one cannot be walked: named so, it fails the walk
            name = pattern.name or f"(unnamed) {route}"
            yield (f"{namespace}:{name}" if namespace else name), route


# Words that never occur in the French interface's text: state and choice values, and everyday English.
ENGLISH = {
    # choice values and states
    "validated", "posted", "paid", "unpaid", "transfer", "cheque", "card", "cash", "hour", "hours", "day", "days",
    "month", "week", "unit", "units", "pending", "done", "failed", "running", "queued", "waiting", "interrupted",
    "draft", "drafts", "sent", "received", "rejected", "accepted", "cancelled", "canceled", "confirmed", "open",
    "closed", "ongoing", "planned", "billable", "billed", "invoiced", "accrued", "standalone", "extra", "none",
    "None", "True", "False", "null", "fixed", "amount", "percent", "quantity", "credited", "deposit", "payment",
    "payments", "invoice", "invoices", "Invoice", "Invoices", "client's", "overdue", "status",
    "Status", "state", "State", "error", "Error", "warning", "success", "info", "exempt", "standard", "reduced",
    "domestic", "reverse", "charge",
    # everyday English
    "the", "The", "and", "of", "with", "from", "to", "is", "are", "for", "this", "This", "that", "your", "Your",
    "was", "were", "has", "have", "be", "not", "by", "all", "All", "new", "New", "no", "yes", "Yes", "or",
    "Search", "Save", "Cancel", "Delete", "Next", "Previous", "Back", "Edit", "Add", "Remove", "Close", "Show",
    "Hide", "Download", "Send", "Submit", "Loading", "Settings", "Dashboard", "Period", "Month", "Year", "Total",
    "Name", "Date", "Amount", "Client", "Clients", "Reference", "Number", "Due", "Paid", "Log", "Login",
    "Page", "Filter", "Apply", "Reset", "Confirm", "Run", "Start", "Stop", "Resume", "Retry",
}
# "Date", "Total", "Client", "Clients", "Page" and "Reference"... are French too: not English words to look for.
ENGLISH -= {"Date", "Total", "Client", "Clients", "Page", "Reference", "standard", "extra", "info", "Stop", "charge",
            "Log"}
WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")  # accented letters too: "unités" is no "unit"
SNAKE = re.compile(r"\b[a-z]+_[a-z_]+\b")
RAW_DICT = re.compile(r"\{'")
# Data the walk may show as they are: e-mail addresses, URLs, file names and paths.
DATA = re.compile(r"\S+@\S+|https?://\S+|\S+\.(?:pdf|xml|csv|json|zip|txt)\b|/[\w/.-]+")
SHOWN_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")
# What a user types, not what the page says: <code> shows column names and values of the import files.
TYPED = ("code", "kbd", "samp")
# English a page rightly shows, by page: the imports accept "yes"/"no" in the files, and the page says so.
ALLOWED = {"/imports/": {"yes", "no"}}


class _Text(HTMLParser):
    """The text a user sees: the page's text outside scripts and styles, and its labelling attributes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template", *TYPED):
            self.hidden += 1
        attributes = dict(attrs)
        self.parts += [attributes[name] for name in SHOWN_ATTRIBUTES if attributes.get(name)]
        if tag == "input" and attributes.get("type") in ("submit", "button") and attributes.get("value"):
            self.parts.append(attributes["value"])

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template", *TYPED) and self.hidden:
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    return parser.parts


def english_in(html: str, allowed: frozenset = frozenset()) -> list[str]:
    """The English a page shows: words of the list, snake_case codes, raw dictionaries."""
    found, english = [], ENGLISH - allowed
    for part in visible_text(html):
        if RAW_DICT.search(part):
            found.append(part[:120])
            continue
        text = DATA.sub(" ", part)
        found += [f"{token} (in “{part[:80]}”)" for token in SNAKE.findall(text)]
        found += [f"{word} (in “{part[:80]}”)" for word in WORD.findall(text) if word in english]
    return found


def test_the_detector_catches_english_and_lets_french_and_data_pass():
    page = ("<html><head><title>Factures</title><style>.a{color:red}</style><script>var x_y = 1;</script></head>"
            "<body><h1>Facture F2026-000001</h1><p>État : validée → comptabilisée</p>"
            "<a href='https://example.com/a_b'>jean_dupont@example.com</a>"
            "<input placeholder='Rechercher'><span title='Client du cabinet'>Total</span>"
            "<td><code>amount_excluding_vat</code></td></body></html>")
    assert english_in(page) == []
    leaks = ("<body><td>validated</td><td>direct_debit</td><button aria-label='Search'>🔍</button>"
             "<select><option>hour</option></select><li>{'state': 'validated', 'due': '88.80'}</li></body>")
    found = english_in(leaks)
    assert [leak.split(" ")[0] for leak in found] == ["validated", "direct_debit", "Search", "hour",
                                                     "{'state':"], found


@pytest.fixture
def month(db, mailoutbox):
    """A small demo firm's month with activity: validated, posted, paid, credited invoices, a review, jobs."""
    load_demo(clients=8, seed=3, today=TODAY)
    for customer in Customer.objects.order_by("-code"):  # a pro forma: the last client with hours to put on one
        try:
            generate_pro_forma(client_id=customer.pk, until=TODAY)
            break
        except ProFormaRefused:
            continue
    drafts = list(PreInvoice.objects.order_by("pk").values_list("pk", flat=True))
    invoices = [validate_pre_invoice(pre_invoice_id=pk, issue_date=TODAY) for pk in drafts[:4]]
    post_invoice(invoice_id=invoices[0].pk)
    pay_invoice(invoice=invoices[0], day=TODAY, method="transfer", amount=Decimal("10.00"), reference="VIR-1")
    pay_invoice(invoice=invoices[1], day=TODAY, method="direct_debit", amount=invoices[1].total_including_vat)
    issue_credit_note(invoice_id=invoices[2].pk, rebill=False, issue_date=TODAY)
    start_validations(drafts=[(pk, None) for pk in drafts[4:6]], issue_date=TODAY, here=True)
    start_posting(invoice_ids=[invoices[1].pk], here=True)
    start_sending(invoice_ids=[invoices[3].pk], here=True)
    from prebill.documents.services import start_batch

    start_batch(invoice_ids=[invoices[0].pk], label="Novembre")
    review.start(scope=Scope(start=date(2026, 11, 1), end=date(2026, 11, 30)))
    user = User.objects.create_superuser("admin-fr", "admin@example.com", "pw-test-1")
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    client.force_login(user)
    return client


def _pages() -> list[tuple[str, str]]:
    pages, unknown = [], []
    for name, route in _url_names():
        if name in SKIPPED:
            continue
        if "<" not in route and "(unnamed)" not in name:
            pages.append((name, reverse(name)))
            continue
        if name not in ARGUMENTS:
            unknown.append(f"{name} ({route})")
            continue
        for kwargs in [ARGUMENTS[name](), *MORE_PAGES.get(name, lambda: [])()]:
            pages.append((name, reverse(name, kwargs=kwargs)))
    assert not unknown, "say how to find the arguments of these URLs, or why they are skipped: " + ", ".join(unknown)
    return pages


def test_every_page_reads_french(month):
    client, leaks, problems = month, [], []
    names = {name for name, _ in _url_names()}
    assert not set(SKIPPED) - names, set(SKIPPED) - names  # no stale entry
    pages = _pages()
    assert len(pages) > 60, len(pages)  # the walk sees the whole application (64 pages in December 2026)
    for name, url in pages:
        response = client.get(url, follow=True)
        if response.status_code != 200:
            problems.append(f"{url} ({name}): {response.status_code}")
            continue
        if "html" not in response.get("Content-Type", ""):
            continue
        allowed = frozenset(ALLOWED.get(url, ()))
        leaks += [f"{url}: {leak}" for leak in english_in(response.content.decode(), allowed)]
    # The error pages: not found, refused (a user without the role), the server's error (rendered as Django does).
    nobody = Client(HTTP_ACCEPT_LANGUAGE="fr")
    nobody.force_login(User.objects.create_user("sans-role", password="pw-test-1"))
    errors = [("/invoices/999999/", client.get("/invoices/999999/"), 404),
              ("/no-such-page/", client.get("/no-such-page/"), 404),
              ("/audit/", nobody.get("/audit/"), 403),
              ("500", server_error(RequestFactory().get("/", HTTP_ACCEPT_LANGUAGE="fr")), 500)]
    for url, response, status in errors:
        assert response.status_code == status, url
        page = response.content.decode()
        assert 'data-test="error-page"' in page and 'lang="fr"' in page, url  # in the layout, in French
        leaks += [f"{url} ({status}): {leak}" for leak in english_in(page)]
    assert not problems, "\n".join(problems)
    leaks = list(dict.fromkeys(leaks))  # once each
    assert not leaks, f"{len(leaks)} English labels on French pages:\n" + "\n".join(leaks)


def test_post_only_urls_refuse_a_get(db):
    """What is skipped as POST only really is: a GET is refused (405), so no page hides behind the list."""
    client, served = Client(HTTP_ACCEPT_LANGUAGE="fr"), []
    client.force_login(User.objects.create_superuser("admin-fr", "admin@example.com", "pw-test-1"))
    for name, route in _url_names():
        if name not in POST_ONLY:
            continue
        kwargs = {key: ("2026-11" if key in ("period", "month") else "x" if key in ("code", "status") else 1)
                  for key in re.findall(r"<(?:\w+:)?(\w+)>", route)}
        response = client.get(reverse(name, kwargs=kwargs))
        if response.status_code != 405:
            served.append(f"{name}: {response.status_code}")
    assert not served, served


def test_the_history_says_each_event_as_a_french_sentence():
    from django.utils import translation

    from prebill.audit.models import AuditEvent
    from prebill.audit.sentences import sentence

    paid = AuditEvent(action="allocate", object_type="invoicing.invoice", object_id="1",
                      before={"state": "posted", "due": "88.80"},
                      after={"state": "partly_paid", "due": "8.80", "payment": 3})
    credit = AuditEvent(action="credit", before={"invoice": "F2026-000003"},
                        after={"number": "F2026-000005", "items": {"7": "3.0000"}, "rebill": False})
    with translation.override("fr"):
        assert sentence(paid) == ("règlement affecté — état : comptabilisée → partiellement payée ; "
                                  "reste dû : 88,80\u00a0€ → 8,80\u00a0€ ; règlement : 3")
        assert sentence(credit) == ("avoir émis — facture : F2026-000003 ; numéro : F2026-000005 ; "
                                    "éléments : n° 7 × 3 ; à refacturer : non")
    with translation.override("en"):
        assert sentence(paid) == ("payment allocated — state: posted → partly paid ; "
                                  "amount due: 88.80\u00a0€ → 8.80\u00a0€ ; payment: 3")
