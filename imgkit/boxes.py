"""Detection files: reading the boxes, scores and classes ``imgkit nms`` filters, writing the kept ones.

Three formats; the extension tells which (a file named otherwise is recognised by its content):

- JSON (``.json``): a list of objects ``{"box": [4 numbers], "score": number, "class": integer}``
  (``class`` optional, other keys kept as they are), or one object of parallel arrays
  ``{"boxes": [[4 numbers], ...], "scores": [...], "classes": [...]}`` (``classes`` optional).
- CSV (``.csv``): a header row, then one detection a row. The columns: the box format's four
  (``x1,y1,x2,y2`` for xyxy, ``x,y,w,h`` for xywh, ``cx,cy,w,h`` for cxcywh), ``score``, and
  optionally ``class``; other columns are kept as they are.
- YOLO (``.txt``): one detection a line, ``class cx cy w h [conf]``, coordinates normalised to the
  image size; always cxcywh, whatever ``--box-format`` says; a file without ``conf`` scores 1.

A box of negative size, a coordinate or score that is not a finite number, a missing field or a
class that is not an integer is an error naming the file and the item (JSON) or line (CSV, YOLO).

Limits, so that a hostile file costs about a second at most and never a crash:

- ``MAX_BYTES`` (8 MiB, some 80 bytes for each of ``MAX_DETECTIONS``): a larger file is refused
  from its size before it is read (``read_file``), or from its length (``read``).
- ``MAX_DETECTIONS`` (100,000, the largest case ``imgkit bench`` times): refused as soon as counted.
- ``MAX_LINES`` (CSV and YOLO, blank lines included) and ``MAX_CONTAINERS`` (JSON arrays and
  objects: every ``[`` and ``{``, even within strings), 400,000 each: counted before parsing,
  whose cost grows with them (8 MiB of ``[],`` would take json 1–2 s).
- ``MAX_DIGITS`` (300) in a JSON integer: no coordinate, score or class needs more (float()
  overflows past 309; int() refuses past 4,300 in words for programmers).

Every other parse failure (bad UTF-8, JSON nested deeper than Python's decoder goes, a CSV field
over the csv module's 131,072 characters) is one error naming the file too. JSON's ``NaN`` and
``Infinity`` are read, so that a box or score holding one gets the error above that names it.
"""

import csv
import io
import json
import math
import os
import reprlib
from dataclasses import dataclass

import numpy as np

from . import io as image_io
from .io import ImageError

EXTENSIONS = {"json": "json", "csv": "csv", "txt": "yolo"}     # extension → format
KINDS = ("json", "csv", "yolo")
CSV_BOX_COLUMNS = {"xyxy": ("x1", "y1", "x2", "y2"), "xywh": ("x", "y", "w", "h"), "cxcywh": ("cx", "cy", "w", "h")}
MAX_BYTES = 8 * 2**20           # the limits: see the module docstring
MAX_DETECTIONS = 100_000
MAX_LINES = MAX_CONTAINERS = 4 * MAX_DETECTIONS
MAX_DIGITS = 300


@dataclass
class Detections:
    """One file's detections, and what it takes to write a subset back in the same form."""
    kind: str                   # "json", "csv" or "yolo"
    box_format: str
    boxes: np.ndarray           # (N, 4) float64, in box_format
    scores: np.ndarray          # (N,) float64
    classes: np.ndarray | None  # (N,) int64, or None when the file gives none
    records: list               # per detection: its JSON object, CSV row (a list) or YOLO fields
    layout: object = None       # JSON: the parallel-arrays object (None for a list); CSV: the header


# ---------------------------------------------------------------- reading

def read_file(path, box_format="xyxy"):
    """Read and parse the detection file at ``path`` (``-``: stdin) as ``read`` does; a regular
    file over ``MAX_BYTES`` is refused from its size, before any of it is read."""
    try:
        size = os.stat(path).st_size if path != "-" else 0
    except OSError:
        size = 0    # io.read_bytes gives the reason
    _check_size(path, size)
    return read(path, image_io.read_bytes(path, max_bytes=MAX_BYTES), box_format)


def read(path, data, box_format="xyxy"):
    """Parse the bytes ``data`` of the file ``path``; raises ``ImageError(path, reason)``."""
    _check_size(path, len(data))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImageError(path, "not a detection file (not UTF-8 text)") from None
    kind = EXTENSIONS.get(os.path.splitext(path)[1].lower().lstrip(".")) or _sniff(text)
    try:
        if kind == "json":
            return _read_json(text, box_format)
        if kind == "csv":
            return _read_csv(text, box_format)
        return _read_yolo(text)
    except ValueError as error:
        raise ImageError(path, str(error)) from None


