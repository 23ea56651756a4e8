"""Output formats as a user meets them (issue 17, items 4, 5, 8 and 10): --format checked once
with its aliases, what lossy and alpha-less encodings lose, --quality for png and webp, every
written format read back by the next command, and --depth. Each through a real subprocess."""

import io
import os
import subprocess
import sys

import cv2
import numpy as np
import pytest

import imgkit
from conftest import PHOTOS

IMGKIT = [sys.executable, "-m", "imgkit"]


def imgkit_cli(*args):
    result = subprocess.run([*IMGKIT, *map(str, args)], capture_output=True, text=True, timeout=600,
                            stdin=subprocess.DEVNULL)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def warnings_in(stderr):
    return [line for line in stderr.splitlines() if line.startswith("imgkit: warning: ")]


@pytest.fixture
def folder(tmp_path):
    """Three small photos in a directory: a batch, for what is said once per run."""
    root = tmp_path / "d"
    root.mkdir()
    for name in ("camera.png", "chelsea.png", "coffee.png"):
        image = cv2.imread(str(PHOTOS / name), cv2.IMREAD_UNCHANGED)
        cv2.imwrite(str(root / name), image[:48, :64])
    return root


@pytest.fixture
def rgba_folder(tmp_path):
    root = tmp_path / "rgba"
    root.mkdir()
    for index, name in enumerate(("a.png", "b.png")):
        image = cv2.cvtColor(cv2.imread(str(PHOTOS / "chelsea.png"))[:40, :40], cv2.COLOR_BGR2BGRA)
        image[..., 3] = 100 + index
        cv2.imwrite(str(root / name), image)
    return root


def read(path):
    return cv2.imread(str(path), cv2.IMREAD_UNCHANGED)


# ---------------------------------------------------------------- item 4: --format

@pytest.mark.parametrize("name, encoding", [("jpeg", "jpg"), ("JPG", "jpg"), ("TIF", "tiff"), ("tiff", "tiff"),
                                            ("Png", "png"), ("NPY", "npy")])
def test_format_aliases_are_accepted_whatever_their_case(name, encoding, folder, tmp_path):
    result = imgkit_cli("blur", folder / "camera.png", "-o", f"{tmp_path / 'out'}/", "--format", name)
    assert result.returncode == 0, result.stderr
    assert os.listdir(tmp_path / "out") == [f"camera.{encoding}"]


def test_an_unknown_format_is_one_usage_error_before_anything_runs(folder, tmp_path):
    result = imgkit_cli("blur", folder, "-o", tmp_path / "out", "--format", "gif")
    assert result.returncode == 2
    assert "--format" in result.stderr and result.stderr.count("gif") == 1
    for allowed in ("png", "jpg", "tiff", "webp", "bmp", "npy"):
        assert allowed in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("fmt, magic", [("tiff", b"II*\0"), ("png", b"\x89PNG"), ("npy", b"\x93NUMPY")])
def test_format_decides_the_encoding_of_an_extensionless_output(fmt, magic, folder, tmp_path):
    out = tmp_path / "result"
    result = imgkit_cli("blur", folder / "camera.png", "-o", out, "--format", fmt)
    assert result.returncode == 0, result.stderr
    assert out.read_bytes().startswith(magic)


# ---------------------------------------------------------------- item 5: lossy surprises and --quality

def test_a_binary_map_to_jpg_is_warned_once_per_run(folder, tmp_path):
    result = imgkit_cli("canny", folder, "-o", tmp_path / "jpg", "--format", "jpg", "-j", "2")
    assert result.returncode == 0, result.stderr
    (warning,) = warnings_in(result.stderr)
    assert "canny" in warning and "jpg" in warning and "lossy" in warning
    quiet = imgkit_cli("canny", folder, "-o", tmp_path / "quiet", "--format", "jpg", "-q")
    assert quiet.returncode == 0 and quiet.stderr == ""
    exact = imgkit_cli("canny", folder, "-o", tmp_path / "png", "--format", "png")
    assert exact.returncode == 0 and warnings_in(exact.stderr) == []
    lossy_webp = imgkit_cli("canny", folder, "-o", tmp_path / "webp", "--format", "webp", "--quality", "80")
    assert len(warnings_in(lossy_webp.stderr)) == 1


