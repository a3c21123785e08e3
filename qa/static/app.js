// policy-qa web chat. Plain ES2020, no dependencies: the page must work on
// intranets without internet access, under a self-only Content-Security-Policy
// (no inline scripts or styles).
//
// Safety rule: every string that comes from the user or from the documents is
// inserted with textContent / text nodes, never through innerHTML.
"use strict";

const API = {
  ask: "/api/ask",
  documents: "/api/documents",
  document: (docId) => `/api/documents/${encodeURIComponent(docId)}`,
};

const ASK_TIMEOUT_MS = 30000; // the server answers in milliseconds; 30 s means something is wrong
const MAX_QUESTION = 500;
const HISTORY_TURNS = 4; // earlier turns sent with a question, for follow-ups (那三门峡呢？)
const STORE_KEY = "policy-qa.conversation.v1";
const STORED_TURNS = 30;

const MODE_LABELS = { hybrid: "综合", bm25: "关键词", dense: "语义" };

// Passage kinds (corpus.models.PassageKind) in Chinese; unknown ones are shown as sent.
const KIND_LABELS = {
  header: "文件头",
  clause: "条款",
  text: "正文",
  table_row: "表格行",
  definition: "定义",
};

// Timing stages of the API, in words a reader understands.
const STAGE_LABELS = {
  tokenize: "分词",
  embed: "问题向量化",
  bm25: "关键词检索",
  faiss: "语义检索",
  dense: "语义检索",
  fuse: "结果融合",
  answer: "组织回答",
};

