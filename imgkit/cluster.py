"""Batches on a Dask distributed cluster (``--scheduler``): the tasks, results and rules of the
threads in ``workers``, with the images processed on the cluster's workers.

Shared-nothing by default: this process (the client) reads each input's bytes, scatters them to
a worker (so they never travel inside the task graph) and takes back the encoded output
(``batch.encode_image``), which it writes itself (``batch.deliver``): atomically, never over an
input or an existing output. Workers need no view of the client's disk. With ``shared_fs`` each
worker runs ``batch.run_task`` on the paths itself, under the same rules, enforced there.

A worker that dies costs nothing: the scheduler gives its tasks to another worker (Dask's
resilience, up to ``distributed.scheduler.allowed-failures`` deaths a task), and an output is
only written once its bytes are back (with ``shared_fs``, renamed into place whole). A window
of inputs is in flight at once (twice the cluster's threads), so the client holds a few inputs,
not the batch. Ctrl-C (SIGTERM) cancels the futures, forbids any further write, and propagates.
"""

import re
import threading
import time
from contextlib import contextmanager
from dataclasses import replace

LOCAL = "local"
ENVIRONMENT = "IMGKIT_SCHEDULER"
ADDRESS = re.compile(r"^(tcp|tls|ws|wss)://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$")
INLINE_BYTES = 1 << 16  # an input this small goes in its task's message; a larger one is scattered first
IN_FLIGHT = 8           # inputs in flight at least: each costs a round trip to a worker (~4 ms here)
RETRIES = 2             # a task that raises (ours report their errors: so, the cluster's own faults) runs again
ATTEMPTS = 4            # times an input is sent before its loss is its error (each lost with a worker)
RESEND_PAUSE = 0.5      # seconds, times the attempts so far, before an input whose worker died is sent again
STOP_TIMEOUT = 5        # seconds to close the client (and a local cluster) once the batch is over
INSTALL = "pip install 'imgkit[dask]'"


class ClusterError(Exception):
    """The scheduler cannot be used: nothing was done."""


def check_address(text):
    """``--scheduler``: ``local`` or a scheduler's address ``tcp://HOST:PORT`` (tls, ws, wss too);
    ValueError otherwise, or when Dask is not installed (saying what to install)."""
    address = str(text).strip()
    match = ADDRESS.match(address)
    if address != LOCAL and not (match and 0 < int(match.group(3)) < 65536):
        raise ValueError(f"must be 'local' or a Dask scheduler's address such as tcp://HOST:8786 "
                         f"(from --scheduler or ${ENVIRONMENT}), got {text!r}")
    if not _installed("distributed"):
        raise ValueError(f"needs Dask's distributed scheduler, which is not installed: {INSTALL}")
    return address


def _installed(module):
    import importlib.util
    try:
        return importlib.util.find_spec(module) is not None
    except ValueError:      # in sys.modules as None: blocked
        return False


@contextmanager
def session(address):
    """A ``distributed.Client`` of the scheduler at ``address`` with at least one worker, or of a
    ``LocalCluster`` started for the run (``local``: one worker process with a thread per core,
    which share its loaded kernels as ``-j`` threads do). Raises ClusterError if it cannot be
    reached, or has no worker, within Dask's ``distributed.comm.timeouts.connect`` (which also
    bounds the client's reconnection to a scheduler lost mid-batch)."""
    import logging

    import dask
    from distributed import Client, LocalCluster
    for name in ["distributed", *logging.root.manager.loggerDict]:     # its faults are said as the inputs' errors
        if name.startswith("distributed"):
            logging.getLogger(name).setLevel(logging.CRITICAL)
    cluster = client = None
    try:
        if address == LOCAL:
            from .workers import available_cores
            cluster = LocalCluster(n_workers=1, threads_per_worker=available_cores(), processes=True,
                                   dashboard_address=None)
            client = Client(cluster)
        else:
            timeout = dask.config.get("distributed.comm.timeouts.connect")   # Dask's own setting: 30 s
            client = Client(address, timeout=timeout)
            client.wait_for_workers(1, timeout=timeout)
    except (OSError, TimeoutError) as error:
        _close(client, cluster)
        what = "has no worker" if client is not None else "cannot be reached"
        raise ClusterError(f"the scheduler at {address} {what} ({_first_line(error)})") from None
    try:
        _check_workers(client, address)
    except ClusterError:
        _close(client, cluster)
        raise
    try:
        yield client
    finally:
        _close(client, cluster)


def _check_workers(client, address):
    """Every worker runs this imgkit (its tasks are imgkit's functions, unpickled there)."""
    from . import __version__
    try:
        versions = client.run(_version)
    except Exception as error:     # noqa: BLE001  (unpickling imgkit's function failed there)
        raise ClusterError(f"a worker of the scheduler at {address} cannot run imgkit ({type(error).__name__}: "
                           f"{_first_line(error)}): install imgkit {__version__} on every worker") from None
    other = {worker: version for worker, version in versions.items() if version != __version__}
    if other:
        worker, version = next(iter(other.items()))
        raise ClusterError(f"worker {worker} runs imgkit {version}, this is imgkit {__version__}: install the same "
                           "version on every worker")


