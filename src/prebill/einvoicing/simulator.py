"""A Plateforme Agréée simulator: the subset of AFNOR XP Z12-013 (Flow Service and Directory Service, OpenAPI
1.3.0) that prebill's connector uses, for the tests and the demo. Standard library HTTP server, state in memory
(and in a folder, to survive restarts), the FNFE-MPE rule files on every invoice received.

Served paths (one port, the services under their default names, as the OpenAPI `servers` say):

- ``POST /auth-service/token`` (or ``/auth-service/{custId}/token``): OAuth2 client credentials → bearer token.
- ``/flow-service/v1/``: ``POST flows`` (multipart flowInfo + file), ``POST flows/search``, ``GET flows/{flowId}``
  (docType Metadata, Original, Converted, ReadableView), ``GET|POST webhooks``, ``DELETE webhooks/{uid}``,
  ``GET healthcheck``.
- ``/directory-service/v1/``: ``GET siren/code-insee:{siren}``, ``POST siren/search``, ``GET siret/code-insee:{siret}``,
  ``POST directory-line/search``, ``GET directory-line/code:{id}``, ``GET healthcheck``.
- ``/_control/...`` (loopback only): the test knobs, also methods of `PaSimulator`.

What happens to an invoice: it is read in its declared syntax (a Factur-X PDF must embed factur-x.xml), checked
against the XSD, then the EN 16931 and BR-FR rule files. An unreadable file gets the acknowledgement Error and,
when its number can be read, a 501 "Irrecevable"; a file failing a fatal rule gets the acknowledgement Error
(each failed rule a detail) and a 213 "Rejetée" (reason REJ_SEMAN, each rule a reason); an invoice number already
accepted for the seller gets 213 REJ_UNI; a valid one gets the acknowledgement Ok and 200 "Déposée", then as time
passes (or `advance()`) the next steps, 202 "Reçue par la plateforme" and 203 "Mise à disposition" by default.
Each status is a flow of its own (CustomerInvoiceLC, direction In, syntax CDAR) whose original is the CDAR
message, as the OpenAPI has it; the seller declares a payment received with a CDAR 212 "Encaissée" flow
(amounts per VAT rate), recorded against the invoice.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import contextlib
import email.parser
import email.policy
import hashlib
import ipaddress
import json
import logging
import os
import queue
import re
import secrets
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from . import cdar, flowapi, validation, xmlsafe
from .lifecycle import STATUSES, Role, reason_problem, status

log = logging.getLogger("prebill.einvoicing.simulator")  # the same name when run with python -m

SELF_BILLED_TYPES = ("389", "501", "500", "471", "473", "261", "502")  # as BR-FR-21 lists them
TRANSMITTED_RULES = ("B2B", "B2G")  # e-invoicing: sent on to a buyer's platform; the others are reported only
PLATFORM_NAME = "PA simulator"
_MAX_DETAILS = 100  # acknowledgement details and status reasons kept per flow


class ApiError(Exception):
    """An answer other than success: HTTP status and the OpenAPI Error body (errorCode, errorMessage)."""

    def __init__(self, status: int, code: str, message: str | None = None, *, headers: Mapping[str, str] | None = None,
                 body: dict | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message
        self.headers = dict(headers or {})
        self.body = body


def _bad(code: str, message: str) -> ApiError:
    return ApiError(400, code, message)


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _parse_timestamp(value: Any, name: str) -> datetime:
    if not isinstance(value, str):
        raise _bad("INVALID_FIELD_VALUE", f"{name} must be a date-time string")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _bad("INVALID_FIELD_VALUE", f"{name}: {value!r} is not an RFC 3339 date-time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# ---------------------------------------------------------------------------------------------------- directory


@dataclass(frozen=True)
class DirectoryEntry:
    """A line of the directory: where a company (or one of its establishments) receives its invoices."""

    siren: str
    name: str
    addressing_identifier: str = ""  # the electronic address, scheme 0225; the SIREN when left empty
    siret: str | None = None
    entity_type: str = "PrivateVatRegistered"  # or Public
    line_status: str = "Enabled"  # Enabled, Disabled (no platform), Upcoming
    platform_type: str = "WK"  # WK: a PA; DFH: the PPF

    @property
    def suffix(self) -> str | None:
        """What the address adds after the SIREN (and the SIRET): SIREN_SUFFIX, SIREN_SIRET_CODE."""
        rest = self.addressing_identifier.removeprefix(self.siren).removeprefix("_")
        if self.siret:
            rest = rest.removeprefix(self.siret).removeprefix("_")
        return rest or None

    def __post_init__(self) -> None:
        if not re.fullmatch(r"\d{9}", self.siren):
            raise ValueError(f"SIREN {self.siren!r}: 9 digits")
        if self.siret is not None and not re.fullmatch(rf"{self.siren}\d{{5}}", self.siret):
            raise ValueError(f"SIRET {self.siret!r}: the SIREN and 5 digits")
        if not self.addressing_identifier:
            object.__setattr__(self, "addressing_identifier", self.siren)


# Fictitious companies with valid SIREN keys: the demo firm (prebill demo's "Cabinet Lefèvre & Associés"), the
# test factories' firm, three buyers (one addressed at an establishment), and a company without a platform yet.
DEMO_DIRECTORY = (
    DirectoryEntry("812345676", "Cabinet Lefèvre & Associés"),
    DirectoryEntry("732829320", "Cabinet Test"),
    DirectoryEntry("552100554", "Boulangeries Réunies SA"),
    DirectoryEntry("409876547", "Transports Martin SARL", addressing_identifier="409876547_40987654700012",
                   siret="40987654700012"),
    DirectoryEntry("318652948", "Mairie de Villeneuve", entity_type="Public"),
    DirectoryEntry("423456789", "Atelier Sans Plateforme", line_status="Disabled"),
)


# ---------------------------------------------------------------------------------------------------- state


@dataclass
class StatusEvent:
    code: int
    at: datetime
    by: str  # Role of the issuer: WK platform, BY buyer, SE seller
    flow_id: str  # the life-cycle flow that carries it
    reasons: list[dict] = field(default_factory=list)  # {"code", "text"}

    def as_json(self) -> dict:
        return {"code": self.code, "label": STATUSES[self.code].label, "at": _timestamp(self.at), "by": self.by,
                "flowId": self.flow_id, "reasons": self.reasons}


@dataclass
class Payment:
    """An amount received for one VAT rate, as the seller declared it with a 212 status."""

    amount: Decimal
    vat_rate: Decimal
    currency: str
    received_on: date | None
    flow_id: str

    def as_json(self) -> dict:
        return {"amount": str(self.amount), "vatRate": str(self.vat_rate), "currency": self.currency,
                "receivedOn": self.received_on.isoformat() if self.received_on else None, "flowId": self.flow_id}


@dataclass
class InvoiceRecord:
    """An invoice the platform received and follows."""

    flow_id: str
    number: str
    issue_date: date | None
    type_code: str
    seller_siren: str | None
    seller_name: str | None
    seller_address: str | None
    buyer_siren: str | None
    buyer_name: str | None
    currency: str | None
    total_including_vat: Decimal | None
    vat_rates: list[Decimal]
    accepted: bool = False
    statuses: list[StatusEvent] = field(default_factory=list)
    pending_steps: list[int] = field(default_factory=list)
    next_step_at: float | None = None
    payments: list[Payment] = field(default_factory=list)

    @property
    def current(self) -> int | None:
        return self.statuses[-1].code if self.statuses else None

    @property
    def received(self) -> Decimal:
        return sum((p.amount for p in self.payments), Decimal("0"))

    def has(self, code: int) -> bool:
        return any(s.code == code for s in self.statuses)

    def as_json(self) -> dict:
        return {"flowId": self.flow_id, "invoiceNumber": self.number,
                "issueDate": self.issue_date.isoformat() if self.issue_date else None, "typeCode": self.type_code,
                "sellerSiren": self.seller_siren, "buyerSiren": self.buyer_siren, "buyerName": self.buyer_name,
                "currency": self.currency,
                "totalIncludingVat": str(self.total_including_vat) if self.total_including_vat is not None else None,
                "status": self.current, "statusLabel": STATUSES[self.current].label if self.current else None,
                "statuses": [s.as_json() for s in self.statuses], "pendingSteps": list(self.pending_steps),
                "payments": [p.as_json() for p in self.payments], "received": str(self.received)}


@dataclass
class Flow:
    flow_id: str
    owner: str  # the OAuth2 client whose token sent it (or received it)
    organization: str | None  # Organization-Id header, for software serving several firms
    name: str
    syntax: str
    direction: str
    submitted_at: datetime
    updated_at: datetime
    sequence: int  # order of the last change: what search cursors bookmark
    sha256: str
    content_type: str
    tracking_id: str | None = None
    profile: str = "Undefined"
    processing_rule: str = "Undefined"
    processing_rule_source: str = "Computed"
    flow_type: str = "Undefined"
    ack_status: str = "Pending"
    ack_details: list[dict] = field(default_factory=list)
    invoice_flow_id: str | None = None  # a life-cycle flow: the invoice it is about

    def metadata(self) -> dict:
        """The OpenAPI `Flow` object."""
        found = {"flowId": self.flow_id, "submittedAt": _timestamp(self.submitted_at),
                 "updatedAt": _timestamp(self.updated_at), "name": self.name, "processingRule": self.processing_rule,
                 "processingRuleSource": self.processing_rule_source, "flowSyntax": self.syntax,
                 "flowProfile": self.profile, "flowType": self.flow_type, "flowDirection": self.direction,
                 "acknowledgement": {"status": self.ack_status}}
        if self.tracking_id:
            found["trackingId"] = self.tracking_id
        if self.ack_details:
            found["acknowledgement"]["details"] = self.ack_details
        return found

    def full_info(self) -> dict:
        """The OpenAPI `FullFlowInfo` object, the answer to POST /v1/flows."""
        found = {"flowId": self.flow_id, "submittedAt": _timestamp(self.submitted_at), "name": self.name,
                 "processingRule": self.processing_rule, "flowSyntax": self.syntax, "flowProfile": self.profile,
                 "sha256": self.sha256}
        if self.tracking_id:
            found["trackingId"] = self.tracking_id
        return found


@dataclass
class Webhook:
    webhook_id: str
    owner: str
    callback_url: str
    signing_key: str
    created_at: datetime
    flow_types: list[str] | None = None
    flow_direction: str | None = None
    ack_status: str | None = None

    def as_json(self, *, with_key: bool = True) -> dict:
        found = {"webhookId": self.webhook_id, "createdAt": _timestamp(self.created_at), "callbackUrl": self.callback_url}
        if with_key:
            found["signingKey"] = self.signing_key
        if self.flow_types:
            found["flowTypes"] = self.flow_types
        if self.flow_direction:
            found["flowDirection"] = self.flow_direction
        if self.ack_status:
            found["ackStatus"] = self.ack_status
        return found

    def wants(self, flow: Flow) -> bool:
        return (flow.owner == self.owner and (not self.flow_types or flow.flow_type in self.flow_types)
                and (not self.flow_direction or flow.direction == self.flow_direction)
                and (not self.ack_status or flow.ack_status == self.ack_status))


@dataclass
class _Rule:
    """A knob on the next requests: fail or slow those matching a method and a path prefix."""

    count: int | None  # None: every matching request until reset
    method: str | None
    path: str | None
    status: int = 503
    after: bool = False  # fail once the request has been processed (its flow stored): the lost-answer case
    delay: timedelta = timedelta(0)

    def matches(self, method: str, path: str) -> bool:
        return (self.count is None or self.count > 0) and (not self.method or self.method == method) and (
            not self.path or path.startswith(self.path))


@dataclass(frozen=True)
class Delivery:
    """One attempt to call a webhook back."""

    webhook_id: str
    url: str
    flow_id: str
    status: int | None  # HTTP status, None when it could not connect
    error: str | None = None


# ---------------------------------------------------------------------------------------------------- simulator


class PaSimulator:
    """The platform's state and behaviour; `start()` serves it over HTTP on a thread, `serve_forever()` in front."""

    def __init__(self, *, clients: Mapping[str, str] | None = None, folder: str | Path | None = None,
                 directory: Iterable[DirectoryEntry] = DEMO_DIRECTORY, step_delay: float | None = 3.0,
                 steps: tuple[int, ...] = (202, 203), token_lifetime: float = 3600.0, validate: bool = True,
                 french_rules: validation.FrenchRules = "fatal", max_file_size: int = flowapi.MAX_FILE_SIZE,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC),
                 clock: Callable[[], float] = time.monotonic) -> None:
        for code in steps:
            if STATUSES[code].issued_by != Role.PLATFORM:
                raise ValueError(f"status {code} is not a platform's: it cannot be an automatic step")
        self.clients = dict(clients or {"prebill": "prebill-secret"})
        self.step_delay, self.steps, self.token_lifetime = step_delay, tuple(steps), token_lifetime
        self.validate, self.french_rules, self.max_file_size = validate, french_rules, max_file_size
        self._now, self._clock = now, clock
        self.folder = Path(folder) if folder else None
        self._lock = threading.RLock()
        self._tokens: dict[str, tuple[str, float]] = {}
        self._flows: dict[str, Flow] = {}
        self._contents: dict[str, bytes] = {}  # flow id → original file (read from the folder when persisted)
        self._converted: dict[str, bytes] = {}  # Factur-X flow id → the embedded XML
        self._tracking: dict[tuple[str, str | None, str], str] = {}
        self._invoices: dict[str, InvoiceRecord] = {}
        self._webhooks: dict[str, Webhook] = {}
        self._directory: dict[str, list[DirectoryEntry]] = {}
        self._sequence = 0
        self._last_update: datetime | None = None
        self._failures: list[_Rule] = []
        self._slowness: list[_Rule] = []
        self._rejections: list[tuple[str, str]] = []
        self.deliveries: list[Delivery] = []
        self._deliveries: queue.Queue = queue.Queue()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._server: ThreadingHTTPServer | None = None
        for entry in directory:
            self.add_directory_entry(entry, save=False)
        if self.folder:
            self._load()

    # -------------------------------------------------------------------------------- serving

    def start(self, *, host: str = "127.0.0.1", port: int = 0) -> PaSimulator:
        """Serve on a thread (port 0: a free one); returns self, its `base_url` set."""
        server = self._server = _Server((host, port), _Handler, self)
        self._spawn(lambda: server.serve_forever(poll_interval=0.05), "pa-http")  # a quick stop() in tests
        self._start_background()
        return self

    def serve_forever(self, *, host: str = "127.0.0.1", port: int = 8790) -> None:
        """Serve in the calling thread until interrupted."""
        self._server = _Server((host, port), _Handler, self)
        self._start_background()
        try:
            self._server.serve_forever()
        finally:
            self.stop()

    def _start_background(self) -> None:
        self._spawn(self._deliver_webhooks, "pa-webhooks")
        if self.step_delay is not None:
            self._spawn(self._run_clock, "pa-clock")

    def _spawn(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self) -> None:
        """Stop serving and the background threads (idempotent)."""
        self._stopping.set()
        self._deliveries.put(None)
        if self._server is not None:
            server, self._server = self._server, None
            if threading.current_thread() not in self._threads:
                server.shutdown()
            server.server_close()
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(timeout=5)
        self._threads.clear()

    def __enter__(self) -> PaSimulator:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the simulator is not serving")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/auth-service/token"

    @property
    def flow_url(self) -> str:
        return f"{self.base_url}/flow-service"

    @property
    def directory_url(self) -> str:
        return f"{self.base_url}/directory-service"

    # -------------------------------------------------------------------------------- knobs

    def fail_next(self, count: int = 1, status: int = 503, *, after: bool = False, method: str | None = None,
                  path: str | None = None) -> None:
        """The next `count` requests (matching method and path prefix) answer `status` (500, 503, 429 ...).

        after=True: each is processed first (a flow stored), then answered with the error, as when the answer is
        lost on the way back.
        """
        with self._lock:
            self._failures.append(_Rule(count, method, path, status=status, after=after))

    def slow_down(self, seconds: Decimal | int | str, count: int | None = None, *, method: str | None = None,
                  path: str | None = None) -> None:
        """Answer the next `count` matching requests (every one when None) `seconds` late, once processed."""
        delay = timedelta(microseconds=int(Decimal(str(seconds)) * 1_000_000))
        with self._lock:
            self._slowness.append(_Rule(count, method, path, delay=delay))

    def reject_next(self, reason_code: str = "REJ_SEMAN", reason: str = "rejected on request (simulator)",
                    count: int = 1) -> None:
        """The next `count` invoices received are rejected (213) with this reason, whatever their content."""
        if problem := reason_problem(213, reason_code):
            raise ValueError(problem)
        with self._lock:
            self._rejections.extend([(reason_code, reason)] * count)

    def reset_knobs(self) -> None:
        """Forget every failure, slowness and rejection asked for."""
        with self._lock:
            self._failures.clear()
            self._slowness.clear()
            self._rejections.clear()

    def expire_tokens(self) -> None:
        """Every token given so far is now expired (the next calls get 401 until a new token is asked)."""
        with self._lock:
            self._tokens.clear()

    def advance(self, flow_id: str | None = None, *, steps: int | None = None) -> list[StatusEvent]:
        """Apply now the automatic statuses still to come (all, or `steps` of them) of one invoice or of all."""
        with self._lock:
            records = [self._invoice(flow_id)] if flow_id else list(self._invoices.values())
            events = []
            for record in records:
                for _ in range(len(record.pending_steps) if steps is None else min(steps, len(record.pending_steps))):
                    events.append(self._next_step(record))
            self._save()
            return events

    def emit_status(self, flow_id: str, code: int, *, reason_code: str | None = None, reason: str = "",
                    requested_action: str | None = None) -> StatusEvent:
        """The buyer (or its platform) sends status `code` about invoice `flow_id`: 204 … 211, with its reason.

        The buyer acts on an invoice made available to it: the transmission steps still to come are applied first.
        """
        described = status(code)
        if described.issued_by != Role.BUYER:
            raise ValueError(f"status {code} {described.label} is not the buyer's to send")
        if problem := reason_problem(code, reason_code):
            raise ValueError(problem)
        with self._lock:
            record = self._invoice(flow_id)
            if not record.accepted or any(STATUSES[s.code].final for s in record.statuses):
                raise ValueError(f"invoice {record.number} is {record.current}: no status can follow")
            while record.pending_steps:
                self._next_step(record)
            reasons = [cdar.Reason(reason_code, reason, requested_action)] if reason_code else []
            event = self._emit(record, code, reasons, by=Role.BUYER)
            self._save()
            return event

    # -------------------------------------------------------------------------------- views (tests, demo)

    def invoices(self) -> list[dict]:
        """Every invoice received, with its statuses and payments (not part of XP Z12-013: the simulator's view)."""
        with self._lock:
            return [record.as_json() for record in self._invoices.values()]

    def invoice(self, flow_id: str) -> dict:
        with self._lock:
            return self._invoice(flow_id).as_json()

    def flows(self) -> list[dict]:
        """Every flow, in the order of their last change."""
        with self._lock:
            return [flow.metadata() for flow in sorted(self._flows.values(), key=lambda f: f.sequence)]

    def document(self, flow_id: str) -> bytes:
        """The original file of a flow (the CDAR message of a life-cycle flow)."""
        with self._lock:
            self._flow(flow_id)
            return self._content(flow_id)

    def _invoice(self, flow_id: str) -> InvoiceRecord:
        try:
            return self._invoices[flow_id]
        except KeyError:
            raise KeyError(f"no invoice received in flow {flow_id}") from None

    def _flow(self, flow_id: str) -> Flow:
        try:
            return self._flows[flow_id]
        except KeyError:
            raise KeyError(f"no flow {flow_id}") from None

    # -------------------------------------------------------------------------------- OAuth2

    def issue_token(self, client_id: str, client_secret: str) -> dict:
        """The token response of RFC 6749 §4.4.3, or ApiError 401 invalid_client."""
        if client_id not in self.clients or not secrets.compare_digest(self.clients[client_id], client_secret):
            raise ApiError(401, "invalid_client", "unknown client or wrong secret", body={"error": "invalid_client"},
                           headers={"WWW-Authenticate": 'Basic realm="pa-simulator"'})
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._tokens[token] = (client_id, self._clock() + self.token_lifetime)
        return {"access_token": token, "token_type": "Bearer", "expires_in": int(self.token_lifetime)}

    def owner_of(self, authorization: str | None) -> str:
        """The client a bearer token was given to, or ApiError 401."""
        challenge = {"WWW-Authenticate": 'Bearer realm="pa-simulator"'}
        if not authorization or not authorization.lower().startswith("bearer "):
            raise ApiError(401, "MISSING_TOKEN", "an OAuth2 bearer token is required", headers=challenge)
        with self._lock:
            found = self._tokens.get(authorization[7:].strip())
            if found is None:
                raise ApiError(401, "INVALID_TOKEN", "unknown token", headers=challenge)
            if found[1] <= self._clock():
                del self._tokens[authorization[7:].strip()]
                raise ApiError(401, "INVALID_TOKEN", "expired token", headers=challenge)
            return found[0]

    # -------------------------------------------------------------------------------- flows

    def submit_flow(self, *, owner: str, organization: str | None, flow_info: Any, content: bytes,
                    content_type: str = "application/octet-stream") -> dict:
        """POST /v1/flows: store the flow, check it, answer its FullFlowInfo; the same trackingId, the first flow."""
        info = _checked_flow_info(flow_info)
        if len(content) > self.max_file_size:
            raise ApiError(413, "FILE_SIZE_EXCEEDED", f"the file is {len(content)} bytes: at most {self.max_file_size}")
        tracking = info.get("trackingId")
        with self._lock:
            if tracking and (first := self._tracking.get((owner, organization, tracking))):
                return self._flows[first].full_info()
            moment = self._tick()
            flow = Flow(flow_id=str(uuid.uuid4()), owner=owner, organization=organization, name=info["name"],
                        syntax=info["flowSyntax"], direction="Out", submitted_at=moment, updated_at=moment,
                        sequence=self._sequence, sha256=hashlib.sha256(content).hexdigest(),
                        content_type=content_type, tracking_id=tracking,
                        profile=info.get("flowProfile", "Undefined"),
                        processing_rule=info.get("processingRule", "Undefined"),
                        processing_rule_source="Input" if info.get("processingRule", "Undefined") != "Undefined"
                        else "Computed")
            self._store(flow, content)
            forced = self._rejections.pop(0) if self._rejections and flow.syntax not in ("CDAR", "FRR") else None
            self._save()
        try:
            self._process(flow, info, content, forced)
        except Exception as error:  # a crash in the checks must not leave the flow Pending for ever
            log.exception("flow %s could not be processed", flow.flow_id)
            with self._lock:
                self._acknowledge(flow, "Error", [_detail("file", "OtherTechnicalError", f"processing failed: {error}")])
        with self._lock:
            self._save()
            return flow.full_info()

    def _process(self, flow: Flow, info: dict, content: bytes, forced: tuple[str, str] | None) -> None:
        if info.get("sha256") and info["sha256"] != flow.sha256:
            with self._lock:
                self._acknowledge(flow, "Error", [_detail("sha256", "ChecksumMismatch",
                                                          f"sha256 given {info['sha256']}, file's {flow.sha256}")])
            return
        if flow.syntax == "CDAR":
            self._receive_status_message(flow, content)
            return
        if flow.syntax == "FRR":
            flow_type, problems = check_report(content)
            with self._lock:
                flow.flow_type = flow_type or "Undefined"
                self._acknowledge(flow, "Error" if problems else "Ok", problems)
            return
        report = validation.check_invoice(content, flow.syntax, french_rules=self.french_rules,
                                          run_rules=self.validate)
        with self._lock:
            self._receive_invoice(flow, report, forced)

    def _receive_invoice(self, flow: Flow, report: validation.InvoiceReport, forced: tuple[str, str] | None) -> None:
        facts = report.facts
        if report.xml is not None and flow.syntax == "Factur-X":
            self._converted[flow.flow_id] = report.xml
            self._write(f"{flow.flow_id}.converted", report.xml)
        if facts is None:
            self._acknowledge(flow, "Error", [_detail("file", report.unreadable.reason_code, report.unreadable.message)])
            return
        flow.flow_type = "SupplierInvoice" if facts.type_code in SELF_BILLED_TYPES else "CustomerInvoice"
        if flow.profile == "Undefined":
            flow.profile = _profile(facts.profile)
        if flow.processing_rule == "Undefined":
            flow.processing_rule = flowapi.PROCESSING_RULE_OF_CATEGORY.get((facts.transaction_category or "").upper(),
                                                                          "B2B")
        record = InvoiceRecord(
            flow_id=flow.flow_id, number=facts.number or flow.name, issue_date=facts.issue_date,
            type_code=facts.type_code, seller_siren=facts.seller_siren, seller_name=facts.seller_name,
            seller_address=facts.seller_address, buyer_siren=facts.buyer_siren, buyer_name=facts.buyer_name,
            currency=facts.currency, total_including_vat=facts.total_including_vat, vat_rates=list(facts.vat_rates))
        self._invoices[flow.flow_id] = record
        warnings = [_detail(f.rule, "REJ_SEMAN", f.message, level="Warning") for f in report.warnings]
        if report.unreadable is not None:
            self._acknowledge(flow, "Error", [_detail("file", report.unreadable.reason_code, report.unreadable.message)])
            self._emit(record, 501, [cdar.Reason(report.unreadable.status_reason, report.unreadable.message)])
            return
        schema = [f for f in report.fatal if f.source == "XSD"]
        if schema:
            self._acknowledge(flow, "Error", [_detail("XSD", "InvalidSchema", f"{f.location}: {f.message}")
                                              for f in schema])
            self._emit(record, 501, [cdar.Reason("IRR_SYNTAX", f"{f.location}: {f.message}") for f in schema])
            return
        if forced:
            code, text = forced
            self._acknowledge(flow, "Error", [_detail("invoice", code, text)])
            self._emit(record, 213, [cdar.Reason(code, text)])
            return
        if report.fatal:
            self._acknowledge(flow, "Error", [_detail(f.rule, "REJ_SEMAN", f.message) for f in report.fatal] + warnings)
            reasons = list(dict.fromkeys(cdar.Reason("REJ_SEMAN", f"{f.rule}: {f.message}") for f in report.fatal))
            self._emit(record, 213, reasons)
            return
        if duplicate := self._accepted_with_number(record):
            message = f"invoice {record.number} of seller {record.seller_siren} was already received (flow {duplicate})"
            self._acknowledge(flow, "Error", [_detail("invoice", "AlreadyExistingFlow", message), *warnings])
            self._emit(record, 213, [cdar.Reason("REJ_UNI", message)])
            return
        record.accepted = True
        self._acknowledge(flow, "Ok", warnings)
        self._emit(record, 200)
        if flow.processing_rule in TRANSMITTED_RULES:
            record.pending_steps = list(self.steps)
            self._schedule(record)

    def _accepted_with_number(self, record: InvoiceRecord) -> str | None:
        year = record.issue_date.year if record.issue_date else None
        for other in self._invoices.values():
            if (other.accepted and other.number == record.number and other.seller_siren == record.seller_siren
                    and (other.issue_date.year if other.issue_date else None) == year):
                return other.flow_id
        return None

    def _receive_status_message(self, flow: Flow, content: bytes) -> None:
        flow.flow_type = "CustomerInvoiceLC"
        try:
            message = cdar.parse_status_message(content)
            failures = [f for f in validation.check_status_message(content) if f.flag == "fatal"]
        except xmlsafe.NotXml as error:
            with self._lock:
                self._acknowledge(flow, "Error", [_detail("file", "InvalidSchema", f"not XML: {error}")])
            return
        except cdar.CdarError as error:
            with self._lock:
                self._acknowledge(flow, "Error", [_detail("file", "InvoiceLCRuleError", str(error))])
            return
        with self._lock:
            if failures:
                self._acknowledge(flow, "Error", [_detail(f.rule, "InvoiceLCRuleError", f.message) for f in failures])
                return
            try:
                record = self._record_status(flow, message)
            except _Refused as refused:
                self._acknowledge(flow, "Error", [_detail(refused.item, refused.reason_code, str(refused))])
                return
            invoice_flow = self._flows[record.flow_id]
            flow.invoice_flow_id, flow.flow_type = record.flow_id, f"{invoice_flow.flow_type}LC"
            if flow.processing_rule == "Undefined":
                flow.processing_rule = invoice_flow.processing_rule
            self._acknowledge(flow, "Ok", [])

    def _record_status(self, flow: Flow, message: cdar.StatusMessage) -> InvoiceRecord:
        """Record a status the seller sends (209 Complétée, 212 Encaissée) against its invoice, or _Refused."""
        if message.status not in STATUSES:
            raise _Refused("status", "InvoiceLCStatusError", f"unknown status {message.status}")
        described = STATUSES[message.status]
        if described.issued_by != Role.SELLER:
            raise _Refused("status", "InvoiceLCStatusError",
                           f"status {message.status} {described.label} is not the seller's to send")
        record = next((r for r in self._invoices.values()
                       if self._flows[r.flow_id].owner == flow.owner and r.number == message.invoice_number
                       and r.seller_siren == message.seller_siren
                       and (message.invoice_date is None or r.issue_date == message.invoice_date)), None)
        if record is None:
            raise _Refused("invoice", "InvoiceLCInvalidStatus",
                           f"no invoice {message.invoice_number} of seller {message.seller_siren} was received")
        if not record.accepted or record.has(210):
            raise _Refused("invoice", "InvoiceLCInvalidStatus",
                           f"invoice {record.number} is {record.current} {STATUSES[record.current].label}")
        if message.status == 209 and record.current != 208:
            raise _Refused("status", "InvoiceLCInvalidStatus", f"invoice {record.number} is not suspended (208)")
        if message.status == 212:
            self._check_amounts(record, message)
            for collected in message.amounts:
                record.payments.append(Payment(collected.amount, collected.vat_rate, collected.currency,
                                               message.received_on, flow.flow_id))
        record.statuses.append(StatusEvent(message.status, self._now(), Role.SELLER.value, flow.flow_id,
                                           [{"code": r.code, "text": r.text} for r in message.reasons]))
        return record

    @staticmethod
    def _check_amounts(record: InvoiceRecord, message: cdar.StatusMessage) -> None:
        rates = {rate.normalize() for rate in record.vat_rates}
        for collected in message.amounts:
            if rates and collected.vat_rate.normalize() not in rates:
                raise _Refused("amount", "InvoiceLCAmountError",
                               f"VAT rate {collected.vat_rate} % is not one of invoice {record.number}'s")
        received = record.received + sum((c.amount for c in message.amounts), Decimal("0"))
        if received < 0 or (record.total_including_vat is not None and received > record.total_including_vat):
            raise _Refused("amount", "InvoiceLCAmountError",
                           f"{received} received in all for invoice {record.number} of {record.total_including_vat}")

    def _emit(self, record: InvoiceRecord, code: int, reasons: Iterable[cdar.Reason] = (), *,
              by: Role = Role.PLATFORM) -> StatusEvent:
        """A life-cycle flow (CustomerInvoiceLC, In, CDAR) telling the seller status `code` of `record`."""
        invoice_flow = self._flows[record.flow_id]
        reasons = list(reasons)[:_MAX_DETAILS]
        moment = self._tick()
        flow_id = str(uuid.uuid4())
        seller = cdar.Party(Role.SELLER, siren=record.seller_siren, name=record.seller_name,
                            electronic_address=record.seller_address or record.seller_siren or invoice_flow.owner)
        issuer = cdar.Party(Role.BUYER, siren=record.buyer_siren, name=record.buyer_name) if by == Role.BUYER \
            else cdar.Party(Role.PLATFORM, name=PLATFORM_NAME)
        message = cdar.StatusMessage(
            message_id=flow_id, issued_at=moment, status=code, invoice_number=record.number,
            invoice_date=record.issue_date, seller_siren=record.seller_siren,
            sender=cdar.Party(Role.PLATFORM, name=PLATFORM_NAME), issuer=issuer, recipients=(seller,),
            invoice_type=record.type_code, reasons=tuple(reasons),
            # MDT-2: BR-FR-CDV-CL-01 (v1.4.0.01) compares its other values with the wrong node, so that only
            # REGULATED passes it: every message says REGULATED.
            business_process="REGULATED")
        content = cdar.status_message_xml(message)
        flow = Flow(flow_id=flow_id, owner=invoice_flow.owner, organization=invoice_flow.organization,
                    name=f"{record.number}-{code}.xml", syntax="CDAR", direction="In", submitted_at=moment,
                    updated_at=moment, sequence=self._sequence, sha256=hashlib.sha256(content).hexdigest(),
                    content_type="application/xml", profile="Undefined",
                    processing_rule=invoice_flow.processing_rule, flow_type=f"{invoice_flow.flow_type}LC",
                    ack_status="Ok", invoice_flow_id=record.flow_id)
        self._store(flow, content)
        event = StatusEvent(code, moment, by.value, flow_id, [{"code": r.code, "text": r.text} for r in reasons])
        record.statuses.append(event)
        self._notify(flow)
        return event

    def _next_step(self, record: InvoiceRecord) -> StatusEvent:
        event = self._emit(record, record.pending_steps.pop(0))
        self._schedule(record)
        return event

    def _schedule(self, record: InvoiceRecord) -> None:
        record.next_step_at = (self._clock() + self.step_delay) if record.pending_steps and self.step_delay is not None \
            else None

    def _run_clock(self) -> None:
        while not self._stopping.wait(0.1):
            with self._lock:
                due = [r for r in self._invoices.values()
                       if r.next_step_at is not None and r.next_step_at <= self._clock()]
                for record in due:
                    self._next_step(record)
                if due:
                    self._save()

    def _tick(self) -> datetime:
        """Now, strictly after the last change: updatedAt orders the flows as the cursors do."""
        moment = self._now()
        moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)  # the answers show milliseconds
        if self._last_update is not None and moment <= self._last_update:
            moment = self._last_update + timedelta(milliseconds=1)
        self._last_update = moment
        self._sequence += 1
        return self._last_update

    def _store(self, flow: Flow, content: bytes) -> None:
        self._flows[flow.flow_id] = flow
        self._contents[flow.flow_id] = content
        if flow.tracking_id:
            self._tracking[(flow.owner, flow.organization, flow.tracking_id)] = flow.flow_id
        self._write(flow.flow_id, content)

    def _acknowledge(self, flow: Flow, ack_status: str, details: list[dict]) -> None:
        # A rule failed on ten lines is said once: the details differ by their location only.
        unique = list({tuple(detail.items()): detail for detail in details}.values())
        flow.ack_status, flow.ack_details = ack_status, unique[:_MAX_DETAILS]
        flow.updated_at = self._tick()
        flow.sequence = self._sequence
        self._notify(flow)

    def _content(self, flow_id: str) -> bytes:
        if flow_id not in self._contents and self.folder:
            self._contents[flow_id] = (self.folder / "flows" / flow_id).read_bytes()
        return self._contents[flow_id]

    def _visible(self, flow: Flow, owner: str, organization: str | None) -> bool:
        return flow.owner == owner and (organization is None or flow.organization == organization)

    def search_flows(self, *, owner: str, organization: str | None, params: Any) -> dict:
        """POST /v1/flows/search: the flows matching every criterion, in the order of their last change."""
        if not isinstance(params, dict) or not isinstance(params.get("where"), dict) or not params["where"]:
            raise _bad("MISSING_REQUIRED_FIELD", "where: at least one criterion is required")
        where = params["where"]
        limit = params.get("limit", flowapi.DEFAULT_LIMIT)
        if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= flowapi.MAX_LIMIT:
            raise _bad("INVALID_FIELD_VALUE", f"limit: an integer from 1 to {flowapi.MAX_LIMIT}")
        after = _cursor_position(params["cursor"]) if params.get("cursor") is not None else 0
        test = _flow_filter(where)
        with self._lock:
            found = sorted((f for f in self._flows.values()
                            if f.sequence > after and self._visible(f, owner, organization) and test(f)),
                           key=lambda f: f.sequence)
            page = found[:limit]
            answer = {"limit": limit, "filters": where, "results": [f.metadata() for f in page]}
            if len(found) > limit:
                answer["nextCursor"] = _cursor(page[-1].sequence)
            return answer

    def get_flow(self, *, owner: str, organization: str | None, flow_id: str, doc_type: str) -> tuple[dict | bytes, str,
                                                                                                      str | None]:
        """GET /v1/flows/{flowId}: (the Flow metadata or the file, its content type, its file name)."""
        if doc_type not in flowapi.DOC_TYPES:
            raise _bad("INVALID_FIELD_VALUE", f"docType: one of {', '.join(flowapi.DOC_TYPES)}")
        with self._lock:
            flow = self._flows.get(flow_id)
            if flow is None or not self._visible(flow, owner, organization):
                raise ApiError(404, "MISSING_RESOURCE", f"no flow {flow_id}")
            if doc_type == "Metadata":
                return flow.metadata(), "application/json", None
            if doc_type == "Original" or (doc_type == "ReadableView" and flow.syntax == "Factur-X"):
                return self._content(flow_id), flow.content_type, flow.name
            if doc_type == "Converted" and flow.syntax == "Factur-X" and self._converted_xml(flow_id):
                return self._converted_xml(flow_id), "application/xml", "factur-x.xml"
            raise ApiError(404, "MISSING_RESOURCE", f"flow {flow_id} has no {doc_type} document")

    def _converted_xml(self, flow_id: str) -> bytes | None:
        if flow_id not in self._converted and self.folder and (self.folder / "flows" / f"{flow_id}.converted").exists():
            self._converted[flow_id] = (self.folder / "flows" / f"{flow_id}.converted").read_bytes()
        return self._converted.get(flow_id)

    # -------------------------------------------------------------------------------- webhooks

    def create_webhook(self, *, owner: str, params: Any) -> dict:
        if not isinstance(params, dict) or not isinstance(params.get("callbackUrl"), str):
            raise _bad("MISSING_REQUIRED_FIELD", "callbackUrl is required")
        url = params["callbackUrl"]
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
            raise _bad("INVALID_FIELD_VALUE", f"callbackUrl {url!r} is not an http(s) URL")
        flow_types = params.get("flowTypes")
        if flow_types is not None and (not isinstance(flow_types, list) or not set(flow_types) <= set(flowapi.FLOW_TYPES)):
            raise _bad("INVALID_FIELD_VALUE", "flowTypes: a list of FlowType")
        for name, allowed in (("flowDirection", flowapi.FLOW_DIRECTIONS), ("ackStatus", flowapi.ACK_STATUSES)):
            if params.get(name) is not None and params[name] not in allowed:
                raise _bad("INVALID_FIELD_VALUE", f"{name}: one of {', '.join(allowed)}")
        webhook = Webhook(webhook_id=str(uuid.uuid4()), owner=owner, callback_url=url,
                          signing_key=base64.b64encode(secrets.token_bytes(32)).decode(), created_at=self._now(),
                          flow_types=flow_types, flow_direction=params.get("flowDirection"),
                          ack_status=params.get("ackStatus"))
        with self._lock:
            self._webhooks[webhook.webhook_id] = webhook
            self._save()
        return {"webhookId": webhook.webhook_id, "signingKey": webhook.signing_key,
                "createdAt": _timestamp(webhook.created_at)}

    def list_webhooks(self, *, owner: str) -> dict:
        with self._lock:
            mine = [w for w in self._webhooks.values() if w.owner == owner]
        # The OpenAPI requires `count` and `webhookIds` but describes `count` and `webhooks`: both are given.
        return {"count": len(mine), "webhookIds": [w.webhook_id for w in mine], "webhooks": [w.as_json() for w in mine]}

    def delete_webhook(self, *, owner: str, webhook_id: str) -> None:
        with self._lock:
            webhook = self._webhooks.get(webhook_id)
            if webhook is None or webhook.owner != owner:
                raise ApiError(404, "MISSING_RESOURCE", f"no webhook {webhook_id}")
            del self._webhooks[webhook_id]
            self._save()

    def _notify(self, flow: Flow) -> None:
        for webhook in self._webhooks.values():
            if webhook.wants(flow):
                self._deliveries.put((webhook, flow.metadata()))

    def _deliver_webhooks(self) -> None:
        while (item := self._deliveries.get()) is not None:
            webhook, payload = item
            body = json.dumps(payload, ensure_ascii=False).encode()
            for attempt in range(3):
                if self._stopping.is_set():
                    return
                stamp = int(time.time())
                request = urllib.request.Request(webhook.callback_url, data=body, method="POST", headers={
                    "Content-Type": "application/json", "Afnor-Signature-Timestamp": str(stamp),
                    "Afnor-Signature": flowapi.webhook_signature(body, stamp, webhook.signing_key)})
                try:
                    with urllib.request.urlopen(request, timeout=5) as answer:
                        outcome = Delivery(webhook.webhook_id, webhook.callback_url, payload["flowId"], answer.status)
                except urllib.error.HTTPError as error:
                    outcome = Delivery(webhook.webhook_id, webhook.callback_url, payload["flowId"], error.code, str(error))
                except OSError as error:
                    outcome = Delivery(webhook.webhook_id, webhook.callback_url, payload["flowId"], None, str(error))
                with self._lock:
                    self.deliveries.append(outcome)
                    del self.deliveries[:-1000]
                if outcome.status is not None and outcome.status < 300:
                    break
                self._stopping.wait(0.2 * 2 ** attempt)

    # -------------------------------------------------------------------------------- directory

    def add_directory_entry(self, entry: DirectoryEntry, *, save: bool = True) -> None:
        """Add a directory line (a second line of the same SIREN adds an establishment or a suffix)."""
        with self._lock:
            lines = self._directory.setdefault(entry.siren, [])
            lines[:] = [line for line in lines if line.addressing_identifier != entry.addressing_identifier] + [entry]
            if save:
                self._save()

    def remove_directory_entry(self, siren: str) -> None:
        with self._lock:
            self._directory.pop(siren, None)
            self._save()

    def _legal_unit(self, siren: str) -> dict:
        entry = self._directory[siren][0]
        return {"siren": siren, "businessName": entry.name, "entityType": entry.entity_type, "administrativeStatus": "A",
                "instructions": {"isSalesProspectingForbidden": False}}

    def _facility(self, entry: DirectoryEntry) -> dict:
        return {"siret": entry.siret, "siren": entry.siren, "name": entry.name, "facilityType": "P",
                "administrativeStatus": "A", "instructions": {"isSalesProspectingForbidden": False},
                "address": {"countryCode": "FR", "countryName": "France"}}

    def _line(self, entry: DirectoryEntry, include: list[str], *, unique_status: bool = False) -> dict:
        line = {"addressingIdentifier": entry.addressing_identifier, "platformType": entry.platform_type,
                "directoryLineStatus": "Disabled" if unique_status and entry.line_status == "Upcoming"
                else entry.line_status, "siren": entry.siren}
        if entry.siret:
            line["siret"] = entry.siret
        if entry.suffix:
            line["addressingSuffix"] = entry.suffix
        if "siren" in include:
            line["legalUnit"] = self._legal_unit(entry.siren)
        if "siret" in include and entry.siret:
            line["facility"] = self._facility(entry)
        return line

    def company(self, siren: str, fields: list[str]) -> dict:
        """GET /v1/siren/code-insee:{siren}."""
        _check_pattern(siren, r"\d{9}", "siren")
        with self._lock:
            if siren not in self._directory:
                raise ApiError(404, "MISSING_RESOURCE", f"no company with SIREN {siren} in the directory")
            return _only(self._legal_unit(siren), fields)

    def facility(self, siret: str, fields: list[str], include: list[str]) -> dict:
        """GET /v1/siret/code-insee:{siret}."""
        _check_pattern(siret, r"\d{14}", "siret")
        with self._lock:
            entry = next((e for e in self._directory.get(siret[:9], []) if e.siret == siret), None)
            if entry is None:
                raise ApiError(404, "MISSING_RESOURCE", f"no establishment with SIRET {siret} in the directory")
            # The OpenAPI names the instructions siretInstructions here, instructions in an included facility.
            found = self._facility(entry)
            found["siretInstructions"] = found.pop("instructions")
            if "siren" in include:
                found["legalUnit"] = self._legal_unit(entry.siren)
            return _only(found, fields, keep=("legalUnit",))

    def search_companies(self, params: Any) -> dict:
        """POST /v1/siren/search (filters siren, businessName, entityType; limit, ignore)."""
        params = params if isinstance(params, dict) else {}
        filters = params.get("filters") or {}
        with self._lock:
            found = [self._legal_unit(siren) for siren in sorted(self._directory)
                     if _matches(siren, filters.get("siren"))
                     and _matches(self._directory[siren][0].name, filters.get("businessName"))
                     and _matches(self._directory[siren][0].entity_type, filters.get("entityType"))]
        return _page(params, [_only(unit, params.get("fields") or []) for unit in found])

    def search_lines(self, params: Any) -> dict:
        """POST /v1/directory-line/search (filters addressingIdentifier, siren, siret, addressingSuffix)."""
        params = params if isinstance(params, dict) else {}
        filters, include = params.get("filters") or {}, params.get("include") or []
        with self._lock:
            found = [self._line(entry, include) for siren in sorted(self._directory) for entry in self._directory[siren]
                     if _matches(entry.siren, filters.get("siren")) and _matches(entry.siret, filters.get("siret"))
                     and _matches(entry.addressing_identifier, filters.get("addressingIdentifier"))
                     and _matches(entry.suffix, filters.get("addressingSuffix"))]
        return _page(params, [_only(line, params.get("fields") or [], keep=("legalUnit", "facility", "platformType",
                                                                            "directoryLineStatus")) for line in found])

    def directory_line(self, addressing_identifier: str, include: list[str], fields: list[str]) -> dict:
        """GET /v1/directory-line/code:{addressing-identifier}."""
        with self._lock:
            entry = next((e for lines in self._directory.values() for e in lines
                          if e.addressing_identifier == addressing_identifier), None)
            if entry is None:
                raise ApiError(404, "MISSING_RESOURCE", f"no directory line {addressing_identifier}")
            return _only(self._line(entry, include, unique_status=True), fields,
                         keep=("legalUnit", "facility", "platformType", "directoryLineStatus"))

    # -------------------------------------------------------------------------------- request knobs

    def _take(self, rules: list[_Rule], method: str, path: str, *, after: bool = False) -> _Rule | None:
        """The first rule matching this request, counted as used (and forgotten once used up)."""
        with self._lock:
            rule = next((r for r in rules if r.after == after and r.matches(method, path)), None)
            if rule is not None and rule.count is not None:
                rule.count -= 1
                rules[:] = [r for r in rules if r.count is None or r.count > 0]
            return rule

    def _failure(self, method: str, path: str, *, after: bool) -> _Rule | None:
        return self._take(self._failures, method, path, after=after)

    def _delay(self, method: str, path: str) -> timedelta:
        rule = self._take(self._slowness, method, path)
        return rule.delay if rule else timedelta(0)

    # -------------------------------------------------------------------------------- persistence

    def _write(self, name: str, content: bytes) -> None:
        if self.folder:
            target = self.folder / "flows" / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)

    def _save(self) -> None:
        if not self.folder:
            return
        state = {"sequence": self._sequence,
                 "lastUpdate": _timestamp(self._last_update) if self._last_update else None,
                 "flows": [_flow_state(f) for f in self._flows.values()],
                 "invoices": [_invoice_state(r) for r in self._invoices.values()],
                 "webhooks": [asdict(w) | {"created_at": _timestamp(w.created_at)} for w in self._webhooks.values()],
                 "directory": [asdict(e) for lines in self._directory.values() for e in lines]}
        self.folder.mkdir(parents=True, exist_ok=True)
        temporary = self.folder / f"state.json.{os.getpid()}.{threading.get_ident()}"
        temporary.write_text(json.dumps(state, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(temporary, self.folder / "state.json")

    def _load(self) -> None:
        path = self.folder / "state.json"
        if not path.exists():
            return
        state = json.loads(path.read_text(encoding="utf-8"))
        self._sequence = state["sequence"]
        self._last_update = _parse_timestamp(state["lastUpdate"], "lastUpdate") if state.get("lastUpdate") else None
        for row in state["flows"]:
            flow = Flow(**(row | {"submitted_at": _parse_timestamp(row["submitted_at"], "submitted_at"),
                                  "updated_at": _parse_timestamp(row["updated_at"], "updated_at")}))
            self._flows[flow.flow_id] = flow
            if flow.tracking_id:
                self._tracking[(flow.owner, flow.organization, flow.tracking_id)] = flow.flow_id
        for row in state["invoices"]:
            record = _invoice_from_state(row)
            self._invoices[record.flow_id] = record
            self._schedule(record)
        for row in state["webhooks"]:
            webhook = Webhook(**(row | {"created_at": _parse_timestamp(row["created_at"], "created_at")}))
            self._webhooks[webhook.webhook_id] = webhook
        if state.get("directory"):
            self._directory.clear()
            for row in state["directory"]:
                self.add_directory_entry(DirectoryEntry(**row), save=False)


class _Refused(Exception):
    """A status message the platform does not accept: the acknowledgement detail to give."""

    def __init__(self, item: str, reason_code: str, message: str) -> None:
        super().__init__(message)
        self.item, self.reason_code = item, reason_code


def _detail(item: str, reason_code: str, message: str, *, level: str = "Error") -> dict:
    return {"level": level, "item": item, "reasonCode": reason_code, "reasonMessage": message}


def _profile(bt24: str | None) -> str:
    if not bt24:
        return "Undefined"
    if "extended-ctc-fr" in bt24.lower():
        return "Extended-CTC-FR"
    if bt24 == validation.EN16931:
        return "CIUS"  # the EN 16931 profile: the French CIUS of the core invoice
    return "Basic" if "basic" in bt24.lower() or "minimum" in bt24.lower() else "Undefined"


def _checked_flow_info(info: Any) -> dict:
    """The flowInfo part, or ApiError 400 naming the field that is missing or wrong."""
    if not isinstance(info, dict):
        raise _bad("MISSING_REQUIRED_FIELD", "flowInfo must be a JSON object")
    for name in ("name", "flowSyntax"):
        if name not in info:
            raise _bad("MISSING_REQUIRED_FIELD", f"flowInfo.{name} is required")
    if not isinstance(info["name"], str) or not 0 < len(info["name"]) <= flowapi.MAX_NAME_LENGTH:
        raise _bad("INVALID_FIELD_VALUE", f"flowInfo.name: a string of 1 to {flowapi.MAX_NAME_LENGTH} characters")
    if "trackingId" in info and (not isinstance(info["trackingId"], str)
                                 or not 0 < len(info["trackingId"]) <= flowapi.MAX_ID_LENGTH):
        raise _bad("INVALID_FIELD_VALUE", f"flowInfo.trackingId: a string of 1 to {flowapi.MAX_ID_LENGTH} characters")
    for name, allowed in (("flowSyntax", flowapi.FLOW_SYNTAXES), ("processingRule", flowapi.PROCESSING_RULES),
                          ("flowProfile", flowapi.FLOW_PROFILES)):
        if name in info and info[name] not in allowed:
            raise _bad("INVALID_FIELD_VALUE", f"flowInfo.{name}: one of {', '.join(allowed)}")
    if "sha256" in info and not (isinstance(info["sha256"], str) and re.fullmatch(r"[a-f0-9]{64}", info["sha256"])):
        raise _bad("INVALID_FIELD_VALUE", "flowInfo.sha256: 64 lowercase hexadecimal digits")
    return info


REPORT_NS = "urn:prebill:e-reporting:1"
REPORT_TYPES = {"10.1": "UnitaryCustomerTransactionReport", "10.2": "UnitaryCustomerPaymentReport",
                "10.3": "AggregatedCustomerTransactionReport", "10.4": "AggregatedCustomerPaymentReport"}


def check_report(content: bytes) -> tuple[str | None, list[dict]]:
    """(flow type, problems) of an e-reporting flow in prebill's layout (prebill.einvoicing.ereporting): the
    declarant and the period given, and the totals the exact sums of the entries."""
    try:
        root = xmlsafe.parse(content)
    except xmlsafe.NotXml as error:
        return None, [_detail("file", "InvalidSchema", f"not XML: {error}")]
    if root.tag != f"{{{REPORT_NS}}}Report" or root.get("flow") not in REPORT_TYPES:
        return None, [_detail("file", "FlowTypeError", f"not an e-reporting flow 10.1-10.4 ({root.tag})")]
    problems = []
    declarant, period = root.find(f"{{{REPORT_NS}}}Declarant"), root.find(f"{{{REPORT_NS}}}Period")
    if declarant is None or not re.fullmatch(r"\d{9}", declarant.get("siren") or ""):
        problems.append(_detail("Declarant", "InvalidSchema", "the declarant's SIREN (9 digits) is required"))
    try:
        first, last = date.fromisoformat(period.get("first")), date.fromisoformat(period.get("last"))
        if last < first:
            problems.append(_detail("Period", "InvalidSchema", f"the period ends ({last}) before it starts ({first})"))
    except (AttributeError, TypeError, ValueError):
        problems.append(_detail("Period", "InvalidSchema", "the period's first and last days are required"))
    totals = root.find(f"{{{REPORT_NS}}}Totals")
    entries = [e for e in root.iter() if e.tag in (f"{{{REPORT_NS}}}Day", f"{{{REPORT_NS}}}Invoice",
                                                   f"{{{REPORT_NS}}}Payment")]
    try:
        amounts = [Decimal(e.get("amount")) for e in root.iter(f"{{{REPORT_NS}}}Vat", f"{{{REPORT_NS}}}Received")]
        bases = [Decimal(e.get("base")) for e in root.iter(f"{{{REPORT_NS}}}Vat")]
        if totals is None:
            raise ValueError("no Totals")
        if int(totals.get("entries")) != len(entries):
            problems.append(_detail("Totals", "InvalidSchema", f"{totals.get('entries')} entries said, {len(entries)} given"))
        payments = root.get("flow") in ("10.2", "10.4")
        expected = (sum(amounts, Decimal("0")), Decimal("0")) if payments else (sum(bases, Decimal("0")),
                                                                                 sum(amounts, Decimal("0")))
        if (Decimal(totals.get("base")), Decimal(totals.get("vat"))) != expected:
            problems.append(_detail("Totals", "InvalidSchema", f"totals {totals.get('base')} / {totals.get('vat')} "
                                    f"are not the sums of the entries ({expected[0]} / {expected[1]})"))
    except (TypeError, ValueError, ArithmeticError) as error:
        problems.append(_detail("Totals", "InvalidSchema", f"amounts unreadable: {error}"))
    return REPORT_TYPES[root.get("flow")], problems


def _cursor(sequence: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": sequence}).encode()).decode()


def _cursor_position(cursor: Any) -> int:
    try:
        position = json.loads(base64.urlsafe_b64decode(cursor.encode()))["after"]
    except (AttributeError, ValueError, KeyError, TypeError, binascii.Error):
        raise _bad("INVALID_FIELD_VALUE", "cursor: not a cursor this platform gave") from None
    if not isinstance(position, int):
        raise _bad("INVALID_FIELD_VALUE", "cursor: not a cursor this platform gave")
    return position


def _flow_filter(where: dict) -> Callable[[Flow], bool]:
    """The test of the SearchFlowFilters (criteria AND-ed, values of a list OR-ed), or ApiError 400."""
    tests: list[Callable[[Flow], bool]] = []
    for name, allowed, attribute in (("processingRule", flowapi.PROCESSING_RULES, "processing_rule"),
                                     ("flowType", flowapi.FLOW_TYPES, "flow_type"),
                                     ("flowDirection", flowapi.FLOW_DIRECTIONS, "direction")):
        if name in where:
            values = where[name]
            if not isinstance(values, list) or not set(values) <= set(allowed):
                raise _bad("INVALID_FIELD_VALUE", f"where.{name}: a list of {', '.join(allowed)}")
            tests.append(lambda f, a=attribute, v=frozenset(values): getattr(f, a) in v)
    if "ackStatus" in where:
        if where["ackStatus"] not in flowapi.ACK_STATUSES:
            raise _bad("INVALID_FIELD_VALUE", f"where.ackStatus: one of {', '.join(flowapi.ACK_STATUSES)}")
        tests.append(lambda f, v=where["ackStatus"]: f.ack_status == v)
    if "trackingId" in where:
        tests.append(lambda f, v=where["trackingId"]: f.tracking_id == v)
    if "updatedAfter" in where:
        after = _parse_timestamp(where["updatedAfter"], "where.updatedAfter")
        tests.append(lambda f: f.updated_at > after)  # strict, as the OpenAPI says
    if "updatedBefore" in where:
        before = _parse_timestamp(where["updatedBefore"], "where.updatedBefore")
        tests.append(lambda f: f.updated_at < before)
    if not tests:
        raise _bad("MISSING_REQUIRED_FIELD", "where: at least one known criterion is required")
    return lambda flow: all(test(flow) for test in tests)


def _check_pattern(value: str, pattern: str, name: str) -> None:
    if not re.fullmatch(pattern, value):
        raise _bad("INVALID_FIELD_VALUE", f"{name} {value!r} does not match {pattern}")


def _matches(value: str | None, criterion: Any) -> bool:
    """A directory filter {"op": strict | contains | startWith, "value": ...} (no criterion: everything)."""
    if not criterion:
        return True
    if not isinstance(criterion, dict) or "value" not in criterion:
        raise _bad("INVALID_FIELD_VALUE", "a filter is {\"op\": ..., \"value\": ...}")
    wanted, op = str(criterion["value"]), criterion.get("op", "strict")
    if value is None:
        return False
    if op == "strict":
        return value == wanted
    if op == "contains":
        return wanted.lower() in value.lower()
    if op == "startWith":
        return value.lower().startswith(wanted.lower())
    raise _bad("INVALID_FIELD_VALUE", f"filter operator {op!r}: strict, contains or startWith")


def _page(params: dict, results: list[dict]) -> dict:
    limit, ignore = params.get("limit", 50), params.get("ignore", 0)
    if not isinstance(limit, int) or not isinstance(ignore, int) or limit < 1 or ignore < 0:
        raise _bad("INVALID_FIELD_VALUE", "limit: a positive integer, ignore: zero or more")
    return {"search": params, "totalNumberOfResults": len(results), "results": results[ignore:ignore + limit]}


def _only(found: dict, fields: list[str], keep: tuple[str, ...] = ()) -> dict:
    return {k: v for k, v in found.items() if k in fields or k in keep} if fields else found


def _flow_state(flow: Flow) -> dict:
    return asdict(flow) | {"submitted_at": _timestamp(flow.submitted_at), "updated_at": _timestamp(flow.updated_at)}


def _invoice_state(record: InvoiceRecord) -> dict:
    return {"flow_id": record.flow_id, "number": record.number,
            "issue_date": record.issue_date.isoformat() if record.issue_date else None, "type_code": record.type_code,
            "seller_siren": record.seller_siren, "seller_name": record.seller_name,
            "seller_address": record.seller_address, "buyer_siren": record.buyer_siren, "buyer_name": record.buyer_name,
            "currency": record.currency,
            "total_including_vat": str(record.total_including_vat) if record.total_including_vat is not None else None,
            "vat_rates": [str(r) for r in record.vat_rates], "accepted": record.accepted,
            "pending_steps": record.pending_steps,
            "statuses": [{"code": s.code, "at": _timestamp(s.at), "by": s.by, "flow_id": s.flow_id, "reasons": s.reasons}
                         for s in record.statuses],
            "payments": [{"amount": str(p.amount), "vat_rate": str(p.vat_rate), "currency": p.currency,
                          "received_on": p.received_on.isoformat() if p.received_on else None, "flow_id": p.flow_id}
                         for p in record.payments]}


def _invoice_from_state(row: dict) -> InvoiceRecord:
    return InvoiceRecord(
        flow_id=row["flow_id"], number=row["number"],
        issue_date=date.fromisoformat(row["issue_date"]) if row["issue_date"] else None, type_code=row["type_code"],
        seller_siren=row["seller_siren"], seller_name=row["seller_name"], seller_address=row["seller_address"],
        buyer_siren=row["buyer_siren"], buyer_name=row["buyer_name"], currency=row["currency"],
        total_including_vat=Decimal(row["total_including_vat"]) if row["total_including_vat"] is not None else None,
        vat_rates=[Decimal(r) for r in row["vat_rates"]], accepted=row["accepted"],
        pending_steps=list(row["pending_steps"]),
        statuses=[StatusEvent(s["code"], _parse_timestamp(s["at"], "at"), s["by"], s["flow_id"], s["reasons"])
                  for s in row["statuses"]],
        payments=[Payment(Decimal(p["amount"]), Decimal(p["vat_rate"]), p["currency"],
                          date.fromisoformat(p["received_on"]) if p["received_on"] else None, p["flow_id"])
                  for p in row["payments"]])


# ---------------------------------------------------------------------------------------------------- HTTP


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a slowed-down answer must not hold the stop
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], simulator: PaSimulator):
        super().__init__(address, handler)
        self.simulator = simulator


_FLOW_ROUTES = (
    ("POST", re.compile(r"/v1/flows"), "_post_flow"),
    ("POST", re.compile(r"/v1/flows/search"), "_search_flows"),
    ("GET", re.compile(r"/v1/flows/(?P<flow_id>[^/]+)"), "_get_flow"),
    ("GET", re.compile(r"/v1/webhooks"), "_list_webhooks"),
    ("POST", re.compile(r"/v1/webhooks"), "_create_webhook"),
    ("DELETE", re.compile(r"/v1/webhooks/(?P<webhook_id>[^/]+)"), "_delete_webhook"),
)
_DIRECTORY_ROUTES = (
    ("GET", re.compile(r"/v1/siren/code-insee:(?P<siren>[^/]*)"), "_company"),
    ("POST", re.compile(r"/v1/siren/search"), "_search_companies"),
    ("GET", re.compile(r"/v1/siret/code-insee:(?P<siret>[^/]*)"), "_facility"),
    ("POST", re.compile(r"/v1/directory-line/search"), "_search_lines"),
    ("GET", re.compile(r"/v1/directory-line/code:(?P<identifier>[^/]+)"), "_directory_line"),
)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "pa-simulator/1.0"
    protocol_version = "HTTP/1.1"  # keep-alive, as clients' sessions expect: every answer has a Content-Length

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    @property
    def sim(self) -> PaSimulator:
        return self.server.simulator

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        path, self.query = parts.path, parse_qs(parts.query)
        try:
            body = self._body()
        except ApiError as error:
            self.close_connection = True
            self._error(error)
            return
        if path.startswith("/_control/"):
            self._control(method, path, body)
            return
        if rule := self.sim._failure(method, path, after=False):
            self._error(_knob_error(rule.status))
            return
        try:
            status, payload, headers = self._route(method, path, body)
        except ApiError as error:
            status, payload, headers = error.status, error.body or _error_body(error), error.headers
        except Exception as error:  # the simulator's own bug: say so as the API would
            log.exception("%s %s failed", method, path)
            status, payload, headers = 500, {"errorCode": "INTERNAL_ERROR", "errorMessage": str(error)}, {}
        if delay := self.sim._delay(method, path):
            self.sim._stopping.wait(delay.total_seconds())
        if rule := self.sim._failure(method, path, after=True):
            self._error(_knob_error(rule.status))
            return
        self._send(status, payload, headers)

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            raise ApiError(411, "LENGTH_REQUIRED", "send a Content-Length")
        length = int(self.headers.get("Content-Length") or 0)
        if length > self.sim.max_file_size + 1024 * 1024:
            raise ApiError(413, "FILE_SIZE_EXCEEDED", f"the request is {length} bytes")
        return self.rfile.read(length) if length else b""

    def _route(self, method: str, path: str, body: bytes) -> tuple[int, dict | bytes | None, dict]:
        if method == "POST" and re.fullmatch(r"/auth-service(/[^/]+)?/token", path):
            return 200, self._token(body), {"Cache-Control": "no-store"}
        for prefix, routes in (("/flow-service", _FLOW_ROUTES), ("/directory-service", _DIRECTORY_ROUTES)):
            if not path.startswith(prefix + "/"):
                continue
            rest = path[len(prefix):]
            if method == "GET" and rest == "/v1/healthcheck":
                return 200, None, {}
            allowed = []
            for route_method, pattern, name in routes:
                if found := pattern.fullmatch(rest):
                    if route_method == method:
                        self.owner = self.sim.owner_of(self.headers.get("Authorization"))
                        self.organization = self.headers.get("Organization-Id") or None
                        return getattr(self, name)(body, **{k: unquote(v) for k, v in found.groupdict().items()})
                    allowed.append(route_method)
            if allowed:
                raise ApiError(405, "METHOD_NOT_ALLOWED", f"{method} {path}: use {', '.join(allowed)}",
                               headers={"Allow": ", ".join(allowed)})
        raise ApiError(404, "MISSING_RESOURCE", f"no resource {path}")

    def _json(self, body: bytes) -> Any:
        try:
            return json.loads(body or b"null")
        except (ValueError, UnicodeDecodeError):
            raise _bad("INVALID_REQUEST_FORMAT", "the body is not JSON") from None

    def _list_param(self, name: str) -> list[str]:
        return [item for value in self.query.get(name, []) for item in value.split(",") if item]

    # ------------------------------------------------------------------ OAuth2

    def _token(self, body: bytes) -> dict:
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        if form.get("grant_type") != "client_credentials":
            raise ApiError(400, "unsupported_grant_type", body={"error": "unsupported_grant_type"})
        client_id, secret = form.get("client_id"), form.get("client_secret")
        authorization = self.headers.get("Authorization", "")
        if authorization.lower().startswith("basic "):  # RFC 6749 §2.3.1: servers must take HTTP Basic
            try:
                client_id, _, secret = base64.b64decode(authorization[6:]).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                raise ApiError(400, "invalid_request", body={"error": "invalid_request"}) from None
            client_id, secret = unquote(client_id), unquote(secret)
        if not client_id or secret is None:
            raise ApiError(401, "invalid_client", body={"error": "invalid_client"},
                           headers={"WWW-Authenticate": 'Basic realm="pa-simulator"'})
        return self.sim.issue_token(client_id, secret)

    # ------------------------------------------------------------------ flows

    def _post_flow(self, body: bytes) -> tuple[int, dict, dict]:
        content_type = self.headers.get("Content-Type", "")
        if not content_type.lower().startswith("multipart/form-data"):
            raise _bad("INVALID_REQUEST_FORMAT", "POST /v1/flows takes multipart/form-data (flowInfo, file)")
        parts = _multipart(content_type, body)
        if "flowInfo" not in parts or "file" not in parts:
            raise _bad("MISSING_REQUIRED_FIELD", "the parts flowInfo and file are both required")
        try:
            info = json.loads(parts["flowInfo"][0])
        except (ValueError, UnicodeDecodeError):
            raise _bad("INVALID_REQUEST_FORMAT", "flowInfo is not JSON") from None
        content, file_type = parts["file"]
        answer = self.sim.submit_flow(owner=self.owner, organization=self.organization, flow_info=info, content=content,
                                      content_type=file_type or "application/octet-stream")
        return 202, answer, {}

    def _search_flows(self, body: bytes) -> tuple[int, dict, dict]:
        return 200, self.sim.search_flows(owner=self.owner, organization=self.organization, params=self._json(body)), {}

    def _get_flow(self, body: bytes, flow_id: str) -> tuple[int, dict | bytes, dict]:
        doc_type = (self.query.get("docType") or ["Metadata"])[0]
        found, content_type, name = self.sim.get_flow(owner=self.owner, organization=self.organization,
                                                      flow_id=flow_id, doc_type=doc_type)
        headers = {"Content-Type": content_type}
        if name:
            safe = re.sub(r'["\\\r\n]', "_", name)  # the name is the sender's: keep the header well formed
            headers["Content-Disposition"] = f'attachment;filename="{safe}"'
        return 200, found, headers

    def _list_webhooks(self, body: bytes) -> tuple[int, dict, dict]:
        return 200, self.sim.list_webhooks(owner=self.owner), {}

    def _create_webhook(self, body: bytes) -> tuple[int, dict, dict]:
        return 201, self.sim.create_webhook(owner=self.owner, params=self._json(body)), {}

    def _delete_webhook(self, body: bytes, webhook_id: str) -> tuple[int, None, dict]:
        self.sim.delete_webhook(owner=self.owner, webhook_id=webhook_id)
        return 204, None, {}

    # ------------------------------------------------------------------ directory

    def _company(self, body: bytes, siren: str) -> tuple[int, dict, dict]:
        return 200, self.sim.company(siren, self._list_param("fields")), {}

    def _facility(self, body: bytes, siret: str) -> tuple[int, dict, dict]:
        return 200, self.sim.facility(siret, self._list_param("fields"), self._list_param("include")), {}

    def _search_companies(self, body: bytes) -> tuple[int, dict, dict]:
        return 200, self.sim.search_companies(self._json(body)), {}

    def _search_lines(self, body: bytes) -> tuple[int, dict, dict]:
        return 200, self.sim.search_lines(self._json(body)), {}

    def _directory_line(self, body: bytes, identifier: str) -> tuple[int, dict, dict]:
        return 200, self.sim.directory_line(identifier, self._list_param("include"), self._list_param("fields")), {}

    # ------------------------------------------------------------------ control

    def _control(self, method: str, path: str, body: bytes) -> None:
        if not ipaddress.ip_address(self.client_address[0]).is_loopback:
            self._error(ApiError(403, "FORBIDDEN_ACCESS", "the control endpoint answers the loopback only"))
            return
        try:
            params = self._json(body) or {}
            if not isinstance(params, dict):
                raise _bad("INVALID_REQUEST_FORMAT", "a JSON object")
            status, payload = _control(self.sim, method, path[len("/_control"):], params)
        except ApiError as error:
            self._error(error)
            return
        except (KeyError, ValueError, TypeError) as error:
            self._error(ApiError(404 if isinstance(error, KeyError) else 400, "CONTROL_ERROR", str(error).strip("'\"")))
            return
        self._send(status, payload, {})

    # ------------------------------------------------------------------ answers

    def _error(self, error: ApiError) -> None:
        self._send(error.status, error.body or _error_body(error), error.headers)

    def _send(self, status: int, payload: dict | bytes | None, headers: Mapping[str, str]) -> None:
        headers = dict(headers)
        if isinstance(payload, bytes):
            body = payload
        elif payload is None:
            body = b""
        else:
            body = json.dumps(payload, ensure_ascii=False).encode()
            headers.setdefault("Content-Type", "application/json")
        if status == 204:
            body = b""
        try:
            self.send_response(status, HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else None)
            for name, value in headers.items():
                self.send_header(name, value)
            if request_id := self.headers.get("Request-Id"):
                self.send_header("Request-Id", request_id)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a time-out test): nothing to answer
            self.close_connection = True


