"""The facts a bug report needs, on one line: ``imgkit --version``, and the header of the
``bench`` and ``compare`` reports.

Results depend on more than imgkit's own version: OpenCV's answers change between releases
(Canny's huge thresholds and bilateral float32 in 5.1) and with the SIMD code it dispatches to
on this CPU (fused multiply-adds, bilateral's block width, its IPP routes), and Numba compiles
for the host CPU's features unless ``NUMBA_CPU_NAME`` says otherwise.
"""

import platform
import re
from importlib.metadata import PackageNotFoundError, version

# The SIMD families that change what the kernels compile to; the host lists ~50 features.
_SIMD = re.compile(r"^(sse\d?(\.\d)?|ssse3|avx.*|fma|f16c|neon|sve.*|asimd.*)$")


def numba_target():
    """``name +feature …``: the CPU Numba compiles for and its SIMD features, as numba's codegen
    resolves them (``NUMBA_CPU_NAME`` / ``NUMBA_CPU_FEATURES``, else the host's)."""
    import llvmlite.binding as ll
    from numba.core import config
    name = config.CPU_NAME or ll.get_host_cpu_name()
    if config.CPU_FEATURES is not None:
        features = [f[1:] for f in config.CPU_FEATURES.split(",") if f.startswith("+")]
    else:
        features = [f for f, on in ll.get_host_cpu_features().items() if on]
    return " ".join([name, *(f"+{f}" for f in sorted(features) if _SIMD.match(f))])


def opencv_dispatch(cv2):
    """The optimisations OpenCV dispatches to here: the ``*`` entries of its CPU features line
    that this CPU has (a ``?`` marks one it lacks or ``OPENCV_CPU_DISABLE`` turned off)."""
    line = cv2.getCPUFeaturesLine().split()
    return " ".join(f.lstrip("*") for f in line if f.startswith("*") and not f.endswith("?"))


def _wheel():
    for name in ("opencv-contrib-python-headless", "opencv-contrib-python", "opencv-python-headless", "opencv-python"):
        try:
            return f"{name} {version(name)}"
        except PackageNotFoundError:
            continue
    return "built from source"


def describe():
    """One line: imgkit, Python, numpy, numba and llvmlite with Numba's target CPU, OpenCV with
    its wheel, dispatched SIMD code and IPP state."""
    import cv2
    import llvmlite
    import numba
    import numpy
    from . import __version__
    return (f"imgkit {__version__}; Python {platform.python_version()}; numpy {numpy.__version__}; "
            f"numba {numba.__version__}, llvmlite {llvmlite.__version__} for {numba_target()}; "
            f"OpenCV {cv2.__version__} ({_wheel()}; dispatch {opencv_dispatch(cv2) or 'baseline only'}; "
            f"IPP {'on' if cv2.ipp.useIPP() else 'off'})")
