"""Images larger than memory: a job run on bands of rows, on Dask, into a tiled BigTIFF.

The image is read a band of rows at a time (``tiles_io``: a TIFF lazily through its zarr view),
each band extended by the job's *halo* (the rows above and below that a result row reads, as
each operation declares it: ``registry.Operation.halo``), processed by the same function as the
whole image (``batch.apply``) and trimmed: the overlap scheme of ``dask.array.map_overlap`` with
``boundary="none"``, run by hand over full-width bands. A band that reaches the image's top or
bottom stops there, so the operation sees the real edge and its border rule applies exactly as
on the whole image (``wrap`` borders: the band is extended by the rows of the other side); the
left and right edges are always the image's own. The result is therefore identical to the
in-memory one (``tests/test_tiles.py``), with Canny's hysteresis, which crosses bands, resolved
over the whole image (``tiles_canny``).

The bands run on a ``distributed.Client`` when one is given (the client reads the bands and
scatters them, gathers the results in order and writes the output: no shared file system is
assumed; ``shared_fs``: workers read their bands from the path themselves, and the client still
writes the output: a BigTIFF has one writer), else on dask's local threaded scheduler, a few
bands at a time. Client and workers hold a few bands each, never the
whole image. The output is written atomically (``io.atomic_file``).
"""

import functools
import math
import os
from dataclasses import dataclass, replace

from .batch import Job, guarded, run_task, steps
from .options import DEPTHS
from .tiles_run import runner_for

BAND_BYTES = 16 << 20       # the input rows of one band, about: a few in flight per worker
AUTO_SHARE = 4              # without --tiles, a TIFF input above 1/4 of the memory runs in tiles


def untileable(job):
    """None when every step of ``job`` (a ``batch.Job`` or ``batch.Chain``) can run in tiles;
    else one line saying which operation cannot, and why."""
    from . import registry
    stages = steps(job)
    for index, step in enumerate(stages):
        op = registry.get(step.op)
        if op.name == "resize":
            from .tiles_resize import untiled_resize
            return "resize runs in tiles alone, not in a chain" if len(stages) > 1 else untiled_resize(
                _full_params(op, step.params))
        if step.params.get("guide") is not None and len(stages) > 1:
            return "guided_filter with a guide image runs in tiles alone, not in a chain"
        if op.halo is None:
            return f"{op.name} does not run in tiles: a result row may depend on any row of the image"
        try:
            op.halo(_full_params(op, step.params), None)
        except ValueError as error:
            return f"{error}: it does not run in tiles"
        if op.name == "canny" and index < len(stages) - 1:
            return "canny must be the last stage with --tiles: its hysteresis is resolved over the whole image"
    if len(stages) > 1 and any(step.params.get("border") == "wrap" for step in stages):
        return "a chain with --border wrap does not run in tiles: its bands wrap around for one stage only"
    return None


def image_work(job, settings, *, client=None, forced=False, shared_fs=False):
    """``work(task) -> batch.Result`` for ``batch.run_batch``: each task in tiles when ``forced``
    (``--tiles``) or when ``large`` says so, otherwise ``batch.run_task``. Tiled tasks run on
    ``client`` (a ``distributed.Client``) when given, else on dask's local threaded scheduler;
    their output is a tiled BigTIFF."""
    return functools.partial(_run, job=job, settings=settings, client=client, forced=forced, shared_fs=shared_fs)


def _run(task, job, settings, client, forced, shared_fs):
    if not forced and not large(task, job):
        return run_task(task, job, settings)
    return guarded(task, settings, lambda result: run_tiled(task, job, settings, client=client, shared_fs=shared_fs))


def large(task, job):
    """Whether ``task`` runs in tiles without ``--tiles``: a TIFF input whose decoded pixels
    take more than 1/``AUTO_SHARE`` of this machine's memory, a tileable job and a TIFF output."""
    from .tiles_io import TiffRows, is_tiff
    if task.fmt != "tiff" or "-" in (task.output, task.source.path) or untileable(job):
        return False
    if not is_tiff(task.source.path):
        return False
    try:
        rows = TiffRows(task.source.path)
    except Exception:   # noqa: BLE001  (the in-memory path reports what is wrong with it)
        return False
    rows.close()
    pixels = rows.dtype.itemsize * math.prod(rows.shape)
    return pixels > os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // AUTO_SHARE


def _full_params(op, params):
    return {**{p.name: p.default for p in op.params}, **params}


# ---------------------------------------------------------------- one task

@dataclass(frozen=True)
class Plan:
    """How a task's bands are cut: ``halo`` rows each side, ``band`` result rows a band, the
    image ``height`` rows tall; ``wrap`` extends bands past the top and bottom by the other side."""
    height: int
    band: int
    halo: int
    wrap: bool
    dtype: object       # the result's, before ``--depth``

    def bands(self):
        """``(start, stop, first, count)`` per band: the rows read (beyond the image with
        ``wrap``), and the rows of the result kept (``count`` from ``first`` of the band's)."""
        for top in range(0, self.height, self.band):
            bottom = min(top + self.band, self.height)
            start, stop = top - self.halo, bottom + self.halo
            if not self.wrap:
                start, stop = max(start, 0), min(stop, self.height)
            yield start, stop, top - start, bottom - top


