"""``imgkit compare``: imgkit against its OpenCV reference, on accuracy and on speed.

Accuracy uses the tolerances of the registry (SPEC §5); speed is the median of repeated runs
after a first call, whose time (Numba loading or compiling its kernels) is reported apart.
"""

import json
import statistics
import sys
import time
from dataclasses import replace

import numpy as np


def difference(result, reference):
    """Max and mean absolute difference, PSNR, share of identical values, relative error and
    the F1 score of the edge sets (the nonzero values; 1 when both are empty)."""
    if result.shape != reference.shape:
        raise ValueError(f"shapes differ: imgkit {result.shape}, OpenCV {reference.shape}")
    wide = np.complex128 if np.iscomplexobj(result) or np.iscomplexobj(reference) else np.float64   # spectra: |a − b|
    a, b = result.astype(wide), reference.astype(wide)
    with np.errstate(all="ignore"):     # NaN and infinities in float results: numpy's notes would reach stderr
        diff = np.abs(a - b)
        diff[(a == b) | (np.isnan(a) & np.isnan(b))] = 0.0     # the same NaN or infinity in both: identical
        diff[np.isnan(diff)] = np.inf                          # a NaN or infinity in one only: as far as can be
        scale = max(1.0, float(np.abs(b[np.isfinite(b)]).max(initial=0.0)))
        peak = float(np.iinfo(reference.dtype).max) if reference.dtype.kind in "ui" else scale
        mse = float(np.mean(diff ** 2))
        psnr = float("inf") if mse == 0 else float(10 * np.log10(peak ** 2 / mse))
    return {
        "max_abs": float(diff.max(initial=0.0)),
        "mean_abs": float(diff.mean()),
        "psnr": psnr,
        "identical": float(np.mean(diff == 0)),
        "within_1": float(np.mean(diff <= 1)),
        "relative": float(diff.max(initial=0.0)) / scale,
        "f1": edge_f1(result != 0, reference != 0),
    }


def edge_f1(ours, theirs):
    """F1 of two boolean edge sets: 2·|both| / (|ours| + |theirs|); 1 when both are empty."""
    total = int(np.count_nonzero(ours)) + int(np.count_nonzero(theirs))
    return 1.0 if total == 0 else 2.0 * int(np.count_nonzero(ours & theirs)) / total


def timed(function, repeat):
    """(first call ms, median ms of ``repeat`` further calls, last result)."""
    started = time.perf_counter()
    result = function()
    first = (time.perf_counter() - started) * 1e3
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        times.append((time.perf_counter() - started) * 1e3)
    return first, statistics.median(times), result


# Where the reference is not OpenCV (the declarations' ``reference`` texts say when): the
# operation → (parameter, the value that selects it, library, its function, OpenCV's otherwise).
OTHER_REFERENCES = {
    "resize": ("antialias", True, "pillow", "PIL.Image.resize", "cv2.resize"),
    "hog": ("style", "skimage", "scikit-image", "skimage.feature.hog", "cv2.HOGDescriptor"),
    "hog_image": ("style", "skimage", "scikit-image", "skimage.feature.hog", "cv2.HOGDescriptor"),
}
LIBRARIES = {"opencv": "OpenCV", "pillow": "Pillow", "scikit-image": "scikit-image"}


def reference_of(op, params):
    """(library, function) of the reference that ``op`` (``registry.Operation``) runs with ``params``."""
    if op.name not in OTHER_REFERENCES:
        return "opencv", op.reference
    name, value, library, function, opencv = OTHER_REFERENCES[op.name]
    return (library, function) if params.get(name, op.param(name).default) == value else ("opencv", opencv)


def compare_image(job, image, repeat):
    """Run both backends of ``job`` on ``image``: the metrics, timings and tolerance verdict, and
    both results."""
    from . import registry
    from .batch import apply
    from .reference import noting
    first, ms, ours = timed(lambda: apply(replace(job, backend="numba"), image), repeat)
    with noting() as notes:
        _, reference_ms, theirs = timed(lambda: apply(replace(job, backend="opencv"), image), repeat)
    metrics = difference(ours, theirs)
    op = registry.get(job.op)
    within = op.tolerance.holds(metrics, theirs.dtype)
    if not op.tolerance.edges:
        del metrics["f1"]       # only meaningful for edge maps
    library, function = reference_of(op, job.params)
    row = {**metrics, "reference": library, "reference_function": function, "imgkit_ms": ms,
           "reference_ms": reference_ms, "ratio": ms / reference_ms, "first_call_ms": first,
           "within_tolerance": within, "reference_notes": notes}
    return row, ours, theirs


