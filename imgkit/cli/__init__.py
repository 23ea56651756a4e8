"""The ``imgkit`` command: a Typer app whose commands are thin skins over ``imgkit.ops``.

``main`` owns the exit codes: 0 all done, 1 some inputs failed, 2 usage error, 130 interrupted.
No traceback reaches the user unless ``--debug``.
"""

import sys

import typer

from .common import Interrupted

app = typer.Typer(name="imgkit", no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="Image processing with Numba kernels that match OpenCV. `imgkit COMMAND --help` for each command.")
compare_app = typer.Typer(no_args_is_help=True,
                          help="Run imgkit and OpenCV on each input: differences, speed, and exit 1 outside tolerance.")
app.add_typer(compare_app, name="compare")


def _version(value: bool):
    if value:
        from importlib.metadata import version
        import cv2
        import numba
        import numpy
        from .. import __version__
        typer.echo(f"imgkit {__version__}\nnumba {numba.__version__}\nopencv {cv2.__version__} "
                   f"(opencv-contrib-python-headless {version('opencv-contrib-python-headless')})\nnumpy {numpy.__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the versions of imgkit, numba, OpenCV and numpy."),
    debug: bool = typer.Option(False, "--debug", help="Show Python tracebacks on unexpected errors."),
):
    """Image processing with Numba kernels that match OpenCV."""


from . import blur, tools  # noqa: E402,F401  (registers the commands)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    debug = "--debug" in argv
    try:
        code = app(args=argv, prog_name="imgkit", standalone_mode=False)
    except Interrupted:
        print("imgkit: interrupted", file=sys.stderr)
        code = 130
    except KeyboardInterrupt:
        print("imgkit: interrupted", file=sys.stderr)
        code = 130
    except Exception as error:   # click's usage errors are handled below; this is the last resort
        code = _report(error, debug)
    sys.exit(code or 0)


def _report(error, debug):
    import click
    if isinstance(error, click.exceptions.Exit):
        return error.exit_code
    if isinstance(error, click.ClickException):
        error.show()
        return 2 if isinstance(error, click.UsageError) else error.exit_code
    if isinstance(error, click.exceptions.Abort):
        print("imgkit: interrupted", file=sys.stderr)
        return 130
    if debug:
        raise error
    print(f"imgkit: internal error: {type(error).__name__}: {error} (run with --debug for the traceback)", file=sys.stderr)
    return 3
