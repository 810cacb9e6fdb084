"""Settings for the connection-reuse bench (bench/conn_reuse/run.sh): the portal's own settings,
with a URLconf holding only the bench view.

run.sh sets DEBUG=false, a throwaway SECRET_KEY, ALLOWED_HOSTS=127.0.0.1, DATABASE_URL and
CONN_MAX_AGE in the environment, so everything else is exactly what production runs (middleware,
connection health checks, logging). Only what plain HTTP on loopback needs is changed here.
"""

import warnings

from logistics.settings import *  # noqa: F403

ROOT_URLCONF = "bench.conn_reuse.urls"

# The bench talks plain HTTP to 127.0.0.1: no redirect to https, no HSTS header.
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
SECURE_PROXY_SSL_HEADER = None

# No collectstatic for a bench that serves no static file: keep WhiteNoise quiet about it.
warnings.filterwarnings("ignore", message="No directory at: ", category=UserWarning)
