"""Histograms of oriented gradients (Dalal & Triggs 2005) as OpenCV and scikit-image compute them.

``style="opencv"`` matches ``cv2.HOGDescriptor`` whose window is the whole image cropped to whole
block steps; ``style="skimage"`` matches ``skimage.feature.hog``. REFERENCE_NOTES §5 lists how the
two differ; ``imgkit.kernels.hog`` says how each is computed here.
"""

from ..registry import Param, Tolerance, command, operation
from ..rules import ParameterError
from ._checks import as_planes

STYLES = ("opencv", "skimage")
BLOCK_NORMS = ("L2-Hys", "L2", "L1", "L1-sqrt")
DTYPES = {"opencv": ("uint8",), "skimage": ("uint8", "uint16", "float32")}
MAX_ORIENTATIONS = 360      # one-degree bins over the signed range: finer says nothing a 3-pixel gradient knows
MAX_FEATURES = 2**31 - 1    # the vector's length, an int in cv2.HOGDescriptor; checked before allocating it


def _hog_rules(style, orientations, cell, block, block_stride, block_norm, signed):
    """L2-Hys only for the opencv style, signed orientations only for it. Whether a block fits in
    the image is the image's rule."""
    if style == "opencv" and block_norm != "L2-Hys":
        raise ParameterError("block_norm", f"{block_norm} needs {{style}} skimage: cv2.HOGDescriptor normalises "
                             "with L2-Hys only", ["style"])
    if style == "skimage" and signed:
        raise ParameterError("signed", "needs {style} opencv: skimage.feature.hog has unsigned orientations only",
                             ["style"])


def _picture_rules(cell, **options):
    """``hog``'s rules, and a cell of at least 2 pixels (a glyph needs a centre and a radius)."""
    _hog_rules(cell=cell, **options)
    if cell < 2:
        raise ParameterError("cell", f"must be ≥ 2, got {cell}")


PARAMS = (Param("style", str, "Whose HOG: opencv (cv2.HOGDescriptor) or skimage (skimage.feature.hog).",
                choices=STYLES, metavar="STYLE"),
          Param("orientations", int, "Orientation bins over 0–180° (0–360° with --signed), 1–360: one-degree bins "
                                     "at the finest.", minimum=1, maximum=MAX_ORIENTATIONS),
          Param("cell", int, "Cell side, pixels, ≥ 1.", minimum=1, metavar="PIXELS"),
          Param("block", int, "Block side, cells, ≥ 1.", minimum=1, metavar="CELLS"),
          Param("block_stride", int, "Step between blocks, cells, ≥ 1.", minimum=1, metavar="CELLS"),
          Param("block_norm", str, "Block normalisation (all but L2-Hys: --style skimage; OpenCV has L2-Hys only).",
                choices=BLOCK_NORMS, metavar="NORM"),
          Param("signed", bool, "Orientations over 0–360° (--style opencv; skimage has unsigned ones only)."))
HOG = dict(dtypes=lambda style="opencv", **_: DTYPES[style], channels_kept=False, premultiply=False,
           reference="cv2.HOGDescriptor (style skimage: skimage.feature.hog)")


@operation(params=PARAMS, rules=_hog_rules, tolerance=Tolerance(relative=1e-4), goal=Tolerance(relative=1e-6),
           result_dtype="float32", features=True, bench=({"style": "opencv"}, {"style": "skimage"}),
           peer="imgkit.peers:hog", **HOG)
