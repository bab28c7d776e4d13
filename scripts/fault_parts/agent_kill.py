"""Fault scenario 5, agent_kill: `kill -9` of ops-agent and its pg_dump child mid-backup, and of
ops-agent and its pg_restore child mid-drill (`restore --verify`), on a database big enough that
a dump takes a few seconds. Afterwards nothing partial is listed, the dead run's lock blocks
nothing, the next backup and drill pass, and no temporary file (`.tmp-*`) or scratch database
(`ops_verify_*`, ops-agent/src/restore/scratch.rs) is left.

Run by scripts/faults as `python3 -m fault_parts.agent_kill <work folder>` (cwd scripts/).
Figures: dump_s (a complete backup), drill_s, kill_backup_at_s / kill_drill_at_s (after the
start), tmp_after_kill / scratch_after_kill (leftovers the kills made), leftovers_end (must be 0).
"""
import os, signal, subprocess, sys, time
from pathlib import Path

from .ops_common import (describe, AGENT, Failed, Procs, add_sent_messages, agent, agent_env, backups, check, children, comm, finish,
                         intact, log, scratch_databases, seeded_cluster, temp_files, wait_for)

# scripts/seed.sql's default size plus 40 000 sent messages of 6 KB random hex: a ~145 MB dump
# that takes 3-5 s to write and twice that to restore on the 2-core reference machine.
MESSAGES, MD5S_PER_MESSAGE = 40_000, 192


def child_named(pid, name):
    kids = [c for c in children(pid) if comm(c) == name]
    return kids[0] if kids else None


def alive(pid):
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state != "Z"


def kill9(pids):
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def main(work):
    figures, procs, killed, cluster = {}, Procs(), [], None
    try:
        cluster = seeded_cluster(work)
        add_sent_messages(cluster, MESSAGES, MD5S_PER_MESSAGE)
        folder = work / "backups"
        env = agent_env(cluster, folder)

        first = agent(env, "backup", "--json", timeout=120)
        check(first.rc == 0, f"a first backup succeeds (exit {first.rc}: {first.err.strip()[-300:]})")
        dump_s = first.answer()["duration_seconds"]
        figures["dump_s"] = round(dump_s, 2)
        figures["dump_mb"] = round(first.answer()["size_bytes"] / 2**20, 1)

        # --- kill -9 mid-backup: the agent and its pg_dump, each by PID.
        t0 = time.monotonic()
        p = procs.start([str(AGENT), "backup"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        dump_pid = wait_for("pg_dump under the agent", lambda: child_named(p.pid, "pg_dump"), 30)
        wait_for("the dump to be written", lambda: any((folder / n).stat().st_size > 0 for n in temp_files(folder)
                                                         if n.endswith(".dump")), 30)
        while time.monotonic() - t0 < 0.2 + 0.4 * dump_s and alive(dump_pid):
            time.sleep(0.02)
        check(alive(dump_pid) and p.poll() is None, "pg_dump is still writing when the kill comes")
        killed += [p.pid, dump_pid]
        kill9([p.pid, dump_pid])
        figures["kill_backup_at_s"] = round(time.monotonic() - t0, 2)
        p.wait()
        wait_for("pg_dump to die", lambda: not alive(dump_pid), 10)
        tmp = temp_files(folder)
        figures["tmp_after_kill"] = len(tmp)
        log("left by the killed backup:", tmp)
        listed = backups(env)
        check([b["id"] for b in listed] == [first.answer()["id"]], "the killed backup is not listed (only the first)")

        second = agent(env, "backup", "--json", timeout=120)
        check(second.rc == 0, f"the next backup is not blocked by the dead run's lock and succeeds (exit {second.rc}: "
                              f"{second.err.strip()[-300:]})")
        removed = [e.get("file") for e in second.events() if e.get("event") == "backup_leftover_removed"]
        check(sorted(removed) == tmp, f"it removed the killed run's temporary files ({removed})")
        check(temp_files(folder) == [], "no temporary file is left")
        listed = backups(env)
        check(len(listed) == 2 and all(intact(folder, b) for b in listed), "both complete backups are listed and intact")

        # --- kill -9 mid-drill: the agent and its pg_restore.
        t0 = time.monotonic()
        p = procs.start([str(AGENT), "restore", "--verify"], env=env, stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL)
        restore_pid = wait_for("pg_restore under the agent", lambda: child_named(p.pid, "pg_restore"), 30)
        scratch = wait_for("the drill's scratch database", lambda: scratch_databases(cluster), 30)
        time.sleep(min(1.5, dump_s / 2))
        check(alive(restore_pid) and p.poll() is None, "pg_restore is still restoring when the kill comes")
        killed += [p.pid, restore_pid]
        kill9([p.pid, restore_pid])
        figures["kill_drill_at_s"] = round(time.monotonic() - t0, 2)
        p.wait()
        wait_for("pg_restore to die", lambda: not alive(restore_pid), 10)
        left = scratch_databases(cluster)
        figures["scratch_after_kill"] = len(left)
        log("left by the killed drill:", left, "(created:", scratch, ")")

        drill = agent(env, "restore", "--verify", "--json", timeout=120)
        report = drill.answer() if drill.rc in (0, 1) else {}
        check(drill.rc == 0 and report.get("passed"), f"the next drill is not blocked and passes (exit {drill.rc}: "
                                                      f"{drill.err.strip()[-300:]})")
        figures["drill_s"] = round(report["duration_seconds"], 2)
        check(sorted(report.get("stale_scratch_dropped", [])) == left,
              f"it dropped the killed drill's scratch database ({report.get('stale_scratch_dropped')})")

        leftovers = len(temp_files(folder)) + len(scratch_databases(cluster)) + sum(alive(k) for k in killed)
        figures["leftovers_end"] = leftovers
        check(leftovers == 0, "no temporary file, scratch database or killed process is left")
        check(len(backups(env)) == 2, "the two complete backups are still listed")
        return finish(True, figures)
    except Failed as e:
        return finish(False, figures, str(e))
    except Exception as e:  # noqa: BLE001 - the suite reports any crash as this scenario's failure
        log(describe(e))
        return finish(False, figures, describe(e)[-500:])
    finally:
        kill9([k for k in killed if alive(k)])
        procs.stop_all()
        if cluster:
            cluster.stop()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
