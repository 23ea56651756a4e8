"""``imgkit resize``: OpenCV's five interpolations, and anti-aliased shrinking."""

from typing import Annotated, Optional

import typer

from . import app, compare_app
from .checks import checked
from .common import image_command


@image_command(app, compare_app, "resize", help="Resize images (cv2.resize; --antialias: Pillow-style filters that widen when shrinking). Give exactly one of --width/--height, --scale or --fit. Bit depth and channels are kept; 4-channel images are resized with premultiplied alpha.")
def resize(
    width: Annotated[Optional[int], typer.Option(help="Output width; alone, the height follows the aspect ratio. Every output has fewer than 2³¹ pixels (cv2.resize's limit).", show_default=False)] = None,
    height: Annotated[Optional[int], typer.Option(help="Output height; alone, the width follows the aspect ratio.", show_default=False)] = None,
    scale: Annotated[Optional[float], typer.Option(help="Both sides times this factor (rounded), above 0 and at most 46340 (a 1×1 image then stays below 2³¹ pixels).", show_default=False)] = None,
    fit: Annotated[Optional[str], typer.Option(help="WxH: the largest size inside this box, aspect ratio kept.", show_default=False)] = None,
    interp: Annotated[str, typer.Option(help="auto | nearest | linear | cubic | area | lanczos (auto: area to shrink, cubic to enlarge).")] = "auto",
    antialias: Annotated[bool, typer.Option("--antialias", help="Linear, cubic or Lanczos whose support widens with the shrink factor, as Pillow (no aliasing when shrinking).")] = False,
):
    from ..batch import Job
    return checked(Job("resize", {"width": width, "height": height, "scale": scale, "fit": fit, "interp": interp,
                                  "antialias": antialias}))
