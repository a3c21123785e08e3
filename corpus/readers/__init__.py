"""Files in, UTF-8 text out: the one entry point the library calls to read a document of any supported format.

The text returned is what the passages cite (for .docx, .pdf and .html it is a conversion, stored beside
the original so line offsets and the source viewer work for every format).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from corpus.readers.docx import read_docx
from corpus.readers.errors import Unreadable, UnreadableDocument
from corpus.readers.html import read_html
from corpus.readers.pdf import read_pdf
from corpus.readers.text import decode_text

MAX_BYTES = 20 * 1024 * 1024
FORMATS = {".txt": "txt", ".md": "md", ".markdown": "md", ".docx": "docx", ".pdf": "pdf", ".html": "html",
           ".htm": "html"}
SUPPORTED_SUFFIXES = tuple(FORMATS)

__all__ = ["MAX_BYTES", "SUPPORTED_SUFFIXES", "ReadResult", "Unreadable", "UnreadableDocument", "read_document",
           "read_bytes"]


@dataclass(frozen=True)
class ReadResult:
    text: str  # the UTF-8 text the passages cite, `\n` line ends
    source_format: str  # txt, md, docx, pdf, html
    pages: tuple[int, ...] = ()  # PDF: offset in `text` where each page starts


def source_format(name: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix not in FORMATS:
        shown = suffix or "no extension"
        hint = " (old Word .doc: save it as .docx)" if suffix == ".doc" else ""
        raise UnreadableDocument(Unreadable.UNSUPPORTED_TYPE, f"{name}: file type {shown} is not supported{hint}; "
                                 f"supported: {', '.join(SUPPORTED_SUFFIXES)}")
    return FORMATS[suffix]


# What a file really is, by its first bytes: a PDF or Word file renamed .txt deserves a precise answer.
OCR_ADVICE = "a picture holds no text: run it through OCR and add the text"
WORD_ADVICE = "open it in Word or WPS and save it as .docx"
SIGNATURES = ((b"%PDF-", "a PDF file", "rename it to .pdf"),
              (b"PK\x03\x04", "a ZIP archive (a Word .docx file?)", "if it is a Word file, rename it to .docx"),
              (b"\xd0\xcf\x11\xe0", "an old Word .doc file", WORD_ADVICE), (b"{\\rtf", "an RTF file", WORD_ADVICE),
              (b"\x89PNG", "a PNG image", OCR_ADVICE), (b"\xff\xd8\xff", "a JPEG image", OCR_ADVICE),
              (b"GIF8", "a GIF image", OCR_ADVICE))


def _check_content_matches(data: bytes, name: str, kind: str) -> None:
    expected = {"pdf": b"%PDF-", "docx": b"PK\x03\x04"}.get(kind)
    for magic, what, advice in SIGNATURES:
        if data.startswith(magic) and magic != expected:
            raise UnreadableDocument(Unreadable.BINARY, f"{name} is {what}, not a .{kind} document: {advice}")
    if expected and expected not in data[:1024]:  # a PDF may have a few bytes before its marker
        raise UnreadableDocument(Unreadable.UNDECODABLE, f"{name} is not a real .{kind} file (its content is of "
                                 f"another kind): open it in the program that made it and save it as .{kind}")


def read_bytes(data: bytes, name: str) -> ReadResult:
    """Read a document from its bytes; `name` (the file name) gives the format and labels errors."""
    kind = source_format(name)
    if len(data) > MAX_BYTES:
        raise _too_large(name, len(data))
    if not data.strip():
        raise UnreadableDocument(Unreadable.EMPTY, f"{name} is empty: there is no text to add")
    _check_content_matches(data, name, kind)
    pages: tuple[int, ...] = ()
    if kind in ("txt", "md"):
        text = decode_text(data, name)
    elif kind == "html":
        text = read_html(decode_text(data, name), name)
    elif kind == "docx":
        text = read_docx(data, name)
    else:
        text, pages = read_pdf(data, name)
    if not text.strip():
        raise UnreadableDocument(Unreadable.EMPTY, f"{name} contains no text")
    return ReadResult(text, kind, pages)


def read_document(path: Path) -> ReadResult:
    """Read the file at `path`; anything the library cannot take raises UnreadableDocument with its reason."""
    path = Path(path)
    source_format(path.name)
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise _too_large(path.name, size)  # checked before reading a byte
    return read_bytes(path.read_bytes(), path.name)


def _too_large(name: str, size: int) -> UnreadableDocument:
    return UnreadableDocument(Unreadable.TOO_LARGE, f"{name} is {size / 2**20:.1f} MB, over the "
                              f"{MAX_BYTES // 2**20} MB limit: split the document or remove embedded images")
