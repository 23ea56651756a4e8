"""--tiles: a job run in bands of rows (imgkit.tiles) gives the in-memory result to the byte.

Each case writes a smooth random field as a tiled TIFF, runs it through ``tiles.run_tiled`` (or
``tiles.image_work``) with bands of several heights, among them 1-row strips and bands smaller
than the halo, and compares with ``batch.apply`` on the whole image read by ``io.imread``:
same dtype, same shape, same values (np.array_equal). The output is read back with OpenCV.
"""

import os
import subprocess
import sys

import cv2
import numpy as np
import pytest
import tifffile
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st

from imgkit import batch, io, tiles, tiles_io
from imgkit.inputs import Source
from imgkit.tiles_io import write_bigtiff

BANDS = (2, 7)            # rows a band: fewer than any halo, and an odd count (1 row: the hypothesis test)
DTYPES = (np.uint8, np.uint16, np.float32)
TOP = {np.uint8: 255, np.uint16: 65535, np.float32: 1.0}


def field(height, width, channels=None, dtype=np.uint8, seed=0):
    """A smooth random image with some fine noise: edges, ramps and texture for every filter."""
    rng = np.random.default_rng(seed)
    coarse = rng.random((height // 6 + 2, width // 6 + 2) + ((channels,) if channels else ())).astype(np.float32)
    smooth = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC).reshape(
        (height, width) + ((channels,) if channels else ()))
    values = np.clip(smooth + 0.15 * rng.random(smooth.shape, dtype=np.float32), 0, 1) * TOP[dtype]
    return values.astype(dtype)


def write_tiff(path, image, tile=(32, 32)):
    """``image`` (as OpenCV lays it out: BGR(A)) as a tiled TIFF that cv2.imread reads back as it."""
    if image.ndim == 2:
        tifffile.imwrite(path, image, photometric="minisblack", tile=tile)
    else:
        order = [2, 1, 0, 3][:image.shape[2]]
        extra = ("unspecified",) if image.shape[2] == 4 else None
        tifffile.imwrite(path, image[:, :, order], photometric="rgb", tile=tile, extrasamples=extra)
    return str(path)


def task_for(path, output, fmt="tiff"):
    return batch.Task(Source(str(path), os.path.basename(str(path)), True), str(output), fmt)


def tiled(path, job, band_rows, settings=batch.Settings(overwrite=True), **options):
    output = os.path.join(os.path.dirname(path), "tiled.tif")
    tiles.run_tiled(task_for(path, output), job, settings, band_rows=band_rows, **options)
    return cv2.imread(output, cv2.IMREAD_UNCHANGED)


def in_memory(path, job, settings=batch.Settings()):
    """What ``batch.run_task`` computes for a TIFF output, before encoding."""
    image = io.imread(path, gray=settings.gray, max_pixels=settings.max_pixels)
    pixels = batch.apply(job, image)
    if settings.depth is not None:
        from imgkit.depth import convert
        pixels = convert(pixels, settings.depth, job.normalize)
    return pixels


def assert_identical(got, want):
    assert got is not None
    assert (got.dtype, got.shape) == (want.dtype, want.shape)
    assert np.array_equal(got, want, equal_nan=True), f"{np.count_nonzero(got != want)} values differ"


def assert_tiles_identical(path, job, bands=BANDS, settings=batch.Settings(overwrite=True)):
    want = in_memory(path, job, settings)
    for band_rows in bands:
        assert_identical(tiled(path, job, band_rows, settings), want)


BORDERS = ("reflect101", "reflect", "replicate", "constant", "wrap")
JOBS = [
    *(batch.Job("gaussian_blur", {"sigma": 2.0, "border": border}) for border in BORDERS),
    batch.Job("gaussian_blur", {"sigma": 0.8, "sigma_y": 3.0}),
    *(batch.Job("box_blur", {"ksize": ksize, "border": border}) for ksize, border in ((6, "reflect"), (3, "wrap"))),
    batch.Job("median_blur", {"ksize": 5}),
    batch.Job("sobel", {"dx": 0, "dy": 2, "ksize": 1}),
    batch.Job("sobel", {"dx": 1, "dy": 1, "ksize": 7, "border": "replicate"}),
    batch.Job("scharr", {"dx": 0, "dy": 1, "border": "wrap"}),
    batch.Job("prewitt", {"dx": 1, "dy": 0}),
    batch.Job("laplacian", {"ksize": 5, "border": "constant"}),
    batch.Job("gradient_magnitude", {"operator": "sobel", "ksize": 5, "l1": True}),
    batch.Job("gradient_angle", {"operator": "scharr"}),
    batch.Job("guided_filter", {"radius": 3, "eps": 0.001}),
    batch.Job("guided_filter", {"radius": 9, "eps": 0.02, "enhance": 2.0}),
    batch.Job("threshold", {"value": 0.4 * 255}),
]


@pytest.mark.parametrize("channels", [None, 3, 4], ids=["gray", "bgr", "bgra"])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("job", JOBS, ids=lambda job: f"{job.op}-{'-'.join(map(str, job.params.values()))}")
def test_filters_in_bands_equal_the_whole_image(tmp_path, job, dtype, channels):
    path = write_tiff(tmp_path / "in.tif", field(53, 71, channels, dtype))
    assert_tiles_identical(path, job)


@pytest.mark.parametrize("channels", [None, 3])
@pytest.mark.parametrize("dtype", [np.uint8, np.float32], ids=lambda d: d.__name__)
def test_bilateral_in_bands(tmp_path, dtype, channels):
    """uint8 is local; float32 weighs colours over the whole image's range: refused, saying so."""
    path = write_tiff(tmp_path / "in.tif", field(40, 45, channels, dtype))
    job = batch.Job("bilateral_filter", {"diameter": 7, "sigma_color": 30.0, "sigma_space": 5.0, "border": "wrap"})
    if dtype == np.uint8:
        assert_tiles_identical(path, job)
    else:
        with pytest.raises(ValueError, match="value range"):
            tiled(path, job, 8)


@pytest.mark.parametrize("params", [
    {"low": 30.0, "high": 90.0},
    {"low": 90.0, "high": 30.0, "sigma": 2.0},          # swapped, as OpenCV swaps them
    {"low": 20.0, "high": 60.0, "sigma": 0.0, "aperture": 5, "l2": True},
    {"low": 200.0, "high": 1500.0, "sigma": 1.0, "aperture": 7},
    {"low": None, "high": None, "sigma": 1.5},          # --auto: the whole smoothed image's median
])
@pytest.mark.parametrize("channels", [None, 3, 4])
def test_canny_hysteresis_crosses_bands(tmp_path, params, channels):
    path = write_tiff(tmp_path / "in.tif", field(67, 59, channels))
    assert_tiles_identical(path, batch.Job("canny", params), bands=(1, 2, 5, 16, 1000))


def test_canny_edge_that_only_a_far_band_makes_strong(tmp_path):
    """A long weak line whose one strong pixel lies many bands away: the whole line is an edge."""
    image = np.zeros((120, 40), np.uint8)
    image[:, 20:] = 40                      # a weak vertical step along the whole height
    image[100:104, 20:] = 200               # strong only here, near the bottom
    path = write_tiff(tmp_path / "in.tif", image)
    job = batch.Job("canny", {"low": 20.0, "high": 300.0, "sigma": 0.0})
    want = in_memory(path, job)
    assert want[:10].any()                  # the flood reached the top
    for band_rows in (1, 7, 16):
        assert_identical(tiled(path, job, band_rows), want)


@given(height=st.integers(1, 40), width=st.integers(1, 40), band_rows=st.integers(1, 45),
       sigma=st.floats(0.3, 4.0), seed=st.integers(0, 2**16))
@hypothesis_settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_gaussian_and_canny_any_size_and_band(tmp_path, height, width, band_rows, sigma, seed):
    path = write_tiff(tmp_path / "in.tif", field(height, width, 3, seed=seed), tile=None)   # OpenCV: no tile past a 1-row image
    for job in (batch.Job("gaussian_blur", {"sigma": sigma}),
                batch.Job("canny", {"low": 20.0, "high": 60.0, "sigma": sigma})):
        assert_identical(tiled(path, job, band_rows), in_memory(path, job))


@pytest.mark.parametrize("guide_channels", [None, 3])
def test_guided_by_another_image_cuts_the_guide_in_the_same_bands(tmp_path, guide_channels):
    path = write_tiff(tmp_path / "in.tif", field(45, 38, 3))
    guide = field(45, 38, guide_channels, np.uint16, seed=9)
    assert_tiles_identical(path, batch.Job("guided_filter", {"guide": guide, "radius": 4, "eps": 0.01}), bands=(1, 7))


@pytest.mark.parametrize("jobs", [
    ("gaussian_blur", {"sigma": 1.5}, "sobel", {"dx": 1, "dy": 0}),
    ("median_blur", {"ksize": 3}, "canny", {"low": 30.0, "high": 80.0}),
    ("box_blur", {"ksize": 5}, "canny", {"low": None, "high": None, "sigma": 0.5}),
    ("convert", {"to": "gray"}, "guided_filter", {"radius": 4, "eps": 0.01}),
])
def test_chains_add_their_halos(tmp_path, jobs):
    chain = batch.Chain((batch.Job(jobs[0], jobs[1]), batch.Job(jobs[2], jobs[3])))
    path = write_tiff(tmp_path / "in.tif", field(61, 50, 3))
    assert_tiles_identical(path, chain)


@pytest.mark.parametrize("job", [batch.Job("gaussian_blur", {"sigma": 2.0}, backend="opencv"),
                                 batch.Job("median_blur", {"ksize": 5}, backend="opencv"),
                                 batch.Job("canny", {"low": 30.0, "high": 90.0}, backend="opencv")])
def test_opencv_backend_in_bands(tmp_path, job):
    path = write_tiff(tmp_path / "in.tif", field(47, 52, 3))
    assert_tiles_identical(path, job)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16], ids=lambda d: d.__name__)
