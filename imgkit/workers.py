"""The local process pool behind ``-j N``: workers that share the cores, leave Ctrl-C to the
parent, die with it, and are all reaped before the command exits.

Workers are spawned (not forked: the parent may already run Numba's and OpenCV's thread pools)
with SIGINT and SIGTERM blocked, so a Ctrl-C that reaches the whole process group while they
start cannot print a traceback from each; once ready, they ignore SIGINT (the parent cancels the
batch) and leave on SIGTERM, removing the temporary file of a write in progress. On Linux the
kernel sends them SIGTERM when the parent dies (``PR_SET_PDEATHSIG``), SIGKILL included; elsewhere
a thread watches the parent's pid.
"""

import os
import signal
import sys
import threading
import time
from contextlib import contextmanager

STOP_TIMEOUT = 2.0     # seconds a worker has to leave on SIGTERM before it is killed
_STOPPING = {signal.SIGINT, signal.SIGTERM}


def available_cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def set_threads(threads):
    import cv2
    import numba
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    cv2.setNumThreads(threads)


def local_pool(jobs):
    """A process pool of ``jobs`` workers, all started now, whose Numba and OpenCV threads share
    the cores between them. End it with ``close`` (normal end) or ``stop`` (interrupt)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    threads = max(1, available_cores() // jobs)
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_init_worker, initargs=(threads, os.getpid()))
    try:
        with _blocked(_STOPPING):   # inherited across fork and exec: workers start deaf to Ctrl-C
            for _ in range(jobs):   # a spawn pool starts one worker per submission until it is full
                pool.submit(int)
    except BaseException:           # a Ctrl-C held back while they were spawned arrives here
        stop(pool)
        raise
    return pool


@contextmanager
def _blocked(signals):
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, signals)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)   # a Ctrl-C meanwhile is delivered now


def close(pool):
    """Wait for the workers to finish their tasks, then reap them."""
    pool.shutdown(wait=True, cancel_futures=True)


def stop(pool):
    """Stop now: drop what has not started, SIGTERM the workers (they remove their temporary
    files), SIGKILL any still there after STOP_TIMEOUT, and reap them all.

    ``concurrent.futures`` has no such call; this one leans on three private attributes of
    ``ProcessPoolExecutor`` (the same from Python 3.9 to 3.13), read before ``shutdown`` clears them.
    """
    processes = list((pool._processes or {}).values())
    manager, results = pool._executor_manager_thread, pool._result_queue
    # First let the pool forget the futures cancelled so far, so that when it finds its
    # workers gone it fails only the running ones (it cannot fail a cancelled one).
    pool.shutdown(wait=False, cancel_futures=True)
    time.sleep(0.05)
    for process in processes:
        _signal(process, signal.SIGTERM)
    for process in processes:
        process.join(STOP_TIMEOUT)
        if process.is_alive():
            _signal(process, signal.SIGKILL)
            process.join()
    if manager is not None:
        manager.join()
    if results is not None:
        results.close()


def reap():
    """Before the command exits: stop the resource tracker that spawning started, once the
    pool's queues (whose semaphores it tracks) are collected, so that no child outlives us."""
    import gc
    from multiprocessing import resource_tracker
    gc.collect()
    tracker = getattr(resource_tracker, "_resource_tracker", None)
    if getattr(tracker, "_pid", None) is not None and hasattr(tracker, "_stop"):
        tracker._stop()


def _signal(process, number):
    try:
        os.kill(process.pid, number)
    except (ProcessLookupError, TypeError):
        pass


def _init_worker(threads, parent):
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _leave)
    _die_with(parent)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPPING)
    set_threads(threads)


def _leave(signum, frame):
    """SIGTERM in a worker: remove the temporary file of any write in progress, and exit."""
    io = sys.modules.get("imgkit.io")   # not imported yet: nothing written yet (and no import now)
    if io is not None and hasattr(io, "remove_live_temporaries"):
        io.remove_live_temporaries()
    os._exit(128 + signum)


def _die_with(parent):
    if os.getppid() != parent:      # the parent died while this worker was starting
        _leave(signal.SIGTERM, None)
    if sys.platform.startswith("linux"):
        import ctypes
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
        if os.getppid() != parent:  # it died before the request took effect
            _leave(signal.SIGTERM, None)
        return
    threading.Thread(target=_watch, args=(parent,), daemon=True, name="imgkit-parent-watch").start()


def _watch(parent):
    import time
    while os.getppid() == parent:
        time.sleep(0.5)
    os.kill(os.getpid(), signal.SIGTERM)
