"""Whole batches, end to end (SPEC §6, issue 16): ``imgkit blur DIR -o OUT`` against what a user
would run instead, on a folder of 1080p JPEGs made from the bundled photos (``bench.photo_folder``).

Every command line runs as a process of its own, timed from its start to its exit (wall time, and
the CPU time of it and its children from ``wait4``): the plain single-process OpenCV loop (LOOP),
``imgkit`` with ``-j 1``, the default ``-j`` and each ``-j`` up to the cores, and libvips' CLI in a
shell loop and ImageMagick's ``mogrify`` where they are installed. The commands take turns, one
warm-up round first (file cache, Numba's cache), so that another process's load falls on all of
them alike; each figure is the median of the timed rounds. Memory: the peak RSS of a batch of
1,000 small images against one of 100, which a batch that holds nothing per image keeps equal.
"""

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

LOOP = """import cv2, glob, os, sys
for p in sorted(glob.glob(sys.argv[1] + "/*.jpg")):
    cv2.imwrite(os.path.join(sys.argv[2], os.path.basename(p)),
                cv2.GaussianBlur(cv2.imread(p), (0, 0), 2), [cv2.IMWRITE_JPEG_QUALITY, 92])
"""
SIGMA, QUALITY = 2, 92
RATIO_COUNT, SCALING_COUNT, MEMORY_COUNTS = 50, 200, (100, 1000)
# The targets of SPEC §6 and issue 16, by section and command: the most each ratio may be.
TARGETS = {("ratio", "default"): 0.9, ("ratio", "j1"): 1.1, ("scaling", "default"): 1.1, ("memory", "default"): 1.1}


@dataclass
class Row:
    section: str            # "ratio" (RATIO_COUNT JPEGs), "scaling" (SCALING_COUNT) or "memory"
    what: str               # the command, in words
    seconds: float | None   # median wall time (None: not installed)
    fastest: float | None   # the least wall time: the run another process disturbed least
    cpu: float | None       # median CPU seconds, user + system, children included
    ratio: float | None     # wall to the cv2 loop's in the same round, median over the rounds ("scaling": to
                            # that round's best -j; "memory": peak RSS to the smaller batch's)
    rss_mb: float | None = None
    target: float | None = None     # the most the ratio may be (SPEC §6), where one is set

    @property
    def mark(self):
        if self.target is None or self.ratio is None:
            return ""
        return f"≤ {self.target:.2f}×: " + ("pass" if self.ratio <= self.target else "**FAIL**")


def commands(source, out, cores):
    """``(section key, words, argv)`` of each command line timed on ``source``, writing into ``out``."""
    imgkit = imgkit_line("blur", source, "--sigma", SIGMA, "-o", out, "--quality", QUALITY, "-q")
    lines = [("loop", "plain cv2 loop (one process)", [sys.executable, "-c", LOOP, str(source), str(out)]),
             ("default", "imgkit, default -j", imgkit)]
    lines += [(f"j{jobs}", f"imgkit -j {jobs}", imgkit + ["-j", str(jobs)]) for jobs in range(1, cores + 1)]
    if shutil.which("vips"):
        loop = (f'for f in "$1"/*.jpg; do vips gaussblur "$f" "$2/$(basename "$f")[Q={QUALITY}]" {SIGMA} || exit 1; '
                "done")
        lines.append(("vips", "libvips CLI in a shell loop", ["bash", "-c", loop, "vips", str(source), str(out)]))
    if shutil.which("mogrify"):
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
    """The three sections' rows, each passed to ``on_row`` as it is measured."""
    from .bench import photo_folder
    from .workers import available_cores
    cores = cores or available_cores()
    rows = []

    def add(row):
        on_row(row)
        rows.append(row)
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        for section, count, base in (("ratio", RATIO_COUNT, _loop), ("scaling", SCALING_COUNT, _best_jobs)):
            source = photo_folder(scratch / f"in{count}", count)
            lines = commands(source, scratch / "out", cores)
            if section == "scaling":
                lines = [line for line in lines if line[0] not in ("vips", "mogrify")]
            times = timed(lines, scratch / "out", repeat, base)
            for key, what, _ in lines:
                add(Row(section, what, *times[key], target=TARGETS.get((section, key))))
            if section == "ratio":
                for tool, what in (("vips", "libvips CLI in a shell loop"), ("mogrify", "ImageMagick mogrify")):
                    if tool not in times:
                        add(Row(section, f"{what}: not installed", None, None, None, None))
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
        return row.what
    base = "the cv2 loop" if row.section == "ratio" else "the best -j"
    return (f"{row.what} ({SCALING_COUNT if row.section == 'scaling' else RATIO_COUNT} JPEGs): {row.seconds:.2f} s "
            f"(least {row.fastest:.2f}, CPU {row.cpu:.2f}), {row.ratio:.2f}× {base} {row.mark}").replace("**", "").rstrip()


def markdown(rows):
    """The rows as BENCHMARKS.md's section."""
    from .bench import machine
    ratio = [row for row in rows if row.section == "ratio"]
    scaling = [row for row in rows if row.section == "scaling"]
    memory = [row for row in rows if row.section == "memory"]

    def cell(value, form):
        return "—" if value is None else form.format(value)
    lines = ["## End to end: a batch against the plain OpenCV loop", "",
             f"Measured {time.strftime('%Y-%m-%d')} on {machine()}. Gaussian blur σ {SIGMA} of a folder of 1080p JPEGs "
             f"made from the bundled photos, written as JPEG quality {QUALITY} into a directory; each command line a "
             "process of its own, timed whole (start-up included); the commands take turns, after a warm-up round; "
             "median of the timed rounds, wall and CPU (user + system) seconds, and the least wall time (the run other "
             "processes disturbed least); the ratio is the median of each round's ratio. Targets (SPEC §6): the default "
             "-j at most 0.9× the loop, -j 1 at most 1.1×.", "",
             f"### {RATIO_COUNT} JPEGs", "", "| command | wall s | least wall s | CPU s | wall / cv2 loop | target |",
             "|---|---|---|---|---|---|"]
    lines += [f"| {row.what} | {cell(row.seconds, '{:.2f}')} | {cell(row.fastest, '{:.2f}')} | {cell(row.cpu, '{:.2f}')} "
              f"| {cell(row.ratio, '{:.2f}×')} | {row.mark} |" for row in ratio]
    lines += ["", f"### -j scaling, {SCALING_COUNT} JPEGs", "",
              "| command | wall s | least wall s | CPU s | wall / best -j | target |", "|---|---|---|---|---|---|"]
    lines += [f"| {row.what} | {row.seconds:.2f} | {row.fastest:.2f} | {row.cpu:.2f} | {row.ratio:.2f}× | {row.mark} |"
              for row in scaling]
    lines += ["", "### Memory", "", "| batch | peak RSS MB | to the smaller batch | target |", "|---|---|---|---|"]
    lines += [f"| {row.what} | {row.rss_mb:.0f} | {row.ratio:.2f}× | {row.mark} |" for row in memory]
    return "\n".join(lines) + "\n"

