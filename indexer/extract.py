"""Turn one media file into the items to embed (images and texts with time
ranges). One extractor per kind; video and audio plug in here too."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from store.schema import SOURCE_IMAGE
from store.settings import Settings

from .embedders import Embedder
from .media.images import load_image


@dataclass
class Item:
    source: str
    t_start: float | None = None
    t_end: float | None = None
    image: Any = None        # prepared by the embedder (prepare_image)
    text: str | None = None  # embedded with the text tower


@dataclass
class Extracted:
    kind: str
    width: int | None = None
    height: int | None = None
    duration: float | None = None
    taken_at: float | None = None
    items: list[Item] = field(default_factory=list)


Extractor = Callable[[Path, bytes, Settings, Embedder], Extracted]


def extract_image(path: Path, head: bytes, settings: Settings, embedder: Embedder) -> Extracted:
    loaded = load_image(path, settings.max_image_pixels, head=head)
    item = Item(SOURCE_IMAGE, image=embedder.prepare_image(loaded.image))
    return Extracted("image", loaded.width, loaded.height, None, loaded.taken_at, [item])


EXTRACTORS: dict[str, Extractor] = {"image": extract_image}
