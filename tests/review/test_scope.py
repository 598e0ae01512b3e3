"""Step 1 of the wizard: the scope of a review (tasks by status, ranges, groups, a task and its sub-tasks)."""

from datetime import date

import pytest

from prebill.billing.services import run_pre_billing
from prebill.core.periods import Period
from prebill.engagements.models import Task
from prebill.review.scope import Scope, items_in_scope
from prebill.team.models import CollaboratorGroup
from tests import factories as f

pytestmark = pytest.mark.django_db
NOV = Period(2026, 11)


@pytest.fixture
def project(org):
    """Two clients; one engagement each; tasks of every status; two collaborators in different groups."""
    seniors = CollaboratorGroup.objects.create(code="SENIOR", label="Seniors")
    anne, bob = f.collaborator("ANNE"), f.collaborator("BOB")
    anne.groups.add(seniors)
    booked = {}
    for client_code, engagement_code, engagement_class in (("C1", "E-100", "consulting"), ("C2", "E-200", "audit")):
        engagement = f.engagement(f.client(client_code), engagement_code, engagement_class=engagement_class,
                                  manager=anne)
        f.time_part(engagement)
        root = Task.objects.create(engagement=engagement, code="ROOT", label="Phase", status=Task.Status.ACTIVE)
        child = Task.objects.create(engagement=engagement, parent=root, code="CHILD", label="Step",
                                    status=Task.Status.DONE)
        for status in Task.Status.values:
            task = child if status == "done" else (root if status == "active" else Task.objects.create(
                engagement=engagement, code=status.upper(), label=status, status=status))
            for who in (anne, bob):
                entry = f.time_entry(who, engagement, date(2026, 11, 3), "1", task=task)
                booked[(engagement_code, status, who.code)] = entry
    run_pre_billing(period=NOV)
    return booked


def entries(scope):
    return sorted(items_in_scope(scope).values_list("time_entry__engagement__code", "time_entry__task__status",
                                                    "collaborator__code"))


def test_the_default_scope_leaves_out_preparing_and_rejected_tasks(project):
    found = entries(Scope(start=NOV.first_day, end=NOV.last_day))

    assert {status for _, status, _ in found} == {"active", "done"}
    assert len(found) == 2 * 2 * 2


def test_ranges_classes_groups_managers_and_statuses(project):
    nov = {"start": NOV.first_day, "end": NOV.last_day}

    assert {e for e, _, _ in entries(Scope(**nov, engagement_from="E-150"))} == {"E-200"}
    assert {e for e, _, _ in entries(Scope(**nov, client_to="C1"))} == {"E-100"}
    assert {e for e, _, _ in entries(Scope(**nov, engagement_class="audit"))} == {"E-200"}
    assert {c for _, _, c in entries(Scope(**nov, collaborator_group="SENIOR"))} == {"ANNE"}
    assert {c for _, _, c in entries(Scope(**nov, collaborator="BOB"))} == {"BOB"}
    assert len(entries(Scope(**nov, manager="ANNE"))) == 8 and entries(Scope(**nov, manager="BOB")) == []
    assert {s for _, s, _ in entries(Scope(**nov, task_statuses=frozenset({"preparing"})))} == {"preparing"}
    assert entries(Scope(start=date(2026, 12, 1), end=date(2026, 12, 31))) == []


def test_a_task_brings_its_sub_tasks(project):
    root = Task.objects.get(engagement__code="E-100", code="ROOT")

    found = entries(Scope(start=NOV.first_day, end=NOV.last_day, task=root.pk))

    assert sorted({(e, s) for e, s, _ in found}) == [("E-100", "active"), ("E-100", "done")]
