"""Idempotency keys on the API's POSTs: a client that lost an answer sends the same request with the same
`Idempotency-Key` and gets the first answer back, not a second payment, run or credit note.

The key is reserved by a committed row (unique per user and key) before the view runs, so two requests racing
with one key run once: the unique constraint picks the winner, the other answers 409. A final answer (status
below 500) is kept and replayed; a 5xx or an exception frees the key so that a retry runs the request.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext
from ninja.errors import HttpError

from .auth import AUTH
from .models import IdempotentRequest

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_MAX_LENGTH = IdempotentRequest._meta.get_field("key").max_length
_RESERVATION = "_idempotent_request"

logger = logging.getLogger(__name__)


def request_fingerprint(request: HttpRequest) -> str:
    """SHA-256 of the method, path, query string and body (a multipart body without its boundary)."""
    body = request.body
    boundary = request.content_params.get("boundary", "") if request.content_type == "multipart/form-data" else ""
    if boundary and boundary.isascii():
        # Clients draw a new boundary at each send: the retry of an upload is the same request.
        body = body.replace(b"--" + boundary.encode(), b"--boundary")
    digest = hashlib.sha256()
    for part in (request.method or "", request.path, request.META.get("QUERY_STRING", "")):
        encoded = part.encode(errors="surrogatepass")
        # Length first: moving bytes from one part to the next makes another fingerprint.
        digest.update(len(encoded).to_bytes(8, "big") + encoded)
    digest.update(body)
    return digest.hexdigest()


def _caller(request: HttpRequest) -> AbstractBaseUser | None:
    """The user the API will take the request from (its own authentication, in its order), or None."""
    for authenticate in AUTH:
        try:
            user = authenticate(request)
        except HttpError:  # the session's CSRF check failed: the API answers it
            return None
        if user:
            return user
    return None


def _reserve(*, user, key: str, fingerprint: str, now: datetime) -> tuple[IdempotentRequest | None, bool]:
    """(its row, True) when this request now holds the key; (the earlier request's row or None, False) if not."""
    expired = IdempotentRequest.objects.filter(created_at__lt=now - timedelta(days=settings.PREBILL_IDEMPOTENCY_DAYS))
    for _ in range(2):
        try:
            # Its own transaction, committed before the view runs: a request racing with this key meets the row.
            with transaction.atomic(durable=True):
                # Expired keys go in one statement, this very key's old row with them.
                expired.delete()
                row = IdempotentRequest.objects.create(user=user, key=key, fingerprint=fingerprint, created_at=now)
            return row, True
        except IntegrityError:
            earlier = IdempotentRequest.objects.filter(user=user, key=key).first()
            if earlier is not None:
                return earlier, False
            # The earlier request failed and freed the key meanwhile: try to take it once more.
    return None, False


def _answer_again(earlier: IdempotentRequest | None, fingerprint: str) -> HttpResponse:
    if earlier is not None and earlier.fingerprint != fingerprint:
        return JsonResponse({"detail": gettext("this idempotency key was already used for another request: "
                                               "send a new key for a new request")}, status=422)
    if earlier is None or earlier.completed_at is None:
        return JsonResponse({"detail": gettext("a request with this idempotency key is still being processed")},
                            status=409)
    response = HttpResponse(bytes(earlier.response_body), status=earlier.status_code,
                            content_type=earlier.content_type or None)
    response[REPLAYED_HEADER] = "true"
    return response


def _finish(request: HttpRequest, response: HttpResponse | None) -> None:
    """Keep the answer for the key, or free the key when there is no final answer to give again."""
    reservation = request.__dict__.pop(_RESERVATION, None)
    if reservation is None:
        return
    rows = IdempotentRequest.objects.filter(pk=reservation.pk)
    try:
        # No POST of the API streams; a streamed answer could not be given again, so it frees the key too.
        if response is None or response.status_code >= 500 or response.streaming:
            rows.delete()
        else:
            rows.update(status_code=response.status_code, response_body=response.content,
                        content_type=response.get("Content-Type", ""), completed_at=timezone.now())
    except DatabaseError:
        # The request has done its work: its caller gets the real answer, the key stays reserved until it expires.
        logger.exception("idempotency key %r of user %s: the answer was not kept", reservation.key, reservation.user_id)


class IdempotencyKeys:
    """POST under /api/ with an Idempotency-Key header, from a caller the API knows: run once per key."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            response = self.get_response(request)
        except BaseException:
            _finish(request, None)
            raise
        _finish(request, response)
        return response

    def process_view(self, request: HttpRequest, view_func: Callable, view_args: tuple,
                     view_kwargs: dict) -> HttpResponse | None:
        # Here and not in __call__: the session's user is known and the request's language active.
        if request.method != "POST" or not request.path.startswith("/api/") or HEADER not in request.headers:
            return None
        # The body is read whole before anything else: the view parses it again from memory (multipart uploads
        # too), whereas the session's CSRF check may read the form, after which the raw body is gone.
        fingerprint = request_fingerprint(request)
        user = _caller(request)
        if user is None:
            return None  # the API answers 401 itself
        key = request.headers[HEADER]
        if not (0 < len(key) <= KEY_MAX_LENGTH and key.isprintable()):
            message = gettext("an Idempotency-Key holds 1 to %(max)s printable characters") % {"max": KEY_MAX_LENGTH}
            return JsonResponse({"detail": [{"loc": f"header.{HEADER}", "msg": message}]}, status=422)
        found, reserved = _reserve(user=user, key=key, fingerprint=fingerprint, now=timezone.now())
        if reserved:
            setattr(request, _RESERVATION, found)
            return None
        return _answer_again(found, fingerprint)