const state = {
  documents: [],          // from GET /api/documents
  docCache: new Map(),    // doc_id -> Promise<document with text>
  turns: [],              // [{question, response}] of this conversation, also in localStorage
  turn: 0,                // makes card ids unique across answers
  busy: false,
  controller: null,       // AbortController of the request in flight
  abortReason: "",        // "cancel" or "timeout"
  historySupported: true, // false once the server refuses `history` (an older API)
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
      if (value !== undefined && value !== null && value !== false) node.setAttribute(name, String(value));
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

function button(text, onClick, className = "link-button", attrs = {}) {
  const node = el("button", { className, text, attrs: { type: "button", ...attrs } });
  node.addEventListener("click", onClick);
  return node;
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
function appendHighlighted(parent, text, ranges, markClass) {
  const value = String(text ?? "");
  let cursor = 0;
  for (const [start, end] of normalizeRanges(ranges, value.length)) {
    if (start > cursor) parent.append(document.createTextNode(value.slice(cursor, start)));
    parent.append(el("mark", { className: markClass, text: value.slice(start, end) }));
    cursor = end;
  }
  if (cursor < value.length) parent.append(document.createTextNode(value.slice(cursor)));
  return parent;
}

// Appends text with two layers of marks: the quoted sentence (one range) and
// the figures (several ranges, inside or outside the quote).
function appendQuoted(parent, text, quote, figures) {
  const value = String(text ?? "");
  if (!quote) return appendHighlighted(parent, value, figures, "figure");
  const [qs, qe] = quote;
  const shift = (ranges, start, end) => normalizeRanges(ranges, value.length)
    .map(([s, e]) => [Math.max(s, start) - start, Math.min(e, end) - start])
    .filter(([s, e]) => e > s);
  appendHighlighted(parent, value.slice(0, qs), shift(figures, 0, qs), "figure");
  const mark = el("mark", { className: "quote", attrs: { "data-quote": "" } });
  appendHighlighted(mark, value.slice(qs, qe), shift(figures, qs, qe), "figure");
  parent.append(mark);
  appendHighlighted(parent, value.slice(qe), shift(figures, qe, value.length), "figure");
  return parent;
}

// Text without whitespace and Markdown emphasis, with the index of each kept
// character in the original: passages are reflowed, the files are not.
function compactWithMap(text) {
  const chars = [];
  const map = [];
  const value = String(text ?? "");
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (/\s/.test(ch) || ch === "*" || ch === "#") continue;
    chars.push(ch);
    map.push(i);
  }
  return { compact: chars.join(""), map };
}

// [start, end) of `needle` inside `haystack`, ignoring whitespace and Markdown marks; null when absent.
function findLoosely(haystack, needle) {
  const hay = compactWithMap(haystack);
  const want = compactWithMap(needle).compact;
  if (!want) return null;
  const at = hay.compact.indexOf(want);
  if (at < 0) return null;
  return [hay.map[at], hay.map[at + want.length - 1] + 1];
}

// Where the answer's sentence sits in its passage, and its figures there.
// The answer strips final punctuation and may cut a long sentence with "…";
// a table row's answer is rewritten as 表头：值, so the row itself is the quote.
function locateQuote(passage, part) {
  const text = String(passage.text ?? "");
  if (!part || !part.text) return { quote: null, figures: passage.highlights || [] };
  const sentence = String(part.text).replace(/…$/, "");
  const at = text.indexOf(sentence);
  if (at >= 0) {
    // an answer part brings its figures' offsets; a comparison row names its value
    let figures = normalizeRanges(part.highlights, sentence.length).map(([s, e]) => [s + at, e + at]);
    const valueAt = part.value ? text.indexOf(part.value, at) : -1;
    if (!figures.length && valueAt >= 0) figures = [[valueAt, valueAt + part.value.length]];
    return { quote: [at, at + sentence.length], figures: figures.length ? figures : passage.highlights || [] };
  }
  const loose = findLoosely(text, sentence);
  if (loose) return { quote: loose, figures: passage.highlights || [] };
  if (passage.kind === "table_row") {
    const lines = text.split("\n");
    const last = lines.length - 1;
    if (lines[last].trim().startsWith("|")) {
      const start = text.length - lines[last].length;
      return { quote: [start, text.length], figures: passage.highlights || [] };
    }
  }
  return { quote: null, figures: passage.highlights || [] };
}

/* ------------------------------------------------------------------ */
/* Passage text: prose with marks, Markdown table rows as a table      */
/* ------------------------------------------------------------------ */

function isTableLine(line) {
  const t = line.trim();
  return t.startsWith("|") && t.length > 1;
}

function isSeparatorLine(line) {
  return /^\|?[\s:|-]+\|?$/.test(line.trim()) && line.includes("-");
}

// Renders passage text: lines outside tables as marked prose, consecutive
// `| a | b |` lines as a <table> (the first row is the header). `quote` and
// `figures` are ranges in `text`; cells keep their share of them.
function renderPassageText(text, { quote = null, figures = [], className = "card-text" } = {}) {
  const value = String(text ?? "");
  const root = el("div", { className });
  const lines = [];
  let offset = 0;
  for (const line of value.split("\n")) {
    lines.push({ line, start: offset });
    offset += line.length + 1;
  }
  const slice = (ranges, start, end) => normalizeRanges(ranges, value.length)
    .map(([s, e]) => [Math.max(s, start) - start, Math.min(e, end) - start])
    .filter(([s, e]) => e > s);
  const appendRange = (parent, start, end) => {
    const q = quote && quote[1] > start && quote[0] < end
      ? [Math.max(quote[0], start) - start, Math.min(quote[1], end) - start] : null;
    appendQuoted(parent, value.slice(start, end), q, slice(figures, start, end));
  };

  let i = 0;
  while (i < lines.length) {
    if (!isTableLine(lines[i].line)) {
      let j = i;
      while (j < lines.length && !isTableLine(lines[j].line)) j++;
      const start = lines[i].start;
      const end = j < lines.length ? lines[j].start - 1 : value.length;
      if (end > start) appendRange(root.appendChild(el("p", { className: "passage-prose" })), start, end);
      i = j;
      continue;
    }
    const table = el("table", { className: "passage-table" });
    const body = el("tbody");
    let header = true;
    while (i < lines.length && isTableLine(lines[i].line)) {
      const { line, start } = lines[i++];
      if (isSeparatorLine(line)) continue;
      const row = el("tr");
      // cells between the pipes, each with its offset in `text`
      let cellStart = start + line.indexOf("|") + 1;
      const inner = line.slice(line.indexOf("|") + 1).replace(/\|\s*$/, "");
      for (const cell of inner.split("|")) {
        const lead = cell.length - cell.trimStart().length;
        const cellNode = el(header ? "th" : "td");
        appendRange(cellNode, cellStart + lead, cellStart + cell.trimEnd().length);
        row.append(cellNode);
        cellStart += cell.length + 1;
      }
      if (header) table.append(el("thead", {}, [row]));
      else body.append(row);
      header = false;
    }
    table.append(body);
    root.append(el("div", { className: "table-scroll" }, [table]));
  }
  return root;
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
    for (const id of ["city-options", "year-options", "doc-options"]) {
      $(`#${id}`).replaceChildren(el("span", { className: "muted", text: "无法加载文件列表" }));
    }
  }
}

function docPlace(doc) {
  return doc.county || doc.city || doc.region || doc.province || "";
}

function docLabel(doc) {
  return [docPlace(doc), doc.year, doc.doc_type].filter(Boolean).join(" ");
}

function renderDocCount(docs) {
  if (!docs.length) return;
  const labels = docs.slice().sort((a, b) => (a.year || 0) - (b.year || 0)).map(docLabel);
  $("#doc-count").textContent = `已收录 ${docs.length} 份文件：${labels.join("、")}`;
}

