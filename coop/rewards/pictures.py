"""Item pictures: an upload is checked for what it really is and its size, then re-encoded.

Re-encoding with Pillow (never storing the upload's bytes) drops EXIF (locations, camera), turns
the picture upright by its orientation tag, and leaves a small JPEG every phone can show.
"""

import hashlib
import io
from dataclasses import dataclass

from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from coop.rewards.errors import BadPicture

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 5 MB file can still claim a huge canvas; refuse before decoding
MAX_SIDE = 800
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}
JPEG_QUALITY = 85


@dataclass(frozen=True)
class Picture:
    data: bytes
    content_type: str
    width: int
    height: int
    etag: str


def _refuse(message: str) -> BadPicture:
    return BadPicture(errors={"picture": [message]})


def prepare(upload: bytes) -> Picture:
    """The upload as a JPEG of at most 800 × 800.

    :raise BadPicture: empty, over 5 MB, not a JPEG/PNG/WebP picture, or unreadable.
    """
    if not upload:
        raise _refuse(_("请选择一张图片。"))
    if len(upload) > MAX_UPLOAD_BYTES:
        raise _refuse(_("图片不能超过 5 MB，请换一张小一些的。"))
    try:
        with Image.open(io.BytesIO(upload)) as image:
            if image.format not in ACCEPTED_FORMATS:
                raise _refuse(_("只能上传 JPG、PNG 或 WebP 格式的图片。"))
            if image.width * image.height > MAX_PIXELS:
                raise _refuse(_("图片尺寸过大，请换一张小一些的。"))
            image = ImageOps.exif_transpose(image)
            image.thumbnail((MAX_SIDE, MAX_SIDE))
            image = _on_white(image)
            out = io.BytesIO()
            image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError) as error:
        raise _refuse(_("无法识别这张图片，请换一张 JPG、PNG 或 WebP 图片。")) from error
    data = out.getvalue()
    return Picture(
        data=data,
        content_type="image/jpeg",
        width=image.width,
        height=image.height,
        etag=hashlib.sha256(data).hexdigest()[:32],
    )


def _on_white(image: Image.Image) -> Image.Image:
    """JPEG has no transparency: a transparent PNG is laid on white, not on black."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")
