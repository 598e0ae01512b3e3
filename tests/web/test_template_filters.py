"""The template filters pages lean on when they show many rows."""

import pytest
from django.urls import reverse

from prebill.web.templatetags.prebill import with_id


def test_a_url_reversed_once_serves_every_row():
    assert with_id(reverse("billing:line_sources", args=[0]), 1234) == reverse("billing:line_sources", args=[1234])
    assert with_id("/billing/lines/0/decisions/", 7) == "/billing/lines/7/decisions/"
    with pytest.raises(ValueError, match="no /0/"):
        with_id("/billing/lines/", 7)
