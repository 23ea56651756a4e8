"""One declaration per operation (issue 15): a toy ``invert`` declared in one module of its own
(``tests/toy/toy_invert.py``) gets a CLI command with ``--help``, an API function, ``compare``,
``bench``, ``warmup`` and chain support, none of which it names."""

import json
import os
import runpy
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

import imgkit
from imgkit import registry

from conftest import PHOTOS

TOY = Path(__file__).resolve().parent / "toy" / "toy_invert.py"
PHOTO = PHOTOS / "camera.png"


@pytest.fixture
def toy():
    """The toy's declarations registered in this process for one test, then forgotten."""
    registry.load()
    namespace = runpy.run_path(str(TOY))
    yield namespace
    registry.unregister("invert")
    imgkit.__dict__.pop("invert", None)


def imgkit_with_toy(*args):
    """``imgkit ARGS`` in a new process that imported the toy module first."""
    code = f"import runpy, sys; runpy.run_path({str(TOY)!r}); from imgkit.cli import main; main()"
    return subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "200"}, timeout=300)


def expected(image, top):
    return np.where(image < top, top - image.astype(np.int32), 0).astype(np.uint8)


def test_the_toy_has_an_api_function_checked_by_its_declaration(toy):
    image = cv2.imread(str(PHOTO), cv2.IMREAD_GRAYSCALE)
    np.testing.assert_array_equal(imgkit.invert(image, top=200), expected(image, 200))
    np.testing.assert_array_equal(imgkit.invert(image, top=200, backend="opencv"), expected(image, 200))
    with pytest.raises(ValueError, match=r"top must be in \[1, 255\], got 0"):
        imgkit.invert(image, top=0)
    with pytest.raises(TypeError, match="image dtype must be one of uint8"):
        imgkit.invert(image.astype(np.float32))


def test_the_toy_is_a_command_with_help_and_usage_errors(tmp_path):
    result = imgkit_with_toy("invert", "--help")
    assert result.returncode == 0 and "--top" in result.stdout and "imgkit invert photo.png" in result.stdout
    result = imgkit_with_toy("invert", PHOTO, "--top", "200", "-o", tmp_path / "out.png")
    assert result.returncode == 0, result.stderr
    image = cv2.imread(str(PHOTO), cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(cv2.imread(str(tmp_path / "out.png"), cv2.IMREAD_UNCHANGED), expected(image, 200))
    result = imgkit_with_toy("invert", PHOTO, "--top", "0", "-o", tmp_path / "bad.png")
    assert result.returncode == 2 and "--top must be in [1, 255], got 0" in result.stderr
    assert not (tmp_path / "bad.png").exists()


def test_the_toy_can_be_compared(tmp_path):
    result = imgkit_with_toy("compare", "invert", PHOTO, "--repeat", "1", "--json")
    assert result.returncode == 0, result.stderr
    row = json.loads(result.stdout.splitlines()[0])
    assert row["max_abs"] == 0 and row["within_tolerance"]


def test_the_toy_runs_in_a_chain_on_the_command_line(tmp_path):
    result = imgkit_with_toy("run", "blur --sigma 2 | invert --top 200", PHOTO, "-o", tmp_path / "out.png")
    assert result.returncode == 0, result.stderr
    image = cv2.imread(str(PHOTO), cv2.IMREAD_UNCHANGED)
    chained = expected(imgkit.gaussian_blur(image, 2.0), 200)
    np.testing.assert_array_equal(cv2.imread(str(tmp_path / "out.png"), cv2.IMREAD_UNCHANGED), chained)


def test_the_toy_is_benched_warmed_up_and_chained_in_python(toy):
    from imgkit import bench, warmup
    rows = bench.run(["invert"], sizes=("1080p",), repeat=1, peers=False)
    assert [(row.op, row.kind, row.params) for row in rows] == [("invert", "gray", "top=200"), ("invert", "BGR", "top=200")]
    assert all(row.imgkit_ms > 0 and row.opencv_ms > 0 for row in rows)
    warmup.compile_op("invert")
    image = cv2.imread(str(PHOTO), cv2.IMREAD_GRAYSCALE)
    by_text = imgkit.pipeline("blur --sigma 2 | invert --top 200")
    by_keywords = imgkit.pipeline().gaussian_blur(sigma=2.0).invert(top=200)
    np.testing.assert_array_equal(by_text(image), expected(imgkit.gaussian_blur(image, 2.0), 200))
    np.testing.assert_array_equal(by_keywords(image), by_text(image))
