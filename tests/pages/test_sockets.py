"""The server's sockets send without Nagle's delay (ui/sockets.py)."""

import socket
import sys

import pytest

from ui import sockets


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/fd")
def test_every_tcp_socket_of_the_process_and_each_connection_it_accepts_send_at_once(monkeypatch):
    listener = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(listener.getsockname())
    open_before, _ = listener.accept()
    pipe_like = socket.socketpair()  # not TCP: left as it is
    for sock in (listener, open_before):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 0)
    monkeypatch.setattr(sockets, "_done", False)
    sockets.send_without_delay()
    later = socket.create_connection(listener.getsockname())
    accepted_later, _ = listener.accept()
    try:
        for sock in (listener, open_before, accepted_later):
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
        assert pipe_like[0].fileno() >= 0 and listener.fileno() >= 0  # nothing was closed
        open_before.sendall(b"still open")
        assert client.recv(10) == b"still open"
    finally:
        for sock in (listener, client, open_before, later, accepted_later, *pipe_like):
            sock.close()
