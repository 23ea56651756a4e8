"""``imgkit.nms`` / ``imgkit.soft_nms`` and ``imgkit nms``: kept indices identical to OpenCV's
(``cv2.dnn.NMSBoxes``, ``NMSBoxesBatched``, ``softNMSBoxes``, called directly) and to the naive
loops of ``naive/nms.py``, on random sets full of tied scores, degenerate boxes and IoUs at the
threshold; then the conventions one by one, errors, and the command line on box files."""

import json

import cv2
import numpy as np
import pytest

import imgkit
from imgkit.box_layouts import detections
from imgkit.ops.nms import as_xywh

from naive import nms as naive
from conftest import compare_rows
from test_cli import run_cli

TRIALS = 1000


def random_set(rng, trial, size=60):
    """(x, y, w, h) float64 boxes, float32 scores and class ids: integer coordinates on even
    trials, scores from four values (many ties) on every third, sizes down to -3 (degenerate)."""
    n = int(rng.integers(1, size))
    corners = rng.uniform(-10, 100, (n, 2))
    sizes = rng.uniform(-3, 40, (n, 2))
    if trial % 2 == 0:
        corners, sizes = np.round(corners), np.round(sizes)
    scores = rng.choice([0.1, 0.5, 0.7, 0.9], n) if trial % 3 == 0 else rng.random(n)
    return np.hstack([corners, sizes]), scores.astype(np.float32), rng.integers(0, 4, n)


def random_options(rng):
    return {"iou": float(rng.choice([0.0, 0.3, 1 / 3, 0.5, 0.7, 1.0])), "score": float(rng.choice([0.0, 0.2, 0.5])),
            "eta": float(rng.choice([1.0, 1.0, 0.9])), "top_k": int(rng.choice([0, 0, 5, 20]))}


def opencv_nms(boxes, scores, options, classes=None):
    arguments = (options["score"], options["iou"], options["eta"], options["top_k"])
    if classes is None:
        return np.asarray(cv2.dnn.NMSBoxes(boxes, scores, *arguments)).reshape(-1)
    return np.asarray(cv2.dnn.NMSBoxesBatched(boxes, scores, classes.astype(np.int32), *arguments)).reshape(-1)


# ---------------------------------------------------------------- against OpenCV

@pytest.mark.parametrize("class_aware", [False, True], ids=["NMSBoxes", "NMSBoxesBatched"])
def test_greedy_keeps_opencvs_indices_in_its_order_on_random_sets(class_aware):
    rng = np.random.default_rng(8 + class_aware)
    for trial in range(TRIALS):
        boxes, scores, classes = random_set(rng, trial)
        options = random_options(rng)
        labels = classes if class_aware else None
        ours = imgkit.nms(boxes, scores, classes=labels, box_format="xywh", **options)
        assert ours.dtype == np.int64
        np.testing.assert_array_equal(ours, opencv_nms(boxes, scores, options, labels), err_msg=f"trial {trial}")


@pytest.mark.parametrize("method", ["gaussian", "linear"])
def test_soft_nms_keeps_opencvs_indices_and_scores_on_random_sets(method):
    rng = np.random.default_rng(18 if method == "gaussian" else 19)
    flag = {"gaussian": cv2.dnn.SoftNMSMethod_SOFTNMS_GAUSSIAN, "linear": cv2.dnn.SoftNMSMethod_SOFTNMS_LINEAR}[method]
    for trial in range(TRIALS):
        boxes, scores, _ = random_set(rng, trial)
        boxes = np.round(boxes)         # softNMSBoxes takes integer rectangles
        iou, score = float(rng.choice([0.3, 0.5, 1 / 3])), float(rng.choice([0.0, 0.001, 0.3]))
        top_k, sigma = int(rng.choice([0, 5])), float(rng.choice([0.5, 0.1]))
        indices, updated = imgkit.soft_nms(boxes, scores, sigma=sigma, method=method, iou=iou, score=score,
                                           top_k=top_k, box_format="xywh")
        their_scores, their_indices = cv2.dnn.softNMSBoxes(boxes.astype(np.int32), scores, score, iou, top_k, sigma, flag)
        np.testing.assert_array_equal(indices, np.asarray(their_indices).reshape(-1), err_msg=f"trial {trial}")
        np.testing.assert_array_equal(updated, np.asarray(their_scores, np.float32).reshape(-1))


