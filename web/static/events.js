// Events view: the library's trips, days out and evenings as cards (a
// photo, the place and dates, how many files); a click opens the event's
// files in the order they were taken. Uses app.js's $, el, state, message, card.
"use strict";

async function showEvents() {
  const mine = emptyView();
  message("Finding events…");
  try {
    const data = await (await fetch("/api/events?k=200")).json();
    if (mine !== state.seq) return;
    if (!data.events.length) { message("No events yet: nothing indexed has a date."); return; }
    message(data.total + " events (trips, days out, evenings), newest first. Click one to open it.");
    const grid = el("div", { class: "events" });
    for (const e of data.events) grid.appendChild(eventCard(e));
    $("results").appendChild(grid);
  } catch (e) {
    if (mine === state.seq) message("Events unavailable: " + e.message, true);
  }
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
  const back = el("button", { type: "button", class: "events-back" }, "All events");
  back.addEventListener("click", showEvents);
  $("results").appendChild(back);
  state.day = null; state.month = null;
  for (const r of data.results) { dateHeaders(r.when || r.taken); $("results").appendChild(card(r)); }
}

document.addEventListener("DOMContentLoaded", () => {
  $("events-btn").addEventListener("click", showEvents);
});
