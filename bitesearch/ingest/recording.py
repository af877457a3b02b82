"""Ingest a recording: copy, transcribe, split, cut clips, index; each stage kept on disk.

Every stage's result is written atomically into the edition folder with the key of what it
was made from, so running `ingest` again skips what is done, finishes what a crash or kill
interrupted, and redoes only what a changed programme or model invalidates.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from bitesearch import faults
from bitesearch.archive import (
    CLIPS_DIR,
    EDITION_FILE,
    SPLIT_FILE,
    TRANSCRIPT_FILE,
    VOICES_FILE,
    Archive,
    copy_file,
    inside,
    slugify,
    write_json,
)
from bitesearch.audio import BLOCK_SECONDS, Block, cut_clip, probe, sha256_file, stream_blocks
from bitesearch.errors import BitesearchError
from bitesearch.models import (
    Edition,
    IngestReport,
    Programme,
    Segment,
    Source,
    Split,
    Transcript,
    Word,
)
from bitesearch.programme import check_programme, check_source, load_programme
from bitesearch.search.store import SearchStore
from bitesearch.sources import captions
from bitesearch.split import voices
from bitesearch.split.diarize import Diarization, diarize
from bitesearch.split.edition import expected_voices, split_edition
from bitesearch.split.voices import VoiceWindows
from bitesearch.timecode import hms
from bitesearch.transcribe.common import TranscribeOptions
from bitesearch.transcribe.engines import load_engine
from bitesearch.transcribe.run import transcribe_blocks, transcript_key

_ARCHIVE = threading.Lock()  # guards the edition folders when --jobs runs ingests
SHORT_SECONDS = 5.0  # decoded audio this much shorter than the header says: truncated
SPLIT_VERSION = 3  # bump when the split rules change, so old splits are redone
Progress = Callable[[str, float, float], None]  # (stage, done, total) in audio seconds


@dataclass(frozen=True)
class IngestOptions:
    transcribe: TranscribeOptions = field(default_factory=TranscribeOptions)
    programme: Path | None = None
    voices: bool = True  # split by voices (else from the words alone)
    vocabulary: bool = True  # give the programme's names to the transcriber as hotwords
    jobs: int = 1  # recordings ingested at once (they share the engine's workers)
    replace: bool = False  # replace an edition that came from another recording


@dataclass(frozen=True)
class Origin:
    """Where a recording came from beyond its file, kept in edition.json's `source`."""

    name: str = ""  # what to call the source: its URL, or the file name
    item: str = ""  # the stable id a re-run finds the edition by
    url: str = ""
    title: str = ""
    date: str = ""
    description: str = ""
    chapters: tuple[dict[str, Any], ...] = ()
    programme: Programme | None = None  # what the feed, platform or page says
    authoritative: bool = False  # the programme was asked for (--page): it beats a kept one
    captions: Path | None = None  # a transcript to use instead of transcribing
    sha256: str = ""  # already known (the archive's own copy): not hashed again
    duration: float = 0.0
    consume: bool = False  # the source is a finished download: move it in, do not copy


@dataclass
class _Run:
    """One ingest in progress: where it writes and how long each stage took."""

    archive: Archive
    edition: Edition
    progress: Progress | None
    stages: dict[str, float] = field(default_factory=dict)
    captions: Transcript | None = None
    consume: bool = False
    warnings: list[str] = field(default_factory=list)

    @property
    def folder(self) -> Path:
        return self.archive.edition_dir(self.edition.id)

    def blocks(self, workers: int) -> Iterator[Block]:
        """The recording, decoded a block at a time, in as many blocks as keeps every worker
        busy to the end."""
        duration = self.edition.source.duration
        count = workers * max(round(duration / (workers * BLOCK_SECONDS)), 1)
        return stream_blocks(self.folder / self.edition.source.file, duration / count)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        began = time.perf_counter()
        yield
        self.stages[name] = round(self.stages.get(name, 0.0) + time.perf_counter() - began, 3)


