"""Type sniffing from the bytes, polyglot refusal and safe file names."""

from __future__ import annotations

import io
import zipfile

import pytest
from PIL import Image, PngImagePlugin

from backend.errors import InvalidInput, UnsupportedMedia
from backend.photos.pipeline import safe_filename
from backend.photos.sniff import identify

from .conftest import sample
from .craft import jpeg


def _encoded(fmt: str, **kwargs: object) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (10, 200, 30)).save(buffer, fmt, **kwargs)
    return buffer.getvalue()


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.html", "<script>alert(1)</script>")
    return buffer.getvalue()


def test_real_types_are_recognised() -> None:
    assert identify(sample("gps/DSCN0010.jpg")) == "jpeg"
    assert identify(sample("heic/IMG_5195.HEIC")) == "heic"
    assert identify(_encoded("PNG")) == "png"
    assert identify(_encoded("WEBP")) == "webp"
    assert identify(_encoded("JPEG", progressive=True)) == "jpeg"


@pytest.mark.parametrize(
    ("body", "detected"),
    [
        (b"just some notes about a pothole\n", "text"),
        (b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>", "html"),
        (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>', "svg"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "svg"),
        (b"GIF89a\x01\x00\x01\x00", "gif"),
        (b"%PDF-1.7\n", "pdf"),
        (b"\x00\x01\x02\xfe\xff" * 10, "unknown"),
    ],
)
def test_non_images_named_jpg_are_refused(body: bytes, detected: str) -> None:
    with pytest.raises(UnsupportedMedia) as exc:
        identify(body)
    assert exc.value.status == 415 and exc.value.code == "photo.not_an_image"
    assert exc.value.details["detected"] == detected
    assert "JPEG" in exc.value.message_zh and exc.value.message_en


def test_empty_is_invalid() -> None:
    with pytest.raises(InvalidInput) as exc:
        identify(b"")
    assert exc.value.status == 422 and exc.value.code == "photo.empty"


def _with_comment(data: bytes, comment: bytes) -> bytes:
    segment = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
    return data[:2] + segment + data[2:]


def _png_with_text(text: str) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", text)
    return _encoded("PNG", pnginfo=info)


POLYGLOTS = {
    "jpeg + zip": lambda: jpeg() + _zip(),
    "jpeg + html": lambda: jpeg() + b"\n<html><script>alert(1)</script></html>",
    "jpeg + pdf": lambda: jpeg() + b"%PDF-1.4\n",
    "script in a jpeg comment": lambda: _with_comment(jpeg(), b"<script>alert(document.cookie)</script>"),
    "zip directory closing a jpeg": lambda: jpeg() + b"\x00" * 10 + _zip()[-22:],
    "png + zip": lambda: _encoded("PNG") + _zip(),
    "html in a png text chunk": lambda: _png_with_text("<html><body onload=alert(1)>"),
    "webp + html": lambda: _encoded("WEBP") + b"<script>alert(1)</script>",
    "heic + zip": lambda: sample("heic/IMG_5195.HEIC") + _zip(),
}


@pytest.mark.parametrize("name", list(POLYGLOTS))
def test_polyglots_are_refused(name: str) -> None:
    data = POLYGLOTS[name]()
    with pytest.raises(UnsupportedMedia) as exc:
        identify(data)
    assert exc.value.code == "photo.polyglot"


def test_legitimate_trailers_are_accepted() -> None:
    # Phones append a second JPEG (MPF gain maps, depth) or padding after the main image.
    assert identify(jpeg() + jpeg((40, 30))) == "jpeg"
    assert identify(jpeg() + b"\x00" * 100) == "jpeg"
    assert identify(_with_comment(jpeg(), b"Taken on a bright day <3")) == "jpeg"
    xmp = b'<?xpacket begin=""?><x:xmpmeta xmlns:x="adobe:ns:meta/"></x:xmpmeta>'
    assert identify(jpeg()[:2] + b"\xff\xe1" + (len(xmp) + 31).to_bytes(2, "big") + b"http://ns.adobe.com/xap/1.0/\x00"
                 + xmp + jpeg()[2:]) == "jpeg"  # fmt: skip


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("IMG_0001.JPG", "IMG_0001.JPG"),
        ("井盖破损.jpg", "井盖破损.jpg"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\win.ini", "win.ini"),
        ("/var/www/shell.php.jpg", "shell.php.jpg"),
        ("a\x00b\r\n\t.jpg", "ab.jpg"),
        ("\u202egpj.exe", "gpj.exe"),  # right-to-left override would display as "exe.jpg"
        ('bad<>:"|?*name.jpg', "bad_______name.jpg"),
        ("  ..hidden.jpg  ", "hidden.jpg"),
        ("", "photo"),
        ("..", "photo"),
        ("/", "photo"),
    ],
)
def test_safe_filename(raw: str, expected: str) -> None:
    assert safe_filename(raw) == expected


def test_safe_filename_keeps_the_extension_of_long_names() -> None:
    name = safe_filename("长" * 300 + ".jpeg")
    assert len(name) <= 100 and name.endswith(".jpeg")
