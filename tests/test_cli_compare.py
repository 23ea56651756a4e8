"""``imgkit compare`` and ``imgkit bench --plot`` as a user meets them (issue 17, items 6 and 15):
compare's table at 80 columns and its error lines whole, its JSON naming the reference it ran,
``--diff``'s heat maps and their names, and bench's chart, or the usage error without matplotlib.
Every command runs as a real subprocess."""

import json
import os
import subprocess
import sys

import cv2
import numpy as np
import pytest

from conftest import BAD, PHOTOS, compare_rows
from imgkit import heatmap, registry
from imgkit.compare import OTHER_REFERENCES

IMGKIT = [sys.executable, "-m", "imgkit"]
LONG = "a_directory_with_a_long_name/and_one_more_level_below_it"    # paths of ~75 columns


def imgkit(*args, cwd, **environment):
    return subprocess.run([*IMGKIT, *map(str, args)], capture_output=True, text=True, timeout=900, cwd=cwd,
                          env={**os.environ, "IMGKIT_NO_SERVER": "1", **environment})


def small_photo(target, name="camera.png", size=(80, 64)):
    """A corner of a bundled photo: quick to compare."""
    target.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(target), cv2.imread(str(PHOTOS / name), cv2.IMREAD_UNCHANGED)[:size[1], :size[0]])
    return target


def test_compare_fits_80_columns_with_long_paths_keyed_and_an_error_line_whole(tmp_path):
    names = [f"{LONG}/camera_photo.png", f"{LONG}/coffee_photo.png"]
    for name, photo in zip(names, ("camera.png", "coffee.png")):
        small_photo(tmp_path / name, photo)
    broken = f"{LONG}/truncated_on_purpose.png"
    (tmp_path / broken).write_bytes((BAD / "truncated.png").read_bytes())
    result = imgkit("compare", "blur", *names, broken, "--repeat", "1", cwd=tmp_path, COLUMNS="80")
    assert result.returncode == 1, result.stderr         # one input failed
    lines = result.stdout.splitlines()
    assert lines and max(len(line.rstrip()) for line in lines) <= 80, result.stdout
    for number, name in enumerate(names, 1):                # the key: each full path, whole, numbered
        assert f"{number}  {name}" in lines
    assert "vs cv2.GaussianBlur" in result.stdout and "OpenCV" in result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("imgkit: ")]
    assert len(errors) == 1 and errors[0].startswith(f"imgkit: {broken}: ")     # one line, though > 80
    assert len(errors[0]) > 80 and "truncated_on_purpose" not in result.stdout

    wide = imgkit("compare", "blur", *names, "--repeat", "1", cwd=tmp_path, COLUMNS="200")
    assert wide.returncode == 0, wide.stderr
    rows = [line for line in wide.stdout.splitlines() if line.lstrip().startswith(LONG)]
    assert len(rows) == 2 and all("100.0000%" in row for row in rows)       # room: paths in the table


def test_compare_nms_fits_80_columns_too(tmp_path):
    names = [f"{LONG}/detections_{index}.json" for index in (1, 2)]
    for index, name in enumerate(names):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(json.dumps([{"box": [0, 0, 10 + index, 10], "score": 0.9},
                                                 {"box": [1, 1, 11, 11], "score": 0.8}]))
    result = imgkit("compare", "nms", *names, "--repeat", "1", cwd=tmp_path, COLUMNS="80")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line.rstrip()) for line in lines) <= 80, result.stdout
    assert all(f"{number}  {name}" in lines for number, name in enumerate(names, 1))


