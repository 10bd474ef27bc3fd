"""Draw the PWA icons (a camera with a map pin on the city-management blue) at 192 and 512 px, plain and maskable."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "pwa" / "icons"
BLUE = (10, 91, 181)
WHITE = (255, 255, 255)
ORANGE = (245, 130, 32)


def draw(size: int, maskable: bool) -> Image.Image:
    # Work at 4x and downsample for smooth edges.
    s = size * 4
    img = Image.new("RGB" if maskable else "RGBA", (s, s), BLUE if maskable else (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    if not maskable:
        d.rounded_rectangle((0, 0, s - 1, s - 1), radius=s // 5, fill=BLUE)
    # Maskable icons keep their content inside the central 80 % safe zone.
    k = 0.62 if maskable else 0.78
    c = s / 2

    def box(x0: float, y0: float, x1: float, y1: float) -> tuple[float, float, float, float]:
        return (c + x0 * k * s, c + y0 * k * s, c + x1 * k * s, c + y1 * k * s)

    d.rounded_rectangle(box(-0.38, -0.2, 0.38, 0.3), radius=int(0.07 * k * s), fill=WHITE)
    d.rounded_rectangle(box(-0.14, -0.29, 0.14, -0.17), radius=int(0.03 * k * s), fill=WHITE)
    d.ellipse(box(-0.17, -0.12, 0.17, 0.22), fill=BLUE)
    d.ellipse(box(-0.11, -0.06, 0.11, 0.16), fill=WHITE)
    # A map pin in the lens: the report's place.
    d.ellipse(box(-0.055, -0.025, 0.055, 0.085), fill=ORANGE)
    d.polygon([(c - 0.05 * k * s, c + 0.055 * k * s), (c + 0.05 * k * s, c + 0.055 * k * s),
               (c, c + 0.14 * k * s)], fill=ORANGE)
    d.ellipse(box(-0.02, 0.01, 0.02, 0.05), fill=WHITE)
    d.ellipse(box(0.25, -0.15, 0.31, -0.09), fill=ORANGE)
    return img.resize((size, size), Image.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        draw(size, False).save(OUT / f"icon-{size}.png", optimize=True)
        draw(size, True).save(OUT / f"maskable-{size}.png", optimize=True)


if __name__ == "__main__":
    main()
