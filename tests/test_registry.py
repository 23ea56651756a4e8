"""Every declared operation, walked from the registry: both backends agree within tolerance and
meet the accuracy goal the declaration states (the one place compare and the tests read them),
every dtype it declares works, and ``compare`` / ``warmup`` reach it."""

import dataclasses

import numpy as np
import pytest

from conftest import PHOTOS, compare_rows, photo, random_image

from imgkit import registry
from imgkit.batch import Job
from imgkit.cli import main
from imgkit.compare import compare_image, difference

OPERATIONS = registry.operations()
IMAGE_CASES = [(name, index) for name, op in sorted(OPERATIONS.items()) if op.takes == "image"
               for index in range(len(op.bench))]
CASE_IDS = [f"{name}-{index}" for name, index in IMAGE_CASES]


@pytest.mark.parametrize("name, index", IMAGE_CASES, ids=CASE_IDS)
@pytest.mark.parametrize("gray", [True, False], ids=["gray", "bgr"])
def test_backends_meet_the_declared_goal_on_photos(name, index, gray, photo_name):
    op = OPERATIONS[name]
    params = op.bench[index]
    image = photo(photo_name, gray=gray)
    if image.dtype.name not in op.accepts(params):
        pytest.skip(f"{name} with {params} takes {op.accepts(params)}")
    ours = op.function(image, **params)
    theirs = op.function(image, **params, backend="opencv")
    assert ours.dtype == theirs.dtype == np.dtype(op.gives(image.dtype, params)) and ours.shape == theirs.shape
    if op.channels_kept and not op.features:
        assert ours.shape[2:] == image.shape[2:]
    metrics = difference(ours, theirs)
    assert op.goal.holds(metrics, theirs.dtype), metrics
    assert op.tolerance.holds(metrics, theirs.dtype), metrics


@pytest.mark.parametrize("name, index", IMAGE_CASES, ids=CASE_IDS)
def test_every_declared_dtype_is_accepted_and_kept(name, index):
    op = OPERATIONS[name]
    params = op.bench[index]
    for dtype in op.accepts(params):
        image = random_image((23, 17, 3), dtype)
        ours = op.function(image, **params)
        theirs = op.function(image, **params, backend="opencv")
        assert ours.dtype == np.dtype(op.gives(dtype, params))
        assert op.tolerance.holds(difference(ours, theirs), theirs.dtype)


def test_a_goal_is_never_looser_than_the_tolerance():
    """The goal is what the tests hold an operation to; the tolerance only where compare fails."""
    for name, op in OPERATIONS.items():
        goal, floor = op.goal, op.tolerance
        if floor.edges:
            assert goal.identical >= floor.identical and goal.f1 >= floor.f1, name
        else:
            assert goal.max_abs <= floor.max_abs and goal.relative <= floor.relative, name


def test_compare_reports_and_exits_by_tolerance(monkeypatch, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["compare", "blur", str(PHOTOS / "camera.png"), "--repeat", "2", "--json"])
    assert exit_info.value.code == 0
    (row,) = compare_rows(capsys.readouterr().out)
    assert row["input"] == str(PHOTOS / "camera.png") and row["within_tolerance"] and row["max_abs"] == 0
    strict = dataclasses.replace(OPERATIONS["bilateral_filter"], tolerance=registry.Tolerance(max_abs=-1))
    monkeypatch.setitem(registry._OPERATIONS, "bilateral_filter", strict)
    with pytest.raises(SystemExit) as exit_info:
        main(["compare", "blur", "--method", "bilateral", str(PHOTOS / "camera.png"), "--repeat", "1", "--json"])
    assert exit_info.value.code == 1


def test_compare_json_is_strict_json_when_an_input_holds_nan(tmp_path, capsys):
    """NaN in a float image made the --json line hold NaN, which strict JSON parsers refuse."""
    import json
    image = np.ones((16, 16), np.float32)
    image[3, 3] = np.nan
    np.save(tmp_path / "nan.npy", image)
    with pytest.raises(SystemExit):
        main(["compare", "blur", str(tmp_path / "nan.npy"), "--repeat", "1", "--json"])
    for line in capsys.readouterr().out.splitlines():
        json.loads(line, parse_constant=lambda name: pytest.fail(f"{name} in {line}"))


def test_compare_image_times_both_backends():
    row, ours, theirs = compare_image(Job("median_blur", {"ksize": 3}), photo("chelsea.png"), repeat=2)
    assert row["max_abs"] == 0 and row["within_tolerance"] and (ours == theirs).all()
    assert row["imgkit_ms"] > 0 and row["reference_ms"] > 0 and row["first_call_ms"] > 0


def test_warmup_compiles_every_operation(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["warmup"])
    err = capsys.readouterr().err
    assert exit_info.value.code == 0
    for name in OPERATIONS:
        assert name in err


def test_every_command_names_the_operations_its_options_reach():
    """``Command.ops`` (what compare and these tests walk) holds every operation its step returns."""
    for name, command in registry.commands().items():
        assert command.ops and all(op in OPERATIONS for op in command.ops), name
