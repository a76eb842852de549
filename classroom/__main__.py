"""python -m classroom --processes N --port P: serve a class until Ctrl-C."""

from __future__ import annotations

import argparse
import os
import signal
import time

import classroom


def stop_on_signal(*_) -> None:
    raise KeyboardInterrupt  # the same clean stop as Ctrl-C


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m classroom", description=classroom.__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 2,
                        help="Streamlit processes (default: one per core)")
    parser.add_argument("--port", type=int, default=8501, help="the port students open")
    args = parser.parse_args()
    room = classroom.Classroom(max(1, args.processes), args.port,
                               "--server.fileWatcherType", "none")
    print(f"Serving the class at {room.url} with {len(room.apps)} processes; Ctrl-C stops.")
    signal.signal(signal.SIGTERM, stop_on_signal)
    try:
        while room.nginx.poll() is None:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        room.stop()


if __name__ == "__main__":
    main()
