"""Real sockets for tests: an app served by uvicorn, and a raw HTTP/1.1 client (h11) on one connection.

The raw client sends exactly the bytes a hostile client would (a non-UTF-8 header byte, ``%00``, a
chunked body) on one connection it never silently replaces, so a test can prove that the next request on
the *same* keep-alive connection is still answered.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

import h11
import orjson
import uvicorn

PROBLEM_JSON = "application/problem+json"


@contextlib.asynccontextmanager
async def serving(app: Any) -> AsyncIterator[str]:
    """Serve ``app`` with uvicorn (lifespan on) on a free loopback port; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    # proxy_headers off: the app itself decides whom to believe about X-Forwarded-For.
    config = uvicorn.Config(
        app, lifespan="on", log_level="warning", timeout_keep_alive=60, proxy_headers=False
    )
    server = uvicorn.Server(config)

    async def serve() -> None:
        try:
            await server.serve(sockets=[sock])
        except SystemExit as exc:  # uvicorn exits the process when the lifespan startup fails
            raise RuntimeError(f"the app failed to start (uvicorn exit {exc.code}); see the log") from None

    task = asyncio.create_task(serve())
    try:
        for _ in range(600):
            if server.started or task.done():
                break
            await asyncio.sleep(0.05)
        if task.done():
            task.result()
        assert server.started, "uvicorn did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 30)
        sock.close()


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    def json(self) -> Any:
        return orjson.loads(self.body)


class RawConnection:
    """One HTTP/1.1 connection; ``request`` fails loudly if the server closed it."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.conn = h11.Connection(our_role=h11.CLIENT)
        self.peer = writer.get_extra_info("peername")

    @classmethod
    async def open(cls, base_url: str, *, source: str | None = None) -> RawConnection:
        """Connect to ``base_url`` (from the loopback address ``source``, e.g. 127.0.0.2, when given)."""
        host, port = base_url.removeprefix("http://").split(":")
        local = (source, 0) if source else None
        reader, writer = await asyncio.open_connection(host, int(port), local_addr=local)
        return cls(reader, writer)

    async def request(
        self,
        method: str,
        target: bytes | str,
        *,
        headers: Sequence[tuple[bytes, bytes]] = (),
        body: bytes | None = None,
        chunks: Sequence[bytes] | None = None,
    ) -> Answer:
        if self.conn.our_state is h11.DONE and self.conn.their_state is h11.DONE:
            self.conn.start_next_cycle()
        target_bytes = target.encode() if isinstance(target, str) else target
        hdrs: list[tuple[bytes, bytes]] = [(b"host", b"test"), *headers]
        if chunks is not None:
            hdrs.append((b"transfer-encoding", b"chunked"))
        elif body is not None:
            hdrs.append((b"content-length", str(len(body)).encode()))
        out = self.conn.send(h11.Request(method=method, target=target_bytes, headers=hdrs)) or b""
        if chunks is not None:
            for chunk in chunks:
                out += self.conn.send(h11.Data(data=chunk)) or b""
        elif body:
            out += self.conn.send(h11.Data(data=body)) or b""
        out += self.conn.send(h11.EndOfMessage()) or b""
        self.writer.write(out)
        with contextlib.suppress(ConnectionError):
            await self.writer.drain()
        return await self._read_answer()

    async def send_head(self, method: str, target: bytes, headers: Sequence[tuple[bytes, bytes]]) -> Answer:
        """Send only the request head (a body is announced but never sent) and read the answer."""
        if self.conn.our_state is h11.DONE and self.conn.their_state is h11.DONE:
            self.conn.start_next_cycle()
        hdrs: list[tuple[bytes, bytes]] = [(b"host", b"test"), *headers]
        self.writer.write(self.conn.send(h11.Request(method=method, target=target, headers=hdrs)) or b"")
        await self.writer.drain()
        return await self._read_answer()

    async def _read_answer(self) -> Answer:
        status = 0
        headers: dict[str, str] = {}
        body = b""
        while True:
            event = self.conn.next_event()
            if event is h11.NEED_DATA:
                data = await asyncio.wait_for(self.reader.read(65536), 30)
                if not data:
                    raise ConnectionResetError("the server closed the connection")
                self.conn.receive_data(data)
                continue
            if isinstance(event, h11.Response):
                status = event.status_code
                headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in event.headers}
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                return Answer(status, headers, body)
            elif isinstance(event, h11.ConnectionClosed):
                raise ConnectionResetError("the server closed the connection")

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(Exception):
            await self.writer.wait_closed()
