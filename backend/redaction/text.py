"""What a line of text read from a photo is: a Chinese licence plate, a phone number, or other text (a shop sign).

Plates (GA 36): a province abbreviation, an issuing-office letter, then 5 characters (6 for green new-energy plates);
letters exclude I and O. Phone numbers: mobiles (1[3-9] + 9 digits), landlines with an area code, and 400/800 numbers,
as printed on adverts with spaces, dots or dashes between groups.
"""

from __future__ import annotations

import re

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_LETTER = "A-HJ-NP-Z"
_PLATE = re.compile(rf"([{PROVINCES}])([{_LETTER}])([{_LETTER}0-9]{{5,6}}|[{_LETTER}0-9]{{4}}[挂学警港澳领])")
# OCR often reads the province character wrongly or not at all: a letter and 5–6 characters with at least three digits
# on a line of its own is still taken as a plate.
_BARE_PLATE = re.compile(rf"^([{_LETTER}])([{_LETTER}0-9]{{5,6}})$")
_SEPARATORS = re.compile(r"[\s·•.．\-—_:：]")
_PHONE = re.compile(r"(?<!\d)(1[3-9]\d{9}|0\d{2,3}\d{7,8}|[48]00\d{7})(?!\d)")
# Digits OCR confuses with letters on adverts (O for 0, l and I for 1): only between digits.
_LOOKALIKES = str.maketrans({"O": "0", "o": "0", "D": "0", "l": "1", "I": "1", "|": "1", "S": "5", "B": "8"})
_CJK = re.compile(r"[\u4e00-\u9fff]")


def normalise(text: str) -> str:
    """The form stored for searching: upper case, no separators (a phone number as digits only)."""
    return _SEPARATORS.sub("", text).upper()


def _digits_view(text: str) -> str:
    squeezed = _SEPARATORS.sub("", text)
    out = []
    for i, ch in enumerate(squeezed):
        near_digit = (i > 0 and squeezed[i - 1].isdigit()) or (i + 1 < len(squeezed) and squeezed[i + 1].isdigit())
        out.append(ch.translate(_LOOKALIKES) if near_digit else ch)
    return "".join(out)


def phones(text: str) -> list[str]:
    return _PHONE.findall(_digits_view(text))


def plates(text: str) -> list[str]:
    squeezed = normalise(text)
    found = ["".join(m.groups()) for m in _PLATE.finditer(squeezed)]
    if not found:
        bare = _BARE_PLATE.match(squeezed)
        if bare and sum(c.isdigit() for c in bare.group(2)) >= 3:
            found.append("".join(bare.groups()))
    return found


def read_line(line: str, box: tuple[int, int, int, int]) -> list[tuple[str, str]]:
    """The (kind, text) pairs in one OCR line: plates and phone numbers, else the line itself as text.

    ``box`` (x, y, w, h) rules out a bare plate on a line far too tall or too long for a plate's shape.
    """
    found: list[tuple[str, str]] = [("phone", p) for p in phones(line)]
    w, h = box[2], max(1, box[3])
    for plate in plates(line):
        if plate[0] in PROVINCES or 1.5 <= w / h <= 8:
            found.append(("plate", plate))
    if found:
        return found
    text = line.strip()
    # Keep signs and notices, not stray letters: two CJK characters or four other characters.
    if len(_CJK.findall(text)) >= 2 or len(text) >= 4:
        return [("text", text[:200])]
    return []
