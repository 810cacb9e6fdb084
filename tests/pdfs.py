"""Reading a downloaded PDF in tests: its bytes checked as a PDF, its text extracted with
pypdf (whitespace squeezed: layout breaks lines where the page is narrow)."""

import io
import re

from pypdf import PdfReader


def pdf_text(response) -> str:
    """The text of every page of a PDF response, after checking that it is one."""
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    return text_of(response.content)


def text_of(content: bytes) -> str:
    """The text of every page of PDF bytes."""
    assert content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return re.sub(r"\s+", " ", text)


def squeezed(text: str) -> str:
    """`text` with every run of whitespace removed, to find words a line break may split."""
    return re.sub(r"\s+", "", text)
