"""Crop, pad, flip, quarter turns and rotation by any angle, as OpenCV computes them.

- ``crop``: a copy of a region of interest (``image[y:y+h, x:x+w]``);
- ``pad``: ``cv2.copyMakeBorder``, every border through ``border.border_map``;
- ``flip``: ``cv2.flip`` (0: around the x axis, 1: around the y axis, -1: both);
- ``quarter_turns``: ``cv2.rotate`` (1: 90° counter-clockwise, 2: 180°, 3: 90° clockwise);
- ``warp_nearest`` / ``warp_linear`` / ``warp_cubic``: ``cv2.warpAffine`` given the inverse map
  (destination → source) as OpenCV 5's warp kernels (imgproc/src/warp_kernels.simd.hpp) compute
  it: the source position of each destination pixel in double (``M·(x, y, 1)``); nearest takes
  ``floor(s + 0.5)``; linear and cubic convert it to float32, split it into ``floor`` and a
  float32 fraction, and weigh the 2×2 (linear: ``p00 + a·(p01 − p00)`` along x, then along y,
  in float32) or 4×4 taps (cubic: ``cv::interpolateCubic``'s float32 coefficients, A = −0.75).
  Integer results are rounded half to even and saturated. A tap outside the image is the
  border's: 0 for ``constant``, ``border.border_index``'s source pixel otherwise.

Every kernel runs over strips of output rows (``strips.run_in_strips``). Crop and pad copy a
row's run of source values with one ``memcpy``; flips and turns move whole pixels as unsigned
words; one-byte turns go by 16×16 vector-register transposes, BGR uint8 turns by 4-byte moves.
The warps go by OpenCV's blocks (32 rows × 128 columns); uint8 gray and BGR have kernels of
their own that load a tap row as words and vectorise the arithmetic, to the general kernels' bit.
"""

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from ..options import BORDER_CONSTANT
from .border import border_index, border_map
from .simd import store_apart
from .strips import run_in_strips

MIN_VALUES_PER_STRIP = 1 << 16      # one thread: ~5.5 ns a value linear, ~18 cubic (1411² BGR at 30°)


def _rows(planes):
    """The (H, W·C) view of planes: a row of values, so that copies run over contiguous runs."""
    return planes.reshape(planes.shape[0], -1)


# The flips and turns index with unsigned integers: Numba wraps a negative index around, and that
# check on a signed one kept LLVM from vectorising the loop (a 1280×720 BGR crop: 2.1 ms, not 0.19).
# They run over strips of rows on every thread (``strips.run_in_strips``), as cv2.flip and
# cv2.rotate do under OpenCV's parallel_for_.

COPY_VALUES_PER_STRIP = 1 << 20     # ~0.1 ms of copying a strip


# A pixel's size in bytes → the widest unsigned word of which it is 1, 2 or 3 (a BGR uint8 pixel
# is 3 bytes, a BGRA one a single uint32). A table: choosing it per call cost ~3 µs of a flip's ~10.
_WORDS = {size: np.dtype(f"u{next(w for w in (8, 4, 2, 1) if size % w == 0 and size // w <= 3)}")
          for size in (1, 2, 3, 4, 6, 8, 12, 16)}


def _units(planes):
    """The (H, W·k) view of planes as unsigned words, k = 1, 2 or 3 words a pixel (``_WORDS``),
    so that flips and turns move whole pixels."""
    return planes.reshape(planes.shape[0], -1).view(_WORDS[planes.shape[2] * planes.itemsize])


@intrinsic
def _copy_run(typingctx, dst, dst_at, src, src_at, count):
    """``dst[dst_at : dst_at + count] = src[src_at : src_at + count]`` as one ``memcpy`` (the two
    must not overlap; no bounds check). libc's copy, chosen for the CPU at load time, beat the
    vectorised loop by 1.4–1.7× on a 4K pad (one thread: gray 0.20 → 0.15 ms, BGR 1.5 → 0.9)."""
    if not (isinstance(dst, types.Array) and isinstance(src, types.Array) and dst.dtype == src.dtype):
        return None

    def codegen(context, builder, signature, args):
        target, source = _value_pointer(context, builder, signature.args[0], args[0], args[1]), \
            _value_pointer(context, builder, signature.args[2], args[2], args[3])
        size = context.get_abi_sizeof(context.get_data_type(signature.args[0].dtype))
        count = context.cast(builder, args[4], signature.args[4], types.intp)
        cgutils.raw_memcpy(builder, target, source, count, size)
        return context.get_dummy_value()
    return types.void(dst, dst_at, src, src_at, count), codegen


def _value_pointer(context, builder, array_type, array, index):
    return builder.gep(context.make_array(array_type)(context, builder, array).data, [index])


@njit(cache=True, nogil=True)
def _copy_rows(src, dst, rows, first, y0, y1):
    """Row ``y`` of ``dst`` ← row ``rows[y]`` of ``src`` from value ``first`` on."""
    for y in range(y0, y1):
        _copy_run(dst[y], 0, src[rows[y]], first, dst.shape[1])


def crop(planes, x0, y0, width, height):
    """The ``height × width`` block whose top-left pixel is (x0, y0), which lies inside, copied
    on the calling thread, as NumPy copies a slice: a crop is short (0.1–0.4 ms at 1280×720), and
    ``run_in_strips``' hand-off to a waking helper (~0.1 ms) made a BGR one 1.1–1.5× NumPy's time."""
    channels = planes.shape[2]
    out = np.empty((height, width, channels), planes.dtype)
    _copy_rows(_rows(planes), _rows(out), np.arange(y0, y0 + height), x0 * channels, 0, height)
    return out


