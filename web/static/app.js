// mediasearch page: plain DOM, no build step. Every piece of data from the
// server (file names, transcripts) goes in with textContent, never innerHTML.
"use strict";

const $ = (id) => document.getElementById(id);
// like: "more like this" (one file, no text); good/bad: results marked by
// the person, refining the typed query (relevance feedback); plain: readings
// of the text undone (a chip removed); all: weaker matches shown too.
const state = { offset: 0, k: 24, example: null, like: null, good: [], bad: [], plain: [], all: false,
                lastParams: null, seq: 0, words: [] };

function el(tag, attrs = {}, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

// Words on a picture (a photo, a video frame) are where it was taken;
// words elsewhere were said or written (transcripts, tags): quoted.
function isPlace(r) {
  return r.source === "frame" || r.source === "image";
}

function snippet(r) {
  return isPlace(r) ? r.text : "“" + r.text + "”";
}

function fmtTime(s) {
  if (s === null || s === undefined) return "";
  s = Math.round(s);
  const m = Math.floor(s / 60), sec = s % 60;
  return String(m).padStart(2, "0") + ":" + String(sec).padStart(2, "0");
}

function message(text, isError = false, weaker = 0) {
  const m = $("message");
  m.textContent = text;
  m.className = isError ? "error" : "";
  if (weaker) {
    // Below the calibrated cut-off: held back, one click away.
    const b = el("button", { type: "button", id: "show-weaker", class: "linkish" },
                 "Show " + weaker + " weaker match" + (weaker === 1 ? "" : "es"));
    b.addEventListener("click", () => { state.all = true; search(); });
    m.append(" ", b);
  }
}

// How the text was read, as chips: removing one searches again with that
// reading left as words (plain=date...).
function showUnderstood(query) {
  const box = $("understood");
  box.replaceChildren();
  for (const r of query.understood || []) {
    const chip = el("span", { class: "chip", "data-type": r.type, title: "read from “" + r.text + "”" }, r.label);
    const x = el("button", { type: "button", class: "chip-x", "aria-label": "read “" + r.text + "” as words" }, "×");
    x.addEventListener("click", () => { if (!state.plain.includes(r.type)) state.plain.push(r.type); search(); });
    chip.appendChild(x);
    box.appendChild(chip);
  }
  if (query.semantic && (query.understood || []).length) box.appendChild(el("span", { class: "chip semantic" }, "looking for “" + query.semantic + "”"));
  for (const p of state.plain) {
    const chip = el("span", { class: "chip plain" }, p + " read as words");
    const x = el("button", { type: "button", class: "chip-x", "aria-label": "read the " + p + " again" }, "×");
    x.addEventListener("click", () => { state.plain = state.plain.filter((t) => t !== p); search(); });
    chip.appendChild(x);
    box.appendChild(chip);
  }
  for (const n of query.notes || []) box.appendChild(el("span", { class: "note" }, n));
  for (const [name, list] of [["good", state.good], ["bad", state.bad]]) {
    if (!list.length) continue;
    const chip = el("span", { class: "chip feedback" }, list.length + " marked " + name);
    const x = el("button", { type: "button", class: "chip-x", "aria-label": "forget the " + name + " marks" }, "×");
    x.addEventListener("click", () => { if (name === "good") state.good = []; else state.bad = []; search(); });
    chip.appendChild(x);
    box.appendChild(chip);
  }
  box.hidden = !box.childNodes.length;
}

// Text with the query's words marked (built from text nodes: no HTML from data).
function marked(tag, attrs, text) {
  const e = el(tag, attrs);
  const words = new Set(state.words);
  for (const part of String(text).split(/([\p{L}\p{N}]+)/u)) {
    if (words.has(part.toLowerCase())) e.appendChild(el("mark", {}, part));
    else e.appendChild(document.createTextNode(part));
  }
  return e;
}

// The signals behind a hit, as small badges.
function whyBadges(r) {
  const box = el("div", { class: "why" });
  for (const w of r.why || []) {
    let text = null;
    if (w.signal === "picture") text = (w.label || "picture") + " " + w.score.toFixed(2);
    else if (w.signal === "words" && w.fields && w.fields.length) text = "words in " + w.fields.map((f) => f.field).join(", ");
    else if (w.signal === "words" && w.exact) text = w.text;
    else if (["place", "date", "example", "sound", "people"].includes(w.signal)) text = w.text;
    else if (w.signal === "caption") text = "caption";
    if (text) box.appendChild(el("span", { class: "why-badge", "data-signal": w.signal, title: w.weight !== undefined ? "share of the score: " + w.weight : "" }, text));
  }
  return box;
}

function filters() {
  const f = {};
  if ($("kind").value) f.kind = $("kind").value;
  if ($("under").value.trim()) f.under = $("under").value.trim();
  if ($("place").value.trim()) f.place = $("place").value.trim();
  if ($("after").value) f.after = $("after").value;
  if ($("before").value) f.before = $("before").value;
  if ($("rerank").checked) f.rerank = "true";
  if ($("order").value !== "relevance") f.order = $("order").value;
  return f;
}

async function request(offset, k = state.k) {
  const q = $("q").value.trim();
  const f = filters();
  let resp;
  if (state.example) {
    const body = new FormData();
    body.append("file", state.example);
    body.append("q", q);
    body.append("k", k);
    body.append("offset", offset);
    for (const [k, v] of Object.entries(f)) body.append(k, v);
    for (const p of state.plain) body.append("plain", p);
    if (state.all) body.append("all", "true");
    resp = await fetch("/api/search", { method: "POST", body });
  } else {
    const params = new URLSearchParams({ q, k, offset, ...f });
    if (state.like !== null) params.append("like", state.like);
    for (const id of state.good) params.append("like", id);
    for (const id of state.bad) params.append("unlike", id);
    for (const p of state.plain) params.append("plain", p);
    if (state.all) params.set("all", "true");
    resp = await fetch("/api/search?" + params.toString());
  }
  let data = null;
  try { data = await resp.json(); } catch (e) { /* not JSON */ }
  if (!resp.ok) throw new Error((data && data.detail) ? (typeof data.detail === "string" ? data.detail : "invalid request") : ("HTTP " + resp.status));
  return data;
}

// The search lives in the address bar (query, filters, "more like this"),
// so results can be bookmarked, shared and reached again with Back.
function toURL() {
  const p = new URLSearchParams();
  if ($("q").value.trim()) p.set("q", $("q").value.trim());
  for (const [k, v] of Object.entries(filters())) p.set(k, v);
  if (state.like !== null) p.set("like", state.like);
  for (const id of state.good) p.append("good", id);
  for (const id of state.bad) p.append("bad", id);
  for (const x of state.plain) p.append("plain", x);
  if (state.all) p.set("all", "true");
  return p.toString() ? "?" + p.toString() : location.pathname;
}

function fromURL() {
  const p = new URLSearchParams(location.search);
  $("q").value = p.get("q") || "";
  for (const id of ["kind", "under", "place", "after", "before"]) $(id).value = p.get(id) || "";
  $("order").value = ["newest", "oldest"].includes(p.get("order")) ? p.get("order") : "relevance";
  $("rerank").checked = p.get("rerank") === "true";
  state.like = p.get("like");
  state.good = p.getAll("good"); state.bad = p.getAll("bad");
  state.plain = p.getAll("plain"); state.all = p.get("all") === "true";
  state.restoreN = parseInt(p.get("n") || "0", 10) || 0;
  state.example = null; $("file").value = "";
  showExample(state.like !== null ? "more like #" + state.like : null);
  countFilters();
  if ($("q").value || state.like !== null) search(false, false); else { showUnderstood({}); landing(); }
}

function countFilters() {
  // Filters stay visible as a count while the panel is closed.
  const n = Object.keys(filters()).filter((k) => k !== "order").length;
  $("filters-summary").textContent = n ? "Filters (" + n + ")" : "Filters";
}

async function landing() {
  // The library at a glance instead of an empty page.
  $("results").replaceChildren(); $("more").hidden = true;
  const mine = ++state.seq;
  try {
    const s = await (await fetch("/api/status")).json();
    if (mine !== state.seq) return;
    const ok = s.media.ok || {};
    const parts = Object.entries(ok).map(([k, n]) => n + " " + k + (n === 1 ? "" : "s"));
    message(parts.length ? "Your library: " + parts.join(", ") + ". Try “a dog on the beach”, “birthday cake”, or a word someone said. Added last:"
                         : "The index is empty: run `mediasearch index FOLDER` (or serve --watch FOLDER) first.");
    if (!parts.length) return;
    const recent = await (await fetch("/api/recent?n=12")).json();
    if (mine !== state.seq) return;
    for (const r of recent.results) $("results").appendChild(card(r));
  } catch (e) { message("Type what you are looking for, or search by example."); }
}

async function search(append = false, remember = true) {
  if (!append) { state.offset = 0; $("results").replaceChildren(); }
  if (!$("q").value.trim() && !state.example && state.like === null) { landing(); return; }
  if (!append && remember && !state.example && toURL() !== location.search) history.pushState(null, "", toURL());
  message("Searching…");
  $("more").hidden = true;
  // Only the latest search may fill the page: an older answer arriving late
  // (a click, then a typed query) must not mix its cards in.
  const mine = ++state.seq;
  try {
    // A bookmarked page reloads as many results as were shown (n=, up to 200).
    const k = (!append && state.restoreN) ? Math.min(200, Math.max(state.k, state.restoreN)) : state.k;
    state.restoreN = 0;
    const data = await request(state.offset, k);
    if (mine !== state.seq) return;
    if (data.empty_index) { message("The index is empty: run `mediasearch index FOLDER` (or serve --watch FOLDER) first."); return; }
    const results = data.results;
    if (!append) showUnderstood(data.query);
    state.words = data.query.words || [];  // the words a match is shown by (no "the", "in")
    const cut = data.cutoff || {};
    const held = cut.held_back || 0;
    if (!results.length && !append) {
      if (cut.applied && held) { message("No good match for “" + data.query.semantic + "”.", false, held); return; }
      message("No results. Try other words, or fewer filters.");  // nothing even weakly: the filters exclude all
      return;
    }
    const byDate = (data.order && data.order.by !== "relevance")
      || results.every((r) => r.score_parts && r.score_parts.filters);
    if (!append) { state.day = null; state.month = null; }
    for (const r of results) {
      if (byDate) dateHeaders(r.when || r.taken);
      $("results").appendChild(card(r));
    }
    state.offset += results.length;
    $("more").hidden = results.length < k;
    if (append) history.replaceState(null, "", toURL() + (toURL().startsWith("?") ? "&" : "?") + "n=" + state.offset);
    message("Showing " + state.offset + (state.offset === 1 ? " result" : " results") + (results.length < k ? "" : "; more below"), false,
            state.all ? 0 : held);
  } catch (e) {
    if (mine !== state.seq) return;
    message("Search failed: " + e.message, true);
  }
}

// A list by date gets a month header and a day header where they change.
function dateHeaders(day) {
  const d = day ? new Date(day + "T12:00:00") : null;
  const month = d ? d.toLocaleDateString(undefined, { month: "long", year: "numeric" }) : "Date unknown";
  const label = d ? d.toLocaleDateString(undefined, { weekday: "long", day: "numeric", month: "long" }) : "";
  if (month !== state.month) {
    $("results").appendChild(el("h2", { class: "month-header" }, month));
    state.month = month; state.day = null;
  }
  if (label && label !== state.day) {
    $("results").appendChild(el("h3", { class: "day-header" }, label));
    state.day = label;
  }
}

function card(r) {
  const c = el("article", { class: "card" + (r.match === false ? " weaker" : ""), "data-kind": r.kind, "data-id": String(r.id) });
  const img = el("img", { src: r.thumb, alt: r.name, loading: "lazy" });
  img.addEventListener("click", () => openViewer(r));
  // A tall picture (a phone screenshot, a scanned page) shows its top, not its middle.
  img.addEventListener("load", () => img.classList.toggle("tall", img.naturalHeight > img.naturalWidth * 1.6));
  c.appendChild(img);
  const meta = el("div", { class: "meta" });
  meta.appendChild(el("span", { class: "name", title: r.path }, r.name));
  const row = el("div", { class: "row" });
  const moment = r.start !== null ? " @ " + fmtTime(r.start) + "–" + fmtTime(r.end) : "";
  row.appendChild(el("span", { class: "badge", title: r.kind + moment }, r.kind + moment));
  if (!(r.score_parts && (r.score_parts.recent || r.score_parts.filters || r.score_parts.event))) row.appendChild(el("span", { class: "score" }, r.score.toFixed(3)));
  meta.appendChild(row);
  // The date on a line of its own: beside a video's moment it was squeezed into "2026-/07-18".
  if (r.taken) meta.appendChild(el("span", { class: "taken", title: "taken on" }, r.taken));
  if (r.text) meta.appendChild(marked("span", { class: isPlace(r) ? "snippet place" : "snippet" }, snippet(r)));
  // Words that matched elsewhere in the file (its name, tags, what was said): quoted, never a place.
  if (r.words && r.words.text && r.words.text !== r.text) meta.appendChild(marked("span", { class: "snippet words" }, "“" + r.words.text + "”"));
  meta.appendChild(whyBadges(r));
  if (r.caption) meta.appendChild(el("span", { class: "snippet caption" }, r.caption));
  const like = el("button", { class: "like", type: "button" }, "More like this");
  like.addEventListener("click", () => { state.like = String(r.id); state.good = []; state.bad = []; state.example = null; $("q").value = ""; showExample("more like “" + r.name + "”"); search(); });
  const marks = el("div", { class: "marks" });
  marks.appendChild(like);
  if ($("q").value.trim() && !state.example) {
    // Relevance feedback: the typed query, refined by the hits marked good or bad.
    for (const [name, label, list] of [["good", "Good", state.good], ["bad", "Not this", state.bad]]) {
      const b = el("button", { class: "mark " + name + (list.includes(String(r.id)) ? " on" : ""), type: "button" }, label);
      b.addEventListener("click", () => {
        const id = String(r.id);
        state.good = state.good.filter((x) => x !== id); state.bad = state.bad.filter((x) => x !== id);
        list.includes(id) || (name === "good" ? state.good : state.bad).push(id);
        search();
      });
      marks.appendChild(b);
    }
  }
  meta.appendChild(marks);
  c.appendChild(meta);
  return c;
}

function openViewer(r) {
  const body = $("viewer-body");
  body.replaceChildren();
  if (r.kind === "image") {
    const img = el("img", { src: r.url, alt: r.name });
    // HEIC and TIFF do not display in most browsers: show our large thumbnail instead.
    img.addEventListener("error", () => { img.src = "/thumb/" + r.id + "?size=512"; }, { once: true });
    body.appendChild(img);
    const boxes = (r.why || []).flatMap((w) => (w.fields || []).flatMap((f) => f.boxes || []));
    if (boxes.length) drawBoxes(body, img, boxes);
  } else {
    if (r.kind === "audio") {
      // The waveform with the part that matched lit (what was said, or the sound event).
      body.appendChild(el("img", { class: "wave", src: "/thumb/" + r.id + "?size=512" + (r.start !== null ? "&t=" + r.start.toFixed(3) : ""), alt: "waveform" }));
    }
    const player = el(r.kind === "video" ? "video" : "audio", { controls: "", preload: "metadata", id: "player" });
    player.src = r.url;
    const start = r.start || 0;
    // Open at the moment that matched.
    player.addEventListener("loadedmetadata", () => { player.currentTime = start; player.play().catch(() => {}); }, { once: true });
    body.appendChild(player);
  }
  $("viewer-caption").textContent = r.path + (r.text ? " — " + snippet(r) : "") + (r.start !== null ? " (" + fmtTime(r.start) + ")" : "");
  $("viewer").showModal();
}

// The lines of text in the picture that matched, outlined over it. Corners
// are fractions of the picture, placed over where "contain" draws it.
function drawBoxes(body, img, boxes) {
  const NS = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("class", "text-boxes");
  svg.setAttribute("viewBox", "0 0 1 1");
  svg.setAttribute("preserveAspectRatio", "none");
  for (const b of boxes) {
    const p = document.createElementNS(NS, "polygon");
    p.setAttribute("points", b.map(([x, y]) => x + "," + y).join(" "));
    svg.appendChild(p);
  }
  const place = () => {
    const W = img.clientWidth, H = img.clientHeight;
    const s = Math.min(W / img.naturalWidth, H / img.naturalHeight);
    const w = img.naturalWidth * s, h = img.naturalHeight * s;
    Object.assign(svg.style, { left: img.offsetLeft + (W - w) / 2 + "px", top: img.offsetTop + (H - h) / 2 + "px",
                               width: w + "px", height: h + "px" });
  };
  img.addEventListener("load", place);
  if (img.complete && img.naturalWidth) place();
  body.appendChild(svg);
}

function showExample(name) {
  $("example").hidden = !name;
  $("example-name").textContent = name || "";
}

function clearExample() {
  state.example = null; state.like = null; $("file").value = ""; showExample(null);
}

function useFile(file) {
  if (!file) return;
  state.example = file; state.like = null;
  showExample(file.name);
  search();
}

// Near-duplicates: groups with the suggested keeper marked. The page only
// shows them; deleting is the person's own action (the index follows it).
async function showDuplicates() {
  const mine = ++state.seq;
  clearExample();  // the banner of a search by example does not belong to this view
  $("results").replaceChildren(); $("more").hidden = true; showUnderstood({});
  message("Looking for near-duplicates…");
  try {
    const data = await (await fetch("/api/duplicates")).json();
    if (mine !== state.seq) return;
    if (!data.groups.length) { message("No near-duplicates found."); return; }
    const same = data.groups.filter((g) => !g.reason.similar);
    const n = same.reduce((a, g) => a + g.items.length - 1, 0);
    const alike = data.groups.length - same.length;
    const count = (k, one, many) => k + " " + (k === 1 ? one : many);
    message(count(same.length, "group", "groups") + " of the same picture; " + count(n, "file", "files") + " could go"
      + (alike ? "; " + count(alike, "group", "groups") + " of similar pictures to keep" : "") + ". Nothing is deleted here.");
    for (const g of data.groups) {
      const box = el("section", { class: "dup-group" + (g.reason.similar ? " similar" : "") });
      box.appendChild(el("p", { class: "dup-why" }, g.items.length + " files: " + g.reason.how + " (" + evidence(g.reason) + ")"));
      const row = el("div", { class: "dup-row" });
      const names = g.items.map((it) => it.name);
      for (const it of g.items) {
        const c = el("figure", { class: "dup" + (it.keep ? " keep" : "") });
        c.appendChild(el("img", { src: it.thumb, alt: it.name, loading: "lazy" }));
        const cap = el("figcaption", { title: it.path }, it.keep ? "keep · " : "");
        cap.appendChild(differing(it.name, names));
        if (it.width) cap.append(" · " + it.width + "×" + it.height);
        c.appendChild(cap);
        row.appendChild(c);
      }
      box.appendChild(row);
      $("results").appendChild(box);
    }
  } catch (e) {
    if (mine === state.seq) message("Duplicates unavailable: " + e.message, true);
  }
}

// What joined a group, in words: signature bits for pictures, moments for videos.
function evidence(r) {
  const parts = [];
  if (r.signature_bits !== undefined) parts.push("signature within " + r.signature_bits + " bits");
  if (r.moments_matched !== undefined) parts.push(r.moments_matched + " moments matched");
  if (r.cosine) parts.push("similarity ≥ " + r.cosine.toFixed(3));
  return parts.join(", ");
}

// A name with the part that differs from the group's other names marked
// ("IMG_1000 (1).jpg" beside "IMG_1000.jpg"): the common start and end stay plain.
function differing(name, names) {
  const others = names.filter((x) => x !== name);
  const span = el("span", {});
  if (!others.length) { span.textContent = name; return span; }
  let pre = 0, suf = 0;
  const common = (f) => others.every((o) => f(o));
  while (pre < name.length && common((o) => o[pre] === name[pre])) pre++;
  while (suf < name.length - pre && common((o) => o.length - 1 - suf >= pre && o[o.length - 1 - suf] === name[name.length - 1 - suf])) suf++;
  const mid = name.slice(pre, name.length - suf);
  span.append(name.slice(0, pre));
  if (mid) span.appendChild(el("mark", {}, mid));
  span.append(name.slice(name.length - suf));
  return span;
}

async function showStatus() {
  const box = $("status");
  if (!box.hidden) { box.hidden = true; return; }
  box.replaceChildren(el("p", {}, "Loading…"));
  box.hidden = false;
  try {
    const resp = await fetch("/api/status");
    const s = await resp.json();
    const t = el("table");
    const add = (k, v) => { const tr = el("tr"); tr.appendChild(el("td", {}, k)); tr.appendChild(el("td", {}, v)); t.appendChild(tr); };
    add("Model", s.model ? s.model.spec + " (" + s.model.dim + "-d)" : "none yet");
    for (const [status, kinds] of Object.entries(s.media)) add("Files " + status, Object.entries(kinds).map(([k, n]) => n + " " + k).join(", "));
    add("Vectors", String(s.segments));
    add("Index size", Math.round(s.index_bytes / 1024) + " KB (catalog " + Math.round(s.catalog_bytes / 1024) + " KB)");
    add("Folders", s.roots.join(", ") || "none");
    const w = s.watcher;
    add("Watcher", w ? (w.running ? "running" : "not running") + ", " + w.mode + (w.mode_reason ? " (" + w.mode_reason + ")" : "") + ", queue " + w.queue : "not running");
    if (w && w.errors && w.errors.length) add("Watcher errors", w.errors.slice(-3).join(" | "));
    box.replaceChildren(el("h2", {}, "Status"), t);
    if (s.failures.length) {
      box.appendChild(el("h3", {}, "Files that failed"));
      const ul = el("ul");
      for (const f of s.failures) ul.appendChild(el("li", {}, f.path + ": " + f.reason));
      box.appendChild(ul);
    }
  } catch (e) {
    box.replaceChildren(el("p", { class: "error" }, "Status unavailable: " + e.message));
  }
}

document.addEventListener("DOMContentLoaded", () => {
  // A typed query is a new search: "more like this" does not linger into it.
  $("search-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    if (state.like !== null) { state.like = null; showExample(state.example ? state.example.name : null); }
    state.good = []; state.bad = []; state.plain = []; state.all = false;
    search();
  });
  $("filters").addEventListener("change", countFilters);
  $("order").addEventListener("change", () => { if ($("q").value.trim() || state.example || state.like !== null) search(); });
  window.addEventListener("popstate", fromURL);
  // Reranking is offered only where a captioner's weights are installed.
  fetch("/api/status").then((r) => r.json())
    .then((s) => { $("rerank-label").hidden = !(s.captioner && s.captioner.available); }).catch(() => {});
  fromURL();
  $("file").addEventListener("change", () => useFile($("file").files[0]));
  $("clear-example").addEventListener("click", () => { clearExample(); history.pushState(null, "", toURL()); landing(); });
  $("more").addEventListener("click", () => search(true));
  $("status-btn").addEventListener("click", showStatus);
  $("dups-btn").addEventListener("click", showDuplicates);
  $("viewer").addEventListener("close", () => { const p = $("player"); if (p) p.pause(); });
  document.body.addEventListener("dragover", (ev) => { ev.preventDefault(); document.body.classList.add("dragging"); });
  document.body.addEventListener("dragleave", () => document.body.classList.remove("dragging"));
  document.body.addEventListener("drop", (ev) => {
    ev.preventDefault(); document.body.classList.remove("dragging");
    if (ev.dataTransfer.files.length) useFile(ev.dataTransfer.files[0]);
  });
});
