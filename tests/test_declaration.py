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


DRIVER = """
import contextlib, io, json, runpy, sys
runpy.run_path(sys.argv[1])
from imgkit.cli import main
results = []
for argv in json.loads(sys.argv[2]):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(argv)
            code = 0
        except SystemExit as stop:
            code = stop.code
    results.append([code, out.getvalue(), err.getvalue()])
print(json.dumps(results))
"""


def imgkit_with_toy(*command_lines):
    """(exit code, stdout, stderr) of each ``imgkit`` command line, run one after the other by the
    command line's own ``main`` in one new process that imported the toy module first."""
    lines = json.dumps([[str(arg) for arg in line] for line in command_lines])
    result = subprocess.run([sys.executable, "-c", DRIVER, str(TOY), lines], capture_output=True, text=True,
                            env={**os.environ, "COLUMNS": "200"}, timeout=300, check=True)
    return json.loads(result.stdout.splitlines()[-1])


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


def test_the_toy_is_a_command_with_help_compare_and_chains(tmp_path):
    helped, ran, refused, compared, chained = imgkit_with_toy(
        ["invert", "--help"],
        ["invert", PHOTO, "--top", "200", "-o", tmp_path / "out.png"],
        ["invert", PHOTO, "--top", "0", "-o", tmp_path / "bad.png"],
        ["compare", "invert", PHOTO, "--repeat", "1", "--json"],
        ["run", "blur --sigma 2 | invert --top 200", PHOTO, "-o", tmp_path / "chained.png"])
    image = cv2.imread(str(PHOTO), cv2.IMREAD_UNCHANGED)
    assert helped[0] == 0 and "--top" in helped[1] and "imgkit invert photo.png" in helped[1]
    assert ran[0] == 0, ran[2]
    np.testing.assert_array_equal(cv2.imread(str(tmp_path / "out.png"), cv2.IMREAD_UNCHANGED), expected(image, 200))
    assert refused[0] == 2 and "--top must be in [1, 255], got 0" in refused[2]
    assert not (tmp_path / "bad.png").exists()
    assert compared[0] == 0, compared[2]
    row = json.loads(compared[1].splitlines()[0])
    assert row["max_abs"] == 0 and row["within_tolerance"] and row["reference"] == "opencv"
    assert row["reference_function"] == "cv2.subtract(top, image)"
    assert chained[0] == 0, chained[2]
    np.testing.assert_array_equal(cv2.imread(str(tmp_path / "chained.png"), cv2.IMREAD_UNCHANGED),
                                  expected(imgkit.gaussian_blur(image, 2.0), 200))


def test_the_toy_is_benched_warmed_up_and_chained_in_python(toy):
    from imgkit import bench, warmup
    rows = bench.run(["invert"], sizes=("1080p",), repeat=1, peers=False)
    assert [(row.op, row.kind, row.params) for row in rows] == [("invert", "gray", "top=200"), ("invert", "BGR", "top=200")]
    assert all(row.imgkit_ms > 0 and row.reference_ms > 0 for row in rows)
    warmup.compile_op("invert")
    image = cv2.imread(str(PHOTO), cv2.IMREAD_GRAYSCALE)
    by_text = imgkit.pipeline("blur --sigma 2 | invert --top 200")
    by_keywords = imgkit.pipeline().gaussian_blur(sigma=2.0).invert(top=200)
    np.testing.assert_array_equal(by_text(image), expected(imgkit.gaussian_blur(image, 2.0), 200))
    np.testing.assert_array_equal(by_keywords(image), by_text(image))
