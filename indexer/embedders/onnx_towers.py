"""Image networks on ONNX Runtime, the runtime the field's CPU tools use
(immich's ML service, rclip 3.x): faster than PyTorch eager on a CPU for
open_clip's towers (more with the optional int8 image tower) and for the
bundled model's EfficientNet-Lite2 (figures: README,
benchmarks/embed_backends.py).

Each tower is exported once per machine into the user cache, keyed by the
weights' identity (architecture, weights, a fingerprint of the parameters,
open_clip and torch versions), and checked against PyTorch on a fixed batch
before it is first used (cosine >= 0.999; >= 0.98 for int8; a marker file
records the check, so later starts only open the sessions). Any failure (no
``onnx`` package, an export error, a mismatch) is said plainly and PyTorch
carries on: the vectors and the model's identity in the index are the same
either way.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import threading
import warnings
from pathlib import Path

import numpy as np

from mediasearch.store.settings import default_onnx_cache

log = logging.getLogger(__name__)

OPSET = 17
MIN_COSINE = 0.999
MIN_COSINE_INT8 = 0.98


class OnnxUnavailable(RuntimeError):
    pass


def ort_errors() -> tuple[type[BaseException], ...]:
    """ONNX Runtime's own exception classes (they derive from Exception, not
    from RuntimeError): what opening or running a damaged model file raises."""
    from onnxruntime.capi import onnxruntime_pybind11_state as state

    names = ("Fail", "InvalidArgument", "NoSuchFile", "NoModel", "InvalidProtobuf", "InvalidGraph",
             "RuntimeException", "EngineError", "EPFail", "NotImplemented", "ModelLoaded")
    return tuple(c for c in (getattr(state, n, None) for n in names) if isinstance(c, type))


SPIN = False  # intra-op threads that spin while waiting burn the CPU decoding (and others) need


def ort_session(model: bytes | str | Path, threads: int, providers: list[str] | None = None):
    """An ONNX Runtime session for a model file (or its bytes) on ``threads``
    intra-op threads, one inter-op: every network here is opened this way.
    Idle threads sleep instead of spinning: a spinning pool took cores from
    the decoder threads and, on a busy machine, from everyone else."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = max(1, threads)
    so.inter_op_num_threads = 1
    if not SPIN:
        so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(model if isinstance(model, bytes) else str(model), so,
                                providers=providers or ["CPUExecutionProvider"])


def cache_root(cache: Path | None) -> Path:
    """The ONNX cache: ``Settings.onnx_cache``, given by whoever builds the
    embedder; an embedder made without settings (benchmarks) uses the default."""
    return Path(cache) if cache is not None else default_onnx_cache()


def fingerprint(model, identity: dict) -> str:
    """What the exported files depend on (``identity`` carries the model
    library's version); a few KB of every parameter tells two random or
    fine-tuned weights of one architecture apart."""
    import torch

    h = hashlib.sha256(json.dumps([identity, torch.__version__, OPSET], sort_keys=True, default=str).encode())
    for name, p in model.state_dict().items():
        h.update(name.encode())
        h.update(p.detach().flatten()[:1024].cpu().float().numpy().tobytes())
    return h.hexdigest()[:24]


class OnnxTowers:
    def __init__(self, folder: Path, threads: int, int8: bool):
        self._open = lambda name: ort_session(folder / name, threads)
        self.textual = self._open("text.onnx")
        self.int8 = int8
        self.folder = folder
        self._visual = None
        self._visual_lock = threading.Lock()
        checked = _read_marker(folder, int8).get("visual")
        if checked is None:
            self._visual = self.visual  # no record of the checked file: open it now, as before
        elif checked != _stamp(folder / self.visual_name):
            raise OnnxUnavailable("the cached export changed since it was checked")

    @property
    def visual_name(self) -> str:
        return "visual.int8.onnx" if self.int8 else "visual.onnx"

    @property
    def visual(self):
        """Opened on the first picture: a text search never pays for it (0.5-1.5 s)."""
        with self._visual_lock:
            if self._visual is None:
                self._visual = self._open(self.visual_name)
            return self._visual

    def image(self, pixels: np.ndarray) -> np.ndarray:
        return self.visual.run(None, {"pixels": np.ascontiguousarray(pixels, np.float32)})[0]

    def text(self, tokens: np.ndarray) -> np.ndarray:
        return self.textual.run(None, {"tokens": np.ascontiguousarray(tokens, np.int64)})[0]


def _stamp(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns]


