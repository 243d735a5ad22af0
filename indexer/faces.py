"""Faces in pictures and video frames, found and described offline.

dlib (``dlib-bin``, Boost licence) finds frontal faces with its HOG
detector, places five landmarks (eye corners and nose:
``shape_predictor_5_face_landmarks``) and describes each face with its
ResNet (``dlib_face_recognition_resnet_model_v1``: 128 numbers; two faces of
one person lie close). The two model files come from the
``face-recognition-models`` package (dlib's models, CC0); the 68-point
predictor it also holds is never opened (its training set's licence
excludes commercial use).

A picture is looked at with its long side brought to ``LOOK_SIDE``, smaller
ones enlarged up to twice: the detector sees faces from 80 pixels, so a face
of 40 in a small picture is still found, and one of a twentieth of a large
photo's width (a group photo's faces). Each face gets a quality: its size in the original,
its sharpness and how frontal it is; only a ``good`` face may start a person
(indexer/people.py).

``MEDIASEARCH_FACES``: ``auto`` (on when dlib and the models are installed)
or ``off``.
"""
from __future__ import annotations

import importlib.util
import logging
import threading
from pathlib import Path

import numpy as np
from PIL import Image

from mediasearch.store.catalog import NewFace

log = logging.getLogger(__name__)

LOOK_SIDE = 1600      # long side a picture is looked at (enlarged at most ENLARGE times)
ENLARGE = 2.0
MIN_SIDE = 40         # faces smaller than this in the looked-at picture are not kept: nobody is told apart
GOOD_SIZE = 60        # px in the original: a face this large or larger may start a person...
GOOD_SHARPNESS = 15.0  # ...when its aligned crop is this sharp (variance of the Laplacian)...
GOOD_FRONTAL = 0.3    # ...and its nose sits within this share of the eye span from the middle
LOOKED, FAILED = "looked", "failed"

_lock = threading.Lock()
_models: tuple | None = None


def models_folder() -> Path | None:
    """The folder of ``face-recognition-models``, found without importing it
    (its ``__init__`` needs setuptools' pkg_resources)."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(list(spec.submodule_search_locations)[0]) / "models"
    return folder if (folder / "dlib_face_recognition_resnet_model_v1.dat").is_file() else None


def available(setting: str = "auto") -> bool:
    """Faces are looked for: the setting allows it and dlib and the models are here."""
    if setting == "off":
        return False
    return importlib.util.find_spec("dlib") is not None and models_folder() is not None


def _load():
    global _models
    with _lock:
        if _models is None:
            import dlib

            folder = models_folder()
            _models = (dlib.get_frontal_face_detector(),
                       dlib.shape_predictor(str(folder / "shape_predictor_5_face_landmarks.dat")),
                       dlib.face_recognition_model_v1(str(folder / "dlib_face_recognition_resnet_model_v1.dat")))
        return _models


def find_faces(picture: Image.Image, original_size: tuple[int, int], t: float | None = None) -> list[NewFace]:
    """The faces of one picture (already turned upright), described.
    ``original_size``: the full picture's width and height, for each face's size."""
    import dlib

    detector, landmarks, describe = _load()
    img = picture.convert("RGB")
    scale = min(ENLARGE, LOOK_SIDE / max(img.size))
    if scale != 1.0:
        img = img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))), Image.BILINEAR)
    pixels = np.asarray(img)
    to_original = max(original_size) / max(img.size)
    out = []
    for box in detector(pixels, 0):
        box = dlib.rectangle(max(0, box.left()), max(0, box.top()), min(img.width - 1, box.right()),
                             min(img.height - 1, box.bottom()))
        side = min(box.width(), box.height())
        if side < MIN_SIDE:
            continue
        shape = landmarks(pixels, box)
        chip = dlib.get_face_chip(pixels, shape, size=150)
        vector = np.asarray(describe.compute_face_descriptor(chip), np.float32)
        size = round(side * to_original)
        sharp, off_middle = sharpness(chip), frontal_offset(shape)
        good = size >= GOOD_SIZE and sharp >= GOOD_SHARPNESS and off_middle <= GOOD_FRONTAL
        points = [[round(shape.part(i).x / img.width, 4), round(shape.part(i).y / img.height, 4)] for i in range(5)]
        out.append(NewFace(x=box.left() / img.width, y=box.top() / img.height, w=box.width() / img.width,
                           h=box.height() / img.height, size=size, good=good, descriptor=vector, t=t,
                           quality=quality(size, sharp, off_middle), landmarks=points))
    return out


def sharpness(chip: np.ndarray) -> float:
    """Variance of the Laplacian of the aligned crop's grey: blur lowers it."""
    g = chip.astype(np.float32).mean(axis=2)
    lap = g[1:-1, :-2] + g[1:-1, 2:] + g[:-2, 1:-1] + g[2:, 1:-1] - 4 * g[1:-1, 1:-1]
    return float(lap.var())


def frontal_offset(shape) -> float:
    """How far the nose sits from the middle of the eyes, as a share of the
    eye span (0: facing the camera; a profile approaches 0.5). The 5-point
    model gives two points per eye, then the nose."""
    pts = np.asarray([(shape.part(i).x, shape.part(i).y) for i in range(5)], np.float32)
    eye_a, eye_b, nose = pts[0:2].mean(0), pts[2:4].mean(0), pts[4]
    span = float(np.linalg.norm(eye_b - eye_a)) or 1.0
    along = float(np.dot(nose - (eye_a + eye_b) / 2, (eye_b - eye_a) / span))
    return abs(along) / span


def quality(size: int, sharp: float, off_middle: float) -> float:
    """One number to order faces by (0-1): large, sharp, frontal first."""
    return float(min(1.0, size / 160) * min(1.0, sharp / 200) * max(0.0, 1.0 - 2 * off_middle))
