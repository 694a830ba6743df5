from __future__ import annotations

from typing import Any, Dict, Optional

from ._http import HttpClient, api_fields, segment
from .pagination import Page


class Content:
    """Content: finished videos and images, uploaded by URL or straight to storage."""

    def __init__(self, http: HttpClient) -> None:
        self._http = http

    def upload_from_url(self, *, project_id: str, idempotency_key: Optional[str] = None, **body: Any) -> Dict[str, Any]:
        """The server fetches every URL and creates a completed container, or refuses the lot (422 naming each bad file)."""
        return self._http.request("POST", f"/v1/projects/{segment(project_id)}/content/upload", body=api_fields(body), idempotency_key=idempotency_key)

    def create_upload(self, *, project_id: str, idempotency_key: Optional[str] = None, **body: Any) -> Dict[str, Any]:
        """Step 1 of a direct upload: per file an ``uploadUrl`` to PUT its bytes to (no API key) within 15 minutes."""
        return self._http.request("POST", f"/v1/projects/{segment(project_id)}/content/uploads", body=api_fields(body), idempotency_key=idempotency_key)

    def finalize_upload(self, *, container_id: str, idempotency_key: Optional[str] = None, **body: Any) -> Dict[str, Any]:
        """Step 3: once every file was PUT; a completed container answers itself unchanged."""
        return self._http.request("POST", f"/v1/content/{segment(container_id)}/finalize-upload", body=api_fields(body), idempotency_key=idempotency_key)

    def get(self, *, container_id: str) -> Dict[str, Any]:
        return self._http.request("GET", f"/v1/content/{segment(container_id)}")

    def list(self, *, project_id: str, **query: Any) -> Page:
        """Newest first; ``status`` takes a list; ``.auto_paging_iter()`` for the rest."""
        params = api_fields(query)
        path = f"/v1/projects/{segment(project_id)}/content"

        def fetch(cursor: Optional[str]) -> Page:
            return Page(self._http.request("GET", path, query={**params, "cursor": cursor}), fetch)

        return fetch(params.pop("cursor", None))

    def update_caption(self, *, container_id: str, idempotency_key: Optional[str] = None, **body: Any) -> Dict[str, Any]:
        """Posts already created keep the caption they were created with."""
        return self._http.request("PATCH", f"/v1/content/{segment(container_id)}", body=api_fields(body), idempotency_key=idempotency_key)

    def delete(self, *, container_id: str, idempotency_key: Optional[str] = None) -> Dict[str, Any]:
        """``canceled``, bytes deleted."""
        return self._http.request("DELETE", f"/v1/content/{segment(container_id)}", idempotency_key=idempotency_key)

    def approve(self, *, container_id: str, idempotency_key: Optional[str] = None, **body: Any) -> Dict[str, Any]:
        return self._http.request("POST", f"/v1/content/{segment(container_id)}/approve", body=api_fields(body), idempotency_key=idempotency_key)

    def reject(self, *, container_id: str, idempotency_key: Optional[str] = None, **body: Any) -> Dict[str, Any]:
        return self._http.request("POST", f"/v1/content/{segment(container_id)}/reject", body=api_fields(body), idempotency_key=idempotency_key)

    def get_review_policy(self, *, project_id: str) -> Dict[str, Any]:
        return self._http.request("GET", f"/v1/projects/{segment(project_id)}/content-review-policy")

    def update_review_policy(self, *, project_id: str, idempotency_key: Optional[str] = None, **body: Any) -> Dict[str, Any]:
        return self._http.request("PATCH", f"/v1/projects/{segment(project_id)}/content-review-policy", body=api_fields(body), idempotency_key=idempotency_key)
