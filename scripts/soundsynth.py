"""The non-speech sounds of a recording, made with numpy: a clapping crowd and a short pop tune.

Both exist to test that speech recognition stays quiet where nobody speaks, so they are made
to sound like the real thing rather than like noise:

* applause: dozens of clappers, each with their own hands (a resonant band of 0.6-2.8 kHz), own
  tempo, loudness (distance) and moment they join and stop, a few rising "whoo"s, in a hall's
  reverb;
* music: a four-chord progression (bright, saw-like pads), a bass line, a plucked melody, a
  drum kit (kick, snare, closed hi-hat) at a steady tempo, and a wordless sung line ("na", "oh"
  on the chord notes: a buzzing source through vowel formants), the part most like a voice.
"""

from __future__ import annotations

import numpy as np
from scipy import signal
from voicesynth import SAMPLE_RATE, db_to_gain, seconds

HALL_SECONDS = 0.6  # reverb tail of the room the audience claps in
CLAP_BAND_HZ = (600.0, 2800.0)  # where one clapper's "slap" resonates (hand shape)


def normalise_rms(audio: np.ndarray, dbfs: float) -> np.ndarray:
    """Scale audio to an RMS level in dBFS."""
    rms = float(np.sqrt(np.mean(audio**2) + 1e-12))
    return (audio * (db_to_gain(dbfs) / rms)).astype(np.float32)


def fade(audio: np.ndarray, fade_in: float, fade_out: float) -> np.ndarray:
    """Linear fades at both ends (seconds)."""
    out = audio.copy()
    n_in, n_out = seconds(fade_in), seconds(fade_out)
    out[:n_in] *= np.linspace(0.0, 1.0, n_in)
    out[len(out) - n_out :] *= np.linspace(1.0, 0.0, n_out)
    return out


# --- applause -------------------------------------------------------------------------------


def hall_reverb(audio: np.ndarray, rng: np.random.Generator, wet_db: float = -14.0) -> np.ndarray:
    """A diffuse room tail: convolution with exponentially decaying noise."""
    t = np.arange(seconds(HALL_SECONDS)) / SAMPLE_RATE
    impulse = rng.standard_normal(t.size) * np.exp(-t / (HALL_SECONDS / 5))
    impulse *= db_to_gain(wet_db) / float(np.sqrt(np.sum(impulse**2)))
    wet = signal.fftconvolve(audio, impulse)[: len(audio)]
    return (audio + wet).astype(np.float32)


def clap(rng: np.random.Generator, centre: float, q: float) -> np.ndarray:
    """One clap: a resonant noise burst, 1 ms attack, 5-14 ms decay."""
    length = seconds(0.08)
    t = np.arange(length) / SAMPLE_RATE
    b, a = signal.iirpeak(centre * rng.uniform(0.9, 1.1), q, fs=SAMPLE_RATE)
    burst = signal.lfilter(b, a, rng.standard_normal(length))
    burst += 0.3 * np.diff(rng.standard_normal(length + 1))  # the broadband crack
    envelope = np.exp(-t / rng.uniform(0.005, 0.014))
    envelope[: seconds(0.001)] *= np.linspace(0.0, 1.0, seconds(0.001))
    return (burst * envelope).astype(np.float32)


def clapper(rng: np.random.Generator, length: int) -> np.ndarray:
    """One person: a steady 2.5-6 Hz rhythm with jitter, joining early and stopping late."""
    out = np.zeros(length + seconds(0.1), dtype=np.float32)
    duration = length / SAMPLE_RATE
    period = 1.0 / rng.uniform(2.5, 6.0)
    joins = rng.exponential(0.4)
    stops = duration * rng.uniform(0.6, 1.0)
    centre, q = rng.uniform(*CLAP_BAND_HZ), rng.uniform(1.5, 4.0)
    for when in np.arange(joins, stops, period):
        onset = int((when + rng.normal(0.0, period * 0.06)) * SAMPLE_RATE)
        if 0 <= onset < length and rng.random() > 0.03:  # a missed clap now and then
            burst = clap(rng, centre, q)
            out[onset : onset + burst.size] += burst
    return out[:length] * db_to_gain(rng.uniform(-14.0, 0.0))  # near and far seats


