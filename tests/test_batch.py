"""The batch engine without the CLI: input expansion, output naming, executors."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from conftest import PHOTOS

from imgkit import batch, inputs
from imgkit.compare import difference


@pytest.fixture
def tree(tmp_path):
    for rel in ["a.png", "b.JPG", "notes.txt", "sub/c.png", "sub/deeper/d.tif"]:
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    return tmp_path


def relatives(sources):
    return [s.relative for s in sources]


def test_directory_lists_its_images_case_insensitively(tree):
    assert relatives(inputs.expand_inputs([str(tree)])) == ["a.png", "b.JPG"]


def test_recursive_directory_descends(tree):
    assert relatives(inputs.expand_inputs([str(tree)], recursive=True)) == \
        ["a.png", "b.JPG", "sub/c.png", "sub/deeper/d.tif"]


def test_glob_relative_to_its_fixed_prefix(tree):
    assert relatives(inputs.expand_inputs([f"{tree}/sub/**/*"])) == ["c.png", "deeper/d.tif"]


def test_inputs_are_deduplicated_and_sorted(tree):
    sources = inputs.expand_inputs([str(tree / "b.JPG"), f"{tree}/*.png", str(tree / "a.png")])
    assert [s.path for s in sources] == sorted({str(tree / "a.png"), str(tree / "b.JPG")})


def test_a_named_file_is_taken_whatever_its_extension(tree):
    assert relatives(inputs.expand_inputs([str(tree / "notes.txt")])) == ["notes.txt"]


def test_stdin_cannot_mix_with_files(tree):
    with pytest.raises(batch.UsageError):
        inputs.expand_inputs(["-", str(tree / "a.png")])


def test_outputs_mirror_relative_paths_with_suffix_and_format(tree):
    sources = inputs.expand_inputs([str(tree)], recursive=True)
    tasks = batch.plan_outputs(sources, "out", suffix="_x", fmt=None)
    assert [t.output for t in tasks] == ["out/a_x.png", "out/b_x.JPG", "out/sub/c_x.png", "out/sub/deeper/d_x.tif"]
    assert [t.fmt for t in tasks] == ["png", "jpg", "png", "tiff"]
    tasks = batch.plan_outputs(sources, "out", fmt="webp")
    assert tasks[1].output == "out/b.webp"


def test_one_input_to_a_file_takes_the_files_format(tree):
    (task,) = batch.plan_outputs(inputs.expand_inputs([str(tree / "a.png")]), "x.jpg")
    assert (task.output, task.fmt) == ("x.jpg", "jpg")
    with pytest.raises(batch.UsageError):
        batch.plan_outputs(inputs.expand_inputs([str(tree / "a.png")]), "x.jpg", fmt="png")


def test_stdout_takes_one_input(tree):
    with pytest.raises(batch.UsageError):
        batch.plan_outputs(inputs.expand_inputs([str(tree)]), "-")


def test_any_executor_gives_the_same_results(tmp_path):
    sources = inputs.expand_inputs([str(PHOTOS / "camera.png"), str(PHOTOS / "coffee.png")])
    job = batch.Job("box_blur", {"ksize": 3})
    settings = batch.Settings()
    work = batch.image_work(job, settings)
    inline = batch.run_batch(batch.plan_outputs(sources, str(tmp_path / "a")), work, settings)
    with ThreadPoolExecutor(2) as pool:
        threaded = batch.run_batch(batch.plan_outputs(sources, str(tmp_path / "b")), work, settings, executor=pool)
    assert [r.status for r in inline] == [r.status for r in threaded] == ["ok", "ok"]
    for name in ("camera.png", "coffee.png"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_difference_metrics_on_known_arrays():
    a = np.array([[0, 10], [20, 30]], np.uint8)
    b = np.array([[0, 12], [20, 29]], np.uint8)
    metrics = difference(a, b)
    assert metrics["max_abs"] == 2 and metrics["mean_abs"] == 0.75 and metrics["identical"] == 0.5
    assert metrics["psnr"] == pytest.approx(10 * np.log10(255 ** 2 / 1.25))
    assert difference(a, a)["psnr"] == float("inf")


def test_to_8bit_saturates_absolute_values_like_convert_scale_abs():
    import cv2
    values = np.array([[-300.0, -2.5, -0.4, 0.5, 1.5, 254.6, 1e6]], np.float32)
    np.testing.assert_array_equal(batch.to_8bit(values), cv2.convertScaleAbs(values))


def test_to_8bit_normalize_stretches_min_to_0_and_max_to_255():
    values = np.array([[-4.0, 0.0, 4.0]], np.float32)
    np.testing.assert_array_equal(batch.to_8bit(values, normalize=True), [[0, 128, 255]])
    assert not batch.to_8bit(np.full((2, 2), 7.0, np.float32), normalize=True).any()
