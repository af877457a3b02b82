"""Named points on the write path where the tests' fault harness kills the process.

`point("commit")` does nothing unless the environment names that point in BITESEARCH_KILL_AT;
then the process dies at once with SIGKILL, as a power cut or `kill -9` would, so a test can
check that the next run completes an archive left at exactly that moment.
"""

from __future__ import annotations

import os
import signal

KILL_AT = "BITESEARCH_KILL_AT"


def point(name: str) -> None:
    if os.environ.get(KILL_AT) == name:
        os.kill(os.getpid(), signal.SIGKILL)
