"""Numba kernels: arrays in, arrays out. No I/O, no cv2, nothing from the layers above.

Every image kernel takes *planes*: a C-contiguous ``(H, W, C)`` array (C ≥ 1, channels
interleaved as OpenCV stores them) of uint8, uint16 or float32, and returns the same layout.
"""


def own_numba():
    """Spare this process two imports Numba makes on the first call of any jitted function, even
    one loaded from the cache, that imgkit's kernels never use (together 0.5 s of a 1.4 s
    one-image command on 2 cores):

    - every installed ``numba_extensions`` entry point: rocket-fft's imports ``scipy.fft``, and
      the kernels that use rocket-fft (``kernels/fourier.py``) import it themselves;
    - ``scipy.linalg``, which ``numba.np.arraymath`` imports to find a BLAS for ``np.dot`` and
      ``np.linalg`` in jitted code; no kernel calls them (they would fail to compile, not run
      wrongly).

    Only the command line and its workers call this: they own their process, where a library
    user's program may rely on its extensions and on BLAS. A Numba without these hooks loads them,
    as before.
    """
    import sys

    from numba.core import entrypoints
    if hasattr(entrypoints, "_already_initialized"):
        entrypoints._already_initialized = True
    if "numba.np.arraymath" in sys.modules:
        return
    missing = object()
    linalg = sys.modules.get("scipy.linalg", missing)
    sys.modules["scipy.linalg"] = None      # an ImportError for numba's BLAS probe, at once
    try:
        import numba.np.arraymath  # noqa: F401
    finally:
        if linalg is missing:
            del sys.modules["scipy.linalg"]
        else:
            sys.modules["scipy.linalg"] = linalg
