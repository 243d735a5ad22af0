"""Helpers shared by the benchmark scripts (not part of the product)."""
from __future__ import annotations

import csv
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_FLICKR = ROOT.parent / "shared" / "data" / "flickr8k-1000"


def flickr_pairs(folder: Path, limit: int | None = None) -> tuple[list[Path], list[tuple[str, int]]]:
    """Images and (caption, image index) pairs from a captions.csv folder."""
    folder = Path(folder)
    images: list[Path] = []
    index: dict[str, int] = {}
    captions: list[tuple[str, int]] = []
    with open(folder / "captions.csv", newline="") as f:
        for row in csv.DictReader(f):
            rel = row["image"]
            if rel not in index:
                if limit and len(images) >= limit:
                    continue
                index[rel] = len(images)
                images.append(folder / rel)
            captions.append((row["caption"], index[rel]))
    return images, captions


def recall_at(sim, truth, ks=(1, 5, 10)) -> dict:
    """Text->image recall: sim (n_text, n_img), truth[i] = image of text i."""
    import numpy as np

    truth = np.asarray(truth)
    correct = sim[np.arange(len(truth)), truth][:, None]
    rank = (sim > correct).sum(1)  # 0 = first
    out = {f"R@{k}": round(float((rank < k).mean()) * 100, 2) for k in ks}
    out["median_rank"] = float(np.median(rank + 1))
    return out


def emit(obj) -> None:
    json.dump(obj, sys.stdout, indent=2)
    sys.stdout.write("\n")


def cpu_info() -> dict:
    return {"cpus": os.cpu_count()}
