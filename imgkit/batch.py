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

def expand_inputs(patterns, recursive=False, extensions=IMAGE_EXTENSIONS):
    """Files named by ``patterns`` (files, directories, globs, ``-``), de-duplicated and sorted.
    Directories and globs yield the files with one of ``extensions`` (images by default)."""
    found = {}
    for pattern in patterns:
        for source in _expand_one(pattern, recursive, extensions):
            key = source.path if source.path == STDIO else os.path.realpath(source.path)
            found.setdefault(key, source)
    if sum(source.path == STDIO for source in found.values()) and len(found) > 1:
        raise UsageError("'-' (stdin) cannot be combined with other inputs")
    return sorted(found.values())


def _expand_one(pattern, recursive, extensions=IMAGE_EXTENSIONS):
    noun = "images" if extensions is IMAGE_EXTENSIONS else f"{'/'.join(sorted(extensions))} files"
    if pattern == STDIO:
        return [Source(STDIO, "stdin.png", named=True)]
    if _GLOB_MAGIC & set(pattern):
        prefix = _fixed_prefix(pattern)
        matches = [m for m in glob.glob(pattern, recursive=True)
                   if os.path.isfile(m) and _has_extension(m, extensions)]
        if not matches:
            raise UsageError(f"no {noun} match {pattern!r}")
        return [Source(m, os.path.relpath(m, prefix)) for m in matches]
    if os.path.isdir(pattern):
        files = _directory_files(pattern, recursive, extensions)
        if not files:
            raise UsageError(f"no {noun} in directory {pattern!r}" + ("" if recursive else " (use -r to descend)"))
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


def _directory_files(directory, recursive, extensions):
    if recursive:
        walk = ((root, names) for root, _dirs, names in os.walk(directory))
    else:
        walk = [(directory, [n for n in os.listdir(directory) if os.path.isfile(os.path.join(directory, n))])]
    return [os.path.join(root, n) for root, names in walk for n in names if _has_extension(n, extensions)]


def _has_extension(path, extensions):
    return os.path.splitext(path)[1].lower() in extensions


# ---------------------------------------------------------------- outputs

def plan_outputs(sources, output, *, suffix="", fmt=None, default_fmt=None, formats=None):
    """One ``Task`` per source. ``output``: None (beside each input), a file, a directory or ``-``.

    The encoding: ``fmt``, else the output file's extension, else ``default_fmt``, else the
    input's (png for stdin and stdout). ``formats`` maps extensions to encodings for files that
    are not images (``nms``'s box files; an input of another extension gives None: its own).

    ``output`` is a file only for one input the user named; inputs found through a directory
    or glob always go into a directory, however many there are.

    Raises UsageError where outputs would collide or the target does not fit the inputs.
    """
    if output == STDIO:
        if len(sources) > 1:
            raise UsageError("-o - (stdout) takes a single input")
        return [Task(sources[0], STDIO, fmt or default_fmt or "png")]
    if output is not None and output.lower().endswith(".npz") and not os.path.isdir(output):
        return _archive_tasks(sources, output, fmt)
    single_file = (output is not None and len(sources) == 1 and sources[0].named
                   and not output.endswith(("/", os.sep)) and not os.path.isdir(output))
    if single_file:
        out_fmt = _format_for(output, formats)
        if fmt and fmt != out_fmt:
            raise UsageError(f"--format {fmt} does not match the output name {output!r}")
        return [Task(sources[0], output, out_fmt)]
    if output is not None and len(sources) > 1 and os.path.isfile(output):
        raise UsageError(f"-o {output!r} is a file, but there are {len(sources)} inputs: give a directory")
    tasks = []
    for source in sources:
        out_fmt = fmt or default_fmt or _format_of_input(source, formats)
        name = _output_name(source.relative, suffix, out_fmt, formats)
        if output is None:
            target = STDIO if source.path == STDIO else os.path.join(os.path.dirname(source.path), name)
        else:
            target = os.path.join(output, name)
        tasks.append(Task(source, target, out_fmt))
    _refuse_collisions(tasks)
    return tasks