def _version():
    from . import __version__
    return __version__


def _close(client, cluster):
    for part in (client, cluster):
        if part is not None:
            try:
                part.close(timeout=STOP_TIMEOUT)
            except Exception:   # noqa: BLE001  (a scheduler already gone: nothing left to close)
                pass


def _first_line(error):
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def threads(client):
    """The threads of the cluster's workers, all told."""
    return sum(worker["nthreads"] for worker in client.scheduler_info()["workers"].values()) or 1


# ---------------------------------------------------------------- the client

def engine(client, job, settings, *, shared_fs=False, limit=None):
    """``engine(tasks, done, fail_fast=…)`` for ``batch.run_batch``: the tasks of ``job`` on the
    cluster of ``client``, ``limit`` inputs in flight (``-j``: also a bound on the inputs held
    here), by default twice the cluster's threads and at least IN_FLIGHT."""
    def run(tasks, done, *, fail_fast=False):
        window = limit or max(2 * threads(client), IN_FLIGHT)
        _Run(client, job, settings, shared_fs, done, fail_fast).run(tasks, window)
    return run


class _Run:
    """One batch on the cluster: reads, submits, collects and writes in the calling thread."""

    def __init__(self, client, job, settings, shared_fs, done, fail_fast):
        self.client, self.settings, self.shared_fs = client, settings, shared_fs
        self.done, self.fail_fast, self.halted = done, fail_fast, False
        # once to each worker, not in every task: the job may hold an image (guided's --guide)
        self.job = client.scatter(job, broadcast=True, hash=False)
        self.remote_settings = replace(settings, say=None, warn=None)   # said here, from the notes
        self.flight = {}        # future → _Flight
        self.where = client.scheduler_info().get("address", "")

    def run(self, tasks, window):
        from distributed import as_completed

        from .workers import signals_held
        waiting = iter(enumerate(tasks))
        self.arrived = as_completed()
        try:
            while len(self.flight) < window and self._submit_next(waiting):
                pass
            for future in self.arrived:
                flight = self.flight.pop(future)
                with signals_held():    # an output written is always reported
                    result = self._collect(future, flight)
                    if result is None:      # sent again
                        continue
                    self._finish(flight.index, result)
                if not self.halted:
                    self._submit_next(waiting)
        except BaseException:
            from . import io
            io.abandon_writes()
            if not self._gone():
                self.client.cancel(list(self.flight), force=True)
            raise

    def _gone(self):
        """Whether the client has lost its scheduler (and closed, after its reconnection attempts)."""
        return self.client.status in ("closing", "closed")

    def _submit_next(self, waiting):
        """Read the next input and send it to the cluster; an input that fails here (unreadable,
        its output existing) is reported at once and the next one taken. False: none left."""
        from . import batch, io
        for index, task in waiting:
            if self.halted:
                return False
            started = time.perf_counter()
            data = None
            if not self.shared_fs:
                read = {}
                result = batch.guarded(task, self.settings, lambda result: read.update(
                    data=io.read_bytes(task.source.path, max_bytes=io.byte_limit(self.settings.max_pixels))))
                if result.status != "ok":
                    self._finish(index, result)
                    continue
                data = read["data"]
            lost = self._send(_Flight(index, task, data, time.perf_counter() - started))
            if lost is None:
                return True
            self._finish(index, lost)
        return False

    def _send(self, flight):
        """Submit ``flight``'s task: its input's bytes scattered to a worker first (shared-nothing).
        A worker that dies as it is sent them only delays it (the scheduler then forgets that worker);
        after ATTEMPTS tries its failure is this input's error. Returns that Result, else None."""
        while True:
            flight.attempts += 1
            if self._gone():
                return _not_run(flight, self.where)
            try:
                future = self._submit(flight)
                break
            except Exception as error:     # noqa: BLE001  (the connection to a worker or the scheduler closed)
                if self._gone():
                    return _not_run(flight, self.where)
                if not isinstance(error, OSError):
                    raise
                if flight.attempts >= ATTEMPTS:
                    return _lost(flight, error)
                time.sleep(RESEND_PAUSE * flight.attempts)
        self.flight[future] = flight
        self.arrived.add(future)
        return None

    def _submit(self, flight):
        if self.shared_fs:
            return self.client.submit(_run_task, flight.task, self.job, self.remote_settings, pure=False,
                                      retries=RETRIES)
        data = flight.data if len(flight.data) <= INLINE_BYTES else self.client.scatter(flight.data, hash=False)
        return self.client.submit(_encode, data, flight.task, self.job, self.remote_settings, pure=False,
                                  retries=RETRIES)

    def _collect(self, future, flight):
        """The Result of a finished future: its output written here (shared-nothing), its notes
        said. None when it was sent again: its input's bytes were lost with a worker (scattered
        data has no lineage for Dask to recompute), and this client still holds them."""
        from . import batch
        task, spent = flight.task, flight.spent
        try:
            answer = future.result()
        except Exception as error:  # noqa: BLE001  (the cluster's failure: a worker lost, and with it the task's input)
            if self._gone():
                return _not_run(flight, self.where)
            if flight.attempts < ATTEMPTS and not self.halted:
                return self._send(flight)
            return _lost(flight, error)
        for kind, message in answer.notes:
            say = self.settings.warn if kind == "warn" else self.settings.say
            if say is not None:
                say(message)
        if self.shared_fs:
            answer.result.ms += spent * 1e3
            return answer.result
        started = time.perf_counter()
        if answer.error is not None:
            result = batch.Result(task.source.path, task.output, "error", error=answer.error)
        else:
            result = batch.guarded(task, self.settings, lambda result: batch.deliver(
                task, answer.encoded, self.settings, result))
        result.ms = (spent + time.perf_counter() - started) * 1e3 + answer.ms
        return result

    def _finish(self, index, result):
        self.done(index, result)
        if self.fail_fast and result.status == "error":
            self.halted = True      # nothing else is sent; those in flight finish and are reported


