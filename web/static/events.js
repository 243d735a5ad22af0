// Events view: the library's trips, days out and evenings as cards (a
// photo, the place and dates, how many files); a click opens the event's
// files in the order they were taken. Uses app.js's $, el, state, message, card.
"use strict";

async function showEvents(query = "") {
  const mine = emptyView();
  message(query ? "Finding “" + query + "”…" : "Finding events…");
  try {
    const url = "/api/events?k=" + (query ? 20 : 200) + (query ? "&q=" + encodeURIComponent(query) : "");
    const data = await (await fetch(url)).json();
    if (mine !== state.seq) return;
    $("results").appendChild(findBox(query));
    if (!data.events.length) {
      message(query ? "No event matches “" + query + "”." : "No events yet: nothing indexed has a date.");
      return;
    }
    message(query ? data.total + " events where “" + query + "” happened, best first."
                  : data.total + " events (trips, days out, evenings), newest first. Click one to open it.");
    const grid = el("div", { class: "events" });
    for (const e of data.events) grid.appendChild(eventCard(e));
    $("results").appendChild(grid);
  } catch (e) {
    if (mine === state.seq) message("Events unavailable: " + e.message, true);
  }
}

// "the beach trip", "our weekend in Porto": events by what happened in them.
function findBox(query) {
  const form = el("form", { class: "events-find" });
  const input = el("input", { type: "search", value: query, placeholder: "Find an event: “the beach trip”",
                              "aria-label": "Find an event" });
  form.appendChild(input);
  form.appendChild(el("button", { type: "submit" }, "Find"));
  form.addEventListener("submit", (ev) => { ev.preventDefault(); showEvents(input.value.trim()); });
  return form;
}

function eventCard(e) {
  const c = el("figure", { class: "event" + (e.away ? " away" : ""), "data-event": String(e.id) });
  const img = el("img", { src: e.cover, alt: e.name, loading: "lazy" });
  c.appendChild(img);
  c.appendChild(el("figcaption", { class: "event-name" }, e.name));
  c.appendChild(el("div", { class: "count" }, e.files + (e.files === 1 ? " file" : " files")));
  c.addEventListener("click", () => showEvent(e.id));
  return c;
}

async function showEvent(id) {
  const mine = emptyView();
  const data = await (await fetch("/api/events/" + id)).json();
  if (mine !== state.seq) return;
  message(data.event.name + ": " + data.event.files + (data.event.files === 1 ? " file" : " files") + ", in the order taken.");
  const bar = el("div", { class: "person-actions" });
  const back = el("button", { type: "button", class: "events-back" }, "All events");
  back.addEventListener("click", () => showEvents());
  const name = el("input", { type: "text", value: data.event.name, "aria-label": "Event name", class: "event-rename" });
  name.addEventListener("keydown", async (ev) => {
    if (ev.key !== "Enter") return;
    ev.preventDefault();
    try { await post("/api/events/" + id + "/edit", { kind: "name", name: name.value.trim() }); message("Renamed."); }
    catch (e) { message("Could not rename: " + e.message, true); }
  });
  bar.append(back, name);
  $("results").appendChild(bar);
  state.day = null; state.month = null;
  for (const r of data.results) { dateHeaders(r.when || r.taken); $("results").appendChild(card(r)); }
}

// Timeline: the library by month, newest first, with a year to jump to;
// each month's events as cards, its title listing the month's files.
async function showTimeline() {
  const mine = emptyView();
  message("Reading the timeline…");
  const data = await (await fetch("/api/timeline")).json();
  if (mine !== state.seq) return;
  if (!data.months.length) { message("Nothing dated yet."); return; }
  message(data.months.length + " months with photos. Jump to a year, or open a month or an event.");
  const jump = el("select", { class: "year-jump", "aria-label": "Jump to a year" });
  jump.appendChild(el("option", { value: "" }, "Jump to a year"));
  for (const y of data.years) jump.appendChild(el("option", { value: y }, y));
  jump.addEventListener("change", () => {
    const first = document.querySelector("[data-month^='" + jump.value + "']");
    if (first) first.scrollIntoView();
  });
  $("results").appendChild(jump);
  for (const m of data.months) {
    const head = el("h2", { class: "month-header", "data-month": m.month });
    const link = el("a", { href: "?q=" + encodeURIComponent(m.label) }, m.label);
    head.append(link, " ", el("span", { class: "count" }, m.files + (m.files === 1 ? " file" : " files")));
    $("results").appendChild(head);
    const grid = el("div", { class: "events" });
    for (const e of m.events) grid.appendChild(eventCard(e));
    $("results").appendChild(grid);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("timeline-btn").addEventListener("click", showTimeline);
  $("events-btn").addEventListener("click", () => showEvents());
});
