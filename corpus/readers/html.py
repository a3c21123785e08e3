"""HTML: the main text of the page (no scripts, menus, headers or footers), one line per block, tables as rows."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import CData, Comment, Declaration, Doctype, ProcessingInstruction

from corpus.readers.markdown import markdown_table

DROPPED = ("script", "style", "noscript", "template", "nav", "aside", "form", "iframe", "svg", "button", "select",
           "head", "input", "textarea")
HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
NOT_TEXT = (Comment, CData, ProcessingInstruction, Doctype, Declaration)
KEPT = ("h1", "h2", "table")  # a sibling holding one of these is part of the document, not chrome
LINK_SHARE = 0.6  # a block whose text is mostly link text is navigation
BLOCKS = {"p", "div", "section", "article", "main", "li", "h1", "h2", "h3", "h4", "h5", "h6", "br", "tr",
          "blockquote", "pre", "dd", "dt", "ul", "ol", "dl", "center", "table", "hr", "figure", "figcaption",
          "address", "td", "th", "caption"}
LONG_CELL = 200  # a cell holding more text than this is a page region, not a table cell
CHROME_NAME = re.compile(r"foot|copyright|bottom|breadcrumb|crumb|sidebar|menu|navbar|share|toolbar|topbar",
                         re.IGNORECASE)
CHROME_SHARE = 0.3
MAIN_SHARE = 0.9  # a container holding this share of the page's text is its main content


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
    """Descend into the child that holds nearly all the text, as long as its siblings hold no title or table."""
    node = body
    while True:
        total = _text_length(node)
        children = node.find_all(True, recursive=False)
        best = max(children, key=_text_length, default=None)
        if best is None or total == 0 or _text_length(best) < MAIN_SHARE * total or best.name in ("tr", "tbody") \
                or (best.name == "table" and _is_data_table(best)):
            return node
        if any(child is not best and _holds_title_or_table(child) for child in children):
            return node
        node = best


def _word_length(tag: Tag) -> int:
    return sum(1 for ch in tag.get_text() if ch.isalnum())


def _named_as_chrome(tag: Tag) -> bool:
    names = " ".join([tag.get("id") or "", *(tag.get("class") or [])])
    return tag.name not in ("html", "body", "main", "article") and bool(CHROME_NAME.search(names))


def _holds_title_or_table(tag: Tag) -> bool:
    """Does this block hold a title or a table with text (not a logo heading holding an image)?"""
    found = [tag] if tag.name in KEPT else tag.find_all(KEPT)
    return any(element.get_text(strip=True) for element in found)


def _link_share(tag: Tag) -> float:
    """Share of a block's letters that are link text (punctuation such as 【】 and | not counted)."""
    total = _word_length(tag)
    return sum(_word_length(a) for a in tag.find_all("a")) / total if total else 0.0


def _drop_boilerplate(soup: BeautifulSoup) -> None:
    """Scripts, menus, page headers and footers, and blocks that are mostly links (breadcrumbs, related items)."""
    for tag in soup.find_all(DROPPED):
        tag.decompose()
    for tag in soup.find_all(("header", "footer")):
        if tag.find_parent(("article", "main")) is None:
            tag.decompose()  # the page's own header and footer; an article's header holds its title
    for tag in soup.find_all(("div", "ul", "ol", "table", "section", "p", "span", "dl")):
        if not tag.decomposed and tag.find("a") is not None and _link_share(tag) >= LINK_SHARE:
            tag.decompose()
    page = _text_length(soup)
    for tag in soup.find_all(_named_as_chrome):
        # a block named footer, menu, breadcrumb … that does not hold most of the page
        if not tag.decomposed and _text_length(tag) < CHROME_SHARE * page:
            tag.decompose()


def _lines(node: Tag, out: list[str], current: list[str]) -> None:
    for child in node.children:
        if isinstance(child, NavigableString):
            if not isinstance(child, NOT_TEXT):
                current.append(str(child))
        elif isinstance(child, Tag):
            if child.name in HEADINGS:
                _flush(out, current)
                # kept as a markdown heading: the page's title stays recognisable as the title
                _flush(out, ["#" * int(child.name[1]) + " " + child.get_text()] if child.get_text(strip=True) else [])
            elif child.name == "table" and _is_data_table(child):
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
    _drop_boilerplate(soup)
    root = soup.find("main") or soup.find("article") or soup.body or soup
    out: list[str] = []
    _lines(_main_container(root), out, [])
    return "\n".join(out).strip() + "\n"