@pytest.mark.parametrize("class_aware", [False, True], ids=["agnostic", "80 classes"])
def test_ten_thousand_detections_as_opencv(class_aware):
    boxes, scores, classes = detections(10_000, seed=3)
    labels = classes if class_aware else None
    x, y, w, h = as_xywh(boxes)
    expected = opencv_nms(np.stack([x, y, w, h], axis=1), scores, {"score": 0.0, "iou": 0.5, "eta": 1.0, "top_k": 0}, labels)
    np.testing.assert_array_equal(imgkit.nms(boxes, scores, classes=labels), expected)


def boxes_of_every_scale(seed, n=3000):
    """Sizes from 0 to 2000 pixels (some cover too many grid cells to be filed: the kernels test
    them apart), a cluster of large boxes, negative corners, and vanishing boxes far apart, which
    OpenCV counts as identical (their areas add up to less than the double epsilon)."""
    rng = np.random.default_rng(seed)
    sizes = np.exp(rng.uniform(-1, np.log(2000), (n, 2)))
    sizes[rng.random(n) < 0.05] = 1e-9
    sizes[rng.random(n) < 0.02, 0] = 0.0
    boxes = np.hstack([rng.uniform(-500, 3000, (n, 2)), sizes])
    big = np.array([200, 300, 1500, 1200]) * rng.normal(1, 0.05, (40, 4))
    return np.vstack([boxes, big]), rng.random(n + 40).astype(np.float32)


def test_boxes_of_every_scale_and_the_epsilon_rule_at_scale_as_opencv():
    boxes, scores = boxes_of_every_scale(5)
    for iou in (0.3, 0.5, 0.9):
        options = {"score": 0.0, "iou": iou, "eta": 1.0, "top_k": 0}
        np.testing.assert_array_equal(imgkit.nms(boxes, scores, iou=iou, box_format="xywh"),
                                      opencv_nms(boxes, scores, options))


@pytest.mark.parametrize("method", ["gaussian", "linear"])
def test_soft_nms_on_boxes_of_every_scale_as_opencv(method):
    boxes, scores = boxes_of_every_scale(7)
    boxes = np.round(boxes)
    flag = {"gaussian": cv2.dnn.SoftNMSMethod_SOFTNMS_GAUSSIAN, "linear": cv2.dnn.SoftNMSMethod_SOFTNMS_LINEAR}[method]
    indices, updated = imgkit.soft_nms(boxes, scores, method=method, sigma=0.5, iou=0.3, score=0.001, box_format="xywh")
    their_scores, their_indices = cv2.dnn.softNMSBoxes(boxes.astype(np.int32), scores, 0.001, 0.3, 0, 0.5, flag)
    np.testing.assert_array_equal(indices, np.asarray(their_indices).reshape(-1))
    np.testing.assert_array_equal(updated, np.asarray(their_scores, np.float32).reshape(-1))


def test_opencv_backend_is_opencv():
    rng = np.random.default_rng(1)
    boxes, scores, classes = random_set(rng, 1)
    options = {"score": 0.0, "iou": 0.5, "eta": 1.0, "top_k": 0}
    np.testing.assert_array_equal(imgkit.nms(boxes, scores, box_format="xywh", backend="opencv"),
                                  opencv_nms(boxes, scores, options))


# ---------------------------------------------------------------- against the naive loops

