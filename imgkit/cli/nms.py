"""``imgkit nms``: non-maximum suppression of the detections in JSON, CSV or YOLO files.

Its inputs are box files, not images, so it has its own command function rather than
``image_command``; it shares the input expansion, output planning and overwrite rules of
``batch``, the atomic writes of ``io`` and the reporting of ``report``.
"""

import inspect
from typing import Annotated, Optional

import typer

from .. import registry
from ..limits import DEFAULT_MAX_PIXELS, bound_opencv_decoding
from . import app, compare_app
from .commands import build_step, compare_examples, complete_path, own_parameters
from .common import IO_PANEL, RUN_PANEL, DryRun, FromList, Null, examples, interruptible

NMS_PANEL = "Suppression"
DECLARED = registry.get_command("nms")

# The options of ``imgkit nms`` and ``imgkit compare nms`` besides the declared suppression options.
Inputs = Annotated[Optional[list[str]], typer.Argument(metavar="INPUT", help="Detection files (.json, .csv, .txt), directories, quoted globs or @LIST (a list of paths).", show_default=False, autocompletion=complete_path)]
Recursive = Annotated[bool, typer.Option("--recursive", "-r", help="Descend into directories.", rich_help_panel=IO_PANEL)]
ClassAware = Annotated[bool, typer.Option("--class-aware/--agnostic", help="Suppress within each class (files without classes: all together), or across classes.", rich_help_panel=NMS_PANEL)]
Json = Annotated[bool, typer.Option("--json", help="One JSON object per input on stdout, then a summary object.", rich_help_panel=RUN_PANEL)]


def _with_suppression_options(function):
    """``function`` taking, after its own parameters, the declared options of ``imgkit nms``
    (``**suppression``)."""
    own = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in inspect.signature(function).parameters.values()
           if p.kind != inspect.Parameter.VAR_KEYWORD]
    function.__signature__ = inspect.Signature(own + own_parameters(DECLARED, panel=NMS_PANEL))
    return function


def _options(suppression):
    """The operation (nms or soft_nms) and its keyword arguments but box_format, checked by its
    rules: a usage error naming the option otherwise."""
    step = build_step(DECLARED, suppression)
    return step.op, {key: value for key, value in step.params.items() if key != "box_format"}


