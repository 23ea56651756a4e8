"""``imgkit canny``: Canny edges, as ``cv2.GaussianBlur`` + ``cv2.Canny``."""

import sys
from typing import Annotated

import typer

from . import app, compare_app
from .checks import checked
from .common import image_command

HELP = ("Canny edges (Gaussian blur, Sobel gradient, non-maximum suppression, double threshold, "
        "hysteresis), identical to cv2.GaussianBlur + cv2.Canny. Output: one channel, uint8, "
        "255 on edges and 0 elsewhere. Colour is handled as OpenCV does: at each pixel, the "
        "channel with the strongest gradient; an alpha channel is ignored.")


@image_command(app, compare_app, "canny", help=HELP)
def canny(
    low: Annotated[float, typer.Option(help="Lower hysteresis threshold on the gradient magnitude (swapped with --high if larger, as OpenCV does).")] = 50.0,
    high: Annotated[float, typer.Option(help="Upper threshold: edges start at pixels above it.")] = 150.0,
    sigma: Annotated[float, typer.Option(help="Gaussian pre-blur σ, 0–1000 (kernel round(6σ+1)|1, as cv2.GaussianBlur); 0 = none, as cv2.Canny alone.")] = 1.0,
    aperture: Annotated[int, typer.Option(help="Sobel aperture: 3, 5 or 7 (7 scales gradients and thresholds by 1/16, as OpenCV).")] = 3,
    l2: Annotated[bool, typer.Option("--l2", help="Magnitude sqrt(dx²+dy²) instead of |dx|+|dy|.")] = False,
    auto: Annotated[bool, typer.Option("--auto", help="Thresholds per image from the median v of the smoothed image: low = max(0, 0.67·v), high = min(255, 1.33·v); --low/--high are ignored.")] = False,
):
    from ..batch import Job
    checked(Job("canny", {"low": low, "high": high, "sigma": sigma, "aperture": aperture, "l2": l2}))
    for hint, value in (("--low", low), ("--high", high)):
        if value < 0:       # the API takes it, as OpenCV; on the command line it is a slip
            raise typer.BadParameter(f"must be ≥ 0, got {value:g}", param_hint=hint)
    if auto:
        low = high = None
    elif low > high:
        print(f"imgkit: --low {low:g} is above --high {high:g}: swapped, as OpenCV does", file=sys.stderr)
        low, high = high, low
    return Job("canny", {"low": low, "high": high, "sigma": sigma, "aperture": aperture, "l2": l2})