@pytest.mark.parametrize("channels", [3, 4])
def test_gray_reads_as_opencvs_tiff_decoder(tmp_path, dtype, channels):
    """--gray on a colour TIFF: OpenCV's decoder's own conversion, not cv2.cvtColor's."""
    path = write_tiff(tmp_path / "in.tif", field(30, 33, channels, dtype))
    settings = batch.Settings(gray=True, overwrite=True)
    assert_tiles_identical(path, batch.Job("gaussian_blur", {"sigma": 1.0}), bands=(4,), settings=settings)


@pytest.mark.parametrize("depth", ["8", "16", "32f"])
@pytest.mark.parametrize("normalize", [False, True])
def test_depth_applies_per_band(tmp_path, depth, normalize):
    """--depth converts each band; --normalize stretches from the whole result's min and max."""
    path = write_tiff(tmp_path / "in.tif", field(30, 33, 3))
    settings = batch.Settings(depth=depth, overwrite=True)
    for job in (batch.Job("sobel", {"dx": 1, "dy": 0}, normalize=normalize),
                batch.Job("gradient_angle", {}, normalize=normalize),
                batch.Chain((batch.Job("box_blur", {}), batch.Job("laplacian", {}, normalize=normalize)))):
        assert_tiles_identical(path, job, bands=(1, 7), settings=settings)


