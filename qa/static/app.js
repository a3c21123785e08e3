// policy-qa web chat. Plain ES2020, no dependencies: the page must work on
// intranets without internet access.
//
// Safety rule: every string that comes from the user or from the documents is
// inserted with textContent / text nodes, never through innerHTML.
"use strict";

const API = {
  ask: "/api/ask",
  documents: "/api/documents",
  document: (docId) => `/api/documents/${encodeURIComponent(docId)}`,
};

// The retrieval model may be cold on the first request; allow a generous wait.
const ASK_TIMEOUT_MS = 90000;

const MODE_LABELS = { hybrid: "混合", bm25: "关键词", dense: "语义" };

// Known passage kinds get a Chinese label; unknown ones are shown as sent.
const KIND_LABELS = {
  paragraph: "段落",
  heading: "标题",
  list_item: "条目",
  item: "条目",
  measure: "措施",
  table: "表格",
  table_row: "表格行",
  task: "任务",
};

const state = {
  documents: [],          // from GET /api/documents
  docCache: new Map(),    // doc_id -> Promise<document with text>
  turn: 0,                // makes card ids unique across answers
  busy: false,
  viewerToken: 0,         // ignores stale source fetches when clicking quickly
  focusBeforeViewer: null,
};

const $ = (selector, root = document) => root.querySelector(selector);

/* ------------------------------------------------------------------ */
/* Small DOM helpers                                                   */
/* ------------------------------------------------------------------ */

// Creates an element; `text` always goes through textContent.
function el(tag, { className, text, attrs } = {}, children = []) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (attrs) {
    for (const [name, value] of Object.entries(attrs)) {
      if (value !== undefined && value !== null) node.setAttribute(name, String(value));
    }
  }
  for (const child of children) {
    if (child) node.append(child);
  }
  return node;
}

function badge(text, modifier) {
  return el("span", { className: `badge badge-${modifier}`, text });
}

/* ------------------------------------------------------------------ */
/* Highlights                                                          */
/* ------------------------------------------------------------------ */

// Sorts, clamps and merges [start, end) ranges so malformed or overlapping
// offsets from the server can never break the text.
function normalizeRanges(ranges, length) {
  if (!Array.isArray(ranges)) return [];
  const clean = ranges
    .filter((r) => Array.isArray(r) && Number.isFinite(r[0]) && Number.isFinite(r[1]))
    .map(([s, e]) => [Math.max(0, Math.min(s, length)), Math.max(0, Math.min(e, length))])
    .filter(([s, e]) => e > s)
    .sort((a, b) => a[0] - b[0]);
  const merged = [];
  for (const range of clean) {
    const last = merged[merged.length - 1];
    if (last && range[0] <= last[1]) last[1] = Math.max(last[1], range[1]);
    else merged.push([range[0], range[1]]);
  }
  return merged;
}

// Appends `text` to `parent` as text nodes, wrapping highlighted ranges in <mark>.
function appendHighlighted(parent, text, ranges) {
  const value = String(text ?? "");
  let cursor = 0;
  for (const [start, end] of normalizeRanges(ranges, value.length)) {
    if (start > cursor) parent.append(document.createTextNode(value.slice(cursor, start)));
    parent.append(el("mark", { text: value.slice(start, end) }));
    cursor = end;
  }
  if (cursor < value.length) parent.append(document.createTextNode(value.slice(cursor)));
  return parent;
}

/* ------------------------------------------------------------------ */
/* Documents and filters                                               */
/* ------------------------------------------------------------------ */

