"""The HTML parser behind :func:`helioport.transport.listing.parse_index`.

Its own module so that ``html.parser`` is imported only when an HTML index
page is parsed, not by every load (a folder mirror or a cached listing needs
none).
"""

from __future__ import annotations

from html.parser import HTMLParser


class IndexParser(HTMLParser):
    """Collect each link and the text that follows it (up to the next link or row)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[list] = []  # [href, link text, tail text]
        self._in_a = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href is not None:
                self.links.append([href, "", ""])
                self._in_a = True
                return
        if tag in ("tr", "hr", "li") and self.links:
            self.links[-1][2] += "\n"  # a new row: the previous link's tail ends
            self.links.append([None, "", ""])
        elif tag in ("td", "th") and self.links:
            self.links[-1][2] += "  "

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._in_a = False

    def handle_data(self, data: str) -> None:
        if not self.links:
            return
        self.links[-1][1 if self._in_a else 2] += data
