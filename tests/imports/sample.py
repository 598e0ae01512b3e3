"""A small valid portfolio in the interchange format; tests copy it and break one thing."""

import copy

import pytest

from prebill.imports.portfolio import import_portfolio
from prebill.imports.problems import ImportRejected

PORTFOLIO = {
    "format": "prebill-portfolio",
    "version": 1,
    "organisation": {
        "legal_name": "Cabinet Exemple", "legal_form": "SAS", "siren": "732829320", "vat_number": "FR44732829320",
        "address": {"line1": "1 rue de la Paix", "postcode": "75002", "city": "Paris", "country": "FR"},
        "hours_per_day": "7", "time_rounding_minutes": 0,
        "invoice_series": [{"code": "F", "kind": "both", "prefix": "F{year}-", "digits": 6, "is_default": True}],
    },
    "collaborator_groups": [{"code": "AUDIT", "label": "Pôle audit"}],
    "collaborators": [
        {"code": "JDU", "name": "Jeanne Dupont", "grade": "manager", "groups": ["AUDIT"],
         "hourly_rate": "120.00", "daily_rate": "800.00"},
        {"code": "PMA", "name": "Paul Martin", "grade": "junior", "hourly_rate": "60.00"},
    ],
    "articles": [
        {"code": "HON", "label": "Honoraires de tenue", "unit": "forfait", "vat_rate": "20", "revenue_account": "706100"},
        {"code": "CONS", "sub_code": "AUD", "label": "Audit", "unit": "heure", "vat_rate": "20"},
        {"code": "CONS", "label": "Conseil", "unit": "heure", "vat_rate": "20"},
        {"code": "BUL", "label": "Bulletins de paie", "unit": "bulletin", "vat_rate": "20"},
    ],
    "clients": [
        {"code": "C0001", "name": "Boulangerie Martin", "siren": "552100554", "siret": "55210055400013",
         "vat_number": "FR96552100554",
         "addresses": [{"code": "main", "line1": "3 place du Marché", "postcode": "69002", "city": "Lyon",
                        "default": True},
                       {"code": "SIEGE", "line1": "10 avenue Foch", "postcode": "75016", "city": "Paris"}],
         "billing_conditions": [{"applies_from": "2026-01-01", "payment_terms_days": 30}]},
    ],
    "engagements": [
        {"code": "E0001-TEN", "client": "C0001", "label": "Tenue comptable 2026", "class": "accounting",
         "fiscal_year": 2026, "manager": "JDU",
         "parts": [
             {"code": "FORFAIT", "label": "Forfait annuel", "kind": "fixed_fee", "article": "HON",
              "fee_amount": "1000.00", "frequency": "quarterly",
              "schedule": {"start": "2026-01-01", "end": "2026-12-31"}},
             {"code": "REGIE", "label": "Conseil", "kind": "time_and_materials", "article": "CONS",
              "rates": [{"grade": "manager", "hourly_rate": "150"}, {"collaborator": "PMA", "hourly_rate": "70"}],
              "overtime": {"hourly_rate": "110", "bands": [
                  {"day_kind": "weekday", "start": "20:00", "end": "22:00", "percent": "25"},
                  {"day_kind": "weekday", "start": "22:00", "end": "00:00", "percent": "50"},
                  {"day_kind": "sunday", "start": "00:00", "end": "00:00", "percent": "100"}]}},
             {"code": "PAIE", "label": "Bulletins", "kind": "units", "article": "BUL", "unit_price": "18.50",
              "metric_code": "PAYSLIPS"},
         ],
         "tasks": [{"code": "BILAN", "label": "Bilan", "status": "preparing", "planned_hours": "20"},
                   {"code": "BILAN-1", "label": "Inventaire", "parent": "BILAN", "part": "REGIE"}]},
    ],
    "article_rules": [{"code": "R-AUDIT", "article": "CONS/AUD", "group": "AUDIT", "activity": "audit"}],
    "time_entries": [
        {"id": "T-1", "date": "2026-11-03", "collaborator": "JDU", "engagement": "E0001-TEN", "part": "REGIE",
         "hours": "3.5", "activity": "audit", "approved": True},
    ],
    "unit_metrics": [{"client": "C0001", "metric": "PAYSLIPS", "period": "2026-11", "quantity": "12"}],
    "customer_orders": [
        {"client": "C0001", "engagement": "E0001-TEN", "number": "PO-1", "date": "2026-10-01",
         "lines": [{"article": "CONS", "designation": "Conseil", "quantity": "10", "unit_price": "120"}]},
    ],
    "delivery_notes": [
        {"client": "C0001", "engagement": "E0001-TEN", "number": "BL-1", "date": "2026-11-20",
         "lines": [{"article": "CONS/AUD", "quantity": "2", "unit_price": "95.50"}]},
    ],
}


def portfolio() -> dict:
    return copy.deepcopy(PORTFOLIO)

def problems_of(data) -> dict[str, str]:
    """Every problem of a rejected file, by where it is."""
    with pytest.raises(ImportRejected) as rejected:
        import_portfolio(data)
    found: dict[str, str] = {}
    for problem in rejected.value.problems:
        found[problem.where] = "; ".join(filter(None, (found.get(problem.where), problem.why)))
    return found
