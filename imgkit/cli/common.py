"""What every image command shares: the options of SPEC §2 and the runner behind them.

A command module defines a function of its own options that returns a ``Job``;
``image_command`` adds the common options, registers it under ``imgkit`` and under
``imgkit compare``, and runs the job over the inputs. No heavy module is imported here
at start-up: ``imgkit --help`` stays quick.
"""

import inspect
from dataclasses import dataclass, replace
from typing import Annotated, Optional

import typer

from .checks import pixel_count

IO_PANEL = "Inputs and outputs"
RUN_PANEL = "Running"


class Interrupted(Exception):
    """Ctrl-C: exit code 130 after the pool has been stopped."""


@dataclass(frozen=True)
class Common:
    inputs: list
    output: Optional[str]
    recursive: bool
    suffix: str
    fmt: Optional[str]
    quality: Optional[int]
    overwrite: bool
    skip_existing: bool
    gray: bool
    max_pixels: int
    jobs: Optional[int]
    quiet: bool
    json: bool
    fail_fast: bool
    reference: bool


def _common_options(
    inputs: Annotated[list[str], typer.Argument(metavar="INPUT", help="Image files, directories, quoted globs ('**' descends) or - for stdin.", show_default=False)],
    output: Annotated[Optional[str], typer.Option("--output", "-o", help="Output file, directory (created; input paths mirrored) or - for stdout. Default: beside each input, with --suffix.", rich_help_panel=IO_PANEL)] = None,
    recursive: Annotated[bool, typer.Option("--recursive", "-r", help="Descend into directories.", rich_help_panel=IO_PANEL)] = False,
    suffix: Annotated[Optional[str], typer.Option(help="Text added to each output's stem (default: _COMMAND when writing beside the input).", rich_help_panel=IO_PANEL, show_default=False)] = None,
    fmt: Annotated[Optional[str], typer.Option("--format", help="Output encoding: png, jpg, webp, tiff, bmp or npy (default: the output's or input's extension; png for stdout).", rich_help_panel=IO_PANEL, show_default=False)] = None,
    quality: Annotated[Optional[int], typer.Option(min=1, max=100, help="jpg/webp quality, 1–100.", rich_help_panel=IO_PANEL, show_default=False)] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace existing outputs (never an input).", rich_help_panel=IO_PANEL)] = False,
    skip_existing: Annotated[bool, typer.Option("--skip-existing", help="Leave existing outputs alone and go on: resumes a batch.", rich_help_panel=IO_PANEL)] = False,
    gray: Annotated[bool, typer.Option("--gray", help="Read every input as one gray channel.", rich_help_panel=IO_PANEL)] = False,
    max_pixels: Annotated[int, typer.Option("--max-pixels", parser=pixel_count, help="Refuse images whose header declares more pixels than this: a whole number from 1 to 2⁶³ − 1 (1e8 is fine).", rich_help_panel=IO_PANEL)] = 10**8,
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", min=1, help="Images processed at once (default: CPU count). Kernel threads share the cores.", rich_help_panel=RUN_PANEL, show_default=False)] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.", rich_help_panel=RUN_PANEL)] = False,
    json: Annotated[bool, typer.Option("--json", help="One JSON object per input on stdout, then a summary object.", rich_help_panel=RUN_PANEL)] = False,
    fail_fast: Annotated[bool, typer.Option("--fail-fast", help="Stop at the first input that fails.", rich_help_panel=RUN_PANEL)] = False,
    reference: Annotated[bool, typer.Option("--reference", help="Compute with OpenCV instead of imgkit's Numba kernels.", rich_help_panel=RUN_PANEL)] = False,
):
    """Only its signature is used: the common options every image command takes."""


def _compare_options(
    repeat: Annotated[int, typer.Option(min=1, help="Timed runs per backend; the median is reported.")] = 5,
):
    """Only its signature is used: the options ``imgkit compare COMMAND`` adds."""


