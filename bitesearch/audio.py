"""Audio in and out: check a file really is audio, hash it, decode it for Whisper, cut clips.

PyAV (which faster-whisper already needs, and which ships its own FFmpeg libraries) probes and
decodes; the ffmpeg binary from imageio-ffmpeg encodes the clips pydub cuts, so nothing has to be
installed by hand.
"""

from __future__ import annotations

import hashlib
import subprocess
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bitesearch.archive import atomic_write
from bitesearch.errors import BitesearchError

if TYPE_CHECKING:
    import numpy as np

WHISPER_RATE = 16_000  # Whisper models take 16 kHz mono
CLIP_RATE = 22_050  # per-talk clips: podcast-quality speech (half the encoding of 44.1 kHz)
CLIP_BITRATE = "64k"
CLIP_IN_MEMORY = 20 * 60.0  # seconds: longer clips stream through ffmpeg instead of pydub
CLIP_FADE_MS = 250  # a short fade so a clip does not start or stop with a click
BLOCK_SECONDS = 120.0  # long recordings are decoded and transcribed this much at a time
CUT_SEARCH = 15.0  # a block ends at the quietest moment of its last 15 s


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def probe(path: Path) -> float:
    """The duration in seconds of the audio in path; BitesearchError when it is not audio."""
    if not path.exists():
        raise BitesearchError(f"no such file: {path}")
    if not path.is_file():
        raise BitesearchError(f"{path} is not a file")
    if path.stat().st_size == 0:
        raise BitesearchError(f"{path} is empty (0 bytes): nothing to transcribe")
    import av

    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise BitesearchError(f"{path} has no audio stream")
            stream = container.streams.audio[0]
            duration = _declared_duration(container, stream)
            decoded = _decode_seconds(container, stream, limit=None if duration else 1e9)
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise BitesearchError(
            f"{path} is not an audio or video file ffmpeg can read ({exc.__class__.__name__})"
        ) from None
    duration = duration or decoded
    if duration <= 0 or decoded <= 0:
        raise BitesearchError(f"{path} holds no audio (zero length)")
    return duration


def _declared_duration(container: object, stream: object) -> float:
    import av

    if getattr(container, "duration", None):
        return float(container.duration) / av.time_base  # type: ignore[attr-defined]
    if getattr(stream, "duration", None) and getattr(stream, "time_base", None):
        return float(stream.duration * stream.time_base)  # type: ignore[attr-defined]
    return 0.0


def _decode_seconds(container: object, stream: object, limit: float | None) -> float:
    """Decode up to limit seconds (default: the first few frames) to prove the audio is real."""
    seconds = 0.0
    for frames, frame in enumerate(container.decode(stream), start=1):  # type: ignore[attr-defined]
        seconds += frame.samples / float(frame.sample_rate or 1)
        if limit is None and frames >= 8:
            break
        if limit is not None and seconds >= limit:
            break
    return seconds


def decode_for_whisper(path: Path) -> np.ndarray:
    """The whole recording as 16 kHz mono float32 samples (for short clips: long recordings
    go through `stream_blocks`)."""
    from faster_whisper.audio import decode_audio

    return decode_audio(str(path), sampling_rate=WHISPER_RATE)


@dataclass
class Block:
    """A stretch of a recording: 16 kHz mono float32 samples from `offset` seconds."""

    offset: float
    samples: np.ndarray

    @property
    def end(self) -> float:
        return self.offset + len(self.samples) / WHISPER_RATE


