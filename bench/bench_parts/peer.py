"""Issue 16's peer baseline and outbox-claim figures for bench/run.

- `Peer`: bench/peer_webhook.py (aiohttp + asyncpg, the stack of an aiogram bot) serving the
  same /book statements behind a webhook, driven by the same load generator as bot-api.
- `claim_latency`: bot-api's outbox claim (the CLAIM statement of
  bot-api/src/telegram/sender/claim.rs, read from the source so the figure cannot drift from
  the code) with 50,000 pending rows for one chat and one each for 100 other chats, run by
  pgbench inside a rolled-back transaction so every run claims from the same backlog.
"""
import os, re, subprocess

from .common import ROOT, Served, sh

# Debian's python3-aiohttp/python3-asyncpg live beside the system interpreter, whatever
# python3 runs bench/run.
SYSTEM_PYTHON = "/usr/bin/python3"


def ensure_peer_deps():
    ok = subprocess.run([SYSTEM_PYTHON, "-c", "import aiohttp, asyncpg"], capture_output=True).returncode == 0
    if not ok:
        subprocess.run(["apt-get", "install", "-y", "-q", "python3-aiohttp", "python3-asyncpg"],
                       check=True, capture_output=True)


class Peer(Served):
    def __init__(self, cluster, db, secret, port, work, pool=10):
        ensure_peer_deps()
        env = dict(os.environ, DATABASE_URL=cluster.url(db), TELEGRAM_WEBHOOK_SECRET=secret)
        super().__init__([SYSTEM_PYTHON, str(ROOT / "bench/peer_webhook.py"), "--listen", f"127.0.0.1:{port}",
                          "--pool", str(pool)], env, work / "peer.log", port, "the peer webhook")


def claim_sql():
    src = (ROOT / "bot-api/src/telegram/sender/claim.rs").read_text()
    m = re.search(r'pub const CLAIM: &str = "\\\n(.*?)";', src, re.S)
    if not m:
        raise RuntimeError("CLAIM not found in bot-api/src/telegram/sender/claim.rs")
    # The sender's defaults: 1 s per chat, 25 messages/s overall, a 60 s lease.
    return m.group(1).replace("$1", "1.0").replace("$2", "25").replace("$3", "60.0")


def claim_latency(cluster, db, work, runs=2000):
    """Mean claim latency in ms (pgbench's, one client) over the backlog described above."""
    cluster.psql(db, """
        DELETE FROM outbox;
        INSERT INTO outbox (chat_id, method, payload)
        SELECT 42, 'sendMessage', jsonb_build_object('chat_id', 42, 'text', 'backlog ' || g) FROM generate_series(1, 50000) g;
        INSERT INTO outbox (chat_id, method, payload)
        SELECT 1000 + g, 'sendMessage', jsonb_build_object('chat_id', 1000 + g, 'text', 'hi') FROM generate_series(1, 100) g;""")
    cluster.psql(db, "VACUUM ANALYZE outbox")
    script = work / "claim.pgbench"
    script.write_text("BEGIN;\n" + " ".join(claim_sql().split()) + ";\nROLLBACK;\n")
    out = sh([f"{cluster.bindir}/pgbench", "-n", "-M", "prepared", "-c", "1", "-t", str(runs), "-f", str(script), db],
             env=cluster.env(db))
    lat = float(re.search(r"latency average = ([0-9.]+) ms", out).group(1))
    plan = cluster.psql(db, "BEGIN; EXPLAIN (ANALYZE, BUFFERS) " + " ".join(claim_sql().split()) + "; ROLLBACK;")
    cluster.psql(db, "DELETE FROM outbox")
    return lat, plan