def _check_size(path, size):
    if size > MAX_BYTES:
        raise ImageError(path, f"{size / 2**20:.1f} MiB is too large for a detection file "
                               f"(at most {MAX_BYTES // 2**20} MiB)")


def _check_lines(text):
    if text.count("\n") > MAX_LINES:
        raise ValueError(f"more than {MAX_LINES:,} lines")


def _check_count(count):
    if count > MAX_DETECTIONS:
        raise ValueError(f"more than {MAX_DETECTIONS:,} detections")


def _sniff(text):
    start = text.lstrip()[:1]
    if start in ("[", "{"):
        return "json"
    first = text.lstrip().split("\n", 1)[0]
    return "csv" if any(c.isalpha() for c in first) else "yolo"


def _read_json(text, box_format):
    if text.count("[") + text.count("{") > MAX_CONTAINERS:
        raise ValueError(f"more than {MAX_CONTAINERS:,} JSON arrays and objects")
    try:
        document = json.loads(text, parse_int=_json_integer)
    except json.JSONDecodeError as error:
        raise ValueError(f"bad JSON: {error.msg} at line {error.lineno} column {error.colno}") from None
    except RecursionError:
        raise ValueError("bad JSON: nested too deeply") from None
    if isinstance(document, dict):
        return _read_json_arrays(document, box_format)
    if not isinstance(document, list):
        raise ValueError("JSON must be a list of {\"box\", \"score\", \"class\"} objects or an object of "
                         "\"boxes\", \"scores\" (and \"classes\") arrays")
    _check_count(len(document))
    boxes, scores, classes = [], [], []
    has_class = any(isinstance(item, dict) and "class" in item for item in document)
    for number, item in enumerate(document):
        where = f"item {number}"
        if not isinstance(item, dict):
            raise ValueError(f"{where}: expected an object with \"box\" and \"score\", got {_short(item)}")
        for key in ("box", "score") + (("class",) if has_class else ()):
            if key not in item:
                raise ValueError(f"{where}: {key} is missing" + (" (other items have one)" if key == "class" else ""))
        boxes.append(_box(item["box"], box_format, where))
        scores.append(_number(item["score"], "score", where))
        if has_class:
            classes.append(_class(item["class"], where))
    return _detections("json", box_format, boxes, scores, classes if has_class else None, list(document))


def _json_integer(literal):
    """A JSON integer as an int, refusing one of more than MAX_DIGITS digits before converting it."""
    digits = len(literal.lstrip("-"))
    if digits > MAX_DIGITS:
        raise ValueError(f"bad JSON: an integer of {digits:,} digits (a coordinate, score or class has at most "
                         f"{MAX_DIGITS})")
    return int(literal)


def _read_json_arrays(document, box_format):
    for key in ("boxes", "scores"):
        if not isinstance(document.get(key), list):
            raise ValueError(f"\"{key}\" is missing or not a list")
    count = len(document["boxes"])
    _check_count(count)
    names = ["scores"] + (["classes"] if "classes" in document else [])
    for key in names:
        if not isinstance(document[key], list) or len(document[key]) != count:
            raise ValueError(f"\"{key}\" must be a list as long as \"boxes\" ({count})")
    boxes = [_box(box, box_format, f"item {i}") for i, box in enumerate(document["boxes"])]
    scores = [_number(score, "score", f"item {i}") for i, score in enumerate(document["scores"])]
    classes = ([_class(label, f"item {i}") for i, label in enumerate(document["classes"])]
               if "classes" in document else None)
    return _detections("json", box_format, boxes, scores, classes, list(range(count)), layout=document)


def _read_csv(text, box_format):
    _check_lines(text)
    reader = csv.reader(io.StringIO(text))
    try:
        return _read_csv_rows(reader, box_format)
    except csv.Error as error:    # e.g. a field over csv.field_size_limit(): its text is never built
        raise ValueError(f"line {reader.line_num}: bad CSV: {error}") from None


