"""``imgkit hog``: HOG feature vectors (``.npy``, ``.csv``, or one ``.npz`` for a batch) and, with
``--visualize``, their glyph pictures."""

import dataclasses
import inspect
from typing import Annotated, Optional

import typer

from . import app, compare_app
from .checks import checked
from .common import Common, image_command, interruptible, plan_images, run_plans

HELP = ("HOG features (Dalal & Triggs) of the whole image, as a float32 vector: --style opencv equals "
        "cv2.HOGDescriptor with its window = the image cropped to whole block steps from the top-left "
        "corner (Gaussian block window, bilinear votes, √ gamma, L2-Hys); --style skimage equals "
        "skimage.feature.hog (whole cells, hard bins, block stride: every Nth of its blocks). Colour: "
        "at each pixel the channel with the strongest gradient, as each reference does; an alpha "
        "channel is ignored; the opencv style takes 8-bit images only. Output: .npy (default) or "
        ".csv (one line) per image; -o NAME.npz gathers a batch into one archive, one array per "
        "input keyed by its relative path, written once at the end (failed inputs are absent). "
        "An image smaller than one block is an error for that input.")


@image_command(app, compare_app, "hog", help=HELP, default_format="npy")
def hog(
    style: Annotated[str, typer.Option(help="opencv (cv2.HOGDescriptor) or skimage (skimage.feature.hog).")] = "opencv",
    orientations: Annotated[int, typer.Option(help="Orientation bins over 0–180° (0–360° with --signed), 1–360: one-degree bins at the finest.")] = 9,
    cell: Annotated[int, typer.Option(help="Cell side, pixels, ≥ 1.")] = 8,
    block: Annotated[int, typer.Option(help="Block side, cells, ≥ 1.")] = 2,
    block_stride: Annotated[int, typer.Option(help="Step between blocks, cells, ≥ 1.")] = 1,
    block_norm: Annotated[str, typer.Option(help="L2-Hys, L2, L1 or L1-sqrt (the last three: --style skimage; OpenCV has L2-Hys only).")] = "L2-Hys",
    signed: Annotated[bool, typer.Option("--signed", help="Orientations over 0–360° (--style opencv; skimage has unsigned ones only).")] = False,
    visualize: Annotated[Optional[str], typer.Option(help="Also write the cell-glyph picture (8-bit, the image's size): a file for one input, a directory for several (input paths mirrored, png). A second pass over the inputs.", show_default=False)] = None,
):
    from ..batch import Job
    job = checked(Job("hog", {"style": style, "orientations": orientations, "cell": cell, "block": block,
                              "block_stride": block_stride, "block_norm": block_norm, "signed": signed}))
    if visualize is not None and cell < 2:
        raise typer.BadParameter("the glyph picture needs --cell 2 or more", param_hint="--visualize")
    return job


def _with_pictures(name):
    """Make ``imgkit NAME --visualize PATH`` run a second pass over the inputs, writing the
    glyph pictures (``hog_image``) to PATH, png unless PATH names another image type. Both
    passes are planned and checked before either runs; the exit code is the worse of the two."""
    command = next(c for c in app.registered_commands if c.name == name)
    features = command.callback

    @interruptible
    def run(**values):
        _check_feature_output(values["output"], values["fmt"])
        if values["visualize"] is None:
            return features(**values)
        from .. import batch
        common = Common(**{field.name: values[field.name] for field in dataclasses.fields(Common)})
        job = hog(**{key: value for key, value in values.items() if key in inspect.signature(hog).parameters})
        pictures = dataclasses.replace(common, output=values["visualize"], fmt=None)
        plans = [plan_images(name, job, common, default_format="npy"),
                 plan_images(name, dataclasses.replace(job, op="hog_image"), pictures, default_format="png")]
        try:
            batch.refuse_unsafe(plans[0].tasks + plans[1].tasks)
        except batch.UsageError as error:
            raise typer.BadParameter(str(error), param_hint="--visualize") from None
        raise typer.Exit(run_plans(plans, jobs=common.jobs, quiet=common.quiet, json=common.json,
                                   fail_fast=common.fail_fast))

    run.__signature__ = inspect.signature(features)
    command.callback = run


def _check_feature_output(output, fmt):
    """Features are not a picture: refuse an image encoding before anything runs."""
    import os
    chosen = fmt or (os.path.splitext(output)[1].lower().lstrip(".") if output and not os.path.isdir(output) else "")
    if chosen in ("png", "jpg", "jpeg", "webp", "tiff", "tif", "bmp"):
        raise typer.BadParameter(f"HOG features are a vector, not a picture: write .npy, .csv or one .npz archive "
                                 f"(--visualize writes the picture), got {chosen}", param_hint="--output/--format")


_with_pictures("hog")
