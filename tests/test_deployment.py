"""The production set-up of docs/deploy.md for real: gunicorn with gunicorn.conf.py, several
workers, rate limits shared through a Redis server that the tests start themselves."""

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis

from tests.conftest import free_port, once

pytestmark = once

ROOT = Path(__file__).resolve().parent.parent
SECRET = "a-production-secret-for-the-deployment-test"
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


@pytest.fixture
def redis_url():
    """A throwaway redis-server on 127.0.0.1 (Debian's package; `make test` installs it),
    keeping nothing on disk, stopped after the test."""
    port = free_port()
    server = subprocess.Popen(
        [
            REDIS_SERVER,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
        ],
        stdout=subprocess.DEVNULL,
    )
    client = redis.Redis(host="127.0.0.1", port=port)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        client.close()
        server.terminate()
        server.wait(timeout=10)


class Gunicorn:
    """gunicorn started as docs/deploy.md says: `gunicorn -c gunicorn.conf.py wsgi:app` with
    CONVOCA_ENV=production and the settings from the environment."""

    def __init__(self, app, tmp_path, **settings):
        self.bind = f"127.0.0.1:{free_port()}"
        # Only what this test sets: nothing of the caller's own limits or gunicorn settings.
        inherited = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("RATELIMIT_", "GUNICORN_", "CACHE_"))
        }
        self.env = inherited | {
            "CONVOCA_ENV": "production",
            "SECRET_KEY": SECRET,
            "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "PUBLIC_URL": "http://127.0.0.1",
            "MAIL_SINK_DIR": str(tmp_path / "mail"),
            "GUNICORN_BIND": self.bind,
            # The access log names the worker (pid) that served each request.
            "GUNICORN_CMD_ARGS": "--access-logformat 'served-by=%(p)s %(m)s %(U)s %(s)s'",
            **settings,
        }
        self.process = None
        self.output = ""

    def __enter__(self):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"gunicorn exited: {self.process.communicate()[0]}")
            try:
                with urllib.request.urlopen(self.url("/healthz"), timeout=5):
                    return self
            except urllib.error.HTTPError:
                return self  # it answers; a degraded health report is not our concern here
            except OSError:
                time.sleep(0.1)
        raise AssertionError("gunicorn did not start")

    def __exit__(self, *exc):
        self.process.send_signal(signal.SIGINT)  # quick shutdown
        self.output, _ = self.process.communicate(timeout=30)

    def url(self, path: str) -> str:
        return f"http://{self.bind}{path}"


def _sign_in_form(server: Gunicorn) -> tuple[str, str]:
    """The session cookie and CSRF token of a fresh sign-in page. Production cookies are
    Secure, so they are carried by hand over this plain-HTTP test connection."""
    with urllib.request.urlopen(server.url("/organizer/login"), timeout=10) as response:
        cookie = response.headers["Set-Cookie"].split(";", 1)[0]
        page = response.read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    token = token or re.search(r'value="([^"]+)"[^>]*name="csrf_token"', page)
    return cookie, token.group(1)


def _attempt_sign_in(server: Gunicorn, cookie: str, token: str, n: int) -> int:
    data = urllib.parse.urlencode(
        {"csrf_token": token, "email": f"nobody{n}@example.com", "password": "wrong password"}
    ).encode()
    request = urllib.request.Request(
        server.url("/organizer/login"),
        data=data,
        headers={"Cookie": cookie, "Referer": server.url("/organizer/login")},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _served_by(output: str, method: str, path: str) -> set[str]:
    return set(re.findall(rf"served-by=<?(\d+)>? {method} {re.escape(path)} ", output))


def test_sign_in_limit_is_shared_by_every_worker_through_redis(app, tmp_path, redis_url):
    """10 sign-in attempts per minute from one address, however many workers serve them: with
    memory:// each of the 3 workers would let 10 through."""
    attempts = 16
    with Gunicorn(
        app,
        tmp_path,
        GUNICORN_WORKERS="3",
        RATELIMIT_STORAGE_URI=redis_url,
        RATELIMIT_SIGN_IN="10 per minute",
    ) as server:
        cookie, token = _sign_in_form(server)
        # Side by side, so that every worker takes some of them.
        with ThreadPoolExecutor(max_workers=6) as pool:
            statuses = list(
                pool.map(lambda n: _attempt_sign_in(server, cookie, token, n), range(attempts))
            )
    assert statuses.count(429) == attempts - 10, (statuses, server.output)
    assert all(status in (401, 429) for status in statuses), statuses
    assert len(_served_by(server.output, "POST", "/organizer/login")) >= 2, server.output
    assert "Rate limits are kept in memory" not in server.output
    assert "Traceback" not in server.output
    counts = redis.Redis.from_url(redis_url)
    assert any(b"organizer" in key or b"login" in key for key in counts.keys("*"))


def test_memory_rate_limits_under_several_workers_are_warned_about_at_start_up(app, tmp_path):
    with Gunicorn(app, tmp_path, GUNICORN_WORKERS="2") as server:
        pass
    [warning] = [line for line in server.output.splitlines() if "Rate limits are kept" in line]
    assert "[WARNING]" in warning
    assert "memory://" in warning and "2 workers" in warning and "redis://" in warning


def test_one_worker_with_memory_rate_limits_starts_without_a_warning(app, tmp_path):
    with Gunicorn(app, tmp_path, GUNICORN_WORKERS="1") as server:
        pass
    assert "Booting worker" in server.output
    assert "Rate limits are kept" not in server.output