def test_alpha_to_jpg_is_warned_once_per_run(rgba_folder, tmp_path):
    result = imgkit_cli("blur", rgba_folder, "-o", tmp_path / "jpg", "--format", "jpg", "-j", "2")
    assert result.returncode == 0, result.stderr
    (warning,) = warnings_in(result.stderr)
    assert "alpha" in warning and "jpg" in warning
    assert read(tmp_path / "jpg" / "a.jpg").shape[2] == 3
    for kept in ("png", "bmp", "tiff"):    # formats that keep a 4th channel: nothing to say
        other = imgkit_cli("blur", rgba_folder, "-o", tmp_path / kept, "--format", kept)
        assert other.returncode == 0 and warnings_in(other.stderr) == []
        assert read(tmp_path / kept / f"a.{kept}").shape[2] == 4


def test_png_quality_sets_the_compression_and_never_the_pixels(folder, tmp_path):
    sizes = {}
    for quality in (None, "5", "90"):
        out = tmp_path / f"q{quality}.png"
        result = imgkit_cli("blur", folder / "camera.png", "-o", out, *(["--quality", quality] if quality else []))
        assert result.returncode == 0 and warnings_in(result.stderr) == []
        sizes[quality] = out.stat().st_size
        np.testing.assert_array_equal(read(out), read(tmp_path / "qNone.png"))
    assert sizes["5"] > sizes["90"]         # zlib level 0 (stored) against 9


def test_webp_without_quality_is_lossless_and_with_it_lossy(folder, tmp_path):
    for args, name in (((), "lossless.webp"), (("--quality", "50"), "lossy.webp")):
        assert imgkit_cli("blur", folder / "chelsea.png", "-o", tmp_path / name, *args).returncode == 0
    assert imgkit_cli("blur", folder / "chelsea.png", "-o", tmp_path / "exact.png").returncode == 0
    np.testing.assert_array_equal(read(tmp_path / "lossless.webp"), read(tmp_path / "exact.png"))
    assert not np.array_equal(read(tmp_path / "lossy.webp"), read(tmp_path / "exact.png"))


def test_quality_for_a_format_it_means_nothing_to_is_said_once(folder, tmp_path):
    result = imgkit_cli("blur", folder, "-o", tmp_path / "out", "--format", "tiff", "--quality", "50")
    assert result.returncode == 0
    (warning,) = warnings_in(result.stderr)
    assert "--quality" in warning and "tiff" in warning


# ---------------------------------------------------------------- item 8: what one command writes, the next reads

@pytest.mark.parametrize("fmt", ["png", "jpg", "webp", "tiff", "bmp", "npy"])
def test_a_folder_written_by_one_command_is_read_by_the_next(fmt, folder, tmp_path):
    first = imgkit_cli("sobel", folder, "-o", tmp_path / "g", "--format", fmt)
    assert first.returncode == 0, first.stderr
    second = imgkit_cli("resize", tmp_path / "g", "--scale", "0.5", "-o", tmp_path / "h")
    assert second.returncode == 0, second.stderr
    assert sorted(os.listdir(tmp_path / "h")) == [f"{name}.{fmt}" for name in ("camera", "chelsea", "coffee")]
    if fmt in ("npy", "tiff"):      # float32 results, kept as such through the folder
        kept = np.load(tmp_path / "h" / "camera.npy") if fmt == "npy" else read(tmp_path / "h" / "camera.tiff")
        assert kept.dtype == np.float32 and kept.shape[:2] == (24, 32)


def _npy_bytes(array):
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def test_npy_inputs_are_read_safely_each_bad_one_its_own_error_line(tmp_path):
    folder = tmp_path / "n"
    folder.mkdir()
    np.save(folder / "good.npy", np.full((8, 8), 7.5, np.float64))        # float64: taken as float32
    np.save(folder / "ints.npy", np.zeros((8, 8), np.int64))               # no operation takes int64
    np.save(folder / "objects.npy", np.array([[None]], dtype=object), allow_pickle=True)
    np.save(folder / "stack.npy", np.zeros((2, 8, 8, 3), np.uint8))        # not an image
    header = _npy_bytes(np.zeros((100_000, 100_000), np.uint8)[:1, :1])    # a header that lies
    (folder / "huge.npy").write_bytes(header.replace(b"(1, 1)", b"(100000, 100000)"))
    result = imgkit_cli("blur", folder, "-o", tmp_path / "out", "--max-pixels", "1e6")
    assert result.returncode == 1
    errors = {line.split(": ")[1] for line in result.stderr.splitlines() if line.startswith(f"imgkit: {folder}")}
    assert errors == {str(folder / name) for name in ("ints.npy", "objects.npy", "stack.npy", "huge.npy")}
    assert "above --max-pixels" in result.stderr and "pickles are never loaded" in result.stderr
    assert np.load(tmp_path / "out" / "good.npy").dtype == np.float32


