"""LLVM-level helpers that let Numba kernels vectorise look-ups as OpenCV's SIMD code does.

Numba widens integer arithmetic to 64 bits and leaves LLVM's x86 backend at its default vector
width, 256 bits even on AVX-512 CPUs. A look-up ``table[i]`` inside a loop then becomes a
gather with 64-bit addresses (``vgatherqps``, 8 lanes) or no gather at all. The helpers here
are used inside ``@intrinsic`` code generators, so they act on the kernel that calls the
intrinsic:

- ``freeze`` wraps a value in LLVM's ``freeze`` instruction (which llvmlite's IR builder lacks:
  it is inserted as a raw ``ir.Instruction``): the same value, but opaque to the rewrites that
  would widen a 32-bit index back to 64 bits or undo an arithmetic choice. A frozen i32 index
  into a byte pointer is what makes the vectoriser emit ``vgatherdps`` / ``vpgatherdd`` (base +
  32-bit index, 16 lanes) as OpenCV's ``v_lut``;
- ``prefer_512_bit`` adds the function attributes ``"prefer-vector-width"="512"`` and
  ``"min-legal-vector-width"="512"`` (clang's ``-mprefer-vector-width=512``) to the calling
  function. llvmlite only accepts attributes it knows by name, so the quoted strings are added
  to its attribute set directly; LLVM reads them as string attributes. On CPUs without
  AVX-512 they change nothing;
- ``load_u32`` (an intrinsic) reads four bytes of a uint8 array as one little-endian uint32
  at a frozen 32-bit offset (unaligned), and asks for 512-bit vectors: in a loop, one
  ``vpgatherdd`` fetches the bytes of 16 scattered pixels;
- ``store_apart`` and ``load_apart`` (intrinsics) store into, and read the tables of, a loop
  that gathers with ``load_u32``, with the caller's promise that the stored array overlaps
  none of the arrays read. LLVM cannot test at run time whether scattered reads overlap a
  store, so a loop that gathers and stores is otherwise left scalar. The promise is LLVM's
  scoped no-alias metadata: every read carries ``!alias.scope`` and every store ``!noalias``
  of one scope (named by strings: llvmlite cannot build self-referencing metadata);
- ``vectors_512`` (an intrinsic) asks for 512-bit vectors in a kernel that uses none of the
  others;
- ``window_sums`` (an intrinsic, AVX-512BW only: ``compiles_for``) sums two taps per value
  for 16 values from four 16-byte windows of a row, with ``vpshufb`` and ``vpmaddwd`` as
  OpenCV's ``v_dotprod``: no gather. Gathers are slow on AMD Zen (4K BGR x0.37, the uint8
  bilinear row pass: 0.57× the time of two ``vpgatherdd`` per 16 pixels);
- ``window_bytes`` (an intrinsic, SSSE3) copies the bytes picked from one 16-byte window of a
  row (``pshufb``): nearest's pixels a group at a time, without a gather.
- ``window_taps`` (an intrinsic, AVX-512BW) sums four float32 taps per value for 16 values
  from four 16-byte windows of a row: a ``vpshufb`` per tap puts each value's byte in a 32-bit
  lane (widened by the zero picks), ``vcvtdq2ps``, the float32 products and sums of a scalar
  loop: CUBIC's uint8 lines without gathers; ``window_taps_split`` the same from eight windows
  in two registers (two ``vpshufb`` a tap, OR-ed), for taps too spread for four.

bilateral.py uses ``freeze`` and ``prefer_512_bit`` for its colour-weight look-up; resize.py
the intrinsics for its uint8 bilinear rows (``window_sums`` where the CPU and the taps allow,
else the gathers), its nearest rows (``window_bytes`` likewise, else gathers for gray and BGR)
and its gray uint8 area rows (shrinking by other factors than integers); resample.py
``window_taps`` and ``window_taps_split`` for its uint8 CUBIC lines (``_rows_cubic_windows``).
"""

from functools import lru_cache

from numba import types
from numba.extending import intrinsic


