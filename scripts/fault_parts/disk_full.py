"""Fault scenario 4, disk_full: the backup folder on a small tmpfs that fills up.

A good backup fits. Then the volume is filled so the next backup cannot fit, three ways: (0) to
the last byte, under `ops-agent run` (TOML: a backup every 2 s, a webhook receiver of ours),
whose failed scheduled backup must send a firing `BackupFailed`; (a) below the agent's
free-space floor, so it refuses before pg_dump starts; (b) above the floor but below the dump's
size (the database grew), so pg_dump hits ENOSPC mid-write. Each time `ops-agent backup` exits 1
(docs/interface.md) with a message naming the folder, nothing partial is listed or left
(`.tmp-*`), and the good backup still matches its manifest (and passes `restore --verify`).
Then space is freed under a running daemon: its next backup succeeds and `BackupFailed`
resolves; a last `ops-agent backup` by hand succeeds too.

Needs root (mount); unmounts in `finally`. Run by scripts/faults as
`python3 -m fault_parts.disk_full <work folder>` (cwd scripts/).
"""
import json, os, subprocess, sys, time
from pathlib import Path

from .ops_common import (describe, AGENT, Failed, Procs, Receiver, add_sent_messages, agent, agent_env, backups, check, finish, free_port,
                         intact, log, seeded_cluster, temp_files, wait_for)

TMPFS_MIB = 128
FLOOR = 16 << 20  # the agent's minimum free space before a backup (backup::required_free_bytes)
# Rows of random hex that make the dump ~22 MB (zlib halves hex): bigger than the 17 MiB left free.
GROW_ROWS, GROW_MD5S_PER_ROW = 10_000, 128


def free_bytes(path):
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def fill(vol, leave):
    """Grows or shrinks vol/filler so that `leave` bytes stay free."""
    filler = vol / "filler"
    current = filler.stat().st_size if filler.exists() else 0
    size = max(0, current + free_bytes(vol) - leave)
    with open(filler, "ab") as f:
        f.truncate(0)
    with open(filler, "r+b") as f:
        if size:
            os.posix_fallocate(f.fileno(), 0, size)
    log(f"filler {size >> 20} MiB: {free_bytes(vol) >> 20} MiB free")


def failed_cleanly(env, folder, good, r, what):
    """The promises of a backup that did not fit."""
    text = r.err + r.out
    check(r.rc == 1, f"{what}: ops-agent backup exits 1, a failed run (got {r.rc})")
    check(str(folder) in r.err and "ops-agent: error:" in r.err,
          f"{what}: the error names the folder ({r.err.strip()[-400:]!r})")
    check(any(e.get("event") == "backup_failed" for e in r.events()), f"{what}: backup_failed is logged")
    check(temp_files(folder) == [], f"{what}: no temporary file is left ({temp_files(folder)})")
    listed = backups(env)
    check([b["id"] for b in listed] == [good["id"]], f"{what}: only the good backup is listed")
    check(intact(folder, listed[0]), f"{what}: the good backup still matches its manifest (sha256, size)")
    return text


def start_daemon(work, procs, receiver, env, name):
    """`ops-agent run` with a backup every 2 s, a probe every second (of nothing: BotApiDown
    needs 120 s), no prune or drill, and our receiver."""
    config = work / "ops-agent.toml"
    config.write_text(
        '[jobs.backup]\nschedule = "*/2 * * * * *"\n[jobs.prune]\nenabled = false\n[jobs.verify]\nenabled = false\n'
        '[jobs.probe]\nschedule = "* * * * * *"\ntimeout_seconds = 1\n'
        f'[[receivers]]\nname = "faults"\nkind = "webhook"\nurl = "{receiver.url}"\nbackoff_seconds = 0.2\n')
    with open(work / f"daemon-{name}.log", "w") as out:
        return procs.start([str(AGENT), "run", "--config", str(config)], env=env, stdout=out, stderr=out)


def stop_daemon(daemon):
    daemon.terminate()
    check(daemon.wait(timeout=15) == 0, "the daemon stops on SIGTERM with exit 0")


def status_error(folder):
    s = json.loads((folder / "status" / "backup.json").read_text())
    return "" if s.get("success") else s.get("error") or "?"


