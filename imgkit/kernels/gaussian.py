"""Gaussian blur, bit-exact with ``cv2.GaussianBlur`` for uint8 and uint16.

OpenCV builds the kernel in software double precision (``getGaussianKernelBitExact``, with its
own ``exp``), then for integer images quantises it with error diffusion
(``getGaussianKernelFixedPoint_ED``) and filters in fixed point (``GaussianBlurFixedPoint``):

- uint8: taps with 8 fractional bits; the row pass is exact in 16 bits, the column pass in 32
  bits with 16 fractional bits, and the result is ``(v + 2^15) >> 16``;
- uint16: taps with 16 fractional bits, 32-bit rows, 64-bit columns, ``(v + 2^31) >> 32``;
- float32: the double kernel rounded to float32 and plain float arithmetic.

No intermediate result is rounded in the integer paths, so the exact sum can be computed in
either pass order; the kernel here runs the shared vertical-first engine (``separable.py``).
The taps are computed once per call in plain Python (a few dozen numbers), so only the
filter itself is compiled.
"""

import struct
from fractions import Fraction
from functools import lru_cache

import numpy as np

from ..options import BORDER_CONSTANT
from .separable import separable_filter

# getGaussianKernelBitExact: for sigma <= 0 these sizes use fixed tables instead of the formula.
SMALL_KERNELS = {
    1: (1.0,),
    3: (0.25, 0.5, 0.25),
    5: (0.0625, 0.25, 0.375, 0.25, 0.0625),
    7: (0.03125, 0.109375, 0.21875, 0.28125, 0.21875, 0.109375, 0.03125),
    9: tuple(v / 256 for v in (4, 13, 30, 51, 60, 51, 30, 13, 4)),
}

# Fractional bits of the fixed-point taps, and the pixel types that take the fixed-point path.
FRACTION_BITS = {np.dtype(np.uint8): 8, np.dtype(np.uint16): 16}


def _from_bits(bits):
    return struct.unpack("<d", struct.pack("<Q", bits))[0]


def _bits_of(value):
    return struct.unpack("<Q", struct.pack("<d", value))[0]


# OpenCV's softfloat exp (core/src/softfloat.cpp, f64_exp): a 64-entry table of 2^(i/64) and
# a degree-5 polynomial, every step an IEEE double operation. It differs from libm's exp by an
# ulp or two often enough to change the kernel's last bits, so it is reproduced step by step.
_EXP_TABLE = [2.0 ** (i / 64) for i in range(64)]   # == OpenCV's expTab, exactly
_EXP_A0_SCALE = _from_bits(0x3F83CE0F3E46F431)
_EXP_POLY = [c / _EXP_A0_SCALE for c in (_from_bits(0x3F55E7AA1566C2A4), _from_bits(0x3F83B2A72B4F3CD3),
                                         _from_bits(0x3FAC6B08D81FEC75), _from_bits(0x3FCEBFBDFF82A45A),
                                         _from_bits(0x3FE62E42FEFA39F1), 1.0)]
_EXP_PRESCALE = _from_bits(0x3FF71547652B82FE) * 64.0    # 64 / ln 2
_EXP_MAX = 3000.0 * 64


def softfloat_exp(x):
    """``cv::exp(softdouble)``: e^x exactly as OpenCV's software floating point computes it."""
    if (_bits_of(x) >> 52) & 0x7FF > 1023 + 10:
        x0 = -_EXP_MAX if x < 0 else _EXP_MAX
    else:
        x0 = x * _EXP_PRESCALE
    index = round(x0)                                   # cvRound: half to even, as Python's round
    exponent = min(max((index >> 6) + 1023, 0), 2047)
    frac = (x0 - float(round(x0))) * (1.0 / 64)
    poly = _EXP_POLY[0]
    for c in _EXP_POLY[1:]:
        poly = poly * frac + c
    return _from_bits(exponent << 52) * _EXP_A0_SCALE * _EXP_TABLE[index & 63] * poly