def test_greedy_and_batched_match_the_naive_loops():
    rng = np.random.default_rng(21)
    for trial in range(150):
        boxes, scores, classes = random_set(rng, trial, size=40)
        options = random_options(rng)
        as_tuples = [tuple(map(float, box)) for box in boxes]
        arguments = (options["score"], options["iou"], options["eta"], options["top_k"])
        assert imgkit.nms(boxes, scores, box_format="xywh", **options).tolist() == \
            naive.greedy_nms(as_tuples, scores, *arguments)
        assert imgkit.nms(boxes, scores, classes=classes, box_format="xywh", **options).tolist() == \
            naive.batched_nms(as_tuples, scores, classes, *arguments)


def test_soft_nms_matches_the_naive_loops():
    rng = np.random.default_rng(22)
    for trial in range(150):
        boxes, scores, _ = random_set(rng, trial, size=40)
        linear = trial % 2 == 1
        indices, updated = imgkit.soft_nms(boxes, scores, method="linear" if linear else "gaussian", sigma=0.5,
                                           iou=0.3, score=0.001, box_format="xywh")
        expected, expected_scores = naive.soft_nms([tuple(map(float, b)) for b in boxes], scores, 0.001, 0.3, 0.5, linear)
        assert indices.tolist() == expected
        # naive's exp is rounded through double, OpenCV's (and ours) is expf: a last-bit difference at most
        np.testing.assert_array_max_ulp(updated, np.array(expected_scores, np.float32), maxulp=1)


# ---------------------------------------------------------------- the conventions, one by one

@pytest.mark.parametrize("boxes, iou, kept", [
    ([[0, 0, 4, 1], [0, 0, 2, 1]], 0.5, [0, 1]),          # IoU exactly 0.5: equality is kept
    ([[0, 0, 4, 1], [0, 0, 2, 1]], 0.49, [0]),
    ([[0, 0, 10, 10], [5, 0, 15, 10]], 0.3334, [0, 1]),   # IoU 1/3, no +1 pixel convention
    ([[0, 0, 10, 10], [5, 0, 15, 10]], 0.3333, [0]),
    ([[0, 0, 10, 10], [0, 0, 10, 10]], 1.0, [0, 1]),      # identical boxes survive iou=1
    ([[0, 0, 10, 10], [10, 0, 20, 10]], 0.0, [0, 1]),     # touching is not overlapping
])
def test_iou_at_the_threshold(boxes, iou, kept):
    scores = np.float32([0.9, 0.8])
    assert imgkit.nms(np.array(boxes, float), scores, iou=iou).tolist() == kept
    assert imgkit.nms(np.array(boxes, np.int32), scores, iou=iou).tolist() == kept     # integer arrays too
    assert imgkit.nms(np.array(boxes, float), scores, iou=iou, backend="opencv").tolist() == kept


def test_score_filter_is_strict_for_greedy_and_inclusive_for_soft():
    boxes = np.array([[0, 0, 10, 10], [20, 20, 30, 30], [40, 40, 50, 50]], float)
    scores = np.float32([0.5, 0.25, 0.0])
    assert imgkit.nms(boxes, scores, score=0.25).tolist() == [0]
    assert imgkit.nms(boxes, scores).tolist() == [0, 1]            # a score of 0 is dropped at 0
    assert imgkit.soft_nms(boxes, scores, score=0.25)[0].tolist() == [0, 1]


def test_tied_scores_keep_input_order_and_top_k_truncates_candidates():
    boxes = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [50, 0, 60, 10], [100, 0, 110, 10]], float)
    scores = np.float32([0.7, 0.9, 0.7, 0.7])
    assert imgkit.nms(boxes, scores).tolist() == [1, 2, 3]
    assert imgkit.nms(boxes, scores, top_k=2).tolist() == [1]       # candidates 1 and 0; 0 suppressed


