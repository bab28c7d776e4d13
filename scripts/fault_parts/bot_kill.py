"""Fault scenario bot_kill: `kill -9` of bot-api in the middle of ~2,000 webhook updates.

500 clients each send /start, /masters, /slots, then /book (a distinct free slot; every other
client) or a button press (m:<master>: answerCallbackQuery + the day picker): 2,000 updates,
2,500 Bot API calls, shuffled and sent from 16 concurrent senders. When half are acknowledged
the process is killed by PID with SIGKILL and started again on the same port; every update that
did not get a 200 is re-sent until it does, as Telegram does.

Flood control stays at its defaults (20 a minute, burst 10, 100 pending per chat): each client
sends 4 updates, within the burst, so no update is throttled; a throttled one would show in
the accounting (outcome `throttled`, missing replies).

Accounting: every acknowledged update is in processed_updates (`lost`); no update has two
effects (outbox rows = the rows the updates call for, bookings = /book updates, no "could not
book" reply); confirmed bookings = "Booked:" replies delivered; the outbox drains (`drain_s`;
bound: the longer of the 60 s lease of rows claimed by the dead process and the backlog at 20
messages a second, two thirds of the sender's 30, plus 10 s; `send_rate` is what it achieved);
messages delivered twice (`duplicated`: a send answered by Telegram whose result the killed
process never recorded) are at most the rows it had leased at the kill, which are at most the
sender's 4 workers.
"""
import datetime, random, sys, time, traceback
from pathlib import Path

from .common import TOKEN, Bot, Pg, StandIn, Webhook, account, callback_update, finish, log, message_update, \
    outbox_rows, seed_masters, slot, time_left, wait_until

CLIENTS, MASTERS, FIRST_CLIENT, FIRST_UPDATE = 500, 40, 5_000_000_001, 10_000_001
# outbox rows each update kind calls for (a booking: the reply and the master's notification)
ROWS = {"start": 1, "masters": 1, "slots": 1, "book": 2, "button": 2}
LEASE_S, WORKERS, BOUND_RATE = 60, 4, 20  # SenderConfig::default(): lease, workers; see `bound`
LIMIT_S = 150  # the driver's time limit of this scenario (scripts/faults)


def plan(masters, first_day):
    """[(kind, update)] for every client, shuffled with a fixed seed."""
    items = []
    for c in range(CLIENTS):
        user = FIRST_CLIENT + c
        m, day, hhmm = slot(c, masters, first_day)
        items += [("start", user, "/start"), ("masters", user, "/masters"), ("slots", user, f"/slots {m} {day}"),
                  ("book", user, f"/book {m} {day} {hhmm}") if c % 2 == 0 else ("button", user, f"m:{m}")]
    random.Random(15).shuffle(items)
    out = []
    for i, (kind, user, text) in enumerate(items):
        uid = FIRST_UPDATE + i
        out.append((kind, callback_update(uid, user, text) if kind == "button" else message_update(uid, user, text)))
    return out