// One chip per city and one per county (a city's chip also covers its
// counties, as the API's city filter does), one per year, one per document.
function renderFilterOptions(docs) {
  const places = new Map(); // name -> {titles, counties}
  const add = (name, doc, county) => {
    const entry = places.get(name) || { titles: [], counties: new Set() };
    entry.titles.push(`${doc.year ?? ""} ${doc.title}`.trim());
    if (county) entry.counties.add(county);
    places.set(name, entry);
  };
  for (const doc of docs) {
    if (doc.city) add(doc.city, doc, doc.county);
    if (doc.county) add(doc.county, doc, null);
  }
  const placeChips = [...places.entries()].map(([name, entry]) => {
    const label = entry.counties.size ? `${name}（含${[...entry.counties].join("、")}）` : name;
    return makeChip("city", name, label, entry.titles.join("\n"));
  });
  $("#city-options").replaceChildren(...(placeChips.length ? placeChips : [el("span", { className: "muted", text: "无" })]));

  const years = [...new Set(docs.map((d) => d.year).filter(Number.isFinite))].sort();
  $("#year-options").replaceChildren(...years.map((y) => makeChip("year", y, String(y))));

  const docChips = docs.slice()
    .sort((a, b) => docLabel(a).localeCompare(docLabel(b), "zh"))
    .map((d) => makeChip("doc_id", d.doc_id, docLabel(d) || d.title, d.title));
  $("#doc-options").replaceChildren(...docChips);
  applyPermalinkFilters();
  updateFilterSummary();
}

// A real checkbox inside a styled label keeps keyboard and screen-reader support.
function makeChip(name, value, labelText, title) {
  const input = el("input", { attrs: { type: "checkbox", name, value } });
  input.addEventListener("change", updateFilterSummary);
  return el("label", { className: "chip", attrs: { title } }, [input, el("span", { text: labelText })]);
}

function checkedValues(name) {
  return [...document.querySelectorAll(`#filters input[name="${name}"]:checked`)].map((i) => i.value);
}

function setChecked(name, values) {
  const wanted = new Set(values.map(String));
  for (const input of document.querySelectorAll(`#filters input[name="${name}"]`)) {
    input.checked = wanted.has(input.value);
  }
}

function readSettings() {
  return {
    filters: {
      city: checkedValues("city"),
      year: checkedValues("year").map(Number),
      doc_id: checkedValues("doc_id"),
    },
    top_k: Number($("#top-k").value) || 5,
    mode: $("#mode").value || "hybrid",
  };
}

function docById(docId) {
  return state.documents.find((d) => d.doc_id === docId);
}

// The collapsed filter bar on phones shows what is active.
function updateFilterSummary() {
  const { filters, top_k, mode } = readSettings();
  const docs = filters.doc_id.map((id) => docLabel(docById(id) || { title: id }));
  const scope = [...filters.city, ...filters.year.map(String), ...docs];
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

// Whether a document passes the filters the way the API applies them
// (a city also matches its counties; 焦作 matches 焦作市).
function docPasses(doc, filters) {
  const short = (name) => String(name || "").replace(/(市|县|区)$/, "");
  const placeMatches = (value) => [doc.city, doc.county].some((p) => p && (p === value || short(p) === value));
  return (!filters.city.length || filters.city.some(placeMatches))
    && (!filters.year.length || filters.year.includes(doc.year))
    && (!filters.doc_id.length || filters.doc_id.includes(doc.doc_id));
}

// Places and years the question names that the ticked filters leave out.
function filterConflict(data) {
  const applied = data.applied_filters || {};
  const named = applied.named_in_question || {};
  const filters = { city: applied.city || [], year: applied.year || [], doc_id: applied.doc_id || [] };
  if (!filters.city.length && !filters.year.length && !filters.doc_id.length) return null;
  const regions = (named.regions || []).filter((region) => {
    const docs = state.documents.filter((d) => docPlace(d) === region || d.region === region);
    return docs.length && !docs.some((d) => docPasses(d, filters));
  });
  const years = (named.years || []).filter((year) => filters.year.length && !filters.year.includes(year));
  if (!regions.length && !years.length) return null;
  return { regions, years, filters };
}

/* ------------------------------------------------------------------ */
/* Conversation store (localStorage)                                   */
/* ------------------------------------------------------------------ */

function saveConversation() {
  let turns = state.turns.slice(-STORED_TURNS);
  while (turns.length) {
    try {
      localStorage.setItem(STORE_KEY, JSON.stringify({ turns }));
      return;
    } catch {
      turns = turns.slice(1); // over quota: keep the latest turns
    }
  }
  try { localStorage.removeItem(STORE_KEY); } catch { /* storage unavailable */ }
}

function loadConversation() {
  try {
    const stored = JSON.parse(localStorage.getItem(STORE_KEY) || "null");
    return stored && Array.isArray(stored.turns) ? stored.turns.filter((t) => t && t.question && t.response) : [];
  } catch {
    return [];
  }
}

function restoreConversation() {
  const turns = loadConversation();
  if (!turns.length) return;
  $("#welcome")?.classList.add("compact");
  for (const turn of turns) {
    state.turns.push(turn);
    appendTurn(turn.question, turn.response);
  }
  $("#conversation").lastElementChild?.scrollIntoView({ block: "end" });
}

function newConversation() {
  if (state.busy) cancelRequest("new");
  state.turns = [];
  saveConversation();
  for (const node of [...$("#conversation").children]) {
    if (node.id !== "welcome") node.remove();
  }
  $("#welcome")?.classList.remove("compact");
  closeSource();
  $("#question").focus();
}

// Earlier turns as the API's `history`: what was asked and what it was resolved to.
function historyForRequest() {
  return state.turns.slice(-HISTORY_TURNS).map((t) => ({
    question: t.question,
    resolved_question: t.response.resolved_question || t.response.question || t.question,
  }));
}

/* ------------------------------------------------------------------ */
/* Asking                                                              */
/* ------------------------------------------------------------------ */

// `settings` is given on a retry, so the same question is asked the same way.
async function ask(question, settings = readSettings()) {
  const text = question.trim();
  if (!text || state.busy) return;
  setBusy(true);
  setFiltersOpen(false); // give the answer the screen on phones
  $("#welcome")?.classList.add("compact");
  const userBubble = appendToConversation(el("div", { className: "bubble user", text }));
  const loading = appendLoading();

  try {
    const body = { question: text, ...settings };
    const history = historyForRequest();
    if (state.historySupported && history.length) body.history = history;
    let result = await postJSON(API.ask, body);
    if (!result.ok && body.history && refusesHistory(result.payload)) {
      state.historySupported = false; // an API without follow-ups: ask the question alone
      delete body.history;
      result = await postJSON(API.ask, body);
    }
    loading.remove();
    if (!result.ok) {
      userBubble.remove();
      appendError(errorMessage(result.status, result.payload), text, settings);
      return;
    }
    const turn = { question: text, response: result.payload };
    state.turns.push(turn);
    saveConversation();
    userBubble.remove();
    const block = appendTurn(text, result.payload);
    // Start reading at the question, not at the end of a long list of cards.
    block.scrollIntoView({ block: "start", behavior: "smooth" });
  } catch (err) {
    loading.remove();
    userBubble.remove();
    if (err.name === "AbortError" && state.abortReason === "new") return;
    const message = err.name !== "AbortError" ? "无法连接服务器，请检查网络后重试。"
      : state.abortReason === "timeout" ? `等待超过 ${ASK_TIMEOUT_MS / 1000} 秒仍未收到回答，请重试。`
        : "已取消。";
    appendError(message, text, settings);
  } finally {
    setBusy(false);
  }
}

function refusesHistory(payload) {
  const detail = payload && payload.detail;
  return Array.isArray(detail) && detail.some((d) => Array.isArray(d.loc) && d.loc.includes("history"));
}

// Returns the parsed body even for error statuses, because the error text is in it.
async function postJSON(url, body) {
  const controller = new AbortController();
  state.controller = controller;
  state.abortReason = "";
  const timer = setTimeout(() => {
    state.abortReason = "timeout";
    controller.abort();
  }, ASK_TIMEOUT_MS);
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
    state.controller = null;
  }
}

