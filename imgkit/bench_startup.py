"""What a user waits for before any pixel: the start-up section of ``imgkit bench`` (SPEC §6,
issue 16). Every time is the wall time of a whole process (the ``imgkit`` script), the median of
runs that alternate with those of what it is compared with, so that both meet the same machine.

- a warm one-image call against ``python -c "import numpy, cv2, numba"``, the floor of any process
  that needs those three (target: at most 1.5×);
- ``imgkit --help`` and ``imgkit COMMAND --help`` against the same help of a minimal Typer app
  (target: at most 1.3×), and whether they import numba or cv2 (they must not);
- each command's first call on an empty ``NUMBA_CACHE_DIR``, compilation included (target: under
  5 s), with the CPU time it took beside it: steadier than the wall time on a shared machine.
"""

import os
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .bench import IN_PROCESS, failed

FLOOR = "import numpy, cv2, numba"
WARM_CALL_TARGET = 1.5
HELP_TARGET = 1.3
FIRST_COMPILE_TARGET_S = 5.0
# A minimal Typer app with one command and one option: the help a bare Typer start gives.
BARE_TYPER = '''import typer
app = typer.Typer(add_completion=False)
@app.callback()
def root():
    """A bare app."""
@app.command()
def blur(path: str, sigma: float = 1.0):
    """Blur."""
app()
'''
# Beyond each command's first example: the variants that compile kernels of their own.
VARIANTS = ("blur {input} --method box -o {output}.png", "blur {input} --method median --ksize 5 -o {output}.png",
            "blur {input} --method bilateral -o {output}.png", "guided {input} --subsample 4 -o {output}.png")


@dataclass
class Timing:
    what: str                   # the command line timed
    seconds: float              # wall time, median of the runs
    baseline: str = ""          # what it is measured against ("" for an absolute target)
    ratio: float | None = None  # seconds / the baseline's seconds
    target: float | None = None  # the most the ratio (or, without a baseline, the seconds) may be
    cpu_seconds: float | None = None
    note: str = ""

    @property
    def passed(self):
        measured = self.ratio if self.baseline else self.seconds
        return self.target is None or measured <= self.target


def imgkit_line(*args):
    """The command line a user types: the ``imgkit`` script installed beside this Python (``python
    -m imgkit`` where there is none, which started 50–70 ms slower here: numpy's typing module
    alone took 47 ms instead of 2 under runpy, cause not found)."""
    script = Path(sys.executable).with_name("imgkit")
    return [str(script) if script.exists() else sys.executable, *([] if script.exists() else ["-m", "imgkit"]),
            *map(str, args)]


def timed(command, env=None):
    """(wall seconds, CPU seconds of the process and its children) of one run; a failed run is a
    RuntimeError with its last line of stderr."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, **(env or {})})
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise failed(shlex.join(command[1:]), done.returncode, done.stderr)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def against(what, command, baseline_what, baseline, target, repeat, env=IN_PROCESS):
    """``command`` (with ``env`` added to the environment) against ``baseline``, alternating,
    after one warm-up run of each."""
    timed(baseline)
    timed(command, env)
    ours, theirs = [], []
    for _ in range(repeat):
        theirs.append(timed(baseline)[0])
        ours.append(timed(command, env)[0])
    seconds, base = statistics.median(ours), statistics.median(theirs)
    return [Timing(baseline_what, base), Timing(what, seconds, baseline_what, seconds / base, target)]


def imports_of(command_args):
    """The modules among numba and cv2 that ``imgkit ARGS`` imports."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "imgkit", *command_args],
                          capture_output=True, text=True)
    names = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    return sorted(names & {"numba", "cv2"})


def warm_call(scratch, repeat):
    """The warm one-image call against the floor, then the same call through a resident server
    (``imgkit server start``, in a runtime directory of its own) against a bare Python start."""
    import cv2
    import numpy as np
    small = scratch / "small.png"
    cv2.imwrite(str(small), np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8))
    call = imgkit_line("blur", small, "-o", scratch / "small_blur.png", "--overwrite", "-q")
    rows = against("imgkit blur (64×64 PNG, warm cache)", call, f'python -c "{FLOOR}"',
                   [sys.executable, "-c", FLOOR], WARM_CALL_TARGET, repeat)
    runtime = scratch / "runtime"
    runtime.mkdir(mode=0o700)
    served = {"XDG_RUNTIME_DIR": str(runtime)}
    timed(imgkit_line("server", "start"), served)
    try:
        return rows + against("the same, through imgkit server", call, 'python -c "pass"',
                              [sys.executable, "-c", "pass"], None, repeat, served)
    finally:
        timed(imgkit_line("server", "stop"), served)