@app.command("nms", no_args_is_help=True, help=DECLARED.help, epilog=examples(DECLARED.examples))
@interruptible
@_with_suppression_options
def nms_command(
    inputs: Inputs = None,
    output: Annotated[Optional[str], typer.Option("--output", "-o", metavar="PATH", autocompletion=complete_path, help="Output file or directory (input paths mirrored); - for stdout; with --draw, the picture. Default: beside each input, with --suffix.", rich_help_panel=IO_PANEL, show_default=False)] = None,
    recursive: Recursive = False,
    from_: FromList = None,
    null: Null = False,
    suffix: Annotated[Optional[str], typer.Option(metavar="SUFFIX", help="Text added to each output's stem (default: _nms when writing beside the input).", rich_help_panel=IO_PANEL, show_default=False)] = None,
    fmt: Annotated[Optional[str], typer.Option("--format", metavar="FORMAT", help="json: write the kept detections as JSON objects whatever the input's format.", rich_help_panel=IO_PANEL, show_default=False)] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace existing outputs (never an input).", rich_help_panel=IO_PANEL)] = False,
    skip_existing: Annotated[bool, typer.Option("--skip-existing", help="Leave existing outputs alone and go on.", rich_help_panel=IO_PANEL)] = False,
    draw: Annotated[Optional[str], typer.Option("--draw", metavar="IMAGE", autocompletion=complete_path, help="Draw the kept boxes (class colours, scores) on IMAGE and write that picture to -o (one input).", rich_help_panel=IO_PANEL, show_default=False)] = None,
    class_aware: ClassAware = True,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.", rich_help_panel=RUN_PANEL)] = False,
    json: Json = False,
    dry_run: DryRun = False,
    fail_fast: Annotated[bool, typer.Option("--fail-fast", help="Stop at the first input that fails.", rich_help_panel=RUN_PANEL)] = False,
    reference: Annotated[bool, typer.Option("--reference", help="Compute with OpenCV instead of imgkit's Numba kernels.", rich_help_panel=RUN_PANEL)] = False,
    **suppression,
):
    bound_opencv_decoding(DEFAULT_MAX_PIXELS)      # for the --draw picture, before cv2 loads
    from .. import batch, boxes
    from .. import inputs as finding
    from ..lists import list_paths
    from ..warmup import prepare
    from .common import Plan, notice, output_directories, run_plans
    box_format = suppression["box_format"]
    name, options = _options(suppression)
    backend = "opencv" if reference else "numba"
    if fmt not in (None, "json"):
        raise typer.BadParameter(f"must be json (or left out: the input's format), got {fmt!r}", param_hint="--format")
    if json and output == batch.STDIO:
        raise typer.BadParameter("--json cannot be combined with -o - (both use stdout)", param_hint="--json")
    try:
        sources = finding.expand_inputs(inputs, recursive, extensions={"." + e for e in boxes.EXTENSIONS},
                                        exclude=output_directories(output), on_skip=notice(quiet),
                                        from_=from_, null=null)
        lists = list_paths(inputs, from_)      # read by the run: never an output
        if any(source.path == batch.STDIO for source in sources):
            raise batch.UsageError("nms reads detection files, not stdin")
        if draw is not None:
            tasks = _draw_task(sources, output, fmt)
            batch.refuse_unsafe(tasks, reads=(draw, *lists))
        elif output == batch.STDIO:     # planned here: stdout's default encoding is an image's
            if len(sources) > 1:
                raise batch.UsageError("-o - (stdout) takes a single input")
            tasks = [batch.Task(sources[0], batch.STDIO, fmt)]
            batch.refuse_unsafe(tasks, reads=lists)
        else:
            tasks = batch.plan_outputs(sources, output, suffix=suffix if suffix is not None else ("" if output else "_nms"),
                                       fmt=fmt, formats=boxes.EXTENSIONS, reads=lists)
    except (batch.UsageError, ValueError) as error:
        raise typer.BadParameter(str(error)) from None
    try:
        prepare(name, {**options, "box_format": "xyxy"}, backend, quiet=quiet or dry_run)
    except (ValueError, TypeError) as error:
        raise typer.BadParameter(str(error)) from None
    settings = batch.Settings(overwrite=overwrite, skip_existing=skip_existing)
    work = _Suppression(name, options, backend, class_aware, box_format, draw, settings)
    raise typer.Exit(run_plans([Plan("nms", None, tasks, settings)], jobs=1, quiet=quiet, json=json,
                               fail_fast=fail_fast, work=work, dry_run=dry_run))


def _draw_task(sources, output, fmt):
    from .. import batch
    from ..io import format_for
    if len(sources) != 1:
        raise batch.UsageError(f"--draw takes one detection file, got {len(sources)}")
    if output is None or output == batch.STDIO or fmt is not None:
        raise batch.UsageError("--draw IMAGE needs -o PICTURE (an image file name), and no --format")
    return [batch.Task(sources[0], output, format_for(output))]


def _suppress(found, name, options, class_aware, backend):
    """Run ``name`` (nms or soft_nms) on one file's detections: (kept indices, their new scores
    or None)."""
    from ..ops.nms import nms, soft_nms
    classes = found.classes if class_aware else None
    if name == "soft_nms":
        return soft_nms(found.boxes, found.scores, classes=classes, box_format=found.box_format,
                        backend=backend, **options)
    return nms(found.boxes, found.scores, classes=classes, box_format=found.box_format, backend=backend,
               **options), None