def freeze(builder, value):
    """LLVM's ``freeze`` of ``value`` (see the module docstring)."""
    from llvmlite import ir
    frozen = ir.Instruction(builder.block, value.type, "freeze", [value])
    builder._insert(frozen)
    return frozen


def _gathered_scope(module):
    """The metadata list ``!{scope}`` of the scope of ``load_u32``'s reads."""
    from llvmlite import ir
    domain = module.add_metadata([ir.MetaDataString(module, "imgkit.simd")])
    scope = module.add_metadata([ir.MetaDataString(module, "imgkit.simd.gathered"), domain])
    return module.add_metadata([scope])


def prefer_512_bit(builder):
    """Ask LLVM to vectorise the function being built with 512-bit vectors where it can."""
    for attribute in ('"prefer-vector-width"="512"', '"min-legal-vector-width"="512"'):
        set.add(builder.function.attributes, attribute)


@intrinsic
def load_u32(typingctx, array, offset):
    """The four bytes ``array[offset : offset + 4]`` of a 1-D uint8 array as a little-endian
    uint32. ``offset`` is any integer, taken modulo 2³² and as signed 32 bits, and not
    bounds-checked: the caller keeps it inside the array (below 2³¹)."""
    if not (isinstance(array, types.Array) and array.dtype == types.uint8 and isinstance(offset, types.Integer)):
        return None

    def codegen(context, builder, signature, args):
        from llvmlite import ir
        prefer_512_bit(builder)
        data = context.make_array(signature.args[0])(context, builder, value=args[0]).data
        index = builder.trunc(args[1], ir.IntType(32)) if offset.bitwidth > 32 else args[1]
        at = builder.gep(data, [freeze(builder, index)], inbounds=True)
        word = builder.load(builder.bitcast(at, ir.IntType(32).as_pointer()), align=1)
        word.set_metadata("alias.scope", _gathered_scope(builder.module))
        return word

    return types.uint32(array, offset), codegen


@intrinsic
def store_apart(typingctx, array, index, *values):
    """``array[n·index + k] = values[k]`` for the n values (1-D, in range: not checked),
    promising LLVM that ``array`` never overlaps an array read by ``load_u32`` or
    ``load_apart`` in the same function. The positions are computed here without wrap-around
    (``nuw nsw``), so that LLVM sees n stores per index as one interleaved group (shuffles and
    full-width stores) rather than n scatters."""
    if not (isinstance(array, types.Array) and array.ndim == 1 and isinstance(index, types.Integer)
            and values):
        return None

    def codegen(context, builder, signature, args):
        from llvmlite import ir
        data = context.make_array(signature.args[0])(context, builder, value=args[0]).data
        at = context.cast(builder, args[1], signature.args[1], types.intp)
        n = len(values)
        base = builder.mul(at, ir.Constant(at.type, n), flags=["nuw", "nsw"]) if n > 1 else at
        from numba.core import cgutils
        items = cgutils.unpack_tuple(builder, args[2])
        for k, (value, kind) in enumerate(zip(items, signature.args[2].types)):
            position = builder.add(base, ir.Constant(at.type, k), flags=["nuw", "nsw"]) if k else base
            store = builder.store(context.cast(builder, value, kind, array.dtype),
                                  builder.gep(data, [position], inbounds=True))
            store.set_metadata("noalias", _gathered_scope(builder.module))
        return context.get_dummy_value()

    return types.none(array, index, types.StarArgTuple.from_types(values)), codegen


@intrinsic
def load_apart(typingctx, array, index):
    """``array[index]`` (1-D, ``index`` in range: not checked), in the scope of ``load_u32``'s
    reads: a loop that stores with ``store_apart`` and reads its tables with this needs no
    run-time overlap test, which LLVM cannot make once one of its reads is a gather."""
    if not (isinstance(array, types.Array) and array.ndim == 1 and isinstance(index, types.Integer)):
        return None

    def codegen(context, builder, signature, args):
        data = context.make_array(signature.args[0])(context, builder, value=args[0]).data
        item = builder.load(builder.gep(data, [args[1]], inbounds=True))
        item.set_metadata("alias.scope", _gathered_scope(builder.module))
        return item

    return array.dtype(array, index), codegen


