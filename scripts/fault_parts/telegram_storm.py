"""Fault scenario telegram_storm: Telegram answers 429 to half the calls for 10 s, then 502 to
every call for 4 s, while a backlog of replies waits in the outbox.

80 clients each send /start, /masters, a button press (m:<master>: answerCallbackQuery + the
day picker) and /book (reply + the master's notification): 480 calls for Telegram, queued
through the webhook at the start of the storm. The stand-in answers every other call 429 with
`retry_after` 1 or 2 s (alternating) during the first phase, 502 during the second, then 200.

Accounting: every outbox row is delivered (none `failed`, none missing, none twice); no chat's
next call came before the `retry_after` of its 429 (`early_retries`, checked by the stand-in per
chat); each chat's messages arrive in outbox id order (`order_violations`); `drain_s` from the
end of the storm until nothing is pending.
"""
import datetime, sys, time, traceback
from pathlib import Path

from .common import OK, TOKEN, Bot, Pg, StandIn, Webhook, account, callback_update, finish, log, message_update, \
    outbox_rows, seed_masters, slot, status, time_left, too_many, wait_until

MASTERS, CLIENTS, FIRST_CLIENT, FIRST_UPDATE = 20, 80, 5_300_000_001, 40_000_001
PHASE_429_S, PHASE_502_S, SEND_RATE = 10, 4, 30
LIMIT_S = 90  # the driver's time limit of this scenario (scripts/faults)


def updates(masters, first_day):
    out = []
    for c in range(CLIENTS):
        user = FIRST_CLIENT + c
        m, day, hhmm = slot(c, masters, first_day)
        uid = FIRST_UPDATE + 4 * c
        out += [message_update(uid, user, "/start"), message_update(uid + 1, user, "/masters"),
                callback_update(uid + 2, user, f"m:{m}"), message_update(uid + 3, user, f"/book {m} {day} {hhmm}")]
    return out


def storm(t0):
    """The stand-in's policy: by time since t0, every other call 429 (1 or 2 s), then 502."""
    n = [0]

    def policy(method, payload, chat):
        elapsed = time.monotonic() - t0
        if elapsed < PHASE_429_S:
            n[0] += 1
            return too_many(1 + (n[0] // 2) % 2) if n[0] % 2 else OK
        if elapsed < PHASE_429_S + PHASE_502_S:
            return status(502)
        return OK
    return policy


def main(work):
    figures, problems = {}, []
    pg = Pg(work / "pg")
    standin = StandIn(TOKEN)
    bot = None
    try:
        pg.psql("postgres", "CREATE DATABASE faults")
        bot = Bot(work, "bot-api", pg.url("faults"), standin).start()
        masters = seed_masters(pg, "faults", MASTERS)
        batch = updates(masters, datetime.date.today() + datetime.timedelta(days=2))
        t0 = time.monotonic()
        standin.set_policy(storm(t0))
        hook = Webhook(bot.url + "/telegram/webhook", senders=8).start(batch)
        if not hook.join(30):
            problems.append("some updates never got a 200")
        rows = pg.scalar("faults", "SELECT count(*) FROM outbox")
        log(f"{len(batch)} updates in after {time.monotonic() - t0:.1f} s: {rows} outbox rows; storm on")
        time.sleep(max(0.0, t0 + PHASE_429_S - time.monotonic()))
        log(f"429 phase over: {standin.n429} 429s, {len(standin.delivered())} delivered; 502 phase")
        time.sleep(max(0.0, t0 + PHASE_429_S + PHASE_502_S - time.monotonic()))
        t_end = time.monotonic()
        pending = pg.scalar("faults", "SELECT count(*) FROM outbox WHERE status = 'pending'")
        backoff = pg.psql("faults", "SELECT coalesce(round(extract(epoch FROM max(not_before) - now())), 0) "
                                    "FROM outbox WHERE status = 'pending'").strip()
        log(f"storm over: {standin.n5xx} 502s, {pending} pending, latest retry in {backoff} s")
        # Backlog at Telegram's rate, plus the longest back-off a row may be waiting out.
        bound = round((pending / SEND_RATE + max(0.0, float(backoff))) * 1.2 + 10)
        try:
            wait_until(lambda: pg.scalar("faults", "SELECT count(*) FROM outbox WHERE status = 'pending'") == 0,
                       time_left(LIMIT_S), 0.5, "outbox drained")
        except TimeoutError as e:
            problems.append(str(e))
        drain = time.monotonic() - t_end
        all_rows = outbox_rows(pg, "faults")
        acc = account(standin.delivered(), all_rows)
        retried = pg.scalar("faults", "SELECT count(*) FROM outbox WHERE attempts > 1")
        f = figures = {
            "rows": len(all_rows), "delivered": len(standin.delivered()), "n429": standin.n429, "n502": standin.n5xx,
            "rows_retried": retried, "max_attempts": max((r["attempts"] for r in all_rows), default=0),
            "failed": sum(1 for r in all_rows if r["status"] == "failed"),
            "missing": acc["missing"], "duplicated": acc["duplicated"],
            "early_retries": standin.early_retries, "order_violations": acc["order_violations"],
            "drain_s": round(drain, 1), "drain_bound_s": bound,
        }
        if standin.early:
            log(f"early retries (chat, seconds early): {standin.early[:10]}")
        checks = [
            (f["n429"] > 0 and f["n502"] > 0, "the storm did not happen"),
            (f["failed"] == 0, "messages given up"),
            (f["delivered"] == f["rows"] and f["missing"] == 0 and f["duplicated"] == 0, "not every message delivered exactly once"),
            (f["early_retries"] == 0, "a chat retried before its retry_after"),
            (f["order_violations"] == 0, "a chat's messages arrived out of order"),
            (drain <= bound, "the outbox drained slower than its bound"),
        ]
        problems += [msg for ok, msg in checks if not ok]
    except Exception as e:  # the scenario itself broke: still one result line, the trace in the log
        log(traceback.format_exc())
        problems.append(f"{type(e).__name__}: {e}")
    finally:
        if bot:
            bot.stop()
        standin.stop()
        pg.stop()
    finish(not problems, figures, "; ".join(problems))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
