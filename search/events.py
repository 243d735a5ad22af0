"""Events: the library's files grouped the way people remember them, as
trips, days out and evenings, from when and where each was taken.

1. Files in time order start a new group after a gap of more than ``GAP``
   (an evening is hours; a night apart is two days).
2. Groups away from home (home: the place with the most days of photos)
   follow on into one trip while the next group is away too, in the same
   country or with no place known, within ``TRIP_GAP`` (a trip is several
   days away from home).
3. Files with no place (no GPS) go with whatever their time puts them in;
   they never break a trip.
An event's id is its smallest file id (stable while that file stays, as
files arriving later get larger ids), its name the place most of its
files were taken at and its dates: "Lisbon, 12-15 July 2023".
"""
from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field

# Words that say "an event" in a query, not what is in its pictures.
EVENT_WORDS = re.compile(r"\b(?:our|my|the|a|trips?|holidays?|vacations?|weekends?|days?\s+out|outings?|"
                         r"evenings?|nights?|journeys?|visits?|travels?|tours?|events?|when\s+we|we)\b",
                         re.IGNORECASE)
GAP = 6 * 3600        # s: a longer pause between two photos starts a new event
TRIP_GAP = 48 * 3600  # s: days away from home follow on within this


@dataclass
class Event:
    id: int
    start: float
    end: float
    media_ids: list[int] = field(default_factory=list)
    places: Counter = field(default_factory=Counter)
    away: bool = False
    given_name: str | None = None  # the user's

    @property
    def place(self) -> str | None:
        return self.places.most_common(1)[0][0] if self.places else None

    @property
    def name(self) -> str:
        if self.given_name:
            return self.given_name
        return f"{self.place}, {dates(self.start, self.end)}" if self.place else dates(self.start, self.end)

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "place": self.place, "files": len(self.media_ids),
                "start": _day(self.start), "end": _day(self.end), "away": self.away}


def town(place: str | None) -> str | None:
    """"Intendente, Lisbon, Portugal" -> "Lisbon, Portugal": a district is its town."""
    if not place:
        return None
    parts = [p.strip() for p in place.split(",") if p.strip()]
    return ", ".join(parts[-2:]) if parts else None


def country(place: str | None) -> str | None:
    return place.rsplit(",", 1)[-1].strip() if place else None


def find_events(rows: list[tuple[int, float, str | None]], edits: list[dict] | None = None,
                hashes: dict[int, str] | None = None) -> list[Event]:
    """``rows``: (media id, when taken, place name or None); events newest
    first, with the user's ``edits`` applied (``hashes``: each file's
    content hash, what the edits are kept by)."""
    rows = sorted(rows, key=lambda r: (r[1], r[0]))
    home = _home(rows)
    groups: list[Event] = []
    for media_id, when, place in rows:
        where = town(place)
        if not groups or when - groups[-1].end > GAP:
            groups.append(Event(media_id, when, when))
        g = groups[-1]
        g.end = when
        g.media_ids.append(media_id)
        if where:
            g.places[where] += 1
    for g in groups:
        g.away = g.place is not None and g.place != home
    events = _trips(groups)
    if edits:
        when = {m: w for m, w, _ in rows}
        events = apply_edits(events, edits, hashes or {}, when)
    for e in events:
        e.id = min(e.media_ids)  # stable: files that arrive later have larger ids
    return sorted(events, key=lambda e: e.start, reverse=True)


def apply_edits(events: list[Event], edits: list[dict], hashes: dict[int, str],
                when: dict[int, float]) -> list[Event]:
    """Splits, then merges, then names, each edit kept by the content hash
    of a file (the event's first file, or where it splits): one whose file
    is gone is skipped."""
    of_hash: dict[str, int] = {}
    for m, h in hashes.items():
        of_hash.setdefault(h, m)
    for e in [e for e in edits if e["kind"] == "split"]:
        events = _split(events, of_hash.get(e["file_hash"]), when)
    for e in [e for e in edits if e["kind"] == "merge"]:
        events = _merge(events, of_hash.get(e["file_hash"]), of_hash.get(e["other_hash"]))
    holder = {m: ev for ev in events for m in ev.media_ids}
    for e in [e for e in edits if e["kind"] == "name"]:
        ev = holder.get(of_hash.get(e["file_hash"]))
        if ev is not None and min(ev.media_ids, key=lambda m: (when[m], m)) == of_hash[e["file_hash"]]:
            ev.given_name = e["name"] or None
    return events


