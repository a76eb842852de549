"""The address students type: this machine's own network addresses (not loopback), read from its
interfaces without sending anything, and a QR code of it for the projector (segno)."""

from __future__ import annotations

import fcntl
import ipaddress
import socket
import struct
from urllib.parse import urlsplit

SIOCGIFADDR = 0x8915  # Linux: an interface's IPv4 address


def lan_addresses() -> list[str]:
    """This machine's IPv4 addresses other than loopback, in interface order (Linux)."""
    found = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for _, name in socket.if_nameindex():
            try:
                packed = fcntl.ioctl(sock.fileno(), SIOCGIFADDR,
                                     struct.pack("256s", name.encode()[:15]))
            except OSError:  # an interface without an IPv4 address
                continue
            address = socket.inet_ntoa(packed[20:24])
            if not ipaddress.ip_address(address).is_loopback:
                found.append(address)
    return found


def student_address(url: str) -> str:
    """The address students type for an app seen at url: a loopback host (the teacher's own
    "localhost") is replaced by this machine's first network address; the port is kept."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    loopback = host == "localhost" or _is_loopback(host)
    if loopback and lan_addresses():
        host = lan_addresses()[0]
    elif ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme or 'http'}://{host}{port}/"


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def qr_png(url: str) -> bytes:
    """url as a QR code, a PNG image in memory (no file, no network)."""
    import io

    import segno

    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="png", scale=6, border=2)
    return out.getvalue()


def qr_text(url: str) -> str:
    """url as a QR code drawn with block characters, for a terminal projected on the wall."""
    import io

    import segno

    out = io.StringIO()
    segno.make(url, error="m").terminal(out=out, compact=True)
    return out.getvalue()