def run_tiled(task, job, settings, *, client=None, shared_fs=False, band_rows=None):
    """Read, process and write ``task`` in bands of ``band_rows`` result rows (default: about
    ``BAND_BYTES`` of input each); raises ImageError or ValueError (``batch.guarded`` words them)."""
    from . import io
    from .tiles_io import open_rows, write_bigtiff
    _check_task(task, job)
    source = open_rows(task.source.path, gray=settings.gray, max_pixels=settings.max_pixels)
    try:
        read = _reader(source, task.source.path, settings.gray, shared_fs)
        finish = functools.partial(_finish, depth=settings.depth, normalize=job.normalize)
        runner = runner_for(client)
        width, height = source.shape[1], source.shape[0]
        if steps(job)[-1].op == "resize":
            from .tiles_resize import resize_bands
            width, height, results = resize_bands(job, source, band_rows, read, runner, finish)
        elif steps(job)[-1].op == "canny":
            from .tiles_canny import edge_bands
            results = edge_bands(job, _plan(source, job, band_rows), read, runner, finish)
        else:
            results = _filtered_bands(job, _plan(source, job, band_rows), read, runner, finish)
        with io.atomic_file(task.output, overwrite=settings.overwrite) as file:
            write_bigtiff(file, width, height, results)
    finally:
        source.close()


def _filtered_bands(job, plan, read, runner, finish):
    """The result's bands for a job of local stages, in order. A guide image (``guided_filter``)
    is cut in the same bands; ``--normalize`` to an integer ``--depth`` stretches from the whole
    result's min and max, found by a first pass over the bands."""
    import numpy as np

    from .tiles_io import DecodedRows
    guide = job.params.get("guide") if isinstance(job, Job) else None
    unguided = job if guide is None else replace(job, params={**job.params, "guide": None})

    def arguments(finish):
        for start, stop, first, count in plan.bands():
            guide_rows = None if guide is None else wrapped_rows(DecodedRows(guide), start, stop)
            yield read(start, stop), unguided, first, count, finish, guide_rows
    depth = finish.keywords["depth"]
    if job.normalize and depth is not None and plan.dtype.kind == "f" and np.dtype(DEPTHS[depth]).kind == "u":
        lows, highs = np.array(list(runner(_band_result, arguments(_bounds)))).T
        finish = functools.partial(finish, normalize=(float(lows.min()), float(highs.max())))
    return runner(_band_result, arguments(finish))


def _bounds(pixels):
    return float(pixels.min()), float(pixels.max())


def _check_task(task, job):
    from .io import ImageError
    reason = untileable(job)
    if reason:
        raise ValueError(reason)
    if task.source.path == "-":
        raise ImageError("-", "--tiles reads a file, not stdin")
    if task.fmt != "tiff" or task.output == "-":
        where = "stdout" if task.output == "-" else f"a .{task.fmt} output"
        raise ImageError(task.source.path, f"--tiles writes a tiled BigTIFF, not {where}: give a .tif output")


def _plan(source, job, band_rows):
    """The bands for ``job`` on ``source``: its halo summed over the stages, each for the dtype
    it gets (a ValueError for a dtype that makes a stage not local)."""
    import numpy as np

    from . import registry
    dtype, halo = source.dtype, 0
    for step in steps(job):
        op = registry.get(step.op)
        params = _full_params(op, step.params)
        halo += op.halo(params, dtype)
        dtype = op.gives(dtype, params)
    height, width = source.shape[:2]
    if band_rows is None:
        row_bytes = width * source.dtype.itemsize * (source.shape[2] if len(source.shape) == 3 else 1)
        band_rows = max(1, BAND_BYTES // row_bytes)
        band_rows = band_rows // 256 * 256 or band_rows
    wrap = any(step.params.get("border") == "wrap" for step in steps(job))
    return Plan(height, band_rows, halo, wrap, np.dtype(dtype))


def _reader(source, path, gray, shared_fs):
    """``read(start, stop)``: rows (wrapped around past the ends) as the band function takes
    them: the rows themselves, or with ``shared_fs`` what a worker needs to read them."""
    if shared_fs and hasattr(source, "path"):
        return functools.partial(_RowsOnWorker, path, gray)
    return functools.partial(wrapped_rows, source)


def wrapped_rows(source, start, stop):
    """Rows ``start`` to ``stop`` of ``source``, those outside the image taken from the other
    side (row −1 is the last one), as BORDER_WRAP extends an image."""
    import numpy as np
    height = source.shape[0]
    if 0 <= start and stop <= height:
        return source.rows(start, stop)
    pieces, row = [], start
    while row < stop:
        at = row % height
        end = min(stop - row, height - at)
        pieces.append(source.rows(at, at + end))
        row += end
    return np.concatenate(pieces)


@dataclass(frozen=True)
class _RowsOnWorker:
    """Rows a worker reads from the file itself (``--shared-fs``)."""
    path: str
    gray: bool
    start: int
    stop: int

    def load(self):
        from .tiles_io import TiffRows
        source = TiffRows(self.path, gray=self.gray)
        try:
            return wrapped_rows(source, self.start, self.stop)
        finally:
            source.close()


def _rows_of(band):
    return band.load() if isinstance(band, _RowsOnWorker) else band


def _band_result(band, job, first, count, finish, guide=None):
    """One band on a worker: ``job`` on its rows (``guide``: the same rows of the guide image, for
    ``guided_filter``), trimmed to the rows kept, as the output stores them."""
    import numpy as np

    from .batch import apply
    if guide is not None:
        job = replace(job, params={**job.params, "guide": guide})
    return finish(np.ascontiguousarray(apply(job, _rows_of(band))[first:first + count]))


def _finish(pixels, depth, normalize):
    """A band's result as ``batch._process_image`` converts the whole one for a TIFF: by ``--depth``;
    ``normalize``: the (low, high) of the whole result (True would stretch the band's own)."""
    if depth is None:
        return pixels
    from .depth import convert
    if normalize is True and pixels.dtype.kind == "f" and depth != "32f":
        raise ValueError("a min–max stretch (--normalize) of this result needs the whole image: not in tiles")
    return convert(pixels, depth, normalize)
