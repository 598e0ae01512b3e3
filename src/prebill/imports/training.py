"""Training products and sessions in the portfolio format: checked with their JSON paths, then saved.

Rows are saved through the training services, so the file obeys the rules of the pages. A session
identified by its reference is compared with what the database holds: unchanged, it is left alone
(importing a file twice changes nothing); changed, it is saved with its learners and fundings
replaced. A session done or cancelled carries charges that stand on drafts or invoices: a file may
repeat it unchanged, never change it, and never marks a session done or cancelled itself (that
drafts or removes invoices: `prebill training done|cancel`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from decimal import Decimal

from django.db.models import Prefetch

from prebill.catalogue.models import Article
from prebill.clients.models import Client
from prebill.core.refusals import gettext_noop
from prebill.team.models import Collaborator
from prebill.training.models import Funding, Learner, TrainingProduct, TrainingSession
from prebill.training.services import EntryRefused, FundingEntry, LearnerEntry, save_product, save_session

from .problems import Checker, ImportRejected, Problem, Term
from .references import References, article_ref, split_article_ref

Located = Iterable[tuple[str, dict]]  # (JSON path of the row, row)

HUNDRED = Decimal(100)
SETTABLE = ("planned", "ongoing")  # what a file may set; done and cancelled go through the services
CLOSED = ("done", "cancelled")
_COMMAND = {"done": "prebill training done", "cancelled": "prebill training cancel"}


def _once_each(located: Located, why: str, checker: Checker) -> Iterator[tuple[str, dict]]:
    """The rows in the file's order; a reference seen before is refused where it stands again (`why`, a msgid)."""
    seen: dict[str, str] = {}
    for path, row in located:
        reference = row["reference"]
        if reference in seen:
            checker.add(f"{path}.reference", why, reference=repr(reference), other=seen[reference])
            continue
        seen[reference] = path
        yield path, row


def check_products(located: Located, refs: References, checker: Checker) -> list[dict]:
    """Typed products; the article may be one of the file's."""
    checked = []
    for path, row in _once_each(located, gettext_noop("duplicate training product %(reference)s: also at %(other)s"),
                                  checker):
        reference = row["reference"]
        if not row["label"].strip():
            checker.add(f"{path}.label", gettext_noop("a label is required"))
        if row["article"] not in refs.articles:
            checker.add(f"{path}.article", gettext_noop("unknown article %(code)s"), code=repr(row["article"]))
        checked.append({
            "path": path, "reference": reference, "label": row["label"].strip(),
            "hours": _positive(checker, row["hours"], f"{path}.hours", gettext_noop("hours"), Decimal("99999.99")),
            "days": _positive(checker, row["days"], f"{path}.days", gettext_noop("days"), Decimal("999.99")),
            "price": checker.decimal(row["price"], f"{path}.price", maximum=Decimal("999999999999.99"),
                                     what=gettext_noop("price")),
            "basis": row.get("basis", TrainingProduct.Basis.PER_LEARNER), "article": row["article"],
            "vat_exempt": row.get("vat_exempt", True),
        })
    return checked


def _positive(checker: Checker, value: object, where: str, what: str, maximum: Decimal) -> Decimal | None:
    number = checker.decimal(value, where, maximum=maximum, what=what)
    if number is not None and number == 0:
        checker.add(where, gettext_noop("%(what)s must be more than 0"), what=Term(what))
        return None
    return number


def check_sessions(located: Located, refs: References, products: Iterable[str], checker: Checker) -> list[dict]:
    """Typed sessions: codes checked against the database and the file, the services' rules applied
    with the JSON path of each problem, and a session done or cancelled refused if the file changes it."""
    located = list(located)
    known_products = set(products) | set(TrainingProduct.objects.values_list("reference", flat=True))
    existing = _current(TrainingSession.objects.filter(reference__in=[row["reference"] for _, row in located]))
    checked = []
    for path, row in _once_each(located, gettext_noop("duplicate training session %(reference)s: also at %(other)s"),
                                  checker):
        reference = row["reference"]
        if row["product"] not in known_products:
            checker.add(f"{path}.product", gettext_noop("unknown training product %(reference)s"),
                        reference=repr(row["product"]))
        start, end = checker.date(row["start"], f"{path}.start"), checker.date(row["end"], f"{path}.end")
        if start and end and end < start:
            checker.add(f"{path}.end", gettext_noop("the session ends on %(end)s before it starts on %(start)s"), end=end,
                        start=start)
        trainer = row.get("trainer") or None
        if trainer and trainer not in refs.collaborators:
            checker.add(f"{path}.trainer", gettext_noop("unknown collaborator %(code)s"), code=repr(trainer))
        discount = checker.decimal(row.get("discount_percent", "0"), f"{path}.discount_percent", what=gettext_noop("discount"))
        if discount is not None and discount >= HUNDRED:
            checker.add(f"{path}.discount_percent", gettext_noop("discount %(discount)s %% is not less than 100 %%"),
                        discount=discount)
        session = {
            "path": path, "reference": reference, "product": row["product"], "start": start, "end": end,
            "place": row.get("place", "").strip(), "trainer": trainer, "discount_percent": discount or Decimal(0),
            "status": row.get("status"), "learners": _check_learners(row, path, refs, checker),
        }
        session["fundings"] = _check_fundings(row, path, refs, {s for _, s in session["learners"]}, checker)
        _refuse_closed_changes(session, existing.get(reference), checker)
        checked.append(session)
    return checked