@njit(cache=True, nogil=True)
def _pad_rows(src, dst, rows, picks, start, value, y0, y1):
    """Each row of ``dst``: the source row ``rows[y]`` (all ``value`` if -1), copied as one run
    from value ``start`` on, and the frame's values beside it, left then right, from the row's
    values at ``picks`` (``value`` where -1)."""
    n, start = np.uint64(src.shape[1]), np.uint64(start)
    for y in range(y0, y1):
        sy = rows[y]
        if sy < 0:
            for k in range(dst.shape[1]):
                dst[y, k] = value
            continue
        source, target = src[sy], dst[y]
        _copy_run(target, start, source, 0, n)
        for k in range(start):
            target[k] = _pick(source, picks[k], value)
        for k in range(start + n, dst.shape[1]):
            target[k] = _pick(source, picks[k - n], value)


@njit(cache=True, nogil=True, inline="always")
def _pick(source, at, value):
    """``source[at]``, or ``value`` where ``at`` is -1."""
    picked = source[max(at, 0)]
    return value if at < 0 else picked


@njit(cache=True, nogil=True)
def _frame_picks(width, left, right, border, channels):
    """For each value of the frame's ``left`` then ``right`` columns beside a row of ``width``
    pixels, the index of the row's value it takes (-1: the constant). Only the frame: a map of
    the whole row, built with NumPy, cost 85 µs a 4K BGR call."""
    picks = np.empty((left + right) * channels, np.int64)
    for i in range(left + right):
        x = i - left if i < left else width + i - left
        column = border_index(x, width, border)
        for c in range(channels):
            picks[i * channels + c] = -1 if column < 0 else column * channels + c
    return picks


def pad(planes, top, bottom, left, right, border, value):
    """The image inside a frame of the given widths, made up by ``border`` (``value`` for
    ``constant``), as ``cv2.copyMakeBorder``. The frame's columns are looked up by value, one
    flat map (a loop over pixels, then channels, a row cost ~55 ns more: 1.12× cv2's time on a
    4K gray frame on one thread)."""
    height, width, channels = planes.shape
    rows = border_map(height, top, bottom, border)
    picks = _frame_picks(width, left, right, border, channels)
    out = np.empty((rows.size, width + left + right, channels), planes.dtype)
    run_in_strips(_pad_rows, out.shape, _rows(planes), _rows(out), rows, picks, left * channels, value,
                  min_values=COPY_VALUES_PER_STRIP)
    return out


