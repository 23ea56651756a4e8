"""Images read in bands of rows and written as tiled BigTIFFs, for ``tiles``.

A TIFF is read lazily through tifffile's zarr view of its first page (the page ``cv2.imread``
reads): a band of rows decodes only the strips or tiles it covers. The rows are what
``io.decode`` gives for the same file: BGR(A) channel order, a gray image 2-D, ``--gray`` as
OpenCV's TIFF decoder converts (``(1868·B + 9617·G + 4899·R + 2¹³) >> 14``, not ``cv2.cvtColor``).
Where OpenCV's decoder does more than read the stored values, the file is refused with a reason
rather than read otherwise: an orientation other than top-left, a photometric interpretation
other than gray or RGB, an 8-bit RGBA page with unassociated alpha (libtiff premultiplies it).
Other formats are decoded whole by ``io.decode``: OpenCV reads no region of a PNG, JPEG or WebP;
so is a TIFF whose compression tifffile cannot decode without the ``imagecodecs`` package, when
it is not installed (LZW, which ``cv2.imwrite`` uses, JPEG, PackBits…; uncompressed and zlib need
nothing), and a compressed one stored in strips of more than ``LARGEST_CHUNK`` bytes (each band
would decode whole strips). Uncompressed strips that large are memory-mapped instead.

The output is an uncompressed BigTIFF of 256×256 tiles, written tile by tile as the bands come:
no metadata is carried (no EXIF, ICC profile or resolution); a 4-channel result's 4th sample is
"unspecified", as ``cv2.imwrite`` writes it.
"""

import numpy as np

from . import headers
from .io import ImageError, _check_pixels

TILE = 256
LARGEST_CHUNK = 64 << 20    # the most bytes of one strip or tile decoded for a band
COMPRESSION = {"compression": None}     # zlib (level 1) wrote ~40 MB/s of noisy pixels: the bottleneck
_PIXEL_DTYPES = ("uint8", "uint16", "float32")
_GRAY_WEIGHTS = (1868, 9617, 4899)     # B, G, R: OpenCV's icvCvt_BGR2Gray, 14 fractional bits


def is_tiff(path):
    """Whether the file at ``path`` begins as a TIFF does (False for anything unreadable)."""
    try:
        with open(path, "rb") as file:
            return headers.sniff(file.read(64)) == "TIFF"
    except OSError:
        return False


class NotInBands(Exception):
    """A TIFF that cannot be read band by band here: a compression tifffile cannot decode
    (imagecodecs is not installed), or compressed strips too large to decode for each band."""


def open_rows(path, *, gray=False, max_pixels=None):
    """The image at ``path`` as a source of rows: a TIFF read lazily, anything else (and a TIFF
    tifffile cannot decode) decoded whole."""
    if is_tiff(path):
        try:
            return TiffRows(path, gray=gray, max_pixels=max_pixels)
        except NotInBands:
            pass
    from . import io
    data = io.read_bytes(path, max_bytes=io.byte_limit(max_pixels))
    return DecodedRows(io.decode(data, name=path, gray=gray, max_pixels=max_pixels))


class DecodedRows:
    """An image already in memory, read by rows like a ``TiffRows``."""

    def __init__(self, image):
        self.image = image
        self.shape, self.dtype = image.shape, image.dtype

    def rows(self, start, stop):
        return self.image[start:stop]

    def close(self):
        self.image = None


