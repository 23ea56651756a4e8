"""Bilateral filter (Tomasi & Manduchi 1998), bit for bit as ``cv2.bilateralFilter``.

OpenCV's filter is a weighted mean over a *circular* window: each tap (i, j) with
i² + j² ≤ r² gets the weight ``space[k] · colour[Σ_c |I_c(p + k) − I_c(p)|]``; the colour
distance is the L1 sum over channels. Matching OpenCV to the last bit means following its
floating-point arithmetic step by step, because the result is rounded (uint8) or compared
exactly (float32):

- the weights are float32 look-up tables, built with OpenCV's own mix of float and double
  arithmetic (``_colour_lut_u8``, ``_colour_lut_f32``, ``_space_taps``);
- the sums are float32, accumulated tap by tap in OpenCV's tap order with a *fused*
  multiply-add for Σ w·I (OpenCV's ``v_muladd`` is an FMA on AVX2/AVX-512), a plain add for Σ w;
- OpenCV processes a row in SIMD blocks and finishes it with scalar code; in two cases the
  blocks and the scalar tail do not compute the same thing (see ``simd_lanes``):
  1-channel uint8 with radius 2 sums the 13 taps of a SIMD block in a different order, and
  float32 interpolates (and clamps) its colour LUT differently in the tail;
- uint8: ``cvRound(Σ w·I / Σ w)`` (1 channel) or ``cvRound(Σ w·I · (1 / Σ w))`` (3 channels),
  round half to even;
- float32: the centre tap is left out of the loop and added with weight 1 at the end.

uint8 runs as OpenCV 5.1's SIMD code does (``_span_gray``, ``_span_colour``): a row in blocks
of pixels whose sums stay in vector registers while the taps go by (precomputed offsets and
space weights, in OpenCV's order), one colour weight per pixel and tap gathered from a single
table of 256·cn floats and multiplied by the tap's space weight, 16 lanes wide on AVX-512.
float32 keeps its chunks of ``_CHUNK`` pixels, summed tap by tap in L1 (``_chunk_f32``).

With IPP enabled (the default of the opencv-python wheels), uint8 images go through Intel IPP
instead: for 1 channel and radius ≤ 2 it truncates rather than rounds (±1 on about 45 % of
the pixels), otherwise it differs by 1 on a few pixels in a million.
``cv2.ipp.setUseIPP(False)`` gives OpenCV's own code, the path matched here.

References
----------
C. Tomasi and R. Manduchi, "Bilateral filtering for gray and color images", ICCV 1998,
doi:10.1109/ICCV.1998.710815.
OpenCV 5.0 and 5.1 ``modules/imgproc/src/bilateral_filter.dispatch.cpp`` and ``.simd.hpp``.
"""

import math
from functools import lru_cache

import numpy as np
from numba import carray, njit, types
from numba.extending import intrinsic

from .border import border_map
from .scratch import stack_buffer
from .simd import freeze, prefer_512_bit
from .strips import MIN_VALUES_PER_STRIP, run_in_strips

# OpenCV returns a copy when a sigma is this small (bilateral_filter.dispatch.cpp).
_SIGMA_EPS = 1e-6
_FLT_EPSILON = float(np.finfo(np.float32).eps)
# float32 colour LUT: bins per channel over the image's value range.
_F32_BINS_PER_CHANNEL = 1 << 12


# --------------------------------------------------------------------------- arithmetic


@intrinsic
def _fma(typingctx, a, b, c):
    """float32 fused multiply-add ``a·b + c`` with one rounding, as OpenCV's ``v_muladd``.

    ``llvm.fma`` is exact on every target (an instruction where the CPU has FMA, a libm call
    otherwise) and LLVM vectorises it.
    """
    from llvmlite import ir
    sig = types.float32(types.float32, types.float32, types.float32)

    def codegen(context, builder, signature, args):
        f32 = ir.FloatType()
        fn = builder.module.declare_intrinsic("llvm.fma", [f32], ir.FunctionType(f32, [f32, f32, f32]))
        return builder.call(fn, args)

    return sig, codegen


