"""Turn a ``--model`` value into an embedder.

Values: ``auto`` (default), ``bundled``, ``bundled-multilingual``, ``fake``
(tests), ``openclip`` (the default CLIP), ``openclip:ARCH/TAG``,
``openclip:ARCH/path/to/checkpoint``, or a multilingual CLIP's short name
(``openclip:multilingual``, ``openclip:siglip-i18n``, ``openclip:nllb``).

``auto`` reuses the model an existing index was built with; otherwise it
takes open_clip ViT-B-32/laion2b_s34b_b79k when its weights are cached or the
hub answers within a couple of seconds, and the bundled model when not.
"""
from __future__ import annotations

import logging
import socket
from dataclasses import dataclass
from pathlib import Path

from mediasearch.store.errors import ConfigError, ModelUnavailableError
from mediasearch.store.settings import Settings

from .base import Embedder
from .openclip import DEFAULT_ARCH, DEFAULT_TAG

log = logging.getLogger(__name__)

HUB_HOST = "huggingface.co"
HOW_TO_GET_CLIP = (
    "to use CLIP, download its weights once with network access "
    "(mediasearch index --model openclip PATH), or point --model at a local "
    "checkpoint: openclip:ViT-B-32/path/to/open_clip_model.safetensors")


@dataclass
class Choice:
    embedder: Embedder
    reason: str  # one plain sentence: which model and why


def hub_reachable(timeout: float) -> bool:
    """A quick TCP check, so offline machines decide in seconds, not minutes."""
    import os

    if os.environ.get("HF_HUB_OFFLINE") in ("1", "true", "TRUE") or timeout <= 0:
        return False
    try:
        with socket.create_connection((HUB_HOST, 443), timeout=timeout):
            return True
    except OSError:
        return False


# Short names for the multilingual CLIPs (README: which to pick per language).
MULTILINGUAL_CLIP = {
    "multilingual": ("xlm-roberta-base-ViT-B-32", "laion5b_s13b_b90k"),   # 100 languages (XLM-R)
    "siglip-i18n": ("ViT-B-16-SigLIP-i18n-256", "webli"),               # SigLIP, multilingual WebLI
    "nllb": ("nllb-clip-base-siglip", "v1"),                             # NLLB's 201 languages
}


def parse_openclip(spec: str) -> tuple[str, str]:
    rest = spec.split(":", 1)[1] if ":" in spec else ""
    if not rest:
        return DEFAULT_ARCH, DEFAULT_TAG
    if rest in MULTILINGUAL_CLIP:
        return MULTILINGUAL_CLIP[rest]
    if "/" not in rest:
        raise ConfigError(f"bad model {spec!r}: use openclip:ARCH/TAG or openclip:ARCH/path/to/checkpoint")
    arch, weights = rest.split("/", 1)
    return arch, weights


def onnx_export(arch: str, weights: str) -> Path | None:
    """A ready ONNX export to run instead of open_clip: a folder given as the
    weights, or (without the torch extra) one in the local hub cache."""
    from .hub_onnx import find_export, is_export
    from .openclip import looks_like_path, open_clip_installed

    if looks_like_path(weights):
        folder = Path(weights).expanduser()
        return folder.resolve() if folder.is_dir() and is_export(folder) else None
    return None if open_clip_installed() else find_export(arch, weights)