@intrinsic
def vectors_512(typingctx):
    """No value: asks LLVM to vectorise the calling kernel with 512-bit vectors (as
    ``prefer_512_bit``), for kernels that use none of the other intrinsics."""
    def codegen(context, builder, signature, args):
        prefer_512_bit(builder)
        return context.get_dummy_value()

    return types.none(), codegen


def _trap(context, builder):
    """``llvm.trap`` in place of an x86 instruction the target CPU lacks (an ARM CPU, or Numba
    told another CPU): the kernel still compiles, and its tables never lead there."""
    from llvmlite import ir
    from numba.core import cgutils
    builder.call(cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.VoidType(), []), "llvm.trap"), [])
    return context.get_dummy_value()


def _vector(builder, pointer, at, lanes, kind):
    """A pointer to ``lanes`` items of LLVM type ``kind`` from ``pointer[at]``."""
    from llvmlite import ir
    return builder.bitcast(builder.gep(pointer, [at], inbounds=True), ir.VectorType(kind, lanes).as_pointer())


def _four_windows(builder, row, starts, at):
    """One 512-bit register of the four 16-byte windows of ``row`` (a uint8 pointer) that begin
    at the uint32 ``starts[at : at + 4]`` (``at`` an i64), the first in the lowest lane."""
    from llvmlite import ir
    i8, i32, i64 = ir.IntType(8), ir.IntType(32), ir.IntType(64)
    windows = []
    for lane in range(4):
        start = builder.zext(builder.load(builder.gep(starts, [builder.add(at, ir.Constant(i64, lane))],
                                                      inbounds=True)), i64)
        windows.append(builder.load(_vector(builder, row, start, 16, i8), align=1))

    def joined(a, b, lanes):
        return builder.shuffle_vector(a, b, ir.Constant(ir.VectorType(i32, lanes), list(range(lanes))))

    return joined(joined(windows[0], windows[1], 32), joined(windows[2], windows[3], 32), 64)


def _byte_shuffle(builder, lanes):
    """LLVM's ``pshufb`` of ``lanes`` bytes (16: SSSE3, 64: AVX-512BW)."""
    from llvmlite import ir
    from numba.core import cgutils
    kind = ir.VectorType(ir.IntType(8), lanes)
    name = "llvm.x86.ssse3.pshuf.b.128" if lanes == 16 else "llvm.x86.avx512.pshuf.b.512"
    return cgutils.get_or_insert_function(builder.module, ir.FunctionType(kind, [kind, kind]), name)


@lru_cache(maxsize=None)
def compiles_for(feature):
    """Whether Numba compiles for a CPU with ``feature`` (LLVM's name: ``"avx512bw"`` for
    ``window_sums``, ``"ssse3"`` for ``window_bytes``): the host's features, unless Numba is
    told to compile for another CPU."""
    from llvmlite import binding
    from numba.core import config
    return config.CPU_NAME is None and bool(binding.get_host_cpu_features().get(feature, False))


@intrinsic
def window_bytes(typingctx, src, start, picks, group, out, at):
    """``out[at : at + 16]`` = the bytes of the 16-byte window ``src[start : start + 16]``
    picked by ``picks[16·group : 16·group + 16]`` (``pshufb``; a pick of 128: 0), all uint8,
    nothing bounds-checked. Needs SSSE3 (``compiles_for("ssse3")``)."""
    if not (all(isinstance(a, types.Array) and a.dtype == types.uint8 for a in (src, picks, out))
            and all(isinstance(i, types.Integer) for i in (start, group, at))):
        return None

    def codegen(context, builder, signature, args):
        from llvmlite import ir
        if not compiles_for("ssse3"):
            return _trap(context, builder)
        i8, i64 = ir.IntType(8), ir.IntType(64)
        row, pick, dst = (context.make_array(signature.args[k])(context, builder, value=args[k]).data
                          for k in (0, 2, 4))
        start_, group_, at_ = (context.cast(builder, args[k], signature.args[k], types.int64) for k in (1, 3, 5))
        window = builder.load(_vector(builder, row, start_, 16, i8), align=1)
        control = builder.load(_vector(builder, pick, builder.mul(group_, ir.Constant(i64, 16)), 16, i8), align=1)
        builder.store(builder.call(_byte_shuffle(builder, 16), [window, control]), _vector(builder, dst, at_, 16, i8),
                      align=1)
        return context.get_dummy_value()

    return types.none(src, start, picks, group, out, at), codegen


