"""Issue 18's faster copies: whole-pixel words for flips and turns, 16×16 byte blocks for turns of
one-byte images, strips on every thread. The results stay cv2.flip's and cv2.rotate's."""

import cv2
import numpy as np
import pytest

import imgkit
from conftest import channels_of
from imgkit.kernels import geometry as kernels

ROTATE_CODES = {1: cv2.ROTATE_90_COUNTERCLOCKWISE, 3: cv2.ROTATE_90_CLOCKWISE}


@pytest.mark.parametrize("shape", [(8, 8), (9, 17), (37, 53), (64, 80), (1, 23), (23, 1), (7, 7), (16, 16),
                                   (15, 33), (529, 47)])
@pytest.mark.parametrize("turns", [1, 3])
def test_byte_turns_by_blocks_are_cv2_rotate(shape, turns):
    # gray uint8 goes through the 16×16 vector transpose (in tiles of 256 source rows: 529 rows
    # cross two); the partial blocks at the right and bottom edges through its scalar tail
    image = channels_of(shape, 0, "uint8", 7)
    np.testing.assert_array_equal(imgkit.rotate(image, angle=90.0 * turns), cv2.rotate(image, ROTATE_CODES[turns]))


@pytest.mark.parametrize("split", [0, 3, 8, 13])
@pytest.mark.parametrize("clockwise", [False, True])
def test_byte_turns_are_exact_in_strips_that_do_not_start_on_a_block(split, clockwise):
    image = channels_of((45, 29), 0, "uint8", 8)
    out = np.zeros((29, 45), np.uint8)
    kernels._turn_bytes(image, out, clockwise, 0, split)
    kernels._turn_bytes(image, out, clockwise, split, 29)
    np.testing.assert_array_equal(out, cv2.rotate(image, ROTATE_CODES[3 if clockwise else 1]))


@pytest.mark.parametrize("dtype, channels", [("uint8", 2), ("uint8", 4), ("uint16", 2), ("uint16", 4),
                                             ("float32", 2), ("float32", 4)])
@pytest.mark.parametrize("axis, code", [("y", 1), ("both", -1)])
def test_flips_by_whole_pixel_words_are_cv2_flip(dtype, channels, axis, code):
    # pixels of 2, 4, 8 and 16 bytes: one or two words a pixel
    image = channels_of((11, 13), channels, dtype, 9)
    np.testing.assert_array_equal(imgkit.flip(image, axis=axis), cv2.flip(image, code))


@pytest.mark.parametrize("dtype, channels", [("uint8", 2), ("uint16", 3), ("float32", 4)])
@pytest.mark.parametrize("turns", [1, 3])
def test_turns_by_whole_pixel_words_are_cv2_rotate(dtype, channels, turns):
    image = channels_of((70, 67), channels, dtype, 10)
    np.testing.assert_array_equal(imgkit.rotate(image, angle=90.0 * turns), cv2.rotate(image, ROTATE_CODES[turns]))


def test_copies_in_strips_on_two_threads_are_exact():
    import numba
    before = numba.get_num_threads()
    numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
    try:
        image = channels_of((700, 1601), 3, "uint8", 11)        # > 2^20 values: several strips
        gray = image[:, :, 1].copy()
        np.testing.assert_array_equal(imgkit.flip(image, axis="y"), cv2.flip(image, 1))
        np.testing.assert_array_equal(imgkit.flip(image, axis="x"), cv2.flip(image, 0))
        np.testing.assert_array_equal(imgkit.rotate(image, angle=90.0), cv2.rotate(image, cv2.ROTATE_90_COUNTERCLOCKWISE))
        np.testing.assert_array_equal(imgkit.rotate(gray, angle=270.0), cv2.rotate(gray, cv2.ROTATE_90_CLOCKWISE))
        np.testing.assert_array_equal(imgkit.pad(image, top=5, bottom=6, left=7, right=8, border="reflect101"),
                                      cv2.copyMakeBorder(image, 5, 6, 7, 8, cv2.BORDER_REFLECT101))
        np.testing.assert_array_equal(imgkit.crop(image, box=(3, 4, 1500, 690)), image[4:694, 3:1503])
    finally:
        numba.set_num_threads(before)


