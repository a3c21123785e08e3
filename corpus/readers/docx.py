"""Word .docx: paragraphs and tables in body order, automatic numbering written out."""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Iterator

import docx
from docx.document import Document as WordDocument
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph
from lxml.etree import XMLSyntaxError

from corpus.readers.errors import Unreadable, UnreadableDocument
from corpus.readers.markdown import markdown_table
from corpus.readers.numbering import Numbering


def _table_rows(table: Table, numbering: Numbering) -> list[list[str]]:
    """Cell texts row by row, one per grid column; a cell's paragraphs keep their automatic numbers."""
    rows = []
    texts = {}  # cell element → text: a cell merged down several rows is read (and its numbers counted) once
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            if cell._tc in seen:
                cells.append("")  # a cell merged across columns: its text once, the columns kept aligned
                continue
            seen.add(cell._tc)
            if cell._tc not in texts:
                texts[cell._tc] = " ".join(numbering.label(p) + p.text for p in cell.paragraphs)
            cells.append(texts[cell._tc])
        rows.append(cells)
    return rows


def _body_items(document: WordDocument, container=None) -> Iterator[Paragraph | Table]:
    """Paragraphs and tables in body order, including those inside content controls (w:sdt)."""
    container = document.element.body if container is None else container
    for child in container.iterchildren():
        if child.tag == qn("w:p"):
            yield Paragraph(child, document._body)
        elif child.tag == qn("w:tbl"):
            yield Table(child, document._body)
        elif child.tag == qn("w:sdt") and (content := child.find(qn("w:sdtContent"))) is not None:
            yield from _body_items(document, content)


# What a damaged or mislabelled .docx raises while it is unzipped and parsed
BROKEN_FILE = (zipfile.BadZipFile, zlib.error, EOFError, KeyError, ValueError, NotImplementedError, XMLSyntaxError)


def read_docx(data: bytes, name: str) -> str:
    try:
        return _convert(docx.Document(io.BytesIO(data)))
    except BROKEN_FILE as error:
        raise UnreadableDocument(Unreadable.UNDECODABLE, f"{name} is not a readable Word .docx file ({error}); "
                                 "open it in Word or WPS and save it again as .docx") from error


def _convert(document: WordDocument) -> str:
    numbering = Numbering.of(document)
    blocks: list[str] = []
    for item in _body_items(document):
        if isinstance(item, Paragraph):
            label = numbering.label(item)  # counted even on an empty paragraph, as Word counts it
            if text := item.text.strip():
                blocks.append(label + text)
        else:
            table = markdown_table(_table_rows(item, numbering))
            if table:
                blocks.append("\n".join(table))
    return "\n\n".join(blocks) + "\n"
