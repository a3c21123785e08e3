"""The web page in a real browser: Playwright driving Debian's chromium against the real app.

One uvicorn server per module, on a free port of 127.0.0.1. Without /usr/bin/chromium (or the
playwright package) the module is skipped, except in CI (CI=true), where that is a failure.
Screenshots go to the folder $POLICY_QA_SCREENSHOTS when set (e.g. eval/runs/screens), else to
the test's tmp_path: the answered question with its source open, a follow-up, a restored
conversation and a filter conflict, each at desktop (1366×900) and phone (390×844) width.
"""

from __future__ import annotations

import functools
import json
import os
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.qa.helpers import QUESTION, SHORT_REGIONS, core, is_subsequence

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ANSWER_TIMEOUT_MS = 120_000


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI must run the browser tests", pytrace=False)
    pytest.skip(reason)


try:
    from playwright.sync_api import Browser, Page, sync_playwright
except ImportError:  # pragma: no cover - depends on the environment
    sync_playwright = None


# ---------------------------------------------------------------------------------------------
# fixtures: the server and the browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if sync_playwright is None:
        _unavailable("the playwright package is not installed (pip install -e '.[test]')")
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium); playwright's own browsers are not used")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def screens(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("POLICY_QA_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


VIEWPORTS = {
    "desktop": {"viewport": {"width": 1366, "height": 900}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2},
}


@functools.cache
def _server_resolves_follow_ups(base_url: str) -> bool:
    with urllib.request.urlopen(base_url + "/openapi.json", timeout=10) as response:  # noqa: S310 - our server
        schema = json.load(response)
    return "history" in schema["components"]["schemas"]["AskRequest"]["properties"]


def _open(browser: Browser, base_url: str, width: str = "desktop", path: str = "/", **options) -> tuple[Page, list[str]]:  # noqa: ANN003
    context = browser.new_context(locale="zh-CN", **VIEWPORTS[width], **options)
    page = context.new_page()
    errors: list[str] = []
    # An API without follow-ups refuses `history` once (422), and the page asks again without it.
    refused_history = "" if _server_resolves_follow_ups(base_url) else "status of 422"
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" and not (refused_history and refused_history in message.text) else None)
    page.goto(base_url + path)
    # the documents list fills the city filter: the page has talked to the API
    page.wait_for_selector("#city-options input[name=city]", state="attached")
    return page, errors


def _ask(page: Page, question: str, turns: int = 1) -> None:
    page.fill("#question", question)
    page.click("#ask")
    page.locator(".turn .answer").nth(turns - 1).wait_for(timeout=ANSWER_TIMEOUT_MS)


def _open_filters(page: Page) -> None:
    if page.locator("#filters-toggle").is_visible() and page.locator("#filters-body").is_hidden():
        page.click("#filters-toggle")


def _shot(page: Page, path: Path, top: str | None = None) -> None:
    if top:
        page.evaluate(f"document.querySelectorAll({json.dumps(top)}).forEach((n, i, all) => "
                      "i === all.length - 1 && n.scrollIntoView({block: 'start'}))")
        page.wait_for_timeout(800)  # the page's own smooth scroll settles first
    page.screenshot(path=str(path))
    assert path.stat().st_size > 10_000


