"""Derivatives: the Numba kernels against cv2.Sobel / Scharr / Laplacian / filter2D (Prewitt) /
magnitude / phase, and against the naive 2-D correlation.

Integer images: identical to OpenCV (the kernels are integer, the sums exact), except uint16
with aperture 7, whose sums can pass float32's 24 bits (then ≤ 1e-6 relative). float32 images:
OpenCV rounds in its own order, so ≤ 1e-5 relative. The magnitude is ``sqrt(fma(gx, gx, gy·gy))``
to the bit (checked against the float64 oracle on any CPU), which is OpenCV's own ``cv::magnitude``
(IPP off) where OpenCV runs its AVX2/AVX-512 code; the IPP one it uses by default is within 2 ulp.
"""

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import imgkit
from imgkit.options import BORDERS

from conftest import EDGE_SHAPES, PHOTOS, at_4k, compare_rows, photo, random_image, run_cli, skip_unless_opencv_fuses
from naive import derivatives as naive

F32_RTOL = 1e-5
SOBEL_CASES = [(k, dx, dy) for k in (1, 3, 5, 7) for dx, dy in [(1, 0), (0, 1), (2, 0), (1, 1), (0, 2)]]
SOBEL_HIGH_ORDERS = [(5, 3, 0), (5, 0, 4), (7, 6, 0), (7, 2, 5)]
PREWITT = {1: np.array([[-1, 0, 1]] * 3, np.float32)}
PREWITT[0] = np.ascontiguousarray(PREWITT[1].T)


def exact(dtype, ksize=3):
    """Whether OpenCV's float32 sums are exact, hence identical to ours."""
    return np.dtype(dtype) == np.uint8 or (np.dtype(dtype) == np.uint16 and ksize < 7)


# float32 images: OpenCV filters rows first, imgkit columns first, so the roundings differ; a
# result that cancels to ~0 is compared at the size of the terms summed, not at its own
TERMS_SCALE = 255 * 64


def assert_matches(result, expected, identical=True, terms=1.0):
    assert result.dtype == np.float32 and result.shape == expected.shape
    if identical:
        np.testing.assert_array_equal(result, expected)
    else:
        scale = max(terms, float(np.abs(expected).max()))
        assert float(np.abs(result.astype(np.float64) - expected).max()) / scale <= F32_RTOL


def no_ipp(function):
    """Run ``function`` with OpenCV's own code paths (cv::magnitude without IPP)."""
    was = cv2.ipp.useIPP()
    cv2.ipp.setUseIPP(False)
    try:
        return function()
    finally:
        cv2.ipp.setUseIPP(was)


def cv_magnitude(image, ksize=3):
    return no_ipp(lambda: cv2.magnitude(cv2.Sobel(image, cv2.CV_32F, 1, 0, ksize=ksize),
                                        cv2.Sobel(image, cv2.CV_32F, 0, 1, ksize=ksize)))


def every_operator(image, border="reflect101"):
    """(ours, OpenCV's, aperture) for every derivative and order this module covers."""
    for ksize, dx, dy in SOBEL_CASES:
        yield (imgkit.sobel(image, dx, dy, ksize=ksize, border=border),
               imgkit.sobel(image, dx, dy, ksize=ksize, border=border, backend="opencv"), ksize)
    for dx, dy in [(1, 0), (0, 1)]:
        for function in (imgkit.scharr, imgkit.prewitt):
            yield (function(image, dx, dy, border=border),
                   function(image, dx, dy, border=border, backend="opencv"), 3)
    for ksize in (1, 3, 5, 7):
        yield (imgkit.laplacian(image, ksize=ksize, border=border),
               imgkit.laplacian(image, ksize=ksize, border=border, backend="opencv"), ksize)


# ------------------------------------------------------------------------- photos

