"""The one table of operations that ``compare``, ``bench``, ``warmup``, the CLI and the tests walk.

An entry names its public function lazily (``module:function``) so that reading the table
imports nothing heavy; ``Op.function`` resolves it on first use. ``Op.check`` names the function
holding the rules of its parameters that need no image, which the public function applies
first: ``check(name, params)`` runs them with no image, no kernel imported and nothing compiled.
"""

from dataclasses import dataclass, field
from importlib import import_module

import numpy as np


@dataclass(frozen=True)
class Tolerance:
    """The floor below which ``imgkit compare`` exits 1 (SPEC §5).

    ``max_abs`` bounds integer results; ``relative`` bounds float results as
    max|a − b| / max(1, max|b|).
    """
    max_abs: float = 0.0
    relative: float = 1e-4
    identical: float | None = None  # edge maps: least share of identical pixels …
    f1: float | None = None         # … and least F1 of the edge sets (set both)
    within_1: float | None = None   # least share of integer values within 1 (guided filter: 99.9 %)

    @property
    def edges(self):
        """An edge-map tolerance: judged on identical pixels and edge-set F1, not on values."""
        return self.f1 is not None

    def holds(self, metrics, dtype):
        if self.edges:
            return metrics["identical"] >= self.identical and metrics["f1"] >= self.f1
        if np.dtype(dtype).kind in "fc":    # float and complex (spectra) results
            return metrics["relative"] <= self.relative
        within = self.within_1 is None or metrics["within_1"] >= self.within_1
        return metrics["max_abs"] <= self.max_abs and within


@dataclass(frozen=True)
class Op:
    name: str                   # the public function's name, e.g. "gaussian_blur"
    target: str                 # "module:function" of the public API function
    tolerance: Tolerance
    dtypes: tuple = ("uint8", "uint16", "float32")
    bench: dict = field(default_factory=dict)   # parameters `imgkit bench` times it with
    peer: str | None = None     # "module:function" of the scikit-image counterpart, for bench
    premultiply: bool = True    # the CLI premultiplies alpha around it (filters, resize)
    result_dtype: str | None = None     # the result's dtype when it is not the input's
    keeps_shape: bool = True    # the result has the input's shape and channels (not so for HOG features)
    workload: str | None = None  # "module:function" giving bench inputs that are not images (see bench.workloads)
    check: str | None = None    # "module:function" of the parameters' rules (None: it takes none)

    @property
    def function(self):
        return _resolve(self.target)

    @property
    def check_function(self):
        return _resolve(self.check) if self.check else None

    @property
    def workload_function(self):
        return _resolve(self.workload) if self.workload else None

    @property
    def peer_function(self):
        return _resolve(self.peer) if self.peer else None


def _resolve(target):
    module, name = target.split(":")
    return getattr(import_module(module), name)