def hog(image, *, style="opencv", orientations=9, cell=8, block=2, block_stride=1, block_norm="L2-Hys",
        signed=False, backend="numba"):
    """HOG feature vector of the whole image.

    Parameters
    ----------
    image : ndarray, H×W or H×W×C
        uint8 for ``style="opencv"`` (as ``cv2.HOGDescriptor``); uint8, uint16 or float32 for
        ``"skimage"``. Colour: at each pixel the channel with the strongest gradient (OpenCV: the
        first one on a tie; skimage: its argmax). An alpha channel (the 2nd or 4th) is ignored.
    style : {'opencv', 'skimage'}
        Whose HOG to compute (see Notes).
    orientations : int
        Orientation bins over 0–180° (0–360° with ``signed``), 1 to 360.
    cell : int
        Cell side in pixels.
    block : int
        Block side in cells.
    block_stride : int
        Step between blocks, in cells.
    block_norm : {'L2-Hys', 'L2', 'L1', 'L1-sqrt'}
        Block normalisation; OpenCV has L2-Hys only, so the others need ``style="skimage"``.
    signed : bool
        Orientations over 0–360° (OpenCV's ``signedGradient``); scikit-image has no such option,
        so this needs ``style="opencv"``.
    backend : {'numba', 'opencv'}
        ``"opencv"`` runs the reference: ``cv2.HOGDescriptor`` for the opencv style,
        ``skimage.feature.hog`` for the skimage style.

    Returns
    -------
    ndarray, float32, 1-D
        opencv: blocks column by column (x outer), each block's cells column by column, then
        the bins. skimage: its (block row, block column, cell row, cell column, bin) order.

    Raises
    ------
    ValueError
        If the image is smaller than one block (the message gives both sizes).

    Notes
    -----
    Both styles, in order:

    1. gradients: ``[-1, 0, 1]`` differences of the strongest channel; opencv on √-gamma
       values with the reflect-101 border, skimage with zeros on the outer rows and columns;
    2. orientation votes: opencv splits each pixel's magnitude between its two nearest bins
       (OpenCV's polynomial atan), skimage gives it whole to one bin (exact atan2, float32 edges);
    3. cell histograms: opencv weighs every pixel of a block by a Gaussian window (σ = half
       the block side) and bilinearly towards the four nearest cell centres; skimage takes the
       mean over each cell;
    4. block normalisation, blocks every ``block_stride`` cells.

    The opencv style crops the image to whole block steps, ``block·cell + k·block_stride·cell``
    pixels from the top-left corner, and treats the crop as OpenCV treats its window (borders
    reflected at the crop). The skimage style is ``skimage.feature.hog`` on the whole image
    (which uses whole cells only; gradients at the edge of the last cell see the pixels
    beyond it), keeping every ``block_stride``-th block in each direction.

    References
    ----------
    N. Dalal and B. Triggs, "Histograms of Oriented Gradients for Human Detection", CVPR 2005,
    886–893, doi:10.1109/CVPR.2005.177.
    """
    image, options = _checked(image, style, orientations, cell, block, block_stride, block_norm, signed, backend)
    if backend == "opencv":
        return _reference_features(image, style, options)
    return _numba_features(image, style, options)


@operation(params=PARAMS, rules=_picture_rules, tolerance=Tolerance(max_abs=1), goal=Tolerance(max_abs=1),
           result_dtype="uint8", bench=({"style": "opencv"},), **HOG)
def hog_image(image, *, style="opencv", orientations=9, cell=8, block=2, block_stride=1, block_norm="L2-Hys",
              signed=False, backend="numba"):
    """The HOG glyph picture: per cell, one line per orientation bin, across the bin's middle
    direction (along the edges it counts), as bright as the cell's value for that bin.

    Takes ``hog``'s arguments (``cell`` at least 2). The cell values are skimage's cell means
    for the skimage style; for the opencv style, each cell's normalised values averaged over the
    blocks that hold it. The lines are drawn as ``skimage.feature.hog(visualize=True)`` draws
    them; ``backend="opencv"`` draws the reference's values with ``skimage.draw.line`` (for
    the skimage style: skimage's own picture).

    Returns
    -------
    ndarray, uint8, H×W
        The picture at the image's size, scaled so that its brightest pixel is 255.
    """
    import numpy as np
    image, options = _checked(image, style, orientations, cell, block, block_stride, block_norm, signed, backend)
    if backend == "opencv":
        from ..reference import hog as reference
        if style == "skimage":
            return to_picture(reference.skimage_picture(image, **options))
        return to_picture(reference.draw_glyphs(_opencv_cells(image, options, backend), cell, image.shape[:2]))
    from ..kernels import hog as kernels
    if style == "skimage":
        cells = kernels.skimage_cells(_skimage_planes(image), options["orientations"], cell).astype(np.float64)
    else:
        cells = _opencv_cells(image, options, backend)
    picture = np.zeros(image.shape[:2], np.float64)
    kernels.draw_glyphs(cells, cell, picture)
    return to_picture(picture)


def _checked(image, style, orientations, cell, block, block_stride, block_norm, signed, backend):
    """The image without alpha, and the options as plain numbers."""
    options = {"orientations": int(orientations), "cell": int(cell), "block": int(block), "stride": int(block_stride)}
    if style == "opencv":
        options["signed"] = bool(signed)
    else:
        options["norm"] = block_norm
    image = _without_alpha(image)
    height, width = image.shape[:2]
    side = options["block"] * options["cell"]
    if height < side or width < side:
        raise ValueError(f"image is {width}×{height} pixels, smaller than one HOG block of {side}×{side} "
                         f"({options['block']} cells of {options['cell']} pixels)")
    _check_length(height, width, options)
    return image, options