def _archive_tasks(sources, output, fmt):
    """``-o NAME.npz``: every result becomes one array of that archive, keyed by its input's
    relative path; ``run_batch`` writes the archive once, when the batch is done."""
    from .io import ARCHIVE
    if fmt not in (None, "npy"):
        raise UsageError(f"-o {output!r} gathers the results as npy arrays in one archive; --format {fmt} does not apply")
    keys = {}
    for source in sources:
        if source.relative in keys:
            raise UsageError(f"{keys[source.relative]} and {source.path} would both be {source.relative!r} in {output}")
        keys[source.relative] = source.path
    return [Task(source, output, ARCHIVE) for source in sources]


def _format_for(path, formats):
    if formats is None:
        from .io import format_for
        return format_for(path)
    extension = os.path.splitext(path)[1].lower().lstrip(".")
    if extension not in formats:
        raise ValueError(f"{path}: unknown extension .{extension}; use one of {', '.join('.' + e for e in formats)}")
    return formats[extension]


def _format_of_input(source, formats=None):
    try:
        return _format_for(source.relative, formats)
    except ValueError:
        return "png" if formats is None else None


def _output_name(relative, suffix, fmt, formats=None):
    from .io import FORMATS
    stem, ext = os.path.splitext(relative)
    keeps_ext = ext and (fmt is None or (formats or FORMATS).get(ext.lower().lstrip(".")) == fmt)
    new_ext = next((e for e, f in (formats or FORMATS).items() if f == fmt), fmt) if formats else fmt
    return stem + suffix + (ext if keeps_ext else "." + new_ext)


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
        if skip_output(task, settings):
            result.status = "skipped"
            return result
        image = io.decode(io.read_bytes(source.path), name=source.path, gray=settings.gray,
                          max_pixels=settings.max_pixels)
        pixels = apply(job, image)
        if pixels.dtype.kind == "f" and task.fmt not in io.FLOAT_FORMATS:
            pixels = to_8bit(pixels, job.normalize)
        encoded = io.encode(pixels, "npy" if task.fmt == io.ARCHIVE else task.fmt, quality=settings.quality)
        if task.output == STDIO or task.fmt == io.ARCHIVE:     # an archive entry waits for the batch's end
            result.data = encoded
        else:
            io.write_atomic(task.output, encoded, overwrite=settings.overwrite)
    except (ValueError, TypeError, OSError) as error:   # io.ImageError is a ValueError
        result.status, result.error = "error", _reason(error, source.path)
    result.ms = (time.perf_counter() - start) * 1e3
    return result


def skip_output(task, settings):
    """Whether ``task`` is to be skipped (its output exists and ``--skip-existing``). Raises
    ImageError where writing would overwrite the input, or an existing output without ``--overwrite``."""
    from .io import ImageError
    if task.output == STDIO or not os.path.lexists(task.output):
        return False
    if _same_file(task.output, task.source.path):
        raise ImageError(task.source.path, f"output {task.output} is the input itself; refusing to overwrite it")
    if settings.skip_existing:
        return True
    if not settings.overwrite:
        raise ImageError(task.output, "output exists (use --overwrite or --skip-existing)")
    return False


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
        return _finish(tasks, results, settings)
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
    return _finish(tasks, results, settings)


def _finish(tasks, results, settings):
    """The results in task order, once the archive their ``.npz`` entries make (if any) is
    written: atomically, with the entries that succeeded. A failed write fails those entries."""
    from . import io
    entries = {index: result for index, result in results.items()
               if tasks[index].fmt == io.ARCHIVE and result.data is not None}
    if entries:
        output = tasks[next(iter(entries))].output
        try:
            io.write_atomic(output, io.encode_archive({tasks[i].source.relative: r.data for i, r in entries.items()}),
                            overwrite=settings.overwrite)
        except (ValueError, OSError) as error:
            for result in entries.values():
                result.status, result.error = "error", _reason(error, output)
        for result in entries.values():
            result.data = None      # written to the archive, not to stdout
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