def test_png_input_is_decoded_whole_and_run_in_bands(tmp_path):
    image = field(40, 41, 3)
    path = str(tmp_path / "in.png")
    io.imwrite(path, image)
    assert_tiles_identical(path, batch.Job("gaussian_blur", {"sigma": 1.0}), bands=(6,))


def test_tiff_that_tifffile_cannot_decode_is_decoded_whole(tmp_path):
    """cv2.imwrite's LZW TIFF: without imagecodecs tifffile cannot read it lazily; OpenCV decodes it whole."""
    path = str(tmp_path / "in.tif")
    io.imwrite(path, field(40, 41, 3))
    assert_tiles_identical(path, batch.Job("gaussian_blur", {"sigma": 1.0}), bands=(6,))


@pytest.mark.parametrize("byteorder", ["<", ">"])
@pytest.mark.parametrize("compression", [None, "zlib"])
def test_tiff_in_one_large_strip(tmp_path, monkeypatch, compression, byteorder):
    """Strips larger than LARGEST_CHUNK: memory-mapped when uncompressed, else decoded whole."""
    monkeypatch.setattr(tiles_io, "LARGEST_CHUNK", 1000)
    image = field(60, 50, 3, np.uint16)
    path = str(tmp_path / "in.tif")
    tifffile.imwrite(path, image[:, :, ::-1], photometric="rgb", rowsperstrip=60, compression=compression,
                     byteorder=byteorder)
    assert isinstance(tiles_io.open_rows(path), tiles_io.TiffRows if compression is None else tiles_io.DecodedRows)
    for backend in ("numba", "opencv"):     # a big-endian memory map: both backends take it
        assert_tiles_identical(path, batch.Job("gaussian_blur", {"sigma": 1.0}, backend=backend), bands=(7,))


