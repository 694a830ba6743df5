from __future__ import annotations

from typing import Any, Dict, Optional

from ._http import HttpClient, api_fields, segment
from .pagination import Page


class Publishing:
    """Scheduling and publishing a container through social accounts, one post per target."""

    def __init__(self, http: HttpClient) -> None:
        self._http = http

    def publish_now(self, *, container_id: str, idempotency_key: Optional[str] = None, **body: Any) -> Dict[str, Any]:
        """Publish a completed container now to 1-50 accounts: every target or none (422 naming the target)."""
        return self._http.request("POST", f"/v1/content/{segment(container_id)}/publish", body=api_fields(body), idempotency_key=idempotency_key)

    def schedule(self, *, container_id: str, idempotency_key: Optional[str] = None, **body: Any) -> Dict[str, Any]:
        """Schedule a container for ``scheduled_for``: 201 with the posts, or 202 ``blocked_on_approval``."""
        return self._http.request("POST", f"/v1/content/{segment(container_id)}/schedule", body=api_fields(body), idempotency_key=idempotency_key)

    def get_scheduled_post(self, *, scheduled_post_id: str) -> Dict[str, Any]:
        return self._http.request("GET", f"/v1/scheduled-posts/{segment(scheduled_post_id)}")

    def list_scheduled_posts(self, *, project_id: str, **query: Any) -> Page:
        """Newest ``scheduledFor`` first; ``status`` takes a list; ``.auto_paging_iter()`` for the rest."""
        params = api_fields(query)
        path = f"/v1/projects/{segment(project_id)}/scheduled-posts"

        def fetch(cursor: Optional[str]) -> Page:
            return Page(self._http.request("GET", path, query={**params, "cursor": cursor}), fetch)

        return fetch(params.pop("cursor", None))

    def reschedule(self, *, scheduled_post_id: str, idempotency_key: Optional[str] = None, **body: Any) -> Dict[str, Any]:
        """Move a queued (or held) post to another time."""
        return self._http.request("POST", f"/v1/scheduled-posts/{segment(scheduled_post_id)}/reschedule", body=api_fields(body), idempotency_key=idempotency_key)

    def cancel(self, *, scheduled_post_id: str, idempotency_key: Optional[str] = None, **body: Any) -> Dict[str, Any]:
        """Cancel a post the platform has nothing of yet; a final post answers 409."""
        return self._http.request("DELETE", f"/v1/scheduled-posts/{segment(scheduled_post_id)}", body=api_fields(body) or None, idempotency_key=idempotency_key)
