"""crop, pad, flip and rotate on the command line, run as a user runs them: a real
``python -m imgkit`` process each (issue 17, item 14)."""

import os
import subprocess
import sys

import cv2
import numpy as np
import pytest

import imgkit
from conftest import PHOTOS

IMGKIT = [sys.executable, "-m", "imgkit"]
ENV = {**os.environ, "IMGKIT_NO_SERVER": "1"}


def imgkit_run(*args):
    return subprocess.run([*IMGKIT, *map(str, args)], capture_output=True, text=True, env=ENV, timeout=300)


@pytest.fixture
def chelsea(tmp_path):
    """A small BGR photo (PNG: lossless, so the written pixels can be compared)."""
    path = tmp_path / "chelsea.png"
    cv2.imwrite(str(path), cv2.imread(str(PHOTOS / "chelsea.png"))[:60, :90])
    return path


def read(path):
    return cv2.imread(str(path), cv2.IMREAD_UNCHANGED)


@pytest.mark.parametrize("args, expected", [
    (("crop", "--box", "10,5,40,30"), lambda im: im[5:35, 10:50]),
    (("crop", "--box", "70,-10,100,30"), lambda im: im[0:20, 70:90]),          # clipped, as ImageMagick
    (("pad", "--top", "3", "--left", "5", "--border", "reflect101"),
     lambda im: cv2.copyMakeBorder(im, 3, 0, 5, 0, cv2.BORDER_REFLECT101)),
    (("pad", "--bottom", "4", "--right", "2", "--value", "255"),
     lambda im: cv2.copyMakeBorder(im, 0, 4, 0, 2, cv2.BORDER_CONSTANT, value=(255, 255, 255))),
    (("flip", "--axis", "x"), lambda im: im[::-1]),
    (("flip", "--axis", "y"), lambda im: im[:, ::-1]),
    (("flip", "--axis", "both"), lambda im: im[::-1, ::-1]),
    (("rotate", "--angle", "90"), lambda im: cv2.rotate(im, cv2.ROTATE_90_COUNTERCLOCKWISE)),
    (("rotate", "--angle", "-90"), lambda im: cv2.rotate(im, cv2.ROTATE_90_CLOCKWISE)),
    (("rotate", "--angle", "25", "--interp", "cubic", "--border", "replicate"),
     lambda im: imgkit.rotate(im, angle=25.0, interp="cubic", border="replicate")),
], ids=["crop", "crop-clipped", "pad-reflect", "pad-value", "flip-x", "flip-y", "flip-both", "rotate-90",
        "rotate-minus-90", "rotate-25-cubic"])
def test_each_command_writes_what_the_api_and_opencv_give(tmp_path, chelsea, args, expected):
    out = tmp_path / "out.png"
    done = imgkit_run(args[0], chelsea, *args[1:], "-o", out)
    assert done.returncode == 0, done.stderr
    np.testing.assert_array_equal(read(out), expected(read(chelsea)))


def test_rotate_by_any_angle_is_within_one_level_of_warp_affine(tmp_path, chelsea):
    ours, theirs = tmp_path / "ours.png", tmp_path / "theirs.png"
    for out, extra in ((ours, ()), (theirs, ("--reference",))):
        done = imgkit_run("rotate", chelsea, "--angle", "-12.5", "-o", out, *extra)
        assert done.returncode == 0, done.stderr
    a, b = read(ours), read(theirs)
    assert a.shape == b.shape == (78, 101, 3)     # the bounding box of the turned 90×60 image: 90·sin + 60·cos = 78.06
    assert np.abs(a.astype(int) - b).max() <= 1


def test_a_chain_pads_turns_and_crops(tmp_path, chelsea):
    out = tmp_path / "chain.png"
    done = imgkit_run("run", "pad --top 4 | rotate --angle 90 | crop --box 2,3,50,40", chelsea, "-o", out)
    assert done.returncode == 0, done.stderr
    image = read(chelsea)
    expected = imgkit.crop(imgkit.rotate(imgkit.pad(image, top=4), angle=90), box=(2, 3, 50, 40))
    np.testing.assert_array_equal(read(out), expected)


@pytest.mark.parametrize("args, message", [
    (("crop",), "--box must be given"),
    (("crop", "--box", "1,2,3"), "--box must look like X,Y,WIDTH,HEIGHT"),
    (("flip",), "--axis must be given"),
    (("flip", "--axis", "z"), "--axis must be one of x, y, both"),
    (("rotate",), "--angle must be given"),
    (("rotate", "--angle", "10", "--interp", "area"), "--interp must be one of nearest, linear, cubic"),
    (("pad", "--top", "-1"), "--top must be in [0, 65535]"),
    (("pad", "--top", "2", "--border", "wrap", "--value", "9"), "--value applies to --border constant only"),
])
def test_a_wrong_option_is_a_usage_error_before_anything_is_read(tmp_path, args, message):
    done = imgkit_run(args[0], tmp_path / "missing.png", *args[1:], "-o", tmp_path / "x.png")
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "x.png").exists()


def test_a_box_outside_the_image_is_one_line_naming_the_input(tmp_path, chelsea):
    done = imgkit_run("crop", chelsea, "--box", "500,0,10,10", "-o", tmp_path / "x.png")
    assert done.returncode == 1
    assert f"imgkit: {chelsea}: the box 500,0,10,10 lies outside the image (90×60)" in done.stderr.splitlines()
    assert "Traceback" not in done.stderr and not (tmp_path / "x.png").exists()


def test_bgra_quarter_turns_and_crops_keep_alpha_exactly(tmp_path):
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (20, 30, 4), dtype=np.uint8)
    source = tmp_path / "rgba.png"
    cv2.imwrite(str(source), image)
    for args, expected in ((("rotate", "--angle", "270"), cv2.rotate(image, cv2.ROTATE_90_CLOCKWISE)),
                           (("crop", "--box", "3,4,10,12"), image[4:16, 3:13])):
        out = tmp_path / f"{args[0]}.png"
        done = imgkit_run(args[0], source, *args[1:], "-o", out)
        assert done.returncode == 0, done.stderr
        np.testing.assert_array_equal(read(out), expected)


@pytest.mark.parametrize("command", ["crop", "pad", "flip", "rotate"])
def test_help_fits_80_columns_and_ends_with_examples(command):
    done = subprocess.run([*IMGKIT, command, "--help"], capture_output=True, text=True, timeout=120,
                          env={**ENV, "COLUMNS": "80"})
    assert done.returncode == 0
    assert max(len(line) for line in done.stdout.splitlines()) <= 80
    assert f"imgkit {command} " in done.stdout.split("Examples")[-1]


def test_compare_holds_rotate_to_warp_affine_by_its_tolerance(chelsea):
    import json
    done = imgkit_run("compare", "rotate", chelsea, "--angle", "30", "--interp", "cubic", "--repeat", "1", "--json")
    assert done.returncode == 0, done.stderr
    row = json.loads(done.stdout.splitlines()[0])
    assert row["within_tolerance"] and row["max_abs"] <= 1
