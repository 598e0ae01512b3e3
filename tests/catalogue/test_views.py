"""The rule tester says which article rule applies to a piece of time."""

import pytest

from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def rules(org):
    client = f.client(code="ACME")
    engagement = f.engagement(client, code="E-ACME")
    f.collaborator(code="ANNE", groups=["AUDIT"])
    f.rule("R-AUDIT", f.article("CONS", "AUD"), activity="audit")
    f.rule("R-ACME", f.article("CONS", "ACME"), client=client)
    f.rule("R-ENG", f.article("CONS", "ENG"), engagement=engagement)


def test_the_most_specific_rule_is_shown(client, user_with, rules):
    client.force_login(user_with("validator"))

    page = client.get("/catalogue/", {"test": "1", "activity": "audit", "collaborator": "ANNE"})

    assert page.context["verdict"]["rule"] == "R-AUDIT"
    assert str(page.context["verdict"]["article"]) == "CONS/AUD"


def test_a_tie_is_shown_with_the_rules_it_names(client, user_with, rules):
    client.force_login(user_with("validator"))

    page = client.get("/catalogue/", {"test": "1", "engagement": "E-ACME"})

    assert "R-ACME" in page.context["verdict"]["tie"] and "R-ENG" in page.context["verdict"]["tie"]


def test_no_rule_means_the_parts_article(client, user_with, rules):
    client.force_login(user_with("validator"))

    assert client.get("/catalogue/", {"test": "1", "activity": "conseil"}).context["verdict"] == {"none": True}
