"""Canny: the Numba kernels against cv2.GaussianBlur + cv2.Canny, against the naive oracle, and
peer-style cases from scikit-image's test_canny.py.

The goal is identical edge maps; SPEC §5's floor (≥ 99.9 % identical pixels, edge-set F1 ≥
0.995) is asserted too, so a regression reports how far it fell.
"""

import cv2
import numpy as np
import pytest

import imgkit
from imgkit.compare import difference
from imgkit.kernels import canny as kernels
from imgkit.ops.canny import auto_thresholds

from conftest import EDGE_SHAPES, at_4k, compare_rows, photo, random_image, run_cli
from naive import canny as naive

# (aperture, l2, sigma)
CASES = [(3, False, 0.0), (3, True, 1.4), (5, False, 1.4), (5, True, 0.0), (7, False, 0.0), (7, True, 1.4)]
THRESHOLDS = {3: (50, 150), 5: (200, 600), 7: (50, 150)}   # aperture 5's gradients are 8× larger


def reference(image, low, high, sigma, aperture, l2):
    """SPEC §5's reference, in cv2 calls only."""
    if sigma > 0:
        ksize = int(round(sigma * 6 + 1)) | 1
        image = cv2.GaussianBlur(image, (ksize, ksize), sigma)
    return cv2.Canny(image, low, high, apertureSize=aperture, L2gradient=l2)


def assert_identical(result, expected):
    assert result.dtype == np.uint8 and result.shape == expected.shape
    metrics = difference(result, expected)
    assert metrics["identical"] >= 0.999 and metrics["f1"] >= 0.995, metrics      # the floor
    np.testing.assert_array_equal(result, expected)                                 # the goal
    assert set(np.unique(result)) <= {0, 255}


# ------------------------------------------------------------------------- photos

@pytest.mark.parametrize("gray", [True, False], ids=["gray", "bgr"])
def test_photos_identical(photo_name, gray):
    image = photo(photo_name, gray)
    for aperture, l2, sigma in CASES:
        low, high = THRESHOLDS[aperture]
        assert_identical(imgkit.canny(image, low, high, sigma=sigma, aperture=aperture, l2=l2),
                         reference(image, low, high, sigma, aperture, l2))


@pytest.mark.parametrize("gray", [True, False], ids=["gray", "bgr"])
def test_4k_photo_identical(gray):
    image = at_4k(photo("astronaut.png", gray))
    for aperture, l2, sigma in [(3, False, 0.0), (5, True, 1.4), (7, False, 1.4)]:
        low, high = THRESHOLDS[aperture]
        assert_identical(imgkit.canny(image, low, high, sigma=sigma, aperture=aperture, l2=l2),
                         reference(image, low, high, sigma, aperture, l2))


def test_thresholds_swapped_as_opencv():
    image = photo("coffee.png")
    swapped = imgkit.canny(image, 150, 50, sigma=1.4)
    np.testing.assert_array_equal(swapped, imgkit.canny(image, 50, 150, sigma=1.4))
    assert_identical(swapped, reference(image, 150, 50, 1.4, 3, False))


def test_fractional_and_extreme_thresholds():
    image = photo("chelsea.png", gray=True)
    for low, high in [(20.5, 80.7), (0, 0), (0, 1), (1000, 1e6), (40000, 50000), (2.0 ** 31 - 1, 2.0 ** 31 - 1)]:
        for aperture, l2, _ in CASES:
            assert_identical(imgkit.canny(image, low, high, sigma=0, aperture=aperture, l2=l2),
                             reference(image, low, high, 0, aperture, l2))


@pytest.mark.parametrize("backend", ["numba", "opencv"])
def test_thresholds_beyond_int32_saturate(backend):
    """A threshold above every gradient keeps no edge; one below every gradient keeps every
    local maximum. OpenCV 5.1 saturates cv2.Canny's int thresholds; 5.0 wrapped an L1 threshold
    ≥ 2³¹ to INT_MIN, every local maximum an edge, which the reference path clamps away."""
    image = photo("chelsea.png", gray=True)
    for aperture, l2, _ in CASES:
        def edges(low, high):
            return imgkit.canny(image, low, high, sigma=0, aperture=aperture, l2=l2, backend=backend)
        assert not edges(2.0 ** 31, 2.0 ** 31).any() and not edges(1e12, 1e13).any()
        np.testing.assert_array_equal(edges(-1e12, -1e12), edges(-1, -1))
        assert edges(-1, -1).any()


