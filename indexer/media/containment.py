"""Whether one picture holds the other: the check that tells an edited copy
(cropped, a banner or border added, resized, recompressed) from a similar
but different photo (a second shot of the same scene, another dog on
another shore) once their signatures are near but not the same.

A copy's content lies whole inside the other picture (a crop inside its
original; the original inside a copy with a banner added), at one scale and
place; two shots of one scene overlap only in part, and two different
photos nowhere. So the smaller-content picture is searched for inside the
other, at a few scales (it fills 70-100% of the other's width) and every
place, in all eight orientations, by normalised cross-correlation of small
grey thumbnails. The best correlation is the evidence.
"""
from __future__ import annotations

import numpy as np
from PIL import Image

WIDTH = 80                      # the outer picture's thumbnail width
SCALES = tuple(round(1.0 - 0.025 * i, 3) for i in range(13))  # the inner's share of the outer's width: 1.0-0.7
CONTAINED = 0.94                # best correlation at or above this: one holds the other
FINE, COARSE = 5, 13            # box blurs (px at WIDTH) bounding the band of detail compared


def _detail(image: Image.Image, width: int) -> np.ndarray:
    """Grey at ``width`` (aspect kept), less its local mean: edges and texture,
    which place a picture; smooth light alone matches almost anything."""
    g = _grey(image, width)
    return _box(g, FINE) - _box(g, COARSE)  # a band of middle detail: neither resampling noise nor light


def _box(g: np.ndarray, k: int) -> np.ndarray:
    padded = np.pad(g, k // 2, mode="edge")
    c = np.pad(padded.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    return (c[k:, k:] - c[:-k, k:] - c[k:, :-k] + c[:-k, :-k]) / (k * k)


def _turned(image: Image.Image, j: int) -> Image.Image:
    """Orientation ``j`` in the signature's order (signature.py): 2k is k
    quarter turns counter-clockwise, 2k+1 the same, then mirrored."""
    r = image.rotate(90 * (j // 2), expand=True) if j // 2 else image
    return r.transpose(Image.FLIP_LEFT_RIGHT) if j % 2 else r


def _inverse(j: int) -> int:
    return 2 * ((4 - j // 2) % 4) if j % 2 == 0 else j  # a mirrored turn undoes itself


def _best_inside(outer: np.ndarray, inner: np.ndarray) -> float:
    """The best correlation of ``inner`` at any place inside ``outer``."""
    oh, ow = outer.shape
    ih, iw = inner.shape
    if ih > oh or iw > ow or ih < 4 or iw < 4:
        return -1.0
    # Compared inside a margin: near a picture's edge its detail mixes in what
    # lies beyond it (a banner's white, the padding), which the other lacks.
    m = min(COARSE // 2, (ih - 2) // 2, (iw - 2) // 2)
    o = outer[m:oh - m, m:ow - m].astype(np.float64)
    core = inner[m:ih - m, m:iw - m].astype(np.float64)
    v = core - core.mean()
    # Every place at once: the dot products by FFT (v sums to zero, so a
    # window's own mean drops out of them) and each window's spread from
    # running sums; 2-3x faster than stacking the windows, same numbers.
    (h, w), (ch, cw) = o.shape, v.shape
    dots = np.fft.irfft2(np.fft.rfft2(o) * np.fft.rfft2(v[::-1, ::-1], s=(h, w)), s=(h, w))[ch - 1:, cw - 1:]
    s1, s2 = _window_sums(o, ch, cw), _window_sums(o * o, ch, cw)
    spread = np.sqrt(np.maximum(s2 - s1 * s1 / v.size, 0.0))
    return float((dots / (spread * (np.linalg.norm(v) + 1e-6) + 1e-6)).max())


def _window_sums(g: np.ndarray, ch: int, cw: int) -> np.ndarray:
    """The sum of every ch x cw window of ``g`` (an integral image)."""
    c = np.pad(g.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    return c[ch:, cw:] - c[:-ch, cw:] - c[ch:, :-cw] + c[:-ch, :-cw]


def containment(a: Image.Image, b: Image.Image, turn: int | None = None) -> float:
    """The best correlation of either picture found whole inside the other
    (1.0: one holds the other exactly; below ``CONTAINED``: neither does).
    ``turn``: the orientation of ``b`` that matches ``a`` upright, when the
    signatures tell it (then only that one is tried, not all eight). Scales
    go from whole to 70%, both ways at each, so a copy of the same framing
    is found at the first look; the search stops once one holds the other."""
    best = -1.0
    sides = [(_detail(a, WIDTH), b, None if turn is None else [turn]),
             (_detail(b, WIDTH), a, None if turn is None else [_inverse(turn)])]
    for scale in SCALES:
        for outer, inner_img, turns in sides:
            for j in turns or range(8):
                best = max(best, _best_inside(outer, _detail(_turned(inner_img, j), max(4, round(WIDTH * scale)))))
                if best >= CONTAINED:
                    return best
    return best


def _grey(image: Image.Image, width: int) -> np.ndarray:
    h = max(2, round(image.height * width / max(1, image.width)))
    return np.asarray(image.convert("L").resize((width, h), Image.BILINEAR), np.float32)
