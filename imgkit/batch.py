"""Inputs → tasks → outputs: naming and checking outputs, running tasks, per-file errors.

The engine knows nothing of any particular command: a ``Job`` names a registry operation and
its parameters, and ``run_task`` is the one place an input becomes an output. ``run_batch``
runs the tasks on threads of this process (``workers``).
"""

import os
import time
from dataclasses import dataclass, field, replace

from .inputs import STDIO, Source, UsageError, file_identity
from .limits import DEFAULT_MAX_PIXELS


@dataclass(frozen=True)
class Task:
    source: Source
    output: str          # a file path, or "-" for stdout
    fmt: str             # encoding of the output


@dataclass(frozen=True)
class Job:
    """What to do with each image: a registry operation, its parameters and the backend.

    ``normalize`` says how a real-valued result reaches an 8-bit format (see ``to_8bit``; None:
    the command has no say, as ``registry.Step``).
    """
    op: str
    params: dict = field(default_factory=dict)
    backend: str = "numba"
    normalize: bool | None = False
    reads: tuple = ()       # files read besides the inputs (``guided --guide``): never an output


@dataclass(frozen=True)
class Chain:
    """Jobs run in turn on each image, decoded once and encoded once (``imgkit run``): each job's
    output is the next one's input, as its operation returns it."""
    jobs: tuple
    backend: str = "numba"
    names: tuple = ()       # how an error calls each stage (its command: "stage 2 (guided): …")
    pipeline_file: str | None = None    # ``imgkit run @FILE``: read by the run, never an output

    @property
    def normalize(self):
        """The last stage's say on reaching 8 bits, or the last say before it (``fft spectrum |
        resize`` is stretched as the spectrum is)."""
        return next((job.normalize for job in reversed(self.jobs) if job.normalize is not None), False)

    @property
    def reads(self):
        own = (self.pipeline_file,) if self.pipeline_file else ()
        return tuple(path for job in self.jobs for path in job.reads) + own


def steps(job):
    """The jobs ``job`` runs, in order: itself, or a chain's."""
    return getattr(job, "jobs", (job,))


@dataclass(frozen=True)
class Settings:
    """How inputs are read and outputs written, the same for every task of a batch."""
    gray: bool = False
    max_pixels: int = DEFAULT_MAX_PIXELS
    overwrite: bool = False
    skip_existing: bool = False
    quality: int | None = None
    strip: bool = False             # --strip: no metadata is carried to the outputs
    shrink_on_load: bool = False    # --shrink-on-load: a JPEG decoded smaller where the first operation allows
    say: object = None              # say(message): a notice on stderr (metadata not kept)
    depth: str | None = None     # --depth: the pixel type results are converted to (``depth.convert``)
    warn: object = None          # warn(message): said once per run (``cli.encoding.Warnings``)


@dataclass
class Result:
    input: str
    output: str
    status: str                  # "ok", "error" or "skipped"
    ms: float = 0.0
    error: str | None = None
    data: bytes | None = None    # the encoded array, only for an .npz archive's entry

    def record(self):
        """The JSON object ``--json`` prints for this input."""
        return {"input": self.input, "output": self.output, "status": self.status,
                "ms": round(self.ms, 3), "error": self.error}


# ---------------------------------------------------------------- outputs