def _check_learners(row: dict, path: str, refs: References, checker: Checker) -> list[tuple[str, str]]:
    learners = []
    for j, learner in enumerate(row.get("learners", [])):
        where = f"{path}.learners[{j}]"
        if not learner["name"].strip():
            checker.add(f"{where}.name", gettext_noop("a learner's name is required"))
        if learner["sponsor"] not in refs.clients:
            checker.add(f"{where}.sponsor", gettext_noop("unknown client %(code)s"), code=repr(learner["sponsor"]))
        learners.append((learner["name"].strip(), learner["sponsor"]))
    return learners


def _check_fundings(row: dict, path: str, refs: References, sending: set[str],
                    checker: Checker) -> list[tuple[str, str, Decimal | None, Decimal | None, bool, str, str]]:
    fundings = []
    percents: Counter = Counter()
    for k, funding in enumerate(row.get("fundings", [])):
        where = f"{path}.fundings[{k}]"
        funder, sponsor = funding["funder"], funding["sponsor"]
        if funder not in refs.clients:
            checker.add(f"{where}.funder", gettext_noop("unknown client %(code)s"), code=repr(funder))
        if sponsor not in refs.clients:
            checker.add(f"{where}.sponsor", gettext_noop("unknown client %(code)s"), code=repr(sponsor))
        elif sponsor not in sending:
            checker.add(f"{where}.sponsor", gettext_noop("%(sponsor)s sends no learner to this session: only a sponsor's "
                                                         "part is funded"), sponsor=sponsor)
        if funder == sponsor:
            checker.add(f"{where}.funder", gettext_noop("a sponsor does not fund itself: what no funder pays is its own"))
        amount, percent = funding.get("amount"), funding.get("percent")
        per_learner = funding.get("per_learner", False)
        if per_learner and amount is None:
            checker.add(f"{where}.per_learner", gettext_noop("only an amount is paid per learner"))
        if (amount is None) == (percent is None):
            checker.add(where, gettext_noop("give either an amount or a percentage, not both") if amount is not None
                        else gettext_noop("give either an amount or a percentage"))
        if amount is not None:
            amount = checker.decimal(amount, f"{where}.amount", maximum=Decimal("999999999999.99"), what=gettext_noop("amount"))
            if amount is not None and amount == 0:
                checker.add(f"{where}.amount", gettext_noop("a funded amount must be more than 0"))
        if percent is not None:
            percent = checker.decimal(percent, f"{where}.percent", maximum=HUNDRED, what=gettext_noop("percentage"))
            if percent is not None and percent == 0:
                checker.add(f"{where}.percent", gettext_noop("a funded percentage must be more than 0"))
            elif percent is not None:
                percents[sponsor] += percent
                if percents[sponsor] > HUNDRED:
                    checker.add(f"{where}.percent", gettext_noop("the fundings of %(sponsor)s exceed 100 %% "
                                                                 "(%(percent)s %% so far)"),
                                sponsor=sponsor, percent=percents[sponsor])
        fundings.append((funder, sponsor, amount, percent, per_learner, (funding.get("file_number") or "").strip(),
                         (funding.get("agreement_reference") or "").strip()))
    return fundings


def _content(session: dict) -> tuple:
    """What a session is, in codes: equal for the file's row and the database's row when nothing changes."""
    return (session["product"], session["start"], session["end"], session["place"], session["trainer"],
            session["discount_percent"], tuple(session["learners"]), tuple(session["fundings"]))


def _current(sessions) -> dict[str, dict]:
    """Sessions of the database in the file's terms (learners and fundings in the order they were entered)."""
    found = sessions.select_related("product", "trainer").prefetch_related(
        Prefetch("learners", Learner.objects.select_related("sponsor").order_by("pk")),
        Prefetch("fundings", Funding.objects.select_related("funder", "sponsor").order_by("pk")))
    return {s.reference: {
        "reference": s.reference, "product": s.product.reference, "start": s.start, "end": s.end, "place": s.place,
        "trainer": s.trainer.code if s.trainer else None, "discount_percent": s.discount_percent, "status": s.status,
        "learners": [(learner.name, learner.sponsor.code) for learner in s.learners.all()],
        "fundings": [(f.funder.code, f.sponsor.code, f.amount, f.percent, f.per_learner, f.file_number,
                      f.agreement_reference) for f in s.fundings.all()],
        "pk": s.pk,
    } for s in found}


