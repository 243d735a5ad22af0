"""Image captioners for reranking: LLaVA (transformers' LlavaForConditionalGeneration,
4/8-bit when bitsandbytes is there, GPU when present) and a lighter generic
image-to-text model (BLIP, GIT...) by model id or local path.

Weights are loaded from local files only: a missing model is a clear error,
never a silent download attempt and never random weights.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path

from PIL import Image

from mediasearch.store.errors import ConfigError, ModelUnavailableError

from .embedders.device import pick_device
from .hub_cache import snapshots
from .lazy import Lazy

DEFAULT_LLAVA = "llava-hf/llava-1.5-7b-hf"
LLAVA_PROMPT = "USER: <image>\nDescribe this photo in one short sentence. ASSISTANT:"


class Captioner(ABC):
    #: identity stored with each caption (e.g. "llava:llava-hf/llava-1.5-7b-hf")
    name: str
    batch_size: int = 4

    def __init__(self) -> None:
        self._weights = Lazy(self._load)

    def ensure_loaded(self) -> None:
        self._weights.get()

    @abstractmethod
    def _load(self) -> None: ...

    @abstractmethod
    def _caption(self, images: list[Image.Image]) -> list[str]: ...

    def caption(self, images: list[Image.Image]) -> list[str]:
        self.ensure_loaded()
        out: list[str] = []
        for i in range(0, len(images), self.batch_size):
            out += [c.strip() for c in self._caption([im.convert("RGB") for im in images[i:i + self.batch_size]])]
        return out


def _missing(model: str, e: Exception | None = None) -> ModelUnavailableError:
    why = f"{type(e).__name__}: {e}" if e is not None else "no such folder, and not in the Hugging Face cache"
    return ModelUnavailableError(
        f"captioning model {model!r} is not available locally ({why}). Download it once "
        f"on a machine with network (huggingface-cli download {model}) or give a local folder.")


def _require_local(model: str) -> None:
    """Cheap things first: no weights on disk is said before transformers
    and torch are imported (tens of seconds on a loaded machine)."""
    if local_path(model) is None and not snapshots(model).is_dir():
        raise _missing(model)


class LlavaCaptioner(Captioner):
    def __init__(self, model: str = DEFAULT_LLAVA, prompt: str = LLAVA_PROMPT, max_new_tokens: int = 40,
                 quantize: str = "auto", device: str = "auto"):
        super().__init__()
        self.device_setting = device  # MEDIASEARCH_DEVICE, as Settings read it: resolved when loading
        self.model_name = model
        self.prompt = prompt
        self.max_new_tokens = max_new_tokens
        self.quantize = quantize  # auto | 4bit | 8bit | none
        self.name = f"llava:{model}"

    def _load(self) -> None:
        _require_local(self.model_name)
        import torch
        from transformers import AutoProcessor, LlavaForConditionalGeneration

        device = pick_device(self.device_setting)
        kwargs: dict = {"local_files_only": True}
        if device.startswith("cuda"):
            kwargs["torch_dtype"] = torch.float16
            try:
                import bitsandbytes  # noqa: F401
                from transformers import BitsAndBytesConfig
                if self.quantize in ("auto", "4bit"):
                    kwargs["quantization_config"] = BitsAndBytesConfig(load_in_4bit=True,
                                                                       bnb_4bit_compute_dtype=torch.float16)
                elif self.quantize == "8bit":
                    kwargs["quantization_config"] = BitsAndBytesConfig(load_in_8bit=True)
            except ImportError:
                pass
        try:
            self.processor = AutoProcessor.from_pretrained(self.model_name, local_files_only=True)
            self.model = LlavaForConditionalGeneration.from_pretrained(self.model_name, **kwargs).eval()
        except (OSError, ValueError) as e:
            raise _missing(self.model_name, e) from e
        if "quantization_config" not in kwargs:
            self.model = self.model.to(device)
        self.device = device
        self.processor.tokenizer.padding_side = "left"  # batched generation

    def _caption(self, images: list[Image.Image]) -> list[str]:
        import torch

        inputs = self.processor(images=images, text=[self.prompt] * len(images), return_tensors="pt",
                                padding=True).to(self.device)
        with torch.inference_mode():
            out = self.model.generate(**inputs, max_new_tokens=self.max_new_tokens, do_sample=False)
        return self.processor.batch_decode(out[:, inputs["input_ids"].shape[1]:], skip_special_tokens=True)


class ImageToTextCaptioner(Captioner):
    """A lighter captioner for machines without a GPU (e.g. a BLIP base model)."""

    def __init__(self, model: str, max_new_tokens: int = 30, device: str = "auto"):
        super().__init__()
        self.device_setting = device
        self.model_name = model
        self.max_new_tokens = max_new_tokens
        self.name = f"image-to-text:{model}"

    def _load(self) -> None:
        _require_local(self.model_name)
        from transformers import AutoModelForImageTextToText, AutoProcessor

        try:
            self.processor = AutoProcessor.from_pretrained(self.model_name, local_files_only=True)
            self.model = AutoModelForImageTextToText.from_pretrained(self.model_name, local_files_only=True).eval()
        except (OSError, ValueError) as e:
            raise _missing(self.model_name, e) from e
        self.device = pick_device(self.device_setting)
        self.model = self.model.to(self.device)

    def _caption(self, images: list[Image.Image]) -> list[str]:
        import torch

        inputs = self.processor(images=images, return_tensors="pt").to(self.device)
        with torch.inference_mode():
            out = self.model.generate(**inputs, max_new_tokens=self.max_new_tokens)
        return self.processor.batch_decode(out, skip_special_tokens=True)


def resolve_captioner(spec: str, device: str = "auto") -> Captioner:
    """``llava`` | ``llava:ID_OR_PATH`` | ``image-to-text:ID_OR_PATH``, to run
    on ``device`` (the setting's value: auto, cpu, cuda, cuda:N, mps)."""
    kind, _, model = spec.partition(":")
    if kind == "llava":
        return LlavaCaptioner(model or DEFAULT_LLAVA, device=device)
    if kind in ("image-to-text", "blip", "git") and model:
        return ImageToTextCaptioner(model, device=device)
    raise ConfigError(f"unknown captioner {spec!r}: use llava, llava:MODEL_OR_PATH or image-to-text:MODEL_OR_PATH")


def captioner_available(spec: str) -> bool:
    """Whether the captioner's weights are on this machine (a local folder, or
    the Hugging Face cache), without loading them, so the page offers
    reranking only when it can work."""
    kind, _, model = spec.partition(":")
    model = model or (DEFAULT_LLAVA if kind == "llava" else "")
    if not model or kind not in ("llava", "image-to-text", "blip", "git"):
        return False
    return local_path(model) is not None or snapshots(model).is_dir()


def local_path(model: str) -> Path | None:
    p = Path(model).expanduser()
    return p if p.exists() else None
