"""The ``kb`` command: parse options, call one library function, print the result.

Imports of rdflib, pySHACL and pyoxigraph happen inside the commands, so that
``kb --help`` stays fast. Every error a user can cause ends as one line on stderr and
the exit code of its kind (see ``kb --help``); ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import contextlib
import errno
import io
import math
import os
import signal
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from kb import MAX_RESPONSE_MB, PASSWORD_ENV, VALIDATE_TIMEOUT, __version__
from kb.errors import EXIT_CODES, EXIT_USAGE, KBError, OutputError, UsageError
from kb.formats import EXPORT_FORMATS, QUERY_FORMATS, REPORT_FORMATS

#: Seconds allowed for each request to a server (kb.remote.DEFAULT_TIMEOUT, not imported:
#: `kb --help` imports nothing it does not need).
DEFAULT_ENDPOINT_TIMEOUT = 30.0

if TYPE_CHECKING:
    from kb.resources import Layout

EPILOG = "\b\nExit codes:\n" + "\n".join(f"  {code}  {text}" for code, text in EXIT_CODES.items())
DATA_FILES = click.argument("data_files", nargs=-1, metavar="[DATA_FILE]...")


class KBCommand(click.Command):
    """A command that refuses text options and arguments that are not UTF-8 (bytes the
    shell passed through undecoded) before running: one line, exit 2. File names may be
    any bytes and are left alone."""

    def invoke(self, ctx: click.Context) -> Any:
        for param in self.params:
            if isinstance(param.type, click.Path) or param.name is None:
                continue
            values = ctx.params.get(param.name)
            for value in values if isinstance(values, tuple) else (values,):
                if isinstance(value, str) and not _is_file_name(param, value):
                    _require_utf8(ctx, param, value)
        return super().invoke(ctx)


def _is_file_name(param: click.Parameter, value: str) -> bool:
    """QUERY may be a .rq file, whose name may be any bytes."""
    return param.name == "query" and os.path.lexists(value)


def _require_utf8(ctx: click.Context, param: click.Parameter, value: str) -> None:
    undecoded = next((c for c in value if "\udc80" <= c <= "\udcff"), None)
    if undecoded is not None:
        name = param.opts[0] if isinstance(param, click.Option) else param.human_readable_name
        byte = ord(undecoded) - 0xDC00
        raise UsageError(f"kb {ctx.info_name}: {name}: not UTF-8 (byte 0x{byte:02x})")


class KBGroup(click.Group):
    """A click group whose errors are one line on stderr with the documented exit code."""

    command_class = KBCommand

    def main(self, args: Any = None, prog_name: str | None = None, **extra: Any) -> Any:  # type: ignore[override]
        extra.pop("standalone_mode", None)
        argv = list(sys.argv[1:] if args is None else args)
        debug = "--debug" in argv[: _first_command(argv)]
        try:
            code = super().main(
                args=argv, prog_name=prog_name or "kb", standalone_mode=False, **extra
            )
        except KBError as exc:
            if debug:
                raise
            _fail(str(exc), exc.exit_code)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            if debug:
                raise
            _fail(f"kb: {exc.format_message()}", exc.exit_code or EXIT_USAGE)
        except (KeyboardInterrupt, click.exceptions.Abort):
            _fail("kb: interrupted", 130)
        except BrokenPipeError:  # (--help, --version: click's own output)
            _drop_stream(sys.stdout)
            sys.exit(128 + signal.SIGPIPE)
        except OSError as exc:  # a stream or file no command mapped: still one line
            if debug:
                raise
            _drop_stream(sys.stdout)
            where = f"{exc.filename}: " if exc.filename else ""
            _fail(f"kb: {where}{exc.strerror or exc}", EXIT_USAGE)
        sys.exit(code if isinstance(code, int) else 0)

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; SIGINT, SIGTERM and SIGHUP end it as one line (click itself
        would print a blank line before its Abort, and Terminated would show a traceback).
        A reader of stdout that went away (``kb ... | head``) ends it silently with 141, as
        SIGPIPE would (click would exit 1, which here means "the data falls short")."""
        from kb.interrupts import Terminated

        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise KBError("kb: interrupted", 130) from None
        except Terminated as exc:
            what = "hung up" if exc.signum == signal.SIGHUP else "terminated"
            raise KBError(f"kb: {what}", 128 + exc.signum) from None
        except BrokenPipeError:
            _drop_stream(sys.stdout)
            raise click.exceptions.Exit(128 + signal.SIGPIPE) from None
        except MemoryError as exc:
            from kb.errors import term_too_long

            raise term_too_long(exc) or exc from None