def stream_blocks(path: Path, seconds: float = BLOCK_SECONDS) -> Iterator[Block]:
    """The recording in blocks of about `seconds`, each cut at the quietest moment near its
    end (so no word is cut in two), decoded as they are needed: a 3-hour recording never sits
    in memory whole. A last scrap shorter than CUT_SEARCH joins the block before it."""
    import numpy as np

    size = int(seconds * WHISPER_RATE)
    reach = min(int(CUT_SEARCH / 2 * WHISPER_RATE), size // 2)
    held: Block | None = None
    buffer = np.zeros(0, dtype=np.int16)
    offset = 0
    for piece in _pcm(path, size + reach):
        buffer = np.concatenate([buffer, piece])
        while len(buffer) >= size + reach:
            cut = _quiet_cut(buffer, size - reach, size + reach)
            if held is not None:
                yield held
            held = Block(offset / WHISPER_RATE, buffer[:cut].astype(np.float32) / 32768.0)
            offset += cut
            buffer = buffer[cut:]
    tail = buffer.astype(np.float32) / 32768.0
    if held is not None and len(tail) < 2 * reach:
        held = Block(held.offset, np.concatenate([held.samples, tail]))
    elif len(tail):
        if held is not None:
            yield held
        held = Block(offset / WHISPER_RATE, tail)
    if held is not None:
        yield held


def _pcm(path: Path, size: int) -> Iterator[np.ndarray]:
    """16 kHz mono 16-bit samples of path, in pieces of about `size` samples."""
    import av
    import numpy as np

    resampler = av.AudioResampler(format="s16", layout="mono", rate=WHISPER_RATE)
    pending: list[np.ndarray] = []
    held = 0
    with av.open(str(path), metadata_errors="ignore") as container:
        for frame in _frames(container):
            for out in resampler.resample(frame):
                pending.append(out.to_ndarray().reshape(-1))
                held += pending[-1].size
            if held >= size:
                yield np.concatenate(pending)
                pending, held = [], 0
    if pending:
        yield np.concatenate(pending)


def _frames(container: Any) -> Iterator[Any]:
    """The audio frames of container, skipping damaged ones, then None to flush the resampler."""
    import av

    frames = container.decode(audio=0)
    while True:
        try:
            frame = next(frames)
        except StopIteration:
            break
        except av.error.InvalidDataError:
            continue
        frame.pts = None  # the resampler must not check timestamps of a damaged stream
        yield frame
    yield None


def _quiet_cut(samples: np.ndarray, start: int, end: int) -> int:
    """The middle of the quietest 100 ms of samples[start:end]."""
    import numpy as np

    frame = WHISPER_RATE // 10
    region = samples[start:end].astype(np.float32)
    n = len(region) // frame
    if n == 0:
        return end
    energy = np.square(region[: n * frame].reshape(n, frame)).mean(axis=1)
    return start + int(np.argmin(energy)) * frame + frame // 2


@cache
def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


def cut_clip(source: Path, start: float, end: float, target: Path) -> None:
    """Cut [start, end) of source into an MP3 clip at target (atomically). An MP3 recording's
    frames are copied as they are (no decoding or encoding: a 3-hour edition's clips took 40 s
    to encode, about 13 % of its ingest); other recordings are decoded, faded in and out and
    encoded, with pydub for a talk, streamed through ffmpeg for a span too long to hold in
    memory."""
    if codec(source) == "mp3":
        _copy_clip(source, start, end, target)
        return
    if end - start > CLIP_IN_MEMORY:
        _stream_clip(source, start, end, target)
        return
    with warnings.catch_warnings():  # pydub warns when ffmpeg is not on PATH; we give it one
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        from pydub import AudioSegment

    AudioSegment.converter = ffmpeg_exe()
    raw = _decode_span(source, start, end)
    clip = AudioSegment(data=raw, sample_width=2, frame_rate=CLIP_RATE, channels=1)
    clip = clip.fade_in(CLIP_FADE_MS).fade_out(CLIP_FADE_MS)
    with atomic_write(target, "wb") as out:
        clip.export(out, format="mp3", bitrate=CLIP_BITRATE)


def _stream_clip(source: Path, start: float, end: float, target: Path) -> None:
    """What cut_clip does, in one ffmpeg process that never holds the span (an hour of
    22 kHz audio is 160 MB in pydub, and each fade copies it)."""
    fade = CLIP_FADE_MS / 1000
    length = end - start
    command = [
        ffmpeg_exe(), "-nostdin", "-v", "error", "-y",
        "-ss", f"{start:.3f}", "-t", f"{length:.3f}", "-i", str(source), "-vn", "-ac", "1",
        "-ar", str(CLIP_RATE), "-b:a", CLIP_BITRATE, "-f", "mp3",
        "-af", f"afade=t=in:d={fade},afade=t=out:st={length - fade:.3f}:d={fade}",
    ]  # fmt: skip
    _ffmpeg_into(target, command, source)


def _copy_clip(source: Path, start: float, end: float, target: Path) -> None:
    """[start, end) of an MP3 recording as its own MP3 frames (to within a frame, 26 ms)."""
    command = [
        ffmpeg_exe(), "-nostdin", "-v", "error", "-y",
        "-ss", f"{start:.3f}", "-t", f"{end - start:.3f}", "-i", str(source),
        "-map", "0:a:0", "-c:a", "copy", "-f", "mp3",
    ]  # fmt: skip
    _ffmpeg_into(target, command, source)


def _ffmpeg_into(target: Path, command: list[str], source: Path) -> None:
    """Run ffmpeg writing to stdout into target; a failed cut leaves no clip behind."""
    with atomic_write(target, "wb") as out:
        result = subprocess.run([*command, "-"], stdout=out, stderr=subprocess.PIPE, check=False)
        if result.returncode != 0:
            message = result.stderr.decode(errors="replace").strip().splitlines()
            raise BitesearchError(f"could not cut a clip from {source}: {message[-1:]}")


@cache
def codec(path: Path) -> str:
    """The codec of a recording's first audio stream ("" when PyAV cannot tell)."""
    import av

    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            name = str(container.streams.audio[0].codec_context.name)
    except (av.error.FFmpegError, IndexError, UnicodeDecodeError, ValueError):
        return ""
    return "mp3" if name == "mp3float" else name  # FFmpeg's float MP3 decoder


def _decode_span(source: Path, start: float, end: float) -> bytes:
    """16-bit mono PCM of [start, end) of source; ffmpeg seeks, so long files stay cheap."""
    command = [
        ffmpeg_exe(), "-nostdin", "-v", "error",
        "-ss", f"{start:.3f}", "-t", f"{max(end - start, 0.01):.3f}", "-i", str(source),
        "-vn", "-ac", "1", "-ar", str(CLIP_RATE), "-f", "s16le", "-",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, check=False)
    if result.returncode != 0:
        message = result.stderr.decode(errors="replace").strip().splitlines()
        raise BitesearchError(f"could not cut a clip from {source}: {message[-1:]}")
    return result.stdout