def run_compare(name, job, common, repeat, extensions=None, diff=None):
    """Compare over every input (directories and globs give the files with one of
    ``extensions``, images by default), and with ``diff`` write each input's heat map of the
    difference there; exit code 1 if any input fails or falls outside tolerance."""
    from . import registry
    from .tables import show
    from .versions import describe
    op = registry.get(job.op)
    sources, outputs = inputs_and_diffs(common, extensions, diff, op, name, job.reads)
    library, function = reference_of(op, job.params)
    edges = op.tolerance.edges
    rows, notes = [], []      # notes: how the reference path departed from calling its function as is

    def measure(source, image):
        row, ours, theirs = compare_image(job, image, repeat)
        if source.path in outputs:
            row["diff"] = write_diff(outputs[source.path], ours, theirs, LIBRARIES[row["reference"]], common.overwrite)
        return row

    def report(path, row):
        notes.extend(text for text in row["reference_notes"] if text not in notes)
        if common.json:
            print(strict_json({"input": path, **row}), flush=True)
        else:
            rows.append((path, [f"{row['max_abs']:.4g}", f"{row['mean_abs']:.3g}", f"{row['psnr']:.1f}",
                                f"{row['identical']:.4%}", *((f"{row['f1']:.5f}",) if edges else ()),
                                f"{row['imgkit_ms']:.2f}", f"{row['reference_ms']:.2f}", f"{row['ratio']:.2f}×",
                                f"{row['first_call_ms']:.0f}",
                                "ok" if row["within_tolerance"] else "[red]outside[/]"]))
        return row["within_tolerance"]
    failed = over_inputs(sources, common, measure, report)
    if common.json:
        print_summary()
    elif rows:
        reference = LIBRARIES[library]
        headers = [("max\nabs", "right"), ("mean\nabs", "right"), ("PSNR\ndB", "right"), ("\nidentical", "right"),
                   *((("edge\nF1", "right"),) if edges else ()), ("imgkit\nms", "right"), (f"{reference}\nms", "right"),
                   ("\nratio", "right"), ("first\ncall ms", "right"), ("\nverdict", "left")]
        show(f"imgkit {name} ({job.op}) vs {function}, median of {repeat}", headers, rows,
             [*(f"{reference} path: {text}" for text in notes), describe()])
    return 1 if failed else 0


def inputs_and_diffs(common, extensions, directory, last, name, reads=()):
    """The inputs, and with ``--diff`` (``directory``) each one's heat map path there, by the
    batch's rules: input paths mirrored, ``_diff`` added, png; never an input nor one of ``reads``
    (the job's other files: ``--guide``), never two on one file. Usage errors first, as for a
    feature vector (``last``: the operation that ends the job)."""
    import os

    import typer

    from . import batch
    if directory is None:
        return find_inputs(common, extensions), {}
    if last.features:
        raise typer.BadParameter(f"draws images; {name} gives a feature vector", param_hint="--diff")
    if directory in ("", "-") or (os.path.lexists(directory) and not os.path.isdir(directory)):
        # '' became '/' below (heat maps in the root directory), '-' a directory named '-'
        raise typer.BadParameter(f"{directory!r} is not a directory: name the directory the heat maps go into",
                                 param_hint="--diff")
    sources = find_inputs(common, extensions, exclude=(directory,))
    try:
        tasks = batch.plan_outputs(sources, directory.rstrip("/") + "/", suffix="_diff", fmt="png", reads=reads)
    except batch.UsageError as error:
        raise typer.BadParameter(str(error), param_hint="--diff") from None
    # a heat map a walk found beside its input (an earlier --diff into the inputs' directory) is
    # that input's output, not an input: as the batch drops it, so that it is never read and written
    return [task.source for task in tasks], {task.source.path: task.output for task in tasks}


def write_diff(path, ours, theirs, reference, overwrite):
    """The heat map of |ours − theirs| (``heatmap``) written to ``path`` (atomically); returns ``path``."""
    from . import io
    from .heatmap import heat_map
    units = f"{theirs.dtype} {'levels' if theirs.dtype.kind in 'ui' else 'values'}"
    io.write_output(path, io.encode(heat_map(ours, theirs, reference, units), "png"), overwrite=overwrite)
    return path


