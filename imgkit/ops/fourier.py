"""Fourier transforms of images: ``fft2``, ``ifft2``, spectrum and phase pictures, and
frequency-domain filters.

The reference is ``cv2.dft`` / ``cv2.idft`` (REFERENCE_NOTES §7) with numpy for the shift, the
logarithm and the masks; the filters are Gonzalez & Woods' ideal, Gaussian and Butterworth
low-pass, high-pass, band-pass and band-reject ("notch") filters.

R. C. Gonzalez and R. E. Woods, *Digital Image Processing*, 4th ed., Pearson, 2018, §4.7–4.10.

Conventions shared by both backends:

- spectra are those of the image as it is, at its own size (no padding: padding would change
  them), uncentred for ``fft2`` (``numpy.fft.fft2``'s layout) and centred for the pictures
  (zero frequency at row H // 2, column W // 2, as ``numpy.fft.fftshift`` puts it);
- each channel is transformed on its own; transforms run in float64;
- ``frequency_filter`` pads each side to the next 2^a·3^b·5^c length (``cv2.getOptimalDFTSize``)
  by reflect-101 (``cv2.BORDER_DEFAULT``: zeros would darken the edges under a low-pass),
  filters, and crops back; its distances are in the image's own frequency units (cycles per
  image height and width), so padding does not move the cutoff.
"""

import numpy as np

from ._checks import ParameterError, as_planes, check_backend, check_choice, check_image, check_number, like_input

KINDS = ("low", "high", "band", "notch")
SHAPES = ("ideal", "gaussian", "butterworth")
SPECTRUM_DTYPES = (np.complex64, np.complex128)
INVERSE_DTYPES = ("float32", "uint8", "uint16")


def fft2(image, *, backend="numba"):
    """The 2-D discrete Fourier transform of each channel, as ``numpy.fft.fft2``.

    Parameters
    ----------
    image : ndarray, uint8, uint16 or float32, H×W or H×W×C

    Returns
    -------
    complex64 ndarray of the image's shape, uncentred: F[0, 0] is the sum of the pixels.
    ``ifft2`` turns it back into the image.
    """
    check_image(image)
    check_backend(backend)
    if backend == "opencv":
        from ..reference import fourier as reference
        return reference.fft2(image)
    from ..kernels import fourier as kernels
    return like_input(kernels.full_spectrum(as_planes(image)), image)


def ifft2(spectrum, *, dtype="float32", backend="numba"):
    """The real part of the inverse transform of each channel, as ``numpy.fft.ifft2(F).real``.

    Parameters
    ----------
    spectrum : complex64 or complex128 ndarray, H×W or H×W×C, uncentred (as ``fft2`` gives)
    dtype : {'float32', 'uint8', 'uint16'}
        The result's type: integers are rounded to nearest (half to even) and saturated, so
        ``ifft2(fft2(image), dtype=image.dtype)`` is ``image`` exactly.
    """
    dtype = check_ifft2(dtype)
    check_spectrum(spectrum)
    check_backend(backend)
    if backend == "opencv":
        from ..reference import fourier as reference
        return reference.ifft2(spectrum, dtype)
    from ..kernels import fourier as kernels
    return like_input(kernels.inverse(as_planes(spectrum), dtype), spectrum)


def spectrum(image, *, log=True, backend="numba"):
    """The centred magnitude spectrum of each channel, float32: ``log(1 + |F|)`` (``log=True``)
    or ``|F|``, zero frequency at (H // 2, W // 2)."""
    check_image(image)
    check_backend(backend)
    log = bool(log)
    if backend == "opencv":
        from ..reference import fourier as reference
        return reference.spectrum(image, log)
    from ..kernels import fourier as kernels
    what = kernels.LOG_MAGNITUDE if log else kernels.MAGNITUDE
    return like_input(kernels.centred_spectrum(as_planes(image), what), image)


def phase(image, *, backend="numba"):
    """The centred phase spectrum of each channel, float32 radians in (−π, π], as
    ``numpy.angle(numpy.fft.fftshift(numpy.fft.fft2(image)))``.

    Where |F| is at the level of rounding noise the angle is noise too; both backends agree
    elsewhere.
    """
    check_image(image)
    check_backend(backend)
    if backend == "opencv":
        from ..reference import fourier as reference
        return reference.phase(image)
    from ..kernels import fourier as kernels
    return like_input(kernels.centred_spectrum(as_planes(image), kernels.PHASE), image)


