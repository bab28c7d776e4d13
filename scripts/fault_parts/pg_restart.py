"""Fault scenario pg_restart: PostgreSQL stops for ~5 s, twice, while updates flow.

Two bot-api processes share the database: one in webhook mode (updates POSTed by 8 senders
at 10 a second, each re-sent after 0.25 s doubling to 2 s until it gets a 200, as Telegram
does) and one in polling mode (the stand-in's getUpdates serves 10 updates a second). Each
client sends /start, /masters, /slots and /book (a distinct free slot) in a row. Flood control
stays at its defaults (20 a minute, burst 10): 4 updates per client are within the burst, so
only a retry counted as a new update could throttle one.

Round 1 stops the server with `pg_ctl stop -m fast`, round 2 with `-m immediate` (crash
recovery at the restart); each time it is started again on the same port and data folder
after 5 s, and neither bot-api is restarted. During an outage the webhook must answer 503
(never 500, never a 200 for an update it did not commit), /ready 503 and bot_api_healthy 0.
Afterwards: every acknowledged webhook update and every update getUpdates served is in
processed_updates (`lost`), exactly once in effect (outbox rows = what the updates call for,
nothing dead-lettered or throttled), the polling offset never went back, the outbox drains
and no message is delivered twice (a send whose answer met the outage is recorded afterwards).
"""
import datetime, sys, threading, time, traceback
from pathlib import Path

from .common import TOKEN, Bot, Pg, StandIn, Webhook, account, finish, log, message_update, outbox_rows, \
    seed_masters, slot, time_left, wait_until

MASTERS, CLIENTS_EACH, RATE, OUTAGE_S = 20, 90, 10, 5
ROWS = {"/start": 1, "/masters": 1, "/slots": 1, "/book": 2}  # outbox rows each command calls for
SEND_RATE, LEASE_S = 30, 60
LIMIT_S = 150  # the driver's time limit of this scenario (scripts/faults)


def updates_for(first_client, first_update, masters, first_day, slot_base):
    """[(command, update)]: each client's four updates in a row."""
    out = []
    for c in range(CLIENTS_EACH):
        user = first_client + c
        m, day, hhmm = slot(slot_base + c, masters, first_day)
        for text in ("/start", "/masters", f"/slots {m} {day}", f"/book {m} {day} {hhmm}"):
            out.append((text.split()[0], message_update(first_update + len(out), user, text)))
    return out


class Monitor(threading.Thread):
    """Samples /ready and bot_api_healthy of one bot every 0.2 s; a sample counts as taken
    during the outage when the server was down (from the end of pg_ctl stop to the start of
    pg_ctl start) both when it was asked and when it was answered."""
    down = False  # set on the class: one outage for every bot

    def __init__(self, bot):
        super().__init__(daemon=True)
        self.bot, self.done, self.samples = bot, False, []

    def run(self):
        while not self.done:
            for path in ("/ready", "/metrics"):
                down = Monitor.down
                if path == "/ready":
                    sample = ("ready", self.bot.get(path, timeout=5)[0])
                else:
                    sample = ("healthy", self.bot.metric("bot_api_healthy"))
                if down and Monitor.down:
                    self.samples.append(sample)
            time.sleep(0.2)


