"""Settings.from_env: read once from SUISHOUPAI_* variables, typed, and loud about anything it does not understand."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.settings import Settings, SettingsError


def test_defaults_without_variables_and_other_variables_ignored():
    s = Settings.from_env({"HOME": "/root", "PATH": "/bin"})
    assert s == Settings()
    assert s.max_photos == 4 and s.store == "local"
    assert s.resolved_database_url == f"sqlite:///{(Path('var') / 'suishoupai.sqlite').as_posix()}"


def test_values_are_typed():
    s = Settings.from_env({"SUISHOUPAI_MAX_PHOTOS": "2", "SUISHOUPAI_AUTO_CLASSIFY_THRESHOLD": "0.5",
                           "SUISHOUPAI_DATA_DIR": "/srv/ssp", "SUISHOUPAI_WORK_HOURS": "09:00-17:30",
                           "SUISHOUPAI_STAGE_LIMIT_MINUTES": "accept=20"})
    assert s.max_photos == 2 and s.auto_classify_threshold == 0.5
    assert s.data_dir == Path("/srv/ssp") and s.resolved_store_path == Path("/srv/ssp/objects")
    assert s.work_hours == ((9 * 60, 17 * 60 + 30),)
    assert s.stage_limit_minutes == {"accept": 20, "dispatch": 15, "verify": 30, "check": 30}


def test_an_unknown_variable_is_refused_by_name():
    with pytest.raises(SettingsError, match="SUISHOUPAI_MAX_PHOTO\\b"):
        Settings.from_env({"SUISHOUPAI_MAX_PHOTO": "3"})  # a typo must not silently keep the default
    # The test suite's own variables are not the app's business.
    assert Settings.from_env({"SUISHOUPAI_TEST_POSTGRES_URL": "postgresql://x"}) == Settings()


@pytest.mark.parametrize(("name", "raw", "says"), [
    ("MAX_PHOTOS", "four", "must be an integer"),
    ("MAX_PHOTOS", "0", "at least 1"),
    ("MAX_UPLOAD_MB", "-1", ">= 0"),
    ("AUTO_CLASSIFY_THRESHOLD", "1.5", "within \\[0, 1\\]"),
    ("STORE", "ftp", "'local' or 's3'"),
    ("STORE", "s3", "S3_ACCESS_KEY"),
    ("DATABASE_URL", "mysql://db/ssp", "sqlite:/// or postgresql://"),
    ("WORK_HOURS", "nine to five", "WORK_HOURS"),
    ("STAGE_LIMIT_MINUTES", "lunch=60", "unknown stage 'lunch'"),
    ("AUDIT_RETENTION_DAYS", "30", "at least 180"),
    ("LOG_LEVEL", "chatty", "LOG_LEVEL"),
    ("JOB_WORKERS", "0", "JOB_WORKERS must be within \\[1, 16\\]"),
])
def test_a_bad_value_is_refused_with_the_variable_named(name, raw, says):
    with pytest.raises(SettingsError, match=says):
        Settings.from_env({f"SUISHOUPAI_{name}": raw})
