"""Metadata carried from an input to its output: EXIF, ICC profile and resolution, as libvips
and ImageMagick keep them (``--strip`` drops them).

Read with Pillow: ``Image.open`` parses the headers and decodes no pixel. Written by OpenCV's own
encoders (``cv2.imencodeWithMetadata``), so the pixels are the bytes ``cv2.imencode`` writes;
Pillow re-encoding a JPEG or a lossy WebP would change them. What each format holds (``KEEPS``):

- jpg, webp: EXIF and ICC; the resolution goes in EXIF's XResolution/YResolution (OpenCV's JFIF
  header says "no unit"; Pillow, libvips and ImageMagick read EXIF's then);
- png: EXIF (eXIf), ICC (iCCP) and a pHYs chunk, which OpenCV cannot write: 21 bytes after IHDR;
- tiff: the resolution only (``IMWRITE_TIFF_XDPI``); OpenCV's TIFF encoder takes no EXIF or ICC;
- bmp, npy and csv: none.

The image is decoded with its EXIF orientation applied (as ``cv2.imread``), so the EXIF written
says Orientation 1; its pixel dimensions are the output's; its thumbnail (IFD1) is dropped.
"""

import io
import struct
import zlib
from dataclasses import dataclass

import cv2
import numpy as np

MAX_EXIF = 65527        # the TIFF data one JPEG APP1 segment holds (65535 − length − "Exif\0\0")
MAX_ICC = 65519         # one JPEG APP2 segment (OpenCV writes one); PNG and WebP get the same cap
KEEPS = {"jpg": ("exif", "icc", "dpi"), "webp": ("exif", "icc", "dpi"), "png": ("exif", "icc", "dpi"),
         "tiff": ("dpi",)}
_ORIENTATION, _X_RESOLUTION, _Y_RESOLUTION, _RESOLUTION_UNIT = 0x0112, 0x011A, 0x011B, 0x0128
_EXIF_IFD, _PIXEL_X, _PIXEL_Y = 0x8769, 0xA002, 0xA003
_PILLOW_FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "WebP": "WEBP", "TIFF": "TIFF"}


class MetadataError(ValueError):
    """Metadata that could not be read or is refused; the image goes on without it."""


@dataclass(frozen=True)
class Metadata:
    exif: bytes | None = None       # the input's EXIF, as read
    icc: bytes | None = None
    icc_space: str = ""             # the profile's colour space: "RGB" or "GRAY" (others are never written)
    dpi: tuple | None = None        # (x, y) dots per inch

    def __bool__(self):
        return bool(self.exif or self.icc or self.dpi)

    def encode(self, fmt, image, params):
        """``image`` encoded as ``fmt`` with OpenCV and this metadata; raises ValueError."""
        keeps = KEEPS.get(fmt, ())
        types, chunks = [], []
        wanted = self.exif or (self.dpi and fmt != "png")     # jpg and webp hold the resolution in EXIF
        exif = self._exif(image.shape) if "exif" in keeps and wanted else None
        space = "GRAY" if image.ndim == 2 or image.shape[2] == 1 else "RGB"
        icc = self.icc if "icc" in keeps and self.icc_space == space else None     # libpng refuses the others
        for kind, data in ((cv2.IMAGE_METADATA_EXIF, exif), (cv2.IMAGE_METADATA_ICCP, icc)):
            if data:
                types.append(kind)
                chunks.append(np.frombuffer(data, np.uint8))
        if fmt == "tiff" and self.dpi:
            params = list(params) + [cv2.IMWRITE_TIFF_RESUNIT, cv2.IMWRITE_TIFF_RESOLUTION_UNIT_INCH,
                                     cv2.IMWRITE_TIFF_XDPI, round(self.dpi[0]), cv2.IMWRITE_TIFF_YDPI, round(self.dpi[1])]
        if types:
            ok, encoded = cv2.imencodeWithMetadata("." + fmt, image, types, chunks, params)
        else:
            ok, encoded = cv2.imencode("." + fmt, image, params)
        if not ok:
            raise ValueError(f"OpenCV could not encode a {image.dtype} image of shape {image.shape} as {fmt} "
                             "with its metadata")
        data = encoded.tobytes()
        return _with_phys(data, self.dpi) if fmt == "png" and self.dpi else data

    def _exif(self, shape):
        """The EXIF to write: Orientation 1, the output's pixel dimensions, the resolution."""
        exif = _parsed(self.exif)
        exif[_ORIENTATION] = 1
        if self.dpi:
            exif[_X_RESOLUTION], exif[_Y_RESOLUTION], exif[_RESOLUTION_UNIT] = float(self.dpi[0]), float(self.dpi[1]), 2
        if _EXIF_IFD in exif:
            sub = exif.get_ifd(_EXIF_IFD)
            for tag, value in ((_PIXEL_X, shape[1]), (_PIXEL_Y, shape[0])):
                if tag in sub:
                    sub[tag] = int(value)
        return exif.tobytes()[6:]     # without "Exif\0\0": OpenCV adds it in JPEG, PNG and WebP hold none


