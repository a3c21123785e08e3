"""Draft reviewed-record entries: the metadata extracted from each document, to check and correct."""

from __future__ import annotations

from corpus.library import REVIEWABLE_FIELDS, LibraryState


def draft_reviewed_record(state: LibraryState) -> dict:
    """`{"documents": {doc_id: {field: extracted value}}}`, the shape of corpus/manifest.json."""
    return {"documents": {doc_id: {name: entry.extracted.get(name) for name in REVIEWABLE_FIELDS}
                          for doc_id, entry in state.entries.items()}}
