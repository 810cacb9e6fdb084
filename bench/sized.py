"""What the nightly-job benches (preventive, safety_nightly, surveys) share: each size is
measured in a PostgreSQL database of its own, dropped and made anew, migrated, then seeded and
measured by a child process of the same script (`SCRIPT --child SCALE`), which prints its
figures as the last line of JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent


class SizedBench:
    def __init__(self, script: str, database_url: str, redis_url: str):
        self.script, self.database_url, self.redis_url = script, database_url, redis_url

    def env(self) -> dict:
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "logistics.settings",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "LOG_LEVEL": "ERROR",  # not a line per alert raised or job filed
        }

    def recreate_database(self) -> None:
        """Drop and create the bench's database (only one named logistics_bench…) and empty
        its Redis database."""
        import psycopg
        import redis

        url = urlparse(self.database_url)
        name = url.path.lstrip("/")
        if not name.startswith("logistics_bench"):
            raise SystemExit(
                f"refusing to drop {name!r}: the bench database's name must start with "
                "logistics_bench"
            )
        admin = url._replace(path="/postgres").geturl()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        redis.Redis.from_url(self.redis_url).flushdb()

    def run_size(self, scale: float) -> dict:
        self.recreate_database()
        python = sys.executable
        subprocess.run(
            [python, "manage.py", "migrate", "--no-input", "-v0"],
            cwd=ROOT,
            env=self.env(),
            check=True,
        )
        done = subprocess.run(
            [python, self.script, "--child", str(scale)],
            cwd=ROOT,
            env=self.env(),
            check=True,
            text=True,
            stdout=subprocess.PIPE,
        )
        return json.loads(done.stdout.strip().splitlines()[-1])
