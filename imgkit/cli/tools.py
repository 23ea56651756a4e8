"""``imgkit warmup`` and ``imgkit bench``: commands about imgkit itself rather than images."""

import os
import sys
from typing import Annotated, Optional

import typer

from . import app
from .commands import complete_path
from .common import examples

OP_HELP = ("Only what this command runs: all its operations (blur), or the one its options choose, in quotes "
           "(\"blur --method box\"). Repeatable.")


def complete_command(incomplete: str):
    """``--op``'s completion: the command names."""
    from ..registry import commands
    return [name for name in commands() if name.startswith(incomplete)]


def complete_size(incomplete: str):
    from ..bench import SIZES
    return [size for size in SIZES if size.startswith(incomplete)]


def _operations(ops):
    """The operation names of ``--op`` values (``commands.operations_of``), each once; None for none."""
    from .commands import operations_of
    return list(dict.fromkeys(name for text in ops for name in operations_of(text))) if ops else None


@app.command(epilog=examples(("imgkit warmup", "imgkit warmup --op blur --op canny",
                              'imgkit warmup --op "blur --method median"')))
def warmup(
    ops: Annotated[Optional[list[str]], typer.Option("--op", metavar="COMMAND", help=OP_HELP + " Default: every one.", show_default=False, autocompletion=complete_command)] = None,
):
    """Compile and cache every kernel now, so that no later command waits for the compiler: a line per operation with its time, then the total."""
    from ..warmup import warm_all
    names = _operations(ops)
    if sys.stderr.isatty():
        total = _warm_with_progress(names)
    else:       # a log: one plain line per operation, no progress bars
        total = warm_all(names, done=lambda name, seconds, compiled: typer.echo(
            f"imgkit: {name}: {_ready(seconds, compiled)}", err=True))
    typer.echo(f"imgkit: all kernels ready in {total:.1f} s", err=True)


def _warm_with_progress(names):
    """``warm_all`` with a live rich line per operation: what is compiling, then its time."""
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from ..warmup import warm_all
    tasks = {}
    with Progress(SpinnerColumn(finished_text="[green]✓"), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=Console(stderr=True, highlight=False)) as progress:
        return warm_all(
            names,
            starting=lambda name: tasks.setdefault(name, progress.add_task(f"imgkit: {name}: loading…", total=1)),
            compiling=lambda name, kernel: progress.update(tasks[name], description=f"imgkit: {name}: compiling {kernel}"),
            done=lambda name, seconds, compiled: progress.update(
                tasks[name], completed=1, description=f"imgkit: {name}: {_ready(seconds, compiled)}"))


def _ready(seconds, compiled):
    if not compiled:
        return f"ready in {seconds:.1f} s, nothing to compile"
    return f"ready in {seconds:.1f} s, {compiled} kernel{'s' if compiled > 1 else ''} compiled"


@app.command(epilog=examples(("imgkit bench --op blur --size 1080p --repeat 5",
                              'imgkit bench --chain "resize --scale 0.5 | blur" --size 1080p --repeat 5',
                              "imgkit bench --markdown bench.md")))
