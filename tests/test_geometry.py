"""crop, pad, flip and rotate: the kernels against OpenCV (a ROI copy, cv2.copyMakeBorder,
cv2.flip, cv2.rotate, cv2.warpAffine) and against the float64 oracle, and their invariants."""

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import imgkit
from conftest import EDGE_SHAPES, channels_of, photo
from imgkit.compare import difference
from imgkit.ops.geometry import invert_affine, rotation
from imgkit.options import BORDERS
from imgkit.rules import ParameterError
from naive import geometry as naive

DTYPES = ("uint8", "uint16", "float32")


def both(function, image, **params):
    """imgkit's result and OpenCV's, same dtype and shape."""
    ours, theirs = function(image, **params), function(image, **params, backend="opencv")
    assert ours.dtype == theirs.dtype == image.dtype and ours.shape == theirs.shape
    return ours, theirs


# ---------------------------------------------------------------- crop

@pytest.mark.parametrize("box, expected", [((10, 20, 30, 40), (10, 20, 30, 40)),     # inside
                                           ((-5, -6, 20, 20), (0, 0, 15, 14)),      # over the top-left corner
                                           ((50, 30, 100, 100), (50, 30, 14, 18))])  # past the bottom-right
def test_crop_keeps_the_part_of_the_box_inside_the_image(box, expected):
    image = channels_of((48, 64), 3, "uint8", 1)
    ours, theirs = both(imgkit.crop, image, box=box)
    x, y, w, h = expected
    np.testing.assert_array_equal(ours, image[y:y + h, x:x + w])
    np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(imgkit.crop(image, box=",".join(map(str, box))), ours)


def test_crop_of_a_box_outside_the_image_or_without_a_box_is_an_error():
    image = channels_of((48, 64), 0, "uint8", 1)
    with pytest.raises(ValueError, match="lies outside the image"):
        imgkit.crop(image, box=(64, 0, 10, 10))
    with pytest.raises(ParameterError, match="box must be given"):
        imgkit.crop(image)
    with pytest.raises(ParameterError, match="X,Y,WIDTH,HEIGHT"):
        imgkit.crop(image, box="1,2,3")
    with pytest.raises(ParameterError, match="box must be"):
        imgkit.crop(image, box=(0, 0, 0, 5))


# ---------------------------------------------------------------- pad

