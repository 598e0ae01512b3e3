"""The demo generator: schema-valid, deterministic, valid identifiers, consistent codes, streamed rows."""

import csv
import inspect
import json
import random
import subprocess
import sys
import tracemalloc
from collections import Counter, deque
from datetime import date
from decimal import Decimal
from itertools import islice
from pathlib import Path
from types import SimpleNamespace

import jsonschema
import pytest

import prebill.imports
from prebill.core.article_rules import ArticleRule, TimeFacts, choose_rule
from prebill.core.identifiers import french_vat_number, siren_problem, siret_problem, vat_number_problem
from prebill.demo import generator
from prebill.demo.generator import (
    FUNDER,
    METRIC_COLUMNS,
    TIME_COLUMNS,
    DemoFiles,
    generate_portfolio,
    iter_metric_rows,
    iter_time_rows,
    write_demo_files,
)

TODAY = date(2026, 11, 23)
SCHEMA = json.loads((Path(prebill.imports.__file__).parent / "portfolio.schema.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def portfolio():
    return generate_portfolio(clients=200, seed=1, today=TODAY)


@pytest.fixture(scope="module")
def time_rows(portfolio):
    return list(iter_time_rows(portfolio, seed=1, today=TODAY))


def _errors(document):
    validator = jsonschema.Draft202012Validator(SCHEMA)
    return [f"{error.json_path}: {error.message}" for error in validator.iter_errors(document)]


def _walk(value):
    yield value
    if isinstance(value, dict):
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def _article_refs(portfolio):
    return {f"{a['code']}/{a['sub_code']}" if a["sub_code"] else a["code"] for a in portfolio["articles"]}


def test_schema_is_valid_and_portfolio_validates(portfolio):
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert _errors(portfolio) == []
    assert set(portfolio) == {
        "format", "version", "organisation", "collaborator_groups", "collaborators", "articles", "clients",
        "engagements", "article_rules", "customer_orders", "delivery_notes", "training_products", "training_sessions",
    }
    consulting = {e["code"] for e in portfolio["engagements"] if e["class"] == "consulting"}
    assert {o["engagement"] for o in portfolio["customer_orders"]} == consulting
    assert {d["engagement"] for d in portfolio["delivery_notes"]} <= consulting


@pytest.mark.parametrize("clients", [0, 1, 3, 1000])
def test_other_sizes_validate(clients):
    document = generate_portfolio(clients=clients, seed=7, today=date(2025, 1, 2))
    assert _errors(document) == []
    assert len([c for c in document["clients"] if c["code"] != FUNDER]) == clients
    assert (FUNDER in {c["code"] for c in document["clients"]}) == bool(document["training_sessions"])
    assert len(document["collaborators"]) == min(80, 12 + clients // 100)


def test_deterministic_for_a_seed_and_independent_of_global_random(portfolio):
    random.seed(12345)
    again = generate_portfolio(clients=200, seed=1, today=TODAY)
    assert again == portfolio
    assert json.dumps(again, ensure_ascii=False) == json.dumps(portfolio, ensure_ascii=False)
    assert generate_portfolio(clients=200, seed=2, today=TODAY) != portfolio
    random.seed(999)
    first = list(islice(iter_time_rows(portfolio, seed=1, today=TODAY), 2000))
    assert first == list(islice(iter_time_rows(portfolio, seed=1, today=TODAY), 2000))
    assert first != list(islice(iter_time_rows(portfolio, seed=2, today=TODAY), 2000))
    assert list(iter_metric_rows(portfolio, seed=1, today=TODAY)) == list(
        iter_metric_rows(portfolio, seed=1, today=TODAY)
    )


def test_module_does_not_import_django():
    code = "import sys, prebill.demo.generator; assert 'django' not in sys.modules, 'django imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_identifiers_pass_their_checks(portfolio):
    organisation = portfolio["organisation"]
    assert siren_problem(organisation["siren"]) is None
    assert organisation["vat_number"] == french_vat_number(organisation["siren"])
    iban = organisation["iban"]
    assert int("".join(str(int(char, 36)) for char in iban[4:] + iban[:4])) % 97 == 1
    sirens = [organisation["siren"]]
    for client in portfolio["clients"]:
        assert vat_number_problem(client["vat_number"], siren=client.get("siren", "")) is None, client
        if "siren" in client:
            assert siren_problem(client["siren"]) is None, client
            assert siret_problem(client["siret"]) is None, client
            assert client["siret"].startswith(client["siren"])
            assert client["vat_number"] == french_vat_number(client["siren"])
            sirens.append(client["siren"])
        else:  # abroad: EU VAT number, reverse charge
            assert client["vat_number"][:2] in ("BE", "LU")
            assert client["addresses"][0]["country"] == client["vat_number"][:2]
            assert client["billing_conditions"][0]["vat_regime"] == "reverse_charge"
    assert len(sirens) == len(set(sirens))


def test_no_float_anywhere(portfolio):
    assert not [value for value in _walk(portfolio) if isinstance(value, float)]
    for part in (p for e in portfolio["engagements"] for p in e["parts"]):
        for key in ("fee_amount", "unit_price"):
            if part.get(key) is not None:
                assert isinstance(part[key], str) and Decimal(part[key]) == Decimal(part[key]).quantize(Decimal("0.01"))


def test_codes_are_unique_and_every_reference_exists(portfolio):
    groups = {g["code"] for g in portfolio["collaborator_groups"]}
    collaborators = {c["code"]: c for c in portfolio["collaborators"]}
    clients = {c["code"]: c for c in portfolio["clients"]}
    engagements = {e["code"]: e for e in portfolio["engagements"]}
    articles = _article_refs(portfolio)
    assert len(collaborators) == len(portfolio["collaborators"])
    assert len(clients) == len(portfolio["clients"])
    assert len(engagements) == len(portfolio["engagements"])
    assert len(articles) == len(portfolio["articles"])
    assert len({c["name"] for c in portfolio["clients"]}) == len(clients)
    for collaborator in collaborators.values():
        assert set(collaborator["groups"]) <= groups
    for client in clients.values():
        assert [a["default"] for a in client["addresses"]] == [True]
        assert client["billing_conditions"][0]["applies_from"] == f"{TODAY.year}-01-01"
    for engagement in engagements.values():
        assert engagement["client"] in clients
        assert engagement["manager"] in collaborators
        assert engagement["salesperson"] in (None, *collaborators)
        assert engagement["fiscal_year"] == TODAY.year
        parts = {p["code"] for p in engagement["parts"]}
        assert len(parts) == len(engagement["parts"])
        for part in engagement["parts"]:
            assert part["article"] in articles
            for rate in part.get("rates", []):
                assert rate.get("grade") or rate.get("collaborator") in collaborators
        tasks = {t["code"] for t in engagement["tasks"]}
        assert len(tasks) == len(engagement["tasks"])
        for task in engagement["tasks"]:
            assert task["parent"] in (None, *tasks)
            assert task["part"] in (None, *parts)
    for rule in portfolio["article_rules"]:
        assert rule["article"] in articles
        assert rule.get("client") in (None, *clients)
        assert rule.get("group") in (None, *groups)
    for client in clients:
        assert f"E{client[1:]}-TEN" in engagements or client == FUNDER  # the OPCO only funds training


def test_portfolio_shape_is_that_of_an_accounting_firm(portfolio):
    engagements = portfolio["engagements"]
    by_class = Counter(e["class"] for e in engagements)
    assert by_class["accounting"] == 200
    assert 90 <= by_class["payroll"] <= 150
    assert 15 <= by_class["consulting"] <= 50
    for engagement in engagements:
        if engagement["class"] == "accounting":
            fee = engagement["parts"][0]
            assert fee["kind"] == "fixed_fee" and fee["article"] == "HON-TEN"
            assert Decimal("1200") <= Decimal(fee["fee_amount"]) <= Decimal("24000")
            assert fee["schedule"] == {"start": "2026-01-01", "end": "2026-12-31"}
        elif engagement["class"] == "payroll":
            units = engagement["parts"][0]
            assert units["kind"] == "units" and units["metric_code"] == "PAYSLIPS" and units["article"] == "BUL"
            assert engagement["all_parts_on_one_invoice"] == (len(engagement["parts"]) == 2)
        else:
            (part,) = engagement["parts"]
            assert part["kind"] == "time_and_materials" and part["billing_unit"] in ("hour", "day")
    assert 2 <= len(portfolio["article_rules"]) <= 4


def test_time_rows_have_the_documented_columns_and_existing_codes(portfolio, time_rows):
    collaborators = {c["code"] for c in portfolio["collaborators"]}
    engagements = {e["code"]: e for e in portfolio["engagements"]}
    assert len(time_rows) == 60 * 200
    ids = set()
    for row in time_rows:
        assert tuple(row) == TIME_COLUMNS
        assert all(isinstance(value, str) for value in row.values())
        ids.add(row["id"])
        day = date.fromisoformat(row["date"])
        assert date(TODAY.year, 1, 1) <= day <= TODAY and day.weekday() < 5
        assert row["collaborator"] in collaborators
        engagement = engagements[row["engagement"]]
        assert engagement["class"] in ("accounting", "consulting")
        assert row["part"] in ("", *(p["code"] for p in engagement["parts"]))
        assert row["task"] in ("", *(t["code"] for t in engagement["tasks"]))
        hours = Decimal(row["hours"])
        assert Decimal("0.25") <= hours <= 8 and hours % Decimal("0.25") == 0
        assert row["billable"] in ("yes", "no", "undecided")
        assert row["approved"] in ("yes", "no")
        assert row["activity"] in ("saisie", "revision", "conseil", "audit")
    assert len(ids) == len(time_rows) and "T0000001" in ids
    billable = Counter(row["billable"] for row in time_rows)
    assert 0.01 < billable["no"] / len(time_rows) < 0.06
    assert 0 < billable["undecided"] / len(time_rows) < 0.03


def test_current_month_has_billable_time_on_every_consulting_engagement(portfolio, time_rows):
    consulting = {e["code"]: e["parts"][0]["code"] for e in portfolio["engagements"] if e["class"] == "consulting"}
    month = TODAY.isoformat()[:7]
    this_month = [r for r in time_rows if r["engagement"] in consulting and r["date"].startswith(month)]
    assert {r["engagement"] for r in this_month if r["billable"] == "yes"} == set(consulting)
    assert all(r["part"] == consulting[r["engagement"]] for r in time_rows if r["engagement"] in consulting)
    assert sum(Decimal(r["hours"]) for r in this_month) > 100


def test_article_rules_never_tie_on_generated_time(portfolio, time_rows):
    rules = [
        ArticleRule(code=r["code"], article=r["article"], client=r.get("client"), activity=r.get("activity"),
                    group=r.get("group"))
        for r in portfolio["article_rules"]
    ]
    groups = {c["code"]: frozenset(c["groups"]) for c in portfolio["collaborators"]}
    clients = {e["code"]: e["client"] for e in portfolio["engagements"]}
    chosen = Counter()
    for row in time_rows:
        facts = TimeFacts(client=clients[row["engagement"]], engagement=row["engagement"], activity=row["activity"],
                          domain=row["domain"], collaborator=row["collaborator"], groups=groups[row["collaborator"]])
        rule = choose_rule(rules, facts)  # raises ArticleRuleTie on a tie
        chosen[rule.code if rule else None] += 1
    assert {rule.code for rule in rules} <= set(chosen)


def test_metric_rows(portfolio):
    rows = list(iter_metric_rows(portfolio, seed=1, today=TODAY))
    payroll = {e["code"]: e["client"] for e in portfolio["engagements"] if e["class"] == "payroll"}
    assert len(rows) == len(payroll) * TODAY.month
    keys = set()
    for row in rows:
        assert tuple(row) == METRIC_COLUMNS
        assert all(isinstance(value, str) for value in row.values())
        assert payroll[row["engagement"]] == row["client"]
        assert row["metric"] == "PAYSLIPS"
        assert f"{TODAY.year}-01" <= row["period"] <= TODAY.isoformat()[:7]
        assert int(row["quantity"]) >= 0
        keys.add((row["client"], row["engagement"], row["metric"], row["period"]))
    assert len(keys) == len(rows)


def test_time_rows_are_streamed(monkeypatch):
    portfolio = generate_portfolio(clients=50, seed=3, today=TODAY)
    draws = Counter()

    class CountingRandom(random.Random):
        """The generator's random source, counting its draws: the work done so far."""

        def random(self):
            draws["random"] += 1
            return super().random()

        def getrandbits(self, k):  # kept, so that choice() draws as before: the same rows
            return super().getrandbits(k)

    expected = next(iter_time_rows(portfolio, seed=3, today=TODAY))
    monkeypatch.setattr(generator, "random", SimpleNamespace(Random=CountingRandom))

    def first_row(count):
        draws.clear()
        rows = iter_time_rows(portfolio, seed=3, today=TODAY, count=count)
        assert inspect.isgenerator(rows) and not draws  # nothing is drawn before the first row is asked for
        return rows, next(rows), draws["random"]

    _, one, work_for_one = first_row(1)
    rows, first, work_for_all = first_row(10**12)
    # A trillion rows asked: the first one costs no more than when a single row is asked.
    assert first == one == expected and work_for_all == work_for_one < 50
    assert tuple(first) == TIME_COLUMNS and first["id"] == "T0000001"
    tracemalloc.start()
    try:
        deque(islice(rows, 50_000), maxlen=0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000  # constant memory: nothing accumulates per row
    assert draws["random"] <= 20 * 50_001  # each row draws its own few numbers, none is drawn ahead
    assert next(rows)["id"] == "T0050002"


def test_january_first_on_a_weekend_still_gives_weekday_rows():
    today = date(2028, 1, 3)  # a Monday after a weekend New Year
    portfolio = generate_portfolio(clients=20, seed=1, today=today)
    rows = list(iter_time_rows(portfolio, seed=1, today=today))
    assert rows and {r["date"] for r in rows} == {"2028-01-03"}
    assert [r["period"] for r in iter_metric_rows(portfolio, today=today)][:1] == ["2028-01"]


def test_write_demo_files(tmp_path):
    files = write_demo_files(tmp_path / "demo", clients=30, seed=5, today=TODAY, time_entries=500)
    assert isinstance(files, DemoFiles)
    assert [files.portfolio.name, files.time.name, files.metrics.name] == ["portfolio.json", "time.csv", "metrics.csv"]
    assert json.loads(files.portfolio.read_text(encoding="utf-8")) == generate_portfolio(
        clients=30, seed=5, today=TODAY
    )
    with files.time.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames) == TIME_COLUMNS
        assert len(list(reader)) == 500
    with files.metrics.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames) == METRIC_COLUMNS
        assert len(list(reader)) > 0


def test_a_small_training_organisation_with_an_opco_that_funds_it(portfolio):
    clients = {c["code"]: c for c in portfolio["clients"]}
    products = {p["reference"]: p for p in portfolio["training_products"]}
    sessions = portfolio["training_sessions"]
    assert 2 <= len(products) <= 3 and all(p["vat_exempt"] and p["article"] in _article_refs(portfolio)
                                           for p in products.values())
    assert 4 <= len(sessions) <= 6
    assert Counter(s["status"] for s in sessions) == {"planned": len(sessions) - 1, "ongoing": 1}
    ongoing = next(s for s in sessions if s["status"] == "ongoing")
    assert ongoing["start"] <= TODAY.isoformat() <= ongoing["end"] and ongoing["end"][:7] == TODAY.isoformat()[:7]
    assert clients[FUNDER]["training_billing"] == "consolidated"
    trainers = {c["code"] for c in portfolio["collaborators"]}
    shares = Counter()
    for session in sessions:
        assert session["product"] in products and session["trainer"] in trainers
        assert session["start"] <= session["end"]
        sending = {learner["sponsor"] for learner in session["learners"]}
        assert sending <= set(clients) - {FUNDER} and all("siren" in clients[code] for code in sending)
        for funding in session["fundings"]:
            assert funding["funder"] == FUNDER and funding["sponsor"] in sending
            shares["percent" if "percent" in funding else "amount"] += 1
    assert shares["percent"] and shares["amount"]
    assert any(f.get("percent") == "100" for s in sessions for f in s["fundings"])
    assert any(f.get("percent", "100") != "100" for s in sessions for f in s["fundings"])


def test_with_a_single_client_sponsors_repeat_but_fundings_stay_within_100_percent():
    document = generate_portfolio(clients=1, seed=7, today=TODAY)
    for session in document["training_sessions"]:
        sponsors = [f["sponsor"] for f in session["fundings"]]
        assert len(sponsors) == len(set(sponsors))
    assert _errors(document) == []
