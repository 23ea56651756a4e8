"""Hostile and awkward inputs against issue 17's merged work (SPEC §2 "Errors", "Outputs"): each
test is a defect found by trying the real ``imgkit`` process, and fails without its fix."""

import json
import struct
import subprocess
import sys

import cv2
import numpy as np
import pytest

from conftest import PHOTOS

IMGKIT = [sys.executable, "-m", "imgkit"]


def imgkit(*args, cwd=None):
    return subprocess.run([*IMGKIT, *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=300,
                          stdin=subprocess.DEVNULL)


def said(result):
    """stderr as one line of words: the usage error's box and its wrapping taken away."""
    return " ".join(result.stderr.translate({ord(c): " " for c in "│╭╮╰╯─"}).split())


def crop(name, target):
    cv2.imwrite(str(target), cv2.imread(str(PHOTOS / name), cv2.IMREAD_UNCHANGED)[:40, :48])
    return target


def test_a_list_that_is_a_directory_is_a_usage_error(tmp_path):
    """``--from DIR`` (or ``@DIR``): exit 2 naming the list, not an internal IsADirectoryError."""
    crop("camera.png", tmp_path / "camera.png")
    for args in (["--from", "."], ["@."]):
        result = imgkit("blur", *args, "-o", "out/", cwd=tmp_path)
        assert result.returncode == 2, result.stderr
        assert "list . is not a regular file or a pipe" in said(result)
        assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def _corrupt_exif():
    """EXIF whose IFD0 says 2 entries of 12 bytes and holds 6: Pillow warns "Corrupt EXIF data"."""
    return b"Exif\0\0II*\0" + struct.pack("<IH", 8, 2) + struct.pack("<HHII", 0x0112, 3, 1, 1)[:6]


@pytest.mark.parametrize("fmt", ["jpeg", "png", "webp"])
def test_corrupt_exif_is_one_line_and_the_image_is_written(tmp_path, fmt):
    """Pillow's UserWarning reached stderr as two lines (its source line and ``warnings.warn``):
    now the metadata is left out with one ``imgkit: <path>: …`` line and the image is written."""
    from PIL import Image
    image = Image.fromarray(cv2.cvtColor(cv2.imread(str(PHOTOS / "coffee.png"))[:40, :48], cv2.COLOR_BGR2RGB))
    source = tmp_path / f"in.{fmt}"
    image.save(source, exif=_corrupt_exif(), **({"lossless": True} if fmt == "webp" else {}))
    result = imgkit("blur", source, "-o", tmp_path / f"out.{'jpg' if fmt == 'jpeg' else fmt}")
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines == [f"imgkit: {source}: metadata not readable (UserWarning: Corrupt EXIF data. Expecting to "
                     "read 12 bytes but only got 6.): not kept"], result.stderr


def test_compare_diff_into_the_inputs_directory_reads_no_heat_map(tmp_path):
    """``compare --diff d`` over ``d`` where an earlier run left ``a_diff.png``: that file is a's
    output, not an input of the run (it was compared, and with --overwrite written over while
    being an input of the same run)."""
    d = tmp_path / "d"
    d.mkdir()
    crop("camera.png", d / "a.png")
    crop("coffee.png", d / "a_diff.png")     # as a first `compare … --diff d` leaves it
    result = imgkit("compare", "blur", d, "--diff", d, "--repeat", "1", "--overwrite", "--json")
    assert result.returncode == 0, result.stderr
    inputs = [json.loads(line).get("input") for line in result.stdout.splitlines()]
    assert [name for name in inputs if name] == [str(d / "a.png")]
    assert sorted(p.name for p in d.iterdir()) == ["a.png", "a_diff.png"]


def test_compare_counts_the_same_nan_and_infinities_as_identical(tmp_path):
    """A float input holding NaN and ±inf, where both backends give the same values: compare said
    "outside" (NaN ≠ NaN, inf − inf = NaN) and numpy's RuntimeWarning reached stderr."""
    values = np.random.default_rng(0).random((30, 40, 3)).astype(np.float32)
    values[0, 0, 0], values[1, 1, 1], values[2, 2, 2] = np.nan, np.inf, -np.inf
    np.save(tmp_path / "f.npy", values)
    result = imgkit("compare", "convert", "--to", "bgr", tmp_path / "f.npy", "--repeat", "1", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stderr
    record = json.loads(result.stdout.splitlines()[0])
    assert record["within_tolerance"] and record["identical"] == 1.0 and record["max_abs"] == 0.0


def test_compare_reports_a_nan_against_a_number_as_a_difference():
    """A NaN in one result only is the largest difference, not a NaN that hides it."""
    from imgkit.compare import difference
    ours = np.array([[1.0, np.nan, np.inf]], np.float32)
    theirs = np.array([[1.0, 2.0, np.inf]], np.float32)
    metrics = difference(ours, theirs)
    assert metrics["max_abs"] == np.inf and metrics["identical"] == pytest.approx(2 / 3)
    assert metrics["relative"] == np.inf


def test_compare_diff_never_writes_over_the_guide(tmp_path):
    """``compare guided a.png --guide d/a_diff.png --diff d``: the heat map's name is the guide,
    a file the run reads; refused before anything runs, as ``imgkit guided -o`` refuses it (it was
    written over, with --overwrite)."""
    d = tmp_path / "d"
    d.mkdir()
    crop("camera.png", d / "a.png")
    guide = crop("coffee.png", d / "a_diff.png")
    before = guide.read_bytes()
    for command in (["guided", d / "a.png", "--guide", guide], ["run", f"guided --guide {guide} | blur", d / "a.png"]):
        result = imgkit("compare", *command, "--diff", d, "--repeat", "1", "--overwrite")
        assert result.returncode == 2, result.stdout + result.stderr
        assert f"its output {guide} is {guide}, a file this run reads" in said(result)
        assert guide.read_bytes() == before


@pytest.mark.parametrize("command, depth", [(["fft", "forward"], "32f"), (["fft", "forward"], "8"),
                                            (["run", "blur | fft forward"], "16"), (["hog"], "8")])
def test_depth_that_would_destroy_a_spectrum_or_features_is_a_usage_error(tmp_path, command, depth):
    """--depth converted fft forward's complex64 spectrum to its real part (float32) or to wrapped
    integers, and hog's features in [0, 1] to 0s and 1s, silently: a usage error before anything
    is read or written."""
    source = crop("camera.png", tmp_path / "camera.png")
    result = imgkit(*command, source, "--depth", depth, "-o", tmp_path / "out.npy")
    assert result.returncode == 2, result.stderr
    assert "--depth" in said(result) and "not pixels" in said(result)
    assert not (tmp_path / "out.npy").exists()


def test_depth_32f_still_writes_hog_features_and_depth_still_converts_pictures(tmp_path):
    source = crop("camera.png", tmp_path / "camera.png")
    assert imgkit("hog", source, "--depth", "32f", "-o", tmp_path / "f.npy").returncode == 0
    assert np.load(tmp_path / "f.npy").dtype == np.float32
    assert imgkit("fft", "spectrum", source, "--depth", "16", "-o", tmp_path / "s.png").returncode == 0
    assert cv2.imread(str(tmp_path / "s.png"), cv2.IMREAD_UNCHANGED).dtype == np.uint16


@pytest.mark.parametrize("args", [["--format", "csv", "-o", "out/"], ["-o", "out.csv"]])
def test_csv_for_images_is_a_usage_error(tmp_path, args):
    """csv is for HOG features: an image command failed per input on colour images (after reading
    them) and wrote gray ones as rows of numbers; now refused once, before anything is read."""
    crop("camera.png", tmp_path / "gray.png")
    crop("coffee.png", tmp_path / "colour.png")
    for sources in (["gray.png"], ["gray.png", "colour.png"]):
        if args[-1] == "out.csv" and len(sources) > 1:
            continue
        result = imgkit("blur", *sources, *args, cwd=tmp_path)
        assert result.returncode == 2, result.stderr
        assert "holds feature vectors (hog), not images" in said(result)
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.csv").exists()
    assert imgkit("hog", "colour.png", "-o", "features.csv", cwd=tmp_path).returncode == 0


def test_exif_near_the_cap_with_a_resolution_leaves_the_metadata_not_the_image(tmp_path):
    """An input whose EXIF fits one JPEG APP1 segment, and a resolution: the EXIF imgkit writes
    (orientation, resolution added) grew past the segment, and OpenCV refused to encode the image:
    the output was lost (exit 1). Now the metadata is left out with a notice and the image written."""
    from PIL import Image
    exif = Image.Exif()
    exif[0x010E] = "A" * 65470       # ImageDescription: 65,504 bytes of EXIF in all
    source = tmp_path / "big_exif.jpg"
    Image.fromarray(np.full((24, 32, 3), 90, np.uint8)).save(source, exif=exif.tobytes(), dpi=(300, 300))
    result = imgkit("blur", source, "-o", tmp_path / "out.jpg")
    assert result.returncode == 0, result.stderr
    assert "metadata not kept" in result.stderr and len(result.stderr.splitlines()) == 1
    assert cv2.imread(str(tmp_path / "out.jpg")).shape == (24, 32, 3)


def test_a_resolution_under_one_dot_per_inch_is_not_written_as_zero(tmp_path):
    """A PNG whose pHYs says 1 pixel per metre (0.0254 dpi) went on as a pHYs of 0 pixels per
    metre in PNG (a division by zero for readers) and 0 dpi in TIFF: such a resolution is dropped."""
    from PIL import Image
    source = tmp_path / "tiny_dpi.tiff"
    Image.fromarray(np.full((24, 32, 3), 90, np.uint8)).save(source, dpi=(0.01, 0.01))
    assert imgkit("blur", source, "-o", tmp_path / "out.png").returncode == 0
    assert b"pHYs" not in (tmp_path / "out.png").read_bytes()


@pytest.mark.parametrize("directory", ["", "-", "a.png"])
def test_compare_diff_that_is_not_a_directory_is_a_usage_error(tmp_path, directory):
    """``--diff ''`` wrote the heat maps into the root directory ('' + '/'), ``--diff -`` into a
    directory named '-', and ``--diff FILE`` failed each input after comparing it: a usage error."""
    crop("camera.png", tmp_path / "a.png")
    result = imgkit("compare", "blur", "a.png", "--diff", directory, "--repeat", "1", cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"{directory!r} is not a directory" in said(result)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png"]


@pytest.mark.parametrize("inputs", [["a.png"], ["a.png", "b.png"]])
def test_an_empty_output_is_a_usage_error(tmp_path, inputs):
    """``-o ''`` with several inputs wrote them into the current directory, as ``-o .``."""
    crop("camera.png", tmp_path / "a.png")
    crop("coffee.png", tmp_path / "b.png")
    result = imgkit("blur", *inputs, "-o", "", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "-o '' names nothing" in said(result)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "b.png"]
