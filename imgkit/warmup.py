"""Compiling Numba kernels ahead of use, and telling the user when that costs time.

Kernels are compiled lazily, per operation and input dtype, and cached on disk
(``cache=True``): the first call on a fresh install compiles, every later process loads.
"""

import sys
import threading
import time

import numpy as np

NOTICE_AFTER = 1.0   # seconds: loading kernels from the disk cache (≈0.5 s) is faster, compiling is not


def sample(dtype):
    """A small image that reaches the same kernel specialisations as a real one of ``dtype``
    (64×64: large enough that size options such as ``resize --scale 0.05`` still apply)."""
    return (np.arange(64 * 64 * 3) % 251).astype(dtype).reshape(64, 64, 3)


def compile_op(name, params=None, dtypes=None, backend="numba"):
    """Run operation ``name`` on a sample of each of ``dtypes`` (default: all it accepts), which
    compiles its kernels or loads them from the cache."""
    from . import registry
    op = registry.get(name)
    params = op.bench if params is None else params
    if op.workload:     # inputs that are not images: the workload's small sample case
        for _size, _kind, args in op.workload_function(("sample",)):
            op.function(*args, **params, backend=backend)
        return
    for dtype in dtypes or op.dtypes:
        op.function(sample(dtype), **params, backend=backend)


def prepare(name, params, backend="numba", *, quiet=False):
    """Check ``params`` and compile ``name`` for uint8 before a batch starts.

    The operation runs once on a small sample, so bad parameters raise ValueError/TypeError
    before any input is touched; if that takes longer than a cache load, stderr says the
    kernels are being compiled.
    """
    said = threading.Event()

    def notice():
        said.set()
        print(f"imgkit: compiling {name} kernels (first run only; cached afterwards)…", file=sys.stderr, flush=True)

    from . import registry
    registry.get(name).function   # import the operation's modules before the clock starts
    timer = threading.Timer(NOTICE_AFTER, notice)
    if not quiet and backend == "numba":
        import numba  # noqa: F401  (its import is not compilation: keep it off the clock)
        timer.start()
    started = time.perf_counter()
    try:
        compile_op(name, params, ("uint8",), backend)
    finally:
        timer.cancel()
    if said.is_set():
        print(f"imgkit: compiled in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)


def warm_all(report=print):
    """Compile every registered operation for every dtype it accepts."""
    from . import registry
    total = time.perf_counter()
    for name in registry.OPS:
        started = time.perf_counter()
        compile_op(name)
        report(f"{name}: {time.perf_counter() - started:.1f} s")
    report(f"all kernels ready in {time.perf_counter() - total:.1f} s")
