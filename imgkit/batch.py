"""Inputs → tasks → outputs: globbing, naming, parallel execution and per-file errors.

The engine knows nothing of any particular command: a ``Job`` names a registry operation and
its parameters, and ``run_task`` is the one place an input becomes an output. ``run_batch``
takes its executor as a parameter (any ``concurrent.futures.Executor``), so a distributed
executor can replace the local process pool without touching a command.
"""

import glob
import os
import time
from concurrent.futures import FIRST_COMPLETED, wait
from dataclasses import dataclass, field
from pathlib import Path

STDIO = "-"
IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".jpe", ".tif", ".tiff", ".webp", ".bmp",
                              ".dib", ".pbm", ".pgm", ".ppm", ".pnm"})
_GLOB_MAGIC = set("*?[")


class UsageError(Exception):
    """A mistake in the command line: nothing is run, exit code 2."""


@dataclass(frozen=True, order=True)
class Source:
    """One input: its path (``-`` for stdin), the relative path its output mirrors, and
    whether the user named it (rather than a directory or glob that found it)."""
    path: str
    relative: str
    named: bool = False


@dataclass(frozen=True)
class Task:
    source: Source
    output: str          # a file path, or "-" for stdout
    fmt: str             # encoding of the output


@dataclass(frozen=True)
class Job:
    """What to do with each image: a registry operation, its parameters and the backend.

    ``normalize`` says how a real-valued result reaches an 8-bit format (see ``to_8bit``).
    """
    op: str
    params: dict = field(default_factory=dict)
    backend: str = "numba"
    normalize: bool = False


@dataclass(frozen=True)
class Settings:
    """How inputs are read and outputs written, the same for every task of a batch."""
    gray: bool = False
    max_pixels: int = 10**8
    overwrite: bool = False
    skip_existing: bool = False
    quality: int | None = None


@dataclass
class Result:
    input: str
    output: str
    status: str                  # "ok", "error" or "skipped"
    ms: float = 0.0
    error: str | None = None
    data: bytes | None = None    # the encoded image, only for stdout

    def record(self):
        """The JSON object ``--json`` prints for this input."""
        return {"input": self.input, "output": self.output, "status": self.status,
                "ms": round(self.ms, 3), "error": self.error}


# ---------------------------------------------------------------- inputs

def expand_inputs(patterns, recursive=False):
    """Files named by ``patterns`` (files, directories, globs, ``-``), de-duplicated and sorted."""
    found = {}
    for pattern in patterns:
        for source in _expand_one(pattern, recursive):
            key = source.path if source.path == STDIO else os.path.realpath(source.path)
            found.setdefault(key, source)
    if sum(source.path == STDIO for source in found.values()) and len(found) > 1:
        raise UsageError("'-' (stdin) cannot be combined with other inputs")
    return sorted(found.values())


def _expand_one(pattern, recursive):
    if pattern == STDIO:
        return [Source(STDIO, "stdin.png", named=True)]
    if _GLOB_MAGIC & set(pattern):
        prefix = _fixed_prefix(pattern)
        matches = [m for m in glob.glob(pattern, recursive=True) if os.path.isfile(m) and _is_image_name(m)]
        if not matches:
            raise UsageError(f"no images match {pattern!r}")
        return [Source(m, os.path.relpath(m, prefix)) for m in matches]
    if os.path.isdir(pattern):
        files = _directory_images(pattern, recursive)
        if not files:
            raise UsageError(f"no images in directory {pattern!r}" + ("" if recursive else " (use -r to descend)"))
        return [Source(f, os.path.relpath(f, pattern)) for f in files]
    # A named file is decoded by its content whatever its name; a missing one fails on its own.
    return [Source(pattern, os.path.basename(pattern), named=True)]


def _fixed_prefix(pattern):
    parts = Path(pattern).parts
    fixed = []
    for part in parts[:-1]:
        if _GLOB_MAGIC & set(part):
            break
        fixed.append(part)
    return os.path.join(*fixed) if fixed else "."


def _directory_images(directory, recursive):
    if recursive:
        walk = ((root, names) for root, _dirs, names in os.walk(directory))
    else:
        walk = [(directory, [n for n in os.listdir(directory) if os.path.isfile(os.path.join(directory, n))])]
    return [os.path.join(root, n) for root, names in walk for n in names if _is_image_name(n)]


def _is_image_name(path):
    return os.path.splitext(path)[1].lower() in IMAGE_EXTENSIONS


# ---------------------------------------------------------------- outputs

def plan_outputs(sources, output, *, suffix="", fmt=None):
    """One ``Task`` per source. ``output``: None (beside each input), a file, a directory or ``-``.

    ``output`` is a file only for one input the user named; inputs found through a directory
    or glob always go into a directory, however many there are.

    Raises UsageError where outputs would collide or the target does not fit the inputs.
    """
    from .io import format_for
    if output == STDIO:
        if len(sources) > 1:
            raise UsageError("-o - (stdout) takes a single input")
        return [Task(sources[0], STDIO, fmt or "png")]
    single_file = (output is not None and len(sources) == 1 and sources[0].named
                   and not output.endswith(("/", os.sep)) and not os.path.isdir(output))
    if single_file:
        out_fmt = format_for(output)
        if fmt and fmt != out_fmt:
            raise UsageError(f"--format {fmt} does not match the output name {output!r}")
        return [Task(sources[0], output, out_fmt)]
    if output is not None and len(sources) > 1 and os.path.isfile(output):
        raise UsageError(f"-o {output!r} is a file, but there are {len(sources)} inputs: give a directory")
    tasks = []
    for source in sources:
        out_fmt = fmt or _format_of_input(source)
        name = _output_name(source.relative, suffix, out_fmt)
        if output is None:
            target = STDIO if source.path == STDIO else os.path.join(os.path.dirname(source.path), name)
        else:
            target = os.path.join(output, name)
        tasks.append(Task(source, target, out_fmt))
    _refuse_collisions(tasks)
    return tasks


