"""He's guided filter: the Numba kernels against cv2.ximgproc.guidedFilter (SPEC §5: uint8 within 1
on ≥ 99.9 % of pixels, never more than 2), against the naive window loops of ``naive/guided.py``,
edge preservation, the meaning of eps across dtypes, errors, and the ``guided`` command."""

import subprocess
import sys

import cv2
import numpy as np
import pytest

import imgkit
from imgkit.kernels.border import border_map
from imgkit.kernels.guided import reflect_map
from imgkit.kernels.resize import resize_linear
from imgkit.options import BORDER_REFLECT
from imgkit.ops.guided import low_resolution_radius

from conftest import PHOTOS, at_4k, channels_of, photo, random_image
from naive import guided as naive
from test_cli import read, run_cli
from test_resize_kernels import SIZES


def reference(image, guide=None, **options):
    return imgkit.guided_filter(image, guide, **options, backend="opencv")


def assert_within_spec(ours, theirs, identical=0.995):
    """SPEC §5: ≤ 1 on ≥ 99.9 % of values, ≤ 2 everywhere; and (what is measured on the photos:
    99.59 % at worst, r = 8, ε = 1e-4) identical on ≥ 99.5 %."""
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    diff = np.abs(ours.astype(np.int64) - theirs)
    assert diff.max() <= 2 and np.mean(diff <= 1) >= 0.999
    assert np.mean(diff == 0) >= identical, np.mean(diff == 0)


# ------------------------------------------------------------------------- against OpenCV

@pytest.mark.parametrize("gray", [True, False], ids=["gray", "colour"])
def test_photos_match_opencv(photo_name, gray):
    image = photo(photo_name, gray)
    for radius, eps in [(2, 1e-4), (8, 0.01), (32, 0.1)]:
        ours, theirs = imgkit.guided_filter(image, radius=radius, eps=eps), reference(image, radius=radius, eps=eps)
        if photo_name == "camera.png" and not gray and eps < 1e-3:
            # A gray photo read as colour: three equal channels make Σ singular but for ε, and
            # OpenCV's float32 adjugate is off by up to 3.6 there (imgkit is exact, see
            # test_equal_channels_make_a_gray_guide); the share within 1 still holds.
            assert np.mean(np.abs(ours.astype(int) - theirs) <= 1) >= 0.999
            continue
        assert_within_spec(ours, theirs)


def test_equal_channels_make_a_gray_guide():
    """With I₀ = I₁ = I₂ = g, (Σ + εU)⁻¹ cov gives a = cov/(3·var + ε) per channel: the gray guide g
    with ε/3. Exact arithmetic keeps that true however singular Σ is."""
    gray = photo("camera.png", gray=True)
    colour = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
    for radius, eps in [(2, 1e-4), (8, 1e-6)]:
        result = imgkit.guided_filter(colour, radius=radius, eps=eps)
        np.testing.assert_array_equal(result, np.dstack([imgkit.guided_filter(gray, radius=radius, eps=eps / 3)] * 3))


@pytest.mark.parametrize("gray", [True, False], ids=["gray", "colour"])
def test_4k_photo_matches_opencv(gray):
    image = at_4k(photo("chelsea.png", gray))
    for radius, eps in [(8, 0.01)] if gray else [(16, 1e-3)]:
        assert_within_spec(imgkit.guided_filter(image, radius=radius, eps=eps),
                           reference(image, radius=radius, eps=eps))


def test_other_guides_match_opencv():
    """A gray guide for a colour image, a colour guide for a gray one, a BGRA image (alpha filtered,
    steered by the colour) and a 4-channel guide (its fourth channel unused)."""
    colour = photo("coffee.png")
    gray = photo("coffee.png", gray=True)
    bgra = np.dstack([colour, 255 - gray])
    for image, guide in [(colour, gray), (gray, colour), (bgra, None), (gray, bgra)]:
        assert_within_spec(imgkit.guided_filter(image, guide, radius=4), reference(image, guide, radius=4))
    np.testing.assert_array_equal(imgkit.guided_filter(gray, bgra, radius=4),
                                  imgkit.guided_filter(gray, colour, radius=4))


