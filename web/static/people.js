// People view: a card per person (their best face, a name to give, how many
// photos), and one person's faces with why each is theirs and "Not this
// person". Uses app.js's $, el, state, message and search.
"use strict";

async function post(url, body, method = "POST") {
  const resp = await fetch(url, { method, headers: { "Content-Type": "application/json" },
                                  body: body === undefined ? undefined : JSON.stringify(body) });
  if (!resp.ok) throw new Error((await resp.json()).detail || resp.statusText);
  return resp.json();
}

function emptyView() {
  const mine = ++state.seq;
  clearExample();
  $("results").replaceChildren(); $("more").hidden = true; showUnderstood({});
  return mine;
}

async function showPeople() {
  const mine = emptyView();
  message("Looking for people…");
  try {
    const data = await (await fetch("/api/people")).json();
    if (mine !== state.seq) return;
    if (!data.people.length) {
      message("No people yet: a person appears once two or more photos of their face are indexed.");
      return;
    }
    const named = data.people.filter((p) => p.name).length;
    message(data.people.length + " people, " + named + " named. Give a name and press Enter; "
      + "click a face to see all of theirs.");
    const grid = el("div", { class: "people" });
    for (const p of data.people) grid.appendChild(personCard(p));
    $("results").appendChild(grid);
  } catch (e) {
    if (mine === state.seq) message("People unavailable: " + e.message, true);
  }
}

function personCard(p) {
  const card = el("figure", { class: "person", "data-person": String(p.id) });
  const img = el("img", { src: p.cover || "", alt: p.name || "a person", loading: "lazy" });
  img.addEventListener("click", () => showPerson(p));
  card.appendChild(img);
  const name = el("input", { type: "text", value: p.name || "", placeholder: "Add a name", "aria-label": "Name" });
  name.addEventListener("keydown", async (ev) => {
    if (ev.key !== "Enter") return;
    ev.preventDefault();
    try {
      await post("/api/people/" + p.id + "/name", { name: name.value });
      p.name = name.value.trim() || null;
      message(p.name ? "Named " + p.name + ": search for “" + p.name + "” finds their photos." : "Name taken away.");
    } catch (e) { message("Could not name: " + e.message, true); }
  });
  card.appendChild(name);
  card.appendChild(el("div", { class: "count" }, p.files + (p.files === 1 ? " photo" : " photos")));
  return card;
}

async function showPerson(p) {
  const mine = emptyView();
  message("Faces of " + (p.name || "this person") + "…");
  const data = await (await fetch("/api/people/" + p.id + "/faces")).json();
  if (mine !== state.seq) return;
  message(data.faces.length + " faces of " + (p.name || "this person")
    + ". “Not this person” takes a face out for good.");
  const bar = el("div", { class: "person-actions" });
  const back = el("button", { type: "button" }, "All people");
  back.addEventListener("click", showPeople);
  bar.appendChild(back);
  if (p.name) {
    const photos = el("button", { type: "button" }, "Photos of " + p.name);
    photos.addEventListener("click", () => { $("q").value = p.name; search(); });
    bar.appendChild(photos);
  }
  const hide = el("button", { type: "button" }, "Hide this person");
  hide.addEventListener("click", async () => { await post("/api/people/" + p.id + "/hide", { hidden: true }); showPeople(); });
  bar.appendChild(hide);
  bar.appendChild(mergeControl(p));
  if (data.faces.some((f) => f.how && f.how.merged_from !== undefined)) {
    const undo = el("button", { type: "button" }, "Undo merges");
    undo.addEventListener("click", async () => { await post("/api/people/" + p.id + "/unmerge"); showPeople(); });
    bar.appendChild(undo);
  }
  $("results").appendChild(bar);
  const grid = el("div", { class: "faces" });
  for (const f of data.faces) grid.appendChild(faceCard(f));
  $("results").appendChild(grid);
}

function mergeControl(p) {
  const box = el("span", {});
  const other = el("input", { type: "number", min: "1", placeholder: "person id", "aria-label": "Same person as" });
  const go = el("button", { type: "button" }, "Same person as…");
  go.addEventListener("click", async () => {
    try {
      await post("/api/people/" + p.id + "/merge", { other: Number(other.value) });
      showPerson(p);
    } catch (e) { message("Could not merge: " + e.message, true); }
  });
  box.append(other, go);
  return box;
}

function faceCard(f) {
  const card = el("figure", { class: "face", "data-face": String(f.id) });
  card.appendChild(el("img", { src: f.crop, alt: f.person || "a face", loading: "lazy", title: f.path }));
  card.appendChild(el("figcaption", { class: "why" }, f.why));
  const out = el("button", { type: "button", class: "linkish" }, "Not this person");
  out.addEventListener("click", async () => {
    try { await post("/api/faces/" + f.id + "/out"); card.remove(); } catch (e) { message(e.message, true); }
  });
  card.appendChild(out);
  return card;
}

document.addEventListener("DOMContentLoaded", () => {
  $("people-btn").addEventListener("click", showPeople);
});