_COMMON = inspect.signature(_common_options).parameters
_COMPARE = inspect.signature(_compare_options).parameters
_COMPARE_DROPS = {"output", "suffix", "fmt", "quality", "overwrite", "skip_existing", "reference", "fail_fast"}


def image_command(app, compare_app, name, help, default_format=None, check_sources=None, extensions=None):
    """Register ``build(**own options) -> Job`` as ``imgkit NAME`` and ``imgkit compare NAME``.

    ``default_format``: the encoding when neither --format nor the output's name gives one,
    instead of the input's (``fft forward`` writes npy, ``fft inverse`` png).
    ``extensions``: what directories and globs pick up, instead of image files (``fft inverse``: .npy).
    ``check_sources(job, sources)``: called once the inputs are known, before anything runs;
    its ``batch.UsageError`` is a usage error (``guided --guide`` of another size than an input).
    """
    def register(build):
        own = list(inspect.signature(build).parameters.values())

        def run(**values):
            common = Common(**{key: values.pop(key) for key in _COMMON})
            raise typer.Exit(run_images(name, build(**values), common, default_format, check_sources, extensions))

        def compare(**values):
            repeat = values.pop("repeat")
            common = Common(**{key: values.pop(key, None) for key in _COMMON})
            from ..compare import run_compare
            raise typer.Exit(run_compare(name, build(**values), common, repeat, extensions))

        run.__signature__ = inspect.Signature(_ordered(list(_COMMON.values()) + own))
        compare_params = [p for key, p in _COMMON.items() if key not in _COMPARE_DROPS]
        compare.__signature__ = inspect.Signature(_ordered(compare_params + own + list(_COMPARE.values())))
        app.command(name, help=help, no_args_is_help=True)(run)
        compare_app.command(name, help=f"Compare imgkit and OpenCV on: {help}", no_args_is_help=True)(compare)
        return build
    return register


def _ordered(params):
    """Arguments first; keyword-only everything, so the merged signature is always valid."""
    return [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in params]


def run_images(name, job, common, default_format=None, check_sources=None, extensions=None):
    """Run ``job`` over the inputs as SPEC §2 describes; returns the exit code."""
    from .. import batch
    from .report import Reporter
    if common.json and common.output == batch.STDIO:
        raise typer.BadParameter("--json cannot be combined with -o - (both use stdout)", param_hint="--json")
    if common.reference:
        job = replace(job, backend="opencv")
    try:
        sources = batch.expand_inputs(common.inputs, common.recursive, extensions or batch.IMAGE_EXTENSIONS)
        suffix = common.suffix if common.suffix is not None else ("" if common.output else f"_{name}")
        tasks = batch.plan_outputs(sources, common.output, suffix=suffix, fmt=common.fmt,
                                   default_fmt=default_format)
        if check_sources is not None:
            check_sources(job, sources)
    except (batch.UsageError, ValueError) as error:
        raise typer.BadParameter(str(error)) from None
    settings = batch.Settings(gray=common.gray, max_pixels=int(common.max_pixels), overwrite=common.overwrite,
                              skip_existing=common.skip_existing, quality=common.quality)
    jobs = min(common.jobs or batch.available_cores(), len(tasks))
    reporter = Reporter(len(tasks), quiet=common.quiet, json=common.json)
    from ..warmup import prepare
    try:
        prepare(job.op, job.params, job.backend, quiet=common.quiet)
    except (ValueError, TypeError) as error:
        raise typer.BadParameter(str(error)) from None
    executor = batch.local_pool(jobs) if jobs > 1 else None
    try:
        with reporter:
            results = batch.run_batch(tasks, job, settings, executor=executor,
                                      on_result=reporter.result, fail_fast=common.fail_fast)
    except KeyboardInterrupt:
        raise Interrupted() from None
    finally:
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
    for result in results:
        if result.data is not None:
            from ..io import write_stdout
            write_stdout(result.data)
    reporter.summary(results)
    return 1 if any(r.status == "error" for r in results) else 0
