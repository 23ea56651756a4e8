"""Whole batches, end to end (SPEC §6, issues 16 and 18): the ``imgkit`` CLI on a folder of 1080p
JPEGs made from the bundled photos (``bench.photo_folder``), for three jobs (JOBS: blur, resize to
50 %, Canny), against what a user would run instead.

Every command line runs as a process of its own, timed from its start to its exit (wall time, and
the CPU time of it and its children from ``wait4``): a plain single-process OpenCV script (imread,
the operation, imwrite, in a loop), ``imgkit`` with the default ``-j`` (for blur also ``-j 1`` and
each ``-j`` up to the cores), libvips (a pyvips script where pyvips is installed, the ``imgkit[bench]``
extra; its CLI in a shell loop where ``vips`` is on the PATH) and, for blur, ImageMagick's
``mogrify`` where installed. The commands take turns, one warm-up round first (file cache, Numba's
cache), so that another process's load falls on all of them alike; each figure is the median of the
timed rounds. Blur also has -j scaling on a larger folder, and memory: the peak RSS of a batch of
1,000 small images against one of 100, which a batch that holds nothing per image keeps equal.
"""

import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .bench import IN_PROCESS, failed
from .bench_startup import imgkit_line

QUALITY = 92


@dataclass(frozen=True)
class Job:
    """One batch job, as each tool spells it: imgkit's command words, the OpenCV call on ``image``
    in the plain script, the pyvips call on ``image``, the libvips CLI operation (``{input}``,
    ``{output}``), and the format written (JPEG at QUALITY, or PNG for an edge map)."""
    imgkit: tuple
    opencv: str
    pyvips: str
    vips: str
    extension: str
    note: str = ""      # where libvips does not do quite the same


JOBS = {
    "blur": Job(("blur", "--sigma", "2"), "cv2.GaussianBlur(image, (0, 0), 2)", "image.gaussblur(2)",
                'vips gaussblur "$f" "$2/$(basename "$f")[Q=92]" 2', "jpg"),
    "resize": Job(("resize", "--scale", "0.5"), "cv2.resize(image, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)",
                  "image.resize(0.5)", 'vips resize "$f" "$2/$(basename "$f")[Q=92]" 0.5', "jpg",
                  "imgkit shrinks by 2 with area averaging (its default for shrinking), as the cv2 script; libvips' "
                  "resize by an exact 2 is a 2×2 box average too"),
    "canny": Job(("canny", "--low", "50", "--high", "150"),
                 "cv2.Canny(cv2.GaussianBlur(image, (0, 0), 1), 50, 150)", "image.canny(sigma=1).bandbool('or')",
                 'vips canny "$f" "$2/$(basename "${f%.jpg}").png" --sigma 1', "png",
                 "imgkit's canny blurs with σ 1 by default, as the cv2 script; libvips' canny (σ 1) has no hysteresis "
                 "thresholds: its result is the gradient after non-maximum suppression, the bands or-ed into one "
                 "(the CLI keeps three)"),
}
# A plain single-process script a user would write: imread, the operation, imwrite, in a loop.
LOOP = """import cv2, glob, os, sys
for p in sorted(glob.glob(sys.argv[1] + "/*.jpg")):
    image = cv2.imread(p)
    name = os.path.join(sys.argv[2], os.path.splitext(os.path.basename(p))[0] + ".{extension}")
    cv2.imwrite(name, {opencv}, [cv2.IMWRITE_JPEG_QUALITY, {quality}])
"""
# The same loop with pyvips (libvips): sequential access, as libvips streams a file through.
PYVIPS = """import glob, os, sys, pyvips
for p in sorted(glob.glob(sys.argv[1] + "/*.jpg")):
    image = pyvips.Image.new_from_file(p, access="sequential")
    name = os.path.join(sys.argv[2], os.path.splitext(os.path.basename(p))[0] + ".{extension}")
    ({pyvips}).write_to_file(name, **({{"Q": {quality}}} if name.endswith(".jpg") else {{"compression": 1}}))
"""
SIGMA = 2
RATIO_COUNT, SCALING_COUNT, MEMORY_COUNTS = 50, 200, (100, 1000)
# The targets of SPEC §6 and issue 16, for the blur job, by section and command: the most each ratio may be.
TARGETS = {("ratio", "default"): 0.9, ("ratio", "j1"): 1.1, ("scaling", "default"): 1.1, ("memory", "default"): 1.1}


@dataclass
class Row:
    section: str            # "ratio" (RATIO_COUNT JPEGs), "scaling" (SCALING_COUNT) or "memory"
    what: str               # the command, in words
    seconds: float | None   # median wall time (None: not installed)
    fastest: float | None   # the least wall time: the run another process disturbed least
    cpu: float | None       # median CPU seconds, user + system, children included
    ratio: float | None     # wall to the cv2 script's in the same round, median over the rounds ("scaling":
                            # to that round's best -j; "memory": peak RSS to the smaller batch's)
    rss_mb: float | None = None
    target: float | None = None     # the most the ratio may be (SPEC §6), where one is set
    job: str = "blur"       # the key of JOBS

    @property
    def mark(self):
        if self.target is None or self.ratio is None:
            return ""
        return f"≤ {self.target:.2f}×: " + ("pass" if self.ratio <= self.target else "**FAIL**")


