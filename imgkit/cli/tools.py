"""``imgkit warmup`` and ``imgkit bench``: commands about imgkit itself rather than images."""

import os
from typing import Annotated, Optional

import typer

from . import app


@app.command()
def warmup():
    """Compile and cache every kernel now, so that no later command waits for the compiler."""
    from ..warmup import warm_all
    warm_all(report=lambda line: typer.echo(f"imgkit: {line}", err=True))


@app.command()
def bench(
    ops: Annotated[Optional[list[str]], typer.Option("--op", help="Only this operation (repeatable).", show_default=False)] = None,
    sizes: Annotated[list[str], typer.Option("--size", help="1080p and/or 4k (repeatable).")] = ["1080p", "4k"],
    repeat: Annotated[int, typer.Option(min=1, max=1000, help="Timed runs per measurement, 1–1000; the median is reported.")] = 15,
    peers: Annotated[bool, typer.Option(help="Also time scikit-image.")] = True,
    markdown: Annotated[Optional[str], typer.Option(help="Also write the results as Markdown to this file (its directory must exist and be writable: checked before the run).", show_default=False)] = None,
):
    """Time every operation against OpenCV and scikit-image (SPEC §6)."""
    from rich.console import Console
    from rich.table import Table

    from .. import bench as suite
    from .report import stdout_console
    from ..registry import OPS
    for name in ops or []:
        if name not in OPS:
            raise typer.BadParameter(f"must be one of {', '.join(OPS)}, got {name!r}", param_hint="--op")
    for size in sizes:
        if size not in suite.SIZES:
            raise typer.BadParameter(f"must be one of {', '.join(suite.SIZES)}, got {size!r}", param_hint="--size")
    if markdown:
        _check_writable(markdown)
    console = Console(stderr=True, highlight=False)
    from ..versions import describe
    console.print(suite.machine(), describe(), sep="\n", markup=False)
    rows = suite.run(ops, sizes, repeat, peers,
                     on_row=lambda row: console.print(" · ".join(next(suite.table_rows([row])))))
    table = Table(title="imgkit bench")
    for column in suite.HEADER:
        table.add_column(column)
    for cells in suite.table_rows(rows):
        table.add_row(*cells)
    stdout_console().print(table)
    if markdown:
        from ..io import write_atomic
        write_atomic(markdown, ("# Benchmarks\n\n" + suite.markdown(rows, repeat)).encode(), overwrite=True)


def _check_writable(path):
    """A usage error, before a run of many minutes, if ``path`` cannot be written at its end."""
    directory = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        problem = "is a directory: give a file name"
    elif not os.path.isdir(directory):
        problem = f"cannot be written: {directory} is not a directory"
    elif not os.access(directory, os.W_OK | os.X_OK):
        problem = f"cannot be written: {directory} is read-only or not ours to write in"
    else:
        return
    raise typer.BadParameter(f"{path} {problem}", param_hint="--markdown")
