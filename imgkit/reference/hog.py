"""The HOG references: ``cv2.HOGDescriptor`` for the opencv style, ``skimage.feature.hog`` for the
skimage style (the two functions SPEC §5 names), and skimage's own line drawing for the picture."""

import cv2
import numpy as np


def opencv_hog(window, orientations, cell, block, stride, signed):
    """``cv2.HOGDescriptor`` whose window is the whole ``window`` (uint8, already cropped to
    whole block steps): default Gaussian window, √ gamma, L2-Hys 0.2."""
    height, width = window.shape[:2]
    descriptor = cv2.HOGDescriptor((width, height), (block * cell, block * cell), (stride * cell, stride * cell),
                                   (cell, cell), orientations, 1, -1, cv2.HOGDescriptor_L2Hys, 0.2, True,
                                   cv2.HOGDescriptor_DEFAULT_NLEVELS, signed)
    return descriptor.compute(np.ascontiguousarray(window)).ravel()


def skimage_hog(image, orientations, cell, block, stride, norm):
    """``skimage.feature.hog`` with square cells and blocks, every ``stride``-th block kept."""
    from skimage.feature import hog
    blocks = hog(image, orientations, (cell, cell), (block, block), norm, feature_vector=False,
                 channel_axis=-1 if image.ndim == 3 else None)
    return blocks[::stride, ::stride].astype(np.float32).ravel()


def skimage_picture(image, orientations, cell, block, stride, norm):
    """The picture ``skimage.feature.hog(..., visualize=True)`` draws (float)."""
    from skimage.feature import hog
    return hog(image, orientations, (cell, cell), (block, block), norm, visualize=True,
               channel_axis=-1 if image.ndim == 3 else None)[1]


def draw_glyphs(cells, cell, shape):
    """``cells`` (rows, columns, bins) drawn as skimage's ``visualize`` draws its histograms."""
    from skimage.draw import line
    rows, cols, nbins = cells.shape
    picture = np.zeros(shape, np.float64)
    radius = cell // 2 - 1
    middles = np.pi * (np.arange(nbins) + 0.5) / nbins
    for b, (dr, dc) in enumerate(zip(radius * np.sin(middles), radius * np.cos(middles))):
        for r in range(rows):
            for c in range(cols):
                cr, cc = r * cell + cell // 2, c * cell + cell // 2
                picture[line(int(cr - dc), int(cc + dr), int(cr + dc), int(cc - dr))] += cells[r, c, b]
    return picture