# ---------------------------------------------------------------------------------------------
# tests


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_answer_and_source_with_the_quoted_sentence(browser: Browser, base_url: str, screens: Path,
                                                    width: str) -> None:
    page, errors = _open(browser, base_url, width)
    try:
        assert "policy-qa" in page.title()
        _ask(page, QUESTION)
        assert page.locator(".error").count() == 0, page.locator(".error").first.inner_text()
        answer = page.locator(".answer .answer-body").first.inner_text()
        named = [place for place in SHORT_REGIONS if place in answer]
        assert len(named) >= 2, f"the answer names fewer than two places: {answer}"
        assert re.search(r"\d+\s*个工作日", answer), answer
        # one part per place, or a comparison table with one row per place and year
        parts = page.locator(".answer-part, .rows-table tbody tr")
        assert parts.count() >= 2 and page.locator(".answer-body mark").count() >= 1, "figures are highlighted"
        assert "低置信度" not in page.locator(".answer-head").first.inner_text()
        if width == "phone":
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, f"the page scrolls sideways by {overflow}px at 390px"

        # no developer jargon on the main view: scores and timings wait behind 详情
        visible = page.locator(".answer").first.inner_text()
        for jargon in ("bm25", "dense", "faiss", "tokenize", " ms", "clause", "table_row"):
            assert jargon not in visible, (jargon, visible[:300])
        metas = " ".join(page.locator(".card-meta").all_inner_texts())
        assert re.search("条款|正文|表格行|定义|文件头", metas), metas
        page.locator(".answer-bubble .details summary").first.click()
        assert "毫秒" in page.locator(".answer-bubble .details").first.inner_text()

        # a citation opens its passage with the quoted sentence and its figure marked
        part = parts.first
        part_text = part.inner_text()
        part.locator(".cite-link").click()
        page.wait_for_selector("#source-viewer", state="visible")
        quote = page.locator("#source-passage mark.quote")
        quote.wait_for()
        quoted = quote.inner_text()
        assert len(core(quoted)) >= 8 and core(quoted) in core(part_text), (quoted, part_text)
        figure = page.locator("#source-passage mark.quote mark.figure")
        assert figure.count() >= 1 and re.search(r"\d", figure.first.inner_text()), "the figure is marked"
        # the full text marks the passage, and the quoted sentence inside it
        highlight = page.locator("#source-highlight")
        highlight.wait_for(state="attached")
        page.wait_for_timeout(400)  # the mark is scrolled into view on the next frame
        assert highlight.locator("mark.quote").count() == 1
        assert core(highlight.locator("mark.quote").inner_text()) == core(quoted)
        assert highlight.is_visible()
        if width == "desktop":
            page.evaluate("document.querySelector('.turn').scrollIntoView({block: 'start'})")
            page.wait_for_timeout(200)
        else:
            box = page.locator("#source-viewer").bounding_box()
            scroll = page.evaluate("[window.visualViewport.offsetTop, window.scrollY, document.documentElement.scrollWidth]")
            assert box and box["width"] >= 380 and box["y"] <= 1, ("the source viewer covers the phone screen", box, scroll)
        _shot(page, screens / f"answer-source-{width}.png")

        page.keyboard.press("Escape")
        page.wait_for_selector("#source-viewer", state="hidden")
        # a passage card's own button opens the source too, the card's text marked in the full text
        card = page.locator(".passage-card").first
        card_text = card.locator(".card-text").inner_text()
        card.locator(".open-source").click()
        page.locator("#source-highlight").wait_for(state="attached")
        marked = page.locator("#source-highlight").inner_text()
        assert core(card_text) == core(marked) or is_subsequence(core(card_text), core(marked)), \
            (card_text[:80], marked[:80])
        assert page.locator("#source-meta").inner_text().startswith(card.locator(".card-meta span").first.inner_text())
        assert not errors, errors
    finally:
        page.context.close()


def test_table_rows_render_as_tables(browser: Browser, base_url: str) -> None:
    page, errors = _open(browser, base_url)
    try:
        _ask(page, "三门峡高压单电源客户供电方案答复要几天？")
        table = page.locator(".passage-card .passage-table").first
        table.wait_for()
        assert table.locator("th").count() >= 2 and table.locator("td").count() >= 2
        assert "|" not in table.inner_text() and "----" not in page.locator(".passages").first.inner_text()
        card = page.locator(".passage-card", has=page.locator(".passage-table")).first
        card.locator(".open-source").click()
        page.locator("#source-passage .passage-table").wait_for()
        assert not errors, errors
    finally:
        page.context.close()


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_history_survives_a_reload_and_copy_and_permalink(browser: Browser, base_url: str, screens: Path,
                                                          width: str) -> None:
    page, errors = _open(browser, base_url, width)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    try:
        _ask(page, QUESTION)
        _ask(page, "企业开办需要几个工作日", turns=2)
        answers = page.locator(".answer-body").all_inner_texts()

        page.reload()
        page.wait_for_selector("#city-options input[name=city]", state="attached")
        assert page.locator(".turn").count() == 2, "the conversation is restored after a reload"
        assert page.locator(".answer-body").all_inner_texts() == answers
        assert page.locator(".turn .bubble.user").first.inner_text() == QUESTION
        _shot(page, screens / f"history-after-reload-{width}.png", top=".turn")

        # copy: the answer with its citations as text
        page.locator(".copy-answer").first.click()
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied.startswith(f"问：{QUESTION}\n答：") and "出处：" in copied, copied
        assert re.search(r"^\[\d+\] 《.+》 · .+〔\d{4}〕\d+号 · .+ 第 \d+(–\d+)? 行$", copied, re.MULTILINE), copied
        # permalink: a fresh page opened on it asks the question again
        page.locator(".copy-link").first.click()
        link = page.evaluate("navigator.clipboard.readText()")
        assert link.startswith(base_url) and "q=" in link
        fresh, fresh_errors = _open(browser, base_url, width, path=link[len(base_url):])
        try:
            fresh.wait_for_selector(".turn .answer", timeout=ANSWER_TIMEOUT_MS)
            assert fresh.locator(".turn .bubble.user").first.inner_text() == QUESTION
            assert "q=" not in fresh.url, "a reload does not ask again"
            assert not fresh_errors, fresh_errors
        finally:
            fresh.context.close()

        # 新对话 clears the conversation, and a reload keeps it cleared
        page.click("#new-chat")
        assert page.locator(".turn").count() == 0
        page.reload()
        page.wait_for_selector("#city-options input[name=city]", state="attached")
        assert page.locator(".turn").count() == 0
        assert not errors, errors
    finally:
        page.context.close()


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_follow_up_question(browser: Browser, base_url: str, screens: Path, width: str) -> None:
    page, errors = _open(browser, base_url, width)
    sent: list[dict] = []
    page.on("request", lambda r: sent.append(json.loads(r.post_data)) if r.url.endswith("/api/ask") else None)
    try:
        _ask(page, QUESTION)
        _ask(page, "那三门峡呢？", turns=2)
        assert sent[-1].get("history") or not _server_resolves_follow_ups(base_url), sent[-1]
        if not _server_resolves_follow_ups(base_url):
            pytest.skip("this API does not resolve follow-ups yet (no `history` in AskRequest)")
        assert sent[-1]["history"][0]["question"] == QUESTION
        resolved = page.locator(".turn").nth(1).locator(".resolved")
        assert "三门峡" in resolved.inner_text() and "报装" in resolved.inner_text(), resolved.inner_text()
        metas = page.locator(".turn").nth(1).locator(".passage-card .card-meta").all_inner_texts()
        assert metas and "三门峡市" in metas[0], metas
        _shot(page, screens / f"follow-up-{width}.png", top=".turn")
        assert not errors, errors
    finally:
        page.context.close()


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_filter_conflict_is_said_out_loud(browser: Browser, base_url: str, screens: Path, width: str) -> None:
    page, errors = _open(browser, base_url, width)
    try:
        _open_filters(page)
        chips = page.locator("#city-options label").all_inner_texts()
        assert "修武县" in chips, f"修武县 can be chosen alone: {chips}"
        documents = page.evaluate("fetch('/api/documents').then((r) => r.json())")
        assert page.locator("#doc-options input[name=doc_id]").count() == len(documents), "a chip per document"
        assert page.locator("#year-options input").count() == len({d["year"] for d in documents})
        page.locator("#city-options label", has_text="平顶山市").click()
        _ask(page, "三门峡不动产登记多长时间办结")
        notice = page.locator(".notice.conflict")
        notice.wait_for()
        assert "三门峡" in notice.inner_text() and "平顶山市" in notice.inner_text(), notice.inner_text()
        _shot(page, screens / f"filter-conflict-{width}.png", top=".turn")
        # one click asks again within the place the question names
        notice.locator("button", has_text="三门峡").click()
        page.locator(".turn .answer").nth(1).wait_for(timeout=ANSWER_TIMEOUT_MS)
        last = page.locator(".turn").nth(1)
        assert last.locator(".notice.conflict").count() == 0
        metas = last.locator(".passage-card .card-meta").all_inner_texts()
        assert metas and all("三门峡市" in m for m in metas), metas
        assert not errors, errors
    finally:
        page.context.close()