def test_output_is_a_tiled_bigtiff(tmp_path):
    path = write_tiff(tmp_path / "in.tif", field(300, 270, 3))
    tiled(path, batch.Job("box_blur", {"ksize": 3}), 100)
    with tifffile.TiffFile(tmp_path / "tiled.tif") as written:
        page = written.pages[0]
        assert written.is_bigtiff and page.is_tiled and (page.tilelength, page.tilewidth) == (256, 256)


RESIZES = [
    {"scale": 0.37, "interp": "nearest"}, {"scale": 2.6, "interp": "nearest"}, {"width": 50, "height": 99, "interp": "nearest"},
    {"scale": 0.5}, {"scale": 0.25, "interp": "area"}, {"scale": 1 / 3, "interp": "area"},
    {"width": 31, "height": 61, "interp": "area"}, {"scale": 0.5, "interp": "linear"},
]


@pytest.mark.parametrize("backend", ["numba", "opencv"])
@pytest.mark.parametrize("channels", [None, 3, 4])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("params", RESIZES, ids=lambda p: "-".join(map(str, p.values())))
def test_nearest_and_integer_area_resize_in_bands(tmp_path, params, dtype, channels, backend):
    path = write_tiff(tmp_path / "in.tif", field(61, 93, channels, dtype))
    if backend == "opencv" and dtype != np.uint8 and params.get("interp") == "linear":
        with pytest.raises(ValueError, match="by linear"):     # IPP's linear, not area
            tiled(path, batch.Job("resize", params, backend=backend), 8)
        return
    assert_tiles_identical(path, batch.Job("resize", params, backend=backend))


@pytest.mark.parametrize("params, words", [({"scale": 0.4, "interp": "area"}, "by area"),
                                           ({"scale": 2.0}, "by cubic"),   # auto enlarging: cubic
                                           ({"scale": 0.4, "interp": "linear"}, "by linear")])
def test_other_resizes_are_refused_once_the_size_is_known(tmp_path, params, words):
    path = write_tiff(tmp_path / "in.tif", field(20, 20))
    with pytest.raises(ValueError, match=words):
        tiled(path, batch.Job("resize", params), 8)


# ---------------------------------------------------------------- what does not run in tiles

@pytest.mark.parametrize("job, words", [
    (batch.Job("resize", {"scale": 0.5, "interp": "cubic"}), "resize --interp cubic does not run in tiles"),
    (batch.Job("resize", {"width": 10, "antialias": True}), "resize --antialias"),
    (batch.Chain((batch.Job("resize", {"scale": 0.5}), batch.Job("box_blur", {}))), "not in a chain"),
    (batch.Job("rotate", {"angle": 30.0}), "rotate does not run in tiles"),
    (batch.Job("threshold", {"method": "otsu"}), "otsu"),
    (batch.Job("guided_filter", {"subsample": 2}), "subsample > 1"),
    (batch.Chain((batch.Job("guided_filter", {"guide": np.zeros((2, 2), np.uint8)}), batch.Job("box_blur", {}))),
     "guided_filter with a guide image runs in tiles alone"),
    (batch.Chain((batch.Job("canny", {}), batch.Job("box_blur", {}))), "canny must be the last stage"),
    (batch.Chain((batch.Job("box_blur", {"border": "wrap"}), batch.Job("box_blur", {}))), "wrap"),
])
def test_untileable_says_why(job, words):
    assert words in tiles.untileable(job)