// reason: "cancel" (the user's 取消: said, with 重试) or "new" (新对话: silent).
function cancelRequest(reason = "cancel") {
  if (!state.controller) return;
  state.abortReason = typeof reason === "string" ? reason : "cancel";
  state.controller.abort();
}

// The API's 4xx messages in Chinese (the API speaks English to programs).
function translateIssue(where, message, type) {
  const msg = String(message || "");
  if (where.startsWith("question")) {
    if (type === "string_too_long" || /at most/.test(msg)) return `问题不能超过 ${MAX_QUESTION} 个字。`;
    if (/must contain text|empty|invisible/.test(msg)) return "请输入问题（不能只有空格或不可见字符）。";
    return "问题格式有误。";
  }
  if (where.startsWith("top_k")) return "返回条数须在 1 到 50 之间。";
  if (where.startsWith("mode")) return "检索模式无效。";
  if (where.startsWith("history")) return "对话记录格式有误，请点“新对话”后重试。";
  if (where.startsWith("filters") || /^filters:/.test(msg)) return translateFilterMessage(msg);
  return "";
}

function translateFilterMessage(msg) {
  const parts = [];
  for (const m of msg.matchAll(/unknown city '([^']+)' \(known: ([^)]*)\)/g)) parts.push(`没有“${m[1]}”的文件（已收录：${m[2]}）`);
  for (const m of msg.matchAll(/no document from year (\d+) \(known: ([^)]*)\)/g)) parts.push(`没有 ${m[1]} 年的文件（已收录：${m[2]}）`);
  for (const m of msg.matchAll(/unknown doc_id '([^']+)'/g)) parts.push(`文件“${m[1]}”不存在`);
  return `筛选条件有误：${parts.length ? parts.join("；") : "请检查所选城市、年份或文件"}。`;
}

function errorMessage(status, payload) {
  const detail = payload && payload.detail;
  if (Array.isArray(detail) && detail.length) {
    const texts = detail.map((item) => {
      const where = Array.isArray(item.loc) ? item.loc.filter((p) => p !== "body").join(".") : "";
      return translateIssue(where, item.msg, item.type);
    }).filter(Boolean);
    if (texts.length) return [...new Set(texts)].join("");
  }
  if (typeof detail === "string" && detail) {
    const text = translateIssue(/^filters:/.test(detail) ? "filters" : "", detail, "");
    if (text) return text;
  }
  if (status === 413) return "内容过长，请缩短问题后重试。";
  if (status === 429) return "提问过于频繁，请稍候再试。";
  if (status === 408) return "请求超时，请重试。";
  if (status === 503) return "服务正在加载文件索引，请稍候重试。";
  if (status >= 500) return `服务器出错（${status}），请稍后重试。`;
  return `请求有误（${status}），请修改问题后重试。`;
}

