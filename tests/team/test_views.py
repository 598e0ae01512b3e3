import pytest

from tests import factories as f

pytestmark = pytest.mark.django_db


def test_collaborators_are_listed_with_their_groups_and_rates(client, user_with, org):
    f.collaborator(code="ANNE", hourly="120", groups=["AUDIT"])
    client.force_login(user_with("accountant"))

    html = client.get("/team/").content.decode()

    assert "ANNE" in html and "AUDIT" in html and "120,00\xa0€" in html