def ingest(
    archive: Archive,
    source: Path,
    options: IngestOptions,
    progress: Progress | None = None,
    origin: Origin | None = None,
) -> IngestReport:
    """Ingest one recording (or a transcript file alone); every check on the input happens
    before anything is written."""
    origin = origin or Origin()
    programme = load_programme(options.programme) if options.programme else None
    only_text = captions.is_captions(source)
    given = source if only_text else origin.captions
    text = captions.load(given) if given else None
    duration = origin.duration or (text.duration if only_text and text else probe(source))
    began = time.perf_counter()
    sha = origin.sha256 or sha256_file(source)
    with ExitStack() as held:
        # editions are planned (and folders moved) one at a time, across threads and processes;
        # each edition's stages run under its own lock, taken before the planning lock goes,
        # so two runs of one recording never write (or clear temp files) in one folder at once
        with _ARCHIVE, archive.lock("plan", "another bitesearch is adding to this archive"):
            known, _, edition_id = _target(archive, source, sha, programme, origin)
            for name in sorted({edition_id, known.id if known else edition_id}):
                held.enter_context(archive.lock(f"edition-{name}", f"{name} is being ingested"))
            try:
                edition = _plan(archive, source, sha, duration, programme, options.replace, origin)
            except _Duplicate as duplicate:
                return _duplicate_report(source, duplicate.edition, origin)
        begun = {"download": round(time.perf_counter() - began, 3)}
        run = _Run(archive, edition, progress, begun)
        run.captions, run.consume = text, origin.consume
        twin = archive.find_by_sha(sha) if origin.item else None
        if twin and twin.id != edition.id:
            run.warnings.append(f"the same audio as {twin.id}, under another item and programme")
        return _execute(run, source, options, origin)


class _Duplicate(Exception):
    """The item's audio is an edition's already, under another item id (a re-published
    episode): it is recorded as that edition's alias and kept once."""

    def __init__(self, edition: Edition) -> None:
        self.edition = edition


def _duplicate_report(source: Path, edition: Edition, origin: Origin) -> IngestReport:
    if origin.consume:  # a finished download of audio the archive has: not kept twice
        source.unlink(missing_ok=True)
    return IngestReport(
        source=str(source), edition_id=edition.id, edition=edition.number,
        duration=edition.source.duration, talks=0, passages=0, method="", status="duplicate",
        warnings=[f"{origin.item} is the same audio as {edition.id} ({edition.source.item}): "
                  "kept once, as that edition"],
        item=origin.item, title=origin.title or edition.programme.title,
    )  # fmt: skip


def _target(
    archive: Archive, source: Path, sha: str, programme: Programme | None, origin: Origin
) -> tuple[Edition | None, Programme, str]:
    """The edition this source was (if any), its programme, and the edition id it becomes;
    found without writing anything."""
    known = _known(archive, origin.item, sha)
    where = origin.name or str(source)  # what the feed, page or platform said is bounded too
    programme = check_programme(programme or _programme(origin, known), where)
    named = Path(_name_only(origin.title)) if origin.title else source  # not the download's hash
    return known, programme, edition_id_for(programme, named, sha)


