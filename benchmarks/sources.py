"""A podcast feed ingested twice, side by side: the second run should do (next to) nothing.

    .venv/bin/python benchmarks/sources.py

Serves a feed of three editions (12-second clips of the sample) from the test server on
127.0.0.1, ingests it into a fresh archive, ingests it again, then adds a fourth edition and
ingests once more. Prints each run's seconds, what it did, and the ratio to the first run.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the test server and feed builder live in tests/

from bitesearch.archive import Archive  # noqa: E402
from bitesearch.audio import ffmpeg_exe  # noqa: E402
from bitesearch.ingest.batch import ingest_sources  # noqa: E402
from bitesearch.ingest.recording import IngestOptions  # noqa: E402
from bitesearch.sources.common import SourceOptions  # noqa: E402
from bitesearch.sources.fetch import FetchOptions  # noqa: E402
from tests import httpserver  # noqa: E402
from tests.sitedata import THREE, Episode, serve_feed  # noqa: E402

# the benchmark's feed is served on 127.0.0.1, which ingest refuses unless asked
LOOPBACK = SourceOptions(fetch=FetchOptions(allow_private_network=True))
SPANS = [(0.0, 12.0), (70.0, 82.0), (150.0, 162.0), (200.0, 212.0)]


def clips(folder: Path) -> list[Path]:
    made = []
    for n, (start, end) in enumerate(SPANS, start=1):
        target = folder / f"edition-{n}.mp3"
        command = [ffmpeg_exe(), "-nostdin", "-v", "error", "-y", "-ss", str(start),
                   "-t", str(end - start), "-i", str(ROOT / "recordings/sample/edition.mp3"),
                   "-ac", "1", "-ar", "16000", str(target)]  # fmt: skip
        subprocess.run(command, check=True)
        made.append(target)
    return made


def timed_run(archive: Archive, feed: str) -> tuple[float, list[str]]:
    began = time.perf_counter()
    reports = list(ingest_sources(archive, [feed], IngestOptions(), LOOPBACK, lambda item: None))
    return time.perf_counter() - began, [r.status for r in reports]


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="bitesearch-sources-"))
    audio = clips(work)
    server, httpd = httpserver.start()
    try:
        archive = Archive(work / "archive")
        feed = serve_feed(server, audio[:3], THREE)
        first, statuses = timed_run(archive, feed)
        print(f"first run  (3 new editions):  {first:7.3f} s  {statuses}")
        server.log.clear()
        second, statuses = timed_run(archive, feed)
        audio_requests = [r.path for r in server.log if r.path.startswith("/audio/")]
        print(
            f"second run (nothing new):     {second:7.3f} s  {statuses}  "
            f"= {second / first:.1%} of the first ({second and first / second:.0f}x faster); "
            f"{len(server.log)} requests, {len(audio_requests)} of them for audio"
        )
        serve_feed(server, audio, [*THREE, Episode(4, "2026-04-08", "/audio/ep4.mp3")])
        third, statuses = timed_run(archive, feed)
        print(f"third run  (1 new edition):   {third:7.3f} s  {statuses}  = {third / first:.1%}")
    finally:
        httpd.shutdown()


if __name__ == "__main__":
    main()
