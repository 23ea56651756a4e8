"""The reference resize: ``cv2.resize`` for OpenCV's interpolations, Pillow's ``Image.resize``
for the anti-aliased ones (OpenCV has no anti-aliased resize)."""

import cv2
import numpy as np

FLAGS = {"nearest": cv2.INTER_NEAREST, "linear": cv2.INTER_LINEAR, "cubic": cv2.INTER_CUBIC,
         "area": cv2.INTER_AREA, "lanczos": cv2.INTER_LANCZOS4}


def resize(image, size, interp, antialias, scale=None):
    """``cv2.resize`` with ``dsize`` = ``size``, or with ``fx = fy = scale`` when given (OpenCV
    then computes the same size but maps by the factor); Pillow, which takes a size only, for
    ``antialias``."""
    if antialias:
        return pillow_resize(image, size, interp)
    if scale is None:
        return cv2.resize(image, size, interpolation=FLAGS[interp])
    return cv2.resize(image, None, fx=scale, fy=scale, interpolation=FLAGS[interp])


def pillow_resize(image, size, interp):
    """Pillow's resampling, one channel at a time: in mode "L" for uint8 (Pillow's own 8-bit
    fixed point) and "F" for the others; per channel, so Pillow's RGBA premultiplication and
    channel-order conventions never apply."""
    from PIL import Image
    resample = {"linear": Image.Resampling.BILINEAR, "cubic": Image.Resampling.BICUBIC,
                "lanczos": Image.Resampling.LANCZOS}[interp]
    planes = image[:, :, None] if image.ndim == 2 else image
    channels = []
    for c in range(planes.shape[2]):
        plane = planes[:, :, c]
        if plane.dtype == np.uint8:
            channels.append(np.asarray(Image.fromarray(plane, "L").resize(size, resample)))
        else:
            resized = np.asarray(Image.fromarray(plane.astype(np.float32), "F").resize(size, resample))
            if plane.dtype == np.uint16:
                resized = np.clip(np.rint(resized), 0, 65535)
            channels.append(resized.astype(plane.dtype))
    return np.dstack(channels) if image.ndim == 3 else channels[0]
