"""Whoosh's pickles read through an unpickler that builds only what a real index holds.

Whoosh keeps its segment list (in the TOC), block headers, compound-file directories and
stored fields as pickles, and unpickling an arbitrary pickle runs arbitrary code: an index
someone shares or plants (a TOC whose segment list holds an object whose `__reduce__` is
`os.system`) would run code on the reader's machine. `install()` replaces every `loads`/`load`
Whoosh reads with, module by module, by one whose `find_class` allows only the classes and
functions a Whoosh 2.7 index of bitesearch's schema holds; anything else raises
`UnsafeIndexError`. The schema itself is never unpickled: bitesearch opens its index with its
own schema (index.py), which Whoosh then uses instead of the stored one.
"""

from __future__ import annotations

import io
import pickle
from typing import IO, Any

# (module, name) pairs found in real indexes' pickles (segment lists, block headers, stored
# fields) over the test suite, the sample and the 1,000-talk benchmark archive; protocol-2
# pickles name builtins the Python 2 way, so both spellings are listed
ALLOWED = frozenset(
    {
        ("whoosh.codec.whoosh3", "W3Codec"),
        ("whoosh.codec.whoosh3", "W3Segment"),
        ("collections", "defaultdict"),
        ("_codecs", "encode"),  # how protocol 2 stores bytes
        *(
            (module, name)
            for module in ("builtins", "__builtin__")
            for name in ("int", "long", "float", "set", "frozenset")
        ),
    }
)


class UnsafeIndexError(pickle.UnpicklingError):
    """A pickle in the index names something a Whoosh index never holds."""


class _Restricted(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in ALLOWED:
            raise UnsafeIndexError(f"the index names {module}.{name}, which no Whoosh index holds")
        return super().find_class(module, name)


def loads(data: bytes, *args: Any, **kwargs: Any) -> Any:
    return _Restricted(io.BytesIO(data)).load()


def load(file: IO[bytes], *args: Any, **kwargs: Any) -> Any:
    return _Restricted(file).load()


class _PickleModule:
    """Stands in for the `pickle` module where Whoosh imported it whole (whoosh.index)."""

    UnpicklingError = pickle.UnpicklingError
    HIGHEST_PROTOCOL = pickle.HIGHEST_PROTOCOL
    dumps = staticmethod(pickle.dumps)
    dump = staticmethod(pickle.dump)
    loads = staticmethod(loads)
    load = staticmethod(load)


_INSTALLED: list[bool] = []


def install() -> None:
    """Make every Whoosh module read its pickles through the restricted unpickler (once)."""
    if _INSTALLED:
        return
    import whoosh.codec.plaintext
    import whoosh.codec.whoosh3
    import whoosh.columns
    import whoosh.filedb.structfile
    import whoosh.formats
    import whoosh.index

    whoosh.index.pickle = _PickleModule
    whoosh.filedb.structfile.load_pickle = load
    for module in (whoosh.codec.whoosh3, whoosh.columns, whoosh.formats, whoosh.codec.plaintext):
        module.loads = loads
    _INSTALLED.append(True)
