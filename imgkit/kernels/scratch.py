"""Stack scratch for kernels: small fixed-size buffers that live on the calling function's stack."""

from numba import types
from numba.core import cgutils, errors
from numba.extending import intrinsic


@intrinsic
def stack_buffer(typingctx, count, dtype):
    """Pointer to ``count`` (a compile-time constant) elements of ``dtype`` on the stack of the
    calling function (an ``alloca``); wrap it with ``carray`` there, never return it.

    Stack memory provably aliases nothing the caller was given, so LLVM vectorises loops that
    store to it (even beside a gather from a table) without run-time overlap checks.
    """
    if not isinstance(count, types.IntegerLiteral):
        raise errors.RequireLiteralValue(count)
    size = count.literal_value
    element = dtype.dtype

    def codegen(context, builder, signature, args):
        return cgutils.alloca_once(builder, context.get_data_type(element), size=size)

    return types.CPointer(element)(count, dtype), codegen
