"""Write web/static/world.json: country outlines for the offline map.

The outlines are Natural Earth's 1:110m countries (public domain), read
from the copy geopandas 0.14 shipped inside its wheel
(geopandas/datasets/naturalearth_lowres), simplified here to points 0.2
degrees apart and rounded to 0.1 degree. Run once; the result is committed:

    pip download --no-deps geopandas==0.14.4 -d /tmp/gp
    python tools/make_world_outlines.py /tmp/gp/geopandas-0.14.4-py3-none-any.whl
"""
from __future__ import annotations

import json
import struct
import sys
import zipfile
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "web" / "static" / "world.json"
SHP = "geopandas/datasets/naturalearth_lowres/naturalearth_lowres.shp"
STEP = 0.2  # degrees: points nearer than this to the last kept one are dropped


def rings(shp: bytes) -> list[list[tuple[float, float]]]:
    """Every polygon ring of an ESRI shapefile (shape type 5)."""
    out, pos = [], 100
    while pos < len(shp):
        _, length = struct.unpack(">ii", shp[pos:pos + 8])
        rec = shp[pos + 8:pos + 8 + 2 * length]
        pos += 8 + 2 * length
        if struct.unpack("<i", rec[:4])[0] != 5:
            continue
        n_parts, n_points = struct.unpack("<ii", rec[36:44])
        parts = list(struct.unpack(f"<{n_parts}i", rec[44:44 + 4 * n_parts])) + [n_points]
        base = 44 + 4 * n_parts
        pts = [struct.unpack("<dd", rec[base + 16 * i:base + 16 * i + 16]) for i in range(n_points)]
        out += [pts[a:b] for a, b in zip(parts, parts[1:])]
    return out


def simplify(ring: list[tuple[float, float]]) -> list[float]:
    kept = [ring[0]]
    for x, y in ring[1:]:
        if abs(x - kept[-1][0]) + abs(y - kept[-1][1]) >= STEP:
            kept.append((x, y))
    return [round(v, 1) for p in kept for v in p] if len(kept) >= 3 else []


def main() -> None:
    with zipfile.ZipFile(sys.argv[1]) as z:
        shp = z.read(SHP)
    outlines = [r for r in (simplify(r) for r in rings(shp)) if r]
    OUT.write_text(json.dumps({"source": "Natural Earth 1:110m countries (public domain), simplified",
                               "rings": outlines}, separators=(",", ":")))
    print(OUT, len(outlines), "rings", OUT.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