@lru_cache(maxsize=None)
def simd_lanes():
    """float32 lanes of the widest SIMD code OpenCV dispatches to on this CPU: 16, 8 or 4.

    ``bilateral_filter.simd.hpp`` is built for AVX-512 (SKX), AVX2 (with FMA) and SSE2. Rows
    are cut into SIMD blocks and the remainder is done by scalar code that computes slightly
    differently, so the block size is part of the result: 4·lanes pixels for 1-channel uint8
    (whose radius-2 blocks sum in another order) and 2·lanes pixels for float32 (whose tail
    interpolates the LUT in another way). Verified on AVX-512 and AVX2; on SSE-only CPUs OpenCV
    would also round its multiply-adds twice, which the kernel does not follow.

    The host's features count less those that ``OPENCV_CPU_DISABLE`` turns off, read as OpenCV
    reads it (exact names, separated by commas or semicolons: ``AVX512-SKX``, ``AVX2``), so the
    two agree; OpenCV's dispatcher asks for AVX512-SKX and AVX2 alone.
    """
    import os
    import re

    import llvmlite.binding as ll
    features = ll.get_host_cpu_features()
    disabled = set(re.split(r"[,;]", os.environ.get("OPENCV_CPU_DISABLE", "")))
    if (all(features.get(f, False) for f in ("avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"))
            and "AVX512-SKX" not in disabled):
        return 16
    if features.get("avx2", False) and features.get("fma", False) and "AVX2" not in disabled:
        return 8
    return 4


_CHUNK = 1024   # float32: pixels per pass over the taps; the sums of a chunk stay in L1
# uint8: pixels per block, whose sums stay in vector registers over all the taps: 1 channel
# (4 + 4 AVX-512 registers) and 3 (8 + 8; 64 would spill); a row's last block runs into the
# _SPARE columns of the padded band
_BLOCK1 = 64
_BLOCK3 = 32
_SPARE = max(_BLOCK1, _BLOCK3)


# --------------------------------------------------------------------------- tables


def _v_exp_f32(x):
    """OpenCV's ``v_exp`` for float32 (Cephes polynomial), as compiled for the baseline SSE
    target where ``v_fma`` is a multiply then an add: OpenCV builds the uint8 colour LUT with it."""
    f = np.float32
    x = np.minimum(np.maximum(x.astype(f), f(-88.3762626647949)), f(89.0))
    n = np.floor(x * f(1.44269504088896341) + f(0.5))
    scale = ((n.astype(np.int32) + 0x7F) << 23).view(f)
    x = n * f(-6.93359375e-1) + x
    x = n * f(2.12194440e-4) + x
    xx = x * x
    y = x * f(1.9875691500e-4) + f(1.3981999507e-3)
    for p in (8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1):
        y = y * x + f(p)
    y = y * xx + x
    return (y + f(1.0)) * scale


