from __future__ import annotations

import json
from typing import Any, Callable, Dict, List, Optional, Union

from layers_social import ConnectionFailure, Layers, Response

Answer = Union[Response, Exception]


def answer(status: int, body: Any, headers: Optional[Dict[str, str]] = None) -> Response:
    return Response(status, {"content-type": "application/json", **(headers or {})}, json.dumps(body).encode())


def api_error(status: int, code: str, headers: Optional[Dict[str, str]] = None, details: Optional[Dict[str, Any]] = None) -> Response:
    request_id = "req_01J" + str(status).zfill(23)
    error: Dict[str, Any] = {"code": code, "message": f"{code} happened", "requestId": request_id}
    if details is not None:
        error["details"] = details
    return answer(status, {"error": error}, {"x-request-id": request_id, **(headers or {})})


class Scripted:
    """A client whose transport answers from a script, and whose sleeps are recorded, not waited."""

    def __init__(self, answers: List[Answer], **options: Any) -> None:
        self.answers = list(answers)
        self.sent: List[Dict[str, Any]] = []
        self.sleeps: List[float] = []
        self.clock = 1_700_000_000.0
        options.setdefault("random", lambda: 0.0)
        self.layers = Layers(
            api_key="lp_test_ABCDEFGHIJKLMNOP_secret",
            base_url="https://api.example.test/",
            transport=self._transport,
            sleep=self._sleep,
            now=lambda: self.clock,
            **options,
        )

    def _sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.clock += seconds

    def _transport(self, method: str, url: str, headers: Dict[str, str], body: Optional[bytes], timeout: float) -> Response:
        self.sent.append({"method": method, "url": url, "headers": headers, "body": json.loads(body) if body else None})
        if not self.answers:
            raise AssertionError(f"unexpected request {method} {url}")
        next_answer = self.answers.pop(0)
        if isinstance(next_answer, Exception):
            raise next_answer
        return next_answer


def network_failure() -> ConnectionFailure:
    return ConnectionFailure("The API could not be reached: connection refused")
