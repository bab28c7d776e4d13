#!/usr/bin/env python3
"""The peer baseline of bench/run (issue 16): what a Python bot on PostgreSQL would run for the
booking path — an aiohttp webhook and an asyncpg pool (the stack of an aiogram bot), handling
`/book <master> <YYYY-MM-DD> <HH:MM>` the way such a bot is usually written: one transaction
of six statements (BEGIN, record + register, the master row locked, the slot's facts, the
insert, the replies, COMMIT — the design bot-api had before it moved to three round trips and
`bot_book`, see bench_parts/booking.pgbench), and the same checks in Python: known master,
working hours, slot grid, not taken, the client's cap, at most once per update_id.

Bench-only: not part of the product, never deployed. It answers like bot-api's webhook
(200 {"ok": true, "outcome": ...}, 401 without the secret, 400 for a body that is not an
update), so bench/loadgen drives both the same way.

Usage: DATABASE_URL=… TELEGRAM_WEBHOOK_SECRET=… peer_webhook.py --listen 127.0.0.1:PORT [--pool 10]
(the URL and the secret come from the environment, never the command line)
"""
import argparse, datetime, json, os
from zoneinfo import ZoneInfo

import asyncpg
from aiohttp import web

RECORD_AND_REGISTER = """
WITH pu AS (INSERT INTO processed_updates (update_id) VALUES ($5) ON CONFLICT DO NOTHING RETURNING update_id),
ins AS (
  INSERT INTO users (telegram_id, chat_id, username, first_name)
  SELECT $1::bigint, $2::bigint, $3::text, $4::text FROM pu
  ON CONFLICT (telegram_id) DO UPDATE SET chat_id = EXCLUDED.chat_id,
    username = EXCLUDED.username, first_name = EXCLUDED.first_name, updated_at = now()
  WHERE (users.chat_id, users.username, users.first_name)
    IS DISTINCT FROM (EXCLUDED.chat_id, EXCLUDED.username, EXCLUDED.first_name)
  RETURNING id),
u AS (SELECT id FROM ins UNION ALL SELECT id FROM users WHERE telegram_id = $1 LIMIT 1)
SELECT EXISTS (SELECT 1 FROM pu) AS fresh, u.id AS user_id FROM (SELECT 1) AS one LEFT JOIN u ON TRUE"""
MASTER_DAY_LOCKED = """
SELECT m.id, m.display_name, m.time_zone, m.slot_minutes, m.active, u.chat_id, w.starts_local, w.ends_local
  FROM masters m JOIN users u ON u.id = m.user_id
  LEFT JOIN working_hours w ON w.master_id = m.id AND w.weekday = $2 WHERE m.id = $1 FOR UPDATE OF m"""
FACTS = """
SELECT (SELECT count(*) FROM bookings WHERE client_id = $1 AND status = 'confirmed' AND starts_at > now()),
       EXISTS (SELECT 1 FROM availability_blocks WHERE master_id = $2 AND starts_at < $4 AND ends_at > $3),
       EXISTS (SELECT 1 FROM bookings WHERE master_id = $2 AND status = 'confirmed' AND starts_at < $4 AND ends_at > $3)"""
INSERT_BOOKING = """
INSERT INTO bookings (master_id, client_id, starts_at, ends_at) VALUES ($1, $2, $3, $4)
ON CONFLICT DO NOTHING RETURNING id"""
ENQUEUE = """
INSERT INTO outbox (chat_id, method, payload)
SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::jsonb[])"""
MAX_ACTIVE = 5


def parse_book(text):
    """(master_id, date, time) of a well-formed /book, else None."""
    parts = text.split()
    if len(parts) != 4 or parts[0] != "/book":
        return None
    try:
        return int(parts[1]), datetime.date.fromisoformat(parts[2]), datetime.time.fromisoformat(parts[3])
    except ValueError:
        return None


