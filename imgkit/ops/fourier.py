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

from ..registry import Param, Step, Tolerance, command, group, operation
from ..rules import ParameterError
from ._checks import as_planes, check_image, like_input

KINDS = ("low", "high", "band", "notch")
SHAPES = ("ideal", "gaussian", "butterworth")
SPECTRUM_DTYPES = ("complex64", "complex128")
INVERSE_DTYPES = ("float32", "uint8", "uint16")
SPECTRUM = dict(tolerance=Tolerance(relative=1e-4), goal=Tolerance(relative=1e-6), premultiply=False)


@operation(reference="cv2.dft", result_dtype="complex64", **SPECTRUM)
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
    if backend == "opencv":
        from ..reference import fourier as reference
        return reference.fft2(image)
    from ..kernels import fourier as kernels
    return like_input(kernels.full_spectrum(as_planes(image)), image)


def check_ifft2(name, dtype):
    """The rule of ``ifft2``'s ``dtype``: float32, uint8 or uint16 (a name or a numpy dtype);
    returns its name."""
    import numpy as np
    try:
        dtype_name = np.dtype(dtype).name
    except TypeError:
        dtype_name = None
    if dtype_name not in INVERSE_DTYPES:
        raise ParameterError(name, f"must be one of {', '.join(INVERSE_DTYPES)}, got {dtype!r}")
    return dtype_name


@operation(params=(Param("dtype", str, "The result's type (float32: write npy or tiff to keep the values).",
                         choices=INVERSE_DTYPES, parse=check_ifft2, metavar="DTYPE"),),
           reference="cv2.idft", tolerance=Tolerance(max_abs=1, relative=1e-4), goal=Tolerance(max_abs=0, relative=1e-6),
           takes="spectrum", dtypes=SPECTRUM_DTYPES, result_dtype=lambda dtype="float32": check_ifft2("dtype", dtype),
           premultiply=False)
def ifft2(spectrum, *, dtype="float32", backend="numba"):
    """The real part of the inverse transform of each channel, as ``numpy.fft.ifft2(F).real``.

    Parameters
    ----------
    spectrum : complex64 or complex128 ndarray, H×W or H×W×C, uncentred (as ``fft2`` gives)
    dtype : {'float32', 'uint8', 'uint16'}
        The result's type: integers are rounded to nearest (half to even) and saturated, so
        ``ifft2(fft2(image), dtype=image.dtype)`` is ``image`` exactly.
    """
    dtype = check_ifft2("dtype", dtype)
    check_spectrum(spectrum)
    if backend == "opencv":
        from ..reference import fourier as reference
        return reference.ifft2(spectrum, dtype)
    from ..kernels import fourier as kernels
    return like_input(kernels.inverse(as_planes(spectrum), dtype), spectrum)


@operation(params=(Param("log", bool, "log(1 + |F|), or |F| itself.", negatable=True),),
           reference="cv2.dft, then log(1 + |F|)", result_dtype="float32", bench=({"log": True},), **SPECTRUM)
def spectrum(image, *, log=True, backend="numba"):
    """The centred magnitude spectrum of each channel, float32: ``log(1 + |F|)`` (``log=True``)
    or ``|F|``, zero frequency at (H // 2, W // 2)."""
    log = bool(log)
    if backend == "opencv":
        from ..reference import fourier as reference
        return reference.spectrum(image, log)
    from ..kernels import fourier as kernels
    what = kernels.LOG_MAGNITUDE if log else kernels.MAGNITUDE
    return like_input(kernels.centred_spectrum(as_planes(image), what), image)


@operation(reference="cv2.dft and cv2.phase", result_dtype="float32", **SPECTRUM)
def phase(image, *, backend="numba"):
    """The centred phase spectrum of each channel, float32 radians in (−π, π], as
    ``numpy.angle(numpy.fft.fftshift(numpy.fft.fft2(image)))``.

    Where |F| is at the level of rounding noise the angle is noise too; both backends agree
    elsewhere.
    """
    if backend == "opencv":
        from ..reference import fourier as reference
        return reference.phase(image)
    from ..kernels import fourier as kernels
    return like_input(kernels.centred_spectrum(as_planes(image), kernels.PHASE), image)


