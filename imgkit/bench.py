"""The benchmark suite behind ``make bench`` and ``imgkit bench`` (SPEC §6).

Every registered operation runs in this process on 1920×1080 and 3840×2160 uint8 images,
gray and BGR, made from a bundled photo. For each: imgkit's time, OpenCV's, scikit-image's
where it has the operation, their ratios, and one memory copy of the image as the floor.
Times are medians of repeated runs after a warm-up call (which also compiles the kernels).
"""

import inspect
import os
import platform
import statistics
import time
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import numpy as np

from .box_layouts import detections

SIZES = {"1080p": (1920, 1080), "4k": (3840, 2160)}
PEER_BUDGET_S = 3.0       # a slower scikit-image run is timed on a crop and scaled by area
PEER_CROP = (960, 540)
IN_PROCESS = {"IMGKIT_NO_SERVER": "1"}     # added to the environment of the command lines timed: a
                                           # server the user runs would otherwise serve them


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


def failed(words, code, stderr):
    """The RuntimeError for a timed command line (``words``) that exited ``code``: its last line of stderr."""
    return RuntimeError(f"{words} exited {code}: {(stderr.strip().splitlines() or ['no message'])[-1]}")


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


SAMPLE_SIDE = 512   # warmup's inputs: large enough for every operation's bench parameters (HOG blocks, resize 0.5)
BOX_COUNTS = (1_000, 10_000, 100_000)
SLOW_RUNS = {10_000: 5, 100_000: 1}       # timed runs where OpenCV takes seconds (23 s for greedy NMS of 100k)


@dataclass(frozen=True)
class Case:
    """One input of a bench run: its size label, its kind, the function's arguments, and the most
    timed runs it deserves (None: as many as asked)."""
    size: str
    kind: str
    args: tuple
    kwargs: dict
    most: int | None = None


def workloads(op, params, sizes):
    """The cases ``op`` is timed on with ``params``, by what it takes: the bench image at each size,
    gray and BGR (their spectra for an operation on spectra); detection boxes for NMS, 1k, 10k and
    100k of them (``op.workload`` may ask for integer boxes and fewer counts), agnostic and over 80
    classes where the operation takes classes."""
    if op.takes == "boxes":
        counts = op.workload.get("counts", BOX_COUNTS)
        return [case for n in counts for case in _box_cases(op, n, f"{n // 1000}k boxes", SLOW_RUNS.get(n))]
    cases = [Case(size, "gray" if channels == 1 else "BGR", (bench_image(SIZES[size], channels),), {})
             for size in sizes for channels in (1, 3)]
    if op.takes == "spectrum":
        return [replace(case, args=(np.fft.fft2(case.args[0], axes=(0, 1)).astype(np.complex64),)) for case in cases]
    return cases


def sample_inputs(op, params):
    """Small inputs for ``warmup`` that reach the same kernel specialisations as real ones:
    (args, kwargs) for each dtype ``op`` takes with ``params``."""
    if op.takes == "boxes":
        return [(case.args, case.kwargs) for case in _box_cases(op, 200, "sample")]
    if op.takes == "spectrum":
        return [((np.fft.fft2(sample("uint8"), axes=(0, 1)).astype(np.complex64),), {})]
    return [((sample(dtype),), {}) for dtype in op.accepts(params)]


def sample(dtype):
    """SAMPLE_SIDE² pixels of ``dtype``, three channels."""
    return (np.arange(SAMPLE_SIDE * SAMPLE_SIDE * 3) % 251).astype(dtype).reshape(SAMPLE_SIDE, SAMPLE_SIDE, 3)


def _box_cases(op, count, label, most=None):
    boxes, scores, classes = detections(count, integer=op.workload.get("integer", False))
    cases = [Case(label, "agnostic", (boxes, scores), {}, most)]
    if "classes" in inspect.signature(op.function).parameters:
        cases.append(Case(label, "80 classes", (boxes, scores), {"classes": classes}, most))
    return cases


def bench_op(op, params, case, repeat, peers=True):
    function, args = op.function, case.args
    params = {**params, **case.kwargs}
    function(*args, **params)                       # warm-up: loads or compiles the kernels
    if repeat > 1:      # OpenCV compiles nothing: a case timed once (it takes seconds) skips its warm-up
        function(*args, **params, backend="opencv")
    imgkit_ms = median_ms(lambda: function(*args, **params), repeat)
    opencv_ms = median_ms(lambda: function(*args, **params, backend="opencv"), repeat)
    copy_target = np.empty_like(args[0])
    copy_ms = median_ms(lambda: np.copyto(copy_target, args[0]), repeat)
    skimage_ms, extrapolated = (_peer_ms(op, args[0], params) if peers and op.peer else (None, False))
    described = " ".join(f"{key}={value}" for key, value in params.items() if key != "classes")
    return Row(op.name, described, case.size, case.kind, imgkit_ms, opencv_ms, skimage_ms, extrapolated, copy_ms)


def _peer_ms(op, image, params):
    """scikit-image's time: one full run if a crop predicts it fits the budget, else the crop scaled."""
    peer = op.peer_function
    crop = np.ascontiguousarray(image[:PEER_CROP[1], :PEER_CROP[0]])
    crop_ms = median_ms(lambda: peer(crop, **params), 1)
    scale = image.shape[0] * image.shape[1] / (crop.shape[0] * crop.shape[1])
    if crop_ms * scale / 1e3 > PEER_BUDGET_S:
        return crop_ms * scale, True
    return median_ms(lambda: peer(image, **params), 1 if crop_ms * scale > 500 else 3), False


