from __future__ import annotations

from typing import Any, Dict, Iterator, Optional

from ._http import HttpClient, api_fields, segment
from .errors import LayersError
from .pagination import Page

_TERMINAL = {"completed", "failed", "expired"}


class SocialAccounts:
    def __init__(self, social: "Social") -> None:
        self._social = social

    def list(self, *, project_id: str, **query: Any) -> Iterator[Dict[str, Any]]:
        """Every account of the project, page after page (``for account in ...``)."""
        return self._social.list_accounts(project_id=project_id, **query).auto_paging_iter()


class Social:
    """Connecting, reconnecting (reauth), watching and revoking social accounts."""

    def __init__(self, http: HttpClient) -> None:
        self._http = http
        self.accounts = SocialAccounts(self)

    def create_oauth_url(self, *, project_id: str, idempotency_key: Optional[str] = None, **body: Any) -> Dict[str, Any]:
        """A consent URL that connects a new account. Not replayed on Idempotency-Key."""
        path = f"/v1/projects/{segment(project_id)}/social/oauth-url"
        return self._http.request("POST", path, body=api_fields(body), replays_idempotency_key=False, idempotency_key=idempotency_key)

    def create_reauth_url(self, *, project_id: str, idempotency_key: Optional[str] = None, **body: Any) -> Dict[str, Any]:
        """A consent URL that reconnects an existing account: the same socialAccountId comes back ``connected``."""
        path = f"/v1/projects/{segment(project_id)}/social/reauth-url"
        return self._http.request("POST", path, body=api_fields(body), replays_idempotency_key=False, idempotency_key=idempotency_key)

    def get_oauth_status(self, *, state: str) -> Dict[str, Any]:
        return self._http.request("GET", f"/v1/social/oauth-status/{segment(state)}")

    def wait_for_oauth(self, state: str, timeout_ms: int = 600_000, interval_ms: int = 2_000) -> Dict[str, Any]:
        """Polls oauth-status until ``completed``, ``failed`` or ``expired`` and returns that status.

        Raises LayersError ``TIMEOUT`` if the flow is still pending after ``timeout_ms``.
        """
        deadline = self._http.now() + timeout_ms / 1000
        while True:
            status = self.get_oauth_status(state=state)
            if status["status"] in _TERMINAL:
                return status
            left = deadline - self._http.now()
            if left <= 0:
                raise LayersError(
                    0,
                    "TIMEOUT",
                    f"OAuth state {state} was still {status['status']} after {timeout_ms} ms.",
                    details={"state": state, "status": status["status"]},
                )
            self._http.sleep(min(interval_ms / 1000, left))

    def list_accounts(self, *, project_id: str, **query: Any) -> Page:
        """One page, newest connection first; ``.auto_paging_iter()`` continues through the rest."""
        path = f"/v1/projects/{segment(project_id)}/social-accounts"
        params = api_fields(query)

        def fetch(cursor: Optional[str]) -> Page:
            return Page(self._http.request("GET", path, query={**params, "cursor": cursor}), fetch)

        return fetch(params.pop("cursor", None))

    def get_health(self, *, social_account_id: str, **query: Any) -> Dict[str, Any]:
        """Token health; ``check="live"`` asks the platform first."""
        return self._http.request("GET", f"/v1/social-accounts/{segment(social_account_id)}/health", query=api_fields(query))

    def revoke(self, *, social_account_id: str, idempotency_key: Optional[str] = None) -> Dict[str, Any]:
        """Final: the account becomes ``disconnected`` and its queued posts are canceled."""
        return self._http.request("DELETE", f"/v1/social-accounts/{segment(social_account_id)}", idempotency_key=idempotency_key)

    def create_reconnect_link(self, *, project_id: str, idempotency_key: Optional[str] = None, **body: Any) -> Dict[str, Any]:
        """A link to send the person that lives for days and starts the consent when clicked.

        ``social_account_id`` reconnects that account; ``platform`` connects a new one. ``url`` is shown once.
        """
        path = f"/v1/projects/{segment(project_id)}/social/reconnect-links"
        return self._http.request("POST", path, body=api_fields(body), idempotency_key=idempotency_key)

    def get_reconnect_link(self, *, link_id: str) -> Dict[str, Any]:
        """Status (``active``, ``used``, ``expired``, ``revoked``), clicks, and ``lastState`` to poll oauth-status with."""
        return self._http.request("GET", f"/v1/social/reconnect-links/{segment(link_id)}")

    def revoke_reconnect_link(self, *, link_id: str, idempotency_key: Optional[str] = None) -> Dict[str, Any]:
        """The link stops working at once; a consent one of its clicks started binds nothing."""
        return self._http.request("DELETE", f"/v1/social/reconnect-links/{segment(link_id)}", idempotency_key=idempotency_key)