function setBusy(busy) {
  state.busy = busy;
  $("#ask").hidden = busy;
  $("#cancel").hidden = !busy;
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
    button("取消", () => cancelRequest(), "link-button loading-cancel"),
  ]);
  appendToConversation(node);
  node.scrollIntoView({ block: "end", behavior: "smooth" });
  return node;
}

function appendError(message, question, settings) {
  const node = el("div", { className: "bubble error", attrs: { role: "alert" } }, [
    el("strong", { text: "出错了：" }),
    document.createTextNode(message),
  ]);
  if (question) {
    node.append(el("div", { className: "error-actions" }, [
      el("span", { className: "muted", text: `问题：${question}` }),
      button("重试", () => {
        node.remove();
        ask(question, settings);
      }, "retry-button"),
    ]));
  }
  appendToConversation(node);
  node.scrollIntoView({ block: "end", behavior: "smooth" });
}

// A turn = the question bubble, then its answer block.
function appendTurn(question, data) {
  const turnId = ++state.turn;
  const block = el("div", { className: "turn", attrs: { "data-turn": turnId } }, [
    el("div", { className: "bubble user", text: question }),
  ]);
  const resolved = data.resolved_question;
  if (resolved && resolved !== question) {
    block.append(el("p", { className: "resolved", text: `按“${resolved}”检索` }));
  }
  block.append(renderAnswer(data, turnId));
  return appendToConversation(block);
}

// An answer block = an optional filter-conflict notice, the answer bubble, its passage cards.
function renderAnswer(data, turnId) {
  const answer = data.answer || {};
  const passages = Array.isArray(data.passages) ? data.passages : [];
  const byRank = new Map(passages.map((p) => [p.rank, p]));
  const quotes = quotesByRank(answer);
  const cited = new Set(Array.isArray(answer.citations) ? answer.citations : []);
  const lowConfidence = Boolean(answer.abstained);
  const context = { byRank, quotes, turnId };

  const head = el("div", { className: "answer-head" }, [el("span", { text: "回答" })]);
  if (lowConfidence) head.append(badge("低置信度", "low"));
  head.append(el("span", { className: "answer-actions" }, [
    button("复制", (event) => copyText(answerAsText(data), event.currentTarget), "link-button copy-answer",
      { "aria-label": "复制回答及出处" }),
    button("链接", (event) => copyText(permalink(data), event.currentTarget), "link-button copy-link",
      { "aria-label": "复制可重新提问的链接" }),
  ]));

  const body = el("div", { className: "answer-body" });
  if (lowConfidence && answer.reason) body.append(el("p", { className: "answer-reason", text: answer.reason }));
  if (Array.isArray(answer.rows) && answer.rows.length) body.append(renderRows(answer.rows, context));
  else body.append(...renderAnswerParts(answer, context));

  const bubble = el("div", { className: "bubble answer-bubble" }, [head, body, renderAnswerDetails(data)]);
  const block = el("article", {
    className: `answer${lowConfidence ? " abstained" : ""}`,
    attrs: { "aria-label": `回答：${data.question || ""}` },
  });
  const conflict = filterConflict(data);
  if (conflict) block.append(renderConflict(conflict, data));
  block.append(bubble);

  if (passages.length) {
    const heading = lowConfidence ? `相关段落（${passages.length}，仅供参考）` : `引用段落（${passages.length}）`;
    block.append(el("section", { className: "passages", attrs: { "aria-label": heading } }, [
      el("h2", { className: "passages-heading", text: heading }),
      ...passages.map((p) => renderPassageCard(p, context, { cited: cited.has(p.rank), lowConfidence })),
    ]));
  }
  return block;
}

// The answer part (or comparison row) that quotes each cited passage.
function quotesByRank(answer) {
  const quotes = new Map();
  for (const item of [...(answer.rows || []), ...(answer.parts || [])]) {
    if (Number.isFinite(item.citation) && item.text && !quotes.has(item.citation)) quotes.set(item.citation, item);
  }
  return quotes;
}

function renderAnswerParts(answer, context) {
  const parts = Array.isArray(answer.parts) ? answer.parts : [];
  if (parts.length) return parts.map((part) => renderAnswerPart(part, context));

  // No structured parts (e.g. abstained): show the plain text and its citations.
  const text = el("p", { className: "part-text" });
  appendHighlighted(text, answer.text || "未找到相关内容。", []);
  for (const rank of answer.citations || []) text.append(renderCitationLink(rank, context));
  return [el("div", { className: "answer-part" }, [text])];
}

function renderAnswerPart(part, context) {
  const node = el("div", { className: "answer-part" });
  if (part.label) node.append(el("span", { className: "part-label", text: part.label }));
  const text = el("p", { className: "part-text" });
  appendHighlighted(text, part.text, part.highlights);
  if (Number.isFinite(part.citation)) text.append(renderCitationLink(part.citation, context));
  node.append(text);
  return node;
}