@pytest.mark.parametrize("gray", [True, False], ids=["gray", "colour"])
def test_fast_filter_matches_opencv(gray):
    """--subsample s against cv2's fast filter with scale 1/s and the radius r/s (SPEC §5)."""
    image = photo("chelsea.png", gray)
    for radius, subsample in [(8, 2), (8, 4), (12, 3)]:
        assert_within_spec(imgkit.guided_filter(image, radius=radius, subsample=subsample),
                           reference(image, radius=radius, subsample=subsample))


@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_fast_filter_shrinks_8_bit_values_in_float32_as_uint8(channels):
    """The fast filter shrinks its uint8 image as float32 (one compiled kernel for guide and image):
    the uint8 rule on the same values, fixed point and the 2×2 area path included, is the uint8 result."""
    for (width, height), (out_w, out_h) in SIZES:
        image = random_image((height, width, channels), np.uint8)
        expected = resize_linear(image, out_w, out_h).astype(np.float32)
        ours = resize_linear(image.astype(np.float32), out_w, out_h, eight_bit=True)
        assert ours.dtype == np.float32
        np.testing.assert_array_equal(ours, expected)


def test_fast_filter_compiles_one_resize_kernel_and_one_row_reader():
    """On a uint8 image the fast filter shrinks guide and image with the float32 resize kernel, and
    reads rows as float32 only: the uint8 resize is neither loaded nor compiled (a fresh process)."""
    script = ("import numpy as np, imgkit\n"
              "from imgkit.kernels import guided, resize\n"
              "image = np.random.default_rng(0).integers(0, 256, (64, 96, 3), dtype=np.uint8)\n"
              "imgkit.guided_filter(image, radius=8, subsample=4)\n"
              "print(len(resize._linear_u8_rows.signatures), len(resize._linear_float_rows.signatures),"
              " len(guided._channels.signatures))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    u8, float32, readers = map(int, done.stdout.split())
    assert (u8, float32) == (0, 1) and readers <= 1      # (0 readers when the strip kernels come from the cache)


def test_uint16_float32_and_enhance_match_opencv():
    image = photo("coffee.png")
    deep = image.astype(np.uint16) * 257
    for subsample in (1, 2):
        assert_within_spec(imgkit.guided_filter(deep, radius=4, subsample=subsample),
                           reference(deep, radius=4, subsample=subsample), identical=0.9)
        unit = image.astype(np.float32) / 255
        np.testing.assert_allclose(imgkit.guided_filter(unit, radius=4, subsample=subsample, enhance=2.0),
                                   reference(unit, radius=4, subsample=subsample, enhance=2.0), atol=1e-5)
    assert_within_spec(imgkit.guided_filter(image, radius=4, enhance=3.0), reference(image, radius=4, enhance=3.0))


# ------------------------------------------------------------------------- against the naive oracle

@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_matches_naive_on_small_images(dtype):
    seed = 0
    for shape in [(1, 1), (1, 7), (7, 1), (5, 4), (16, 17)]:
        # guide channels (None: the image guides itself, which sums fewer statistics), image channels
        for guide_channels, channels in [(0, 0), (0, 3), (3, 0), (3, 4), (4, 3), (None, 0), (None, 3), (None, 4)]:
            seed += 1
            image = channels_of(shape, channels, dtype, seed)
            guide = None if guide_channels is None else channels_of(shape, guide_channels, dtype, seed + 100)
            for radius in (1, 3):
                eps = 0.02 if dtype == np.uint8 else 40.0    # in [0, 1] units²: 1300 and 40 pixel units²
                ours = imgkit.guided_filter(image, guide, radius=radius, eps=eps)
                pixel_eps = eps * (255.0 ** 2 if dtype == np.uint8 else 1.0)
                exact = naive.guided_filter(image, image if guide is None else guide, radius, pixel_eps)
                assert ours.shape == image.shape and ours.dtype == image.dtype
                if dtype == np.uint8:
                    # coefficients are kept in float32: a value within 1e-3 of a rounding tie may go either way
                    expected = np.clip(np.rint(exact), 0, 255)
                    clear = np.abs(exact - np.floor(exact) - 0.5) > 1e-3
                    np.testing.assert_array_equal(ours[clear], expected[clear])
                    assert np.abs(ours - np.clip(exact, 0, 255)).max() <= 0.5 + 1e-3
                else:
                    np.testing.assert_allclose(ours, exact, rtol=1e-5, atol=1e-3)


# ------------------------------------------------------------------------- properties

def test_step_edge_survives_and_flat_noise_is_smoothed():
    step = np.full((64, 64), 50, np.uint8)
    step[:, 32:] = 200
    result = imgkit.guided_filter(step, radius=8, eps=0.01).astype(int)
    assert (result[:, 32] - result[:, 31]).min() >= 120         # 150 high, variance 5625 ≫ ε = 650
    assert np.all(np.diff(result, axis=1) >= 0)                 # no ringing
    far = np.r_[0:15, 49:64]                                    # beyond both windows (2r) of the edge
    np.testing.assert_array_equal(result[:, far], step[:, far])
    box = cv2.blur(step, (17, 17), borderType=cv2.BORDER_REFLECT).astype(int)
    assert (box[:, 32] - box[:, 31]).max() < 10                 # what a plain mean makes of it
    noise = np.clip(128 + np.random.default_rng(1).normal(0, 6, (96, 96)), 0, 255).astype(np.uint8)
    smooth = imgkit.guided_filter(noise, radius=8, eps=0.01)    # variance 36 ≪ ε = 650 pixel units²
    assert smooth.astype(float).std() < 0.25 * noise.astype(float).std()
    assert abs(smooth.astype(float).mean() - noise.astype(float).mean()) < 1


def test_constant_image_is_kept_whatever_the_options():
    for image in (np.full((20, 30, 3), 77, np.uint8), np.full((9, 5), 0.25, np.float32)):
        for options in ({"radius": 3}, {"radius": 8, "subsample": 2}, {"radius": 2, "enhance": 4.0}):
            np.testing.assert_allclose(imgkit.guided_filter(image, **options), image, atol=1e-6)


def test_eps_is_in_unit_intensity_whatever_the_dtype():
    """The same picture as uint8, uint16 and float32 in 0–1 gives the same result for the same eps."""
    image = photo("camera.png")[100:260, 150:330]
    eight = imgkit.guided_filter(image, radius=5, eps=0.003).astype(np.float64)
    sixteen = imgkit.guided_filter(image.astype(np.uint16) * 257, radius=5, eps=0.003) / 257.0
    unit = imgkit.guided_filter(image.astype(np.float32) / 255, radius=5, eps=0.003) * 255.0
    assert np.abs(sixteen - eight).max() <= 1 and np.abs(unit - eight).max() <= 0.5 + 1e-3


def test_enhance_boosts_the_detail_layer():
    image = photo("coffee.png", gray=True)
    q = imgkit.guided_filter(image.astype(np.float32) / 255, radius=4).astype(np.float64) * 255
    boosted = imgkit.guided_filter(image, radius=4, enhance=2.0).astype(np.float64)
    expected = np.clip(np.rint(image + 2.0 * (image - q)), 0, 255)
    assert np.abs(boosted - expected).max() <= 1
    np.testing.assert_array_equal(imgkit.guided_filter(image, radius=4, enhance=0.0),
                                  imgkit.guided_filter(image, radius=4))


def test_reflect_map_is_borders_reflect():
    for n in (1, 2, 3, 7, 30):
        for before, after in [(0, 0), (1, 2), (5, 6), (13, 14), (40, 41)]:
            np.testing.assert_array_equal(reflect_map(n, before, after),
                                          border_map(n, before, after, BORDER_REFLECT))


def test_low_resolution_radius():
    assert [low_resolution_radius(8, s) for s in (1, 2, 3, 4, 16, 17)] == [8, 4, 3, 2, 1, 1]


@pytest.mark.parametrize("arguments, error", [
    ({"guide": np.zeros((10, 12), np.uint8)}, ValueError),             # another size
    ({"guide": np.zeros((12, 10, 2), np.uint8)}, ValueError),          # two channels
    ({"guide": np.zeros((12, 10), np.int32)}, TypeError),
    ({"radius": 0}, ValueError), ({"radius": 2.5}, TypeError), ({"eps": 0}, ValueError),
    ({"eps": float("nan")}, ValueError), ({"subsample": 0}, ValueError), ({"subsample": 11}, ValueError),
    ({"enhance": -1}, ValueError), ({"backend": "cuda"}, ValueError),
])
def test_errors(arguments, error):
    with pytest.raises(error):
        imgkit.guided_filter(random_image((12, 10), np.uint8), **arguments)


# ------------------------------------------------------------------------- the command

def test_cli_guide_option(tmp_path, capsys):
    guide = cv2.flip(photo("coffee.png"), 1)
    cv2.imwrite(str(tmp_path / "guide.png"), guide)
    code, _, _ = run_cli("guided", PHOTOS / "coffee.png", "--guide", tmp_path / "guide.png", "--radius", "4",
                         "-o", tmp_path / "out.png", capsys=capsys)
    assert code == 0
    np.testing.assert_array_equal(read(tmp_path / "out.png"),
                                  imgkit.guided_filter(read(PHOTOS / "coffee.png"), guide, radius=4))
    code, _, _ = run_cli("guided", PHOTOS / "coffee.png", "--guide", tmp_path / "guide.png", "--radius", "4",
                         "--reference", "-o", tmp_path / "ref.png", capsys=capsys)
    assert code == 0
    np.testing.assert_array_equal(read(tmp_path / "ref.png"), reference(read(PHOTOS / "coffee.png"), guide, radius=4))


def test_cli_bad_guides_exit_2(tmp_path, capsys):
    np.save(tmp_path / "two.npy", np.zeros((400, 600, 2), np.uint8))
    for guide in (PHOTOS / "chelsea.png", tmp_path / "two.npy", tmp_path / "missing.png"):
        code, _, err = run_cli("guided", PHOTOS / "coffee.png", "--guide", guide, "-o", tmp_path / "o.png",
                               capsys=capsys)
        assert code == 2 and "Traceback" not in err and "guide" in err
    assert not (tmp_path / "o.png").exists()
    code, _, err = run_cli("guided", PHOTOS / "coffee.png", "--radius", "0", "-o", tmp_path / "o.png", capsys=capsys)
    assert code == 2 and "radius" in err and not (tmp_path / "o.png").exists()


def test_cli_keeps_depth_and_alpha_and_goes_on_after_a_bad_input(tmp_path, capsys):
    from conftest import BAD
    for name in ("deep16.png", "bgra.png", "one_pixel.png", "one_row.png"):
        code, _, _ = run_cli("guided", BAD / name, "--radius", "2", "-o", tmp_path / name, capsys=capsys)
        source, result = read(BAD / name), read(tmp_path / name)
        assert code == 0 and result.dtype == source.dtype and result.shape == source.shape
        np.testing.assert_array_equal(result, imgkit.guided_filter(source, radius=2))   # alpha not premultiplied
    code, _, err = run_cli("guided", BAD / "truncated.png", PHOTOS / "camera.png", "-o", tmp_path / "out",
                           capsys=capsys)
    assert code == 1 and "truncated.png" in err and (tmp_path / "out" / "camera.png").exists()
