"""``imgkit hog --visualize PATH``: the glyph pictures of HOG features, a second pass over the
inputs added to the generated ``imgkit hog`` command."""

import dataclasses
import inspect
from typing import Annotated, Optional

import typer

from . import app
from .commands import complete_path
from .common import Common, interruptible, placement, plan_images, run_plans

VISUALIZE = inspect.Parameter(
    "visualize", inspect.Parameter.KEYWORD_ONLY, default=None,
    annotation=Annotated[Optional[str], typer.Option(
        metavar="PATH", show_default=False, autocompletion=complete_path,
        help="Also write the cell-glyph picture (8-bit, the image's size): a file for one input, a directory for "
             "several (input paths mirrored, png). A second pass over the inputs.")])


def _with_pictures(name):
    """Make ``imgkit NAME --visualize PATH`` run a second pass over the inputs, writing the
    glyph pictures (``hog_image``) to PATH, png unless PATH names another image type. Both
    passes are planned and checked before either runs; the exit code is the worse of the two."""
    from .. import registry
    from .commands import build_step, job_of
    command = next(c for c in app.registered_commands if c.name == name)
    features = command.callback
    declared = registry.get_command(name)

    @interruptible
    def run(**values):
        visualize = values.pop("visualize")
        check_feature_output(values["output"], values["fmt"])
        if visualize is None:
            return features(**values)
        from .. import batch
        common = Common(**{field.name: values[field.name] for field in dataclasses.fields(Common)})
        job = job_of(build_step(declared, {param.name: values[param.name] for param in declared.options}))
        if job.params.get("cell", 8) < 2:
            raise typer.BadParameter("the glyph picture needs --cell 2 or more", param_hint="--visualize")
        where = placement(common)
        pictures = dataclasses.replace(common, output=visualize, fmt=None)
        plans = [plan_images(name, job, common, default_format="npy"),
                 plan_images(name, dataclasses.replace(job, op="hog_image"), pictures, default_format="png")]
        try:
            batch.refuse_unsafe(plans[0].tasks + plans[1].tasks)
        except batch.UsageError as error:
            raise typer.BadParameter(str(error), param_hint="--visualize") from None
        raise typer.Exit(run_plans(plans, jobs=common.jobs, quiet=common.quiet, json=common.json,
                                   fail_fast=common.fail_fast, dry_run=common.dry_run,
                                   placement=where))

    signature = inspect.signature(features)
    run.__signature__ = signature.replace(parameters=[*signature.parameters.values(), VISUALIZE])
    command.callback = run


def check_feature_output(output, fmt):
    """Features are not a picture: refuse an image encoding before anything runs."""
    import os

    from ..options import FORMATS
    chosen = fmt or (os.path.splitext(output)[1].lower().lstrip(".") if output and not os.path.isdir(output) else "")
    if chosen in FORMATS and chosen != "npy":
        raise typer.BadParameter(f"HOG features are a vector, not a picture: write .npy, .csv or one .npz archive "
                                 f"(--visualize writes the picture), got {chosen}", param_hint="--output/--format")


_with_pictures("hog")
