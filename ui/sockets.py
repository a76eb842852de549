"""Answers sent at once: Streamlit's server sockets (uvicorn behind Streamlit's own bound socket)
come without TCP_NODELAY, so after the first small message of a rerun the rest wait for the
browser's delayed acknowledgement, 40 ms on Linux: measured over the wire protocol, every rerun
took 44-60 ms even for a one-line app whose script ran in 2 ms."""

import os
import socket

_done = False


def send_without_delay() -> None:
    """Once per process: TCP_NODELAY on every TCP socket it holds, the listening one (Linux gives
    each connection it accepts the listener's setting) and the connections already open. Where
    there is no /proc (not Linux), nothing changes."""
    global _done
    if _done or not os.path.isdir("/proc/self/fd"):
        return
    _done = True
    for name in os.listdir("/proc/self/fd"):
        try:
            copy = os.dup(int(name))
        except OSError:  # the listing's own descriptor, closed by now
            continue
        try:
            sock = socket.socket(fileno=copy)  # the same socket, through a copy of its descriptor
        except OSError:  # not a socket
            os.close(copy)
            continue
        with sock:
            if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.type == socket.SOCK_STREAM:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
