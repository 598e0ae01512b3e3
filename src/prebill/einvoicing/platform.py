"""The client of the firm's Plateforme Agréée: the part of AFNOR XP Z12-013 prebill uses (OAuth2 client credentials,
Flow Service: send a flow, search flows, read one; webhooks; Directory Service: the lines of a SIREN).

Plain standard library (urllib), no Django: the settings come in as a `PlatformSettings`. Errors are of two kinds:
`PlatformUnavailable` (network, time-out, 429, 5xx: try again later) and `PlatformRefused` (the platform said no:
trying again changes nothing).
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode


@dataclass(frozen=True)
class PlatformSettings:
    base_url: str  # the services under it: auth-service/token, flow-service/v1, directory-service/v1
    client_id: str
    client_secret: str
    organization: str = ""  # the Organization-Id header, for software serving several firms
    token_url: str = ""  # when the platform's is not base_url/auth-service/token
    timeout_seconds: int = 30

    @property
    def flow_url(self) -> str:
        return f"{self.base_url.rstrip('/')}/flow-service/v1"

    @property
    def directory_url(self) -> str:
        return f"{self.base_url.rstrip('/')}/directory-service/v1"


class PlatformError(Exception):
    def __init__(self, message: str, *, status: int | None = None, body: Any = None) -> None:
        super().__init__(message)
        self.status, self.body = status, body


class PlatformUnavailable(PlatformError):
    """Not reached, too slow, or busy (429, 5xx): the same request later may pass."""


class PlatformRefused(PlatformError):
    """The platform answered no (4xx other than 429): the request itself must change."""


_tokens: dict[tuple[str, str], tuple[str, float]] = {}
_tokens_lock = threading.Lock()


class PlatformClient:
    def __init__(self, settings: PlatformSettings) -> None:
        self.settings = settings

    # ------------------------------------------------------------------------------------------ OAuth2

    def _token(self, *, renew: bool = False) -> str:
        key = (self.settings.token_url or self.settings.base_url, self.settings.client_id)
        with _tokens_lock:
            found = _tokens.get(key)
            if found and not renew and found[1] > time.monotonic():
                return found[0]
        url = self.settings.token_url or f"{self.settings.base_url.rstrip('/')}/auth-service/token"
        credentials = base64.b64encode(
            f"{quote(self.settings.client_id, safe='')}:{quote(self.settings.client_secret, safe='')}".encode()).decode()
        answer = self._send(urllib.request.Request(
            url, data=urlencode({"grant_type": "client_credentials"}).encode(), method="POST",
            headers={"Authorization": f"Basic {credentials}", "Content-Type": "application/x-www-form-urlencoded"}))
        token, lifetime = answer["access_token"], int(answer.get("expires_in", 3600))
        with _tokens_lock:  # renewed a little before it expires
            _tokens[key] = (token, time.monotonic() + max(lifetime - 30, 1))
        return token

    def _call(self, method: str, url: str, *, body: bytes | None = None, content_type: str = "application/json",
              raw: bool = False) -> Any:
        for renew in (False, True):  # a token the platform forgot (restarted, revoked): one new token, once
            headers = {"Authorization": f"Bearer {self._token(renew=renew)}", "Accept": "application/json"}
            if body is not None:
                headers["Content-Type"] = content_type
            if self.settings.organization:
                headers["Organization-Id"] = self.settings.organization
            try:
                return self._send(urllib.request.Request(url, data=body, method=method, headers=headers), raw=raw)
            except PlatformRefused as refused:
                if refused.status != 401 or renew:
                    raise
        raise AssertionError("unreachable")

    def _send(self, request: urllib.request.Request, *, raw: bool = False) -> Any:
        try:
            with urllib.request.urlopen(request, timeout=self.settings.timeout_seconds) as answer:
                content = answer.read()
        except urllib.error.HTTPError as error:
            content = error.read()
            try:
                body = json.loads(content)
            except ValueError:
                body = content.decode(errors="replace")[:500]
            message = f"{request.get_method()} {request.full_url}: HTTP {error.code} {_describe(body)}"
            kind = PlatformUnavailable if error.code == 429 or error.code >= 500 else PlatformRefused
            raise kind(message, status=error.code, body=body) from None
        except (OSError, TimeoutError) as error:  # refused connection, DNS, time-out
            raise PlatformUnavailable(f"{request.get_method()} {request.full_url}: {error}") from None
        if raw:
            return content
        return json.loads(content) if content else None

    # ------------------------------------------------------------------------------------------ flows

    def send_flow(self, *, name: str, syntax: str, content: bytes, tracking_id: str, processing_rule: str,
                  sha256: str, content_type: str) -> dict:
        """POST /v1/flows (multipart: flowInfo, file): the FullFlowInfo. The same tracking id gives the first flow."""
        info = {"name": name, "flowSyntax": syntax, "trackingId": tracking_id, "processingRule": processing_rule,
                "sha256": sha256}
        boundary = f"prebill-{secrets.token_hex(12)}"
        body = b"".join((
            f'--{boundary}\r\nContent-Disposition: form-data; name="flowInfo"\r\n'
            f"Content-Type: application/json\r\n\r\n".encode(), json.dumps(info).encode(), b"\r\n",
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{_header_safe(name)}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n".encode(), content, f"\r\n--{boundary}--\r\n".encode()))
        return self._call("POST", f"{self.settings.flow_url}/flows", body=body,
                          content_type=f"multipart/form-data; boundary={boundary}")

    def search_flows(self, where: dict, *, cursor: str | None = None, limit: int = 100) -> dict:
        """POST /v1/flows/search: {results: [Flow...], nextCursor?}."""
        query: dict = {"where": where, "limit": limit}
        if cursor:
            query["cursor"] = cursor
        return self._call("POST", f"{self.settings.flow_url}/flows/search", body=json.dumps(query).encode())

    def flow_document(self, flow_id: str, doc_type: str = "Original") -> bytes:
        """GET /v1/flows/{flowId}?docType=...: the file."""
        return self._call("GET", f"{self.settings.flow_url}/flows/{quote(flow_id, safe='')}?docType={doc_type}",
                          raw=True)

    def create_webhook(self, callback_url: str) -> dict:
        """POST /v1/webhooks: {webhookId, signingKey}."""
        return self._call("POST", f"{self.settings.flow_url}/webhooks", body=json.dumps(
            {"callbackUrl": callback_url}).encode())

    # ------------------------------------------------------------------------------------------ directory

    def directory_lines(self, siren: str) -> list[dict]:
        """POST /v1/directory-line/search by SIREN: where the company receives its invoices."""
        answer = self._call("POST", f"{self.settings.directory_url}/directory-line/search", body=json.dumps(
            {"filters": {"siren": {"op": "strict", "value": siren}}, "include": ["siren"]}).encode())
        return list(answer.get("results") or [])


def _describe(body: Any) -> str:
    if isinstance(body, dict):
        return " ".join(str(body[k]) for k in ("errorCode", "error", "errorMessage", "message") if body.get(k))
    return str(body or "")


def _header_safe(name: str) -> str:
    return "".join("_" if c in '"\\\r\n' else c for c in name)
