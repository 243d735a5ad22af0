"""The map's points: where the library was taken, clustered on a grid of
``cell`` degrees (smaller as the map zooms in), each cluster with its count,
its centre, a file to show and the town most of it was taken in."""
from __future__ import annotations

from collections import Counter


def clusters(points: list[tuple[int, float, float]], cell: float, towns: dict[int, str] | None = None) -> list[dict]:
    """``points``: (file id, lat, lon); biggest clusters first."""
    bins: dict[tuple[int, int], list[tuple[int, float, float]]] = {}
    for p in points:
        bins.setdefault((int((p[1] + 90) // cell), int((p[2] + 180) // cell)), []).append(p)
    out = []
    for members in bins.values():
        named = Counter(towns[m] for m, _, _ in members if towns and towns.get(m))
        out.append({"lat": round(sum(p[1] for p in members) / len(members), 4),
                    "lon": round(sum(p[2] for p in members) / len(members), 4),
                    "count": len(members), "cover": min(m for m, _, _ in members),
                    "place": named.most_common(1)[0][0] if named else None})
    return sorted(out, key=lambda c: -c["count"])
