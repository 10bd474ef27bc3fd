"""The decode budget: costs bound concurrent decodes, oversized images are refused from their header, large but allowed
images are decoded reduced and still come out right."""

from __future__ import annotations

import asyncio
import contextvars
import io
import math
import os
import struct
import threading
import zlib
from collections.abc import Callable

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from backend.errors import PayloadTooLarge
from backend.photos import service
from backend.photos.budget import DecodeBudget
from backend.photos.exif import read_exif
from backend.photos.pipeline import DECODE_MEMORY, check_header, decode_cost, process
from tests.helpers import login

from .craft import jpeg

MAX_PIXELS = 80_000_000
# PNG colour type, bit depth and channels per Pillow mode.
PNG_MODES = {"1": (0, 1, 1), "L": (0, 8, 1), "P": (3, 8, 1), "RGB": (2, 8, 3), "RGBA": (6, 8, 4)}


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png(mode: str, width: int, height: int, *, header_only: bool = False) -> bytes:
    """An all-zero PNG; ``header_only`` leaves the pixel data out, so that only a header check can succeed."""
    color_type, depth, channels = PNG_MODES[mode]
    idat = b""
    if not header_only:
        row = b"\x00" * (1 + math.ceil(width * depth * channels / 8))
        compressor = zlib.compressobj(9)
        idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    palette = _chunk(b"PLTE", bytes(range(256)) * 3) if color_type == 3 else b""
    header = struct.pack(">IIBBBBB", width, height, depth, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + palette + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


def jpeg_header(width: int, height: int, sampling: tuple[int, ...]) -> bytes:
    """SOI, SOF0 and SOS of a baseline JPEG with one component per sampling byte (0x22 = 2x2), and no scan data."""
    sof = struct.pack(">BHHB", 8, height, width, len(sampling))
    sof += b"".join(struct.pack(">BBB", i + 1, s, 0) for i, s in enumerate(sampling))
    sos = struct.pack(">B", len(sampling)) + b"".join(struct.pack(">BB", i + 1, 0) for i in range(len(sampling)))
    sos += b"\x00\x3f\x00"

    def segment(marker: int, body: bytes) -> bytes:
        return struct.pack(">BBH", 0xFF, marker, len(body) + 2) + body

    return b"\xff\xd8" + segment(0xC0, sof) + segment(0xDA, sos) + b"\xff\xd9"


def pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=np.float32)


# ---------------------------------------------------------------- the budget


async def until(check: Callable[[], bool], polls: int = 10_000) -> None:
    """Let other tasks and threads run until ``check`` holds (polled, never asserted on time)."""
    for _ in range(polls):
        if check():
            return
        await asyncio.sleep(0.001)
    raise AssertionError("condition never held")


class Holders:
    """Tasks that each hold a cost on a budget until their own event is set, and the order they got in."""

    def __init__(self, budget: DecodeBudget) -> None:
        self.budget = budget
        self.admitted: list[str] = []
        self.release: dict[str, asyncio.Event] = {}
        self.tasks: dict[str, asyncio.Task[None]] = {}

    def start(self, name: str, cost: int) -> None:
        self.release[name] = asyncio.Event()

        async def hold() -> None:
            async with self.budget.hold(cost):
                self.admitted.append(name)
                await self.release[name].wait()

        self.tasks[name] = asyncio.create_task(hold())

    async def finish(self, name: str) -> None:
        self.release[name].set()
        await self.tasks[name]


async def test_the_budget_admits_work_while_the_costs_fit():
    holders = Holders(DecodeBudget(capacity=10, slots=8))
    holders.start("a", 6)
    holders.start("b", 5)  # 6 + 5 > 10: waits
    holders.start("c", 4)  # would fit next to a, but must not overtake b
    await until(lambda: holders.budget.waiting == 2)
    assert holders.admitted == ["a"] and holders.budget.used == 6
    await holders.finish("a")
    await until(lambda: len(holders.admitted) == 3)
    assert holders.admitted == ["a", "b", "c"] and holders.budget.used == 9 and holders.budget.running == 2
    await holders.finish("b")
    await holders.finish("c")
    assert holders.budget.used == 0 and holders.budget.running == 0 and holders.budget.waiting == 0


