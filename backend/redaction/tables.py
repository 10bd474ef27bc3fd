"""A photo's public derivatives and what was read from it: one redaction row per photo, one row per text found."""

from typing import TYPE_CHECKING

from piccolo.columns import Float, ForeignKey, Integer, Real, Serial, Text, Timestamptz, Varchar
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table

from backend.jsoncolumn import JSON

if TYPE_CHECKING:  # only named at run time (see below)
    from backend.photos.tables import Photo


class Redaction(Table):
    id: Serial  # Piccolo adds this primary key itself; named here for type checkers
    # By name: redaction sits below photos and does not import them.
    photo: ForeignKey["Photo"] = ForeignKey(LazyTableReference("Photo", module_path="backend.photos.tables"), unique=True, index=True)
    # pending → done | failed (retried by the job) | unavailable (no models installed); public only when done
    status = Varchar(length=16, default="pending", index=True)
    error = Text(default="")  # a stable code (redaction.failed, redaction.unavailable) and the detail
    display_key = Varchar(length=200, default="")  # the redacted display image: the only one the public sees
    thumb_key = Varchar(length=200, default="")
    faces = Integer(default=0)
    plates = Integer(default=0)
    width = Integer(default=0)  # of the analysed display image: text boxes are fractions of it
    height = Integer(default=0)
    model = Varchar(length=64, default="")
    seconds = Float(default=0.0)
    created_at = Timestamptz()
    finished_at = Timestamptz(null=True, default=None)


class PhotoText(Table):
    """Text read from a photo, for staff: a phone number, a plate, a sign. ``norm`` is what a search matches."""

    id: Serial  # Piccolo adds this primary key itself; named here for type checkers

    photo: ForeignKey["Photo"] = ForeignKey(LazyTableReference("Photo", module_path="backend.photos.tables"), index=True)
    kind = Varchar(length=8)  # phone | plate | text
    text = Varchar(length=200)
    norm = Varchar(length=200, index=True)
    box = JSON(default=[])  # [x, y, w, h] as fractions of the display image, for highlighting
    score = Real(default=0.0)
