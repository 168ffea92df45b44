"""Text for people: tables that fit, terms for display, validation reports, stats,
explanations and ``kb check`` results. Pure functions from values to strings (no I/O);
machine formats come from ``kb.query`` and ``kb.export``, error lines from ``kb.cli``."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING

from kb.terms import lexical, short

if TYPE_CHECKING:
    from kb.catalogue import CheckResult
    from kb.explain import Explanation
    from kb.profile import Profile
    from kb.shacl.report import Report
    from kb.stats import Stats

WIDTH = 100
MAX_TABLE_ROWS = 1000
_NEWLINE = re.compile(r"\r\n|[\r\n]")
#: What would act on a terminal instead of showing: C0 and C1 controls (ESC starts the
#: sequences that recolour, retitle or clear it), DEL, and the bidirectional overrides and
#: isolates that reorder what is shown. Tab and newline are laid out by each format.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` from the data or a server made safe to print on a terminal: each
    character in _UNPRINTABLE as its ``\\uXXXX`` escape."""
    return _UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04X}", text)


def use_colour(stream: IO[str] | None) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    if os.environ.get("NO_COLOR", "") != "":
        return False
    return bool(stream is not None and hasattr(stream, "isatty") and stream.isatty())


def display(term: str | None) -> str:
    """A term (N-Triples form) for people: prefixed names, literals by their lexical form
    on one line."""
    if term is None:
        return ""
    if term.startswith('"'):
        return printable(_NEWLINE.sub(" ", lexical(term)))
    return printable(short(term))


def _fit(widths: list[int], width: int) -> list[int]:
    """Shrink the widest columns until the row (with 2-space gaps) fits ``width``."""
    widths = list(widths)
    budget = width - 2 * (len(widths) - 1)
    while sum(widths) > budget and max(widths) > 4:
        widest = widths.index(max(widths))
        widths[widest] -= 1
    return widths


