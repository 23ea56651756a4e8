"""``imgkit sobel | scharr | prewitt | laplacian``: image derivatives, written as float32 or 8-bit."""

from typing import Annotated, Optional

import typer

from . import app, compare_app
from .checks import checked
from .common import image_command

COMPONENTS = ("magnitude", "x", "y", "angle")

OUTPUT_NOTE = ("Results are float32: npy and tiff keep them; other formats get |value| rounded and "
               "saturated to 0–255 (as cv2.convertScaleAbs), or a min–max stretch with --normalize.")
COLOUR_NOTE = ("Colour images are differentiated channel by channel, as OpenCV does (the magnitude and "
               "angle too: one per channel, as cv2.magnitude on cv2.Sobel's colour output); use --gray "
               "for one channel.")


def _choice(name, value, allowed):
    if value not in allowed:
        shown = ", ".join(map(str, allowed))
        raise typer.BadParameter(f"must be one of {shown}, got {value!r}", param_hint=name)
    return value


def _gradient_job(operator, dx, dy, ksize, component, l1, normalize, border):
    """The Job of a first-derivative command (see the options' help for the rules)."""
    from ..batch import Job
    ksize = 3 if ksize is None else ksize
    sobel_params = {"ksize": ksize} if operator == "sobel" else {}
    if dx is not None or dy is not None:
        if component is not None:
            raise typer.BadParameter("give either --dx/--dy (one derivative) or --component, not both",
                                     param_hint="--component")
        if l1:
            raise typer.BadParameter("--l1 applies to the magnitude, not to --dx/--dy", param_hint="--l1")
        return checked(Job(operator, {"dx": dx or 0, "dy": dy or 0, **sobel_params, "border": border},
                           normalize=normalize))
    component = _choice("--component", component or "magnitude", COMPONENTS)
    if l1 and component != "magnitude":
        raise typer.BadParameter("--l1 applies to the magnitude only", param_hint="--l1")
    if component in ("x", "y"):
        dx, dy = (1, 0) if component == "x" else (0, 1)
        return checked(Job(operator, {"dx": dx, "dy": dy, **sobel_params, "border": border}, normalize=normalize))
    params = {"operator": operator, "ksize": ksize, "border": border}
    if component == "angle":
        return checked(Job("gradient_angle", params, normalize=normalize))
    return checked(Job("gradient_magnitude", {**params, "l1": l1}, normalize=normalize))


DX = Annotated[Optional[int], typer.Option("--dx", help="Derivative order along x (with --dy: one derivative instead of the gradient).", show_default=False)]
DY = Annotated[Optional[int], typer.Option("--dy", help="Derivative order along y.", show_default=False)]
COMPONENT = Annotated[Optional[str], typer.Option(help="magnitude | x | y | angle (degrees, 0–360, as cv2.phase) of the gradient (default magnitude).", show_default=False)]
L1 = Annotated[bool, typer.Option("--l1", help="Magnitude as |gx| + |gy| instead of sqrt(gx² + gy²).")]
NORMALIZE = Annotated[bool, typer.Option("--normalize", help="For 8-bit formats: stretch min–max to 0–255 instead of |value| saturated.")]
BORDER = Annotated[str, typer.Option(help="reflect101 | reflect | replicate | constant | wrap.")]


@image_command(app, compare_app, "sobel", help=f"Sobel derivatives (cv2.Sobel): the gradient magnitude by default, or one derivative with --dx/--dy. {COLOUR_NOTE} {OUTPUT_NOTE}")
def sobel(
    dx: DX = None,
    dy: DY = None,
    ksize: Annotated[Optional[int], typer.Option(help="Aperture: 1, 3, 5 or 7 (default 3); orders must be below it (1 allows 2).", show_default=False)] = None,
    component: COMPONENT = None,
    l1: L1 = False,
    normalize: NORMALIZE = False,
    border: BORDER = "reflect101",
):
    return _gradient_job("sobel", dx, dy, ksize, component, l1, normalize, border)


def _first_derivative_command(operator, help):
    """Scharr and Prewitt take the same options: first derivatives only, no aperture."""
    def build(
        dx: DX = None,
        dy: DY = None,
        component: COMPONENT = None,
        l1: L1 = False,
        normalize: NORMALIZE = False,
        border: BORDER = "reflect101",
    ):
        return _gradient_job(operator, dx, dy, None, component, l1, normalize, border)
    image_command(app, compare_app, operator, help=help)(build)


_first_derivative_command("scharr", f"Scharr first derivatives (cv2.Scharr, [3,10,3]⊗[-1,0,1]): the gradient magnitude by default, or --dx 1 / --dy 1. {COLOUR_NOTE} {OUTPUT_NOTE}")
_first_derivative_command("prewitt", f"Prewitt first derivatives (cv2.filter2D with [1,1,1]⊗[-1,0,1], a correlation): the gradient magnitude by default, or --dx 1 / --dy 1. {COLOUR_NOTE} {OUTPUT_NOTE}")


@image_command(app, compare_app, "laplacian", help=f"Laplacian d²x + d²y (cv2.Laplacian). Colour images are filtered channel by channel, as OpenCV does. {OUTPUT_NOTE}")
def laplacian(
    ksize: Annotated[int, typer.Option(help="Aperture: 1 ([[0,1,0],[1,-4,1],[0,1,0]]), 3, 5 or 7.")] = 1,
    normalize: NORMALIZE = False,
    border: BORDER = "reflect101",
):
    from ..batch import Job
    return checked(Job("laplacian", {"ksize": ksize, "border": border}, normalize=normalize))
