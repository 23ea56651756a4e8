"""The threads behind ``-j N``: N images at once in this process, sharing its loaded kernels.

OpenCV's decoders and encoders and every imgkit kernel (``nogil``) release the GIL, so threads
overlap the stages of several images without what a worker process pays first (its imports, its
kernels loaded again: 3 s for two workers here). Each thread sets its own Numba thread count
(a per-thread setting) to ``cores // N``, and OpenCV's to the same, so the two levels of
parallelism never oversubscribe the cores.

The calling thread only hands results on, so that a signal handler runs at once (Python runs
them in the main thread, between bytecodes): Ctrl-C and SIGTERM stop a batch within a fraction
of a second, even inside a long kernel. Stopping forbids any further output
(``io.abandon_writes``, which removes the temporary files of the writes in progress) and still
hands on the results of the tasks whose outputs were already in place. The threads are daemons:
an interrupted command exits without waiting for the kernels they are in.
"""

import os
import queue
import signal
import threading
import time
from contextlib import contextmanager

STOP_TIMEOUT = 2.0     # seconds a task whose output is in place has to hand its result over
POLL = 0.2             # seconds between looks for a signal that reached another thread


def available_cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def run_threads(tasks, work, jobs, done, *, fail_fast=False):
    """Call ``work(task)`` for every task on ``jobs`` threads, and ``done(index, result)`` in
    the calling thread as each returns. ``fail_fast``: once a result's status is "error", start
    no other task (those running finish and are handed on). An exception in the calling thread
    (KeyboardInterrupt: Ctrl-C, SIGTERM) stops the batch as the module says, then propagates;
    one raised by ``work`` (a bug: tasks report their errors as results) does too."""
    from . import io
    jobs = usable_jobs(max(1, min(jobs, len(tasks))))
    order, lock, halt = iter(range(len(tasks))), threading.Lock(), threading.Event()
    finished = queue.SimpleQueue()
    running = {}        # index → (its thread's io.placements(), their count when it began)
    threads = max(1, available_cores() // jobs) if jobs > 1 else None

    def serve():
        if threads is not None:
            set_kernel_threads(threads)
        placed = io.placements()
        while not halt.is_set():
            with lock:
                index = next(order, None)
                if index is not None:
                    running[index] = (placed, placed[0])
            if index is None:
                break
            try:
                result = work(tasks[index])
            except BaseException as error:  # noqa: BLE001  (raised again in the calling thread)
                finished.put((index, None, error))
                continue
            if fail_fast and result.status == "error":
                with lock:
                    halt.set()      # before any thread takes another task
            finished.put((index, result, None))
        finished.put(None)

    previous = _set_opencv_threads(threads)
    for number in range(jobs):
        threading.Thread(target=serve, daemon=True, name=f"imgkit-job-{number}").start()
    failure, ended = None, 0
    try:
        while ended < jobs:
            with signals_held():   # a result taken from the queue is always handed on
                item = _next(finished)
                if item is None:
                    ended += 1
                    continue
                index, result, error = item
                if index is None:       # a spell without results
                    continue
                with lock:
                    del running[index]
                if error is not None:
                    failure = failure or error
                    halt.set()      # the other threads finish what they began
                else:
                    done(index, result)
    except BaseException:
        halt.set()
        _stop(finished, running, lock, done)
        raise
    finally:
        _set_opencv_threads(previous)
    if failure is not None:
        raise failure


def _next(finished):
    """The next item a thread sent, or (None, None, None) after a short spell with none, so that
    a signal held meanwhile is seen."""
    try:
        return finished.get(timeout=POLL)
    except queue.Empty:
        return None, None, None


@contextmanager
def signals_held():
    """SIGINT and SIGTERM that arrive in the block are raised as it ends: an interrupt between
    taking a result from the queue and handing it on lost it (an output in place, never
    reported). Only the main thread can set handlers; elsewhere the block runs as it is."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    arrived = []
    held = (signal.SIGINT, signal.SIGTERM)
    previous = {number: signal.signal(number, lambda number, _frame: arrived.append(number)) for number in held}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        for number in dict.fromkeys(arrived):
            signal.raise_signal(number)


def _stop(finished, running, lock, done):
    """Forbid any further output, then hand on the results of the tasks whose outputs were
    put in place before that (each is a moment from returning; STOP_TIMEOUT at most)."""
    from . import io
    io.abandon_writes()
    with lock:
        placed = {index for index, (count, before) in running.items() if count[0] > before}
    deadline = time.monotonic() + STOP_TIMEOUT
    while placed and time.monotonic() < deadline:
        try:
            item = finished.get(timeout=0.05)
        except queue.Empty:
            continue
        if item is not None and item[0] in placed and item[2] is None:
            placed.discard(item[0])
            done(item[0], item[1])


def usable_jobs(jobs):
    """``jobs``, or 1 where Numba's threading layer is its workqueue (its fallback when neither
    TBB nor OpenMP loads), which cannot run ``prange`` kernels from two threads at once."""
    if jobs == 1:
        return 1
    import numba
    numba.get_num_threads()     # starts the threading layer, so that it can be asked which
    return 1 if numba.threading_layer() == "workqueue" else jobs


def set_kernel_threads(threads):
    import numba
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))


def _set_opencv_threads(threads):
    """Set OpenCV's thread count (one for the whole process) to ``threads``; returns the
    previous count. None: leave it."""
    if threads is None:
        return None
    import cv2
    previous = cv2.getNumThreads()
    cv2.setNumThreads(threads)
    return previous