async function loadDocuments() {
  try {
    const response = await fetch(API.documents, { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const docs = await response.json();
    state.documents = Array.isArray(docs) ? docs : [];
    renderFilterOptions(state.documents);
    renderDocCount(state.documents);
  } catch (err) {
    // Asking still works without filters, so degrade quietly.
    for (const id of ["city-options", "year-options"]) {
      $(`#${id}`).replaceChildren(el("span", { className: "muted", text: "无法加载文件列表" }));
    }
  }
}

function renderDocCount(docs) {
  if (!docs.length) return;
  const labels = docs
    .slice()
    .sort((a, b) => a.year - b.year)
    .map((d) => `${d.county || d.city} ${d.year}`);
  $("#doc-count").textContent = `已收录 ${docs.length} 份文件：${labels.join("、")}`;
}

// One chip per distinct city; counties are named in the label because the
// filter works on the `city` field.
function renderFilterOptions(docs) {
  const cities = new Map();
  for (const doc of docs) {
    if (!doc.city) continue;
    const entry = cities.get(doc.city) || { counties: new Set(), titles: [] };
    if (doc.county) entry.counties.add(doc.county);
    entry.titles.push(`${doc.year} ${doc.title}`);
    cities.set(doc.city, entry);
  }
  const cityChips = [...cities.entries()].map(([city, entry]) => {
    const label = entry.counties.size ? `${city}（含${[...entry.counties].join("、")}）` : city;
    return makeChip("city", city, label, entry.titles.join("\n"));
  });
  $("#city-options").replaceChildren(...cityChips);

  const years = [...new Set(docs.map((d) => d.year).filter(Number.isFinite))].sort();
  $("#year-options").replaceChildren(...years.map((y) => makeChip("year", y, String(y))));
}

// A real checkbox inside a styled label keeps keyboard and screen-reader support.
function makeChip(name, value, labelText, title) {
  const input = el("input", { attrs: { type: "checkbox", name, value } });
  input.addEventListener("change", updateFilterSummary);
  return el("label", { className: "chip", attrs: { title } }, [
    input,
    el("span", { text: labelText }),
  ]);
}

function checkedValues(name) {
  return [...document.querySelectorAll(`#filters input[name="${name}"]:checked`)].map((i) => i.value);
}

function readSettings() {
  return {
    filters: {
      city: checkedValues("city"),
      year: checkedValues("year").map(Number),
      doc_id: [],
    },
    top_k: Number($("#top-k").value) || 5,
    mode: $("#mode").value || "hybrid",
  };
}

// The collapsed filter bar on phones shows what is active.
function updateFilterSummary() {
  const { filters, top_k, mode } = readSettings();
  const scope = [...filters.city, ...filters.year.map(String)];
  const parts = [scope.length ? scope.join("·") : "全部文件", MODE_LABELS[mode] || mode, `${top_k}条`];
  $("#filters-summary").textContent = parts.join(" / ");
}

function clearFilters() {
  for (const input of document.querySelectorAll("#filters input[type=checkbox]")) input.checked = false;
  updateFilterSummary();
}

// Only matters on phones, where the panel is collapsible (see style.css).
function setFiltersOpen(open) {
  $("#filters").classList.toggle("open", open);
  $("#filters-toggle").setAttribute("aria-expanded", String(open));
}

function toggleFiltersPanel() {
  setFiltersOpen(!$("#filters").classList.contains("open"));
}

/* ------------------------------------------------------------------ */
/* Asking                                                              */
/* ------------------------------------------------------------------ */

async function ask(question) {
  const text = question.trim();
  if (!text || state.busy) return;
  setBusy(true);
  setFiltersOpen(false); // give the answer the screen on phones
  $("#welcome")?.classList.add("compact");
  const userBubble = appendToConversation(el("div", { className: "bubble user", text }));
  const loading = appendLoading();

  try {
    const { ok, status, payload } = await postJSON(API.ask, { question: text, ...readSettings() });
    loading.remove();
    if (!ok) {
      appendError(errorMessage(status, payload));
      return;
    }
    appendToConversation(renderAnswer(payload, ++state.turn));
    // Start reading at the question, not at the end of a long list of cards.
    userBubble.scrollIntoView({ block: "start", behavior: "smooth" });
  } catch (err) {
    loading.remove();
    appendError(err.name === "AbortError" ? "请求超时，请稍后重试。" : "无法连接服务器，请检查网络后重试。");
  } finally {
    setBusy(false);
  }
}

// Returns the parsed body even for error statuses, because the error text is in it.
async function postJSON(url, body) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ASK_TIMEOUT_MS);
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
      signal: controller.signal,
    });
    let payload = null;
    try {
      payload = await response.json();
    } catch {
      payload = null; // non-JSON error page
    }
    return { ok: response.ok, status: response.status, payload };
  } finally {
    clearTimeout(timer);
  }
}

// Handles both `{"detail": "..."}` and FastAPI validation errors
// `{"detail": [{"loc": [...], "msg": "..."}]}`.
function errorMessage(status, payload) {
  const detail = payload && payload.detail;
  if (typeof detail === "string" && detail) return detail;
  if (Array.isArray(detail) && detail.length) {
    return detail
      .map((item) => {
        const loc = Array.isArray(item.loc) ? item.loc.filter((p) => p !== "body").join(".") : "";
        return loc ? `${loc}：${item.msg}` : String(item.msg ?? "");
      })
      .join("；");
  }
  return `请求失败（HTTP ${status}）`;
}

