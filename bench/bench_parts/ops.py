"""Parts 3 and 4 of bench/run on a >= 500 MB database (>= 3M bookings): ops-agent backup vs raw
pg_dump -Fc, pg_dump's compression levels 0/1/6, and restore --verify vs raw pg_restore + the same
check queries, both with the drill of before (one transaction) and with the agent's defaults
(parallel jobs, maintenance_work_mem). Each part is a function, so a focused script can run one
against a seeded cluster (bench/README.md, "Restore drill and compression")."""
import json, os, statistics, subprocess, time

from . import upkeep
from .common import REL, ROOT, sh, timed

REPS = 2
# The agent's default compression level (ops-agent/src/store.rs): raw pg_dump runs at it too, so
# row 3 measures the agent's own overhead, not a different level.
AGENT_LEVEL = 1
LEVELS = (0, 1, 6)


def run(cluster, work, quick, rows, data):
    db, agent_env = seed(cluster, work, quick, data)
    raw_file = backup(cluster, work, db, agent_env, rows, data)
    compression(cluster, work, db, agent_env, rows, data)
    drill(cluster, raw_file, agent_env, rows, data)
    upkeep.run(cluster, db, rows, data)
    cluster.psql("postgres", f"DROP DATABASE {db}")
    print(json.dumps(data["backup"]), json.dumps(data["restore_verify"]), json.dumps(data["compression"]))


