"""``imgkit blur``: Gaussian, box, median and bilateral smoothing."""

from typing import Annotated, Optional

import typer

from . import app, compare_app
from .checks import checked
from .common import image_command

METHODS = ("gaussian", "box", "median", "bilateral")
BORDERS = ("reflect101", "reflect", "replicate", "constant", "wrap")


def _choice(name, value, allowed):
    if value not in allowed:
        raise typer.BadParameter(f"must be one of {', '.join(allowed)}, got {value!r}", param_hint=name)
    return value


@image_command(app, compare_app, "blur", help="Smooth images: Gaussian (default), box, median or bilateral. Bit depth and channels are kept.")
def blur(
    method: Annotated[str, typer.Option(help="gaussian | box | median | bilateral.")] = "gaussian",
    sigma: Annotated[float, typer.Option(help="Gaussian σ along x, 0–1000 (0 = from --ksize; below 0.02 the image is unchanged, as OpenCV).")] = 1.0,
    sigma_y: Annotated[Optional[float], typer.Option(help="Gaussian σ along y, 0–1000 (default: --sigma).", show_default=False)] = None,
    ksize: Annotated[Optional[int], typer.Option(help="Window size. Gaussian: odd, 1–8001, default from σ as OpenCV derives it (round(6σ+1)|1 for 8-bit, 8σ otherwise); box: 1–8001, default 3; median: odd, 1–255, default 3 (≥7 needs 8-bit).", show_default=False)] = None,
    diameter: Annotated[int, typer.Option(help="Bilateral window diameter, at most 401 (≤0: radius round(1.5·--sigma-space), at most 200).")] = 9,
    sigma_color: Annotated[float, typer.Option(help="Bilateral colour σ, in pixel units, ≥ 0 (0 = 1, as OpenCV).")] = 75.0,
    sigma_space: Annotated[float, typer.Option(help="Bilateral spatial σ, in pixels, ≥ 0 (0 = 1, as OpenCV).")] = 75.0,
    border: Annotated[Optional[str], typer.Option(help="reflect101 | reflect | replicate | constant | wrap (default reflect101; median always replicates, as cv2.medianBlur).", show_default=False)] = None,
):
    from ..batch import Job
    _choice("--method", method, METHODS)
    if border is not None:
        _choice("--border", border, BORDERS)
        if method == "median" and border != "replicate":
            raise typer.BadParameter("median blur always uses the replicate border (as cv2.medianBlur)", param_hint="--border")
    border = border or "reflect101"
    if method == "gaussian":
        params = {"sigma": sigma, "sigma_y": sigma_y, "ksize": ksize, "border": border}
    elif method == "box":
        params = {"ksize": 3 if ksize is None else ksize, "border": border}
    elif method == "median":
        params = {"ksize": 3 if ksize is None else ksize}
    else:
        params = {"diameter": diameter, "sigma_color": sigma_color, "sigma_space": sigma_space, "border": border}
    return checked(Job(f"{method}_blur" if method != "bilateral" else "bilateral_filter", params))
