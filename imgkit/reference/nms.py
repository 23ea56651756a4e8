"""The reference NMS: ``cv2.dnn.NMSBoxes`` / ``NMSBoxesBatched`` on double-precision (Rect2d)
boxes, and ``cv2.dnn.softNMSBoxes``, which takes integer rectangles only."""

import cv2
import numpy as np

SOFT_METHODS = {"gaussian": cv2.dnn.SoftNMSMethod_SOFTNMS_GAUSSIAN,
                "linear": cv2.dnn.SoftNMSMethod_SOFTNMS_LINEAR}
INT_RECT_LIMIT = 32767      # so that OpenCV's int areas (w·h, summed) cannot overflow


def nms(x, y, w, h, scores, classes, score, iou, eta, top_k):
    boxes = np.stack([x, y, w, h], axis=1)
    if classes is None:
        kept = cv2.dnn.NMSBoxes(boxes, scores, score, iou, eta, top_k)
    else:
        kept = cv2.dnn.NMSBoxesBatched(boxes, scores, classes.astype(np.int32), score, iou, eta, top_k)
    return np.asarray(kept, np.int64).reshape(-1)


def soft_nms(x, y, w, h, scores, score, iou, sigma, method, top_k):
    boxes = np.stack([x, y, w, h], axis=1)
    if not ((boxes == np.round(boxes)).all() and np.abs(boxes).max() <= INT_RECT_LIMIT):
        raise ValueError("cv2.dnn.softNMSBoxes takes integer boxes: backend='opencv' needs integer "
                         f"coordinates and sizes within ±{INT_RECT_LIMIT}")
    updated, kept = cv2.dnn.softNMSBoxes(boxes.astype(np.int32), scores, score, iou, top_k, sigma,
                                         SOFT_METHODS[method])
    return np.asarray(kept, np.int64).reshape(-1), np.asarray(updated, np.float32).reshape(-1)
