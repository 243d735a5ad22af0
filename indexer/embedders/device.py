"""The one place where the compute device is chosen."""
from __future__ import annotations

import glob
import os
import sys

from mediasearch.store.errors import ConfigError, ModelUnavailableError

VALID = ("auto", "cpu", "cuda", "mps")


def check_device(setting: str) -> str:
    """The setting, validated without importing torch (for lazy loaders)."""
    setting = (setting or "auto").lower()
    if setting not in VALID and not setting.startswith("cuda:"):
        raise ConfigError(f"unknown device {setting!r}: use one of {', '.join(VALID)}")
    return setting


def _maybe_accelerated() -> bool:
    """False when PyTorch could only answer "cpu": Linux with no NVIDIA (or
    ROCm) device node. Importing torch to ask costs 2.6 s of a start that
    then runs on ONNX Runtime alone. Elsewhere (macOS's MPS, Windows) torch
    is asked."""
    if not sys.platform.startswith("linux"):
        return True
    return bool(glob.glob("/dev/nvidia[0-9]*")) or os.path.exists("/dev/kfd")


def cpu_threads() -> int:
    """The threads PyTorch would use by default (OMP_NUM_THREADS obeyed),
    without importing it: for ONNX Runtime started alone."""
    try:
        return max(1, int(os.environ.get("OMP_NUM_THREADS", "")))
    except ValueError:
        pass
    if hasattr(os, "sched_getaffinity"):  # Linux: the CPUs this process may use
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def ort_providers(setting: str = "auto") -> list[str]:
    """ONNX Runtime's execution providers for a device setting: CUDA where
    onnxruntime-gpu sees a GPU (``mediasearch[gpu]``), else the CPU. A GPU
    asked for by name and not there is an error, never a quiet CPU run."""
    setting = check_device(setting)
    if setting == "cpu":
        return ["CPUExecutionProvider"]
    import onnxruntime as ort

    available = ort.get_available_providers()
    if setting.startswith("cuda") or setting == "auto":
        if "CUDAExecutionProvider" in available:
            return ["CUDAExecutionProvider", "CPUExecutionProvider"]
        if setting != "auto":
            raise ConfigError("MEDIASEARCH_DEVICE asks for cuda, but ONNX Runtime has no CUDA provider here "
                              "(pip install 'mediasearch[gpu]' on a machine with an NVIDIA GPU)")
    if setting == "mps":
        if "CoreMLExecutionProvider" not in available:
            raise ConfigError("MEDIASEARCH_DEVICE asks for mps, but ONNX Runtime has no CoreML provider here")
        return ["CoreMLExecutionProvider", "CPUExecutionProvider"]
    return ["CPUExecutionProvider"]


def pick_device(setting: str = "auto") -> str:
    setting = check_device(setting)
    if setting in ("auto", "cpu") and (setting == "cpu" or not _maybe_accelerated()):
        return "cpu"
    try:
        import torch
    except ImportError as e:  # open_clip's own PyTorch path; its callers say which extra brings it
        raise ModelUnavailableError("PyTorch is not installed: pip install 'mediasearch[torch]'") from e

    if setting == "auto":
        if torch.cuda.is_available():
            return "cuda"
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return "mps"
        return "cpu"
    if setting.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError("MEDIASEARCH_DEVICE asks for cuda but no CUDA device is available")
    return setting
