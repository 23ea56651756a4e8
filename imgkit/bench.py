"""The benchmark suite behind ``make bench`` and ``imgkit bench`` (SPEC §6, issue 18).

Every registered operation runs in this process on uint8 images, gray and BGR, made from three
bundled photographs (bright, dark and textured) stretched to 3840×2160, and from one of them at
1920×1080; resize at the factors that differ from a plain 2× (``RESIZE_FACTORS``); NMS on three
box layouts (``box_layouts``). For each row: imgkit's time and its reference's (named in the row:
the OpenCV function, or what else the reference path runs), timed in turns, median of the runs the
row's time budget allows (``runs_for``); scikit-image's time where it has the operation; one memory
copy of the input as the floor; and each SPEC §6 target the row is held to (``TARGETS``), passed or
missed.
"""

import inspect
import os
import platform
import statistics
import time
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import numpy as np

from .box_layouts import LAYOUTS, detections

SIZES = {"1080p": (1920, 1080), "4k": (3840, 2160)}
PHOTO_DIRECTORY = Path(__file__).resolve().parent.parent / "fixtures" / "photos"
# The three photographs every operation meets at 4K, by what they are (measured in ``photo_traits``,
# and said above the table): the most textured, the brightest and the darkest of the bundled colour
# photos (camera.png is gray: its BGR rows would be three equal channels, an easy case for colour work).
PHOTOS = {"coffee.png": "textured", "chelsea.png": "bright", "rocket.jpg": "dark"}
PHOTOS_AT = {"4k": tuple(PHOTOS), "1080p": ("coffee.png",)}
# Resize is timed at these factors (as ``scale``: OpenCV's fx = fy) from each size, enlarging from
# 1080p; its rows from 1080p are held to the 4K targets, their outputs being as large.
RESIZE_FACTORS = {"4k": (0.37, 0.5, 0.73), "1080p": (1.6, 2.3)}
BOX_COUNTS = (1_000, 10_000, 100_000)

# SPEC §6, in one place: the most imgkit's time may be over its OpenCV reference's, by operation
# (the fused ones: 0.5), held at 4K and by NMS rows at every count; and the least speed-up over
# scikit-image wherever it has the operation.
OPENCV_TARGET = 1.0
TARGETS = {"canny": 0.5, "gradient_magnitude": 0.5, "guided_filter": 0.5, "hog": 0.5, "nms": 0.5, "soft_nms": 0.5}
SKIMAGE_SPEEDUP = 10.0

# Runs: each row gets about ROW_BUDGET_MS of timed pairs (imgkit, reference), at least MIN_RUNS and
# at most the cap (MAX_RUNS, or --repeat); a row whose pair takes over ONCE_MS is timed once.
ROW_BUDGET_MS, MIN_RUNS, MAX_RUNS, ONCE_MS = 2000.0, 3, 31, 2000.0
PEER_BUDGET_MS = 1000.0   # a slower scikit-image run is timed on a crop and scaled by area
PEER_CROP = (480, 270)
IN_PROCESS = {"IMGKIT_NO_SERVER": "1"}     # added to the environment of the command lines timed: a
                                           # server the user runs would otherwise serve them


@dataclass
class Row:
    op: str
    params: str             # the operation's bench parameters, e.g. "scale=0.37 interp=linear"
    photo: str              # the photo (with what it is), or the box layout
    size: str               # "1080p", "4k", or the box count ("10k boxes")
    kind: str               # "gray", "BGR", or what a box workload names ("agnostic", "80 classes")
    runs: int               # timed runs of each side
    imgkit_ms: float
    reference_ms: float
    reference: str          # what the reference side timed
    library: str            # whose the reference is: "opencv", "skimage" or "python"
    skimage_ms: float | None = None
    skimage_extrapolated: bool = False
    copy_ms: float = 0.0
    shape: str = ""         # the input's size, and the output's where it differs ("3840×2160 → 1421×799")
    targeted: bool = False  # held to the SPEC §6 targets (4K rows, resize enlarging to 4K, NMS rows)

    @property
    def ratio(self):
        return self.imgkit_ms / self.reference_ms

    @property
    def skimage_speedup(self):
        if self.library == "skimage":
            return self.reference_ms / self.imgkit_ms
        return None if self.skimage_ms is None else self.skimage_ms / self.imgkit_ms


