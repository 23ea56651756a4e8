"""Properties the linear smoothing filters keep whatever their parameters: a constant image stays
constant, the output stays within the input's range, the input is left alone and the layout kept."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import imgkit

from conftest import random_image

# Each filter as a function of (image, size 1–20, border): the size becomes σ or the window.
FILTERS = {
    "gaussian": lambda image, size, border: imgkit.gaussian_blur(image, 0.3 + size / 5, border=border),
    "box": lambda image, size, border: imgkit.box_blur(image, size, border=border),
}
images = arrays(np.uint8, st.tuples(st.integers(1, 12), st.integers(1, 12), st.sampled_from([1, 3])))
sizes = st.integers(1, 20)
non_constant_borders = st.sampled_from(["reflect101", "reflect", "replicate", "wrap"])


@pytest.mark.parametrize("name", FILTERS)
@settings(max_examples=60, deadline=None)
@given(value=st.integers(0, 255), shape=st.tuples(st.integers(1, 20), st.integers(1, 20)), size=sizes,
       border=non_constant_borders)
def test_constant_image_stays_constant(name, value, shape, size, border):
    for image in (np.full(shape, value, np.uint8), np.full(shape, value * 257, np.uint16)):
        np.testing.assert_array_equal(FILTERS[name](image, size, border), image)


@pytest.mark.parametrize("name", FILTERS)
@settings(max_examples=60, deadline=None)
@given(image=images, size=sizes, border=non_constant_borders)
def test_output_within_input_range(name, image, size, border):
    result = FILTERS[name](image, size, border)
    assert image.min() <= result.min() and result.max() <= image.max()


@pytest.mark.parametrize("name", FILTERS)
def test_input_not_modified_and_layout_kept(name):
    image = random_image((33, 20, 4), np.uint8, 7)
    before = image.copy()
    result = FILTERS[name](image, 4, "reflect101")
    np.testing.assert_array_equal(image, before)
    assert result.shape == image.shape and result.dtype == image.dtype and result.flags.c_contiguous
    view = image[:, :, 2]                                   # a non-contiguous view
    np.testing.assert_array_equal(FILTERS[name](view, 5, "reflect101"),
                                  FILTERS[name](np.ascontiguousarray(view), 5, "reflect101"))
