from __future__ import annotations

from typing import Any, Dict

from ._http import HttpClient, api_fields, segment


class Metrics:
    """Metrics history: counters per post, account or project over time, kept across reauths."""

    def __init__(self, http: HttpClient) -> None:
        self._http = http

    def get(self, *, project_id: str, **query: Any) -> Dict[str, Any]:
        """A series of hourly, daily or weekly buckets and their totals; ``None`` means not measured in that bucket, never 0."""
        return self._http.request("GET", f"/v1/projects/{segment(project_id)}/metrics", query=api_fields(query))

    def top_performers(self, *, project_id: str, **query: Any) -> Dict[str, Any]:
        """The project's posts published in the window, highest ``metric`` first."""
        return self._http.request("GET", f"/v1/projects/{segment(project_id)}/top-performers", query=api_fields(query))
