"""The package reads as the data flow: a folder per stage, imports only downward, no circles.

Every import counts, at module level, inside functions and under TYPE_CHECKING alike: a lazy
import that goes upward still ties a stage to a later one.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "bitesearch"
CORE = ("errors", "faults", "timecode", "models", "archive", "programme", "audio")
# the data flow: a module may import its own stage, the core and earlier stages, nothing later
STAGES = ("sources", "transcribe", "split", "search", "output", "ingest", "cli")


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def _imports(path: Path) -> set[str]:
    """The bitesearch modules a file imports (a package's name when it imports the package)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("bitesearch")}
        elif isinstance(node, ast.ImportFrom) and node.level:
            raise AssertionError(f"{path}: a relative import; bitesearch imports absolutely")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("bitesearch"):
            base = node.module or ""
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in MODULES else base)
    return found


GRAPH = {name: _imports(path) for name, path in MODULES.items()}


def rank(module: str) -> int:
    """The module's place in the data flow: -1 for the package, 0 for the core, then stages."""
    parts = module.split(".")
    if len(parts) == 1:
        return -1  # bitesearch itself (__version__)
    top = parts[1]
    if top in CORE:
        return 0
    if top == "__main__":
        return len(STAGES)
    assert top in STAGES, f"{module} is neither core nor a stage: add it to the layout"
    return STAGES.index(top) + 1


def test_every_module_is_core_or_in_a_stage() -> None:
    for module in MODULES:
        rank(module)


@pytest.mark.parametrize("stage", [s for s in STAGES if (PACKAGE / s).is_dir()])
def test_every_stage_says_what_it_takes_and_gives(stage: str) -> None:
    doc = ast.get_docstring(ast.parse((PACKAGE / stage / "__init__.py").read_text()))
    assert doc and len(doc.splitlines()) >= 3, f"bitesearch/{stage}/__init__.py: no docstring"


def test_imports_run_only_downward() -> None:
    upward = [
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        for target in targets
        if rank(target) > rank(module)
    ]
    assert not upward, "imports against the data flow:\n" + "\n".join(sorted(upward))


def _cycle() -> list[str] | None:
    """One import circle among the package's modules, or None (a depth-first search)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        path.append(module)
        for target in sorted(GRAPH.get(module, ())):
            if target == module or target not in GRAPH:
                continue
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if state.get(target) is None and (found := visit(target)):
                return found
        path.pop()
        state[module] = 2
        return None

    for module in sorted(GRAPH):
        if state.get(module) is None and (found := visit(module)):
            return found
    return None


def test_no_import_circles() -> None:
    cycle = _cycle()
    assert cycle is None, "an import circle: " + " -> ".join(cycle or [])


def test_the_checks_catch_what_they_are_for(monkeypatch: pytest.MonkeyPatch) -> None:
    """The two checks fail on a planted circle and a planted upward import."""
    monkeypatch.setitem(GRAPH, "bitesearch.sources.fetch", {"bitesearch.sources.feeds"})
    monkeypatch.setitem(GRAPH, "bitesearch.sources.feeds", {"bitesearch.sources.fetch"})
    assert _cycle() is not None
    assert rank("bitesearch.search.query") > rank("bitesearch.split.edition")
    assert rank("bitesearch.archive") < rank("bitesearch.sources.fetch")