def has_pyvips():
    """Whether pyvips (and so libvips) can be imported here: the ``imgkit[bench]`` extra."""
    return importlib.util.find_spec("pyvips") is not None


def commands(source, out, cores, job="blur"):
    """``(key, words, argv)`` of each command line timed for ``job`` on ``source``, writing into ``out``."""
    spec = JOBS[job]
    fmt = ["--quality", QUALITY] if spec.extension == "jpg" else ["--format", spec.extension]
    imgkit = imgkit_line(*spec.imgkit[:1], source, *spec.imgkit[1:], "-o", out, *fmt, "-q")
    loop = LOOP.format(extension=spec.extension, opencv=spec.opencv, quality=QUALITY)
    lines = [("loop", "plain cv2 script (one process)", [sys.executable, "-c", loop, str(source), str(out)]),
             ("default", "imgkit, default -j", imgkit)]
    if job == "blur":
        lines += [(f"j{jobs}", f"imgkit -j {jobs}", imgkit + ["-j", str(jobs)]) for jobs in range(1, cores + 1)]
    if has_pyvips():
        import pyvips
        script = PYVIPS.format(extension=spec.extension, pyvips=spec.pyvips, quality=QUALITY)
        lines.append(("pyvips", f"libvips {'.'.join(map(str, (pyvips.version(0), pyvips.version(1))))}: a pyvips "
                      "script (one process)", [sys.executable, "-c", script, str(source), str(out)]))
    if shutil.which("vips"):
        loop = f'for f in "$1"/*.jpg; do {spec.vips} || exit 1; done'
        lines.append(("vips", "libvips CLI in a shell loop", ["bash", "-c", loop, "vips", str(source), str(out)]))
    if job == "blur" and shutil.which("mogrify"):
        lines.append(("mogrify", "ImageMagick mogrify", ["bash", "-c",
                      f'mogrify -path "$2" -gaussian-blur 0x{SIGMA} -quality {QUALITY} "$1"/*.jpg', "mogrify",
                      str(source), str(out)]))
    return lines


# Runs a command line and prints its peak RSS in KiB. Linux carries a process's peak RSS across
# fork and exec, so a command started by the bench (whose RSS the 4K operations have raised) would
# report the bench's peak as its own; started by this small process, it reports its own.
PEAK_RSS = """import resource, subprocess, sys
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(code)
"""


def peak_rss_mb(argv, out):
    """The peak RSS of ``argv`` run into a fresh ``out``, in MB."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    done = subprocess.run([sys.executable, "-c", PEAK_RSS, *argv], capture_output=True, text=True,
                          env={**os.environ, **IN_PROCESS})
    if done.returncode:
        raise failed(" ".join(argv[:6]) + "…", done.returncode, done.stderr)
    return int(done.stdout) / 1024


def measure(argv, out):
    """Run ``argv`` into a fresh ``out``: (wall seconds, CPU seconds). A failure is a
    RuntimeError with its last line of stderr."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    started = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               env={**os.environ, **IN_PROCESS})
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    said = process.stderr.read().decode(errors="replace")
    process.stderr.close()
    if process.returncode:
        raise failed(" ".join(argv[:6]) + "…", process.returncode, said)
    return seconds, usage.ru_utime + usage.ru_stime


def timed(lines, out, repeat, base):
    """Each line's (median wall, least wall, median CPU, median ratio) over ``repeat`` rounds, after
    a warm-up round, the lines taking turns; the ratio is to ``base(round)``, the wall time that
    round's runs give as a base (another process's load then weighs on both alike)."""
    runs = {key: [] for key, _, _ in lines}
    for round_ in range(repeat + 1):
        walls = {key: measure(argv, out) for key, _, argv in lines}
        if round_:
            reference = base({key: result[0] for key, result in walls.items()})
            for key, result in walls.items():
                runs[key].append((*result, result[0] / reference))
    return {key: (statistics.median(r[0] for r in results), min(r[0] for r in results),
                  statistics.median(r[1] for r in results), statistics.median(r[2] for r in results))
            for key, results in runs.items()}


def _loop(walls):
    return walls["loop"]


def _best_jobs(walls):
    return min(wall for key, wall in walls.items() if key.startswith("j"))