class _Suppression:
    """One detection file in, its kept detections (or their picture) out: a ``batch.Result``."""

    def __init__(self, name, options, backend, class_aware, box_format, draw, settings):
        self.name, self.options, self.backend = name, options, backend
        self.class_aware, self.box_format, self.draw, self.settings = class_aware, box_format, draw, settings

    def __call__(self, task):
        from .. import batch
        return batch.guarded(task, self.settings, lambda result: self._suppress(task, result))

    def _suppress(self, task, result):
        from .. import boxes, io
        found = boxes.read_file(task.source.path, self.box_format)
        kept, scores = _suppress(found, self.name, self.options, self.class_aware, self.backend)
        if self.draw is not None:
            encoded = io.encode(boxes.draw(io.imread(self.draw), found, kept, scores), task.fmt)
        else:
            encoded = boxes.write(found, kept, scores, task.fmt)
        io.write_output(task.output, encoded, overwrite=self.settings.overwrite)


@compare_app.command("nms", no_args_is_help=True, help=(
    "Compare imgkit and OpenCV on: non-maximum suppression of detection boxes. Per file: the boxes, "
    "how many are kept, whether the kept indices (and Soft-NMS scores) are identical, and both times; "
    "exit 1 if any differ."), epilog=examples(compare_examples(DECLARED.examples)))
@interruptible
@_with_suppression_options
def compare_nms(
    inputs: Inputs,
    recursive: Recursive = False,
    class_aware: ClassAware = True,
    repeat: Annotated[int, typer.Option(min=1, max=1000, metavar="N", help="Timed runs per backend, 1–1000; the median is reported.")] = 5,
    json: Annotated[bool, typer.Option("--json", help="One JSON object per input on stdout.")] = False,
    **suppression,
):
    import json as json_module
    import sys

    import numpy as np

    from .. import batch, boxes
    from ..compare import print_summary, timed
    from ..inputs import UsageError, expand_inputs
    from ..tables import show
    from ..versions import describe
    box_format = suppression["box_format"]
    name, options = _options(suppression)
    try:
        sources = expand_inputs(inputs, recursive, extensions={"." + e for e in boxes.EXTENSIONS},
                                on_skip=lambda message: print(f"imgkit: {message}", file=sys.stderr))
    except UsageError as error:
        raise typer.BadParameter(str(error)) from None
    rows, failed = [], False
    for source in sources:
        try:
            found = boxes.read_file(source.path, box_format)
            first, ms, ours = timed(lambda: _suppress(found, name, options, class_aware, "numba"), repeat)
            _, reference_ms, theirs = timed(lambda: _suppress(found, name, options, class_aware, "opencv"), repeat)
        except Exception as error:   # noqa: BLE001  (one input's failure is that input's error line)
            print(f"imgkit: {batch.reason(error, source.path)}", file=sys.stderr, flush=True)
            failed = True
            continue
        identical = all(np.array_equal(a, b) for a, b in zip(ours, theirs) if a is not None)
        failed |= not identical
        row = {"input": source.path, "boxes": len(found.scores), "kept": len(ours[0]), "identical": identical,
               "imgkit_ms": ms, "opencv_ms": reference_ms, "ratio": ms / reference_ms, "first_call_ms": first}
        if json:
            print(json_module.dumps(row), flush=True)
        else:
            rows.append((source.path, [str(row["boxes"]), str(row["kept"]), "yes" if identical else "[red]no[/]",
                                       f"{ms:.2f}", f"{reference_ms:.2f}", f"{row['ratio']:.2f}×", f"{first:.0f}"]))
    if json:
        print_summary()
    elif rows:
        show(f"imgkit {name} vs OpenCV (median of {repeat})",
             [(header, "right") for header in ("\nboxes", "\nkept", "\nidentical", "imgkit\nms", "OpenCV\nms",
                                               "\nratio", "first\ncall ms")], rows, [describe()])
    raise typer.Exit(1 if failed else 0)
