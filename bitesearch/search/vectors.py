"""Passage vectors: made once per passage text, kept per edition, gathered beside the index.

    recordings/<edition>/embeddings.npy   one row per passage (float32, unit length)
    recordings/<edition>/embeddings.json  the model and a hash of each row's passage text
    index/vectors-<token>.npy             every indexed passage's row, for the query path
    index/vectors.json                    the passage id and kind of each row (ids as runs:
                                          [edition, n] stands for edition/0 ... edition/n-1),
                                          the .npy file holding them, and the index they match

The index's rows and their ids are one unit: each new matrix goes to a file of its own name,
and vectors.json, written after it, names it; a run killed between the two leaves the old
vectors.json naming the old matrix, which is still there.

A passage is embedded only when its text (or the model) is new: `reindex` gathers the rows
from the editions' files, so rebuilding the index never runs the model for unchanged text.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bitesearch import faults
from bitesearch.archive import Archive, atomic_write, read_json, write_json
from bitesearch.errors import BitesearchError
from bitesearch.search.embed import DIMENSIONS, MODEL_NAME

if TYPE_CHECKING:
    import numpy as np

    from bitesearch.search.embed import MiniLM

EDITION_VECTORS = "embeddings.npy"
EDITION_KEYS = "embeddings.json"
INDEX_VECTORS = "vectors.npy"
INDEX_IDS = "vectors.json"


@dataclass
class Vectors:
    """Rows of unit vectors and, for each row, its passage id and kind."""

    ids: list[str]
    kinds: str  # one letter a row: t(alk), q(uestions), h(ost)
    matrix: np.ndarray

    def without_edition(self, edition_id: str) -> Vectors:
        keep = [i for i, pid in enumerate(self.ids) if pid.rpartition("/")[0] != edition_id]
        return Vectors([self.ids[i] for i in keep], "".join(self.kinds[i] for i in keep),
                       self.matrix[keep])  # fmt: skip


def text_key(text: str) -> str:
    return hashlib.sha256(f"{MODEL_NAME}\n{text}".encode()).hexdigest()[:16]


def edition_vectors(
    archive: Archive, edition_id: str, texts: list[str], model: MiniLM | None = None
) -> np.ndarray:
    """One row per text: reused from the edition's file when the text is unchanged, else
    embedded (and the file rewritten)."""
    import numpy as np

    folder = archive.edition_dir(edition_id)
    keys = [text_key(t) for t in texts]
    known = _cached(folder)
    missing = [i for i, k in enumerate(keys) if k not in known]
    rows = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
    for i, k in enumerate(keys):
        if k in known:
            rows[i] = known[k]
    if missing:
        from bitesearch.search.embed import model as default_model

        rows[missing] = (model or default_model()).embed([texts[i] for i in missing])
    if missing or len(known) != len(set(keys)):
        _save(folder / EDITION_VECTORS, rows)
        write_json(folder / EDITION_KEYS, {"schema": 1, "model": MODEL_NAME, "keys": keys})
    return rows


def _cached(folder: Path) -> dict[str, Any]:
    """The edition's cached rows by text key; empty when the cache is missing, made by another
    model, or damaged (its rows are then embedded again)."""
    import numpy as np

    try:
        meta = read_json(folder / EDITION_KEYS)
        if not meta or meta.get("model") != MODEL_NAME:
            return {}
        rows = np.load(folder / EDITION_VECTORS)
    except (OSError, ValueError, BitesearchError):
        return {}
    keys = meta.get("keys")
    if not isinstance(keys, list) or rows.ndim != 2 or len(rows) != len(keys):
        return {}
    if rows.shape[1] != DIMENSIONS:
        return {}
    return dict(zip(keys, rows, strict=True))


def _save(path: Path, matrix: np.ndarray) -> None:
    import numpy as np

    with atomic_write(path, "wb") as handle:
        np.save(handle, matrix.astype(np.float32))


def save_index(folder: Path, vectors: Vectors, index: str = "") -> None:
    """Write the index's vectors as one unit: the matrix under a new name, then vectors.json
    naming it (and `index`, the stamp of the index they match), then the old matrices go."""
    matrix = f"vectors-{secrets.token_hex(6)}.npy"
    _save(folder / matrix, vectors.matrix)
    faults.point("vectors-matrix")
    runs: list[list[Any]] = []  # [edition id, passages]: ids are edition/0, edition/1, ...
    for pid in vectors.ids:
        edition, _, n = pid.rpartition("/")
        if runs and runs[-1][0] == edition and runs[-1][1] >= 0 and int(n) == runs[-1][1]:
            runs[-1][1] += 1
        elif n == "0":
            runs.append([edition, 1])
        else:
            runs.append([pid, -1])  # an id outside a run, kept whole
    data = {"schema": 2, "model": MODEL_NAME, "matrix": matrix, "index": index,
            "editions": runs, "kinds": vectors.kinds}  # fmt: skip
    write_json(folder / INDEX_IDS, data)
    for old in folder.glob("vectors*.npy"):
        if old.name != matrix:
            old.unlink(missing_ok=True)


def index_stamp(folder: Path) -> str | None:
    """The stamp of the index the vectors were made for (None: no readable vectors.json)."""
    try:
        data = json.loads((folder / INDEX_IDS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return str(data.get("index", "")) if isinstance(data, dict) else None


def _ids(runs: list[list[Any]]) -> list[str]:
    ids: list[str] = []
    for name, count in runs:
        ids += [name] if count < 0 else [f"{name}/{n}" for n in range(count)]
    return ids


def load_index(folder: Path) -> Vectors | None:
    """The index's vectors, memory-mapped; None when there are none (or they do not match)."""
    import numpy as np

    try:
        data = json.loads((folder / INDEX_IDS).read_text(encoding="utf-8"))
        name = str(data.get("matrix") or INDEX_VECTORS)
        if "/" in name or "\\" in name or not name.startswith("vectors"):
            return None
        matrix = np.load(folder / name, mmap_mode="r")
        ids = _ids(data.get("editions", []))
    except (OSError, ValueError, TypeError, AttributeError):
        return None
    if data.get("model") != MODEL_NAME or len(ids) != len(matrix) or matrix.ndim != 2:
        return None
    if matrix.shape[1] != DIMENSIONS or len(data.get("kinds", "")) != len(ids):
        return None
    return Vectors(ids, data["kinds"], matrix)


def empty() -> Vectors:
    import numpy as np

    return Vectors([], "", np.zeros((0, DIMENSIONS), dtype=np.float32))


def concat(parts: list[Vectors]) -> Vectors:
    import numpy as np

    if not parts:
        return empty()
    ids = [pid for p in parts for pid in p.ids]
    kinds = "".join(p.kinds for p in parts)
    return Vectors(ids, kinds, np.concatenate([np.asarray(p.matrix) for p in parts]))
