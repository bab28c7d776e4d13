"""Shared pieces of the ops-agent scenarios of scripts/faults (disk_full, agent_kill,
runbook_restore): a seeded throwaway cluster (bench/bench_parts/common.py's `Cluster`, seeded by
scripts/seed.sql), the release ops-agent run one command at a time or as a daemon, a tiny
webhook receiver (Alertmanager payloads, in a thread of this process), process bookkeeping
(every process started here is stopped by its PID) and the scenario's result line.

Owned by the ops-agent side of the fault suite; scripts/fault_parts/common.py is bot-api's.
"""
import hashlib, json, os, signal, subprocess, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from bench_parts.common import Cluster  # noqa: E402  (bench/bench_parts/common.py)

REL = ROOT / "target" / "release"
AGENT = REL / "ops-agent"
T0 = time.monotonic()
# The clusters are throwaway: what is under test is the agent, not the server's durability,
# so bulk seeding skips fsync and checkpoints (the agent's own fsyncs are unaffected).
SETTINGS = ["fsync=off", "full_page_writes=off", "synchronous_commit=off", "max_wal_size=4GB", "wal_level=minimal",
            "max_wal_senders=0", "maintenance_work_mem=256MB"]


def log(*parts):
    print(f"[{time.monotonic() - T0:6.1f}s]", *parts, file=sys.stderr, flush=True)


def finish(ok, figures, detail=""):
    """The scenario's last stdout line, as scripts/faults reads it."""
    print(json.dumps({"ok": bool(ok), "figures": figures, "detail": detail}), flush=True)


class Failed(Exception):
    """A promise the scenario checks was broken; its text becomes the result's detail."""


def describe(e):
    """An unexpected exception as one line, with a failed command's stderr."""
    err = getattr(e, "stderr", None)
    return f"error: {e!r}" + (f"; stderr: {err.strip()[-400:]}" if err else "")


def check(cond, what):
    if not cond:
        raise Failed(what)
    log("ok:", what)


def seeded_cluster(work, db="booking", masters=20, slots=2000, clients=5000, updates=20000, name="pg"):
    """A throwaway cluster with database `db` migrated (bot-api migrate) and seeded by
    scripts/seed.sql at the given size; removed by pg-throwaway's watchdog when this process exits."""
    t = time.monotonic()
    cluster = Cluster(Path(work) / name, SETTINGS)
    cluster.psql("postgres", f"CREATE DATABASE {db}")
    subprocess.run([str(REL / "bot-api"), "migrate"], env=dict(os.environ, DATABASE_URL=cluster.url(db), LOG_FORMAT="json"),
                   check=True, capture_output=True)
    env = dict(cluster.env(db), PGOPTIONS=f"-c seed.masters={masters} -c seed.slots={slots} "
               f"-c seed.clients={clients} -c seed.updates={updates}")
    subprocess.run([f"{cluster.bindir}/psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(ROOT / "scripts/seed.sql")],
                   env=env, check=True, capture_output=True, text=True)
    cluster.psql(db, "VACUUM ANALYZE")
    log(f"cluster on 127.0.0.1:{cluster.port}, {db} seeded ({masters}×{slots} bookings) in {time.monotonic() - t:.1f} s")
    return cluster


def add_sent_messages(cluster, rows, md5s_per_row, db="booking"):
    """Adds `rows` sent outbox messages of 32 × `md5s_per_row` random hex characters each (kept
    30 days by bot-api): dump size and time grow with them (zlib halves hex, slowly) while a
    restore stays cheap (one primary key), unlike scripts/seed.sql's many small rows."""
    t = time.monotonic()
    cluster.psql(db, "INSERT INTO outbox (chat_id, method, payload, status, sent_at) "
                 "SELECT g, 'sendMessage', jsonb_build_object('chat_id', g, 'text', t.s), 'sent', now() "
                 f"FROM generate_series(1, {rows}) g, LATERAL (SELECT string_agg(md5(random()::text || g || k), '') s "
                 f"FROM generate_series(1, {md5s_per_row}) k) t")
    log(f"added {rows} sent messages of {md5s_per_row * 32} characters in {time.monotonic() - t:.1f} s")


def agent_env(cluster, backup_dir, db="booking", **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "OPS_", "DATABASE_URL", "LOG_"))}
    env.update(DATABASE_URL=cluster.url(db), OPS_BACKUP_DIR=str(backup_dir), PG_BIN_DIR=cluster.bindir, LOG_FORMAT="json")
    env.update({k: str(v) for k, v in extra.items()})
    return env


