"""Numba kernels: arrays in, arrays out. No I/O, no cv2, nothing from the layers above.

Every image kernel takes *planes*: a C-contiguous ``(H, W, C)`` array (C ≥ 1, channels
interleaved as OpenCV stores them) of uint8, uint16 or float32, and returns the same layout.
"""

_owned = False


def own_numba():
    """Spare this process what Numba does on the first call of a jitted function loaded from the
    cache that a loaded kernel never needs (together 0.6 s of a 1.4 s one-image command on 2 cores):

    - the *refresh* of its compilation contexts, which imports every implementation module of
      Numba (``numba.np.arraymath`` and ~250 others) and installs their registries (0.1 s): a
      cached kernel is machine code that needs only Numba's runtime (NRT) to run. A load that
      fails this way is retried after the full refresh; a compile refreshes as always;
    - every installed ``numba_extensions`` entry point: rocket-fft's imports ``scipy.fft``, and
      the kernels that use rocket-fft (``kernels/fourier.py``) import it themselves;
    - ``scipy.linalg``, which ``numba.np.arraymath`` imports, when a kernel compiles, to find a BLAS
      for ``np.dot`` and ``np.linalg`` in jitted code; no kernel calls them (they would fail to
      compile, not run wrongly).

    Only the command line and its workers call this: they own their process, where a library
    user's program may rely on its extensions and on BLAS. A Numba without these hooks does what
    it did before.
    """
    global _owned
    if _owned:
        return
    _owned = True
    from numba.core import caching, entrypoints, event
    if hasattr(entrypoints, "_already_initialized"):
        entrypoints._already_initialized = True
    if hasattr(caching.Cache, "_load_overload"):
        caching.Cache.load_overload = _load_without_refresh
    event.register("numba:compile", _linalg_blocker())


def _load_without_refresh(cache, sig, target_context):
    """``numba.core.caching.Cache.load_overload`` with only the runtime initialised, not the whole
    context refreshed; on any failure, the full refresh and Numba's own load."""
    from numba.core.runtime import rtsys
    try:
        rtsys.initialize(target_context)
        with cache._guard_against_spurious_io_errors():
            return cache._load_overload(sig, target_context)
    except Exception:   # noqa: BLE001  (e.g. a symbol only a registry provides: load as Numba does)
        target_context.refresh()
        with cache._guard_against_spurious_io_errors():
            return cache._load_overload(sig, target_context)


def _linalg_blocker():
    """A compile-event listener that imports ``numba.np.arraymath`` before the first compile's
    refresh does, with ``scipy.linalg`` unimportable meanwhile (see ``own_numba``)."""
    from numba.core import event

    class NoLinalg(event.Listener):
        def on_start(self, _event):
            import sys
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

        def on_end(self, _event):
            pass
    return NoLinalg()