def test_eta_lowers_the_threshold_after_each_keep():
    boxes = np.array([[0, 0, 100, 10], [300, 0, 400, 10], [40, 0, 140, 10]], float)   # IoU(0, 2) = 60/140
    scores = np.float32([0.9, 0.8, 0.7])
    assert imgkit.nms(boxes, scores, iou=0.6).tolist() == [0, 1, 2]
    assert imgkit.nms(boxes, scores, iou=0.6, eta=0.7).tolist() == [0, 1]   # 0.6 → 0.42 → 0.42 (≤ 0.5)


def test_degenerate_boxes_overlap_only_each_other_as_in_opencv():
    boxes = np.array([[0, 0, 0, 10], [500, 500, 0, 0], [0, 0, 10, 10], [5, 5, -4, 3]], float)   # xywh
    scores = np.float32([0.9, 0.8, 0.7, 0.6])
    # 1: areas 0 + 0 ≤ ε, "identical" to 0 however far; 2 overlaps nothing (0 has no area);
    # 3: area −12, and −12 + 100 > ε but −12 + 0 ≤ ε: identical to 0
    assert imgkit.nms(boxes, scores, box_format="xywh").tolist() == [0, 2]
    assert imgkit.nms(boxes, scores, box_format="xywh", backend="opencv").tolist() == [0, 2]


def test_box_formats_describe_the_same_boxes():
    rng = np.random.default_rng(4)
    corners = rng.uniform(0, 100, (200, 2))
    sizes = rng.uniform(1, 30, (200, 2))
    scores = rng.random(200).astype(np.float32)
    xywh = np.hstack([corners, sizes])
    kept = imgkit.nms(xywh, scores, box_format="xywh")
    assert imgkit.nms(np.hstack([corners, corners + sizes]), scores).tolist() == kept.tolist()
    assert imgkit.nms(np.hstack([corners + sizes / 2, sizes]), scores, box_format="cxcywh").tolist() == kept.tolist()


def test_classes_are_suppressed_apart():
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [1, 1, 11, 11]], float)
    scores = np.float32([0.9, 0.8, 0.7])
    assert imgkit.nms(boxes, scores).tolist() == [0]
    assert imgkit.nms(boxes, scores, classes=[0, 1, 0]).tolist() == [0, 1]


def test_soft_nms_classes_run_apart_and_merge_by_score():
    rng = np.random.default_rng(6)
    boxes, scores, classes = random_set(rng, 1, size=50)
    indices, updated = imgkit.soft_nms(boxes, scores, classes=classes, box_format="xywh")
    picks = {}
    for label in np.unique(classes):
        members = np.flatnonzero(classes == label)
        own, own_scores = imgkit.soft_nms(boxes[members], scores[members], box_format="xywh")
        picks.update(zip(members[own].tolist(), own_scores.tolist()))
    assert dict(zip(indices.tolist(), updated.tolist())) == picks
    assert np.all(np.diff(updated) <= 0)


def test_empty_input_keeps_nothing():
    assert imgkit.nms(np.zeros((0, 4)), np.zeros(0)).dtype == np.int64
    assert imgkit.nms(np.zeros((0, 4)), np.zeros(0)).size == 0
    indices, updated = imgkit.soft_nms([], [])
    assert indices.size == updated.size == 0


@pytest.mark.parametrize("arguments, options", [
    (([[0, 0, 1, np.nan]], [1.0]), {}),
    (([[0, 0, 1, np.inf]], [1.0]), {}),
    (([[0, 0, 1, 1]], [np.nan]), {}),
    (([[0, 0, 1]], [1.0]), {}),
    (([[0, 0, 1, 1]], [1.0, 2.0]), {}),
    (([[0, 0, 1, 1]], [1.0]), {"iou": 1.5}),
    (([[0, 0, 1, 1]], [1.0]), {"score": -0.1}),
    (([[0, 0, 1, 1]], [1.0]), {"eta": 0.0}),
    (([[0, 0, 1, 1]], [1.0]), {"top_k": -1}),
    (([[0, 0, 1, 1]], [1.0]), {"classes": [0.5]}),
    (([[0, 0, 1, 1]], [1.0]), {"box_format": "xxyy"}),
    ((["a b c d".split()], [1.0]), {}),
])
def test_bad_arguments_raise_naming_them(arguments, options):
    with pytest.raises((ValueError, TypeError)):
        imgkit.nms(*arguments, **options)


