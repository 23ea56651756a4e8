"""Detection boxes laid out as NMS meets them, for the bench, warmup and the worst-case tests.

- ``clustered``: a detector's raw output, several jittered boxes around each object (dense);
- ``random``: boxes of 8 to 256 pixels anywhere on the image (sparse);
- ``crossing``: long thin boxes, half lying and half standing, that cross one another, so most
  pairs overlap in their x and y ranges while almost none overlap by IoU: the case that makes a
  sweep on x, or any index of extents alone, quadratic.

Each returns (xyxy boxes float64, scores float32, class ids int64), the same for the same seed.
"""

import numpy as np

WIDTH, HEIGHT, CLASSES = 3840, 2160, 80
PER_OBJECT = 8          # clustered: boxes per object, on average


def clustered(count, seed=0, width=WIDTH, height=HEIGHT, classes=CLASSES):
    """About PER_OBJECT jittered boxes around each object; objects of 8 to 64 pixels."""
    rng = np.random.default_rng(seed)
    objects = max(1, count // PER_OBJECT)
    sizes = rng.uniform(8, 64, (objects, 2))
    centres = rng.uniform((0, 0), (width, height), (objects, 2))
    owner = rng.integers(0, objects, count)
    jitter = rng.normal(0, 0.1, (count, 4))
    centre = centres[owner] + jitter[:, :2] * sizes[owner]
    size = sizes[owner] * np.exp(jitter[:, 2:])
    boxes = np.hstack([centre - size / 2, centre + size / 2])
    labels = rng.integers(0, classes, objects)[owner]
    return boxes, rng.random(count).astype(np.float32), labels


def random(count, seed=0, width=WIDTH, height=HEIGHT, classes=CLASSES):
    """Boxes of 8 to 256 pixels a side, uniformly anywhere."""
    rng = np.random.default_rng(seed)
    size = rng.uniform(8, 256, (count, 2))
    corner = rng.uniform((0, 0), (width, height), (count, 2)) - size / 2
    boxes = np.hstack([corner, corner + size])
    return boxes, rng.random(count).astype(np.float32), rng.integers(0, classes, count)


def crossing(count, seed=0, width=WIDTH, height=HEIGHT, classes=CLASSES):
    """Thin boxes (2 to 12 pixels thick, a quarter to the whole of the image long), half lying
    and half standing, crossing one another."""
    rng = np.random.default_rng(seed)
    lying = rng.random(count) < 0.5
    thick = rng.uniform(2, 12, count)
    extent = np.where(lying, width, height)
    long = rng.uniform(0.25, 1.0, count) * extent
    start = rng.uniform(0, 1, count) * (extent - long)
    across = rng.uniform(0, 1, count) * (np.where(lying, height, width) - thick)
    x0 = np.where(lying, start, across)
    y0 = np.where(lying, across, start)
    boxes = np.stack([x0, y0, x0 + np.where(lying, long, thick), y0 + np.where(lying, thick, long)], axis=1)
    return boxes, rng.random(count).astype(np.float32), rng.integers(0, classes, count)


LAYOUTS = {"clustered": clustered, "random": random, "crossing": crossing}


def detections(count, layout="clustered", seed=0, integer=False):
    """``count`` boxes in ``layout`` (a key of LAYOUTS) on a 4K image; ``integer`` rounds them."""
    boxes, scores, classes = LAYOUTS[layout](count, seed)
    return (np.round(boxes) if integer else boxes), scores, classes