async def book(conn, user_id, chat_id, req):
    """The booking decision and its writes; returns the outbox rows [(chat_id, payload)]."""
    master_id, date, at = req
    m = await conn.fetchrow(MASTER_DAY_LOCKED, master_id, date.isoweekday())
    if m is None or not m["active"] or m["starts_local"] is None:
        return [(chat_id, {"chat_id": chat_id, "text": "Sorry, I could not book that. No such master or day off."})]
    tz = ZoneInfo(m["time_zone"])
    start = datetime.datetime.combine(date, at, tz)
    end = start + datetime.timedelta(minutes=m["slot_minutes"])
    on_grid = (at.hour * 60 + at.minute - m["starts_local"].hour * 60 - m["starts_local"].minute) % m["slot_minutes"] == 0
    if not (m["starts_local"] <= at and end.time() <= m["ends_local"] and on_grid) \
            or start <= datetime.datetime.now(datetime.timezone.utc):
        return [(chat_id, {"chat_id": chat_id, "text": "Sorry, I could not book that. Not a free slot."})]
    active, blocked, taken = await conn.fetchrow(FACTS, user_id, master_id, start, end)
    if active >= MAX_ACTIVE or blocked or taken:
        return [(chat_id, {"chat_id": chat_id, "text": "Sorry, I could not book that. Not available."})]
    booking_id = await conn.fetchval(INSERT_BOOKING, master_id, user_id, start, end)
    if booking_id is None:
        return [(chat_id, {"chat_id": chat_id, "text": "Sorry, I could not book that. Just taken."})]
    when = f"{date} {at:%H:%M}"
    return [
        (chat_id, {"chat_id": chat_id,
                   "text": f"Booked: #{booking_id} with master #{master_id} ({m['display_name']}) on {when} ({m['time_zone']}).",
                   "reply_markup": {"inline_keyboard": [[{"text": f"Cancel #{booking_id}", "callback_data": f"c:{booking_id}"}]]}}),
        (m["chat_id"], {"chat_id": m["chat_id"], "text": f"New booking #{booking_id} on {when} ({m['time_zone']}). See /agenda {date}."}),
    ]


def handler(pool, secret):
    async def webhook(request):
        if request.headers.get("X-Telegram-Bot-Api-Secret-Token") != secret:
            return web.json_response({"ok": False, "error": "unauthorized"}, status=401)
        try:
            update = json.loads(await request.read())
            update_id, msg = int(update["update_id"]), update["message"]
            sender, chat_id, text = msg["from"], int(msg["chat"]["id"]), msg.get("text", "")
        except (ValueError, KeyError, TypeError):
            return web.json_response({"ok": False, "error": "bad_request"}, status=400)
        try:
            async with pool.acquire() as conn, conn.transaction():
                row = await conn.fetchrow(RECORD_AND_REGISTER, int(sender["id"]), chat_id,
                                          sender.get("username"), sender.get("first_name", ""), update_id)
                if not row["fresh"]:
                    return web.json_response({"ok": True, "outcome": "duplicate"})
                user_id = row["user_id"]
                if user_id is None:
                    # The user's first updates raced (as in bot-api): a new statement sees the row.
                    user_id = await conn.fetchval("SELECT id FROM users WHERE telegram_id = $1", int(sender["id"]))
                req = parse_book(text)
                out = await book(conn, user_id, chat_id, req) if req else \
                    [(chat_id, {"chat_id": chat_id, "text": "Usage: /book <master> <YYYY-MM-DD> <HH:MM>"})]
                await conn.execute(ENQUEUE, [c for c, _ in out], ["sendMessage"] * len(out),
                                   [json.dumps(p) for _, p in out])
        except (asyncpg.PostgresConnectionError, OSError):
            return web.json_response({"ok": False, "error": "unavailable"}, status=503)
        return web.json_response({"ok": True, "outcome": "processed"})
    return webhook


async def app(args):
    pool = await asyncpg.create_pool(args.database_url, min_size=args.pool, max_size=args.pool)
    application = web.Application()
    application.router.add_post("/telegram/webhook", handler(pool, args.secret))
    application.router.add_get("/ready", lambda _: web.json_response({"status": "ready"}))
    return application


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--listen", required=True)
    ap.add_argument("--pool", type=int, default=10)
    args = ap.parse_args()
    args.database_url, args.secret = os.environ["DATABASE_URL"], os.environ["TELEGRAM_WEBHOOK_SECRET"]
    host, port = args.listen.rsplit(":", 1)
    web.run_app(app(args), host=host, port=int(port), access_log=None, print=None)


if __name__ == "__main__":
    main()
