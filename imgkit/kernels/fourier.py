"""Fourier transforms of images: spectra, the inverse transform and frequency-domain filters.

The transforms themselves are pocketfft's (DUCC0), called inside jitted code through
rocket-fft's low-level ``r2c``/``c2c``/``c2r``, in float64, one block of lines at a time on
one thread, in strips on imgkit's threads (``strips.run_in_strips``), as ``cv2.dft`` does a
2-D transform: the rows' transforms, then the columns'. A block (``LINE_VALUES`` lines of
values) stays in L2 through every step done on it, so the steps around a transform cost no
pass of their own: padding and the conversion to float64 before the rows' r2c, the gain
between the columns' forward and inverse c2c, the rounding and the crop after the rows' c2r.
Only the half spectrum of a real image is ever computed (columns 0…W/2, ``rfft2``'s layout,
half the work of a complex transform, as ``cv2.dft``'s CCS packing); the kernels here supply
the other half from Hermitian symmetry, F(−u, −v) = conj F(u, v), while they write their output:

- ``centred_spectrum``: |F|, log(1 + |F|) or arg F, centred as ``numpy.fft.fftshift`` centres
  it, each value computed once for its half-spectrum bin and its mirror;
- ``full_spectrum``: the whole complex64 spectrum, uncentred (``numpy.fft.fft2``'s layout);
- ``inverse``: Re(ifft2(F)) of any complex spectrum, symmetric or not: the Hermitian part of
  the half spectrum, (F(u, v) + conj F(−u, −v)) / 2, is what the real part of the inverse
  sees, and ``c2r`` transforms that;
- ``frequency_filter``: three passes over the half spectrum (rows' r2c; columns' c2c, gain,
  inverse c2c; rows' c2r), the radial gain (Gonzalez & Woods) built once per size and
  parameters.

Why float64: a float32 transform of a 4K photo differs from the exact DFT by up to 9e-4 of the
log-magnitude's range (measured), where the magnitude of high-frequency bins is near the
float32 rounding noise; in float64 both backends agree to 2e-8.
"""

import math
from functools import lru_cache

import numpy as np
from numba import njit
from rocket_fft import c2c, c2r, r2c

from ..options import BORDER_REFLECT101
from .border import border_map
from .strips import run_in_strips

# What ``centred_spectrum`` computes.
MAGNITUDE, LOG_MAGNITUDE, PHASE = 0, 1, 2
# Frequency filters: which band passes, and the shape of its edge.
LOW, HIGH, BAND, NOTCH = 0, 1, 2, 3
IDEAL, GAUSSIAN, BUTTERWORTH = 0, 1, 2

_AXES = np.array([0, 1], np.int64)


# ---------------------------------------------------------------- transforms

# Gains kept (``half_gain``), as many as the reference keeps masks: a 4K one is 33 MB.
GAINS_KEPT = 2
# Rows per r2c/c2r call and columns per column-transform block, as values per line (× channels):
# a block of lines (~0.25 MB at 4K) stays in L2 through every step done on it.
LINE_VALUES = 8


def half_spectrum(planes, rows=None, columns=None):
    """The (rows, columns // 2 + 1, C) complex128 half spectrum of (H, W, C) ``planes``,
    padded first to ``rows`` × ``columns`` (default: the image's size) by reflect-101."""
    half = _transformed_rows(planes, rows or planes.shape[0], columns or planes.shape[1])
    run_in_strips(_column_transforms, (half.shape[1], half.shape[0], half.shape[2]), half, True)
    return half


