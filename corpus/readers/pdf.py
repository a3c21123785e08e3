"""PDF with a text layer (pypdfium2): one block of text per page, with the offset where each page starts."""

from __future__ import annotations

import re
import threading
import unicodedata

import pypdfium2 as pdfium

from corpus.readers.errors import Unreadable, UnreadableDocument
from corpus.readers.text import normalise_newlines

MIN_CHARS_PER_PAGE = 20  # below this on average the pages are images: a scan
MAX_UNMAPPED_SHARE = 0.3  # more private-use or replacement characters than this: fonts without a character map
PDFIUM_LOCK = threading.Lock()  # pdfium is not thread-safe; uploads may arrive on several threads
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ufffe\uffff]")


def _page_text(page: pdfium.PdfPage) -> str:
    text_page = page.get_textpage()
    try:
        text = text_page.get_text_range()
    finally:
        text_page.close()
    lines = [line.rstrip() for line in CONTROL.sub("", normalise_newlines(text)).split("\n")]
    return "\n".join(lines).strip("\n")


def read_pdf(data: bytes, name: str) -> tuple[str, tuple[int, ...]]:
    """The text of every page joined by newlines, and the offset in it where each page starts."""
    with PDFIUM_LOCK:
        try:
            document = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as error:
            raise UnreadableDocument(Unreadable.UNDECODABLE, f"{name} cannot be opened as a PDF ({error}); "
                                     "if it is password-protected, save an unprotected copy") from error
        try:
            pages = [_page_text(page) for page in document]
        except pdfium.PdfiumError as error:
            raise UnreadableDocument(Unreadable.UNDECODABLE, f"{name} is a damaged PDF ({error}): "
                                     "open it in a PDF reader and save or print it to a new PDF") from error
        finally:
            document.close()
    visible = "".join(re.sub(r"\s", "", page) for page in pages)
    if len(visible) < MIN_CHARS_PER_PAGE * max(len(pages), 1):
        raise UnreadableDocument(Unreadable.NEEDS_OCR, f"{name} is a scanned PDF: its pages have no text layer, "
                                 "so OCR is needed; run it through OCR (or export the text from the original "
                                 "document) and add the result")
    unmapped = sum(1 for ch in visible if ch == "\ufffd" or unicodedata.category(ch) in ("Co", "Cn"))
    if unmapped > MAX_UNMAPPED_SHARE * len(visible):
        raise UnreadableDocument(Unreadable.NEEDS_OCR, f"{name}: the PDF's text layer cannot be decoded (its fonts "
                                 "carry no character map), so OCR is needed; run it through OCR or export the text "
                                 "from the original document")
    starts, parts, offset = [], [], 0
    for page in pages:
        starts.append(offset)
        parts.append(page + "\n")
        offset += len(page) + 1
    return "".join(parts), tuple(starts)
