"""Colour conversions and thresholds, with ``cv2.cvtColor``'s and ``cv2.threshold``'s arithmetic.

Integer images follow OpenCV's fixed point (``color_rgb.simd.hpp``, ``color_hsv.simd.hpp``,
``color_yuv.simd.hpp``): 15-bit coefficients for gray (``gray_shift``: 9798, 19235, 3735; the
14-bit ``yuv_shift`` ones, 4899, 9617, 1868, differ on 43 864 of the 2^24 colours) and 14-bit
ones for YCrCb, rounded by adding half and shifting; 8-bit HSV through OpenCV's two division tables (12-bit
``hsv_shift``), computed per pixel; 8-bit Lab through OpenCV's sRGB-gamma and cube-root tables (``color_lab.cpp``,
``RGB2Lab_b``), built here with the float32 arithmetic OpenCV's softfloat builds them with,
including its own cube root (Turkowski's rational approximation, truncated to float32). float32 images use OpenCV's float32 coefficients and operation order. Each
conversion is a strip kernel of its own (``strips.run_in_strips``), so a first call compiles
only the conversion it runs. Input planes are B, G, R (a 4th channel, alpha, is not read).
"""

import numpy as np
from numba import get_num_threads, njit, prange

from .strips import run_in_strips

GRAY_SHIFT = 15                             # OpenCV's gray_shift
GRAY_B, GRAY_G, GRAY_R = 3735, 19235, 9798  # 0.114, 0.587, 0.299 × 2^15
SHIFT = 14                                  # OpenCV's yuv_shift
B2Y, G2Y, R2Y = 1868, 9617, 4899            # 0.114, 0.587, 0.299 × 2^14
CR_SCALE, CB_SCALE = 11682, 9241            # 0.713, 0.564 × 2^14
B2Y_F, G2Y_F, R2Y_F = np.float32(0.114), np.float32(0.587), np.float32(0.299)
CR_SCALE_F, CB_SCALE_F = np.float32(0.713), np.float32(0.564)
FLT_EPSILON = np.float32(np.finfo(np.float32).eps)

HSV_SHIFT = 12                              # 8-bit HSV: OpenCV's division tables, 12 fractional bits
HUE_RANGE = 180                             # 8-bit hue: degrees / 2
# OpenCV's division tables, rint((255 << 12) / v) and rint((180 << 12) / (6 d)) in double, are
# computed per pixel as float32 quotients, rounded: the same integers for every divisor 1–255, since
# a float32 quotient's error (< 2^-24 · 2^20 / d = 0.063 / d) is below its distance from a half
# (≥ 1 / (2 d) where it is no tie; a tie, k + 0.5, is exact in float32 too).
HUE_NUMERATOR, SATURATION_NUMERATOR = (HUE_RANGE << HSV_SHIFT) // 6, 255 << HSV_SHIFT


def _f32_cbrt(x):
    """OpenCV's softfloat ``cbrt`` of positive float32 ``x`` (``f32_cbrt``): a quartic rational
    approximation in double on the mantissa scaled to [1/8, 1), its fraction truncated to float32."""
    bits = x.view(np.uint32).astype(np.int64)
    exponent = ((bits >> 23) & 255) - 127
    shift = np.fmod(exponent, 3)                    # C's remainder: the sign of the dividend
    shift = np.where(shift >= 0, shift - 3, shift)
    exponent = (exponent - shift) // 3 - 1
    fr = (((shift + 1023) << 52) | ((bits & 0x7FFFFF) << 29)).astype(np.uint64).view(np.float64)
    a = [float.fromhex(h) for h in ("0x1.6a09e6653ba70p+5", "0x1.808f46c6116e0p+7", "0x1.dca97439cae14p+6",
                                    "0x1.add70d2827500p+3", "0x1.4f15f83f55d2dp-3", "0x1.d9e20660edb21p+3",
                                    "0x1.2ff15c0285815p+7", "0x1.510d06a8112cep+7", "0x1.0fecbc9e2c375p+5")]
    fr = ((((a[0] * fr + a[1]) * fr + a[2]) * fr + a[3]) * fr + a[4]) / \
        ((((a[5] * fr + a[6]) * fr + a[7]) * fr + a[8]) * fr + 1.0)
    fraction = (fr.view(np.uint64) & np.uint64((1 << 52) - 1)) >> np.uint64(29)
    root = (((exponent + 127) << 23).astype(np.uint64) | fraction).astype(np.uint32).view(np.float32)
    return np.where(x == 0, np.float32(0), root)