def _drop_stream(stream: Any) -> None:
    """Point ``stream``'s file descriptor at /dev/null, so that the interpreter's last
    flush of what is left for a reader that is gone (or a disk that is full) does not
    fail at exit."""
    try:
        fileno = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fileno)
    os.close(devnull)


def _first_command(argv: list[str]) -> int:
    for index, arg in enumerate(argv):
        if not arg.startswith("-") and (
            index == 0 or argv[index - 1] not in ("--root", "--import")
        ):
            return index
    return len(argv)


def _fail(message: str, code: int) -> None:
    """Say ``message`` on stderr (if it can be written at all) and exit with ``code``;
    it may quote a file or a server, so nothing in it acts on the terminal."""
    from kb.output import printable

    _echo_err(printable(" ".join(message.split())))
    sys.exit(code)


def _echo_err(message: str) -> None:
    """A line on stderr; a closed or full stderr loses it but changes no exit code."""
    try:
        click.echo(message, err=True)
        if sys.stderr is not None:
            sys.stderr.flush()
    except (OSError, ValueError):
        _drop_stream(sys.stderr)


@dataclass(frozen=True)
class Session:
    """The global options, given to every command (``ctx.obj``, or ``@pass_session``)."""

    root: Path | None = None
    imports: tuple[Path, ...] = ()
    debug: bool = False
    quiet: bool = False

    def layout(self) -> Layout:
        """The knowledge base these options name."""
        from kb.resources import default_layout

        return default_layout(self.root, self.imports)


pass_session = click.make_pass_decorator(Session, ensure=True)


def _layout(ctx: click.Context) -> Layout:
    return _session(ctx).layout()


def _session(ctx: click.Context) -> Session:
    return ctx.find_object(Session) or Session()


def _note(ctx: click.Context, message: str) -> None:
    if not _session(ctx).quiet:
        _echo_err(message)


def _write(data: bytes | str) -> None:
    """Results to stdout. A reader that went away raises BrokenPipeError (exit 141,
    silently); stdout closed (``>&-``) or failing (a full disk) is one line, exit 2: the
    results are lost, and unlike ``| head`` nobody chose to stop reading them."""
    if sys.stdout is None:  # (in-process, as the console script replaces it)
        raise OutputError("kb: cannot write the results: stdout is closed")
    try:
        sys.stdout.flush()  # text already echoed must come first
        stream = sys.stdout.buffer
        stream.write(data.encode() if isinstance(data, str) else data)
        stream.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        _drop_stream(sys.stdout)
        raise OutputError(f"kb: cannot write the results: {exc.strerror or exc}") from None


class Seconds(click.ParamType):
    """A time limit in seconds: a finite number from 0 (``allow_zero``: no limit) to a
    week; ``nan``, ``inf``, negative or larger numbers are a usage error (exit 2)."""

    name = "seconds"
    MAXIMUM = 7 * 24 * 3600.0

    def __init__(self, allow_zero: bool = True) -> None:
        self.allow_zero = allow_zero

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number of seconds", param, ctx)
        low = "0 or more" if self.allow_zero else "more than 0"
        if not math.isfinite(seconds) or seconds < 0 or (seconds == 0 and not self.allow_zero):
            self.fail(f"{value!r}: give a number of seconds, {low}", param, ctx)
        if seconds > self.MAXIMUM:
            self.fail(f"{value!r}: at most {self.MAXIMUM:g} seconds (a week)", param, ctx)
        return seconds


#: --timeout of every command (push: 0 is not allowed, a request always has a limit).
TIMEOUT = Seconds()
PUSH_TIMEOUT = Seconds(allow_zero=False)


