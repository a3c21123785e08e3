"""Draft manifest entries extracted from the documents' headers, for review."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from corpus.metadata import extract_header_metadata


def extract_manifest_entries(directory: Path) -> list[dict]:
    entries = []
    for path in sorted(directory.glob("*.txt")):
        metadata = extract_header_metadata(path.read_text(encoding="utf-8"))
        entries.append({"doc_id": path.stem, "file": path.name, **asdict(metadata)})
    return entries