@dataclass(frozen=True)
class Target:
    what: str               # "OpenCV" or "scikit-image"
    bound: float            # imgkit / OpenCV at most this, or the speed-up over scikit-image at least this
    measured: float

    @property
    def passed(self):
        return self.measured <= self.bound if self.what == "OpenCV" else self.measured >= self.bound

    def __str__(self):
        if self.what == "OpenCV":
            return f"≤ {self.bound:.2f}× OpenCV: " + ("pass" if self.passed else "**miss**")
        return f"≥ {self.bound:.0f}× scikit-image: " + ("pass" if self.passed else "**miss**")


def targets(row):
    """The SPEC §6 targets ``row`` is held to: none for chains and rows that are not ``targeted``;
    the OpenCV one where the reference is OpenCV; the scikit-image one where it was timed (or is
    the reference)."""
    if row.op == "chain" or not row.targeted:
        return []
    held = []
    if row.library == "opencv":
        held.append(Target("OpenCV", TARGETS.get(row.op, OPENCV_TARGET), row.ratio))
    if row.skimage_speedup is not None:
        held.append(Target("scikit-image", SKIMAGE_SPEEDUP, row.skimage_speedup))
    return held


def reference_of(op, params):
    """(what ``op``'s reference path runs with ``params``, in words; whose it is)."""
    if op.name == "hog":
        if params.get("style") == "skimage":
            return "scikit-image's hog (skimage.feature.hog)", "skimage"
        return "cv2.HOGDescriptor", "opencv"
    if op.name == "rotate":
        square = float(params.get("angle", 0)) % 90 == 0
        return ("cv2.rotate" if square else "cv2.getRotationMatrix2D + cv2.warpAffine"), "opencv"
    if op.name == "hog_image":
        if params.get("style") == "skimage":
            return "scikit-image's hog(visualize=True)", "skimage"
        return "a Python drawing loop (skimage.draw.line) over cv2.HOGDescriptor's cells", "python"
    if op.name == "nms":
        return ("cv2.dnn.NMSBoxesBatched" if params.get("classes") is not None else "cv2.dnn.NMSBoxes"), "opencv"
    if op.name == "soft_nms" and params.get("classes") is not None:
        return "cv2.dnn.softNMSBoxes, once a class (a Python loop, as imgkit's reference path)", "opencv"
    if op.name == "resize" and not params.get("antialias"):
        return "cv2.resize (fx = fy = scale)" if "scale" in params else "cv2.resize", "opencv"
    return op.reference, "opencv"


def failed(words, code, stderr):
    """The RuntimeError for a timed command line (``words``) that exited ``code``: its last line of stderr."""
    return RuntimeError(f"{words} exited {code}: {(stderr.strip().splitlines() or ['no message'])[-1]}")


def elapsed_ms(function):
    started = time.perf_counter()
    function()
    return (time.perf_counter() - started) * 1e3


def median_ms(function, repeat):
    return statistics.median(elapsed_ms(function) for _ in range(repeat))


def alternating_ms(first, second, runs):
    """Medians of ``runs`` timed calls of each function, the two taking turns (so that another
    process's load falls on both alike)."""
    pairs = [(elapsed_ms(first), elapsed_ms(second)) for _ in range(runs)]
    return statistics.median(pair[0] for pair in pairs), statistics.median(pair[1] for pair in pairs)


