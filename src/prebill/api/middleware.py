"""Under /api/, every error is JSON: Django's own 404 and 405 pages included."""

from django.http import JsonResponse


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
            response = JsonResponse({"detail": response.reason_phrase}, status=response.status_code)
            if allowed:
                response["Allow"] = allowed
        return response
