"""The library over HTTP: list, read, add (multipart upload) and remove documents.

Adding and removing need the API key. An upload is streamed to a temporary folder under a size cap,
checked and read, indexed beside the current index and swapped in; the service keeps answering
throughout. A bad file gets a 4xx saying what is wrong and changes nothing.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from corpus.library import LibraryError, LibraryProblem
from corpus.readers import MAX_BYTES, Unreadable
from qa.api.deps import ApiKeyDep, ServiceDep
from qa.schemas import DocumentDetail, DocumentOut, ErrorOut, LibraryChangeOut
from qa.service import ChangeReport, document_out

router = APIRouter(prefix="/api/documents", tags=["documents"])
UPLOAD_FIELD = "file"
MAX_FILES = 20
MULTIPART_OVERHEAD = 64 * 1024  # boundaries and part headers around the files' bytes
MAX_UPLOAD_BODY = MAX_BYTES + MULTIPART_OVERHEAD
CHUNK = 1 << 16
STATUS = {Unreadable.TOO_LARGE: 413, Unreadable.UNSUPPORTED_TYPE: 415, LibraryProblem.DUPLICATE: 409,
          LibraryProblem.NAME_TAKEN: 409, LibraryProblem.UNKNOWN_DOCUMENT: 404}
ERRORS = {400: {"description": "not multipart/form-data"},
          413: {"description": "the upload is over 20 MB"}, 415: {"description": "unsupported file type"},
          409: {"description": "the same text, or a file of that name, is already in the library"},
          422: {"description": "empty, binary, scanned (needs OCR) or undecodable file"},
          401: {"description": "no API key"}, 403: {"description": "wrong API key"}}


def library_error(error: LibraryError) -> HTTPException:
    return HTTPException(STATUS.get(error.reason, 422), {"reason": str(error.reason), "message": error.message})


def change_out(report: ChangeReport, service: ServiceDep) -> LibraryChangeOut:
    counts = {d.doc_id: d.passages for d in service.documents()}
    return LibraryChangeOut(added=[document_out(d, counts.get(d.doc_id, 0)) for d in report.added],
                            removed=report.removed, passages=report.passages, embedded=report.embedded,
                            seconds=round(report.seconds, 3))


@router.get("", response_model=list[DocumentOut], summary="The documents of the library, with their metadata")
def list_documents(service: ServiceDep) -> list[DocumentOut]:
    return service.documents()


@router.get("/{doc_id}", response_model=DocumentDetail, summary="A document with its full text",
            responses={404: {"model": ErrorOut, "description": "no document with this id"}})
def get_document(doc_id: str, service: ServiceDep) -> DocumentDetail:
    document = service.document(doc_id)
    if document is None:
        raise HTTPException(status_code=404, detail=f"no document {doc_id!r}; GET /api/documents lists them")
    return document


async def _receive_files(request: Request, folder: Path) -> list[tuple[str, Path]]:
    """Stream the multipart body and save each file part in `folder`. The request guard (qa/api/middleware.py)
    cuts the body off past MAX_UPLOAD_BODY as it arrives; a file over 20 MB within it is refused by the reader."""
    content_type = request.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/form-data"):
        raise HTTPException(400, f"send the files as multipart/form-data in field {UPLOAD_FIELD!r} "
                                 f"(got Content-Type {content_type or 'none'})")
    try:
        form = await MultiPartParser(request.headers, request.stream(), max_files=MAX_FILES).parse()
    except MultiPartException as error:
        raise HTTPException(400, f"malformed multipart upload: {error.message}") from None
    try:
        uploads = [u for u in form.getlist(UPLOAD_FIELD) if isinstance(u, UploadFile)]
        if not uploads:
            raise HTTPException(422, f"no file in field {UPLOAD_FIELD!r}")
        files = []
        for number, upload in enumerate(uploads):
            target = folder / str(number)
            with target.open("wb") as out:
                while chunk := await upload.read(CHUNK):
                    out.write(chunk)
            files.append((upload.filename or "", target))
        return files
    finally:
        await form.close()


@router.post("", response_model=LibraryChangeOut, status_code=201, dependencies=[ApiKeyDep], responses=ERRORS,
             summary="Add documents (multipart, field `file`, repeatable); needs the API key")
async def add_documents(request: Request, service: ServiceDep) -> LibraryChangeOut:
    with tempfile.TemporaryDirectory(prefix="policy-qa-upload-") as folder:
        files = await _receive_files(request, Path(folder))
        try:
            report = await run_in_threadpool(service.add_documents, files)
        except LibraryError as error:
            raise library_error(error) from None
    return change_out(report, service)


@router.delete("/{doc_id}", response_model=LibraryChangeOut, dependencies=[ApiKeyDep],
               responses={404: {"description": "no such document"}, **ERRORS},
               summary="Remove a document from the library and the index; needs the API key")
def remove_document(doc_id: str, service: ServiceDep) -> LibraryChangeOut:
    try:
        report = service.remove_document(doc_id)
    except LibraryError as error:
        raise library_error(error) from None
    return change_out(report, service)