@pytest.mark.parametrize("args, library, function", [
    (("resize", "--scale", "0.5"), "opencv", "cv2.resize"),
    (("resize", "--scale", "0.5", "--antialias"), "pillow", "PIL.Image.resize"),
    (("hog", "--style", "skimage"), "scikit-image", "skimage.feature.hog"),
    (("hog",), "opencv", "cv2.HOGDescriptor"),
])
def test_compare_json_names_the_reference_it_ran(tmp_path, args, library, function):
    small_photo(tmp_path / "camera.png")
    result = imgkit("compare", *args, "camera.png", "--repeat", "1", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    [record] = compare_rows(result.stdout)
    assert (record["reference"], record["reference_function"]) == (library, function)
    assert record["reference_ms"] > 0 and "opencv_ms" not in record


def test_every_reference_that_is_not_opencv_is_named():
    """The declarations say where the reference is Pillow's or scikit-image's: compare knows each."""
    others = {name for name, op in registry.operations().items() if "Pillow" in op.reference or "skimage" in op.reference}
    assert others == set(OTHER_REFERENCES)


def test_compare_run_names_each_stages_reference_and_draws_its_diff(tmp_path):
    small_photo(tmp_path / "camera.png")
    result = imgkit("compare", "run", "resize --scale 0.5 --antialias | blur", "camera.png", "--repeat", "1", "--json",
                    "--diff", "maps", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    [record] = compare_rows(result.stdout)
    assert [stage["reference"] for stage in record["stages"]] == ["pillow", "opencv"]
    assert record["diff"] == "maps/camera_diff.png"
    map_of(tmp_path / "maps" / "camera_diff.png", (32, 40))       # the chain's result: half the size
    name = small_photo(tmp_path / LONG / "camera_photo.png").relative_to(tmp_path)
    table = imgkit("compare", "run", "resize --scale 0.5 --antialias | blur", name, "--repeat", "1", cwd=tmp_path,
                   COLUMNS="80")
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert max(len(line.rstrip()) for line in lines) <= 80 and f"1  {name}" in lines, table.stdout
    assert "1 resize (Pillow)" in table.stdout


def map_of(path, shape):
    """The heat map part of a --diff picture (the legend strip below it left out)."""
    picture = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert picture is not None and picture.dtype == np.uint8 and picture.shape[2] == 3
    assert picture.shape[0] > shape[0] and picture.shape[1] >= shape[1]      # a legend below
    return picture[:shape[0], :shape[1]]


def test_diff_writes_one_heat_map_per_input_named_as_a_batch_names_outputs(tmp_path):
    small_photo(tmp_path / "in" / "camera.png")
    small_photo(tmp_path / "in" / "sub" / "chelsea.png", "chelsea.png", (50, 40))
    result = imgkit("compare", "blur", "--method", "median", "in", "-r", "--diff", "maps", "--repeat", "1", "--json",
                    cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    found = {record["input"]: record["diff"] for record in compare_rows(result.stdout)}
    assert found == {"in/camera.png": "maps/camera_diff.png", "in/sub/chelsea.png": "maps/sub/chelsea_diff.png"}
    for output, shape in (("maps/camera_diff.png", (64, 80)), ("maps/sub/chelsea_diff.png", (40, 50))):
        zero = map_of(tmp_path / output, shape)             # median blur is identical: all the 0 colour
        assert (zero == heatmap.ZERO).all()
    again = imgkit("compare", "blur", "--method", "median", "in", "-r", "--diff", "maps", "--repeat", "1",
                   cwd=tmp_path)
    assert again.returncode == 1 and "maps/camera_diff.png: output exists (use --overwrite)" in again.stderr
    assert imgkit("compare", "blur", "--method", "median", "in", "-r", "--diff", "maps", "--repeat", "1",
                  "--overwrite", cwd=tmp_path).returncode == 0


def test_diff_refuses_to_write_onto_an_input_before_measuring(tmp_path):
    small_photo(tmp_path / "d" / "x.png")
    small_photo(tmp_path / "d" / "x_diff.png")
    result = imgkit("compare", "blur", "d/x.png", "d/x_diff.png", "--diff", "d", cwd=tmp_path)
    assert result.returncode == 2 and "refusing to write over it" in result.stderr
    assert result.stdout == "" and sorted(os.listdir(tmp_path / "d")) == ["x.png", "x_diff.png"]
    features = imgkit("compare", "hog", "d/x.png", "--diff", "maps", cwd=tmp_path)
    assert features.returncode == 2 and "feature vector" in features.stderr


def test_diff_frames_the_differing_pixels_exactly_when_results_differ(tmp_path):
    """Sobel's float32 results differ from OpenCV's in the last bits on some CPUs, not on others:
    whichever, the map agrees with the record."""
    small_photo(tmp_path / "camera.png", size=(200, 160))
    result = imgkit("compare", "sobel", "camera.png", "--diff", "maps", "--repeat", "1", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    [record] = compare_rows(result.stdout)
    picture = map_of(tmp_path / "maps" / "camera_diff.png", (160, 200))
    framed = (picture == heatmap.FRAME).all(axis=2).any()
    assert framed == (record["identical"] < 1)
    assert ((picture == heatmap.ZERO).all(axis=2).all()) == (record["identical"] == 1)


def test_heat_map_colours_grow_with_the_difference_and_frame_a_single_pixel():
    theirs = np.zeros((400, 400), np.uint8)
    ours = theirs.copy()
    ours[100, 100], ours[300, 300] = 1, 10
    picture = heatmap.heat_map(ours, theirs, "OpenCV", "uint8 levels")
    small, large = tuple(picture[100, 100]), tuple(picture[300, 300])
    assert len({small, large, heatmap.ZERO}) == 3
    assert (picture[:400, :400] == heatmap.FRAME).all(axis=2)[90:111, 90:111].any()    # a frame near the single pixel
    assert not (picture[:400, :400] == heatmap.FRAME).all(axis=2)[150:250, 150:250].any()
    alone = heatmap.heat_map(ours[:200, :200], theirs[:200, :200], "OpenCV", "uint8 levels")
    assert tuple(alone[100, 100]) == large      # alone, the 1-level pixel is the top of the scale


def test_bench_plot_writes_a_chart(tmp_path):
    result = imgkit("bench", "--op", "box_blur", "--size", "1080p", "--repeat", "1", "--no-peers", "--plot",
                    "chart.png", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    chart = cv2.imread(str(tmp_path / "chart.png"))
    assert chart is not None and chart.shape[0] > 100 and chart.shape[1] > 500


def test_bench_plot_without_matplotlib_is_a_usage_error_before_any_timing(tmp_path):
    shadow = tmp_path / "shadow" / "matplotlib"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('No module named matplotlib (shadowed by the test)')\n")
    path = os.pathsep.join([str(tmp_path / "shadow"), os.environ.get("PYTHONPATH", "")])
    result = imgkit("bench", "--op", "box_blur", "--size", "1080p", "--plot", "chart.png", cwd=tmp_path,
                    PYTHONPATH=path)
    assert result.returncode == 2
    message = " ".join(result.stderr.split())
    assert "--plot" in message and "matplotlib" in message and "pip install 'imgkit[plot]'" in message
    assert "cores" not in result.stderr and result.stdout == ""     # no machine line: nothing was timed
    assert not (tmp_path / "chart.png").exists()
    wrong = imgkit("bench", "--op", "box_blur", "--plot", "chart.txt", cwd=tmp_path)
    assert wrong.returncode == 2 and ".png" in wrong.stderr
