"""The fault suite's Telegram Bot API stand-in (Python twin of shared/src/testing/telegram.rs).

A threaded HTTP server on 127.0.0.1:<free port> answering `POST /bot<token>/<method>` the way
bot-api calls it (bot-api/src/telegram/client.rs: JSON body, answer `{"ok", "result"}`,
`parameters.retry_after` on 429). It records every call and every delivery (a call answered
200), and answers as its `policy` says: ok, 429 with `retry_after`, any status, or slowly.
`getUpdates` serves a queue honouring `offset` (updates below it are confirmed and forgotten,
as Telegram does) and long-polls briefly when there is nothing to serve.

Chats: a call's chat is `payload.chat_id`; `answerCallbackQuery` has none, so a callback query
id written `<chat>-<n>` (see common.callback_update) names its chat. Per chat, the time and
`retry_after` of each 429 are kept and the chat's next call is checked against them
(`early_retries`).
"""
import json, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

OK = ("ok",)


def too_many(retry_after):
    """Policy answer: 429 with parameters.retry_after."""
    return ("429", retry_after)


def status(code):
    """Policy answer: that HTTP status with a Bot API error body."""
    return ("status", code)


def slow(seconds):
    """Policy answer: 200 after a delay."""
    return ("slow", seconds)


def chat_of(method, payload):
    """The chat a call concerns, or None (getUpdates, setWebhook…)."""
    if "chat_id" in payload:
        return int(payload["chat_id"])
    if method == "answerCallbackQuery":
        head = str(payload.get("callback_query_id", "")).split("-")[0]
        return int(head) if head.lstrip("-").isdigit() else None
    return None


class Delivery:
    """A call answered 200 (a message Telegram accepted)."""
    __slots__ = ("method", "chat", "payload", "at")

    def __init__(self, method, chat, payload, at):
        self.method, self.chat, self.payload, self.at = method, chat, payload, at

    @property
    def text(self):
        return self.payload.get("text")


class StandIn:
    """The stand-in. `base` is bot-api's TELEGRAM_API_BASE. Thread-safe; stop() when done."""

    def __init__(self, token, poll_hold=1.0):
        self.token, self.poll_hold = token, poll_hold
        self.lock = threading.Condition()
        self.policy = lambda method, payload, chat: OK
        self.calls = []          # (method, chat, time, answer kind) of every call
        self.deliveries = []     # Delivery of every call answered 200 (getUpdates excluded)
        self.bad_token = 0       # calls whose URL did not hold the token
        self.n429 = self.n5xx = self.early_retries = 0
        self.early = []          # (chat, seconds too early)
        self.last_429 = {}       # chat -> (time the 429 was answered, retry_after)
        self.updates = []        # queued updates for getUpdates, ascending update_id
        self.served = set()      # update ids handed out by getUpdates
        self.offsets = []        # offsets getUpdates was called with, in order
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    # --- what tests set -------------------------------------------------------------------
    def set_policy(self, fn):
        """fn(method, payload, chat) -> OK | too_many(s) | status(code) | slow(s), for every call
        but getUpdates; called under the lock, so a counter in it is safe."""
        with self.lock:
            self.policy = fn

    def push_updates(self, updates):
        """Queues updates for getUpdates (wakes a waiting long poll)."""
        with self.lock:
            self.updates.extend(updates)
            self.updates.sort(key=lambda u: u["update_id"])
            self.lock.notify_all()

    def queue_left(self):
        """Updates not yet confirmed by a later offset."""
        with self.lock:
            return len(self.updates)

    def delivered(self, method=None):
        with self.lock:
            return [d for d in self.deliveries if method is None or d.method == method]

    # --- the server -----------------------------------------------------------------------
    def _answer(self, method, payload):
        """(HTTP status, body, delay) for one call; records it."""
        now = time.monotonic()
        with self.lock:
            if method == "getUpdates":
                return self._get_updates(payload)
            chat = chat_of(method, payload)
            if chat is not None and chat in self.last_429:
                at, after = self.last_429.pop(chat)
                if now < at + after:
                    self.early_retries += 1
                    self.early.append((chat, round(at + after - now, 3)))
            kind = self.policy(method, payload, chat)
            self.calls.append((method, chat, now, kind[0]))
            if kind[0] == "429":
                self.n429 += 1
                if chat is not None:
                    self.last_429[chat] = (time.monotonic(), kind[1])
                return 429, {"ok": False, "error_code": 429, "description": "Too Many Requests: retry later",
                             "parameters": {"retry_after": kind[1]}}, 0
            if kind[0] == "status":
                self.n5xx += kind[1] >= 500
                return kind[1], {"ok": False, "error_code": kind[1], "description": f"Stand-in says {kind[1]}"}, 0
            delay = kind[1] if kind[0] == "slow" else 0
            if delay == 0:
                self.deliveries.append(Delivery(method, chat, payload, now))
            result = True
            if method in ("sendMessage", "editMessageText"):
                result = {"message_id": len(self.deliveries), "date": int(time.time()),
                          "chat": {"id": chat, "type": "private"}, "text": payload.get("text", "")}
            return 200, {"ok": True, "result": result}, delay

    def _get_updates(self, payload):
        """Under the lock: confirm below offset, serve up to limit, hold briefly when empty."""
        offset = int(payload.get("offset") or 0)
        limit = int(payload.get("limit") or 100)
        self.offsets.append(offset)
        deadline = time.monotonic() + min(float(payload.get("timeout") or 0), self.poll_hold)
        while True:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
            due = self.updates[:limit]
            left = deadline - time.monotonic()
            if due or left <= 0:
                break
            self.lock.wait(left)
        self.served.update(u["update_id"] for u in due)
        return 200, {"ok": True, "result": due}, 0

    def _handler(self):
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                parts = self.path.strip("/").split("/")
                if len(parts) != 2 or not parts[0].startswith("bot"):
                    return self._send(404, {"ok": False, "description": "Not Found"})
                if parts[0] != "bot" + standin.token:
                    with standin.lock:
                        standin.bad_token += 1
                    return self._send(401, {"ok": False, "description": "Unauthorized"})
                try:
                    payload = json.loads(body or b"{}")
                except ValueError:
                    return self._send(400, {"ok": False, "description": "Bad Request: not JSON"})
                code, answer, delay = standin._answer(parts[1], payload)
                if delay:
                    time.sleep(delay)
                    with standin.lock:
                        chat = chat_of(parts[1], payload)
                        standin.deliveries.append(Delivery(parts[1], chat, payload, time.monotonic()))
                self._send(code, answer)

            def _send(self, code, obj):
                data = json.dumps(obj).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                try:
                    self.wfile.write(data)
                except OSError:
                    pass  # the caller gave up (timeout, killed): it did not see the answer

            def log_message(self, *args):
                pass

        return Handler
