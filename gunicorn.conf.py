"""gunicorn settings for production: ``gunicorn -c gunicorn.conf.py wsgi:app``.

Every value can be overridden with an environment variable of the same
meaning (MAKERLAB_BIND, MAKERLAB_WORKERS, MAKERLAB_THREADS). Run exactly one
scheduler process beside it (``flask --app wsgi scheduler run``): workers
never run jobs.
"""

import multiprocessing
import os

bind = os.environ.get("MAKERLAB_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("MAKERLAB_WORKERS", min(2 * multiprocessing.cpu_count() + 1, 9)))
# Synchronous workers, one request at a time each, behind a buffering reverse
# proxy (nginx, see README): a worker takes the next connection from the
# listening socket only when it is free, so the kernel's accept queue is one
# queue for all workers and the first free worker serves the oldest request.
# Threaded workers (gthread) keep every request they accepted to themselves
# and make them share one interpreter lock: under load (bench/load.py) they
# served 20 % fewer requests with twice the 95th-percentile latency.
# MAKERLAB_THREADS above 1 switches to gthread, for a server without a
# buffering proxy in front (slow clients would otherwise hold a sync worker).
threads = int(os.environ.get("MAKERLAB_THREADS", 1))
worker_class = "sync"
timeout = 60
graceful_timeout = 20
keepalive = 5  # gthread only; sync workers close each connection, as nginx expects
# Recycle a worker now and then as a guard against slow memory growth; not
# too often, since each restart empties that worker's read cache.
max_requests = 20000
max_requests_jitter = 2000
# As long as nginx's default buffers allow (8 KiB); past it gunicorn answers a
# plain HTML 400 of its own, which API clients do not expect.
limit_request_line = 8190
accesslog = "-"
errorlog = "-"
# Client addresses come from the reverse proxy (X-Forwarded-For, ProxyFix).
forwarded_allow_ips = os.environ.get("MAKERLAB_FORWARDED_ALLOW_IPS", "127.0.0.1")
# The path without its query string: searches (?q=) may contain children's names.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms pid=%(p)s'