@click.group(
    name="kb",
    cls=KBGroup,
    epilog=EPILOG,
    context_settings={"help_option_names": ["-h", "--help"], "terminal_width": 100},
)
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="KB_ROOT",
    help="Knowledge base folder (ontology/, data/, queries/). Default: the bundled one.",
)
@click.option(
    "--import",
    "imports",
    multiple=True,
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="Load FILE with the ontology (owl:imports are never fetched; "
    "ontology/imports/*.ttl are loaded too).",
)
@click.option("--debug", is_flag=True, help="Show tracebacks on errors.")
@click.option("-q", "--quiet", is_flag=True, help="Print no notes on stderr.")
@click.version_option(__version__, prog_name="kb")
@click.pass_context
def cli(
    ctx: click.Context, root: Path | None, imports: tuple[Path, ...], debug: bool, quiet: bool
) -> None:
    """Validate, query, export and explain the life-sciences news knowledge base.

    Global options go before the command. Colour is used on terminals unless NO_COLOR
    is set.
    """
    ctx.obj = Session(root, imports, debug, quiet)


def _short(term: str) -> str:
    from kb.terms import short

    return short(term)


def _report_turtle(ntriples: bytes) -> bytes:
    import pyoxigraph

    from kb.export import serialize

    store = pyoxigraph.Store()
    if ntriples.strip():
        store.load(ntriples, format=pyoxigraph.RdfFormat.N_TRIPLES)
    return serialize(store, "turtle")


def _auth_options(command: Any) -> Any:
    """--user/--auth: credentials for a SPARQL server (password never on the command line)."""
    command = click.option(
        "--auth",
        type=click.Choice(["basic", "digest"]),
        default="basic",
        show_default=True,
        help="HTTP authentication scheme (with --user or netrc).",
    )(command)
    return click.option(
        "--user", help=f"User name; password from ${PASSWORD_ENV} or a netrc file."
    )(command)


def _max_response_option(command: Any) -> Any:
    """--max-response-size: the largest answer read from a server."""
    return click.option(
        "--max-response-size",
        "max_response_mb",
        type=click.IntRange(min=1),
        default=MAX_RESPONSE_MB,
        show_default=True,
        metavar="MB",
        help="Refuse a server answer larger than MB megabytes (exit 3).",
    )(command)


def _endpoint_options(command: Any) -> Any:
    """--endpoint/--graph/--user/--auth/--max-response-size: ask a SPARQL server instead
    of the local store."""
    command = _max_response_option(_auth_options(command))
    command = click.option(
        "--graph",
        metavar="IRI",
        help="Graph to query on the server (default: the one kb push writes).",
    )(command)
    return click.option("--endpoint", metavar="URL", help="Ask this SPARQL endpoint instead.")(
        command
    )


def _remote(ctx: click.Context, server: dict[str, Any], timeout: float | None) -> Any:
    """A kb.remote.Remote from the endpoint options (timeout: per request, default 30)."""
    from kb.namespaces import DEFAULT_GRAPH
    from kb.remote import DEFAULT_TIMEOUT, MB, Remote, check_url, resolve_auth

    if ctx.get_parameter_source("timeout") == click.core.ParameterSource.DEFAULT:
        timeout = DEFAULT_TIMEOUT
    url = check_url(server["endpoint"])
    auth = resolve_auth(url, server["user"], server["auth"])
    graph = server["graph"] or DEFAULT_GRAPH
    max_bytes = server["max_response_mb"] * MB
    return Remote(url, graph, auth, timeout or DEFAULT_TIMEOUT, max_bytes)


