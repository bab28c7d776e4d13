"""Issue 16's upkeep figures for bench/run, on the >= 3M-booking database of parts 3 and 4:
bot-api's reminder sweep and retention prune, each statement read from the Rust source (so the
figure cannot drift from the code) and run under EXPLAIN ANALYZE inside a transaction that is
rolled back, so the database is left as seeded. Reported: time per statement and the rows it
locks (the sweep's LockRows, the prune's deleted rows: each batch is its own short statement).

The seed's bookings start weeks ahead, so the sweep is measured twice: with the default lead
time (nothing due: the every-minute case) and with a lead time reaching the first bookings
(a full batch due). The prune is measured with nothing past retention and with every seeded
update id and sent message aged past it."""
import json, re

from .common import ROOT


def rust_str(path, marker):
    """The Rust string literal that follows `marker` in `path`, unescaped (line continuations,
    \\" and \\\\)."""
    src = (ROOT / path).read_text()
    at = src.index(marker) + len(marker)
    start = src.index('"', at) + 1
    out, i = [], start
    while src[i] != '"':
        if src[i] == "\\":
            nxt = src[i + 1]
            if nxt == "\n":
                i += 2
                while src[i] in " \t":
                    i += 1
                continue
            out.append({"n": "\n", "t": "\t"}.get(nxt, nxt))
            i += 2
            continue
        out.append(src[i])
        i += 1
    return "".join(out)


def explain(cluster, db, setup, sql):
    """(ms, rows its LockRows node locked) of `sql` under EXPLAIN ANALYZE after `setup`, rolled
    back."""
    out = cluster.psql(db, f"BEGIN; {setup} EXPLAIN (ANALYZE, FORMAT JSON) {sql}; ROLLBACK;")
    top = json.loads(out[out.index("["):])[0]

    def locked(node):
        own = node.get("Actual Rows", 0) if node.get("Node Type") == "LockRows" else 0
        return max([own] + [locked(c) for c in node.get("Plans", [])])
    return top["Execution Time"], locked(top["Plan"])


def run(cluster, db, rows, data):
    sweep = rust_str("bot-api/src/reminders.rs", "sqlx::query_as(")
    batch = int(re.search(r"const BATCH: i64 = (\d+);", (ROOT / "bot-api/src/reminders.rs").read_text()).group(1))
    first = cluster.psql(db, "SELECT ceil(extract(epoch FROM min(starts_at) - now()) / 60) + 300 FROM bookings")
    out = {}
    for name, minutes in (("nothing due", 1440), ("a full batch due", int(float(first)))):
        sql = sweep.replace("$1", str(minutes)).replace("$2", str(batch))
        ms, locked = explain(cluster, db, "", sql)
        out[f"sweep, {name}"] = {"ms": ms, "rows_locked": locked}
    prune_batch = 5000
    prunes = [(t, rust_str("bot-api/src/retention.rs", f"const {c}: &str =").replace("$1", str(k)).replace("$2", str(prune_batch)), a)
              for t, c, k, a in (("processed_updates", "PRUNE_PROCESSED_UPDATES", 7 * 86400,
                                  "UPDATE processed_updates SET processed_at = now() - interval '8 days';"),
                                 ("outbox", "PRUNE_OUTBOX", 30 * 86400,
                                  "UPDATE outbox SET created_at = now() - interval '31 days' WHERE status IN ('sent', 'failed');"))]
    # Every "nothing past retention" first: an aging update, even rolled back, leaves index
    # entries behind (until vacuum) that a later scan would have to step over.
    for table, sql, _ in prunes:
        ms, _ = explain(cluster, db, "", sql)
        out[f"prune {table}, nothing past retention"] = {"ms": ms, "rows_locked": 0}
    for table, sql, age in prunes:
        ms, _ = explain(cluster, db, age, sql)
        out[f"prune {table}, all past retention"] = {"ms": ms, "rows_locked": prune_batch}
    bookings = data.get("backup_db", {}).get("bookings", 0)
    data["upkeep"] = out
    for what, f in out.items():
        rows.append({"n": 7, "what": f"{what} ({bookings:,} bookings; one statement)",
                     "figure": f"{f['ms']:.1f} ms, {f['rows_locked']:,} rows locked", "target": "", "met": None})