@njit(cache=True, nogil=True)
def _mirror_rows(src, dst, rows, k, y0, y1):
    """Row ``y`` of ``dst`` ← row ``rows[y]`` of ``src`` with its pixels (``k`` words each) in
    reverse order; each ``k`` a loop of its own with a constant stride, which LLVM vectorises."""
    n = np.uint64(src.shape[1])
    one, two, three = np.uint64(1), np.uint64(2), np.uint64(3)
    for y in range(y0, y1):
        source, target = src[rows[y]], dst[y]
        if k == 1:
            for x in range(n):
                target[x] = source[n - one - x]
        elif k == 2:
            for x in range(n // two):
                s = n - two - two * x
                target[two * x] = source[s]
                target[two * x + one] = source[s + one]
        else:
            for x in range(n // three):
                s = n - three - three * x
                target[three * x] = source[s]
                target[three * x + one] = source[s + one]
                target[three * x + two] = source[s + two]


def flip(planes, code):
    """``cv2.flip(planes, code)``: 0 turns rows upside down, 1 mirrors columns, -1 both."""
    height = planes.shape[0]
    out = np.empty_like(planes)
    rows = np.arange(height) if code > 0 else np.arange(height - 1, -1, -1)
    if code == 0:
        run_in_strips(_copy_rows, out.shape, _rows(planes), _rows(out), rows, 0, min_values=COPY_VALUES_PER_STRIP)
    else:
        src, dst = _units(planes), _units(out)
        run_in_strips(_mirror_rows, out.shape, src, dst, rows, src.shape[1] // planes.shape[1],
                      min_values=COPY_VALUES_PER_STRIP)
    return out


TILE = 64     # quarter turns go tile by tile, so that the rows read and written stay in cache


@njit(cache=True, nogil=True)
def _turn(src, out, k, clockwise, y0, y1):
    """Rows ``y0 ≤ y < y1`` of ``out`` ← ``src`` turned a quarter, counter-clockwise or
    ``clockwise``; both as (H, W·k) words, ``k`` words a pixel; tile by tile. Each output row of
    a tile walks a source column: flat indices, unsigned (the step down wraps around)."""
    height, row = np.uint64(src.shape[0]), np.uint64(src.shape[1])
    width = row // np.uint64(k)
    flat, target = src.reshape(-1), out.reshape(-1)
    one, size, words = np.uint64(1), np.uint64(TILE), np.uint64(k)
    step = np.uint64(0) - row if clockwise else row
    for ty in range(np.uint64(y0), np.uint64(y1), size):
        for tx in range(np.uint64(0), height, size):
            end = min(tx + size, height)
            for y in range(ty, min(ty + size, np.uint64(y1))):
                if clockwise:
                    s = (height - one - tx) * row + y * words
                else:
                    s = tx * row + (width - one - y) * words
                t = y * height * words + tx * words
                if k == 1:
                    for _ in range(tx, end):
                        target[t] = flat[s]
                        s += step
                        t += one
                else:
                    for _ in range(tx, end):
                        for c in range(words):
                            target[t + c] = flat[s + c]
                        s += step
                        t += words


@intrinsic
def _load_word(typingctx, array, index):
    """The 8 bytes of a uint8 ``array`` from ``index`` on as one uint64 (an unaligned load)."""
    def codegen(context, builder, signature, args):
        load = builder.load(_word_pointer(context, builder, signature.args[0], *args))
        load.align = 1
        return load
    return types.uint64(array, index), codegen


@intrinsic
def _store_word(typingctx, array, index, value):
    """Store uint64 ``value`` as the 8 bytes of a uint8 ``array`` from ``index`` on."""
    def codegen(context, builder, signature, args):
        store = builder.store(args[2], _word_pointer(context, builder, signature.args[0], args[0], args[1]))
        store.align = 1
        return context.get_dummy_value()
    return types.void(array, index, value), codegen


def _word_pointer(context, builder, array_type, array, index, bits=64):
    data = context.make_array(array_type)(context, builder, array).data
    return builder.bitcast(builder.gep(data, [index]), ir.IntType(bits).as_pointer())


@intrinsic
def _load_quad(typingctx, array, index):
    """The 4 bytes of a uint8 ``array`` from ``index`` on as one uint32 (an unaligned load)."""
    def codegen(context, builder, signature, args):
        load = builder.load(_word_pointer(context, builder, signature.args[0], *args, bits=32))
        load.align = 1
        return load
    return types.uint32(array, index), codegen


@intrinsic
def _store_quad(typingctx, array, index, value):
    """Store uint32 ``value`` as the 4 bytes of a uint8 ``array`` from ``index`` on."""
    def codegen(context, builder, signature, args):
        store = builder.store(args[2], _word_pointer(context, builder, signature.args[0], args[0], args[1], bits=32))
        store.align = 1
        return context.get_dummy_value()
    return types.void(array, index, value), codegen


@njit(cache=True, nogil=True)
def _turn_triples(src, out, clockwise, y0, y1):
    """``_turn`` for 3-byte pixels (BGR uint8): each pixel moved as one 4-byte load and store;
    the 4th byte written lands on the row's next pixel, which is written after it (the last
    pixel of a row, and the image's last pixel read, go byte by byte)."""
    height, row = np.uint64(src.shape[0]), np.uint64(src.shape[1])
    width = row // np.uint64(3)
    flat, target = src.reshape(-1), out.reshape(-1)
    one, three, size = np.uint64(1), np.uint64(3), np.uint64(flat.size)
    tile = np.uint64(TILE)
    step = np.uint64(0) - row if clockwise else row
    for ty in range(np.uint64(y0), np.uint64(y1), tile):
        for tx in range(np.uint64(0), height, tile):
            end = min(tx + tile, height)
            for y in range(ty, min(ty + tile, np.uint64(y1))):
                s = (height - one - tx) * row + y * three if clockwise else tx * row + (width - one - y) * three
                t = y * height * three + tx * three
                for x in range(tx, end):
                    if x + one < height and s + np.uint64(4) <= size:
                        _store_quad(target, t, _load_quad(flat, s))
                    else:
                        target[t], target[t + one], target[t + np.uint64(2)] = flat[s], flat[s + one], flat[s + np.uint64(2)]
                    s += step
                    t += three


def _interleave_mask(half):
    """The byte interleave of the low (``half`` 0) or high (1) halves of two 16-byte vectors."""
    return ir.Constant(ir.VectorType(ir.IntType(32), 16), [k // 2 + 8 * half + 16 * (k % 2) for k in range(16)])


BYTE_TILE = 256     # 1 thread, 1080p gray: 0.32 ms a turn; 64 rows: 0.35 ms


@intrinsic
def _turn_block(typingctx, src, p, down, out, t, across):
    """The 16×16 byte block whose rows start at ``src.flat[p + i·down]`` (i = 0 … 15) stored
    transposed: its column j at ``out.flat[t + j·across]`` (byte i from row i). Four rounds of
    byte interleaves of rows i and i + 8 (SSE's ``punpcklbw``/``punpckhbw``) transpose it in
    registers, as OpenCV's ``v_transpose`` does."""
    def codegen(context, builder, signature, args):
        src, p, down, out, t, across = args
        vector = ir.VectorType(ir.IntType(8), 16)
        source = context.make_array(signature.args[0])(context, builder, src).data
        target = context.make_array(signature.args[3])(context, builder, out).data

        def at(data, start, step, k):
            offset = builder.add(start, builder.mul(step, ir.Constant(step.type, k)))
            return builder.bitcast(builder.gep(data, [offset]), vector.as_pointer())

        rows = []
        for k in range(16):
            load = builder.load(at(source, p, down, k))
            load.align = 1
            rows.append(load)
        for _ in range(4):
            rows = [builder.shuffle_vector(rows[i], rows[i + 8], _interleave_mask(half))
                    for i in range(8) for half in (0, 1)]
        for k in range(16):
            builder.store(rows[k], at(target, t, across, k)).align = 1
        return context.get_dummy_value()
    return types.void(src, p, down, out, t, across), codegen


@njit(cache=True, nogil=True)
def _turn_bytes(src, out, clockwise, y0, y1):
    """``_turn`` for one-byte pixels, 16×16 blocks at a time (``_turn_block``: loaded as 16-byte
    rows, transposed in vector registers, stored as 16-byte rows). The direction is only the
    order of the rows: a clockwise turn loads the block's rows bottom up and stores its columns
    top down, a counter-clockwise one the reverse (steps of -1 row are unsigned steps that wrap
    around). Tiles of ``BYTE_TILE`` source rows."""
    height, width = np.uint64(src.shape[0]), np.uint64(src.shape[1])
    flat, target = src.reshape(-1), out.reshape(-1)
    one, sixteen = np.uint64(1), np.uint64(16)
    down = (np.uint64(0) - width) if clockwise else width           # source rows, block row 0 first
    across = height if clockwise else np.uint64(0) - height          # output rows, block column 0 first
    full = height // sixteen * sixteen
    first, last = np.uint64(y0), np.uint64(y0) + (np.uint64(y1) - np.uint64(y0)) // sixteen * sixteen
    for tx in range(np.uint64(0), full, np.uint64(BYTE_TILE)):
        for y in range(first, last, sixteen):
            column = y if clockwise else width - sixteen - y
            for x in range(tx, min(tx + np.uint64(BYTE_TILE), full), sixteen):
                p = ((height - one - x) if clockwise else x) * width + column
                t = y * height + x + (np.uint64(0) if clockwise else np.uint64(15) * height)
                _turn_block(flat, p, down, target, t, across)
    for y in range(first, np.uint64(y1)):       # the last columns, and the last rows of the strip
        for x in range(np.uint64(0) if y >= last else full, height):
            sy, sx = (height - one - x, y) if clockwise else (x, width - one - y)
            target[y * height + x] = flat[sy * width + sx]


def quarter_turns(planes, turns):
    """The image turned ``turns`` (0 to 3) quarter turns counter-clockwise, as ``cv2.rotate``."""
    height, width, channels = planes.shape
    if turns == 0:
        out = np.empty_like(planes)
        run_in_strips(_copy_rows, out.shape, _rows(planes), _rows(out), np.arange(height), 0,
                      min_values=COPY_VALUES_PER_STRIP)
        return out
    if turns == 2:
        return flip(planes, -1)
    out = np.empty((width, height, channels), planes.dtype)
    src = _units(planes)
    if src.itemsize == 1 and src.shape[1] == width:
        run_in_strips(_turn_bytes, out.shape, src, _units(out), turns == 3, min_values=COPY_VALUES_PER_STRIP)
    elif src.itemsize == 1 and src.shape[1] == 3 * width:
        run_in_strips(_turn_triples, out.shape, src, _units(out), turns == 3, min_values=COPY_VALUES_PER_STRIP)
    else:
        run_in_strips(_turn, out.shape, src, _units(out), src.shape[1] // width, turns == 3,
                      min_values=COPY_VALUES_PER_STRIP)
    return out


@njit(cache=True, nogil=True)
def _nearest_rows(planes, out, m, border, top, y0, y1):
    height, width, channels = planes.shape
    for y in range(y0, y1):
        for x in range(out.shape[1] // channels):
            sx = np.int64(np.floor(m[0] * x + m[1] * y + m[2] + 0.5))
            sy = np.int64(np.floor(m[3] * x + m[4] * y + m[5] + 0.5))
            sx, sy = border_index(sx, width, border), border_index(sy, height, border)
            for c in range(channels):
                out[y, x * channels + c] = 0 if sx < 0 or sy < 0 else planes[sy, sx, c]


@njit(cache=True, nogil=True)
def _source_indices(first, n, count, border, out):
    """The ``count`` source indices from ``first`` on a line of ``n`` (-1: the constant)."""
    for k in range(count):
        out[k] = border_index(first + k, n, border)


BLOCK_ROWS, BLOCK_COLUMNS = 32, 128     # OpenCV's warpAffine blocks: the source pixels a block reads
                                        # stay in cache; the row buffers hold a block's row


# BGR uint8 linear's blocks: 8 rows × 256 columns took 0.85-0.90x the time of OpenCV's 32 × 128
# (single-thread 4K 30°, AMD Zen 5; gray: no change, so it keeps OpenCV's). Why is not measured
# (no performance counters there): a BGR tap row is 3 times as long, so fewer rows keep the source
# rows a block reads (a 30° block spans ~columns/2 + rows of them) fewer bytes apart.
BGR_BLOCK_ROWS, BGR_BLOCK_COLUMNS = 8, 256


@njit(inline="always")
def _position(m, x, y):
    """The source position of output pixel ``(x, y)``, ``M·(x, y, 1)`` in double then float32,
    as its ``floor`` (column and row, int64) and the float32 fractions."""
    fx = np.float32(m[0] * x + m[1] * y + m[2])
    fy = np.float32(m[3] * x + m[4] * y + m[5])
    ix, iy = np.floor(fx), np.floor(fy)
    return np.int64(ix), np.int64(iy), fx - ix, fy - iy


@njit(inline="always")
def _positions(m, y, x0, x1, xs, ys, ax, ay):
    """``_position`` of pixels ``x0 ≤ x < x1`` of output row ``y``, from index 0 of the buffers:
    one loop, vectorised."""
    for x in range(x0, x1):
        xs[x - x0], ys[x - x0], ax[x - x0], ay[x - x0] = _position(m, x, y)


@njit(inline="always")
def _offsets(m, y, x0, x1, width, channels, offsets, ax, ay):
    """``_positions`` for pixels whose taps all lie inside: the offset of the top-left tap in the
    flat image instead of its column and row, in the same loop (one pass over the block's row)."""
    for x in range(x0, x1):
        ix, iy, ax[x - x0], ay[x - x0] = _position(m, x, y)
        offsets[x - x0] = (iy * width + ix) * channels


@njit(inline="always")
def _saturated(value, top):
    """An integer image's value rounded half to even and saturated (``top`` > 0), or as is."""
    if top > 0:
        return min(max(np.rint(value), np.float32(0)), np.float32(top))
    return value


@njit(cache=True, nogil=True)
def _linear_border(planes, row, x, ix, iy, a, b, border, top):
    """One pixel of ``_linear_rows`` whose taps may lie outside: through ``border_index``."""
    height, width, channels = planes.shape
    x0, x1 = border_index(ix, width, border), border_index(ix + 1, width, border)
    r0, r1 = border_index(iy, height, border), border_index(iy + 1, height, border)
    for c in range(channels):
        p00 = np.float32(0 if r0 < 0 or x0 < 0 else planes[r0, x0, c])
        p01 = np.float32(0 if r0 < 0 or x1 < 0 else planes[r0, x1, c])
        p10 = np.float32(0 if r1 < 0 or x0 < 0 else planes[r1, x0, c])
        p11 = np.float32(0 if r1 < 0 or x1 < 0 else planes[r1, x1, c])
        v0 = p00 + a * (p01 - p00)
        v1 = p10 + a * (p11 - p10)
        row[x * channels + c] = _saturated(v0 + b * (v1 - v0), top)


@njit(cache=True, nogil=True)
def _linear_rows(planes, out, m, border, top, y0, y1):
    """Block by block, a row of a block at a time: the source positions first (``_positions``),
    then each pixel's 2×2 taps read straight from the image where they all lie inside it,
    through ``border_index`` where they do not. uint16 and float32; uint8: ``_linear_words``."""
    height, width, channels = planes.shape
    n = out.shape[1] // channels
    src = planes.reshape(-1)
    line = width * channels
    top32 = np.float32(top)
    xs, ys = np.empty(BLOCK_COLUMNS, np.int64), np.empty(BLOCK_COLUMNS, np.int64)
    ax, ay = np.empty(BLOCK_COLUMNS, np.float32), np.empty(BLOCK_COLUMNS, np.float32)
    for by in range(y0, y1, BLOCK_ROWS):
        for bx in range(0, n, BLOCK_COLUMNS):
            for y in range(by, min(by + BLOCK_ROWS, y1)):
                _positions(m, y, bx, min(bx + BLOCK_COLUMNS, n), xs, ys, ax, ay)
                row = out[y]
                for x in range(bx, min(bx + BLOCK_COLUMNS, n)):
                    ix, iy, a, b = xs[x - bx], ys[x - bx], ax[x - bx], ay[x - bx]
                    if not (0 <= ix < width - 1 and 0 <= iy < height - 1):
                        _linear_border(planes, row, x, ix, iy, a, b, border, top32)
                        continue
                    base = np.uint64((iy * width + ix) * channels)
                    for c in range(channels):
                        k = base + np.uint64(c)
                        p00, p01 = np.float32(src[k]), np.float32(src[k + np.uint64(channels)])
                        p10 = np.float32(src[k + np.uint64(line)])
                        p11 = np.float32(src[k + np.uint64(line + channels)])
                        v0 = p00 + a * (p01 - p00)
                        v1 = p10 + a * (p11 - p10)
                        row[x * channels + c] = _saturated(v0 + b * (v1 - v0), top32)


@njit(inline="always")
def _byte_of(value):
    """A rounded value saturated to 0–255 by selects (``min`` and ``max`` on floats branch on NaN,
    which kept the loops from vectorising), as uint8."""
    value = value if value > 0 else 0
    return np.uint8(np.int32(value if value < 255 else 255))


@njit(inline="always")
def _byte(word, shift):
    """Byte ``shift / 8`` of a little-endian word, as float32."""
    return np.float32(np.int32((word >> np.uint64(shift)) & np.uint64(255)))


@njit(inline="always")
def _wholly_outside(m, y, x0, x1, width, height, reach):
    """Whether every pixel ``x0 ≤ x < x1`` of output row ``y`` maps farther than ``reach`` pixels
    outside the image, all beyond the same side: both ends do, and the points between lie on
    the segment joining them (one pixel of slack covers the rounding)."""
    last = x1 - 1
    ax, ay = m[0] * x0 + m[1] * y + m[2], m[3] * x0 + m[4] * y + m[5]
    bx, by = m[0] * last + m[1] * y + m[2], m[3] * last + m[4] * y + m[5]
    low, right, bottom = -reach - 1.0, width + reach, height + reach
    return ((ax < low and bx < low) or (ax > right and bx > right)
            or (ay < low and by < low) or (ay > bottom and by > bottom))


@njit(inline="always")
def _wholly_inside(m, y, x0, x1, width, height, before, after):
    """Whether every pixel ``x0 ≤ x < x1`` of output row ``y`` has all its taps (``before`` pixels
    before the floor of its position to ``after`` after) inside the image with one row to spare
    below (so that words read past a tap row's end stay inside): both ends do, and the points
    between lie on the segment joining them (one pixel of slack covers the rounding)."""
    last = x1 - 1
    ax, ay = m[0] * x0 + m[1] * y + m[2], m[3] * x0 + m[4] * y + m[5]
    bx, by = m[0] * last + m[1] * y + m[2], m[3] * last + m[4] * y + m[5]
    low, right, bottom = before + 1.0, width - after - 1.0, height - after - 2.0
    return (low <= min(ax, bx) and max(ax, bx) <= right) and (low <= min(ay, by) and max(ay, by) <= bottom)


@njit
def _lerp(p00, p01, p10, p11, a, b):
    """The 2×2 taps weighed as ``_linear_rows`` does (float32), rounded and saturated to a byte."""
    v0 = p00 + a * (p01 - p00)
    v1 = p10 + a * (p11 - p10)
    return _byte_of(np.rint(v0 + b * (v1 - v0)))


@njit(inline="always")
def _linear_words(planes, out, m, border, y0, y1, channels):
    """``_linear_rows`` for uint8 gray or BGR, as OpenCV's ``warpAffineLinearInvoker_8UC1/8UC3``:
    per row of a block, the positions and each pixel's offset (vectorised); its two tap rows as
    8-byte words by scalar loads into a buffer, as OpenCV copies its taps (on AMD Zen a
    ``vpgatherdd`` of 16 pixels took longer than their 32 loads); then one vectorised loop that
    weighs the bytes in float32 and stores them. A row whose pixels all have their taps inside
    (``_wholly_inside``, rows at least 8 bytes long: most rows) needs no more, and has its
    offsets in the positions' loop (``_offsets``). Elsewhere a pixel whose taps are not all
    inside reads word 0, masked after the loads; with a constant border a block's row that maps
    wholly outside is 0, and a pixel whose taps all lie outside is 0 from the masked words; the
    other pixels not inside are then done again through ``border_index``."""
    height, width = planes.shape[0], planes.shape[1]
    n = out.shape[1] // channels
    src = planes.reshape(-1)
    line, size = width * channels, src.size
    top = np.float32(255)
    constant = border == BORDER_CONSTANT
    zero, full = np.uint64(0), ~np.uint64(0)
    rows, columns = (BLOCK_ROWS, BLOCK_COLUMNS) if channels == 1 else (BGR_BLOCK_ROWS, BGR_BLOCK_COLUMNS)
    xs, ys = np.empty(columns, np.int64), np.empty(columns, np.int64)
    ax, ay = np.empty(columns, np.float32), np.empty(columns, np.float32)
    offsets, keep = np.empty(columns, np.int64), np.empty(columns, np.uint64)
    upper, lower = np.empty(columns, np.uint64), np.empty(columns, np.uint64)
    inside = np.empty(columns, np.uint8)
    for by in range(y0, y1, rows):
        for bx in range(0, n, columns):
            count = min(bx + columns, n) - bx
            for y in range(by, min(by + rows, y1)):
                if constant and _wholly_outside(m, y, bx, bx + count, width, height, 1.0):
                    out[y, bx * channels:(bx + count) * channels] = 0
                    continue
                whole = line >= 8 and _wholly_inside(m, y, bx, bx + count, width, height, 0, 1)
                if whole:
                    _offsets(m, y, bx, bx + count, width, channels, offsets, ax, ay)
                else:
                    _positions(m, y, bx, bx + count, xs, ys, ax, ay)
                    for i in range(count):
                        ix, iy = xs[i], ys[i]
                        k = (iy * width + ix) * channels
                        within = ((np.uint64(ix) < np.uint64(width - 1)) & (np.uint64(iy) < np.uint64(height - 1))
                                  & (k + line + 8 <= size))
                        outside = (np.uint64(ix + 1) > np.uint64(width)) | (np.uint64(iy + 1) > np.uint64(height))
                        inside[i] = within | (constant & outside)
                        offsets[i] = k if within else 0
                        keep[i] = full if within else zero
                for i in range(count):
                    k = np.uint64(offsets[i])
                    upper[i] = _load_word(src, k)
                    lower[i] = _load_word(src, k + np.uint64(line))
                if not whole:
                    for i in range(count):
                        upper[i] &= keep[i]
                        lower[i] &= keep[i]
                row = out[y, bx * channels:(bx + count) * channels]
                if channels == 1:
                    for i in range(count):
                        u, v, a, b = upper[i], lower[i], ax[i], ay[i]
                        row[i] = _lerp(_byte(u, 0), _byte(u, 8), _byte(v, 0), _byte(v, 8), a, b)
                else:
                    for i in range(count):
                        u, v, a, b = upper[i], lower[i], ax[i], ay[i]
                        store_apart(row, i, _lerp(_byte(u, 0), _byte(u, 24), _byte(v, 0), _byte(v, 24), a, b),
                                    _lerp(_byte(u, 8), _byte(u, 32), _byte(v, 8), _byte(v, 32), a, b),
                                    _lerp(_byte(u, 16), _byte(u, 40), _byte(v, 16), _byte(v, 40), a, b))
                for i in range(0 if whole else count):
                    if not inside[i]:
                        _linear_border(planes, row, i, xs[i], ys[i], ax[i], ay[i], border, top)


@njit(cache=True, nogil=True)
def _linear_gray(planes, out, m, border, y0, y1):
    """``_linear_words`` for one channel: a kernel of its own, so that a call compiles its loop only."""
    _linear_words(planes, out, m, border, y0, y1, 1)


@njit(cache=True, nogil=True)
def _linear_bgr(planes, out, m, border, y0, y1):
    """``_linear_words`` for BGR: a kernel of its own, as ``_linear_gray``."""
    _linear_words(planes, out, m, border, y0, y1, 3)


@njit(inline="always")
def _cubic_coefficients(t):
    """``cv::interpolateCubic`` (A = −0.75) at fraction ``t``, each coefficient rounded to float32
    (the integer constants promote the arithmetic to double, as ``5 * A`` does there)."""
    a = np.float32(-0.75)
    one = np.float32(1)
    k0 = np.float32(((a * (t + one) - 5 * a) * (t + one) + 8 * a) * (t + one) - 4 * a)
    k1 = np.float32(((a + 2) * t - (a + 3)) * t * t + one)
    k2 = np.float32(((a + 2) * (one - t) - (a + 3)) * (one - t) * (one - t) + one)
    return k0, k1, k2, one - k0 - k1 - k2


@njit(inline="always")
def _cubic_weights(a, b, weights):
    """The 16 float32 weights of the 4×4 taps, row by row: y coefficient × x coefficient."""
    kx0, kx1, kx2, kx3 = _cubic_coefficients(a)
    ky0, ky1, ky2, ky3 = _cubic_coefficients(b)
    weights[0], weights[1], weights[2], weights[3] = ky0 * kx0, ky0 * kx1, ky0 * kx2, ky0 * kx3
    weights[4], weights[5], weights[6], weights[7] = ky1 * kx0, ky1 * kx1, ky1 * kx2, ky1 * kx3
    weights[8], weights[9], weights[10], weights[11] = ky2 * kx0, ky2 * kx1, ky2 * kx2, ky2 * kx3
    weights[12], weights[13], weights[14], weights[15] = ky3 * kx0, ky3 * kx1, ky3 * kx2, ky3 * kx3


@njit(cache=True, nogil=True)
def _cubic_border(planes, row, x, ix, iy, weights, border, top, cols, rows):
    """One pixel of ``_cubic_rows`` whose taps may lie outside: through ``border_index``."""
    height, width, channels = planes.shape
    _source_indices(ix - 1, width, 4, border, cols)
    _source_indices(iy - 1, height, 4, border, rows)
    for c in range(channels):
        total = 0.0
        for i in range(4):
            if rows[i] >= 0:
                for j in range(4):
                    if cols[j] >= 0:
                        total += np.float32(planes[rows[i], cols[j], c]) * weights[i * 4 + j]
        row[x * channels + c] = _saturated(total, top)


@njit(cache=True, nogil=True)
def _cubic_rows(planes, out, m, border, top, y0, y1):
    """As ``_linear_rows``, with 4×4 taps weighed by the products of the x and y coefficients
    (float32 products summed in double). uint16 and float32; uint8: ``_cubic_words``."""
    height, width, channels = planes.shape
    n = out.shape[1] // channels
    src = planes.reshape(-1)
    line = width * channels
    xs, ys = np.empty(BLOCK_COLUMNS, np.int64), np.empty(BLOCK_COLUMNS, np.int64)
    ax, ay = np.empty(BLOCK_COLUMNS, np.float32), np.empty(BLOCK_COLUMNS, np.float32)
    weights = np.empty(16, np.float32)
    cols, rows = np.empty(4, np.int64), np.empty(4, np.int64)
    for by in range(y0, y1, BLOCK_ROWS):
        for bx in range(0, n, BLOCK_COLUMNS):
            for y in range(by, min(by + BLOCK_ROWS, y1)):
                _positions(m, y, bx, min(bx + BLOCK_COLUMNS, n), xs, ys, ax, ay)
                row = out[y]
                for x in range(bx, min(bx + BLOCK_COLUMNS, n)):
                    ix, iy = xs[x - bx], ys[x - bx]
                    _cubic_weights(ax[x - bx], ay[x - bx], weights)
                    if not (1 <= ix < width - 2 and 1 <= iy < height - 2):
                        _cubic_border(planes, row, x, ix, iy, weights, border, top, cols, rows)
                        continue
                    base = np.uint64(((iy - 1) * width + ix - 1) * channels)
                    for c in range(channels):
                        total = 0.0
                        for i in range(4):
                            k = base + np.uint64(i * line + c)
                            total += np.float32(src[k]) * weights[4 * i]
                            total += np.float32(src[k + np.uint64(channels)]) * weights[4 * i + 1]
                            total += np.float32(src[k + np.uint64(2 * channels)]) * weights[4 * i + 2]
                            total += np.float32(src[k + np.uint64(3 * channels)]) * weights[4 * i + 3]
                        row[x * channels + c] = _saturated(total, top)


@njit(inline="always")
def _cubic_words(planes, out, m, border, y0, y1, channels):
    """``_cubic_rows`` for uint8 gray or BGR, in passes as ``_linear_words``: the positions; the
    offsets (masked as there outside rows wholly inside); the taps by scalar loads, a tap row
    (4 pixels) in one 8-byte word for gray, two overlapping ones (bytes 0–7 and 4–11) for BGR;
    the coefficients; then the weighed sums a tap row per loop, every channel in that loop (four
    dependent additions a pass rather than sixteen, and no pass per channel; each pixel's sum in
    ``_cubic_rows``'s order, in double); then the pixels near or past the edges through
    ``border_index``."""
    height, width = planes.shape[0], planes.shape[1]
    n = out.shape[1] // channels
    src = planes.reshape(-1)
    line, size = np.uint64(width * channels), np.uint64(src.size)
    reach = 3 * line + np.uint64(8 if channels == 1 else 12)       # the words' last byte + 1
    constant = border == BORDER_CONSTANT
    right, bottom = np.uint64(width - 3), np.uint64(height - 3)     # 1 ≤ ix < width − 2, unsigned
    zero, full = np.uint64(0), ~np.uint64(0)
    xs, ys = np.empty(BLOCK_COLUMNS, np.int64), np.empty(BLOCK_COLUMNS, np.int64)
    ax, ay = np.empty(BLOCK_COLUMNS, np.float32), np.empty(BLOCK_COLUMNS, np.float32)
    offsets, keep = np.empty(BLOCK_COLUMNS, np.uint64), np.empty(BLOCK_COLUMNS, np.uint64)
    words = np.zeros((8, BLOCK_COLUMNS), np.uint64)    # tap row r: words r (bytes 0–7), 4 + r (4–11)
    kx, ky = np.empty((4, BLOCK_COLUMNS), np.float32), np.empty((4, BLOCK_COLUMNS), np.float32)
    totals = np.empty((channels, BLOCK_COLUMNS), np.float64)
    inside = np.empty(BLOCK_COLUMNS, np.bool_)
    weights = np.empty(16, np.float32)
    cols, rows = np.empty(4, np.int64), np.empty(4, np.int64)
    for by in range(y0, y1, BLOCK_ROWS):
        for bx in range(0, n, BLOCK_COLUMNS):
            count = min(bx + BLOCK_COLUMNS, n) - bx
            for y in range(by, min(by + BLOCK_ROWS, y1)):
                if constant and _wholly_outside(m, y, bx, bx + count, width, height, 2.0):
                    out[y, bx * channels:(bx + count) * channels] = 0
                    continue
                _positions(m, y, bx, bx + count, xs, ys, ax, ay)
                whole = line >= 8 and _wholly_inside(m, y, bx, bx + count, width, height, 1, 2)
                if whole:
                    for i in range(count):
                        offsets[i] = np.uint64(((ys[i] - 1) * width + xs[i] - 1) * channels)
                        keep[i] = full
                else:                   # branch-free: outside, word 0 is read and dropped
                    for i in range(count):
                        ix, iy = xs[i], ys[i]
                        k = np.uint64(((iy - 1) * width + ix - 1) * channels)
                        within = (np.uint64(ix - 1) < right) & (np.uint64(iy - 1) < bottom) & (k + reach <= size)
                        outside = (np.uint64(ix + 2) > np.uint64(width + 2)) | (np.uint64(iy + 2) > np.uint64(height + 2))
                        inside[i] = within | (constant & outside)     # all taps the constant 0: words 0
                        offsets[i] = k if within else zero
                        keep[i] = full if within else zero
                for i in range(count):
                    for r in range(4):
                        words[r, i] = _load_word(src, offsets[i] + np.uint64(r) * line)
                        if channels == 3:
                            words[4 + r, i] = _load_word(src, offsets[i] + np.uint64(r) * line + np.uint64(4))
                for i in range(count):
                    kx[0, i], kx[1, i], kx[2, i], kx[3, i] = _cubic_coefficients(ax[i])
                    ky[0, i], ky[1, i], ky[2, i], ky[3, i] = _cubic_coefficients(ay[i])
                for r in range(4):
                    for i in range(count):
                        for c in range(channels):
                            total = 0.0 if r == 0 else totals[c, i]
                            for j in range(4):
                                offset = 3 * j + c if channels == 3 else j
                                word = r if offset < 4 else 4 + r
                                shift = 8 * offset if offset < 4 else 8 * (offset - 4)
                                total += _byte(words[word, i] & keep[i], shift) * (ky[r, i] * kx[j, i])
                            totals[c, i] = total
                row = out[y, bx * channels:(bx + count) * channels]
                for i in range(count):
                    for c in range(channels):
                        row[i * channels + c] = _byte_of(np.rint(totals[c, i]))
                for i in range(0 if whole else count):
                    if not inside[i]:
                        _cubic_weights(ax[i], ay[i], weights)
                        _cubic_border(planes, row, i, xs[i], ys[i], weights, border, 255.0, cols, rows)


@njit(cache=True, nogil=True)
def _cubic_gray(planes, out, m, border, y0, y1):
    """``_cubic_words`` for one channel: a kernel of its own, as ``_linear_gray``."""
    _cubic_words(planes, out, m, border, y0, y1, 1)


@njit(cache=True, nogil=True)
def _cubic_bgr(planes, out, m, border, y0, y1):
    """``_cubic_words`` for BGR: a kernel of its own, as ``_linear_gray``."""
    _cubic_words(planes, out, m, border, y0, y1, 3)


_ROWS = {"nearest": _nearest_rows, "linear": _linear_rows, "cubic": _cubic_rows}
_BYTE_ROWS = {("linear", 1): _linear_gray, ("linear", 3): _linear_bgr,
              ("cubic", 1): _cubic_gray, ("cubic", 3): _cubic_bgr}


def warp(planes, inverse, width, height, interp, border):
    """``cv2.warpAffine`` of ``planes`` to ``width × height`` with ``inverse`` (six doubles: the
    destination → source map) and ``interp``; ``border`` is a ``cv2.BORDER_*`` code."""
    out = np.empty((height, width, planes.shape[2]), planes.dtype)
    top = float(np.iinfo(planes.dtype).max) if planes.dtype.kind == "u" else 0.0
    rows = out.reshape(height, -1)      # kernels write rows of W·C values
    matrix = np.asarray(inverse, np.float64)
    rows_in, columns_in, channels = planes.shape
    # the uint8 kernels read a masked pixel's words from offset 0, up to 3 rows and 12 bytes on
    words_fit = rows_in >= 4 and columns_in >= 4 and (rows_in - 3) * columns_in * channels >= 12
    if planes.dtype == np.uint8 and (interp, channels) in _BYTE_ROWS and words_fit:
        run_in_strips(_BYTE_ROWS[interp, planes.shape[2]], out.shape, planes, rows, matrix, np.int64(border),
                      min_values=MIN_VALUES_PER_STRIP)
    else:
        run_in_strips(_ROWS[interp], out.shape, planes, rows, matrix, np.int64(border), top,
                      min_values=MIN_VALUES_PER_STRIP)
    return out