def seed(cluster, work, quick, data):
    """Creates and seeds bench_backup; returns its name and the agent's environment."""
    db = "bench_backup"
    cluster.psql("postgres", f"CREATE DATABASE {db}")
    agent_env = dict(os.environ, DATABASE_URL=cluster.url(db), OPS_BACKUP_DIR=str(work / "backups"),
                     PG_BIN_DIR=cluster.bindir, LOG_FORMAT="json")
    subprocess.run([str(REL / "bot-api"), "migrate"], env=agent_env, check=True, capture_output=True)
    masters, slots = (100, 1000) if quick else (1000, 3000)
    # scripts/seed.sql, the rehearsal's and tests' seed, at the benchmark's size.
    seed_env = dict(cluster.env(db), PGOPTIONS=f"-c seed.masters={masters} -c seed.slots={slots} "
                    "-c seed.clients=100000 -c seed.updates=200000")
    sh([f"{cluster.bindir}/psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(ROOT / "scripts/seed.sql")], env=seed_env)
    cluster.psql(db, "VACUUM ANALYZE")
    size = int(cluster.psql(db, f"SELECT pg_database_size('{db}')"))
    bookings = int(cluster.psql(db, "SELECT count(*) FROM bookings"))
    data["backup_db"] = {"size_bytes": size, "bookings": bookings}
    return db, agent_env


def backup(cluster, work, db, agent_env, rows, data):
    """Row 3: the agent vs raw pg_dump at the same level, alternating; returns the raw dump."""
    size, bookings = data["backup_db"]["size_bytes"], data["backup_db"]["bookings"]
    raw_file = work / "raw.dump"
    raw, agent, peaks = [], [], []
    for _ in range(REPS):
        wall, _, _, err, rc = timed([f"{cluster.bindir}/pg_dump", "-Fc", f"--compress={AGENT_LEVEL}", "-f", str(raw_file)],
                                    env=cluster.env(db))
        assert rc == 0, err
        raw.append(wall)
        wall, peak, out, err, rc = timed([str(REL / "ops-agent"), "backup"], env=agent_env)
        assert rc == 0, out + err
        agent.append(wall)
        peaks.append(peak)
    ratio = statistics.median(agent) / statistics.median(raw)
    peak_mib = max(peaks) / 1024
    data["backup"] = {"raw_seconds": raw, "agent_seconds": agent, "ratio": ratio, "agent_peak_rss_kib": max(peaks),
                      "dump_bytes": raw_file.stat().st_size, "level": AGENT_LEVEL}
    rows.append({"n": 3, "what": f"backup: ops-agent vs raw pg_dump -Fc -Z {AGENT_LEVEL} ({size / 2**20:.0f} MB db, {bookings:,} bookings)",
                 "figure": f"{statistics.median(agent):.2f} s vs {statistics.median(raw):.2f} s = {ratio:.3f}×",
                 "target": "≤ 1.05×", "met": ratio <= 1.05})
    rows.append({"n": 3, "what": "backup: ops-agent peak RSS (own process, pg_dump excluded)",
                 "figure": f"{peak_mib:.1f} MiB", "target": "≤ 32 MiB", "met": peak_mib <= 32})
    return raw_file


def compression(cluster, work, db, agent_env, rows, data, reps=3):
    """Rows 3c: `ops-agent backup --compress-level N` for N in LEVELS, in rounds (0, 1, 6, 0, …),
    each level into its own folder; medians of the wall time, and the dump's size."""
    seconds = {n: [] for n in LEVELS}
    sizes = {}
    for _ in range(reps):
        for n in LEVELS:
            env = dict(agent_env, OPS_BACKUP_DIR=str(work / f"backups-z{n}"))
            wall, _, out, err, rc = timed([str(REL / "ops-agent"), "backup", "--json", "--compress-level", str(n)], env=env)
            assert rc == 0, out + err
            seconds[n].append(wall)
            answer = next(json.loads(l) for l in out.splitlines() if l.startswith("{") and '"event"' not in l)
            sizes[n] = answer["size_bytes"]
    med = {n: statistics.median(seconds[n]) for n in LEVELS}
    data["compression"] = {str(n): {"seconds": seconds[n], "median_seconds": med[n], "size_bytes": sizes[n]} for n in LEVELS}
    # The default's rule: the fastest level whose dump is within 15 % of level 6's size.
    within = [n for n in LEVELS if sizes[n] <= sizes[6] * 1.15]
    fastest = min(within, key=lambda n: med[n])
    data["compression"]["fastest_within_15pct_of_6"] = fastest
    for n in LEVELS:
        rows.append({"n": 3, "what": f"backup at --compress-level {n}" + (" (the default)" if n == AGENT_LEVEL else ""),
                     "figure": f"{med[n]:.2f} s, {sizes[n] / 2**20:.1f} MiB ({sizes[n] / sizes[6]:.2f}× level 6's size)",
                     "target": "default = fastest within 1.15× of level 6's size" if n == AGENT_LEVEL else "",
                     "met": fastest == AGENT_LEVEL if n == AGENT_LEVEL else None})


def raw_restore(cluster, dump, scratch):
    """createdb + pg_restore with the agent's flags of before (one transaction), the server's
    default session settings + the drill's check queries + dropdb."""
    cluster.psql("postgres", f"CREATE DATABASE {scratch} TEMPLATE template0")
    subprocess.run([f"{cluster.bindir}/pg_restore", "--exit-on-error", "--no-owner", "--no-privileges",
                    "--single-transaction", "-d", scratch, str(dump)], env=cluster.env(scratch), check=True, capture_output=True)
    subprocess.run([f"{cluster.bindir}/psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(ROOT / "bench/bench_parts/checks.sql")],
                   env=cluster.env(scratch), check=True, capture_output=True)
    cluster.psql("postgres", f"DROP DATABASE {scratch}")


def drill(cluster, raw_file, agent_env, rows, data, reps=REPS):
    """Rows 4: raw restore + checks, the agent's drill as before (one transaction, the server's
    64 MB), and the agent's drill with its defaults, in rounds."""
    before = dict(agent_env, OPS_RESTORE_JOBS="1", OPS_RESTORE_MAINTENANCE_WORK_MEM="64MB")
    raw, old, new = [], [], []
    for i in range(reps):
        t0 = time.perf_counter()
        raw_restore(cluster, raw_file, f"bench_raw_restore_{i}")
        raw.append(time.perf_counter() - t0)
        for env, out_list in ((agent_env, new), (before, old)):
            wall, _, out, err, rc = timed([str(REL / "ops-agent"), "restore", "--verify"], env=env)
            assert rc == 0, out + err
            out_list.append(wall)
    r_old = statistics.median(old) / statistics.median(raw)
    r_new = statistics.median(new) / statistics.median(raw)
    jobs = min(os.cpu_count() or 1, 4)
    data["restore_verify"] = {"raw_seconds": raw, "agent_one_transaction_seconds": old, "agent_defaults_seconds": new,
                              "ratio": r_old, "defaults_ratio": r_new, "default_jobs": jobs}
    rows.append({"n": 4, "what": "restore drill: ops-agent restore --verify (one transaction, 64MB) vs raw pg_restore + same checks",
                 "figure": f"{statistics.median(old):.2f} s vs {statistics.median(raw):.2f} s = {r_old:.3f}×",
                 "target": "≤ 1.15×", "met": r_old <= 1.15})
    rows.append({"n": 4, "what": f"restore drill with the defaults (--jobs={jobs}, 256MB) vs raw pg_restore --single-transaction + same checks",
                 "figure": f"{statistics.median(new):.2f} s vs {statistics.median(raw):.2f} s = {r_new:.3f}×",
                 "target": "≤ 0.70×", "met": r_new <= 0.70})