def _lost(flight, error):
    """The error Result of an input the cluster failed ATTEMPTS times."""
    from .batch import Result
    path = flight.task.source.path
    return Result(path, flight.task.output, "error", ms=flight.spent * 1e3,
                  error=f"{path}: failed on the cluster ({type(error).__name__}: {_first_line(error)})")


def _not_run(flight, where):
    """The error Result of an input left when the client lost its scheduler."""
    from .batch import Result
    path = flight.task.source.path
    return Result(path, flight.task.output, "error", ms=flight.spent * 1e3,
                  error=f"{path}: not run: the scheduler at {where} was lost")


class _Flight:
    """One input on its way through the cluster: its task, its bytes (kept until its output is
    back, so that it can be sent again), the seconds spent on it here, and how often it was sent."""

    def __init__(self, index, task, data, spent):
        self.index, self.task, self.data, self.spent, self.attempts = index, task, data, spent, 0


# ---------------------------------------------------------------- on a worker

class _Answer:
    """What a worker sends back for one input: the encoded output or its error line (shared-nothing),
    or the task's Result (shared_fs), and what was to be said (warnings, notices) and its time."""

    def __init__(self, encoded=None, error=None, result=None, notes=(), ms=0.0):
        self.encoded, self.error, self.result, self.notes, self.ms = encoded, error, result, list(notes), ms


def _encode(data, task, job, settings):
    """One input's bytes to its encoded output, on a worker; never raises for the input's faults."""
    from . import batch
    notes, started = [], time.perf_counter()
    with _worker_threads():
        try:
            encoded = batch.encode_image(data, task, job, _noting(settings, notes))
        except Exception as error:     # noqa: BLE001  (whatever goes wrong with this input is its error)
            return _Answer(error=batch.reason(error, task.source.path), notes=notes,
                           ms=(time.perf_counter() - started) * 1e3)
    return _Answer(encoded=encoded, notes=notes, ms=(time.perf_counter() - started) * 1e3)


def _run_task(task, job, settings):
    """One task, read and written by the worker itself (``--shared-fs``)."""
    from . import batch
    notes = []
    with _worker_threads():
        result = batch.run_task(task, job, _noting(settings, notes))
    return _Answer(result=result, notes=notes)


def _noting(settings, notes):
    """``settings`` whose notices and warnings are kept in ``notes``, for the client to say."""
    return replace(settings, say=lambda message: notes.append(("say", message)),
                   warn=lambda message: notes.append(("warn", message)))


_PROCESS_READY = threading.Lock()
_prepared = []
_ONE_AT_A_TIME = threading.Lock()


@contextmanager
def _worker_threads():
    """Kernel threads for one task on a worker: the cores shared among the worker's threads, as
    ``workers.run_threads`` shares them among ``-j`` threads (Numba's count is per thread,
    OpenCV's per process). With Numba's workqueue layer, which cannot run two parallel kernels at
    once, tasks take turns. The engine's warning rules hold in the worker (``batch.warning_rules``)."""
    from distributed import get_worker

    from .workers import available_cores, set_kernel_threads, usable_jobs
    nthreads = get_worker().state.nthreads
    share = max(1, available_cores() // nthreads)
    with _PROCESS_READY:
        if not _prepared:
            import cv2

            from .batch import warning_rules
            warning_rules()
            cv2.setNumThreads(share)
            _prepared.append(usable_jobs(nthreads) < nthreads)
    set_kernel_threads(share)
    if _prepared[0]:
        with _ONE_AT_A_TIME:
            yield
    else:
        yield