def _check_length(height, width, options):
    """Refuse, before allocating it, a feature vector longer than MAX_FEATURES."""
    cell, block, stride = options["cell"], options["block"], options["stride"]
    blocks = ((height // cell - block) // stride + 1) * ((width // cell - block) // stride + 1)
    length = blocks * block * block * options["orientations"]
    if length > MAX_FEATURES:
        raise ValueError(f"the feature vector would hold {length:,} values, above {MAX_FEATURES:,} "
                         f"({blocks:,} blocks of {block}×{block} cells)")


def _without_alpha(image):
    if image.ndim == 3 and image.shape[2] in (2, 4):
        return image[:, :, :image.shape[2] - 1]
    return image


def cropped_size(height, width, cell, block, stride):
    """The opencv style's window: whole block steps from the top-left corner."""
    side, step = block * cell, stride * cell
    return side + (height - side) // step * step, side + (width - side) // step * step


def _skimage_planes(image):
    """Kernel input for the skimage style: uint16 as float32 (exact), to share its specialisation."""
    planes = as_planes(image)
    return planes.astype("float32") if planes.dtype == "uint16" else planes


def _numba_features(image, style, options):
    from ..kernels import hog as kernels
    if style == "opencv":
        height, width = cropped_size(*image.shape[:2], options["cell"], options["block"], options["stride"])
        return kernels.opencv_hog(as_planes(image), height, width, options["orientations"], options["cell"],
                                  options["block"], options["stride"], options["signed"])
    cells = kernels.skimage_cells(_skimage_planes(image), options["orientations"], options["cell"])
    return kernels.skimage_blocks(cells, options["block"], options["stride"], options["norm"])


def _reference_features(image, style, options):
    from ..reference import hog as reference
    if style == "skimage":
        return reference.skimage_hog(image, **options)
    height, width = cropped_size(*image.shape[:2], options["cell"], options["block"], options["stride"])
    return reference.opencv_hog(image[:height, :width], **options)


def _opencv_cells(image, options, backend):
    """The opencv style's per-cell values for the picture (see ``opencv_cell_means``)."""
    height, width = cropped_size(*image.shape[:2], options["cell"], options["block"], options["stride"])
    features = (_reference_features if backend == "opencv" else _numba_features)(image, "opencv", options)
    return opencv_cell_means(features, height, width, options)


def opencv_cell_means(features, height, width, options):
    """Each cell's values averaged over the blocks that hold it, from opencv-style features of a
    ``height``×``width`` window; cells in no block stay 0. float64 (rows, columns, bins)."""
    import numpy as np
    cell, block, stride, nbins = options["cell"], options["block"], options["stride"], options["orientations"]
    blocks_y, blocks_x = (height // cell - block) // stride + 1, (width // cell - block) // stride + 1
    blocks = features.reshape(blocks_x, blocks_y, block, block, nbins).astype(np.float64)
    sums = np.zeros((height // cell, width // cell, nbins))
    counts = np.zeros((height // cell, width // cell, 1))
    for cx in range(block):
        for cy in range(block):
            rows = slice(cy, cy + stride * (blocks_y - 1) + 1, stride)
            cols = slice(cx, cx + stride * (blocks_x - 1) + 1, stride)
            sums[rows, cols] += blocks[:, :, cx, cy].transpose(1, 0, 2)
            counts[rows, cols] += 1
    return sums / np.maximum(counts, 1)


def to_picture(picture):
    """A float picture as uint8, its maximum at 255 (all 0 if it has no positive value)."""
    import numpy as np
    peak = float(picture.max(initial=0.0))
    if peak <= 0:
        return np.zeros(picture.shape, np.uint8)
    return np.rint(np.clip(picture, 0, None) * (255.0 / peak)).astype(np.uint8)


command("hog", help="HOG features (Dalal & Triggs) of the whole image, as a float32 vector: --style opencv equals "
                    "cv2.HOGDescriptor with its window = the image cropped to whole block steps from the top-left "
                    "corner (Gaussian block window, bilinear votes, √ gamma, L2-Hys); --style skimage equals "
                    "skimage.feature.hog (whole cells, hard bins, block stride: every Nth of its blocks). Colour: at "
                    "each pixel the channel with the strongest gradient, as each reference does; an alpha channel is "
                    "ignored; the opencv style takes 8-bit images only. Output: .npy (default) or .csv (one line) "
                    "per image; -o NAME.npz gathers a batch into one archive, one array per input keyed by its "
                    "relative path, written once at the end (failed inputs are absent). An image smaller than one "
                    "block is an error for that input.",
        options=hog.operation.params, op="hog", default_format="npy",
        examples=("imgkit hog photo.jpg -o photo_hog.npy", "imgkit hog 'photos/*.jpg' -o features.npz",
                  "imgkit hog photo.jpg --style skimage --visualize glyphs.png -o photo_hog.csv"))