// Comparison rows (one per place and year) as a table.
function renderRows(rows, context) {
  const table = el("table", { className: "rows-table" }, [
    el("thead", {}, [el("tr", {}, ["地区", "年份", "规定", "出处"].map((h) => el("th", { text: h, attrs: { scope: "col" } })))]),
  ]);
  const body = el("tbody");
  for (const row of rows) {
    // the row's sentence with its value (the figure) marked, or the value alone
    const value = el("td");
    const text = String(row.text || row.value || "");
    const at = row.value ? text.indexOf(row.value) : -1;
    const marks = at >= 0 ? [[at, at + row.value.length]] : [];
    if (row.value && at < 0) value.append(el("mark", { text: row.value }));
    value.append(appendHighlighted(el("div", { className: "row-text" }), text, marks));
    const cite = el("td");
    if (Number.isFinite(row.citation)) cite.append(renderCitationLink(row.citation, context));
    body.append(el("tr", {}, [el("td", { text: row.place || "" }), el("td", { text: row.year ?? "" }), value, cite]));
  }
  table.append(body);
  return el("div", { className: "table-scroll" }, [table]);
}

function renderCitationLink(rank, { byRank, quotes, turnId }) {
  const passage = byRank.get(rank);
  if (!passage) return el("sup", { className: "cite-missing", text: `[${rank}]` });
  const link = button(`[${rank}]`, () => {
    revealCard(turnId, rank);
    openSource(passage, quotes.get(rank));
  }, "cite-link", { "aria-label": `查看引用 ${rank}：${passage.doc_title || ""}` });
  return link;
}

function renderConflict(conflict, data) {
  const chosen = [...conflict.filters.city, ...conflict.filters.year.map(String),
    ...conflict.filters.doc_id.map((id) => docLabel(docById(id) || { title: id }))].join("、");
  const named = [...conflict.regions, ...conflict.years.map((y) => `${y}年`)].join("、");
  const node = el("div", { className: "notice conflict", attrs: { role: "status" } }, [
    el("p", { text: `问题中提到“${named}”，但当前筛选为“${chosen}”，所以只检索了筛选范围内的文件，结果可能不是您要找的。` }),
  ]);
  const actions = el("div", { className: "notice-actions" });
  if (conflict.regions.length) {
    actions.append(button(`改为检索${conflict.regions.join("、")}`, () => {
      clearFilters();
      setChecked("city", conflict.regions.filter((r) => document.querySelector(`#filters input[name="city"][value="${CSS.escape(r)}"]`)));
      updateFilterSummary();
      ask(data.question);
    }, "notice-button"));
  }
  actions.append(button("清除筛选后重新提问", () => {
    clearFilters();
    ask(data.question);
  }, "notice-button"));
  node.append(actions);
  return node;
}

// Timings behind a 详情 toggle: useful to some, noise to most.
function renderAnswerDetails(data) {
  const details = el("details", { className: "details" }, [el("summary", { text: "详情" })]);
  const scope = describeFilters(data.applied_filters);
  details.append(el("p", { text: `筛选：${scope || "全部文件"}；检索方式：${MODE_LABELS[data.mode] || data.mode || ""}` }));
  const timing = formatTimings(data.timings_ms);
  if (timing) details.append(el("p", { text: timing }));
  const answer = data.answer || {};
  if (Number.isFinite(answer.confidence)) {
    details.append(el("p", { text: `问题关键词覆盖率：${Math.round(answer.confidence * 100)}%` }));
  }
  return details;
}

function describeFilters(applied) {
  if (!applied) return "";
  const docs = (applied.doc_id || []).map((id) => docLabel(docById(id) || { title: id }));
  return [...(applied.city || []), ...(applied.year || []).map(String), ...docs].join("·");
}

function formatTimings(timings) {
  if (!timings || !Number.isFinite(timings.total)) return "";
  const extras = Object.entries(timings)
    .filter(([key, value]) => key !== "total" && Number.isFinite(value))
    .map(([key, value]) => `${STAGE_LABELS[key] || key} ${value < 10 ? value.toFixed(1) : Math.round(value)}`);
  return `用时 ${Math.round(timings.total)} 毫秒${extras.length ? `（${extras.join("，")}）` : ""}`;
}

/* ------------------------------------------------------------------ */
/* Copy and permalink                                                  */
/* ------------------------------------------------------------------ */

// `《title》 文号 · 章节 › … · file 第 12–14 行`, as the CLI prints it (qa/answer_text.py).
// `第 12–14 行`, or `第 12 行` for one line.
function lineRange(src) {
  return src.line_start === src.line_end ? `第 ${src.line_start} 行` : `第 ${src.line_start}–${src.line_end} 行`;
}

function citationText(p) {
  const src = p.source || {};
  const section = (p.section_path || []).slice(1).join(" › ");
  const where = `${src.file || ""} ${lineRange(src)}`;
  return [`《${p.doc_title || ""}》`, p.doc_number, section, where].filter(Boolean).join(" · ");
}

