"""Passage vectors: made once per passage text, kept per edition, gathered beside the index.

    recordings/<edition>/embeddings.npy   one row per passage (float32, unit length)
    recordings/<edition>/embeddings.json  the model and a hash of each row's passage text
    index/vectors.npy                     every indexed passage's row, for the query path
    index/vectors.json                    the passage id and kind of each row (ids as runs:
                                          [edition, n] stands for edition/0 ... edition/n-1)

A passage is embedded only when its text (or the model) is new: `reindex` gathers the rows
from the editions' files, so rebuilding the index never runs the model for unchanged text.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bitesearch.archive import Archive, atomic_write, read_json, write_json
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
    import numpy as np

    meta = read_json(folder / EDITION_KEYS)
    if not meta or meta.get("model") != MODEL_NAME or not (folder / EDITION_VECTORS).is_file():
        return {}
    rows = np.load(folder / EDITION_VECTORS)
    if len(rows) != len(meta["keys"]):
        return {}
    return dict(zip(meta["keys"], rows, strict=True))


def _save(path: Path, matrix: np.ndarray) -> None:
    import numpy as np

    with atomic_write(path, "wb") as handle:
        np.save(handle, matrix.astype(np.float32))


def save_index(folder: Path, vectors: Vectors) -> None:
    """Write the index's vectors (ids last, so a reader never sees ids without rows)."""
    _save(folder / INDEX_VECTORS, vectors.matrix)
    runs: list[list[Any]] = []  # [edition id, passages]: ids are edition/0, edition/1, ...
    for pid in vectors.ids:
        edition, _, n = pid.rpartition("/")
        if runs and runs[-1][0] == edition and runs[-1][1] >= 0 and int(n) == runs[-1][1]:
            runs[-1][1] += 1
        elif n == "0":
            runs.append([edition, 1])
        else:
            runs.append([pid, -1])  # an id outside a run, kept whole
    data = {"schema": 1, "model": MODEL_NAME, "editions": runs, "kinds": vectors.kinds}
    write_json(folder / INDEX_IDS, data)


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
        matrix = np.load(folder / INDEX_VECTORS, mmap_mode="r")
    except (OSError, ValueError):
        return None
    ids = _ids(data.get("editions", []))
    if data.get("model") != MODEL_NAME or len(ids) != len(matrix):
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
