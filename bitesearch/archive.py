"""The archive on disk: the only module that knows its folder layout.

    ARCHIVE/
      recordings/
        data-bites-056/            one folder per edition (its id)
          source.mp3               the source audio, as ingested
          edition.json             programme and source metadata
          transcript.json          words with timestamps; engine, model and settings used
          voices.npz               voice embeddings of the speech (1.6-s windows, 1 s apart)
          talks.json               the split: talks, host/talk/qa blocks, passages
          clips/01-sam-milsom.mp3  per-talk audio
          captions.vtt             a transcript given instead of transcribing (optional)
      downloads/                   downloads in progress (NAME.part), resumed by the next run
      index/                       the Whoosh index, its tables and vectors, rebuilt from
                                   recordings/ by `reindex` (search/store.py writes them)
      .locks/                      held by the one process writing index/ ("index"), planning
                                   editions ("plan") or running one edition's stages
      .index.building/             `reindex`'s new index, swapped in when complete

Every file is written to a temporary name beside it and renamed into place, so a crash leaves
either the old file or the new one, never half of one.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal, TypeVar

from bitesearch.errors import BitesearchError
from bitesearch.models import Edition, Split, Transcript
from bitesearch.programme import check_programme, check_source

T = TypeVar("T")
ARCHIVE_ENV = "BITESEARCH_ARCHIVE"
_GUARD = threading.Lock()
_THREAD_LOCKS: dict[str, threading.Lock] = {}  # flock is per open file: threads queue here
EDITION_FILE = "edition.json"
TRANSCRIPT_FILE = "transcript.json"
SPLIT_FILE = "talks.json"
VOICES_FILE = "voices.npz"
CLIPS_DIR = "clips"


@dataclass(frozen=True)
class Archive:
    root: Path

    @classmethod
    def locate(cls, root: Path | None = None) -> Archive:
        """The archive named by --archive, else $BITESEARCH_ARCHIVE, else the current folder."""
        if root is None:
            env = os.environ.get(ARCHIVE_ENV)
            root = Path(env) if env else Path.cwd()
        root = root.expanduser()
        if root.exists() and not root.is_dir():
            raise BitesearchError(f"archive {root} is a file, not a folder")
        return cls(root.resolve())

    @property
    def recordings(self) -> Path:
        return self.root / "recordings"

    @property
    def index_dir(self) -> Path:
        return self.root / "index"

    def beside_index(self, kind: Literal["building", "old"]) -> Path:
        """The folder `reindex` builds the new index in ("building"), and the old one while
        they swap ("old")."""
        return self.root / f".index.{kind}"

    @contextmanager
    def lock(self, name: str, waiting: str) -> Iterator[None]:
        """Hold ARCHIVE/.locks/NAME against every other thread and process: "index" for the
        search files, "plan" for choosing editions, "edition-ID" for one edition's stages. A
        second holder waits, saying `waiting` once on stderr."""
        path = self.root / ".locks" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with _GUARD:
            threads = _THREAD_LOCKS.setdefault(str(path), threading.Lock())
        with threads, open(path, "a+b") as handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                sys.stderr.write(f"bitesearch: {waiting}; waiting\n")
                sys.stderr.flush()
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            yield

    def edition_dir(self, edition_id: str) -> Path:
        return self.recordings / edition_id

    def editions(self) -> list[Edition]:
        """Every edition with metadata, in edition order (numbered first, then by id)."""
        found = [e for d in self._edition_dirs() if (e := self.load_edition(d.name)) is not None]
        return sorted(found, key=lambda e: (e.number is None, e.number or 0, e.id))

    def _edition_dirs(self) -> list[Path]:
        if not self.recordings.is_dir():
            return []
        return [d for d in self.recordings.iterdir() if (d / EDITION_FILE).is_file()]

    def load_edition(self, edition_id: str) -> Edition | None:
        """The edition's metadata; its paths checked to stay inside its folder."""
        folder = self.edition_dir(edition_id)
        path = folder / EDITION_FILE
        edition = _load(path, Edition.from_dict)
        if edition is None:
            return None
        for name in (edition.source.file, edition.source.captions):
            if name:
                inside(folder, name, f"{path}: the source file")
        edition.programme = check_programme(edition.programme, str(path))  # bounded, cleaned
        edition.source = check_source(edition.source, str(path))
        return edition

    def load_transcript(self, edition_id: str) -> Transcript | None:
        return _load(self.edition_dir(edition_id) / TRANSCRIPT_FILE, Transcript.from_dict)

    def load_split(self, edition_id: str) -> Split | None:
        """The edition's split; every talk's clip checked to stay inside the edition's folder."""
        folder = self.edition_dir(edition_id)
        split = _load(folder / SPLIT_FILE, Split.from_dict)
        for talk in split.talks if split else []:
            if talk.clip:
                inside(folder, talk.clip, f"{folder / SPLIT_FILE}: talk {talk.slot}'s clip")
        return split

    def find_by_sha(self, sha256: str) -> Edition | None:
        return next((e for e in self.editions() if e.source.sha256 == sha256), None)

    def find_by_item(self, item: str) -> Edition | None:
        """The edition ingested from a source item (its stable id), or found to hold the same
        audio as that item (a re-published episode under a new id), if any."""
        editions = self.editions()
        found = next((e for e in editions if e.source.item == item), None)
        return found or next((e for e in editions if item in e.source.aliases), None)

    @property
    def downloads(self) -> Path:
        """Where downloads in progress live (.part files), until ingest moves them in."""
        return self.root / "downloads"

    def find_edition(self, ref: str) -> Edition:
        """The edition a user means by a number ("56") or an id ("data-bites-056")."""
        editions = self.editions()
        matches = [e for e in editions if e.id == ref]
        if not matches and ref.strip().lstrip("#").isdigit():
            matches = [e for e in editions if e.number == int(ref.strip().lstrip("#"))]
        if len(matches) == 1:
            return matches[0]
        known = ", ".join(str(e.number) if e.number is not None else e.id for e in editions)
        if not matches:
            hint = f"editions in the archive: {known}" if known else "the archive is empty"
            raise BitesearchError(f"no edition {ref!r} in {self.root} ({hint})")
        ids = ", ".join(e.id for e in matches)
        raise BitesearchError(f"edition {ref!r} is ambiguous: use one of its ids: {ids}")


