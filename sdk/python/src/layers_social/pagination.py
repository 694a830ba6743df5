from __future__ import annotations

from typing import Any, Callable, Dict, Iterator


class Page(dict):
    """One page of a list, as the API sends it: ``page["items"]``, ``page["nextCursor"]``.

    ``auto_paging_iter()`` yields every item of this page and the pages after it, fetching each
    page when the previous one is used up.
    """

    def __init__(self, data: Dict[str, Any], fetch_page: Callable[[str], "Page"]) -> None:
        super().__init__(data)
        self._fetch_page = fetch_page

    def auto_paging_iter(self) -> Iterator[Dict[str, Any]]:
        page = self
        while True:
            yield from page["items"]
            cursor = page.get("nextCursor")
            if not cursor:
                return
            page = page._fetch_page(cursor)
