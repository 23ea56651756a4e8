"""He's guided filter and He & Sun's fast guided filter, as ``cv2.ximgproc.guidedFilter``.

References
----------
K. He, J. Sun and X. Tang, "Guided Image Filtering", ECCV 2010 and IEEE TPAMI 35(6), 2013,
doi:10.1109/TPAMI.2012.213.
K. He and J. Sun, "Fast Guided Filter", arXiv:1505.00996, 2015.
"""

from ..registry import Param, Tolerance, command, operation
from ._checks import as_planes, check_image, like_input

MAX_RADIUS = 4000       # a window of 8001 pixels across, as the other filters' largest

# eps is given in [0, 1]-intensity units squared; the guide's values are in its dtype's nominal
# range, so the filter (and OpenCV) gets eps · range².
NOMINAL_RANGE = {"uint8": 255.0, "uint16": 65535.0, "float32": 1.0}


def eps_in_pixel_units(eps, guide_dtype):
    """``eps`` in [0, 1] units² → the guide's own units² (255² · eps for uint8)."""
    return eps * NOMINAL_RANGE[str(guide_dtype)] ** 2


def low_resolution_radius(radius, subsample):
    """The fast filter's radius at 1/``subsample`` resolution: r/s rounded half up, at least 1."""
    return max(1, (radius + subsample // 2) // subsample)


def low_resolution_size(width, height, subsample):
    """``(w, h)`` of the subsampled images, as OpenCV sizes them for ``scale = 1/s``: truncated."""
    scale = 1.0 / subsample
    return int(width * scale), int(height * scale)


def check_guide(image, guide):
    """The guide (``image`` itself when None): the image's height and width, 1, 3 or 4 channels."""
    guide = _check_guide_array("guide", image if guide is None else guide)
    if guide.shape[:2] != image.shape[:2]:
        raise ValueError(f"guide must have the image's size {image.shape[1]}×{image.shape[0]}, "
                         f"got {guide.shape[1]}×{guide.shape[0]}")
    return guide


def _check_guide_array(name, guide):
    guide = check_image(guide, name)   # a float64 guide becomes float32
    if guide.ndim == 3 and guide.shape[2] == 2:
        raise ValueError("guide must have 1 (gray), 3 (colour) or 4 channels (the fourth is not used), got 2")
    return guide


def _guided_halo(params, dtype):
    """Means of means: 2r rows each way (+ 1: the running column sums read a row past the window,
    ``kernels.guided._setup``); a guide image is cut in the same bands. Not the fast filter (its
    grid is the whole image's)."""
    if int(params["subsample"]) > 1:
        raise ValueError("guided_filter with subsample > 1: its low-resolution grid is the whole image's")
    return 2 * int(params["radius"]) + 1


@operation(params=(Param("guide", "image", "Guide image, read once (its own depth and channels, whatever --gray); "
                                          "the same size as every input. Default: each input is its own guide.",
                         parse=_check_guide_array),
                   Param("radius", int, "Window radius r, 1–4000: means over (2r+1)×(2r+1).", minimum=1,
                         maximum=MAX_RADIUS, metavar="RADIUS"),
                   Param("eps", float, "Regularisation ε > 0 in [0,1]-intensity units squared, whatever the bit "
                                       "depth: detail whose contrast is well below √ε of the range (0.1 for 0.01) is "
                                       "smoothed, stronger edges are kept.", minimum=0, above=True, metavar="EPS"),
                   Param("subsample", int, "s > 1 (at most 4000): the fast guided filter (He & Sun 2015): "
                                           "coefficients computed at 1/s resolution with radius r/s, enlarged "
                                           "bilinearly.", minimum=1, maximum=MAX_RADIUS, metavar="FACTOR"),
                   Param("enhance", float, "K ≥ 0: detail enhancement, I + K·(I − q) on the unrounded filter "
                                           "output q.", minimum=0, metavar="K")),
           reference="cv2.ximgproc.guidedFilter",
           # OpenCV works in float32, imgkit in float64: ≤ 1 on 99.9 % of uint8 values, ≤ 2 everywhere (SPEC §5)
           tolerance=Tolerance(max_abs=2, within_1=0.999), goal=Tolerance(max_abs=2, within_1=0.999),
           premultiply=False,    # alpha is filtered steered by the colour, as OpenCV
           bench=({"radius": 8, "eps": 0.01}, {"radius": 32, "eps": 0.01}),     # r = 32: the time does not grow
           halo=_guided_halo)
def guided_filter(image, guide=None, *, radius=8, eps=0.01, subsample=1, enhance=None, backend="numba"):
    """Edge-preserving smoothing of ``image`` steered by ``guide``, as ``cv2.ximgproc.guidedFilter``.

    Parameters
    ----------
    image : ndarray, uint8, uint16 or float32, H×W or H×W×C (any of 1–4 channels, each filtered)
    guide : ndarray, optional
        uint8, uint16 or float32, the image's height and width; gray, or colour (the first three
        channels of a 3- or 4-channel guide; a fourth is not used, as in OpenCV). Default: ``image``.
    radius : int
        Window radius r, 1 to 4000: means over (2r+1)×(2r+1) windows.
    eps : float
        Regularisation ε > 0 in [0, 1]-intensity units squared, whatever the guide's dtype
        (uint8 guides: ε·255² in pixel units, uint16: ε·65535², float32: ε, the values being
        taken as 0–1).
    subsample : int
        s > 1: the fast guided filter: guide and image shrunk by s (bilinear), radius
        ``low_resolution_radius(r, s)``, the coefficients' means enlarged (bilinear) and applied to
        the full-resolution guide.
    enhance : float, optional
        K ≥ 0: detail enhancement, p + K·(p − q) with q the unrounded filter output.

    Returns
    -------
    ndarray of ``image``'s dtype and shape. Integer results are rounded half to even and saturated.

    Notes
    -----
    The steps (He, Sun & Tang 2013, Algorithm 1; means over the window with BORDER_REFLECT):

    1. means of I, I·Iᵀ, p, I·p;
    2. a = (Σ_I + εU)⁻¹ cov(I, p) (for a colour guide by the adjugate over the determinant, as
       OpenCV), b = mean p − a·mean I;
    3. q = mean(a)·I + mean(b).

    The Numba backend runs all three as fused running sums in float64 (``kernels/guided.py``);
    OpenCV runs them in float32, so uint8 results differ by 1 on a few pixels in a thousand, and
    by up to 4 where a colour guide is nearly singular (a gray picture stored as BGR) and ε small.
    OpenCV also takes a colour determinant below 1e-6 as 1 when ε < 1e-2 pixel units², a guard
    against ε = 0 that imgkit does not copy (ε > 0 here): it never acts on 8- or 16-bit guides at
    ε ≥ 2e-7 but spoils OpenCV's results for float32 guides in 0–1 with ε < 0.01.
    """
    guide = check_guide(image, guide)
    radius, eps, subsample = int(radius), float(eps), int(subsample)
    enhance = 0.0 if enhance is None else float(enhance)
    eps_pixels = eps_in_pixel_units(eps, guide.dtype)
    if subsample > 1:
        width, height = low_resolution_size(image.shape[1], image.shape[0], subsample)
        if width < 1 or height < 1:
            raise ValueError(f"subsample {subsample} leaves nothing of a {image.shape[1]}×{image.shape[0]} image")
        radius = low_resolution_radius(radius, subsample)
    if backend == "opencv":
        from ..reference import guided as reference
        return reference.guided_filter(image, guide, radius, eps_pixels, subsample, enhance)
    from ..kernels import guided
    planes = as_planes(image)
    guide_planes = planes if guide is image else as_planes(guide)     # the same array: fewer sums
    if subsample == 1:
        return like_input(guided.guided_filter(guide_planes, planes, radius, eps_pixels, enhance), image)
    return like_input(_fast(guide_planes, planes, radius, eps_pixels, width, height, enhance), image)


def _fast(guide, planes, radius, eps, width, height, enhance):
    """He & Sun's fast filter: coefficients at ``width × height``, applied at full resolution.

    Both images are shrunk by ``cv2.resize``'s bilinear rule as OpenCV shrinks them: the guide
    as float32 (its first three channels), the source by its own dtype's rule (a uint16 source
    as float32, as the reference hands it to OpenCV). Both are shrunk in float32, a uint8
    source's values by the uint8 rule (the same numbers), so that one resize kernel is compiled,
    not two (0.4 s), and the full-resolution pass reads the same float32 copies, so that the
    row reader is compiled for one type (0.2 s); a self-guided colour or gray image is converted
    once for all.
    """
    from ..kernels import guided
    from ..kernels.resize import resize_linear
    import numpy as np
    guide32 = guide[:, :, :3].astype(np.float32)
    source32 = guide32 if planes is guide and planes.shape[2] <= 3 else planes.astype(np.float32)
    small_guide = resize_linear(guide32, width, height)
    small = resize_linear(source32, width, height, eight_bit=planes.dtype == np.uint8)
    means = guided.coefficient_means(small_guide, small, radius, eps)
    return guided.apply_enlarged(means, guide32, source32, enhance, planes.dtype)


command("guided", help="He's guided filter: edge-preserving smoothing steered by a guide image (the input itself by "
                       "default), as cv2.ximgproc.guidedFilter. A gray guide steers every channel alike; a colour "
                       "guide (3 or 4 channels: the fourth is not used) uses its 3×3 covariance. Bit depth and "
                       "channels are kept; alpha is filtered like the other channels, steered by the guide, as "
                       "OpenCV does.",
        options=guided_filter.operation.params, op="guided_filter",
        examples=("imgkit guided photo.jpg --radius 8 --eps 0.01 -o guided.jpg",
                  "imgkit guided photos/ --radius 16 -o refined/",
                  "imgkit guided photo.jpg --enhance 3 -o enhanced.jpg"))
