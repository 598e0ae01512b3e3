"""The data shape of `../shared/bench/rawsql_floor.py`, written as prebill's import files (pure Python).

N clients × K billable time entries, one time-and-materials engagement per client billed by the hour,
20 collaborators with sale rates 80 + 10 × (i mod 8) EUR/h, 4 collaborators per client (client i gets
(4i + j) mod 20), entries round-robin over them, hours randint(1, 32) × 0.25 and a day in the month before
today's, drawn in the floor's order from random.Random(42): the same entries, so the same money, as the floor.
"""

from __future__ import annotations

import csv
import json
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from prebill.core.identifiers import french_vat_number, siren_with_key

COLLABORATORS = 20
PER_CLIENT = 4
# The floor's grouped mode makes one line per (client, collaborator): prebill's line by article and collaborator.
LINE_MODES = {"detailed": "detailed", "grouped": "per_article_collaborator"}


@dataclass(frozen=True)
class ShapeFiles:
    portfolio: Path
    time: Path
    period: str  # YYYY-MM, the month the entries fall in


def billed_month(today: date) -> tuple[date, date]:
    """The floor's month: the one before today's."""
    last = today.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


def _rate(i: int) -> int:
    return 80 + 10 * (i % 8)


def portfolio(clients: int, line_mode: str, month_start: date) -> dict:
    client_rows, engagements = [], []
    for i in range(clients):
        code = f"C{i + 1:06d}"
        siren = siren_with_key(f"{30_000_000 + i:08d}")
        client_rows.append({
            "code": code, "name": f"Customer {i:05d}", "active": True, "siren": siren,
            "vat_number": french_vat_number(siren),
            "addresses": [{"code": "main", "line1": f"{i + 1} rue du Banc", "postcode": "75009", "city": "Paris",
                           "country": "FR", "default": True}],
            "billing_conditions": [{"applies_from": f"{month_start.year}-01-01", "vat_regime": "standard",
                                    "payment_terms_days": 30, "end_of_month": False, "payment_method": "transfer",
                                    "currency": "EUR", "line_mode": LINE_MODES[line_mode]}],
        })
        engagements.append({
            "code": f"E{i + 1:06d}", "client": code, "label": "Régie", "class": "consulting",
            "fiscal_year": month_start.year, "manager": "P000", "currency": "EUR", "status": "active",
            "parts": [{"code": "REGIE", "label": "Honoraires au temps passé", "kind": "time_and_materials",
                       "article": "CONS", "billing_unit": "hour", "rates": []}],
            "tasks": [],
        })
    return {
        "format": "prebill-portfolio", "version": 1,
        "organisation": {
            "legal_name": "Cabinet du Banc d'Essai", "legal_form": "SAS", "siren": "812345676",
            "vat_number": "FR19812345676", "share_capital": "10000", "rcs_city": "Paris",
            "address": {"line1": "1 rue de la Mesure", "postcode": "75009", "city": "Paris", "country": "FR"},
            "iban": "FR7630004008280001012345691", "bic": "BNPAFRPPXXX", "hours_per_day": "7",
            "bill_only_approved_time": False, "time_rounding_minutes": 15,
            "invoice_series": [{"code": "F", "kind": "both", "prefix": "F{year}-", "digits": 6, "is_default": True}],
        },
        "collaborator_groups": [{"code": "REGIE", "label": "Régie"}],
        "collaborators": [{"code": f"P{i:03d}", "name": f"Employee {i:03d}", "grade": "senior", "groups": ["REGIE"],
                           "hourly_rate": f"{_rate(i)}.00", "daily_rate": f"{_rate(i) * 7}.00", "active": True}
                          for i in range(COLLABORATORS)],
        "articles": [{"code": "CONS", "sub_code": "", "label": "Honoraires de conseil", "unit": "heure",
                      "unit_price": None, "vat_rate": "20", "revenue_account": "706400"}],
        "clients": client_rows, "engagements": engagements, "article_rules": [],
    }


def time_rows(clients: int, lines: int, month_start: date, month_end: date, seed: int = 42):
    """The floor's entries in the floor's draw order."""
    rng = random.Random(seed)
    days = (month_end - month_start).days + 1
    number = 0
    for i in range(clients):
        team = [(i * PER_CLIENT + j) % COLLABORATORS for j in range(PER_CLIENT)]
        for k in range(lines):
            collaborator = team[k % PER_CLIENT]
            quarters = rng.randint(1, 32)
            day = month_start + timedelta(days=rng.randrange(days))
            number += 1
            yield (f"T{number:08d}", day.isoformat(), f"P{collaborator:03d}", f"E{i + 1:06d}", "REGIE", "",
                   f"{quarters * 25 // 100}.{quarters * 25 % 100:02d}", "yes", "", "", "yes", "")


def write_shape_files(directory: Path, *, clients: int, lines: int, line_mode: str, today: date) -> ShapeFiles:
    directory.mkdir(parents=True, exist_ok=True)
    start, end = billed_month(today)
    files = ShapeFiles(directory / "portfolio.json", directory / "time.csv", f"{start:%Y-%m}")
    files.portfolio.write_text(json.dumps(portfolio(clients, line_mode, start), ensure_ascii=False), encoding="utf-8")
    with files.time.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(("id", "date", "collaborator", "engagement", "part", "task", "hours", "billable", "activity",
                         "domain", "approved", "comment"))
        writer.writerows(time_rows(clients, lines, start, end))
    return files
