"""Recall and precision of face, plate and phone-number detection by object size, and time per 1600-px image.

The set is built here, from a fixed seed: each real street photo of the reference set (EXIF-samples, CC BY-SA 4.0:
media/samples/README.md) scaled to 1600 px, with Chinese plates (blue, yellow, green new-energy, white; random province,
letter and 5–6 characters) rendered with WenQuanYi Micro Hei, small-advert stickers with a mobile number, and the
astronaut face (NASA, public domain, via scikit-image: media/redaction/README.md) pasted at chosen sizes, with a slight
perspective tilt and, in every other scene, a Gaussian blur. A face counts as found when a detected box overlaps it
with IoU ≥ 0.3 (detector boxes are tighter than the hand box); a plate or phone number when its text was read exactly
(what search and redaction need); a plate is also "covered" when any plate box overlaps it (what redaction needs).

    .venv/bin/python scripts/eval_redaction.py [--scenes 24] [--photos DIR]

Prints a table per kind and size bucket, then the time per image against a baseline measured in the same run (the
display-size JPEG decode and encode the photo pipeline does anyway).
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

from PIL import Image, ImageOps

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from backend.redaction.detect import Finding, shared_analyser
from backend.redaction.synthetic import as_array, scene

# The reference set's street and outdoor photos (beside the checkout or in the workplace's shared folder); the copy
# under media/samples (one photo) when neither is there.
PHOTO_DIRS = (ROOT.parent / "shared" / "reference" / "photos" / "gps", Path("/work/shared/reference/photos/gps"),
              ROOT.parent / "shared" / "reference" / "photos" / "cameras", Path("/work/shared/reference/photos/cameras"),
              ROOT / "media" / "samples" / "gps")
PLATE_WIDTHS = (50, 65, 80, 100, 130, 170, 220)
FACE_SIZES = (24, 32, 40, 56, 80, 120, 180)
ADVERT_HEIGHTS = (28, 36, 48, 64)
EDGE = 1600


def backgrounds(folder: Path | None) -> list[Image.Image]:
    folders = [folder] if folder else [d for d in PHOTO_DIRS if d.is_dir()]
    seen: set[str] = set()
    images = []
    for d in folders:
        for path in sorted(d.glob("*.jpg")):
            if path.name in seen:
                continue
            seen.add(path.name)
            with Image.open(path) as im:
                im = ImageOps.exif_transpose(im).convert("RGB")
                scale = EDGE / max(im.size)
                images.append(im.resize((round(im.width * scale), round(im.height * scale)),
                                        Image.Resampling.LANCZOS))
    return images


def iou(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0, x1 - x0) * max(0, y1 - y0)
    return inter / max(1, a[2] * a[3] + b[2] * b[3] - inter)


def bucket(kind: str, size: int) -> str:
    edges = {"face": (40, 80), "plate": (80, 130), "phone": (36, 56)}[kind]
    if size < edges[0]:
        return f"< {edges[0]}"
    return f"{edges[0]}–{edges[1] - 1}" if size < edges[1] else f"≥ {edges[1]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenes", type=int, default=24)
    parser.add_argument("--photos", type=Path, default=None, help="folder of street photos (default: the samples)")
    parser.add_argument("--seed", type=int, default=20)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    bases = backgrounds(args.photos)
    if not bases:
        sys.exit("no background photos found")
    started = time.perf_counter()
    analyser = shared_analyser()
    print(f"models loaded in {time.perf_counter() - started:.1f} s ({analyser.name}); "
          f"{args.scenes} scenes on {len(bases)} street photos, seed {args.seed}")

    hits: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])  # (kind, bucket) → [found, total]
    covered: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    false: dict[str, int] = defaultdict(int)
    reported: dict[str, int] = defaultdict(int)
    seconds, cpu, baseline = [], [], []
    for n in range(args.scenes):
        base = bases[n % len(bases)]
        labelled = scene(base, rng, plate_widths=rng.sample(PLATE_WIDTHS, 3), face_sizes=rng.sample(FACE_SIZES, 3),
                         advert_heights=rng.sample(ADVERT_HEIGHTS, 2), blur=0.8 if n % 2 else 0.0)
        buffer = io.BytesIO()
        labelled.image.save(buffer, "JPEG", quality=82)
        data = buffer.getvalue()
        t = time.perf_counter()
        with Image.open(io.BytesIO(data)) as im:
            im.convert("RGB").save(io.BytesIO(), "JPEG", quality=82)
        baseline.append(time.perf_counter() - t)
        t, c = time.perf_counter(), time.process_time()
        with Image.open(io.BytesIO(data)) as im:
            found: list[Finding] = analyser.analyse(as_array(im))
        seconds.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)

        faces = [f for f in found if f.kind == "face"]
        reported["face"] += len(faces)
        matched: set[int] = set()
        for box in labelled.faces:
            ok = [i for i, f in enumerate(faces) if iou(f.box, box) >= 0.3]
            matched.update(ok)
            hits[("face", bucket("face", box[2]))][0] += bool(ok)
            hits[("face", bucket("face", box[2]))][1] += 1
        false["face"] += len(faces) - len(matched)
        for kind, truth in (("plate", labelled.plates), ("phone", labelled.phones)):
            read = [f for f in found if f.kind == kind]
            reported[kind] += len(read)
            texts = [f.text for f in read]
            for number, box in truth:
                size = box[2] if kind == "plate" else box[3]
                key = (kind, bucket(kind, size))
                hits[key][0] += number in texts
                hits[key][1] += 1
                if kind == "plate":
                    covered[bucket(kind, size)][0] += any(iou(f.box, box) > 0.1 for f in read)
                    covered[bucket(kind, size)][1] += 1
            false[kind] += sum(t not in {number for number, _ in truth} for t in texts)
        print(f"  scene {n + 1:2d}/{args.scenes}: {seconds[-1]:.2f} s, {len(found)} findings", file=sys.stderr)

    print("\nkind   size (px)     recall            covered (plates: any plate box on it)")
    for kind, label in (("face", "face width"), ("plate", "plate width"), ("phone", "advert height")):
        for b in sorted({k[1] for k in hits if k[0] == kind}, key=lambda s: 0 if s.startswith("<") else 2 if s.startswith("≥") else 1):
            got, total = hits[(kind, b)]
            line = f"{kind:6} {label} {b:9}  {got:3d}/{total:3d} = {got / total:6.1%}"
            if kind == "plate":
                c, t = covered[b]
                line += f"    {c:3d}/{t:3d} = {c / t:6.1%}"
            print(line)
    print("\nprecision (reported items that match a labelled one):")
    for kind in ("face", "plate", "phone"):
        if reported[kind]:
            print(f"  {kind:6} {reported[kind] - false[kind]:3d}/{reported[kind]:3d} = "
                  f"{(reported[kind] - false[kind]) / reported[kind]:6.1%}")
    print("\ntargets (recall):")
    for kind, label, buckets, target in (("plate", "plates ≥ 80 px wide", ("80–129", "≥ 130"), 0.90),
                                         ("face", "faces ≥ 40 px", ("40–79", "≥ 80"), 0.85),
                                         ("phone", "phone numbers on adverts", ("< 36", "36–55", "≥ 56"), 0.95)):
        got = sum(hits[(kind, b)][0] for b in buckets)
        total = sum(hits[(kind, b)][1] for b in buckets)
        verdict = "met" if total and got / total >= target else "NOT met"
        print(f"  {label:26} {got:3d}/{total:3d} = {got / max(1, total):6.1%} (target {target:.0%}: {verdict})")
    median, base_median = statistics.median(seconds), statistics.median(baseline)
    print(f"\ntime per {EDGE}-px image: median {median:.2f} s, max {max(seconds):.2f} s "
          f"(baseline decode+encode {base_median * 1000:.0f} ms: {median / base_median:.0f}× the baseline); "
          f"CPU time median {statistics.median(cpu):.2f} s (all threads; the machine's load shows in wall time)")


if __name__ == "__main__":
    main()
