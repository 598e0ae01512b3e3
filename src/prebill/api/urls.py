"""The REST API: OpenAPI schema at /api/openapi.json, browsable docs at /api/docs."""

import logging

from django.contrib.auth.decorators import login_not_required, login_required
from django.http import Http404
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from prebill.accounts.roles import SEE_PORTFOLIO, role_required
from prebill.attachments.services import FileRefused
from prebill.billing.services import SpecialActionRefused
from prebill.core.money import MoneyError
from prebill.core.periods import PeriodError
from prebill.core.refusals import Refusal
from prebill.costs.services import ProofRefused
from prebill.documents.services import BatchRefused
from prebill.imports.problems import ImportRejected
from prebill.training.services import EntryRefused

from .auth import AUTH
from .costs import router as costs_router
from .documents import router as documents_router
from .einvoicing import router as einvoicing_router
from .endpoints import router
from .invoicing import router as invoicing_router
from .jobs import router as jobs_router
from .proforma import router as proforma_router
from .review import router as review_router
from .training import router as training_router

logger = logging.getLogger(__name__)


def _docs_for_staff(view):
    return login_required(role_required(SEE_PORTFOLIO)(view))


api = NinjaAPI(title="prebill API", version="1", urls_namespace="api", auth=AUTH, docs_decorator=_docs_for_staff,
               description="Pre-billing: portfolio, time entries, payroll metrics, billable items, pre-invoices "
                           "and runs. Authenticate with `Authorization: Bearer <token>` (tokens: /api-tokens/). "
                           "A POST with an `Idempotency-Key` header (up to 255 characters, kept a day by default) "
                           "runs once per key: sent again, it replays the first answer with `Idempotent-Replayed: "
                           "true` (409 while the first still runs, 422 if the key came with another request).")
api.add_router("/", router)
api.add_router("/", invoicing_router)
api.add_router("/", proforma_router)
api.add_router("/", review_router)
api.add_router("/", costs_router)
api.add_router("/", documents_router)
api.add_router("/", training_router)
api.add_router("/", jobs_router)
api.add_router("/", einvoicing_router)


# Refusals about what was typed or sent answer 422; a permission kept for some users 403; the others, a rule
# that says no to the state things are in, 409.
MALFORMED = (PeriodError, MoneyError, EntryRefused, FileRefused, ProofRefused, BatchRefused)
FORBIDDEN = (SpecialActionRefused,)


@api.exception_handler(Refusal)
def _refused(request, error: Refusal):
    """Every refusal, once: its message in the request's language, and where it is.

    A 422 that says where is a list of located problems, like the API's other 422 (an import's problems too)."""
    if isinstance(error, ImportRejected):
        detail = [{"loc": p.where, "msg": p.translated(gettext)} for p in error.problems]
        return api.create_response(request, {"detail": detail}, status=422)
    message = error.translated(gettext)

    if isinstance(error, MALFORMED) and error.where:
        return api.create_response(request, {"detail": [{"loc": error.where, "msg": message}]}, status=422)
    status = 422 if isinstance(error, MALFORMED) else 403 if isinstance(error, FORBIDDEN) else 409
    return api.create_response(request, {"detail": message, "where": error.where}, status=status)


@api.exception_handler(ValidationError)

def _invalid(request, error: ValidationError):
    detail = [{"loc": ".".join(str(part) for part in e.get("loc", ())), "msg": e.get("msg", "")} for e in error.errors]
    return api.create_response(request, {"detail": detail}, status=422)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, error):
    return api.create_response(request, {"detail": gettext("authentication required: a valid bearer token")}, status=401)


@api.exception_handler(Http404)
def _not_found(request, error: Http404):
    """get_object_or_404 and the like: the object asked for does not exist (ninja's own text, translated)."""
    return api.create_response(request, {"detail": gettext("Not Found")}, status=404)


@api.exception_handler(HttpError)
def _http_error(request, error: HttpError):
    return api.create_response(request, {"detail": str(error)}, status=error.status_code)


@api.exception_handler(MultiPartParserError)
def _bad_upload(request, error: MultiPartParserError):
    return api.create_response(request, {"detail": gettext("malformed multipart upload: %(reason)s") % {"reason": error}},
                               status=400)


@api.exception_handler(Exception)
def _unexpected(request, error: Exception):
    # Never a stack trace to the caller; the trace goes to the log.
    logger.exception("API error on %s", request.path)
    return api.create_response(request, {"detail": gettext("internal error")}, status=500)


def urls():
    """The API's URL patterns; endpoints answer 401 themselves instead of the site's login redirect."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        if pattern.name not in ("openapi-view", "openapi-json"):
            pattern.callback = login_not_required(pattern.callback)
    return patterns, app_name, namespace
