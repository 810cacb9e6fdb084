"""Security defaults: production settings pass `check --deploy`, refuse to start without a
secret, and every page carries the protective headers."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args, env_overrides):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "portal.example.edu.cn",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def test_check_deploy_is_clean_with_production_settings():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env_overrides=PRODUCTION,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_when_production_has_no_redis():
    env = {**PRODUCTION, "REDIS_URL": ""}
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env_overrides=env)
    assert result.returncode != 0
    assert "logistics.W001" in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "false", "ALLOWED_HOSTS": "x.edu.cn"}, "SECRET_KEY"),
        ({"DEBUG": "false", "SECRET_KEY": "s" * 60}, "ALLOWED_HOSTS"),
        ({"DEBUG": "maybe"}, "DEBUG"),
    ],
)
def test_production_refuses_to_start_without_its_settings(env, message):
    result = _manage("check", env_overrides={"SECRET_KEY": "", "ALLOWED_HOSTS": "", **env})
    assert result.returncode != 0
    assert message in result.stderr


@pytest.mark.django_db
def test_pages_carry_csp_and_protective_headers(client):
    response = client.get(reverse("login"))
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_templates_load_nothing_from_elsewhere():
    """No CDN: every script, stylesheet, font and image comes from the portal itself."""
    offenders = []
    for template in (ROOT / "templates").rglob("*.html"):
        for url in re.findall(r'(?:src|href)="([^"{]+)"', template.read_text()):
            if url.startswith(("http://", "https://", "//")):
                offenders.append(f"{template.relative_to(ROOT)}: {url}")
    assert offenders == []


def test_templates_have_no_inline_script():
    """The CSP forbids inline script; one in a template would silently not run."""
    offenders = [
        str(t.relative_to(ROOT))
        for t in (ROOT / "templates").rglob("*.html")
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", t.read_text())
        or re.search(r"\son[a-z]+=\"", t.read_text())
    ]
    assert offenders == []
