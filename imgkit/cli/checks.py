"""``--max-pixels``: a count written as 100000000 or 1e8, checked before anything is read."""

import math

import typer

MAX_PIXEL_COUNT = 2**63 - 1     # what OpenCV's own limit (OPENCV_IO_MAX_IMAGE_PIXELS) can hold


def pixel_count(text):
    """``--max-pixels``: a whole number from 1 to 2⁶³ − 1, written as 100000000 or 1e8."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 1 <= value <= MAX_PIXEL_COUNT and value == int(value)):
        raise typer.BadParameter(f"must be a whole number from 1 to 2⁶³ − 1 (e.g. 1e8), got {text!r}")
    return int(value)
