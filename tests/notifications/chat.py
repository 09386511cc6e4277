"""A chat service on 127.0.0.1 for the tests: records what is posted, answers as told."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class ChatServer:
    """Answer each POST with the next status in ``statuses`` (then 200), recording each one."""

    def __init__(self, statuses=()):
        self.statuses = list(statuses)
        self.received = []  # (status answered, payload) per request
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with outer.lock:
                    status = outer.statuses.pop(0) if outer.statuses else 200
                    outer.received.append(
                        (status, json.loads(body), self.headers.get("X-Rota-Delivery"))
                    )
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if status == 200 else b"error")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/chat"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    @property
    def delivered(self) -> list[dict]:
        """Return the payloads that were accepted (answered 200)."""
        with self.lock:
            return [payload for status, payload, _ in self.received if status == 200]


class DrippingServer:
    """Answer every request 200 with its headers at once, then one body byte a second.

    ``headers_drip`` drips the header lines too. Each request is recorded with the time its
    connection ended (cut by the client, or after ``length`` bytes).
    """

    def __init__(self, *, length: int = 600, headers_drip: bool = False):
        self.stop = threading.Event()
        self.received = []  # X-Rota-Delivery header per request
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                with outer.lock:
                    outer.received.append(self.headers.get("X-Rota-Delivery"))
                head = (
                    f"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                    f"Content-Length: {length}\r\n\r\n"
                ).encode()
                try:
                    if headers_drip:
                        for i in range(len(head)):
                            if outer.stop.wait(1):
                                return
                            self.wfile.write(head[i : i + 1])
                            self.wfile.flush()
                    else:
                        self.wfile.write(head)
                        self.wfile.flush()
                    for _ in range(length):
                        if outer.stop.wait(1):
                            return
                        self.wfile.write(b".")
                        self.wfile.flush()
                except OSError:
                    return  # the client hung up

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self._answer()

            def do_GET(self):
                self._answer()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/slow"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()