def _split(events: list[Event], at: int | None, when: dict[int, float]) -> list[Event]:
    out = []
    for ev in events:
        if at is None or at not in ev.media_ids or when[at] <= ev.start:
            out.append(ev)
            continue
        ordered = sorted(ev.media_ids, key=lambda m: (when[m], m))
        cut = ordered.index(at)
        for part in (ordered[:cut], ordered[cut:]):
            out.append(Event(min(part), when[part[0]], when[part[-1]], part, _places_of(ev, part), ev.away))
    return out


def _places_of(ev: Event, part: list[int]) -> Counter:
    # The part keeps its event's places, in proportion (the per-file places are not kept on events).
    share = len(part) / max(1, len(ev.media_ids))
    return Counter({p: max(1, round(n * share)) for p, n in ev.places.items()})


def _merge(events: list[Event], a: int | None, b: int | None) -> list[Event]:
    ea = next((e for e in events if a in e.media_ids), None)
    eb = next((e for e in events if b in e.media_ids), None)
    if ea is None or eb is None or ea is eb:
        return events
    ea.media_ids += eb.media_ids
    ea.start, ea.end = min(ea.start, eb.start), max(ea.end, eb.end)
    ea.places.update(eb.places)
    ea.away = ea.away or eb.away
    return [e for e in events if e is not eb]


def _home(rows) -> str | None:
    """The place with the most days of photos."""
    days: dict[str, set] = {}
    for _, when, place in rows:
        if town(place):
            days.setdefault(town(place), set()).add(dt.date.fromtimestamp(when))
    return max(days, key=lambda p: (len(days[p]), p)) if days else None


def _trips(groups: list[Event]) -> list[Event]:
    """Consecutive groups away from home, in one country, close in time: one trip."""
    out: list[Event] = []
    for g in groups:
        last = out[-1] if out else None
        placeless = g.place is None
        if last is not None and last.away and (g.away or placeless) and g.start - last.end <= TRIP_GAP \
                and (placeless or country(g.place) == country(last.place)):
            last.end = g.end
            last.media_ids += g.media_ids
            last.places.update(g.places)
            continue
        out.append(g)
    return out


def dates(start: float, end: float) -> str:
    """"12 July 2023", "12-15 July 2023", "30 June - 2 July 2023", "30 Dec 2023 - 2 Jan 2024"."""
    a, b = dt.date.fromtimestamp(start), dt.date.fromtimestamp(end)
    if a == b:
        return f"{a.day} {a:%B %Y}"
    if (a.year, a.month) == (b.year, b.month):
        return f"{a.day}-{b.day} {b:%B %Y}"
    if a.year == b.year:
        return f"{a.day} {a:%B} - {b.day} {b:%B %Y}"
    return f"{a.day} {a:%b %Y} - {b.day} {b:%b %Y}"


def _day(t: float) -> str:
    return dt.date.fromtimestamp(t).isoformat()


def what_happened(text: str) -> str:
    """The query without the words that only say "an event": "our beach
    trip" -> "beach"."""
    return " ".join(EVENT_WORDS.sub(" ", text).split())


def rank_events(events: list[Event], hits: list) -> list[tuple[Event, float, list]]:
    """Events ranked by the hits found in them (each hit a Result of the
    query): an event's score is the sum of its three best hits' scores, so
    a trip full of beaches beats a day with one. (event, score, its hits)."""
    of = {m: e for e in events for m in e.media_ids}
    found: dict[int, list] = {}
    for h in hits:
        e = of.get(h.media_id)
        if e is not None:
            found.setdefault(e.id, []).append(h)
    by_id = {e.id: e for e in events}
    # (More hits break ties: a query of filters alone lists files unscored.)
    ranked = [(by_id[i], sum(sorted((h.score for h in hs), reverse=True)[:3]) + 1e-3 * len(hs), hs)
              for i, hs in found.items()]
    return sorted(ranked, key=lambda x: -x[1])


def timeline(rows: list[tuple[int, float, str | None]], events: list[Event]) -> list[dict]:
    """The library by month, newest first: files taken that month and the
    events that began in it (the timeline view)."""
    months: dict[str, int] = Counter(dt.date.fromtimestamp(w).strftime("%Y-%m") for _, w, _ in rows)
    started: dict[str, list[Event]] = {}
    for e in events:
        started.setdefault(dt.date.fromtimestamp(e.start).strftime("%Y-%m"), []).append(e)
    out = []
    for month in sorted(months, reverse=True):
        first = dt.date.fromisoformat(month + "-01")
        out.append({"month": month, "label": f"{first:%B %Y}", "files": months[month],
                    "events": [{"id": e.id, "name": e.name, "files": len(e.media_ids), "away": e.away}
                               for e in sorted(started.get(month, []), key=lambda e: e.start)]})
    return out
