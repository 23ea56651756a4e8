"""The batch engine without the CLI: input expansion, output naming, running tasks on threads."""

import functools
import time

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


def test_any_number_of_jobs_gives_the_same_results(tmp_path):
    sources = inputs.expand_inputs([str(PHOTOS / name) for name in ("camera.png", "coffee.png", "chelsea.png")])
    job = batch.Job("box_blur", {"ksize": 3})
    settings = batch.Settings()
    work = functools.partial(batch.run_task, job=job, settings=settings)
    for jobs in (1, 2, 3):
        results = batch.run_batch(batch.plan_outputs(sources, str(tmp_path / str(jobs))), work, settings, jobs=jobs)
        assert [r.status for r in results] == ["ok"] * 3
        assert [r.input for r in results] == [s.path for s in sources]
    for name in ("camera.png", "coffee.png", "chelsea.png"):
        assert (tmp_path / "1" / name).read_bytes() == (tmp_path / "2" / name).read_bytes() \
            == (tmp_path / "3" / name).read_bytes()


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


def test_jobs_n_runs_n_tasks_at_once(tmp_path):
    """-j 2: two images in flight together (each task here waits for the other to start)."""
    import threading
    both = threading.Barrier(2, timeout=30)
    sources = inputs.expand_inputs([str(PHOTOS / "camera.png"), str(PHOTOS / "coffee.png")])
    tasks = batch.plan_outputs(sources, str(tmp_path))

    def work(task):
        both.wait()
        return batch.Result(task.source.path, task.output, "ok")
    assert [r.status for r in batch.run_batch(tasks, work, batch.Settings(), jobs=2)] == ["ok", "ok"]


def test_fail_fast_starts_no_task_after_an_error(tmp_path):
    sources = inputs.expand_inputs([str(PHOTOS / name) for name in ("astronaut.png", "camera.png", "chelsea.png")])
    tasks = batch.plan_outputs(sources, str(tmp_path))
    started = []

    def work(task):
        started.append(task.source.path)
        return batch.Result(task.source.path, task.output, "error", error="no")
    results = batch.run_batch(tasks, work, batch.Settings(), jobs=1, fail_fast=True)
    assert len(results) == len(started) == 1


@pytest.mark.parametrize("sizes, cores, jobs", [
    ([100] * 4, 2, 1),                  # four tiny images: one thread, as -j 1
    ([1 << 14] * 4, 2, 1),              # 64 KiB in all: not two threads' worth
    ([1 << 16] * 4, 2, 2),
    ([300_000] * 50, 2, 2),             # 50 1080p JPEGs
    ([300_000] * 50, 8, 8),
    ([5_000_000], 8, 1),                # one image: its kernels take every core
    ([5_000_000] * 3, 8, 3),
])
def test_default_jobs_follow_the_batch_and_the_cores(tmp_path, monkeypatch, sizes, cores, jobs):
    from imgkit import workers
    from imgkit.cli import common
    for number, size in enumerate(sizes):
        (tmp_path / f"{number}.png").write_bytes(bytes(size))
    tasks = batch.plan_outputs(inputs.expand_inputs([str(tmp_path)]), str(tmp_path / "out"))
    monkeypatch.setattr(workers, "available_cores", lambda: cores)
    assert common._jobs(None, tasks, quiet=True) == jobs
    assert common._jobs(1, tasks, quiet=True) == 1


def test_numpy_warnings_stay_silenced_on_every_thread_however_tasks_interleave(tmp_path):
    """Task A begins, task B begins, A ends, then B warns: B's warning is still silenced (the
    filter is set once for the batch: a per-task ``catch_warnings`` on threads restored A's
    saved filters under B). Run in a child: pytest records warnings itself."""
    import subprocess
    import sys
    from conftest import ROOT
    script = (
        "import sys, threading, warnings\n"
        "from imgkit import batch, inputs\n"
        "a_in, b_in, a_done = threading.Event(), threading.Event(), threading.Event()\n"
        "def a(result): a_in.set(); b_in.wait()\n"
        "def b(result): b_in.set(); a_done.wait(); warnings.warn('overflow in B', RuntimeWarning)\n"
        "def work(task):\n"
        "    if task.source.path.endswith('camera.png'):\n"
        "        return batch.guarded(task, batch.Settings(), a)\n"
        "    a_in.wait()\n"
        "    return batch.guarded(task, batch.Settings(), b)\n"
        "sources = inputs.expand_inputs(sys.argv[2:])\n"
        "tasks = batch.plan_outputs(sources, sys.argv[1])\n"
        "results = batch.run_batch(tasks, work, batch.Settings(), jobs=2, on_result=lambda r: a_done.set())\n"
        "print([r.status for r in results])\n")
    result = subprocess.run([sys.executable, "-c", script, str(tmp_path), str(PHOTOS / "camera.png"),
                             str(PHOTOS / "coffee.png")], capture_output=True, text=True, timeout=60,
                            env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})
    assert result.stdout.split("\n")[0] == "['ok', 'ok']" and "Warning" not in result.stderr, result.stderr


def test_a_bug_in_the_work_is_raised_once_the_other_tasks_are_done(tmp_path):
    sources = inputs.expand_inputs([str(PHOTOS / name) for name in ("astronaut.png", "camera.png")])
    tasks = batch.plan_outputs(sources, str(tmp_path))
    reported = []

    def work(task):
        if task.source.path.endswith("astronaut.png"):
            raise LookupError("a bug")
        time.sleep(0.2)
        return batch.Result(task.source.path, task.output, "ok")
    with pytest.raises(LookupError):
        batch.run_batch(tasks, work, batch.Settings(), jobs=2, on_result=reported.append)
    assert [r.input for r in reported] == [str(PHOTOS / "camera.png")]
    from imgkit import io
    io.write_atomic(tmp_path / "after.png", b"x")      # writes still go on: nothing was abandoned
    assert (tmp_path / "after.png").read_bytes() == b"x"
