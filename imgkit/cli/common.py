"""What every image command shares: the options of SPEC §2 and the runner behind them.

A command module defines a function of its own options that returns a ``Job``;
``image_command`` adds the common options, registers it under ``imgkit`` and under
``imgkit compare``, and runs the job over the inputs. No heavy module is imported here
at start-up: ``imgkit --help`` stays quick.
"""

import inspect
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Annotated, Optional

import typer

from ..cluster import ENVIRONMENT as SCHEDULER_VARIABLE
from ..limits import DEFAULT_MAX_PIXELS, bound_opencv_decoding
from ..options import FORMATS
from .checks import pixel_count
from .commands import complete_path
from .encoding import Warnings, check_outputs, depth_option, format_option

IO_PANEL = "Inputs and outputs"
RUN_PANEL = "Running"


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so that it unwinds as Ctrl-C does (see ``cli.main``)."""


class Interrupted(Exception):
    """Ctrl-C or SIGTERM, once the workers are stopped: exit code 128 + the signal (130, 143).

    An Exception, not a KeyboardInterrupt, so that Click lets it through instead of printing
    "Aborted!" and exiting 1."""

    def __init__(self, signal_name="SIGINT"):
        import signal
        super().__init__(signal_name)
        self.code = 128 + getattr(signal, signal_name)
        self.word = "terminated" if signal_name == "SIGTERM" else "interrupted"


def interruptible(command):
    """``command`` with Ctrl-C and SIGTERM turned into ``Interrupted``."""
    import functools

    @functools.wraps(command)
    def run(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except KeyboardInterrupt as stop:
            name = "SIGTERM" if isinstance(stop, Terminated) else "SIGINT"
        raise Interrupted(name)
    return run


@dataclass(frozen=True)
class Common:
    inputs: list
    output: Optional[str]
    recursive: bool
    from_: Optional[str]
    null: bool
    dry_run: bool
    suffix: str
    fmt: Optional[str]
    quality: Optional[int]
    depth: Optional[str]
    overwrite: bool
    skip_existing: bool
    gray: bool
    max_pixels: int
    jobs: Optional[int]
    quiet: bool
    json: bool
    fail_fast: bool
    reference: bool
    strip: bool
    shrink_on_load: bool
    scheduler: Optional[str] = None
    shared_fs: bool = False
    tiles: bool = False


# The input-list and dry-run options, shared with ``imgkit nms``.
FromList = Annotated[Optional[str], typer.Option("--from", metavar="LIST", autocompletion=complete_path, help="Read input paths from LIST, one a line (- for stdin), as an @LIST input does.", rich_help_panel=IO_PANEL, show_default=False)]
Null = Annotated[bool, typer.Option("--null", "-0", help="The lists' names are NUL-separated (find -print0).", rich_help_panel=IO_PANEL)]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Print each input -> output and stop: no image decoded, no kernel compiled, nothing written.", rich_help_panel=RUN_PANEL)]


def scheduler_option(text):
    """``--scheduler``: ``local`` or a scheduler's address (``cluster.check_address``)."""
    from ..cluster import check_address
    try:
        return check_address(text)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None