function answerAsText(data) {
  const answer = data.answer || {};
  const byRank = new Map((data.passages || []).map((p) => [p.rank, p]));
  const lines = [`问：${data.question || ""}`];
  if (data.resolved_question && data.resolved_question !== data.question) lines.push(`（按“${data.resolved_question}”检索）`);
  lines.push(`答：${answer.text || ""}`);
  if (answer.abstained && answer.reason) lines.push(`（${answer.reason}）`);
  const items = (answer.rows && answer.rows.length ? answer.rows : answer.parts) || [];
  for (const item of items) {
    const label = item.label || [item.place, item.year].filter(Boolean).join(" ");
    lines.push(`  ${label}：${item.value || item.text || ""} [${item.citation}]`);
  }
  const cited = answer.citations || [];
  const ranks = cited.length && !answer.abstained ? cited : [...byRank.keys()].sort((a, b) => a - b);
  if (ranks.length) {
    lines.push(answer.abstained ? "相关段落（低置信度，仅供参考）：" : "出处：");
    for (const rank of ranks) if (byRank.has(rank)) lines.push(`[${rank}] ${citationText(byRank.get(rank))}`);
  }
  return lines.join("\n");
}

// A link that asks the question again, with the same filters.
function permalink(data) {
  const url = new URL(location.pathname, location.origin);
  url.searchParams.set("q", data.question || "");
  const applied = data.applied_filters || {};
  for (const city of applied.city || []) url.searchParams.append("city", city);
  for (const year of applied.year || []) url.searchParams.append("year", String(year));
  for (const docId of applied.doc_id || []) url.searchParams.append("doc", docId);
  return url.toString();
}

async function copyText(text, trigger) {
  let done = false;
  try {
    await navigator.clipboard.writeText(text);
    done = true;
  } catch {
    // Without clipboard permission (or over plain http on another host): the old way.
    const area = el("textarea", { className: "copy-buffer", attrs: { readonly: "" } });
    area.value = text;
    document.body.append(area);
    area.select();
    try { done = document.execCommand("copy"); } catch { done = false; }
    area.remove();
  }
  if (trigger) {
    const original = trigger.dataset.label || trigger.textContent;
    trigger.dataset.label = original;
    trigger.textContent = done ? "已复制" : "复制失败";
    setTimeout(() => { trigger.textContent = original; }, 2000);
  }
}

function permalinkParams() {
  return new URLSearchParams(location.search);
}

function applyPermalinkFilters() {
  const params = permalinkParams();
  if (!params.has("q")) return;
  setChecked("city", params.getAll("city"));
  setChecked("year", params.getAll("year"));
  setChecked("doc_id", params.getAll("doc"));
}

// ?q=… asks the question once; the address is then cleaned so a reload does not ask again.
function askFromPermalink() {
  const question = (permalinkParams().get("q") || "").trim();
  if (!question) return;
  history.replaceState(null, "", location.pathname);
  ask(question.slice(0, MAX_QUESTION));
}

/* ------------------------------------------------------------------ */
/* Passage cards                                                       */
/* ------------------------------------------------------------------ */

function cardId(turnId, rank) {
  return `t${turnId}-passage-${rank}`;
}

