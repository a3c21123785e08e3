"""GET /api/documents and /api/documents/{doc_id} (metadata and full text, for the citation view)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from corpus.documents import DOCUMENTS_DIR
from qa.api.deps import ServiceDep
from qa.schemas import DocumentDetail, DocumentOut, ErrorOut

router = APIRouter(prefix="/api/documents", tags=["documents"])


@router.get("", response_model=list[DocumentOut], summary="The documents searched")
def list_documents(service: ServiceDep) -> list[DocumentOut]:
    return service.documents()


@router.get("/{doc_id}", response_model=DocumentDetail, summary="A document with its full text",
            responses={404: {"model": ErrorOut, "description": "no document with this id"}})
def get_document(doc_id: str, service: ServiceDep) -> DocumentDetail:
    document = next((d for d in service.documents() if d.doc_id == doc_id), None)
    if document is None:
        raise HTTPException(status_code=404, detail=f"no document {doc_id!r}; GET /api/documents lists them")
    # Passage offsets point into the file as shipped, so the file is served byte for byte.
    text = (DOCUMENTS_DIR / document.file).read_text(encoding="utf-8")
    return DocumentDetail(**document.model_dump(), text=text)