def _format_of_input(source):
    from .io import format_for
    try:
        return format_for(source.relative)
    except ValueError:
        return "png"


def _output_name(relative, suffix, fmt):
    from .io import FORMATS
    stem, ext = os.path.splitext(relative)
    keeps_ext = ext and FORMATS.get(ext.lower().lstrip(".")) == fmt
    return stem + suffix + (ext if keeps_ext else "." + fmt)


def _refuse_collisions(tasks):
    seen = {}
    for task in tasks:
        if task.output == STDIO:
            continue
        key = os.path.realpath(task.output)
        if key in seen:
            raise UsageError(f"{seen[key]} and {task.source.path} would both be written to {task.output}")
        seen[key] = task.source.path


# ---------------------------------------------------------------- one task

def run_task(task, job, settings):
    """Read, process, encode and atomically write one input; every failure becomes a Result."""
    from . import io
    start = time.perf_counter()
    source = task.source
    result = Result(source.path, task.output, "ok")
    try:
        if task.output != STDIO and os.path.lexists(task.output):
            if _same_file(task.output, source.path):
                raise io.ImageError(source.path, f"output {task.output} is the input itself; refusing to overwrite it")
            if settings.skip_existing:
                result.status = "skipped"
                return result
            if not settings.overwrite:
                raise io.ImageError(task.output, "output exists (use --overwrite or --skip-existing)")
        image = io.decode(io.read_bytes(source.path), name=source.path, gray=settings.gray,
                          max_pixels=settings.max_pixels)
        pixels = apply(job, image)
        if pixels.dtype.kind == "f" and task.fmt not in io.FLOAT_FORMATS:
            pixels = to_8bit(pixels, job.normalize)
        encoded = io.encode(pixels, task.fmt, quality=settings.quality)
        if task.output == STDIO:
            result.data = encoded
        else:
            io.write_atomic(task.output, encoded, overwrite=settings.overwrite)
    except (ValueError, TypeError, OSError) as error:   # io.ImageError is a ValueError
        result.status, result.error = "error", _reason(error, source.path)
    result.ms = (time.perf_counter() - start) * 1e3
    return result


def apply(job, image):
    """Run ``job`` on one decoded image, premultiplying alpha where the operation filters it."""
    from . import registry
    from .alpha import premultiplied
    op = registry.get(job.op)
    function = op.function

    def run(planes):
        return function(planes, **job.params, backend=job.backend)
    if op.premultiply and image.ndim == 3 and image.shape[2] == 4:
        return premultiplied(run, image)
    return run(image)


def to_8bit(values, normalize=False):
    """A real-valued result as uint8 for formats that cannot hold floats.

    Default: ``|v|`` rounded and saturated to 0–255, as ``cv2.convertScaleAbs``. ``normalize``:
    min–max stretched to 0–255 (a constant image gives 0).
    """
    import numpy as np
    if normalize:
        low, high = float(values.min()), float(values.max())
        scale = 255.0 / (high - low) if high > low else 0.0
        return np.rint((values - low) * scale).astype(np.uint8)
    return np.clip(np.rint(np.abs(values)), 0, 255).astype(np.uint8)


def _same_file(a, b):
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _reason(error, path):
    from .io import ImageError
    if isinstance(error, ImageError):
        return str(error)
    if isinstance(error, OSError):
        return f"{path}: {error.strerror or error}"
    return f"{path}: {error}"


# ---------------------------------------------------------------- many tasks

def run_batch(tasks, job, settings, *, executor=None, on_result=lambda result: None, fail_fast=False):
    """Run every task, calling ``on_result`` as each finishes; returns the results in task order.

    Without an executor the tasks run here, one after the other (Numba kernels then use every
    core). With one, they are submitted to it; ``fail_fast`` cancels what has not started at
    the first error. A KeyboardInterrupt propagates after pending tasks are cancelled: finished
    outputs are complete and no partial file is left (writes are atomic).
    """
    results = {}
    if executor is None:
        for index, task in enumerate(tasks):
            results[index] = run_task(task, job, settings)
            on_result(results[index])
            if fail_fast and results[index].status == "error":
                break
        return [results[i] for i in sorted(results)]
    pending = {executor.submit(run_task, task, job, settings): index for index, task in enumerate(tasks)}
    try:
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                index = pending.pop(future)
                results[index] = future.result()
                on_result(results[index])
                if fail_fast and results[index].status == "error":
                    _cancel(pending)
                    pending = {}
                    break
    except BaseException:
        _cancel(pending)
        raise
    return [results[i] for i in sorted(results)]


def _cancel(futures):
    for future in futures:
        future.cancel()


def local_pool(jobs):
    """A process pool of ``jobs`` workers whose Numba and OpenCV threads share the cores between them."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    threads = max(1, available_cores() // jobs)
    # spawn, not fork: the parent may already run Numba's and OpenCV's thread pools.
    return ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_init_worker, initargs=(threads,))


def _init_worker(threads):
    import signal
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and cancels the rest
    set_threads(threads)


def set_threads(threads):
    import cv2
    import numba
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    cv2.setNumThreads(threads)


def available_cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1
