"""Issue 18: ``resize(scale=s)`` is ``cv2.resize(image, None, fx=s, fy=s)``, which maps pixels by
``1/s``, not by the ratio of the rounded size (on odd sizes the two differ by up to 98 levels).
Through the API (both backends), the kernels' cut border blocks, and the command line."""

import subprocess
import sys

import cv2
import numpy as np
import pytest

import imgkit
from imgkit.kernels.resize import resize_area, resize_linear

from conftest import photo
from test_cli import read

FLAGS = {"nearest": cv2.INTER_NEAREST, "linear": cv2.INTER_LINEAR, "area": cv2.INTER_AREA,
         "cubic": cv2.INTER_CUBIC, "lanczos": cv2.INTER_LANCZOS4}
FACTORS = (0.3, 0.37, 0.5, 0.73, 1.6, 2.3)
# odd sizes, where round(n·s)/n is not s; 743×501 at 0.5 rounds up into a cut last block
SIZES = ((741, 500), (743, 501), (333, 217))


def odd_photo(size, gray, name="astronaut.png"):
    return cv2.resize(photo(name, gray), size, interpolation=cv2.INTER_AREA)


def fx_fy(image, s, interp):
    return cv2.resize(image, None, fx=s, fy=s, interpolation=FLAGS[interp])


def assert_within_spec(ours, theirs, interp):
    """SPEC §5: identical; uint8 cubic goes through IPP in OpenCV, ≤ 1 level there."""
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    diff = np.abs(ours.astype(int) - theirs.astype(int))
    assert diff.max() <= (1 if interp == "cubic" else 0), (interp, int(diff.max()), int((diff > 0).sum()))


@pytest.mark.parametrize("interp", list(FLAGS))
@pytest.mark.parametrize("gray", [True, False], ids=["gray", "bgr"])
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_scale_is_opencv_fx_fy(size, gray, interp):
    image = odd_photo(size, gray)
    for s in FACTORS:
        assert_within_spec(imgkit.resize(image, scale=s, interp=interp), fx_fy(image, s, interp), interp)


@pytest.mark.parametrize("interp", list(FLAGS))
def test_reference_path_calls_cv2_with_fx_fy(interp):
    image = odd_photo((741, 500), gray=False)
    for s in FACTORS:
        ours = imgkit.resize(image, scale=s, interp=interp, backend="opencv")
        assert np.array_equal(ours, fx_fy(image, s, interp)), s


def test_a_size_still_maps_as_dsize():
    """width/height (and fit) are ``dsize``: the size ratio maps, not a factor."""
    image = odd_photo((741, 500), gray=False)
    for interp, flag in FLAGS.items():
        for backend in ("numba", "opencv"):
            ours = imgkit.resize(image, width=370, height=250, interp=interp, backend=backend)
            theirs = cv2.resize(image, (370, 250), interpolation=flag)
            assert_within_spec(ours, theirs, interp)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("channels", [1, 3, 4])
def test_area_blocks_cut_by_the_border(dtype, channels):
    """An integer factor whose rounded size reaches past the image (743 · 0.5 → 372): OpenCV's
    last column and row of blocks average the pixels inside; uint8 INTER_LINEAR at 0.5 is the
    same (uint16 LINEAR goes through IPP in OpenCV, test_resize_kernels says how close)."""
    rng = np.random.default_rng(18)
    top = np.iinfo(dtype).max
    for h, w in ((501, 743), (77, 99), (9, 10)):
        image = rng.integers(0, top, (h, w, channels), dtype=dtype, endpoint=True)
        for s in (0.5, 0.25, 1 / 3, 0.2):
            theirs = cv2.resize(image, None, fx=s, fy=s, interpolation=cv2.INTER_AREA).reshape(-1)
            size = (round(w * s), round(h * s))
            ours = resize_area(image, *size, inv_scale=(s, s))
            assert np.array_equal(ours.reshape(-1), theirs), (h, w, s)
        if dtype != np.uint8:
            continue
        theirs = cv2.resize(image, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_LINEAR).reshape(-1)
        ours = resize_linear(image, round(w * 0.5), round(h * 0.5), inv_scale=(0.5, 0.5))
        assert np.array_equal(ours.reshape(-1), theirs), (h, w)


@pytest.mark.parametrize("interp", ["nearest", "linear", "area", "cubic"])
def test_cli_scale_is_fx_fy(tmp_path, interp):
    """``imgkit resize --scale`` in a real process, against cv2.resize with fx/fy."""
    image = odd_photo((741, 500), gray=False)
    source = tmp_path / "odd.png"
    cv2.imwrite(str(source), image)
    for s in (0.5, 0.37, 1.6):
        out = tmp_path / f"{interp}-{s}.png"
        run = subprocess.run([sys.executable, "-m", "imgkit", "resize", str(source), "--scale", str(s),
                              "--interp", interp, "-o", str(out)], capture_output=True, timeout=600)
        assert run.returncode == 0, run.stderr.decode(errors="replace")
        assert_within_spec(read(out), fx_fy(image, s, interp), interp)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_nearest_strided_and_repeated_rows(dtype, channels):
    """NEAREST's integer shrink (a strided read without the table) and its enlarging (a row
    reading the same source row as the one above is copied), for every pixel size, by size
    and by factor, on enough rows to be cut into strips."""
    from imgkit.kernels.resize import resize_nearest
    image = np.random.default_rng(7).integers(0, 255, (601, 803, channels)).astype(dtype)
    for s in (0.5, 1 / 3, 0.25, 2.0, 1.6, 0.73):
        size = (round(803 * s), round(601 * s))
        for inv_scale, theirs in ((None, cv2.resize(image, size, interpolation=cv2.INTER_NEAREST)),
                                  ((s, s), cv2.resize(image, None, fx=s, fy=s, interpolation=cv2.INTER_NEAREST))):
            ours = resize_nearest(image, *size, inv_scale=inv_scale)
            assert np.array_equal(ours.reshape(theirs.shape), theirs), (s, inv_scale)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_area_shrink_by_other_factors(dtype, channels):
    """``resizeArea_`` (a non-integer shrink), whose colour column table is padded per pixel:
    identical to cv2.resize for every channel count (float32: its float32 sums, same order)."""
    image = np.random.default_rng(3).integers(0, 255, (301, 457, channels)).astype(dtype)
    for s in (0.37, 0.73, 0.3, 0.6):
        theirs = cv2.resize(image, None, fx=s, fy=s, interpolation=cv2.INTER_AREA)
        ours = resize_area(image, theirs.shape[1], theirs.shape[0], inv_scale=(s, s))
        assert np.array_equal(ours.reshape(theirs.shape), theirs), s