def runs_for(pair_ms, cap=MAX_RUNS):
    """Timed runs for a row whose pair of calls took ``pair_ms``: ROW_BUDGET_MS worth, at least
    MIN_RUNS, at most ``cap``; one where the pair takes over ONCE_MS."""
    if pair_ms > ONCE_MS:
        return 1
    return min(cap, max(MIN_RUNS, int(ROW_BUDGET_MS / max(pair_ms, 1e-3))))


def bench_image(size, channels, photo=None):
    """A bundled photo (default: the first of PHOTOS) stretched to ``size`` (width, height),
    bicubic, BGR or gray, uint8."""
    import cv2
    picture = cv2.imread(str(PHOTO_DIRECTORY / (photo or next(iter(PHOTOS)))), cv2.IMREAD_COLOR)
    image = cv2.resize(picture, size, interpolation=cv2.INTER_CUBIC)
    return image if channels == 3 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


def photo_traits(size=SIZES["4k"]):
    """{photo name: (mean brightness, mean |Laplacian|)} of every bundled colour photo as the bench
    stretches it to ``size``, in gray: what makes PHOTOS' three bright, dark and textured."""
    import cv2
    traits = {}
    for path in sorted(PHOTO_DIRECTORY.iterdir()):
        colour = bench_image(size, 3, path.name)
        gray = cv2.cvtColor(colour, cv2.COLOR_BGR2GRAY)
        if np.array_equal(colour[..., 0], colour[..., 1]) and np.array_equal(colour[..., 1], colour[..., 2]):
            continue        # a gray photograph
        traits[path.name] = (float(gray.mean()), float(np.abs(cv2.Laplacian(gray, cv2.CV_32F)).mean()))
    return traits


SAMPLE_SIDE = 512   # warmup's inputs: large enough for every operation's bench parameters (HOG blocks, resize 0.5)


@dataclass(frozen=True)
class Case:
    """One input of a bench row: the photo (or box layout) it is made from, its size label, its
    kind, the function's arguments and the parameters it sets (resize's factor). ``warm``: call
    imgkit once untimed first (a box case after the first count meets kernels already compiled)."""
    photo: str
    size: str
    kind: str
    args: tuple
    kwargs: dict = field(default_factory=dict)
    warm: bool = True
    targeted: bool = False


def workloads(op, params, sizes, factors=True):
    """The cases ``op`` is timed on with ``params``: at each size, the photos of PHOTOS_AT, gray
    and BGR (their spectra for an operation on spectra; resize at each of RESIZE_FACTORS, on every
    photo, unless ``factors`` is False); detection boxes for NMS, each layout at 1k, 10k and 100k (``op.workload`` may ask for
    integer boxes and fewer counts), agnostic and over 80 classes where the operation takes classes."""
    if op.takes == "boxes":
        counts = op.workload.get("counts", BOX_COUNTS)
        return [case for layout in LAYOUTS for n in counts
                for case in _box_cases(op, n, layout, f"{n // 1000}k boxes", warm=n == counts[0])]
    resizing = factors and op.name == "resize" and "scale" in params
    cases = []
    for size in sizes:
        photos = tuple(PHOTOS) if resizing else PHOTOS_AT[size]
        factors = RESIZE_FACTORS[size] if resizing else (None,)
        for photo in photos:
            for channels in (1, 3):
                image = bench_image(SIZES[size], channels, photo)
                for factor in factors:
                    cases.append(Case(f"{photo} ({PHOTOS[photo]})", size, "gray" if channels == 1 else "BGR", (image,),
                                      {} if factor is None else {"scale": factor}, targeted=size == "4k" or resizing))
    if op.takes == "spectrum":
        return [replace(case, args=(np.fft.fft2(case.args[0], axes=(0, 1)).astype(np.complex64),)) for case in cases]
    return cases


