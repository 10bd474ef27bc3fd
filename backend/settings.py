"""Settings read once from ``SUISHOUPAI_*`` environment variables; a bad value stops the process with a clear message."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

PREFIX = "SUISHOUPAI_"


class SettingsError(ValueError):
    """A setting is missing or malformed."""


def _bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise SettingsError(f"{PREFIX}{name} must be a boolean (true/false), got {raw!r}")


def _int(name: str, raw: str, minimum: int | None = None) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{PREFIX}{name} must be an integer, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise SettingsError(f"{PREFIX}{name} must be >= {minimum}, got {value}")
    return value


def _float(name: str, raw: str, lo: float | None = None, hi: float | None = None) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{PREFIX}{name} must be a number, got {raw!r}") from None
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise SettingsError(f"{PREFIX}{name} must be within [{lo}, {hi}], got {value}")
    return value


def parse_work_hours(raw: str) -> tuple[tuple[int, int], ...]:
    """Parse ``08:00-12:00,14:00-18:00`` into minute-of-day spans."""
    spans: list[tuple[int, int]] = []
    for part in raw.split(","):
        try:
            start, end = part.strip().split("-")
            sh, sm = (int(x) for x in start.split(":"))
            eh, em = (int(x) for x in end.split(":"))
        except ValueError:
            raise SettingsError(f"{PREFIX}WORK_HOURS must look like 08:00-12:00,14:00-18:00, got {raw!r}") from None
        lo, hi = sh * 60 + sm, eh * 60 + em
        if not (0 <= lo < hi <= 24 * 60) or (spans and lo < spans[-1][1]):
            raise SettingsError(f"{PREFIX}WORK_HOURS spans must be ordered and within a day, got {raw!r}")
        spans.append((lo, hi))
    return tuple(spans)


@dataclass(frozen=True)
class Settings:
    """Everything the app reads from its environment. Tests build one directly with ``Settings(...)``."""

    data_dir: Path = Path("var")
    database_url: str = ""  # empty: SQLite file under data_dir
    sqlite_busy_seconds: float = 30.0  # how long a query waits for SQLite's write lock before answering 503
    redis_url: str = ""  # empty: in-memory channels
    # object storage: "local" (files under data_dir/objects) or "s3" (MinIO or any S3)
    store: str = "local"
    store_path: str = ""
    s3_endpoint: str = "127.0.0.1:9000"
    s3_access_key: str = ""
    s3_secret_key: str = ""
    s3_bucket: str = "suishoupai"
    s3_region: str = "us-east-1"
    s3_secure: bool = False
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    public_url: str = ""
    # Map tiles: an XYZ template (https://host/{z}/{x}/{y}.png; {s} is Leaflet's a/b/c subdomain); empty = no base
    # map. Its host is the only outside origin the PWA's Content-Security-Policy lets images come from.
    tile_url: str = ""
    tile_attribution: str = ""
    # Base map preset (README "Base maps"): demo (the city's own vector layers, offline, no key; the default without a
    # tile URL), tianditu (天地图 vector + annotation; needs tianditu_key), amap (高德, GCJ-02: the PWA shifts the tiles,
    # coordinates stay WGS-84) or xyz (tile_url; the default with one).
    basemap: str = ""
    tianditu_key: str = ""  # a 天地图 browser key (32 hex digits), bound to the site's domain by 天地图
    log_level: str = "INFO"
    log_json: bool = False
    secret_key: str = "dev-only-secret-change-me"
    token_ttl_hours: int = 24 * 7  # citizens' login sessions (absolute)
    staff_session_hours: int = 12  # staff sessions: absolute limit
    staff_idle_minutes: int = 30  # staff sessions: ended after this long without a request
    max_sessions_per_user: int = 5  # the oldest session ends when a login would exceed this
    login_max_failures: int = 5  # failed logins within login_lockout_minutes that lock the account
    login_lockout_minutes: int = 15
    # Rate limits (requests per minute unless named otherwise), per client address or per credential.
    rate_login_per_ip: int = 30
    rate_device_per_ip_hour: int = 20
    rate_reports_per_user: int = 10
    rate_reports_per_ip: int = 60
    rate_uploads_per_user: int = 30
    rate_api_per_user: int = 600
    rate_password_checks_per_user: int = 5  # password change and account deletion: each verifies a password
    # A proxy in front of the app (nginx in deploy/) whose X-Forwarded-For is trusted: comma-separated addresses, or
    # "*" where only the proxy can reach the app. Empty: uvicorn's default (127.0.0.1). Client addresses feed the
    # per-address rate limits and the audit log.
    forwarded_allow_ips: str = ""
    # Who may read /metrics: comma-separated addresses or CIDRs (after X-Forwarded-For from a trusted proxy), or "*".
    metrics_allow_ips: str = "127.0.0.1,::1"
    audit_retention_days: int = 180
    # Demo mode seeds the demo city with its well-known passwords; outside it those passwords must be changed.
    demo_mode: bool = False
    device_token_ttl_days: int = 365
    reopen_days: int = 7
    # Citizens following a case (我也遇到, another phone) that make it 重点 for staff; 0: off (a runtime setting).
    follower_priority: int = 0
    max_upload_mb: int = 25
    max_photos: int = 4
    max_image_pixels: int = 80_000_000
    auto_classify_threshold: float = 0.6
    # True: the model's own threshold (calibrated on held-out folds for a stated precision, stored with the model)
    # decides when a suggestion is taken without an operator; auto_classify_threshold then only serves a model that
    # carries none.
    auto_classify_threshold_from_model: bool = True
    classifier_model_path: str = ""  # empty: <data_dir>/textmodel.npz once a retrain promoted one, else the packaged
    retrain_interval_hours: int = 0  # queue a retrain job (backend/triage/learning.py) this often; 0: off
    auto_dispatch: bool = False
    component_snap_m: float = 20.0
    duplicate_radius_m: float = 50.0
    duplicate_window_hours: int = 24
    work_hours: tuple[tuple[int, int], ...] = ((8 * 60, 12 * 60), (14 * 60, 18 * 60))
    timezone: str = "Asia/Shanghai"
    stage_limit_minutes: Mapping[str, int] = field(
        default_factory=lambda: {"accept": 15, "dispatch": 15, "verify": 30, "check": 30}
    )
    event_retention_days: int = 30
    sweep_interval_minutes: int = 60  # how often the sweeper removes orphans, loose photos and expired tokens
    unattached_photo_hours: int = 24  # a finished photo no case claimed is removed after this long
    run_worker: bool = True
    # Job workers per process (triage, notifications, webhooks …): each runs one job at a time. Triage reads before it
    # takes the write lock, so a second worker reads the next case while the first one writes.
    job_workers: int = 2
    # Intake waits while more triage jobs than this are due (up to 20 s, then goes on): reports are taken at the
    # pace their cases reach their units. 0: no limit.
    intake_max_backlog: int = 10
    worker_poll_seconds: float = 0.5
    escalation_interval_seconds: float = 60.0
    taxonomy_path: str = ""  # empty: the packaged taxonomy
    city_path: str = ""  # empty: the packaged demo city
    image_model_path: str = ""
    # Photos redacted at once per process (faces and plates pixelated, text read): each worker runs one photo at a
    # time, about 2 s of CPU for a 1600-px image; 0 runs no redaction here (another process's workers do it).
    redaction_workers: int = 1
    ws_heartbeat_seconds: float = 20.0
    ws_queue_limit: int = 256
    ws_max_per_user: int = 8  # concurrent websockets per user, per process; the next one is refused (4429)
    bench_endpoints: bool = False  # scripts/load.py's no-op upload baseline (backend/bench.py); never in production
    export_max_rows: int = 1_000_000  # the most rows one case export may hold; more is a 422 (export.too_many_rows)
    # Interop (backend/interop/): hosts an Open311 media_url may point at (comma-separated; empty: media_url refused),
    # each API client's default requests per minute, and outgoing webhooks.
    open311_media_hosts: str = ""
    open311_rate_per_minute: int = 60
    open311_rate_per_ip: int = 120  # any Open311 call per client address and minute (reading needs no key)
    webhook_allow_private: bool = False  # URLs resolving to loopback/private addresses (tests, an intranet receiver)
    webhook_timeout_seconds: float = 10.0
    webhook_poll_seconds: float = 2.0  # how often the feed reads the event log when nothing woke it
    # Notifications (backend/notify/): Web Push with VAPID (keys made once in data_dir), and optional SMS / WeChat.
    push_subject: str = "mailto:ops@suishoupai.invalid"  # VAPID "sub": how a push service can reach the operator
    push_allow_http: bool = False  # plain-http push endpoints (tests' local endpoint); real ones are https
    push_timeout_seconds: float = 10.0
    push_ttl_seconds: int = 86400  # how long a push service keeps a message for an offline device
    push_poll_seconds: float = 2.0
    sms_provider: str = ""  # "" (off) or "aliyun"
    sms_endpoint: str = "https://dysmsapi.aliyuncs.com/"
    sms_access_key_id: str = ""
    sms_access_key_secret: str = ""
    sms_sign_name: str = ""
    sms_template_code: str = ""  # a template with ${title} and ${body}
    wechat_appid: str = ""  # empty: WeChat subscription messages off
    wechat_secret: str = ""
    wechat_template_id: str = ""
    wechat_api: str = "https://api.weixin.qq.com"

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'suishoupai.sqlite').as_posix()}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite:")

    @property
    def sqlite_path(self) -> str:
        return self.resolved_database_url.removeprefix("sqlite:///")

    @property
    def resolved_store_path(self) -> Path:
        return Path(self.store_path) if self.store_path else self.data_dir / "objects"

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        known = {f.name.upper() for f in fields(cls)}
        unknown = sorted(k for k in env if k.startswith(PREFIX) and k[len(PREFIX) :] not in known)
        # Test-only variables are read by the test suite, not the app.
        unknown = [k for k in unknown if not k.startswith(PREFIX + "TEST_")]
        if unknown:
            raise SettingsError(f"unknown setting(s): {', '.join(unknown)}")
        values: dict[str, Any] = {}

        def get(name: str) -> str | None:
            return env.get(PREFIX + name)

        for f in fields(cls):
            raw = get(f.name.upper())
            if raw is None:
                continue
            name = f.name.upper()
            default = f.default
            if f.name == "work_hours":
                values[f.name] = parse_work_hours(raw)
            elif f.name == "stage_limit_minutes":
                values[f.name] = _parse_stage_limits(raw)
            elif f.name == "data_dir":
                values[f.name] = Path(raw)
            elif isinstance(default, bool):
                values[f.name] = _bool(name, raw)
            elif isinstance(default, int):
                values[f.name] = _int(name, raw, minimum=0)
            elif isinstance(default, float):
                values[f.name] = _float(name, raw, lo=0.0)
            else:
                values[f.name] = raw
        settings = cls(**values)
        settings.validate()
        return settings

    def validate(self) -> None:
        url = self.resolved_database_url
        scheme = urlparse(url).scheme
        if scheme not in {"sqlite", "postgres", "postgresql"}:
            raise SettingsError(f"{PREFIX}DATABASE_URL must start with sqlite:/// or postgresql://, got {url!r}")
        if self.store not in {"local", "s3"}:
            raise SettingsError(f"{PREFIX}STORE must be 'local' or 's3', got {self.store!r}")
        if self.store == "s3" and not (self.s3_access_key and self.s3_secret_key):
            raise SettingsError(f"{PREFIX}STORE=s3 needs {PREFIX}S3_ACCESS_KEY and {PREFIX}S3_SECRET_KEY")
        if self.redis_url and urlparse(self.redis_url).scheme not in {"redis", "rediss", "unix"}:
            raise SettingsError(f"{PREFIX}REDIS_URL must start with redis://, got {self.redis_url!r}")
        if self.tile_url and not is_tile_template(self.tile_url):
            raise SettingsError(f"{PREFIX}TILE_URL is not an XYZ tile template: it must look like "
                                f"https://host/{{z}}/{{x}}/{{y}}.png ({{s}} and {{r}} allowed), got {self.tile_url!r}")
        if self.basemap not in {"", "demo", "tianditu", "amap", "xyz"}:
            raise SettingsError(f"{PREFIX}BASEMAP must be demo, tianditu, amap or xyz, got {self.basemap!r}")
        if self.basemap == "xyz" and not self.tile_url:
            raise SettingsError(f"{PREFIX}BASEMAP=xyz needs {PREFIX}TILE_URL")
        if self.basemap == "tianditu" and not re.fullmatch(r"[0-9a-fA-F]{32}", self.tianditu_key):
            raise SettingsError(f"{PREFIX}BASEMAP=tianditu needs {PREFIX}TIANDITU_KEY (a 32-hex-digit browser key)")
        if not 0.0 <= self.auto_classify_threshold <= 1.0:
            raise SettingsError(f"{PREFIX}AUTO_CLASSIFY_THRESHOLD must be within [0, 1]")
        if self.log_level.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise SettingsError(f"{PREFIX}LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, got {self.log_level!r}")
        if self.audit_retention_days < 180:
            raise SettingsError(f"{PREFIX}AUDIT_RETENTION_DAYS must be at least 180 (等保 level 3: six months)")
        if self.max_sessions_per_user < 1 or self.login_max_failures < 1:
            raise SettingsError(f"{PREFIX}MAX_SESSIONS_PER_USER and LOGIN_MAX_FAILURES must be at least 1")
        if self.max_photos < 1 or self.max_upload_mb < 1 or self.workers < 1:
            raise SettingsError(f"{PREFIX}MAX_PHOTOS, MAX_UPLOAD_MB and WORKERS must be at least 1")
        if not 1 <= self.job_workers <= 16:
            raise SettingsError(f"{PREFIX}JOB_WORKERS must be within [1, 16]")
        if self.intake_max_backlog < 0:
            raise SettingsError(f"{PREFIX}INTAKE_MAX_BACKLOG must be at least 0 (0: no limit)")
        if not 0 <= self.redaction_workers <= 16:
            raise SettingsError(f"{PREFIX}REDACTION_WORKERS must be within [0, 16]")
        if self.sweep_interval_minutes < 1 or self.unattached_photo_hours < 1:
            raise SettingsError(f"{PREFIX}SWEEP_INTERVAL_MINUTES and UNATTACHED_PHOTO_HOURS must be at least 1")
        if self.sms_provider not in {"", "aliyun"}:
            raise SettingsError(f"{PREFIX}SMS_PROVIDER must be empty (off) or 'aliyun', got {self.sms_provider!r}")
        if self.sms_provider and not (self.sms_access_key_id and self.sms_access_key_secret and self.sms_sign_name
                                      and self.sms_template_code):
            raise SettingsError(f"{PREFIX}SMS_PROVIDER=aliyun needs SMS_ACCESS_KEY_ID, SMS_ACCESS_KEY_SECRET, "
                                "SMS_SIGN_NAME and SMS_TEMPLATE_CODE")
        if self.wechat_appid and not (self.wechat_secret and self.wechat_template_id):
            raise SettingsError(f"{PREFIX}WECHAT_APPID needs {PREFIX}WECHAT_SECRET and {PREFIX}WECHAT_TEMPLATE_ID")
        if not self.push_subject.startswith(("mailto:", "https://")):
            raise SettingsError(f"{PREFIX}PUSH_SUBJECT must be a mailto: or https: URL (RFC 8292)")


_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def is_tile_template(url: str) -> bool:
    """An http(s) URL with exactly one each of {z}, {x} and {y}, no other placeholders than {s} and {r}, no
    credentials, and nothing that could break out of a CSP source or an HTML attribute."""
    parts = urlparse(url)
    names = _PLACEHOLDER.findall(url)
    return (parts.scheme in {"http", "https"} and bool(parts.hostname) and "@" not in parts.netloc
            and not re.search(r"[\s'\"<>;,\\]", url)
            and all(names.count(n) == 1 for n in ("z", "x", "y")) and set(names) <= {"s", "r", "x", "y", "z"})


def _parse_stage_limits(raw: str) -> dict[str, int]:
    """Parse ``accept=15,dispatch=15,verify=30,check=30`` (minutes)."""
    limits = {"accept": 15, "dispatch": 15, "verify": 30, "check": 30}
    for part in raw.split(","):
        key, _, value = part.partition("=")
        key = key.strip()
        if key not in limits:
            raise SettingsError(f"{PREFIX}STAGE_LIMIT_MINUTES: unknown stage {key!r} (accept, dispatch, verify, check)")
        limits[key] = _int("STAGE_LIMIT_MINUTES", value.strip(), minimum=1)
    return limits
