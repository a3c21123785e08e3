"""What both retrieval channels read of a passage: its text in the context of its document."""

from __future__ import annotations

from corpus.models import Document, Passage


def context_line(passage: Passage, document: Document) -> str:
    """`焦作市 2019 焦作市2019年优化营商环境工作要点 › 四、… › （二十八）…`"""
    path = " › ".join(passage.section_path[1:])
    context = " ".join(part for part in (document.region, str(document.year or ""), document.title) if part)
    return context + (f" › {path}" if path else "")


def contextual_text(passage: Passage, document: Document) -> str:
    """The text once and its context once: headings name the topic a clause answers, and the
    place and year let `修武 …` match; repeating either would drown the clause's own words."""
    return f"{context_line(passage, document)}\n{passage.text}"
