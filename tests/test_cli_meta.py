"""Issue 17 item 11: EXIF, ICC profile and resolution carried from input to output, ``--strip``
(real ``python -m imgkit`` subprocesses)."""

import io
import os
import subprocess
import sys

import cv2
import numpy as np
import pytest
from PIL import Image, ImageCms

from conftest import PHOTOS

ENV = {**os.environ, "IMGKIT_NO_SERVER": "1"}
ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
MAKE, MODEL, ORIENTATION = 0x010F, 0x0110, 0x0112


def imgkit(*args, cwd):
    done = subprocess.run([sys.executable, "-m", "imgkit", *map(str, args)], cwd=cwd, env=ENV,
                          capture_output=True, text=True, timeout=300)
    assert "Traceback" not in done.stderr
    return done


@pytest.fixture
def tagged_jpeg(tmp_path):
    """A 40×60 (stored) JPEG photo with EXIF Orientation 6, Make/Model, 300 DPI and an ICC profile."""
    stored = cv2.imread(str(PHOTOS / "rocket.jpg"))[:40, :60]
    exif = Image.Exif()
    exif[MAKE], exif[MODEL], exif[ORIENTATION] = "Canon", "EOS 5D", 6
    path = tmp_path / "tagged.jpg"
    Image.fromarray(stored[:, :, ::-1]).save(path, exif=exif, icc_profile=ICC, dpi=(300, 300), quality=95)
    return path


def metadata_of(path):
    with Image.open(path) as image:
        exif = image.getexif()
        return {"icc": image.info.get("icc_profile"), "dpi": image.info.get("dpi"), "make": exif.get(MAKE),
                "model": exif.get(MODEL), "orientation": exif.get(ORIENTATION)}


@pytest.mark.parametrize("command", [["blur", "--sigma", "1"], ["resize", "--scale", "50%"]])
def test_exif_icc_and_dpi_survive_a_filter_or_resize_and_the_pixels_are_turned(tagged_jpeg, tmp_path, command):
    out = tmp_path / "out.jpg"
    assert imgkit(*command[:1], tagged_jpeg, *command[1:], "-o", out, cwd=tmp_path).returncode == 0
    kept = metadata_of(out)
    assert kept["icc"] == ICC and kept["make"] == "Canon" and kept["model"] == "EOS 5D"
    assert kept["orientation"] in (1, None)
    assert kept["dpi"] == pytest.approx((300, 300))
    rows, cols = cv2.imread(str(out), cv2.IMREAD_UNCHANGED).shape[:2]
    assert rows > cols      # stored 60 wide × 40 high, turned by the orientation: taller than wide


def test_metadata_is_attached_without_touching_the_encoded_pixels(tagged_jpeg, tmp_path):
    kept, stripped = tmp_path / "kept.jpg", tmp_path / "stripped.jpg"
    assert imgkit("blur", tagged_jpeg, "--sigma", "1", "-o", kept, cwd=tmp_path).returncode == 0
    assert imgkit("blur", tagged_jpeg, "--sigma", "1", "--strip", "-o", stripped, cwd=tmp_path).returncode == 0
    np.testing.assert_array_equal(cv2.imread(str(kept)), cv2.imread(str(stripped)))
    assert os.path.getsize(kept) > os.path.getsize(stripped)


def test_strip_removes_exif_icc_and_dpi(tagged_jpeg, tmp_path):
    out = tmp_path / "out.jpg"
    assert imgkit("resize", tagged_jpeg, "--width", "20", "--strip", "-o", out, cwd=tmp_path).returncode == 0
    kept = metadata_of(out)
    assert kept["icc"] is None and kept["make"] is None and kept["dpi"] in (None, (1, 1))


def test_a_png_keeps_its_iccp_and_phys(tmp_path):
    source = tmp_path / "tagged.png"
    image = cv2.imread(str(PHOTOS / "chelsea.png"))[:50, :70]
    Image.fromarray(image[:, :, ::-1]).save(source, icc_profile=ICC, dpi=(150, 150))
    out = tmp_path / "out.png"
    assert imgkit("blur", source, "--sigma", "1", "-o", out, cwd=tmp_path).returncode == 0
    with Image.open(out) as written:
        assert written.info.get("icc_profile") == ICC
        assert written.info.get("dpi") == pytest.approx((150, 150), abs=0.05)  # pHYs counts whole pixels per metre
    stripped = tmp_path / "stripped.png"
    assert imgkit("blur", source, "--sigma", "1", "--strip", "-o", stripped, cwd=tmp_path).returncode == 0
    with Image.open(stripped) as written:
        assert "icc_profile" not in written.info and "dpi" not in written.info
    np.testing.assert_array_equal(cv2.imread(str(out), cv2.IMREAD_UNCHANGED),
                                  cv2.imread(str(stripped), cv2.IMREAD_UNCHANGED))