@cli.command()
@DATA_FILES
@click.option("--shapes", type=click.Path(path_type=Path), help="SHACL shapes file.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(REPORT_FORMATS),
    default="text",
    show_default=True,
)
@click.option(
    "--max-results",
    type=click.IntRange(min=0),
    help="Print at most N results (counts stay complete).",
)
@click.option("--strict", is_flag=True, help="Exit 1 on warnings and infos too.")
@click.option(
    "--profile",
    is_flag=True,
    help="Print to stderr the time of each step (parse, closure, engine) and of each "
    "compiled query, slowest first.",
)
@click.option(
    "--engine",
    type=click.Choice(["fast", "pyshacl"]),
    default="fast",
    show_default=True,
    help="Validation engine: fast (shapes compiled to SPARQL; pySHACL takes any shape it "
    "does not support) or pyshacl (the reference engine).",
)
@click.option(
    "--timeout",
    type=TIMEOUT,
    default=VALIDATE_TIMEOUT,
    show_default=True,
    help="Stop loading, inference and validation after SECONDS or past the memory "
    "allowed (exit 3); 0 for no limit. With --endpoint: per request, default 30.",
)
@click.option(
    "--allow-partial",
    is_flag=True,
    help="With --endpoint: report shapes the server cannot run as not checked, instead of exit 2.",
)
@_endpoint_options
@click.pass_context
def validate(
    ctx: click.Context,
    data_files: tuple[str, ...],
    shapes: Path | None,
    fmt: str,
    max_results: int | None,
    strict: bool,
    profile: bool,
    engine: str,
    timeout: float,
    allow_partial: bool,
    **server: Any,
) -> None:
    """Validate the published graph (data + ontology + closure) against the shapes.

    With DATA_FILEs, exactly those files are validated (with the ontology and the
    closure) instead of the bundled data. With --endpoint, the graph kb push wrote on
    that SPARQL server is validated there (only results come back). Exit 1 when there
    are violations.
    """
    from kb.terms import nt

    if server["endpoint"]:
        report = _validate_on_server(ctx, data_files, shapes, engine, timeout, server)
        if report.not_checked and not allow_partial:
            names = ", ".join(_short(nt(u.shape)) for u in report.not_checked)
            _fail(
                f"kb validate: not checked on the server: {names} "
                "(--allow-partial reports them as not checked)",
                2,
            )
    else:
        from kb.profile import Profile
        from kb.validate import validate as run

        timed = Profile() if profile else None
        with _phases(ctx, data_files) as (loading, validating):
            layout, files = _layout(ctx), data_files or None
            limit = timeout or None
            report = run(layout, files, shapes, engine, loading, validating, limit, timed)
        if timed is not None:
            from kb.output import profile_text

            click.echo(profile_text(timed), err=True, nl=False)
    if report.unsupported:
        names = ", ".join(sorted(_short(nt(u.shape)) for u in report.unsupported))
        _note(ctx, f"note: validated by pySHACL (not supported by the fast engine): {names}")
    for skipped in report.not_checked:
        _note(
            ctx, f"note: not checked on the server: {_short(nt(skipped.shape))}: {skipped.reason}"
        )
    if fmt == "json":
        import json

        _write(json.dumps(report.as_json(), indent=2, ensure_ascii=False) + "\n")
    elif fmt == "turtle":
        _write(_report_turtle(report.report_ntriples))
    else:
        from kb.output import report_text

        _write(report_text(report, max_results))
    ctx.exit(report.exit_code(strict))


def _validate_on_server(
    ctx: click.Context,
    data_files: tuple[str, ...],
    shapes: Path | None,
    engine: str,
    timeout: float,
    server: dict[str, Any],
) -> Any:
    """The report of the graph on the server (the fast engine's queries sent there)."""
    from kb.errors import UsageError
    from kb.remote.validation import EndpointSource
    from kb.validate import validate_endpoint

    if data_files:
        raise UsageError("kb validate: give DATA_FILEs or --endpoint, not both")
    if engine != "fast":
        raise UsageError("kb validate --endpoint runs the fast engine only (not --engine pyshacl)")
    remote = _remote(ctx, server, timeout)
    source = EndpointSource(
        remote.endpoint_url, remote.graph, remote.auth, remote.timeout, remote.max_bytes
    )
    return validate_endpoint(_layout(ctx), source, shapes)


