"""A small, safe Markdown renderer for controlled documents.

Everything the author wrote is HTML-escaped first; only then are a few Markdown forms turned
into tags the renderer itself writes: headings (#, ##, ###), bulleted and numbered lists,
paragraphs, **bold**, *emphasis* and `code`. No raw HTML, no links, no images: a document
cannot carry a script or a tracking pixel, so no sanitiser (and no new dependency) is needed.
"""

from __future__ import annotations

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

_HEADING = re.compile(r"^(#{1,3})\s+(.*)$")
_BULLET = re.compile(r"^\s*[-*+]\s+(.*)$")
_NUMBERED = re.compile(r"^\s*\d+[.)、]\s*(.*)$")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_EM = re.compile(r"(?<![*\w])\*(?!\s)(.+?)(?<!\s)\*(?![*\w])")
_CODE = re.compile(r"`([^`]+)`")


def _inline(text: str) -> str:
    text = escape(text)
    text = _CODE.sub(r"<code>\1</code>", text)
    text = _BOLD.sub(r"<strong>\1</strong>", text)
    return _EM.sub(r"<em>\1</em>", text)


def render(source: str) -> SafeString:
    """The HTML of a Markdown text, escaped (see the module's docstring)."""
    html: list[str] = []
    paragraph: list[str] = []
    list_tag: str | None = None

    def close_paragraph():
        if paragraph:
            html.append("<p>" + "<br>".join(_inline(line) for line in paragraph) + "</p>")
            paragraph.clear()

    def close_list():
        nonlocal list_tag
        if list_tag:
            html.append(f"</{list_tag}>")
            list_tag = None

    for raw in (source or "").replace("\r\n", "\n").split("\n"):
        line = raw.rstrip()
        if not line.strip():
            close_paragraph()
            close_list()
            continue
        heading = _HEADING.match(line)
        if heading:
            close_paragraph()
            close_list()
            level = len(heading.group(1)) + 2  # the page's own title is the h1/h2
            html.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
            continue
        for pattern, tag in ((_BULLET, "ul"), (_NUMBERED, "ol")):
            item = pattern.match(line)
            if item:
                close_paragraph()
                if list_tag != tag:
                    close_list()
                    html.append(f"<{tag}>")
                    list_tag = tag
                html.append(f"<li>{_inline(item.group(1))}</li>")
                break
        else:
            close_list()
            paragraph.append(line.strip())
    close_paragraph()
    close_list()
    return mark_safe("\n".join(html))  # noqa: S308 - every piece of text went through escape()
