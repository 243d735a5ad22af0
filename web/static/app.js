// mediasearch page: plain DOM, no build step. Every piece of data from the
// server (file names, transcripts) goes in with textContent, never innerHTML.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { offset: 0, k: 24, example: null, like: null, lastParams: null, seq: 0 };

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

function message(text, isError = false) {
  const m = $("message");
  m.textContent = text;
  m.className = isError ? "error" : "";
}

function filters() {
  const f = {};
  if ($("kind").value) f.kind = $("kind").value;
  if ($("under").value.trim()) f.under = $("under").value.trim();
  if ($("place").value.trim()) f.place = $("place").value.trim();
  if ($("after").value) f.after = $("after").value;
  if ($("before").value) f.before = $("before").value;
  if ($("rerank").checked) f.rerank = "true";
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
    resp = await fetch("/api/search", { method: "POST", body });
  } else {
    const params = new URLSearchParams({ q, k, offset, ...f });
    if (state.like !== null) params.set("like", state.like);
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
  return p.toString() ? "?" + p.toString() : location.pathname;
}

function fromURL() {
  const p = new URLSearchParams(location.search);
  $("q").value = p.get("q") || "";
  for (const id of ["kind", "under", "place", "after", "before"]) $(id).value = p.get(id) || "";
  $("rerank").checked = p.get("rerank") === "true";
  state.like = p.get("like");
  state.restoreN = parseInt(p.get("n") || "0", 10) || 0;
  state.example = null; $("file").value = "";
  showExample(state.like !== null ? "more like #" + state.like : null);
  countFilters();
  if ($("q").value || state.like !== null) search(false, false); else landing();
}

function countFilters() {
  // Filters stay visible as a count while the panel is closed.
  const n = Object.keys(filters()).length;
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
    if (!results.length && !append) { message("No results. Try other words, or fewer filters."); return; }
    for (const r of results) $("results").appendChild(card(r));
    state.offset += results.length;
    $("more").hidden = results.length < k;
    if (append) history.replaceState(null, "", toURL() + (toURL().startsWith("?") ? "&" : "?") + "n=" + state.offset);
    message("Showing " + state.offset + (results.length < k ? " results" : " results; more below"));
  } catch (e) {
    if (mine !== state.seq) return;
    message("Search failed: " + e.message, true);
  }
}

function card(r) {
  const c = el("article", { class: "card", "data-kind": r.kind, "data-id": String(r.id) });
  const img = el("img", { src: r.thumb, alt: r.name, loading: "lazy" });
  img.addEventListener("click", () => openViewer(r));
  c.appendChild(img);
  const meta = el("div", { class: "meta" });
  meta.appendChild(el("span", { class: "name", title: r.path }, r.name));
  const row = el("div", { class: "row" });
  row.appendChild(el("span", { class: "badge" }, r.kind + (r.start !== null ? " @ " + fmtTime(r.start) + "–" + fmtTime(r.end) : "")));
  if (r.taken) row.appendChild(el("span", { class: "taken", title: "taken on" }, r.taken));
  if (!(r.why && r.why.recent)) row.appendChild(el("span", { class: "score" }, r.score.toFixed(3)));
  meta.appendChild(row);
  if (r.text) meta.appendChild(el("span", { class: isPlace(r) ? "snippet place" : "snippet" }, snippet(r)));
  // Words that matched elsewhere in the file (its name, tags, what was said): quoted, never a place.
  if (r.words && r.words.text && r.words.text !== r.text) meta.appendChild(el("span", { class: "snippet words" }, "“" + r.words.text + "”"));
  if (r.caption) meta.appendChild(el("span", { class: "snippet caption" }, r.caption));
  const like = el("button", { class: "like", type: "button" }, "More like this");
  like.addEventListener("click", () => { state.like = String(r.id); state.example = null; $("q").value = ""; showExample("more like “" + r.name + "”"); search(); });
  meta.appendChild(like);
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
  } else {
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
    search();
  });
  $("filters").addEventListener("change", countFilters);
  window.addEventListener("popstate", fromURL);
  // Reranking is offered only where a captioner's weights are installed.
  fetch("/api/status").then((r) => r.json())
    .then((s) => { $("rerank-label").hidden = !(s.captioner && s.captioner.available); }).catch(() => {});
  fromURL();
  $("file").addEventListener("change", () => useFile($("file").files[0]));
  $("clear-example").addEventListener("click", () => { clearExample(); history.pushState(null, "", toURL()); landing(); });
  $("more").addEventListener("click", () => search(true));
  $("status-btn").addEventListener("click", showStatus);
  $("viewer").addEventListener("close", () => { const p = $("player"); if (p) p.pause(); });
  document.body.addEventListener("dragover", (ev) => { ev.preventDefault(); document.body.classList.add("dragging"); });
  document.body.addEventListener("dragleave", () => document.body.classList.remove("dragging"));
  document.body.addEventListener("drop", (ev) => {
    ev.preventDefault(); document.body.classList.remove("dragging");
    if (ev.dataTransfer.files.length) useFile(ev.dataTransfer.files[0]);
  });
});