@intrinsic
def window_sums(typingctx, src, starts, picks, weights, out, block):
    """``out[16·block : 16·block + 16]`` (int32) = ``Σ src[start + pick]·weight`` over two
    taps, as OpenCV's ``v_dotprod``: four 16-byte windows of the uint8 row ``src`` from the
    uint32 ``starts[4·block : 4·block + 4]`` fill the four 128-bit lanes of one register,
    ``vpshufb`` with the uint8 ``picks[64·block : 64·block + 64]`` spreads each value's two
    taps into a pair of int16 (a pick of 128: 0), and ``vpmaddwd`` multiplies the pairs by the
    int16 ``weights[32·block : 32·block + 32]`` and adds them. Nothing is bounds-checked: the
    caller keeps every window inside ``src`` and the 16 values inside ``out``. Needs
    AVX-512BW (``compiles_for("avx512bw")``)."""
    arrays = (src, starts, picks, weights, out)
    if not (all(isinstance(a, types.Array) for a in arrays) and isinstance(block, types.Integer)
            and [a.dtype for a in arrays] == [types.uint8, types.uint32, types.uint8, types.int16, types.int32]):
        return None

    def codegen(context, builder, signature, args):
        from llvmlite import ir
        from numba.core import cgutils
        if not compiles_for("avx512bw"):
            return _trap(context, builder)
        prefer_512_bit(builder)
        i8, i16, i32, i64 = ir.IntType(8), ir.IntType(16), ir.IntType(32), ir.IntType(64)
        row, first, pick, weight, sums = (context.make_array(kind)(context, builder, value=value).data
                                          for kind, value in zip(signature.args[:5], args[:5]))
        j = context.cast(builder, args[5], signature.args[5], types.int64)
        table = _four_windows(builder, row, first, builder.mul(j, ir.Constant(i64, 4)))
        control = builder.load(_vector(builder, pick, builder.mul(j, ir.Constant(i64, 64)), 64, i8), align=1)
        pairs = builder.bitcast(builder.call(_byte_shuffle(builder, 64), [table, control]), ir.VectorType(i16, 32))
        taps = builder.load(_vector(builder, weight, builder.mul(j, ir.Constant(i64, 32)), 32, i16), align=2)
        madd = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VectorType(i32, 16), [ir.VectorType(i16, 32)] * 2),
            "llvm.x86.avx512.pmaddw.d.512")
        builder.store(builder.call(madd, [pairs, taps]),
                      _vector(builder, sums, builder.mul(j, ir.Constant(i64, 16)), 16, i32), align=4)
        return context.get_dummy_value()

    return types.none(src, starts, picks, weights, out, block), codegen


