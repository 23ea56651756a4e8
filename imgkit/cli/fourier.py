"""``imgkit fft spectrum | phase | forward | inverse | filter``: Fourier transforms of images.

A sub-app: the commands are ``imgkit fft NAME`` and ``imgkit compare fft NAME``.
"""

from typing import Annotated

import typer

from . import app, compare_app
from .checks import checked
from .common import image_command

fft_app = typer.Typer(no_args_is_help=True, help="Fourier transforms: spectrum and phase pictures, the complex "
                                                 "spectrum to .npy and back, frequency-domain filters.")
compare_fft_app = typer.Typer(no_args_is_help=True, help="Compare imgkit and OpenCV (cv2.dft) on a Fourier command.")
app.add_typer(fft_app, name="fft")
compare_app.add_typer(compare_fft_app, name="fft")

PICTURE_NOTE = ("Colour images give one spectrum per channel. npy and tiff keep the float32 values; other "
                "formats get them min–max stretched to 0–255.")


@image_command(fft_app, compare_fft_app, "spectrum", help="Centred magnitude spectrum, log(1 + |F|) by default: "
               "zero frequency in the middle (numpy.fft.fftshift), as cv2.dft computes it. " + PICTURE_NOTE)
def spectrum(
    log: Annotated[bool, typer.Option("--log/--no-log", help="log(1 + |F|), or |F| itself.")] = True,
):
    from ..batch import Job
    return Job("spectrum", {"log": log}, normalize=True)


@image_command(fft_app, compare_fft_app, "phase", help="Centred phase spectrum, arg F in radians (−π, π]: "
               "zero frequency in the middle. " + PICTURE_NOTE + " (about −π black, 0 mid-grey, π white).")
def phase():
    from ..batch import Job
    return Job("phase", {}, normalize=True)


@image_command(fft_app, compare_fft_app, "forward", default_format="npy",
               help="The complex64 spectrum of each image as .npy (H×W, or H×W×C for colour), uncentred as "
                    "numpy.fft.fft2 gives it, at the image's own size: `fft inverse` restores the image.")
def forward():
    from ..batch import Job
    return Job("fft2", {})


@image_command(fft_app, compare_fft_app, "inverse", default_format="png", extensions=frozenset({".npy"}),
               help="Back from a complex spectrum .npy (from `fft forward` or numpy.fft.fft2, uncentred) to an "
                    "image: the real part of the inverse transform, rounded (half to even) and saturated to "
                    "--dtype. Inputs that are not complex H×W or H×W×C arrays fail with the reason.")
def inverse(
    dtype: Annotated[str, typer.Option(help="uint8 | uint16 | float32 (float32: write npy or tiff to keep the values).")] = "uint8",
):
    from ..batch import Job
    return checked(Job("ifft2", {"dtype": dtype}))


@image_command(fft_app, compare_fft_app, "filter",
               help="Frequency-domain filter (Gonzalez & Woods): the spectrum times a radial gain, then back. "
                    "Sides are padded to fast lengths (2^a·3^b·5^c, reflect-101) and cropped back; the "
                    "cutoff is in cycles per image, so padding does not move it. Bit depth and channels "
                    "are kept (integers rounded and saturated); 4-channel images are filtered with "
                    "premultiplied alpha.")
def filter_(
    kind: Annotated[str, typer.Option("--pass", help="low | high | band (the ring cutoff ± width/2 passes) | notch (that ring is removed).")] = "low",
    shape: Annotated[str, typer.Option(help="ideal (sharp; rings) | gaussian | butterworth.")] = "gaussian",
    cutoff: Annotated[float, typer.Option(help="Radius in the centred spectrum, in frequency samples (cycles per image), > 0; the ring's centre for band and notch.")] = 30.0,
    width: Annotated[float, typer.Option(help="Width of the ring (band, notch), > 0.")] = 10.0,
    order: Annotated[float, typer.Option(help="Butterworth order n > 0: the gain falls as (D/cutoff)^−2n.")] = 2.0,
):
    from ..batch import Job
    return checked(Job("frequency_filter", {"kind": kind, "shape": shape, "cutoff": cutoff, "width": width,
                                            "order": order}), renamed={"kind": "--pass"})
