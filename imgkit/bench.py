"""The benchmark suite behind ``make bench`` and ``imgkit bench`` (SPEC §6).

Every registered operation runs in this process on 1920×1080 and 3840×2160 uint8 images,
gray and BGR, made from a bundled photo. For each: imgkit's time, OpenCV's, scikit-image's
where it has the operation, their ratios, and one memory copy of the image as the floor.
Times are medians of repeated runs after a warm-up call (which also compiles the kernels).
"""

import os
import platform
import statistics
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

SIZES = {"1080p": (1920, 1080), "4k": (3840, 2160)}
PEER_BUDGET_S = 3.0       # a slower scikit-image run is timed on a crop and scaled by area
PEER_CROP = (960, 540)


@dataclass
class Row:
    op: str
    params: str             # the operation's bench parameters, e.g. "scale=0.5 interp=linear"
    size: str
    kind: str               # "gray", "BGR", or what a workload names (e.g. "boxes")
    imgkit_ms: float
    opencv_ms: float
    skimage_ms: float | None
    skimage_extrapolated: bool
    copy_ms: float

    @property
    def vs_opencv(self):
        return self.imgkit_ms / self.opencv_ms

    @property
    def skimage_speedup(self):
        return None if self.skimage_ms is None else self.skimage_ms / self.imgkit_ms


def median_ms(function, repeat):
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1e3)
    return statistics.median(times)


def bench_image(size, channels):
    """A bundled photo stretched to ``size`` (width, height), BGR or gray, uint8."""
    import cv2
    photo = cv2.imread(str(_photo_path()), cv2.IMREAD_COLOR)
    image = cv2.resize(photo, size, interpolation=cv2.INTER_CUBIC)
    return image if channels == 3 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


def _photo_path():
    bundled = Path(__file__).resolve().parent.parent / "fixtures" / "photos" / "retina.jpg"
    if bundled.exists():
        return bundled
    import skimage.data
    return Path(skimage.data.__file__).parent / "astronaut.png"


def workloads(op, sizes):
    """(size label, kind, positional arguments) for each run of ``op``: by default the bench
    image at each size, gray and BGR; an operation whose input is not an image names a
    ``workload`` function in the registry that returns such triples for the labels it is given
    (``imgkit warmup`` asks it for ``("sample",)``: one small case). A workload may add a fourth
    item, the most timed runs that case deserves (e.g. 1 where OpenCV takes seconds)."""
    if op.workload:
        return op.workload_function(sizes)
    return [(size, "gray" if channels == 1 else "BGR", (bench_image(SIZES[size], channels),))
            for size in sizes for channels in (1, 3)]


def bench_op(op, size, kind, args, repeat, peers=True):
    function = op.function
    params = op.bench
    function(*args, **params)                       # warm-up: loads or compiles the kernels
    if repeat > 1:      # OpenCV compiles nothing: a case timed once (it takes seconds) skips its warm-up
        function(*args, **params, backend="opencv")
    imgkit_ms = median_ms(lambda: function(*args, **params), repeat)
    opencv_ms = median_ms(lambda: function(*args, **params, backend="opencv"), repeat)
    copy_target = np.empty_like(args[0])
    copy_ms = median_ms(lambda: np.copyto(copy_target, args[0]), repeat)
    skimage_ms, extrapolated = (_peer_ms(op, args[0]) if peers and op.peer else (None, False))
    described = " ".join(f"{key}={value}" for key, value in params.items())
    return Row(op.name, described, size, kind, imgkit_ms, opencv_ms, skimage_ms, extrapolated, copy_ms)


def _peer_ms(op, image):
    """scikit-image's time: one full run if a crop predicts it fits the budget, else the crop scaled."""
    peer = op.peer_function
    crop = np.ascontiguousarray(image[:PEER_CROP[1], :PEER_CROP[0]])
    crop_ms = median_ms(lambda: peer(crop, **op.bench), 1)
    scale = image.shape[0] * image.shape[1] / (crop.shape[0] * crop.shape[1])
    if crop_ms * scale / 1e3 > PEER_BUDGET_S:
        return crop_ms * scale, True
    return median_ms(lambda: peer(image, **op.bench), 1 if crop_ms * scale > 500 else 3), False


def run(ops=None, sizes=("1080p", "4k"), repeat=15, peers=True, on_row=lambda row: None):
    from . import registry
    rows = []
    for name in ops or registry.OPS:
        op = registry.get(name)
        for size, kind, args, *most in workloads(op, sizes):
            row = bench_op(op, size, kind, args, min([repeat, *most]), peers)
            on_row(row)
            rows.append(row)
    return rows


def machine():
    """One line naming the CPU, the cores, the thread counts and scikit-image's version; the other
    versions are ``versions.describe()``'s line, which the reports print beside it."""
    import cv2
    import numba
    import skimage
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (f"{cpu}, {cores} cores; numba {numba.get_num_threads()} threads, OpenCV {cv2.getNumThreads()} threads; "
            f"scikit-image {skimage.__version__}")


def _fmt_ms(ms, extrapolated=False):
    return "—" if ms is None else f"{'≈' if extrapolated else ''}{ms:.2f}"


def table_rows(rows):
    """Rows as strings for the terminal table and the Markdown file."""
    for row in rows:
        speedup = row.skimage_speedup
        yield [row.op, row.params, row.size, row.kind, f"{row.imgkit_ms:.2f}",
               f"{row.opencv_ms:.2f}", _fmt_ms(row.skimage_ms, row.skimage_extrapolated), f"{row.vs_opencv:.2f}×",
               "—" if speedup is None else f"{speedup:.0f}×", f"{row.copy_ms:.2f}"]


HEADER = ["operation", "parameters", "input", "kind", "imgkit ms", "OpenCV ms", "skimage ms",
          "imgkit / OpenCV", "skimage / imgkit", "copy ms"]


def markdown(rows, repeat):
    from .versions import describe
    lines = [f"Measured {date.today().isoformat()} on {machine()}.", "", f"`{describe()}`", "",
             f"Median of {repeat} runs after a warm-up call; uint8 input images made from a bundled photo (resize entries scale them by the `scale` parameter); "
             "`imgkit / OpenCV` below 1 means imgkit is faster; `≈` marks a scikit-image time measured on a "
             f"{PEER_CROP[0]}×{PEER_CROP[1]} crop and scaled by area (a full run would exceed {PEER_BUDGET_S:.0f} s).", "",
             "| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(cells) + " |" for cells in table_rows(rows)]
    return "\n".join(lines) + "\n"
