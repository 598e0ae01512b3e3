"""How long a page takes: the median and p95 of repeated requests after a warm-up, and its queries."""

import statistics
import time

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext


def time_page(browser: Client, path: str, rounds: int = 20) -> tuple[float, float, int]:
    """(median ms, p95 ms, queries) of GET `path`."""
    browser.get(path)  # warm up
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        answer = browser.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, (path, answer.status_code)
    with CaptureQueriesContext(connection) as queries:
        browser.get(path)
    return statistics.median(times), sorted(times)[int(len(times) * 0.95) - 1], len(queries)
