"""Read image-caption evaluation sets in the common formats.

- COCO official: ``captions_val2014.json`` / ``captions_val2017.json``
  (``images`` with ``id``/``file_name``, ``annotations`` with ``image_id``/``caption``)
- Karpathy: ``dataset_coco.json`` (``images`` with ``filepath``, ``filename``,
  ``split``, ``sentences[].raw``); the ``test`` split (5k images) by default
- LAVIS/BLIP list: ``coco_karpathy_test.json`` (``[{"image": ..., "caption": [...]}]``)
- CSV pairs: one ``image,caption`` row per caption (a person's own collection)
"""
from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

from mediasearch.store.errors import ConfigError, PathError


@dataclass
class EvalSet:
    images: list[Path] = field(default_factory=list)
    captions: list[list[str]] = field(default_factory=list)  # per image
    missing: list[str] = field(default_factory=list)          # listed, not on disk
    format: str = ""

    def add(self, path: Path, caps: list[str]) -> None:
        caps = [c.strip() for c in caps if c and c.strip()]
        if not caps:
            return
        if not path.is_file():
            self.missing.append(str(path))
            return
        self.images.append(path)
        self.captions.append(caps)

    def limit(self, n: int | None) -> "EvalSet":
        if n:
            self.images, self.captions = self.images[:n], self.captions[:n]
        return self


def _find(images_dir: Path, *candidates: str) -> Path:
    """The first candidate relative path that exists (COCO trees vary)."""
    for c in candidates:
        if c and (images_dir / c).is_file():
            return images_dir / c
    return images_dir / candidates[-1]


def load_coco(captions_file: Path, images_dir: Path, split: str = "test") -> EvalSet:
    captions_file, images_dir = Path(captions_file), Path(images_dir)
    if not captions_file.is_file():
        raise PathError(f"captions file not found: {captions_file}")
    try:
        data = json.loads(captions_file.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"{captions_file} is not valid JSON: {e}") from e
    out = EvalSet()
    if isinstance(data, dict) and "annotations" in data:
        out.format = "coco-official"
        by_id: dict[int, list[str]] = {}
        for a in data["annotations"]:
            by_id.setdefault(a["image_id"], []).append(a["caption"])
        for img in sorted(data["images"], key=lambda i: i["id"]):
            name = img["file_name"]
            out.add(_find(images_dir, name, f"val2014/{name}", f"val2017/{name}"), by_id.get(img["id"], []))
    elif isinstance(data, dict) and "images" in data:
        out.format = "karpathy"
        for img in data["images"]:
            if split and img.get("split") != split:
                continue
            rel = f"{img.get('filepath', '')}/{img['filename']}".lstrip("/")
            out.add(_find(images_dir, img["filename"], rel),
                    [s.get("raw") or " ".join(s.get("tokens", [])) for s in img.get("sentences", [])])
    elif isinstance(data, list) and data and "image" in data[0]:
        out.format = "karpathy-list"
        for row in data:
            caps = row.get("caption", [])
            caps = [caps] if isinstance(caps, str) else caps
            rel = row["image"]
            out.add(_find(images_dir, Path(rel).name, rel), caps)
    else:
        raise ConfigError(f"{captions_file}: not a COCO captions file in a known format "
                          "(official captions_*.json, Karpathy dataset_coco.json, or coco_karpathy_test.json)")
    return out


def load_pairs_csv(csv_file: Path, images_dir: Path | None = None) -> EvalSet:
    csv_file = Path(csv_file)
    if not csv_file.is_file():
        raise PathError(f"CSV file not found: {csv_file}")
    base = Path(images_dir) if images_dir else csv_file.parent
    grouped: dict[str, list[str]] = {}
    with open(csv_file, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        rows = list(reader)
    if rows and [c.strip().lower() for c in rows[0][:2]] == ["image", "caption"]:
        rows = rows[1:]
    for row in rows:
        if len(row) < 2:
            continue
        grouped.setdefault(row[0].strip(), []).append(row[1])
    out = EvalSet(format="csv-pairs")
    for rel, caps in grouped.items():
        p = Path(rel)
        out.add(p if p.is_absolute() else base / p, caps)
    return out