def run(ops=None, sizes=("1080p", "4k"), repeat=15, peers=True, on_row=lambda row: None):
    """Time each of ``ops`` (default: every declared operation) with each of its bench parameter sets."""
    from . import registry
    rows = []
    for name in ops or registry.operations():
        op = registry.get(name)
        for params in op.bench:
            for case in workloads(op, params, sizes):
                row = bench_op(op, params, case, min(repeat, case.most or repeat), peers)
                on_row(row)
                rows.append(row)
    return rows


def run_chain(text, steps, sizes=("1080p", "4k"), repeat=15, on_row=lambda row: None):
    """Time the chain ``steps`` (written ``text``) against the same chain of OpenCV references, on
    the bench image at each size, gray and BGR."""
    from . import registry
    from .chain import Pipeline
    ours, theirs = Pipeline(steps), Pipeline(steps, backend="opencv")
    rows = []
    for case in workloads(registry.get(steps[0].op), steps[0].params, sizes):
        image = case.args[0]
        ours(image)                                 # warm-up: loads or compiles the kernels
        theirs(image)
        copy_target = np.empty_like(image)
        row = Row("chain", text, case.size, case.kind, median_ms(lambda: ours(image), repeat),
                  median_ms(lambda: theirs(image), repeat), None, False,
                  median_ms(lambda: np.copyto(copy_target, image), repeat))
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
             f"{PEER_CROP[0]}×{PEER_CROP[1]} crop and scaled by area (a full run would exceed {PEER_BUDGET_S:.0f} s)."
             + (" `chain` rows time the whole chain in this process, imgkit's kernels against the same chain of "
                "OpenCV references (`imgkit bench --chain`)." if any(row.op == "chain" for row in rows) else ""), "",
             "| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |" for cells in table_rows(rows)]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- end to end: whole command lines

CHAIN = "resize --scale 0.5 | blur --sigma 2 | canny --low 50 --high 150"


@dataclass
class EndToEnd:
    what: str               # the command lines timed, in words
    seconds: float          # wall time, median of the runs, processes started and finished
    ratio: float            # to the first row's time


def photo_folder(directory, count=20, size=SIZES["1080p"]):
    """``count`` different 1080p JPEGs (quality 92) made from the bundled photos, flipped and
    mirrored, in ``directory``."""
    import cv2
    photos = sorted((Path(__file__).resolve().parent.parent / "fixtures" / "photos").iterdir())
    directory.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        image = cv2.resize(cv2.imread(str(photos[index % len(photos)]), cv2.IMREAD_COLOR), size,
                           interpolation=cv2.INTER_AREA)
        flip = index // len(photos) % 4
        image = image if flip == 0 else cv2.flip(image, flip - 2)
        cv2.imwrite(str(directory / f"photo{index:02d}.jpg"), image, [cv2.IMWRITE_JPEG_QUALITY, 92])
    return directory


def end_to_end(chain=CHAIN, count=20, repeat=3, final_format="png", on_row=lambda row: None):
    """``imgkit run CHAIN`` over a folder of ``count`` 1080p JPEGs, against the same stages as
    separate ``imgkit`` processes, each writing TIFF (lossless for every real-valued result) into a
    folder the next one reads: wall times of the whole command lines, median of ``repeat`` runs
    after one warm-up run each. Both end in ``final_format``. A command line that fails is a
    RuntimeError with its own last line of stderr."""
    import subprocess
    import sys
    import tempfile

    from .chain import split_stages
    imgkit = [sys.executable, "-m", "imgkit"]
    stages = split_stages(chain)
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        source = photo_folder(scratch / "in", count)
        chained = [[*imgkit, "run", chain, str(source), "-o", str(scratch / "run"), "--format", final_format]]
        separate = [[*imgkit, *stage, str(scratch / (f"s{i}" if i else "in")), "-o", str(scratch / f"s{i + 1}"),
                     "--format", final_format if i == len(stages) - 1 else "tiff"] for i, stage in enumerate(stages)]
        for what, lines in ((f"imgkit run \"{chain}\" (one process)", chained),
                            (f"{len(stages)} imgkit processes, TIFF between them", separate)):
            def run_all():
                for line in lines:
                    done = subprocess.run([*line, "--overwrite", "-q"], capture_output=True, text=True,
                                          env={**os.environ, **IN_PROCESS})
                    if done.returncode:
                        raise failed(" ".join(line[2:]), done.returncode, done.stderr)
            run_all()
            seconds = median_ms(run_all, repeat) / 1e3
            row = EndToEnd(what, seconds, seconds / rows[0].seconds if rows else 1.0)
            on_row(row)
            rows.append(row)
    return rows


def end_to_end_markdown(rows, count=20, repeat=3):
    lines = ["## End to end: a chain in one process against one process a stage", "",
             f"Wall time of the whole command lines on a folder of {count} 1080p JPEGs made from the bundled photos, "
             f"median of {repeat} runs after a warm-up run, default `-j`; TIFF between separate processes "
             "(lossless for every result), PNG at the end.", "",
             "| command lines | seconds | ratio to `imgkit run` |", "|---|---|---|"]
    lines += [f"| {row.what.replace('|', chr(92) + '|')} | {row.seconds:.2f} | {row.ratio:.2f}× |" for row in rows]
    return "\n".join(lines) + "\n"
