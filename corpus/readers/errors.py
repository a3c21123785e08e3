"""Why a file cannot become a document of the library."""

from __future__ import annotations

from enum import StrEnum


class Unreadable(StrEnum):
    EMPTY = "empty"
    BINARY = "binary"
    UNSUPPORTED_TYPE = "unsupported_type"
    TOO_LARGE = "too_large"
    NEEDS_OCR = "needs_ocr"
    UNDECODABLE = "undecodable"


class UnreadableDocument(ValueError):
    """A file the library cannot take; `reason` says which kind of problem, the message what to do."""

    def __init__(self, reason: Unreadable, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
