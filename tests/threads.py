"""Work released at the same instant on several threads, each with its own database connection:
how the concurrency tests (PostgreSQL only) make two desks, two runs or two taps meet."""

import threading
from concurrent.futures import ThreadPoolExecutor

from django.db import connection


def race(count: int, work, *, workers: int | None = None) -> list:
    """Run work(i) for i in range(count) on `workers` threads (`count` unless said), the first
    `workers` released together by a barrier; each thread closes its database connection when
    done. Returns the results in order."""
    workers = workers or count
    barrier = threading.Barrier(min(count, workers))

    def run(i):
        try:
            if i < workers:
                barrier.wait(timeout=30)
            return work(i)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(run, range(count)))
