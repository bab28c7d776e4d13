"""Parts 3 and 4 of bench/run: ops-agent backup vs raw pg_dump -Fc, restore --verify vs raw
pg_restore + the same check queries, on a >= 500 MB database (>= 3M bookings)."""
import json, os, statistics, subprocess, time

from .common import REL, ROOT, sh, timed

REPS = 2


def run(cluster, work, quick, rows, data):
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

    raw_file = work / "raw.dump"
    raw, agent, peaks = [], [], []
    for _ in range(REPS):
        wall, _, _, err, rc = timed([f"{cluster.bindir}/pg_dump", "-Fc", "-f", str(raw_file)], env=cluster.env(db))
        assert rc == 0, err
        raw.append(wall)
        wall, peak, out, err, rc = timed([str(REL / "ops-agent"), "backup"], env=agent_env)
        assert rc == 0, out + err
        agent.append(wall)
        peaks.append(peak)
    ratio = statistics.median(agent) / statistics.median(raw)
    peak_mib = max(peaks) / 1024
    data["backup"] = {"raw_seconds": raw, "agent_seconds": agent, "ratio": ratio, "agent_peak_rss_kib": max(peaks),
                      "dump_bytes": raw_file.stat().st_size}
    rows.append({"n": 3, "what": f"backup: ops-agent vs raw pg_dump -Fc ({size / 2**20:.0f} MB db, {bookings:,} bookings)",
                 "figure": f"{statistics.median(agent):.2f} s vs {statistics.median(raw):.2f} s = {ratio:.3f}×",
                 "target": "≤ 1.05×", "met": ratio <= 1.05})
    rows.append({"n": 3, "what": "backup: ops-agent peak RSS (own process, pg_dump excluded)",
                 "figure": f"{peak_mib:.1f} MiB", "target": "≤ 32 MiB", "met": peak_mib <= 32})

    raw, agent = [], []
    for i in range(REPS):
        scratch = f"bench_raw_restore_{i}"

        def raw_restore():
            cluster.psql("postgres", f"CREATE DATABASE {scratch} TEMPLATE template0")
            # The same pg_restore flags as the agent's (one transaction), so only its own work differs.
            subprocess.run([f"{cluster.bindir}/pg_restore", "--exit-on-error", "--no-owner", "--no-privileges",
                            "--single-transaction", "-d", scratch, str(raw_file)], env=cluster.env(scratch), check=True, capture_output=True)
            subprocess.run([f"{cluster.bindir}/psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(ROOT / "bench/bench_parts/checks.sql")],
                           env=cluster.env(scratch), check=True, capture_output=True)
            cluster.psql("postgres", f"DROP DATABASE {scratch}")

        t0 = time.perf_counter()
        raw_restore()
        raw.append(time.perf_counter() - t0)
        wall, peak, out, err, rc = timed([str(REL / "ops-agent"), "restore", "--verify"], env=agent_env)
        assert rc == 0, out + err
        agent.append(wall)
    ratio = statistics.median(agent) / statistics.median(raw)
    data["restore_verify"] = {"raw_seconds": raw, "agent_seconds": agent, "ratio": ratio}
    rows.append({"n": 4, "what": "restore drill: ops-agent restore --verify vs raw pg_restore + same checks",
                 "figure": f"{statistics.median(agent):.2f} s vs {statistics.median(raw):.2f} s = {ratio:.3f}×",
                 "target": "≤ 1.15×", "met": ratio <= 1.15})
    cluster.psql("postgres", f"DROP DATABASE {db}")
    print(json.dumps(data["backup"]), json.dumps(data["restore_verify"]))