@cli.command()
@click.argument("query", required=False)
@click.option(
    "--bind",
    "bindings",
    multiple=True,
    metavar="NAME=VALUE",
    help="Bind ?NAME to VALUE (<iri>, a prefixed name, else a plain literal).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(QUERY_FORMATS),
    help="Result format (default: table for SELECT/ASK, turtle for CONSTRUCT/DESCRIBE).",
)
@click.option("--list", "list_", is_flag=True, help="List the query catalogue and exit.")
@click.option("--allow-service", is_flag=True, help="Allow SERVICE clauses (network access).")
@click.option(
    "--timeout",
    type=TIMEOUT,
    default=60.0,
    show_default=True,
    help="Stop the query after SECONDS (exit 3); 0 for no limit. With --endpoint: "
    "per request, default 30.",
)
@_endpoint_options
@click.pass_context
def query(
    ctx: click.Context,
    query: str | None,
    bindings: tuple[str, ...],
    fmt: str | None,
    list_: bool,
    allow_service: bool,
    timeout: float,
    **server: Any,
) -> None:
    """Run QUERY on the published graph, or with --endpoint on a SPARQL server.

    QUERY is a catalogue name (see --list), a .rq file, or inline SPARQL.
    """
    layout = _layout(ctx)
    if list_:
        _write(_catalogue_text(layout))
        return
    if not query:
        raise UsageError(
            "kb query: give a QUERY (a catalogue name, a .rq file or SPARQL) or --list"
        )
    from kb.catalogue import UnknownQuery
    from kb.query import ServiceRefused

    try:
        result = _run_query(ctx, layout, query, bindings, allow_service, fmt, timeout, server)
    except ServiceRefused as exc:
        if server["endpoint"]:  # SERVICE stays refused on a server: the option is for local
            raise
        raise ServiceRefused(f"{exc}; pass --allow-service to allow it") from None
    except UnknownQuery as exc:
        if exc.suggested:
            raise
        raise UnknownQuery(f"{exc}; see kb query --list", True) from None
    if result.payload is not None:
        _write(result.payload if result.payload.endswith(b"\n") else result.payload + b"\n")
    elif result.boolean is not None:
        _write("true\n" if result.boolean else "false\n")
    else:
        from kb.output import MAX_TABLE_ROWS, solutions_table

        _write(solutions_table(result.variables, result.rows or []))
        if result.rows and len(result.rows) > MAX_TABLE_ROWS:
            _note(ctx, f"table truncated to {MAX_TABLE_ROWS} rows")


@cli.command()
@click.option(
    "--timeout",
    type=TIMEOUT,
    default=30.0,
    show_default=True,
    help="Seconds allowed for each query (exit 3 past it); 0 for no limit. With --endpoint: "
    "for each request, and 0 means 30 (a request always has a limit).",
)
@_endpoint_options
@click.pass_context
def check(ctx: click.Context, timeout: float, **server: Any) -> None:
    """Run the whole query catalogue and compare each answer with queries/expected/.

    Prints a line per query (PASS/FAIL, rows, time), the differing rows of each failure
    ('-' expected only, '+' answered only) and a summary; exit 1 if any query fails.
    """
    from kb.check import check_catalogue
    from kb.output import check_text
    from kb.published import published_store
    from kb.query import Local

    layout = _layout(ctx)
    engine = _remote(ctx, server, timeout) if server["endpoint"] else None
    results = check_catalogue(layout, engine or Local(published_store(layout), timeout or None))
    _write(check_text(results))
    if not all(result.passed for result in results):
        ctx.exit(1)


def _run_query(
    ctx: click.Context,
    layout: Any,
    query: str,
    bindings: tuple[str, ...],
    allow_service: bool,
    fmt: str | None,
    timeout: float,
    server: dict[str, Any],
) -> Any:
    """QUERY's result, from the server named by --endpoint or from the published graph."""
    if server["endpoint"]:
        from kb.query import prepare_named

        remote = _remote(ctx, server, timeout)
        return remote.run(prepare_named(layout, query, bindings), fmt)
    from kb.query import run_query

    return run_query(
        layout, query, bindings, allow_service=allow_service, fmt=fmt, timeout=timeout or None
    )


def _catalogue_text(layout: Any) -> str:
    from kb.catalogue import catalogue
    from kb.output import table

    rows = []
    for entry in catalogue(layout):
        params = ", ".join(f"{k}={v}" if v is not None else k for k, v in entry.params.items())
        rows.append([entry.name, entry.question or entry.title, params])
    return table(["name", "question", "parameters"], rows, max_rows=None)


