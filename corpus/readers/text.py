"""Plain text and markdown: UTF-8 (with or without BOM), else GB18030/GBK and kin detected by charset-normalizer."""

from __future__ import annotations

from charset_normalizer import from_bytes

from corpus.readers.errors import Unreadable, UnreadableDocument

CHINESE_ENCODINGS = ("gb18030", "gbk", "gb2312", "big5", "utf_8")
MIN_PRINTABLE_SHARE = 0.9  # decoded text below this share of printable characters is not a document


def normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def decode_text(data: bytes, name: str) -> str:
    """Bytes of a text file → str with `\n` line ends; binary or undecodable bytes are refused."""
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnreadableDocument(Unreadable.BINARY, f"{name} is a binary file, not text: "
                                 "save the document as .txt (UTF-8), .docx, .pdf or .html")
    text = _decode(data, name)
    text = normalise_newlines(text.removeprefix("\ufeff"))
    if not text.strip():
        raise UnreadableDocument(Unreadable.EMPTY, f"{name} has no text: the file is blank")
    printable = sum(1 for ch in text if ch.isprintable() or ch in "\n\t")
    if printable < MIN_PRINTABLE_SHARE * len(text):
        raise UnreadableDocument(Unreadable.BINARY, f"{name} looks like a binary file (mostly control characters): "
                                 "save the document as .txt (UTF-8), .docx, .pdf or .html")
    return text


def _decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    # Only the encodings Chinese documents come in: single-byte code pages decode any bytes into nonsense.
    best = from_bytes(data, cp_isolation=list(CHINESE_ENCODINGS)).best()
    if best is None:
        raise UnreadableDocument(Unreadable.UNDECODABLE, f"{name}: the text encoding could not be recognised "
                                 "(neither UTF-8 nor GB18030/GBK): save it as UTF-8 text and add it again")
    return str(best)