OPS = {op.name: op for op in [
    Op("gaussian_blur", "imgkit.ops.blur:gaussian_blur", Tolerance(max_abs=1),
       bench={"sigma": 2.0}, peer="imgkit.peers:gaussian_blur", check="imgkit.ops.blur:check_gaussian_blur"),
    Op("box_blur", "imgkit.ops.blur:box_blur", Tolerance(max_abs=1),
       bench={"ksize": 5}, peer="imgkit.peers:box_blur", check="imgkit.ops.blur:check_box_blur"),
    Op("median_blur", "imgkit.ops.blur:median_blur", Tolerance(max_abs=0, relative=0.0),
       bench={"ksize": 5}, peer="imgkit.peers:median_blur", check="imgkit.ops.blur:check_median_blur"),
    Op("bilateral_filter", "imgkit.ops.blur:bilateral_filter", Tolerance(max_abs=1),
       dtypes=("uint8", "float32"), bench={"diameter": 9, "sigma_color": 75.0, "sigma_space": 75.0},
       peer="imgkit.peers:bilateral_filter", check="imgkit.ops.blur:check_bilateral_filter"),
    # derivatives: float32 results, exact sums for integer images (see ops/derivatives.py);
    # alpha is a channel like the others, as in OpenCV, so no premultiplying
    Op("sobel", "imgkit.ops.derivatives:sobel", Tolerance(max_abs=0, relative=1e-5),
       bench={"dx": 1, "dy": 0}, peer="imgkit.peers:sobel", premultiply=False, result_dtype="float32",
       check="imgkit.ops.derivatives:check_sobel"),
    Op("scharr", "imgkit.ops.derivatives:scharr", Tolerance(max_abs=0, relative=1e-5),
       bench={"dx": 1, "dy": 0}, peer="imgkit.peers:scharr", premultiply=False, result_dtype="float32",
       check="imgkit.ops.derivatives:check_first_derivative"),
    Op("prewitt", "imgkit.ops.derivatives:prewitt", Tolerance(max_abs=0, relative=1e-5),
       bench={"dx": 1, "dy": 0}, peer="imgkit.peers:prewitt", premultiply=False, result_dtype="float32",
       check="imgkit.ops.derivatives:check_first_derivative"),
    Op("laplacian", "imgkit.ops.derivatives:laplacian", Tolerance(max_abs=0, relative=1e-5),
       bench={"ksize": 1}, peer="imgkit.peers:laplacian", premultiply=False, result_dtype="float32",
       check="imgkit.ops.derivatives:check_laplacian"),
    Op("gradient_magnitude", "imgkit.ops.derivatives:gradient_magnitude", Tolerance(max_abs=0, relative=1e-5),
       bench={"operator": "sobel", "ksize": 3}, peer="imgkit.peers:gradient_magnitude", premultiply=False,
       result_dtype="float32", check="imgkit.ops.derivatives:check_gradient"),
    Op("gradient_angle", "imgkit.ops.derivatives:gradient_angle", Tolerance(max_abs=0, relative=1e-5),
       bench={"operator": "sobel", "ksize": 3}, peer="imgkit.peers:gradient_angle", premultiply=False,
       result_dtype="float32", check="imgkit.ops.derivatives:check_gradient"),
    # edge maps, 0/255 uint8, one channel whatever the input's (colour as cv2.Canny takes it)
    Op("canny", "imgkit.ops.canny:canny", Tolerance(identical=0.999, f1=0.995), dtypes=("uint8",),
       bench={"low": 50, "high": 150, "sigma": 0.0}, peer="imgkit.peers:canny", premultiply=False,
       check="imgkit.ops.canny:check_canny"),
    # resize: one entry for the command, one more per interpolation so bench times each
    # (shrinking 2× with linear, area and nearest; enlarging 2× with cubic and Lanczos)
    *[Op(name, "imgkit.ops.resize:resize", Tolerance(max_abs=1), bench={"scale": factor, "interp": interp},
         peer="imgkit.peers:resize", check="imgkit.ops.resize:check_resize")
      for name, interp, factor in [("resize", "linear", 0.5), ("resize_area", "area", 0.5),
                                   ("resize_nearest", "nearest", 0.5), ("resize_cubic", "cubic", 2.0),
                                   ("resize_lanczos", "lanczos", 2.0)]],
    # guided filter, the image as its own guide (gray or colour); OpenCV works in float32, imgkit
    # in float64: ≤ 1 on 99.9 % of uint8 values, ≤ 2 everywhere (SPEC §5); r = 32 shows the
    # time does not grow with the radius; alpha is filtered steered by the colour, as OpenCV
    *[Op(name, "imgkit.ops.guided:guided_filter", Tolerance(max_abs=2, within_1=0.999),
         bench={"radius": radius, "eps": 0.01}, premultiply=False, check="imgkit.ops.guided:check_guided_filter")
      for name, radius in [("guided_filter", 8), ("guided_filter_r32", 32)]],
    # Fourier: spectra and pictures of each channel; ifft2 takes spectra, so its inputs come
    # from a workload; alpha is a channel like the others except for the filter
    Op("fft2", "imgkit.ops.fourier:fft2", Tolerance(relative=1e-4), premultiply=False, result_dtype="complex64"),
    Op("ifft2", "imgkit.ops.fourier:ifft2", Tolerance(max_abs=1, relative=1e-4), dtypes=("complex64",),
       premultiply=False, result_dtype="float32", workload="imgkit.ops.fourier:spectra",
       check="imgkit.ops.fourier:check_ifft2"),
    Op("spectrum", "imgkit.ops.fourier:spectrum", Tolerance(relative=1e-4), bench={"log": True},
       premultiply=False, result_dtype="float32"),
    Op("phase", "imgkit.ops.fourier:phase", Tolerance(relative=1e-4), premultiply=False, result_dtype="float32"),
    Op("frequency_filter", "imgkit.ops.fourier:frequency_filter", Tolerance(max_abs=1, relative=1e-4),
       bench={"kind": "low", "shape": "gaussian", "cutoff": 30.0}, peer="imgkit.peers:frequency_filter",
       check="imgkit.ops.fourier:check_frequency_filter"),
    # NMS: boxes in, kept indices out (identical to OpenCV's); inputs from workloads of 1k–100k boxes
    *[Op(name, f"imgkit.ops.nms:{name}", Tolerance(max_abs=0, relative=0.0), dtypes=("float64",),
         bench=bench, premultiply=False, keeps_shape=False, workload=f"imgkit.ops.nms:{workload}",
         check=f"imgkit.ops.nms:{check}")
      for name, bench, workload, check in [("nms", {"iou": 0.5}, "bench_workload", "check_nms"),
                                           ("batched_nms", {"iou": 0.5}, "batched_bench_workload", "check_nms"),
                                           ("soft_nms", {"sigma": 0.5}, "soft_bench_workload", "check_soft_nms")]],
    # HOG: a 1-D float32 feature vector (SPEC §5: ≤ 1e-4 per feature), one entry per style so bench
    # shows both (cv2.HOGDescriptor's reference takes uint8 only); and the glyph picture
    Op("hog", "imgkit.ops.hog:hog", Tolerance(relative=1e-4), dtypes=("uint8",), bench={"style": "opencv"},
       peer="imgkit.peers:hog", premultiply=False, result_dtype="float32", keeps_shape=False,
       check="imgkit.ops.hog:check_hog"),
    Op("hog_skimage", "imgkit.ops.hog:hog", Tolerance(relative=1e-4), bench={"style": "skimage"},
       peer="imgkit.peers:hog", premultiply=False, result_dtype="float32", keeps_shape=False,
       check="imgkit.ops.hog:check_hog"),
    Op("hog_image", "imgkit.ops.hog:hog_image", Tolerance(max_abs=1), dtypes=("uint8",), bench={"style": "opencv"},
       premultiply=False, result_dtype="uint8", keeps_shape=False, check="imgkit.ops.hog:check_hog_image"),
]}


def check(name, params):
    """Apply operation ``name``'s rules to ``params`` (its keyword arguments, no image): raises
    ``ops._checks.ParameterError`` / ``ParameterTypeError`` naming the parameter."""
    rules = get(name).check_function
    if rules is not None:
        rules(**params)


def get(name):
    try:
        return OPS[name]
    except KeyError:
        raise ValueError(f"unknown operation {name!r}; known: {', '.join(OPS)}") from None