def plan_outputs(sources, output, *, suffix="", fmt=None, default_fmt=None, formats=None, reads=()):
    """One ``Task`` per source. ``output``: None (beside each input), a file, a directory or ``-``.

    The encoding: ``fmt``, else the output file's extension, else ``default_fmt``, else the
    input's (png for stdin and stdout). ``formats`` maps extensions to encodings for files that
    are not images (``nms``'s box files; an input of another extension gives None: its own).

    ``output`` is a file only for one input the user named; inputs found through a directory
    or glob always go into a directory, however many there are.

    Raises UsageError where outputs would collide, leave their directory (``--suffix`` or a
    glob with ``..`` or ``/``), or land on a file the run reads: an input or one of ``reads``.
    """
    if output == "":    # it wrote into the current directory, as if -o . had been given
        raise UsageError("-o '' names nothing: give a file, a directory, or - for stdout")
    if os.sep in suffix or (os.altsep and os.altsep in suffix) or "\0" in suffix:
        raise UsageError(f"--suffix {suffix!r} would put outputs in another directory: it cannot hold '/'")
    if output == STDIO:
        if len(sources) > 1:
            raise UsageError("-o - (stdout) takes a single input")
        return [Task(sources[0], STDIO, fmt or default_fmt or "png")]
    if output is not None and output.lower().endswith(".npz") and not os.path.isdir(output):
        tasks = _archive_tasks(sources, output, fmt)
    elif (output is not None and len(sources) == 1 and sources[0].named
          and not output.endswith(("/", os.sep)) and not os.path.isdir(output)):
        out_fmt = fmt if fmt and not os.path.splitext(output)[1] else _format_for(output, formats)   # -o out --format X
        if fmt and fmt != out_fmt:
            raise UsageError(f"--format {fmt} does not match the output name {output!r}")
        tasks = [Task(sources[0], output, out_fmt)]
    else:
        if output is not None and len(sources) > 1 and os.path.isfile(output):
            raise UsageError(f"-o {output!r} is a file, but there are {len(sources)} inputs: give a directory")
        refuse_file_name(output, sources, formats)
        tasks = _without_own_outputs([_task_in_directory(source, output, suffix, fmt or default_fmt, formats)
                                      for source in sources])
    refuse_unsafe(tasks, reads)
    return tasks


def _without_own_outputs(tasks):
    """``tasks`` less those whose input a walk or glob found and that is another task's output
    (``photo_blur.png`` beside ``photo.png``), so that a re-run finds the inputs of the first run
    and ``--skip-existing``/``--overwrite`` apply; a named input is always kept."""
    outputs = {os.path.realpath(task.output) for task in tasks if task.output != STDIO}
    return [task for task in tasks if task.source.named or task.source.path == STDIO
            or os.path.realpath(task.source.path) not in outputs
            or os.path.realpath(task.source.path) == os.path.realpath(task.output)]


def refuse_file_name(output, sources, formats=None):
    """Raise UsageError where inputs that go into a directory meet ``-o`` naming a file that does
    not exist and has the extension of a format imgkit writes (``out/x.png``): it would become a
    directory named ``x.png``."""
    from .io import TABLE_FORMATS
    from .options import FORMATS
    if output is None or output.endswith(("/", os.sep)) or os.path.lexists(output):
        return
    extension = os.path.splitext(output)[1].lower().lstrip(".")
    if extension in set(formats or FORMATS) | set(TABLE_FORMATS):
        count = f"{len(sources)} inputs" if len(sources) > 1 else "an input found through a directory or glob"
        raise UsageError(f"-o {output!r}: {os.path.basename(output)!r} looks like a file name, but there are {count}: "
                         "give a directory (a path ending in '/' is one)")


def _task_in_directory(source, output, suffix, fmt, formats):
    """``source``'s output in ``output`` (its relative path mirrored) or, without one, beside it."""
    out_fmt = fmt or _format_of_input(source, formats)
    name = _output_name(source.relative, suffix, out_fmt, formats)
    if output is None:
        if source.path == STDIO:
            return Task(source, STDIO, out_fmt)
        target, home = os.path.join(os.path.dirname(source.path), os.path.basename(name)), os.path.dirname(source.path)
    else:
        target, home = os.path.join(output, name), output
    if not _inside(target, home):
        where = f"-o {output}" if output is not None else f"the directory of {source.path}"
        raise UsageError(f"{source.path}: its output {target} would fall outside {where}")
    return Task(source, target, out_fmt)


def _inside(path, directory):
    """Whether ``path`` resolves to a place under ``directory`` (symbolic links followed)."""
    real, home = os.path.realpath(path), os.path.realpath(directory or ".")
    return os.path.commonpath([real, home]) == home and real != home


