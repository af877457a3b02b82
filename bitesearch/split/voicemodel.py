"""Resemblyzer's voice encoder in numpy: its mel spectrogram and its LSTM, without torch or
librosa (importing those and librosa's first call cost seconds; the arithmetic is a fraction).

What resemblyzer does, step by step:

- `normalize_volume(wav, -30, increase_only=True)`: quiet audio is raised to -30 dBFS;
- `wav_to_mel_spectrogram`: librosa's power mel spectrogram (25-ms Hann windows every 10 ms,
  centred, zero-padded; 40 Slaney mel bands up to 8 kHz), frames in rows;
- `VoiceEncoder`: a 3-layer LSTM (40 -> 256) over the frames, a linear layer (256 -> 256) on
  the last hidden state of the last layer, ReLU, L2 normalisation.

The mel matches librosa's bit for bit (the same float64 FFT and float32 filterbank); the vectors
match resemblyzer's (torch) to within float32 rounding. Tests check both.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np

from bitesearch.errors import BitesearchError

SAMPLE_RATE = 16000
N_FFT = 400  # 25 ms
HOP = 160  # 10 ms
MEL_BANDS = 40
HIDDEN = 256
LAYERS = 3
VOLUME_DBFS = -30  # resemblyzer's audio_norm_target_dBFS
INT16_MAX = 2**15 - 1


def weights_path() -> Path | None:
    """resemblyzer's `pretrained.pt`, found without importing resemblyzer (which imports
    torch and librosa); None when it is not installed."""
    from importlib.util import find_spec

    spec = find_spec("resemblyzer")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "pretrained.pt"
    return path if path.is_file() else None


def normalize_volume(wav: np.ndarray) -> np.ndarray:
    """Raise quiet audio to -30 dBFS (never lower it), in resemblyzer's float32 arithmetic."""
    rms = np.sqrt(np.mean((wav * INT16_MAX) ** 2))
    if not rms > 0:
        return wav  # silence (resemblyzer would multiply it by infinity)
    change = VOLUME_DBFS - 20 * np.log10(rms / INT16_MAX)
    return wav if change < 0 else wav * (10 ** (change / 20))


def mel_spectrogram(wav: np.ndarray) -> np.ndarray:
    """Power mel spectrogram of 16-kHz audio, one float32 row of 40 bands per 10-ms frame."""
    padded = np.pad(wav, N_FFT // 2)  # librosa's center=True, pad_mode="constant"
    frames = np.lib.stride_tricks.sliding_window_view(padded, N_FFT)[::HOP]
    spectrum = np.fft.rfft(frames * _hann(), axis=1).astype(np.complex64)  # as librosa's stft
    power = np.abs(spectrum) ** 2
    return power @ mel_filterbank().T


@cache
def _hann() -> np.ndarray:
    """The periodic Hann window (scipy's get_window("hann", 400)), float64 as librosa's."""
    return 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)


@cache
def mel_filterbank() -> np.ndarray:
    """librosa.filters.mel(sr=16000, n_fft=400, n_mels=40): Slaney's mel scale and area
    normalisation, computed in float64 and stored in float32 as librosa does."""
    fft_freqs = np.fft.rfftfreq(N_FFT, 1 / SAMPLE_RATE)
    mels = np.linspace(_hz_to_mel(0.0), _hz_to_mel(SAMPLE_RATE / 2), MEL_BANDS + 2)
    edges = _mel_to_hz(mels)
    widths = np.diff(edges)
    ramps = np.subtract.outer(edges, fft_freqs)
    bank = np.zeros((MEL_BANDS, len(fft_freqs)), dtype=np.float32)
    for i in range(MEL_BANDS):
        rising, falling = -ramps[i] / widths[i], ramps[i + 2] / widths[i + 1]
        bank[i] = np.maximum(0, np.minimum(rising, falling))
    bank *= (2.0 / (edges[2:] - edges[:-2]))[:, None]  # each band's area is the same
    return bank


# Slaney's mel scale: linear below 1 kHz (3 mels per 200 Hz), logarithmic above
_MEL_STEP_HZ = 200.0 / 3
_LOG_HZ = 1000.0
_LOG_MEL = _LOG_HZ / _MEL_STEP_HZ
_LOG_STEP = np.log(6.4) / 27.0


