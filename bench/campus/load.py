"""Load generators for the campus bench: wrk when it is installed, else a bounded Python one.

A scenario is a `Load`: a method, a path, fixed headers and body, and optionally values that
rotate from request to request (a session cookie per filing student, a student id per check-in),
substituted for `{value}` in the headers and the body. Both generators keep each connection
open (keep-alive), run for a fixed duration and return a `Result`. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

HOST = "127.0.0.1"


@dataclass
class Load:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    # Rotated into {value}; a value "a|b" fills {value} with a and {value2} with b.
    values: list[str] = field(default_factory=list)
    connections: int = 8
    # Seconds each connection waits after an answer before its next request (a desk's
    # pace); 0: as fast as the server answers. Paced loads use the Python generator.
    pace: float = 0.0


@dataclass
class Result:
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    errors: int  # non-2xx/3xx answers, timeouts, broken connections

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def fill(text: str, value: str) -> str:
    first, _, second = value.partition("|")
    return text.replace("{value2}", second).replace("{value}", first)


def have_wrk() -> bool:
    return shutil.which("wrk") is not None and os.environ.get("BENCH_LOADGEN") != "python"


def run(load: Load, port: int, seconds: float) -> Result:
    if have_wrk() and not load.pace:
        return _run_wrk(load, port, seconds)
    return _run_python(load, port, seconds)


# --- wrk -------------------------------------------------------------------------------------

LUA = """
local method = %(method)s
local path = %(path)s
local headers = %(headers)s
local body = %(body)s
local values = %(values)s
local nthreads = %(threads)d
local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

local function fill(text, value)
  if value == nil then return text end
  local first, second = string.match(value, "^([^|]*)|?(.*)$")
  text = string.gsub(text, "{value2}", second)
  return (string.gsub(text, "{value}", first))
end

function request()
  local value = nil
  if #values > 0 then
    -- Each thread walks its own stride of the values: no value is sent twice while they last.
    value = values[((counter * nthreads + tid) %% #values) + 1]
    counter = counter + 1
  end
  local h = {}
  for k, v in pairs(headers) do h[k] = fill(v, value) end
  local b = nil
  if body ~= "" then b = fill(body, value) end
  return wrk.format(method, path, h, b)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %%d, "us": %%d, "p50": %%d, "p95": %%d, "errors": %%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    e.status + e.connect + e.read + e.write + e.timeout))
end
"""


def _lua_str(text: str) -> str:
    return "[==[" + text + "]==]"


def _lua_table(items) -> str:
    if isinstance(items, dict):
        return "{" + ", ".join(f"[ {_lua_str(k)} ] = {_lua_str(v)}" for k, v in items.items()) + "}"
    return "{" + ", ".join(_lua_str(v) for v in items) + "}"


def _run_wrk(load: Load, port: int, seconds: float) -> Result:
    threads = 2
    script = LUA % {
        "method": _lua_str(load.method),
        "path": _lua_str(load.path),
        "headers": _lua_table({"Host": HOST, **load.headers}),
        "body": _lua_str(load.body),
        "values": _lua_table(load.values),
        "threads": threads,
    }
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
        lua = f.name
    try:
        out = subprocess.run(
            [
                "wrk",
                f"-t{threads}",
                f"-c{load.connections}",
                f"-d{max(1, round(seconds))}s",
                "--timeout",
                "30s",
                "-s",
                lua,
                f"http://{HOST}:{port}{load.path}",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        Path(lua).unlink()
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    data = json.loads(line[len("RESULT ") :])
    return Result(
        requests=data["requests"],
        seconds=data["us"] / 1e6,
        p50_ms=data["p50"] / 1000,
        p95_ms=data["p95"] / 1000,
        errors=data["errors"],
    )


# --- Python, where wrk is missing --------------------------------------------------------------


def _run_python(load: Load, port: int, seconds: float) -> Result:
    """Threads with one keep-alive http.client connection each, for `seconds`; each thread
    walks its own stride of the rotating values, as the wrk script does."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker(tid: int):
        nonlocal errors
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        mine, bad, n = [], 0, 0
        while time.perf_counter() < deadline:
            value = None
            if load.values:
                value = load.values[(n * load.connections + tid) % len(load.values)]
                n += 1
            headers = {"Host": HOST, **load.headers}
            body = load.body
            if value is not None:
                headers = {k: fill(v, value) for k, v in headers.items()}
                body = fill(body, value)
            start = time.perf_counter()
            try:
                conn.request(load.method, load.path, body=body.encode() or None, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status >= 400:
                    bad += 1
            except (OSError, http.client.HTTPException):
                bad += 1
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=30)
            mine.append(time.perf_counter() - start)
            if load.pace:
                time.sleep(load.pace)
        conn.close()
        with lock:
            latencies.extend(mine)
            errors += bad

    started = time.perf_counter()
    workers = [threading.Thread(target=worker, args=(t,)) for t in range(load.connections)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - started
    latencies.sort()

    def pct(p):
        return (
            1000 * latencies[min(len(latencies) - 1, int(p * len(latencies)))] if latencies else 0
        )

    return Result(len(latencies), elapsed, pct(0.50), pct(0.95), errors)
