"""Shared pieces of bench/run: shell helpers, the throwaway cluster, process measurements."""
import os, shlex, subprocess, time, urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
REL = ROOT / "target" / "release"


def sh(cmd, **kw):
    return subprocess.run(cmd, shell=isinstance(cmd, str), check=True, text=True, capture_output=True, **kw).stdout


PG_THROWAWAY = ROOT / "target" / "debug" / "pg-throwaway"


def build_pg_throwaway():
    """The scripts' throwaway cluster (shared/src/bin/pg-throwaway.rs, also behind scripts/lib/pg.sh)."""
    subprocess.run(["cargo", "build", "-q", "--locked", "-p", "shared", "--features", "testing", "--bin", "pg-throwaway"],
                   cwd=ROOT, check=True)


class Cluster:
    """A throwaway cluster via pg-throwaway (same settings for every measurement): PostgreSQL's
    durable defaults plus `settings`; stopped and removed by stop(), or by pg-throwaway's
    watchdog once this process exits, however it exits."""

    def __init__(self, folder, settings):
        self.dir = folder
        args = [str(PG_THROWAWAY), "start", str(folder), "--watch", str(os.getpid())]
        for s in settings:
            args += ["-c", s]
        out = dict(shlex.split(line)[0].split("=", 1) for line in sh(args).splitlines() if "=" in line)
        self.bindir, self.port, self.password = out["PGBIN"], int(out["PG_PORT"]), out["PG_SUPERPASS"]

    def url(self, db):
        return f"postgres://postgres:{self.password}@127.0.0.1:{self.port}/{db}"

    def env(self, db):
        e = dict(os.environ, PGHOST="127.0.0.1", PGPORT=str(self.port), PGUSER="postgres", PGPASSWORD=self.password, PGDATABASE=db)
        return e

    def psql(self, db, sql, *args):
        return sh([f"{self.bindir}/psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", *args, "-c", sql], env=self.env(db))

    def psql_file(self, db, path):
        return sh([f"{self.bindir}/psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(path)], env=self.env(db))

    def stop(self):
        subprocess.run([str(PG_THROWAWAY), "stop", str(self.dir)])


def rss_kib(pid, field="VmRSS"):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except FileNotFoundError:
        pass
    return 0


def timed(cmd, env=None):
    """Runs cmd; returns (wall seconds, peak RSS in KiB of that process itself, stdout, stderr, exit code).

    The peak is the process's own VmHWM, polled until it exits: rusage's maxrss would also count
    children (pg_dump), which are not the agent's memory.
    """
    import tempfile
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, env=env, stdout=out, stderr=err, text=True)
        peak = 0
        while p.poll() is None:
            peak = max(peak, rss_kib(p.pid, "VmHWM"))
            time.sleep(0.02)
        wall = time.perf_counter() - t0
        out.seek(0)
        err.seek(0)
        return wall, peak, out.read(), err.read(), p.returncode


class Served:
    """A webhook process on 127.0.0.1:`port` (bot-api, or the peer baseline): started, waited
    for until `/ready` answers, stopped by its PID."""

    def __init__(self, cmd, env, log_path, port, name):
        self.port, self.log = port, open(log_path, "a")
        self.proc = subprocess.Popen(cmd, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(200):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=1)
                return
            except Exception:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{name} did not become ready (see {log_path})")

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/telegram/webhook"

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.log.close()
