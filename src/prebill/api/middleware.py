"""Under /api/, every error is JSON: Django's own 404 and 405 pages included."""

from django.http import JsonResponse
from django.utils.translation import gettext, gettext_noop

# Said in the request's language: LocaleMiddleware, inside this middleware, has activated it.
REASONS = {400: gettext_noop("Bad Request"), 403: gettext_noop("Forbidden"), 404: gettext_noop("Not Found"),
           405: gettext_noop("Method Not Allowed"), 500: gettext_noop("Internal Server Error")}


class ApiErrorsAsJson:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            request.path.startswith("/api/")
            and response.status_code >= 400
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            allowed = response.get("Allow")
            reason = REASONS.get(response.status_code)
            response = JsonResponse({"detail": gettext(reason) if reason else response.reason_phrase},
                                    status=response.status_code)
            if allowed:
                response["Allow"] = allowed
        return response