@pytest.mark.parametrize("gray", [True, False], ids=["gray", "colour"])
def test_photos_identical(photo_name, gray):
    image = photo(photo_name, gray)
    for ksize, dx, dy in SOBEL_CASES + SOBEL_HIGH_ORDERS:
        assert_matches(imgkit.sobel(image, dx, dy, ksize=ksize), cv2.Sobel(image, cv2.CV_32F, dx, dy, ksize=ksize))
    for dx, dy in [(1, 0), (0, 1)]:
        assert_matches(imgkit.scharr(image, dx, dy), cv2.Scharr(image, cv2.CV_32F, dx, dy))
        assert_matches(imgkit.prewitt(image, dx, dy), cv2.filter2D(image, cv2.CV_32F, PREWITT[dx]))
    for ksize in (1, 3, 5, 7):
        assert_matches(imgkit.laplacian(image, ksize=ksize), cv2.Laplacian(image, cv2.CV_32F, ksize=ksize))


def opencv_gradients(image, operator, ksize=3, border="reflect101"):
    """OpenCV's gx, gy for ``gradient_magnitude``'s operators (exact integers for uint8)."""
    if operator == "sobel":
        return (imgkit.sobel(image, 1, 0, ksize=ksize, border=border, backend="opencv"),
                imgkit.sobel(image, 0, 1, ksize=ksize, border=border, backend="opencv"))
    function = getattr(imgkit, operator)
    return function(image, 1, 0, border=border, backend="opencv"), function(image, 0, 1, border=border, backend="opencv")


@pytest.mark.parametrize("gray", [True, False], ids=["gray", "colour"])
def test_photo_magnitudes_match_the_float64_oracle(photo_name, gray):
    """CPU-independent: sqrt(fma(gx, gx, gy·gy)) to the bit, whatever OpenCV dispatches to."""
    image = photo(photo_name, gray)
    for operator, ksize in [("sobel", 3), ("sobel", 5), ("scharr", 3), ("prewitt", 3)]:
        np.testing.assert_array_equal(imgkit.gradient_magnitude(image, operator=operator, ksize=ksize),
                                      naive.magnitude(*opencv_gradients(image, operator, ksize)))


@pytest.mark.parametrize("gray", [True, False], ids=["gray", "colour"])
def test_photo_magnitudes_identical_to_opencvs_own_code(photo_name, gray):
    skip_unless_opencv_fuses("the magnitude's sqrt(fma(gx, gx, gy·gy))")
    image = photo(photo_name, gray)
    for ksize in (3, 5):
        np.testing.assert_array_equal(imgkit.gradient_magnitude(image, ksize=ksize), cv_magnitude(image, ksize))


@pytest.mark.parametrize("gray", [True, False], ids=["gray", "colour"])
def test_4k_photo_identical(gray):
    image = at_4k(photo("astronaut.png", gray))
    assert_matches(imgkit.sobel(image, 1, 0), cv2.Sobel(image, cv2.CV_32F, 1, 0))
    assert_matches(imgkit.sobel(image, 0, 1, ksize=5), cv2.Sobel(image, cv2.CV_32F, 0, 1, ksize=5))
    assert_matches(imgkit.scharr(image, 0, 1), cv2.Scharr(image, cv2.CV_32F, 0, 1))
    assert_matches(imgkit.prewitt(image, 1, 0), cv2.filter2D(image, cv2.CV_32F, PREWITT[1]))
    assert_matches(imgkit.laplacian(image, ksize=3), cv2.Laplacian(image, cv2.CV_32F, ksize=3))
    np.testing.assert_array_equal(imgkit.gradient_magnitude(image), naive.magnitude(*opencv_gradients(image, "sobel")))


@pytest.mark.parametrize("gray", [True, False], ids=["gray", "colour"])
def test_4k_magnitude_within_tolerance_of_opencvs_default(gray):
    """Against the IPP magnitude OpenCV uses by default (2 ulp): the float32 tolerance."""
    image = at_4k(photo("astronaut.png", gray))
    assert_matches(imgkit.gradient_magnitude(image), imgkit.gradient_magnitude(image, backend="opencv"),
                   identical=False)