class Run:
    """One finished ops-agent command: exit code, stdout, stderr, wall seconds."""

    def __init__(self, args, rc, out, err, seconds):
        self.args, self.rc, self.out, self.err, self.seconds = args, rc, out, err, seconds

    def answer(self):
        """The --json answer: the stdout JSON line without an `event` key (log lines have one)."""
        for line in reversed(self.out.splitlines()):
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if not (isinstance(obj, dict) and "event" in obj):
                return obj
        raise Failed(f"ops-agent {' '.join(self.args)}: no JSON answer in {self.out[-500:]!r}")

    def events(self):
        out = []
        for line in (self.out + "\n" + self.err).splitlines():
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if isinstance(obj, dict) and "event" in obj:
                out.append(obj)
        return out


def agent(env, *args, timeout=60):
    t = time.monotonic()
    p = subprocess.run([str(AGENT), *args], env=env, capture_output=True, text=True, timeout=timeout)
    r = Run(args, p.returncode, p.stdout, p.stderr, time.monotonic() - t)
    log(f"ops-agent {' '.join(args)} -> exit {p.returncode} in {r.seconds:.2f} s")
    return r


def backups(env):
    """`ops-agent list --json`: the complete backups, newest first."""
    r = agent(env, "list", "--json")
    check(r.rc == 0, f"list exits 0 (got {r.rc}: {r.err.strip()})")
    return r.answer()


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def intact(backup_dir, entry):
    """Whether a listed backup's dump still matches its manifest (size and sha256)."""
    dump = Path(entry["path"])
    manifest = json.loads((Path(backup_dir) / f"{entry['id']}.manifest.json").read_text())
    return dump.stat().st_size == manifest["size_bytes"] and sha256(dump) == manifest["sha256"]


def temp_files(backup_dir):
    """Files of unfinished runs (`.tmp-*`) in the folder."""
    return sorted(p.name for p in Path(backup_dir).iterdir() if p.name.startswith(".tmp-"))


def scratch_databases(cluster):
    return [n for n in cluster.psql("postgres", "SELECT datname FROM pg_database WHERE datname LIKE 'ops\\_verify\\_%' "
                                    "ORDER BY 1").split() if n]


class Procs:
    """Processes started by a scenario; stop_all() ends each still running by its PID."""

    def __init__(self):
        self.procs = []

    def start(self, args, **kw):
        p = subprocess.Popen(args, **kw)
        self.procs.append(p)
        return p

    def stop_all(self):
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()


def children(pid):
    """PIDs of the direct children of `pid` (every thread's children list)."""
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            pass
    return out


def comm(pid):
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except FileNotFoundError:
        return ""


def wait_for(what, cond, timeout, step=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(step)
    raise Failed(f"timed out after {timeout} s waiting for {what}")


class Receiver:
    """An Alertmanager-style webhook receiver on 127.0.0.1 (a thread of this process): keeps
    every POSTed JSON body; stop() closes it."""

    def __init__(self):
        bodies, lock = [], threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    obj = json.loads(body)
                except ValueError:
                    obj = {"unparsable": body.decode(errors="replace")}
                with lock:
                    bodies.append(obj)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        self.bodies, self.lock = bodies, lock
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/alerts"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def got(self, alertname, status):
        """The received payloads whose alerts include `alertname` with `status`."""
        with self.lock:
            return [b for b in self.bodies for a in b.get("alerts", [])
                    if a.get("labels", {}).get("alertname") == alertname and a.get("status") == status]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