async def test_slots_bound_the_count_of_cheap_decodes():
    holders = Holders(DecodeBudget(capacity=1000, slots=2))
    for name in "abc":
        holders.start(name, 1)
    await until(lambda: holders.budget.waiting == 1)
    assert holders.admitted == ["a", "b"]
    await holders.finish("b")
    await until(lambda: holders.admitted == ["a", "b", "c"])
    await holders.finish("a")
    await holders.finish("c")


async def test_a_cost_above_the_capacity_runs_alone_instead_of_never():
    holders = Holders(DecodeBudget(capacity=10, slots=4))
    holders.start("small", 1)
    holders.start("huge", 50)
    holders.start("after", 1)
    await until(lambda: holders.budget.waiting == 2)
    await holders.finish("small")
    await until(lambda: holders.admitted == ["small", "huge"])
    assert holders.budget.used == 10 and holders.budget.waiting == 1  # clamped to the capacity: nothing beside it
    await holders.finish("huge")
    await until(lambda: holders.admitted[-1] == "after")
    await holders.finish("after")


async def test_a_cancelled_waiter_leaves_nothing_held_and_lets_the_next_in():
    holders = Holders(DecodeBudget(capacity=10, slots=4))
    holders.start("a", 8)
    holders.start("big", 9)
    holders.start("small", 2)
    await until(lambda: holders.budget.waiting == 2)
    holders.tasks["big"].cancel()
    await until(lambda: holders.admitted == ["a", "small"])  # big was in front of small: its leaving admits small
    with pytest.raises(asyncio.CancelledError):
        await holders.tasks["big"]
    await holders.finish("a")
    await holders.finish("small")
    assert holders.budget.used == 0 and holders.budget.running == 0 and holders.budget.waiting == 0


async def test_run_keeps_the_cost_until_the_thread_ends_even_when_its_caller_is_cancelled():
    budget = DecodeBudget(capacity=10, slots=4)
    started, proceed = threading.Event(), threading.Event()

    def decode() -> str:
        started.set()
        proceed.wait(30)
        return "done"

    caller = asyncio.create_task(budget.run(7, decode))
    await until(started.is_set)
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    assert budget.used == 7  # the thread still holds its decoded pixels
    proceed.set()
    await until(lambda: budget.used == 0)
    assert await budget.run(3, lambda: "again") == "again" and budget.used == 0


async def test_idle_runs_once_in_the_last_decode_of_a_burst():
    calls: list[int] = []
    budget = DecodeBudget(capacity=10, slots=2, idle=lambda: calls.append(budget.running))
    first, second = threading.Event(), threading.Event()
    a = asyncio.create_task(budget.run(1, first.wait, 30))
    b = asyncio.create_task(budget.run(1, second.wait, 30))
    await until(lambda: budget.running == 2)
    first.set()
    await a
    assert calls == []  # the other decode still runs: memory is not handed back in the middle of a burst
    second.set()
    await b
    assert calls == [1]  # once, by the last decode, in its own thread before it gave its slot back
    assert budget.running == 0


def test_one_budget_serves_several_event_loops():
    budget = DecodeBudget(capacity=10, slots=4)
    held, release = threading.Event(), threading.Event()

    async def other_loop() -> None:
        async with budget.hold(8):
            held.set()
            await asyncio.to_thread(release.wait, 30)

    thread = threading.Thread(target=asyncio.run, args=(other_loop(),))
    thread.start()
    assert held.wait(30)

    async def this_loop() -> int:
        waiting = asyncio.create_task(budget.run(5, lambda: budget.used))
        await until(lambda: budget.waiting == 1)
        release.set()  # the other loop's release must wake this loop's waiter
        return await waiting

    assert asyncio.run(this_loop()) == 5
    thread.join(30)
    assert budget.used == 0


# ---------------------------------------------------------------- refusing from the header