def _load(path: Path, parse: Callable[[dict[str, Any]], T]) -> T | None:
    """An archive file read into its dataclass; a file of the wrong shape is one clear error."""
    data = read_json(path)
    if not data:
        return None
    try:
        return parse(data)
    except (TypeError, KeyError, ValueError, AttributeError, IndexError) as exc:
        raise BitesearchError(
            f"{path} is not a bitesearch file it can read ({exc.__class__.__name__}: {exc}); "
            "delete it and run ingest again (it is made again from the recording)"
        ) from None


def inside(folder: Path, relative: str, what: str) -> Path:
    """folder/relative, when it is a plain relative path that stays inside folder once every
    symlink is resolved; anything else (an absolute path, "..", a link out) is an error."""
    parts = Path(relative).parts
    plain = relative and "\0" not in relative and "\\" not in relative
    if not plain or Path(relative).is_absolute() or ".." in parts or len(relative) > 255:
        raise BitesearchError(
            f"{what} {relative[:80]!r} is not a plain path inside {folder}: the file was "
            "edited or planted; fix it (or delete it and run ingest again)"
        )
    target = folder / relative
    if not target.resolve().is_relative_to(folder.resolve()):
        raise BitesearchError(
            f"{what} {relative[:80]!r} leads out of {folder} (through a symlink): "
            "remove the link, then run the same command again"
        )
    return target


def slugify(text: str, max_length: int = 40) -> str:
    """A safe file or folder name: lowercase ASCII letters, digits and dashes."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "untitled"


def read_json(path: Path) -> dict[str, Any] | None:
    """The JSON object in path, or None when the file is missing."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BitesearchError(
            f"{path} is damaged ({exc}); delete it and run ingest again"
        ) from None
    if not isinstance(data, dict):
        raise BitesearchError(f"{path} is not a bitesearch file")
    return data


@contextmanager
def atomic_write(path: Path, mode: str = "w") -> Iterator[IO[Any]]:
    """Open a temporary file beside path; on success it replaces path in one rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        encoding = None if "b" in mode else "utf-8"
        with os.fdopen(fd, mode, encoding=encoding) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_json(path: Path, data: dict[str, Any]) -> None:
    with atomic_write(path) as handle:
        json.dump(data, handle, ensure_ascii=False, indent=1)
        handle.write("\n")


def copy_file(source: Path, target: Path) -> None:
    """Copy source to target atomically (a crash never leaves a half copy at target)."""
    with atomic_write(target, "wb") as out, source.open("rb") as src:
        shutil.copyfileobj(src, out, length=1 << 20)