def build(spec: str, settings: Settings, allow_download: bool) -> Embedder:
    from .device import check_device, pick_device

    spec = spec.strip()
    if spec == "fake":
        from .fake import FakeEmbedder
        emb = FakeEmbedder()
        emb.batch_size = settings.batch_size
        return emb
    if spec == "bundled":
        from .bundled import BundledEmbedder
        # The device is picked when the image network loads: a text query
        # never opens it.
        return BundledEmbedder(device=check_device(settings.device), cache_dir=settings.home / "cache",
                               batch_size=settings.batch_size, onnx_cache=settings.onnx_cache)
    if spec in ("bundled-multilingual", "multilingual"):
        from .multilingual import MultilingualEmbedder
        return MultilingualEmbedder(device=check_device(settings.device), cache_dir=settings.home / "cache",
                                    batch_size=settings.batch_size, onnx_cache=settings.onnx_cache)
    if spec == "openclip" or spec.startswith("openclip:"):
        from .openclip import OpenClipEmbedder
        arch, weights = parse_openclip(spec)
        if weights == "random":
            raise ConfigError("refusing to run open_clip on random weights")
        export = onnx_export(arch, weights)
        if export is not None:
            from .device import ort_providers
            from .hub_onnx import OnnxClipEmbedder
            return OnnxClipEmbedder(arch, weights, export, ort_providers(settings.device), settings.batch_size)
        return OpenClipEmbedder(arch, weights, device=pick_device(settings.device),
                                batch_size=settings.batch_size, allow_download=allow_download,
                                runtime=settings.runtime, int8=settings.onnx_int8, onnx_cache=settings.onnx_cache)
    raise ConfigError(f"unknown model {spec!r}: use auto, bundled, bundled-multilingual, openclip:ARCH/TAG "
                      "or openclip:ARCH/path/to/checkpoint")


def resolve_embedder(settings: Settings, spec: str | None = None,
                     stored: dict | None = None) -> Choice:
    """Pick the embedder for ``spec`` (default: the setting), knowing what an
    existing index was built with (``stored`` identity, with its ``spec``)."""
    spec = (spec or settings.model or "auto").strip()
    if spec != "auto":
        allow = spec.startswith("openclip") and hub_reachable(settings.network_timeout)
        emb = build(spec, settings, allow_download=allow)
        return Choice(emb, f"using {emb.model_id} (asked for {spec})")
    if stored and stored.get("spec"):
        try:
            emb = build(stored["spec"], settings, allow_download=False)
            return Choice(emb, f"using {emb.model_id}, the model this index was built with")
        except ModelUnavailableError as e:
            raise ModelUnavailableError(
                f"this index was built with {stored['spec']}, which cannot be loaded: {e}. "
                "Make its weights available, or re-index with --rebuild --model MODEL") from e
    from .device import pick_device
    from .openclip import OpenClipEmbedder, cached_weights, open_clip_installed

    if not open_clip_installed():
        if onnx_export(DEFAULT_ARCH, DEFAULT_TAG) is not None:
            emb = build(f"openclip:{DEFAULT_ARCH}/{DEFAULT_TAG}", settings, allow_download=False)
            return Choice(emb, f"using CLIP {emb.model_id} (an ONNX export found in the local hub cache)")
        emb = build("bundled", settings, allow_download=False)
        return Choice(emb, "using the bundled offline model (CLIP runs on the torch extra, not installed: "
                           "pip install 'mediasearch[torch]'; or from an ONNX export in the hub cache)")
    try:
        if cached_weights(DEFAULT_ARCH, DEFAULT_TAG) is not None:
            emb = OpenClipEmbedder(DEFAULT_ARCH, DEFAULT_TAG, device=pick_device(settings.device),
                                   batch_size=settings.batch_size, runtime=settings.runtime,
                                   int8=settings.onnx_int8, onnx_cache=settings.onnx_cache)
            return Choice(emb, f"using CLIP {emb.model_id} (weights found in the local cache)")
        if hub_reachable(settings.network_timeout):
            emb = OpenClipEmbedder(DEFAULT_ARCH, DEFAULT_TAG, device=pick_device(settings.device),
                                   batch_size=settings.batch_size, allow_download=True,
                                   runtime=settings.runtime, int8=settings.onnx_int8, onnx_cache=settings.onnx_cache)
            return Choice(emb, f"using CLIP {emb.model_id} (weights will be downloaded once)")
        why = "CLIP weights are not cached and the model hub cannot be reached"
    except ImportError as e:  # open_clip not installed
        why = f"open_clip is not available ({e})"
    emb = build("bundled", settings, allow_download=False)
    return Choice(emb, f"using the bundled offline model ({why}); {HOW_TO_GET_CLIP}")