@operation(params=(Param("kind", str, "What passes (band: the ring cutoff ± width/2; notch: that ring is "
                                       "removed).", choices=KINDS, option="--pass", metavar="KIND"),
                   Param("shape", str, "The edge of the band (ideal is sharp, and rings).", choices=SHAPES,
                         metavar="SHAPE"),
                   Param("cutoff", float, "Radius in the centred spectrum, in frequency samples (cycles per image), "
                                          "> 0; the ring's centre for band and notch.", minimum=0, above=True,
                         metavar="RADIUS"),
                   Param("width", float, "Width of the ring (band, notch), > 0.", minimum=0, above=True,
                         option="--band-width", metavar="WIDTH", aliases=("--width",)),
                   Param("order", float, "Butterworth order n > 0: the gain falls as (D/cutoff)^−2n.", minimum=0,
                         above=True, metavar="N")),
           reference="cv2.dft, a gain, cv2.idft", tolerance=Tolerance(max_abs=1, relative=1e-4),
           goal=Tolerance(max_abs=1, relative=1e-6),
           bench=({"kind": "low", "shape": "gaussian", "cutoff": 30.0},), peer="imgkit.peers:frequency_filter")
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
    kind_code, shape_code = KINDS.index(kind), SHAPES.index(shape)   # the kernels' LOW…NOTCH, IDEAL…BUTTERWORTH
    rows, columns = fast_length(image.shape[0]), fast_length(image.shape[1])
    cutoff, width, order = float(cutoff), float(width), float(order)
    if backend == "opencv":
        from ..reference import fourier as reference
        return reference.frequency_filter(image, rows, columns, kind, shape, cutoff, width, order)
    from ..kernels import fourier as kernels
    return like_input(kernels.frequency_filter(as_planes(image), rows, columns, kind_code, shape_code,
                                               cutoff, width, order), image)


def check_spectrum(spectrum):
    """A complex H×W or H×W×C array (1 to 4 channels), with a message that names what it got."""
    import numpy as np
    if not isinstance(spectrum, np.ndarray):
        raise TypeError(f"spectrum must be a numpy array, got {type(spectrum).__name__}")
    if spectrum.dtype.name not in SPECTRUM_DTYPES:
        hint = (" (two real channels, as cv2.dft writes them? make it re + 1j·im)"
                if spectrum.ndim == 3 and spectrum.shape[2] == 2 and spectrum.dtype.kind == "f" else "")
        raise TypeError(f"spectrum must be complex64 or complex128 (as fft2 / fft forward give), "
                        f"got {spectrum.dtype} {spectrum.shape}{hint}")
    check_image(spectrum, "spectrum", SPECTRUM_DTYPES)
    return spectrum


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


# ---------------------------------------------------------------- imgkit fft …

group("fft", help="Fourier transforms: spectrum and phase pictures, the complex spectrum to .npy and back, "
                  "frequency-domain filters.")
PICTURE_NOTE = ("Colour images give one spectrum per channel. npy and tiff keep the float32 values; other "
                "formats get them min–max stretched to 0–255.")


def _picture(op):
    def step(**values):
        return Step(op, values, normalize=True)
    return step


command("fft spectrum", help="Centred magnitude spectrum, log(1 + |F|) by default: zero frequency in the middle "
                             "(numpy.fft.fftshift), as cv2.dft computes it. " + PICTURE_NOTE,
        options=spectrum.operation.params, step=_picture("spectrum"), ops=("spectrum",),
        examples=("imgkit fft spectrum photo.jpg -o spectrum.png", "imgkit fft spectrum photo.jpg --no-log -o mag.tif"))
command("fft phase", help="Centred phase spectrum, arg F in radians (−π, π]: zero frequency in the middle. "
                          + PICTURE_NOTE + " (about −π black, 0 mid-grey, π white).",
        options=(), step=_picture("phase"), ops=("phase",), examples=("imgkit fft phase photo.jpg -o phase.png",
                                                                   "imgkit fft phase photos/ -o phases/"))
command("fft forward", help="The complex64 spectrum of each image as .npy (H×W, or H×W×C for colour), uncentred as "
                            "numpy.fft.fft2 gives it, at the image's own size: `fft inverse` restores the image.",
        options=(), op="fft2", default_format="npy",
        examples=("imgkit fft forward photo.jpg -o photo_fft.npy", "imgkit fft forward photos/ -o spectra/"))
command("fft inverse", help="Back from a complex spectrum .npy (from `fft forward` or numpy.fft.fft2, uncentred) to "
                            "an image: the real part of the inverse transform, rounded (half to even) and saturated "
                            "to --dtype. Inputs that are not complex H×W or H×W×C arrays fail with the reason.",
        options=(Param("dtype", str, "The result's type (float32: write npy or tiff to keep the values).",
                       default="uint8", choices=INVERSE_DTYPES, metavar="DTYPE"),),
        op="ifft2", default_format="png", extensions=frozenset({".npy"}),
        examples=("imgkit fft inverse photo_fft.npy -o restored.png", "imgkit fft inverse spectra/ -o restored/"))
command("fft filter", help="Frequency-domain filter (Gonzalez & Woods): the spectrum times a radial gain, then back. "
                           "Sides are padded to fast lengths (2^a·3^b·5^c, reflect-101) and cropped back; the cutoff "
                           "is in cycles per image, so padding does not move it. Bit depth and channels are kept "
                           "(integers rounded and saturated); 4-channel images are filtered with premultiplied alpha.",
        options=frequency_filter.operation.params, op="frequency_filter",
        examples=("imgkit fft filter photo.jpg --pass low --cutoff 20 -o lowpass.png",
                  "imgkit fft filter photo.jpg --pass notch --band-width 6 -o notched.png",
                  "imgkit fft filter photo.jpg --pass high --shape butterworth -o detail.tif"))