def read(data, kind):
    """The metadata of an encoded image of ``kind`` (``headers.sniff``'s name) worth keeping:
    None for a format that holds none; raises MetadataError when it cannot be read or is
    above ``MAX_EXIF`` / ``MAX_ICC`` (it is then not copied)."""
    if kind not in _PILLOW_FORMATS or (kind == "PNG" and not _png_may_hold_metadata(data)):
        return None
    from PIL import Image
    try:
        with Image.open(io.BytesIO(data), formats=[_PILLOW_FORMATS[kind]]) as image:
            info = dict(image.info)
    except Exception as error:   # noqa: BLE001  (hostile headers: Pillow's errors vary)
        raise MetadataError(f"metadata not readable ({_said(error)}): not kept") from None
    exif = None if kind == "TIFF" else info.get("exif")     # TIFF's "EXIF" is its IFD0: strips, offsets
    icc = info.get("icc_profile")
    for name, value, cap in (("EXIF", exif, MAX_EXIF + 6), ("ICC profile", icc, MAX_ICC)):
        if value and len(value) > cap:
            raise MetadataError(f"{name} of {len(value):,} bytes, above the {cap:,} imgkit copies: metadata not kept")
    try:
        if exif:
            _parsed(exif).tobytes()     # one that Pillow cannot read or write back is refused here
        space = _icc_space(icc) if icc else ""
    except Exception as error:   # noqa: BLE001  (hostile EXIF or ICC: Pillow's errors vary)
        raise MetadataError(f"metadata not readable ({_said(error)}): not kept") from None
    kept = Metadata(exif=exif or None, icc=icc or None, icc_space=space, dpi=_dpi(info.get("dpi")))
    written = len(kept._exif((1, 1))) if exif else 0     # its size does not depend on the output's
    if written > MAX_EXIF:      # one APP1 segment: OpenCV would refuse to encode the image at all
        raise MetadataError(f"EXIF of {written:,} bytes once the orientation and resolution are set, above the "
                            f"{MAX_EXIF:,} imgkit copies: metadata not kept")
    return kept


def _png_may_hold_metadata(data):
    """False when no chunk before the first IDAT can be eXIf, iCCP or pHYs (the chunks Pillow reads
    them from): such a PNG, as most tools write, holds nothing to keep, and Pillow (~10 ms to
    import, on every call) is not loaded for it. A chunk name found elsewhere only costs a read."""
    head = data[:data.find(b"IDAT")] if b"IDAT" in data else data
    return any(name in head for name in (b"eXIf", b"iCCP", b"pHYs"))


def _said(error):
    """Pillow's ``error`` on one line, its spaces tidied ("Corrupt EXIF data.  Expecting … ")."""
    return " ".join(f"{type(error).__name__}: {error}".split())


def _icc_space(icc):
    """The colour space an ICC profile describes (``ImageCms``: littleCMS reads it)."""
    from PIL import ImageCms
    return ImageCms.ImageCmsProfile(io.BytesIO(icc)).profile.xcolor_space.strip()


def _parsed(raw):
    """``raw`` EXIF (with or without "Exif\\0\\0") as Pillow's ``Image.Exif``; empty for None."""
    from PIL import Image
    exif = Image.Exif()
    if raw:
        exif.load(raw)
    return exif


def _dpi(dpi):
    """Pillow's ``dpi`` as two positive floats, or None."""
    try:
        x, y = (float(value) for value in dpi)
    except (TypeError, ValueError):
        return None
    return (x, y) if 1 <= x < 1e6 and 1 <= y < 1e6 and (x, y) != (1, 1) else None   # 1: "no unit"; under 1: 0 once rounded


def _with_phys(png, dpi):
    """``png`` with a pHYs chunk (pixels per metre, PNG §11.3.5.3) right after IHDR (8 + 25 bytes)."""
    body = b"pHYs" + struct.pack(">IIB", round(dpi[0] / 0.0254), round(dpi[1] / 0.0254), 1)
    chunk = struct.pack(">I", 9) + body + struct.pack(">I", zlib.crc32(body))
    return png[:33] + chunk + png[33:]