def sample_inputs(op, params):
    """Small inputs for ``warmup`` that reach the same kernel specialisations as real ones:
    (args, kwargs) for each dtype ``op`` takes with ``params``."""
    if op.takes == "boxes":
        return [(case.args, case.kwargs) for case in _box_cases(op, 200, "clustered", "sample")]
    if op.takes == "spectrum":
        return [((np.fft.fft2(sample("uint8"), axes=(0, 1)).astype(np.complex64),), {})]
    return [((sample(dtype),), {}) for dtype in op.accepts(params)]


def sample(dtype):
    """SAMPLE_SIDE² pixels of ``dtype``, three channels."""
    return (np.arange(SAMPLE_SIDE * SAMPLE_SIDE * 3) % 251).astype(dtype).reshape(SAMPLE_SIDE, SAMPLE_SIDE, 3)


def _box_cases(op, count, layout, label, warm=True):
    boxes, scores, classes = detections(count, layout, integer=op.workload.get("integer", False))
    cases = [Case(f"{layout} boxes", label, "agnostic", (boxes, scores), {}, warm, True)]
    if "classes" in inspect.signature(op.function).parameters:
        cases.append(Case(f"{layout} boxes", label, "80 classes", (boxes, scores), {"classes": classes}, warm, True))
    return cases


def _shape(case, result):
    """The input's size, and the result's where an image result differs from it."""
    if case.size.endswith("boxes"):
        return case.size
    source = case.args[0].shape
    text = f"{source[1]}×{source[0]}"
    if isinstance(result, np.ndarray) and result.ndim >= 2 and result.shape[:2] != source[:2]:
        text += f" → {result.shape[1]}×{result.shape[0]}"
    return text


def bench_op(op, params, case, cap=MAX_RUNS, peers=True):
    """One row: ``op`` with ``params`` on ``case``, imgkit against its reference path."""
    function, args = op.function, case.args
    params = {**params, **case.kwargs}
    imgkit = lambda: function(*args, **params)                          # noqa: E731
    reference = lambda: function(*args, **params, backend="opencv")     # noqa: E731
    result = imgkit() if case.warm else None        # warm-up: loads or compiles the kernels
    # A probe pair (the reference's first call is its warm-up) sizes the row; a row whose pair takes
    # seconds keeps the probe as its one run (OpenCV's NMS of 100k crossing boxes: a minute a call).
    imgkit_ms, reference_ms = alternating_ms(imgkit, reference, 1)
    runs = runs_for(imgkit_ms + reference_ms, cap)
    if runs > 1:
        imgkit_ms, reference_ms = alternating_ms(imgkit, reference, runs)
    copy_target = np.empty_like(args[0])
    copy_ms = median_ms(lambda: np.copyto(copy_target, args[0]), max(runs, MIN_RUNS))
    label, library = reference_of(op, params)
    skimage_ms, extrapolated = (_peer_ms(op, args[0], params)
                                if peers and op.peer and library != "skimage" and case.targeted else (None, False))
    described = " ".join(f"{key}={value}" for key, value in params.items() if key != "classes")
    return Row(op.name, described, case.photo, case.size, case.kind, runs, imgkit_ms, reference_ms, label, library,
               skimage_ms, extrapolated, copy_ms, _shape(case, result), case.targeted)


def _peer_ms(op, image, params):
    """scikit-image's time: full runs if a crop predicts they fit the budget, else the crop scaled by area."""
    peer = op.peer_function
    peer(np.ascontiguousarray(image[:64, :64]), **params)     # imports its modules: not in the crop's time
    crop = np.ascontiguousarray(image[:PEER_CROP[1], :PEER_CROP[0]])
    crop_ms = elapsed_ms(lambda: peer(crop, **params))
    scale = image.shape[0] * image.shape[1] / (crop.shape[0] * crop.shape[1])
    if crop_ms * scale > PEER_BUDGET_MS:
        return crop_ms * scale, True
    return median_ms(lambda: peer(image, **params), max(1, min(5, int(PEER_BUDGET_MS / (crop_ms * scale))))), False


