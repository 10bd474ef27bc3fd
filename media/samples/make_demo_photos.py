"""Draw the demo city's sample report photos (Loudi, Hunan) as JPEGs carrying EXIF GPS, capture time and device."""

from __future__ import annotations

import random
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

HERE = Path(__file__).parent / "demo"
SIZE = (1600, 1200)

# (file, latitude, longitude, capture time, scene): points around Loudi's built-up area, WGS-84.
PHOTOS = [
    ("loudi_manhole_cover.jpg", 27.7321, 112.0013, "2025:05:12 09:14:03", "manhole"),
    ("loudi_garbage_pile.jpg", 27.7286, 111.9952, "2025:05:12 10:02:41", "garbage"),
    ("loudi_street_light.jpg", 27.7355, 112.0081, "2025:05:13 19:47:10", "light"),
    ("loudi_vendor_stall.jpg", 27.7262, 112.0037, "2025:05:13 16:30:55", "vendor"),
]


def _dms(value: float) -> tuple[float, float, float]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60, 2)
    return float(degrees), float(minutes), seconds


def _street(draw: ImageDraw.ImageDraw, rng: random.Random) -> None:
    w, h = SIZE
    draw.rectangle((0, 0, w, h * 0.35), fill=(176, 196, 214))  # sky
    draw.rectangle((0, h * 0.35, w, h), fill=(92, 92, 96))  # asphalt
    for _ in range(4000):  # texture, so the photo is not flagged as blurred
        x, y, g = rng.randrange(w), rng.randrange(int(h * 0.35), h), rng.randrange(70, 120)
        draw.point((x, y), fill=(g, g, g + 4))
    draw.polygon([(0, h * 0.35), (w * 0.2, h * 0.35), (0, h * 0.6)], fill=(150, 140, 128))  # kerb


def _scene(kind: str, rng: random.Random) -> Image.Image:
    im = Image.new("RGB", SIZE)
    draw = ImageDraw.Draw(im)
    _street(draw, rng)
    if kind == "manhole":
        draw.ellipse((560, 620, 1040, 900), fill=(40, 40, 44), outline=(20, 20, 20), width=10)
        draw.pieslice((600, 640, 1000, 880), 200, 260, fill=(92, 92, 96))  # the broken-off piece
        for i in range(7):
            draw.line((620, 660 + i * 30, 980, 660 + i * 30), fill=(70, 70, 74), width=4)
    elif kind == "garbage":
        for _ in range(60):
            x, y, r = rng.randrange(450, 1150), rng.randrange(650, 950), rng.randrange(25, 70)
            color = rng.choice([(30, 30, 30), (200, 60, 50), (230, 230, 220), (60, 120, 200), (110, 80, 40)])
            draw.ellipse((x - r, y - r * 0.7, x + r, y + r * 0.7), fill=color, outline=(15, 15, 15))
    elif kind == "light":
        draw.rectangle((780, 120, 810, 900), fill=(70, 80, 90))
        draw.line((795, 140, 1000, 140), fill=(70, 80, 90), width=16)
        draw.polygon([(960, 140), (1060, 140), (1030, 190), (990, 190)], fill=(60, 60, 60))  # dark, broken lamp
    elif kind == "vendor":
        draw.rectangle((500, 520, 1100, 620), fill=(200, 40, 40))  # awning
        draw.rectangle((520, 620, 1080, 820), fill=(160, 110, 60))  # stall
        for i in range(12):
            draw.ellipse((540 + i * 44, 600, 580 + i * 44, 640), fill=(240, 160, 30))
    return im.filter(ImageFilter.SMOOTH)


def main() -> None:
    HERE.mkdir(parents=True, exist_ok=True)
    for name, lat, lng, taken, kind in PHOTOS:
        im = _scene(kind, random.Random(name))
        exif = im.getexif()
        exif[0x010F], exif[0x0110], exif[0x0112] = "Demo", "suishoupai sample", 1
        exif.get_ifd(0x8769)[0x9003] = taken
        exif[0x8825] = {1: "N", 2: _dms(lat), 3: "E", 4: _dms(lng), 5: b"\x00", 6: 62.0}
        im.save(HERE / name, "JPEG", quality=85, exif=exif)


if __name__ == "__main__":
    main()