def test_a_float64_npy_gives_what_its_float32_copy_gives(tmp_path):
    image = np.random.default_rng(1).random((20, 24, 4)) * 255     # 4 channels: premultiplied alpha
    np.save(tmp_path / "wide.npy", image)
    np.save(tmp_path / "narrow.npy", image.astype(np.float32))
    for name in ("wide", "narrow"):
        assert imgkit_cli("blur", tmp_path / f"{name}.npy", "-o", tmp_path / f"{name}_blur.npy").returncode == 0
    wide, narrow = np.load(tmp_path / "wide_blur.npy"), np.load(tmp_path / "narrow_blur.npy")
    assert wide.dtype == np.float32
    np.testing.assert_array_equal(wide, narrow)


# ---------------------------------------------------------------- item 10: --depth

def _same_size(path, out, *args):
    """``resize`` to the input's own size with nearest neighbours: the pixels as they are."""
    return imgkit_cli("resize", path, "--scale", "1", "--interp", "nearest", "-o", out, *args)


def test_depth_8_scales_a_16_bit_png_instead_of_clipping_it(tmp_path):
    values = np.array([[0, 257, 32768, 65535]], np.uint16).repeat(4, axis=0)
    cv2.imwrite(str(tmp_path / "deep.png"), values)
    result = _same_size(tmp_path / "deep.png", tmp_path / "eight.png", "--depth", "8")
    assert result.returncode == 0, result.stderr
    eight = read(tmp_path / "eight.png")
    assert eight.dtype == np.uint8 and eight[0].tolist() == [0, 1, 128, 255]
    back = _same_size(tmp_path / "eight.png", tmp_path / "sixteen.png", "--depth", "16")
    assert read(tmp_path / "sixteen.png")[0].tolist() == [0, 257, 128 * 257, 65535] and back.returncode == 0


def test_depth_from_float_npy(tmp_path):
    np.save(tmp_path / "float.npy", np.array([[-300.0, 0.4, 100.6, 254.5, 70000.0]], np.float32).repeat(2, axis=0))
    assert _same_size(tmp_path / "float.npy", tmp_path / "eight.png", "--depth", "8").returncode == 0
    assert read(tmp_path / "eight.png")[0].tolist() == [255, 0, 101, 254, 255]       # |v| rounded, saturated
    assert _same_size(tmp_path / "float.npy", tmp_path / "sixteen.png", "--depth", "16").returncode == 0
    assert read(tmp_path / "sixteen.png")[0].tolist() == [300, 0, 101, 254, 65535]
    cv2.imwrite(str(tmp_path / "byte.png"), np.array([[0, 200]], np.uint8))
    assert _same_size(tmp_path / "byte.png", tmp_path / "float.tiff", "--depth", "32f").returncode == 0
    kept = read(tmp_path / "float.tiff")
    assert kept.dtype == np.float32 and kept.tolist() == [[0.0, 200.0]]      # values kept


@pytest.mark.parametrize("depth, target", [("32f", "x.png"), ("32f", "x.jpg"), ("16", "x.jpg"), ("16", "x.webp"),
                                           ("16", "x.bmp")])
def test_a_depth_the_format_cannot_hold_is_a_usage_error(depth, target, folder, tmp_path):
    result = imgkit_cli("blur", folder / "camera.png", "-o", tmp_path / target, "--depth", depth)
    assert result.returncode == 2
    assert "--depth" in result.stderr and "tiff" in result.stderr
    assert not (tmp_path / target).exists()


def test_the_api_takes_float64_as_float32():
    image = cv2.imread(str(PHOTOS / "camera.png"), cv2.IMREAD_GRAYSCALE)[:64, :64].astype(np.float64) / 3
    for function in (lambda im: imgkit.gaussian_blur(im, 2.0), lambda im: imgkit.sobel(im, 1, 0),
                     lambda im: imgkit.resize(im, scale=0.5)):
        wide, narrow = function(image), function(image.astype(np.float32))
        assert wide.dtype == np.float32
        np.testing.assert_array_equal(wide, narrow)