@pytest.mark.parametrize("fmt", ["png", "webp", "tiff"])
def test_each_format_keeps_what_it_can_hold(tagged_jpeg, tmp_path, fmt):
    out = tmp_path / f"out.{fmt}"
    assert imgkit("blur", tagged_jpeg, "--sigma", "1", "-o", out, cwd=tmp_path).returncode == 0
    kept = metadata_of(out)
    if fmt == "tiff":       # OpenCV's TIFF encoder takes the resolution only
        assert kept["dpi"] == pytest.approx((300, 300))
    else:
        assert kept["icc"] == ICC and kept["make"] == "Canon" and kept["orientation"] == 1
    if fmt == "png":
        assert kept["dpi"] == pytest.approx((300, 300), abs=0.05)  # pHYs counts whole pixels per metre


def test_an_icc_profile_of_rgb_is_not_put_on_a_gray_output(tagged_jpeg, tmp_path):
    out = tmp_path / "gray.png"
    done = imgkit("blur", tagged_jpeg, "--gray", "-o", out, cwd=tmp_path)
    assert done.returncode == 0 and "libpng" not in done.stderr
    kept = metadata_of(out)
    assert kept["icc"] is None and kept["make"] == "Canon"


def test_oversized_or_broken_metadata_is_left_out_with_a_notice_and_the_image_is_written(tmp_path):
    """A hostile EXIF (above the 64 kB a JPEG APP1 segment holds, here a PNG's eXIf) is not
    copied; the image is still written, and the notice names the file."""
    source = tmp_path / "huge.png"
    exif = Image.Exif()
    exif[MAKE] = "x" * 100_000
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(source, exif=exif)
    out = tmp_path / "out.png"
    done = imgkit("blur", source, "-o", out, cwd=tmp_path)
    assert done.returncode == 0 and out.exists()
    assert "huge.png: EXIF of" in done.stderr and "not kept" in done.stderr
    assert metadata_of(out)["make"] is None


def test_metadata_goes_to_stdout_too(tagged_jpeg, tmp_path):
    done = subprocess.run([sys.executable, "-m", "imgkit", "blur", str(tagged_jpeg), "-o", "-", "--format", "jpg"],
                          cwd=tmp_path, env=ENV, capture_output=True, timeout=300)
    assert done.returncode == 0
    with Image.open(io.BytesIO(done.stdout)) as image:
        assert image.info.get("icc_profile") == ICC and image.getexif().get(MAKE) == "Canon"


def test_an_unreadable_icc_profile_is_left_out_and_the_image_written(tmp_path):
    source = tmp_path / "garbage_icc.jpg"
    Image.fromarray(np.full((16, 24, 3), 90, np.uint8)).save(source, icc_profile=b"not a profile" * 20)
    out = tmp_path / "out.jpg"
    done = imgkit("blur", source, "-o", out, cwd=tmp_path)
    assert done.returncode == 0 and out.exists()
    assert "garbage_icc.jpg: metadata not readable" in done.stderr and "not kept" in done.stderr
    assert metadata_of(out)["icc"] is None
    quiet = imgkit("blur", source, "-q", "-o", tmp_path / "quiet.jpg", cwd=tmp_path)
    assert quiet.returncode == 0 and quiet.stderr == ""


def test_max_pixels_is_checked_before_any_metadata_is_read(tagged_jpeg, tmp_path):
    done = imgkit("blur", tagged_jpeg, "--max-pixels", "100", "-o", tmp_path / "out.jpg", cwd=tmp_path)
    assert done.returncode == 1 and "above --max-pixels" in done.stderr and "metadata" not in done.stderr


def test_a_png_without_metadata_chunks_does_not_load_pillow(tmp_path):
    """Pillow reads metadata only where a PNG can hold some: a plain PNG's call imports no PIL
    (start-up, issue 16), and one with a pHYs chunk still has it read and kept."""
    plain = tmp_path / "plain.png"
    cv2.imwrite(str(plain), np.zeros((8, 8, 3), np.uint8))
    probe = ("import sys; from imgkit.cli import main\n"
             "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
             "print('PIL' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe, "blur", str(plain), "-o", str(tmp_path / "out.png")],
                          env=ENV, capture_output=True, text=True, timeout=300)
    assert (tmp_path / "out.png").exists() and done.stdout.strip().splitlines()[-1] == "False", done.stderr
    dotted = tmp_path / "dotted.png"
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(dotted, dpi=(300, 300))
    imgkit("blur", dotted, "-o", tmp_path / "dotted_blur.png", cwd=tmp_path)
    assert Image.open(tmp_path / "dotted_blur.png").info["dpi"] == pytest.approx((300, 300), abs=0.01)
