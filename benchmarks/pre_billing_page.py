"""Time the pre-billing page on the benchmark database (the whole request through Django).

Usage: PREBILL_DATABASE_URL=sqlite:///... python benchmarks/pre_billing_page.py YYYY-MM
"""

import os
import statistics
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prebill.config.settings")
django.setup()

from django.contrib.auth.models import Group, User  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

REQUESTS = 20


def main(period: str) -> None:
    user, _ = User.objects.get_or_create(username="bench-preparer")
    user.groups.add(Group.objects.get(name="preparer"))
    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(user)
    url = f"/billing/{period}/"
    cases = {
        "first page": {},
        "time only": {"kind": "time"},
        "largest first": {"sort": "-total"},
        "search a client": {"q": "C0042"},
        "page 100": {"page": "100"},
        "htmx filter": {"kind": "units", "_htmx": True},
    }
    for label, params in cases.items():
        headers = {"HX-Request": "true", "HX-Target": "overview"} if params.pop("_htmx", False) else {}
        client.get(url, params, headers=headers)  # warm caches
        timings = []
        for _ in range(REQUESTS):
            started = time.perf_counter()
            response = client.get(url, params, headers=headers)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.status_code
        with CaptureQueriesContext(connection) as queries:
            client.get(url, params, headers=headers)
        print(f"  {label:<18} median {statistics.median(timings):6.0f} ms   max {max(timings):6.0f} ms   "
              f"{len(queries)} queries")


if __name__ == "__main__":
    main(sys.argv[1])