def test_opencv_soft_nms_refuses_fractional_boxes():
    with pytest.raises(ValueError, match="integer"):
        imgkit.soft_nms([[0, 0, 1.5, 1]], [1.0], backend="opencv")


# ---------------------------------------------------------------- the command line

BOXES = [[0, 0, 10, 10], [1, 1, 11, 11], [1, 1, 11, 11], [50, 50, 60, 60]]
SCORES = [0.9, 0.8, 0.7, 0.6]
CLASSES = [0, 0, 1, 0]


@pytest.fixture
def box_files(tmp_path):
    """The same four detections as JSON objects, JSON arrays, CSV (xyxy) and YOLO (on 100×100)."""
    root = tmp_path / "dets"
    (root / "sub").mkdir(parents=True)
    objects = [{"box": b, "score": s, "class": c, "id": i} for i, (b, s, c) in enumerate(zip(BOXES, SCORES, CLASSES))]
    (root / "objects.json").write_text(json.dumps(objects))
    (root / "sub" / "arrays.json").write_text(json.dumps({"boxes": BOXES, "scores": SCORES, "classes": CLASSES}))
    rows = ["x1,y1,x2,y2,score,class,name"] + [",".join(map(str, b + [s, c, f"n{i}"]))
                                                for i, (b, s, c) in enumerate(zip(BOXES, SCORES, CLASSES))]
    (root / "table.csv").write_text("\n".join(rows) + "\n")
    lines = [f"{c} {(b[0] + b[2]) / 200} {(b[1] + b[3]) / 200} {(b[2] - b[0]) / 100} {(b[3] - b[1]) / 100} {s}"
             for b, s, c in zip(BOXES, SCORES, CLASSES)]
    (root / "yolo.txt").write_text("\n".join(lines) + "\n")
    (root / "notes.md").write_text("not a detection file")
    return root


def test_a_folder_of_every_format_is_mirrored_and_each_keeps_the_api_result(box_files, tmp_path, capsys):
    out = tmp_path / "out"
    code, _, _ = run_cli("nms", box_files, "-r", "-o", out, capsys=capsys)
    assert code == 0
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == \
        ["objects.json", "sub/arrays.json", "table.csv", "yolo.txt"]
    kept = imgkit.nms(np.array(BOXES, float), SCORES, classes=CLASSES).tolist()      # [0, 2, 3]
    assert [item["id"] for item in json.loads((out / "objects.json").read_text())] == kept
    assert json.loads((out / "sub" / "arrays.json").read_text())["boxes"] == [BOXES[i] for i in kept]
    assert [row.split(",")[-1] for row in (out / "table.csv").read_text().split()[1:]] == [f"n{i}" for i in kept]
    assert [line.split()[0] for line in (out / "yolo.txt").read_text().splitlines()] == [str(CLASSES[i]) for i in kept]


def test_agnostic_soft_and_json_output(box_files, tmp_path, capsys):
    code, out, _ = run_cli("nms", box_files / "table.csv", "--agnostic", "-o", "-", capsys=capsys)
    assert code == 0 and [row.split(",")[-1] for row in out.split()[1:]] == ["n0", "n3"]
    code, out, _ = run_cli("nms", box_files / "table.csv", "--soft-sigma", "0.5", "--format", "json", "-o", "-", capsys=capsys)
    indices, updated = imgkit.soft_nms(np.array(BOXES, float), SCORES, sigma=0.5, classes=CLASSES)
    written = json.loads(out)
    assert code == 0 and [item["box"] for item in written] == [BOXES[i] for i in indices]
    np.testing.assert_array_equal(np.float32([item["score"] for item in written]), updated)


