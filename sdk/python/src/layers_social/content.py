from __future__ import annotations

import mimetypes
import os
from typing import Any, Dict, List, Optional, Sequence, Union

from ._http import HttpClient, api_fields, segment
from .pagination import Page

# A file for ``upload``: a path, or ``{"data": bytes, "filename": ..., "contentType": ...}``.
UploadFile = Union[str, "os.PathLike[str]", Dict[str, Any]]

_TYPES_BY_EXTENSION = {
    ".mp4": "video/mp4",
    ".mov": "video/quicktime",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
}


class Content:
    """Content: finished videos and images, uploaded by URL or straight to storage."""

    def __init__(self, http: HttpClient) -> None:
        self._http = http

    def upload_from_url(self, *, project_id: str, idempotency_key: Optional[str] = None, **body: Any) -> Dict[str, Any]:
        """The server fetches every URL and creates a completed container, or refuses the lot (422 naming each bad file)."""
        return self._http.request("POST", f"/v1/projects/{segment(project_id)}/content/upload", body=api_fields(body), idempotency_key=idempotency_key)

    def upload(self, *, project_id: str, files: Sequence[UploadFile], caption: str, grouping: str = "per-file") -> List[Dict[str, Any]]:
        """The three steps of a direct upload in one call: create the session, PUT each file's
        bytes to its upload URL, finalize each container with ``caption``. Returns the completed
        containers."""
        named = [_named_file(file) for file in files]
        session = self.create_upload(
            project_id=project_id,
            grouping=grouping,
            files=[{"filename": name, "contentType": kind, "sizeBytes": len(data)} for name, kind, data in named],
        )
        uploads = [file for item in session["items"] for file in item["files"]]
        for upload, (_, _, data) in zip(uploads, named):
            self._http.put_bytes(upload["uploadUrl"], upload["uploadHeaders"], data)
        return [self.finalize_upload(container_id=item["containerId"], caption=caption) for item in session["items"]]

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


def _named_file(file: UploadFile) -> "tuple[str, str, bytes]":
    if isinstance(file, dict):
        data = file["data"]
        name = file.get("filename")
        if not name:
            raise TypeError("content.upload: a file given as bytes needs a filename")
    else:
        with open(file, "rb") as handle:
            data = handle.read()
        name = os.path.basename(os.fspath(file))
    kind = (file.get("contentType") if isinstance(file, dict) else None) or _TYPES_BY_EXTENSION.get(os.path.splitext(name)[1].lower()) or mimetypes.guess_type(name)[0]
    if not kind:
        raise TypeError(f"content.upload: cannot tell the type of {name}; pass contentType")
    return name, kind, bytes(data)
