"""``resize`` in bands of output rows, where a band's arithmetic is the whole image's.

Two cases are exact, and only they run in tiles:

- ``nearest``: output row y copies source row ``min(floor(y·scale_y), H − 1)`` (the kernel's
  own table, ``kernels.resize._nearest_tables``); a band's source rows are gathered in its
  output order and resized across only (vertical factor 1), with the whole image's horizontal
  mapping (same width, output width and ``fx``);
- ``area`` (and ``auto`` when it shrinks, and ``linear`` by exactly 2 on both axes, which
  imgkit and OpenCV compute as area; not so ``cv2.resize`` on 16-bit and float images, which IPP
  resizes first, so not with the opencv backend there) by integer factors kx, ky: block means, so a band of ky·n source rows
  starting at a multiple of ky gives the whole image's blocks, the last band its cut blocks.

Every other resize (linear, cubic, Lanczos, area by other factors, ``antialias``) weighs source
rows by tables computed for the whole image, in some paths across first and rounded between
the passes: a band resized alone maps its rows otherwise. They are refused, saying so
(``untileable`` for what the parameters alone tell, ValueError once the size is known).
"""

import functools

import numpy as np

from .tiles import BAND_BYTES, _rows_of

TILED = ("nearest", "area", "auto", "linear")


def untiled_resize(params):
    """Why this resize cannot run in tiles, whatever the image, or None."""
    if params["antialias"]:
        return "resize --antialias does not run in tiles: its filters' tables are the whole image's"
    if params["interp"] not in TILED:
        return (f"resize --interp {params['interp']} does not run in tiles: only nearest, and area by integer "
                "factors, give the whole image's result in bands")
    return None


def resize_bands(job, source, band_rows, read, runner, finish):
    """``(width, height, results)``: the resized image's size and its bands of rows, in order."""
    from . import registry
    from .kernels.resize import _is_integer_scale, _scales
    from .ops.resize import output_size, parse_fit, parse_scale, resolve_interp
    params = {**{p.name: p.default for p in registry.get("resize").params}, **job.params}
    scale = None if params["scale"] is None else parse_scale("scale", params["scale"])
    fit = None if params["fit"] is None else parse_fit("fit", params["fit"])
    height, width = source.shape[:2]
    out_w, out_h = output_size(source.shape, params["width"], params["height"], scale, fit)
    interp = resolve_interp(params["interp"], source.shape, (out_w, out_h))
    (kx, whole_x), (ky, whole_y) = (_is_integer_scale(_scales(n, out, scale)[0])
                                    for n, out in ((width, out_w), (height, out_h)))
    if interp == "linear" and kx and ky and whole_x == whole_y == 2 and (job.backend != "opencv"
                                                                      or source.dtype == np.uint8):
        interp = "area"     # as resize_linear and cv2.resize (but IPP's, first, for 16 bits and float)
    if (out_w, out_h) == (width, height):
        interp = "nearest"  # the image itself (``ops.resize`` copies it)
    band_rows = band_rows or max(1, BAND_BYTES // (out_w * source.dtype.itemsize * _channels(source.shape)))
    resize = functools.partial(_resized_band, out_w=out_w, fx=scale, backend=job.backend, finish=finish)
    if interp == "nearest":
        rows = np.minimum(np.floor(np.arange(out_h) * _scales(height, out_h, scale)[0]).astype(np.int64), height - 1)
        bands = ((read(int(rows[y]), int(rows[y:y + band_rows][-1]) + 1), rows[y:y + band_rows] - rows[y], None)
                 for y in range(0, out_h, band_rows))
    elif interp == "area" and kx and ky and min(whole_x, whole_y) >= 1:
        bands = ((read(y * whole_y, min((y + band_rows) * whole_y, height)), None, min(band_rows, out_h - y))
                 for y in range(0, out_h, band_rows))
    else:
        raise ValueError(f"resize of {width}×{height} to {out_w}×{out_h} by {interp}: only nearest, and area by "
                         "integer factors, give the whole image's result in bands")
    return out_w, out_h, runner(resize, bands)


def _channels(shape):
    return shape[2] if len(shape) == 3 else 1


def _resized_band(band, picks, count, out_w, fx, backend, finish):
    """One band: nearest (``picks``: its source rows in output order) or area (``count`` rows)."""
    rows = _rows_of(band)
    if picks is not None:
        rows = np.ascontiguousarray(rows[picks])
        count, fy = picks.size, None if fx is None else 1.0
    else:
        fy = fx

    def run(image):
        if backend == "opencv":
            import cv2
            flag = cv2.INTER_NEAREST if picks is not None else cv2.INTER_AREA
            if fx is None:
                return cv2.resize(image, (out_w, count), interpolation=flag).reshape((count, out_w) + image.shape[2:])
            return cv2.resize(image, None, fx=fx, fy=fy, interpolation=flag).reshape((count, out_w) + image.shape[2:])
        from .kernels import resize as kernels
        from .ops._checks import as_planes, like_input
        kernel = kernels.resize_nearest if picks is not None else kernels.resize_area
        return like_input(kernel(as_planes(image), out_w, count, inv_scale=None if fx is None else (fx, fy)), image)
    if rows.ndim == 3 and rows.shape[2] == 4:
        from .alpha import premultiplied
        return finish(premultiplied(run, rows))
    return finish(run(rows))
