"""The photo row: where the original and its derivatives live and what the intake pipeline found."""

from typing import TYPE_CHECKING

from piccolo.columns import Float, ForeignKey, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table

from backend.accounts.tables import User
from backend.jsoncolumn import JSON

if TYPE_CHECKING:  # only named at run time (see below)
    from backend.cases.tables import Case


class Photo(Table):
    id: Serial  # Piccolo adds this primary key itself; named here for type checkers
    # By name: photos sit below cases and do not import them.
    case: ForeignKey["Case"] = ForeignKey(LazyTableReference("Case", module_path="backend.cases.tables"), null=True, index=True)
    kind = Varchar(length=16)  # report | verify | after | check
    uploader = ForeignKey(User)
    # direct uploads: awaiting_upload → uploading → uploaded (local store) → confirming → pending; then ready | failed
    status = Varchar(length=16, default="pending")
    filename = Varchar(length=200, default="")
    content_type = Varchar(length=64, default="")
    size = Integer(default=0)
    original_key = Varchar(length=200, index=True)  # a direct upload's staging key (incoming/…) until its confirm
    display_key = Varchar(length=200, default="")
    thumb_key = Varchar(length=200, default="")
    sha256 = Varchar(length=64, default="", index=True)
    phash = Varchar(length=16, default="")
    width = Integer(default=0)
    height = Integer(default=0)
    exif_lat = Float(null=True, default=None)
    exif_lng = Float(null=True, default=None)
    exif_alt = Float(null=True, default=None)
    exif_time = Timestamptz(null=True, default=None)
    exif = JSON(default={})  # make, model, orientation, gps_time, warnings
    warnings = JSON(default=[])  # quality warnings: too_dark, too_blurry, too_small
    error = Text(default="")
    created_at = Timestamptz()
    processed_at = Timestamptz(null=True, default=None)
    # A direct upload's deadline; cleared once its staging object is gone for good. Null for multipart uploads.
    upload_expires_at = Timestamptz(null=True, default=None, index=True)
