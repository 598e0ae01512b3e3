import pytest
from django.contrib.auth.models import Group, User

from tests import factories


@pytest.fixture(autouse=True)
def _runs_inline(settings):
    settings.PREBILL_RUNS_INLINE = True


@pytest.fixture
def org(db):
    return factories.organisation()


@pytest.fixture
def user_with(db):
    """A logged-in-able user holding the given roles (Django groups)."""

    def make(*roles: str, username: str | None = None) -> User:
        user = User.objects.create_user(username=username or f"user-{'-'.join(roles) or 'none'}", password="pw-test-1")
        user.groups.set([Group.objects.get_or_create(name=role)[0] for role in roles])
        return user

    return make


@pytest.fixture
def preparer_client(client, user_with):
    client.force_login(user_with("preparer"))
    return client