def help_calls(scratch, repeat):
    bare = scratch / "bare_typer.py"
    bare.write_text(BARE_TYPER)
    rows = []
    for args, bare_args in ((["--help"], ["--help"]), (["blur", "--help"], ["blur", "--help"])):
        pair = against(f"imgkit {' '.join(args)}", imgkit_line(*args), f"bare Typer app {' '.join(bare_args)}",
                       [sys.executable, str(bare), *bare_args], HELP_TARGET, repeat)
        loaded = imports_of(args)
        pair[1].note = f"imports {', '.join(loaded)}: FAIL" if loaded else "imports neither numba nor cv2"
        rows += pair
    return rows


def compile_cases(scratch):
    """(command line, its arguments) for each command's first example, and the VARIANTS, on
    inputs made here: a 256×256 BGR photo, a complex spectrum, a detection file."""
    import cv2
    import numpy as np

    from . import registry
    from .bench import bench_image
    from .box_layouts import detections
    photo = scratch / "photo.png"
    cv2.imwrite(str(photo), bench_image((256, 256), 3))
    spectrum = scratch / "photo.npy"
    np.save(spectrum, np.fft.fft2(cv2.imread(str(photo), cv2.IMREAD_GRAYSCALE)).astype(np.complex64))
    boxes = scratch / "detections.json"
    boxes.write_text(detections_json(detections(200)))
    inputs = {".npy": spectrum, ".json": boxes}
    lines = []
    for name, command in registry.commands().items():
        words = shlex.split(command.examples[0])[1:]
        at = len(name.split())
        source = words[at]
        output = words[words.index("-o") + 1]
        words[at] = "{input}"
        words[words.index("-o") + 1] = "{output}" + Path(output).suffix
        lines.append((" ".join(words), inputs.get(Path(source).suffix, photo)))
    lines += [(variant, photo) for variant in VARIANTS]
    return lines


def detections_json(boxes):
    import json
    xyxy, scores, classes = boxes
    return json.dumps([{"box": [float(v) for v in box], "score": float(score), "class": int(label)}
                       for box, score, label in zip(xyxy, scores, classes)])


def first_compiles(scratch, on_row):
    rows = []
    for line, source in compile_cases(scratch):
        text = line.format(input=source.name, output="out")
        args = shlex.split(line.format(input=source, output=scratch / "compiled"))
        with tempfile.TemporaryDirectory(dir=scratch) as cache:
            wall, cpu = timed(imgkit_line(*args, "--overwrite", "-q"), env={**IN_PROCESS, "NUMBA_CACHE_DIR": cache})
        row = Timing(f"imgkit {text}", wall, target=FIRST_COMPILE_TARGET_S, cpu_seconds=cpu)
        on_row(row)
        rows.append(row)
    return rows


def run(repeat=7, on_row=lambda row: None):
    """Every start-up measurement, in the order of the section."""
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        rows = []
        for part in (warm_call(scratch, repeat), help_calls(scratch, repeat)):
            for row in part:
                on_row(row)
            rows += part
        return rows + first_compiles(scratch, on_row)


def describe(row):
    """One line for the terminal."""
    mark = "" if row.target is None else (" pass" if row.passed else " FAIL")
    target = f" (target ≤ {row.target}×)" if row.target is not None else ""
    ratio = f", {row.ratio:.2f}× {row.baseline}{target}" if row.baseline else ""
    cpu = f", {row.cpu_seconds:.2f} s CPU" if row.cpu_seconds is not None else ""
    limit = f" (target < {row.target:.0f} s)" if row.target is not None and not row.baseline else ""
    return f"{row.what}: {row.seconds:.2f} s{cpu}{ratio}{limit}{mark}" + (f"; {row.note}" if row.note else "")


def markdown(rows, repeat=7):
    def cells(row):
        target = "" if row.target is None else (f"≤ {row.target}×" if row.baseline else f"< {row.target:.0f} s")
        mark = "" if row.target is None else ("pass" if row.passed else "**FAIL**")
        return [f"`{row.what}`", f"{row.seconds:.2f}", "" if row.cpu_seconds is None else f"{row.cpu_seconds:.2f}",
                f"{row.ratio:.2f}×" if row.ratio else "", target, mark, row.note]
    lines = ["## Start-up", "",
             f"Wall time of whole processes (the `imgkit` script): for the ratios, the median of {repeat} runs "
             "alternating with runs of the baseline above it, after a warm-up run of each; for first compiles, "
             "one run on an empty `NUMBA_CACHE_DIR` (compilation included), with the CPU time of the process "
             "beside it.", "",
             "| command line | wall s | CPU s | ratio | target | | note |", "|---|---|---|---|---|---|---|"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in cells(row)) + " |" for row in rows]
    return "\n".join(lines) + "\n"