@cli.command()
@DATA_FILES
@click.option(
    "--store",
    metavar="URL",
    required=True,
    help="Graph Store Protocol endpoint (Oxigraph /store, Virtuoso /sparql-graph-crud-auth).",
)
@click.option(
    "--update",
    metavar="URL",
    help="SPARQL Update endpoint: load a staging graph, then MOVE it over the target (atomic).",
)
@click.option(
    "--endpoint",
    metavar="URL",
    help="SPARQL query endpoint used to count the triples (default: a GET on --store).",
)
@click.option("--graph", metavar="IRI", help="Target named graph (default: the project's).")
@_auth_options
@click.option(
    "--timeout",
    type=PUSH_TIMEOUT,
    default=30.0,
    show_default=True,
    help="Seconds allowed for each request (exit 3 past it).",
)
@_max_response_option
@click.pass_context
def push(
    ctx: click.Context,
    data_files: tuple[str, ...],
    store: str,
    update: str | None,
    endpoint: str | None,
    graph: str | None,
    user: str | None,
    auth: str,
    timeout: float,
    max_response_mb: int,
) -> None:
    """Send the published graph (data + ontology + closure) to a SPARQL 1.1 server.

    The graph's triple count is read back afterwards and must match (else exit 3).
    Without --update, a PUT replaces the graph: not atomic on servers that clear first.
    """
    import pyoxigraph

    from kb.namespaces import DEFAULT_GRAPH
    from kb.published import published_store
    from kb.remote import MB, check_url, push, resolve_auth
    from kb.store import release

    for url, what in ((update, "update endpoint"), (endpoint, "query endpoint")):
        if url:
            check_url(url, what)  # before the graph is built: a usage error costs nothing
    credentials = resolve_auth(check_url(store, "store"), user, auth)  # type: ignore[arg-type]
    published = published_store(_layout(ctx), data_files or None)
    # The server keeps no order: the store's own dump (not the sorted export), and its
    # triple count (no re-parse of the data to count it).
    data = published.dump(
        format=pyoxigraph.RdfFormat.N_TRIPLES, from_graph=pyoxigraph.DefaultGraph()
    )
    triples = len(published)
    release(published)
    del published  # freed now, not while the server's answer to the read-back is held
    with _progress(ctx, len(data)) as progress:
        result = push(
            data,
            store,
            update,
            endpoint,
            graph or DEFAULT_GRAPH,
            credentials,
            timeout,
            progress,
            expected_triples=triples,
            max_bytes=max_response_mb * MB,
        )
    how = (
        "atomic: loaded into a staging graph, then MOVE"
        if result.atomic
        else "not atomic: PUT replaces the graph; servers that clear first show it empty meanwhile"
    )
    _write(f"pushed {result.triples} triples to <{result.graph}> in {result.seconds:.2f} s\n")
    _write(how + "\n")


#: Uploads (and data files to validate) at least this large get a progress bar on a
#: terminal.
PROGRESS_BYTES = 4 * 1024 * 1024


@contextlib.contextmanager
def _phases(ctx: click.Context, data_files: tuple[str, ...]) -> Iterator[tuple[Any, Any]]:
    """(loading, validating) progress callbacks drawing one bar each on stderr, when the
    data files are large and stderr is a terminal (and not -q); else (None, None)."""
    try:
        size = sum(Path(f).stat().st_size for f in data_files)
    except OSError:
        size = 0  # the loader reports the file
    if _session(ctx).quiet or size < PROGRESS_BYTES or not sys.stderr.isatty():
        yield None, None
        return
    with contextlib.ExitStack() as stack:
        current: dict[str, Any] = {}

        def phase(label: str) -> Any:
            def advance(done: int, total: int) -> None:
                if current.get("label") != label:
                    stack.close()  # finish the previous phase's bar
                    bar = click.progressbar(length=total, label=label, file=sys.stderr)
                    current.update(label=label, bar=stack.enter_context(bar), done=0)
                current["bar"].update(done - current["done"])
                current["done"] = done

            return advance

        yield phase("loading   "), phase("validating")