function setBusy(busy) {
  state.busy = busy;
  $("#ask").disabled = busy;
  $("#conversation").setAttribute("aria-busy", String(busy));
}

/* ------------------------------------------------------------------ */
/* Conversation rendering                                              */
/* ------------------------------------------------------------------ */

function appendToConversation(node) {
  $("#conversation").append(node);
  return node;
}

function appendLoading() {
  const node = el("div", { className: "bubble loading", attrs: { role: "status" } }, [
    el("span", { className: "dots", attrs: { "aria-hidden": "true" } }, [el("i"), el("i"), el("i")]),
    el("span", { text: "正在检索相关条文…" }),
  ]);
  appendToConversation(node);
  node.scrollIntoView({ block: "end", behavior: "smooth" });
  return node;
}

function appendError(message) {
  const node = el("div", { className: "bubble error", attrs: { role: "alert" } }, [
    el("strong", { text: "出错了：" }),
    document.createTextNode(message),
  ]);
  appendToConversation(node);
  node.scrollIntoView({ block: "end", behavior: "smooth" });
}

// An answer block = the answer bubble followed by its passage cards.
function renderAnswer(data, turnId) {
  const answer = data.answer || {};
  const passages = Array.isArray(data.passages) ? data.passages : [];
  const byRank = new Map(passages.map((p) => [p.rank, p]));
  const cited = new Set(Array.isArray(answer.citations) ? answer.citations : []);
  const lowConfidence = Boolean(answer.abstained);

  const head = el("div", { className: "answer-head" }, [el("span", { text: "回答" })]);
  if (lowConfidence) head.append(badge("低置信度", "low"));

  const body = el("div", { className: "answer-body" }, renderAnswerParts(answer, byRank, turnId));

  const bubble = el("div", { className: "bubble answer-bubble" }, [
    head,
    body,
    renderAnswerFooter(data),
  ]);

  const block = el("article", {
    className: `answer${lowConfidence ? " abstained" : ""}`,
    attrs: { "aria-label": `回答：${data.question || ""}` },
  }, [bubble]);

  if (passages.length) {
    const heading = lowConfidence ? `相关段落（${passages.length}，仅供参考）` : `引用段落（${passages.length}）`;
    const list = el("section", { className: "passages", attrs: { "aria-label": heading } }, [
      el("h2", { className: "passages-heading", text: heading }),
      ...passages.map((p) => renderPassageCard(p, turnId, { cited: cited.has(p.rank), lowConfidence })),
    ]);
    block.append(list);
  }
  return block;
}

function renderAnswerParts(answer, byRank, turnId) {
  const parts = Array.isArray(answer.parts) ? answer.parts : [];
  if (parts.length) return parts.map((part) => renderAnswerPart(part, byRank, turnId));

  // No structured parts (e.g. abstained): show the plain text and its citations.
  const node = el("div", { className: "answer-part" });
  const text = el("p", { className: "part-text" });
  appendHighlighted(text, answer.text || "未找到相关内容。", []);
  for (const rank of answer.citations || []) text.append(renderCitationLink(rank, byRank.get(rank), turnId));
  node.append(text);
  return [node];
}

function renderAnswerPart(part, byRank, turnId) {
  const node = el("div", { className: "answer-part" });
  if (part.label) node.append(el("span", { className: "part-label", text: part.label }));
  const text = el("p", { className: "part-text" });
  appendHighlighted(text, part.text, part.highlights);
  if (Number.isFinite(part.citation)) {
    text.append(renderCitationLink(part.citation, byRank.get(part.citation), turnId));
  }
  node.append(text);
  return node;
}

function renderCitationLink(rank, passage, turnId) {
  if (!passage) return el("sup", { className: "cite-missing", text: `[${rank}]` });
  const button = el("button", {
    className: "cite-link",
    text: `[${rank}]`,
    attrs: { type: "button", "aria-label": `查看引用 ${rank}：${passage.doc_title || ""}` },
  });
  button.addEventListener("click", () => {
    revealCard(turnId, rank);
    openSource(passage);
  });
  return button;
}

function renderAnswerFooter(data) {
  const footer = el("p", { className: "answer-foot" });
  const scope = describeFilters(data.applied_filters);
  if (scope) footer.append(el("span", { text: `筛选：${scope}` }));
  const timing = formatTimings(data.timings_ms);
  if (timing) footer.append(el("span", { text: timing }));
  return footer;
}

function describeFilters(applied) {
  if (!applied) return "";
  const values = [...(applied.city || []), ...(applied.year || []).map(String), ...(applied.doc_id || [])];
  return values.join("·");
}

