"""The console-script entry point: ``kb --help`` answered from ``kb/help.txt`` without
importing click (which alone takes longer than the 0.1 s this answer may take; a test
keeps the file equal to click's own help), everything else handed to ``kb.cli``.
"""

from __future__ import annotations

import contextlib
import os
import sys

HELP = os.path.join(os.path.dirname(__file__), "help.txt")


def main() -> None:
    """Run ``kb`` with the arguments in ``sys.argv``."""
    if sys.argv[1:] in (["--help"], ["-h"]):
        _print_help()
        return
    from kb.cli import main as run

    run()


def _print_help() -> None:
    with open(HELP, "rb") as handle:
        text = handle.read()
    try:
        sys.stdout.buffer.write(text)
        sys.stdout.flush()
    except BrokenPipeError:  # a reader that went away: 141, silently, as kb does
        os._exit(141)
    except (OSError, AttributeError) as exc:  # stdout full or closed: one line, exit 2
        reason = getattr(exc, "strerror", None) or "stdout is closed"
        with contextlib.suppress(OSError, AttributeError):
            sys.stderr.write(f"kb: cannot write the help: {reason}\n")
            sys.stderr.flush()
        os._exit(2)