SMOOTHING = [(operator, ksize) for operator in ("sobel", "scharr", "prewitt")
             for ksize in ((1, 3, 5, 7) if operator == "sobel" else (3,))]


def test_magnitude_angle_and_l1_on_a_photo():
    """CPU-independent: L1 identical to OpenCV's, the magnitude to the float64 oracle, the angle
    in [0, 360) and within the float32 tolerance of OpenCV's."""
    image = photo("coffee.png")
    for operator, ksize in SMOOTHING:
        np.testing.assert_array_equal(imgkit.gradient_magnitude(image, operator=operator, ksize=ksize),
                                      naive.magnitude(*opencv_gradients(image, operator, ksize)))
        assert_matches(imgkit.gradient_magnitude(image, operator=operator, ksize=ksize, l1=True),
                       imgkit.gradient_magnitude(image, operator=operator, ksize=ksize, l1=True, backend="opencv"))
        angle = imgkit.gradient_angle(image, operator=operator, ksize=ksize)
        assert_matches(angle, imgkit.gradient_angle(image, operator=operator, ksize=ksize, backend="opencv"),
                       identical=False)
        assert angle.min() >= 0 and angle.max() < 360


def test_magnitude_and_angle_identical_to_opencvs_own_code():
    skip_unless_opencv_fuses("the magnitude's sqrt(fma) and cv::fastAtan32f's polynomial")
    image = photo("coffee.png")
    for operator, ksize in SMOOTHING:
        theirs = no_ipp(lambda: imgkit.gradient_magnitude(image, operator=operator, ksize=ksize, backend="opencv"))
        np.testing.assert_array_equal(imgkit.gradient_magnitude(image, operator=operator, ksize=ksize), theirs)
        np.testing.assert_array_equal(imgkit.gradient_angle(image, operator=operator, ksize=ksize),
                                      imgkit.gradient_angle(image, operator=operator, ksize=ksize, backend="opencv"))


# ------------------------------------------------------------------------- random images, every border

@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
@pytest.mark.parametrize("border", list(BORDERS))
def test_edge_shapes_every_border(border, dtype):
    seed = 0
    for shape in EDGE_SHAPES + [(40, 57)]:
        for channels in (1, 3, 4):
            seed += 1
            image = random_image(shape + (channels,), dtype, seed)
            image = image[:, :, 0] if channels == 1 else image
            terms = TERMS_SCALE if dtype == np.float32 else 1.0
            for ours, theirs, ksize in every_operator(image, border):
                assert_matches(ours, theirs, identical=exact(dtype, ksize), terms=terms)
            for operator in ("sobel", "scharr", "prewitt"):
                assert_matches(imgkit.gradient_magnitude(image, operator=operator, l1=True, border=border),
                               imgkit.gradient_magnitude(image, operator=operator, l1=True, border=border,
                                                         backend="opencv"), identical=exact(dtype), terms=terms)
                assert_matches(imgkit.gradient_magnitude(image, operator=operator, border=border),
                               naive.magnitude(*opencv_gradients(image, operator, border=border)),
                               identical=exact(dtype), terms=terms)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
def test_naive_oracle(dtype):
    seed = 200
    terms = TERMS_SCALE if dtype == np.float32 else 1.0
    for shape in [(1, 1), (1, 6), (5, 1), (4, 7), (9, 8)]:
        for channels in (1, 3):
            seed += 1
            image = random_image(shape + (channels,), dtype, seed)
            image = image[:, :, 0] if channels == 1 else image
            for name, border in BORDERS.items():
                for ksize, dx, dy in [(1, 1, 0), (3, 0, 1), (5, 2, 1), (7, 1, 0)]:
                    assert_matches(imgkit.sobel(image, dx, dy, ksize=ksize, border=name),
                                   naive.correlate(image, naive.sobel_kernel(dx, dy, ksize), border),
                                   identical=exact(dtype, ksize), terms=terms)
                assert_matches(imgkit.scharr(image, 0, 1, border=name),
                               naive.correlate(image, naive.transpose(naive.SCHARR_X), border),
                               identical=exact(dtype), terms=terms)
                assert_matches(imgkit.prewitt(image, 1, 0, border=name),
                               naive.correlate(image, naive.PREWITT_X, border), identical=exact(dtype), terms=terms)
                for ksize in (1, 3, 5):
                    assert_matches(imgkit.laplacian(image, ksize=ksize, border=name),
                                   naive.correlate(image, naive.laplacian_kernel(ksize), border),
                                   identical=exact(dtype), terms=terms)


