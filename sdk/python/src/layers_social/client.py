from __future__ import annotations

import random as _random
import time
from typing import Any, Callable, Dict, Optional

from ._http import HttpClient, Transport
from .api_keys import ApiKeys
from .content import Content
from .metrics import Metrics
from .projects import Projects
from .publishing import Publishing
from .social import Social
from .webhooks import Webhooks


class Layers:
    """The client: ``Layers(api_key=..., base_url=...)``, then one namespace per part of the API.

    Methods take keyword arguments in snake_case (path parameters, query parameters and body
    fields together; nested objects keep the API's camelCase keys), return the response body as
    plain dicts, and raise LayersError.
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
        self._http = HttpClient(
            api_key,
            base_url=base_url,
            organization=organization,
            max_retries=max_retries,
            timeout=timeout,
            transport=transport,
            sleep=sleep,
            now=now,
            random=random,
        )
        self.social = Social(self._http)
        self.projects = Projects(self._http)
        self.webhooks = Webhooks(self._http)
        self.api_keys = ApiKeys(self._http)
        self.content = Content(self._http)
        self.publishing = Publishing(self._http)
        self.metrics = Metrics(self._http)

    def whoami(self) -> Dict[str, Any]:
        """The calling key: its organization, scopes, rate-limit tier and return-URL allowlist."""
        return self._http.request("GET", "/v1/whoami")
