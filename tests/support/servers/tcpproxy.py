"""A small threaded TCP proxy on loopback that can misbehave on purpose.

Each new connection takes the next queued `Plan` (or passes traffic through): cut the connection after N
bytes of server→client traffic or before a given server answer, stall (stop forwarding but keep the socket
open) after N bytes, or slow every server→client chunk down.

    with TcpProxy("127.0.0.1", server_port) as proxy:
        proxy.cut_after(50_000)          # the next connection dies after 50 kB from the server
        ... connect to ("127.0.0.1", proxy.port) ...
"""
from __future__ import annotations

import socket
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Self

from tests.support.servers import guard


@dataclass(frozen=True)
class Plan:
    cut_after: int | None = None       # close both sides after this many server→client bytes
    stall_after: int | None = None     # stop forwarding server→client after this many bytes
    delay: float = 0.0                 # seconds to sleep before forwarding each server→client chunk
    cut_before: bytes | None = None    # close both sides instead of forwarding a chunk holding this


class TcpProxy:
    def __init__(self, target_host: str, target_port: int, chunk: int = 16384) -> None:
        self.target = (target_host, target_port)
        self.chunk = chunk
        self.connections = 0
        self.cuts = 0
        self.stalls = 0
        self._plans: deque[Plan] = deque()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._sockets: list[socket.socket] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._accept_loop, name="tcpproxy-accept", daemon=True)

    # ---- control -------------------------------------------------------------------------------------------
    def queue(self, plan: Plan, times: int = 1) -> None:
        with self._lock:
            self._plans.extend([plan] * times)

    def cut_after(self, nbytes: int, times: int = 1) -> None:
        self.queue(Plan(cut_after=nbytes), times)

    def cut_before(self, pattern: bytes, times: int = 1) -> None:
        """Cut when the server is about to send `pattern` (e.g. b"Logged in": the answer to LOGIN)."""
        self.queue(Plan(cut_before=pattern), times)

    def stall_after(self, nbytes: int, times: int = 1) -> None:
        self.queue(Plan(stall_after=nbytes), times)

    def slow(self, delay: float, times: int = 1) -> None:
        self.queue(Plan(delay=delay), times)

    def start(self) -> Self:
        guard.server_started("a TCP proxy")
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        _close(self._listener)            # shutdown() wakes the thread blocked in accept()
        with self._lock:
            for sock in self._sockets:
                _close(sock)
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- plumbing ------------------------------------------------------------------------------------------
    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                client, _addr = self._listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=10)
            except OSError:
                _close(client)
                continue
            upstream.settimeout(None)
            with self._lock:
                plan = self._plans.popleft() if self._plans else Plan()
                self.connections += 1
                self._sockets += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream, Plan()), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, plan), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, plan: Plan) -> None:
        sent = 0
        try:
            while not self._stop.is_set():
                data = src.recv(self.chunk)
                if not data:
                    break
                if plan.delay:
                    time.sleep(plan.delay)
                if plan.cut_before is not None and plan.cut_before in data:
                    with self._lock:
                        self.cuts += 1
                    break
                limit = plan.cut_after if plan.cut_after is not None else plan.stall_after
                if limit is not None and sent + len(data) >= limit:
                    dst.sendall(data[:max(limit - sent, 0)])
                    if plan.cut_after is not None:
                        with self._lock:
                            self.cuts += 1
                        break
                    with self._lock:
                        self.stalls += 1
                    self._stop.wait()        # stall: keep both sockets open, forward nothing more
                    break
                dst.sendall(data)
                sent += len(data)
        except OSError:
            pass
        _close(src)
        _close(dst)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
