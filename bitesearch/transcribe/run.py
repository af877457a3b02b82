"""A recording transcribed block by block on the engine's workers, into one `Transcript`."""

from __future__ import annotations

import hashlib
import json
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict
from typing import TYPE_CHECKING

from bitesearch.audio import Block
from bitesearch.models import Segment, Transcript
from bitesearch.transcribe.common import Engine, TranscribeOptions, shifted
from bitesearch.transcribe.engines import load_engine

if TYPE_CHECKING:
    import numpy as np


def transcript_key(source_sha256: str, options: TranscribeOptions) -> str:
    """What a transcript depends on: the audio, the engine, the model and the settings."""
    payload = json.dumps([source_sha256, asdict(options)], sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def transcribe(
    audio: np.ndarray,
    options: TranscribeOptions,
    key: str = "",
    on_progress: Callable[[float], None] | None = None,
    engine: Engine | None = None,
) -> Transcript:
    """Transcribe 16 kHz mono samples; on_progress gets the audio seconds done so far."""
    return transcribe_blocks([Block(0.0, audio)], options, key, on_progress, engine)


def transcribe_blocks(
    blocks: Iterable[Block],
    options: TranscribeOptions,
    key: str = "",
    on_progress: Callable[[float], None] | None = None,
    engine: Engine | None = None,
    on_block: Callable[[Block, list[Segment]], None] | None = None,
    workers: int = 0,
) -> Transcript:
    """Transcribe a recording block by block, `workers` blocks at once (default: as many as
    the engine has workers); only those blocks are held in memory. on_block(block, its
    segments) runs in the worker as each block is done (the voice embeddings use the same
    samples); on_progress gets the audio seconds done, in order."""
    engine = engine or load_engine(options)
    workers = workers or engine.workers
    segments: list[Segment] = []
    duration = 0.0

    def work(block: Block) -> list[Segment]:
        found = [shifted(s, block.offset) for s in engine.transcribe(block.samples, options)]
        if on_block:
            on_block(block, found)
        return found

    with ThreadPoolExecutor(max_workers=workers) as pool:
        waiting: deque[tuple[float, Future[list[Segment]]]] = deque()
        source = iter(blocks)
        while True:
            while len(waiting) <= workers and (block := next(source, None)) is not None:
                waiting.append((block.end, pool.submit(work, block)))
            if not waiting:
                break
            end, future = waiting.popleft()
            segments.extend(future.result())
            duration = end
            if on_progress:
                on_progress(duration)
    return Transcript(
        engine=engine.name,
        model=options.model,
        settings=options.settings(),
        language=options.language,
        duration=round(duration, 3),
        segments=segments,
        key=key,
    )
