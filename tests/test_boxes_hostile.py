"""Hostile detection files for ``imgkit nms`` (issue 14, item 5): each ends in one error naming the
file, quickly, never in a crash, a stall or a Python message; and a box that parses but lies far
outside the picture is drawn, not a crash of OpenCV's drawing."""

import json
import time

import cv2
import numpy as np
import pytest

from imgkit import boxes
from imgkit.io import ImageError

from conftest import run_cli

FIELD_LIMIT = 131_072     # csv.field_size_limit()'s default


def json_objects(count, score="0.5"):
    return "[" + ",".join(f'{{"box": [0, 0, 1, 1], "score": {score}}}' for _ in range(count)) + "]"


HOSTILE = {
    "huge-integer.json": (json_objects(1, "9" * 400), "bad JSON: an integer of 400 digits"),
    "huge-integer-box.json": ('{"boxes": [[0, 0, 1, ' + "9" * 400 + ']], "scores": [1]}', "integer of 400 digits"),
    "huge-integer-class.json": ('[{"box": [0, 0, 1, 1], "score": 1, "class": ' + "9" * 400 + "}]", "integer of 400 digits"),
    "past-int-limit.json": (json_objects(1, "9" * 5000), "bad JSON: an integer of 5,000 digits"),
    "exponent.json": (json_objects(1, "1e400"), "item 0: score is inf, not a finite number"),
    "infinity.json": (json_objects(1, "-Infinity"), "item 0: score is -inf, not a finite number"),
    "deep-arrays.json": ("[" * 100_000 + "]" * 100_000, "bad JSON: nested too deeply"),
    "deep-objects.json": ('{"a":' * 100_000 + "1" + "}" * 100_000, "bad JSON: nested too deeply"),
    "many-arrays.json": ("[" + "[]," * 500_000 + "0]", "more than 400,000 JSON arrays and objects"),
    "huge-field.csv": ("x1,y1,x2,y2,score\n" + "1" * (FIELD_LIMIT + 1) + ",0,1,1,1\n",
                       "line 2: bad CSV: field larger than field limit"),
    "open-quote.csv": ('x1,y1,x2,y2,score\n0,0,1,1,"' + "x\n" * 70_000, "bad CSV: field larger than field limit"),
    "blank-lines.csv": ("x1,y1,x2,y2,score\n" + "\n" * 500_000, "more than 400,000 lines"),
    "nan-box.csv": ("x1,y1,x2,y2,score\n0,0,nan,1,0.5\n", "line 2: box coordinate is nan"),
    "fields.txt": ("0 " * 5000 + "\n", "line 1: expected \"class cx cy w h [conf]\", got 5000 fields"),
    "blank-lines.txt": ("\n" * 500_000, "more than 400,000 lines"),
    "infinite-box.txt": ("0 0.5 inf 0.1 0.1\n", "line 1: box coordinate is inf"),
    "not-utf8.txt": (b"0 0.5 0.5 \xff\xfe 0.1\n", "not a detection file (not UTF-8 text)"),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_file_is_one_error_naming_it_within_a_second(name):
    content, reason = HOSTILE[name]
    data = content if isinstance(content, bytes) else content.encode()
    started = time.perf_counter()
    with pytest.raises(ImageError) as error:
        boxes.read(name, data)
    assert time.perf_counter() - started < 1.0
    assert error.value.path == name and reason in error.value.reason
    assert "\n" not in str(error.value) and "sys." not in str(error.value)


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path, monkeypatch):
    big = tmp_path / "big.json"
    with open(big, "wb") as file:             # sparse: nine MiB that cost nothing to make
        file.truncate(boxes.MAX_BYTES + 1)
    monkeypatch.setattr(boxes.image_io, "read_bytes", lambda path: pytest.fail("the file was read"))
    with pytest.raises(ImageError, match="8.0 MiB is too large for a detection file"):
        boxes.read_file(str(big))


def test_bytes_over_the_size_limit_are_refused_unparsed():
    with pytest.raises(ImageError, match="too large for a detection file"):
        boxes.read("big.txt", b"\n" * (boxes.MAX_BYTES + 1))


def test_read_file_reads_a_file_within_the_limits(tmp_path):
    path = tmp_path / "ok.txt"
    path.write_text("3 0.5 0.5 0.2 0.2 0.9\n")
    found = boxes.read_file(str(path))
    assert found.classes.tolist() == [3] and found.scores.tolist() == [0.9]