class TiffRows:
    """The first page of the TIFF at ``path``, read by rows as ``io.decode`` would decode it.

    ``shape`` and ``dtype`` are the decoded image's; every failure is ``ImageError(path, …)``,
    raised on opening (sizes checked against ``max_pixels`` before anything is decoded) or by
    ``rows``.
    """

    def __init__(self, path, *, gray=False, max_pixels=None):
        import tifffile
        import zarr
        self.path, self.gray = path, gray
        try:
            self._file = tifffile.TiffFile(path)
            page = self._file.pages[0]
            self._check(page, max_pixels)
            self._array = self._open(page, tifffile, zarr)
        except (ImageError, NotInBands):
            self.close()
            raise
        except Exception as error:  # noqa: BLE001  (tifffile's and zarr's errors on hostile files are this file's)
            self.close()
            raise ImageError(path, f"cannot read TIFF ({type(error).__name__}: {error})") from None
        self._planar = page.axes == "SYX"
        height, width = page.imagelength, page.imagewidth
        channels = page.samplesperpixel
        self.shape = (height, width) if channels == 1 or gray else (height, width, channels)
        self.dtype = np.dtype(page.dtype)

    def _check(self, page, max_pixels):
        import tifffile
        path = self.path
        _check_pixels(path, (page.imagewidth, page.imagelength), max_pixels)
        if str(page.dtype) not in _PIXEL_DTYPES:
            raise ImageError(path, f"TIFF of {page.dtype} samples: --tiles reads uint8, uint16 and float32")
        channels = page.samplesperpixel
        photometric = int(page.photometric)
        if (channels, photometric) not in ((1, 1), (3, 2), (4, 2)) or page.axes not in ("YX", "YXS", "SYX"):
            raise ImageError(path, f"TIFF of {channels} samples, photometric {page.photometric.name}, axes "
                                   f"{page.axes}: --tiles reads gray, RGB and RGBA pages")
        try:
            tifffile.TIFF.DECOMPRESSORS[page.compression]
        except KeyError:
            raise NotInBands(page.compression) from None
        orientation = page.tags.valueof(274, 1)
        if orientation != 1:
            raise ImageError(path, f"TIFF orientation {orientation}: --tiles reads top-left pages only")
        if channels == 4 and str(page.dtype) == "uint8" and tuple(page.extrasamples) == (2,):
            raise ImageError(path, "8-bit TIFF with unassociated alpha: OpenCV premultiplies it when decoding, "
                                   "which --tiles does not")
        if self.gray and channels > 1 and str(page.dtype) == "float32":
            raise ImageError(path, "--gray: OpenCV reads no float32 colour TIFF as gray")

    def _open(self, page, tifffile, zarr):
        """The page as an array read lazily: its zarr view, or a memory map of the file where its
        strips are too large to decode for each band (uncompressed ones only)."""
        chunk_rows = page.tilelength if page.is_tiled else page.rowsperstrip
        if chunk_rows * page.imagewidth * page.samplesperpixel * page.dtype.itemsize > LARGEST_CHUNK:
            if not page.is_memmappable:
                raise NotInBands(f"strips of {chunk_rows} rows")
            return tifffile.memmap(self.path, page=0, mode="r")
        return zarr.open(page.aszarr(), mode="r")

    def rows(self, start, stop):
        """Rows ``start`` to ``stop`` of the decoded image (BGR(A), or gray with ``gray``)."""
        try:
            block = np.moveaxis(self._array[:, start:stop], 0, -1) if self._planar else self._array[start:stop]
        except Exception as error:  # noqa: BLE001  (a corrupt strip or tile is this file's error)
            raise ImageError(self.path, f"cannot read TIFF rows {start}–{stop} ({type(error).__name__}: "
                                        f"{error})") from None
        if block.ndim == 2:
            return block
        if self.gray:
            return _opencv_gray(block)
        return np.ascontiguousarray(block[:, :, [2, 1, 0, 3][:block.shape[2]]])

    def close(self):
        file = getattr(self, "_file", None)
        if file is not None:
            file.close()


def _opencv_gray(rgb):
    """OpenCV's TIFF decoder's gray of RGB(A) rows, for uint8 and uint16 (its fixed point)."""
    blue, green, red = _GRAY_WEIGHTS
    total = (rgb[:, :, 2].astype(np.int64) * blue + rgb[:, :, 1].astype(np.int64) * green
             + rgb[:, :, 0].astype(np.int64) * red + (1 << 13))
    return (total >> 14).astype(rgb.dtype)


def write_bigtiff(file, width, height, bands):
    """Write ``bands`` (an iterator of row blocks, top to bottom, ``height`` rows in all, each
    ``width`` wide, as ``io.decode`` lays them out) to the open binary ``file`` as a tiled
    BigTIFF; the dtype and channels are the first block's."""
    import tifffile
    first = next(bands)
    shape = (height, width) + first.shape[2:]
    channels = shape[2] if len(shape) == 3 else 1
    with tifffile.TiffWriter(file, bigtiff=True) as writer:
        writer.write(_tiles(_chained(first, bands), shape), shape=shape, dtype=first.dtype, tile=(TILE, TILE),
                     photometric="minisblack" if channels == 1 else "rgb",
                     extrasamples=("unspecified",) if channels == 4 else None, metadata=None, **COMPRESSION)


def _chained(first, rest):
    yield first
    yield from rest


def _tiles(bands, shape):
    """The TILE × TILE tiles of the image the bands make, row of tiles by row of tiles, padded
    with zeros past the image, in the TIFF's RGB(A) order; at most TILE + one band's rows held."""
    height, width = shape[:2]
    held, count, done = [], 0, 0
    for band in bands:
        held.append(band)
        count += band.shape[0]
        while count >= TILE or (done + count == height and count):
            rows = np.concatenate(held) if len(held) > 1 else held[0]
            take = min(TILE, count)
            yield from _tile_row(rows[:take], width)
            held, count, done = [rows[take:]], count - take, done + take
    if done != height:
        raise ValueError(f"the bands held {done} rows, not the image's {height}")


def _tile_row(rows, width):
    if rows.ndim == 3 and rows.shape[2] >= 3:
        rows = rows[:, :, [2, 1, 0, 3][:rows.shape[2]]]
    for x in range(0, width, TILE):
        tile = np.zeros((TILE, TILE) + rows.shape[2:], rows.dtype)
        part = rows[:, x:x + TILE]
        tile[:part.shape[0], :part.shape[1]] = part
        yield tile