def refuse_unsafe(tasks, reads=()):
    """Raise UsageError, before anything runs, where two tasks share an output or an output is a
    file the run reads (an input, or one of ``reads``: a guide, a picture to draw on), whether by
    its path, a symbolic link or a hard link, with or without ``--overwrite``."""
    if STDIO in reads and any(task.source.path == STDIO for task in tasks):
        raise UsageError("stdin ('-') can be read once: it cannot be both an input and another file the run reads")
    read = {}
    for path in [task.source.path for task in tasks] + [path for path in reads if path]:
        if path != STDIO:
            for key in _file_keys(path):
                read.setdefault(key, path)
    from .io import ARCHIVE
    seen = {}
    for task in tasks:
        if task.output == STDIO:
            continue
        keys = _file_keys(task.output)
        clash = next((read[key] for key in keys if key in read), None)
        if clash is not None:
            raise UsageError(f"{task.source.path}: its output {task.output} is {clash}, a file this run reads: "
                             "refusing to write over it")
        key = (keys[0], task.source.relative) if task.fmt == ARCHIVE else keys[0]   # an archive holds many
        if key in seen:
            raise UsageError(f"{seen[key]} and {task.source.path} would both be written to {task.output}"
                             + (f" as {task.source.relative!r}" if task.fmt == ARCHIVE else ""))
        seen[key] = task.source.path


def _file_keys(path):
    """What identifies the file at ``path``: its resolved path and, if it exists, its device and inode."""
    identity = file_identity(path)
    return [os.path.realpath(path)] + ([identity] if identity else [])


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
    """``relative`` with ``suffix`` added to its stem and the extension of ``fmt``; a file that is
    not an image keeps its own extension, or none, when ``fmt`` is None (its own format)."""
    from .options import FORMATS
    stem, ext = os.path.splitext(relative)
    if fmt is None:
        return stem + suffix + ext
    keeps_ext = ext and (formats or FORMATS).get(ext.lower().lstrip(".")) == fmt
    new_ext = next((e for e, f in (formats or FORMATS).items() if f == fmt), fmt) if formats else fmt
    return stem + suffix + (ext if keeps_ext else "." + new_ext)


# ---------------------------------------------------------------- one task

def run_task(task, job, settings):
    """Read, process, encode and atomically write one input; every failure becomes a Result."""
    from . import io
    return guarded(task, settings, lambda result: _process_image(task, job, settings, result, io))


def _process_image(task, job, settings, result, io):
    data = io.read_bytes(task.source.path, max_bytes=io.byte_limit(settings.max_pixels))
    deliver(task, encode_image(data, task, job, settings), settings, result)


def encode_image(data, task, job, settings):
    """The encoded output of one input's bytes: decoded, ``job`` applied, converted for its
    format, encoded with its metadata. It touches no file, so it can run where the bytes were
    sent (``cluster``: a worker with no view of the client's disk)."""
    from . import io
    image, job = _decode(data, task, job, settings, io)
    pixels = apply(job, image)
    if settings.depth is not None:
        from .depth import convert
        pixels = convert(pixels, settings.depth, job.normalize)
    elif pixels.dtype.kind == "f" and task.fmt not in io.FLOAT_FORMATS:
        pixels = to_8bit(pixels, job.normalize)
    if settings.warn is not None and pixels.ndim == 3 and pixels.shape[2] == 4 and task.fmt in io.NO_ALPHA:
        settings.warn(f"{task.fmt} has no alpha channel: the 4th channel of the results is dropped")
    return io.encode(pixels, "npy" if task.fmt == io.ARCHIVE else task.fmt, quality=settings.quality,
                     metadata=_metadata(data, task, settings))


def deliver(task, encoded, settings, result):
    """Put one encoded output where ``task`` says: written atomically (never over an existing
    file without ``--overwrite``), or kept in ``result`` for an ``.npz`` archive's entry, which
    waits for the batch's end."""
    from . import io
    if task.fmt == io.ARCHIVE:
        result.data = encoded
    else:
        io.write_output(task.output, encoded, overwrite=settings.overwrite)


