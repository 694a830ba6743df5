"""Python SDK for the Layers Partner API (social accounts, webhooks); standard library only."""

from ._http import ConnectionFailure, Response, __version__
from .client import Layers
from .errors import LayersError
from .pagination import Page
from .signature import verify_webhook_signature

__all__ = ["Layers", "LayersError", "Page", "verify_webhook_signature", "Response", "ConnectionFailure", "__version__"]
