"""The end-to-end pipeline on the bundled sample edition, measured in one run.

    .venv/bin/python benchmarks/pipeline.py

Prints: each ingest stage's seconds and the real-time factor of transcription (first run), the
whole second run beside the first (it should do no work), and query latency both in process and
as a whole `bitesearch query` process beside `python -c pass` (the floor of any Python command).
Ratios are printed beside the absolute figures because this machine is noisy.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import PROCESS_RUNS, process_seconds, timed

from bitesearch.archive import Archive
from bitesearch.ingest.recording import IngestOptions, ingest
from bitesearch.search.query import search

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "recordings" / "sample"
QUERIES = ["open data", "dashboards", "AI", "artificial intelligence", "licence", "power bi"]


def main() -> None:
    archive = Archive(Path(tempfile.mkdtemp(prefix="bitesearch-bench-")) / "archive")
    options = IngestOptions(programme=SAMPLE / "programme.toml")
    first_s, first = timed(ingest, archive, SAMPLE / "edition.mp3", options)
    second_s, second = timed(ingest, archive, SAMPLE / "edition.mp3", options)
    stages = first.stages  # type: ignore[attr-defined]
    duration = first.duration  # type: ignore[attr-defined]
    print(f"sample edition: {duration:.1f} s of audio, {first.talks} talks")  # type: ignore[attr-defined]
    print("first ingest, seconds by stage:")
    for name, seconds in stages.items():
        print(f"  {name:<11} {seconds:7.2f}")
    print(f"  {'total':<11} {first_s:7.2f}")
    print(f"transcription real-time factor: {stages['transcribe'] / duration:.3f}")
    print(f"not transcription: {(first_s - stages['transcribe']) / first_s:.1%} of the ingest")
    print(
        f"second ingest (nothing to do): {second_s:.3f} s = {second_s / first_s:.2%} of the first"
    )
    print(f"  status: {second.status}")  # type: ignore[attr-defined]

    search(archive, "warm up")
    latencies = []
    for _ in range(20):
        for query in QUERIES:
            seconds, _ = timed(search, archive, query)
            latencies.append(seconds * 1000)
    latencies.sort()
    p50 = statistics.median(latencies)
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    print(f"query in process: p50 {p50:.1f} ms, p95 {p95:.1f} ms ({len(latencies)} queries)")
    floor = process_seconds([sys.executable, "-c", "pass"])
    command = [sys.executable, "-m", "bitesearch", "--archive", str(archive.root)]
    whole = process_seconds([*command, "query", "open data"])
    helped = process_seconds([*command, "--help"])
    print(f"whole process, median of {PROCESS_RUNS}: python -c pass {floor:.3f} s | "
          f"bitesearch --help {helped:.3f} s | bitesearch query {whole:.3f} s "
          f"({whole / floor:.1f}x the floor)")  # fmt: skip


if __name__ == "__main__":
    main()
