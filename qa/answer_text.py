"""An /api/ask response as plain text with its citations (文件、文号、章节、行号), for the CLI.

Works on the response's JSON data, so the same text comes from a server or from this process.
The web page builds the same text in JavaScript for its 复制 button (qa/static/app.js).
"""

from __future__ import annotations


def citation_text(passage: dict) -> str:
    """`《title》 文号 · 章节 › … · file 第 12–14 行` (`第 12 行` for one line)."""
    source = passage.get("source") or {}
    section = " › ".join((passage.get("section_path") or [])[1:])
    start, end = source.get("line_start"), source.get("line_end")
    where = f"{source.get('file', '')} 第 {start} 行" if start == end else f"{source.get('file', '')} 第 {start}–{end} 行"
    parts = [f"《{passage.get('doc_title', '')}》", passage.get("doc_number") or "", section, where]
    return " · ".join(part for part in parts if part)


def answer_as_text(response: dict) -> str:
    answer = response.get("answer") or {}
    passages = {p["rank"]: p for p in response.get("passages") or []}
    lines = [f"问：{response.get('question', '')}"]
    resolved = response.get("resolved_question")
    if resolved and resolved != response.get("question"):
        lines.append(f"（按“{resolved}”检索）")
    lines.append(f"答：{answer.get('text', '')}")
    if answer.get("abstained") and answer.get("reason"):
        lines.append(f"（{answer['reason']}）")
    for row in answer.get("rows") or []:
        label = " ".join(str(x) for x in (row.get("place"), row.get("year")) if x)
        lines.append(f"  {label}：{row.get('value') or row.get('text', '')} [{row.get('citation')}]")
    if not answer.get("rows"):
        for part in answer.get("parts") or []:
            lines.append(f"  {part.get('label', '')}：{part.get('text', '')} [{part.get('citation')}]")
    cited = answer.get("citations") or []
    ranks = cited if cited and not answer.get("abstained") else sorted(passages)
    if ranks:
        lines.append("出处：" if not answer.get("abstained") else "相关段落（低置信度，仅供参考）：")
        lines += [f"[{rank}] {citation_text(passages[rank])}" for rank in ranks if rank in passages]
    return "\n".join(lines)
