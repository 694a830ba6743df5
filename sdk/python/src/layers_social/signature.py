from __future__ import annotations

import hashlib
import hmac
import re
import time
from typing import Optional, Union

_HEX_SIGNATURE = re.compile(r"^[0-9a-fA-F]{64}$")
_TIMESTAMP = re.compile(r"^\d{1,12}$")


def verify_webhook_signature(
    raw_body: Union[bytes, str],
    header: Optional[str],
    secret: str,
    tolerance_seconds: int = 300,
    now: Optional[float] = None,
) -> bool:
    """Checks ``X-Layers-Signature: t=<unix>,v1=<hex>[,v1=<hex>]`` over the raw request body.

    True when ``t`` is within ``tolerance_seconds`` of now and any ``v1`` is
    HMAC-SHA256(secret, "<t>.<raw body>") (two ``v1`` during the 24 hours after a secret
    rotation); compared in constant time. Pass the body exactly as received, never re-serialized.
    """
    if not header or not secret:
        return False
    fields = [part.split("=", 1) for part in header.split(",") if "=" in part]
    fields = [(name.strip(), value.strip()) for name, value in fields]
    timestamp = next((value for name, value in fields if name == "t"), "")
    if not _TIMESTAMP.match(timestamp):
        return False
    current = time.time() if now is None else now
    if abs(current - int(timestamp)) > tolerance_seconds:
        return False
    body = raw_body.encode("utf-8") if isinstance(raw_body, str) else bytes(raw_body)
    expected = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()
    return any(
        name == "v1" and _HEX_SIGNATURE.match(value) and hmac.compare_digest(value.lower(), expected)
        for name, value in fields
    )
