"""Issue 18's Fourier work: the reference does the filter's work and no more (its mask built
once per size and parameters, and a real input's CCS-packed half spectrum)."""

import numpy as np
import pytest

from conftest import channels_of, random_image
from naive import fourier as naive

import imgkit
from imgkit.ops.fourier import KINDS, SHAPES, fast_length
from imgkit.reference import fourier as reference


def test_the_reference_builds_its_mask_once_per_size_and_parameters(monkeypatch):
    """Timing the reference must not time the making of its mask (issue 18, item 4)."""
    built = []
    making = reference.centred_gain
    monkeypatch.setattr(reference, "centred_gain", lambda *args: built.append(args) or making(*args))
    reference.packed_gain.cache_clear()
    image = random_image((21, 34, 3), "uint8", seed=7)
    first = imgkit.frequency_filter(image, cutoff=5.5, backend="opencv")
    np.testing.assert_array_equal(imgkit.frequency_filter(image, cutoff=5.5, backend="opencv"), first)
    assert len(built) == 1
    imgkit.frequency_filter(image, cutoff=6.5, backend="opencv")          # other parameters, another mask
    assert len(built) == 2


@pytest.mark.parametrize("size", [(7, 13), (8, 15), (9, 16), (8, 16), (1, 6), (6, 1), (1, 1)])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("shape", SHAPES)
def test_the_reference_packed_mask_is_the_written_out_filter(size, kind, shape):
    """The mask in cv2.dft's CCS packing, on odd and even sides (which pack differently)."""
    image = channels_of(size, 0, "float32", seed=size[0] * size[1])
    rows, columns = fast_length(size[0]), fast_length(size[1])
    params = dict(kind=kind, shape=shape, cutoff=1.7, width=1.3, order=2)
    expected = naive.frequency_filter(image, rows, columns, **params)
    ours = reference.frequency_filter(image, rows, columns, kind, shape, 1.7, 1.3, 2.0)
    np.testing.assert_allclose(ours, expected, rtol=1e-6, atol=1e-3)
