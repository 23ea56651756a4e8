"""``imgkit server start|stop|status``: the opt-in resident server (``imgkit/server.py``)."""

import math
import time

import typer

from . import app
from .common import examples

server_app = typer.Typer(no_args_is_help=True, help="A resident server that keeps the kernels loaded: every "
                         "imgkit call then runs in it, with the same results (it falls back to in-process "
                         "work when the server is absent). Set IMGKIT_NO_SERVER=1 to bypass it.",
                         epilog=examples(("imgkit server start", "imgkit server status", "imgkit server stop")))
app.add_typer(server_app, name="server")

DEFAULT_IDLE = 900.0            # seconds without a call before the server leaves: a quarter of an hour
MAX_IDLE = 7 * 24 * 3600


def _seconds(text):
    """``--idle-timeout``: seconds, from 1 to a week."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 1 <= value <= MAX_IDLE):
        raise typer.BadParameter(f"must be a number of seconds from 1 to {MAX_IDLE} (a week), got {text!r}")
    return value


@server_app.command(epilog=examples(("imgkit server start", "imgkit server start --idle-timeout 3600")))
def start(
    idle_timeout: float = typer.Option(DEFAULT_IDLE, "--idle-timeout", metavar="SECONDS", parser=_seconds,
                                       help="Leave after this many seconds without a call (1 to 604800)."),
):
    """Start the server in the background, once it is ready to take calls (harmless if one runs)."""
    from .. import server
    try:
        pid, started = server.start(idle_timeout)
    except server.ServerError as error:
        typer.echo(f"imgkit: server: {error}", err=True)
        raise typer.Exit(1)
    from ..client import socket_path
    typer.echo(f"imgkit server: {'started' if started else 'already running'}, pid {pid}, socket {socket_path()}")


@server_app.command(epilog=examples(("imgkit server stop", "imgkit server stop; imgkit server start")))
def stop():
    """Stop the server (calls running in it finish first); harmless if none runs."""
    from .. import server
    pid = server.stop()
    typer.echo("imgkit server: not running" if pid is None else f"imgkit server: stopped, pid {pid}")


@server_app.command(epilog=examples(("imgkit server status", "imgkit server status || imgkit server start")))
def status():
    """Say whether the server runs (exit 0) or not (exit 1): its pid, socket, uptime and calls served."""
    from .. import server
    from ..client import socket_path
    said = server.ask({"do": "status"})
    if said is None:
        stale = server.remove_stale()
        typer.echo(f"imgkit server: not running{' (removed a stale socket)' if stale else ''}, socket {socket_path()}")
        raise typer.Exit(1)
    uptime = time.strftime("%H:%M:%S", time.gmtime(said["uptime"]))
    typer.echo(f"imgkit server: running, pid {said['pid']}, socket {said['socket']}, up {uptime}, "
               f"{said['served']} calls served, {said['running']} running, idle timeout {said['idle_timeout']:g} s")
    for reason, count in said["refused"].items():
        typer.echo(f"imgkit server: {count} calls ran in-process: {reason}")
