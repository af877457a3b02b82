"""The numpy voice encoder against resemblyzer's own (librosa and torch), on real speech.

The comparisons need resemblyzer's code and what it imports (torch, librosa, webrtcvad: the dev
setup installs them); they are skipped when those are missing. The sample edition's speech
windows are the ones an ingest embeds: the transcript's words are the sample's truth.
"""

from __future__ import annotations

import json
import subprocess
import sys
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from bitesearch.audio import decode_for_whisper
from bitesearch.models import Word
from bitesearch.split import voicemodel, voices
from bitesearch.split.torchfile import LEGACY_MAGIC, read_checkpoint
from tests.conftest import ROOT, SAMPLE, SAMPLE_AUDIO


@cache
def sample_audio() -> np.ndarray:
    return decode_for_whisper(SAMPLE_AUDIO)


def sample_words() -> list[Word]:
    truth = json.loads((SAMPLE / "truth.json").read_text())
    return [Word(u["start"], u["end"], u["text"]) for u in truth["utterances"]]


def test_mel_is_librosas() -> None:
    pytest.importorskip("librosa")
    pytest.importorskip("webrtcvad")  # resemblyzer.audio imports it
    from resemblyzer import audio as resemblyzer_audio

    wav = sample_audio()
    expected = resemblyzer_audio.wav_to_mel_spectrogram(
        resemblyzer_audio.normalize_volume(wav, -30, increase_only=True)
    )
    ours = voicemodel.mel_spectrogram(voicemodel.normalize_volume(wav))
    assert ours.shape == expected.shape and ours.dtype == np.float32
    # the same float64 FFT and float32 filterbank: equal to float32 rounding (here, bit for bit)
    np.testing.assert_allclose(ours, expected, rtol=1e-6, atol=1e-6 * float(expected.max()))


def test_filterbank_is_librosas() -> None:
    librosa = pytest.importorskip("librosa")
    expected = librosa.filters.mel(sr=16000, n_fft=400, n_mels=40)
    np.testing.assert_array_equal(voicemodel.mel_filterbank(), expected)


def test_vectors_are_resemblyzers() -> None:
    torch = pytest.importorskip("torch")
    pytest.importorskip("librosa")
    pytest.importorskip("webrtcvad")
    from resemblyzer import VoiceEncoder

    windows = voices.embed_windows(sample_audio(), sample_words())
    assert len(windows) > 200 and windows.vectors.dtype == np.float32
    wav = voicemodel.normalize_volume(sample_audio())
    mel = voicemodel.mel_spectrogram(wav)
    starts = np.round(windows.times / voices.FRAME_SECONDS).astype(int) - voices.WINDOW_FRAMES // 2
    batch = np.stack([mel[s : s + voices.WINDOW_FRAMES] for s in starts])
    with torch.no_grad():
        expected = VoiceEncoder("cpu", verbose=False)(torch.from_numpy(batch)).numpy()
    assert np.abs(windows.vectors - expected).max() < 1e-4
    assert (windows.vectors * expected).sum(axis=1).min() >= 0.9999


def test_weights_are_torchs() -> None:
    torch = pytest.importorskip("torch")
    path = voicemodel.weights_path()
    assert path is not None
    expected = torch.load(path, map_location="cpu", weights_only=False)["model_state"]
    ours = read_checkpoint(path, "model_state")
    assert list(ours) == list(expected)
    for name, tensor in expected.items():
        np.testing.assert_array_equal(ours[name], tensor.numpy(), err_msg=name)


def test_reads_the_zip_checkpoint_format(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    strided = torch.arange(12.0).reshape(3, 4).t()  # not contiguous
    torch.save({"step": 3, "state": {"w": strided, "i": torch.arange(5)}}, tmp_path / "c.pt")
    state = read_checkpoint(tmp_path / "c.pt", "state")
    np.testing.assert_array_equal(state["w"], strided.numpy())
    np.testing.assert_array_equal(state["i"], np.arange(5))


def test_a_checkpoint_cannot_run_code(tmp_path: Path) -> None:
    import pickle

    from bitesearch.errors import BitesearchError

    class Boom:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (print, ("a checkpoint ran code",))

    path = tmp_path / "evil.pt"
    with path.open("wb") as handle:
        for obj in (LEGACY_MAGIC, 1001, {"little_endian": True}, {"x": Boom()}, []):
            pickle.dump(obj, handle, protocol=2)
    with pytest.raises(BitesearchError, match=r"may not hold \w+\.print"):
        read_checkpoint(path)


def test_embedding_imports_neither_torch_nor_librosa() -> None:
    code = (
        "import sys, numpy as np\n"
        "from bitesearch.split import voices\n"
        "from bitesearch.models import Word\n"
        "assert voices.available()\n"
        "rng = np.random.default_rng(0)\n"
        "audio = (rng.standard_normal(16000 * 4) * 0.1).astype(np.float32)\n"
        "windows = voices.embed_windows(audio, [Word(0.0, 4.0, 'words')])\n"
        "assert len(windows) == 3, len(windows)\n"
        "heavy = {'torch', 'librosa', 'resemblyzer', 'onnxruntime'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_silence_is_left_alone() -> None:
    silence = np.zeros(16000, dtype=np.float32)
    assert voicemodel.normalize_volume(silence) is silence
