"""HTML: the main text of the page (no scripts, menus, headers or footers), one line per block, tables as rows.

Read with lxml's HTML parser into plain elements (BeautifulSoup over lxml took 15× longer to parse a page of
20,000 table rows); sizes (letters, and letters inside links) are measured for every element in one pass and
kept up to date as blocks are dropped, so reading is linear.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree
from lxml.etree import _Element

from corpus.readers.errors import Unreadable, UnreadableDocument
from corpus.readers.markdown import markdown_table

DROPPED = {"script", "style", "noscript", "template", "nav", "aside", "form", "iframe", "svg", "button", "select",
           "head", "input", "textarea", "object", "embed"}
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
KEPT = {"h1", "h2", "table"}  # a sibling holding one of these is part of the document, not chrome
LINK_BLOCKS = {"div", "ul", "ol", "table", "section", "p", "span", "dl"}
LINK_SHARE = 0.6  # a block whose letters are mostly link text is navigation
BLOCKS = {"p", "div", "section", "article", "main", "li", "h1", "h2", "h3", "h4", "h5", "h6", "br", "tr",
          "blockquote", "pre", "dd", "dt", "ul", "ol", "dl", "center", "table", "hr", "figure", "figcaption",
          "address", "td", "th", "caption", "body", "html"}
CELLS = {"td", "th"}
LONG_CELL = 200  # a cell holding more letters than this is a page region, not a table cell
CHROME_NAME = re.compile(r"foot|copyright|bottom|breadcrumb|crumb|sidebar|menu|navbar|share|toolbar|topbar",
                         re.IGNORECASE)
CHROME_SHARE = 0.3  # a block named like chrome is dropped unless it holds this share of the page or more
MAIN_SHARE = 0.9  # a container holding this share of the page's letters is its main content
MAX_DESCENT = 40  # wrappers around an article are a few levels deep
MAX_DEPTH = 200  # deeper nesting is no web page a person wrote; refused rather than recursed into

NOT_LETTER = re.compile(r"[\W_]+")
Sizes = dict[_Element, tuple[int, int]]


def _letters(text: str | None) -> int:
    """Letters, digits and characters of a text (not spaces or punctuation such as 【】 and |)."""
    return len(NOT_LETTER.sub("", text)) if text else 0


def _elements(node: _Element, names: set[str]) -> Iterator[_Element]:
    return (el for el in node.iterdescendants() if el.tag in names)


def _children(node: _Element) -> list[_Element]:
    return [child for child in node if isinstance(child.tag, str)]  # comments and processing instructions out


def _measure(root: _Element, name: str) -> Sizes:
    """(letters, letters inside links) of every element, bottom-up without recursion."""
    sizes: Sizes = {}
    stack: list[tuple[_Element, bool, int]] = [(root, False, 0)]
    while stack:
        node, children_done, depth = stack.pop()
        if not children_done:
            if depth > MAX_DEPTH:
                raise UnreadableDocument(Unreadable.UNDECODABLE, f"{name}: the page's elements are nested too "
                                         "deeply to read; save the page's text as .txt and add that")
            stack.append((node, True, depth))
            stack.extend((child, False, depth + 1) for child in _children(node))
            continue
        letters, links = _letters(node.text), 0
        for child in node:
            if isinstance(child.tag, str):
                child_letters, child_links = sizes[child]
                letters, links = letters + child_letters, links + child_links
            letters += _letters(child.tail)
        sizes[node] = (letters, letters if node.tag == "a" else links)
    return sizes


def _remove(element: _Element) -> None:
    """Take an element out of the tree, keeping its tail (the text after it) in place."""
    parent, previous = element.getparent(), element.getprevious()
    if element.tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def _text(element: _Element) -> str:
    return "".join(element.itertext())


def _drop(elements: list[_Element], sizes: Sizes) -> None:
    """Remove elements (their tails, the text after them, stay with the parent) and take their sizes off their
    ancestors'; an element inside one removed before only touches the removed part."""
    for element in elements:
        if element.getparent() is None:
            continue
        letters, links = sizes[element]
        for ancestor in element.iterancestors():
            ancestor_letters, ancestor_links = sizes[ancestor]
            sizes[ancestor] = (ancestor_letters - letters, ancestor_links - links)
        _remove(element)


def _named_as_chrome(element: _Element) -> bool:
    names = f"{element.get('id') or ''} {element.get('class') or ''}"
    return element.tag not in ("html", "body", "main", "article") and bool(CHROME_NAME.search(names))


