"""Border extrapolation, exactly as ``cv::borderInterpolate`` defines it.

Kernels never branch on the border in their inner loops: they build an index map once per
call (``border_map``) and gather a padded row or column through it.
"""

import numpy as np
from numba import njit

from ..options import (BORDER_REFLECT, BORDER_REFLECT101,
                       BORDER_REPLICATE, BORDER_WRAP)


@njit(cache=True, nogil=True)
def border_index(p, n, border):
    """Source index for position ``p`` of a line of length ``n``; -1 means "the constant"."""
    if 0 <= p < n:
        return p
    if border == BORDER_REPLICATE:
        return 0 if p < 0 else n - 1
    if border == BORDER_REFLECT or border == BORDER_REFLECT101:
        if n == 1:
            return 0
        delta = 1 if border == BORDER_REFLECT101 else 0
        while p < 0 or p >= n:
            if p < 0:
                p = -p - 1 + delta
            else:
                p = n - 1 - (p - n) - delta
        return p
    if border == BORDER_WRAP:
        return p % n  # Python's modulo is already non-negative
    return -1  # BORDER_CONSTANT


@njit(cache=True, nogil=True)
def border_map(n, before, after, border):
    """Indices of a line of length ``n`` padded by ``before`` and ``after`` elements."""
    out = np.empty(n + before + after, np.int64)
    for i in range(out.size):
        out[i] = border_index(i - before, n, border)
    return out
