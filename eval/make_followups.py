"""Builds eval/gold_followups.jsonl: two- and three-turn conversations whose last turn is a follow-up
(`那三门峡呢？`, `2023年呢？`, `牵头单位是谁？`) standing for a question of the gold set that names one place.

The follow-up keeps the gold question's evidence and answer; `full_question` is the gold question itself,
so `policy-qa eval --gold eval/gold_followups.jsonl` can compare the two. Run: python -m eval.make_followups
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from corpus.documents import bundled_corpus
from eval.gold import GOLD_PATH, Kind, load_gold
from index.scope import named_scope

OUT = Path(__file__).parent / "gold_followups.jsonl"
SHORT = {"焦作市": "焦作", "平顶山市": "平顶山", "修武县": "修武", "三门峡市": "三门峡"}


def main() -> None:
    documents = bundled_corpus().documents
    lines = []
    for q in load_gold(GOLD_PATH):
        if q.kind in (Kind.CROSS_DOC, Kind.UNANSWERABLE) or re.search(r"20\d\d", q.question):
            continue
        named = named_scope(q.question, documents)
        if len(named.regions) != 1 or named.regions[0] not in SHORT:
            continue
        place = named.regions[0]
        written = next((n for n in (place, SHORT[place]) if n in q.question), None)
        if written is None:
            continue
        others = [p for p in SHORT if p != place]
        first = q.question.replace(written, SHORT[others[len(lines) % 3]], 1)
        history = [first]
        if len(lines) % 2:  # every other conversation has a middle turn about a third place
            history.append(f"那{SHORT[others[(len(lines) + 1) % 3]]}呢？")
        lines.append({"id": f"fu-{q.id}", "question": f"那{SHORT[place]}呢？", "history": history,
                      "full_question": q.question, "docs": list(q.docs), "evidence": list(q.evidence),
                      "answer": q.answer, "kind": q.kind.value})
    OUT.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    print(f"wrote {len(lines)} conversations to {OUT}")


if __name__ == "__main__":
    main()
