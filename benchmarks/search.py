"""Search at archive scale, measured in one run: speed, size, import cost and relevance.

    .venv/bin/python benchmarks/search.py [--archive DIR]

Builds (or reuses, in DIR) the synthetic archive of benchmarks/synthetic.py: 250 editions,
1,000 talks of about 1,200 words, from transcript files (no audio). Prints: the first index
build (which embeds every passage once) and then `reindex` (which reuses the vectors); query
latency in process (p50, p95 over 50 fixed queries, hybrid and keyword only); whole
`bitesearch query` processes beside `python -c pass`; the import time of the query path; the
index size on disk; and relevance (MRR and top-1, keyword only and hybrid) over the labelled
topic queries on the sample edition and the synthetic archive. Ratios are printed beside the
absolute figures because this machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
# as `bitesearch query` does: queries multiply small matrices, BLAS threads only cost time
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import synthetic
from timing import PROCESS_RUNS, process_seconds, timed

from bitesearch.archive import Archive
from bitesearch.search.query import QueryOptions, search
from bitesearch.search.store import SearchStore

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "recordings" / "sample"
QUERIES = [
    "open data", "dashboards", "AI", "data sharing", "privacy", "data quality", "census",
    "machine learning", "power bi", "open government licence", "net zero", "carbon emissions",
    "GIS", "maps of services", "patient data", "housing repairs", "damp and mould",
    "traffic sensors", "air quality", "data skills training", "data champions", "cloud platform",
    "data warehouse", "bias in algorithms", "GDPR", "small numbers suppressed", "metadata",
    "data strategy", "population estimates", "survey response rates", "hospital discharges",
    "health inequalities", "council homes", "journey times", "road safety", "recycling rates",
    "heat maps", "pipelines", "notebooks", "recruiting data engineers", "duplicate records",
    '"data sharing agreement"', "speaker:khan", "title:dashboards", "dashboard*", "licence~",
    "open data NOT portal", "AI AND bias", "flood warnings", "potholes",
]  # fmt: skip


def folder_bytes(folder: Path, pattern: str = "*") -> int:
    return sum(p.stat().st_size for p in folder.rglob(pattern) if p.is_file())


def build(archive: Archive) -> None:
    if not archive.recordings.is_dir():
        seconds, _ = timed(synthetic.build, archive.root)
        print(f"synthetic archive written in {seconds:.1f} s")
    editions = archive.editions()
    splits = [archive.load_split(e.id) for e in editions]
    talks = sum(len(s.talks) for s in splits if s)
    passages = [p for s in splits if s for p in s.passages]
    words = sum(len(p.text.split()) for p in passages)
    print(f"archive: {len(editions)} editions, {talks} talks, {len(passages)} passages, "
          f"{words:,} words ({words / talks:.0f} a talk)")  # fmt: skip
    if not any(archive.recordings.glob("*/embeddings.npy")) or not archive.index_dir.exists():
        # one BLAS thread: on a shared machine, more threads spin and wait (4x slower here)
        command = [sys.executable, "-m", "bitesearch", "--archive", str(archive.root), "reindex"]
        seconds, _ = timed(subprocess.run, command, check=True, capture_output=True)
        print(f"first index build (embeds every passage once): {seconds:.1f} s "
              f"({len(passages) / seconds:.0f} passages/s)")  # fmt: skip


def speed(archive: Archive) -> None:
    seconds, count = timed(lambda: SearchStore(archive).rebuild())
    print(f"reindex: {seconds:.1f} s for {count} passages (goal 60 s: {seconds / 60:.0%})")
    whoosh = folder_bytes(archive.index_dir, "*passages*")
    vectors = folder_bytes(archive.index_dir, "vectors*")
    tables = folder_bytes(archive.index_dir, "tables.*")
    model = folder_bytes(archive.index_dir, "query-model.*")
    cached = folder_bytes(archive.recordings, "embeddings.*")
    print(f"index on disk: {(whoosh + vectors + tables + model) / 1e6:.1f} MB (Whoosh "
          f"{whoosh / 1e6:.1f} MB, vectors {vectors / 1e6:.1f} MB, tables {tables / 1e6:.1f} MB, "
          f"query model {model / 1e6:.1f} MB); per-edition vector caches "
          f"{cached / 1e6:.1f} MB")  # fmt: skip
    for label, exact in (("hybrid", False), ("keyword only", True)):
        search(archive, "warm up", QueryOptions(exact=exact))
        latencies = sorted(
            timed(search, archive, q, QueryOptions(exact=exact))[0] * 1000 for q in QUERIES
        )
        p50 = statistics.median(latencies)
        p95 = latencies[int(len(latencies) * 0.95) - 1]
        print(f"query in process, {label}: p50 {p50:.1f} ms, p95 {p95:.1f} ms "
              f"({len(latencies)} queries; goals 20 / 100 ms)")  # fmt: skip


def processes(archive: Archive) -> None:
    floor = process_seconds([sys.executable, "-c", "pass"])
    command = [sys.executable, "-m", "bitesearch", "--archive", str(archive.root)]
    helped = process_seconds([*command, "--help"])
    hybrid = process_seconds([*command, "query", "open data"])
    exact = process_seconds([*command, "query", "open data", "--exact"])
    print(f"whole process, median of {PROCESS_RUNS}: python -c pass {floor:.3f} s | "
          f"bitesearch --help {helped:.3f} s ({helped / floor:.1f}x) | "
          f"query --exact {exact:.3f} s ({exact / floor:.1f}x) | "
          f"query hybrid {hybrid:.3f} s ({hybrid / floor:.1f}x; goal 0.5 s)")  # fmt: skip
    imports(archive)


def imports(archive: Archive) -> None:
    """The query process's import time by top-level package (python -X importtime)."""
    command = [sys.executable, "-X", "importtime", "-m", "bitesearch", "--archive",
               str(archive.root), "query", "open data"]  # fmt: skip
    err = subprocess.run(command, check=True, capture_output=True, text=True).stderr
    totals: dict[str, int] = {}
    for line in err.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", line)
        if match and len(match.group(3)) == 1:  # a top-level import: its cumulative time
            name = match.group(4).split(".")[0]
            totals[name] = totals.get(name, 0) + int(match.group(2))
    top = sorted(totals.items(), key=lambda t: -t[1])[:8]
    print(
        f"query process imports: {sum(totals.values()) / 1e6:.3f} s in all; "
        + ", ".join(f"{n} {us / 1e6:.3f}" for n, us in top)
    )
    print(f"  torch imported: {'torch' in totals}")


