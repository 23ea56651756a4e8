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
    diff = np.abs(a - b)
    scale = max(1.0, float(np.abs(b).max(initial=0.0)))
    peak = float(np.iinfo(reference.dtype).max) if reference.dtype.kind in "ui" else scale
    mse = float(np.mean(diff ** 2))
    return {
        "max_abs": float(diff.max(initial=0.0)),
        "mean_abs": float(diff.mean()),
        "psnr": float("inf") if mse == 0 else float(10 * np.log10(peak ** 2 / mse)),
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


def compare_image(job, image, repeat):
    """Run both backends of ``job`` on ``image``; the metrics, timings and tolerance verdict."""
    from . import registry
    from .batch import apply
    from .reference import noting
    first, ms, ours = timed(lambda: apply(replace(job, backend="numba"), image), repeat)
    with noting() as notes:
        _, reference_ms, theirs = timed(lambda: apply(replace(job, backend="opencv"), image), repeat)
    metrics = difference(ours, theirs)
    tolerance = registry.get(job.op).tolerance
    within = tolerance.holds(metrics, theirs.dtype)
    if not tolerance.edges:
        del metrics["f1"]       # only meaningful for edge maps
    return {**metrics, "imgkit_ms": ms, "opencv_ms": reference_ms, "ratio": ms / reference_ms,
            "first_call_ms": first, "within_tolerance": within, "reference_notes": notes}


def run_compare(name, job, common, repeat, extensions=None):
    """Compare over every input (directories and globs give the files with one of
    ``extensions``, images by default); exit code 1 if any input fails or falls outside tolerance."""
    import typer
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from . import batch, inputs, io
    try:
        sources = inputs.expand_inputs(common.inputs, common.recursive, extensions or inputs.IMAGE_EXTENSIONS,
                                       on_skip=lambda message: print(f"imgkit: {message}", file=sys.stderr))
    except inputs.UsageError as error:
        raise typer.BadParameter(str(error)) from None
    errors = Console(stderr=True, highlight=False)
    table = Table(title=f"imgkit {name} vs OpenCV ({job.op}, median of {repeat})")
    from . import registry
    edges = registry.get(job.op).tolerance.edges
    for column in ("input", "max abs", "mean abs", "PSNR dB", "identical", *(("edge F1",) if edges else ()),
                   "imgkit ms", "OpenCV ms", "ratio", "first call ms", "verdict"):
        table.add_column(column, justify="left" if column == "input" else "right",
                         no_wrap=column != "input", overflow="fold")
    failed = False
    notes = []      # how the OpenCV path departed from calling OpenCV's function as is
    for source in sources:
        try:
            image = io.imread(source.path, gray=common.gray, max_pixels=int(common.max_pixels))
            row = compare_image(job, image, repeat)
        except Exception as error:   # noqa: BLE001  (one input's failure is that input's error line)
            errors.print(f"imgkit: {batch.reason(error, source.path)}", markup=False, soft_wrap=True)
            failed = True
            continue
        failed |= not row["within_tolerance"]
        notes += [text for text in row["reference_notes"] if text not in notes]
        if common.json:
            # identical outputs have an infinite PSNR, which strict JSON cannot hold: null
            finite = {key: (None if value == float("inf") else value) for key, value in row.items()}
            print(json.dumps({"input": source.path, **finite}), flush=True)
        else:
            table.add_row(escape(source.path), f"{row['max_abs']:.4g}", f"{row['mean_abs']:.3g}", f"{row['psnr']:.1f}",
                          f"{row['identical']:.4%}", *((f"{row['f1']:.5f}",) if edges else ()), f"{row['imgkit_ms']:.2f}", f"{row['opencv_ms']:.2f}",
                          f"{row['ratio']:.2f}×", f"{row['first_call_ms']:.0f}",
                          "ok" if row["within_tolerance"] else "[red]outside tolerance[/]")
    print_report(table, common.json, notes)
    return 1 if failed else 0


def print_report(table, as_json, notes=()):
    """A compare report's end: the table, captioned with how the OpenCV path departed from
    OpenCV's own function (``reference.note``) and ``imgkit --version``'s line; or with ``--json``
    a last object that holds that line and no ``input`` (the summary)."""
    from .versions import describe
    if as_json:
        print(json.dumps({"versions": describe()}), flush=True)
    elif table.row_count:
        from .cli.report import stdout_console
        table.caption, table.caption_justify = "\n".join([*(f"OpenCV path: {text}" for text in notes), describe()]), "left"
        stdout_console().print(table)
