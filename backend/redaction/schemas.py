"""What staff are shown of a photo's redaction and the text read from it."""

from __future__ import annotations

from msgspec import Struct

# Why a photo is or is not public, for staff (zh, en), by the code stored with its redaction.
MESSAGES = {
    "redaction.done": ("已完成人脸和车牌打码，可公开", "Faces and plates pixelated: the photo may be shown publicly"),
    "redaction.pending": ("正在进行人脸和车牌打码，完成前不公开",
                          "Faces and plates are being pixelated: not public until that is done"),
    "redaction.failed": ("人脸和车牌打码失败，照片不公开（系统将自动重试）",
                         "Pixelating faces and plates failed: the photo is not public (it is retried automatically)"),
    "redaction.unavailable": ("服务器未安装打码模型，照片不公开",
                              "The server has no redaction models installed: the photo is not public"),
}


class PhotoTextOut(Struct):
    kind: str  # phone | plate | text
    text: str
    box: list[float]  # x, y, w, h as fractions of the display image
    score: float


class RedactionOut(Struct):
    status: str  # pending | done | failed | unavailable
    public: bool
    faces: int
    plates: int
    message_zh: str
    message_en: str
    texts: list[PhotoTextOut]