@pytest.mark.parametrize("border", BORDERS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("channels", [0, 1, 3, 4])
def test_pad_is_copy_make_border_and_the_oracle(border, dtype, channels):
    image = channels_of((9, 7), channels, dtype, 2)
    sides = dict(top=3, bottom=12, left=0, right=9)     # wider than the image: borders fold again
    ours, theirs = both(imgkit.pad, image, **sides, border=border)
    np.testing.assert_array_equal(ours, theirs)
    planes = image.reshape(image.shape[:2] + (-1,))
    oracle = naive.pad(planes, *sides.values(), BORDERS[border])
    np.testing.assert_array_equal(ours.reshape(oracle.shape), oracle)


@pytest.mark.parametrize("dtype, value, expected", [("uint8", 300.0, 255), ("uint8", 2.5, 2), ("uint16", 7.5, 8),
                                                    ("float32", 0.25, 0.25)])
def test_pad_value_is_saturated_as_opencv_converts_a_scalar(dtype, value, expected):
    image = channels_of((4, 5), 3, dtype, 3)
    ours, theirs = both(imgkit.pad, image, top=2, left=1, value=value)
    np.testing.assert_array_equal(ours, theirs)
    assert (ours[:2] == expected).all() and (ours[:, :1] == expected).all()


def test_pad_value_needs_the_constant_border():
    with pytest.raises(ParameterError, match="value applies to border constant only"):
        imgkit.pad(channels_of((4, 5), 0, "uint8", 3), top=1, border="wrap", value=3)


# ---------------------------------------------------------------- flip

@pytest.mark.parametrize("axis, code", [("x", 0), ("y", 1), ("both", -1)])
@pytest.mark.parametrize("shape", EDGE_SHAPES)
def test_flip_is_cv2_flip(axis, code, shape):
    for dtype in DTYPES:
        image = channels_of(shape, 3, dtype, 4)
        ours, theirs = both(imgkit.flip, image, axis=axis)
        np.testing.assert_array_equal(ours, theirs)
        np.testing.assert_array_equal(ours, cv2.flip(image, code))


def test_flip_x_turns_the_image_upside_down():
    image = np.arange(6, dtype=np.uint8).reshape(2, 3)
    np.testing.assert_array_equal(imgkit.flip(image, axis="x"), [[3, 4, 5], [0, 1, 2]])
    np.testing.assert_array_equal(imgkit.flip(image, axis="y"), [[2, 1, 0], [5, 4, 3]])


# ---------------------------------------------------------------- rotate: quarter turns

@pytest.mark.parametrize("angle, turns", [(0, 0), (90, 1), (180, 2), (270, 3), (-90, 3), (450, 1), (-720, 0),
                                          (360, 0)])
@pytest.mark.parametrize("shape", EDGE_SHAPES)
def test_quarter_turns_are_cv2_rotate_to_the_bit(angle, turns, shape):
    for dtype in DTYPES:
        image = channels_of(shape, 4, dtype, 5)
        ours, theirs = both(imgkit.rotate, image, angle=angle)
        expected = image
        for _ in range(turns):
            expected = naive.quarter_turn(expected)
        np.testing.assert_array_equal(ours, expected)
        np.testing.assert_array_equal(theirs, expected)


def test_positive_angles_turn_counter_clockwise():
    image = np.array([[1, 2], [3, 4]], np.uint8)
    np.testing.assert_array_equal(imgkit.rotate(image, angle=90), [[2, 4], [1, 3]])
    np.testing.assert_array_equal(imgkit.rotate(image, angle=-90), cv2.rotate(image, cv2.ROTATE_90_CLOCKWISE))


# ---------------------------------------------------------------- rotate: any angle

@pytest.mark.parametrize("angle", [30.0, -7.5, 123.4])
def test_the_map_is_get_rotation_matrix_2d_shifted_into_the_bounding_box(angle):
    matrix, width, height = rotation((300, 400), angle)
    expected = cv2.getRotationMatrix2D((199.5, 149.5), angle, 1.0)
    expected[:, 2] += ((width - 400) / 2, (height - 300) / 2)
    np.testing.assert_array_equal(np.reshape(matrix, (2, 3)), expected)
    np.testing.assert_allclose(np.reshape(invert_affine(matrix), (2, 3)), cv2.invertAffineTransform(expected),
                               rtol=0, atol=1e-12)
    radians = np.radians(angle)
    assert (width, height) == (round(400 * abs(np.cos(radians)) + 300 * abs(np.sin(radians))),
                               round(400 * abs(np.sin(radians)) + 300 * abs(np.cos(radians))))


@pytest.mark.parametrize("interp", ["linear", "cubic"])
@pytest.mark.parametrize("border", BORDERS)
@pytest.mark.parametrize("gray", [True, False])
def test_any_angle_is_within_one_level_of_warp_affine_on_photos(interp, border, gray):
    image = photo("chelsea.png", gray=gray)
    for angle in (30.0, -7.5):
        ours, theirs = both(imgkit.rotate, image, angle=angle, interp=interp, border=border)
        metrics = difference(ours, theirs)
        assert metrics["max_abs"] <= 1, metrics
        assert metrics["within_1"] == 1.0 and np.mean(ours == theirs) >= 0.998, metrics


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("channels", [0, 3, 4])
def test_any_angle_keeps_every_dtype_within_the_goal(dtype, channels):
    image = channels_of((40, 57), channels, dtype, 6)
    op = imgkit.rotate.operation
    for interp in ("linear", "cubic"):
        ours, theirs = both(imgkit.rotate, image, angle=33.0, interp=interp, border="reflect")
        assert op.goal.holds(difference(ours, theirs), theirs.dtype)


def test_nearest_picks_warp_affines_pixel_but_at_half_pixel_ties():
    image = photo("coffee.png", gray=True)
    ours, theirs = both(imgkit.rotate, image, angle=-7.5, interp="nearest", border="replicate")
    assert np.mean(ours == theirs) >= 0.9999
    assert imgkit.rotate.operation.tolerance.holds(difference(ours, theirs), theirs.dtype)


@pytest.mark.parametrize("interp", ["nearest", "linear", "cubic"])
@pytest.mark.parametrize("border", ["constant", "reflect101"])
def test_any_angle_is_within_one_level_of_the_float64_oracle(interp, border):
    image = channels_of((13, 18), 3, "uint8", 7)
    ours = imgkit.rotate(image, angle=21.0, interp=interp, border=border)
    oracle = naive.rotate(image, 21.0, interp, BORDERS[border])
    assert ours.shape == oracle.shape
    diff = np.abs(ours.astype(int) - oracle)
    assert diff.max() <= (0 if interp == "nearest" else 1)


def test_a_non_warp_interpolation_is_refused():
    with pytest.raises(ParameterError, match="interp must be one of nearest, linear, cubic"):
        imgkit.rotate(np.zeros((4, 4), np.uint8), angle=10, interp="area")
    with pytest.raises(ParameterError, match="angle must be given"):
        imgkit.rotate(np.zeros((4, 4), np.uint8))


# ---------------------------------------------------------------- invariants

IMAGES = arrays(np.uint8, st.tuples(st.integers(1, 9), st.integers(1, 9), st.sampled_from([1, 3, 4])))


@settings(max_examples=40, deadline=None)
@given(IMAGES)
def test_four_quarter_turns_and_two_flips_are_the_identity(image):
    turned = image
    for _ in range(4):
        turned = imgkit.rotate(turned, angle=90)
    np.testing.assert_array_equal(turned, image)
    for axis in ("x", "y", "both"):
        np.testing.assert_array_equal(imgkit.flip(imgkit.flip(image, axis=axis), axis=axis), image)
    np.testing.assert_array_equal(imgkit.rotate(image, angle=180), imgkit.flip(image, axis="both"))


@settings(max_examples=40, deadline=None)
@given(IMAGES, st.integers(0, 5), st.integers(0, 5), st.integers(0, 5), st.integers(0, 5), st.sampled_from(list(BORDERS)))
def test_crop_of_pad_is_the_original(image, top, bottom, left, right, border):
    padded = imgkit.pad(image, top=top, bottom=bottom, left=left, right=right, border=border)
    assert padded.shape == (image.shape[0] + top + bottom, image.shape[1] + left + right, image.shape[2])
    box = (left, top, image.shape[1], image.shape[0])
    np.testing.assert_array_equal(imgkit.crop(padded, box=box), image)


def test_a_first_turn_compiles_only_its_own_kernel(tmp_path):
    # each interpolation and the quarter turns are kernels of their own, so that a first call on
    # an empty cache compiles the one it runs (issue 16: first compile in seconds)
    import os
    import subprocess
    import sys
    call = ("import numpy as np, imgkit\nfrom imgkit.kernels import geometry as g\n"
            "imgkit.rotate(np.zeros((20, 30, 3), np.uint8), angle=30.0, interp='linear')\n"
            "print(*(len(f.signatures) for f in (g._linear_gray, g._linear_bgr, g._linear_rows, g._cubic_gray, g._cubic_bgr, g._cubic_rows,"
            " g._nearest_rows, g._turn, g._turn_bytes, g._turn_triples)))")
    done = subprocess.run([sys.executable, "-c", call], capture_output=True, text=True, timeout=300, cwd=tmp_path,
                          env={**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba")})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0", "1", "0", "0", "0", "0", "0", "0", "0", "0"]
