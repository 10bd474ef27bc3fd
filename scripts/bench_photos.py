"""Benchmark the photo pipeline against a naive decode-rotate-resize-encode baseline on 12-megapixel JPEGs."""

from __future__ import annotations

import argparse
import io
import platform
import random
import statistics
import time
from collections.abc import Callable

import numpy as np
import PIL
from PIL import Image, ImageDraw, ImageFilter

from backend.photos.pipeline import DISPLAY_EDGE, THUMB_EDGE, process

SIZE = (4000, 3000)  # 12 MP, as a phone's main camera
MAX_PIXELS = 80_000_000


def make_photo(seed: int, size: tuple[int, int] = SIZE) -> bytes:
    """A photo-like 12 MP JPEG (shapes, soft edges, sensor noise) stored sideways with orientation 6 and GPS."""
    rng = random.Random(seed)
    small = Image.new("RGB", (1000, 750), (rng.randrange(90, 160), rng.randrange(90, 160), rng.randrange(90, 160)))
    draw = ImageDraw.Draw(small)
    for _ in range(120):
        x, y, r = rng.randrange(1000), rng.randrange(750), rng.randrange(10, 120)
        color = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)((x - r, y - r // 2, x + r, y + r // 2), fill=color)
    big = small.filter(ImageFilter.GaussianBlur(1)).resize(size, Image.Resampling.BICUBIC)
    noise = np.random.default_rng(seed).normal(0, 7, (size[1], size[0], 3))
    pixels = np.clip(np.asarray(big, dtype=np.float32) + noise, 0, 255).astype(np.uint8)
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F], exif[0x0110] = "BenchPhone", "12MP"
    exif[0x8825] = {1: "N", 2: (27.0, 43.0, 55.56), 3: "E", 4: (112.0, 0.0, 4.68)}
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=90, exif=exif)
    return buffer.getvalue()


def naive(data: bytes) -> tuple[bytes, bytes]:
    """What a first version would do: full decode, rotate at full size, LANCZOS from full size, encode both."""
    im = Image.open(io.BytesIO(data))
    im = im.transpose(Image.Transpose.ROTATE_270)  # orientation 6
    out = []
    for edge in (DISPLAY_EDGE, THUMB_EDGE):
        scale = edge / max(im.size)
        resized = im.resize((round(im.width * scale), round(im.height * scale)), Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        resized.save(buffer, "JPEG", quality=85)
        out.append(buffer.getvalue())
    return out[0], out[1]


def pipeline(data: bytes) -> tuple[bytes, bytes]:
    photo = process(data, max_pixels=MAX_PIXELS)
    return photo.display.data, photo.thumbnail.data


def cpu_ms_per_photo(fn: Callable[[bytes], object], photos: list[bytes], rounds: int) -> float:
    """Median over rounds of CPU milliseconds per photo (process_time: this process's CPU, all threads)."""
    samples = []
    for _ in range(rounds):
        started = time.process_time()
        for data in photos:
            fn(data)
        samples.append((time.process_time() - started) * 1000 / len(photos))
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--photos", type=int, default=4, help="distinct generated photos (default 4)")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds; the median is reported (default 5)")
    parser.add_argument("--size", default=f"{SIZE[0]}x{SIZE[1]}", help="photo size WxH (default 4000x3000, 12 MP)")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.lower().split("x"))
    assert len(size) == 2, "--size must look like 4000x3000"

    photos = [make_photo(seed, (size[0], size[1])) for seed in range(args.photos)]
    check = process(photos[0], max_pixels=MAX_PIXELS)
    display = (check.display.width, check.display.height)
    assert display[0] < display[1] <= DISPLAY_EDGE, f"orientation 6 must come out portrait, got {display}"
    assert check.exif.has_gps
    for fn in (pipeline, naive):  # warm-up: imports, allocator, plugin registration
        fn(photos[0])

    naive_ms = cpu_ms_per_photo(naive, photos, max(1, args.rounds // 2))
    pipeline_ms = cpu_ms_per_photo(pipeline, photos, args.rounds)
    size_mb = statistics.mean(len(p) for p in photos) / 1e6
    print(f"python {platform.python_version()}, Pillow {PIL.__version__}, {platform.machine()}")
    print(f"{args.photos} generated {size[0]}x{size[1]} JPEGs (~{size_mb:.1f} MB, EXIF orientation 6 + GPS)")
    print(f"derivatives: display {display[0]}x{display[1]}, thumbnail {check.thumbnail.width}x{check.thumbnail.height}")
    print(f"naive baseline : {naive_ms:7.1f} ms/photo  {1000 / naive_ms:6.1f} photos/s per core")
    print(f"pipeline       : {pipeline_ms:7.1f} ms/photo  {1000 / pipeline_ms:6.1f} photos/s per core")
    print(f"speed-up       : {naive_ms / pipeline_ms:.1f}x  (targets: >= 3x and >= 20 photos/s per core)")


if __name__ == "__main__":
    main()