def run(ops=None, sizes=("1080p", "4k"), repeat=MAX_RUNS, peers=True, on_row=lambda row: None):
    """Time each of ``ops`` (default: every declared operation) with each of its bench parameter
    sets; ``repeat``: the most timed runs a row gets."""
    from . import registry
    rows = []
    for name in ops or registry.operations():
        op = registry.get(name)
        for params in _bench_parameters(op):
            for case in workloads(op, params, sizes):
                row = bench_op(op, params, case, repeat, peers)
                on_row(row)
                rows.append(row)
    return rows


def _bench_parameters(op):
    """``op.bench``, with resize's parameter sets one a kernel (its factors are RESIZE_FACTORS)."""
    if op.name != "resize":
        return op.bench
    return list({params["interp"]: params for params in op.bench}.values())


def run_chain(text, steps, sizes=("1080p", "4k"), repeat=MAX_RUNS, on_row=lambda row: None):
    """Time the chain ``steps`` (written ``text``) against the same chain of OpenCV references, on
    the photos at each size, gray and BGR."""
    from . import registry
    from .chain import Pipeline
    ours, theirs = Pipeline(steps), Pipeline(steps, backend="opencv")
    rows = []
    first = registry.get(steps[0].op)
    for case in workloads(first, steps[0].params, sizes, factors=False):
        image = case.args[0]
        result = ours(image)                        # warm-up: loads or compiles the kernels
        imgkit_ms, reference_ms = alternating_ms(lambda: ours(image), lambda: theirs(image), 1)
        runs = runs_for(imgkit_ms + reference_ms, repeat)
        if runs > 1:
            imgkit_ms, reference_ms = alternating_ms(lambda: ours(image), lambda: theirs(image), runs)
        copy_target = np.empty_like(image)
        row = Row("chain", text, case.photo, case.size, case.kind, runs, imgkit_ms, reference_ms,
                  "the same chain of OpenCV references", "opencv", copy_ms=median_ms(lambda: np.copyto(copy_target, image),
                                                                                   max(runs, MIN_RUNS)),
                  shape=_shape(case, result))
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


HEADER = ["operation", "parameters", "photo", "input", "kind", "runs (each side)", "imgkit ms (median)",
          "reference ms (median)", "reference (what it timed)", "imgkit / reference",
          "scikit-image ms (median; ≈ from a crop)", "scikit-image / imgkit", "copy ms (one copy of the input)",
          "SPEC §6 target"]


def table_rows(rows):
    """Rows as strings for the terminal table and the Markdown file, in HEADER's order."""
    for row in rows:
        speedup = row.skimage_speedup
        skimage_ms = row.reference_ms if row.library == "skimage" else row.skimage_ms
        yield [row.op, row.params, row.photo, row.shape or row.size, row.kind, str(row.runs), f"{row.imgkit_ms:.2f}",
               f"{row.reference_ms:.2f}", row.reference, f"{row.ratio:.2f}×",
               _fmt_ms(skimage_ms, row.skimage_extrapolated), "—" if speedup is None else f"{speedup:.0f}×",
               f"{row.copy_ms:.2f}", "; ".join(map(str, targets(row))) or "—"]


def summary(rows):
    """"N of M targets missed", then each missed one: the line above the table."""
    held = [(row, target) for row in rows for target in targets(row)]
    missed = [(row, target) for row, target in held if not target.passed]
    line = f"**{len(missed)} of {len(held)} targets missed**"
    if not missed:
        return line + "."
    return line + ": " + "; ".join(
        f"{row.op} {row.params} ({row.photo}, {row.shape or row.size} {row.kind}): "
        + (f"{target.measured:.2f}× OpenCV, target ≤ {target.bound:.2f}×" if target.what == "OpenCV"
           else f"{target.measured:.1f}× faster than scikit-image, target ≥ {target.bound:.0f}×")
        for row, target in missed) + "."