def _read_marker(folder: Path, int8: bool) -> dict:
    try:
        return json.loads((folder / ("verified.int8.json" if int8 else "verified.json")).read_text())
    except (OSError, ValueError):
        return {}


def build(model, tokenizer, identity: dict, threads: int, int8: bool = False,
          cache: Path | None = None) -> OnnxTowers:
    """The towers for ``model``, exported if this machine has none yet and
    verified against PyTorch; raises OnnxUnavailable with the reason."""
    try:
        import onnxruntime  # noqa: F401
    except ImportError as e:
        raise OnnxUnavailable(f"{e.name} is not installed") from e
    import open_clip

    folder = cache_root(cache) / fingerprint(model, {**identity, "open_clip": open_clip.__version__})
    probe_pixels, probe_tokens = _probe(tokenizer)
    try:
        if not (folder / "text.onnx").is_file():
            _needs_onnx()
            _export(model, folder, probe_pixels, probe_tokens)
        if int8 and not (folder / "visual.int8.onnx").is_file():
            _quantize(folder)
        towers = OnnxTowers(folder, threads, int8)
        # Checked once per export (a start then costs only the sessions):
        # the marker is written after the check passed, never before.
        marker = folder / ("verified.int8.json" if int8 else "verified.json")
        if not marker.is_file():
            checked = _verify(model, towers, probe_pixels, probe_tokens)
            # The picture tower opens lazily later: its size and mtime say it is the file checked.
            marker.write_text(json.dumps({**checked, "visual": _stamp(folder / towers.visual_name)}))
    except OnnxUnavailable:
        shutil.rmtree(folder, ignore_errors=True)  # the next start exports afresh
        raise
    except Exception as e:  # the exporter and ORT raise many kinds; any of them means PyTorch carries on
        shutil.rmtree(folder, ignore_errors=True)
        raise OnnxUnavailable(f"{type(e).__name__}: {e}") from e
    return towers


# -- starting from a verified export, without the PyTorch model ------------
# The export's folder is named by a fingerprint of the loaded parameters, so
# finding it meant building the PyTorch model first (3 s of a ViT-B-32
# start, 6-7 s of the bundled model's). A verified export also records which
# weights *file* it came from (path, size, mtime, inode) and what else a
# start needs (open_clip's preprocessing), so the next start with that same
# file opens the ONNX sessions alone.
def _alias(identity: dict, weights: Path, variant: str, cache: Path | None) -> Path:
    from importlib.metadata import version

    from .clip_fast import VERSION

    st = weights.stat()
    what = [identity, str(weights), st.st_size, st.st_mtime_ns, st.st_ino, variant, OPSET, version("torch"),
            "clip_fast", VERSION]
    return cache_root(cache) / "by-file" / (hashlib.sha256(json.dumps(what, sort_keys=True, default=str).encode())
                                       .hexdigest()[:24] + ".json")


def remember(identity: dict, weights: Path, variant: str, folder: Path, cache: Path | None = None,
             **extra) -> None:
    """After a verified build: which export this weights file gave (and
    what else a start needs without the PyTorch model)."""
    alias = _alias(identity, weights, variant, cache)
    try:
        alias.parent.mkdir(parents=True, exist_ok=True)
        part = alias.with_name(alias.name + f".{os.getpid()}.part")
        part.write_text(json.dumps({"folder": folder.name, **extra}, default=list))
        os.replace(part, alias)
    except OSError as e:  # a read-only cache: the next start builds the model, as before
        log.debug("ONNX export not remembered: %s", e)


def recall(identity: dict, weights: Path, variant: str, marker: str,
           cache: Path | None = None) -> tuple[Path, dict] | None:
    """The verified export folder of this very file and what ``remember``
    recorded, or None (none yet, the file changed, the export is gone)."""
    try:
        import onnxruntime  # noqa: F401

        alias = json.loads(_alias(identity, weights, variant, cache).read_text())
        folder = cache_root(cache) / alias["folder"]
        return (folder, alias) if (folder / marker).is_file() else None
    except FileNotFoundError:
        log.debug("no verified ONNX export for %s yet", weights)
        return None
    except (OSError, ValueError, KeyError, TypeError, ImportError) as e:  # unreadable record, no ORT or torch
        log.info("the record of %s's ONNX export is unusable (%s): the full start decides", weights, e)
        return None


def open_exported(identity: dict, checkpoint: Path, threads: int, int8: bool,
                  cache: Path | None = None) -> tuple[OnnxTowers, dict] | None:
    """open_clip's towers from a verified export of this checkpoint file."""
    return _opened(recall(identity, checkpoint, "int8" if int8 else "fp32",
                          "verified.int8.json" if int8 else "verified.json", cache),
                   lambda folder, alias: (OnnxTowers(folder, threads, int8), alias))


