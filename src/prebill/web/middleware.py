"""Requests whose query string carries a NUL character are refused before any view reads them.

No business value ever contains one, and PostgreSQL refuses to store or compare text holding it.
"""

from django.http import HttpResponseBadRequest


class RefuseNulCharacters:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if any("\x00" in value for _, values in request.GET.lists() for value in values):
            return HttpResponseBadRequest("a parameter holds a NUL character")
        return self.get_response(request)
