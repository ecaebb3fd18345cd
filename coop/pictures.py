"""Uploaded pictures (reward items, activity photos): an upload is checked for what it really is
and its size, then re-encoded.

Re-encoding with Pillow (never storing the upload's bytes) drops EXIF (locations, camera), turns
the picture upright by its orientation tag, and leaves a small JPEG every phone can show.
"""

import hashlib
import io
from dataclasses import dataclass

from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from coop.errors import Invalid

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 5 MB file can still claim a huge canvas; refuse before decoding
MAX_SIDE = 800
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}
JPEG_QUALITY = 85


class BadPicture(Invalid):
    """An upload that is not a picture we can use; ``errors`` names the field."""


@dataclass(frozen=True)
class Picture:
    data: bytes
    content_type: str
    width: int
    height: int
    etag: str


def prepare(
    upload: bytes,
    *,
    field: str = "picture",
    max_side: int = MAX_SIDE,
    max_bytes: int = MAX_UPLOAD_BYTES,
) -> Picture:
    """The upload as a JPEG of at most ``max_side`` × ``max_side``.

    :raise BadPicture: empty, over ``max_bytes``, not a JPEG/PNG/WebP picture, or unreadable;
        its ``errors`` name ``field``.
    """

    def _refuse(message: str) -> BadPicture:
        return BadPicture(errors={field: [message]})

    if not upload:
        raise _refuse(_("请选择一张图片。"))
    if len(upload) > max_bytes:
        raise _refuse(
            _("图片不能超过 %(mb)d MB，请换一张小一些的。", mb=max_bytes // (1024 * 1024))
        )
    try:
        with Image.open(io.BytesIO(upload)) as image:
            if image.format not in ACCEPTED_FORMATS:
                raise _refuse(_("只能上传 JPG、PNG 或 WebP 格式的图片。"))
            if image.width * image.height > MAX_PIXELS:
                raise _refuse(_("图片尺寸过大，请换一张小一些的。"))
            image = ImageOps.exif_transpose(image)
            image.thumbnail((max_side, max_side))
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
