// Map view: where the library was taken, offline. Country outlines are
// Natural Earth's (public domain, simplified: /static/world.json), drawn
// as SVG in plain longitude/latitude; files are clustered by the server on
// a grid that shrinks as the map zooms in. A click on a cluster searches
// its place; files without GPS are counted, never guessed.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const mapState = { zoom: 0, lon: 0, lat: 20, outlines: null };

function svg(tag, attrs) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

async function showMap() {
  const mine = emptyView();
  message("Drawing the map…");
  if (!mapState.outlines) mapState.outlines = (await (await fetch("/static/world.json")).json()).rings;
  const span = 360 / 2 ** mapState.zoom;
  const data = await (await fetch("/api/map?cell=" + (span / 24).toFixed(3))).json();
  if (mine !== state.seq) return;
  message(data.placed + " files on the map" + (data.unplaced ? "; " + data.unplaced + " pictures and videos have no position" : "")
    + ". Click a place to search it; + and − zoom.");
  const bar = el("div", { class: "person-actions" });
  for (const [label, dz] of [["+", 1], ["−", -1]]) {
    const b = el("button", { type: "button", class: "map-zoom" }, label);
    b.addEventListener("click", () => { mapState.zoom = Math.max(0, Math.min(6, mapState.zoom + dz)); showMap(); });
    bar.appendChild(b);
  }
  $("results").appendChild(bar);
  const w = span, h = span / 2;
  const x0 = Math.max(-180, Math.min(180 - w, mapState.lon - w / 2)), y0 = Math.max(-90, Math.min(90 - h, -mapState.lat - h / 2));
  const map = svg("svg", { class: "map", viewBox: `${x0} ${y0} ${w} ${h}`, role: "img", "aria-label": "Map of where files were taken" });
  map.appendChild(svg("rect", { x: -180, y: -90, width: 360, height: 180, class: "sea" }));
  for (const ring of mapState.outlines) {
    const pts = [];
    for (let i = 0; i < ring.length; i += 2) pts.push(ring[i] + "," + (-ring[i + 1]));
    map.appendChild(svg("polygon", { points: pts.join(" "), class: "land" }));
  }
  const unit = w / 360;
  for (const c of data.clusters) {
    const dot = svg("circle", { cx: c.lon, cy: -c.lat, r: unit * (2 + 2 * Math.sqrt(c.count)), class: "cluster",
                                "data-count": String(c.count) });
    const title = svg("title", {});
    title.textContent = (c.place || "here") + ": " + c.count + (c.count === 1 ? " file" : " files");
    dot.appendChild(title);
    dot.addEventListener("click", (ev) => {
      ev.stopPropagation();
      if (c.place) { $("q").value = c.place.split(",")[0]; search(); }
      else { mapState.lon = c.lon; mapState.lat = c.lat; mapState.zoom = Math.min(6, mapState.zoom + 2); showMap(); }
    });
    map.appendChild(dot);
  }
  map.addEventListener("click", (ev) => {  // a click on the map centres it there
    const box = map.getBoundingClientRect();
    mapState.lon = x0 + (ev.clientX - box.left) / box.width * w;
    mapState.lat = -(y0 + (ev.clientY - box.top) / box.height * h);
    showMap();
  });
  $("results").appendChild(map);
}

document.addEventListener("DOMContentLoaded", () => {
  $("map-btn").addEventListener("click", showMap);
});