def test_opencv_backend_is_the_reference():
    image = photo("rocket.jpg")
    np.testing.assert_array_equal(imgkit.canny(image, 30, 90, sigma=1.4, aperture=5, backend="opencv"),
                                  reference(image, 30, 90, 1.4, 5, False))


# ------------------------------------------------------------------------- random images

@pytest.mark.parametrize("channels", [1, 3])
def test_edge_shapes(channels):
    seed = 0
    for shape in EDGE_SHAPES + [(40, 57)]:
        seed += 1
        image = random_image(shape + (channels,), np.uint8, seed)
        image = image[:, :, 0] if channels == 1 else image
        for aperture, l2, sigma in CASES:
            for low, high in [(50, 150), (300, 900)]:
                assert_identical(imgkit.canny(image, low, high, sigma=sigma, aperture=aperture, l2=l2),
                                 reference(image, low, high, sigma, aperture, l2))


def test_naive_oracle():
    seed = 200
    for shape in [(1, 1), (1, 9), (8, 1), (6, 7), (13, 11)]:
        for channels in (1, 3):
            seed += 1
            image = random_image(shape + (channels,), np.uint8, seed)
            image = cv2.GaussianBlur(image, (3, 3), 0).reshape(image.shape)   # some structure
            image = image[:, :, 0] if channels == 1 else image
            for aperture in (3, 5, 7):
                for l2 in (False, True):
                    for low, high in [(40, 120), (300, 90.5)]:
                        np.testing.assert_array_equal(
                            imgkit.canny(image, low, high, sigma=0, aperture=aperture, l2=l2),
                            naive.canny(image, low, high, aperture, l2))


def test_strips_joined(monkeypatch):
    """Strips of a few rows each: edges crossing from strip to strip are joined as in one pass."""
    monkeypatch.setattr(kernels, "MIN_VALUES_PER_STRIP", 64)
    import numba
    threads = numba.get_num_threads()
    numba.set_num_threads(max(2, threads) if numba.config.NUMBA_NUM_THREADS >= 2 else 1)
    try:
        for seed, shape in enumerate([(64, 48), (101, 37, 3), (3, 200)]):
            image = cv2.GaussianBlur(random_image(shape, np.uint8, seed), (5, 5), 0).reshape(shape)
            for aperture, l2, _ in CASES:
                low, high = THRESHOLDS[aperture]
                assert_identical(imgkit.canny(image, low / 4, high, sigma=0, aperture=aperture, l2=l2),
                                 reference(image, low / 4, high, 0, aperture, l2))
    finally:
        numba.set_num_threads(threads)


def test_alpha_is_ignored_and_input_kept():
    image = random_image((30, 20, 4), np.uint8, 5)
    before = image.copy()
    expected = reference(np.ascontiguousarray(image[:, :, :3]), 50, 150, 1.0, 3, False)
    np.testing.assert_array_equal(imgkit.canny(image), expected)
    np.testing.assert_array_equal(imgkit.canny(image, backend="opencv"), expected)
    np.testing.assert_array_equal(image, before)
    gray = imgkit.canny(image[:, :, 1], sigma=0)                  # a non-contiguous view
    np.testing.assert_array_equal(gray, reference(np.ascontiguousarray(image[:, :, 1]), 50, 150, 0, 3, False))


# ------------------------------------------------------------------------- peer-style (scikit-image)

def test_blank_image_has_no_edges():
    for value in (0, 128, 255):
        for aperture, l2, sigma in CASES:
            assert not imgkit.canny(np.full((20, 30), value, np.uint8), 0, 0, sigma=sigma,
                                    aperture=aperture, l2=l2).any()


def test_noisy_circle_outline_found():
    """A disc under noise: every edge lies in a thin ring around its true outline, and the
    outline is found all the way round (skimage's test_01_01_circle, with noise)."""
    rng = np.random.default_rng(3)
    y, x = np.mgrid[-200:200, -200:200] + 0.5
    radius = np.hypot(y, x)
    image = np.where(radius < 100, 170.0, 70.0) + rng.normal(0, 12, radius.shape)
    image = np.clip(image, 0, 255).astype(np.uint8)
    edges = imgkit.canny(image, 40, 120, sigma=2.0) > 0
    assert (np.abs(radius[edges] - 100) <= 3).all()
    angles = np.degrees(np.arctan2(y[edges], x[edges])).astype(int) + 180
    covered = np.unique(angles).size / 360
    assert covered >= 0.98, covered
    assert 2 * np.pi * 100 * 0.8 < edges.sum() < 2 * np.pi * 100 * 2