def gaussian_kernel(ksize, sigma):
    """The 1-D kernel of ``cv::getGaussianKernelBitExact``, which ``cv2.getGaussianKernel`` returns.

    ``sigma <= 0`` takes ``0.3·((ksize−1)/2 − 1) + 0.8``, except for ksize 1, 3, 5, 7 and 9,
    which use fixed binomial-like tables.
    """
    if sigma <= 0 and ksize in SMALL_KERNELS:
        return np.array(SMALL_KERNELS[ksize])
    if sigma > 0:
        sigma = float(sigma)
    else:   # OpenCV: mulAdd(n, 0.15, 0.35), one rounding (a fused multiply-add)
        sigma = float(Fraction(ksize) * Fraction(0.15) + Fraction(0.35))
    scale = -0.125 / (sigma * sigma)
    half = (ksize - 1) // 2
    values = []
    total = 0.0
    for i in range(half):
        x = 1 - ksize + 2 * i                       # twice the distance to the centre
        values.append(softfloat_exp(float(x * x) * scale))
        total += values[-1]
    total = total * 2.0 + 1.0
    if ksize % 2 == 0:
        total += 1.0
    norm = 1.0 / total
    kernel = np.empty(ksize)
    for i, v in enumerate(values):
        kernel[i] = kernel[ksize - 1 - i] = v * norm
    kernel[half] = norm
    if ksize % 2 == 0:
        kernel[half + 1] = norm
    return kernel


def fixed_point_taps(kernel, bits):
    """``getGaussianKernelFixedPoint_ED``: integer taps summing to exactly ``2^bits``.

    Walking in from the left edge, each tap is rounded (half to even) after adding the rounding
    error carried from the previous one; the right half mirrors the left, and the centre takes
    whatever is left of ``2^bits``.
    """
    n = len(kernel)
    one = 1 << bits
    taps = np.empty(n, np.int64)
    err = 0.0
    total = 0
    for i in range(n // 2):
        adjusted = float(kernel[i]) * one + err
        v = round(adjusted)
        err = adjusted - v
        taps[i] = taps[n - 1 - i] = v
        total += v
    taps[n // 2] = one - 2 * total
    return taps


def gaussian_taps(ksize, sigma, dtype):
    """The taps ``cv2.GaussianBlur`` uses for ``dtype``: fixed point for uint8/uint16, else float32."""
    return _taps(ksize, float(sigma), np.dtype(dtype)).copy()


@lru_cache(maxsize=64)
def _taps(ksize, sigma, dtype):
    # ~10 µs each in Python: cached, so small images are not dominated by it
    kernel = gaussian_kernel(ksize, sigma)
    bits = FRACTION_BITS.get(dtype)
    if bits is None:
        return kernel.astype(np.float32)
    return fixed_point_taps(kernel, bits)


def gaussian_blur(planes, ksize_x, ksize_y, sigma_x, sigma_y, border):
    """Gaussian blur of (H, W, C) ``planes``, identical to ``cv2.GaussianBlur`` for uint8/uint16.

    ``ksize_*`` odd, ``sigma_* <= 0`` derives sigma from the size (and ``sigma_y <= 0`` takes
    ``sigma_x``, as OpenCV does); ``border`` is an ``options.BORDER_*`` code, WRAP included.
    """
    H, W = planes.shape[:2]
    if sigma_y <= 0:
        sigma_y = sigma_x
    if border != BORDER_CONSTANT:
        # OpenCV drops the kernel along a dimension of length 1 (it would only sum the pixel
        # with itself); for float32 that avoids a rounding, so do the same.
        if H == 1:
            ksize_y = 1
        if W == 1:
            ksize_x = 1
    taps_x = _taps(ksize_x, float(sigma_x), planes.dtype)     # shared: never written to
    taps_y = _taps(ksize_y, float(sigma_y), planes.dtype)
    out = np.empty_like(planes)
    if planes.dtype == np.uint8:
        # columns first: 8 fractional bits, ≤ 255·256, so uint16 (16 lanes a vector);
        # then rows: 16 fractional bits in int32
        return separable_filter(planes, taps_x.astype(np.int32), taps_y.astype(np.uint16),
                                ksize_x // 2, ksize_y // 2, border, np.uint16, np.int32, 16, out)
    if planes.dtype == np.uint16:
        # 16 + 16 fractional bits: up to 2^48, int64 throughout
        return separable_filter(planes, taps_x, taps_y, ksize_x // 2, ksize_y // 2, border,
                                np.int64, np.int64, 32, out)
    return separable_filter(planes, taps_x, taps_y, ksize_x // 2, ksize_y // 2, border,
                            np.float32, np.float32, 0, out)
