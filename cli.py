"""`keel`: the command line. Thin: each command parses, calls one function, renders.

Command groups live in `commands/` (one module per room); this module builds the app,
applies configuration precedence (flag > KEEL_* env > keel.toml) and owns the single
error boundary: a `KeelError` prints one line and exits with its code; anything else
is a bug and shows a traceback only under --debug. web3 is imported lazily so that
`keel --help` is instant.
"""

from __future__ import annotations

import sys

import typer

from commands import register
from keel import __version__
from keel.errors import ExitCode, KeelError

app = typer.Typer(
    name="keel",
    help="Sign risk outcomes, not swaps: intents, solvers, batch auctions and settlement.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,  # keel handles keys: never print locals
    add_completion=True,
)

_debug = False


def _version(value: bool) -> None:
    if value:
        typer.echo(f"keel {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(
        False, "--version", "-V", callback=_version, is_eager=True, help="Print the version and exit."
    ),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for unexpected errors."),
    log_format: str = typer.Option("text", "--log-format", envvar="KEEL_LOG_FORMAT",
                                   help="Service logs: text, or json (one object per line on stderr)."),
) -> None:
    global _debug
    _debug = debug
    from keel.logging import configure

    configure(log_format)


register(app)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit code (also used by tests, in-process)."""
    from keel.config import ENV_PREFIX, config_path, default_map, load_file, wire

    args = sys.argv[1:] if argv is None else argv
    _wide_help_when_piped()
    global _debug
    _debug = "--debug" in args
    try:
        command = typer.main.get_command(app)
        wire(command)
        defaults = default_map(command, load_file(), config_path())
        result = command.main(
            args=args,
            prog_name="keel",
            auto_envvar_prefix=ENV_PREFIX,
            default_map=defaults,
            standalone_mode=False,
        )
    except KeelError as exc:
        typer.echo(f"keel: {exc}", err=True)
        return int(exc.exit_code)
    except typer.Exit as exc:
        return int(exc.exit_code or 0)
    except typer.Abort:
        typer.echo("keel: aborted: nothing was signed or sent", err=True)
        return int(ExitCode.REFUSED)  # a declined confirmation: keel will not do it, not a bug
    except KeyboardInterrupt:
        typer.echo("keel: interrupted", err=True)
        return 130
    except Exception as exc:  # the one place that catches everything
        if isinstance(exc, _click_errors()):
            typer.echo(f"keel: {exc.format_message()}", err=True)  # type: ignore[attr-defined]
            return int(ExitCode.USAGE)
        if isinstance(exc, UnicodeDecodeError):  # only a file the user named is decoded as text
            typer.echo(f"keel: a file given is not a text file (not UTF-8 at byte {exc.start}: "
                       f"{exc.object[exc.start:exc.start + 1]!r}, {exc.reason})", err=True)
            return int(ExitCode.USAGE)
        if _debug:
            raise
        typer.echo(f"keel: unexpected error: {type(exc).__name__}: {exc} (rerun with --debug)", err=True)
        return int(ExitCode.ERROR)
    return result if isinstance(result, int) else 0


def _wide_help_when_piped() -> None:
    """Piped `--help` (tests, `| less`) gets the tables' page width: rich would cut a long flag
    such as `--no-start-hedged` to `--no-start-hedg…` at 80 columns."""
    from typer import rich_utils

    if rich_utils.MAX_WIDTH is None and not sys.stdout.isatty():
        from keel.render import PIPED_WIDTH

        rich_utils.MAX_WIDTH = PIPED_WIDTH


def _click_errors() -> tuple[type[BaseException], ...]:
    """Click's usage errors: typer vendors its own click, and plain click may be in use too."""
    import click

    errors: list[type[BaseException]] = [click.exceptions.ClickException]
    try:
        from typer._click import exceptions as vendored

        errors.append(vendored.ClickException)
    except ImportError:
        pass
    return tuple(errors)


if __name__ == "__main__":
    sys.exit(main())
