"""The engines by name. Each engine is a module that gives `load(options, workers)`,
`check_model(model)` and the `COMPUTE_TYPE` it runs on the CPU; a new engine is a new module
and one line in ENGINES, never an `if` in the callers."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from bitesearch.errors import UsageError
from bitesearch.transcribe import fasterwhisper, openaiwhisper
from bitesearch.transcribe.common import Engine, TranscribeOptions


@dataclass(frozen=True)
class EngineSpec:
    load: Callable[[TranscribeOptions, int], Engine]
    # each engine knows its own models: an unknown one is an error listing that engine's choices
    check_model: Callable[[str], None]
    compute_type: str  # the number format it computes in on the CPU


ENGINES: dict[str, EngineSpec] = {
    module.NAME: EngineSpec(module.load, module.check_model, module.COMPUTE_TYPE)
    for module in (fasterwhisper, openaiwhisper)
}
# openai-whisper has no int8 path on the CPU
COMPUTE_TYPES = {name: spec.compute_type for name, spec in ENGINES.items()}


def check_engine(engine: str) -> None:
    if engine not in ENGINES:
        raise UsageError(f"unknown engine {engine!r}: choose from {', '.join(ENGINES)}")


def check_model(options: TranscribeOptions) -> None:
    """Fail before any work starts on an engine or a model the engine does not know."""
    check_engine(options.engine)
    ENGINES[options.engine].check_model(options.model)


def load_engine(options: TranscribeOptions, workers: int = 0) -> Engine:
    """The engine options ask for, with `workers` blocks at once (0: as many as helps);
    loaded once per process, so a feed's hundred items load the model once."""
    check_engine(options.engine)
    key = (options.engine, options.model, options.compute_type, workers)
    with _LOADING:
        if key not in _LOADED:
            _LOADED[key] = ENGINES[options.engine].load(options, workers)
        return _LOADED[key]


_LOADED: dict[tuple[str, str, str, int], Engine] = {}
_LOADING = threading.Lock()