def _plan(
    archive: Archive,
    source: Path,
    sha: str,
    duration: float,
    programme: Programme | None,
    replace: bool,
    origin: Origin,
) -> Edition:
    """The edition this source becomes; moves or replaces folders only once all checks pass."""
    known, programme, edition_id = _target(archive, source, sha, programme, origin)
    if known and origin.item and origin.item in known.source.aliases:
        raise _Duplicate(known)
    taken = archive.load_edition(edition_id)
    if taken and taken.source.sha256 == sha and _other_item(taken, origin.item, sha):
        taken.source.aliases.append(origin.item)
        write_json(archive.edition_dir(edition_id) / EDITION_FILE, taken.to_dict())
        raise _Duplicate(taken)
    if taken and taken.source.sha256 != sha:
        if not replace:
            raise BitesearchError(
                f"edition {edition_id} is already in the archive from another recording "
                f"({taken.source.name}); pass --replace to replace it"
            )
        _remove(archive, edition_id)
    if known and known.id != edition_id:  # the same audio under a new programme: keep its work
        SearchStore(archive).remove_edition(known.id)
        archive.edition_dir(known.id).rename(archive.edition_dir(edition_id))
    was = known.source if known else Source("", "", 0, 0.0, "")
    info = Source(
        name=origin.name or (was.name if was.url else str(source)),
        sha256=sha,
        size=source.stat().st_size,
        duration=round(duration, 3),
        file="" if captions.is_captions(source) else f"source{_suffix(source)}",
        item=origin.item or was.item or f"sha256:{sha}",  # a local copy keeps the feed's id
        aliases=list(was.aliases),
        url=origin.url or was.url,
        title=origin.title or was.title,
        date=origin.date or was.date,
        description=origin.description or was.description,
        chapters=list(origin.chapters) or was.chapters,
        captions=_captions_file(source, origin),
    )
    info = check_source(info, origin.name or str(source))
    return Edition(id=edition_id, programme=programme, source=info)


def _other_item(edition: Edition, item: str, sha: str) -> bool:
    """Whether an item and the edition's own are two real, different source items."""
    mine = edition.source.item
    return bool(item) and mine not in ("", item, f"sha256:{sha}") and item != f"sha256:{sha}"


def _known(archive: Archive, item: str, sha: str) -> Edition | None:
    """The edition this item (else this audio) became; the same audio under another item
    (a re-published episode) is a different edition."""
    if item and (by_item := archive.find_by_item(item)):
        return by_item
    by_sha = archive.find_by_sha(sha)
    if by_sha and item and by_sha.source.item not in ("", item, f"sha256:{sha}"):
        return None
    return by_sha


def _name_only(title: str) -> str:
    """A title as a file name's stem would be (slugify makes it safe later)."""
    return title.replace("/", " ").replace("\\", " ")


def _programme(origin: Origin, known: Edition | None) -> Programme:
    """A programme asked for (--page) beats one kept from an earlier run (perhaps written by
    hand), which beats what the feed or platform says."""
    if origin.programme and origin.authoritative:
        return origin.programme
    if known and known.programme.talks:
        return known.programme
    return origin.programme or (known.programme if known else Programme())


def _suffix(path: Path) -> str:
    """The file's extension when it is a plain one (never a name taken from a title)."""
    suffix = path.suffix.lower()
    return suffix if re.fullmatch(r"\.[a-z0-9]{1,5}", suffix) else ""


def _captions_file(source: Path, origin: Origin) -> str:
    given = source if captions.is_captions(source) else origin.captions
    return f"captions{_suffix(given)}" if given else ""


def _remove(archive: Archive, edition_id: str) -> None:
    SearchStore(archive).remove_edition(edition_id)
    shutil.rmtree(archive.edition_dir(edition_id))


def edition_id_for(programme: Programme, source: Path, sha: str) -> str:
    """'data-bites-056' from a programme; else a slug of the file name and its hash."""
    if programme.edition is not None:
        return f"{slugify(programme.series or 'edition', 30)}-{programme.edition:03d}"
    base = programme.series or programme.title or source.stem
    return f"{slugify(base, 30)}-{sha[:8]}"


