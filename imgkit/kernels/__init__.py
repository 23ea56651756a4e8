"""Numba kernels: arrays in, arrays out. No I/O, no cv2, nothing from the layers above.

Every image kernel takes *planes*: a C-contiguous ``(H, W, C)`` array (C ≥ 1, channels
interleaved as OpenCV stores them) of uint8, uint16 or float32, and returns the same layout.
"""