def _read_csv_rows(reader, box_format):
    layout = next(reader, None)
    if layout is None:
        raise ValueError("empty CSV (a header row is needed)")
    header = [name.strip() for name in layout]
    needed = CSV_BOX_COLUMNS[box_format] + ("score",)
    missing = [name for name in needed if name not in header]
    if missing:
        raise ValueError(f"CSV header has no column {', '.join(missing)} (needs {','.join(needed)} and "
                         f"optionally class for --box-format {box_format})")
    columns = [header.index(name) for name in CSV_BOX_COLUMNS[box_format]]
    score_column = header.index("score")
    class_column = header.index("class") if "class" in header else None
    boxes, scores, classes, records = [], [], [], []
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        where = f"line {reader.line_num}"
        _check_count(len(records) + 1)
        if len(row) != len(header):
            raise ValueError(f"{where}: {len(row)} fields, the header has {len(header)}")
        boxes.append(_box([_parse(row[c], header[c], where) for c in columns], box_format, where))
        scores.append(_number(_parse(row[score_column], "score", where), "score", where))
        if class_column is not None:
            classes.append(_class(_parse(row[class_column], "class", where), where))
        records.append(row)
    return _detections("csv", box_format, boxes, scores, classes if class_column is not None else None,
                       records, layout=layout)


def _read_yolo(text):
    _check_lines(text)
    boxes, scores, classes, records = [], [], [], []
    with_conf = None
    for line, content in enumerate(text.splitlines(), start=1):
        fields = content.split()
        if not fields:
            continue
        where = f"line {line}"
        _check_count(len(records) + 1)
        if len(fields) not in (5, 6):
            raise ValueError(f"{where}: expected \"class cx cy w h [conf]\", got {len(fields)} fields")
        if with_conf is None:
            with_conf = len(fields) == 6
        elif with_conf != (len(fields) == 6):
            raise ValueError(f"{where}: score is missing" if with_conf else f"{where}: a score, where earlier lines have none")
        names = ("class", "cx", "cy", "w", "h", "conf")
        values = [_parse(field, name, where) for field, name in zip(fields, names)]
        classes.append(_class(values[0], where))
        boxes.append(_box(values[1:5], "cxcywh", where))
        scores.append(_number(values[5], "score", where) if with_conf else 1.0)
        records.append(fields)
    return _detections("yolo", "cxcywh", boxes, scores, classes, records)


def _detections(kind, box_format, boxes, scores, classes, records, layout=None):
    return Detections(kind, box_format, np.array(boxes, np.float64).reshape(-1, 4), np.array(scores, np.float64),
                      None if classes is None else np.array(classes, np.int64), records, layout)


def _parse(text, name, where):
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{where}: {name} is not a number: {text.strip()!r}") from None


def _number(value, name, where):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{where}: {name} must be a number, got {_short(value)}")
    if not math.isfinite(value):
        raise ValueError(f"{where}: {name} is {value}, not a finite number")
    return float(value)


def _class(value, where):
    number = _number(value, "class", where)
    if number != int(number) or not -2**31 <= number < 2**31:
        raise ValueError(f"{where}: class must be an integer, got {_short(value)}")
    return int(number)


def _box(values, box_format, where):
    if not isinstance(values, (list, tuple)) or len(values) != 4:
        raise ValueError(f"{where}: box must be 4 numbers, got {_short(values)}")
    box = [_number(v, "box coordinate", where) for v in values]
    if box_format == "xyxy":
        if box[2] < box[0] or box[3] < box[1]:
            raise ValueError(f"{where}: box {_short(values)} has x2 < x1 or y2 < y1 (is it xywh? see --box-format)")
    elif box[2] < 0 or box[3] < 0:
        raise ValueError(f"{where}: box {_short(values)} has a negative width or height")
    return box


def _short(value):
    """``value`` as JSON (a string quoted as Python does), cut to 60 characters."""
    try:
        text = json.dumps(value) if not isinstance(value, str) else repr(value)
    except RecursionError:   # nested deeper than the encoder goes, though the decoder took it
        text = reprlib.repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# ---------------------------------------------------------------- writing

def write(detections, kept, scores=None, kind=None):
    """The detections ``kept`` (indices, in that order) as bytes in ``kind`` (default: the input's
    own; "json" converts). ``scores``: the new score of each kept one (Soft-NMS), else unchanged."""
    kind = kind or detections.kind
    kept = [int(i) for i in kept]
    new_scores = None if scores is None else [_float32_text(s) for s in scores]
    if kind != detections.kind and kind != "json":
        raise ValueError(f"a {detections.kind} file can be written as {detections.kind} or json, not {kind}")
    if kind == "json" and detections.kind != "json":
        return _json_objects_from(detections, kept, new_scores)
    if kind == "json" and detections.layout is not None:
        return _json_arrays(detections, kept, new_scores)
    if kind == "json":
        objects = [dict(detections.records[i]) for i in kept]
        for position, item in enumerate(objects):
            if new_scores is not None:
                item["score"] = new_scores[position]
        return _json_list(objects)
    if kind == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(detections.layout)
        column = [name.strip() for name in detections.layout].index("score")
        for position, i in enumerate(kept):
            row = list(detections.records[i])
            if new_scores is not None:
                row[column] = repr(new_scores[position])
            writer.writerow(row)
        return out.getvalue().encode()
    lines = []
    for position, i in enumerate(kept):
        fields = list(detections.records[i][:5])
        if new_scores is not None:
            fields.append(repr(new_scores[position]))
        elif len(detections.records[i]) == 6:
            fields.append(detections.records[i][5])
        lines.append(" ".join(fields))
    return ("\n".join(lines) + ("\n" if lines else "")).encode()