def _refuse_closed_changes(session: dict, current: dict | None, checker: Checker) -> None:
    path, reference, wanted = session["path"], session["reference"], session["status"]
    if current and current["status"] in CLOSED:
        if _content(session) != _content(current) or wanted not in (None, current["status"]):
            checker.add(f"{path}.reference", gettext_noop("session %(reference)s is %(status)s: it can no longer be "
                                                          "changed (its charges stand on drafts or invoices)"),
                        reference=reference, status=Term(current["status"]))  # the msgid of its label
    elif wanted in CLOSED:
        checker.add(f"{path}.status", gettext_noop("a file does not make a session %(status)s: `%(command)s` does, "
                                                   "with its drafts"),
                    status=Term(wanted), command=f"{_COMMAND[wanted]} {reference}")


# -- writing -------------------------------------------------------------------------------------


def write_products(rows: list[dict]) -> dict[str, int]:
    """Save each product through the service; an unchanged one is left alone."""
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    current = TrainingProduct.objects.in_bulk([row["reference"] for row in rows], field_name="reference")
    articles = _articles({row["article"] for row in rows})
    for row in rows:
        product = current.get(row["reference"])
        values = {"label": row["label"], "hours": row["hours"], "days": row["days"], "price": row["price"],
                  "basis": row["basis"], "article": articles[row["article"]], "vat_exempt": row["vat_exempt"]}
        if product is not None and all(getattr(product, name) == value for name, value in values.items()):
            counts["unchanged"] += 1
            continue
        _saved(row["path"], save_product, reference=row["reference"], **values)
        counts["updated" if product else "created"] += 1
    return counts


def write_sessions(rows: list[dict]) -> dict[str, int]:
    """Save each changed session with its learners and fundings; then the status the file sets, if any."""
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    current = _current(TrainingSession.objects.filter(reference__in=[row["reference"] for row in rows]))
    products = TrainingProduct.objects.in_bulk({row["product"] for row in rows}, field_name="reference")
    clients = Client.objects.in_bulk({code for row in rows for _, code in row["learners"]}
                                     | {code for row in rows for f in row["fundings"] for code in f[:2]},
                                     field_name="code")
    trainers = Collaborator.objects.in_bulk({row["trainer"] for row in rows if row["trainer"]}, field_name="code")
    for row in rows:
        before = current.get(row["reference"])
        closing = Checker()  # done or cancelled since the file was checked: refused all the same
        _refuse_closed_changes(row, before, closing)
        if closing.problems:
            raise closing.rejected("portfolio")
        changed = before is None or _content(row) != _content(before)
        if changed:
            session = _saved(
                row["path"], save_session, reference=row["reference"], product=products[row["product"]],
                start=row["start"], end=row["end"], place=row["place"], trainer=trainers.get(row["trainer"] or ""),
                discount_percent=row["discount_percent"],
                learners=[LearnerEntry(name, clients[sponsor]) for name, sponsor in row["learners"]],
                fundings=[FundingEntry(clients[funder], clients[sponsor], amount, percent, per_learner, number,
                                       agreement)
                          for funder, sponsor, amount, percent, per_learner, number, agreement in row["fundings"]])
            pk, status = session.pk, session.status
        else:
            pk, status = before["pk"], before["status"]
        if row["status"] in SETTABLE and row["status"] != status:
            TrainingSession.objects.filter(pk=pk).update(status=row["status"])
            changed = True
        counts["created" if before is None else "updated" if changed else "unchanged"] += 1
    return counts


def _articles(refs: set[str]) -> dict[str, Article]:
    found = {}
    for ref in refs:
        code, sub_code = split_article_ref(ref)
        found[ref] = Article.objects.get(code=code, sub_code=sub_code)
    return found


def _saved(path: str, service, **values):
    """The services check again what was checked above; should they refuse, the whole import is undone."""
    try:
        return service(**values)
    except EntryRefused as refused:
        raise ImportRejected("portfolio", [Problem.of(f"{path}.{refused.field}", refused)]) from None


# -- export --------------------------------------------------------------------------------------


def export_training() -> dict[str, list[dict]]:
    """Products and sessions (every status: a done session is repeated unchanged by a re-import)."""
    products = [
        {"reference": p.reference, "label": p.label, "hours": str(p.hours), "days": str(p.days), "price": str(p.price),
         "basis": p.basis, "article": article_ref(p.article.code, p.article.sub_code), "vat_exempt": p.vat_exempt}
        for p in TrainingProduct.objects.order_by("reference").select_related("article")
    ]
    sessions = [
        {"reference": s["reference"], "product": s["product"], "start": s["start"].isoformat(),
         "end": s["end"].isoformat(), "place": s["place"], "trainer": s["trainer"],
         "discount_percent": str(s["discount_percent"]), "status": s["status"],
         "learners": [{"name": name, "sponsor": sponsor} for name, sponsor in s["learners"]],
         "fundings": [{"funder": funder, "sponsor": sponsor,
                       **({"amount": str(amount)} if amount is not None else {"percent": str(percent)}),
                       **({"per_learner": True} if per_learner else {}),
                       **({"file_number": number} if number else {}),
                       **({"agreement_reference": agreement} if agreement else {})}
                      for funder, sponsor, amount, percent, per_learner, number, agreement in s["fundings"]]}
        for s in sorted(_current(TrainingSession.objects.all()).values(), key=lambda s: s["reference"])
    ]
    return {"training_products": products, "training_sessions": sessions}