# ------------------------------------------------------------------------- thresholds and errors

def test_auto_thresholds_from_the_median():
    image = photo("astronaut.png")
    smoothed = imgkit.gaussian_blur(image, 1.0)
    median = float(np.median(smoothed))
    low, high = auto_thresholds(image, 1.0)
    assert low == pytest.approx(max(0, 0.67 * median)) and high == pytest.approx(min(255, 1.33 * median))
    assert auto_thresholds(np.zeros((3, 4), np.uint8), 0) == (0, 0)
    for image in (random_image((7, 10), np.uint8, 1), random_image((8, 10, 3), np.uint8, 2)):
        assert auto_thresholds(image, 0) == pytest.approx((0.67 * np.median(image), min(255, 1.33 * np.median(image))))
    auto = imgkit.canny(image, None, None, sigma=1.0)
    np.testing.assert_array_equal(auto, imgkit.canny(image, *auto_thresholds(image, 1.0), sigma=1.0))


@pytest.mark.parametrize("kwargs, error, words", [
    ({"aperture": 4}, ValueError, "aperture"),
    ({"aperture": 1}, ValueError, "aperture"),
    ({"sigma": -1.0}, ValueError, "sigma"),
    ({"backend": "cuda"}, ValueError, "backend"),
])
def test_bad_arguments(kwargs, error, words):
    with pytest.raises(error, match=words):
        imgkit.canny(photo("camera.png", True), **kwargs)


def test_only_uint8():
    with pytest.raises(TypeError, match="uint8"):
        imgkit.canny(np.zeros((4, 4), np.uint16))
    with pytest.raises(TypeError, match="uint8"):
        imgkit.canny(np.zeros((4, 4), np.float32))


# ------------------------------------------------------------------------- command line

def test_cli_writes_edges(tmp_path, capsys):
    from conftest import PHOTOS
    out = tmp_path / "edges.png"
    code, _, _ = run_cli("canny", PHOTOS / "coffee.png", "--sigma", "1.4", "--aperture", "5",
                         "--l2", "--low", "100", "--high", "300", "-o", out, capsys=capsys)
    assert code == 0
    edges = cv2.imread(str(out), cv2.IMREAD_UNCHANGED)
    assert edges.ndim == 2 and set(np.unique(edges)) <= {0, 255}
    np.testing.assert_array_equal(edges, reference(photo("coffee.png"), 100, 300, 1.4, 5, True))


def test_cli_auto_and_swapped(tmp_path, capsys):
    from conftest import PHOTOS
    code, _, err = run_cli("canny", PHOTOS / "camera.png", "--auto", "-o", tmp_path / "auto.png", capsys=capsys)
    assert code == 0
    image = photo("camera.png")
    np.testing.assert_array_equal(cv2.imread(str(tmp_path / "auto.png"), cv2.IMREAD_UNCHANGED),
                                  imgkit.canny(image, *auto_thresholds(image, 1.0)))
    code, _, err = run_cli("canny", PHOTOS / "camera.png", "--low", "150", "--high", "50",
                           "-o", tmp_path / "swapped.png", capsys=capsys)
    assert code == 0 and "swapped" in err
    np.testing.assert_array_equal(cv2.imread(str(tmp_path / "swapped.png"), cv2.IMREAD_UNCHANGED),
                                  imgkit.canny(image, 50, 150))


@pytest.mark.parametrize("option, value", [("--aperture", "4"), ("--aperture", "9"), ("--sigma", "-1"),
                                           ("--low", "-5"), ("--high", "-1")])
def test_cli_bad_options_exit_2(tmp_path, capsys, option, value):
    from conftest import PHOTOS
    code, _, err = run_cli("canny", PHOTOS / "camera.png", option, value, "-o", tmp_path / "e.png", capsys=capsys)
    assert code == 2 and option in err
    assert not (tmp_path / "e.png").exists()


def test_compare_canny_on_the_photos(capsys):
    from conftest import PHOTOS
    code, out, _ = run_cli("compare", "canny", PHOTOS, "--repeat", "1", "--json", capsys=capsys)
    assert code == 0
    rows = compare_rows(out)
    assert len(rows) == 6 and all(row["within_tolerance"] and row["f1"] == 1.0 for row in rows)
