"""The production path, as an operator runs it: `make serve` with DEBUG off and real secrets,
behind Debian's nginx terminating TLS with a certificate made here, driven by Chromium over https.

The proxy reaches the app from another loopback address (127.0.0.2) than the browser's
(127.0.0.1), so the audit trail and django-axes can be seen to take the browser's, from
X-Forwarded-For, and not the proxy's.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from axes.models import AccessLog
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.conf import settings
from playwright.sync_api import expect

from connections.models import AuditEvent
from mappings.models import MappingVersion
from tests.factories import ConnectionFactory
from tests.live_services import database_url
from tests.two_factor import current_code

ROOT = Path(__file__).resolve().parents[2]
BROWSER_ADDRESS = "127.0.0.1"
PROXY_ADDRESS = "127.0.0.2"

NGINX_CONF = """
worker_processes 1;
pid {dir}/nginx.pid;
daemon off;
events {{ worker_connections 64; }}
http {{
    access_log {dir}/access.log;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    server {{
        listen {browser}:{https_port} ssl;
        ssl_certificate {dir}/cert.pem;
        ssl_certificate_key {dir}/key.pem;
        location / {{
            proxy_pass http://127.0.0.1:{app_port};
            proxy_bind {proxy};
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
    server {{
        listen {browser}:{http_port};
        location / {{
            proxy_pass http://127.0.0.1:{app_port};
            proxy_bind {proxy};
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
}}
"""


def free_port(address: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((address, 0))
        return probe.getsockname()[1]


def self_signed_certificate(folder: Path, host: str) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    (folder / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def wait_until_answering(url: str, process: subprocess.Popen, log: Path, **options) -> None:
    deadline = time.monotonic() + 120
    while True:
        assert process.poll() is None, f"{url}: the process stopped\n{log.read_text()[-4000:]}"
        try:
            httpx.get(url, timeout=2, **options)
            return
        except httpx.TransportError:
            assert time.monotonic() < deadline, f"{url}: no answer\n{log.read_text()[-4000:]}"
            time.sleep(0.3)


def stop(process: subprocess.Popen) -> None:
    """SIGTERM to the whole group (make, the server, its workers), as a supervisor would."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=40)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


@pytest.fixture
def production(transactional_db, tmp_path):
    """`make serve` with production settings behind nginx; yields the https base URL."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    assert Path(nginx).exists(), "nginx is missing: `make nginx` installs Debian's package"
    app_port, https_port, http_port = free_port(), free_port(), free_port()
    base_url = f"https://{BROWSER_ADDRESS}:{https_port}"
    environment = {
        "PATH": os.environ["PATH"],
        "DEBUG": "False",
        "PORT": str(app_port),
        "HOST": "127.0.0.1",
        "WEB_WORKERS": "1",
        "WEB_THREADS": "4",
        "ALLOWED_HOSTS": BROWSER_ADDRESS,
        "CSRF_TRUSTED_ORIGINS": base_url,
        "TRUST_PROXY_HEADERS": "true",
        "PATCHBAY_VAR_DIR": str(tmp_path / "var"),
        "STATIC_ROOT": str(tmp_path / "static"),
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "SECRET_KEY": settings.SECRET_KEY,
        "TOKEN_ENCRYPTION_KEYS": ",".join(settings.TOKEN_ENCRYPTION_KEYS),
        "TOKEN_FINGERPRINT_KEY": settings.TOKEN_FINGERPRINT_KEY,
        "UNIFIED_API_KEY": settings.UNIFIED_API_KEY,
        "UNIFIED_WEBHOOK_SECRETS": ",".join(settings.UNIFIED_WEBHOOK_SECRETS),
        "NOTIFICATION_WEBHOOK_SECRET": settings.NOTIFICATION_WEBHOOK_SECRET,
        "PYTHONUNBUFFERED": "1",
    }
    app_log = tmp_path / "serve.log"
    with app_log.open("w") as log:
        app = subprocess.Popen(
            ["make", "--no-print-directory", "serve"],
            cwd=ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    proxy_dir = tmp_path / "nginx"
    proxy_dir.mkdir()
    self_signed_certificate(proxy_dir, BROWSER_ADDRESS)
    (proxy_dir / "nginx.conf").write_text(
        NGINX_CONF.format(
            dir=proxy_dir,
            browser=BROWSER_ADDRESS,
            proxy=PROXY_ADDRESS,
            https_port=https_port,
            http_port=http_port,
            app_port=app_port,
        )
    )
    proxy_log = proxy_dir / "error.log"
    proxy = subprocess.Popen(
        [nginx, "-p", str(proxy_dir), "-c", str(proxy_dir / "nginx.conf"), "-e", str(proxy_log)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_until_answering(f"http://127.0.0.1:{app_port}/login/", app, app_log)
        certificate = ssl.create_default_context(cafile=proxy_dir / "cert.pem")
        wait_until_answering(f"{base_url}/login/", proxy, proxy_log, verify=certificate)
        yield base_url, f"http://{BROWSER_ADDRESS}:{http_port}", app_log, certificate
    finally:
        stop(proxy)
        stop(app)


def test_production_behind_a_tls_proxy_serves_a_strict_csp_and_knows_the_browsers_address(
    production, open_context, admin_user, customer_a
):
    base_url, plain_url, app_log, certificate = production
    connection = ConnectionFactory(customer=customer_a, system="sandbox", display_name="Acme ERP")
    page = open_context(ignore_https_errors=True).new_page()
    page.set_default_timeout(20_000)

    login = page.goto(f"{base_url}/login/")
    headers = login.headers
    assert headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
    policy = headers["content-security-policy"]
    strict = ["default-src 'self'", "script-src 'self'", "object-src 'none'", "base-uri 'none'"]
    for directive in [*strict, "frame-ancestors 'none'", "form-action 'self'"]:
        assert directive in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    request_id = headers["x-request-id"]

    stylesheet = page.locator("link[rel=stylesheet]").first.get_attribute("href")
    assert re.fullmatch(r"/static/css/patchbay\.[0-9a-f]{12}\.css", stylesheet), stylesheet
    static = httpx.get(f"{base_url}{stylesheet}", verify=certificate)
    assert static.status_code == 200 and ".topbar" in static.text
    assert "immutable" in static.headers["cache-control"]
    assert "max-age=315360000" in static.headers["cache-control"]

    page.get_by_label("Username").fill(admin_user.username)
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()
    # Production asks admins for a second factor: the new admin sets one up, then goes on.
    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    page.get_by_label("Code").fill(current_code(admin_user))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    page.get_by_role("link", name="I saved them, continue").click()
    expect(page.get_by_role("heading", name="All connections")).to_be_visible()
    page.get_by_role("link", name="Acme ERP").click()
    expect(page.get_by_role("heading", name="Acme ERP")).to_be_visible()
    page.get_by_role("link", name="Field mappings").click()
    page.get_by_role("link", name="Purchase order").first.click()
    expect(page.locator("#mapped-record")).to_contain_text('"vendor_id"')
    page.get_by_role("button", name="Save as version 1").click()
    expect(page.get_by_text("Saved version 1.")).to_be_visible()
    page.screenshot(path=str(Path(settings.VAR_DIR) / "production-editor.png"), full_page=True)

    version = MappingVersion.objects.get(connection=connection)
    saved = AuditEvent.objects.get(object_type="mappings.mappingversion", object_id=str(version.pk))
    assert saved.actor == admin_user
    assert saved.ip_address == BROWSER_ADDRESS, "the audit trail took the proxy's address"
    assert AccessLog.objects.get(username=admin_user.username).ip_address == BROWSER_ADDRESS

    redirect = httpx.get(f"{plain_url}/login/")
    assert redirect.status_code == 301
    assert redirect.headers["location"] == f"https://{plain_url.split('//')[1]}/login/"

    assert re.search(rf"\[{request_id}\] GET /login/ 200", app_log.read_text())