def _colour_lut_u8(sigma_color, cn):
    """``exp(−d²/2σ²)`` for d = 0 … 256·cn − 1, as ``bilateralFilter_8u`` builds it: a float32
    coefficient, ``v_exp`` in 4-lane blocks while a whole block fits below the last lane, and
    ``std::exp`` (float) for the last entries."""
    coeff = np.float32(-0.5 / (sigma_color * sigma_color))
    n = 256 * cn
    d = np.arange(n)
    arg = (d * d).astype(np.float32) * coeff
    lut = np.empty(n, np.float32)
    simd_end = ((n - 1) // 4) * 4          # OpenCV: for (; i < n - 4; i += 4)
    lut[:simd_end] = _v_exp_f32(arg[:simd_end])
    lut[simd_end:] = np.exp(arg[simd_end:].astype(np.float64)).astype(np.float32)
    return lut


def _colour_lut_f32(sigma_color, cn, value_range):
    """``bilateralFilter_32f``'s colour LUT: 2¹²·cn bins over cn × the image's value range,
    sampled at float32 ``i / scale`` and evaluated in double; zero after the first zero.

    Returns ``(lut, scale, bins)``; ``|Δ|·scale`` indexes the LUT.
    """
    bins = _F32_BINS_PER_CHANNEL * cn
    length = np.float32(np.float32(value_range) * np.float32(cn))
    scale = np.float32(np.float32(bins) / length)
    coeff = -0.5 / (sigma_color * sigma_color)
    lut = np.zeros(bins + 2, np.float32)
    val = (np.arange(bins + 2, dtype=np.float32) / scale).astype(np.float64)
    lut[:] = np.exp(val * val * coeff).astype(np.float32)
    zeros = np.flatnonzero(lut == 0)
    if zeros.size:
        lut[zeros[0]:] = 0
    return lut, scale, bins


def _space_taps(radius, sigma_space, coeff_dtype, skip_centre):
    """The circular window in OpenCV's order (dy outer, dx inner), with the weight
    ``(float)exp(r²·coeff)``, ``r = sqrt(dy² + dx²)`` in double as OpenCV computes it."""
    coeff = float(coeff_dtype(-0.5 / (sigma_space * sigma_space)))
    dys, dxs, weights = [], [], []
    for dy in range(-radius, radius + 1):
        for dx in range(-radius, radius + 1):
            r = math.sqrt(float(dy * dy) + float(dx * dx))
            if r > radius or (skip_centre and dy == 0 and dx == 0):
                continue
            dys.append(dy)
            dxs.append(dx)
            weights.append(math.exp(r * r * coeff))
    return (np.array(dys, np.int64), np.array(dxs, np.int64),
            np.array(weights, np.float64).astype(np.float32))


# The order in which OpenCV's SIMD blocks sum the 13 taps of a radius-2 window for 1-channel
# uint8 (an unrolled special case): top and bottom row, the rows above and below the centre,
# then the centre row. The scalar tail keeps the plain order.
_RADIUS2_SIMD_ORDER = np.array([0, 12, 1, 2, 3, 9, 10, 11, 4, 5, 6, 7, 8], np.int64)


# --------------------------------------------------------------------------- padding


@njit(cache=True, nogil=True, error_model="numpy")
def _pad_band(planes, rows, cols, radius, spare):
    """Planar (C, len(rows), len(cols) + spare) copy of ``planes`` at the given row and column
    indices (from ``border_map``; −1 is the constant 0): one plane per channel, so that every
    tap reads a contiguous run of one channel, with the border already in place; ``spare``
    zero columns on the right let a last block run past the row."""
    w, cn = planes.shape[1], planes.shape[2]
    out = np.zeros((cn, rows.size, cols.size + spare), planes.dtype)
    for i in range(rows.size):
        y = rows[i]
        if y < 0:
            continue
        if cn == 3:                                 # the row itself, split in one (vectorised) pass
            src = planes[y]
            inner0, inner1 = out[0, i, radius:radius + w], out[1, i, radius:radius + w]
            inner2 = out[2, i, radius:radius + w]
            for x in range(w):
                inner0[x] = src[x, 0]
                inner1[x] = src[x, 1]
                inner2[x] = src[x, 2]
        for c in range(cn):
            src = planes[y, :, c]
            dst = out[c, i]
            if cn != 3:
                inner = dst[radius:radius + w]
                for x in range(w):                  # the row itself: a straight (vectorised) copy
                    inner[x] = src[x]
            for j in range(radius):                 # the border, through the index map
                left, right = cols[j], cols[radius + w + j]
                if left >= 0:
                    dst[j] = src[left]
                if right >= 0:
                    dst[radius + w + j] = src[right]
    return out


def _in_strips(kernel, planes, radius, border, *args):
    """Run ``kernel`` over strips of rows; each strip pads its own rows (plus a halo of r rows)."""
    h, w, cn = planes.shape
    rows = border_map(h, radius, radius, border)
    cols = border_map(w, radius, radius, border)
    out = np.empty((h, w * cn), planes.dtype)
    # Each pixel costs ~|taps| operations: strips of far fewer values than a Gaussian's pay.
    run_in_strips(kernel, planes.shape, planes, radius, rows, cols, *args, out,
                  min_values=max(1024, MIN_VALUES_PER_STRIP // (2 * radius + 1) ** 2))
    return out.reshape(h, w, cn)


# --------------------------------------------------------------------------- uint8


def _colour_weight_codegen(context, builder, signature, args):
    """``table[Σ_c |a_c − b_c|]`` for uint8 pairs (a_0, b_0, a_1, b_1, …), in 32-bit arithmetic.

    Numba would widen the distance to 64 bits (and, being signed, add a wrap-around test): the
    vectoriser then gathers with 64-bit addresses, eight lanes at a time. Here the sum stays
    32-bit and frozen, so that LLVM does not widen it again, and the look-up becomes
    ``vgatherdps`` (table base + 32-bit index), as OpenCV's ``v_lut``. Each difference is frozen
    too: LLVM would otherwise turn ``|a − b|`` of widened bytes into max − min (three
    instructions where subtract and ``vpabsd`` are two).

    It also asks LLVM to vectorise the calling function with 512-bit vectors where the CPU has
    them (clang's ``-mprefer-vector-width=512``): LLVM's default for AVX-512 CPUs is 256 bits,
    and the gather-bound block loop runs ~1.5× faster with 16 lanes, as OpenCV's AVX-512 code
    does. Elsewhere the attributes change nothing.
    """
    from llvmlite import ir
    i32 = ir.IntType(32)
    prefer_512_bit(builder)
    absolute = builder.module.declare_intrinsic("llvm.abs", [i32], ir.FunctionType(i32, [i32, ir.IntType(1)]))
    total = None
    for a, b in zip(args[1::2], args[2::2]):
        diff = freeze(builder, builder.sub(builder.zext(a, i32), builder.zext(b, i32), flags=["nsw"]))
        dist = builder.call(absolute, [diff, ir.Constant(ir.IntType(1), 1)])
        total = dist if total is None else builder.add(total, dist, flags=["nuw", "nsw"])
    data = context.make_array(signature.args[0])(context, builder, value=args[0]).data
    return builder.load(builder.gep(data, [freeze(builder, total)], inbounds=True))


@intrinsic
def _colour_weight1(typingctx, table, a, b):
    """``table[|a − b|]`` (uint8 a, b): see ``_colour_weight_codegen``."""
    return table.dtype(table, types.uint8, types.uint8), _colour_weight_codegen


@intrinsic
def _colour_weight3(typingctx, table, a0, b0, a1, b1, a2, b2):
    """``table[|a0 − b0| + |a1 − b1| + |a2 − b2|]`` (uint8): see ``_colour_weight_codegen``."""
    return table.dtype(table, *(types.uint8,) * 6), _colour_weight_codegen


@njit(cache=True, nogil=True, error_model="numpy", no_cpython_wrapper=True, no_cfunc_wrapper=True)
def _span_gray(band, row_top, x0, x1, offsets, weights, centre, colour, out_row):
    """Filter the pixels x0 … x1 − 1 of a gray row into ``out_row`` in blocks, as OpenCV's SIMD
    code does: taps outer, the block's pixels inner, each weight
    ``space · colour[distance]`` (a float32 product), Σw a plain add and Σw·I a fused
    multiply-add, tap after tap.

    ``band`` is the padded band, one flat plane a channel; the row's window starts at
    ``row_top`` in it, tap t is at ``+ offsets[t]`` with space weight ``weights[t]`` and the
    centre at ``+ centre``. A block's sums are vector registers that stay in place over all the
    taps, so a tap costs its loads, a gather and the arithmetic, no load or store of the sums.
    A last, partial block is computed whole (the band has spare columns on the right) and only
    its pixels stored. Indices are unsigned: no wrap-around test per load.
    """
    wsum = carray(stack_buffer(_BLOCK1, np.float32), _BLOCK1)
    acc = carray(stack_buffer(_BLOCK1, np.float32), _BLOCK1)
    res = carray(stack_buffer(_BLOCK1, np.uint8), _BLOCK1)
    for x in range(x0, x1, _BLOCK1):
        top = np.uint64(row_top + x)
        mid = top + centre
        for i in range(_BLOCK1):
            wsum[i] = 0
            acc[i] = 0
        for t in range(offsets.size):
            at = top + offsets[t]
            p = weights[t]
            for i in range(np.uint64(_BLOCK1)):
                v = band[0, at + i]
                w = p * _colour_weight1(colour, v, band[0, mid + i])
                wsum[i] += w
                acc[i] = _fma(np.float32(v), w, acc[i])
        for i in range(_BLOCK1):
            res[i] = np.uint8(min(np.rint(acc[i] / wsum[i]), np.float32(255)))
        dst = out_row[x:]
        for i in range(min(_BLOCK1, x1 - x)):
            dst[i] = res[i]


@njit(cache=True, nogil=True, error_model="numpy", no_cpython_wrapper=True, no_cfunc_wrapper=True)
def _span_colour(band, row_top, x0, x1, offsets, weights, centre, colour, out_row):
    """``_span_gray`` for 3 channels: their sums in the same blocks, the colour distance the
    L1 sum over channels."""
    wsum = carray(stack_buffer(_BLOCK3, np.float32), _BLOCK3)
    acc0 = carray(stack_buffer(_BLOCK3, np.float32), _BLOCK3)
    acc1 = carray(stack_buffer(_BLOCK3, np.float32), _BLOCK3)
    acc2 = carray(stack_buffer(_BLOCK3, np.float32), _BLOCK3)
    res0 = carray(stack_buffer(_BLOCK3, np.uint8), _BLOCK3)
    res1 = carray(stack_buffer(_BLOCK3, np.uint8), _BLOCK3)
    res2 = carray(stack_buffer(_BLOCK3, np.uint8), _BLOCK3)
    for x in range(x0, x1, _BLOCK3):
        top = np.uint64(row_top + x)
        mid = top + centre
        for i in range(_BLOCK3):
            wsum[i] = 0
            acc0[i] = 0
            acc1[i] = 0
            acc2[i] = 0
        for t in range(offsets.size):
            at = top + offsets[t]
            p = weights[t]
            for i in range(np.uint64(_BLOCK3)):
                v0, v1, v2 = band[0, at + i], band[1, at + i], band[2, at + i]
                w = p * _colour_weight3(colour, v0, band[0, mid + i], v1, band[1, mid + i], v2, band[2, mid + i])
                wsum[i] += w
                acc0[i] = _fma(np.float32(v0), w, acc0[i])
                acc1[i] = _fma(np.float32(v1), w, acc1[i])
                acc2[i] = _fma(np.float32(v2), w, acc2[i])
        # Rounded in one vectorised pass, interleaved in a second: strided stores would keep
        # the first scalar.
        for i in range(_BLOCK3):
            inv = np.float32(1) / wsum[i]
            res0[i] = np.uint8(min(np.rint(acc0[i] * inv), np.float32(255)))
            res1[i] = np.uint8(min(np.rint(acc1[i] * inv), np.float32(255)))
            res2[i] = np.uint8(min(np.rint(acc2[i] * inv), np.float32(255)))
        dst = out_row[3 * x:]
        for i in range(min(_BLOCK3, x1 - x)):
            dst[3 * i] = res0[i]
            dst[3 * i + 1] = res1[i]
            dst[3 * i + 2] = res2[i]


@lru_cache(maxsize=None)
def _bilateral_u8(channels):
    """The uint8 kernel for 1 or 3 ``channels``, a constant of its code (a closure variable,
    which Numba's cache keys on): Numba prunes the other channel count's blocks before
    compiling, so a first call compiles one of them."""
    @njit(cache=True, nogil=True, error_model="numpy")
    def kernel(planes, radius, rows, cols, colour, block_offsets, block_weights, block_end, tail_offsets,
               tail_weights, out, y0, y1):
        """Rows y0 … y1 − 1 (padded together, with a halo of r rows), their taps (offsets in the
        padded band from a window's corner, and space weights) in OpenCV's SIMD order for
        x < block_end and in its scalar order after it. ``out`` holds flat rows: contiguous
        stores."""
        w = planes.shape[1]
        pad = _pad_band(planes, rows[y0:y1 + 2 * radius], cols, radius, _SPARE)
        stride = pad.shape[2]
        band = pad.reshape(channels, pad.shape[1] * stride)
        centre = np.uint64(radius * stride + radius)
        for y in range(y1 - y0):
            if channels == 1:
                _span_gray(band, y * stride, 0, block_end, block_offsets, block_weights, centre, colour,
                           out[y0 + y])
                _span_gray(band, y * stride, block_end, w, tail_offsets, tail_weights, centre, colour,
                           out[y0 + y])
            else:
                _span_colour(band, y * stride, 0, w, tail_offsets, tail_weights, centre, colour, out[y0 + y])
    return kernel


def _bilateral_u8_call(planes, radius, sigma_color, sigma_space, border):
    cn, width = planes.shape[2], planes.shape[1]
    dys, dxs, space = _space_taps(radius, sigma_space, np.float32, skip_centre=False)
    colour = _colour_lut_u8(sigma_color, cn)
    # A tap's offset from its window's top-left corner in the padded band (_pad_band's layout).
    offsets = ((dys + radius) * (width + 2 * radius + _SPARE) + dxs + radius).astype(np.uint64)
    if cn == 1 and dys.size == 13:
        block = 4 * simd_lanes()
        block_order, block_end = _RADIUS2_SIMD_ORDER, (width // block) * block
    else:
        block_order, block_end = np.arange(dys.size), 0
    return _in_strips(_bilateral_u8(cn), planes, radius, border, colour, offsets[block_order], space[block_order],
                      block_end, offsets, space)


# --------------------------------------------------------------------------- float32


_INDEX_CAP = np.float32(1 << 30)   # keeps float → int32 conversion defined for huge/inf distances


@njit(cache=True, nogil=True, error_model="numpy")
def _block_weight(dist, ok, space_weight, lut, scale, bins):
    """Weight of one tap in OpenCV's SIMD blocks: ``fma(L[i+1], a, L[i]·(1−a))`` with the
    index clamped to the table but the fraction not, so that past the table it extrapolates
    (OpenCV does, when a constant border lies outside the image's range). ``ok`` is False when
    the tap or the centre is NaN: the distance then counts as 0."""
    alpha = dist * scale if ok else np.float32(0)
    i = min(max(np.int32(min(alpha, _INDEX_CAP)), np.int32(0)), bins)
    alpha = alpha - np.float32(i)
    return space_weight * _fma(lut[i + 1], alpha, lut[i] * (np.float32(1) - alpha))


@njit(cache=True, nogil=True, error_model="numpy")
def _chunk_f32(pad, y, radius, x0, n, dys, dxs, space, lut, scale, bins, out_row):
    """OpenCV's SIMD blocks for the pixels x0 … x0 + n − 1 of row y, one vectorised pass over
    the chunk per tap, adding into sums kept in stack scratch (which LLVM can prove apart from
    the LUT, so the look-up vectorises as a gather): a NaN tap gets weight 0, a NaN centre gives every tap its space
    weight, and the centre is added last with weight 1 (unless NaN).

    The NaN masks use ``&`` and conditional values, not ``and``: a branch-free body is what
    LLVM vectorises.
    """
    cn = pad.shape[0]
    yc = y + radius
    xc = radius + x0
    zero = np.float32(0)
    one = np.float32(1)
    wsum = carray(stack_buffer(_CHUNK, np.float32), _CHUNK)
    acc0 = carray(stack_buffer(_CHUNK, np.float32), _CHUNK)
    acc1 = carray(stack_buffer(_CHUNK, np.float32), _CHUNK)
    acc2 = carray(stack_buffer(_CHUNK, np.float32), _CHUNK)
    for i in range(n):
        wsum[i] = 0
        acc0[i] = 0
        acc1[i] = 0
        acc2[i] = 0
    if cn == 1:
        c = pad[0, yc, xc:xc + n]
        for t in range(dys.size):
            src = pad[0, yc + dys[t], xc + dxs[t]:xc + dxs[t] + n]
            for i in range(n):
                ci = c[i]
                v = src[i]
                ok = v == v
                w = _block_weight(abs(v - ci), ok & (ci == ci), space[t], lut, scale, bins)
                w = w if ok else zero
                v = v if ok else zero
                wsum[i] += w
                acc0[i] = _fma(v, w, acc0[i])
        dst = out_row[x0:x0 + n]
        for i in range(n):
            ci = c[i]
            ok = ci == ci
            dst[i] = (acc0[i] + (ci if ok else zero)) / (wsum[i] + (one if ok else zero))
        return
    c0 = pad[0, yc, xc:xc + n]
    c1 = pad[1, yc, xc:xc + n]
    c2 = pad[2, yc, xc:xc + n]
    for t in range(dys.size):
        ys, xs = yc + dys[t], xc + dxs[t]
        s0, s1, s2 = pad[0, ys, xs:xs + n], pad[1, ys, xs:xs + n], pad[2, ys, xs:xs + n]
        for i in range(n):
            b, g, r = s0[i], s1[i], s2[i]
            cb, cg, cr = c0[i], c1[i], c2[i]
            ok = (b == b) & (g == g) & (r == r)
            centre_ok = (cb == cb) & (cg == cg) & (cr == cr)
            w = _block_weight(abs(b - cb) + abs(g - cg) + abs(r - cr), ok & centre_ok, space[t],
                              lut, scale, bins)
            w = w if ok else zero
            b = b if ok else zero
            g = g if ok else zero
            r = r if ok else zero
            wsum[i] += w
            acc0[i] = _fma(b, w, acc0[i])
            acc1[i] = _fma(g, w, acc1[i])
            acc2[i] = _fma(r, w, acc2[i])
    dst = out_row[3 * x0:3 * (x0 + n)]
    for i in range(n):
        cb, cg, cr = c0[i], c1[i], c2[i]
        ok = (cb == cb) & (cg == cg) & (cr == cr)
        inv = one / (wsum[i] + (one if ok else zero))
        dst[3 * i] = (acc0[i] + (cb if ok else zero)) * inv
        dst[3 * i + 1] = (acc1[i] + (cg if ok else zero)) * inv
        dst[3 * i + 2] = (acc2[i] + (cr if ok else zero)) * inv


@njit(cache=True, nogil=True, error_model="numpy")
def _tail_f32(pad, y, radius, x0, dys, dxs, space, lut, scale, bins, out_row):
    """OpenCV's scalar code for the pixels from x0 to the end of row y: the fraction is clamped
    to the table and the LUT interpolated as ``L[i] + a·(L[i+1] − L[i])`` (contracted to an FMA
    by the compiler); NaN taps are skipped, a NaN centre gives weight 1·space, and a NaN
    centre is left out of the final mean."""
    cn = pad.shape[0]
    w = pad.shape[2] - 2 * radius
    yc = y + radius
    top = np.float32(bins)
    sums = np.zeros(cn, np.float32)
    for x in range(x0, w):
        xc = radius + x
        centre_ok = True
        for ch in range(cn):
            v = pad[ch, yc, xc]
            centre_ok = centre_ok and v == v
        wsum = np.float32(0)
        sums[:] = 0
        for k in range(dys.size):
            ys = yc + dys[k]
            xs = xc + dxs[k]
            tap_ok = True
            dist = np.float32(0)
            for ch in range(cn):
                v = pad[ch, ys, xs]
                d = abs(v - pad[ch, yc, xc])
                dist = d if ch == 0 else dist + d
                tap_ok = tap_ok and v == v
            if not tap_ok:
                continue
            weight = space[k]
            if centre_ok:
                alpha = min(dist * scale, top)
                if not alpha >= 0:          # inf − inf: keep the index defined
                    alpha = np.float32(0)
                i = np.int32(math.floor(alpha))
                alpha = alpha - np.float32(i)
                weight = weight * _fma(alpha, lut[i + 1] - lut[i], lut[i])
            wsum += weight
            for ch in range(cn):
                sums[ch] = _fma(pad[ch, ys, xs], weight, sums[ch])
        if cn == 1:
            v = pad[0, yc, xc]
            out_row[x] = (sums[0] + v) / (wsum + np.float32(1)) if centre_ok else sums[0] / wsum
        else:
            inv = np.float32(1) / (wsum + np.float32(1)) if centre_ok else np.float32(1) / wsum
            for ch in range(cn):
                v = pad[ch, yc, xc]
                out_row[cn * x + ch] = (sums[ch] + v) * inv if centre_ok else sums[ch] * inv


@njit(cache=True, nogil=True, error_model="numpy")
def _bilateral_f32(planes, radius, rows, cols, dys, dxs, space, lut, scale, bins, block_end, out, y0, y1):
    """Rows y0 … y1 − 1: vector-width blocks up to ``block_end``, then OpenCV's scalar tail."""
    pad = _pad_band(planes, rows[y0:y1 + 2 * radius], cols, radius, 0)
    for y in range(y1 - y0):
        for x0 in range(0, block_end, _CHUNK):
            _chunk_f32(pad, y, radius, x0, min(_CHUNK, block_end - x0), dys, dxs, space, lut,
                       scale, bins, out[y0 + y])
        _tail_f32(pad, y, radius, block_end, dys, dxs, space, lut, scale, bins, out[y0 + y])


def _bilateral_f32_call(planes, radius, sigma_color, sigma_space, border):
    cn = planes.shape[2]
    finite = planes[~np.isnan(planes)]
    if finite.size == 0:
        return planes.copy()
    lo, hi = float(finite.min()), float(finite.max())
    if abs(lo - hi) < _FLT_EPSILON:
        return planes.copy()                      # OpenCV: a flat image is returned as is
    lut, scale, bins = _colour_lut_f32(sigma_color, cn, hi - lo)
    dys, dxs, space = _space_taps(radius, sigma_space, np.float64, skip_centre=True)
    # OpenCV 5.0's float32 blocks are two vectors wide (found by experiment: with 16 lanes,
    # a lone 16-pixel block before the tail already follows the scalar rules).
    block = 2 * simd_lanes()
    return _in_strips(_bilateral_f32, planes, radius, border, dys, dxs, space, lut, scale, np.int32(bins),
                      (planes.shape[1] // block) * block)


# --------------------------------------------------------------------------- public


def bilateral_filter(planes, radius, sigma_color, sigma_space, border):
    """Bilateral filter of (H, W, C) ``planes`` (uint8 or float32, C = 1 or 3), as
    ``cv2.bilateralFilter`` with OpenCV's own (non-IPP) code.

    ``radius`` is the resolved window radius (≥ 1); sigmas are > 0; ``border`` is a
    ``cv2.BORDER_*`` code. Returns new (H, W, C) planes of the same dtype.
    """
    if sigma_color <= _SIGMA_EPS or sigma_space <= _SIGMA_EPS:
        return planes.copy()
    if planes.dtype == np.uint8:
        return _bilateral_u8_call(planes, radius, sigma_color, sigma_space, border)
    return _bilateral_f32_call(planes, radius, sigma_color, sigma_space, border)
