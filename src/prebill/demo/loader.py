"""Load the generated demo portfolio through the ordinary imports, then run the current month."""

from __future__ import annotations

import secrets
import tempfile
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.contrib.auth import get_user_model

from prebill.billing.services import RunSummary, run_pre_billing
from prebill.catalogue.models import Article
from prebill.core.periods import Period
from prebill.costs.services import record_purchase
from prebill.engagements.models import Engagement
from prebill.imports.activity import import_metrics_csv, import_time_csv
from prebill.imports.portfolio import import_portfolio, load_portfolio_file
from prebill.organisation.models import Organisation

from .generator import write_demo_files

DEMO_USER = "demo"


def load_demo(*, clients: int, seed: int, today: date, time_entries: int | None = None) -> tuple[RunSummary, tuple]:
    """Fill the database with a demo firm and run today's month; returns the summary and a login."""
    with tempfile.TemporaryDirectory(prefix="prebill-demo-") as directory:
        files = write_demo_files(Path(directory), clients=clients, seed=seed, today=today, time_entries=time_entries)
        import_portfolio(load_portfolio_file(files.portfolio), source=str(files.portfolio))
        import_time_csv(files.time)
        import_metrics_csv(files.metrics)
    # The demo's consultancy bills delivery notes in review, and its costs under their own articles.
    articles = {a.code: a for a in Article.objects.filter(code__in=["FRAIS", "ACHAT", "HSUP"], sub_code="")}
    # It reports its sales to consumers and abroad from the demo month on (docs/e-invoicing.md).
    Organisation.objects.update(delivery_notes=True, expense_article=articles.get("FRAIS"),
                                e_reporting_from=today.replace(day=1),
                                purchase_article=articles.get("ACHAT"), overtime_article=articles.get("HSUP"))
    _court_fees(today)
    summary = run_pre_billing(period=Period.of(today))
    return summary, (DEMO_USER, _demo_user_password())


def _court_fees(today: date) -> None:
    """One débours the firm paid in a client's name (court registry fees, no VAT): billed at cost, apart."""
    engagement = Engagement.objects.order_by("code").first()
    if engagement is not None:
        record_purchase(client_id=engagement.client_id, engagement_id=engagement.pk, day=today,
                        supplier="Greffe du tribunal de commerce", reference="Frais de greffe",
                        amount_excluding_vat=Decimal("37.45"), vat_rate=Decimal("0"), disbursement=True)


def _demo_user_password() -> str:
    """A fresh random password each time the demo is loaded: no shared secret in the repository."""
    password = secrets.token_urlsafe(9)
    user, _ = get_user_model().objects.get_or_create(username=DEMO_USER, defaults={"email": "demo@example.com"})
    user.is_staff = user.is_superuser = True
    user.set_password(password)
    user.save()
    return password
