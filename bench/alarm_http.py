"""Benchmark: alarms over HTTP — ossbss against a bare endpoint and a real Alertmanager, in
one run (issue 6 "Speed": ≥ 2,000 single POSTs/s with p99 within 2x of a bare endpoint's,
≥ 20,000 alarms/s in batches and ≥ 2x Alertmanager on the same workload).

    .venv/bin/python bench/alarm_http.py [--seconds 5] [--connections 20] [--batch 50]

Starts (i) bench/alarm_bare.py (uvicorn, parses the JSON, answers 200: the reference),
(ii) `ossbss serve` on a fresh SQLite database (the real alarm pipeline: answers once the
batch is committed), (iii) a real prometheus-alertmanager (tmp storage, no gossip), and drives
each with wrk and the same Lua-generated bodies:
  (a) single alarms: ours at TMF642 POST /tmf-api/alarmManagement/v4/alarm, the bare endpoint
      with the same body: req/s and p99, and the p99 ratio ours/bare;
  (b) batches of --batch alerts: ours at /assurance/v1/alertmanager/api/v2/alerts, Alertmanager
      at /api/v2/alerts (the body Prometheus posts): alarms/s each and the ratio.
This machine is shared and noisy: compare the ratios, measured in the same run.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
KEY = "ossbss_bench-alarm-key-0123456789"
TMF642 = "/tmf-api/alarmManagement/v4/alarm"
OURS_V2 = "/assurance/v1/alertmanager/api/v2/alerts"
AM_V2 = "/api/v2/alerts"
POOL = 20_000  # distinct alarms the workloads draw from: new ones and repeats, as in a storm


@dataclass
class Run:
    requests_per_second: float
    p99_ms: float
    errors: int


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=5, help="per scenario (issue size: 60)")
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--batch", type=int, default=50, help="alerts per batch POST (50-100)")
    parser.add_argument(
        "--pool", type=int, default=POOL, help="distinct alarms drawn from (repeats count up)"
    )
    args = parser.parse_args()
    from ossbss.lab import alertmanager as lab_alertmanager
    from ossbss.lab.peers import free_port

    with tempfile.TemporaryDirectory(prefix="alarm-http-") as scratch:
        work = Path(scratch)
        env = {**os.environ, "OSSBSS_ADMIN_API_KEY": KEY, "OSSBSS_LOG_LEVEL": "WARNING"}
        bare_port = free_port(kind=1)
        bare_process = start(
            [sys.executable, str(ROOT / "bench" / "alarm_bare.py"), str(bare_port)], env
        )
        peer = None
        try:
            bare = f"http://127.0.0.1:{bare_port}"
            wait_up(f"{bare}/", method="POST")
            peer = lab_alertmanager.start_alertmanager(
                workdir=work / "am", webhook_url=f"{bare}/hook", group_by="[alertname]"
            )
            am = peer.endpoints["http"]
            single = lua_single(work, args.pool)
            batch = lua_batch(work, args.batch, args.pool)
            # the same single alarms through our pipeline-batched door (one commit per batch
            # of concurrent requests): what TMF642 POST could reach the same way
            one = lua_batch(work, 1, args.pool, name="one.lua")
            common = {"seconds": args.seconds, "connections": args.connections}
            common["threads"] = args.threads
            results = {"bare single": wrk(f"{bare}{TMF642}", single, **common)}
            stored: dict[str, str] = {}
            # each of ours on a fresh server and database: no backlog (events still being
            # delivered, alarms already stored) carried from one scenario into the next
            for name, path, script in (
                ("ours single", TMF642, single),
                ("ours single via v2", OURS_V2, one),
                ("ours batch", OURS_V2, batch),
            ):
                with ours_server(work / name.replace(" ", "-"), env) as (ours, database):
                    if path == TMF642 and not serves_tmf642(ours):
                        print(f"ours does not serve POST {TMF642} (yet)")
                        continue
                    results[name] = wrk(f"{ours}{path}", script, **common)
                stored[name] = count_alarms(database)
            results["bare batch"] = wrk(f"{bare}{OURS_V2}", batch, **common)
            results["alertmanager batch"] = wrk(f"{am}{AM_V2}", batch, **common)
        finally:
            if peer is not None:
                peer.stop()
            stop(bare_process)
    report(results, args.batch, stored, args.pool)


@contextlib.contextmanager
def ours_server(work: Path, env: dict[str, str]) -> Iterator[tuple[str, Path]]:
    """`ossbss serve` (dispatcher, activator, alarm pipeline) on a fresh SQLite database."""
    from ossbss.lab.peers import free_port

    work.mkdir(parents=True)
    database = work / "ours.db"
    prepare_database(f"sqlite:///{database}")
    port = free_port(kind=1)
    process = start(
        [sys.executable, "-m", "ossbss.cli", "serve", "--port", str(port)],
        {**env, "OSSBSS_DATABASE_URL": f"sqlite:///{database}"},
    )
    try:
        wait_up(f"http://127.0.0.1:{port}/health")
        yield f"http://127.0.0.1:{port}", database
    finally:
        stop(process)


def prepare_database(url: str) -> None:
    from sqlalchemy import create_engine

    from ossbss import bootstrap

    bootstrap.migrate(url)
    engine = create_engine(url)
    bootstrap.metadata().create_all(engine)  # tables newer than the last migration
    engine.dispose()


def start(command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, start_new_session=True
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    with_group = process.poll() is None
    if with_group:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def wait_up(url: str, method: str = "GET", timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.request(method, url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not come up")


def serves_tmf642(base: str) -> bool:
    probe = {
        "alarmType": "communicationsAlarm",
        "perceivedSeverity": "minor",
        "probableCause": "benchProbe",
        "sourceSystemId": "bench",
        "state": "raised",
        "alarmRaisedTime": "2026-11-26T10:00:00Z",
        "alarmedObject": {"id": "dev-probe"},
    }
    answer = httpx.post(
        f"{base}{TMF642}", json=probe, headers={"Authorization": f"Bearer {KEY}"}, timeout=10
    )
    if answer.status_code >= 300 and answer.status_code != 404:
        print(f"TMF642 probe answered {answer.status_code}: {answer.text[:300]}")
    return answer.status_code < 300


def lua_single(work: Path, pool: int) -> Path:
    """One TMF642 alarm per POST; the same body goes to the bare endpoint."""
    script = work / "single.lua"
    script.write_text(
        "local headers = {}\n"
        "request = function()\n"
        f"  local n = math.random({pool})\n"
        "  for name, value in pairs(wrk.headers) do headers[name] = value end\n"
        '  headers["Content-Type"] = "application/json"\n'
        '  local body = \'{"externalAlarmId":"bench-\' .. n .. \'",'
        '"alarmType":"communicationsAlarm","perceivedSeverity":"major",'
        '"probableCause":"lossOfSignal","specificProblem":"bench",'
        '"sourceSystemId":"bench","state":"raised","isRootCause":false,'
        '"alarmRaisedTime":"2026-11-26T10:00:00Z",'
        '"alarmedObject":{"id":"dev-\' .. (n % 500) .. \'"}}\'\n'
        '  return wrk.format("POST", nil, headers, body)\n'
        "end\n" + _lua_errors()
    )
    return script


def lua_batch(work: Path, size: int, pool: int, name: str = "batch.lua") -> Path:
    """``size`` alerts per POST, the body Prometheus posts to an Alertmanager."""
    script = work / name
    script.write_text(
        "local headers = {}\n"
        "request = function()\n"
        "  local alerts = {}\n"
        f"  for i = 1, {size} do\n"
        f"    local n = math.random({pool})\n"
        '    alerts[i] = \'{"labels":{"alertname":"BenchPortDown","instance":"dev-\' '
        '.. (n % 500) .. \':9100","ifName":"port-\' .. n .. \'","severity":"major"},\''
        ' .. \'"annotations":{"summary":"port down"},\''
        ' .. \'"generatorURL":"http://prometheus.example/graph"}\'\n'
        "  end\n"
        "  for name, value in pairs(wrk.headers) do headers[name] = value end\n"
        '  headers["Content-Type"] = "application/json"\n'
        "  return wrk.format(\"POST\", nil, headers, '[' .. table.concat(alerts, ',') .. ']')\n"
        "end\n" + _lua_errors()
    )
    return script


def _lua_errors() -> str:
    # non-2xx answers counted and printed at the end (wrk only reports them in aggregate)
    return (
        "local threads = {}\n"
        "setup = function(thread)\n"
        "  table.insert(threads, thread)\n"
        '  thread:set("seed", #threads)\n'
        "end\n"
        "init = function() bad = 0; math.randomseed(seed * 7919) end\n"
        "response = function(status) if status >= 300 then bad = bad + 1 end end\n"
        "done = function()\n"
        "  local total = 0\n"
        '  for _, thread in ipairs(threads) do total = total + thread:get("bad") end\n'
        '  io.write("BAD " .. total .. "\\n")\n'
        "end\n"
    )


def wrk(url: str, script: Path, *, seconds: int, connections: int, threads: int) -> Run:
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s"]
    command += ["--latency", "--timeout", "10s", "-H", f"Authorization: Bearer {KEY}"]
    output = subprocess.run(
        [*command, "-s", str(script), url], capture_output=True, text=True, check=True
    ).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", output)
    bad = re.search(r"BAD (\d+)", output)
    if rate is None or p99 is None:
        raise SystemExit(f"unexpected wrk output for {url}:\n{output}")
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    errors = int(bad.group(1)) if bad else 0
    socket_errors = re.search(r"Socket errors: (.*)", output)
    if socket_errors:
        print(f"  {url}: socket errors {socket_errors.group(1)}")
    return Run(float(rate.group(1)), float(p99.group(1)) * scale, errors)


def count_alarms(database: Path) -> str:
    try:
        with sqlite3.connect(database) as connection:
            (count,) = connection.execute("select count(*) from assurance_alarm").fetchone()
            return str(count)
    except sqlite3.Error as exc:
        return f"? ({exc})"


def report(results: dict[str, Run], batch: int, stored: dict[str, str], pool: int) -> None:
    bare, ours = results["bare single"], results.get("ours single")
    print()
    print(f"{'scenario':22s} {'req/s':>9s} {'alarms/s':>10s} {'p99 ms':>8s} {'non-2xx':>8s}")
    for name, run in results.items():
        per = batch if "batch" in name else 1
        print(
            f"{name:22s} {run.requests_per_second:9.0f} {run.requests_per_second * per:10.0f}"
            f" {run.p99_ms:8.2f} {run.errors:8d}"
        )
    ours_batch = results["ours batch"].requests_per_second * batch
    am_batch = results["alertmanager batch"].requests_per_second * batch
    print()
    if ours is not None:
        print(
            f"(a) single POST: ours {ours.requests_per_second:.0f}/s (target ≥ 2,000), "
            f"p99 {ours.p99_ms:.2f} ms vs bare {bare.p99_ms:.2f} ms = "
            f"{ours.p99_ms / bare.p99_ms:.2f}x (target ≤ 2x); rate "
            f"{ours.requests_per_second / bare.requests_per_second:.0%} of bare"
        )
    print(
        f"(b) batches of {batch}: ours {ours_batch:.0f} alarms/s (target ≥ 20,000), "
        f"Alertmanager {am_batch:.0f} alarms/s: ratio {ours_batch / am_batch:.2f}x (target ≥ 2x)"
    )
    rows = ", ".join(f"{name}: {count}" for name, count in stored.items())
    print(f"alarm rows stored afterwards (pool of {pool} distinct alarms): {rows}")


if __name__ == "__main__":
    main()