def _json_arrays(detections, kept, new_scores):
    document = dict(detections.layout)
    document["boxes"] = [detections.layout["boxes"][i] for i in kept]
    document["scores"] = new_scores if new_scores is not None else [detections.layout["scores"][i] for i in kept]
    if "classes" in document:
        document["classes"] = [detections.layout["classes"][i] for i in kept]
    return (json.dumps(document) + "\n").encode()


def _json_objects_from(detections, kept, new_scores):
    objects = []
    for position, i in enumerate(kept):
        item = {"box": detections.boxes[i].tolist(),
                "score": new_scores[position] if new_scores is not None else float(detections.scores[i])}
        if detections.classes is not None:
            item["class"] = int(detections.classes[i])
        objects.append(item)
    return _json_list(objects)


def _json_list(objects):
    """A JSON list with one detection a line."""
    return ("[" + ",\n ".join(json.dumps(item) for item in objects) + "]\n").encode()


def _float32_text(value):
    """A float32 score as the shortest decimal that reads back as the same float32."""
    return float(np.format_float_positional(np.float32(value), unique=True))


# ---------------------------------------------------------------- drawing

def draw(image, detections, kept, scores=None):
    """``image`` (BGR or BGRA copy) with each kept box outlined in its class's colour and labelled
    with its class and score; YOLO's normalised boxes are scaled to the image."""
    import cv2
    picture = image.copy()
    if picture.ndim == 2:
        picture = cv2.cvtColor(picture, cv2.COLOR_GRAY2BGR)
    height, width = picture.shape[:2]
    top = float(np.iinfo(picture.dtype).max) if picture.dtype.kind in "ui" else 1.0
    thickness = max(1, round(min(height, width) / 400))
    corners = _pixel_corners(detections, kept, width, height, margin=2 * thickness + 2)
    for position, i in enumerate(kept):
        label = int(detections.classes[i]) if detections.classes is not None else 0
        colour = _class_colour(label, top, picture.shape[2])
        left, upper, right, lower = corners[position].tolist()
        corner, far = (left, upper), (right, lower)
        cv2.rectangle(picture, corner, far, colour, thickness)
        score = scores[position] if scores is not None else detections.scores[i]
        text = f"{label}: {score:.2f}" if detections.classes is not None else f"{score:.2f}"
        cv2.putText(picture, text, (corner[0], max(corner[1] - 3, 10)), cv2.FONT_HERSHEY_SIMPLEX,
                    0.4 * thickness, colour, thickness, cv2.LINE_AA)
    return picture


def _pixel_corners(detections, kept, width, height, margin):
    """The kept boxes' corners (left, top, right, bottom) as int64 pixels, YOLO's scaled to the
    image. Coordinates are clamped to ``margin`` pixels around the image, which moves only edges
    that are out of sight anyway and keeps them within the 32-bit points OpenCV draws."""
    a, b, c, d = detections.boxes[np.asarray(kept, np.int64)].T
    scale = np.array([width, height, width, height], np.float64) if detections.kind == "yolo" else 1.0
    with np.errstate(over="ignore"):    # a huge finite box may become ±inf here, and is clamped below
        if detections.box_format == "xyxy":     # the corners as given: x + (x2 - x) may not be x2
            corners = np.stack([a, b, c, d], axis=1)
        elif detections.box_format == "xywh":
            corners = np.stack([a, b, a + c, b + d], axis=1)
        else:
            corners = np.stack([a - c / 2, b - d / 2, a + c / 2, b + d / 2], axis=1)
        corners = corners * scale
    return np.round(np.clip(corners, -margin, [width + margin, height + margin] * 2)).astype(np.int64)


def _class_colour(label, top, channels):
    """A bright colour per class: hues spread by the golden ratio, so neighbouring ids differ."""
    import colorsys
    red, green, blue = colorsys.hsv_to_rgb((label * 0.618033988749895) % 1.0, 0.85, 1.0)
    colour = (blue * top, green * top, red * top)
    return colour + ((top,) if channels == 4 else ())