def _transformed_rows(planes, rows, columns):
    """Each padded row's r2c (the first half of the forward transform), in blocks of rows that
    are padded and converted to float64 in cache: the padded image is never stored."""
    height, width, channels = planes.shape
    half = np.empty((rows, columns // 2 + 1, channels), np.complex128)
    run_in_strips(_forward_rows, half.shape, planes, border_map(height, 0, rows - height, BORDER_REFLECT101),
                  border_map(width, 0, columns - width, BORDER_REFLECT101), columns, half)
    return half


@njit(cache=True, nogil=True)
def _forward_rows(planes, row_map, column_map, columns, half, y0, y1):
    """Rows y0…y1 of ``half``: the padded rows (``row_map``/``column_map`` give each one's
    source) as float64, then their r2c along the row."""
    width, channels = planes.shape[1], planes.shape[2]
    block = max(1, LINE_VALUES // channels)
    real = np.empty((block, columns, channels))
    for top in range(y0, y1, block):
        count = min(block, y1 - top)
        for i in range(count):
            source, target = planes[row_map[top + i]], real[i]
            for x in range(width):
                for c in range(channels):
                    target[x, c] = source[x, c]
            for x in range(width, columns):
                for c in range(channels):
                    target[x, c] = source[column_map[x], c]
        r2c(real[:count], half[top:top + count], _AXES[1:], True, 1.0, 1)


@njit(cache=True, nogil=True)
def _column_transforms(half, forward, v0, v1):
    """The c2c along the columns v0…v1 of ``half``, in place, unscaled (the second half of the
    forward transform, or the first of the inverse)."""
    block = max(1, LINE_VALUES // half.shape[2])
    for left in range(v0, v1, block):
        view = half[:, left:min(left + block, v1)]
        c2c(view, view, _AXES[:1], forward, 1.0, 1)


@njit(cache=True, nogil=True)
def _inverse_rows(half, columns, integer, high, out, y0, y1):
    """Rows y0…y1 of ``out`` (the top-left of the padded result): each row's c2r to ``columns``
    values, scaled by 1/(rows·columns) as ``numpy.fft.irfft2``, then stored as ``out``'s dtype
    (integers rounded half to even and saturated) from the same block of rows: the real
    result is never stored whole."""
    rows, channels = half.shape[0], half.shape[2]
    width = out.shape[1]
    block = max(1, LINE_VALUES // channels)
    real = np.empty((block, columns, channels))
    scale = 1.0 / (rows * columns)
    for top in range(y0, y1, block):
        count = min(block, y1 - top)
        c2r(half[top:top + count], real[:count], _AXES[1:], False, scale, 1)
        for i in range(count):
            source, target = real[i], out[top + i]
            for x in range(width):
                for c in range(channels):
                    value = source[x, c]
                    if integer:
                        value = min(max(np.rint(value), 0.0), high)
                    target[x, c] = value


def _stored(half, columns, size, dtype):
    """Re(ifft2) of the column-transformed ``half`` spectrum (``columns`` wide once real),
    its top-left ``size``, as ``dtype``."""
    dtype = np.dtype(dtype)
    out = np.empty(size + half.shape[2:], dtype)
    high = float(np.iinfo(dtype).max) if dtype.kind == "u" else math.inf
    run_in_strips(_inverse_rows, out.shape, half, columns, dtype.kind == "u", high, out)
    return out


# ---------------------------------------------------------------- spectra

def centred_spectrum(planes, what):
    """|F|, log(1 + |F|) or arg F (``what``) of each channel, float32, zero frequency at
    (H // 2, W // 2)."""
    width = planes.shape[1]
    half = half_spectrum(planes)
    out = np.empty(planes.shape, np.float32)
    run_in_strips(_centred_rows, half.shape, half, width, what, out)
    return out


@njit(cache=True, nogil=True)
def _centred_rows(half, width, what, out, u0, u1):
    """Frequency rows u0…u1: each half-spectrum bin (u, v) goes to its centred place and, for
    0 < v < W − W/2, its mirror (−u, −v) gets the same magnitude and the opposite phase.

    Unlike most strip kernels this writes rows outside u0…u1 (the mirrors), but every output
    value has exactly one writer, so strips never collide.
    """
    height, channels = half.shape[0], half.shape[2]
    cy, cx = height // 2, width // 2
    for u in range(u0, u1):
        y = (u + cy) % height
        y_mirror = (height - u + cy) % height
        for v in range(width // 2 + 1):
            x = cx + v if cx + v < width else 0
            mirrored = 0 < v < width - cx
            for c in range(channels):
                value = half[u, v, c]
                if what == PHASE:
                    angle = math.atan2(value.imag, value.real)
                    out[y, x, c] = _half_open(angle)
                    if mirrored:
                        out[y_mirror, cx - v, c] = _half_open(-angle)
                else:
                    magnitude = math.sqrt(value.real * value.real + value.imag * value.imag)
                    if what == LOG_MAGNITUDE:
                        magnitude = math.log1p(magnitude)
                    out[y, x, c] = magnitude
                    if mirrored:
                        out[y_mirror, cx - v, c] = magnitude


@njit(cache=True, nogil=True)
def _half_open(angle):
    """The float32 angle in (−π, π]: a real negative bin is π whatever the sign of its
    imaginary rounding noise (which would make it −π or π from one FFT to another)."""
    rounded = np.float32(angle)
    return -rounded if rounded == np.float32(-math.pi) else rounded


def full_spectrum(planes):
    """The complex64 spectrum of each channel, uncentred (zero frequency at (0, 0))."""
    half = half_spectrum(planes)
    out = np.empty(planes.shape, np.complex64)
    run_in_strips(_full_rows, out.shape, half, out)
    return out


@njit(cache=True, nogil=True)
def _full_rows(half, out, y0, y1):
    height, width, channels = out.shape
    stored = half.shape[1]
    for u in range(y0, y1):
        source, mirror = half[u], half[(height - u) % height]
        for v in range(stored):
            for c in range(channels):
                out[u, v, c] = source[v, c]
        for v in range(stored, width):
            for c in range(channels):
                out[u, v, c] = np.conj(mirror[width - v, c])


# ---------------------------------------------------------------- inverse

def inverse(spectrum, dtype):
    """Re(ifft2) of each channel of a complex (H, W, C) ``spectrum``, as ``dtype``: float32,
    or an integer type rounded half to even and saturated."""
    height, width, channels = spectrum.shape
    half = np.empty((height, width // 2 + 1, channels), np.complex128)
    run_in_strips(_hermitian_rows, half.shape, spectrum, half)
    run_in_strips(_column_transforms, (half.shape[1], height, channels), half, False)
    return _stored(half, width, (height, width), dtype)


@njit(cache=True, nogil=True)
def _hermitian_rows(spectrum, half, u0, u1):
    height, width = spectrum.shape[0], spectrum.shape[1]
    for u in range(u0, u1):
        source, mirror = spectrum[u], spectrum[(height - u) % height]
        for v in range(half.shape[1]):
            for c in range(half.shape[2]):
                mirrored = np.complex128(mirror[(width - v) % width, c])
                half[u, v, c] = 0.5 * (np.complex128(source[v, c]) + np.conj(mirrored))


# ---------------------------------------------------------------- filters

def frequency_filter(planes, rows, columns, kind, shape, cutoff, width, order):
    """Filter each channel with the radial gain ``kind``/``shape`` (see ``_gain``) on the
    ``rows`` × ``columns`` padded transform; the result has the input's size and dtype.

    The distance D of bin (u, v) is measured in the image's own frequency units, cycles per
    image height and width, (u·H/rows, v·W/columns), so padding does not move the cutoff.

    Per call: the rows' r2c (padding and float64 conversion done per block of rows, in
    cache), then per block of columns the forward column transform, the gain and the inverse
    column transform while the block is in L2, then the rows' c2r with the rounding and the
    crop: three passes over the half spectrum. The gain itself is built once per size and
    parameters (``half_gain``, cached), as the reference caches its whole-spectrum mask.
    """
    height, image_width, _ = planes.shape
    gain = half_gain(rows, columns, height / rows, image_width / columns, kind, shape, float(cutoff),
                     float(width), float(order))
    half = _transformed_rows(planes, rows, columns)
    run_in_strips(_filtered_columns, (half.shape[1], rows, half.shape[2]), half, gain)
    return _stored(half, columns, (height, image_width), planes.dtype)


@lru_cache(maxsize=GAINS_KEPT)
def half_gain(rows, columns, row_scale, column_scale, kind, shape, cutoff, width, order):
    """The (rows, columns // 2 + 1) float64 gain of each half-spectrum bin, uncentred: kept
    for the last few sizes and parameters (the reference keeps its mask by the same key)."""
    gain = np.empty((rows, columns // 2 + 1))
    run_in_strips(_gain_rows, gain.shape + (1,), row_scale, column_scale, kind, shape, cutoff, width, order, gain,
                  min_values=1 << 14)
    gain.flags.writeable = False
    return gain


@njit(cache=True, nogil=True)
def _gain_rows(row_scale, column_scale, kind, shape, cutoff, width, order, gain, u0, u1):
    rows, stored = gain.shape
    for u in range(u0, u1):
        frequency = u if u < rows - rows // 2 else u - rows
        row_squared = (frequency * row_scale) * (frequency * row_scale)
        for v in range(stored):
            gain[u, v] = _gain(row_squared + (v * column_scale) * (v * column_scale), kind, shape, cutoff,
                               width, order)


@njit(cache=True, nogil=True)
def _filtered_columns(half, gain, v0, v1):
    """Columns v0…v1 of ``half``: forward c2c along the column, times the gain, inverse c2c
    (unscaled: the rows' c2r scales), a block of columns at a time while it sits in L2."""
    rows, channels = half.shape[0], half.shape[2]
    block = max(1, LINE_VALUES // channels)
    for left in range(v0, v1, block):
        right = min(left + block, v1)
        view = half[:, left:right]
        c2c(view, view, _AXES[:1], True, 1.0, 1)
        for u in range(rows):
            line, factors = view[u], gain[u]
            for v in range(right - left):
                factor = factors[left + v]
                for c in range(channels):
                    line[v, c] *= factor
        c2c(view, view, _AXES[:1], False, 1.0, 1)


@njit(cache=True, nogil=True)
def _gain(d2, kind, shape, cutoff, width, order):
    """The gain at squared distance ``d2`` (Gonzalez & Woods, Digital Image Processing, 4.8–4.10).

    Low-pass with cutoff D0: ideal D ≤ D0, Gaussian exp(−D²/2D0²), Butterworth
    1/(1 + (D/D0)^2n). Notch (band-reject of centre C0 = cutoff and width W): ideal 0 where
    |D − C0| ≤ W/2, Gaussian 1 − exp(−((D² − C0²)/(D·W))²), Butterworth 1/(1 + |D·W/(D² − C0²)|^2n).
    High-pass and band-pass are one minus these.
    """
    squared_cutoff = cutoff * cutoff
    if kind == LOW or kind == HIGH:
        if shape == IDEAL:
            passed = 1.0 if d2 <= squared_cutoff else 0.0
        elif shape == GAUSSIAN:
            passed = math.exp(-d2 / (2.0 * squared_cutoff))
        else:
            passed = 1.0 / (1.0 + (d2 / squared_cutoff) ** order)
        return passed if kind == LOW else 1.0 - passed
    distance = math.sqrt(d2)
    offset = d2 - squared_cutoff            # D² − C0²
    if shape == IDEAL:
        kept = 0.0 if abs(distance - cutoff) <= width / 2.0 else 1.0
    elif shape == GAUSSIAN:
        # D = 0: the ratio is −∞ and the gain 1 (the limit); D² = C0²: the gain 0
        kept = 1.0 if distance == 0.0 else 1.0 - math.exp(-(offset / (distance * width)) ** 2)
    else:
        kept = 0.0 if offset == 0.0 else 1.0 / (1.0 + abs(distance * width / offset) ** (2.0 * order))
    return kept if kind == NOTCH else 1.0 - kept
