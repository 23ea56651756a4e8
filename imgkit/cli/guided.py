"""``imgkit guided``: He's guided filter (and the fast guided filter), as ``cv2.ximgproc.guidedFilter``."""

import os
from typing import Annotated, Optional

import typer

from . import app, compare_app
from .checks import checked
from .common import image_command

HELP = ("He's guided filter: edge-preserving smoothing steered by a guide image (the input itself by "
        "default), as cv2.ximgproc.guidedFilter. A gray guide steers every channel alike; a colour guide "
        "(3 or 4 channels: the fourth is not used) uses its 3×3 covariance. Bit depth and channels are "
        "kept; alpha is filtered like the other channels, steered by the guide, as OpenCV does.")


def _read_guide(path):
    """The guide image, or a usage error naming it (an unreadable guide stops the whole batch)."""
    from ..io import ImageError, imread
    try:
        image = imread(path)
    except ImageError as error:
        raise typer.BadParameter(str(error), param_hint="--guide") from None
    if image.ndim == 3 and image.shape[2] == 2:
        raise typer.BadParameter(f"{path}: a guide has 1, 3 or 4 channels, not 2", param_hint="--guide")
    return image


def guide_fits(job, sources):
    """Refuse, before anything runs, inputs whose header declares another size than the guide's.

    The size is read from each file's header (stdin cannot be read twice: an image there is
    checked when it is filtered, and fails alone). Width and height are also accepted swapped,
    since EXIF orientation may turn a JPEG when it is decoded; the filter checks the decoded size.
    """
    guide = job.params.get("guide")
    if guide is None:
        return
    from ..batch import STDIO, UsageError
    from ..io import image_size
    wanted = (guide.shape[1], guide.shape[0])
    for source in sources:
        if source.path == STDIO or not os.path.isfile(source.path):
            continue        # a missing file fails on its own, with its own message
        with open(source.path, "rb") as file:
            size = image_size(file.read(1 << 16))
        if size is not None and wanted not in (tuple(size), tuple(size)[::-1]):
            raise UsageError(f"{source.path} is {size[0]}×{size[1]} but the guide is {wanted[0]}×{wanted[1]}: "
                             "the guide must have each input's size")


@image_command(app, compare_app, "guided", help=HELP, check_sources=guide_fits)
def guided(
    guide: Annotated[Optional[str], typer.Option(help="Guide image, read once (its own depth and channels, whatever --gray); the same size as every input. Default: each input is its own guide.", show_default=False)] = None,
    radius: Annotated[int, typer.Option(help="Window radius r, 1–4000: means over (2r+1)×(2r+1).")] = 8,
    eps: Annotated[float, typer.Option(help="Regularisation ε > 0 in [0,1]-intensity units squared, whatever the bit depth: detail whose contrast is well below √ε of the range (0.1 for 0.01) is smoothed, stronger edges are kept.")] = 0.01,
    subsample: Annotated[int, typer.Option(help="s > 1 (at most 4000): the fast guided filter (He & Sun 2015): coefficients computed at 1/s resolution with radius r/s, enlarged bilinearly.")] = 1,
    enhance: Annotated[Optional[float], typer.Option(help="K ≥ 0: detail enhancement, I + K·(I − q) on the unrounded filter output q.", show_default=False)] = None,
):
    from ..batch import Job
    params = {"radius": radius, "eps": eps, "subsample": subsample, "enhance": enhance}
    checked(Job("guided_filter", params))     # before the guide is read
    if guide is None:
        return Job("guided_filter", params)
    return Job("guided_filter", {**params, "guide": _read_guide(guide)}, reads=(guide,))
