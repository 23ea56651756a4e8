"""Every registered operation, walked from the registry: both backends agree within tolerance,
every dtype it declares works, and ``compare`` / ``warmup`` reach it."""

import dataclasses

import numpy as np
import pytest

from conftest import PHOTOS, compare_rows, photo, random_image

from imgkit import registry
from imgkit.cli import main
from imgkit.compare import compare_image, difference
from imgkit.batch import Job

OPS = sorted(registry.OPS)
IMAGE_OPS = [name for name in OPS if not registry.OPS[name].workload]   # the others take boxes…


@pytest.mark.parametrize("name", IMAGE_OPS)
@pytest.mark.parametrize("gray", [True, False], ids=["gray", "bgr"])
def test_backends_agree_within_tolerance_on_photos(name, gray, photo_name):
    op = registry.get(name)
    image = photo(photo_name, gray=gray)
    ours = op.function(image, **op.bench)
    theirs = op.function(image, **op.bench, backend="opencv")
    assert ours.dtype == theirs.dtype == np.dtype(op.result_dtype or image.dtype) and ours.shape == theirs.shape
    if op.keeps_shape:
        assert ours.shape[2:] == (() if op.tolerance.edges else image.shape[2:])    # channels kept; edge maps: one
    metrics = difference(ours, theirs)
    assert op.tolerance.holds(metrics, theirs.dtype), metrics


@pytest.mark.parametrize("name", IMAGE_OPS)
def test_every_declared_dtype_is_accepted_and_kept(name):
    op = registry.get(name)
    for dtype in op.dtypes:
        image = random_image((23, 17, 3), dtype)
        ours = op.function(image, **op.bench)
        theirs = op.function(image, **op.bench, backend="opencv")
        assert ours.dtype == np.dtype(op.result_dtype or dtype)
        assert op.tolerance.holds(difference(ours, theirs), theirs.dtype)


def test_compare_reports_and_exits_by_tolerance(monkeypatch, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["compare", "blur", str(PHOTOS / "camera.png"), "--repeat", "2", "--json"])
    assert exit_info.value.code == 0
    (row,) = compare_rows(capsys.readouterr().out)
    assert row["input"] == str(PHOTOS / "camera.png") and row["within_tolerance"] and row["max_abs"] == 0
    strict = dataclasses.replace(registry.OPS["bilateral_filter"], tolerance=registry.Tolerance(max_abs=-1))
    monkeypatch.setitem(registry.OPS, "bilateral_filter", strict)
    with pytest.raises(SystemExit) as exit_info:
        main(["compare", "blur", "--method", "bilateral", str(PHOTOS / "camera.png"), "--repeat", "1", "--json"])
    assert exit_info.value.code == 1


def test_compare_image_times_both_backends():
    row = compare_image(Job("median_blur", {"ksize": 3}), photo("chelsea.png"), repeat=2)
    assert row["max_abs"] == 0 and row["within_tolerance"]
    assert row["imgkit_ms"] > 0 and row["opencv_ms"] > 0 and row["first_call_ms"] > 0


def test_warmup_compiles_every_operation(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["warmup"])
    err = capsys.readouterr().err
    assert exit_info.value.code == 0
    for name in OPS:
        assert name in err
