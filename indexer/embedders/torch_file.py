"""Read a PyTorch checkpoint's tensors into NumPy without PyTorch.

The bundled model's EfficientNet-Lite2 ships as a ``.pth`` in PyTorch's
legacy (pre-1.6, non-zip) format: a few pickles, then the raw storages. This
reads it with a *restricted* unpickler: only an ordered dict, the tensor
rebuild call and the storage types are known names; anything else in the
pickle (code to run) is refused, as ``torch.load(weights_only=True)`` does.
"""
from __future__ import annotations

import pickle
import struct
from collections import OrderedDict
from pathlib import Path

import numpy as np

from mediasearch.store.errors import ModelUnavailableError

MAGIC = 0x1950A86A20F9469CFC6C
DTYPES = {"FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
          "LongStorage": np.int64, "IntStorage": np.int32, "ShortStorage": np.int16,
          "CharStorage": np.int8, "ByteStorage": np.uint8, "BoolStorage": np.bool_}


class _Storage:
    def __init__(self, dtype, numel: int):
        self.dtype, self.numel, self.data = np.dtype(dtype), numel, None


class _Tensor:
    """A view of a storage, made real once the storages are read."""

    def __init__(self, storage: _Storage, offset: int, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, tuple(size), tuple(stride)

    def array(self) -> np.ndarray:
        flat = self.storage.data[self.offset:]
        item = flat.itemsize
        return np.lib.stride_tricks.as_strided(flat, self.size, [s * item for s in self.stride]).copy()


def _rebuild_tensor_v2(storage, offset, size, stride, *_rest):
    return _Tensor(storage, offset, size, stride)


class _Restricted(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) == ("collections", "OrderedDict"):
            return OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor_v2
        if module == "torch" and name in DTYPES:
            return name
        raise pickle.UnpicklingError(f"refused to load {module}.{name} from a weights file")

    def persistent_load(self, pid):
        kind, storage_type, key, _location, numel = pid[:5]
        if kind != "storage" or storage_type not in DTYPES:
            raise pickle.UnpicklingError(f"unknown storage {pid[:2]}")
        self.storages.setdefault(key, _Storage(DTYPES[storage_type], numel))
        return self.storages[key]


def read_legacy(path: Path) -> dict[str, np.ndarray]:
    """The state dict of a legacy-format ``.pth``: name -> array, in file order."""
    try:
        with open(path, "rb") as f:
            return _read(f)
    except (OSError, EOFError, pickle.UnpicklingError, struct.error, ValueError) as e:
        raise ModelUnavailableError(f"cannot read the weights file {path}: {e}") from e


def _read(f) -> dict[str, np.ndarray]:
    if pickle.load(f) != MAGIC:
        raise ValueError("not a legacy PyTorch file (zip checkpoints are read by PyTorch)")
    pickle.load(f)  # protocol version
    info = pickle.load(f)
    if not info.get("little_endian", True):
        raise ValueError("a big-endian checkpoint")
    unpickler = _Restricted(f)
    unpickler.storages = {}
    state = unpickler.load()
    for key in pickle.load(f):  # the storages follow, in this order: a count, then the bytes
        storage = unpickler.storages[key]
        (count,) = struct.unpack("<q", f.read(8))
        raw = f.read(count * storage.dtype.itemsize)
        if count != storage.numel or len(raw) != count * storage.dtype.itemsize:
            raise ValueError(f"storage {key} is truncated")
        storage.data = np.frombuffer(raw, dtype=storage.dtype)
    if not isinstance(state, dict):
        raise ValueError("the file holds no state dict")
    return {name: t.array() for name, t in state.items() if isinstance(t, _Tensor)}