def _execute(run: _Run, source: Path, options: IngestOptions, origin: Origin) -> IngestReport:
    fresh = not (run.folder / EDITION_FILE).exists()
    for stale in run.folder.glob("**/.*.tmp"):  # half-written files of a killed run
        stale.unlink()
    did: list[bool] = []
    with run.stage("download"):
        did.append(_store_source(run, source, origin))
    use_voices = options.voices and voices.available()
    settings = options.transcribe
    if options.vocabulary and not settings.hotwords:
        settings = replace(settings, hotwords=run.edition.programme.vocabulary())
    with run.stage("transcribe"):
        transcript, changed = _transcript(run, settings, use_voices)
        did.append(changed)
    run.warnings += _heard(run.edition, transcript)
    with run.stage("segment"):
        split, changed = _split(run, transcript, use_voices)
        did.append(changed)
    with run.stage("clips"):
        did.append(_clips(run, split))
    with run.stage("index"):  # the store lets one writer at a time in, whatever --jobs says
        did.append(_index(run, split))
    status = "ingested" if fresh else ("updated" if any(did) else "up to date")
    return IngestReport(
        source=str(source),
        edition_id=run.edition.id,
        edition=run.edition.number,
        duration=run.edition.source.duration,
        talks=len(split.talks),
        passages=len(split.passages),
        method=split.method,
        status=status,
        stages=run.stages,
        warnings=run.warnings + split.warnings,
        item=run.edition.source.item,
        title=run.edition.programme.title or run.edition.source.title,
    )


def _heard(edition: Edition, transcript: Transcript) -> list[str]:
    """Warnings a user should see about what the audio held: nothing said at all, or far less
    audio than the file's header promised (a truncated download or copy)."""
    warnings = []
    if not transcript.words():
        warnings.append("no speech was heard in this recording: is it the right file?")
    promised = edition.source.duration
    decoded = transcript.duration
    from_audio = edition.source.file and not transcript.engine.startswith("captions")
    if from_audio and decoded and promised - decoded > max(SHORT_SECONDS, 0.02 * promised):
        warnings.append(
            f"the recording decodes to {hms(decoded)} of the {hms(promised)} its header says: "
            "the file looks truncated (download or copy it again, then ingest with --replace)"
        )
    return warnings


def _store_source(run: _Run, source: Path, origin: Origin) -> bool:
    # edition.json first: a run killed before the copy (or the move of a download) finds the
    # edition by its id next time, and its download still in downloads/, so fetches nothing
    changed = False
    current = run.archive.load_edition(run.edition.id)
    if current is None or current.to_dict() != run.edition.to_dict():
        write_json(run.folder / EDITION_FILE, run.edition.to_dict())
        faults.point("edition")
        changed = True
    name = run.edition.source.file
    if name and not (target := inside(run.folder, name, "the source file")).exists():
        if run.consume:  # a finished download in the archive: a rename, not a 2 GB copy
            source.replace(target)
        else:
            copy_file(source, target)
        faults.point("source")
        changed = True
    given = source if captions.is_captions(source) else origin.captions
    if given and run.edition.source.captions:
        kept = run.folder / run.edition.source.captions
        if not kept.exists() or kept.read_bytes() != given.read_bytes():
            copy_file(given, kept)
            changed = True
    return changed


def _transcript(run: _Run, options: TranscribeOptions, use_voices: bool) -> tuple[Transcript, bool]:
    """The kept transcript, or a new one. A new one is made block by block, and the voices
    of each block are embedded as soon as its words are known, from the same samples: the
    recording is decoded once, and never held whole."""
    given = run.captions
    key = given.key if given else transcript_key(run.edition.source.sha256, options)
    existing = run.archive.load_transcript(run.edition.id)
    if existing and existing.key == key:
        return existing, False
    if given:  # the captions are the transcript: nothing to transcribe
        write_json(run.folder / TRANSCRIPT_FILE, given.to_dict())
        return given, True
    total = run.edition.source.duration

    def report(done: float) -> None:
        if run.progress:
            run.progress("transcribe", done, total)

    engine = load_engine(options)
    # Every job hands the engine as many blocks as it has workers; CTranslate2 queues what
    # is asked of busy workers. Dividing the workers between jobs left a core idle as soon
    # as the shorter recording was done (measured: --jobs 2 was 1.28x slower than one by one).
    workers = engine.workers
    embedded: list[VoiceWindows] = []
    spent: list[float] = []  # seconds embedding voices, inside the transcription workers

    def listen(block: Block, segments: list[Segment]) -> None:
        if use_voices:
            began = time.perf_counter()
            embedded.append(voices.embed_block(block, [w for s in segments for w in s.words]))
            spent.append(time.perf_counter() - began)

    blocks = run.blocks(workers)
    result = transcribe_blocks(blocks, options, key, report, engine, listen, workers)
    if use_voices:
        voices.save_windows(run.folder / VOICES_FILE, voices.join(embedded), key)
        run.stages["voices"] = round(sum(spent), 3)  # overlapped: part of "transcribe"
    write_json(run.folder / TRANSCRIPT_FILE, result.to_dict())
    faults.point("transcript")
    return result, True