def strict_json(record):
    """``record`` as one line of strict JSON: a value that is not a finite number (an infinite PSNR
    for identical outputs, NaN where an input holds NaN) is null."""
    import math

    def strict(value):
        if isinstance(value, float) and not math.isfinite(value):
            return None
        if isinstance(value, dict):
            return {key: strict(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [strict(item) for item in value]
        return value
    return json.dumps(strict(record), allow_nan=False)


def find_inputs(common, extensions, exclude=()):
    """The inputs (directories and globs give the files with one of ``extensions``, images by
    default; none under ``exclude``); a usage error if there are none."""
    import typer

    from . import inputs
    try:
        return inputs.expand_inputs(common.inputs, common.recursive, extensions or inputs.IMAGE_EXTENSIONS,
                                    exclude=exclude,
                                    on_skip=lambda message: print(f"imgkit: {message}", file=sys.stderr))
    except inputs.UsageError as error:
        raise typer.BadParameter(str(error)) from None


def over_inputs(sources, common, measure, report):
    """``report(path, measure(source, image))`` for each of ``sources``, as each is done; an
    input that cannot be read or measured is one error line on stderr, printed as it is (never
    wrapped). Returns whether any input failed, or ``report`` returned False."""
    from . import batch, io
    failed = False
    for source in sources:
        try:
            image = io.imread(source.path, gray=common.gray, max_pixels=int(common.max_pixels))
            result = measure(source, image)
        except Exception as error:   # noqa: BLE001  (one input's failure is that input's error line)
            print(f"imgkit: {batch.reason(error, source.path)}", file=sys.stderr, flush=True)
            failed = True
            continue
        failed |= not report(source.path, result)
    return failed


def print_summary():
    """``--json``'s last object: ``imgkit --version``'s line, and no ``input``."""
    from .versions import describe
    print(json.dumps({"versions": describe()}), flush=True)


def compare_chain(job, image, repeat):
    """Both backends of the chain ``job`` on ``image``, stage by stage. For each stage: the
    difference between the two chains' outputs after it (``chain``: where a difference grows), the
    difference between this stage's two backends on the same input (imgkit's output of the stage
    before; ``alone``: judged by the stage's tolerance), and each backend's median time; then the
    two chains' results."""
    from . import registry
    from .batch import apply_step
    from .chain import stage_error
    from .reference import noting
    ours, theirs, rows = image, image, []
    names = job.names or [step.op for step in job.jobs]
    for index, (step, name) in enumerate(zip(job.jobs, names), 1):
        op = registry.get(step.op)
        try:
            _, ms, ours_next = timed(lambda: apply_step(step, ours, "numba"), repeat)
            with noting() as notes:
                _, reference_ms, alone = timed(lambda: apply_step(step, ours, "opencv"), repeat)
                theirs = apply_step(step, theirs, "opencv")
        except (ValueError, TypeError) as error:
            if len(job.jobs) == 1:
                raise
            raise stage_error(index, name, error) from error
        ours = ours_next
        chain, by_itself = difference(ours, theirs), difference(ours, alone)
        rows.append({"op": step.op, "max_abs": chain["max_abs"], "mean_abs": chain["mean_abs"],
                     "identical": chain["identical"], "alone_max_abs": by_itself["max_abs"],
                     "alone_identical": by_itself["identical"],
                     "within_tolerance": op.tolerance.holds(by_itself, alone.dtype),
                     "reference": reference_of(op, step.params)[0], "imgkit_ms": ms,
                     "reference_ms": reference_ms, "reference_notes": notes})
    return rows, ours, theirs


def run_compare_chain(text, job, common, repeat, extensions=None, diff=None):
    """``imgkit compare run``: ``compare_chain`` over every input, and with ``diff`` each input's
    heat map of the two chains' results there; exit code 1 if any input fails or any stage alone
    falls outside its tolerance."""
    from . import registry
    from .tables import show
    from .versions import describe
    sources, outputs = inputs_and_diffs(common, extensions, diff, registry.get(job.jobs[-1].op), "the chain",
                                        job.reads)
    rows, notes = [], []

    def measure(source, image):
        stages, ours, theirs = compare_chain(job, image, repeat)
        if source.path not in outputs:
            return stages, None
        libraries = {LIBRARIES[stage["reference"]] for stage in stages}
        reference = libraries.pop() if len(libraries) == 1 else "references"
        return stages, write_diff(outputs[source.path], ours, theirs, reference, common.overwrite)

    def report(path, result):
        stages, written = result
        within = all(row["within_tolerance"] for row in stages)
        for row in stages:
            notes.extend(note for note in row.pop("reference_notes") if note not in notes)
        total, reference_total = sum(r["imgkit_ms"] for r in stages), sum(r["reference_ms"] for r in stages)
        if common.json:
            print(strict_json({"input": path, "stages": stages, "imgkit_ms": total, "reference_ms": reference_total,
                               "ratio": total / reference_total, "within_tolerance": within,
                               **({"diff": written} if written else {})}), flush=True)
            return within
        for index, row in enumerate(stages, 1):
            rows.append((path if index == 1 else None,
                         [f"{index} {row['op']}" + ("" if row["reference"] == "opencv"
                                                     else f" ({LIBRARIES[row['reference']]})"),
                          f"{row['max_abs']:.4g}", f"{row['identical']:.3%}", f"{row['alone_max_abs']:.4g}",
                          f"{row['imgkit_ms']:.2f}", f"{row['reference_ms']:.2f}",
                          "ok" if row["within_tolerance"] else "[red]outside[/]"]))
        rows.append((None, ["all", "", "", "", f"{total:.2f}", f"{reference_total:.2f}",
                            f"{total / reference_total:.2f}×"]))
        return within
    failed = over_inputs(sources, common, measure, report)
    if common.json:
        print_summary()
    elif rows:
        headers = [("\nstage", "left"), ("max\nabs", "right"), ("\nidentical", "right"),
                   ("alone:\nmax abs", "right"), ("imgkit\nms", "right"), ("ref.\nms", "right"),
                   ("verdict,\nratio", "left")]
        show(f"imgkit run {text!r} vs the same chain of references (median of {repeat})", headers, rows,
             [*(f"reference path: {note}" for note in notes), describe()])
    return 1 if failed else 0
