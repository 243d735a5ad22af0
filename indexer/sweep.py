"""The last stage of a run: what happens to catalogued files that are missing.

Deleting is the one thing that cannot be undone (the vectors cost minutes or
hours to make again), so missing files are judged by their root as a whole:
- a root that is gone, empty, or no longer mounted holds its files offline,
  whatever its size (an unplugged disk);
- a root that lost at least ``mass_delete_min`` files and more than
  ``mass_delete_fraction`` of them, counting what is offline there and what
  was deleted there within ``mass_delete_window`` seconds, holds them offline
  (a sync tool or a slow ``rm -rf`` is a disappearance, however it is cut
  into batches);
- the daemon never deletes at once: it holds what it saw vanish (out of
  search results at once) until nothing more has vanished under that root
  for ``delete_grace`` seconds, then judges all of it together with
  everything else missing there (``purge_held``): however slowly a root
  empties, it is judged as one disappearance.
Offline files come back as they were when they return; ``--allow-mass-delete``
removes them for good.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

from mediasearch.store.catalog import KnownFile
from mediasearch.store.schema import STATUS_OFFLINE

from .roots import absent_reason, disk_of, remembered_mounts

MISSING = "missing from disk (offline)"
HELD = "missing from disk (deleted after a grace period unless it returns)"


@dataclass
class Verdict:
    delete: list[int] = field(default_factory=list)
    offline: list[int] = field(default_factory=list)   # held until the files return or the user says
    held: list[int] = field(default_factory=list)      # the daemon's: judged after the grace period
    deleted_per_root: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    paths: dict[int, str] = field(default_factory=dict)  # each judged id's path, for the activity lines


class Sweeper:
    def __init__(self, catalog, settings, allow_mass_delete: bool = False):
        self.catalog = catalog
        self.settings = settings
        self.allow_mass_delete = allow_mass_delete
        self.mounts = remembered_mounts(catalog)

    def _is_mass(self, root: str, missing_now: int) -> tuple[bool, int]:
        """Whether ``missing_now`` files (offline ones included) plus what was
        deleted lately under ``root`` are a mass disappearance; and the total."""
        recent = self.catalog.recent_deletions(root, self.settings.mass_delete_window)
        gone = missing_now + recent
        total = self.catalog.count_under(root) + recent
        s = self.settings
        return gone >= s.mass_delete_min and gone > total * s.mass_delete_fraction, total

    def _warn(self, verdict: Verdict, n: int, total: int, root: str, why: str | None) -> None:
        verdict.warnings.append(
            f"{n} of {total} files under {root or 'the index'} are missing"
            f"{f' ({why})' if why else ''}: marked offline, not deleted. "
            "They come back as they were when the files return; "
            "`mediasearch index --allow-mass-delete FOLDER` removes them for good.")

    def judge(self, gone: dict[str, KnownFile], roots: list[str], hold: bool) -> Verdict:
        """Split missing files into deleted, offline and (``hold``: the daemon) held."""
        v = Verdict()
        if not gone:
            return v
        by_root: dict[str, list[tuple[str, KnownFile]]] = {}
        for path, k in gone.items():
            by_root.setdefault(disk_of(path, roots, self.mounts) or "", []).append((path, k))
        for r, items in by_root.items():
            ids = [k.id for _, k in items]
            v.paths.update((k.id, path) for path, k in items)
            if self.allow_mass_delete:
                v.delete += ids
                v.deleted_per_root[r] = len(ids)
                continue
            why = absent_reason(r, self.mounts) if r else None
            newly = sum(1 for _, k in items if k.status != STATUS_OFFLINE)
            mass, total = self._is_mass(r, self.catalog.missing_under(r) + newly) if r else (False, len(items))
            if why or mass:
                v.offline += [k.id for _, k in items if k.status != STATUS_OFFLINE]
                self._warn(v, len(items), total, r, why)
            elif hold:
                v.held += [k.id for _, k in items if k.status != STATUS_OFFLINE]
            else:
                v.delete += ids
                v.deleted_per_root[r] = len(ids)
        return v

    def purge_held(self, roots: list[str], grace: float) -> Verdict:
        """Judge the files the daemon has held longer than the grace period:
        delete them, unless their root is disappearing as a whole (then they
        stay offline until they return or the user says). Files that are back
        on disk are left for the next batch or reconciliation to pick up."""
        v = Verdict()
        by_root: dict[str, list[tuple[int, str, float]]] = {}
        for mid, path, since in self.catalog.held_missing():
            by_root.setdefault(disk_of(path, roots, self.mounts) or "", []).append((mid, path, since))
        quiet_since = time.time() - grace
        for r, held in by_root.items():
            # A root still losing files is a disappearance in progress (a slow
            # rm -rf, a sync): judge it once nothing has vanished there for
            # the grace period, as a whole.
            if max(since for _, _, since in held) > quiet_since:
                continue
            items = [(mid, path) for mid, path, _ in held if not os.path.lexists(path)]
            if not items:
                continue
            ids = [mid for mid, _ in items]
            v.paths.update(items)
            why = absent_reason(r, self.mounts) if r else None
            missing = self.catalog.missing_under(r) if r else len(items)
            mass, total = self._is_mass(r, missing) if r else (False, len(items))
            if why or mass:
                v.offline += ids
                self._warn(v, missing, total, r, why)
            else:
                v.delete += ids
                v.deleted_per_root[r] = len(ids)
        return v