def _error_body(error: ApiError) -> dict:
    body = {"errorCode": error.code}
    if error.message:
        body["errorMessage"] = error.message
    return body


def _knob_error(status_code: int) -> ApiError:
    code = {500: "INTERNAL_ERROR", 503: "RESOURCE_ERROR", 429: "TOO_MANY_REQUESTS", 408: "REQUEST_TIMEOUT"}.get(
        status_code, "SIMULATED_FAILURE")
    headers = {"Retry-After": "1"} if status_code in (429, 503) else {}
    return ApiError(status_code, code, "failure asked of the simulator", headers=headers)


def _multipart(content_type: str, body: bytes) -> dict[str, tuple[bytes, str | None]]:
    """The parts of a multipart/form-data body by name: (content, content type)."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode() + body)
    if not message.is_multipart():
        raise _bad("INVALID_REQUEST_FORMAT", "the multipart body cannot be read (boundary?)")
    parts = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name:
            content = part.get_payload(decode=True)
            parts[name] = (content if content is not None else b"", part.get_content_type()
                           if part.get("Content-Type") else None)
    return parts


def _required(params: dict, name: str) -> Any:
    if params.get(name) in (None, ""):
        raise _bad("MISSING_REQUIRED_FIELD", f"{name} is required")
    return params[name]


def _control(sim: PaSimulator, method: str, path: str, params: dict) -> tuple[int, Any]:
    """The loopback-only knobs: the HTTP face of PaSimulator's methods."""
    if method == "GET" and path == "/health":
        return 200, {"status": "up"}
    if method == "GET" and path == "/invoices":
        return 200, sim.invoices()
    if method == "GET" and (found := re.fullmatch(r"/invoices/([^/]+)", path)):
        return 200, sim.invoice(found.group(1))
    if method == "GET" and path == "/flows":
        return 200, sim.flows()
    if method != "POST":
        raise ApiError(404, "MISSING_RESOURCE", f"no control {method} {path}")
    if path == "/fail":
        sim.fail_next(int(params.get("count", 1)), int(params.get("status", 503)), after=bool(params.get("after")),
                      method=params.get("method"), path=params.get("path"))
    elif path == "/slow":
        sim.slow_down(_required(params, "seconds"), params.get("count"), method=params.get("method"),
                      path=params.get("path"))
    elif path == "/reject":
        sim.reject_next(params.get("reasonCode", "REJ_SEMAN"), params.get("reason", "rejected on request (simulator)"),
                        int(params.get("count", 1)))
    elif path == "/reset":
        sim.reset_knobs()
    elif path == "/expire-tokens":
        sim.expire_tokens()
    elif path == "/advance":
        return 200, [event.as_json() for event in sim.advance(params.get("flowId"), steps=params.get("steps"))]
    elif path == "/status":
        return 200, sim.emit_status(_required(params, "flowId"), int(_required(params, "code")),
                                    reason_code=params.get("reasonCode"),
                                    reason=params.get("reason", ""),
                                    requested_action=params.get("requestedAction")).as_json()
    elif path == "/directory":
        sim.add_directory_entry(DirectoryEntry(
            siren=_required(params, "siren"), name=_required(params, "name"),
            addressing_identifier=params.get("addressingIdentifier", ""),
            siret=params.get("siret"), entity_type=params.get("entityType", "PrivateVatRegistered"),
            line_status=params.get("directoryLineStatus", "Enabled")))
    else:
        raise ApiError(404, "MISSING_RESOURCE", f"no control POST {path}")
    return 200, {"done": True}


