"""python -m classroom --processes N --port P [--redis URL]: serve a class until Ctrl-C, and print
the address students type (with its QR code for the projector) and the teacher's link."""

from __future__ import annotations

import argparse
import os
import signal
import time

from classroom import address, serve
from classroom.store import RedisStore


def stop_on_signal(*_) -> None:
    raise KeyboardInterrupt  # the same clean stop as Ctrl-C


def announce(room: serve.Classroom, secret: str | None) -> None:
    """What the teacher needs: the students' address and its QR code, and the teacher link (None
    when this machine joins a class another one started in the same store)."""
    students = address.student_address(f"http://localhost:{room.port}/")
    others = [f"http://{ip}:{room.port}/" for ip in address.lan_addresses()[1:]]
    count = len(room.apps)
    print(f"Serving the class with {count} app process{'es' if count > 1 else ''}; "
          "Ctrl-C stops.\n")
    print(f"Students open:  {students}" + "".join(f"\n           or:  {url}" for url in others))
    print(address.qr_text(students))
    if secret is None:
        print("This machine serves the class already running in the store named by --redis: "
              "its teacher link is the one printed where it started.", flush=True)
        return
    print(f"Your teacher link (keep it to yourself; it makes its browser lead the class):\n"
          f"  {students}?teacher={secret}\n", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m classroom", description=serve.__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 2,
                        help="Streamlit processes (default: one per core)")
    parser.add_argument("--port", type=int, default=8501, help="the port students open")
    parser.add_argument("--redis", metavar="URL",
                        help="the class's store, e.g. redis://host:6379/0, when several machines "
                             "serve one class: the first starts the class, the others join it "
                             "(default: a redis-server of its own, and a new class)")
    args = parser.parse_args()
    room = serve.Classroom(max(1, args.processes), args.port, "--server.fileWatcherType", "none",
                           redis_url=args.redis)
    signal.signal(signal.SIGTERM, stop_on_signal)
    try:
        store = RedisStore(room.redis_url)
        joined = args.redis is not None and store.has_class()
        announce(room, None if joined else store.start_class())
        while room.nginx.poll() is None:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        room.stop()


if __name__ == "__main__":
    main()
