"""``imgkit.resize`` and ``imgkit resize``: sizes, interpolation choice, errors, and agreement
with cv2.resize / Pillow through the public API (the kernels' own tests are in
test_resize_kernels.py and test_resample_kernels.py)."""

import numpy as np
import pytest

import imgkit
from imgkit.ops.resize import output_size

from conftest import PHOTOS, at_4k, photo
from test_cli import read, run_cli


@pytest.mark.parametrize("options, expected", [
    ({"width": 75}, (75, 50)), ({"height": 30}, (45, 30)), ({"width": 10, "height": 7}, (10, 7)),
    ({"scale": 0.5}, (75, 50)), ({"scale": 1 / 3}, (50, 33)), ({"fit": (60, 60)}, (60, 40)),
    ({"fit": (300, 20)}, (30, 20)),
])
def test_output_size(options, expected):
    assert output_size((100, 150, 3), **options) == expected


def test_auto_is_area_to_shrink_and_cubic_to_enlarge():
    image = photo("chelsea.png")
    for size, interp in [((200, 100), "area"), ((900, 600), "cubic"), ((500, 200), "cubic")]:
        np.testing.assert_array_equal(imgkit.resize(image, width=size[0], height=size[1], backend="opencv"),
                                      imgkit.resize(image, width=size[0], height=size[1], interp=interp,
                                                    backend="opencv"))


@pytest.mark.parametrize("options", [
    {}, {"width": 10, "scale": 2.0}, {"scale": 0.0}, {"scale": -1.0}, {"width": 0}, {"height": -3},
    {"fit": "10"}, {"fit": "0x10"}, {"scale": 1e-4}, {"width": 5, "interp": "area", "antialias": True},
    {"width": 5, "interp": "bicubic"},
])
def test_bad_sizes_raise_valueerror(options):
    with pytest.raises((ValueError, TypeError)):
        imgkit.resize(photo("camera.png"), **options)


@pytest.mark.parametrize("interp", ["nearest", "linear", "cubic", "area", "lanczos"])
@pytest.mark.parametrize("gray", [True, False], ids=["gray", "bgr"])
def test_backends_within_one_on_photos_both_ways(interp, gray, photo_name):
    image = photo(photo_name, gray)
    for scale in (0.37, 0.5, 1.6):
        ours = imgkit.resize(image, scale=scale, interp=interp)
        theirs = imgkit.resize(image, scale=scale, interp=interp, backend="opencv")
        assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
        assert np.abs(ours.astype(int) - theirs).max() <= 1


@pytest.mark.parametrize("interp", ["linear", "area"])
def test_4k_to_1080p_within_one(interp):
    image = at_4k(photo("retina.jpg"))
    ours = imgkit.resize(image, width=1920, height=1080, interp=interp)
    assert np.abs(ours.astype(int) - imgkit.resize(image, width=1920, height=1080, interp=interp,
                                                   backend="opencv")).max() <= 1


@pytest.mark.parametrize("interp", ["linear", "cubic", "lanczos"])
def test_antialias_close_to_pillow(interp):
    image = photo("astronaut.png")
    ours = imgkit.resize(image, scale=0.3, interp=interp, antialias=True).astype(int)
    theirs = imgkit.resize(image, scale=0.3, interp=interp, antialias=True, backend="opencv")
    diff = np.abs(ours - theirs)
    assert diff.max() <= 2 and np.mean(diff <= 1) >= 0.99


@pytest.mark.parametrize("args", [["--width", "0"], ["--scale", "-2"], ["--scale", "2", "--width", "5"], [],
                                  ["--fit", "abc"], ["--scale", "100000"], ["--interp", "bicubic", "--width", "5"]])
def test_cli_bad_sizes_exit_2(args, tmp_path, capsys):
    code, _, err = run_cli("resize", PHOTOS / "camera.png", "-o", tmp_path / "o.png", *args, capsys=capsys)
    assert code == 2 and "Traceback" not in err
    assert not (tmp_path / "o.png").exists()


def test_cli_result_under_one_pixel_fails_that_input(tmp_path, capsys):
    """--scale 0.0001 leaves a pixel of a 10 000-pixel-wide image, nothing of a 512×512 one: that
    is the image's rule, an error for that input (it used to be refused on a 512² sample)."""
    code, _, err = run_cli("resize", PHOTOS / "camera.png", "-o", tmp_path / "o.png", "--scale", "0.0001",
                           capsys=capsys)
    assert code == 1 and "under 1 pixel" in err and "Traceback" not in err
    assert not (tmp_path / "o.png").exists()


def test_cli_resize_keeps_depth_and_alpha(tmp_path, capsys):
    from conftest import BAD
    for name in ("deep16.png", "bgra.png"):
        code, _, _ = run_cli("resize", BAD / name, "--scale", "2", "-o", tmp_path / name, capsys=capsys)
        source, result = read(BAD / name), read(tmp_path / name)
        assert code == 0 and result.dtype == source.dtype
        assert result.shape[2:] == source.shape[2:] and result.shape[:2] == (source.shape[0] * 2, source.shape[1] * 2)
