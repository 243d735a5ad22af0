"""Place names for GPS positions, offline: GeoNames towns of 1,000+ people,
shipped inside the ``reverse_geocode`` package (no network, no API key).

A photo taken in Lisbon becomes findable by "Lisbon" or "Portugal": the name
is stored as the picture's words (word search), not as an extra vector.
"""
from __future__ import annotations

import logging
import math
import re
import threading

log = logging.getLogger(__name__)

# Farther than this from the nearest town (at sea, in a desert), name no town.
MAX_TOWN_KM = 40.0
CITY_OF_RANK = 100_000  # people: a city a district is named by
_lock = threading.Lock()


def _haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    la1, lo1, la2, lo2 = map(math.radians, (*a, *b))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(h)))


def valid(lat: float, lon: float) -> bool:
    # (0, 0) is what many cameras write when they have no fix.
    return -90 <= lat <= 90 and -180 <= lon <= 180 and (abs(lat) > 1e-6 or abs(lon) > 1e-6)


def place_name(lat: float, lon: float) -> str | None:
    """"Intendente, Lisbon, Portugal" for a position, or None (no town near,
    an invalid position, or the gazetteer package missing)."""
    if not valid(lat, lon):
        return None
    try:
        import reverse_geocode
    except ImportError:
        log.debug("reverse_geocode is not installed: no place names")
        return None
    with _lock:  # the package builds its KD-tree lazily, once
        town = reverse_geocode.get((lat, lon))
    if not town or _haversine_km((lat, lon), (town["latitude"], town["longitude"])) > MAX_TOWN_KM:
        return None
    parts = [town.get("city"), _city_of_rank(lat, lon), *(town.get(k) for k in ("county", "state", "country"))]
    return ", ".join(dict.fromkeys(p.strip() for p in parts if p and p.strip()))


def _city_of_rank(lat: float, lon: float) -> str | None:
    """The big city a district or suburb belongs to: GeoNames names the
    nearest town, which in Berlin is "Mitte" and in Chicago "Chicago Loop";
    a person searches "Berlin". The most populous city of 100,000+ whose
    reach (growing with its population) covers the position."""
    import reverse_geocode
    try:
        with _lock:
            data = reverse_geocode.GeocodeData(CITY_OF_RANK)
            _, near = data._tree.query([(lat, lon)], k=8)
        cities = [data._locations[i] for i in near[0]]
    except (AttributeError, IndexError, TypeError):  # another reverse_geocode: towns only
        return None
    covering = [c for c in cities
                if _haversine_km((lat, lon), (c["latitude"], c["longitude"])) <= _reach_km(c["population"])]
    return max(covering, key=lambda c: c["population"])["city"] if covering else None


def _reach_km(population: int) -> float:
    # 4 km for 100,000 people, 11 km for a million, 20 km for Berlin's 3.4 million.
    return 4.0 * (population / CITY_OF_RANK) ** 0.45


_ISO6709 = re.compile(r"^\s*([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)")


def parse_iso6709(text: str) -> tuple[float, float] | None:
    """The position in a QuickTime/MP4 location tag such as "+38.7223-009.1393+012.0/"
    (decimal degrees; the form phones write)."""
    m = _ISO6709.match(text or "")
    if not m:
        return None
    lat, lon = float(m.group(1)), float(m.group(2))
    return (lat, lon) if valid(lat, lon) else None
