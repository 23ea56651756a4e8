"""The end-to-end batch benchmark (``imgkit.bench_batch``): its command lines run and write what
they should, a failing one says why, and its report holds every section. No timing is asserted."""

import shutil
import sys

import cv2
import pytest

from imgkit import bench_batch
from imgkit.bench import photo_folder


def test_every_command_line_blurs_the_folder_into_jpegs(tmp_path):
    source = photo_folder(tmp_path / "in", 2)
    lines = bench_batch.commands(source, tmp_path / "out", cores=2)
    keys = [key for key, _, _ in lines]
    assert keys[:4] == ["loop", "default", "j1", "j2"]
    assert ("vips" in keys) == bool(shutil.which("vips")) and ("mogrify" in keys) == bool(shutil.which("mogrify"))
    assert ("pyvips" in keys) == bench_batch.has_pyvips()
    for key, _, argv in lines:
        seconds, cpu = bench_batch.measure(argv, tmp_path / "out")
        assert seconds > 0 and cpu > 0
        written = sorted(path.name for path in (tmp_path / "out").iterdir())
        assert written == ["photo00.jpg", "photo01.jpg"], key
        assert cv2.imread(str(tmp_path / "out" / "photo00.jpg")).shape == (1080, 1920, 3), key


@pytest.mark.parametrize(("job", "name", "shape"), [("resize", "photo00.jpg", (540, 960, 3)),
                                                     ("canny", "photo00.png", (1080, 1920))])
def test_every_tool_does_the_resize_and_canny_jobs_into_the_same_files(tmp_path, job, name, shape):
    """Issue 18: the end-to-end section times three jobs, each tool writing the same kind of file."""
    source = photo_folder(tmp_path / "in", 1)
    lines = bench_batch.commands(source, tmp_path / "out", cores=2, job=job)
    keys = [key for key, _, _ in lines]
    assert keys[:2] == ["loop", "default"] and "j1" not in keys and "mogrify" not in keys
    for key, _, argv in lines:
        bench_batch.measure(argv, tmp_path / "out")
        assert [path.name for path in (tmp_path / "out").iterdir()] == [name], key
        written = cv2.imread(str(tmp_path / "out" / name), cv2.IMREAD_UNCHANGED)
        assert written.shape == shape, key


def test_the_peak_memory_is_the_commands_own_not_its_starters(tmp_path):
    """Linux carries the peak RSS across fork and exec: measured from the bench's own process,
    grown by its 4K images, every batch reported that peak (1,625 MB for 100 images of 320×240)."""
    import numpy as np
    grown = np.ones(400 << 20, np.uint8)        # this process: 400 MB resident
    small = [sys.executable, "-c", "pass"]
    assert bench_batch.peak_rss_mb(small, tmp_path / "out") < 100
    big = [sys.executable, "-c", "import numpy; numpy.ones(200 << 20, numpy.uint8)"]
    assert 200 < bench_batch.peak_rss_mb(big, tmp_path / "out") < 300
    del grown


def test_a_failing_command_line_is_an_error_with_its_last_line(tmp_path):
    with pytest.raises(RuntimeError, match="exited 1: broke here"):
        bench_batch.measure([sys.executable, "-c", "import sys; sys.exit('first\\nbroke here')"], tmp_path / "out")


def test_the_report_has_a_table_a_job_then_scaling_and_memory(monkeypatch):
    monkeypatch.setattr("imgkit.bench.machine", lambda: "a test machine")
    rows = [bench_batch.Row("ratio", "plain cv2 script (one process)", 1.2, 1.1, 1.15, 1.0),
            bench_batch.Row("ratio", "ImageMagick mogrify: not installed", None, None, None, None),
            bench_batch.Row("ratio", "libvips 8.18: a pyvips script (one process)", 0.6, 0.5, 0.9, 0.5, job="resize"),
            bench_batch.Row("ratio", "libvips: not installed (neither pyvips nor the vips CLI)", None, None, None, None,
                            job="canny"),
            bench_batch.Row("scaling", "imgkit -j 1", 4.0, 3.9, 3.8, 1.0),
            bench_batch.Row("memory", "imgkit, default -j, 1000 images of 320×240", None, None, None, 1.01, 181.0)]
    text = bench_batch.markdown(rows)
    assert "| plain cv2 script (one process) | 1.20 | 1.10 | 1.15 | 1.00× |  |" in text
    assert "| ImageMagick mogrify: not installed | — | — | — | — |  |" in text
    assert "| imgkit -j 1 | 4.00 | 3.90 | 3.80 | 1.00× |  |" in text
    assert "| imgkit, default -j, 1000 images of 320×240 | 181 | 1.01× |  |" in text
    sections = [line for line in text.splitlines() if line.startswith("### ")]
    assert sections == ["### `imgkit blur --sigma 2`, 50 JPEGs", "### `imgkit resize --scale 0.5`, 50 JPEGs",
                        "### `imgkit canny --low 50 --high 150`, 50 JPEGs", "### Blur: -j scaling, 200 JPEGs",
                        "### Blur: memory"]
    assert text.index("| libvips 8.18: a pyvips script") > text.index("### `imgkit resize")


def test_each_target_is_marked_pass_or_fail():
    over = bench_batch.Row("ratio", "imgkit, default -j", 1.2, 1.1, 1.1, 0.95, target=0.9)
    under = bench_batch.Row("ratio", "imgkit -j 1", 1.2, 1.1, 1.1, 1.05, target=1.1)
    text = bench_batch.markdown([over, under])
    assert "| 0.95× | ≤ 0.90×: **FAIL** |" in text and "| 1.05× | ≤ 1.10×: pass |" in text
    assert bench_batch.describe(over).endswith("≤ 0.90×: FAIL")
