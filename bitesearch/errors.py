"""The one error type the CLI turns into a single line on stderr and a non-zero exit."""


class BitesearchError(Exception):
    """A problem the user can fix; the message says what happened and what to do next."""

    exit_code = 1


class UsageError(BitesearchError):
    """Bad input on the command line (an unknown format, an empty query, ...)."""

    exit_code = 2
