"""Where the bands of ``tiles`` run: a ``distributed.Client``, or dask's local threaded scheduler.

Either way a runner is ``run(function, arguments) -> results``: ``function(*args)`` for each
tuple the iterator ``arguments`` yields, the results in order, a few bands in flight, so that the
caller holds a few bands, never the whole image. Each band's kernels get their share of the
cores as Numba threads (a per-thread setting), so that bands running at once do not
oversubscribe them.
"""

import functools
import os
from collections import deque


def runner_for(client):
    """``run(function, arguments) -> results``: ``function(*args)`` for each tuple of an iterator,
    the results in order, a few at a time: on ``client``, or on dask's threaded scheduler."""
    if client is not None:
        return functools.partial(_on_cluster, client)
    return _on_threads


def _on_cluster(client, function, arguments):
    """Arrays go to the workers by ``client.scatter`` (never inside the task graph); two bands
    per worker thread are in flight."""
    import numpy as np
    window = 2 * max(1, sum(client.nthreads().values()))
    pending = deque()
    for args in arguments:
        args = [client.scatter(a, hash=False) if isinstance(a, np.ndarray) else a for a in args]
        pending.append(client.submit(_with_worker_threads, function, *args, pure=False))
        if len(pending) >= window:
            yield _result(pending.popleft())
    while pending:
        yield _result(pending.popleft())


def _result(future):
    try:
        return future.result()
    finally:
        future.release()


def _with_worker_threads(function, *args):
    """``function(*args)`` with Numba's threads for this worker thread: the cores shared by the
    worker's threads."""
    import numba
    from distributed import get_worker
    numba.set_num_threads(max(1, min(numba.config.NUMBA_NUM_THREADS,
                                     (os.cpu_count() or 1) // max(1, get_worker().state.nthreads))))
    return function(*args)


def _on_threads(function, arguments):
    """Bands a core's worth at a time on dask's threaded scheduler, each with its share of
    Numba's threads; one such window computes in the background while the caller reads the
    next bands and writes the last results."""
    import dask
    from concurrent.futures import ThreadPoolExecutor
    cores = os.cpu_count() or 1
    window = min(cores, 2)
    threads = max(1, cores // window)
    pending, batch = deque(), []
    with ThreadPoolExecutor(1, thread_name_prefix="imgkit-tiles") as background:
        for args in arguments:
            batch.append(dask.delayed(_with_threads, pure=False)(threads, function, *args))
            if len(batch) == window:
                pending.append(background.submit(dask.compute, *batch, scheduler="threads", num_workers=window))
                batch = []
                if len(pending) > 1:
                    yield from pending.popleft().result()
        if batch:
            pending.append(background.submit(dask.compute, *batch, scheduler="threads", num_workers=window))
        while pending:
            yield from pending.popleft().result()


def _with_threads(threads, function, *args):
    import numba
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    return function(*args)