def whoo(rng: np.random.Generator) -> np.ndarray:
    """One cheer: a breathy voice whose pitch rises by half over 0.6-1.2 s."""
    length = seconds(rng.uniform(0.6, 1.2))
    t = np.arange(length) / SAMPLE_RATE
    f0 = rng.uniform(250.0, 500.0) * (1.0 + 0.5 * t / t[-1])
    buzz = 2.0 * (np.cumsum(f0) / SAMPLE_RATE % 1.0) - 1.0 + 0.3 * rng.standard_normal(length)
    b, a = signal.iirpeak(rng.uniform(350.0, 600.0), 3.0, fs=SAMPLE_RATE)  # an "oo" formant
    return (signal.lfilter(b, a, buzz) * np.sin(np.pi * t / t[-1])).astype(np.float32)


def make_applause(
    rng: np.random.Generator, duration: float, crowd: int = 45, cheers: int = 4
) -> np.ndarray:
    """A crowd's applause of `duration` seconds at about -22 dBFS RMS, with a natural tail."""
    length = seconds(duration)
    out = np.zeros(length, dtype=np.float32)
    for _ in range(crowd):
        out += clapper(rng, length)
    out = normalise_rms(out, -22.0)
    for _ in range(cheers):
        cheer = whoo(rng)
        add(out, int(rng.integers(0, length // 2)), normalise_rms(cheer, -27.0), 1.0)
    out = hall_reverb(out, rng)
    return fade(normalise_rms(out, -22.0), 0.05, 0.4)


# --- music ----------------------------------------------------------------------------------

A4 = 440.0
BPM = 112.0
# C major, I-V-vi-IV: semitones above C4 of each chord's notes (one chord a bar)
CHORDS = ((0, 4, 7), (7, 11, 14), (9, 12, 16), (5, 9, 12))
SCALE = (0, 2, 4, 5, 7, 9, 11, 12, 14, 16)  # melody notes, semitones above C5


def hz(semitones_above_c4: float) -> float:
    return A4 * 2.0 ** ((semitones_above_c4 - 9) / 12)


def tone(
    freq: float, length: int, harmonics: int, decay: float, rng: np.random.Generator
) -> np.ndarray:
    """Additive tone with 1/k harmonics, each decaying faster than the last (decay in s)."""
    t = np.arange(length) / SAMPLE_RATE
    out = np.zeros(length)
    for k in range(1, harmonics + 1):
        if freq * k > SAMPLE_RATE / 2.2:
            break
        phase = rng.uniform(0, 2 * np.pi)
        out += np.sin(2 * np.pi * freq * k * t + phase) / k * np.exp(-t * k / decay)
    out[: seconds(0.005)] *= np.linspace(0.0, 1.0, seconds(0.005))
    return out.astype(np.float32)


def kick(length: int) -> np.ndarray:
    t = np.arange(length) / SAMPLE_RATE
    freq = 45.0 + 75.0 * np.exp(-t / 0.04)  # the pitch drop of a kick drum
    return (np.sin(2 * np.pi * np.cumsum(freq) / SAMPLE_RATE) * np.exp(-t / 0.12)).astype(
        np.float32
    )


def snare(length: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(length) / SAMPLE_RATE
    b, a = signal.butter(2, 1500.0, "highpass", fs=SAMPLE_RATE)
    rattle = signal.lfilter(b, a, rng.standard_normal(length)) * np.exp(-t / 0.06)
    body = np.sin(2 * np.pi * 185.0 * t) * np.exp(-t / 0.05)
    return (0.7 * rattle + 0.5 * body).astype(np.float32)


def hihat(length: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(length) / SAMPLE_RATE
    b, a = signal.butter(4, 7000.0, "highpass", fs=SAMPLE_RATE)
    return (signal.lfilter(b, a, rng.standard_normal(length)) * np.exp(-t / 0.015)).astype(
        np.float32
    )


def add(track: np.ndarray, at: int, sound: np.ndarray, gain: float) -> None:
    end = min(track.size, at + sound.size)
    if at < end:
        track[at:end] += gain * sound[: end - at]


# formants (Hz) of the sung vowels, and their bandwidths
VOWELS = {"a": (700.0, 1220.0, 2600.0), "o": (450.0, 800.0, 2830.0)}
FORMANT_BANDWIDTHS = (80.0, 100.0, 120.0)
FORMANT_GAINS = (1.0, 0.6, 0.3)


def sung(freq: float, length: int, vowel: str) -> np.ndarray:
    """A sung syllable: a vibrato buzz through the vowel's formants, with a nasal onset."""
    t = np.arange(length) / SAMPLE_RATE
    f0 = freq * (1.0 + 0.012 * np.sin(2 * np.pi * 5.5 * t))
    buzz = 2.0 * (np.cumsum(f0) / SAMPLE_RATE % 1.0) - 1.0
    out = np.zeros(length)
    for formant, bandwidth, gain in zip(
        VOWELS[vowel], FORMANT_BANDWIDTHS, FORMANT_GAINS, strict=True
    ):
        b, a = signal.iirpeak(formant, formant / bandwidth, fs=SAMPLE_RATE)
        out += gain * signal.lfilter(b, a, buzz)
    nasal = seconds(0.04)
    b, a = signal.butter(2, 400.0, fs=SAMPLE_RATE)
    out[:nasal] = signal.lfilter(b, a, out[:nasal])
    envelope = np.minimum(1.0, t / 0.04) * np.minimum(1.0, (t[-1] - t) / 0.08)
    return (out * envelope).astype(np.float32)


def vocal_line(rng: np.random.Generator, length: int) -> np.ndarray:
    """Eighth-note "na"/"oh" syllables on the notes of the bar's chord."""
    out = np.zeros(length, dtype=np.float32)
    eighth = seconds(30.0 / BPM)
    for n, at in enumerate(range(0, length, eighth)):
        chord = CHORDS[(n // 8) % len(CHORDS)]
        note = chord[int(rng.integers(0, len(chord)))]
        add(out, at, sung(hz(note), eighth - seconds(0.03), "ao"[n % 2]), 1.0)
    return out


def make_music(rng: np.random.Generator, duration: float) -> np.ndarray:
    """A pop loop of `duration` seconds at about -20 dBFS RMS: pads, bass, melody, drums and a
    wordless voice."""
    length = seconds(duration)
    track = np.zeros(length, dtype=np.float32)
    beat = seconds(60.0 / BPM)
    for n, at in enumerate(range(0, length, beat)):
        bar, step = divmod(n, 4)
        chord = CHORDS[bar % len(CHORDS)]
        if step == 0:
            for note in chord:
                add(track, at, tone(hz(note), 4 * beat, 10, 3.0, rng), 0.16)
        if step in (0, 2):
            add(track, at, tone(hz(chord[0] - 24), 2 * beat, 6, 0.8, rng), 0.45)
            add(track, at, kick(beat), 0.9)
        else:
            add(track, at, snare(beat, rng), 0.35)
        for half in (0, beat // 2):
            add(track, at + half, hihat(seconds(0.05), rng), 0.12)
            note = 12 + int(rng.choice(SCALE)) if rng.random() < 0.7 else None
            if note is not None:
                add(track, at + half, tone(hz(note), beat, 8, 0.35, rng), 0.25)
    track = normalise_rms(track, -21.0) + normalise_rms(vocal_line(rng, length), -21.0)
    return fade(normalise_rms(track, -20.0), 0.3, 1.0)