def _lab_tables():
    """OpenCV's 8-bit Lab tables: sRGB gamma × 2040 (``sRGBGammaTab_b``), f(t) × 2^15 for t in
    steps of 1/2040 (``LabCbrtTab_b``), and the XYZ rows over the D65 white × 2^12."""
    f32 = np.float32
    x = (np.arange(256, dtype=f32) / f32(255)).astype(np.float64)
    gamma = np.where(x <= 809 / 20000, x / (323 / 25), ((x + 11 / 200) / (1 + 11 / 200)) ** (12 / 5))
    gamma = np.rint(f32(2040) * gamma.astype(f32)).astype(np.int64)
    t = (f32(1) / f32(2040)) * np.arange(LAB_CBRT_SIZE, dtype=f32)
    slope, bias = f32(841) / f32(108), f32(16) / f32(116)
    linear = (t.astype(np.float64) * np.float64(slope) + np.float64(bias)).astype(f32)   # a fused multiply-add
    cube_root = np.rint(f32(1 << LAB_SHIFT2) * np.where(t < f32(216) / f32(24389), linear, _f32_cbrt(t)))
    rows = np.array([[0.412453, 0.357580, 0.180423], [0.212671, 0.715160, 0.072169], [0.019334, 0.119193, 0.950227]])
    white = np.array([0.950456, 1.0, 1.088754])
    coefficients = np.rint(4096.0 * rows / white[:, None])[:, ::-1].astype(np.int64)   # B, G, R order
    return gamma, cube_root.astype(np.int64), coefficients


