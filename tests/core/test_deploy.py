"""The production samples in deploy/ are checked: nginx -t (where nginx is installed), gunicorn's own
config check, the systemd units' commands, and the proxy settings the nginx sample relies on."""

from __future__ import annotations

import configparser
import runpy
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


@pytest.mark.skipif(shutil.which("nginx") is None or shutil.which("openssl") is None,
                    reason="nginx (or openssl) is not installed here")
def test_nginx_sample_passes_nginx_t(tmp_path):
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=t",
                    "-keyout", str(tmp_path / "privkey.pem"), "-out", str(tmp_path / "fullchain.pem")],
                   check=True, capture_output=True)
    site = (DEPLOY / "nginx" / "base_ops.conf").read_text()
    site = site.replace("/etc/ssl/base_ops/", f"{tmp_path}/").replace("/var/log/nginx/", f"{tmp_path}/")
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  access_log {tmp_path}/access.log;\n  include {tmp_path}/site.conf;\n}}\n")
    result = subprocess.run([shutil.which("nginx"), "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr


def test_nginx_sample_forwards_what_the_app_trusts():
    site = (DEPLOY / "nginx" / "base_ops.conf").read_text()
    # The client's own address, never a forwarded header it made up (the app trusts one hop).
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in site
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in site
    assert "PROXY_HOPS=1" in (DEPLOY / "base_ops.env.example").read_text()
    assert "alias /srv/base_ops/static/;" in site


def test_gunicorn_config_is_valid_and_logs_no_query_strings():
    settings = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    assert settings["wsgi_app"] == "base_ops:create_app()"
    assert settings["workers"] >= 1 and settings["worker_class"] == "sync"
    assert "%(q)s" not in settings["access_log_format"] and "%(r)s" not in settings["access_log_format"]
    gunicorn = Path(sys.executable).with_name("gunicorn")
    result = subprocess.run([str(gunicorn), "--check-config", "-c", str(DEPLOY / "gunicorn.conf.py")],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_systemd_units_run_commands_that_exist(app):
    commands = {name for name in app.cli.list_commands(None)}
    exports = app.cli.get_command(None, "exports")
    assert {"worker", "purge"} <= set(exports.list_commands(None))
    for unit in sorted((DEPLOY / "systemd").glob("*.service")):
        parser = configparser.ConfigParser(strict=False, interpolation=None)
        parser.read(unit)
        assert parser["Service"]["EnvironmentFile"] == "/etc/base_ops/base_ops.env", unit.name
        exec_start = parser["Service"]["ExecStart"].split()
        assert exec_start[0].startswith("/srv/base_ops/.venv/bin/"), unit.name
        if exec_start[0].endswith("/flask"):
            assert exec_start[1] in commands, unit.name
    assert (DEPLOY / "systemd" / "base-ops-purge.timer").exists()


def test_behind_one_proxy_the_client_address_is_the_forwarded_one(monkeypatch):
    from flask import request

    from base_ops import create_app
    from base_ops.config import TestConfig
    from base_ops.core import permissions

    def build(hops):
        app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI="sqlite://", PROXY_HOPS=hops)
        app.add_url_rule("/_client", "client_address", lambda: f"{request.remote_addr} {request.scheme}")
        return app

    monkeypatch.setitem(permissions.ENDPOINT_ACCESS, "client_address", permissions.PUBLIC)
    headers = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
    behind_nginx = build(1).test_client().get("/_client", headers=headers)
    assert behind_nginx.get_data(as_text=True) == "203.0.113.7 https"
    direct = build(0).test_client().get("/_client", headers=headers)
    assert direct.get_data(as_text=True) == "127.0.0.1 http"  # no proxy configured: headers ignored
