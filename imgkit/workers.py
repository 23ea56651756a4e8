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

STOP_TIMEOUT = 2.0     # seconds a worker has to leave on SIGTERM (or to send its last result)
_STOPPING = {signal.SIGINT, signal.SIGTERM}
_placed_before_task = [0]   # io.outputs_placed() when the current task began
_stopping = False           # a worker told to stop after sending the result in hand
_parent = [None]            # in a worker: the pid of the process that started it
_spawned = False            # a pool was started since the last reap


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
    global _spawned
    _spawned = True
    threads = max(1, available_cores() // jobs)
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_init_worker, initargs=(threads, os.getpid()))
    try:
        with _held_back(_STOPPING):     # workers start deaf to Ctrl-C, and each gets its start-up data
            for _ in range(jobs):       # a spawn pool starts one worker per submission until it is full
                pool.submit(int)
    except BaseException:               # a Ctrl-C held back while they were spawned arrives here
        stop(pool)
        raise
    return pool


@contextmanager
def _held_back(signals):
    """Hold ``signals`` back until the block ends, then deliver them.

    Blocked in this thread, so that children spawned meanwhile inherit the mask (across fork
    and exec); and recorded rather than handled, since a signal that reaches another thread
    still runs its Python handler here, which could stop a spawn half way (a worker without its
    start-up data, waiting for it forever)."""
    arrived = []
    previous = {number: signal.signal(number, lambda number, frame: arrived.append(number)) for number in signals}
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, signals)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        for number, handler in previous.items():
            signal.signal(number, handler)
        for number in dict.fromkeys(arrived):
            signal.raise_signal(number)


def in_thread(work, task):
    """``work(task)`` in a daemon thread while this thread waits, so that a signal handler runs at
    once rather than when a long kernel returns: Ctrl-C and SIGTERM stop a call in seconds.

    If it is interrupted after its output was put in place, it waits for the (imminent) result
    and hands it on as the interrupt's ``result``, so that the output is still reported.
    """
    if _stopping:
        os._exit(128 + signal.SIGTERM)      # a worker told to stop, once its last result was sent
    io = sys.modules.get("imgkit.io")
    placed = _placed_before_task[0] = io.outputs_placed() if io else 0
    outcome, done = {}, threading.Event()

    def run():
        try:
            outcome["result"] = work(task)
        except BaseException as error:  # noqa: BLE001  (re-raised in the waiting thread)
            outcome["error"] = error
        finally:
            done.set()
    threading.Thread(target=run, daemon=True, name="imgkit-task").start()
    try:
        while not done.wait(0.2):   # a timeout: a signal delivered to another thread is seen too
            pass
    except BaseException as stop:
        io = sys.modules.get("imgkit.io")
        if io is not None and io.abandon_writes() > placed:
            done.wait()
            stop.result = outcome.get("result")
        raise
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


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
    global _spawned
    if not _spawned:
        return
    _spawned = False
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
    _parent[0] = parent
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _leave)
    _die_with(parent)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPPING)
    set_threads(threads)


def _leave(signum, frame):
    """SIGTERM in a worker: forget the writes not yet in place and exit; or, if the current task
    has already put its output in place, let its result go to the parent first (the parent
    kills the worker once it has had time to)."""
    global _stopping
    io = sys.modules.get("imgkit.io")   # not imported yet: nothing written yet (and no import now)
    placed = io is not None and hasattr(io, "abandon_writes") and io.abandon_writes() > _placed_before_task[0]
    if placed and os.getppid() == _parent[0]:   # a dead parent takes no result: this worker would wait forever
        _stopping = True
        return
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
