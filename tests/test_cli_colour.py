"""Issue 17, item 14 (colour half): ``convert``, ``gray`` and ``threshold`` on the command line,
each run as a user runs it (``python -m imgkit`` in a subprocess), alone and in ``imgkit run``."""

import json
import os
import shutil
import subprocess
import sys

import cv2
import numpy as np
import pytest

from conftest import PHOTOS

IMGKIT = [sys.executable, "-m", "imgkit"]
OTSU = cv2.THRESH_BINARY | cv2.THRESH_OTSU


def imgkit(*args, cwd):
    return subprocess.run([*IMGKIT, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=300,
                          env={**os.environ, "IMGKIT_NO_SERVER": "1"})


def read(path):
    return cv2.imread(str(path), cv2.IMREAD_UNCHANGED)


@pytest.fixture
def photos(tmp_path):
    """chelsea.png (BGR), its BGRA and 16-bit versions, and camera.png (gray)."""
    chelsea = read(PHOTOS / "chelsea.png")
    shutil.copy(PHOTOS / "chelsea.png", tmp_path)
    shutil.copy(PHOTOS / "camera.png", tmp_path)
    cv2.imwrite(str(tmp_path / "alpha.png"), cv2.cvtColor(chelsea, cv2.COLOR_BGR2BGRA))
    cv2.imwrite(str(tmp_path / "deep.png"), chelsea.astype(np.uint16) * 257)
    return tmp_path


def test_convert_writes_each_colour_space_as_opencv(photos):
    chelsea = read(photos / "chelsea.png")
    for to, code in (("gray", cv2.COLOR_BGR2GRAY), ("hsv", cv2.COLOR_BGR2HSV), ("lab", cv2.COLOR_BGR2Lab),
                     ("ycrcb", cv2.COLOR_BGR2YCrCb)):
        done = imgkit("convert", "chelsea.png", "--to", to, "-o", f"{to}.npy", cwd=photos)
        assert done.returncode == 0, done.stderr
        np.testing.assert_array_equal(np.load(photos / f"{to}.npy"), cv2.cvtColor(chelsea, code))


def test_gray_is_convert_to_gray(photos):
    assert imgkit("gray", "chelsea.png", "-o", "a.png", cwd=photos).returncode == 0
    assert imgkit("convert", "chelsea.png", "-o", "b.png", cwd=photos).returncode == 0   # --to gray by default
    assert read(photos / "a.png").ndim == 2
    np.testing.assert_array_equal(read(photos / "a.png"), read(photos / "b.png"))


def test_gray_to_bgr_replicates_and_bgra_to_bgr_drops_alpha(photos):
    assert imgkit("convert", "camera.png", "--to", "bgr", "-o", "camera3.png", cwd=photos).returncode == 0
    camera = read(photos / "camera.png")
    np.testing.assert_array_equal(read(photos / "camera3.png"), np.repeat(camera[:, :, None], 3, axis=2))
    assert imgkit("convert", "alpha.png", "--to", "bgr", "-o", "flat.png", cwd=photos).returncode == 0
    np.testing.assert_array_equal(read(photos / "flat.png"), read(photos / "chelsea.png"))


def test_16bit_gray_is_kept_and_16bit_hsv_is_refused_in_one_line(photos):
    done = imgkit("gray", "deep.png", "-o", "deep-gray.png", cwd=photos)
    assert done.returncode == 0, done.stderr
    deep = read(photos / "deep.png")
    np.testing.assert_array_equal(read(photos / "deep-gray.png"), cv2.cvtColor(deep, cv2.COLOR_BGR2GRAY))
    done = imgkit("convert", "deep.png", "--to", "hsv", "-o", "deep-hsv.png", cwd=photos)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "imgkit: deep.png: image dtype must be one of uint8, float32, got uint16" in done.stderr.splitlines()
    assert not (photos / "deep-hsv.png").exists()


def test_threshold_binary_and_inverted_match_opencv(photos):
    chelsea = read(photos / "chelsea.png")
    done = imgkit("threshold", "chelsea.png", "--value", "100.5", "--max", "200", "-o", "t.png", cwd=photos)
    assert done.returncode == 0, done.stderr
    np.testing.assert_array_equal(read(photos / "t.png"), cv2.threshold(chelsea, 100.5, 200, cv2.THRESH_BINARY)[1])
    done = imgkit("threshold", "camera.png", "--invert", "-o", "inv.png", cwd=photos)
    assert done.returncode == 0, done.stderr
    camera = read(photos / "camera.png")
    np.testing.assert_array_equal(read(photos / "inv.png"), cv2.threshold(camera, 127, 255, cv2.THRESH_BINARY_INV)[1])


def test_threshold_otsu_matches_opencv_and_refuses_a_value(photos):
    done = imgkit("threshold", "camera.png", "--method", "otsu", "-o", "otsu.png", cwd=photos)
    assert done.returncode == 0, done.stderr
    np.testing.assert_array_equal(read(photos / "otsu.png"), cv2.threshold(read(photos / "camera.png"), 0, 255, OTSU)[1])
    done = imgkit("threshold", "camera.png", "--method", "otsu", "--value", "3", "-o", "never.png", cwd=photos)
    assert done.returncode == 2 and "--value is not used by --method otsu" in " ".join(done.stderr.split())
    assert not (photos / "never.png").exists()


def test_convert_to_gray_then_otsu_in_a_run_chain(photos):
    done = imgkit("run", "convert --to gray | threshold --method otsu", "chelsea.png", "-o", "chain.png", "--json",
                  cwd=photos)
    assert done.returncode == 0, done.stderr
    gray = cv2.cvtColor(read(photos / "chelsea.png"), cv2.COLOR_BGR2GRAY)
    np.testing.assert_array_equal(read(photos / "chain.png"), cv2.threshold(gray, 0, 255, OTSU)[1])
    assert json.loads(done.stdout.splitlines()[0])["status"] == "ok"
    done = imgkit("run", "gray | threshold --method otsu --invert", "chelsea.png", "-o", "chain2.png", cwd=photos)
    assert done.returncode == 0, done.stderr
    np.testing.assert_array_equal(read(photos / "chain2.png"), 255 - read(photos / "chain.png"))


def test_compare_holds_both_commands_to_opencv(photos):
    for args in (("convert", "--to", "lab"), ("threshold", "--method", "otsu")):
        done = imgkit("compare", *args, "chelsea.png", "--repeat", "1", "--json", cwd=photos)
        assert done.returncode == 0, done.stderr
        row = json.loads(done.stdout.splitlines()[0])
        assert row["within_tolerance"] and row["max_abs"] == 0


@pytest.mark.parametrize("command", ["convert", "gray", "threshold"])
def test_help_fits_80_columns_and_ends_with_examples(command, tmp_path):
    done = subprocess.run([*IMGKIT, command, "--help"], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "IMGKIT_NO_SERVER": "1", "COLUMNS": "80"})
    assert done.returncode == 0
    assert max(len(line) for line in done.stdout.splitlines()) <= 80
    assert f"imgkit {command}" in done.stdout.split("Examples")[-1] or "imgkit run" in done.stdout.split("Examples")[-1]
