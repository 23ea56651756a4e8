"""The checked public functions bind their arguments as Python would: the shortcut for
``f(image, name=value…)`` and ``inspect``'s bind for every other call give the same results and
the same TypeErrors, and checks still apply on the shortcut."""

import numpy as np
import pytest

import imgkit
from imgkit.rules import ParameterError

GRAY = np.arange(64, dtype=np.uint8).reshape(8, 8)


@pytest.mark.parametrize("call, message", [
    (lambda: imgkit.crop(GRAY, image=GRAY, box=(0, 0, 2, 2)), "multiple values for argument 'image'"),
    (lambda: imgkit.crop(GRAY, boxx=(0, 0, 2, 2)), "unexpected keyword argument 'boxx'"),
    (lambda: imgkit.crop(GRAY, (0, 0, 2, 2)), "too many positional arguments"),
    (lambda: imgkit.crop(box=(0, 0, 2, 2)), "missing a required argument: 'image'"),
])
def test_a_wrong_call_raises_type_error(call, message):
    with pytest.raises(TypeError, match=message):
        call()


def test_every_way_of_passing_arguments_gives_the_same_result():
    expected = GRAY[1:3, 2:6]
    for result in (imgkit.crop(GRAY, box=(2, 1, 4, 2)), imgkit.crop(image=GRAY, box=(2, 1, 4, 2))):
        np.testing.assert_array_equal(result, expected)
    np.testing.assert_array_equal(imgkit.convert(GRAY, "bgr"), imgkit.convert(GRAY, to="bgr"))


def test_the_shortcut_still_checks_options_image_and_backend():
    with pytest.raises(ParameterError):
        imgkit.pad(GRAY, top=-1)
    with pytest.raises(TypeError, match="dtype"):
        imgkit.crop(GRAY.astype(np.int8), box=(0, 0, 2, 2))
    with pytest.raises(ValueError):
        imgkit.crop(GRAY, box=(0, 0, 2, 2), backend="cuda")
    assert imgkit.crop(GRAY.astype(np.float64), box=(0, 0, 2, 2)).dtype == np.float32
