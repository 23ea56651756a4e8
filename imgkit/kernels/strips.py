"""Running a kernel over strips of rows on several threads: how every imgkit kernel goes parallel.

A kernel is a plain ``nogil`` jitted function that writes the rows ``y0 ≤ y < y1`` of its output.
``run_in_strips`` shares the strips between the calling thread and a few pool threads, as many
threads in all as Numba is set to use (``numba.set_num_threads``), taking the next strip as
each frees up. ``parallel=True`` with ``prange`` ran no faster here, stalled when another process
held a core (its chunks are fixed in advance: a 512² median took 5 ms instead of 0.5 ms), and cost
2–3 s more compilation per specialisation (34 s instead of 12 s for box and Gaussian blur).

The one exception is a job so short that the hand-off itself (a helper thread waking, then
taking the GIL: ~0.1 ms here) would cost as much as the work: the 2×2 area average of a 4K
image (0.2 ms) runs under ``prange`` instead, whose OpenMP threads start in a few µs. OpenMP's
threads spin after each job; ``GOMP_SPINCOUNT`` (unless the user set it) bounds that spin to
~10 µs, so that a thread waiting at the barrier yields its core soon when another process needs
it: measured with one core busy, 0.7 ms instead of stalls of up to 12 ms at the default.
"""

import os
import threading
from concurrent.futures import ThreadPoolExecutor

os.environ.setdefault("GOMP_SPINCOUNT", "10000")     # read when Numba first loads libgomp

from numba import get_num_threads  # noqa: E402

# A strip should hold ~0.2 ms of work: handing one to another thread costs ~0.05 ms.
MIN_VALUES_PER_STRIP = 1 << 18      # a 13-tap Gaussian: ~1 ns a value
STRIPS_PER_THREAD = 4       # threads take strips as they free up: one slowed by other work
                            # does fewer (each strip costs its buffers, the box its column sums)

_local = threading.local()  # each calling thread has its own helpers: the threads of a -j batch
                            # never queue their strips behind another image's


def _helper_pool(helpers):
    """This thread's pool of ``helpers`` threads; made anew in a forked child (a pool's threads
    are not copied by fork), and let go with the thread that made it."""
    if getattr(_local, "pid", None) != os.getpid():
        _local.pools, _local.pid = {}, os.getpid()
    if helpers not in _local.pools:
        _local.pools[helpers] = ThreadPoolExecutor(max_workers=helpers, thread_name_prefix="imgkit-strip")
    return _local.pools[helpers]


def run_in_strips(kernel, shape, *args, min_values=MIN_VALUES_PER_STRIP):
    """Call ``kernel(*args, y0, y1)`` over strips of the rows of an (H, W, C) image ``shape``.

    ``kernel`` must be a ``nogil`` jitted function (not itself a caller of this) that writes
    rows ``y0 ≤ y < y1`` only. The calling thread and ``threads - 1`` helpers take the next
    strip as they become free, so a thread slowed by other work does less. The number of
    threads is Numba's (``numba.set_num_threads``), so the CLI's per-worker setting holds.
    A strip has at least ``min_values`` values (pass more for a cheaper kernel), so a small
    image runs on the calling thread alone.
    """
    height, width, channels = shape
    if height * width * channels < 2 * min_values:    # one strip: not worth Numba's thread count (~1.5 µs)
        kernel(*args, 0, height)
        return
    threads = get_num_threads()
    strips = max(1, min(threads * STRIPS_PER_THREAD, height, height * width * channels // min_values))
    if threads == 1 or strips == 1:
        kernel(*args, 0, height)
        return
    per_strip = (height + strips - 1) // strips
    starts = iter(range(0, height, per_strip))
    take = threading.Lock()

    def work():
        while True:
            with take:
                y0 = next(starts, None)
            if y0 is None:
                return
            kernel(*args, y0, min(height, y0 + per_strip))

    helpers = min(threads, strips) - 1
    pool = _helper_pool(helpers)
    futures = [pool.submit(work) for _ in range(helpers)]
    try:
        work()
    finally:
        for future in futures:
            if not future.cancel():     # a helper that never started has nothing left to do
                future.result()
