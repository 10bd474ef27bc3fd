"""Labelled test scenes for redaction: Chinese plates and advert phone numbers rendered with a CJK font, and a face
pasted at a chosen size, on a street photo. Used by scripts/eval_redaction.py and the tests (never at run time).

The face is the astronaut portrait (NASA, public domain) that scikit-image ships, cropped: media/redaction/README.md.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from backend.redaction.text import PROVINCES

ROOT = Path(__file__).resolve().parents[2]
FACE = ROOT / "media" / "redaction" / "astronaut_head.jpg"
# The face box inside FACE (x, y, w, h), found once by hand: the part a detector is expected to box.
FACE_BOX = (63, 57, 107, 107)
FONTS = ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc")
LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
# Plate colours: background, text (blue, yellow, new-energy green, white police/army-style).
PLATE_STYLES = {"blue": ((24, 64, 190), (245, 245, 245)), "yellow": ((235, 190, 20), (20, 20, 20)),
                "green": ((120, 210, 130), (15, 15, 15)), "white": ((240, 240, 240), (20, 20, 20))}
ADVERTS = ("疏通下水道", "专业开锁", "办证刻章", "搬家服务", "高价回收", "空调维修")


@dataclass
class Labelled:
    image: Image.Image
    plates: list[tuple[str, tuple[int, int, int, int]]] = field(default_factory=list)
    phones: list[tuple[str, tuple[int, int, int, int]]] = field(default_factory=list)
    faces: list[tuple[int, int, int, int]] = field(default_factory=list)


def font(size: int) -> ImageFont.FreeTypeFont:
    for path in FONTS:
        if Path(path).is_file():
            return ImageFont.truetype(path, size)
    raise FileNotFoundError("no CJK font (fonts-wqy-microhei) installed")


def plate_number(rng: random.Random, green: bool = False) -> str:
    tail = "".join(rng.choice(LETTERS + "0123456789" * 2) for _ in range(6 if green else 5))
    if not green and sum(c.isdigit() for c in tail) < 3:
        tail = tail[:2] + "".join(rng.choice("0123456789") for _ in range(3))
    return rng.choice(PROVINCES) + rng.choice(LETTERS) + tail


def render_plate(number: str, width: int, style: str) -> Image.Image:
    """A plate ``width`` px wide at the real 440 × 140 mm proportions (480 × 140 for green), with a border."""
    green = style == "green"
    height = round(width * (140 / (480 if green else 440)))
    background, ink = PLATE_STYLES[style]
    plate = Image.new("RGB", (width, height), background)
    draw = ImageDraw.Draw(plate)
    draw.rectangle((2, 2, width - 3, height - 3), outline=ink, width=max(1, width // 110))
    text = f"{number[:2]}·{number[2:]}"
    size = int(height * 0.72)
    face = font(size)
    while draw.textlength(text, font=face) > width * 0.92 and size > 6:
        size -= 1
        face = font(size)
    tw = draw.textlength(text, font=face)
    draw.text(((width - tw) / 2, (height - size) / 2 - size * 0.08), text, font=face, fill=ink)
    return plate


def phone_number(rng: random.Random) -> str:
    return "1" + rng.choice("3456789") + "".join(rng.choice("0123456789") for _ in range(9))


def render_advert(rng: random.Random, number: str, height: int) -> Image.Image:
    """A small-advert sticker: a service in red and the number, grouped 3-4-4 as they are printed."""
    grouped = rng.choice([f"{number[:3]}-{number[3:7]}-{number[7:]}", f"{number[:3]} {number[3:7]} {number[7:]}",
                          number])
    size = max(8, height // 2 - 2)
    face = font(size)
    lines = [rng.choice(ADVERTS), grouped]
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    width = int(max(probe.textlength(line, font=face) for line in lines)) + size
    sticker = Image.new("RGB", (width, height), rng.choice([(250, 250, 245), (255, 240, 90), (235, 245, 255)]))
    draw = ImageDraw.Draw(sticker)
    draw.text((size // 2, 1), lines[0], font=face, fill=(200, 20, 20))
    draw.text((size // 2, height // 2), lines[1], font=face, fill=(10, 10, 10))
    return sticker


def _perspective(im: Image.Image, rng: random.Random, amount: float) -> tuple[Image.Image, tuple[int, int, int, int]]:
    """Tilt the object a little (as seen from the side) and return it with its bounding box's size."""
    w, h = im.size
    dx, dy = w * amount * rng.uniform(-1, 1), h * amount * rng.uniform(-1, 1)
    quad = (0 + max(dx, 0), 0 + max(dy, 0), 0 + max(-dx, 0), h - max(-dy, 0),
            w - max(dx, 0), h - max(dy, 0), w - max(-dx, 0), 0 + max(-dy, 0))
    out = im.convert("RGBA").transform((w, h), Image.Transform.QUAD, quad, Image.Resampling.BICUBIC)
    return out, (0, 0, w, h)


def paste(scene: Image.Image, obj: Image.Image, at: tuple[int, int], rng: random.Random, blur: float,
          tilt: float = 0.08) -> tuple[int, int, int, int]:
    tilted, _ = _perspective(obj, rng, tilt)
    if blur:
        tilted = tilted.filter(ImageFilter.GaussianBlur(blur))
    scene.paste(tilted, at, tilted)
    return at[0], at[1], obj.width, obj.height


def face_at(size: int) -> tuple[Image.Image, tuple[int, int, int, int]]:
    """The head scaled so its face box is ``size`` px wide, and that box inside the scaled head."""
    head = Image.open(FACE).convert("RGB")
    scale = size / FACE_BOX[2]
    scaled = head.resize((max(1, round(head.width * scale)), max(1, round(head.height * scale))),
                         Image.Resampling.LANCZOS)
    fx, fy, fw, fh = (round(v * scale) for v in FACE_BOX)
    return scaled, (fx, fy, fw, fh)


def scene(background: Image.Image, rng: random.Random, *, plate_widths: list[int], face_sizes: list[int],
          advert_heights: list[int], blur: float = 0.0) -> Labelled:
    """The background (already at display size) with plates, faces and adverts placed where they do not overlap."""
    image = background.convert("RGB").copy()
    out = Labelled(image)
    taken: list[tuple[int, int, int, int]] = []

    def place(w: int, h: int) -> tuple[int, int] | None:
        for _ in range(60):
            x, y = rng.randrange(0, max(1, image.width - w)), rng.randrange(0, max(1, image.height - h))
            box = (x - 8, y - 8, w + 16, h + 16)
            if all(x + w < a or a + c < x or y + h < b or b + d < y for a, b, c, d in taken):
                taken.append(box)
                return x, y
        return None

    for width in plate_widths:
        style = rng.choice(list(PLATE_STYLES))
        number = plate_number(rng, green=style == "green")
        plate = render_plate(number, width, style)
        spot = place(plate.width, plate.height)
        if spot:
            out.plates.append((number, paste(image, plate, spot, rng, blur)))
    for size in face_sizes:
        head, (fx, fy, fw, fh) = face_at(size)
        spot = place(head.width, head.height)
        if spot:
            box = paste(image, head, spot, rng, blur, tilt=0.0)
            out.faces.append((box[0] + fx, box[1] + fy, fw, fh))
    for height in advert_heights:
        number = phone_number(rng)
        advert = render_advert(rng, number, height)
        spot = place(advert.width, advert.height)
        if spot:
            out.phones.append((number, paste(image, advert, spot, rng, blur, tilt=0.04)))
    return out


def as_array(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB"))