function formatTimings(timings) {
  if (!timings || !Number.isFinite(timings.total)) return "";
  const extras = Object.entries(timings)
    .filter(([key, value]) => key !== "total" && Number.isFinite(value))
    .map(([key, value]) => `${key} ${Math.round(value)}`);
  const detail = extras.length ? `（${extras.join(" · ")}）` : "";
  return `用时 ${Math.round(timings.total)} ms${detail}`;
}

/* ------------------------------------------------------------------ */
/* Passage cards                                                       */
/* ------------------------------------------------------------------ */

function cardId(turnId, rank) {
  return `t${turnId}-passage-${rank}`;
}

function renderPassageCard(p, turnId, { cited, lowConfidence }) {
  const card = el("article", {
    className: `passage-card${cited ? " cited" : ""}`,
    attrs: { id: cardId(turnId, p.rank), "data-rank": p.rank, tabindex: "-1" },
  });

  const badges = el("span", { className: "card-badges" });
  if (cited) badges.append(badge("已引用", "cited"));
  if (lowConfidence) badges.append(badge("低置信度", "low"));

  card.append(
    el("header", { className: "card-head" }, [
      el("span", { className: "card-rank", text: `[${p.rank}]` }),
      el("h3", { className: "card-title", text: p.doc_title || p.doc_id || "未命名文件" }),
      badges,
    ]),
    renderCardMeta(p),
  );

  if (Array.isArray(p.section_path) && p.section_path.length) {
    card.append(el("p", { className: "card-section", text: p.section_path.join(" › ") }));
  }
  card.append(appendHighlighted(el("p", { className: "card-text" }), p.text, p.highlights));

  const facts = renderCardFacts(p);
  if (facts) card.append(facts);
  card.append(renderCardFooter(p));
  return card;
}

function renderCardMeta(p) {
  const items = [];
  if (p.doc_number) items.push(p.doc_number);
  items.push(`${placeLabel(p)} ${p.year ?? ""}`.trim());
  if (p.kind) items.push(KIND_LABELS[p.kind] || p.kind);
  return el("p", { className: "card-meta" }, items.map((text) => el("span", { text })));
}

// Shows the county (e.g. 修武县) when the passage's document belongs to one.
function placeLabel(p) {
  const doc = state.documents.find((d) => d.doc_id === p.doc_id);
  return doc && doc.county ? `${p.city || doc.city} ${doc.county}` : p.city || "";
}

function renderCardFacts(p) {
  const rows = [];
  if (Array.isArray(p.responsible) && p.responsible.length) {
    rows.push(["责任单位", p.responsible.join("、")]);
  }
  if (p.deadline) rows.push(["完成时限", p.deadline]);
  if (!rows.length) return null;
  const list = el("dl", { className: "card-facts" });
  for (const [term, value] of rows) list.append(el("dt", { text: term }), el("dd", { text: value }));
  return list;
}

function renderCardFooter(p) {
  const scores = p.scores || {};
  const score = el("div", { className: "card-score" }, [
    el("span", { text: `相关度 ${formatNumber(scores.fused ?? p.score)}` }),
    el("small", { text: `bm25 ${formatNumber(scores.bm25)} · dense ${formatNumber(scores.dense)}` }),
  ]);
  const src = p.source || {};
  const button = el("button", {
    className: "open-source",
    text: `查看原文 L${src.line_start ?? "?"}-${src.line_end ?? "?"}`,
    attrs: { type: "button", "aria-label": `查看原文：${p.doc_title || ""} 第${src.line_start}至${src.line_end}行` },
  });
  button.addEventListener("click", () => openSource(p));
  return el("footer", { className: "card-foot" }, [score, button]);
}

// Fused (RRF) scores are tiny, BM25 scores are large: keep 3 significant digits
// for small values and 2 decimals for large ones.
function formatNumber(value) {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  return Math.abs(value) >= 1 ? value.toFixed(2) : value.toPrecision(3);
}

// Scrolls to a card and flashes it so the eye can find it.
function revealCard(turnId, rank) {
  const card = document.getElementById(cardId(turnId, rank));
  if (!card) return;
  card.scrollIntoView({ block: "nearest", behavior: "smooth" });
  card.classList.remove("flash");
  void card.offsetWidth; // restart the CSS animation
  card.classList.add("flash");
}

/* ------------------------------------------------------------------ */
/* Source viewer                                                       */
/* ------------------------------------------------------------------ */