@contextlib.contextmanager
def _progress(ctx: click.Context, total: int) -> Iterator[Any]:
    """A progress callback drawing a bar on stderr for large uploads on a terminal."""
    if _session(ctx).quiet or total < PROGRESS_BYTES or not sys.stderr.isatty():
        yield None
        return
    with click.progressbar(length=total, label="uploading", file=sys.stderr) as bar:
        done = [0]

        def advance(sent: int, _total: int) -> None:
            bar.update(sent - done[0])
            done[0] = sent

        yield advance


@cli.command()
@DATA_FILES
@click.option(
    "--format",
    "fmt",
    type=click.Choice(EXPORT_FORMATS),
    default="turtle",
    show_default=True,
)
@click.option(
    "--inference",
    type=click.Choice(["none", "rdfs"]),
    default="none",
    show_default=True,
    help="rdfs adds the closure (subclasses, subproperties, inverses).",
)
@click.option("--with-ontology", is_flag=True, help="Include the ontology's triples.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),  # a str: Path() would drop a trailing slash
    help="Write to FILE atomically.",
)
@click.pass_context
def export(
    ctx: click.Context,
    data_files: tuple[str, ...],
    fmt: str,
    inference: str,
    with_ontology: bool,
    output: str | None,
) -> None:
    """Write the data (bundled, or the DATA_FILEs) as RDF, byte-for-byte reproducibly."""
    from kb.export import graph_ntriples, serialize_sorted
    from kb.files import write_atomic

    nt = graph_ntriples(_layout(ctx), data_files or None, inference, with_ontology)  # type: ignore[arg-type]
    data = serialize_sorted(nt, fmt)
    if output is None:
        _write(data)
        return
    write_atomic(output, data)
    triples = nt.count(b"\n")
    _note(ctx, f"wrote {triples} triples to {output}")


@cli.command()
@click.option(
    "--timeout",
    type=PUSH_TIMEOUT,
    default=DEFAULT_ENDPOINT_TIMEOUT,
    show_default=True,
    help="With --endpoint: seconds allowed for each request (exit 3 past it).",
)
@_endpoint_options
@click.pass_context
def stats(ctx: click.Context, timeout: float, **server: Any) -> None:
    """Count triples, instances, property uses and statements by basis; check conformance.

    Also gives the share of the data's fact triples that have a statement node. With
    --endpoint, the graph on that SPARQL server is counted there (no conformance line and
    no share: kb validate --endpoint checks the graph).
    """
    from kb.output import stats_text

    if server["endpoint"]:
        from kb.remote.validation import EndpointSource
        from kb.stats import stats_of

        remote = _remote(ctx, server, timeout)
        source = EndpointSource(
            remote.endpoint_url, remote.graph, remote.auth, remote.timeout, remote.max_bytes
        )
        _write(stats_text(stats_of(source.select)))
        return
    from kb.published import build_store, published_store
    from kb.stats import stats as count
    from kb.store import load_files
    from kb.validate import validate_store

    layout = _layout(ctx)
    store = published_store(layout)
    report = validate_store(store, load_files([layout.shapes])) if layout.shapes.is_file() else None
    data = build_store(layout, inference="none", with_ontology=False)
    _write(stats_text(count(store, data), report))


@cli.command()
@click.argument("resource")
@click.pass_context
def explain(ctx: click.Context, resource: str) -> None:
    """Show RESOURCE, what links to it, and each statement's basis and evidence.

    Under each statement about RESOURCE: its basis (stated, implied, external,
    editorial) and the article's sentences with its words marked, or its note.

    RESOURCE is an IRI, a prefixed name, or text matched against names and labels
    (e.g. Boggetti). Several matches list the candidates and exit 2.
    """
    from kb.explain import AmbiguousResource
    from kb.explain import explain as run
    from kb.output import explanation_text, use_colour
    from kb.published import published_store

    store = published_store(_layout(ctx))
    try:
        explanation = run(store, resource)
    except AmbiguousResource as exc:
        from kb.output import display

        for term, label in exc.candidates:
            _echo_err(f"  {display(term)}  {label}")
        raise
    _write(explanation_text(explanation, use_colour(sys.stdout)))


# --- The web face: kb serve, kb site (kb/web/) ---