def _window_taps_codegen(registers):
    """The code of ``window_taps`` (``registers`` 1) and ``window_taps_split`` (2): per block,
    ``4·registers`` windows, ``64·registers`` picks, the registers' picks of a tap OR-ed."""
    def codegen(context, builder, signature, args):
        from llvmlite import ir
        if not compiles_for("avx512bw"):
            return _trap(context, builder)
        prefer_512_bit(builder)
        i8, i32, i64, f32 = ir.IntType(8), ir.IntType(32), ir.IntType(64), ir.FloatType()
        row, first, pick, weight, sums = (context.make_array(kind)(context, builder, value=value).data
                                          for kind, value in zip(signature.args[:3] + signature.args[4:6],
                                                                 args[:3] + args[4:6]))
        step_ = builder.trunc(context.cast(builder, args[3], signature.args[3], types.int64), i8)
        j = context.cast(builder, args[6], signature.args[6], types.int64)
        bytes_512 = ir.VectorType(i8, 64)
        tables, controls = [], []
        for r in range(registers):
            at = builder.mul(j, ir.Constant(i64, 4 * registers))
            tables.append(_four_windows(builder, row, first, builder.add(at, ir.Constant(i64, 4 * r)) if r else at))
            at = builder.mul(j, ir.Constant(i64, 64 * registers))
            if r:
                at = builder.add(at, ir.Constant(i64, 64 * r))
            controls.append(builder.load(_vector(builder, pick, at, 64, i8), align=1))
        shuffle = _byte_shuffle(builder, 64)
        floats = ir.VectorType(f32, 16)
        total = None
        for k in range(4):
            if k:       # the next tap's bytes: picks + k·step (a pick of 128 stays ≥ 128: zero)
                shift = builder.mul(step_, ir.Constant(i8, k))
                offset = builder.insert_element(ir.Constant(bytes_512, ir.Undefined), shift, ir.Constant(i32, 0))
                offset = builder.shuffle_vector(offset, offset, ir.Constant(ir.VectorType(i32, 64), [0] * 64))
            taps = None
            for table, control in zip(tables, controls):
                picked = builder.call(shuffle, [table, builder.add(control, offset) if k else control])
                taps = picked if taps is None else builder.or_(taps, picked)
            values = builder.sitofp(builder.bitcast(taps, ir.VectorType(i32, 16)), floats)
            at = builder.add(builder.mul(j, ir.Constant(i64, 64)), ir.Constant(i64, 16 * k))
            product = builder.fmul(values, builder.load(_vector(builder, weight, at, 16, f32), align=4))
            total = product if total is None else builder.fadd(total, product)
        builder.store(total, _vector(builder, sums, builder.mul(j, ir.Constant(i64, 16)), 16, f32), align=4)
        return context.get_dummy_value()

    return codegen


def _window_taps_types(src, starts, picks, step, weights, out, block):
    arrays = (src, starts, picks, weights, out)
    return (all(isinstance(a, types.Array) for a in arrays) and isinstance(block, types.Integer)
            and isinstance(step, types.Integer)
            and [a.dtype for a in arrays] == [types.uint8, types.uint32, types.uint8, types.float32, types.float32])


@intrinsic
def window_taps(typingctx, src, starts, picks, step, weights, out, block):
    """``out[16·block : 16·block + 16]`` (float32) = ``Σₖ float(src[start + pick + k·step])·wₖ``
    over four taps k, summed in float32 from the first tap to the last (the products and sums
    of the scalar loop, so the same values): four 16-byte windows of the uint8 row ``src``
    from the uint32 ``starts[4·block : 4·block + 4]`` fill the four 128-bit lanes of one
    register, 4 values a lane; per tap, ``vpshufb`` with the uint8 ``picks[64·block : 64·block
    + 64]`` plus ``k·step`` puts each value's byte in the low byte of a 32-bit lane (a pick of
    128: the three zero bytes above it), which ``vcvtdq2ps`` makes a float32, multiplied by the
    float32 ``weights[64·block + 16·k : 64·block + 16·k + 16]``. Nothing is bounds-checked: the
    caller keeps every window inside ``src`` (``pick + 3·step`` < 16) and the 16 values inside
    ``out``. Needs AVX-512BW (``compiles_for("avx512bw")``)."""
    if not _window_taps_types(src, starts, picks, step, weights, out, block):
        return None
    return types.none(src, starts, picks, step, weights, out, block), _window_taps_codegen(1)


@intrinsic
def window_taps_split(typingctx, src, starts, picks, step, weights, out, block):
    """``window_taps`` with two windows per 4 values, for taps too spread for one: eight
    windows from ``starts[8·block : 8·block + 8]`` fill two registers (the first four, then the
    last four), each with its picks (``picks[128·block : 128·block + 64]``, then the next 64;
    a value's pick is 128 in the register it is not read from), and the two ``vpshufb`` of a
    tap are OR-ed: the same bytes, products and sums. Needs AVX-512BW."""
    if not _window_taps_types(src, starts, picks, step, weights, out, block):
        return None
    return types.none(src, starts, picks, step, weights, out, block), _window_taps_codegen(2)