@pytest.mark.parametrize("kind, content", [
    ("json", json_objects(boxes.MAX_DETECTIONS + 1)),
    ("json", json.dumps({"boxes": [[0, 0, 1, 1]] * (boxes.MAX_DETECTIONS + 1),
                         "scores": [1] * (boxes.MAX_DETECTIONS + 1)})),
    ("csv", "x1,y1,x2,y2,score\n" + "0,0,1,1,1\n" * (boxes.MAX_DETECTIONS + 1)),
    ("txt", "0 0.5 0.5 0.1 0.1\n" * (boxes.MAX_DETECTIONS + 1)),
])
def test_more_detections_than_the_limit_are_refused(kind, content):
    with pytest.raises(ImageError, match="more than 100,000 detections"):
        boxes.read("many." + kind, content.encode())


def test_as_many_detections_as_the_limit_are_read():
    found = boxes.read("many.txt", b"0 0.5 0.5 0.1 0.1\n" * boxes.MAX_DETECTIONS)
    assert found.boxes.shape == (boxes.MAX_DETECTIONS, 4)


def test_a_400_digit_score_is_an_error_line_and_the_batch_goes_on(tmp_path, capsys):
    (tmp_path / "bomb.json").write_text(json_objects(1, "9" * 400))
    (tmp_path / "fine.json").write_text(json_objects(2))
    code, _, err = run_cli("nms", tmp_path, "-q", "-o", tmp_path / "out", capsys=capsys)
    assert code == 1
    assert err.splitlines() == [f"imgkit: {tmp_path / 'bomb.json'}: bad JSON: an integer of 400 digits "
                                "(a coordinate, score or class has at most 300)"]
    assert len(json.loads((tmp_path / "out" / "fine.json").read_text())) == 1


# ---------------------------------------------------------------- drawing boxes far outside

def picture(tmp_path, size=100):
    path = tmp_path / "scene.png"
    cv2.imwrite(str(path), np.zeros((size, size, 3), np.uint8))
    return path


@pytest.mark.parametrize("far", [1e300, 2.0**31, -1e300])
def test_a_box_reaching_far_outside_is_drawn_as_one_just_outside(far, tmp_path):
    scene = cv2.imread(str(picture(tmp_path)))
    corner = [10.0, 10.0] if far > 0 else [far, far]
    opposite = [far, far] if far > 0 else [60.0, 60.0]
    huge = boxes.read("huge.json", json.dumps([{"box": corner + opposite, "score": 0.9}]).encode())
    near = [10.0, 10.0, 400.0, 400.0] if far > 0 else [-400.0, -400.0, 60.0, 60.0]
    small = boxes.read("near.json", json.dumps([{"box": near, "score": 0.9}]).encode())
    drawn = boxes.draw(scene, huge, [0])
    assert drawn.any()
    np.testing.assert_array_equal(drawn, boxes.draw(scene, small, [0]))


def test_a_yolo_box_that_overflows_when_scaled_is_drawn_from_the_command_line(tmp_path, capsys):
    (tmp_path / "far.txt").write_text("0 0.1 0.1 1e308 1e308 0.9\n")
    code, _, err = run_cli("nms", tmp_path / "far.txt", "-q", "--draw", picture(tmp_path), "-o",
                           tmp_path / "drawn.png", capsys=capsys)
    assert code == 0 and err == ""
    assert cv2.imread(str(tmp_path / "drawn.png")).shape == (100, 100, 3)


def test_a_box_thousands_of_times_the_others_ends_quickly_and_agrees_with_opencv(tmp_path):
    """Found by make fuzz: the grid walked every cell of a giant candidate (and their count overflowed)."""
    import subprocess
    import sys

    import numpy as np

    from imgkit.ops.nms import nms
    yolo = tmp_path / "giant.txt"
    yolo.write_text("1\t 9223372036854775808 0.25 0.1 0.1\n")
    result = subprocess.run([sys.executable, "-m", "imgkit", "nms", str(yolo), "-o", str(tmp_path / "out.txt")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    rng = np.random.default_rng(3)
    boxes = np.concatenate([rng.uniform(0, 1000, (500, 2)), rng.uniform(5, 20, (500, 2))], axis=1)
    boxes = np.vstack([boxes, [[0, 0, 1e15, 1e15], [10, 10, 1e9, 30]]]).astype(np.float32)
    scores = rng.uniform(0, 1, len(boxes)).astype(np.float32)
    scores[-2:] = [0.5, 0.55]
    np.testing.assert_array_equal(nms(boxes, scores, box_format="xywh"),
                                  nms(boxes, scores, box_format="xywh", backend="opencv"))