@pytest.mark.parametrize("name, content, reason", [
    ("bad.json", '[{"box": [0, 0, 1, 1], "score": 0.5},', "bad JSON"),
    ("missing.json", '[{"box": [0, 0, 1, 1], "score": 0.5}, {"box": [0, 0, 2, 2]}]', "item 1: score is missing"),
    ("nan.json", '[{"box": [0, 0, 1, NaN], "score": 0.5}]', "item 0: box coordinate is nan"),
    ("inf.csv", "x,y,w,h,score\n0,0,1,1,0.5\n0,0,inf,1,0.5\n", "line 3: box coordinate is inf"),
    ("negative.csv", "x,y,w,h,score\n0,0,-1,1,0.5\n", "line 2: box [0.0, 0.0, -1.0, 1.0] has a negative width"),
    ("short.txt", "0 0.5 0.5 0.1\n", "line 1: expected"),
    ("header.csv", "a,b,c\n1,2,3\n", "CSV header has no column x, y, w, h, score"),
])
def test_malformed_files_fail_alone_naming_file_and_item(name, content, reason, box_files, tmp_path, capsys):
    (box_files / name).write_text(content)
    code, _, err = run_cli("nms", box_files, "--box-format", "xywh", "-o", tmp_path / "out", capsys=capsys)
    assert code == 1
    assert f"imgkit: {box_files / name}: {reason}" in err
    assert (tmp_path / "out" / "objects.json").exists()      # the batch went on


def test_draw_renders_the_kept_boxes(box_files, tmp_path, capsys):
    picture = tmp_path / "scene.png"
    cv2.imwrite(str(picture), np.zeros((100, 100, 3), np.uint8))
    code, _, _ = run_cli("nms", box_files / "yolo.txt", "--draw", picture, "-o", tmp_path / "drawn.png", capsys=capsys)
    drawn = cv2.imread(str(tmp_path / "drawn.png"))
    assert code == 0 and drawn.shape == (100, 100, 3)
    assert drawn[50:61, 50].any() and not drawn[30:45, 30:45].any()    # kept box 3 outlined, inside empty


def test_existing_output_needs_overwrite(box_files, tmp_path, capsys):
    target = tmp_path / "kept.json"
    target.write_text("[]")
    code, _, err = run_cli("nms", box_files / "objects.json", "-o", target, capsys=capsys)
    assert code == 1 and "output exists" in err and target.read_text() == "[]"
    code, _, _ = run_cli("nms", box_files / "objects.json", "-o", target, "--overwrite", capsys=capsys)
    assert code == 0 and len(json.loads(target.read_text())) == 3


@pytest.mark.parametrize("args", [["--iou", "2"], ["--box-format", "xxyy"], ["--soft-method", "cubic"],
                                  ["--format", "png"], ["--eta", "0.5", "--soft-sigma", "0.5"]])
def test_bad_options_are_usage_errors(args, box_files, capsys):
    code, _, _ = run_cli("nms", box_files / "objects.json", *args, capsys=capsys)
    assert code == 2


def test_compare_reports_identical_kept_indices(tmp_path, capsys):
    boxes, scores, classes = detections(2000, seed=9)
    objects = [{"box": b, "score": float(s), "class": int(c)} for b, s, c in zip(boxes.tolist(), scores, classes)]
    (tmp_path / "many.json").write_text(json.dumps(objects))
    code, out, _ = run_cli("compare", "nms", tmp_path / "many.json", "--repeat", "1", "--json", capsys=capsys)
    (row,) = compare_rows(out)
    assert code == 0 and row["identical"] and row["boxes"] == 2000
    assert row["kept"] == imgkit.nms(boxes, scores, classes=classes).size
