"""The rounds' settings are read from the environment at start-up, and a bad value stops the
portal saying which setting is wrong (as ZERO_REPORT_DEADLINE does)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest


def _check_with(**values):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(values)
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.SAFETY_HAZARD_DEADLINE_DAYS, settings.SAFETY_ROOM_CHECK_DAYS)",
        ],
        cwd=Path(__file__).resolve().parents[2],
        env={**env, "DJANGO_SETTINGS_MODULE": "logistics.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "name, value",
    [
        ("SAFETY_HAZARD_DEADLINE_DAYS", "fire=2"),
        ("SAFETY_HAZARD_DEADLINE_DAYS", "smoking=two"),
        ("SAFETY_HAZARD_DEADLINE_DAYS", "smoking"),
        ("SAFETY_ROOM_CHECK_DAYS", "0"),
        ("SAFETY_HAZARD_ESCALATE_DAYS", "-1"),
    ],
)
def test_a_bad_value_refuses_to_start(name, value):
    result = _check_with(**{name: value})
    assert result.returncode != 0
    assert name in result.stderr


def test_some_deadlines_may_be_changed_and_the_others_keep_their_default():
    result = _check_with(
        SAFETY_HAZARD_DEADLINE_DAYS="smoking=5, other=14", SAFETY_ROOM_CHECK_DAYS="3"
    )
    assert result.returncode == 0, result.stderr
    assert "'smoking': 5" in result.stdout and "'other': 14" in result.stdout
    assert "'banned_appliance': 1" in result.stdout
    assert result.stdout.strip().endswith(" 3")
