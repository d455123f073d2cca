"""gunicorn settings for base_ops (deploy/gunicorn.conf.py): `gunicorn -c deploy/gunicorn.conf.py`.

Sync workers: each request is one short database transaction; reports aggregate in SQL, large
exports run as jobs. Values come from the environment so one file serves every server.
"""

import multiprocessing
import os

wsgi_app = "base_ops:create_app()"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))  # the longest direct download
graceful_timeout = 30
keepalive = 5
max_requests = 2000  # recycle workers now and then
max_requests_jitter = 200
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"  # to journald via stdout; nginx keeps its own access log
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
# No request bodies or query strings in the access log: they can carry names and ID numbers.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
