from __future__ import annotations

import json
from typing import Any, Mapping, Optional


class LayersError(Exception):
    """Every failure the SDK reports.

    For an answer from the API, ``status``, ``code``, ``message``, ``request_id`` and ``details``
    are the server's error envelope as sent, and ``headers`` the response's (lower-case names). A
    request that never got an answer has ``status`` 0 and ``code`` ``NETWORK_ERROR`` or
    ``TIMEOUT``; a response that is not the API's envelope has ``code`` ``UNEXPECTED_RESPONSE``.
    ``retry_after_seconds`` is set on a 429.
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        request_id: Optional[str] = None,
        details: Optional[Mapping[str, Any]] = None,
        headers: Optional[Mapping[str, str]] = None,
        retry_after_seconds: Optional[int] = None,
    ) -> None:
        super().__init__(f"{code} ({status}): {message}")
        self.status = status
        self.code = code
        self.message = message
        self.request_id = request_id
        self.details = dict(details or {})
        self.headers = dict(headers or {})
        self.retry_after_seconds = retry_after_seconds


def error_from_response(status: int, headers: Mapping[str, str], body: bytes) -> LayersError:
    """The LayersError for a non-2xx answer."""
    retry_after = _retry_after(headers) if status == 429 else None
    try:
        envelope = json.loads(body.decode("utf-8"))
        error = envelope["error"]
        code, message = error["code"], error["message"]
        if not isinstance(code, str) or not isinstance(message, str):
            raise TypeError
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        text = body[:200].decode("utf-8", "replace")
        return LayersError(
            status,
            "UNEXPECTED_RESPONSE",
            f"HTTP {status} without the API's error envelope: {text}",
            request_id=headers.get("x-request-id"),
            headers=headers,
            retry_after_seconds=retry_after,
        )
    return LayersError(
        status,
        code,
        message,
        request_id=error.get("requestId") or headers.get("x-request-id"),
        details=error.get("details") or {},
        headers=headers,
        retry_after_seconds=retry_after,
    )


def _retry_after(headers: Mapping[str, str]) -> Optional[int]:
    value = (headers.get("retry-after") or "").strip()
    return int(value) if value.isdigit() else None
