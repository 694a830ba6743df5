from __future__ import annotations

from typing import Any, Dict, Optional, Union

from ._http import HttpClient, api_fields, segment
from .pagination import Page
from .signature import verify_webhook_signature


class WebhookEndpoints:
    def __init__(self, http: HttpClient) -> None:
        self._http = http

    def create(self, *, idempotency_key: Optional[str] = None, **body: Any) -> Dict[str, Any]:
        """The response's ``signingSecret`` (``whsec_...``) is shown only here."""
        return self._http.request("POST", "/v1/webhook-endpoints", body=api_fields(body), idempotency_key=idempotency_key)

    def list(self, **query: Any) -> Page:
        params = api_fields(query)

        def fetch(cursor: Optional[str]) -> Page:
            return Page(self._http.request("GET", "/v1/webhook-endpoints", query={**params, "cursor": cursor}), fetch)

        return fetch(params.pop("cursor", None))

    def get(self, *, endpoint_id: str) -> Dict[str, Any]:
        return self._http.request("GET", f"/v1/webhook-endpoints/{segment(endpoint_id)}")

    def update(self, *, endpoint_id: str, idempotency_key: Optional[str] = None, **body: Any) -> Dict[str, Any]:
        """``status="active"`` resumes an auto-paused endpoint."""
        path = f"/v1/webhook-endpoints/{segment(endpoint_id)}"
        return self._http.request("PATCH", path, body=api_fields(body), idempotency_key=idempotency_key)

    def delete(self, *, endpoint_id: str, idempotency_key: Optional[str] = None) -> Dict[str, Any]:
        return self._http.request("DELETE", f"/v1/webhook-endpoints/{segment(endpoint_id)}", idempotency_key=idempotency_key)

    def test(self, *, endpoint_id: str, idempotency_key: Optional[str] = None) -> Dict[str, Any]:
        """Sends a ``test.ping`` event."""
        return self._http.request("POST", f"/v1/webhook-endpoints/{segment(endpoint_id)}/test", idempotency_key=idempotency_key)

    def rotate_secret(self, *, endpoint_id: str, idempotency_key: Optional[str] = None) -> Dict[str, Any]:
        """A new signing secret; the old one keeps signing too for 24 hours."""
        path = f"/v1/webhook-endpoints/{segment(endpoint_id)}/rotate-secret"
        return self._http.request("POST", path, idempotency_key=idempotency_key)


class WebhookDeliveries:
    def __init__(self, http: HttpClient) -> None:
        self._http = http

    def list(self, *, endpoint_id: str, **query: Any) -> Page:
        """An endpoint's deliveries, newest first; ``.auto_paging_iter()`` for the rest."""
        path = f"/v1/webhook-endpoints/{segment(endpoint_id)}/deliveries"
        params = api_fields(query)

        def fetch(cursor: Optional[str]) -> Page:
            return Page(self._http.request("GET", path, query={**params, "cursor": cursor}), fetch)

        return fetch(params.pop("cursor", None))

    def replay(self, *, delivery_id: str, idempotency_key: Optional[str] = None) -> Dict[str, Any]:
        """Sends the delivery's event again, as a new event with ``replayOf``."""
        path = f"/v1/webhook-deliveries/{segment(delivery_id)}/replay"
        return self._http.request("POST", path, idempotency_key=idempotency_key)


class Webhooks:
    def __init__(self, http: HttpClient) -> None:
        self.endpoints = WebhookEndpoints(http)
        self.deliveries = WebhookDeliveries(http)

    @staticmethod
    def verify_signature(raw_body: Union[bytes, str], header: Optional[str], secret: str, tolerance_seconds: int = 300) -> bool:
        """See ``verify_webhook_signature``: the same check, from the client."""
        return verify_webhook_signature(raw_body, header, secret, tolerance_seconds=tolerance_seconds)