// Caches the promise so concurrent clicks share one request; failures are evicted.
function fetchDocument(docId) {
  if (!state.docCache.has(docId)) {
    const request = fetch(API.document(docId), { headers: { Accept: "application/json" } })
      .then(async (response) => {
        const payload = await response.json().catch(() => null);
        if (!response.ok) throw new Error(errorMessage(response.status, payload));
        return payload;
      })
      .catch((err) => {
        state.docCache.delete(docId);
        throw err;
      });
    state.docCache.set(docId, request);
  }
  return state.docCache.get(docId);
}

async function openSource(passage) {
  const viewer = $("#source-viewer");
  const token = ++state.viewerToken;
  if (viewer.hidden) state.focusBeforeViewer = document.activeElement;

  const src = passage.source || {};
  $("#source-title").textContent = passage.doc_title || passage.doc_id;
  $("#source-meta").textContent = [passage.doc_number, `第 ${src.line_start}–${src.line_end} 行`]
    .filter(Boolean)
    .join(" · ");
  $("#source-body").replaceChildren(el("p", { className: "muted", text: "正在加载原文…" }));

  viewer.hidden = false;
  document.body.classList.add("viewer-open");
  $("#source-close").focus({ preventScroll: true });

  try {
    const doc = await fetchDocument(passage.doc_id);
    if (token !== state.viewerToken) return; // a newer click won
    renderSource(doc, src);
  } catch (err) {
    if (token !== state.viewerToken) return;
    $("#source-body").replaceChildren(el("p", { className: "error-inline", text: `原文加载失败：${err.message}` }));
  }
}

// Full text in a pre-wrapped block, with the passage span marked and centred.
function renderSource(doc, src) {
  if (doc.title) $("#source-title").textContent = doc.title;
  const text = String(doc.text ?? "");
  const start = clamp(src.char_start, 0, text.length);
  const end = clamp(src.char_end, start, text.length);

  const mark = el("mark", {
    className: "source-highlight",
    text: text.slice(start, end),
    attrs: { id: "source-highlight" },
  });
  const pre = el("div", { className: "source-text" }, [
    document.createTextNode(text.slice(0, start)),
    mark,
    document.createTextNode(text.slice(end)),
  ]);
  $("#source-body").replaceChildren(pre);
  requestAnimationFrame(() => mark.scrollIntoView({ block: "center" }));
}

function clamp(value, min, max) {
  const n = Number.isFinite(value) ? value : min;
  return Math.max(min, Math.min(n, max));
}

function closeSource() {
  const viewer = $("#source-viewer");
  if (viewer.hidden) return;
  state.viewerToken++; // cancel any pending load
  viewer.hidden = true;
  document.body.classList.remove("viewer-open");
  const previous = state.focusBeforeViewer;
  if (previous && document.contains(previous)) previous.focus({ preventScroll: true });
}

/* ------------------------------------------------------------------ */
/* Composer and wiring                                                 */
/* ------------------------------------------------------------------ */

function submitQuestion() {
  const box = $("#question");
  const question = box.value;
  if (!question.trim()) {
    box.focus();
    return;
  }
  if (state.busy) return;
  box.value = "";
  autoGrow(box);
  ask(question);
}

// Enter sends, Shift+Enter inserts a newline. Enter that confirms an IME
// candidate (pinyin input) must not send.
function onQuestionKeydown(event) {
  if (event.key !== "Enter" || event.shiftKey) return;
  if (event.isComposing || event.keyCode === 229) return;
  event.preventDefault();
  submitQuestion();
}

function autoGrow(box) {
  box.style.height = "auto";
  box.style.height = `${box.scrollHeight}px`;
}

function init() {
  const box = $("#question");
  box.addEventListener("keydown", onQuestionKeydown);
  box.addEventListener("input", () => autoGrow(box));
  $("#composer").addEventListener("submit", (event) => {
    event.preventDefault();
    submitQuestion();
  });

  for (const chip of document.querySelectorAll(".example-chip")) {
    chip.addEventListener("click", () => {
      box.value = chip.textContent;
      submitQuestion();
    });
  }

  $("#filters-toggle").addEventListener("click", toggleFiltersPanel);
  $("#clear-filters").addEventListener("click", clearFilters);
  $("#top-k").addEventListener("change", updateFilterSummary);
  $("#mode").addEventListener("change", updateFilterSummary);

  $("#source-close").addEventListener("click", closeSource);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") closeSource();
  });

  updateFilterSummary();
  loadDocuments();
}

init();
