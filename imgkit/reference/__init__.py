"""The OpenCV path behind ``--reference``: the same operations computed by cv2 alone.

Functions here take parameters already validated and resolved by ``imgkit.ops`` (explicit
kernel sizes, border codes) and never call imgkit's own kernels.
"""
