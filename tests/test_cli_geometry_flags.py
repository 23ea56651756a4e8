"""Issue 17 item 12: ImageMagick's geometry in ``resize`` (``WxH>``, ``WxH^``, ``50%``) and JPEG
shrink-on-load (real ``python -m imgkit`` subprocesses)."""

import os
import subprocess
import sys

import cv2
import numpy as np
import pytest
from PIL import Image

import imgkit
from conftest import PHOTOS

ENV = {**os.environ, "IMGKIT_NO_SERVER": "1"}
ANY = cv2.IMREAD_UNCHANGED


def run(*args, cwd):
    done = subprocess.run([sys.executable, "-m", "imgkit", *map(str, args)], cwd=cwd, env=ENV,
                          capture_output=True, text=True, timeout=300)
    assert "Traceback" not in done.stderr
    return done


def size_of(path):
    rows, cols = cv2.imread(str(path), ANY).shape[:2]
    return cols, rows


def test_only_shrink_leaves_an_image_inside_the_box_at_its_size_and_writes_it(tmp_path):
    """camera.png is 512×512: ``600x600>`` keeps it (written, pixels unchanged), ``256x300>``
    shrinks it as ``256x300`` does."""
    inside, shrunk = tmp_path / "inside.png", tmp_path / "shrunk.png"
    assert run("resize", PHOTOS / "camera.png", "--fit", "600x600>", "-o", inside, cwd=tmp_path).returncode == 0
    np.testing.assert_array_equal(cv2.imread(str(inside), ANY), cv2.imread(str(PHOTOS / "camera.png"), ANY))
    assert run("resize", PHOTOS / "camera.png", "--fit", "256x300>", "-o", shrunk, cwd=tmp_path).returncode == 0
    assert size_of(shrunk) == (256, 256)


def test_fill_gives_the_smallest_size_covering_the_box(tmp_path):
    """rocket.jpg is 640×427: ``100x100^`` → 150×100 (aspect kept, both sides ≥ the box)."""
    out = tmp_path / "fill.png"
    assert run("resize", PHOTOS / "rocket.jpg", "--fit", "100x100^", "-o", out, cwd=tmp_path).returncode == 0
    assert size_of(out) == (150, 100)


def test_a_percentage_is_a_scale(tmp_path):
    half, factor = tmp_path / "half.png", tmp_path / "factor.png"
    assert run("resize", PHOTOS / "chelsea.png", "--scale", "50%", "-o", half, cwd=tmp_path).returncode == 0
    assert run("resize", PHOTOS / "chelsea.png", "--scale", "0.5", "-o", factor, cwd=tmp_path).returncode == 0
    np.testing.assert_array_equal(cv2.imread(str(half), ANY), cv2.imread(str(factor), ANY))


@pytest.mark.parametrize("option, value, words", [("--fit", "10x10!", "WIDTHxHEIGHT>"),
                                                   ("--scale", "half", "0.5 or 50%"),
                                                   ("--scale", "0%", "--scale must be")])
def test_bad_geometry_is_a_usage_error(tmp_path, option, value, words):
    done = run("resize", PHOTOS / "camera.png", option, value, "-o", tmp_path / "x.png", cwd=tmp_path)
    assert done.returncode == 2 and words in done.stderr and not (tmp_path / "x.png").exists()


def big_jpeg(tmp_path, orientation=None):
    """retina.jpg at 2×: 2822×2822 (turned 90° by EXIF when ``orientation`` is 6), cropped to 2822×2000."""
    image = cv2.resize(cv2.imread(str(PHOTOS / "retina.jpg")), None, fx=2, fy=2)[:2000]
    path = tmp_path / f"big{orientation or ''}.jpg"
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    Image.fromarray(image[:, :, ::-1]).save(path, quality=90, exif=exif)
    return path


@pytest.mark.parametrize("orientation", [None, 6])
def test_shrink_on_load_decodes_smaller_and_keeps_the_output_size(tmp_path, orientation):
    """``--fit 300x300`` of a 2822×2000 JPEG: the decode at 1/4 (706×500, ≥ 2× the 300×213
    output) then an area resize; the same size as the full decode's, and close to it (the
    scaled IDCT and chroma differ: measured up to 15 levels on the fixture photos, far outside
    resize's ±1, which is why it is opt-in)."""
    source = big_jpeg(tmp_path, orientation)
    full, reduced = tmp_path / "full.png", tmp_path / "reduced.png"
    assert run("resize", source, "--fit", "300x300", "-o", full, cwd=tmp_path).returncode == 0
    assert run("resize", source, "--fit", "300x300", "--shrink-on-load", "-o", reduced, cwd=tmp_path).returncode == 0
    expected_size = (300, 213) if orientation is None else (213, 300)
    assert size_of(full) == size_of(reduced) == expected_size
    decoded = cv2.imread(str(source), cv2.IMREAD_COLOR | cv2.IMREAD_REDUCED_GRAYSCALE_4)
    np.testing.assert_array_equal(cv2.imread(str(reduced)), imgkit.resize(decoded, width=expected_size[0],
                                                                          height=expected_size[1], interp="area"))
    np.testing.assert_array_equal(cv2.imread(str(full)), imgkit.resize(cv2.imread(str(source)), fit="300x300"))
    difference = np.abs(cv2.imread(str(full)).astype(int) - cv2.imread(str(reduced)).astype(int))
    assert difference.mean() < 1.0


def test_shrink_on_load_is_the_same_decode_for_reference(tmp_path):
    source = big_jpeg(tmp_path)
    numba, reference = tmp_path / "numba.png", tmp_path / "reference.png"
    for out, extra in ((numba, ()), (reference, ("--reference",))):
        assert run("resize", source, "--width", "300", "--shrink-on-load", *extra, "-o", out,
                   cwd=tmp_path).returncode == 0
    assert np.abs(cv2.imread(str(numba)).astype(int) - cv2.imread(str(reference)).astype(int)).max() <= 1


def test_shrink_on_load_leaves_other_interpolations_and_enlargements_alone(tmp_path):
    source = big_jpeg(tmp_path)
    for extra in (("--width", "300", "--interp", "linear"), ("--width", "3000")):
        plain, asked = tmp_path / "plain.png", tmp_path / "asked.png"
        assert run("resize", source, *extra, "-o", plain, "--overwrite", cwd=tmp_path).returncode == 0
        assert run("resize", source, *extra, "--shrink-on-load", "-o", asked, "--overwrite",
                   cwd=tmp_path).returncode == 0
        np.testing.assert_array_equal(cv2.imread(str(plain)), cv2.imread(str(asked)))


@pytest.mark.parametrize("fit, expected", [("60x60", (60, 40)), ("60x60>", (60, 40)), ("600x600>", (150, 100)),
                                           ("60x60^", (90, 60)), ((60, 60, "^"), (90, 60)), ((60, 60), (60, 40))])
def test_geometry_flags_in_the_api(fit, expected):
    image = np.zeros((100, 150, 3), np.uint8)
    assert imgkit.resize(image, fit=fit).shape[1::-1] == expected
    assert imgkit.resize(image, scale="20%").shape[1::-1] == (30, 20)
