"""Shared pieces of the fault scenarios (scripts/faults): logging and the result line, the
throwaway PostgreSQL (bench/bench_parts/common.py's Cluster) with stop/start of its server,
a bot-api release binary started with env and stopped by PID, a webhook sender that re-sends
like Telegram (until 200), Telegram updates, seeding, and the accounting of deliveries against
the outbox. The Telegram stand-in is standin.py (re-exported here).

Everything is on loopback; every process started here is stopped by PID by its owner's
`finally` (the driver kills the scenario's process group as a last resort, and pg-throwaway's
watchdog removes a cluster once its owning process exits).
"""
import datetime, http.client, json, os, signal, socket, subprocess, sys, threading, time, urllib.request
from collections import Counter, defaultdict
from pathlib import Path

from .standin import OK, StandIn, slow, status, too_many  # noqa: F401  (re-exported)

ROOT = Path(__file__).resolve().parent.parent.parent
REL = ROOT / "target" / "release"
sys.path.insert(0, str(ROOT / "bench"))
from bench_parts.common import Cluster  # noqa: E402

TOKEN = "123456:fault-suite-token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
SECRET = "fault-suite-webhook-secret"
T0 = time.monotonic()


def log(msg):
    """One line of the scenario's log (stderr), with seconds since start."""
    print(f"[{time.monotonic() - T0:7.2f}] {msg}", file=sys.stderr, flush=True)


def finish(ok, figures, detail=""):
    """Prints the result line the driver reads (the last stdout line)."""
    print(json.dumps({"ok": bool(ok), "figures": figures, "detail": detail}), flush=True)


def wait_until(pred, timeout, step=0.2, what="condition"):
    """Polls pred() until true; returns the seconds it took, or raises TimeoutError."""
    start = time.monotonic()
    while not pred():
        if time.monotonic() - start > timeout:
            raise TimeoutError(f"{what} not reached within {timeout} s")
        time.sleep(step)
    return time.monotonic() - start


def time_left(limit, reserve=10):
    """Seconds left of the driver's time `limit` for this scenario, keeping `reserve` for the
    accounting and cleanup after a wait."""
    return max(1.0, limit - (time.monotonic() - T0) - reserve)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# --- PostgreSQL ----------------------------------------------------------------------------
class Pg(Cluster):
    """A throwaway cluster (durable defaults + `settings`) whose server can be stopped and started
    again on the same port and data folder, as an outage would. As root, server commands run as
    `postgres` (the cluster's files are theirs), like shared/src/testing/cluster/server.rs."""

    def __init__(self, folder, settings=("max_connections=200",)):
        super().__init__(folder, list(settings))
        self.settings = list(settings)
        self.root = Path(folder).resolve()

    def _server(self, *args):
        cmd = [f"{self.bindir}/pg_ctl", "-D", str(self.root / "data"), *args]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, cwd=self.root, stdin=subprocess.DEVNULL, capture_output=True, text=True)

    def stop_server(self, mode="fast"):
        """pg_ctl stop -m fast|immediate, waiting until the server is gone."""
        out = self._server("-w", "-t", "60", "-m", mode, "stop")
        if out.returncode != 0:
            raise RuntimeError(f"pg_ctl stop -m {mode}: {out.stderr.strip()}")

    def start_server(self):
        """pg_ctl start on the same port, socket folder and settings; waits until it accepts."""
        opts = f"-p {self.port} -c listen_addresses=127.0.0.1 -c 'unix_socket_directories={self.root}'"
        for s in self.settings:
            opts += f" -c '{s}'"
        out = self._server("-l", str(self.root / "server.log"), "-w", "-t", "60", "-o", opts, "start")
        if out.returncode != 0:
            raise RuntimeError(f"pg_ctl start: {out.stderr.strip()}")

    def json(self, db, sql):
        """The rows of `sql` as a list of dicts (json_agg), for accounting queries."""
        out = self.psql(db, f"SELECT coalesce(json_agg(q), '[]') FROM ({sql}) q")
        return json.loads(out)

    def scalar(self, db, sql):
        return int(self.psql(db, sql).strip() or 0)