def test_an_image_too_costly_to_decode_is_refused_from_its_header_with_its_own_limit():
    rgba = png("RGBA", 8400, 8400, header_only=True)  # 70.6 MP: under the 80 MP setting, over what RGBA may cost
    with pytest.raises(PayloadTooLarge) as exc:
        check_header(rgba, "png", MAX_PIXELS)
    err = exc.value
    assert err.status == 413 and err.code == "photo.too_many_pixels"
    assert "百万像素" in err.message_zh and "megapixels" in err.message_en
    assert err.details["width"] == 8400 and 50_000_000 < err.details["max_pixels"] < 70_000_000
    assert str(err.details["max_pixels"] // 1_000_000) in err.message_zh
    # The same size in a mode that decodes to a quarter of the bytes fits: the limit follows the memory it needs.
    grey = png("L", 8400, 8400, header_only=True)
    assert check_header(grey, "png", MAX_PIXELS) == (8400, 8400)
    assert decode_cost(grey, MAX_PIXELS) < decode_cost(png("RGB", 8400, 8400, header_only=True), MAX_PIXELS)
    with pytest.raises(PayloadTooLarge):
        decode_cost(rgba, MAX_PIXELS)
    # The configured limit still applies to the cheapest mode.
    with pytest.raises(PayloadTooLarge) as exc:
        check_header(png("L", 9000, 9000, header_only=True), "png", MAX_PIXELS)
    assert exc.value.details["max_pixels"] == MAX_PIXELS


@pytest.mark.parametrize("sampling", [(0x22, 0x11, 0x11), (0x11, 0x11, 0x11)], ids=["4:2:0", "4:4:4"])
def test_phone_photos_of_48_to_50_megapixels_are_accepted(sampling):
    for width, height in ((8064, 6048), (8160, 6120)):  # 48 MP (iPhone) and 50 MP (8160x6120 sensors)
        header = jpeg_header(width, height, sampling)
        assert check_header(header, "jpeg", MAX_PIXELS) == (width, height)
        assert decode_cost(header, MAX_PIXELS) <= DECODE_MEMORY


def test_a_jpeg_is_charged_for_its_coefficients():
    # libjpeg buffers 2 bytes per sample of a progressive file even when it decodes at 1/8: 4:4:4 has twice 4:2:0's.
    cost_420 = decode_cost(jpeg_header(4000, 3000, (0x22, 0x11, 0x11)), MAX_PIXELS)
    cost_444 = decode_cost(jpeg_header(4000, 3000, (0x11, 0x11, 0x11)), MAX_PIXELS)
    assert cost_444 - cost_420 == 2 * 4000 * 3000 * (3 - 1.5)


def test_reading_a_png_s_exif_decodes_none_of_its_pixels(monkeypatch):
    loads: list[object] = []
    real_load = PngImagePlugin.PngImageFile.load
    monkeypatch.setattr(PngImagePlugin.PngImageFile, "load", lambda im: loads.append(im) or real_load(im))
    info = read_exif(png("RGB", 8000, 8000))  # 64 MP of pixels behind a 200 KB file, and no eXIf chunk
    assert loads == [] and info.lat is None and "exif.unreadable" not in info.warnings


def test_an_over_limit_upload_is_refused_with_413_before_anything_is_stored(client, settings):
    h = login(client, "citizen01")
    r = client.post("/api/v1/reports", files=[("photos", ("big.png", png("RGBA", 8400, 8400, header_only=True),
                                                            "image/png"))],
                    data={"lng": "112.0", "lat": "27.73"}, headers=h)
    assert r.status_code == 413, r.text
    err = r.json()["error"]
    assert err["code"] == "photo.too_many_pixels" and "百万像素" in err["message_zh"] and err["message_en"]
    assert err["details"]["max_pixels"] < MAX_PIXELS
    root = settings.resolved_store_path
    assert not root.exists() or not [p for p in root.rglob("*") if p.is_file() and ".meta" not in p.parts]


def test_every_processed_photo_goes_through_the_budget_at_its_cost(client, monkeypatch):
    charged: list[int] = []

    class Recording(DecodeBudget):
        async def run(self, cost, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def, override]
            charged.append(cost)
            return await super().run(cost, fn, *args, **kwargs)

    monkeypatch.setattr(service, "_decodes", Recording(DECODE_MEMORY, slots=2))
    h = login(client, "citizen01")
    photo = jpeg((800, 600))
    r = client.post("/api/v1/photos", files={"file": ("p.jpg", photo, "image/jpeg")}, data={"kind": "report"},
                    headers=h)
    assert r.status_code == 201, r.text
    assert charged == [decode_cost(photo, MAX_PIXELS)]


# ---------------------------------------------------------------- large but allowed images come out right


def test_the_bilevel_png_of_the_issue_is_decoded_reduced():
    bomb = png("1", 8900, 8900)
    assert len(bomb) < 12_000  # the 9.7 KB file of the report
    photo = process(bomb, max_pixels=MAX_PIXELS)
    assert (photo.width, photo.height) == (8900, 8900)
    assert (photo.display.width, photo.display.height) == (1600, 1600)
    assert pixels(photo.display.data).max() < 10  # all black, as the file says


def _reference_display(im: Image.Image) -> np.ndarray:
    """What the display should show: flattened onto white at full size, then an area-average resize."""
    rgba = im.convert("RGBA")
    flat = Image.new("RGB", im.size, (255, 255, 255))
    flat.paste(rgba, mask=rgba.getchannel("A"))
    return np.asarray(flat.resize((1600, 1600), Image.Resampling.BOX), dtype=np.float32)


def _save(im: Image.Image, **params: object) -> bytes:
    buffer = io.BytesIO()
    im.save(buffer, "PNG", **params)
    return buffer.getvalue()


def test_a_transparent_palette_png_is_reduced_band_by_band_with_the_right_colours():
    # Stripes of red, half-transparent blue and fully transparent green: the green must not show, blue must be pale.
    indices = np.zeros((3300, 3300), dtype=np.uint8)
    indices[:, 1100:2200] = 1
    indices[:, 2200:] = 2
    im = Image.fromarray(indices, "L").convert("P")
    im.putpalette([255, 0, 0, 0, 0, 255, 0, 255, 0] + [0] * 759)
    data = _save(im, transparency=bytes([255, 128, 0]))
    source = Image.open(io.BytesIO(data))
    expected = _reference_display(source)
    shown = pixels(process(data, max_pixels=MAX_PIXELS).display.data)
    assert np.abs(shown - expected).mean() < 3
    assert shown[800, 20:500].mean(axis=0) == pytest.approx([255, 0, 0], abs=3)
    assert shown[800, 560:1040].mean(axis=0) == pytest.approx([127, 127, 255], abs=3)  # half blue over white
    assert shown[800, 1100:].min() > 245  # the transparent green shows nothing


def test_a_large_rgba_png_is_flattened_without_dark_fringes():
    rgba = np.zeros((3400, 3400, 4), dtype=np.uint8)  # transparent black...
    rgba[:, 1::2] = (255, 0, 0, 255)  # ...and opaque red, in alternating columns: every reduce block mixes both
    data = _save(Image.fromarray(rgba, "RGBA"))
    shown = pixels(process(data, max_pixels=MAX_PIXELS).display.data)
    # Half red over white. Averaging without premultiplying would let the hidden black in: (191, 128, 128).
    assert shown.mean(axis=(0, 1)) == pytest.approx([255, 127, 127], abs=4)
    assert shown.std(axis=(0, 1)).max() < 4


def test_a_large_sixteen_bit_grey_png_keeps_its_top_bits():
    grey = np.full((3300, 3300), 20000, dtype=np.uint16)
    grey[:, 1650:] = 50000
    photo = process(_save(Image.fromarray(grey)), max_pixels=MAX_PIXELS)
    shown = pixels(photo.display.data)
    assert shown[:, :700].mean() == pytest.approx(20000 >> 8, abs=2)
    assert shown[:, 900:].mean() == pytest.approx(50000 >> 8, abs=2)


async def test_decodes_run_below_the_process_s_priority_and_leave_other_threads_alone():
    """The event loop and the job workers go first when the CPU is short: decodes run in threads of their own at a
    lower priority; the default executor's threads (file writes, password hashing …) keep the process's."""
    budget = DecodeBudget(capacity=10, slots=2, nice=6)

    def my_nice() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    base = my_nice()
    seen = {await budget.run(1, my_nice) for _ in range(4)}
    assert seen == {min(base + 6, 19)}
    assert await asyncio.to_thread(my_nice) == base
    assert my_nice() == base
    plain = DecodeBudget(capacity=10, slots=2)  # without nice: the default executor, as before
    assert await plain.run(1, my_nice) == base


async def test_a_decode_in_its_own_threads_sees_the_caller_s_context_and_its_result_or_error():
    budget = DecodeBudget(capacity=10, slots=1, nice=3)
    var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="unset")
    var.set("caller")
    assert await budget.run(1, var.get) == "caller"
    with pytest.raises(ZeroDivisionError):
        await budget.run(1, lambda: 1 / 0)
    assert budget.used == 0 and budget.running == 0