def main(work):
    figures, problems = {}, []
    pg = Pg(work / "pg")
    standin = StandIn(TOKEN)
    bots, hook, mons, feeder_stop = [], None, [], threading.Event()
    try:
        pg.psql("postgres", "CREATE DATABASE faults")
        url = pg.url("faults")
        web = Bot(work, "bot-webhook", url, standin).start()
        bots.append(web)
        masters = seed_masters(pg, "faults", MASTERS)
        poll = Bot(work, "bot-polling", url, standin, env={"BOT_MODE": "polling"}).start()
        bots.append(poll)
        first_day = datetime.date.today() + datetime.timedelta(days=2)
        web_updates = updates_for(5_100_000_001, 20_000_001, masters, first_day, 0)
        poll_updates = updates_for(5_200_000_001, 30_000_001, masters, first_day, CLIENTS_EACH)
        expected_rows = sum(ROWS[k] for k, _ in web_updates + poll_updates)

        def feed():
            for _, u in poll_updates:
                if feeder_stop.wait(1.0 / RATE):
                    return
                standin.push_updates([u])

        feeder = threading.Thread(target=feed, daemon=True)
        mons = [Monitor(b) for b in bots]
        t_start = time.monotonic()
        hook = Webhook(web.url + "/telegram/webhook", senders=8, retry=0.25, retry_max=2.0).start(
            [u for _, u in web_updates], rate=RATE)
        feeder.start()
        for m in mons:
            m.start()
        outages, recovered = [], []
        for mode in ("fast", "immediate"):
            time.sleep(5)
            t0 = time.monotonic()
            pg.stop_server(mode)
            Monitor.down = True
            log(f"server stopped (-m {mode}) in {time.monotonic() - t0:.1f} s")
            time.sleep(OUTAGE_S)
            Monitor.down = False
            pg.start_server()
            outages.append(round(time.monotonic() - t0, 1))
            recovered.append(round(wait_until(lambda: all(b.get("/ready")[0] == 200 for b in bots), 60, 0.1,
                                              "both bots ready again"), 1))
            log(f"server started again; outage {outages[-1]} s, bots ready {recovered[-1]} s later")
        if not hook.join(90):
            problems.append("some webhook updates never got a 200")
        feeder.join(90)
        wait_until(lambda: standin.queue_left() == 0, 60, 0.2, "getUpdates queue confirmed")
        t_in = time.monotonic()
        for m in mons:
            m.done = True
        pending = pg.scalar("faults", "SELECT count(*) FROM outbox WHERE status = 'pending'")
        log(f"all updates in after {t_in - t_start:.1f} s; statuses {dict(hook.statuses)}; {pending} replies pending")
        bound = round(max(LEASE_S, pending / SEND_RATE) * 1.25 + 10)
        try:
            wait_until(lambda: pg.scalar("faults", "SELECT count(*) FROM outbox WHERE status = 'pending'") == 0,
                       time_left(LIMIT_S), 1.0, "outbox drained")
        except TimeoutError as e:
            problems.append(str(e))
        drain = time.monotonic() - t_in

        processed = {int(x) for x in pg.psql("faults", "SELECT update_id FROM processed_updates").split()}
        rows = outbox_rows(pg, "faults")
        acc = account(standin.delivered(), rows)
        offsets = standin.offsets
        during = [x for m in mons for x in m.samples]
        f = figures = {
            "outage_s": "/".join(map(str, outages)), "ready_again_s": "/".join(map(str, recovered)),
            "webhook_updates": len(web_updates), "polled_updates": len(poll_updates),
            "webhook_503": hook.statuses.get(503, 0),
            "webhook_5xx_other": sum(n for c, n in hook.statuses.items() if c and c >= 500 and c != 503),
            "webhook_other": sum(n for c, n in hook.statuses.items() if c not in (200, 503) and not (c and c >= 500)),
            "ready_503": during.count(("ready", 503)), "ready_200_down": during.count(("ready", 200)),
            "healthy_0": during.count(("healthy", 0.0)), "healthy_1_down": during.count(("healthy", 1.0)),
            "lost_webhook": len(set(hook.acked) - processed),
            "lost_polling": len(standin.served - processed),
            "unserved": len({u["update_id"] for _, u in poll_updates} - standin.served),
            "offset_back": sum(1 for a, b in zip(offsets, offsets[1:]) if b < a),
            "dead_lettered": pg.scalar("faults", "SELECT count(*) FROM dead_letter_updates"),
            "outcomes": "/".join(f"{k}:{v}" for k, v in sorted(hook.outcomes.items(), key=str)),
            "extra_rows": len(rows) - expected_rows,
            "failed": sum(1 for r in rows if r["status"] == "failed"),
            "missing": acc["missing"], "duplicated": acc["duplicated"],
            "drain_s": round(drain, 1), "drain_bound_s": bound,
        }
        checks = [
            (f["webhook_503"] > 0, "the webhook never answered 503 (did the outage reach it?)"),
            (f["webhook_5xx_other"] == 0 and f["webhook_other"] == 0, "webhook answers other than 200 and 503"),
            (f["ready_503"] > 0 and f["ready_200_down"] == 0, "/ready did not answer 503 during the outage"),
            (f["healthy_0"] > 0 and f["healthy_1_down"] == 0, "bot_api_healthy was not 0 during the outage"),
            (f["lost_webhook"] == 0 and f["lost_polling"] == 0, "acknowledged or polled updates lost"),
            (f["unserved"] == 0, "getUpdates did not serve every update"),
            (f["offset_back"] == 0, "the polling offset went back"),
            (f["dead_lettered"] == 0, "updates dead-lettered (a 200 for an update not applied)"),
            (set(hook.outcomes) <= {"processed", "duplicate"}, f"unexpected outcomes {f['outcomes']}"),
            (f["extra_rows"] == 0, "outbox rows differ from what the updates call for (applied twice, throttled or lost)"),
            (f["failed"] == 0 and f["missing"] == 0, "outbox rows given up or never delivered"),
            # A send whose answer met the outage is recorded once the server is back (within
            # the row's 60 s lease), not sent again.
            (f["duplicated"] == 0, "messages delivered twice"),
            (drain <= bound, "the outbox drained slower than its bound"),
        ]
        problems += [msg for ok, msg in checks if not ok]
    except Exception as e:  # the scenario itself broke: still one result line, the trace in the log
        log(traceback.format_exc())
        problems.append(f"{type(e).__name__}: {e}")
    finally:
        feeder_stop.set()
        for m in mons:
            m.done = True
        if hook:
            hook.stopping = True
        for b in bots:
            b.stop()
        standin.stop()
        pg.stop()
    finish(not problems, figures, "; ".join(problems))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
