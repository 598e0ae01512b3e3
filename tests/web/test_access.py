"""Every page and endpoint refuses an anonymous user and a user without a role, whatever its URL."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

# Open by design: logging in and out, switching language, the admin's own login, the home page
# (it tells a user without a role to ask for one). The platform's callback is no user's: it is refused unless
# signed with the key of a webhook registered there (tests/einvoicing/test_connector.py).
OPEN = {"login", "logout", "set_language", "home", "api-root", "callback"}
SAMPLE_VALUES = {"int": "1", "str": "2026-11", "path": "x", "slug": "x"}


def all_urls(patterns=None, prefix=""):
    """(name, example URL) for every route of the project, with sample values for its parameters."""
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if route.startswith("admin/"):
                continue  # Django's admin has its own login and staff check
            yield from all_urls(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            url = re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLE_VALUES[m.group(1) or "str"], route)
            url = url.replace("^", "").replace("$", "").replace("\\", "")
            yield pattern.name, "/" + url


def guarded_urls():
    return [(name, url) for name, url in all_urls() if name not in OPEN and "(?P" not in url]


def is_endpoint(name: str, url: str) -> bool:
    return url.startswith("/api/") and name not in ("openapi-json", "openapi-view")


@pytest.mark.parametrize(("name", "url"), guarded_urls())
def test_anonymous_users_are_refused(client, name, url):
    statuses = [client.get(url), client.post(url)] + (
        [client.put(url), client.delete(url)] if is_endpoint(name, url) else [])

    if is_endpoint(name, url):
        # An endpoint answers 401 to the method it serves (405 to the other), never a page.
        assert 401 in [r.status_code for r in statuses] and {r.status_code for r in statuses} <= {401, 405}, name
    else:
        assert all(r.status_code == 302 and r["Location"].startswith("/login/") for r in statuses), (name, url)


@pytest.mark.parametrize(("name", "url"), guarded_urls())
def test_users_without_a_role_are_refused(client, user_with, name, url):
    client.force_login(user_with())

    statuses = [client.get(url).status_code, client.post(url).status_code]
    if is_endpoint(name, url):
        statuses += [client.put(url).status_code, client.delete(url).status_code]

    if is_endpoint(name, url):
        assert not [s for s in statuses if s < 400 or s >= 500], (name, statuses)
    else:
        assert statuses == [403, 403], (name, url, statuses)


def test_the_routes_are_all_checked():
    assert len(guarded_urls()) >= 6


def test_a_nul_character_in_a_parameter_is_a_bad_request(client, user_with):
    client.force_login(user_with("preparer"))

    page = client.get("/clients/", {"q": "\x00"})
    endpoint = client.get("/api/clients", {"search": "a\x00b"})

    assert page.status_code == 400
    assert endpoint.status_code == 400 and endpoint["Content-Type"].startswith("application/json")
