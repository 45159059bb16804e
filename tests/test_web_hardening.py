"""The web app as an attacker meets it: rate limits that hold, login throttling, no secret in any
error, secure headers, and production settings that pass Django's deployment check."""

from __future__ import annotations

import os
import stat

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.test import Client, RequestFactory

from core.environment import private_sqlite_file, secret_key
from core.error_reports import SecretMaskingFilter
from tests.commands import manage

STRONG_KEY = "kT4-vQ9_xR2mZ7pL0sW8nB5cY3hJ6dF1gA-eU_iO" * 2

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def spoofing(n: int) -> dict:
    return {"HTTP_X_FORWARDED_FOR": f"203.0.113.{n % 250}, 198.51.100.{n % 250}"}


def test_a_new_forwarded_for_header_per_request_buys_no_new_budget(api):
    codes = [
        api["anonymous"].post("/api/v1/verify/", {"qr": "x"}, format="json", **spoofing(n)).status_code
        for n in range(61)
    ]

    assert codes[:60] == [400] * 60 and codes[60] == 429


def test_the_verify_page_and_the_api_share_one_budget(api):
    client = Client()
    for _ in range(40):
        api["anonymous"].post("/api/v1/verify/", {"qr": "x"}, format="json")
    pages = [client.post("/verify/", {"text": "x"}).status_code for _ in range(21)]

    assert pages[:20] == [200] * 20 and pages[20] == 429
    assert "Too many verifications" in client.post("/verify/", {"text": "x"}).content.decode()


def log_in_after_wrong_passwords(django_user_model, username: str, wrong: int) -> tuple[Client, object]:
    """`wrong` bad passwords for `username`, then the right one: the client and the last answer."""
    django_user_model.objects.create_user(username, password="the-right-password-1")
    client = Client()
    for n in range(wrong):
        client.post("/login/", {"username": username, "password": f"guess-{n}"})
    return client, client.post("/login/", {"username": username, "password": "the-right-password-1"})


def test_password_guessing_is_locked_out_even_with_the_right_password_after(django_user_model):
    client, response = log_in_after_wrong_passwords(django_user_model, "victim", wrong=30)

    assert response.status_code == 429
    assert "Too many wrong passwords" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_user_who_mistypes_a_few_times_still_logs_in(django_user_model):
    client, response = log_in_after_wrong_passwords(django_user_model, "clumsy", wrong=3)

    assert response.status_code == 302 and "_auth_user_id" in client.session


def test_pages_carry_a_content_security_policy_without_inline_scripts(client):
    response = client.get("/verify/")

    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in policy
    assert "<script>" not in response.content.decode()


def test_error_reports_mask_passwords_inside_uris(settings):
    settings.MONGODB_URI = "mongodb://agri:s3cr3t-pa55@db1,db2/agriqcert?replicaSet=rs0"
    settings.EMAIL_URL = "smtp://mailer:m41l-pa55@smtp.example.org:587"
    request = RequestFactory().get("/", HTTP_REFERER="postgres://u:dbpa55word@pg/agri")
    reporter = SecretMaskingFilter()

    shown = str(reporter.get_safe_settings()) + str(reporter.get_safe_request_meta(request))

    assert "s3cr3t-pa55" not in shown and "m41l-pa55" not in shown and "dbpa55word" not in shown
    assert "smtp://mailer:********************@smtp.example.org:587" in shown


def test_debug_is_off_unless_asked_for():
    env = {k: v for k, v in os.environ.items() if k != "DEBUG"}
    script = "from django.conf import settings; print(settings.DEBUG)"

    result = manage("shell", "-c", script, env=env)

    assert result.stdout.strip().splitlines()[-1] == "False", result.stderr


def test_production_settings_pass_the_deployment_check(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("INJI_", "MONGODB_"))},
        "DEBUG": "false",
        "SECRET_KEY": STRONG_KEY,
        "SITE_URL": "https://certs.example.org",
        "ALLOWED_HOSTS": "certs.example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }

    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_embedded_modes_own_secret_key_is_random_private_and_kept(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    key_file = tmp_path / "var" / "secret-key"

    first = secret_key("SECRET_KEY", debug=False, embedded=True, key_file=key_file)
    second = secret_key("SECRET_KEY", debug=False, embedded=True, key_file=key_file)

    assert first == second and len(first) >= 50
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_the_sqlite_file_is_readable_by_its_owner_only(tmp_path):
    path = tmp_path / "db.sqlite3"
    path.write_text("")
    path.chmod(0o644)

    private_sqlite_file({"ENGINE": "django.db.backends.sqlite3", "NAME": str(path)})

    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_demo_accounts_with_the_published_password_exist_only_in_the_embedded_mode(settings):
    settings.EMBEDDED_MODE = False

    with pytest.raises(CommandError, match="only in the embedded mode"):
        call_command("serve", "--demo")
