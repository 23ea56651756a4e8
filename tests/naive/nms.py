"""Slow, obviously-correct NMS: OpenCV's conventions written as plain loops over Python floats.

Boxes are (x, y, w, h) tuples of Python floats (doubles, as OpenCV's Rect2d); the overlap is
rounded to float32 where OpenCV rounds it, and scores and thresholds are float32 as OpenCV
takes them. Every candidate is compared with every kept box: no spatial pruning.
"""

import math

import numpy as np

DOUBLE_EPSILON = 2.220446049250313e-16
F32 = np.float32


def intersection_area(a, b):
    """``Rect2d(a) & Rect2d(b)``: the box with the smaller x (on a tie, ``b``) is the left one."""
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    if aw <= 0 or ah <= 0 or bw <= 0 or bh <= 0:
        return 0.0
    left, right = (a, b) if ax < bx else (b, a)
    upper, lower = (a, b) if ay < by else (b, a)
    if left[0] < 0 and left[0] + left[2] < right[0]:
        return 0.0
    if upper[1] < 0 and upper[1] + upper[3] < lower[1]:
        return 0.0
    width = min(left[2] - (right[0] - left[0]), right[2])
    height = min(upper[3] - (lower[1] - upper[1]), lower[3])
    if width <= 0 or height <= 0:
        return 0.0
    return width * height


def overlap(a, b):
    """OpenCV's ``rectOverlap``: 1 - float(jaccardDistance), in float32."""
    area_a = a[2] * a[3]
    area_b = b[2] * b[3]
    if area_a + area_b <= DOUBLE_EPSILON:
        distance = 0.0
    else:
        inter = intersection_area(a, b)
        distance = 1.0 - inter / (area_a + area_b - inter)
    return F32(1.0) - F32(distance)


def greedy_nms(boxes, scores, score_threshold, iou_threshold, eta=1.0, top_k=0):
    threshold = F32(iou_threshold)
    candidates = [i for i in range(len(scores)) if F32(scores[i]) > F32(score_threshold)]
    candidates.sort(key=lambda i: -F32(scores[i]))      # Python's sort is stable: ties keep index order
    if top_k > 0:
        candidates = candidates[:top_k]
    kept = []
    for i in candidates:
        suppressed = False
        for k in kept:
            if overlap(boxes[i], boxes[k]) > threshold:
                suppressed = True
        if not suppressed:
            kept.append(i)
            if F32(eta) < 1 and threshold > 0.5:
                threshold = F32(threshold * F32(eta))
    return kept


def batched_nms(boxes, scores, classes, score_threshold, iou_threshold, eta=1.0, top_k=0):
    """OpenCV's batched NMS: one greedy pass over boxes shifted by class·(largest coordinate + 1)."""
    largest = 0.0
    for x, y, w, h in boxes:
        largest = max(largest, x, y, x + w, y + h)
    shifted = []
    for (x, y, w, h), label in zip(boxes, classes):
        offset = int(label) * (largest + 1)
        shifted.append((x + offset, y + offset, w, h))
    return greedy_nms(shifted, scores, score_threshold, iou_threshold, eta, top_k)


def soft_nms(boxes, scores, score_threshold, iou_threshold, sigma, linear, top_k=0):
    current = [F32(s) for s in scores]
    remaining = list(range(len(scores)))
    limit = len(scores) if top_k == 0 else min(top_k, len(scores))
    picked, picked_scores = [], []
    while len(picked) < limit and remaining:
        best = max(remaining, key=lambda i: (current[i], -i))      # ties: the lowest index
        if current[best] < F32(score_threshold):
            break
        picked.append(best)
        picked_scores.append(current[best])
        remaining.remove(best)
        for i in remaining:
            if current[i] < F32(score_threshold):
                continue
            o = overlap(boxes[best], boxes[i])
            if linear:
                if o > F32(iou_threshold):
                    current[i] = F32(current[i] * (F32(1.0) - o))
            else:
                exponent = F32(-(o * o) / F32(sigma))
                # exp(float) in float32, correctly rounded through double
                current[i] = F32(current[i] * F32(math.exp(float(exponent))))
    return picked, picked_scores