def _check_base_iri(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """An http(s) IRI with a host, ending in '/' (else no IRI of the graph would map to a
    path, and the site would silently hold no resource)."""
    import re
    import urllib.parse

    try:
        parts = urllib.parse.urlsplit(value)
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.netloc
        or not value.endswith("/")
        or parts.query
        or re.search(r'[\x00-\x20<>"{}|^`\\]', value)
    ):
        raise click.BadParameter(
            f"{value!r} is not an http(s) IRI ending in '/' (such as the default)", ctx, param
        )
    return value


def _base_option(command: Any) -> Any:
    from kb.namespaces import BASE

    return click.option(
        "--base-iri",
        default=BASE,
        show_default=True,
        metavar="IRI",
        callback=_check_base_iri,
        help="The base of the IRIs served: IRI + PATH is served at /PATH.",
    )(command)


@cli.command()
@DATA_FILES
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True)
@_base_option
@click.option(
    "--timeout",
    type=TIMEOUT,
    default=10.0,
    show_default=True,
    help="Stop a SPARQL query after SECONDS; 0 for no limit.",
)
@click.pass_context
def serve(
    ctx: click.Context,
    data_files: tuple[str, ...],
    host: str,
    port: int,
    base_iri: str,
    timeout: float,
) -> None:
    """Serve the published graph read-only on the web: a page or RDF for every IRI, by
    content negotiation, and a SPARQL endpoint at /sparql. Stop it with Ctrl-C."""
    from kb.interrupts import signals_raise
    from kb.web.app import load_site
    from kb.web.app import serve as run

    # SIGTERM / SIGHUP from the start: the query workers are ended and waited for
    # however early it comes (kb: terminated, never zombies left to init)
    with signals_raise():
        site = load_site(_layout(ctx), data_files or None, base_iri, timeout or None)
        try:
            run(site, host, port, lambda url: _note(ctx, f"kb: serving on {url} (Ctrl-C stops it)"))
        finally:
            site.endpoint.close()


@cli.command()
@DATA_FILES
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory to write (replaced as a whole, atomically).",
)
@_base_option
@click.option(
    "--timeout",
    type=TIMEOUT,
    default=60.0,
    show_default=True,
    help="Stop a catalogue query after SECONDS or past the memory allowed (exit 3); "
    "0 for no limit.",
)
@click.pass_context
def site(
    ctx: click.Context, data_files: tuple[str, ...], output: Path, base_iri: str, timeout: float
) -> None:
    """Write the same pages as static files: each resource's page and its RDF in every
    format, an index, and nginx / Apache snippets for content negotiation."""
    from kb.web.app import load_site
    from kb.web.site import write_site

    # each catalogue query in a worker of its own, bounded as kb query's (kb.worker)
    site = load_site(_layout(ctx), data_files or None, base_iri, timeout or None, pooled=False)
    written = write_site(site, output)
    _note(ctx, f"kb: wrote {written} files to {output}")


def main() -> None:
    """Console-script entry point. A command that loaded data ends without freeing its
    stores (see ``kb.store.retain_until_exit``), after flushing its output."""
    from kb.store import retain_until_exit, retained

    retain_until_exit()
    if sys.stdout is None:  # started with stdout closed (>&-)
        sys.stdout = _ClosedStdout()
    try:
        cli.main(prog_name="kb")
    except SystemExit as exc:
        if not retained():
            raise
        _exit_now(exc.code)


class _ClosedStdout(io.TextIOBase):
    """Stands for a stdout kb was started without: every write fails as the write to a
    closed descriptor would, so results, help and version alike end in one line and exit
    2 (Python would drop them silently), instead of writing to whatever file reuses the
    descriptor. Flushing has nothing to do."""

    def write(self, text: Any) -> int:
        raise OSError(errno.EBADF, "stdout is closed")

    @property
    def buffer(self) -> _ClosedStdout:
        return self

    def isatty(self) -> bool:
        return False


def _exit_now(code: object) -> NoReturn:
    """End the process with ``code`` as ``sys.exit`` would, without the interpreter's
    teardown (which would free every store, one by one)."""
    if code is None:
        code = 0
    elif not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
    except BrokenPipeError:
        code = 128 + signal.SIGPIPE
    except OSError:
        pass  # (already reported by _write)
    with contextlib.suppress(OSError, ValueError, AttributeError):
        sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