def _decode(data, task, job, settings, io):
    """The input decoded, and the job to run on it. With ``--shrink-on-load``, a JPEG is decoded
    at 1/2, 1/4 or 1/8 of its size where the first operation declares ``reduce`` and its
    parameters allow it, whichever way EXIF turns the image (a reduction after which the turn
    could not be told from the size is not made); that operation then gets the parameters for
    the smaller image."""
    from . import headers, registry
    first = steps(job)[0]
    reduce = registry.get(first.op).reduce if settings.shrink_on_load else None
    size = io.image_size(data) if reduce and headers.sniff(data) == "JPEG" else None
    factor = 1
    if size:
        width, height = size
        try:
            factor = min(reduce(first.params, size)[0], reduce(first.params, (height, width))[0])
        except ValueError:      # no output for this size: the operation says so, after the decode's own checks
            factor = 1
        while factor > 1 and width != height and -(-width // factor) == -(-height // factor):
            factor //= 2
    image = io.decode(data, name=task.source.path, gray=settings.gray, max_pixels=settings.max_pixels,
                      reduce=factor)
    if factor == 1:
        return image, job
    turned = image.shape[:2] != (-(-height // factor), -(-width // factor))
    params = reduce(first.params, (height, width) if turned else size)[1]
    if hasattr(job, "jobs"):
        return image, replace(job, jobs=(replace(first, params=params),) + job.jobs[1:])
    return image, replace(job, params=params)


def _metadata(data, task, settings):
    """The input's metadata for its output (``metadata.read``): none with ``--strip`` or for a
    format that holds none; one that cannot be read or is too large is left out, with a notice."""
    from . import headers, metadata
    if settings.strip or task.fmt not in metadata.KEEPS:
        return None
    try:
        return metadata.read(data, headers.sniff(data))
    except metadata.MetadataError as error:
        if settings.say is not None:
            settings.say(f"{task.source.path}: {error}")
        return None


def guarded(task, settings, process):
    """The Result of ``process(result)`` for ``task``: skipped where its output exists and
    ``--skip-existing`` says so, and an error (never an exception) whatever goes wrong with
    this input: a bad file, a refused size, a failed write, a kernel's own error, no memory."""
    started = time.perf_counter()
    result = Result(task.source.path, task.output, "ok")
    try:
        if skip_output(task, settings):
            result.status = "skipped"
        else:
            process(result)
    except Exception as error:   # noqa: BLE001  (one input's failure, whatever it is, is that input's error)
        result.status, result.error, result.data = "error", reason(error, task.source.path), None
    result.ms = (time.perf_counter() - started) * 1e3
    return result


def skip_output(task, settings):
    """Whether ``task`` is to be skipped (its output exists and ``--skip-existing``). Raises
    ImageError for an existing output without ``--overwrite``."""
    from .io import ImageError
    if task.output == STDIO or not os.path.lexists(task.output):
        return False
    if settings.skip_existing:
        return True
    if not settings.overwrite:
        raise ImageError(task.output, "output exists (use --overwrite or --skip-existing)")
    return False


def apply(job, image):
    """Run ``job`` (or each job of a chain, in turn, with the chain's backend) on one decoded image,
    premultiplying alpha around each operation that filters it. An error of a chain's later stage
    names the stage (``chain.run_steps``)."""
    from .chain import run_steps
    return run_steps(steps(job), image, job.backend, apply=apply_step, names=getattr(job, "names", None))


def apply_step(job, image, backend):
    """One job's operation on ``image`` with ``backend``, alpha premultiplied where it filters it."""
    from . import registry
    from .alpha import premultiplied
    from .kernels import own_numba
    own_numba()     # the engine's process is imgkit's (the command line, its workers)
    op = registry.get(job.op)

    def run(planes):
        return op.function(planes, **job.params, backend=backend)
    if op.premultiply and image.ndim == 3 and image.shape[2] == 4:
        return premultiplied(run, image)
    return run(image)


def to_8bit(values, normalize=False):
    """A real-valued result as uint8 for formats that cannot hold floats.

    Default: ``|v|`` rounded and saturated to 0–255, as ``cv2.convertScaleAbs``. ``normalize``:
    min–max stretched to 0–255 (a constant image gives 0).
    """
    import numpy as np

    from .depth import from_float
    return from_float(values, np.uint8, normalize)


def reason(error, path):
    """One line for a person: ``<path>: <reason>``."""
    from .io import ImageError
    if isinstance(error, ImageError):
        return str(error)
    if isinstance(error, MemoryError):
        return f"{path}: out of memory"
    if isinstance(error, OSError):
        return f"{path}: {(error.strerror or str(error)).lower()}"
    if isinstance(error, (ValueError, TypeError)):
        return f"{path}: {_first_line(error)}"
    return f"{path}: failed ({type(error).__name__}: {_first_line(error)})"


def _first_line(error, limit=300):
    text = (str(error).strip().splitlines() or [""])[0]
    return text if len(text) <= limit else text[:limit - 1] + "…"


# ---------------------------------------------------------------- many tasks

def run_batch(tasks, work, settings, *, jobs=1, on_result=lambda result: None, fail_fast=False, engine=None):
    """Run ``work(task) -> Result`` on every task, ``jobs`` at once on threads of this process
    (``workers.run_threads``), calling ``on_result`` as each is done; returns the results in
    task order. ``engine(tasks, done, fail_fast=…)`` runs them elsewhere instead (``cluster``:
    on a Dask cluster), calling ``done(index, result)`` in this thread as ``run_threads`` does.

    ``fail_fast`` stops at the first error: no other task starts, those running finish and are
    reported. Entries of an ``.npz`` archive are reported once the archive is written, so that
    every ``ok`` is on disk. A KeyboardInterrupt (Ctrl-C, SIGTERM) starts no other task,
    forbids any further output, reports every task whose output was put in place meanwhile,
    and propagates; finished outputs are complete and none is partial.
    """
    from .io import ARCHIVE
    from .workers import run_threads
    results, archived = {}, []

    def done(index, result):
        results[index] = result
        if tasks[index].fmt == ARCHIVE and result.status == "ok":
            archived.append(index)      # reported once the archive is on disk
        else:
            on_result(result)

    import warnings
    with warnings.catch_warnings():     # process-wide (not thread-safe): set once, around the threads
        warning_rules()
        if engine is None:
            run_threads(tasks, work, jobs, done, fail_fast=fail_fast)
        else:
            engine(tasks, done, fail_fast=fail_fast)
    _write_archive(tasks, results, archived, settings)
    for index in archived:
        on_result(results[index])
    return [results[i] for i in sorted(results)]


def warning_rules():
    """How the engine treats warnings while it runs tasks: numpy's overflow notes are ignored
    (the result says it), and Pillow's "Corrupt EXIF data" is an error, which ``metadata.read``
    turns into one line refusing that metadata instead of Pillow's two lines on stderr."""
    import warnings
    warnings.simplefilter("ignore", RuntimeWarning)
    warnings.filterwarnings("error", category=UserWarning, module="PIL")


def _write_archive(tasks, results, archived, settings):
    """Write the ``.npz`` archive the ok entries make, atomically, once; a failed write fails them."""
    from . import io
    if not archived:
        return
    output = tasks[archived[0]].output
    try:
        io.write_atomic(output, io.encode_archive({tasks[i].source.relative: results[i].data for i in archived}),
                        overwrite=settings.overwrite)
    except Exception as error:   # noqa: BLE001  (the archive's entries fail with it)
        for index in archived:
            results[index].status, results[index].error = "error", reason(error, output)
    for index in archived:
        results[index].data = None      # written to the archive, not to stdout