@pytest.mark.parametrize("interp", ["linear", "cubic"])
@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("border", [0, 1, 2, 3, 4])
@pytest.mark.parametrize("angle", [30.0, -47.3, 181.0, 0.5])
def test_warps_of_bytes_are_the_general_kernels_result(interp, channels, border, angle):
    # the uint8 kernels load a tap row's pixels as words and skip taps wholly outside a constant
    # border; their result is the general kernel's to the bit, at the image's edges and last
    # pixels too (where a word would end past the image)
    from imgkit.ops.geometry import invert_affine, rotation
    image = channels_of((23, 31), channels, "uint8", 12)
    matrix, width, height = rotation(image.shape, angle)
    inverse = np.asarray(invert_affine(matrix), np.float64)
    fast = np.zeros((height, width * channels), np.uint8)
    general = np.ones((height, width * channels), np.uint8)
    linear_bytes = kernels._linear_gray if channels == 1 else kernels._linear_bgr
    cubic_bytes = kernels._cubic_gray if channels == 1 else kernels._cubic_bgr
    byte_kernel, general_kernel = {"linear": (linear_bytes, kernels._linear_rows),
                                   "cubic": (cubic_bytes, kernels._cubic_rows)}[interp]
    byte_kernel(image, fast, inverse, np.int64(border), 0, height)
    general_kernel(image, general, inverse, np.int64(border), 255.0, 0, height)
    np.testing.assert_array_equal(fast, general)


@pytest.mark.parametrize("interp", ["linear", "cubic"])
@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("inverse", [(0.9, 0.4, -60.0, -0.3, 1.1, -25.0), (1.0, 0.0, 2.5, 0.0, 1.0, 38.7),
                                     (0.5, -0.87, 140.0, 0.87, 0.5, -150.0)])
def test_block_rows_mapped_wholly_outside_are_the_constant(interp, channels, inverse):
    # output rows wider than a block (128): some blocks' rows map past one side of the image and
    # are filled with 0 at once; the rest of the row is unchanged, next to them
    image = channels_of((40, 300), channels, "uint8", 13)
    height, width = 90, 420
    matrix = np.asarray(inverse, np.float64)
    fast = np.full((height, width * channels), 7, np.uint8)
    general = np.ones((height, width * channels), np.uint8)
    linear_bytes = kernels._linear_gray if channels == 1 else kernels._linear_bgr
    cubic_bytes = kernels._cubic_gray if channels == 1 else kernels._cubic_bgr
    byte_kernel, general_kernel = {"linear": (linear_bytes, kernels._linear_rows),
                                   "cubic": (cubic_bytes, kernels._cubic_rows)}[interp]
    byte_kernel(image, fast, matrix, np.int64(0), 0, height)
    general_kernel(image, general, matrix, np.int64(0), 255.0, 0, height)
    np.testing.assert_array_equal(fast, general)
    assert (general == 0).any() and (general != 0).any()


@pytest.mark.parametrize("shape", [(1, 1), (1, 23), (23, 1), (9, 17), (70, 67)])
@pytest.mark.parametrize("split", [0, 5])
@pytest.mark.parametrize("clockwise", [False, True])
def test_bgr_turns_by_four_byte_moves_are_cv2_rotate(shape, split, clockwise):
    # each pixel moved as 4 bytes, the 4th landing on the next pixel of the row: the last pixel
    # of each row and the image's last byte go byte by byte, in strips that split the rows too
    image = channels_of(shape, 3, "uint8", 14)
    out = np.zeros((shape[1], shape[0], 3), np.uint8)
    src, dst = image.reshape(shape[0], -1), out.reshape(shape[1], -1)
    split = min(split, shape[1])
    kernels._turn_triples(src, dst, clockwise, split, shape[1])
    kernels._turn_triples(src, dst, clockwise, 0, split)
    np.testing.assert_array_equal(out, cv2.rotate(image, ROTATE_CODES[3 if clockwise else 1]))


def test_a_crop_is_copied_on_the_calling_thread(monkeypatch):
    # a 1280x720 BGR crop went through run_in_strips (two strips): the hand-off to a helper made
    # it 1.1-1.5x the time of NumPy's copy of the slice (issue 18's bench)
    def no_strips(*args, **kwargs):
        raise AssertionError("handed to run_in_strips")
    monkeypatch.setattr(kernels, "run_in_strips", no_strips)
    image = channels_of((2160, 1400), 3, "uint8", 15)
    np.testing.assert_array_equal(imgkit.crop(image, box=(16, 8, 1280, 720)), image[8:728, 16:1296])
