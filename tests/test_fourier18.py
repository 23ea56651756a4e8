"""Issue 18's Fourier work: the reference does the filter's work and no more (its mask built
once per size and parameters, as imgkit's gain is, and a real input's CCS-packed half
spectrum), and the kernels' blocked row and column passes agree with numpy on sizes that
split into several strips and blocks."""

import numba
import numpy as np
import pytest

from conftest import channels_of, random_image
from naive import fourier as naive

import imgkit
from imgkit.kernels import fourier as kernels
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


def test_imgkit_keeps_its_gain_by_the_same_key():
    kernels.half_gain.cache_clear()
    image = random_image((21, 34), "float32", seed=8)
    imgkit.frequency_filter(image, kind="band", shape="butterworth", cutoff=5.5)
    imgkit.frequency_filter(image, kind="band", shape="butterworth", cutoff=5.5)
    info = kernels.half_gain.cache_info()
    assert (info.misses, info.hits) == (1, 1)
    assert kernels.GAINS_KEPT == reference.GAINS_KEPT
    with pytest.raises(ValueError):                                       # shared: nobody may change it
        kernels.half_gain(24, 36, 21 / 24, 34 / 36, 2, 2, 5.5, 10.0, 2.0)[0, 0] = 0


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


def _numpy_filter(image, kind, shape, cutoff, width, order):
    """Pad (reflect-101), numpy's fft2, the reference's centred gain, inverse, crop."""
    planes = image[:, :, None] if image.ndim == 2 else image
    height, image_width = planes.shape[:2]
    rows, columns = fast_length(height), fast_length(image_width)
    padded = np.pad(planes.astype(np.float64), ((0, rows - height), (0, columns - image_width), (0, 0)),
                    mode="reflect")
    gain = np.fft.ifftshift(reference.centred_gain(rows, columns, height / rows, image_width / columns,
                                                   kind, shape, cutoff, width, order))
    filtered = np.fft.ifft2(np.fft.fft2(padded, axes=(0, 1)) * gain[:, :, None], axes=(0, 1)).real
    return filtered[:height, :image_width].reshape(image.shape)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("shape", [(301, 517), (1031, 77, 3), (64, 2049, 4)])
def test_blocked_passes_agree_with_numpy_across_strips_and_blocks(shape, threads):
    """Heights and stored widths that are no multiple of the row and column blocks (the
    spectra are written from each block of columns, mirrors included), several
    strips on two threads, padded sides (1031 → 1080, 517 → 540, 2049 → 2160)."""
    image = random_image(shape, "float32", seed=shape[0])
    previous = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        spectrum = imgkit.fft2(image)
        exact = np.fft.fft2(image.astype(np.float64), axes=(0, 1))
        assert np.abs(spectrum - exact).max() / np.abs(exact).max() < 1e-6
        np.testing.assert_allclose(imgkit.ifft2(exact), image, rtol=1e-6, atol=1e-4)
        np.testing.assert_allclose(imgkit.spectrum(image), np.fft.fftshift(np.log1p(np.abs(exact)), axes=(0, 1)),
                                   rtol=1e-6)
        centred = np.fft.fftshift(exact, axes=(0, 1))
        meaningful = np.abs(centred) > 1e-6 * np.abs(exact).max()
        around_the_circle = np.angle(np.exp(1j * (imgkit.phase(image) - np.angle(centred))))
        assert np.abs(around_the_circle[meaningful]).max() < 1e-5
        for kind, form in [("low", "gaussian"), ("notch", "butterworth"), ("high", "ideal")]:
            np.testing.assert_allclose(imgkit.frequency_filter(image, kind=kind, shape=form, cutoff=20.5),
                                       _numpy_filter(image, kind, form, 20.5, 10.0, 2.0), rtol=1e-6, atol=1e-4)
    finally:
        numba.set_num_threads(previous)
