"""What a root looks like right now: there, gone, empty, or unmounted; and
which paths below it may be indexed (the one symlink rule for `index` and
`watch`)."""
from __future__ import annotations

import json
import os
import stat

MOUNTS_KEY = "root_mounts"


def under(path: str, folder: str) -> bool:
    """``path`` is ``folder`` or lies below it (plain string paths)."""
    folder = folder.rstrip(os.sep) or os.sep
    return path == folder or path.startswith(folder if folder.endswith(os.sep) else folder + os.sep)


def root_of(path: str, roots: list[str]) -> str | None:
    """The innermost of ``roots`` holding ``path``."""
    for r in sorted(roots, key=len, reverse=True):
        if under(path, r):
            return r
    return None


def remembered_mounts(catalog) -> set[str]:
    try:
        return set(json.loads(catalog.get_meta(MOUNTS_KEY) or "[]"))
    except ValueError:
        return set()


def remember_mounts(catalog, roots: list[str]) -> None:
    """Note which roots, and which folders below them, are mount points (a
    disk), so that the day the disk is not mounted, the empty folder left
    behind is not taken for a deletion of everything that was on it."""
    known = remembered_mounts(catalog)
    now = {r for r in roots if os.path.ismount(r)} | {m for r in roots for m in mounts_below(r)}
    if not now <= known:
        catalog.set_meta(MOUNTS_KEY, json.dumps(sorted(known | now)))


NETWORK_FS = {"nfs", "nfs4", "cifs", "smbfs", "smb3", "fuse.sshfs", "9p", "afs", "ncpfs", "davfs",
              "fuse.rclone", "glusterfs", "ceph", "fuse.s3fs"}


def _mount_table() -> list[tuple[str, str]]:
    """(mount point, file system type) for each mount (Linux: /proc/self/mounts;
    elsewhere none: the checks of the roots themselves are all there is)."""
    try:
        with open("/proc/self/mounts", encoding="utf-8", errors="surrogateescape") as f:
            lines = f.read().splitlines()
    except OSError:
        return []
    return [(_unescape(parts[1]), parts[2]) for parts in (line.split(" ") for line in lines) if len(parts) > 2]


def mounts_below(root: str) -> list[str]:
    """Mount points strictly inside ``root``."""
    return [point for point, _ in _mount_table() if point != root and under(point, root)]


def filesystem_type(path: str) -> str | None:
    """The type of the file system holding ``path``, or None."""
    real = os.path.realpath(path)
    holding = [(point, kind) for point, kind in _mount_table() if under(real, point)]
    return max(holding, key=lambda pk: len(pk[0]))[1] if holding else None


def root_identity(root: str) -> tuple | None:
    """(device, inode, mounted): changes when a root is renamed away, unmounted or remounted."""
    try:
        st = os.stat(root)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, os.path.ismount(root))


def _unescape(field: str) -> str:
    """/proc/mounts writes space, tab, newline and backslash as octal escapes."""
    import re

    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def disk_of(path: str, roots: list[str], mounts: set[str]) -> str | None:
    """The place whose presence decides ``path``'s fate: the innermost
    remembered mount point inside its root (a disk mounted in the library),
    else its root."""
    root = root_of(path, roots)
    if root is None:
        return None
    inner = [m for m in mounts if under(m, root) and m != root and under(path, m)]
    return max(inner, key=len) if inner else root


def absent_reason(root: str, mounts: set[str]) -> str | None:
    """Why the files of ``root`` should be held offline rather than deleted:
    the folder is gone, it is empty (a disk not mounted leaves an empty mount
    point), or it was a mount point and no longer is. None when it is there."""
    if not os.path.isdir(root):
        return "the folder itself is gone"
    if root in mounts and not os.path.ismount(root):
        return "its disk is no longer mounted there"
    try:
        with os.scandir(root) as entries:
            if next(entries, None) is None:
                return "the folder is empty"
    except OSError as e:
        return f"the folder cannot be read ({e.strerror or e})"
    return None


def path_allowed(path: str, root: str, follow_symlinks: bool) -> str | None:
    """Why ``path`` (below ``root``, whose own path is resolved) must not be
    indexed, or None. Without following symlinks, no part of the path below
    the root may be a link; with it, the real path must stay inside the root
    and a link may not point back to one of its own ancestors (a loop)."""
    real = os.path.realpath(path)
    if real == os.path.abspath(path):
        return None
    if not follow_symlinks:
        return "a symbolic link (not followed; MEDIASEARCH_FOLLOW_SYMLINKS=true follows links inside a root)"
    if not under(real, os.path.realpath(root)):
        return "a symbolic link out of the indexed folder (never followed)"
    rel = os.path.relpath(path, root).split(os.sep)
    current = root
    for part in rel:
        current = os.path.join(current, part)
        if os.path.islink(current):
            target = os.path.realpath(current)
            if under(os.path.dirname(os.path.abspath(current)), target):
                return "a symbolic link back to a folder that holds it (a loop)"
    return None


def stat_by_link_rule(path: str, roots: list[str], follow_symlinks: bool) -> os.stat_result:
    """``path``'s stat under the walk's link rule (for the polling observer's
    snapshots, which would otherwise follow ``ln -s . loop`` for ever): a link
    is a link, unless links are followed and this one stays inside its root
    without looping."""
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode) and follow_symlinks:
        root = root_of(path, roots)
        if root is not None and path_allowed(path, root, True) is None:
            return os.stat(path)
    return st
