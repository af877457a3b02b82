"""Tensors from a PyTorch checkpoint (`torch.save`) as numpy arrays, without importing torch.

A checkpoint is pickled Python objects whose tensors point into raw storages kept beside the
pickle. Both of torch's layouts are read:

- legacy (before torch 1.6, e.g. resemblyzer's `pretrained.pt`): five pickles in a row (magic
  number, protocol version, system info, the object, the storage keys), then each storage as
  an int64 element count and its little-endian bytes, in the order of the keys;
- zip (torch 1.6 and later): `<name>/data.pkl`, and each storage in `<name>/data/<key>`.

The unpickler is restricted: it builds dicts, numbers, strings and tensors, and refuses any
other class, so reading a checkpoint runs no code from it.
"""

from __future__ import annotations

import collections
import pickle
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from bitesearch.errors import BitesearchError

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C  # torch.serialization.MAGIC_NUMBER
STORAGE_TYPES = {
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ShortStorage": np.int16,
    "CharStorage": np.int8,
    "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}


@dataclass
class _Storage:
    key: str
    dtype: np.dtype[Any]


@dataclass
class _Tensor:
    """A tensor not yet read: where its elements lie in a storage."""

    storage: _Storage
    offset: int
    shape: tuple[int, ...]
    stride: tuple[int, ...]


def _rebuild_tensor(storage: _Storage, offset: int, shape: Any, stride: Any, *_: Any) -> _Tensor:
    return _Tensor(storage, offset, tuple(shape), tuple(stride))


class _Unpickler(pickle.Unpickler):
    def __init__(self, handle: IO[bytes]) -> None:
        super().__init__(handle)
        self.storages: dict[str, _Storage] = {}

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor
        if module == "torch" and name in STORAGE_TYPES:
            return np.dtype(STORAGE_TYPES[name]).newbyteorder("<")
        raise pickle.UnpicklingError(f"a checkpoint may not hold {module}.{name}")

    def persistent_load(self, pid: Any) -> _Storage:
        kind, dtype, key = pid[:3]  # then the device and the element count
        if kind != "storage" or not isinstance(dtype, np.dtype):
            raise pickle.UnpicklingError(f"unknown persistent id {pid!r}")
        return self.storages.setdefault(str(key), _Storage(str(key), dtype))


def read_checkpoint(path: Path, part: str | None = None) -> Any:
    """The object saved in path (or its item `part`, when it is a dict), with each tensor a
    numpy array. Only the tensors in what is returned are read from the file."""
    try:
        if zipfile.is_zipfile(path):
            return _read_zip(path, part)
        with path.open("rb") as handle:
            return _read_legacy(handle, part)
    except (OSError, pickle.UnpicklingError, EOFError, KeyError, ValueError, struct.error) as exc:
        raise BitesearchError(f"cannot read the checkpoint {path}: {exc}") from None


def _read_legacy(handle: IO[bytes], part: str | None) -> Any:
    if pickle.load(handle) != LEGACY_MAGIC:
        raise ValueError("not a torch checkpoint")
    pickle.load(handle)  # protocol version
    if not pickle.load(handle).get("little_endian", True):
        raise ValueError("a big-endian checkpoint")
    unpickler = _Unpickler(handle)
    obj = unpickler.load()
    obj = obj if part is None else obj[part]
    wanted = {t.storage.key for t in _tensors(obj)}
    data: dict[str, np.ndarray] = {}
    for key in pickle.load(handle):
        storage = unpickler.storages[key]
        (count,) = struct.unpack("<q", handle.read(8))
        size = count * storage.dtype.itemsize
        if key in wanted:
            data[key] = np.frombuffer(handle.read(size), dtype=storage.dtype)
        else:
            handle.seek(size, 1)  # a storage not asked for (resemblyzer's optimiser state)
    return _fill(obj, data)


def _read_zip(path: Path, part: str | None) -> Any:
    with zipfile.ZipFile(path) as archive:
        (pkl,) = [n for n in archive.namelist() if n.endswith("data.pkl")]
        prefix = pkl.removesuffix("data.pkl")
        with archive.open(pkl) as handle:
            obj = _Unpickler(handle).load()
        obj = obj if part is None else obj[part]
        data = {}
        for key, storage in {t.storage.key: t.storage for t in _tensors(obj)}.items():
            raw = archive.read(f"{prefix}data/{key}")
            data[key] = np.frombuffer(raw, dtype=storage.dtype)
    return _fill(obj, data)


def _tensors(obj: Any) -> list[_Tensor]:
    """The tensors in obj (nested in dicts, lists and tuples)."""
    if isinstance(obj, _Tensor):
        return [obj]
    values = obj.values() if isinstance(obj, dict) else obj if isinstance(obj, list | tuple) else ()
    return [t for value in values for t in _tensors(value)]


def _fill(obj: Any, data: dict[str, np.ndarray]) -> Any:
    """obj with each tensor replaced by its array (a copy: contiguous and writable)."""
    if isinstance(obj, _Tensor):
        return _array(obj, data[obj.storage.key])
    if isinstance(obj, dict):
        return type(obj)((k, _fill(v, data)) for k, v in obj.items())
    if isinstance(obj, list | tuple):
        return type(obj)(_fill(v, data) for v in obj)
    return obj


def _array(tensor: _Tensor, flat: np.ndarray) -> np.ndarray:
    if 0 in tensor.shape:
        return np.zeros(tensor.shape, dtype=flat.dtype)
    reach = sum((n - 1) * s for n, s in zip(tensor.shape, tensor.stride, strict=True))
    last = tensor.offset + reach
    if tensor.offset < 0 or min(tensor.stride, default=0) < 0 or last >= len(flat):
        raise ValueError("a tensor reaches outside its storage")
    strides = [s * flat.dtype.itemsize for s in tensor.stride]
    view = np.lib.stride_tricks.as_strided(flat[tensor.offset :], tensor.shape, strides)
    return np.array(view)