def _drop_boilerplate(root: _Element, name: str) -> Sizes:
    """Scripts, menus, page headers and footers, blocks that are mostly links (breadcrumbs, related items) and
    blocks named as chrome (footer, menu …). Returns the sizes of what is left."""
    for element in [el for el in root.iter() if not isinstance(el.tag, str) or el.tag in DROPPED]:
        if element.getparent() is not None:
            _remove(element)
    sizes = _measure(root, name)
    # the page's own header and footer; an article's header holds its title
    _drop([el for el in _elements(root, {"header", "footer"})
           if next(el.iterancestors("article", "main"), None) is None], sizes)
    _drop([el for el in _elements(root, LINK_BLOCKS)
           if sizes[el][0] and sizes[el][1] >= LINK_SHARE * sizes[el][0]], sizes)
    _drop([el for el in root.iterdescendants()
           if _named_as_chrome(el) and sizes[el][0] < CHROME_SHARE * sizes[root][0]], sizes)
    return sizes


def _is_data_table(table: _Element, sizes: Sizes) -> bool:
    """Old government sites lay whole pages out with tables; a data table has short cells and no tables inside."""
    if next(_elements(table, {"table"}), None) is not None:
        return False
    rows = [[cell for cell in _children(tr) if cell.tag in CELLS] for tr in _elements(table, {"tr"})]
    return max(map(len, rows), default=0) > 1 and all(sizes[cell][0] <= LONG_CELL for row in rows for cell in row)


def _holds_title_or_table(element: _Element) -> bool:
    """Does this block hold a title or a table with text (not a logo heading holding an image)?"""
    found = [element] if element.tag in KEPT else _elements(element, KEPT)
    return any(_text(el).strip() for el in found)


def _main_container(body: _Element, sizes: Sizes) -> _Element:
    """Descend into the child that holds nearly all the text, as long as its siblings hold no title or table."""
    node = body
    for _ in range(MAX_DESCENT):
        children = _children(node)
        best = max(children, key=lambda child: sizes[child][0], default=None)
        if best is None or sizes[best][0] < MAIN_SHARE * sizes[node][0] or best.tag in ("tr", "tbody") \
                or (best.tag == "table" and _is_data_table(best, sizes)):
            return node
        if any(child is not best and _holds_title_or_table(child) for child in children):
            return node
        node = best
    return node


class _Writer:
    """Lines of text out of the element tree: one per block, headings as `#`, data tables as markdown rows."""

    def __init__(self, sizes: Sizes) -> None:
        self.sizes = sizes
        self.out: list[str] = []
        self.current: list[str] = []

    def write(self, node: _Element) -> None:
        self.current.append(node.text or "")
        for child in _children(node):
            if child.tag in HEADINGS:
                self.flush()
                # kept as a markdown heading: the page's title stays recognisable as the title
                if heading := _text(child).strip():
                    self.current.append("#" * int(child.tag[1]) + " " + heading)
                self.flush()
            elif child.tag == "table" and _is_data_table(child, self.sizes):
                self.flush()
                rows = [[self.cell_text(cell) for cell in _children(tr) if cell.tag in CELLS]
                        for tr in _elements(child, {"tr"})]
                self.out.extend([*markdown_table(rows), ""])
            elif child.tag in BLOCKS:
                self.flush()
                self.write(child)
                self.flush()
            else:
                self.write(child)
            self.current.append(child.tail or "")

    def cell_text(self, cell: _Element) -> str:
        """A cell's text on one line; paragraphs inside it separated by a space."""
        inner = _Writer(self.sizes)
        inner.write(cell)
        inner.flush()
        return " ".join(line for line in inner.out if line)

    def flush(self) -> None:
        line = re.sub(r"[ \t\r\n\u00a0]+", " ", "".join(self.current)).strip()
        self.current.clear()
        if line:
            self.out.extend([line, ""])


def read_html(text: str, name: str) -> str:
    # the text is decoded already: handed over as UTF-8 so that no <meta charset> or <?xml encoding?> overrides it
    document = etree.fromstring(text.encode("utf-8"), etree.HTMLParser(encoding="utf-8")) if text.strip() else None
    if document is None:  # nothing but whitespace or comments
        raise UnreadableDocument(Unreadable.EMPTY, f"{name} contains no text")
    sizes = _drop_boilerplate(document, name)
    root = next((el for tag in ("main", "article", "body") for el in document.iter(tag)), document)
    writer = _Writer(sizes)
    writer.write(_main_container(root, sizes))
    writer.flush()
    return "\n".join(writer.out).strip() + "\n"