def split_key(transcript: Transcript, programme: Programme, use_voices: bool) -> str:
    payload = [SPLIT_VERSION, transcript.key, asdict(programme), use_voices]
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


def _voices(
    run: _Run, transcript: Transcript, programme: Programme | None, use_voices: bool
) -> Diarization | None:
    """Who speaks when, from the recording's voices (None when that is off or not installed)."""
    if not use_voices or not transcript.words() or not run.edition.source.file:
        return None  # off, no words, or captions without audio: nothing to listen to
    cache = run.folder / VOICES_FILE
    windows = voices.load_windows(cache, transcript.key)
    if windows is None:  # embedded once per transcript: a corrected programme re-splits cheaply
        words = transcript.words()
        windows = voices.join([voices.embed_block(b, _within(words, b)) for b in run.blocks(1)])
        voices.save_windows(cache, windows, transcript.key)
    return diarize(windows, transcript.words(), expected_voices(programme))


def _within(words: list[Word], block: Block) -> list[Word]:
    return [w for w in words if block.offset <= w.start < block.end]


def _split(run: _Run, transcript: Transcript, use_voices: bool) -> tuple[Split, bool]:
    key = split_key(transcript, run.edition.programme, use_voices)
    existing = run.archive.load_split(run.edition.id)
    if existing and existing.key == key:
        return existing, False
    programme = run.edition.programme if run.edition.programme.talks else None
    split = split_edition(transcript, programme, _voices(run, transcript, programme, use_voices))
    split.key = key
    # a talk not found has no clip, and neither has an edition made from captions alone
    for talk in (t for t in split.talks if t.end > t.start and run.edition.source.file):
        talk.clip = f"{CLIPS_DIR}/{talk.slot:02d}-{slugify('-'.join(talk.speakers) or 'talk')}.mp3"
    shutil.rmtree(run.folder / CLIPS_DIR, ignore_errors=True)  # clips of an old split are stale
    write_json(run.folder / SPLIT_FILE, split.to_dict())
    faults.point("split")
    return split, True


def _clips(run: _Run, split: Split) -> bool:
    """Cut the clips not cut yet, one per core at once (each cut is an ffmpeg process)."""
    source = run.folder / run.edition.source.file
    todo = [t for t in split.talks if t.clip and run.edition.source.file]
    todo = [t for t in todo if not (run.folder / t.clip).exists()]
    targets = [inside(run.folder, t.clip, f"talk {t.slot}'s clip") for t in todo]  # checked again
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        cuts = [
            pool.submit(cut_clip, source, t.start, t.end, target)
            for t, target in zip(todo, targets, strict=True)
        ]
        for cut in cuts:
            cut.result()
            faults.point("clip")
    return bool(todo)


def _index(run: _Run, split: Split) -> bool:
    store = SearchStore(run.archive)
    if store.indexed_key(run.edition.id) == split.key:
        store.complete()  # a run killed after the commit left the tables behind
        return False
    store.write_edition(run.edition, split)
    return True
