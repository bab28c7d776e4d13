"""Fault scenario 6, runbook_restore: the restore runbook, as pasted, at a bad moment.

The old cluster (seeded, backed up by `ops-agent backup`) is lost: stopped. The commands of
runbooks/postgresql-backup-restore.md's "Restore for real" section — every fenced `sh` block
between `<!-- restore-runbook:begin -->` and `<!-- restore-runbook:end -->` — run verbatim, in
order, in one `bash` with `set -euo pipefail`, with exactly the variables the runbook's
`<!-- restore-runbook:variables -->` block tells the operator to export, set for a NEW cluster
(where bot-api's role exists, as the runbook's "a new server" paragraph asks). Then the restored
database's row counts must equal the backup's manifest and its tables belong to bot-api's role.
Figures: restore_s (the runbook's commands, wall time; the goal is an operator done in <= 10
minutes), bookings, tables. A block with a `<placeholder>` or an unknown variable fails the run.

Run by scripts/faults as `python3 -m fault_parts.runbook_restore <work folder>` (cwd scripts/).
"""
import json, re, shlex, subprocess, sys, time
from pathlib import Path

from .ops_common import (REL, ROOT, Cluster, SETTINGS, Failed, agent, agent_env, backups, check, describe, finish, log,
                         seeded_cluster)

RUNBOOK = ROOT / "runbooks" / "postgresql-backup-restore.md"
BEGIN, END, VARIABLES = "<!-- restore-runbook:begin -->", "<!-- restore-runbook:end -->", "<!-- restore-runbook:variables -->"
FENCE = re.compile(r"^[ \t]*```(\w*)[ \t]*\n(.*?)^[ \t]*```[ \t]*$", re.S | re.M)
PLACEHOLDER = re.compile(r"<[A-Za-z][A-Za-z _'.-]*>")
APP_ROLE_PASSWORD = "restore-drill-app-pw"


def dedent(block):
    lines = block.splitlines()
    indent = min((len(l) - len(l.lstrip()) for l in lines if l.strip()), default=0)
    return "\n".join(l[indent:] for l in lines) + "\n"


def extract(text):
    """(declared variable names, runnable sh blocks) of the runbook's restore section."""
    for marker in (BEGIN, END, VARIABLES):
        if text.count(marker) != 1:
            raise Failed(f"{RUNBOOK.name}: {marker} must appear exactly once (found {text.count(marker)})")
    start, stop = text.index(BEGIN), text.index(END)
    if stop < start:
        raise Failed(f"{RUNBOOK.name}: {END} comes before {BEGIN}")
    blocks = [dedent(body) for lang, body in FENCE.findall(text[start:stop]) if lang in ("sh", "bash")]
    if not blocks:
        raise Failed(f"{RUNBOOK.name}: no ```sh block between the restore markers")
    for b in blocks:
        if PLACEHOLDER.search(b):
            raise Failed(f"{RUNBOOK.name}: a runnable block holds a placeholder {PLACEHOLDER.search(b).group()}: {b.strip()!r}")
    m = FENCE.search(text, text.index(VARIABLES))
    if not m or m.start() - text.index(VARIABLES) > 200:
        raise Failed(f"{RUNBOOK.name}: no fenced block right after {VARIABLES}")
    names = []
    for line in dedent(m.group(2)).splitlines():
        words = shlex.split(line, comments=True)
        if words[:1] == ["export"]:
            names += [w.split("=", 1)[0] for w in words[1:]]
    return names, blocks


def main(work):
    figures, old, new = {}, None, None
    try:
        names, blocks = extract(RUNBOOK.read_text())
        log(f"runbook: {len(blocks)} runnable blocks; variables {names}")
        old = seeded_cluster(work, name="pg-old")
        folder = work / "backups"
        env = agent_env(old, folder)
        r = agent(env, "backup", "--json")
        check(r.rc == 0, f"the nightly backup succeeds (exit {r.rc}: {r.err.strip()[-300:]})")
        manifest = json.loads((folder / f"{r.answer()['id']}.manifest.json").read_text())
        newest = backups(env)[0]["id"]
        old.stop()  # the server is lost; DATABASE_URL still names it
        log("old cluster stopped: the database is lost")

        new = Cluster(work / "pg-new", SETTINGS)
        # The runbook's "a new server": bot-api's role first, as at installation.
        new.psql("postgres", f"CREATE ROLE booking LOGIN PASSWORD '{APP_ROLE_PASSWORD}'")
        home = work / "home"
        home.mkdir(mode=0o700)
        pgpass = home / ".pgpass"
        pgpass.write_text(f"127.0.0.1:{new.port}:*:postgres:{new.password}\n127.0.0.1:{new.port}:*:booking:{APP_ROLE_PASSWORD}\n")
        pgpass.chmod(0o600)
        values = {"DATABASE_URL": old.url("booking"), "OPS_BACKUP_DIR": str(folder), "PG_BIN_DIR": new.bindir,
                  "PGHOST": "127.0.0.1", "PGPORT": str(new.port), "PGUSER": "postgres", "PGPASSFILE": str(pgpass),
                  "APP_ROLE": "booking", "RESTORE_DB": "booking_restored", "BACKUP_ID": ""}
        unknown, unset = sorted(set(names) - set(values)), sorted(set(values) - set(names))
        check(not unknown and not unset, f"the runbook's variables are the ones this scenario sets (unknown to it: "
                                         f"{unknown}; no longer in the runbook: {unset})")
        script = work / "runbook-restore.sh"
        script.write_text("set -euo pipefail\n" + "".join(
            f"echo '### runbook block {i}' >&2\n{b}" for i, b in enumerate(blocks, 1)))
        run_env = dict(values, PATH=f"{REL}:/usr/local/bin:/usr/bin:/bin", HOME=str(home), LANG="C.UTF-8")
        t0 = time.monotonic()
        p = subprocess.run(["bash", str(script)], env=run_env, capture_output=True, text=True, timeout=75)
        took = time.monotonic() - t0
        figures["restore_s"] = round(took, 1)
        log(f"--- the runbook's commands, {took:.1f} s, exit {p.returncode}\n{p.stdout}\n{p.stderr}")
        check(p.returncode == 0, "the runbook's commands run verbatim" + (
            "" if p.returncode == 0 else f" (exit {p.returncode}): {(p.stderr or p.stdout).strip()[-400:]}"))
        check(f"backup {newest}" in p.stdout, f"the newest backup ({newest}) was restored")
        counts = {t: int(new.psql("booking_restored", f"SELECT count(*) FROM {t}")) for t in manifest["row_counts"]}
        check(counts == manifest["row_counts"], f"row counts match the manifest ({counts} vs {manifest['row_counts']})")
        figures["bookings"] = counts["bookings"]
        owners = new.psql("booking_restored", "SELECT tableowner, count(*) FROM pg_tables WHERE schemaname = 'public' "
                          "GROUP BY 1").split()
        check(len(owners) == 1 and owners[0].startswith("booking|"), f"every table belongs to bot-api's role ({owners})")
        figures["tables"] = int(owners[0].split("|")[1])
        check(took <= 600, "the restore fits in 10 minutes")
        return finish(True, figures, f"runbook restore in {took:.1f} s (goal: an operator done in <= 10 min)")
    except Failed as e:
        return finish(False, figures, str(e))
    except Exception as e:  # noqa: BLE001 - the suite reports any crash as this scenario's failure
        log(describe(e))
        return finish(False, figures, describe(e)[-500:])
    finally:
        for c in (old, new):
            if c:
                c.stop()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