def _photos_text():
    traits = photo_traits()
    described = ", ".join(f"`{name}` ({PHOTOS[name]}: mean level {traits[name][0]:.0f}, mean |Laplacian| "
                          f"{traits[name][1]:.2f})" for name in PHOTOS)
    others = ", ".join(f"`{name}` {level:.0f} / {texture:.2f}" for name, (level, texture) in traits.items()
                       if name not in PHOTOS)
    return (f"Inputs: three bundled photographs stretched (bicubic) to each size, in gray as measured at 4K: "
            f"{described}; the other bundled colour photos measure {others} (mean level / mean |Laplacian|; "
            "`camera.png` is gray, and left out). "
            f"At 1080p: {', '.join(f'`{name}`' for name in PHOTOS_AT['1080p'])}, except resize, which enlarges all "
            "three from 1080p.")


def markdown(rows, repeat=MAX_RUNS):
    """The table and the text that says what it measured, for BENCHMARKS.md."""
    from .versions import describe
    images = [row for row in rows if not row.size.endswith("boxes")]
    lines = [f"Measured {date.today().isoformat()} on {machine()}.", "", f"`{describe()}`", ""]
    if images:
        lines += [_photos_text(), ""]
    lines += [
        "Each row times imgkit's function and its reference path (the `reference` column names what that "
        "timed: the OpenCV function, or scikit-image's, or a Python loop) in this process, the two taking turns, "
        "after a warm-up call of imgkit (which compiles or loads its kernels) and one untimed pair; each figure "
        f"is the median of the row's `runs`: about {ROW_BUDGET_MS / 1e3:.0f} s of timed pairs, at least {MIN_RUNS} "
        f"and at most {repeat}, and one where a pair takes over {ONCE_MS / 1e3:.0f} s (that first pair is then the "
        "measurement: OpenCV's NMS of 100k boxes takes from seconds to minutes a call). `imgkit / reference` below "
        "1 means imgkit is faster. scikit-image is timed on the rows held to a target: on the whole input where a "
        f"{PEER_CROP[0]}×{PEER_CROP[1]} crop predicts at most {PEER_BUDGET_MS / 1e3:.0f} s, else on that crop, "
        "scaled by area (marked `≈`). `copy ms`: one `numpy.copyto` of the input, the floor of any pass over it.",
        "",
        f"Resize: `scale` is OpenCV's `fx = fy`; factors {', '.join(map(str, RESIZE_FACTORS['4k']))} from 4K and "
        f"{', '.join(map(str, RESIZE_FACTORS['1080p']))} from 1080p (those rows are held to the 4K targets: their "
        "outputs are as large). NMS: `box_layouts.detections` on a 4K frame, random (sparse), clustered (about 8 "
        "jittered boxes an object, as a detector's raw output) and crossing (long thin boxes that cross: most pairs "
        "overlap in x and y, few by IoU).",
        "",
        f"Targets (SPEC §6): at 4K (and for NMS at every count), imgkit / OpenCV at most {OPENCV_TARGET:.1f}×, "
        f"{', '.join(sorted(TARGETS))} at most {min(TARGETS.values()):.1f}×; at least {SKIMAGE_SPEEDUP:.0f}× "
        "faster than scikit-image where it has the operation. Rows at 1080p (but resize's), chain rows and rows "
        "whose reference is not OpenCV have no OpenCV target (`—`).",
    ]
    if any(row.op == "chain" for row in rows):
        lines += ["", "`chain` rows time the whole chain in this process, imgkit's kernels against the same chain "
                  "of OpenCV references (`imgkit bench --chain`)."]
    lines += ["", summary(rows), "", "| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
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
             f"| command lines | wall s (median of {repeat}) | ratio to `imgkit run` |", "|---|---|---|"]
    lines += [f"| {row.what.replace('|', chr(92) + '|')} | {row.seconds:.2f} | {row.ratio:.2f}× |" for row in rows]
    return "\n".join(lines) + "\n"
