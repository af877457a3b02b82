"""The numpy MiniLM against sentence-transformers, and the vectors it stores.

test_same_vectors_as_sentence_transformers needs the dev extra `sentence-transformers` (and so
torch, the CPU build that `make setup` installs first); it is skipped when they are missing.
"""

import math
import os

import numpy as np
import pytest

from bitesearch.search.embed import DIMENSIONS, erf, model, model_dir

TEXTS = [
    "AI",
    "open data in local government",
    "We rebuilt everything in Power BI, with a single page for each team. " * 40,  # > 256 tokens
    "Dashboards clinicians actually use",
    "",
]


def test_same_vectors_as_sentence_transformers() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    st = pytest.importorskip("sentence_transformers")  # needs torch
    reference = st.SentenceTransformer(str(model_dir()), device="cpu").encode(TEXTS)
    ours = model().embed(TEXTS)
    assert ours.shape == (len(TEXTS), DIMENSIONS) and ours.dtype == np.float32
    assert np.abs(ours - reference).max() < 1e-5  # float32 rounding, not a different model
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


def test_erf_is_exact_to_float32() -> None:
    xs = np.linspace(-5, 5, 2001, dtype=np.float32)
    expected = np.array([math.erf(float(x)) for x in xs])
    assert np.abs(erf(xs.copy()) - expected).max() < 5e-7


def test_meaning_is_captured() -> None:
    a, b, c = model().embed(["machine learning", "artificial intelligence", "bin collections"])
    assert float(a @ b) > float(a @ c) + 0.2


def test_query_model_export_gives_the_same_vectors(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The transposed weights an index keeps for queries change the speed, not the vectors."""
    from bitesearch.search.embed import QUERY_META, QUERY_WEIGHTS, MiniLM, export_query_model

    export_query_model(tmp_path)
    written = (tmp_path / QUERY_WEIGHTS).stat().st_mtime_ns
    export_query_model(tmp_path)  # once per model: the second call writes nothing
    assert (tmp_path / QUERY_WEIGHTS).stat().st_mtime_ns == written
    fast = MiniLM(transposed=tmp_path)
    assert len(fast.transposed) == 36  # 6 layers x (query, key, value, output, in, out)
    plain = model().embed(TEXTS)
    assert np.abs(fast.embed(TEXTS) - plain).max() < 1e-6
    (tmp_path / QUERY_META).write_text('{"schema": 1, "source": "other weights"}')
    assert MiniLM(transposed=tmp_path).transposed == {}  # made from other weights: not used
