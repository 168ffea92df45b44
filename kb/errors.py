"""The error kinds a user can cause, each with its exit code and a one-line message.

Exit codes (the same for every command): 0 success; 1 the data or answers fall short;
2 usage or input error (also: results that cannot be written, stdout closed or full);
3 a server or a time limit failed. Ended by a signal (or as if): 128 + its number (130
Ctrl-C, 143 SIGTERM, 129 SIGHUP, 141 a reader of stdout that went away, silently).
"""

from __future__ import annotations

from pathlib import Path

EXIT_OK = 0
EXIT_SHORTFALL = 1
EXIT_USAGE = 2
EXIT_SERVER = 3

EXIT_CODES: dict[int, str] = {
    EXIT_OK: "success",
    EXIT_SHORTFALL: "the data or answers fall short (violations; warnings with --strict)",
    EXIT_USAGE: "usage or input error (bad option, bad file, SPARQL syntax, unknown query)",
    EXIT_SERVER: "a server or a time limit failed",
}


def _one_line(text: str) -> str:
    """Collapse ``text`` onto one line (messages never span lines)."""
    return " ".join(str(text).split())


class KBError(Exception):
    """Base of every error a user can cause; carries its exit code."""

    exit_code: int = EXIT_USAGE

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        self.message = _one_line(message)
        if exit_code is not None:
            self.exit_code = exit_code
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class InputError(KBError):
    """A file, query or value given by the user cannot be used (exit 2)."""

    exit_code = EXIT_USAGE

    @classmethod
    def at(cls, path: str | Path, line: int | None, message: str) -> InputError:
        """Build the ``FILE:LINE: message`` form (``FILE: message`` when no line is known)."""
        where = f"{path}:{line}" if line else f"{path}"
        return cls(f"{where}: {message}")


class OutputError(KBError):
    """The results cannot be written: stdout closed or failing, an ``-o`` target that
    cannot take them (exit 2, as a full disk on ``-o`` always was)."""

    exit_code = EXIT_USAGE


class UsageError(KBError):
    """Options that do not fit together (exit 2)."""

    exit_code = EXIT_USAGE


class ServerError(KBError):
    """An endpoint was unreachable, answered an error, or answered nonsense (exit 3)."""

    exit_code = EXIT_SERVER


class TimeLimitError(KBError):
    """An operation ran past its time limit (exit 3)."""

    exit_code = EXIT_SERVER


class DataShortfall(KBError):
    """The data or the answers fall short: violations, catalogue differences (exit 1)."""

    exit_code = EXIT_SHORTFALL


#: pyoxigraph's parsers refuse a single term (literal or IRI) longer than this.
PARSER_TERM_LIMIT = 16 * 1024 * 1024


def term_too_long(exc: MemoryError, where: str = "kb") -> InputError | None:
    """The InputError for pyoxigraph's refusal of a term past its buffer limit (a
    MemoryError saying so), else None: a real lack of memory stays what it is."""
    if "buffer maximal size" not in str(exc):
        return None
    limit = PARSER_TERM_LIMIT // (1024 * 1024)
    return InputError(f"{where}: a literal or IRI longer than {limit} MiB (the RDF parser's limit)")