def bench(
    ops: Annotated[Optional[list[str]], typer.Option("--op", metavar="COMMAND", help=OP_HELP, show_default=False, autocompletion=complete_command)] = None,
    chains: Annotated[Optional[list[str]], typer.Option("--chain", metavar="PIPELINE", help="Also time this chain, as `imgkit run` takes it, against the same chain of OpenCV references (repeatable); with --chain and no --op or --all-ops, only chains are timed.", show_default=False)] = None,
    all_ops: Annotated[bool, typer.Option("--all-ops", help="Time every operation even with --chain.")] = False,
    sizes: Annotated[list[str], typer.Option("--size", metavar="SIZE", help="1080p and/or 4k (repeatable).", autocompletion=complete_size)] = ["1080p", "4k"],
    repeat: Annotated[int, typer.Option(min=1, max=1000, metavar="N", help="The most timed runs a row gets, 1–1000 (each row takes as many as about 2 s of timed pairs allows, at least 3 unless N is less, one where a pair takes over 2 s); the median is reported.")] = 31,
    peers: Annotated[bool, typer.Option(help="Also time scikit-image.")] = True,
    end_to_end: Annotated[Optional[bool], typer.Option("--end-to-end/--no-end-to-end", help="Also time whole command lines: `imgkit run` of a chain (the first --chain, or resize | blur | canny) over 20 1080p JPEGs against one imgkit process a stage (default: when neither --op nor --chain narrows the run).", show_default=False)] = None,
    startup: Annotated[Optional[bool], typer.Option("--startup/--no-startup", help="Also time start-up: a warm one-image call against `python -c \"import numpy, cv2, numba\"`, `--help` against a bare Typer app, and each command's first call on an empty Numba cache (default: when neither --op nor --chain narrows the run).", show_default=False)] = None,
    batch: Annotated[Optional[bool], typer.Option("--batch/--no-batch", help="Also time whole batches: `imgkit blur`, `resize` and `canny` over 50 1080p JPEGs against a plain cv2 script and libvips (pyvips, or its CLI) where installed, blur's -j scaling on 200, peak memory over 1,000 images, and with imgkit\\[dask] the same folder on LocalClusters, the cluster's overhead an image and a 20000×20000 blur in tiles against libvips (default: as --startup).", show_default=False)] = None,
    cluster: Annotated[Optional[bool], typer.Option("--cluster/--no-cluster", help="Also time the Dask paths (imgkit\\[dask]): blur's 50 1080p JPEGs on LocalClusters of 1 and 2 workers against the local engine, the cluster's overhead an image, and a 20000×20000 blur with --tiles against libvips and the image in memory (default: as --batch, where Dask is installed).", show_default=False)] = None,
    markdown: Annotated[Optional[str], typer.Option(metavar="PATH", autocompletion=complete_path, help="Also write the results as Markdown to this file (its directory must exist and be writable: checked before the run).", show_default=False)] = None,
    plot: Annotated[Optional[str], typer.Option(metavar="FILE.png", autocompletion=complete_path, help="Also draw the imgkit / OpenCV ratios as a bar chart in this PNG file (needs matplotlib: pip install 'imgkit\\[plot]'; checked before the run).", show_default=False)] = None,
):
    """Time every operation against OpenCV and scikit-image (SPEC §6)."""
    from rich.console import Console
    from rich.table import Table

    from .. import bench as suite
    from ..console import stdout_console
    ops = _operations(ops)
    for size in sizes:
        if size not in suite.SIZES:
            raise typer.BadParameter(f"must be one of {', '.join(suite.SIZES)}, got {size!r}", param_hint="--size")
    from .run import chain_job
    parsed = [(text, chain_job(text, quiet=True, option="--chain")[0]) for text in chains or []]
    whole_text = whole_format = None
    if end_to_end or (end_to_end is None and not ops and (all_ops or not chains)):
        whole_text = chains[0] if chains else suite.CHAIN
        whole_format = chain_job(whole_text, quiet=True, option="--chain")[2].default_format or "png"
    unnarrowed = not ops and (all_ops or not chains)
    startup = unnarrowed if startup is None else startup
    batch = unnarrowed if batch is None else batch
    from .. import bench_cluster
    if cluster and not bench_cluster.available():
        raise typer.BadParameter("needs Dask's distributed scheduler: pip install 'imgkit[dask]'", param_hint="--cluster")
    cluster = batch and bench_cluster.available() if cluster is None else cluster
    if markdown:
        _check_writable(markdown, "--markdown")
    if plot:
        _check_plot(plot)
    console = Console(stderr=True, highlight=False)
    import time
    started_at = time.monotonic()
    from ..versions import describe
    console.print(suite.machine(), describe(), sep="\n", markup=False)

    def say(row):
        console.print(" · ".join(next(suite.table_rows([row]))), markup=False)
    rows = suite.run(ops, sizes, repeat, peers, on_row=say) if ops or all_ops or not chains else []
    for text, job in parsed:
        rows += suite.run_chain(text, job.jobs, sizes, repeat, on_row=say)
    whole = []
    if whole_text is not None:
        try:
            whole = suite.end_to_end(whole_text, final_format=whole_format,
                                     on_row=lambda row: console.print(f"{row.what}: {row.seconds:.2f} s", markup=False))
        except RuntimeError as error:       # one of the timed command lines failed: said, and the rest is kept
            console.print(f"imgkit: end to end: {error}", markup=False)
    started = []
    if startup:
        from .. import bench_startup
        started = bench_startup.run(on_row=lambda row: console.print(bench_startup.describe(row), markup=False))
    batches = []
    if batch:
        from .. import bench_batch
        batches = bench_batch.run(on_row=lambda row: console.print(bench_batch.describe(row), markup=False))
    scaled = []
    if cluster:
        scaled = bench_cluster.run(on_row=lambda row: console.print(bench_cluster.describe(row), markup=False))
    table = Table(title="imgkit bench")
    for column in suite.HEADER:
        table.add_column(column)
    for cells in suite.table_rows(rows):
        table.add_row(*cells)
    stdout_console().print(table)
    if rows:
        stdout_console().print(suite.summary(rows).replace("**", ""), markup=False)
    for row in whole:
        stdout_console().print(f"{row.what}: {row.seconds:.2f} s ({row.ratio:.2f}×)", markup=False)
    for row in started:
        stdout_console().print(bench_startup.describe(row), markup=False)
    for row in batches:
        stdout_console().print(bench_batch.describe(row), markup=False)
    for row in scaled:
        stdout_console().print(bench_cluster.describe(row), markup=False)
    took = f"imgkit bench took {(time.monotonic() - started_at) / 60:.1f} min in all."
    console.print(took, markup=False)
    if markdown:
        from ..io import write_atomic
        text = f"# Benchmarks\n\n{took}\n\n" + suite.markdown(rows, repeat) + ("\n" + suite.end_to_end_markdown(whole) if whole else "")
        text += "\n" + bench_startup.markdown(started) if started else ""
        text += "\n" + bench_batch.markdown(batches) if batches else ""
        text += "\n" + bench_cluster.markdown(scaled) if scaled else ""
        write_atomic(markdown, text.encode(), overwrite=True)
    if plot:
        from ..io import write_atomic
        from ..plots import ratio_chart
        write_atomic(plot, ratio_chart(rows), overwrite=True)


def _check_plot(path):
    """A usage error, before anything is timed, unless ``path`` is a writable .png name and matplotlib is there."""
    from ..plots import available
    if not path.lower().endswith(".png"):
        raise typer.BadParameter(f"{path}: the chart is a PNG file: give a name ending in .png", param_hint="--plot")
    _check_writable(path, "--plot")
    missing = available()
    if missing:
        raise typer.BadParameter(missing, param_hint="--plot")


def _check_writable(path, option):
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
    raise typer.BadParameter(f"{path} {problem}", param_hint=option)