def same_as_torch() -> None:
    """The numpy query vectors beside sentence-transformers' (torch), when it is installed."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError:
        print("query vectors against torch: skipped (sentence-transformers is not installed)")
        return
    import numpy as np

    from bitesearch.search.embed import model, model_dir

    reference = SentenceTransformer(str(model_dir()), device="cpu").encode(QUERIES)
    ours = model().embed(QUERIES)
    print(f"query vectors against sentence-transformers (torch), {len(QUERIES)} queries: "
          f"largest difference {np.abs(ours - reference).max():.1e}")  # fmt: skip


def rank_of(archive: Archive, query: str, talk_id: str, exact: bool) -> int | None:
    hits = search(archive, query, QueryOptions(limit=10, exact=exact)).hits
    return next((n for n, h in enumerate(hits, start=1) if h.talk_id == talk_id), None)


def relevance(sample: Archive, archive: Archive) -> None:
    cases = [(sample, q, f"data-bites-056/{slot}") for q, slot in synthetic.SAMPLE_LABELLED]
    for n, subject in enumerate(synthetic.LABELLED):
        index = synthetic.labelled_slot(n)
        talk = f"data-bites-{index // 4 + 1:03d}/{index % 4 + 1}"
        cases.append((archive, subject.query, talk))
    rows = []
    for where, query, talk in cases:
        rows.append(
            (query, talk, rank_of(where, query, talk, True), rank_of(where, query, talk, False))
        )
    on_sample = len(synthetic.SAMPLE_LABELLED)
    print(f"relevance: {len(rows)} labelled topic queries "
          f"({on_sample} on the sample edition, the rest synthetic)")  # fmt: skip
    print(f"  {'query':<46} {'talk':<20} keyword  hybrid")
    for query, talk, keyword, hybrid in rows:
        worse = "  <- worse" if (hybrid or 99) > (keyword or 99) else ""
        print(f"  {query:<46} {talk:<20} {keyword or '-':>7}  {hybrid or '-':>6}{worse}")
    for label, column in (("keyword only", 2), ("hybrid", 3)):
        ranks = [r[column] for r in rows]
        mrr = sum(1 / r for r in ranks if r) / len(ranks)
        top1 = sum(1 for r in ranks if r == 1) / len(ranks)
        print(f"  {label:<13} MRR {mrr:.3f}  top-1 {top1:.0%}")
    worse = sum(1 for r in rows if (r[3] or 99) > (r[2] or 99))
    print(f"  queries where hybrid ranks the talk lower than keyword only: {worse}")


def sample_archive(folder: Path) -> Archive:
    from bitesearch.ingest.recording import IngestOptions, ingest

    archive = Archive(folder)
    if not archive.index_dir.exists():
        ingest(archive, SAMPLE / "edition.mp3", IngestOptions(programme=SAMPLE / "programme.toml"))
    SearchStore(archive).rebuild()  # kept from an earlier run: index it as this version does
    return archive


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--archive", type=Path, help="keep the synthetic archive here")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="bitesearch-search-"))
    archive = Archive((args.archive or scratch / "synthetic").resolve())
    try:
        build(archive)
        speed(archive)
        processes(archive)
        relevance(sample_archive(archive.root.parent / "sample-archive"), archive)
        same_as_torch()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