def frequency_filter(image, *, kind="low", shape="gaussian", cutoff=30.0, width=10.0, order=2,
                     backend="numba"):
    """Filter each channel by multiplying its spectrum with a radial gain.

    Parameters
    ----------
    image : ndarray, uint8, uint16 or float32, H×W or H×W×C
    kind : {'low', 'high', 'band', 'notch'}
        What passes: frequencies below ``cutoff``, above it, in the ring of radius ``cutoff``
        and width ``width``, or everything but that ring (a band-reject filter: it removes
        periodic noise whose frequencies lie on one radius).
    shape : {'ideal', 'gaussian', 'butterworth'}
        The edge of the band: sharp (it rings), Gaussian, or Butterworth of ``order``.
    cutoff : float > 0
        Radius in the centred spectrum, in frequency samples of the image (cycles per image).
    width : float > 0
        The ring's width (band, notch).
    order : float > 0
        Butterworth's order n: the gain falls as (D/D0)^−2n.

    Returns
    -------
    The image's shape and dtype: integers rounded half to even and saturated (a high-pass of
    an unsigned image loses its negative values: pass float32 to keep them).

    Notes
    -----
    1. Pad to fast lengths (reflect-101); 2. forward transform; 3. multiply by the gain
    (Gonzalez & Woods §4.8–4.10; high and band = 1 − low and 1 − notch); 4. inverse; 5. crop.
    """
    check_frequency_filter(kind=kind, shape=shape, cutoff=cutoff, width=width, order=order)
    check_image(image)
    check_backend(backend)
    kind_code, shape_code = KINDS.index(kind), SHAPES.index(shape)   # the kernels' LOW…NOTCH, IDEAL…BUTTERWORTH
    rows, columns = fast_length(image.shape[0]), fast_length(image.shape[1])
    cutoff, width, order = float(cutoff), float(width), float(order)
    if backend == "opencv":
        from ..reference import fourier as reference
        return reference.frequency_filter(image, rows, columns, kind, shape, cutoff, width, order)
    from ..kernels import fourier as kernels
    return like_input(kernels.frequency_filter(as_planes(image), rows, columns, kind_code, shape_code,
                                               cutoff, width, order), image)


def check_frequency_filter(*, kind="low", shape="gaussian", cutoff=30.0, width=10.0, order=2):
    """The rules of ``frequency_filter``'s parameters: a known kind and shape; cutoff, width and
    order finite numbers > 0."""
    check_choice("kind", kind, KINDS)
    check_choice("shape", shape, SHAPES)
    for name, value in (("cutoff", cutoff), ("width", width), ("order", order)):
        check_number(name, value, 0, above=True)


def check_spectrum(spectrum):
    """A complex H×W or H×W×C array (1 to 4 channels), with a message that names what it got."""
    if not isinstance(spectrum, np.ndarray):
        raise TypeError(f"spectrum must be a numpy array, got {type(spectrum).__name__}")
    if spectrum.dtype.type not in SPECTRUM_DTYPES:
        hint = (" (two real channels, as cv2.dft writes them? make it re + 1j·im)"
                if spectrum.ndim == 3 and spectrum.shape[2] == 2 and spectrum.dtype.kind == "f" else "")
        raise TypeError(f"spectrum must be complex64 or complex128 (as fft2 / fft forward give), "
                        f"got {spectrum.dtype} {spectrum.shape}{hint}")
    check_image(spectrum, "spectrum", SPECTRUM_DTYPES)
    return spectrum


def check_ifft2(dtype="float32"):
    """The rule of ``ifft2``'s ``dtype``: float32, uint8 or uint16 (a name or a numpy dtype);
    returns its name."""
    try:
        name = np.dtype(dtype).name
    except TypeError:
        name = None
    if name not in INVERSE_DTYPES:
        raise ParameterError("dtype", f"must be one of {', '.join(INVERSE_DTYPES)}, got {dtype!r}")
    return name


def fast_length(n):
    """The smallest 2^a·3^b·5^c ≥ n, as ``cv2.getOptimalDFTSize`` (1031 → 1080)."""
    best = 1 << max(0, (n - 1).bit_length())   # a power of 2 always fits
    threes = 1
    while threes < best:
        length = threes
        while length < best:
            candidate = length
            while candidate < n:
                candidate *= 2
            best = min(best, candidate)
            length *= 5
        threes *= 3
    return best


def spectra(sizes):
    """Bench and warm-up inputs of ``ifft2``: the spectra of the bench image (gray and BGR)."""
    from ..bench import SIZES, bench_image
    if tuple(sizes) == ("sample",):
        from ..warmup import sample
        return [("sample", "BGR", (np.fft.fft2(sample("uint8"), axes=(0, 1)).astype(np.complex64),))]
    return [(size, "gray" if channels == 1 else "BGR",
             (np.fft.fft2(bench_image(SIZES[size], channels), axes=(0, 1)).astype(np.complex64),))
            for size in sizes for channels in (1, 3)]