def run(on_row=lambda row: None, repeat=3, cores=None):
    """The sections' rows, each passed to ``on_row`` as it is measured."""
    from .bench import photo_folder
    from .workers import available_cores
    cores = cores or available_cores()
    rows = []

    def add(row):
        on_row(row)
        rows.append(row)
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        source = photo_folder(scratch / f"in{RATIO_COUNT}", RATIO_COUNT)
        for job in JOBS:
            lines = commands(source, scratch / "out", cores, job)
            times = timed(lines, scratch / "out", repeat, _loop)
            for key, what, _ in lines:
                add(Row("ratio", what, *times[key], target=TARGETS.get(("ratio", key)) if job == "blur" else None,
                        job=job))
            if "pyvips" not in times and "vips" not in times:
                add(Row("ratio", "libvips: not installed (neither pyvips nor the vips CLI)", None, None, None, None,
                        job=job))
            if job == "blur" and "mogrify" not in times:
                add(Row("ratio", "ImageMagick mogrify: not installed", None, None, None, None, job=job))
        source = photo_folder(scratch / f"in{SCALING_COUNT}", SCALING_COUNT)
        lines = [line for line in commands(source, scratch / "out", cores) if line[0] == "loop" or
                 line[0] == "default" or line[0].startswith("j")]
        times = timed(lines, scratch / "out", repeat, _best_jobs)
        for key, what, _ in lines:
            add(Row("scaling", what, *times[key], target=TARGETS.get(("scaling", key))))
        smaller = None
        for count in MEMORY_COUNTS:
            source = photo_folder(scratch / f"small{count}", count, size=(320, 240))
            lines = commands(source, scratch / "out", cores)
            _, what, argv = lines[1]        # the default -j
            peak = max(peak_rss_mb(argv, scratch / "out") for _ in range(2))
            smaller = smaller or peak
            add(Row("memory", f"{what}, {count} images of 320×240", None, None, None, peak / smaller, peak,
                    target=TARGETS[("memory", "default")] if count > MEMORY_COUNTS[0] else None))
    return rows


def describe(row):
    """One line for the terminal."""
    if row.section == "memory":
        return f"{row.what}: peak RSS {row.rss_mb:.0f} MB, {row.ratio:.2f}× the smaller batch {row.mark}".replace("**", "").rstrip()
    if row.seconds is None:
        return f"{' '.join(JOBS[row.job].imgkit)}: {row.what}"
    base = "the cv2 script" if row.section == "ratio" else "the best -j"
    count = SCALING_COUNT if row.section == "scaling" else RATIO_COUNT
    return (f"{' '.join(JOBS[row.job].imgkit)}: {row.what} ({count} JPEGs): {row.seconds:.2f} s (least "
            f"{row.fastest:.2f}, CPU {row.cpu:.2f}), {row.ratio:.2f}× {base} {row.mark}").replace("**", "").rstrip()


def markdown(rows):
    """The rows as BENCHMARKS.md's section."""
    from .bench import machine

    def cell(value, form):
        return "—" if value is None else form.format(value)

    def table(rows, base):
        return [f"| command | wall s | least wall s | CPU s | wall / {base} | target |", "|---|---|---|---|---|---|"] + [
            f"| {row.what} | {cell(row.seconds, '{:.2f}')} | {cell(row.fastest, '{:.2f}')} | {cell(row.cpu, '{:.2f}')} "
            f"| {cell(row.ratio, '{:.2f}×')} | {row.mark} |" for row in rows]
    lines = ["## End to end: batches against a plain OpenCV script and libvips", "",
             f"Measured {time.strftime('%Y-%m-%d')} on {machine()}. A folder of {RATIO_COUNT} 1080p JPEGs made from the "
             f"bundled photos, each job's results written into a directory (JPEG quality {QUALITY}; Canny's edge maps "
             "as PNG: cv2's default compression for cv2 and imgkit, compression 1 for pyvips). Each command line is "
             "a process of its own, timed whole (start-up included): the `imgkit` CLI; a plain cv2 script a user "
             "would write (one process: imread, the operation, imwrite, in a loop); libvips, as a pyvips script of "
             "the same shape (pyvips-binary's libvips, the `imgkit[bench]` extra) and as its `vips` CLI in a shell "
             "loop where that is installed: the rows say which ran. The commands take turns, after a warm-up round; "
             "median of the timed rounds, wall and CPU (user + system) seconds, and the least wall time (the run "
             "other processes disturbed least); the ratio is the median of each round's ratio to the cv2 script. "
             "Targets (SPEC §6), for blur: the default -j at most 0.9× the cv2 script, -j 1 at most 1.1×."]
    for job, spec in JOBS.items():
        ratio = [row for row in rows if row.section == "ratio" and row.job == job]
        if ratio:
            lines += ["", f"### `imgkit {' '.join(spec.imgkit)}`, {RATIO_COUNT} JPEGs", "",
                      f"cv2 script: `{spec.opencv}`; pyvips: `{spec.pyvips}`." + (f" {spec.note}." if spec.note else ""),
                      "", *table(ratio, "cv2 script")]
    scaling = [row for row in rows if row.section == "scaling"]
    if scaling:
        lines += ["", f"### Blur: -j scaling, {SCALING_COUNT} JPEGs", "", *table(scaling, "best -j")]
    memory = [row for row in rows if row.section == "memory"]
    if memory:
        lines += ["", "### Blur: memory", "", "| batch | peak RSS MB | to the smaller batch | target |",
                  "|---|---|---|---|"]
        lines += [f"| {row.what} | {row.rss_mb:.0f} | {row.ratio:.2f}× | {row.mark} |" for row in memory]
    return "\n".join(lines) + "\n"