# ---------------------------------------------------------------------------------------------------- entry points


def start_simulator(port: int = 0, *, host: str = "127.0.0.1", **options: Any) -> PaSimulator:
    """A simulator serving on a thread of this process (port 0: a free one); `stop()` it after use.

    `options` are PaSimulator's: clients, folder, directory, step_delay (None: statuses move on `advance()` only),
    steps, token_lifetime, validate, french_rules, max_file_size, now.
    """
    return PaSimulator(**options).start(host=host, port=port)


def _directory_file(path: str) -> list[DirectoryEntry]:
    rows = json.loads(Path(path).read_text(encoding="utf-8"))
    return [DirectoryEntry(**row) for row in rows]


def main(argv: list[str] | None = None) -> None:
    """python -m prebill.einvoicing.simulator --port 8790 --client-id ... --client-secret ... --folder var/pa"""
    parser = argparse.ArgumentParser(prog="python -m prebill.einvoicing.simulator", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8790)
    parser.add_argument("--client-id", default="prebill")
    parser.add_argument("--client-secret", default="prebill-secret")
    parser.add_argument("--folder", help="keep the flows there across restarts")
    parser.add_argument("--step-delay", type=float, default=3.0,
                        help="seconds between two automatic statuses (negative: only on POST /_control/advance)")
    parser.add_argument("--steps", default="202,203", help="the automatic statuses after 200 Déposée")
    parser.add_argument("--directory", help="a JSON list of directory lines (siren, name, addressing_identifier ...) "
                                            "in place of the demo ones")
    parser.add_argument("--french-rules", choices=("fatal", "warning"), default="fatal",
                        help="warning: BR-FR failures do not reject (the transition's pass-through mode)")
    parser.add_argument("--no-validation", action="store_true", help="read the invoices without running the rules")
    parser.add_argument("--token-lifetime", type=float, default=3600.0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("factur-x").setLevel(logging.WARNING)  # it logs every extraction at INFO
    simulator = PaSimulator(
        clients={args.client_id: args.client_secret}, folder=args.folder,
        directory=_directory_file(args.directory) if args.directory else DEMO_DIRECTORY,
        step_delay=None if args.step_delay < 0 else args.step_delay,
        steps=tuple(int(code) for code in args.steps.split(",") if code), token_lifetime=args.token_lifetime,
        validate=not args.no_validation, french_rules=args.french_rules)
    if simulator.validate:
        validation.warm_up()
    log.info("PA simulator on http://%s:%s (flows /flow-service, directory /directory-service, token "
             "/auth-service/token)", args.host, args.port)
    with contextlib.suppress(KeyboardInterrupt):
        simulator.serve_forever(host=args.host, port=args.port)


if __name__ == "__main__":
    main()