def _opened(got: tuple[Path, dict] | None, make):
    """``make(folder, alias)`` for a recalled export, or None when there is
    none or it does not open (a damaged file: the full start exports afresh)."""
    try:
        return make(*got) if got else None
    except (OSError, OnnxUnavailable, *ort_errors()) as e:  # a damaged or changed file
        log.warning("the cached ONNX export in %s is unusable (%s): it is exported again", got[0], e)
        return None


def _needs_onnx() -> None:
    """The exporter writes through the ``onnx`` package (1 s to import: only
    when there is something to export)."""
    try:
        import onnx  # noqa: F401
    except ImportError as e:
        raise OnnxUnavailable("onnx is not installed (needed once, to export)") from e


def _probe(tokenizer):
    """A fixed batch: four deterministic pictures' worth of pixels, four texts."""
    import torch

    g = torch.Generator().manual_seed(0)
    pixels = torch.randn(4, 3, 224, 224, generator=g)
    tokens = tokenizer(["a photo of a dog", "two people on a beach at sunset", "a red car", "text"])
    return pixels, tokens


def towers(model):
    """open_clip's two encoders as modules ONNX's exporter can trace: (the
    image tower, the text tower)."""
    import torch

    class Visual(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, x):
            return self.m.encode_image(x)

    class Textual(Visual):
        def forward(self, t):
            return self.m.encode_text(t)

    return Visual(model), Textual(model)


def _export(model, folder: Path, pixels, tokens) -> None:
    import torch

    visual, textual = towers(model)
    tmp = folder.with_name(folder.name + ".part")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    size = model.visual.image_size
    side = size[0] if isinstance(size, (tuple, list)) else size
    dummy = torch.zeros(1, 3, side, side)
    # Traced with gradients on: under no_grad, nn.MultiheadAttention takes a
    # fused fast path (aten::_native_multi_head_attention) that ONNX lacks.
    with torch.enable_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes are for model authors, not for a person indexing
        torch.onnx.export(visual, (dummy,), str(tmp / "visual.onnx"), input_names=["pixels"],
                          output_names=["vector"], dynamic_axes={"pixels": {0: "n"}, "vector": {0: "n"}},
                          opset_version=OPSET, dynamo=False)
        torch.onnx.export(textual, (tokens[:1],), str(tmp / "text.onnx"), input_names=["tokens"],
                          output_names=["vector"], dynamic_axes={"tokens": {0: "n"}, "vector": {0: "n"}},
                          opset_version=OPSET, dynamo=False)
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(tmp, folder)  # a half-written export is never used


def _quantize(folder: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    part = folder / "visual.int8.onnx.part"
    logging.disable(logging.WARNING)  # its advice on pre-processing is for model authors
    try:
        quantize_dynamic(str(folder / "visual.onnx"), str(part), weight_type=QuantType.QInt8)
    finally:
        logging.disable(logging.NOTSET)
    os.replace(part, folder / "visual.int8.onnx")


def _verify(model, towers: OnnxTowers, pixels, tokens) -> dict:
    import torch

    side = towers.visual.get_inputs()[0].shape[2]
    if isinstance(side, int) and side != pixels.shape[2]:
        pixels = torch.nn.functional.interpolate(pixels, size=(side, side))
    with torch.inference_mode():
        want_i, want_t = model.encode_image(pixels).float().numpy(), model.encode_text(tokens).float().numpy()
    got_i, got_t = towers.image(pixels.numpy()), towers.text(tokens.numpy())
    ci, ct = _cosine(want_i, got_i), _cosine(want_t, got_t)
    need = MIN_COSINE_INT8 if towers.int8 else MIN_COSINE
    if ci < need or ct < MIN_COSINE:
        raise OnnxUnavailable(f"the exported model disagrees with PyTorch (cosine {ci:.4f} pictures, "
                              f"{ct:.4f} text)")
    log.info("ONNX Runtime towers verified (cosine %.5f pictures, %.5f text)", ci, ct)
    return {"cosine_pictures": round(ci, 6), "cosine_text": round(ct, 6)}


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return float((a * b).sum(1).min())


class OnnxNet:
    """One network (a classifier) on ONNX Runtime: the bundled model's
    EfficientNet-Lite2, whose graph is written from its weights."""

    def __init__(self, model: bytes | Path, threads: int, providers: list[str]):
        self.session = ort_session(model, threads, providers)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.session.run(None, {"x": np.ascontiguousarray(x, np.float32)})[0]
