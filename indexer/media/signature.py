"""A picture's perceptual signature, for finding near-duplicates.

A DCT hash (pHash: the signs of the 63 lowest non-constant frequencies of a
32x32 grey thumbnail against their median) survives resizing, recompression
and brightness changes. Computed for all eight orientations (four
rotations, each also mirrored), it survives rotation and mirroring too: the
distance of two pictures is the least Hamming distance between the first's
upright hash and any of the second's eight, taken both ways (the least of
first-against-second and second-against-first: thresholding at the median
makes the two differ by a few bits, and one rule must not call a pair a
copy where another does not). How close copies, crops and different
photos come: the README's near-duplicates figures (benchmarks/duplicates.py)
and the thresholds in indexer/copies.py.
"""
from __future__ import annotations

import numpy as np
from PIL import Image

ORIENTATIONS = 8
SIZE = 32
# A flat picture (a blank page, a black frame, a solid colour) has no
# structure to hash: all its hashes would be alike, and every flat picture
# a "copy" of every other. It gets this signature, which matches nothing.
FLAT = b"\xff" * (8 * ORIENTATIONS)
FLAT_STD = 3.0  # grey levels (0-255) of the 32x32 thumbnail


def _dct_matrix(n: int) -> np.ndarray:
    k = np.arange(n)
    return np.cos(np.pi * (2 * k[None, :] + 1) * k[:, None] / (2 * n)).astype(np.float64)


_D = _dct_matrix(SIZE)
_BITS = (1 << np.arange(62, -1, -1, dtype=np.uint64)).astype(np.uint64)


def _hash(grey: np.ndarray) -> np.uint64:
    low = (_D @ grey @ _D.T)[:8, :8].reshape(-1)[1:]  # no DC term: 63 bits
    return np.uint64(_BITS[low > np.median(low)].sum())


def signature(image: Image.Image) -> bytes:
    """Eight 64-bit hashes (upright first), 64 bytes."""
    grey = np.asarray(image.convert("L").resize((SIZE, SIZE), Image.LANCZOS), np.float64)
    if grey.std() < FLAT_STD:
        return FLAT
    hashes = []
    for k in range(4):
        r = np.rot90(grey, k)
        hashes += [_hash(r), _hash(r[:, ::-1])]
    return np.asarray(hashes, dtype="<u8").tobytes()


def as_array(blobs: list[bytes]) -> np.ndarray:
    """(n, 8) uint64 from stored signatures."""
    return np.frombuffer(b"".join(blobs), dtype="<u8").reshape(len(blobs), ORIENTATIONS).astype(np.uint64)


def hash_bytes(hashes: np.ndarray) -> np.ndarray:
    """64-bit hashes as the (n, 8) bytes FAISS's binary indexes take."""
    return np.ascontiguousarray(hashes.astype("<u8")).view(np.uint8).reshape(len(hashes), 8)


def orientation_index(sigs: np.ndarray):
    """A FAISS binary index of every orientation of every signature: row
    j*8+k is signature j in orientation k (so row // 8 is the picture)."""
    import faiss

    index = faiss.IndexBinaryFlat(64)
    index.add(hash_bytes(sigs.reshape(-1)))
    return index


def distances(upright: np.ndarray, all_orientations: np.ndarray) -> np.ndarray:
    """(m, n): for each of m upright hashes, the least distance to each of n
    signatures over its eight orientations."""
    # One orientation at a time: (m, n) bytes, never (m, n, 8) words.
    best = np.bitwise_count(upright[:, None] ^ all_orientations[None, :, 0])
    for k in range(1, all_orientations.shape[1]):
        np.minimum(best, np.bitwise_count(upright[:, None] ^ all_orientations[None, :, k]), out=best)
    return best


def pair_distance(a: np.ndarray, b: np.ndarray) -> int:
    """The distance of two pictures (each an 8-hash signature row), both ways."""
    return int(min(distances(a[None, 0], b[None])[0, 0], distances(b[None, 0], a[None])[0, 0]))


BLOCK = 512


def close_pairs(sigs: np.ndarray, bits: int, involving: list[int] | None = None) -> dict[tuple[int, int], int]:
    """{(i, j): distance} for every pair within ``bits`` (i < j), by
    ``pair_distance``'s rule, through FAISS's binary range search (SIMD
    popcount) in blocks. With ``involving``, only the pairs that have one
    of those rows (a check of new files: two lookups per new file, not a
    scan of all pairs)."""
    best: dict[tuple[int, int], int] = {}
    if len(sigs) < 2:
        return best

    def look(index, queries: np.ndarray, query_rows, row_of) -> None:
        upright = hash_bytes(queries)
        for a in range(0, len(upright), BLOCK):
            lims, dist, ids = index.range_search(upright[a:a + BLOCK], bits + 1)  # the radius is exclusive
            for q in range(len(lims) - 1):
                i = query_rows[a + q]
                for d, row in zip(dist[lims[q]:lims[q + 1]], ids[lims[q]:lims[q + 1]]):
                    j = row_of[int(row) // ORIENTATIONS]
                    if i != j:
                        key = (min(i, j), max(i, j))
                        best[key] = min(best.get(key, 64), int(d))

    rows = list(range(len(sigs)))
    if involving is None:  # every upright against every orientation covers both ways
        look(orientation_index(sigs), sigs[:, 0], rows, rows)
    else:
        involving = list(involving)
        look(orientation_index(sigs), sigs[involving, 0], involving, rows)   # new against all
        look(orientation_index(sigs[involving]), sigs[:, 0], rows, involving)  # all against new
    return best


def best_turn(a: np.ndarray, b: np.ndarray) -> int:
    """The orientation of ``b`` closest to ``a`` upright (an index into b's eight)."""
    return int(np.argmin([int(np.bitwise_count(a[0] ^ b[k])) for k in range(ORIENTATIONS)]))