LAB_SHIFT, LAB_SHIFT2 = 12, 15
LAB_CBRT_SIZE = 256 * 3 // 2 * 8
LAB_GAMMA, LAB_CBRT, LAB_XYZ = (table.astype(np.int32) for table in _lab_tables())
L_SCALE = (116 * 255 + 50) // 100                       # L × 255/100
L_SHIFT = -((16 * 255 * (1 << LAB_SHIFT2) + 50) // 100)

MIN_VALUES_PER_STRIP = 1 << 19      # ~0.5–5 ns a pixel: a 4K frame in ~16 strips
THRESHOLD_VALUES_PER_THREAD = 1 << 18   # ~0.03 ms of work: a smaller image runs on the calling thread

# The conversion kernels take BGR rows, (H, W·3), and write (H, W·C) rows: a fixed stride of 3 and
# one flat loop a row let LLVM vectorise them (gray: 2.8 ms on a 4K frame on one thread, where a
# loop over (H, W, C) indices in int64 took 14.5 ms and cv2.cvtColor 4.2 ms). Integer images
# compute in 32 bits, which hold every sum (65535 · 2^15 + 2^14 < 2^32).


@njit(cache=True, nogil=True)
def _gray_fixed(src, out, y0, y1):
    half = np.uint32(1 << (GRAY_SHIFT - 1))
    for y in range(y0, y1):
        row, dst = src[y], out[y]
        for x in range(dst.shape[0]):
            dst[x] = (np.uint32(row[3 * x]) * np.uint32(GRAY_B) + np.uint32(row[3 * x + 1]) * np.uint32(GRAY_G)
                      + np.uint32(row[3 * x + 2]) * np.uint32(GRAY_R) + half) >> np.uint32(GRAY_SHIFT)


@njit(cache=True, nogil=True)
def _gray_float(src, out, y0, y1):
    for y in range(y0, y1):
        row, dst = src[y], out[y]
        for x in range(dst.shape[0]):
            dst[x] = row[3 * x] * B2Y_F + row[3 * x + 1] * G2Y_F + row[3 * x + 2] * R2Y_F


@njit(cache=True, nogil=True)
def _ycrcb_fixed(src, out, top, y0, y1):
    """Every step cast back to int32 (Numba widens int32 arithmetic to int64), so that LLVM
    vectorises the row in 32-bit lanes."""
    half, shift = np.int32(1 << (SHIFT - 1)), np.int32(SHIFT)
    delta = np.int32(((top + 1) // 2) << SHIFT)       # 128 or 32768, the chroma's zero
    zero, top = np.int32(0), np.int32(top)
    for y in range(y0, y1):
        row, dst = src[y], out[y]
        for x in range(row.shape[0] // 3):
            b, g, r = np.int32(row[3 * x]), np.int32(row[3 * x + 1]), np.int32(row[3 * x + 2])
            luma = np.int32(np.int32(np.int32(np.int32(b * np.int32(B2Y)) + np.int32(g * np.int32(G2Y)))
                                     + np.int32(np.int32(r * np.int32(R2Y)) + half)) >> shift)
            cr = np.int32(np.int32(np.int32(np.int32(r - luma) * np.int32(CR_SCALE)) + np.int32(delta + half))
                          >> shift)
            cb = np.int32(np.int32(np.int32(np.int32(b - luma) * np.int32(CB_SCALE)) + np.int32(delta + half))
                          >> shift)
            cr = np.int32(min(max(cr, zero), top))
            cb = np.int32(min(max(cb, zero), top))
            dst[3 * x] = luma
            dst[3 * x + 1] = cr
            dst[3 * x + 2] = cb


@njit(cache=True, nogil=True)
def _ycrcb_float(src, out, y0, y1):
    delta = np.float32(0.5)
    for y in range(y0, y1):
        row, dst = src[y], out[y]
        for x in range(row.shape[0] // 3):
            b, g, r = row[3 * x], row[3 * x + 1], row[3 * x + 2]
            luma = b * B2Y_F + g * G2Y_F + r * R2Y_F
            dst[3 * x] = luma
            dst[3 * x + 1] = (r - luma) * CR_SCALE_F + delta
            dst[3 * x + 2] = (b - luma) * CB_SCALE_F + delta


@njit(cache=True, nogil=True)
def _hsv_fixed(src, out, y0, y1):
    """Branch-free, as ``RGB2HSV_b``'s vector code: the hue's difference chosen by selects (R
    first, then G), both table divisions as float32 quotients rounded (no gathers), every step
    cast back to int32 (Numba widens int32 arithmetic to int64): LLVM vectorises the row."""
    half, shift = np.int32(1 << (HSV_SHIFT - 1)), np.int32(HSV_SHIFT)
    one, two, four, zero, hue_range = np.int32(1), np.int32(2), np.int32(4), np.int32(0), np.int32(HUE_RANGE)
    hue_top, saturation_top = np.float32(HUE_NUMERATOR), np.float32(SATURATION_NUMERATOR)
    for y in range(y0, y1):
        row, dst = src[y], out[y]
        for x in range(row.shape[0] // 3):
            b, g, r = np.int32(row[3 * x]), np.int32(row[3 * x + 1]), np.int32(row[3 * x + 2])
            value = max(b, max(g, r))
            spread = np.int32(value - min(b, min(g, r)))
            hue = np.int32(g - b) if value == r else (np.int32(b - r + two * spread) if value == g
                                                      else np.int32(r - g + four * spread))
            hue_scale = np.int32(np.rint(hue_top / np.float32(max(spread, one)))) if spread else zero
            saturation_scale = np.int32(np.rint(saturation_top / np.float32(max(value, one)))) if value else zero
            hue = np.int32(np.int32(np.int32(hue * hue_scale) + half) >> shift)
            dst[3 * x] = np.int32(hue + (hue_range if hue < zero else zero))
            dst[3 * x + 1] = np.int32(np.int32(np.int32(spread * saturation_scale) + half) >> shift)
            dst[3 * x + 2] = value


@njit(cache=True, nogil=True)
def _hsv_float(src, out, y0, y1):
    for y in range(y0, y1):
        row, dst = src[y], out[y]
        for x in range(row.shape[0] // 3):
            b, g, r = row[3 * x], row[3 * x + 1], row[3 * x + 2]
            value, least = max(b, g, r), min(b, g, r)
            spread = value - least
            saturation = spread / (abs(value) + FLT_EPSILON)
            scale = np.float32(60.0 / np.float64(spread + FLT_EPSILON))
            if value == r:
                hue = (g - b) * scale
            elif value == g:
                hue = (b - r) * scale + np.float32(120.0)
            else:
                hue = (r - g) * scale + np.float32(240.0)
            dst[3 * x] = hue + np.float32(360.0) if hue < 0 else hue
            dst[3 * x + 1] = saturation
            dst[3 * x + 2] = value


@njit(cache=True, nogil=True)
def _lab_fixed(src, out, y0, y1):
    """In int32 throughout (int32 tables and coefficients, every step cast back: Numba widens
    int32 arithmetic to int64), so LLVM vectorises the row with 32-bit gathers."""
    half, half2, zero = np.int32(1 << (LAB_SHIFT - 1)), np.int32(1 << (LAB_SHIFT2 - 1)), np.int32(128 << LAB_SHIFT2)
    shift, shift2 = np.int32(LAB_SHIFT), np.int32(LAB_SHIFT2)
    low, high = np.int32(0), np.int32(255)
    x0, x1, x2 = np.int32(LAB_XYZ[0, 0]), np.int32(LAB_XYZ[0, 1]), np.int32(LAB_XYZ[0, 2])
    y0_, y1_, y2_ = np.int32(LAB_XYZ[1, 0]), np.int32(LAB_XYZ[1, 1]), np.int32(LAB_XYZ[1, 2])
    z0, z1, z2 = np.int32(LAB_XYZ[2, 0]), np.int32(LAB_XYZ[2, 1]), np.int32(LAB_XYZ[2, 2])
    for y in range(y0, y1):
        row, dst = src[y], out[y]
        for x in range(row.shape[0] // 3):
            b, g, r = LAB_GAMMA[row[3 * x]], LAB_GAMMA[row[3 * x + 1]], LAB_GAMMA[row[3 * x + 2]]
            fx = LAB_CBRT[np.int32(np.int32(np.int32(np.int32(b * x0) + np.int32(g * x1))
                                            + np.int32(np.int32(r * x2) + half)) >> shift)]
            fy = LAB_CBRT[np.int32(np.int32(np.int32(np.int32(b * y0_) + np.int32(g * y1_))
                                            + np.int32(np.int32(r * y2_) + half)) >> shift)]
            fz = LAB_CBRT[np.int32(np.int32(np.int32(np.int32(b * z0) + np.int32(g * z1))
                                            + np.int32(np.int32(r * z2) + half)) >> shift)]
            lightness = np.int32(np.int32(np.int32(np.int32(L_SCALE) * fy) + np.int32(np.int32(L_SHIFT) + half2)) >> shift2)
            a = np.int32(np.int32(np.int32(np.int32(500) * np.int32(fx - fy)) + np.int32(zero + half2)) >> shift2)
            bb = np.int32(np.int32(np.int32(np.int32(200) * np.int32(fy - fz)) + np.int32(zero + half2)) >> shift2)
            dst[3 * x] = np.int32(min(max(lightness, low), high))
            dst[3 * x + 1] = np.int32(min(max(a, low), high))
            dst[3 * x + 2] = np.int32(min(max(bb, low), high))


@njit(cache=True, nogil=True)
def _replicate(src, out, step, y0, y1):
    """Gray to BGR (each channel the gray value, ``step`` 1), or BGRA to BGR (alpha dropped, ``step`` 4)."""
    for y in range(y0, y1):
        row, dst = src[y], out[y]
        if step == 1:
            for x in range(row.shape[0]):
                value = row[x]
                dst[3 * x] = value
                dst[3 * x + 1] = value
                dst[3 * x + 2] = value
        else:
            for x in range(row.shape[0] // 4):
                dst[3 * x] = row[4 * x]
                dst[3 * x + 1] = row[4 * x + 1]
                dst[3 * x + 2] = row[4 * x + 2]


@njit(cache=True, nogil=True)
def _from_gray(src, out, fill, value_first, y0, y1):
    """Three channels a gray value: (v, fill, fill) with ``value_first``, else (fill, fill, v)."""
    for y in range(y0, y1):
        row, dst = src[y], out[y]
        if value_first:
            for x in range(row.shape[0]):
                dst[3 * x] = row[x]
                dst[3 * x + 1] = fill
                dst[3 * x + 2] = fill
        else:
            for x in range(row.shape[0]):
                dst[3 * x] = fill
                dst[3 * x + 1] = fill
                dst[3 * x + 2] = row[x]


def _run(kernel, planes, channels, *args):
    """``kernel`` over the rows of BGR ``planes``, into a new (H, W, channels) array."""
    height, width = planes.shape[:2]
    out = np.empty((height, width, channels), planes.dtype)
    run_in_strips(kernel, out.shape, planes.reshape(height, width * 3), out.reshape(height, width * channels),
                  *args, min_values=MIN_VALUES_PER_STRIP)
    return out


def to_bgr(planes):
    """3 channels: a gray plane replicated, or the first three of BGRA."""
    height, width, channels = planes.shape
    out = np.empty((height, width, 3), planes.dtype)
    run_in_strips(_replicate, out.shape, planes.reshape(height, width * channels), out.reshape(height, width * 3),
                  channels, min_values=MIN_VALUES_PER_STRIP)
    return out


def to_gray(planes):
    """Y = 0.299 R + 0.587 G + 0.114 B (``COLOR_BGR2GRAY``) of BGR planes."""
    if planes.dtype == np.float32:
        return _run(_gray_float, planes, 1)
    return _run(_gray_fixed, planes, 1)


def to_ycrcb(planes):
    """Y, Cr = (R − Y)·0.713 + δ, Cb = (B − Y)·0.564 + δ (``COLOR_BGR2YCrCb``); δ = 128, 32768, 0.5."""
    if planes.dtype == np.float32:
        return _run(_ycrcb_float, planes, 3)
    return _run(_ycrcb_fixed, planes, 3, np.int32(np.iinfo(planes.dtype).max))


def gray_to(space, planes):
    """HSV or YCrCb of integer gray planes, (H, W, 1), without making them BGR first (as
    ``COLOR_GRAY2BGR`` then ``cv2.cvtColor`` do: three passes where this is one). Where B = G = R
    = v, 8-bit HSV is (0, 0, v): no spread, so no hue and no saturation; YCrCb is (v, δ, δ): the
    14-bit coefficients sum to 2^14, so Y = v exactly, and R − Y = B − Y = 0 leaves the zero δ."""
    height, width = planes.shape[:2]
    out = np.empty((height, width, 3), planes.dtype)
    fill = 0 if space == "hsv" else (int(np.iinfo(planes.dtype).max) + 1) // 2
    run_in_strips(_from_gray, out.shape, planes.reshape(height, width), out.reshape(height, width * 3),
                  planes.dtype.type(fill), space == "ycrcb", min_values=MIN_VALUES_PER_STRIP)
    return out


def to_hsv(planes):
    """H, S, V (``COLOR_BGR2HSV``): uint8 H in 0–179 (degrees / 2), S in 0–255; float32 H in
    degrees [0, 360), S in [0, 1], V as given."""
    if planes.dtype == np.float32:
        return _run(_hsv_float, planes, 3)
    return _run(_hsv_fixed, planes, 3)


def to_lab(planes):
    """8-bit L·255/100, a + 128, b + 128 (``COLOR_BGR2Lab``, sRGB, D65)."""
    return _run(_lab_fixed, planes, 3)


# ---------------------------------------------------------------- thresholds

@njit(cache=True, nogil=True, inline="always")
def _threshold_rows(src, out, levels, above, below, y0, y1):
    for y in range(y0, y1):
        row, dst = src[y], out[y]
        for x in range(row.shape[0]):
            high, low = above[x], below[x]      # both loaded: a select, which LLVM vectorises
            dst[x] = high if row[x] > levels[x] else low


@njit(cache=True, nogil=True, inline="always")
def _threshold_uniform(src, out, level, above, below, y0, y1):
    """``_threshold_rows`` where every channel has the same level and values: one compare and a
    select a value, against scalars (no per-value rows to stream beside the image)."""
    for y in range(y0, y1):
        row, dst = src[y], out[y]
        for x in range(row.shape[0]):
            dst[x] = above if row[x] > level else below


@njit(cache=True, nogil=True, parallel=True)
def _threshold_uniform_strips(src, out, level, above, below, threads):
    """``_threshold_uniform`` over the whole image, one strip per thread under ``prange``, as
    ``cv2.threshold``'s ``parallel_for_``. It is one pass over memory (~0.3 ms a 4K gray frame
    on two threads), so ``run_in_strips``' hand-off to a waking helper (~0.1 ms) would cost a
    third of it: this ran on one thread instead, at 1.6–1.9× OpenCV's time (see ``strips`` for
    ``prange``'s cost when the other core is busy)."""
    height = src.shape[0]
    strips = min(threads, height)      # (get_num_threads() in here would defeat the disk cache)
    per_strip = (height + strips - 1) // strips
    for strip in prange(strips):
        _threshold_uniform(src, out, level, above, below, strip * per_strip, min(height, (strip + 1) * per_strip))


@njit(cache=True, nogil=True, parallel=True)
def _threshold_rows_strips(src, out, levels, above, below, threads):
    """``_threshold_rows`` as ``_threshold_uniform_strips`` runs ``_threshold_uniform`` (a kernel
    of its own: each compiles only the loop it runs, ~1 s)."""
    height = src.shape[0]
    strips = min(threads, height)
    per_strip = (height + strips - 1) // strips
    for strip in prange(strips):
        _threshold_rows(src, out, levels, above, below, strip * per_strip, min(height, (strip + 1) * per_strip))


def threshold(planes, levels, above, below):
    """``above[c]`` where a value of channel c exceeds ``levels[c]``, ``below[c]`` elsewhere
    (``THRESH_BINARY``; swapped, ``THRESH_BINARY_INV``): three lists of one number a channel,
    each a value of the planes' dtype. An image of fewer than 2 × ``THRESHOLD_VALUES_PER_THREAD``
    values runs on the calling thread (``prange`` would wake every thread of Numba's pool)."""
    height, width, channels = planes.shape
    out = np.empty_like(planes)
    rows_in, rows_out = planes.reshape(height, width * channels), out.reshape(height, width * channels)
    uniform = all(v.count(v[0]) == len(v) for v in (levels, above, below))
    if uniform:
        kernel, strips_kernel = _threshold_uniform, _threshold_uniform_strips
        values = [planes.dtype.type(v[0]) for v in (levels, above, below)]
    else:
        kernel, strips_kernel = _threshold_rows, _threshold_rows_strips
        values = [np.tile(np.asarray(v, planes.dtype), width) for v in (levels, above, below)]
    threads = min(get_num_threads(), planes.size // THRESHOLD_VALUES_PER_THREAD)
    if threads >= 2:
        strips_kernel(rows_in, rows_out, *values, threads)
    else:
        kernel(rows_in, rows_out, *values, 0, height)
    return out


@njit(cache=True, nogil=True)
def _gray_histogram(flat):
    """``histograms`` of one channel: its four histograms as rows of their own, indexed by the
    value alone (a 4K frame: 3.1 ms instead of 4.1 on one thread, where cv2's Otsu histogram
    takes ~3.3)."""
    counts = np.zeros((4, 256), np.int64)
    first, second, third, fourth = counts[0], counts[1], counts[2], counts[3]
    whole = flat.size // 4 * 4
    for i in range(0, whole, 4):
        first[flat[i]] += 1
        second[flat[i + 1]] += 1
        third[flat[i + 2]] += 1
        fourth[flat[i + 3]] += 1
    for i in range(whole, flat.size):
        first[flat[i]] += 1
    return first + second + third + fourth


@njit(cache=True, nogil=True)
def histograms(planes):
    """The 256-bin histogram of each channel of uint8 planes, shape (C, 256): four histograms
    a channel, pixels taken in turn, so that consecutive increments of a common value do not
    wait on each other (as ``getThreshVal_Otsu_8u``'s unrolled loop), summed at the end."""
    channels = planes.shape[2]
    flat = planes.reshape(-1)
    if channels == 1:
        return _gray_histogram(flat).reshape(1, 256)
    pixels = flat.size // channels
    counts = np.zeros((channels, 4, 256), np.int64)
    whole = pixels // 4 * 4
    for p in range(0, whole, 4):
        base = p * channels
        for c in range(channels):
            counts[c, 0, flat[base + c]] += 1
            counts[c, 1, flat[base + channels + c]] += 1
            counts[c, 2, flat[base + 2 * channels + c]] += 1
            counts[c, 3, flat[base + 3 * channels + c]] += 1
    for p in range(whole, pixels):
        for c in range(channels):
            counts[c, 0, flat[p * channels + c]] += 1
    totals = np.zeros((channels, 256), np.int64)
    for c in range(channels):
        for part in range(4):
            for level in range(256):
                totals[c, level] += counts[c, part, level]
    return totals


@njit(cache=True, nogil=True)
def otsu_level(counts):
    """Otsu's threshold from a 256-bin histogram: the level maximising the between-class
    variance, scanned in OpenCV's double arithmetic and order (``getThreshVal_Otsu_8u``),
    the first maximum kept; 0 for a flat image."""
    scale = 1.0 / counts.sum()
    mean = 0.0
    for i in range(256):
        mean += i * np.float64(counts[i])
    mean *= scale
    mean_low, weight_low, best, level = 0.0, 0.0, 0.0, 0
    epsilon = np.float64(FLT_EPSILON)
    for i in range(256):
        share = counts[i] * scale
        mean_low *= weight_low
        weight_low += share
        weight_high = 1.0 - weight_low
        if min(weight_low, weight_high) < epsilon or max(weight_low, weight_high) > 1.0 - epsilon:
            continue
        mean_low = (mean_low + i * share) / weight_low
        mean_high = (mean - weight_low * mean_low) / weight_high
        variance = weight_low * weight_high * (mean_low - mean_high) * (mean_low - mean_high)
        if variance > best:
            best, level = variance, i
    return level
