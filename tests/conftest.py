"""Shared test data: the bundled photos, random images and a 4K version of a photo."""

from pathlib import Path

import cv2
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
PHOTOS = ROOT / "fixtures" / "photos"
BAD = ROOT / "fixtures" / "bad"
PHOTO_NAMES = sorted(p.name for p in PHOTOS.iterdir())

# Sizes every kernel must handle: 1×1, 1×N, N×1, odd and even, smaller than most kernels.
EDGE_SHAPES = [(1, 1), (1, 7), (7, 1), (2, 3), (5, 4), (16, 17), (31, 64)]


def photo(name, gray=False):
    flags = cv2.IMREAD_GRAYSCALE if gray else cv2.IMREAD_COLOR
    return cv2.imread(str(PHOTOS / name), flags)


def at_4k(image):
    """A photo stretched to 3840×2160, the size the accuracy targets are stated at."""
    return cv2.resize(image, (3840, 2160), interpolation=cv2.INTER_CUBIC)


def random_image(shape, dtype, seed=0):
    """Random pixels over the dtype's whole range (float32: 0–255 with fractions)."""
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    if dtype == np.float32:
        return (rng.random(shape) * 255).astype(np.float32)
    return rng.integers(0, np.iinfo(dtype).max, shape, dtype=dtype, endpoint=True)


@pytest.fixture(params=PHOTO_NAMES)
def photo_name(request):
    return request.param