def seed_masters(pg, db, n, first_tid=9_100_000_000, hours=("08:00", "20:00")):
    """n active masters (telegram id = chat id = first_tid + k), working `hours` every day in
    Europe/Berlin; returns their master ids in order. Run after bot-api migrated the database."""
    pg.psql(db, f"""
        INSERT INTO users (telegram_id, chat_id, first_name)
        SELECT {first_tid} + g, {first_tid} + g, 'Master ' || g FROM generate_series(1, {n}) g;
        INSERT INTO masters (user_id, display_name, time_zone)
        SELECT id, first_name, 'Europe/Berlin' FROM users WHERE telegram_id > {first_tid} ORDER BY id;
        INSERT INTO working_hours (master_id, weekday, starts_local, ends_local)
        SELECT m.id, d, '{hours[0]}', '{hours[1]}' FROM masters m, generate_series(1, 7) d;""")
    return [int(x) for x in pg.psql(db, "SELECT id FROM masters ORDER BY id").split()]


def slot(i, masters, first_day, per_day=12, first_hour=8):
    """The i-th distinct slot (master id, 'YYYY-MM-DD', 'HH:MM'), cycling over masters first."""
    m = masters[i % len(masters)]
    k = i // len(masters)
    day = first_day + datetime.timedelta(days=k // per_day)
    return m, day.isoformat(), f"{first_hour + k % per_day:02d}:00"


# --- Telegram updates ----------------------------------------------------------------------
def message_update(update_id, user, text):
    """A private text message from `user` (chat id = user id)."""
    return {"update_id": update_id, "message": {
        "message_id": update_id % 1_000_000_000, "date": int(time.time()), "text": text,
        "from": {"id": user, "is_bot": False, "first_name": f"U{user}"},
        "chat": {"id": user, "type": "private"}}}


def callback_update(update_id, user, data):
    """A button press by `user`; the query id `<chat>-<update_id>` names its chat for the
    stand-in's per-chat accounting."""
    return {"update_id": update_id, "callback_query": {
        "id": f"{user}-{update_id}", "data": data,
        "from": {"id": user, "is_bot": False, "first_name": f"U{user}"},
        "message": {"message_id": 1, "date": int(time.time()), "chat": {"id": user, "type": "private"}}}}


# --- bot-api -------------------------------------------------------------------------------
class Bot:
    """A release `bot-api serve` (JSON logs appended to <work>/<name>.log). `env` overrides the
    defaults: a token and TELEGRAM_API_BASE when `standin` is given, the webhook secret, webhook
    mode. Inherited BOT_*/TELEGRAM_*/LOG_*/DATABASE_URL variables are dropped first."""

    def __init__(self, work, name, database_url, standin=None, env=None, port=None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        base = {k: v for k, v in os.environ.items()
                if not k.startswith(("BOT_", "TELEGRAM_", "LOG_", "DATABASE_URL", "DB_"))}
        base.update(DATABASE_URL=database_url, BOT_API_LISTEN=f"127.0.0.1:{self.port}", BOT_MODE="webhook",
                    TELEGRAM_WEBHOOK_SECRET=SECRET, LOG_FORMAT="json")
        if standin:
            base.update(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE=standin.base)
        base.update(env or {})
        self.env, self.logpath, self.proc = base, Path(work) / f"{name}.log", None

    def start(self, timeout=60):
        """Starts the process and waits until /health answers (serve migrates before it listens)."""
        with open(self.logpath, "a") as out:
            self.proc = subprocess.Popen([str(REL / "bot-api"), "serve"], env=self.env, stdout=out,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        wait_until(lambda: self.get("/health")[0] == 200 or self.proc.poll() is not None, timeout, 0.1, "bot-api /health")
        if self.proc.poll() is not None:
            raise RuntimeError(f"bot-api exited with {self.proc.returncode}; see {self.logpath}")
        return self

    def kill9(self):
        """SIGKILL by PID (a crash: nothing is flushed or drained)."""
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        """SIGTERM by PID, SIGKILL after 20 s. Safe to call twice."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def get(self, path, timeout=5):
        """(status, body text) of GET path; (None, error) when it did not answer."""
        try:
            with urllib.request.urlopen(self.url + path, timeout=timeout) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(errors="replace")
        except OSError as e:
            return None, str(e)

    def metric(self, name):
        """A label-less sample of /metrics (None when not answered or absent)."""
        code, body = self.get("/metrics")
        if code != 200:
            return None
        for line in body.splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
        return None


# --- the webhook, as Telegram calls it ----------------------------------------------------
class Webhook:
    """POSTs updates to a bot's webhook from `senders` threads, each update re-sent (after
    `retry` s, doubling up to `retry_max`) until it gets a 200, as Telegram does. Records every
    answer: `statuses` counts them (None = no answer: refused, reset, timed out), `acked` maps
    update_id -> (time of its 200, outcome), `outcomes` counts the 200s' outcomes."""

    def __init__(self, url, senders=16, retry=0.2, retry_max=2.0, timeout=10):
        self.path = "/" + url.split("//")[1].split("/", 1)[1]
        self.url, self.senders, self.retry, self.retry_max, self.timeout = url, senders, retry, retry_max, timeout
        self.lock, self.qlock = threading.Lock(), threading.Lock()
        self.statuses, self.outcomes, self.acked = Counter(), Counter(), {}
        self.threads, self.queue, self.stopping = [], [], False

    def post(self, conn, update):
        """One attempt: (status or None, outcome or None); reconnects on a broken connection."""
        body = json.dumps(update).encode()
        try:
            conn.request("POST", self.path, body, {"Content-Type": "application/json",
                         "X-Telegram-Bot-Api-Secret-Token": SECRET})
            r = conn.getresponse()
            data = r.read()
            outcome = json.loads(data).get("outcome") if r.status == 200 else None
            return r.status, outcome
        except (OSError, http.client.HTTPException, ValueError):
            conn.close()
            return None, None

    def _worker(self, host, port):
        conn = http.client.HTTPConnection(host, port, timeout=self.timeout)
        while not self.stopping:
            with self.qlock:
                if not self.queue:
                    break
                update = self.queue.pop(0)
                if self.gap:  # a steady flow: one update per gap overall
                    now = time.monotonic()
                    time.sleep(max(0.0, self.next - now))
                    self.next = max(self.next, now) + self.gap
            delay = self.retry
            while True:
                code, outcome = self.post(conn, update)
                now = time.monotonic()
                with self.lock:
                    self.statuses[code] += 1
                    if code == 200:
                        self.acked[update["update_id"]] = (now, outcome)
                        self.outcomes[outcome] += 1
                if code == 200 or self.stopping:
                    break
                time.sleep(delay)
                delay = min(delay * 2, self.retry_max)
        conn.close()

    def start(self, updates, rate=None):
        """Sends `updates` in the background, at most `rate` new updates per second overall when
        given (re-sends do not wait for the rate)."""
        host, port = self.url.split("//")[1].split("/")[0].split(":")
        self.queue, self.gap, self.next = list(updates), (1.0 / rate if rate else 0), time.monotonic()
        for _ in range(self.senders):
            t = threading.Thread(target=self._worker, args=(host, int(port)), daemon=True)
            t.start()
            self.threads.append(t)
        return self

    def join(self, timeout):
        """Waits until every update got its 200; False on timeout (then the senders stop)."""
        end = time.monotonic() + timeout
        for t in self.threads:
            t.join(max(0.0, end - time.monotonic()))
        self.stopping = any(t.is_alive() for t in self.threads)
        return not self.stopping


# --- accounting ----------------------------------------------------------------------------
def canon(payload):
    return json.dumps(payload, sort_keys=True, separators=(",", ":"))


def outbox_rows(pg, db):
    """Every outbox row: id, chat_id, method, payload (dict), status, attempts."""
    return pg.json(db, "SELECT id, chat_id, method, payload, status, attempts FROM outbox ORDER BY id")


def account(deliveries, rows):
    """Deliveries against the outbox: `missing` rows marked sent that the stand-in never got,
    `duplicated` deliveries beyond the rows that hold that call, `order_violations` adjacent
    deliveries of one chat whose outbox ids go backwards (a delivery is matched to the oldest
    not yet matched row of its chat with the same method and payload)."""
    by_key = defaultdict(list)
    for r in rows:
        by_key[(r["chat_id"], r["method"], canon(r["payload"]))].append(r)
    sent = Counter((r["chat_id"], r["method"], canon(r["payload"])) for r in rows if r["status"] == "sent")
    got = Counter()
    last_id, violations, duplicated = {}, 0, 0
    for d in deliveries:
        if d.chat is None:  # a call of the bot itself (deleteWebhook, setWebhook), not a message
            continue
        key = (d.chat, d.method, canon(d.payload))
        got[key] += 1
        matches = by_key.get(key, [])
        if got[key] > len(matches):
            duplicated += 1
            continue
        rid = matches[got[key] - 1]["id"]
        if d.chat in last_id and rid < last_id[d.chat]:
            violations += 1
        last_id[d.chat] = rid
    missing = sum(max(0, n - got[k]) for k, n in sent.items())
    return {"missing": missing, "duplicated": duplicated, "order_violations": violations}
