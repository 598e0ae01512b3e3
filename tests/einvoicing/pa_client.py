"""A plain client of the simulator's API, doing what a connector does: a token, then the Flow and Directory services."""

from __future__ import annotations

import json
from pathlib import Path

import requests

from prebill.einvoicing.simulator import PaSimulator

CLIENT_ID, CLIENT_SECRET = "prebill-test", "s3cret-test"
# The specifications (OpenAPI, CDAR schema) beside the project, as ../shared/reference/fr-einvoicing/README.md says.
REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "fr-einvoicing"


class Api:
    """A session with a token; a new token with new_token() when the platform expires it."""

    def __init__(self, pa: PaSimulator, *, timeout: float = 10) -> None:
        self.pa, self.timeout, self.session = pa, timeout, requests.Session()
        self.token = self.new_token()

    def new_token(self) -> str:
        answer = self.session.post(self.pa.token_url, data={"grant_type": "client_credentials", "client_id": CLIENT_ID,
                                                            "client_secret": CLIENT_SECRET}, timeout=self.timeout)
        assert answer.status_code == 200, answer.text
        return answer.json()["access_token"]

    def headers(self, **extra: str) -> dict:
        return {"Authorization": f"Bearer {self.token}", **extra}

    def post_flow(self, content: bytes, *, syntax: str, name: str = "invoice", timeout: float | None = None,
                  content_type: str | None = None, **info) -> requests.Response:
        flow_info = {"name": name, "flowSyntax": syntax, **info}
        file_type = content_type or ("application/pdf" if syntax == "Factur-X" else "application/xml")
        return self.session.post(f"{self.pa.flow_url}/v1/flows", headers=self.headers(), timeout=timeout or self.timeout,
                                 files={"flowInfo": (None, json.dumps(flow_info), "application/json"),
                                        "file": (name, content, file_type)})

    def search(self, where: dict, **params) -> requests.Response:
        return self.session.post(f"{self.pa.flow_url}/v1/flows/search", json={"where": where, **params},
                                 headers=self.headers(), timeout=self.timeout)

    def get(self, flow_id: str, doc_type: str | None = None) -> requests.Response:
        return self.session.get(f"{self.pa.flow_url}/v1/flows/{flow_id}", headers=self.headers(), timeout=self.timeout,
                                params={"docType": doc_type} if doc_type else None)

    def flow(self, flow_id: str) -> dict:
        answer = self.get(flow_id)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def life_cycle(self) -> list[dict]:
        """Every life-cycle flow the platform sent, oldest first, through the search cursor."""
        found, cursor = [], None
        while True:
            answer = self.search({"flowType": ["CustomerInvoiceLC"], "flowDirection": ["In"]},
                                 **({"cursor": cursor} if cursor else {})).json()
            found += answer["results"]
            if "nextCursor" not in answer:
                return found
            cursor = answer["nextCursor"]

    def directory(self, method: str, path: str, **kwargs) -> requests.Response:
        return self.session.request(method, f"{self.pa.directory_url}{path}", headers=self.headers(),
                                    timeout=self.timeout, **kwargs)
