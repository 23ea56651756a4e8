"""The ``imgkit`` command: a Typer app whose commands are thin skins over ``imgkit.ops``.

``main`` owns the exit codes: 0 all done, 1 some inputs failed, 2 usage error, 130 interrupted
(Ctrl-C), 143 terminated (SIGTERM).
No traceback reaches the user unless ``--debug``.
"""

import os
import signal
import sys

import typer

from .common import Interrupted, Terminated, examples

COMPLETE = "_IMGKIT_COMPLETE"      # set by the shell's completion script (Typer's name for prog "imgkit")
COMPLETION_OPTIONS = ("--install-completion", "--show-completion")
app = typer.Typer(name="imgkit", no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Image processing with Numba kernels that match OpenCV. `imgkit COMMAND --help` for each command.",
                  epilog=examples(("imgkit blur photo.jpg --sigma 2 -o soft.jpg",
                                   'imgkit run "resize --scale 0.5 | canny" photos/ -o half_edges/',
                                   "imgkit compare blur photo.jpg --sigma 2")))
compare_app = typer.Typer(no_args_is_help=True,
                          help="Run imgkit and OpenCV on each input: differences, speed, and exit 1 outside tolerance.",
                          epilog=examples(("imgkit compare blur photo.jpg --sigma 2", "imgkit compare canny photos/ --json",
                                           'imgkit compare run "blur | canny" photo.jpg')))
app.add_typer(compare_app, name="compare")


def _flags_show_no_value():
    """Typer's rich help prints a flag's type (``--json <bool>``) and an argument's
    (``INPUT <list[str]>``) where a placeholder belongs: a flag takes no value, and an argument's
    metavar already names it."""
    from typer.core import TyperArgument, TyperOption
    option, argument = TyperOption.display_type_rich, TyperArgument.display_type_rich
    TyperOption.display_type_rich = lambda self, ctx: None if self.is_flag else option(self, ctx)
    TyperArgument.display_type_rich = lambda self, ctx: None if self.metavar else argument(self, ctx)


_flags_show_no_value()


def _version(value: bool):
    if value:
        from ..versions import describe
        typer.echo(describe())
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the versions of imgkit, Python, numpy, numba, llvmlite and OpenCV, the CPU features "
                                      "Numba compiles for and the SIMD code OpenCV dispatches to, on one line."),
    debug: bool = typer.Option(False, "--debug", help="Show Python tracebacks on unexpected errors."),
):
    """Image processing with Numba kernels that match OpenCV."""


from .commands import register_all  # noqa: E402

register_all(app, compare_app)
from . import hog, nms, run, server, tools  # noqa: E402,F401  (add their commands)


def _terminate(signum, frame):
    raise Terminated()


def main(argv=None):
    """The command line; ``argv`` None means the process's own (an interrupt then leaves at once)."""
    from_command_line = argv is None
    argv = sys.argv[1:] if argv is None else list(argv)
    if sys.stderr is None:      # closed (2>&-): notices must not fall through to stdout
        sys.stderr = open(os.devnull, "w")
    previous = signal.signal(signal.SIGTERM, _terminate)   # unwinds like Ctrl-C: no partial file
    try:
        _app_for(argv)(args=argv, prog_name="imgkit")   # exits with click's codes: 0, 2 for usage errors, ours
    except (Interrupted, KeyboardInterrupt) as stop:
        if not isinstance(stop, Interrupted):
            stop = Interrupted("SIGTERM" if isinstance(stop, Terminated) else "SIGINT")
        print(f"imgkit: {stop.word}", file=sys.stderr)
        exit_now(stop.code) if from_command_line else sys.exit(stop.code)
    except BrokenPipeError:     # stdout's reader has gone (| head): not an error of ours
        from ..io import silence_stdout
        silence_stdout()
        sys.exit(0)
    except Exception as error:
        if "--debug" in argv:
            raise
        print(f"imgkit: internal error: {type(error).__name__}: {error} (--debug shows the traceback)",
              file=sys.stderr)
        sys.exit(1)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _app_for(argv):
    """The app with only the command that ``argv`` names: Typer builds the Click parameters of
    every registered command on each call (15 ms for all of them), which one command never needs.
    With no command, or an unknown one, the whole app answers (its help and its suggestions list
    every command), and so does shell completion (``COMPLETE`` set: any command may be completed).
    ``--install-completion``/``--show-completion`` (4 ms to build) are left out where they cannot
    be used or shown: in a command's call, ``--version``, an unknown command."""
    import copy

    from typer.main import get_command_name
    if os.environ.get(COMPLETE):
        return app
    name = next((word for word in argv if not word.startswith("-")), None)
    commands = [info for info in app.registered_commands
                if (info.name or get_command_name(info.callback.__name__)) == name]
    groups = [info for info in app.registered_groups if info.name == name]
    if not commands and not groups:
        if not argv or not {"--help", *COMPLETION_OPTIONS}.isdisjoint(argv):
            return app
        commands, groups = app.registered_commands, app.registered_groups
    narrowed = copy.copy(app)
    narrowed.registered_commands, narrowed.registered_groups = commands, groups
    narrowed._add_completion = False
    return narrowed


def exit_now(code):
    """Leave the process with ``code`` once stdout and stderr are flushed, without the
    interpreter's teardown: after an interrupt, that would first wait for the kernel threads of a
    call still running (its output's temporary file is already removed, its result never
    written); after a finished command, it would free Numba's, LLVM's and pydantic's objects
    module by module (0.1 s of a 0.45 s one-image call, once every output is written and
    reported)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):   # closed, or its reader gone
            pass
    os._exit(code)
