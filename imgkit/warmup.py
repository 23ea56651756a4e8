"""Compiling Numba kernels ahead of use, and telling the user when that costs time.

Kernels are compiled lazily, per operation and input dtype, and cached on disk
(``cache=True``): the first call on a fresh install compiles, every later process loads.
A command compiles with its first real image; ``imgkit warmup`` compiles everything at once.
"""

import sys
import time

import numpy as np

SAMPLE_SIDE = 512   # large enough for every operation's bench parameters (HOG blocks, resize 0.5)


def sample(dtype):
    """An image that reaches the same kernel specialisations as a real one of ``dtype``:
    SAMPLE_SIDE² pixels, three channels."""
    return (np.arange(SAMPLE_SIDE * SAMPLE_SIDE * 3) % 251).astype(dtype).reshape(SAMPLE_SIDE, SAMPLE_SIDE, 3)


def compile_op(name, dtypes=None, backend="numba"):
    """Run operation ``name`` with its bench parameters on a sample of each of ``dtypes``
    (default: all it accepts), which compiles its kernels or loads them from the cache."""
    from . import registry
    op = registry.get(name)
    if op.workload:     # inputs that are not images: the workload's small sample case
        for _size, _kind, args in op.workload_function(("sample",)):
            op.function(*args, **op.bench, backend=backend)
        return
    for dtype in dtypes or op.dtypes:
        op.function(sample(dtype), **op.bench, backend=backend)


def prepare(name, params, backend="numba", *, quiet=False):
    """Before a batch: check ``params`` by operation ``name``'s rules, with no image and nothing
    compiled (``registry.check``: ParameterError/ParameterTypeError name the parameter); then,
    unless ``quiet``, say so on stderr when this process starts compiling a kernel."""
    from . import registry
    registry.check(name, params)
    if not quiet and backend == "numba":
        announce_compiling()


_announcing = False


def announce_compiling():
    """From now on, print one line on stderr when this process first compiles a kernel (one
    loaded from the disk cache is not compiled and says nothing): the first image then takes
    seconds. Worker processes (``-j``) compile on their own, silently."""
    global _announcing
    if _announcing:
        return
    _announcing = True
    from numba.core import event

    class Notice(event.Listener):
        said = False

        def on_start(self, _event):
            if not self.said:
                self.said = True
                print("imgkit: compiling kernels (first run only; cached afterwards)…", file=sys.stderr, flush=True)

        def on_end(self, _event):
            pass

    event.register("numba:compile", Notice())


def warm_all(report=print):
    """Compile every registered operation for every dtype it accepts."""
    from . import registry
    total = time.perf_counter()
    for name in registry.OPS:
        started = time.perf_counter()
        compile_op(name)
        report(f"{name}: {time.perf_counter() - started:.1f} s")
    report(f"all kernels ready in {time.perf_counter() - total:.1f} s")