def test_busy_state_keeps_the_draft_and_offers_cancel_and_retry(browser: Browser, base_url: str) -> None:
    page, errors = _open(browser, base_url)
    try:
        page.fill("#question", "我的草稿：三门峡")
        # a slow network (3 s latency, the real server behind it) holds the request open
        cdp = page.context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions",
                 {"offline": False, "latency": 3000, "downloadThroughput": -1, "uploadThroughput": -1})
        page.locator(".example-chip").first.click()
        page.wait_for_selector(".bubble.loading")
        page.locator(".example-chip").nth(1).click()  # while busy: refused, the draft untouched
        assert page.input_value("#question") == "我的草稿：三门峡"
        assert "正在回答" in page.locator("#composer-error").inner_text()
        page.click("#cancel")
        error = page.locator(".bubble.error")
        error.wait_for()
        assert "已取消" in error.inner_text()
        cdp.send("Network.emulateNetworkConditions",
                 {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
        error.locator(".retry-button").click()
        page.wait_for_selector(".turn .answer", timeout=ANSWER_TIMEOUT_MS)
        assert page.locator(".bubble.error").count() == 0
        assert page.input_value("#question") == "我的草稿：三门峡", "the draft survives the whole exchange"
        assert not [e for e in errors if "ERR_ABORTED" not in e and "abort" not in e.lower()], errors
    finally:
        page.context.close()


def test_counter_and_chinese_validation_messages(browser: Browser, base_url: str) -> None:
    page, errors = _open(browser, base_url)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if r.url.endswith("/api/ask") else None)
    try:
        page.fill("#question", "高" * 501)
        assert page.locator("#char-count").inner_text() == "501/500"
        assert "over" in page.locator("#char-count").get_attribute("class")
        page.click("#ask")
        assert "不能超过 500 个字" in page.locator("#composer-error").inner_text()
        assert page.input_value("#question") == "高" * 501, "nothing is cut silently"
        assert not requests
        # a question of invisible characters only reaches the API, whose 422 is shown in Chinese
        page.fill("#question", "\u200b\u200b")
        page.click("#ask")
        error = page.locator(".bubble.error")
        error.wait_for(timeout=ANSWER_TIMEOUT_MS)
        assert "请输入问题" in error.inner_text() and "question" not in error.inner_text(), error.inner_text()
        assert not [e for e in errors if "422" not in e], errors  # the browser logs the failed request
    finally:
        page.context.close()
