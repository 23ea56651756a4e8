"""Past one machine (issue 19): batches on a Dask cluster, and one image larger than memory in tiles.

- Throughput: bench_batch's folder of 1080p JPEGs through ``blur --sigma 2``, by the local engine
  (default -j) and with ``--scheduler`` on a ``LocalCluster`` of 1 and of 2 worker processes (one
  thread each; with 2, one kernel thread each, so the cores are not oversubscribed), started before
  the timing, as a standing cluster is. Each command line is a process timed whole.
- Overhead of the shared-nothing path: tiny images (64×64 PNG) through ``flip``, where the work is
  nothing and the cost is the path, on the 1-worker cluster against ``-j 1``: per image, the slope
  between a folder of 1 and one of TINY_COUNT (what each image adds), and a run's start-up (the
  folder of 1: importing Dask, connecting); the same with ``--shared-fs``.
- Tiles: a 20000×20000 gray TIFF through ``blur --sigma 2 --tiles`` into a tiled BigTIFF, wall time
  and peak RSS of the process (the threaded scheduler: all of the work is in it), against a pyvips
  script doing the same (gaussblur, tiffsave tiled BigTIFF) and imgkit on the whole image in memory.
"""

import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .bench_batch import RATIO_COUNT, has_pyvips, measure, peak_rss_mb
from .bench_startup import imgkit_line

TINY_COUNT = 200
TILED_SIDE = 20000
PYVIPS_TILED = """import sys, pyvips
image = pyvips.Image.new_from_file(sys.argv[1], access="sequential")
image.gaussblur(2).tiffsave(sys.argv[2], tile=True, tile_width=256, tile_height=256, bigtiff=True)
"""


@dataclass
class Row:
    section: str            # "throughput", "overhead" or "tiles"
    what: str
    seconds: float | None   # median wall time of the command line
    ratio: float | None     # to the section's base: the local engine (throughput), ms an image (overhead)
    rss_mb: float | None = None
    single: float | None = None     # overhead: the wall time on a folder of one image


def available():
    """Whether Dask's distributed scheduler is installed (the ``imgkit[dask]`` extra)."""
    import importlib.util
    return importlib.util.find_spec("distributed") is not None


def _median_wall(argv, out, repeat):
    measure(argv, out)      # warm-up: file cache, Numba's cache, the workers' loaded kernels
    return statistics.median(measure(argv, out)[0] for _ in range(repeat))


@dataclass
class _Cluster:
    address: str
    close: object


def _local_cluster(workers):
    """A LocalCluster of ``workers`` processes, one thread each (the kernels' threads shared out)."""
    from distributed import LocalCluster

    from .workers import available_cores
    kernel_threads = max(1, available_cores() // workers)
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                           env={"NUMBA_NUM_THREADS": str(kernel_threads)})
    return _Cluster(cluster.scheduler_address, cluster.close)


def run(on_row=lambda row: None, repeat=3):
    """The sections' rows, each passed to ``on_row`` as it is measured."""
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for row in _measured(Path(scratch), repeat):
            on_row(row)
            rows.append(row)
    return rows


def _measured(scratch, repeat):
    from .bench import photo_folder
    out = scratch / "out"
    source = photo_folder(scratch / "photos", RATIO_COUNT)
    blur = imgkit_line("blur", source, "--sigma", "2", "-o", out, "-q", "--quality", "92")
    local = _median_wall(blur, out, repeat)
    yield Row("throughput", f"local engine, default -j ({RATIO_COUNT} 1080p JPEGs)", local, 1.0)
    flips = [imgkit_line("flip", _tiny_folder(scratch / f"tiny{count}", count), "--axis", "x", "-o", out, "-q")
             for count in (1, TINY_COUNT)]
    alone = [_median_wall(flip + ["-j", "1"], out, repeat) for flip in flips]
    yield Row("overhead", "local engine, -j 1", alone[1], _per_image(alone), single=alone[0])
    for workers in (1, 2):
        cluster = _local_cluster(workers)
        try:
            wall = _median_wall(blur + ["--scheduler", cluster.address], out, repeat)
            yield Row("throughput", f"--scheduler: LocalCluster, {workers} worker{'s' * (workers > 1)}", wall,
                      wall / local)
            if workers == 1:
                for shared in (False, True):
                    more = ["--scheduler", cluster.address] + (["--shared-fs"] if shared else [])
                    walls = [_median_wall(flip + more, out, repeat) for flip in flips]
                    yield Row("overhead", f"--scheduler{' --shared-fs' if shared else ''}: LocalCluster, 1 worker",
                              walls[1], _per_image(walls), single=walls[0])
        finally:
            cluster.close()
    yield from _tiled(scratch, repeat=1)


def _per_image(walls):
    """Milliseconds each image adds: the slope between the folder of 1 and that of TINY_COUNT."""
    return (walls[1] - walls[0]) / (TINY_COUNT - 1) * 1e3


def _tiny_folder(directory, count):
    import cv2
    import numpy as np
    directory.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for index in range(count):
        cv2.imwrite(str(directory / f"tiny{index:03d}.png"), rng.integers(0, 256, (64, 64, 3), dtype=np.uint8))
    return directory


