from __future__ import annotations

from typing import Any, Dict, Optional

from ._http import HttpClient, segment


class ApiKeys:
    """Stopping keys of your organization (creating them is an operator's job)."""

    def __init__(self, http: HttpClient) -> None:
        self._http = http

    def kill(self, *, key_id: str, idempotency_key: Optional[str] = None) -> Dict[str, Any]:
        """Emergency stop, final: every later request with that key answers 503 KILL_SWITCH."""
        return self._http.request("POST", f"/v1/api-keys/{segment(key_id)}/kill", idempotency_key=idempotency_key)

    def retire(self, *, key_id: str, idempotency_key: Optional[str] = None) -> Dict[str, Any]:
        """Orderly end (rotation), final."""
        return self._http.request("DELETE", f"/v1/api-keys/{segment(key_id)}", idempotency_key=idempotency_key)
