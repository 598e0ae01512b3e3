import pytest

from tests import factories


@pytest.fixture
def org(db):
    return factories.organisation()
