"""Fourier transforms: against the written-out DFT (tests/naive/fourier.py) and cv2.dft, round
trips, Parseval, where a sinusoid's peaks fall, what the filters keep and remove, and the
``fft`` commands."""

import cv2
import numpy as np
import pytest

from conftest import EDGE_SHAPES, PHOTOS, at_4k, channels_of, compare_rows, photo, random_image, run_cli
from naive import fourier as naive

import imgkit
from imgkit.compare import difference
from imgkit.ops.fourier import KINDS, SHAPES, fast_length

# Small images: the naive DFT costs (H·W)² per channel. Odd and even sides, 1×N and N×1.
SMALL = [shape for shape in EDGE_SHAPES if shape[0] * shape[1] <= 64] + [(9, 7)]


def relative(ours, expected):
    return float(np.abs(ours.astype(np.complex128) - expected).max() / max(1.0, np.abs(expected).max()))


# ---------------------------------------------------------------- against the naive DFT

@pytest.mark.parametrize("shape", SMALL)
@pytest.mark.parametrize("channels", [0, 3])
def test_fft2_spectrum_and_phase_are_the_written_out_dft(shape, channels):
    image = channels_of(shape, channels, "uint8", seed=sum(shape))
    exact = naive.dft2(image.astype(np.float64))
    assert imgkit.fft2(image).dtype == np.complex64
    assert relative(imgkit.fft2(image), exact) < 1e-6
    centred = naive.centred(exact)
    np.testing.assert_allclose(imgkit.spectrum(image), np.log1p(np.abs(centred)), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(imgkit.spectrum(image, log=False), np.abs(centred), rtol=1e-6, atol=1e-4)
    # the angle of bins whose magnitude is rounding noise is noise: compare the others
    meaningful = np.abs(centred) > 1e-6
    phase = imgkit.phase(image)
    assert np.all((phase > -np.pi) & (phase <= np.float32(np.pi)))
    around_the_circle = np.angle(np.exp(1j * (phase - np.angle(centred))))   # π and −π are one angle
    assert np.abs(around_the_circle[meaningful]).max() < 1e-5


@pytest.mark.parametrize("dtype", ["uint8", "uint16", "float32"])
def test_ifft2_of_any_spectrum_is_the_real_part_of_the_written_out_inverse(dtype):
    rng = np.random.default_rng(1)
    spectrum = (rng.normal(size=(5, 6, 2)) + 1j * rng.normal(size=(5, 6, 2))).astype(np.complex64) * 300
    spectrum[0, 0] += 40000                   # mostly within uint8 after scaling, some values saturate
    exact = naive.dft2(spectrum.astype(np.complex128), inverse=True).real
    ours = imgkit.ifft2(spectrum, dtype=dtype)
    assert ours.dtype == np.dtype(dtype) and ours.shape == spectrum.shape
    if dtype == "float32":
        np.testing.assert_allclose(ours, exact, rtol=1e-6, atol=1e-4)   # not Hermitian: the real part
    else:
        np.testing.assert_array_equal(ours, np.clip(np.rint(exact), 0, np.iinfo(dtype).max))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("shape", SHAPES)
def test_filters_are_the_written_out_pad_dft_gain_inverse(kind, shape):
    image = channels_of((7, 13), 3, "uint8", seed=5)       # padded to 8 × 15
    rows, columns = fast_length(7), fast_length(13)
    assert (rows, columns) == (8, 15)
    params = dict(kind=kind, shape=shape, cutoff=2.7, width=1.9, order=2)
    expected = naive.frequency_filter(image, rows, columns, **{k: params[k] for k in params})
    np.testing.assert_array_equal(imgkit.frequency_filter(image, **params), expected)
    as_float = image.astype(np.float32)
    np.testing.assert_allclose(imgkit.frequency_filter(as_float, **params),
                               naive.frequency_filter(as_float, rows, columns, **params), rtol=1e-5, atol=1e-3)


@pytest.mark.parametrize("shape", SMALL)
def test_filters_handle_edge_sizes(shape):
    image = channels_of(shape, 3, "uint8", seed=2)
    rows, columns = fast_length(shape[0]), fast_length(shape[1])
    for kind, form in [("low", "gaussian"), ("notch", "ideal"), ("high", "butterworth")]:
        expected = naive.frequency_filter(image, rows, columns, kind, form, 1.3, 0.9, 2)
        np.testing.assert_array_equal(imgkit.frequency_filter(image, kind=kind, shape=form, cutoff=1.3, width=0.9),
                                      expected)


def test_fast_length_is_getoptimaldftsize():
    for n in range(1, 3000):
        assert fast_length(n) == cv2.getOptimalDFTSize(n), n


# ---------------------------------------------------------------- against OpenCV, acceptance

def test_photo_spectra_phases_and_filters_match_opencv(photo_name):
    image = photo(photo_name)
    for function, params in [(imgkit.spectrum, {}), (imgkit.spectrum, {"log": False}), (imgkit.phase, {}),
                             (imgkit.fft2, {}), (imgkit.frequency_filter, {"kind": "notch", "shape": "butterworth"}),
                             (imgkit.frequency_filter, {"kind": "high", "shape": "ideal", "cutoff": 12.5})]:
        ours, theirs = function(image, **params), function(image, **params, backend="opencv")
        assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
        metrics = difference(ours, theirs)
        within = metrics["max_abs"] <= 1 if ours.dtype == np.uint8 else metrics["relative"] <= 1e-4
        assert within, (function, params, metrics)


def test_4k_gray_spectrum_lowpass_and_round_trip_meet_the_acceptance():
    image = at_4k(photo("retina.jpg", gray=True))
    assert difference(imgkit.spectrum(image), imgkit.spectrum(image, backend="opencv"))["relative"] <= 1e-4
    lowpass = imgkit.frequency_filter(image)
    assert difference(lowpass, imgkit.frequency_filter(image, backend="opencv"))["max_abs"] <= 1
    np.testing.assert_array_equal(imgkit.ifft2(imgkit.fft2(image), dtype="uint8"), image)


@pytest.mark.parametrize("dtype", ["uint8", "uint16"])
def test_forward_then_inverse_restores_integer_images_exactly(photo_name, dtype):
    image = photo(photo_name).astype(dtype) * (257 if dtype == "uint16" else 1)
    np.testing.assert_array_equal(imgkit.ifft2(imgkit.fft2(image), dtype=dtype), image)
    np.testing.assert_array_equal(imgkit.ifft2(imgkit.fft2(image, backend="opencv"), dtype=dtype, backend="opencv"),
                                  image)


# ---------------------------------------------------------------- properties

@pytest.mark.parametrize("shape", [(1, 1), (1, 7), (8, 1), (31, 64), (33, 20)])
def test_parseval_energy_is_kept(shape):
    image = random_image(shape + (2,), "float32", seed=3)
    spectrum = imgkit.fft2(image).astype(np.complex128)
    energy = (image.astype(np.float64) ** 2).sum(axis=(0, 1))
    np.testing.assert_allclose((np.abs(spectrum) ** 2).sum(axis=(0, 1)) / (shape[0] * shape[1]), energy, rtol=1e-6)
    np.testing.assert_allclose(imgkit.ifft2(spectrum.astype(np.complex64)), image, atol=1e-3)


@pytest.mark.parametrize("height, width, fy, fx", [(64, 96, 5, 12), (45, 50, 7, -3)])
def test_a_pure_sinusoid_shows_two_peaks_at_its_frequency(height, width, fy, fx):
    y, x = np.mgrid[:height, :width]
    image = (100 * np.cos(2 * np.pi * (fy * y / height + fx * x / width)) + 128).astype(np.float32)
    magnitude = imgkit.spectrum(image, log=False)
    centre = (height // 2, width // 2)
    peaks = {(centre[0] + fy, centre[1] + fx), (centre[0] - fy, centre[1] - fx)}
    top = np.argsort(magnitude, axis=None)[::-1][:3]
    found = {tuple(int(i) for i in np.unravel_index(index, magnitude.shape)) for index in top}
    assert found == peaks | {centre}                            # the two peaks and the mean
    for peak in peaks:
        assert magnitude[peak] == pytest.approx(100 * height * width / 2, rel=1e-5)
    magnitude[tuple(np.array(list(peaks | {centre})).T)] = 0
    assert magnitude.max() < 1e-3 * height * width               # nothing anywhere else


def test_low_pass_removes_a_known_high_frequency_pattern_and_high_pass_keeps_only_it():
    y, x = np.mgrid[:120, :160]
    smooth = 100 + 50 * np.sin(2 * np.pi * x / 160) * np.cos(2 * np.pi * 2 * y / 120)   # periodic: 1–2 cycles
    stripes = 40 * np.cos(2 * np.pi * 48 * x / 160)                                      # 48 cycles per width
    image = (smooth + stripes).astype(np.float32)
    lowpass = imgkit.frequency_filter(image, kind="low", shape="butterworth", cutoff=20, order=4)
    assert np.abs(lowpass - smooth).max() < 0.5
    highpass = imgkit.frequency_filter(image, kind="high", shape="butterworth", cutoff=20, order=4)
    assert np.abs(highpass - stripes).max() < 0.5
    ring = imgkit.frequency_filter(image, kind="band", shape="ideal", cutoff=48, width=4)
    np.testing.assert_allclose(ring, stripes, atol=1e-3)
    notched = imgkit.frequency_filter(image, kind="notch", shape="ideal", cutoff=48, width=4)
    np.testing.assert_allclose(notched, smooth, atol=1e-3)


def test_ideal_low_pass_rings_at_an_edge_and_gaussian_does_not():
    image = np.zeros((64, 64), np.float32)
    image[:, 16:48] = 200.0
    ideal = imgkit.frequency_filter(image, kind="low", shape="ideal", cutoff=10)
    gaussian = imgkit.frequency_filter(image, kind="low", shape="gaussian", cutoff=10)
    assert ideal.max() > 210 and ideal.min() < -10          # Gibbs overshoot ≈ 9 % on both sides
    # a Gaussian kernel is positive: no overshoot but for its tail cut at the Nyquist frequency
    assert gaussian.max() < 200.5 and gaussian.min() > -0.5


def test_padding_does_not_move_the_cutoff():
    """A 61-pixel side is padded to 64: the distances are rescaled to the image's own cycles, so
    a sinusoid at 6 cycles per image keeps the gain exp(−6²/2·8²) of a Gaussian low-pass."""
    x = np.arange(61)
    image = np.tile(100 * np.cos(2 * np.pi * 6 * x / 61), (48, 1)).astype(np.float32)
    filtered = imgkit.frequency_filter(image, kind="low", shape="gaussian", cutoff=8)
    gain = np.exp(-36 / 128)
    assert np.abs(filtered[:, 20:40] - gain * image[:, 20:40]).max() < 0.05 * 100   # away from the seam


# ---------------------------------------------------------------- validation

@pytest.mark.parametrize("spectrum, error, words", [
    (np.zeros((4, 4), np.uint8), TypeError, "complex64 or complex128"),
    (np.zeros((4, 4, 2), np.float32), TypeError, "two real channels"),
    (np.zeros(5, np.complex64), ValueError, "H×W"),
    (np.zeros((2, 2, 5), np.complex64), ValueError, "channels"),
    ([[1j]], TypeError, "numpy array"),
])
def test_ifft2_refuses_what_is_not_a_complex_image_spectrum(spectrum, error, words):
    with pytest.raises(error, match=words):
        imgkit.ifft2(spectrum)


@pytest.mark.parametrize("params, words", [
    ({"kind": "bandpass"}, "kind must be one of low, high, band, notch"),
    ({"shape": "box"}, "shape must be one of ideal, gaussian, butterworth"),
    ({"cutoff": 0}, "cutoff must be"), ({"width": -1}, "width must be"), ({"order": "two"}, "order must be"),
])
def test_filter_options_are_checked_by_name(params, words):
    with pytest.raises((ValueError, TypeError), match=words):
        imgkit.frequency_filter(np.zeros((4, 4), np.uint8), **params)


# ---------------------------------------------------------------- the fft commands

def test_forward_writes_npy_and_inverse_restores_the_image(tmp_path, capsys):
    source = tmp_path / "chelsea.png"
    source.write_bytes((PHOTOS / "chelsea.png").read_bytes())
    assert run_cli("fft", "forward", source, "-q", capsys=capsys)[0] == 0
    spectrum = np.load(tmp_path / "chelsea_forward.npy")
    image = cv2.imread(str(source), cv2.IMREAD_UNCHANGED)
    assert spectrum.dtype == np.complex64 and spectrum.shape == image.shape
    # from a directory, inverse takes the .npy files (not chelsea.png)
    assert run_cli("fft", "inverse", tmp_path, "-o", tmp_path / "back", "-q", capsys=capsys)[0] == 0
    assert [p.name for p in (tmp_path / "back").iterdir()] == ["chelsea_forward.png"]
    np.testing.assert_array_equal(cv2.imread(str(tmp_path / "back" / "chelsea_forward.png"), cv2.IMREAD_UNCHANGED),
                                  image)
    # and so does compare: one row, for the spectrum
    code, out, _ = run_cli("compare", "fft", "inverse", tmp_path, "--repeat", "1", "--json", capsys=capsys)
    (row,) = compare_rows(out)
    assert code == 0 and row["input"].endswith("chelsea_forward.npy") and row["max_abs"] == 0


def test_inverse_names_each_bad_npy_and_goes_on(tmp_path, capsys):
    good = tmp_path / "good.npy"
    np.save(good, np.fft.fft2(np.full((4, 6), 7.0)).astype(np.complex64))
    np.save(tmp_path / "real.npy", np.zeros((4, 6), np.float32))
    np.save(tmp_path / "line.npy", np.zeros(6, np.complex64))
    code, _, err = run_cli("fft", "inverse", good, tmp_path / "real.npy", tmp_path / "line.npy",
                           "-o", tmp_path / "out", "-q", capsys=capsys)
    assert code == 1
    # two workers: the errors come in the order the inputs finish
    line, real = sorted(err.strip().splitlines(), key=lambda message: "real.npy" in message)
    assert "line.npy: NPY array of shape (6,) is not an image" in line      # refused as it is read
    assert "real.npy: spectrum must be complex64 or complex128" in real and "float32" in real
    np.testing.assert_array_equal(cv2.imread(str(tmp_path / "out" / "good.png"), cv2.IMREAD_UNCHANGED),
                                  np.full((4, 6), 7, np.uint8))


def test_spectrum_and_filter_commands_write_pictures_and_compare_holds(tmp_path, capsys):
    source = PHOTOS / "camera.png"
    assert run_cli("fft", "spectrum", source, "-o", tmp_path / "spectrum.png", "-q", capsys=capsys)[0] == 0
    picture = cv2.imread(str(tmp_path / "spectrum.png"), cv2.IMREAD_UNCHANGED)
    assert picture.dtype == np.uint8 and picture.min() == 0 and picture.max() == 255
    assert picture[256, 256] == 255                           # the zero frequency, in the middle
    assert run_cli("fft", "filter", source, "--pass", "notch", "--shape", "butterworth",
                   "-o", tmp_path / "notch.png", "-q", capsys=capsys)[0] == 0
    np.testing.assert_array_equal(cv2.imread(str(tmp_path / "notch.png"), cv2.IMREAD_UNCHANGED),
                                  imgkit.frequency_filter(photo("camera.png", gray=True), kind="notch",
                                                          shape="butterworth"))
    assert run_cli("compare", "fft", "spectrum", source, "--repeat", "1", "--json", capsys=capsys)[0] == 0
    assert run_cli("fft", "filter", source, "--pass", "wide", "-o", tmp_path / "x.png", capsys=capsys)[0] == 2