def _cell(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    width: int = WIDTH,
    max_rows: int | None = MAX_TABLE_ROWS,
) -> str:
    """A plain-text table at most ``width`` columns wide; rows beyond ``max_rows`` are
    left out with a note (other formats give every row)."""
    shown = list(rows if max_rows is None else rows[:max_rows])
    natural = [len(h) for h in headers]
    for row in shown:
        natural = [max(n, len(" ".join(c.split()))) for n, c in zip(natural, row, strict=True)]
    widths = _fit(natural, width)
    lines = ["  ".join(_cell(h, w).ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    for row in shown:
        lines.append("  ".join(_cell(c, w).ljust(w) for c, w in zip(row, widths, strict=True)))
    lines = [line.rstrip() for line in lines]
    hidden = len(rows) - len(shown)
    if hidden > 0:
        lines.append(f"… {hidden} more rows not shown (use --format csv or json for all)")
    return "\n".join(lines) + "\n"


def solutions_table(variables: Sequence[str], rows: Sequence[Sequence[str | None]]) -> str:
    """SELECT results as a table of display forms."""
    return table(list(variables), [[display(t) for t in row] for row in rows])


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def report_summary(report: Report) -> str:
    c = report.counts
    counts = ", ".join(
        [
            _plural(c.get("Violation", 0), "violation"),
            _plural(c.get("Warning", 0), "warning"),
            _plural(c.get("Info", 0), "info"),
        ]
    )
    verdict = "conforms" if report.conforms else "does not conform"
    if report.not_checked:
        verdict += f" (partial: {_plural(len(report.not_checked), 'shape')} not checked)"
    return f"{verdict}: {counts}"


def report_text(report: Report, max_results: int | None = None) -> str:
    """One line per result (severity, focus, path, message) grouped by shape, then a
    summary; ``max_results`` limits the lines, never the counts."""
    lines: list[str] = []
    shown = report.results if max_results is None else report.results[:max_results]
    shape = None
    for result in shown:
        row = result.as_dict()
        if row["shape"] != shape:
            shape = row["shape"]
            lines.append(short(shape))
        path = short(result.path) if result.path else "-"
        message = printable(result.message)
        lines.append(f"  {row['severity']} {short(row['focus'] or '')} {path}: {message}")
    hidden = len(report.results) - len(shown)
    if hidden > 0:
        lines.append(f"… {hidden} more results not shown (--max-results {max_results})")
    for skipped in report.not_checked:
        lines.append(f"not checked: {short(str(skipped.shape))} ({skipped.reason})")
    lines.append(report_summary(report))
    return "\n".join(lines) + "\n"


def profile_text(profile: Profile) -> str:
    """The steps of a command with their times, then the engine's time per shape and per
    compiled query, slowest first (shapes run on several threads: their wall times
    overlap; CPU seconds are the steadier figure on a shared machine)."""
    lines = ["profile: seconds per step (wall, CPU of every thread)"]
    for p in profile.phases:
        inside = " (within the next step, so not added to the total)" if p.within else ""
        lines.append(f"  {p.seconds:8.3f} {p.cpu:8.3f}  {p.name}{inside}")
    steps = [p for p in profile.phases if not p.within]
    wall, cpu = sum(p.seconds for p in steps), sum(p.cpu for p in steps)
    lines.append(f"  {wall:8.3f} {cpu:8.3f}  total of the steps")
    per_shape: dict[str, list[float]] = {}
    for q in profile.queries:
        totals = per_shape.setdefault(q.shape, [0.0, 0.0])
        totals[0] += q.seconds
        totals[1] += q.cpu
    if per_shape:
        lines.append("engine: seconds per shape, its queries added up (wall, CPU), slowest first")
        for shape, (seconds, used) in sorted(per_shape.items(), key=lambda kv: -kv[1][1]):
            name = short(shape) if shape else "(every shape)"
            lines.append(f"  {seconds:8.3f} {used:8.3f}  {name}")
        lines.append("engine: each compiled query (wall, CPU, rows), slowest first")
        for q in sorted(profile.queries, key=lambda q: -q.cpu):
            shape = short(q.shape) if q.shape else "(every shape)"
            lines.append(f"  {q.seconds:8.3f} {q.cpu:8.3f} {q.rows:7d}  {shape}  {q.query}")
    return "\n".join(lines) + "\n"


def stats_text(stats: Stats, report: Report | None = None) -> str:
    """Triples, instances per class, uses per property, and conformance."""
    parts = [f"triples: {stats.triples}", ""]
    parts.append(
        table(["class", "instances"], [[short(k), str(n)] for k, n in stats.classes], max_rows=None)
    )
    parts.append(
        table(
            ["property", "uses"], [[short(k), str(n)] for k, n in stats.properties], max_rows=None
        )
    )
    if stats.bases:
        rows = [[k, str(n)] for k, n in stats.bases]
        parts.append(table(["basis", "statements"], rows, max_rows=None))
    if stats.fact_triples:
        share = 100 * stats.with_statement / stats.fact_triples
        parts.append(
            f"fact triples with a statement node: {stats.with_statement} of"
            f" {stats.fact_triples} ({share:.1f}%)\n"
        )
    if report is not None:
        parts.append(f"shapes: {report_summary(report)}\n")
    return "\n".join(parts)


def _mark(text: str, colour: bool) -> str:
    return f"\x1b[1m{text}\x1b[0m" if colour else f"[[{text}]]"


def explanation_text(explanation: Explanation, colour: bool = False) -> str:
    """The resource, its properties, what links to it, and each statement about it with
    its basis and its evidence sentences (or the note saying why it has none)."""
    lines = [short(explanation.resource), ""]
    lines += [f"  {short(p)} {short(o)}" for p, o in explanation.properties]
    lines += ["", "linked from:"]
    lines += [f"  {short(s)} {short(p)}" for s, p in explanation.incoming] or ["  (nothing)"]
    lines += ["", "evidence:"]
    for item in explanation.statements:
        s, p, o = (short(term) for term in item.triple)
        basis = short(item.basis) if item.basis else "no basis"
        lines.append(f"  {s} {p} {o}  [{basis}]")
        for evidence in item.evidence:
            exact = _mark(printable(evidence.exact), colour)
            sentence = f"{printable(evidence.before)}{exact}{printable(evidence.after)}"
            lines.append(f"    {' '.join(sentence.split())}")
        if item.note:
            lines.append(f"    note: {printable(' '.join(item.note.split()))}")
    if not explanation.statements:
        lines.append("  (none)")
    return "\n".join(lines) + "\n"


def check_text(results: Sequence[CheckResult]) -> str:
    """``kb check`` output: a line per query, the diff of each failure, a summary."""
    lines = []
    for result in results:
        verdict = "PASS" if result.passed else "FAIL"
        lines.append(
            f"{verdict}  {result.name:<32} {_plural(result.rows, 'row'):>8}"
            f"  {result.seconds * 1000:7.1f} ms"
        )
        lines += [f"      {printable(line)}" for line in result.diff]
    failed = sum(not result.passed for result in results)
    lines.append(f"{len(results) - failed} passed, {failed} failed")
    return "\n".join(lines) + "\n"