def _hz_to_mel(hz: float) -> float:
    if hz < _LOG_HZ:
        return hz / _MEL_STEP_HZ
    return float(_LOG_MEL + np.log(hz / _LOG_HZ) / _LOG_STEP)


def _mel_to_hz(mels: np.ndarray) -> np.ndarray:
    log_part = _LOG_HZ * np.exp(_LOG_STEP * (mels - _LOG_MEL))
    return np.where(mels >= _LOG_MEL, log_part, _MEL_STEP_HZ * mels)


class VoiceEncoder:
    """The LSTM: `embed(mels)` turns (windows, frames, 40) mels into (windows, 256) unit rows.

    Each time step runs every layer as one matrix product, [input, previous hidden state] times
    [W_ih; W_hh], so nothing of size windows x frames x 1024 is ever held. The i, f and o gates'
    rows are halved once at load (exact in floating point) so that one tanh over all four gates
    gives the sigmoids too: sigmoid(x) = (1 + tanh(x / 2)) / 2. The gates are reordered to
    i, f, o, g so the three sigmoids are one slice.
    """

    def __init__(self, path: Path | None = None) -> None:
        from bitesearch.split.torchfile import read_checkpoint

        path = path or weights_path()
        if path is None:
            raise BitesearchError(
                "voice-aware splitting needs resemblyzer's weights: "
                "pip install --no-deps resemblyzer==0.1.4"
            )
        state = read_checkpoint(path, "model_state")
        self.layers = [self._layer(state, k) for k in range(LAYERS)]
        self.linear = np.ascontiguousarray(state["linear.weight"].T)
        self.linear_bias = state["linear.bias"]

    @staticmethod
    def _layer(state: dict[str, np.ndarray], k: int) -> tuple[np.ndarray, np.ndarray]:
        """Layer k's weights as one (inputs + 256, 1024) matrix and its bias, gates i, f, o, g."""
        i, f, g, o = (slice(n * HIDDEN, (n + 1) * HIDDEN) for n in range(4))  # torch's order
        order = np.r_[i, f, o, g]
        scale = np.ones(4 * HIDDEN, dtype=np.float32)
        scale[: 3 * HIDDEN] = 0.5
        weights = np.concatenate([state[f"lstm.weight_ih_l{k}"], state[f"lstm.weight_hh_l{k}"]], 1)
        bias = state[f"lstm.bias_ih_l{k}"] + state[f"lstm.bias_hh_l{k}"]
        return np.ascontiguousarray((weights[order] * scale[:, None]).T), bias[order] * scale

    def embed(self, mels: np.ndarray) -> np.ndarray:
        """Unit vectors of a batch of mel windows (float32, windows x frames x 40)."""
        batch, frames, bands = mels.shape
        h = HIDDEN
        # per layer: [its input | its previous hidden state], the operand of one matmul a step
        operands = [np.zeros((batch, bands + h), dtype=np.float32)]
        operands += [np.zeros((batch, 2 * h), dtype=np.float32) for _ in range(LAYERS - 1)]
        cells = [np.zeros((batch, h), dtype=np.float32) for _ in range(LAYERS)]
        gates = np.empty((batch, 4 * h), dtype=np.float32)
        for t in range(frames):
            operands[0][:, :bands] = mels[:, t]
            for k, (weights, bias) in enumerate(self.layers):
                np.matmul(operands[k], weights, out=gates)
                gates += bias
                hidden = operands[k][:, -h:]
                _lstm_cell(gates, cells[k], out=hidden)
                if k + 1 < LAYERS:
                    operands[k + 1][:, :h] = hidden
        raw = np.maximum(operands[-1][:, -h:] @ self.linear + self.linear_bias, 0)
        return raw / np.linalg.norm(raw, axis=1, keepdims=True)


def _lstm_cell(gates: np.ndarray, cell: np.ndarray, out: np.ndarray) -> None:
    """One LSTM step from the gates' pre-activations (i, f, o halved; g): updates cell and
    writes the new hidden state into out. Works in place, gates included."""
    h = HIDDEN
    np.tanh(gates, out=gates)
    sigmoids = gates[:, : 3 * h]
    sigmoids *= 0.5
    sigmoids += 0.5
    cell *= gates[:, h : 2 * h]  # forget
    gates[:, :h] *= gates[:, 3 * h :]  # input x candidate
    cell += gates[:, :h]
    np.tanh(cell, out=out)
    out *= gates[:, 2 * h : 3 * h]  # output
