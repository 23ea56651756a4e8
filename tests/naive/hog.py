"""Slow, obviously-correct HOG in both references' flavours (REFERENCE_NOTES §5). Small images only.

``opencv``: ``cv2.HOGDescriptor`` with the window = the whole (already cropped) image, written
the way its source reads: per pixel the √-gamma gradient with the reflect-101 border, the
strongest channel, the fastAtan angle and the linear vote into two bins; per block, every pixel
weighted by the Gaussian window and bilinearly by its distance to the cell centres, in float32;
L2-Hys; blocks column-major. ``skimage``: ``skimage.feature.hog`` with its central differences,
its hard float32 bin edges, the mean over each cell's pixels and its four norms.
"""

import math

import numpy as np

F = np.float32
ATAN = [F(c * F(180 / math.pi)) for c in
        (0.9997878412794807, -0.3258083974640975, 0.1555786518463281, -0.04432655554792128)]


def fast_atan_degrees(y, x):
    """OpenCV's polynomial atan2 in float32 degrees, 0 ≤ a < 360."""
    ax, ay = abs(x), abs(y)
    eps = F(2.220446049250313e-16)
    p1, p3, p5, p7 = ATAN
    if ax >= ay:
        c = ay / (ax + eps)
        a = (((p7 * c * c + p5) * c * c + p3) * c * c + p1) * c
    else:
        c = ax / (ay + eps)
        a = F(90) - (((p7 * c * c + p5) * c * c + p3) * c * c + p1) * c
    if x < 0:
        a = F(180) - a
    if y < 0:
        a = F(360) - a
    return F(a)


def reflect101(i, n):
    if n == 1:
        return 0
    while not 0 <= i < n:
        i = -i if i < 0 else 2 * n - 2 - i
    return i


def opencv_gradient(image, nbins, signed):
    """Per pixel: (m0, m1, h0, h1), the magnitude split between two neighbouring bins."""
    H, W, C = image.shape
    lut = [F(np.sqrt(F(i))) for i in range(256)]
    scale = F(nbins / (2 * math.pi)) if signed else F(nbins / math.pi)
    votes = {}
    for y in range(H):
        for x in range(W):
            best = None
            for c in range(C):        # ties go to the lowest channel
                dx = lut[image[y, reflect101(x + 1, W), c]] - lut[image[y, reflect101(x - 1, W), c]]
                dy = lut[image[reflect101(y + 1, H), x, c]] - lut[image[reflect101(y - 1, H), x, c]]
                mag2 = dx * dx + dy * dy
                if best is None or mag2 > best[0]:
                    best = (mag2, F(dx), F(dy))
            _, dx, dy = best
            magnitude = F(np.sqrt(dx * dx + dy * dy))
            angle = fast_atan_degrees(dy, dx) * F(math.pi / 180) * scale - F(0.5)
            h0 = math.floor(angle)
            alpha = F(angle - F(h0))
            h0 %= nbins
            votes[y, x] = (magnitude * (F(1) - alpha), magnitude * alpha, h0, (h0 + 1) % nbins)
    return votes


def opencv_hog(image, orientations=9, cell=8, block=2, stride=1, signed=False):
    """``cv2.HOGDescriptor((W, H), block·cell, stride·cell, cell, orientations).compute``, gamma on."""
    image = image[:, :, None] if image.ndim == 2 else image
    H, W, _ = image.shape
    votes = opencv_gradient(image, orientations, signed)
    size, step = block * cell, stride * cell
    sigma = F(size / 4)                  # winSigma: (block width + block height) / 8
    gauss_scale = F(1) / (sigma * sigma * F(2))
    features = []
    for bx in range(0, W - size + 1, step):          # blocks column-major
        for by in range(0, H - size + 1, step):
            hist = np.zeros((block, block, orientations), np.float32)   # [cell x][cell y][bin]
            for j in range(size):
                for i in range(size):
                    di, dj = F(i) - F(size / 2), F(j) - F(size / 2)
                    weight = F(np.exp(-(di * di + dj * dj) * gauss_scale))
                    m0, m1, h0, h1 = votes[by + i, bx + j]
                    for cx, wx in cell_weights(j, cell, block):
                        for cy, wy in cell_weights(i, cell, block):
                            w = weight * (wx * wy)
                            hist[cx, cy, h0] += m0 * w
                            hist[cx, cy, h1] += m1 * w
            features.extend(l2_hys_opencv(hist.ravel()))
    return np.array(features, np.float32)