# ------------------------------------------------------------------------- properties

symmetric_borders = st.sampled_from(["reflect101", "reflect", "replicate", "constant"])


@settings(max_examples=40, deadline=None)
@given(value=st.integers(0, 255), shape=st.tuples(st.integers(1, 20), st.integers(1, 20)),
       ksize=st.sampled_from([1, 3, 5, 7]), border=st.sampled_from(["reflect101", "reflect", "replicate", "wrap"]))
def test_constant_image_has_no_derivative(value, shape, ksize, border):
    image = np.full(shape, value, np.uint8)
    assert not imgkit.sobel(image, 1, 0, ksize=ksize, border=border).any()
    assert not imgkit.sobel(image, 0, 1, ksize=ksize, border=border).any()
    assert not imgkit.laplacian(image, ksize=ksize, border=border).any()
    assert not imgkit.gradient_magnitude(image, operator="scharr", border=border).any()


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10**6), shape=st.tuples(st.integers(1, 16), st.integers(1, 16)),
       ksize=st.sampled_from([1, 3, 5, 7]), border=symmetric_borders)
def test_mirroring_left_right_negates_dx(seed, shape, ksize, border):
    image = random_image(shape, np.uint8, seed)
    flipped = np.ascontiguousarray(image[:, ::-1])
    dx = imgkit.sobel(image, 1, 0, ksize=ksize, border=border)
    np.testing.assert_array_equal(imgkit.sobel(flipped, 1, 0, ksize=ksize, border=border)[:, ::-1], -dx)
    np.testing.assert_array_equal(imgkit.sobel(flipped, 0, 1, ksize=ksize, border=border)[:, ::-1],
                                  imgkit.sobel(image, 0, 1, ksize=ksize, border=border))
    magnitude = imgkit.gradient_magnitude(image, ksize=ksize, border=border)
    np.testing.assert_array_equal(imgkit.gradient_magnitude(flipped, ksize=ksize, border=border)[:, ::-1], magnitude)


def test_bad_arguments_raise_clear_errors():
    image = random_image((8, 8), np.uint8)
    for call, message in [(lambda: imgkit.sobel(image, 0, 0), "both be 0"),
                          (lambda: imgkit.sobel(image, 3, 0), "dx must be ≤ 2"),
                          (lambda: imgkit.sobel(image, ksize=4), "ksize must be one of"),
                          (lambda: imgkit.scharr(image, 1, 1), "first derivatives"),
                          (lambda: imgkit.laplacian(image, ksize=9), "ksize must be one of"),
                          (lambda: imgkit.gradient_magnitude(image, operator="roberts"), "operator must be"),
                          (lambda: imgkit.prewitt(image, border="mirror"), "border must be")]:
        with pytest.raises(ValueError, match=message):
            call()


# ------------------------------------------------------------------------- command line

