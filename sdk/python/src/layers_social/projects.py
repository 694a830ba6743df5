from __future__ import annotations

from typing import Any, Dict, Optional

from ._http import HttpClient, api_fields, segment
from .pagination import Page


class Projects:
    """Projects: one per end customer of yours."""

    def __init__(self, http: HttpClient) -> None:
        self._http = http

    def create(self, *, idempotency_key: Optional[str] = None, **body: Any) -> Dict[str, Any]:
        return self._http.request("POST", "/v1/projects", body=api_fields(body), idempotency_key=idempotency_key)

    def list(self, **query: Any) -> Page:
        """One page; ``search`` matches names case-insensitively; ``.auto_paging_iter()`` for the rest."""
        params = api_fields(query)

        def fetch(cursor: Optional[str]) -> Page:
            return Page(self._http.request("GET", "/v1/projects", query={**params, "cursor": cursor}), fetch)

        return fetch(params.pop("cursor", None))

    def get(self, *, project_id: str) -> Dict[str, Any]:
        return self._http.request("GET", f"/v1/projects/{segment(project_id)}")

    def update(self, *, project_id: str, idempotency_key: Optional[str] = None, **body: Any) -> Dict[str, Any]:
        """Omitted fields stay as they are; ``metadata`` is replaced whole; ``None`` clears a field."""
        return self._http.request("PATCH", f"/v1/projects/{segment(project_id)}", body=api_fields(body), idempotency_key=idempotency_key)

    def archive(self, *, project_id: str, idempotency_key: Optional[str] = None) -> Dict[str, Any]:
        """``status: "archived"``, reversible with ``update(project_id=..., status="active")``."""
        return self._http.request("DELETE", f"/v1/projects/{segment(project_id)}", idempotency_key=idempotency_key)
