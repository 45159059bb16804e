"""X-Forwarded-For is believed from TRUSTED_PROXIES only; from any other peer the socket's address
is the client's. One rule (core/client_ip.py) for /metrics, the rate limits and the login throttle.

The test client's REMOTE_ADDR is the peer: the proxy at 10.0.0.1, or a stranger at 203.0.113.9
who reaches the app's port directly and writes whatever header he likes.
"""

from __future__ import annotations

import ipaddress
import os

import pytest
from django.test import Client, RequestFactory

from core.client_ip import client_address
from core.rate_limits import budget_holder
from tests.commands import ROOT, manage

PROXY, STRANGER, VICTIM = "10.0.0.1", "203.0.113.9", "198.51.100.7"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def behind_a_proxy(settings):
    settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/29"), ipaddress.ip_network("::1/128")]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    return settings


def address(peer: str, forwarded: str | None = None) -> str:
    headers = {} if forwarded is None else {"HTTP_X_FORWARDED_FOR": forwarded}
    return client_address(RequestFactory().get("/", REMOTE_ADDR=peer, **headers))


def test_from_a_stranger_x_forwarded_for_127_0_0_1_does_not_open_metrics():
    response = Client().get("/metrics", REMOTE_ADDR=STRANGER, HTTP_X_FORWARDED_FOR="127.0.0.1")

    assert response.status_code == 403


def test_from_the_proxy_the_address_it_forwards_decides_who_may_scrape(settings):
    settings.METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network("192.0.2.0/24")]

    inside = Client().get("/metrics", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="192.0.2.10")
    outside = Client().get("/metrics", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=STRANGER)

    assert (inside.status_code, outside.status_code) == (200, 403)


def test_the_client_is_the_first_address_from_the_right_that_is_no_trusted_proxy():
    assert address(STRANGER, "127.0.0.1") == STRANGER
    assert address(PROXY) == PROXY
    assert address(PROXY, VICTIM) == VICTIM
    assert address(PROXY, f"127.0.0.1, {VICTIM}") == VICTIM, "what the client wrote to the left proves nothing"
    assert address(PROXY, f"{VICTIM}, 10.0.0.2") == VICTIM, "through two proxies"
    assert address(PROXY, "10.0.0.3, 10.0.0.2") == "10.0.0.3", "only proxies: the farthest one"
    assert address(PROXY, f"{VICTIM}, not-an-address") == PROXY, "garbage: only the proxy is vouched for"
    assert address(PROXY, "[2001:db8::7]:443") == "2001:db8::7"
    assert address(PROXY, f"{VICTIM}:51234") == VICTIM
    assert address("::ffff:10.0.0.1", VICTIM) == VICTIM, "a dual-stack socket's spelling of the proxy"


def test_nobody_is_a_proxy_unless_listed(settings):
    settings.TRUSTED_PROXIES = []

    assert address("127.0.0.1", VICTIM) == "127.0.0.1"


def test_a_new_header_per_request_from_a_stranger_buys_no_new_budget(api):
    codes = [
        api["anonymous"]
        .post("/api/v1/verify/", {"qr": "x"}, format="json", REMOTE_ADDR=STRANGER, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
        .status_code
        for n in range(61)
    ]

    assert codes[:60] == [400] * 60 and codes[60] == 429


def test_through_the_proxy_each_client_has_its_own_budget(api):
    def verify(client: str) -> int:
        forwarded = f"127.0.0.1, {client}"  # a forged entry, then what the proxy saw
        return (
            api["anonymous"]
            .post("/api/v1/verify/", {"qr": "x"}, format="json", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)
            .status_code
        )

    spent = [verify(VICTIM) for _ in range(60)]

    assert set(spent) == {400} and verify(VICTIM) == 429 and verify("198.51.100.8") == 400


def log_in(client: Client, username: str, password: str, peer: str, forwarded: str | None = None):
    headers = {"REMOTE_ADDR": peer} | ({"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {})
    return client.post("/login/", {"username": username, "password": password}, **headers)


def test_rotating_the_header_escapes_no_login_lockout(django_user_model):
    django_user_model.objects.create_user("victim", password="the-right-password-1")
    client = Client()
    for n in range(12):
        log_in(client, "victim", f"guess-{n}", STRANGER, forwarded=f"192.0.2.{n}")

    response = log_in(client, "victim", "the-right-password-1", STRANGER, forwarded="192.0.2.200")

    assert response.status_code == 429 and "_auth_user_id" not in client.session


def test_a_victims_address_in_the_header_does_not_lock_the_victim_out(django_user_model):
    django_user_model.objects.create_user("victim", password="the-right-password-1")
    for n in range(12):
        log_in(Client(), "victim", f"guess-{n}", STRANGER, forwarded=VICTIM)

    directly, through_the_proxy = Client(), Client()
    first = log_in(directly, "victim", "the-right-password-1", VICTIM)
    second = log_in(through_the_proxy, "victim", "the-right-password-1", PROXY, forwarded=VICTIM)

    assert first.status_code == second.status_code == 302
    assert "_auth_user_id" in directly.session and "_auth_user_id" in through_the_proxy.session


def test_a_stranger_cannot_say_the_request_came_over_https(settings):
    settings.SECURE_SSL_REDIRECT = True

    stranger = Client().get("/login/", REMOTE_ADDR=STRANGER, HTTP_X_FORWARDED_PROTO="https")
    proxied = Client().get("/login/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_PROTO="https")

    assert stranger.status_code == 301 and stranger["Location"].startswith("https://")
    assert proxied.status_code == 200


def test_ipv6_clients_share_a_budget_per_64_network():
    assert budget_holder("2001:db8:1:2:aaaa::1") == budget_holder("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert budget_holder("2001:db8:1:3::1") != budget_holder("2001:db8:1:2::1")
    assert budget_holder("::ffff:192.0.2.1") == "192.0.2.1"


def test_num_proxies_above_zero_stops_start_up_naming_its_replacement():
    env = {**os.environ, "NUM_PROXIES": "1"}

    result = manage("check", env=env)

    assert result.returncode == 2
    assert "NUM_PROXIES is no longer read: list the reverse proxies' addresses in TRUSTED_PROXIES" in result.stderr


def test_gunicorn_believes_x_forwarded_proto_from_the_same_proxies(monkeypatch):
    monkeypatch.setenv("TRUSTED_PROXIES", "127.0.0.1, ::1, 10.0.0.0/29")
    monkeypatch.delenv("GUNICORN_FORWARDED_ALLOW_IPS", raising=False)
    gunicorn: dict = {}

    exec((ROOT / "deploy" / "gunicorn.conf.py").read_text(), gunicorn)  # noqa: S102 - our own settings file

    assert gunicorn["forwarded_allow_ips"] == "127.0.0.1,::1", "gunicorn takes single addresses; the app the rest"