def _common_options(
    inputs: Annotated[Optional[list[str]], typer.Argument(metavar="INPUT", help="Image files, directories, quoted globs ('**' descends), @LIST (a list of paths) or - for stdin.", show_default=False, autocompletion=complete_path)] = None,
    output: Annotated[Optional[str], typer.Option("--output", "-o", metavar="PATH", autocompletion=complete_path, help="Output file, directory (created; input paths mirrored) or - for stdout. Default: beside each input, with --suffix.", rich_help_panel=IO_PANEL)] = None,
    recursive: Annotated[bool, typer.Option("--recursive", "-r", help="Descend into directories.", rich_help_panel=IO_PANEL)] = False,
    from_: FromList = None,
    null: Null = False,
    dry_run: DryRun = False,
    suffix: Annotated[Optional[str], typer.Option(metavar="SUFFIX", help="Text added to each output's stem (default: _COMMAND when writing beside the input).", rich_help_panel=IO_PANEL, show_default=False)] = None,
    fmt: Annotated[Optional[str], typer.Option("--format", parser=format_option, metavar="FORMAT", help=f"Output encoding: {' | '.join(dict.fromkeys(FORMATS.values()))} (any case; jpeg, tif too; default: the output's or input's extension; png for stdout).", rich_help_panel=IO_PANEL, show_default=False)] = None,
    quality: Annotated[Optional[int], typer.Option(min=1, max=100, metavar="N", help="1–100: jpg/webp quality (webp without it: lossless); png: tens digit zlib level, ones digit row filter, as ImageMagick.", rich_help_panel=IO_PANEL, show_default=False)] = None,
    depth: Annotated[Optional[str], typer.Option("--depth", parser=depth_option, metavar="8|16|32f", help="Convert results to 8-bit, 16-bit or float before encoding (16→8 is x/257 rounded; README: Depth).", rich_help_panel=IO_PANEL, show_default=False)] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace existing outputs (never an input).", rich_help_panel=IO_PANEL)] = False,
    skip_existing: Annotated[bool, typer.Option("--skip-existing", help="Leave existing outputs alone and go on: resumes a batch.", rich_help_panel=IO_PANEL)] = False,
    gray: Annotated[bool, typer.Option("--gray", help="Read every input as one gray channel.", rich_help_panel=IO_PANEL)] = False,
    max_pixels: Annotated[int, typer.Option("--max-pixels", parser=pixel_count, metavar="N", help="Refuse images whose header declares more pixels than this: a whole number from 1 to 2⁶³ − 1 (1e8 is fine).", rich_help_panel=IO_PANEL)] = DEFAULT_MAX_PIXELS,
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", min=1, metavar="N", help="Images processed at once, on threads (default: one per core, as far as the batch's size repays them; at most the core count). Kernel threads share the cores. With --scheduler: images in flight on the cluster (default: twice its threads, at least 8).", rich_help_panel=RUN_PANEL, show_default=False)] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.", rich_help_panel=RUN_PANEL)] = False,
    json: Annotated[bool, typer.Option("--json", help="One JSON object per input on stdout, then a summary object.", rich_help_panel=RUN_PANEL)] = False,
    fail_fast: Annotated[bool, typer.Option("--fail-fast", help="Stop at the first input that fails.", rich_help_panel=RUN_PANEL)] = False,
    reference: Annotated[bool, typer.Option("--reference", help="Compute with OpenCV instead of imgkit's Numba kernels.", rich_help_panel=RUN_PANEL)] = False,
    strip: Annotated[bool, typer.Option("--strip", help="Write no metadata (EXIF, ICC profile, resolution are kept by default).", rich_help_panel=IO_PANEL)] = False,
    shrink_on_load: Annotated[bool, typer.Option("--shrink-on-load", help="Decode a JPEG at 1/2, 1/4 or 1/8 of its size where the operation allows it (resize, area), as libvips: faster, not within ±1 of a full decode.", rich_help_panel=IO_PANEL)] = False,
    scheduler: Annotated[Optional[str], typer.Option("--scheduler", envvar=SCHEDULER_VARIABLE, parser=scheduler_option, metavar="ADDRESS", help="Run on a Dask cluster: tcp://HOST:PORT of a running scheduler, or local (a cluster on this machine). Default: $" + SCHEDULER_VARIABLE + ". Needs imgkit\\[dask]; workers need no shared disk (see --shared-fs).", rich_help_panel=RUN_PANEL, show_default=False, show_envvar=False)] = None,
    shared_fs: Annotated[bool, typer.Option("--shared-fs", help="With --scheduler: workers read and write the paths themselves (every node sees the same files) instead of the client sending bytes.", rich_help_panel=RUN_PANEL)] = False,
    tiles: Annotated[bool, typer.Option("--tiles", help="Process each image in overlapping tiles (Dask), for images larger than memory; writes tiled BigTIFF (.tif), identical to the whole-image result.", rich_help_panel=RUN_PANEL)] = False,
):
    """Only its signature is used: the common options every image command takes."""


def _compare_options(
    repeat: Annotated[int, typer.Option(min=1, max=1000, metavar="N", help="Timed runs per backend, 1–1000; the median is reported.")] = 5,
    diff: Annotated[Optional[str], typer.Option("--diff", metavar="DIR", autocompletion=complete_path, help="Also write each input's heat map of |imgkit − reference| into DIR (png, _diff added, input paths mirrored).", rich_help_panel=IO_PANEL, show_default=False)] = None,
):
    """Only its signature is used: the options ``imgkit compare COMMAND`` adds."""


_COMMON = inspect.signature(_common_options).parameters
_COMPARE = inspect.signature(_compare_options).parameters
_COMPARE_DROPS = {"output", "suffix", "fmt", "quality", "depth", "skip_existing", "reference", "fail_fast",
                  "from_", "null", "dry_run", "strip", "shrink_on_load", "scheduler", "shared_fs", "tiles"}


def image_command(app, compare_app, name, command):
    """Register the declared ``command`` (``registry.Command``) as ``imgkit NAME`` on ``app`` and
    ``imgkit compare NAME`` on ``compare_app``: the common options of SPEC §2 and its own."""
    from .commands import build_step, compare_examples, images_fit, job_of, own_parameters
    own = own_parameters(command)
    images = any(param.type == "image" for param in command.options)

    def run(**values):
        bound_opencv_decoding(values["max_pixels"])     # before cv2 loads: a guide is read in build_job
        common = Common(**{key: values.pop(key) for key in _COMMON})
        job = job_of(build_step(command, values, notice(common.quiet)))
        raise typer.Exit(run_images(name, job, common, command.default_format, images_fit if images else None,
                                    command.extensions))

    def compare(**values):
        repeat, diff = values.pop("repeat"), values.pop("diff")
        bound_opencv_decoding(values["max_pixels"])
        common = Common(**{key: values.pop(key, None) for key in _COMMON})
        from ..compare import run_compare
        raise typer.Exit(run_compare(name, job_of(build_step(command, values, notice(common.quiet))), common, repeat,
                                     command.extensions, diff))

    run.__signature__ = inspect.Signature(_ordered(list(_COMMON.values()) + own))
    compare_params = [p for key, p in _COMMON.items() if key not in _COMPARE_DROPS]
    compare.__signature__ = inspect.Signature(_ordered(compare_params + own + list(_COMPARE.values())))
    app.command(name, help=command.help, epilog=examples(command.examples), no_args_is_help=True)(interruptible(run))
    compare_app.command(name, help=f"Compare imgkit and OpenCV on: {command.help}",
                        epilog=examples(compare_examples(command.examples)), no_args_is_help=True)(interruptible(compare))


def examples(lines):
    """The end of a command's ``--help``: its examples, one a line."""
    return "Examples:\n\n" + "\n\n".join(f"  {line}" for line in lines) if lines else None


def _ordered(params):
    """Arguments first; keyword-only everything, so the merged signature is always valid."""
    return [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in params]


@dataclass(frozen=True)
class Placement:
    """Where a run's images are processed: on this process's threads (no ``scheduler``), or on
    a Dask cluster (``cluster``), and whether in tiles (``tiles``)."""
    scheduler: Optional[str] = None
    shared_fs: bool = False
    tiles: bool = False


def placement(common):
    """The ``Placement`` the options give; a usage error for ``--shared-fs`` without ``--scheduler``."""
    if common.shared_fs and common.scheduler is None:
        raise typer.BadParameter("applies to a Dask cluster: give --scheduler too (or set " + SCHEDULER_VARIABLE + ")",
                                 param_hint="--shared-fs")
    return Placement(common.scheduler, common.shared_fs, common.tiles)


@dataclass(frozen=True)
class Plan:
    """One pass over the inputs, checked and ready: nothing has been read or written yet."""
    name: str
    job: object         # batch.Job
    tasks: list         # batch.Task
    settings: object    # batch.Settings


def run_images(name, job, common, default_format=None, check_sources=None, extensions=None):
    """Run ``job`` over the inputs as SPEC §2 describes; returns the exit code."""
    where = placement(common)
    return run_plans([plan_images(name, job, common, default_format, check_sources, extensions)],
                     jobs=common.jobs, quiet=common.quiet, json=common.json, fail_fast=common.fail_fast,
                     dry_run=common.dry_run, placement=where)


def plan_images(name, job, common, default_format=None, check_sources=None, extensions=None):
    """Find the inputs, plan and check every output, and check the options: a usage error
    (``typer.BadParameter``) before anything is read, compiled or written."""
    from .. import batch, inputs, lists
    if common.json and common.output == batch.STDIO:
        raise typer.BadParameter("--json cannot be combined with -o - (both use stdout)", param_hint="--json")
    if common.reference:
        job = replace(job, backend="opencv")
    try:
        sources = inputs.expand_inputs(common.inputs, common.recursive, extensions or inputs.IMAGE_EXTENSIONS,
                                       exclude=output_directories(common.output), on_skip=notice(common.quiet),
                                       from_=common.from_, null=common.null)
        suffix = common.suffix if common.suffix is not None else ("" if common.output else f"_{name}")
        tasks = batch.plan_outputs(sources, common.output, suffix=suffix, fmt=common.fmt,
                                   default_fmt=default_format,
                                   reads=job.reads + lists.list_paths(common.inputs, common.from_))
        if check_sources is not None:
            check_sources(job, sources)
    except (batch.UsageError, ValueError) as error:
        raise typer.BadParameter(str(error)) from None
    if common.json and any(task.output == batch.STDIO for task in tasks):
        raise typer.BadParameter("--json cannot be combined with an image on stdout (stdin's output goes there "
                                 "without -o)", param_hint="--json")
    if common.tiles:
        _check_tiles(job, tasks)
    warn = Warnings(notice(common.quiet))
    check_outputs(tasks, job, common.depth, common.quality, warn)
    settings = batch.Settings(gray=common.gray, max_pixels=int(common.max_pixels), overwrite=common.overwrite,
                              skip_existing=common.skip_existing, quality=common.quality, depth=common.depth,
                              warn=warn, strip=common.strip, shrink_on_load=common.shrink_on_load,
                              say=notice(common.quiet))
    from ..warmup import prepare
    try:
        for step in batch.steps(job):
            prepare(step.op, step.params, job.backend, quiet=common.quiet or common.dry_run)
    except (ValueError, TypeError) as error:
        raise typer.BadParameter(str(error)) from None
    return Plan(name, job, tasks, settings)


def _check_tiles(job, tasks):
    """``--tiles``: every operation of ``job`` can run in tiles, and every output is a TIFF."""
    from .. import batch, tiles
    reason = tiles.untileable(job)
    if reason is not None:
        raise typer.BadParameter(reason, param_hint="--tiles")
    other = next((task for task in tasks if task.fmt != "tiff"), None)
    if other is not None:
        shown = "stdout" if other.output == batch.STDIO else other.output
        raise typer.BadParameter(f"writes tiled BigTIFF, but {shown} would be {other.fmt}: give a .tif output "
                                 "or --format tiff", param_hint="--tiles")


def output_directories(output):
    """Where ``-o`` may put outputs (a directory, or a file's directory), for walks to leave alone."""
    import os
    if output is None or output == "-":
        return ()
    return (output,) if os.path.isdir(output) or output.endswith(("/", os.sep)) else ()


def notice(quiet):
    """``print(message)`` on stderr as ``imgkit: <message>``, unless ``--quiet``."""
    import sys

    def say(message):
        if not quiet:
            print(f"imgkit: {message}", file=sys.stderr, flush=True)
    return say


def run_plans(plans, *, jobs, quiet, json, fail_fast, work=None, dry_run=False, placement=Placement()):
    """Run each plan's tasks in turn (``work(task) -> Result``, by default the plan's job),
    ``jobs`` images at once (None: as many as the batch repays, ``_jobs``), where ``placement``
    says; returns the exit code: 1 if any input failed. ``dry_run``: print the plans instead
    (``report.planned``)."""
    from .. import batch
    from .report import Reporter, planned
    if dry_run:
        return planned([task for plan in plans for task in plan.tasks], json=json)
    code = 0
    with _cluster(placement.scheduler) as client:
        for plan in plans:
            _remove_stale_temporaries(plan.tasks, quiet)
            plan_work, engine, threads = _placed(plan, work, placement, client, jobs, quiet)
            reporter = Reporter(len(plan.tasks), quiet=quiet, json=json)
            with reporter:
                results = batch.run_batch(plan.tasks, plan_work, plan.settings, jobs=threads, on_result=reporter.result,
                                          fail_fast=fail_fast, engine=engine)
            reporter.summary(results)
            code = max(code, 1 if reporter.lost or any(r.status == "error" for r in results) else 0)
    return code


def _placed(plan, work, placement, client, jobs, quiet):
    """How ``plan`` runs: (work, engine, threads) for ``batch.run_batch``. On a cluster each image is
    a task there (``cluster.engine``), unless in tiles: then each image, one at a time here, is
    processed in bands there (``tiles.image_work``); with neither, on threads here."""
    from .. import tiles
    if placement.tiles:
        return (tiles.image_work(plan.job, plan.settings, client=client, forced=True, shared_fs=placement.shared_fs),
                None, 1)
    if client is not None and work is None:
        from ..cluster import engine
        return None, engine(client, plan.job, plan.settings, shared_fs=placement.shared_fs, limit=jobs), 1
    # here, a TIFF too large for memory goes in tiles by itself (``tiles.large``)
    return work or tiles.image_work(plan.job, plan.settings), None, _jobs(jobs, plan.tasks, quiet)


@contextmanager
def _cluster(scheduler):
    """A Dask client for ``scheduler`` (``cluster.session``) for the run, or None; a scheduler that
    cannot be reached is a usage error of ``--scheduler`` (nothing has been done)."""
    if scheduler is None:
        yield None
        return
    from ..cluster import ClusterError, session
    try:
        with session(scheduler) as client:
            yield client
    except ClusterError as error:
        raise typer.BadParameter(str(error), param_hint="--scheduler") from None


BYTES_PER_JOB = 1 << 16     # input bytes (~0.3 megapixels of JPEG, ~4 ms of work) that repay a thread


def _jobs(asked, tasks, quiet):
    """Images at once: ``-j`` (capped at the cores, with a note), or by default one per core
    and per task, as far as the batch's input bytes (a measure of its pixels, read from the
    file sizes: no header is opened) give each thread BYTES_PER_JOB. A thread costs ~0.1 ms to
    start and shares the loaded kernels, so only a batch of a few tiny images runs on one."""
    from ..workers import available_cores
    cores = available_cores()
    if asked is not None:
        if asked > cores:
            notice(quiet)(f"-j {asked} is more than the {cores} cores here; using {cores}")
        return max(1, min(asked, cores, len(tasks)))
    most = min(cores, len(tasks))
    return max(1, min(most, _input_bytes(tasks, most * BYTES_PER_JOB) // BYTES_PER_JOB))


def _input_bytes(tasks, enough):
    """The inputs' total size in bytes, counted until it reaches ``enough`` (stdin counts as enough)."""
    import os
    total = 0
    for task in tasks:
        try:
            total += enough if task.source.path == "-" else os.stat(task.source.path).st_size
        except OSError:     # that input's error, when it is read
            continue
        if total >= enough:
            break
    return total


def _remove_stale_temporaries(tasks, quiet):
    """Temporary files that a killed run left in this run's output directories go first."""
    import os

    from ..io import remove_stale_temporaries
    say = notice(quiet)
    for directory in sorted({os.path.dirname(task.output) for task in tasks if task.output != "-"}):
        for path in remove_stale_temporaries(directory):
            say(f"{path}: removed, a temporary file left by an interrupted run")
