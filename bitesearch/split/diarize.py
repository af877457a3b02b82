"""Who speaks when: cluster voice windows into voices and smooth them into turns.

The main voices (the host and the programme's speakers, or every voice that speaks for long
enough when there is no programme) are found by Ward clustering of the windows.
Each window is then labelled with the main voice it sounds most like, or as OTHER (audience
members, who speak briefly), by a Viterbi pass that charges for every change of voice, so a
turn changes only when several windows in a row agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bitesearch.models import Word
from bitesearch.split.voices import HOP_SECONDS, VoiceWindows

OTHER = -1  # a voice that is none of the main voices (usually the audience)
MAX_POINTS = 3000  # windows clustered at most (50 minutes of speech at a 1-s hop)
MAX_VOICES = 12  # without a programme, at most this many main voices are looked for
MAIN_SECONDS = 20.0  # a voice with less speech than this is not a main voice ...
MAIN_SHARE = 0.15  # ... nor, in a short recording, one with less than this share of the speech
OTHER_SIMILARITY = 0.78  # a window less like every main voice than this is OTHER
SWITCH_COST = 0.15  # similarity a change of voice must win back (Viterbi transition cost)


@dataclass
class Diarization:
    """A voice label (0.. main voices, or OTHER) for each window and each transcript word."""

    window_labels: np.ndarray
    word_labels: list[int]
    voices: int  # how many main voices
    seconds: list[float]  # speech seconds of each main voice


def diarize(windows: VoiceWindows, words: list[Word], main_voices: int | None) -> Diarization:
    """Label windows and words; main_voices is how many to expect (None: find out)."""
    if len(windows) < 2:
        return Diarization(np.zeros(len(windows), dtype=int), [0] * len(words), 1, [0.0])
    centroids = _main_centroids(windows.vectors, main_voices)
    labels = _renumber_by_appearance(_fill_blips(_viterbi(windows.vectors @ centroids.T)))
    seconds = [float((labels == v).sum() * HOP_SECONDS) for v in range(len(centroids))]
    return Diarization(labels, label_words(windows.times, labels, words), len(centroids), seconds)


def _main_centroids(vectors: np.ndarray, expected: int | None) -> np.ndarray:
    """Centroids of the main voices: Ward clusters of the windows (cut at the expected count,
    or at the count that separates the voices best), keeping those with enough speech."""
    from scipy.cluster.hierarchy import fcluster, linkage

    points = _thin(vectors)
    if len(points) < 3:
        return _unit(points.mean(axis=0, keepdims=True))
    tree = linkage(points, method="ward")
    count = expected or _best_count(points, tree)
    clusters = fcluster(tree, t=min(count, len(points)), criterion="maxclust")
    seconds_per_point = HOP_SECONDS * len(vectors) / len(points)
    sizes = {c: int((clusters == c).sum()) for c in set(clusters.tolist())}
    ranked = sorted(sizes, key=lambda c: -sizes[c])
    enough = min(MAIN_SECONDS, MAIN_SHARE * len(vectors) * HOP_SECONDS)  # short recordings too
    main = [c for c in ranked if sizes[c] * seconds_per_point >= enough] or ranked[:1]
    return _unit(np.stack([points[clusters == c].mean(axis=0) for c in main]))


def _thin(vectors: np.ndarray) -> np.ndarray:
    """At most MAX_POINTS points to cluster (Ward needs memory quadratic in them): neighbouring
    windows are averaged when there are more."""
    group = int(np.ceil(len(vectors) / MAX_POINTS))
    if group <= 1:
        return vectors
    return _unit(
        np.stack([vectors[i : i + group].mean(axis=0) for i in range(0, len(vectors), group)])
    )


def _best_count(points: np.ndarray, tree: np.ndarray) -> int:
    """Without a programme: the number of voices whose clusters separate best (silhouette)."""
    from scipy.cluster.hierarchy import fcluster
    from sklearn.metrics import silhouette_score

    best, best_score = 1, 0.05  # one voice unless a split is clearly better
    for count in range(2, min(MAX_VOICES, len(points) - 1) + 1):
        labels = fcluster(tree, t=count, criterion="maxclust")
        score = float(silhouette_score(points, labels, metric="cosine"))
        if score > best_score:
            best, best_score = count, score
    return best


def _unit(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return matrix / np.maximum(norms, 1e-9)


def _viterbi(similarity: np.ndarray) -> np.ndarray:
    """The label sequence maximising similarity minus SWITCH_COST per change of label."""
    n, voices = similarity.shape
    scores = np.concatenate([similarity, np.full((n, 1), OTHER_SIMILARITY)], axis=1)
    states = voices + 1
    best = scores[0].copy()
    back = np.zeros((n, states), dtype=int)
    for t in range(1, n):
        stay = best
        leave = best.max() - SWITCH_COST
        came_from = np.where(stay >= leave, np.arange(states), int(best.argmax()))
        best = np.maximum(stay, leave) + scores[t]
        back[t] = came_from
    path = np.zeros(n, dtype=int)
    path[-1] = int(best.argmax())
    for t in range(n - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    return np.where(path == voices, OTHER, path)


def _fill_blips(labels: np.ndarray) -> np.ndarray:
    """A single window unlike the windows on both sides of it, which agree, is one of them:
    a 1.6-s window is too short to be a turn of its own."""
    out = labels.copy()
    for t in range(1, len(out) - 1):
        if out[t - 1] == out[t + 1] != out[t]:
            out[t] = out[t - 1]
    return out


def _renumber_by_appearance(labels: np.ndarray) -> np.ndarray:
    order: list[int] = []
    for label in labels.tolist():
        if label != OTHER and label not in order:
            order.append(label)
    mapping = {old: new for new, old in enumerate(order)}
    return np.array([mapping.get(label, OTHER) for label in labels.tolist()], dtype=int)


def label_words(times: np.ndarray, labels: np.ndarray, words: list[Word]) -> list[int]:
    """Each word takes the label of the window whose centre is nearest its middle."""
    if len(times) == 0:
        return [0] * len(words)
    middles = np.array([(w.start + w.end) / 2 for w in words])
    nearest = np.clip(np.searchsorted(times, middles), 1, len(times) - 1)
    left_closer = np.abs(middles - times[nearest - 1]) <= np.abs(times[nearest] - middles)
    index = np.where(left_closer, nearest - 1, nearest)
    return [int(labels[i]) for i in index]
