"""The reference Fourier path: ``cv2.dft`` / ``cv2.idft`` in float64 with numpy for the shift,
the logarithm, the angle and the masks (OpenCV's tutorial "Discrete Fourier Transform"), one
channel at a time."""

from functools import lru_cache

import cv2
import numpy as np

# Masks kept (``packed_gain``), as many as imgkit keeps gains: a 4K one is 66 MB.
GAINS_KEPT = 2


def _channels(image):
    return [image] if image.ndim == 2 else [image[:, :, c] for c in range(image.shape[2])]


def _stack(planes, image):
    return planes[0] if image.ndim == 2 else np.dstack(planes)


def _dft(plane):
    """The complex128 spectrum of one channel."""
    return cv2.dft(plane.astype(np.float64), flags=cv2.DFT_COMPLEX_OUTPUT).view(np.complex128)[:, :, 0]


def fft2(image):
    return _stack([_dft(plane).astype(np.complex64) for plane in _channels(image)], image)


def ifft2(spectrum, dtype):
    planes = []
    for plane in _channels(spectrum):
        pairs = np.ascontiguousarray(plane.astype(np.complex128)).view(np.float64).reshape(plane.shape + (2,))
        planes.append(_as_dtype(cv2.idft(pairs, flags=cv2.DFT_SCALE | cv2.DFT_COMPLEX_OUTPUT)[:, :, 0], dtype))
    return _stack(planes, spectrum)


def spectrum(image, log):
    planes = []
    for plane in _channels(image):
        pairs = cv2.dft(plane.astype(np.float64), flags=cv2.DFT_COMPLEX_OUTPUT)
        magnitude = cv2.magnitude(pairs[:, :, 0], pairs[:, :, 1])
        planes.append(np.fft.fftshift(np.log1p(magnitude) if log else magnitude).astype(np.float32))
    return _stack(planes, image)


def phase(image):
    planes = []
    for plane in _channels(image):
        pairs = cv2.dft(plane.astype(np.float64), flags=cv2.DFT_COMPLEX_OUTPUT)
        # cv2.phase is 0…2π and only good to about 0.3°: numpy's arctan2, in (−π, π]
        angle = np.fft.fftshift(np.arctan2(pairs[:, :, 1], pairs[:, :, 0])).astype(np.float32)
        angle[angle == np.float32(-np.pi)] = np.float32(np.pi)
        planes.append(angle)
    return _stack(planes, image)


def frequency_filter(image, rows, columns, kind, shape, cutoff, width, order):
    """Per call and channel: pad (``cv2.copyMakeBorder``), ``cv2.dft`` of the real plane to
    its CCS-packed half spectrum (real input: half the work of a complex output), multiply
    by the mask in the same packing, ``cv2.idft`` back to real, crop and round. The mask is
    built once per size and parameters and kept (``packed_gain``), as a script filtering many
    images would; imgkit keeps its gain by the same key, so neither side's timing holds the
    making of a mask but on a size's first call."""
    height, image_width = image.shape[:2]
    padded = cv2.copyMakeBorder(image, 0, rows - height, 0, columns - image_width, cv2.BORDER_REFLECT_101)
    gain = packed_gain(rows, columns, height / rows, image_width / columns, kind, shape, cutoff, width, order)
    planes = []
    for plane in _channels(padded):
        packed = cv2.dft(plane.astype(np.float64))
        packed *= gain
        filtered = cv2.idft(packed, flags=cv2.DFT_SCALE | cv2.DFT_REAL_OUTPUT)
        planes.append(_as_dtype(filtered[:height, :image_width], image.dtype))
    return _stack(planes, image)


@lru_cache(maxsize=GAINS_KEPT)
def packed_gain(rows, columns, row_scale, column_scale, kind, shape, cutoff, width, order):
    """``centred_gain`` laid out as ``cv2.dft`` packs a real image's spectrum (CCS): each
    value the gain of the bin whose real or imaginary part sits there. Columns 1… hold
    Re, Im of bins (u, 1), (u, 2)… of every row u; column 0, and the last column when the
    width is even (bins (·, 0) and (·, W/2)), hold Re, Im of bins (1, ·), (2, ·)… down the
    column after the real bin (0, ·), and the real bin (H/2, ·) last when the height is even.
    Read-only, kept for the last few keys."""
    gain = np.fft.ifftshift(centred_gain(rows, columns, row_scale, column_scale, kind, shape, cutoff, width, order))
    down = (np.arange(rows) + 1) // 2                  # the bin row of each value of a packed column
    packed = gain[:, (np.arange(columns) + 1) // 2]    # columns 1…: the bin column of each value
    packed[:, 0] = gain[down, 0]
    if columns % 2 == 0:
        packed[:, -1] = gain[down, columns // 2]
    packed.flags.writeable = False
    return packed


def centred_gain(rows, columns, row_scale, column_scale, kind, shape, cutoff, width, order):
    """The (rows, columns) gain, zero frequency at (rows // 2, columns // 2); distances in
    the image's frequency units (bin index × image size / padded size)."""
    fy = (np.arange(rows) - rows // 2) * row_scale
    fx = (np.arange(columns) - columns // 2) * column_scale
    d2 = fy[:, None] ** 2 + fx[None, :] ** 2
    if kind in ("low", "high"):
        passed = {"ideal": lambda: (d2 <= cutoff * cutoff).astype(np.float64),
                  "gaussian": lambda: np.exp(-d2 / (2.0 * cutoff * cutoff)),
                  "butterworth": lambda: 1.0 / (1.0 + (d2 / (cutoff * cutoff)) ** order)}[shape]()
        return passed if kind == "low" else 1.0 - passed
    distance = np.sqrt(d2)
    with np.errstate(divide="ignore", invalid="ignore"):     # D = 0 and D = C0 go to ±∞: the limits
        if shape == "ideal":
            kept = (np.abs(distance - cutoff) > width / 2.0).astype(np.float64)
        elif shape == "gaussian":
            kept = 1.0 - np.exp(-((d2 - cutoff * cutoff) / (distance * width)) ** 2)
        else:
            kept = 1.0 / (1.0 + np.abs(distance * width / (d2 - cutoff * cutoff)) ** (2.0 * order))
    return kept if kind == "notch" else 1.0 - kept


def _as_dtype(values, dtype):
    dtype = np.dtype(dtype)
    if dtype.kind == "u":
        return np.clip(np.rint(values), 0, np.iinfo(dtype).max).astype(dtype)
    return values.astype(dtype)
