"""Login throttling: five wrong passwords lock the user name out, the right one included, for the window."""

from datetime import timedelta

import pytest
from django.utils import timezone

from prebill.accounts.models import LoginFailure

pytestmark = pytest.mark.django_db


@pytest.fixture
def anne(django_user_model):
    return django_user_model.objects.create_user("anne", password="right-password-1")


def log_in(client, password: str, username: str = "anne"):
    return client.post("/login/", {"username": username, "password": password})


def test_five_wrong_passwords_then_the_right_one_is_refused(client, anne):
    for _ in range(5):
        assert log_in(client, "wrong").status_code == 200

    refused = log_in(client, "right-password-1")

    assert refused.status_code == 200 and "_auth_user_id" not in client.session
    assert "Trop de connexions échouées" in refused.content.decode()


def test_a_few_wrong_passwords_then_the_right_one_logs_in_and_clears_the_count(client, anne):
    for _ in range(4):
        log_in(client, "wrong")

    assert log_in(client, "right-password-1").status_code == 302
    assert client.session["_auth_user_id"] == str(anne.pk)
    assert not LoginFailure.objects.filter(username="anne").exists()


def test_the_lock_ends_with_its_window_and_concerns_that_name_only(client, anne, django_user_model):
    django_user_model.objects.create_user("paul", password="paul-password-1")
    for _ in range(5):
        log_in(client, "wrong")

    assert log_in(client, "paul-password-1", username="paul").status_code == 302
    client.logout()
    LoginFailure.objects.update(at=timezone.now() - timedelta(minutes=16))
    assert log_in(client, "right-password-1").status_code == 302


def test_the_name_is_counted_whatever_its_case(client, anne):
    for name in ("anne", "ANNE", "Anne", "aNNe", "annE"):
        log_in(client, "wrong", username=name)

    assert log_in(client, "right-password-1").status_code == 200
