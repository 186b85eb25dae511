"""A broken client of the Agent Protocol: each request is answered 4xx, and the logs hold one WARNING line at most
for it, never a traceback or an ERROR (those are for the server's own faults)."""

from __future__ import annotations

import socket
from pathlib import Path
from urllib.parse import urlsplit

from apclient import Server

JSON = b"Content-Type: application/json\r\n"
BAD_REQUESTS = [
    b"GARBAGE\r\n\r\n",
    b"GET /\xff HTTP/1.1\r\n\r\n",
    b"POST /ap/v1/agent/tasks HTTP/1.1\r\n" + JSON + b"Content-Length: 5\r\n\r\n{oops",
    b"POST /ap/v1/agent/tasks HTTP/1.1\r\n" + JSON + b"Content-Length: 13\r\n\r\n" + b'{"input":"\xff"}',
    b"POST /ap/v1/agent/tasks HTTP/1.1\r\n" + JSON + b"Content-Length: 20000\r\n\r\n" + b"[" * 10000 + b"]" * 10000,
    b"POST /ap/v1/agent/tasks HTTP/1.1\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi",
    b"POST /ap/v1/agent/tasks/x/artifacts HTTP/1.1\r\nContent-Type: multipart/form-data; boundary=zz\r\n"
    b"Content-Length: 5\r\n\r\nxxxxx",
    b"GET /ap/v1/agent/tasks?page_size=abc HTTP/1.1\r\n\r\n",
    b"GET /ap/v1/agent/tasks/%ff%fe/steps HTTP/1.1\r\n\r\n",
]


def address(server: Server) -> tuple[str, int]:
    url = urlsplit(server.url)
    assert url.hostname and url.port
    return url.hostname, url.port


def exchange(server: Server, request: bytes) -> bytes:
    """Send `request` on its own connection (closing after it) and read the answer to the end."""
    with socket.create_connection(address(server), timeout=20) as sock:
        sock.sendall(request.replace(b"\r\n", b"\r\nHost: x\r\nConnection: close\r\n", 1))
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def test_bad_requests_are_answered_4xx_without_a_traceback(server: Server, data_dir: Path) -> None:
    for request in BAD_REQUESTS:
        status = exchange(server, request).split(b" ", 2)[1]
        assert status.startswith(b"4"), (request[:60], status)
    with socket.create_connection(address(server), timeout=20) as sock:  # hangs up half way through its body
        sock.sendall(b"POST /ap/v1/agent/tasks HTTP/1.1\r\nHost: x\r\n" + JSON + b"Content-Length: 100\r\n\r\n{")
    assert server.api.ok("GET", "/agent/tasks")["tasks"] == []  # the server goes on
    server.stop()  # a graceful stop (exit 0): every request, the hung-up one too, was handled
    logs = data_dir / "logs"
    assert (logs / "error.log").read_text() == ""
    activity = (logs / "activity.log").read_text()
    assert "Traceback" not in activity
    assert "the client disconnected before sending its whole request" in activity
    assert [line for line in activity.splitlines() if " ERROR " in line] == []
