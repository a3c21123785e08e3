"""HTML: the main text of the page (no scripts, menus, headers or footers), one line per block, tables as rows."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, NavigableString, Tag

from corpus.readers.markdown import markdown_table

DROPPED = ("script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form", "iframe",
           "svg", "button", "select", "head")
BLOCKS = {"p", "div", "section", "article", "main", "li", "h1", "h2", "h3", "h4", "h5", "h6", "br", "tr",
          "blockquote", "pre", "dd", "dt", "ul", "ol", "dl", "center", "table", "hr", "figure", "figcaption",
          "address", "td", "th", "caption"}
LONG_CELL = 200  # a cell holding more text than this is a page region, not a table cell
MAIN_SHARE = 0.6  # a container holding this share of the page's text is its main content


def _is_data_table(table: Tag) -> bool:
    """Old government sites lay whole pages out with tables; a data table has short cells and no tables inside."""
    if table.find("table") is not None:
        return False
    cells = table.find_all(["td", "th"])
    columns = max((len(tr.find_all(["td", "th"], recursive=False)) for tr in table.find_all("tr")), default=0)
    return columns > 1 and all(_text_length(cell) <= LONG_CELL for cell in cells)


def _text_length(tag: Tag) -> int:
    return len(re.sub(r"\s", "", tag.get_text()))


def _main_container(body: Tag) -> Tag:
    """Descend into the one child that holds most of the text, as long as one does: the article itself."""
    node = body
    while True:
        total = _text_length(node)
        children = [c for c in node.find_all(True, recursive=False)
                    if not (c.name == "table" and _is_data_table(c))]
        best = max(children, key=_text_length, default=None)
        if best is None or total == 0 or _text_length(best) < MAIN_SHARE * total:
            return node
        node = best


def _lines(node: Tag, out: list[str], current: list[str]) -> None:
    for child in node.children:
        if isinstance(child, NavigableString):
            if child.__class__.__name__ in ("Comment", "CData", "ProcessingInstruction", "Doctype", "Declaration"):
                continue
            current.append(str(child))
        elif isinstance(child, Tag):
            if child.name == "table" and _is_data_table(child):
                _flush(out, current)
                rows = [[cell.get_text(" ") for cell in tr.find_all(["td", "th"], recursive=False)]
                        for tr in child.find_all("tr")]
                out.extend(markdown_table(rows))
                out.append("")
            elif child.name == "br":
                _flush(out, current)
            elif child.name in BLOCKS:
                _flush(out, current)
                _lines(child, out, current)
                _flush(out, current)
            else:
                _lines(child, out, current)


def _flush(out: list[str], current: list[str]) -> None:
    line = re.sub(r"[ \t\r\n\u00a0]+", " ", "".join(current)).strip()
    current.clear()
    if line:
        out.append(line)
        out.append("")


def read_html(text: str) -> str:
    soup = BeautifulSoup(text, "lxml")
    for tag in soup.find_all(DROPPED):
        tag.decompose()
    root = soup.find("main") or soup.find("article") or soup.body or soup
    main = _main_container(root)
    out: list[str] = []
    heading = root.find("h1")
    if heading is not None and main is not heading and heading not in main.parents and main not in heading.parents \
            and heading.find_parent(lambda tag: tag is main) is None:
        _flush(out, [heading.get_text(" ")])  # the title often sits above the article container
    _lines(main, out, [])
    return "\n".join(out).strip() + "\n"
