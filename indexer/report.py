"""What a run did, for the CLI, the daemon's state and ``--json``."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

ACTIVITY_CAP = 10_000


@dataclass
class Progress:
    done: int
    total: int
    path: str | None = None
    stage: str = "indexing"  # the bar's line: indexing (first pass); reading words, hearing sounds, finding faces (second)


@dataclass
class IndexReport:
    roots: list[str] = field(default_factory=list)
    model: str = ""
    seen: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    renamed: int = 0
    duplicates: int = 0
    removed: int = 0
    failed: int = 0
    skipped: int = 0
    offline: int = 0
    held: int = 0  # the daemon's: missing, deleted after the grace period unless they return
    restored: int = 0
    elsewhere: int = 0  # handled by another indexer sharing the catalog
    interrupted: bool = False
    segments_added: int = 0
    seconds: float = 0.0
    model_seconds: float = 0.0  # loading the model, before the first file (within ``seconds``)
    model_loaded: bool = False
    errors: list[dict] = field(default_factory=list)
    notes: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    changed_while_reading: list[str] = field(default_factory=list)
    unreadable: list[dict] = field(default_factory=list)
    # FIFOs, sockets, devices, links not followed: {"path", "reason"}
    special: list[dict] = field(default_factory=list)
    words_read: int = 0  # pictures and videos read for words this run (the second pass)
    # New pictures within a copy's distance of one indexed before: {"path", "like", "bits"}
    near_copies: list[dict] = field(default_factory=list)
    sounds_caught_up: int = 0  # recordings and videos indexed before sound events, heard this run
    repaired: int = 0  # repeated segments dropped (left by an older version)
    faces_found: int = 0  # faces found in pictures and videos looked at this run
    faces_grouped: int = 0  # faces that joined or started a person this run
    people_made: int = 0
    # What happened to each file, in order ("added", path, None), ("moved", path, from), ("failed", path, why):
    # the daemon's lines; not in --json (the counts and lists above are), capped.
    activity: list[tuple[str, str, str | None]] = field(default_factory=list)

    def to_dict(self) -> dict:
        out = asdict(self)
        del out["activity"]
        return out

    def did(self, what: str, path: str, detail: str | None = None) -> None:
        """``detail``: where a moved file was, why a file failed."""
        if len(self.activity) < ACTIVITY_CAP:
            self.activity.append((what, path, detail))

    def copied(self, path: str) -> None:
        """A file with the same bytes as one indexed: its vectors are reused."""
        self.duplicates += 1
        self.did("added", path, "a copy: the same bytes as another file")

    def failure(self, path: str, reason: str) -> None:
        self.failed += 1
        self.errors.append({"path": path, "reason": reason})
        self.did("failed", path, reason)
