"""Compiling Numba kernels ahead of use, and telling the user when that costs time.

Kernels are compiled lazily, per operation and input dtype, and cached on disk
(``cache=True``): the first call on a fresh install compiles, every later process loads.
"""

import sys
import threading
import time

import numpy as np

NOTICE_AFTER = 1.0   # seconds: loading kernels from the disk cache (≈0.5 s) is faster, compiling is not


SAMPLE_SIDE = 512   # large enough for size-bound options (HOG blocks, --subsample, resize --scale 0.002)


def sample(dtype):
    """An image that reaches the same kernel specialisations as a real one of ``dtype``, on which
    ``prepare`` checks a command's options: SAMPLE_SIDE² pixels, so that only options absurd for
    any real image fail there (a few ms per run; compiling is the cost)."""
    return (np.arange(SAMPLE_SIDE * SAMPLE_SIDE * 3) % 251).astype(dtype).reshape(SAMPLE_SIDE, SAMPLE_SIDE, 3)


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
        image, fitted = _fit_images(sample(dtype), params)
        op.function(image, **fitted, backend=backend)


def _fit_images(image, params):
    """The sample and ``params`` with every image-valued parameter (``guided --guide``) cut to one
    common size, so that the sample run checks them without tripping on their size."""
    images = [value for value in params.values() if isinstance(value, np.ndarray) and value.ndim >= 2]
    height = min([image.shape[0]] + [value.shape[0] for value in images])
    width = min([image.shape[1]] + [value.shape[1] for value in images])
    fitted = {key: value[:height, :width] if isinstance(value, np.ndarray) and value.ndim >= 2 else value
              for key, value in params.items()}
    return image[:height, :width], fitted


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
