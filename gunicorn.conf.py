"""Gunicorn settings for production (`make serve`). Every value can be overridden from the
environment, e.g. GUNICORN_WORKERS=8."""

import multiprocessing
import os

from gunicorn.glogging import Logger

from app.deployment import rate_limit_storage_warning
from app.logmasking import mask_tokens, mask_tokens_in
from config import config_from_env


class TokenMaskingLogger(Logger):
    """Gunicorn's logger with personal-link tokens masked (app/logmasking.py), whatever
    `access_log_format` says: every text atom of an access line (request line, path, query,
    referer, headers, environ) is masked, and so is every error-log message."""

    def atoms(self, resp, req, environ, request_time):
        return {
            key: mask_tokens(value) if isinstance(value, str) else value
            for key, value in super().atoms(resp, req, environ, request_time).items()
        }

    def setup(self, cfg):
        super().setup(cfg)
        mask_tokens_in(self.error_log)  # setup() runs again on every reload (HUP)


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# The web tier keeps no state between requests, so workers scale with the cores.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 1))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then so a slow leak can never take a server down.
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
logger_class = TokenMaskingLogger
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def when_ready(server):
    """Once the master is listening: warn when rate limits would not be shared by the workers."""
    warning = rate_limit_storage_warning(config_from_env(), server.cfg.workers)
    if warning:
        server.log.warning(warning)
