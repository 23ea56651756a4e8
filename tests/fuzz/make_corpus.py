"""Write the fuzz harness's seed corpus, ``tests/fuzz/corpus/<format>/``: a few tiny, valid files
of every format the command line reads (a few KB in all), each a different variant (depth,
channels, compression, layout), so that mutations start from every header shape.

    python tests/fuzz/make_corpus.py      (the output is committed; rerun only to change it)
"""

import io
import json
import shutil
from pathlib import Path

import cv2
import numpy as np

CORPUS = Path(__file__).resolve().parent / "corpus"


def pixels(shape, dtype=np.uint8, seed=0):
    top = np.iinfo(dtype).max if np.dtype(dtype).kind in "ui" else 1.0
    return (np.random.default_rng(seed).random(shape) * top).astype(dtype)


def encoded(extension, image, params=()):
    ok, data = cv2.imencode(extension, image, list(params))
    assert ok, extension
    return data.tobytes()


def npy(array):
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def npz(**arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


BOXES = [[2, 3, 12, 14], [4, 4, 13, 15], [30, 30, 41, 38]]
SCORES = [0.9, 0.75, 0.5]
CLASSES = [0, 0, 2]


def seeds():
    """(format, file name, bytes) of every seed."""
    yield "png", "gray.png", encoded(".png", pixels((4, 4)))
    yield "png", "bgra.png", encoded(".png", pixels((3, 2, 4), seed=1))
    yield "png", "deep.png", encoded(".png", pixels((2, 3), np.uint16, seed=2))
    yield "jpg", "baseline.jpg", encoded(".jpg", pixels((8, 8, 3), seed=3), (cv2.IMWRITE_JPEG_QUALITY, 50))
    yield "jpg", "progressive.jpg", encoded(".jpg", pixels((8, 16), seed=4),
                                            (cv2.IMWRITE_JPEG_QUALITY, 50, cv2.IMWRITE_JPEG_PROGRESSIVE, 1))
    yield "tiff", "bgr.tiff", encoded(".tiff", pixels((4, 4, 3), seed=5))
    yield "tiff", "float.tiff", encoded(".tiff", pixels((2, 2), np.float32, seed=6))
    yield "bmp", "bgr.bmp", encoded(".bmp", pixels((3, 4, 3), seed=7))
    yield "bmp", "gray.bmp", encoded(".bmp", pixels((2, 2), seed=8))
    yield "webp", "lossy.webp", encoded(".webp", pixels((4, 4, 3), seed=9), (cv2.IMWRITE_WEBP_QUALITY, 50))
    yield "webp", "lossless.webp", encoded(".webp", pixels((3, 3, 4), seed=10))
    yield "pnm", "gray.pgm", encoded(".pgm", pixels((3, 3), seed=11))
    yield "pnm", "colour.ppm", encoded(".ppm", pixels((2, 3, 3), seed=12))
    yield "pnm", "text.pgm", b"P2\n# plain\n3 2\n255\n0 128 255\n1 2 3\n"
    yield "npy", "gray.npy", npy(pixels((4, 4), seed=13))
    yield "npy", "float.npy", npy(pixels((2, 2, 3), np.float32, seed=14))
    yield "npy", "spectrum.npy", npy(np.fft.fft2(pixels((2, 3), np.float32, seed=15)).astype(np.complex64))
    yield "npz", "features.npz", npz(a=pixels((3,), np.float32, seed=16), b=pixels((2, 2), seed=17))
    objects = [{"box": b, "score": s, "class": c, "id": i} for i, (b, s, c) in enumerate(zip(BOXES, SCORES, CLASSES))]
    yield "json", "objects.json", json.dumps(objects).encode()
    yield "json", "arrays.json", json.dumps({"boxes": BOXES, "scores": SCORES, "classes": CLASSES}).encode()
    rows = ["x1,y1,x2,y2,score,class,name"] + [",".join(map(str, b + [s, c, f'"n {i}"']))
                                                for i, (b, s, c) in enumerate(zip(BOXES, SCORES, CLASSES))]
    yield "csv", "xyxy.csv", ("\n".join(rows) + "\n").encode()
    yield "csv", "xywh.csv", b"x,y,w,h,score\n1,1,5,5,0.8\n2,2,5,5,0.7\n"
    yield "yolo", "conf.txt", b"0 0.5 0.5 0.2 0.2 0.9\n0 0.52 0.5 0.2 0.2 0.8\n3 0.1 0.1 0.05 0.05 0.4\n"
    yield "yolo", "plain.txt", b"1 0.25 0.25 0.1 0.1\n1 0.75 0.75 0.1 0.1\n"


def main():
    shutil.rmtree(CORPUS, ignore_errors=True)
    total = 0
    for fmt, name, data in seeds():
        (CORPUS / fmt).mkdir(parents=True, exist_ok=True)
        (CORPUS / fmt / name).write_bytes(data)
        total += len(data)
    print(f"{CORPUS}: {total:,} bytes")


if __name__ == "__main__":
    main()