@pytest.mark.parametrize("job", JOBS[:3] + [batch.Job("canny", {"low": 1.0, "high": 2.0}),
                                            batch.Chain((batch.Job("gaussian_blur", {}), batch.Job("canny", {})))])
def test_tileable_jobs(job):
    assert tiles.untileable(job) is None


# ---------------------------------------------------------------- results, errors and safety

def test_image_work_tiles_when_forced_and_reports_results(tmp_path):
    path = write_tiff(tmp_path / "in.tif", field(30, 30))
    job = batch.Job("gaussian_blur", {"sigma": 1.0})
    work = tiles.image_work(job, batch.Settings(), forced=True)
    result = work(task_for(path, tmp_path / "out.tif"))
    assert result.status == "ok", result.error
    assert_identical(cv2.imread(str(tmp_path / "out.tif"), cv2.IMREAD_UNCHANGED), in_memory(path, job))
    again = work(task_for(path, tmp_path / "out.tif"))
    assert again.status == "error" and again.error.endswith("out.tif: output exists (use --overwrite or --skip-existing)")
    skipped = tiles.image_work(job, batch.Settings(skip_existing=True), forced=True)(task_for(path, tmp_path / "out.tif"))
    assert skipped.status == "skipped"


def test_a_job_that_cannot_run_in_tiles_is_an_error_result(tmp_path):
    path = write_tiff(tmp_path / "in.tif", field(20, 20))
    result = tiles.image_work(batch.Job("rotate", {"angle": 30.0}), batch.Settings(), forced=True)(
        task_for(path, tmp_path / "out.tif"))
    assert result.status == "error" and result.error == f"{path}: rotate does not run in tiles: a result row may " \
                                                        "depend on any row of the image"
    assert sorted(os.listdir(tmp_path)) == ["in.tif"]


def test_small_inputs_run_in_memory_unless_forced(tmp_path, monkeypatch):
    path = write_tiff(tmp_path / "in.tif", field(30, 30))
    job = batch.Job("gaussian_blur", {"sigma": 1.0})
    assert tiles.image_work(job, batch.Settings())(task_for(path, tmp_path / "a.tif")).status == "ok"
    assert not tifffile.TiffFile(tmp_path / "a.tif").is_bigtiff        # cv2.imwrite's
    monkeypatch.setattr(tiles, "AUTO_SHARE", 10**15)                    # every image is "large"
    assert tiles.image_work(job, batch.Settings())(task_for(path, tmp_path / "b.tif")).status == "ok"
    assert tifffile.TiffFile(tmp_path / "b.tif").is_bigtiff
    assert np.array_equal(cv2.imread(str(tmp_path / "a.tif"), cv2.IMREAD_UNCHANGED),
                          cv2.imread(str(tmp_path / "b.tif"), cv2.IMREAD_UNCHANGED))


@pytest.mark.parametrize("make, words", [
    (lambda d: write_tiff(d / "in.tif", field(20, 20)), "--tiles writes a tiled BigTIFF, not a .png output"),
    (lambda d: str(d / "missing.tif"), "missing.tif: no such file"),
    (lambda d: (d / "bad.tif").write_bytes(b"II*\x00" + b"\xff" * 60) and str(d / "bad.tif"), "bad.tif: cannot read TIFF"),
    (lambda d: write_tiff(d / "huge.tif", field(20, 30)), "above --max-pixels"),
])
def test_bad_inputs_are_one_error_result(tmp_path, make, words):
    path = make(tmp_path)
    fmt = "png" if "png" in words else "tiff"
    settings = batch.Settings(max_pixels=500 if "max-pixels" in words else 10**8)
    result = tiles.image_work(batch.Job("box_blur", {}), settings, forced=True)(
        task_for(path, tmp_path / f"out.{fmt}", fmt))
    assert result.status == "error" and words in result.error and result.error.startswith(path)
    assert not any(name.startswith(("out", ".out")) for name in os.listdir(tmp_path))     # nothing written