def main(work):
    figures, problems = {}, []
    pg = Pg(work / "pg")
    standin = StandIn(TOKEN)
    bot = hook = None
    try:
        pg.psql("postgres", "CREATE DATABASE faults")
        url = pg.url("faults")
        bot = Bot(work, "bot-api", url, standin).start()
        masters = seed_masters(pg, "faults", MASTERS)
        first_day = datetime.date.today() + datetime.timedelta(days=2)
        updates = plan(masters, first_day)
        ids = {u["update_id"] for _, u in updates}
        expected_rows = sum(ROWS[k] for k, _ in updates)
        log(f"{len(updates)} updates from {CLIENTS} clients, {expected_rows} outbox rows expected")

        t_load = time.monotonic()
        hook = Webhook(bot.url + "/telegram/webhook", senders=16).start([u for _, u in updates])
        wait_until(lambda: len(hook.acked) >= len(updates) // 2, 60, 0.01, "half the updates acknowledged")
        acked_before = len(hook.acked)
        bot.kill9()
        t_kill = time.monotonic()
        leased = pg.scalar("faults", "SELECT count(*) FROM outbox WHERE status = 'pending' AND locked_until > now()")
        log(f"kill -9 after {acked_before} acknowledged ({t_kill - t_load:.1f} s); {leased} outbox rows leased by it")
        bot.start()
        log(f"restarted in {time.monotonic() - t_kill:.1f} s")
        if not hook.join(90):
            problems.append("some updates never got a 200")
        t_acked = time.monotonic()
        pending = pg.scalar("faults", "SELECT count(*) FROM outbox WHERE status = 'pending'")
        log(f"all acknowledged after {t_acked - t_load:.1f} s ({dict(hook.statuses)}); {pending} replies pending")
        # Rows leased by the dead process wait out their lease while the backlog goes out: the
        # drain takes the longer of the two. The backlog is allowed BOUND_RATE, two thirds of the
        # sender's 30 a second: headroom for a 2-core machine that is busy with something else.
        bound = round(max(LEASE_S, pending / BOUND_RATE) + 10)
        try:
            wait_until(lambda: pg.scalar("faults", "SELECT count(*) FROM outbox WHERE status = 'pending'") == 0,
                       time_left(LIMIT_S), 1.0, "outbox drained")
        except TimeoutError as e:
            problems.append(str(e))
        drain = time.monotonic() - t_acked

        processed = {int(x) for x in pg.psql("faults", f"SELECT update_id FROM processed_updates WHERE update_id >= {FIRST_UPDATE}").split()}
        rows = outbox_rows(pg, "faults")
        books = pg.scalar("faults", "SELECT count(*) FROM bookings WHERE status = 'confirmed'")
        booked_rows = sum(1 for r in rows if str(r["payload"].get("text", "")).startswith("Booked: #"))
        refused = sum(1 for r in rows if "could not book" in str(r["payload"].get("text", "")))
        delivered_booked = {d.text for d in standin.delivered("sendMessage") if (d.text or "").startswith("Booked: #")}
        acc = account(standin.delivered(), rows)
        figures = {
            "updates": len(updates), "acked_before_kill": acked_before, "leased_at_kill": leased,
            "lost": len(set(hook.acked) - processed), "unprocessed": len(ids - processed),
            "no_answer": hook.statuses.get(None, 0), "non_200": sum(n for c, n in hook.statuses.items() if c not in (200, None)),
            "outcomes": "/".join(f"{k}:{v}" for k, v in sorted(hook.outcomes.items(), key=str)),
            "outbox_rows": len(rows), "extra_rows": len(rows) - expected_rows,
            "bookings": books, "book_updates": sum(1 for k, _ in updates if k == "book"),
            "booked_replies": booked_rows, "booked_delivered": len(delivered_booked), "refused": refused,
            "failed": sum(1 for r in rows if r["status"] == "failed"),
            "delivered": len(standin.delivered()), "missing": acc["missing"], "duplicated": acc["duplicated"],
            "drain_s": round(drain, 1), "drain_bound_s": bound, "send_rate": round(pending / drain, 1),
        }
        f = figures
        checks = [
            (f["lost"] == 0, "acknowledged updates lost"),
            (f["unprocessed"] == 0, "updates never processed"),
            (set(hook.outcomes) <= {"processed", "duplicate"}, f"unexpected outcomes {f['outcomes']}"),
            (f["extra_rows"] == 0, "outbox rows differ from what the updates call for (an update applied twice or not at all)"),
            (f["bookings"] == f["book_updates"] == f["booked_replies"] == f["booked_delivered"], "bookings, /book updates, replies and deliveries differ"),
            (f["refused"] == 0, "a booking was refused (a /book applied twice?)"),
            (f["failed"] == 0, "outbox rows given up"),
            (f["missing"] == 0, "rows marked sent that Telegram never got"),
            (leased <= WORKERS, "more rows leased at the kill than sender workers"),
            (f["duplicated"] <= leased, "more messages delivered twice than sends in flight at the kill"),
            (drain <= bound, "the outbox drained slower than its bound"),
            (standin.bad_token == 0, "calls without the token"),
        ]
        problems += [msg for ok, msg in checks if not ok]
    except Exception as e:  # the scenario itself broke: still one result line, the trace in the log
        log(traceback.format_exc())
        problems.append(f"{type(e).__name__}: {e}")
    finally:
        if hook:
            hook.stopping = True
        if bot:
            bot.stop()
        standin.stop()
        pg.stop()
    finish(not problems, figures, "; ".join(problems))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
