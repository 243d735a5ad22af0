"""The library seen whole rather than searched: its events (trips, days
out, evenings, with the user's names, merges and splits), its months and
the places it was taken at."""
from __future__ import annotations

from mediasearch.store.errors import NotFoundError, QueryError

from .engine import Result
from .events import Event, find_events, town
from .events import timeline as months
from .places_map import clusters


def events(lib) -> list[Event]:
    """The library's events (trips, days out, evenings), newest first,
    with what the user said of them."""
    rows, edits = lib.catalog.timeline_rows(), lib.catalog.event_edits()
    hashes = lib.catalog.hashes_of([r[0] for r in rows]) if edits else {}
    return find_events(rows, edits, hashes)


def edit_event(lib, kind: str, event_id: int, other: int | None = None, name: str | None = None) -> None:
    """Name an event, merge another into it (``other``: an event id), or
    split it before a file (``other``: a file id in it)."""
    found = {e.id: e for e in events(lib)}
    if event_id not in found:
        raise NotFoundError(f"no event {event_id}")
    ev = found[event_id]
    when = lib.catalog.when_of(ev.media_ids)
    first = min(ev.media_ids, key=lambda m: (when[m], m))
    if kind == "merge":
        if other not in found:
            raise NotFoundError(f"no event {other}")
        o_when = lib.catalog.when_of(found[other].media_ids)
        mark = (first, min(found[other].media_ids, key=lambda m: (o_when[m], m)))
    elif kind == "split":
        if other not in ev.media_ids or other == first:
            raise QueryError(f"file {other} is not in event {event_id} after its first file")
        mark = (other, None)
    else:
        mark = (first, None)
    hashes = lib.catalog.hashes_of([m for m in mark if m is not None])
    if any(m is not None and m not in hashes for m in mark):
        raise QueryError("a file of this event has no content hash yet: index it again")
    lib.catalog.add_event_edit(kind, hashes[mark[0]], hashes.get(mark[1]) if mark[1] else None, name)


def timeline(lib) -> list[dict]:
    """The library by month, newest first, with each month's events."""
    rows = lib.catalog.timeline_rows()
    return months(rows, find_events(rows))


def event(lib, event_id: int) -> tuple[Event, list[Result]]:
    """One event and its files, in the order they were taken."""
    found = next((e for e in events(lib) if e.id == event_id), None)
    if found is None:
        raise NotFoundError(f"no event {event_id}")
    when = lib.catalog.when_of(found.media_ids)
    hits = lib.catalog.hits_of_media(found.media_ids)
    out = [Result(m, h["path"], h["kind"] or "unknown", 0.0, taken_at=h["taken_at"], why={"event": True},
                  when=when.get(m)) for m, h in hits.items()]
    return found, sorted(out, key=lambda r: (r.when or 0, r.media_id))


def library_map(lib, cell: float) -> dict:
    """Clusters of where files were taken, and how many have no position."""
    points, unplaced = lib.catalog.positions()
    towns = {m: town(p) for m, _, p in lib.catalog.timeline_rows() if p}
    return {"clusters": clusters(points, cell, towns), "placed": len(points), "unplaced": unplaced}