def _tiled(scratch, repeat):
    """The 20000×20000 blur: imgkit in tiles, imgkit in memory, pyvips; wall and peak RSS of each."""
    big = _big_tiff(scratch / "big.tif")
    out = scratch / "tiled"
    pixels = str(TILED_SIDE * TILED_SIDE)
    lines = [("imgkit blur --sigma 2 --tiles (threaded scheduler)",
              imgkit_line("blur", big, "--sigma", "2", "--tiles", "--max-pixels", pixels, "-o", out / "x.tif", "-q")),
             ("imgkit blur --sigma 2, the whole image in memory",
              imgkit_line("blur", big, "--sigma", "2", "--max-pixels", pixels, "-o", out / "x.tif", "-q"))]
    if has_pyvips():
        lines.append(("libvips: a pyvips script (gaussblur 2, tiled BigTIFF)",
                      [sys.executable, "-c", PYVIPS_TILED, str(big), str(out / "x.tif")]))
    for what, argv in lines:
        wall = _median_wall(argv, out, repeat)
        yield Row("tiles", f"{what}, {TILED_SIDE}×{TILED_SIDE} gray uint8", wall, None, peak_rss_mb(argv, out))


def _big_tiff(path):
    """A smooth 20000×20000 gray image, written as a tiled TIFF a strip of tiles at a time."""
    import cv2
    import numpy as np
    import tifffile
    rng = np.random.default_rng(1)
    seed = cv2.resize(rng.integers(0, 256, (TILED_SIDE // 50, TILED_SIDE // 50), dtype=np.uint8),
                      (TILED_SIDE, 512), interpolation=cv2.INTER_CUBIC)

    def tiles():
        for row in range(0, TILED_SIDE, 512):
            band = np.roll(seed, row // 512, axis=1)[:min(512, TILED_SIDE - row)]
            for column in range(0, TILED_SIDE, 512):
                tile = np.zeros((512, 512), np.uint8)
                part = band[:, column:column + 512]
                tile[:part.shape[0], :part.shape[1]] = part
                yield tile
    tifffile.imwrite(path, tiles(), shape=(TILED_SIDE, TILED_SIDE), dtype=np.uint8, tile=(512, 512), bigtiff=True)
    return path


def describe(row):
    """One line for the terminal."""
    parts = [row.what]
    if row.seconds is not None:
        parts.append(f"{row.seconds:.2f} s")
    if row.section == "throughput":
        parts.append(f"{row.ratio:.2f}× the local engine")
    elif row.section == "overhead":
        parts.append(f"{row.ratio:.2f} ms an image, {row.single:.2f} s for one image")
    elif row.rss_mb is not None:
        parts.append(f"peak RSS {row.rss_mb:.0f} MB")
    return ": ".join(parts[:1]) + " · " + " · ".join(parts[1:])


def markdown(rows):
    """The rows as BENCHMARKS.md's section."""
    import time

    from .bench import machine

    def cell(value, form):
        return "—" if value is None else form.format(value)
    lines = ["## Past one machine: a Dask cluster, and an image larger than memory in tiles", "",
             f"Measured {time.strftime('%Y-%m-%d')} on {machine()}. Each command line is a process of its own, timed "
             "whole (start-up included), median of the timed runs after a warm-up run. The clusters are "
             "`distributed.LocalCluster`s on this machine, started before the timing (a standing cluster), one "
             "thread a worker process; the client reads the inputs and writes the outputs (shared-nothing) unless "
             "`--shared-fs`."]
    throughput = [row for row in rows if row.section == "throughput"]
    if throughput:
        lines += ["", f"### Throughput: `imgkit blur --sigma 2` on {RATIO_COUNT} 1080p JPEGs", "",
                  "| engine | wall s | to the local engine |", "|---|---|---|"]
        lines += [f"| {row.what} | {row.seconds:.2f} | {row.ratio:.2f}× |" for row in throughput]
    overhead = [row for row in rows if row.section == "overhead"]
    if overhead:
        lines += ["", f"### Overhead: `imgkit flip --axis x` on 64×64 PNGs (no work: the cost is the path)", "",
                  f"Each image's cost is the slope between a folder of 1 image and one of {TINY_COUNT}; a run's "
                  "fixed cost shows in the wall time for one image (the cluster's: importing Dask and connecting).",
                  "", f"| engine | wall s, {TINY_COUNT} images | ms an image | wall s, 1 image |", "|---|---|---|---|"]
        lines += [f"| {row.what} | {row.seconds:.2f} | {row.ratio:.2f} | {row.single:.2f} |" for row in overhead]
    tiled = [row for row in rows if row.section == "tiles"]
    if tiled:
        lines += ["", f"### Tiles: a {TILED_SIDE}×{TILED_SIDE} gray TIFF (400 MB of pixels), blur σ 2, into a tiled "
                  "BigTIFF", "", "Peak RSS: the process's whole peak, as `getrusage` gives it for a child.", "",
                  "| command | wall s | peak RSS MB |", "|---|---|---|"]
        lines += [f"| {row.what} | {cell(row.seconds, '{:.2f}')} | {cell(row.rss_mb, '{:.0f}')} |" for row in tiled]
    return "\n".join(lines) + "\n"