def test_a_failure_midway_leaves_no_file(tmp_path, monkeypatch):
    path = write_tiff(tmp_path / "in.tif", field(64, 20))
    calls = []

    def failing(job, image):
        calls.append(image.shape)
        if len(calls) == 3:
            raise RuntimeError("kernel failed")
        return image
    monkeypatch.setattr(batch, "apply", failing)
    monkeypatch.setattr(tiles, "BAND_BYTES", 8 * 20)       # bands of 8 rows
    result = tiles.image_work(batch.Job("box_blur", {}), batch.Settings(), forced=True)(
        task_for(path, tmp_path / "out.tif"))
    assert result.status == "error" and "kernel failed" in result.error
    assert sorted(os.listdir(tmp_path)) == ["in.tif"]


def test_an_interrupt_midway_leaves_no_file(tmp_path, monkeypatch):
    path = write_tiff(tmp_path / "in.tif", field(64, 20))

    def interrupted(job, image):
        raise KeyboardInterrupt
    monkeypatch.setattr(batch, "apply", interrupted)
    with pytest.raises(KeyboardInterrupt):
        tiles.run_tiled(task_for(path, tmp_path / "out.tif"), batch.Job("box_blur", {}), batch.Settings(),
                        band_rows=8)
    assert sorted(os.listdir(tmp_path)) == ["in.tif"]


def _unassociated_alpha(path, image):
    tifffile.imwrite(path, image, photometric="rgb", extrasamples=("unassalpha",))


def _turned(path, image):
    tifffile.imwrite(path, image[:, :, :3], photometric="rgb", extratags=[(274, 3, 1, 3, False)])


def _int16(path, image):
    tifffile.imwrite(path, image[:, :, 0].astype(np.int16), photometric="minisblack")


@pytest.mark.parametrize("store, words", [(_unassociated_alpha, "unassociated alpha"), (_turned, "orientation 3"),
                                          (_int16, "int16 samples")])
def test_tiffs_opencv_decodes_otherwise_are_refused(tmp_path, store, words):
    path = str(tmp_path / "in.tif")
    store(path, field(20, 20, 4))
    with pytest.raises(io.ImageError, match=words):
        tiled(path, batch.Job("box_blur", {}), 8)


# ---------------------------------------------------------------- on a cluster, under a memory limit

def test_local_cluster_under_a_memory_limit(tmp_path):
    """More bytes of pixels than the worker may hold: bands scattered by the client, results
    streamed to the BigTIFF, identical to the in-memory blur."""
    distributed = pytest.importorskip("distributed")
    height, width = 20480, 21000                 # 430 MB of uint8 pixels, above the 400 MB limit
    limit = 400 << 20
    rows = field(256, width, seed=3)
    path = str(tmp_path / "big.tif")
    with open(path, "wb") as file:           # written in bands: never whole in this process
        write_bigtiff(file, width, height, (np.roll(rows, y, axis=1) for y in range(0, height, 256)))
    job = batch.Job("gaussian_blur", {"sigma": 2.0})
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, memory_limit=limit, processes=True,
                                  dashboard_address=":0") as cluster, distributed.Client(cluster) as client:
        work = tiles.image_work(job, batch.Settings(max_pixels=10**9), client=client, forced=True)
        result = work(task_for(path, tmp_path / "out.tif"))
        peak = client.run(_peak_rss)
    assert result.status == "ok", result.error
    assert max(peak.values()) < limit
    got = tifffile.imread(tmp_path / "out.tif")
    assert_identical(got, in_memory(path, job, batch.Settings(max_pixels=10**9)))