function renderPassageCard(p, context, { cited, lowConfidence }) {
  const card = el("article", {
    className: `passage-card${cited ? " cited" : ""}`,
    attrs: { id: cardId(context.turnId, p.rank), "data-rank": p.rank, tabindex: "-1" },
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
  card.append(renderPassageText(p.text, { figures: p.highlights, className: "card-text" }));

  const facts = renderCardFacts(p);
  if (facts) card.append(facts);
  card.append(renderCardFooter(p, context));
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
  const doc = docById(p.doc_id);
  const county = p.county || (doc && doc.county);
  return county ? `${p.city || (doc && doc.city) || ""} ${county}`.trim() : p.city || p.region || "";
}

function renderCardFacts(p) {
  const rows = [];
  const units = (list) => (Array.isArray(list) && list.length ? list.join("、") : "");
  if (units(p.lead)) rows.push(["牵头", units(p.lead)]);
  if (units(p.responsible)) rows.push(["责任", units(p.responsible)]);
  if (units(p.cooperate)) rows.push(["配合", units(p.cooperate)]);
  if (p.deadline) rows.push(["时限", p.deadline]);
  if (!rows.length) return null;
  const list = el("dl", { className: "card-facts" });
  for (const [term, value] of rows) list.append(el("dt", { text: term }), el("dd", { text: value }));
  return list;
}

function renderCardFooter(p, context) {
  const scores = p.scores || {};
  const details = el("details", { className: "details card-details" }, [
    el("summary", { text: "详情" }),
    el("p", { text: `排序得分 ${formatNumber(scores.fused ?? p.score)}；关键词得分 ${formatNumber(scores.bm25)}`
      + `${Number.isFinite(scores.bm25_rank) ? `（第 ${scores.bm25_rank} 名）` : ""}；`
      + `语义相似度 ${formatNumber(scores.dense)}${Number.isFinite(scores.dense_rank) ? `（第 ${scores.dense_rank} 名）` : ""}` }),
  ]);
  const src = p.source || {};
  const open = button(`查看原文 ${lineRange(src)}`,
    () => openSource(p, context.quotes.get(p.rank)), "open-source",
    { "aria-label": `查看原文：${p.doc_title || ""} 第${src.line_start}至${src.line_end}行` });
  return el("footer", { className: "card-foot" }, [details, open]);
}

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

// `part`: the answer part quoting this passage (its sentence is marked), if any.
async function openSource(passage, part) {
  const viewer = $("#source-viewer");
  const token = ++state.viewerToken;
  if (viewer.hidden) state.focusBeforeViewer = document.activeElement;

  const src = passage.source || {};
  $("#source-title").textContent = passage.doc_title || passage.doc_id;
  $("#source-meta").textContent = [passage.doc_number, lineRange(src),
    KIND_LABELS[passage.kind] || passage.kind].filter(Boolean).join(" · ");

  const { quote, figures } = locateQuote(passage, part);
  $("#source-passage").replaceChildren(
    renderPassageText(passage.text, { quote, figures, className: "source-passage-text" }));
  $("#source-full").replaceChildren(el("p", { className: "muted", text: "正在加载原文…" }));

  viewer.hidden = false;
  document.body.classList.add("viewer-open");
  $("#source-body").scrollTop = 0;
  $("#source-close").focus({ preventScroll: true });

  try {
    const doc = await fetchDocument(passage.doc_id);
    if (token !== state.viewerToken) return; // a newer click won
    renderSource(doc, src, quote ? passage.text.slice(quote[0], quote[1]) : "");
  } catch (err) {
    if (token !== state.viewerToken) return;
    $("#source-full").replaceChildren(el("p", { className: "error-inline", text: `原文加载失败：${err.message}` }));
  }
}

// Full text in its own scroll box, the passage span marked (and the quoted
// sentence inside it, when it can be found in the file) and centred.
function renderSource(doc, src, quoteText) {
  if (doc.title) $("#source-title").textContent = doc.title;
  const text = String(doc.text ?? "");
  const start = clamp(src.char_start, 0, text.length);
  const end = clamp(src.char_end, start, text.length);
  const span = text.slice(start, end);

  const mark = el("mark", { className: "source-highlight", attrs: { id: "source-highlight" } });
  const inSpan = quoteText ? findLoosely(span, quoteText) : null;
  appendQuoted(mark, span, inSpan, []);
  const box = el("div", { className: "source-text" }, [
    document.createTextNode(text.slice(0, start)),
    mark,
    document.createTextNode(text.slice(end)),
  ]);
  $("#source-full").replaceChildren(box);
  requestAnimationFrame(() => {
    const target = mark.querySelector(".quote") || mark;
    // the box is the marks' offsetParent (position: relative), so offsetTop is inside it
    box.scrollTop = Math.max(0, target.offsetTop - box.clientHeight / 3);
  });
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

function showComposerError(message) {
  const node = $("#composer-error");
  node.textContent = message;
  node.hidden = !message;
}

function updateCounter() {
  const length = [...$("#question").value].length;
  const counter = $("#char-count");
  counter.textContent = `${length}/${MAX_QUESTION}`;
  counter.classList.toggle("over", length > MAX_QUESTION);
  if (length <= MAX_QUESTION && $("#composer-error").textContent.startsWith("问题不能超过")) showComposerError("");
}

// The draft stays in the box until it is actually sent.
function submitQuestion() {
  const box = $("#question");
  const question = box.value.trim();
  const length = [...question].length;
  if (!question) {
    showComposerError("请输入问题。");
    box.focus();
    return;
  }
  if (length > MAX_QUESTION) {
    showComposerError(`问题不能超过 ${MAX_QUESTION} 个字（现在 ${length} 字），请删减后再发送。`);
    return;
  }
  if (state.busy) {
    showComposerError("正在回答上一个问题，请稍候，或点“取消”。");
    return;
  }
  showComposerError("");
  box.value = "";
  autoGrow(box);
  updateCounter();
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
  box.addEventListener("input", () => {
    autoGrow(box);
    updateCounter();
  });
  $("#composer").addEventListener("submit", (event) => {
    event.preventDefault();
    submitQuestion();
  });
  $("#cancel").addEventListener("click", () => cancelRequest());
  $("#new-chat").addEventListener("click", newConversation);

  // An example is asked as it is; whatever is typed in the box stays there.
  for (const chip of document.querySelectorAll(".example-chip")) {
    chip.addEventListener("click", () => {
      if (state.busy) {
        showComposerError("正在回答上一个问题，请稍候，或点“取消”。");
        return;
      }
      ask(chip.textContent);
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
  updateCounter();
  restoreConversation();
  // The permalink's filters need the document list; its question is asked once that is in.
  loadDocuments().finally(askFromPermalink);
}

init();