def cell_weights(offset, cell, block):
    """Bilinear weights of a pixel ``offset`` pixels into the block towards the cells it
    lies between (cells outside the block are dropped, their share lost)."""
    position = F((offset + F(0.5)) / F(cell) - F(0.5))
    first = math.floor(position)
    fraction = F(position - F(first))
    pairs = [(first, F(1) - fraction), (first + 1, fraction)]
    return [(c, w) for c, w in pairs if 0 <= c < block]


def l2_hys_opencv(values):
    values = values.astype(np.float32)
    norm = F(np.sqrt(np.sum(values * values, dtype=np.float32)))
    clipped = np.minimum(values * (F(1) / (norm + F(0.1) * F(len(values)))), F(0.2)).astype(np.float32)
    norm = F(np.sqrt(np.sum(clipped * clipped, dtype=np.float32)))
    return clipped * (F(1) / (norm + F(1e-3)))


def skimage_hog(image, orientations=9, cell=8, block=3, stride=1, norm="L2-Hys"):
    """``skimage.feature.hog(image, orientations, (cell, cell), (block, block), norm)`` (colour:
    ``channel_axis=-1``), every ``stride``-th block in each direction."""
    image = image[:, :, None] if image.ndim == 2 else image
    image = image.astype(np.float64) if image.dtype != np.float32 else image
    H, W, C = image.shape
    edges = [float(F(180.0 / orientations * i)) for i in range(orientations + 1)]
    magnitude = np.zeros((H, W))
    angle = np.zeros((H, W))
    for y in range(H):
        for x in range(W):
            best = None
            for c in range(C):       # central differences, zero on the image's outer pixels
                gy = image[y + 1, x, c] - image[y - 1, x, c] if 0 < y < H - 1 else 0.0
                gx = image[y, x + 1, c] - image[y, x - 1, c] if 0 < x < W - 1 else 0.0
                m = math.hypot(gx, gy)
                if best is None or m > best[0]:
                    best = (m, float(gx), float(gy))
            _, gx, gy = best
            magnitude[y, x] = math.hypot(gx, gy)
            angle[y, x] = (math.atan2(gy, gx) * (180 / math.pi)) % 180
    rows, cols = H // cell, W // cell
    hist = np.zeros((rows, cols, orientations))
    for r in range(rows):
        for c in range(cols):
            for o in range(orientations):
                total = F(0)
                for y in range(r * cell, (r + 1) * cell):
                    for x in range(c * cell, (c + 1) * cell):
                        if edges[o] <= angle[y, x] < edges[o + 1]:
                            total = F(total + magnitude[y, x])
                hist[r, c, o] = F(total / F(cell * cell))
    blocks = []
    for r in range(0, rows - block + 1, stride):
        for c in range(0, cols - block + 1, stride):
            blocks.append(normalise(hist[r:r + block, c:c + block].ravel(), norm))
    return np.concatenate(blocks).astype(np.float32)


def normalise(v, norm, eps=1e-5):
    if norm == "L1":
        return v / (np.abs(v).sum() + eps)
    if norm == "L1-sqrt":
        return np.sqrt(v / (np.abs(v).sum() + eps))
    v = v / np.sqrt((v * v).sum() + eps * eps)
    if norm == "L2-Hys":
        v = np.minimum(v, 0.2)
        v = v / np.sqrt((v * v).sum() + eps * eps)
    return v