@pytest.mark.parametrize("shared_fs", [False, True], ids=["scattered", "shared-fs"])
def test_on_a_cluster_every_kind_of_job(tmp_path, shared_fs):
    distributed = pytest.importorskip("distributed")
    path = write_tiff(tmp_path / "in.tif", field(70, 50, 3))
    jobs = (batch.Job("gaussian_blur", {"sigma": 2.0, "border": "wrap"}), batch.Job("canny", {"low": 30.0, "high": 90.0}),
            batch.Job("resize", {"scale": 0.5}), batch.Job("resize", {"scale": 1.7, "interp": "nearest"}),
            batch.Job("guided_filter", {"guide": field(70, 50, seed=4), "radius": 3}))
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=":0") as cluster, distributed.Client(cluster) as client:
        for job in jobs:
            got = tiled(path, job, 9, client=client, shared_fs=shared_fs)
            assert_identical(got, in_memory(path, job))


def _peak_rss():
    """This process's own peak RSS in bytes: /proc's VmHWM, which starts afresh at exec (getrusage's
    ru_maxrss carries the parent's peak across fork and exec: a worker spawned by a pytest process
    that had held a 4K image reported that image)."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:"))


# ---------------------------------------------------------------- the command line

def _imgkit(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "imgkit", *map(str, args)], capture_output=True, text=True,
                          timeout=300, **kwargs)


def _is_tiled_bigtiff(path):
    with tifffile.TiffFile(path) as tif:
        return tif.is_bigtiff and tif.pages[0].is_tiled


@pytest.mark.parametrize("scheduler", [(), ("--scheduler", "local")], ids=["threads", "local-cluster"])
def test_cli_tiles(tmp_path, scheduler):
    path = write_tiff(tmp_path / "in.tif", field(50, 60, 3))
    out = tmp_path / "out.tif"
    run = _imgkit("blur", path, "--sigma", "2", "--tiles", "-o", out, *scheduler)
    assert run.returncode == 0, run.stderr
    assert _is_tiled_bigtiff(out)
    assert_identical(cv2.imread(str(out), cv2.IMREAD_UNCHANGED),
                     in_memory(path, batch.Job("gaussian_blur", {"sigma": 2.0})))


@pytest.mark.parametrize("args, says", [
    (("rotate", "--angle", "30"), "rotate"),
    (("blur", "-o", "{tmp}/out.png"), "give a .tif output"),
    (("blur", "--format", "png"), "give a .tif output"),
    (("resize", "--scale", "0.5", "--interp", "cubic"), "cubic"),
])
def test_cli_tiles_refuses_what_it_cannot_do_before_reading_anything(tmp_path, args, says):
    path = write_tiff(tmp_path / "in.tif", field(20, 30))
    command, *options = [arg.format(tmp=tmp_path) for arg in args]
    out = [] if "-o" in options else ["-o", f"{tmp_path}/out/"]
    run = _imgkit(command, path, *options, *out, "--tiles")
    assert run.returncode == 2 and "--tiles" in run.stderr and says in " ".join(run.stderr.split()), run.stderr
    assert "Traceback" not in run.stderr and not (tmp_path / "out").exists() and not (tmp_path / "out.png").exists()


def test_a_tiff_too_large_for_memory_goes_in_tiles_by_itself(tmp_path, monkeypatch, capsys):
    """Without --tiles, a TIFF whose pixels exceed the share of memory ``tiles.large`` allows is
    processed in tiles (here the share is made tiny, so that a small TIFF counts as too large)."""
    from conftest import run_cli
    path = write_tiff(tmp_path / "in.tif", field(40, 50))
    monkeypatch.setattr(tiles, "AUTO_SHARE", 10**12)
    code, _out, err = run_cli("blur", path, "--sigma", "1.5", "-o", tmp_path / "auto.tif", capsys=capsys)
    assert code == 0, err
    assert _is_tiled_bigtiff(tmp_path / "auto.tif")
    assert_identical(cv2.imread(str(tmp_path / "auto.tif"), cv2.IMREAD_UNCHANGED),
                     in_memory(path, batch.Job("gaussian_blur", {"sigma": 1.5})))
    monkeypatch.setattr(tiles, "AUTO_SHARE", 4)
    code, _out, err = run_cli("blur", path, "--sigma", "1.5", "-o", tmp_path / "whole.tif", capsys=capsys)
    assert code == 0 and not _is_tiled_bigtiff(tmp_path / "whole.tif")
