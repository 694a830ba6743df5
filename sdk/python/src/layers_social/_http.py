from __future__ import annotations

import http.client
import json
import random as _random
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import Any, Callable, Dict, Mapping, NamedTuple, Optional

from .errors import LayersError, error_from_response

__version__ = "0.1.0"

DEFAULT_BASE_URL = "https://api.layers.com"
BASE_DELAY_SECONDS = 0.5
# No wait between attempts is longer; a 429 asking for more is reported instead of waited out.
MAX_RETRY_DELAY_SECONDS = 30.0


class Response(NamedTuple):
    status: int
    headers: Dict[str, str]
    body: bytes


class ConnectionFailure(Exception):
    """Raised by a transport when no answer came back (refused, reset, DNS, timeout)."""

    def __init__(self, message: str, timed_out: bool = False) -> None:
        super().__init__(message)
        self.timed_out = timed_out


Transport = Callable[[str, str, Dict[str, str], Optional[bytes], float], Response]


def urllib_transport(method: str, url: str, headers: Dict[str, str], body: Optional[bytes], timeout: float) -> Response:
    """The default transport: ``urllib.request``, answering every status (4xx/5xx included)."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return Response(answer.status, _lower(answer.headers.items()), answer.read())
    except urllib.error.HTTPError as answer:
        with answer:
            return Response(answer.code, _lower(answer.headers.items()), answer.read())
    except (socket.timeout, TimeoutError) as error:
        raise ConnectionFailure(f"The API did not answer in time: {error}", timed_out=True) from error
    except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
        reason = getattr(error, "reason", error)
        if isinstance(reason, (socket.timeout, TimeoutError)):
            raise ConnectionFailure(f"The API did not answer in time: {reason}", timed_out=True) from error
        raise ConnectionFailure(f"The API could not be reached: {reason}") from error


def _lower(items: Any) -> Dict[str, str]:
    return {name.lower(): value for name, value in items}


class HttpClient:
    """The transport every method goes through: authentication, JSON, errors and retries.

    A retry happens only where repeating the request cannot do the work twice: after a 429 (the
    server refused before doing anything), and after a 5xx or a network failure for GETs and for
    requests carrying an ``Idempotency-Key`` the route replays. A kill switch (503 KILL_SWITCH)
    is never retried.
    """

    def __init__(
        self,
        api_key: str,
        base_url: Optional[str] = None,
        organization: Optional[str] = None,
        max_retries: int = 3,
        timeout: float = 60.0,
        transport: Optional[Transport] = None,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], float] = time.time,
        random: Callable[[], float] = _random.random,
    ) -> None:
        if not api_key:
            raise TypeError("Layers(api_key=...) needs an API key (lp_live_... or lp_test_...).")
        self._api_key = api_key
        self._base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self._organization = organization
        self._max_retries = max_retries
        self._timeout = timeout
        self._transport = transport or urllib_transport
        self._random = random
        self.sleep = sleep
        self.now = now

    def request(
        self,
        method: str,
        path: str,
        query: Optional[Mapping[str, Any]] = None,
        body: Optional[Mapping[str, Any]] = None,
        replays_idempotency_key: Optional[bool] = None,
        idempotency_key: Optional[str] = None,
    ) -> Any:
        """``replays_idempotency_key``: whether the route replays a repeated key (every mutating
        route but oauth-url and reauth-url); default every method but GET."""
        replays = method != "GET" if replays_idempotency_key is None else replays_idempotency_key
        if idempotency_key is None and replays:
            idempotency_key = str(uuid.uuid4())
        repeatable = method == "GET" or (replays and idempotency_key is not None)
        url = self._base_url + path + _query_string(query or {})
        headers = {
            "Authorization": f"Bearer {self._api_key}",
            "Accept": "application/json",
            "User-Agent": f"layers-social-python/{__version__}",
        }
        if self._organization:
            headers["X-Layers-Organization"] = self._organization
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body).encode("utf-8")

        retry = 0
        while True:
            try:
                response = self._transport(method, url, dict(headers), data, self._timeout)
            except ConnectionFailure as failure:
                error = LayersError(0, "TIMEOUT" if failure.timed_out else "NETWORK_ERROR", str(failure))
                if not repeatable or retry >= self._max_retries:
                    raise error from failure
                self.sleep(self._backoff(retry))
                retry += 1
                continue
            if 200 <= response.status < 300:
                return _parse_body(response)
            error = error_from_response(response.status, response.headers, response.body)
            delay = self._retry_delay(error, repeatable, retry) if retry < self._max_retries else None
            if delay is None:
                raise error
            self.sleep(delay)
            retry += 1

    def put_bytes(self, url: str, headers: Mapping[str, str], data: bytes) -> None:
        """PUTs bytes to an upload URL the API handed out (the URL is the credential: no API key
        goes with it). Repeating the same PUT is harmless, so network errors and 5xx are retried."""
        retry = 0
        while True:
            try:
                response = self._transport("PUT", url, dict(headers), data, self._timeout)
            except ConnectionFailure as failure:
                if retry >= self._max_retries:
                    raise LayersError(0, "TIMEOUT" if failure.timed_out else "NETWORK_ERROR", str(failure)) from failure
                self.sleep(self._backoff(retry))
                retry += 1
                continue
            if 200 <= response.status < 300:
                return
            error = error_from_response(response.status, response.headers, response.body)
            delay = self._retry_delay(error, True, retry) if retry < self._max_retries else None
            if delay is None:
                raise error
            self.sleep(delay)
            retry += 1

    def _retry_delay(self, error: LayersError, repeatable: bool, retry: int) -> Optional[float]:
        if error.status == 429:
            if error.retry_after_seconds is None:
                return self._backoff(retry)
            return float(error.retry_after_seconds) if error.retry_after_seconds <= MAX_RETRY_DELAY_SECONDS else None
        if error.status >= 500 and repeatable and error.code != "KILL_SWITCH":
            return self._backoff(retry)
        return None

    def _backoff(self, retry: int) -> float:
        """Exponential (0.5 s, 1 s, 2 s, ... capped at 30 s) with jitter: between half and all of it."""
        ceiling = min(MAX_RETRY_DELAY_SECONDS, BASE_DELAY_SECONDS * 2**retry)
        return ceiling / 2 + self._random() * ceiling / 2


def _parse_body(response: Response) -> Any:
    if not response.body:
        return None
    try:
        return json.loads(response.body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        text = response.body[:200].decode("utf-8", "replace")
        raise LayersError(
            response.status,
            "UNEXPECTED_RESPONSE",
            f"HTTP {response.status} with a body that is not JSON: {text}",
            request_id=response.headers.get("x-request-id"),
            headers=response.headers,
        ) from error


def _query_string(query: Mapping[str, Any]) -> str:
    pairs = []
    for name, value in query.items():
        if value is None:
            continue
        for item in value if isinstance(value, (list, tuple)) else [value]:
            pairs.append((name, _query_value(item)))
    return "?" + urllib.parse.urlencode(pairs) if pairs else ""


def _query_value(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def segment(value: str) -> str:
    """A path parameter, percent-encoded."""
    return urllib.parse.quote(str(value), safe="")


def camel_case(name: str) -> str:
    """``social_account_id`` → ``socialAccountId``: keyword arguments become the API's field names."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def api_fields(fields: Mapping[str, Any]) -> Dict[str, Any]:
    """Top-level keyword arguments renamed to the API's camelCase; values (nested objects too) as given."""
    return {camel_case(name): value for name, value in fields.items()}