def main(work):
    if os.geteuid() != 0:
        return finish(False, {}, "needs root (mount -t tmpfs)")
    figures, procs, cluster, receiver, vol, mounted = {}, Procs(), None, None, work / "vol", False
    try:
        cluster = seeded_cluster(work)
        vol.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={TMPFS_MIB}m,mode=0700", "tmpfs", str(vol)], check=True)
        mounted = True
        folder = vol / "backups"
        env = agent_env(cluster, folder)
        r = agent(env, "backup", "--json")
        check(r.rc == 0, f"a good backup fits (exit {r.rc}: {r.err.strip()[-300:]})")
        good = r.answer()
        figures["good_kb"] = good["size_bytes"] >> 10

        # (0) Full to the last byte: the daemon's own scheduled backup fails and BackupFailed fires
        # (the status file said success until then); a run by hand fails cleanly too.
        receiver = Receiver()
        daemon_env = dict(env, OPS_AGENT_LISTEN=f"127.0.0.1:{free_port()}", BOT_API_URL=f"http://127.0.0.1:{free_port()}")
        fill(vol, 0)
        t0 = time.monotonic()
        daemon = start_daemon(work, procs, receiver, daemon_env, "full")
        fired = wait_for("a firing BackupFailed at the receiver", lambda: receiver.got("BackupFailed", "firing"), 30, 0.1)
        figures["alert_after_s"] = round(time.monotonic() - t0, 1)
        labels = fired[0]["alerts"][0]["labels"]
        check(labels.get("severity") == "warning" and fired[0].get("version") == "4",
              f"a full disk: the receiver got a firing BackupFailed, Alertmanager payload v4 ({labels})")
        stop_daemon(daemon)
        check(status_error(folder).startswith("not enough free space"), "a full disk: the status file records why")
        r = agent(env, "backup")
        failed_cleanly(env, folder, good, r, "a full disk")

        # (a) Less free space than the floor: refused before pg_dump runs.
        fill(vol, 8 << 20)
        r = agent(env, "backup")
        text = failed_cleanly(env, folder, good, r, "below the floor")
        check("not enough free space" in text, "below the floor: the message says there is not enough free space")

        # (b) The database grew past the space left: pg_dump runs out of space mid-write.
        add_sent_messages(cluster, GROW_ROWS, GROW_MD5S_PER_ROW)
        fill(vol, FLOOR + (1 << 20))
        r = agent(env, "backup")
        text = failed_cleanly(env, folder, good, r, "ENOSPC mid-dump")
        check("No space left on device" in text, "ENOSPC mid-dump: the message says the device is full")
        figures["enospc_after_s"] = round(r.seconds, 2)
        r = agent(env, "restore", "--verify", "--backup", good["id"], timeout=60)
        check(r.rc == 0, f"the good backup passes restore --verify (exit {r.rc}: {r.err.strip()[-300:]})")

        # Space freed under a running daemon (its runs still failing): its next backup succeeds
        # and BackupFailed resolves.
        daemon = start_daemon(work, procs, receiver, daemon_env, "freed")
        wait_for("a failed scheduled backup (ENOSPC)", lambda: "No space left on device" in
                 (work / "daemon-freed.log").read_text(errors="replace"), 30, 0.1)
        (vol / "filler").unlink()
        t0 = time.monotonic()
        wait_for("a resolved BackupFailed", lambda: receiver.got("BackupFailed", "resolved"), 30, 0.1)
        figures["resolved_after_s"] = round(time.monotonic() - t0, 1)
        stop_daemon(daemon)
        check(temp_files(folder) == [], "the daemon's runs, failed or not, left no temporary file")
        listed = backups(env)
        check(len(listed) >= 2 and listed[-1]["id"] == good["id"] and all(intact(folder, b) for b in listed),
              "the daemon's backup is listed after the good one, every listed backup intact")
        r = agent(env, "backup")
        check(r.rc == 0, f"a backup by hand after space is freed succeeds (exit {r.rc}: {r.err.strip()[-300:]})")
        check(temp_files(folder) == [] and not list((folder / "status").glob(".*.tmp")), "no temporary file is left at the end")
        figures["backups_end"] = len(backups(env))
        return finish(True, figures)
    except Failed as e:
        return finish(False, figures, str(e))
    except Exception as e:  # noqa: BLE001 - the suite reports any crash as this scenario's failure
        log(describe(e))
        return finish(False, figures, describe(e)[-500:])
    finally:
        procs.stop_all()
        if receiver:
            receiver.stop()
        if mounted and subprocess.run(["umount", str(vol)]).returncode != 0:
            subprocess.run(["umount", "-l", str(vol)])
        if cluster:
            cluster.stop()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