@pytest.mark.parametrize("command, options, expected", [
    ("sobel", [], lambda g: cv_magnitude(g)),
    ("sobel", ["--dx", "1", "--ksize", "5"], lambda g: cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=5)),
    ("scharr", ["--component", "y"], lambda g: cv2.Scharr(g, cv2.CV_32F, 0, 1)),
    ("prewitt", ["--dx", "1"], lambda g: cv2.filter2D(g, cv2.CV_32F, PREWITT[1])),
    ("laplacian", ["--ksize", "3"], lambda g: cv2.Laplacian(g, cv2.CV_32F, ksize=3)),
])
def test_cli_writes_float_npy_and_saturated_png(tmp_path, command, options, expected):
    source = PHOTOS / "camera.png"
    gray = cv2.imread(str(source), cv2.IMREAD_GRAYSCALE)
    assert run_cli(command, source, "-q", "-o", tmp_path / "out.npy", *options)[0] == 0
    assert_matches(np.load(tmp_path / "out.npy"), expected(gray))
    assert run_cli(command, source, "-q", "-o", tmp_path / "out.png", *options)[0] == 0
    written = cv2.imread(str(tmp_path / "out.png"), cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(written, cv2.convertScaleAbs(expected(gray)))


def test_cli_normalize_and_angle(tmp_path):
    source = PHOTOS / "camera.png"
    assert run_cli("sobel", source, "-q", "--normalize", "-o", tmp_path / "n.png")[0] == 0
    written = cv2.imread(str(tmp_path / "n.png"), cv2.IMREAD_UNCHANGED)
    assert written.dtype == np.uint8 and written.min() == 0 and written.max() == 255
    assert run_cli("sobel", source, "-q", "--normalize", "--reference", "-o", tmp_path / "r.png")[0] == 0
    np.testing.assert_array_equal(cv2.imread(str(tmp_path / "r.png"), cv2.IMREAD_UNCHANGED), written)
    assert run_cli("sobel", source, "-q", "--component", "angle", "-o", tmp_path / "a.npy")[0] == 0
    angle = np.load(tmp_path / "a.npy")
    assert angle.min() >= 0 and angle.max() < 360


@pytest.mark.parametrize("command, options, named", [
    ("sobel", ["--ksize", "4"], "--ksize"),
    ("sobel", ["--ksize", "9"], "--ksize"),
    ("sobel", ["--dx", "3"], "--dx"),
    ("sobel", ["--dx", "0", "--dy", "0"], "--dx"),
    ("sobel", ["--component", "phase"], "--component"),
    ("sobel", ["--component", "x", "--l1"], "--l1"),
    ("scharr", ["--dy", "2"], "--dy"),
    ("prewitt", ["--border", "mirror"], "--border"),
    ("laplacian", ["--ksize", "2"], "--ksize"),
])
def test_cli_bad_options_are_usage_errors(tmp_path, capsys, command, options, named):
    assert run_cli(command, PHOTOS / "camera.png", "-o", tmp_path / "out.png", *options)[0] == 2
    assert named in capsys.readouterr().err
    assert not (tmp_path / "out.png").exists()


def test_l1_magnitude_reference_keeps_one_pixel_images_one_pixel():
    """OpenCV 5.1's bindings read a 1×1 image beside the scalar 0 as the scalar (cv2.absdiff
    returned 4×1): the reference compares with an array of zeros instead."""
    for shape in [(1, 1), (1, 1, 3), (4, 1)]:
        image = random_image(shape, np.uint8, seed=5)
        result = imgkit.gradient_magnitude(image, l1=True, backend="opencv")
        assert result.shape == image.shape
        np.testing.assert_array_equal(result, imgkit.gradient_magnitude(image, l1=True))


def test_compare_says_when_the_opencv_path_rebuilt_a_border(capsys):
    source = PHOTOS / "camera.png"
    code, out, _ = run_cli("compare", "sobel", source, "--border", "wrap", "--repeat", "1", "--json", capsys=capsys)
    (row,) = compare_rows(out)
    assert code == 0 and row["within_tolerance"]
    assert row["reference_notes"] == ["border wrap rebuilt: cv2.copyMakeBorder(BORDER_WRAP), then cv2.Sobel "
                                      "on the padded image, centre cut out"]
    code, out, _ = run_cli("compare", "sobel", source, "--repeat", "1", "--json", capsys=capsys)
    assert code == 0 and compare_rows(out)[0]["reference_notes"] == []
    code, out, _ = run_cli("compare", "sobel", source, "--border", "wrap", "--repeat", "1", capsys=capsys)
    assert code == 0 and "OpenCV path: border wrap rebuilt" in out and "numba" in out
