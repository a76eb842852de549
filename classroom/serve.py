"""Serve a whole class from one machine: N `streamlit run app.py` processes behind nginx, with
Redis beside them holding the class (classroom.store).

nginx (Debian's package: apt-get install -y nginx) listens on the class port on every interface,
IPv4 and IPv6, so students' laptops reach it; the app processes listen on 127.0.0.1 only, behind
it. nginx proxies the websocket at /_stcore/stream, and keeps each browser on the process its
session lives in: the first response sets a cookie with a random route, and `hash $route
consistent` sends every later request with that cookie to the same process (a school behind one
NAT address still spreads over all processes, which ip_hash would not do).

Redis (Debian's redis-server) runs on a free loopback port unless a store is named (--redis URL,
for a class served from several machines); every process reads the class from it.

Run: python -m classroom --processes 4 --port 8501 (Ctrl-C stops everything it started).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from harness.server import Server, free_port, wait_healthy
from harness.warm import warm
from lessons import LESSONS

COOKIE = "explorer_route"

# What keeps an app process's memory steady over a day of classes: glibc gives each thread that
# allocates its own arena (sessions are threads), and freed memory stays in them; two arenas keep
# the freed memory where the next class reuses it (README, "For a class"; bench.soak measures it).
APP_ENV = {"MALLOC_ARENA_MAX": "2"}


def nginx_conf(port: int, backends: list[int], prefix: Path) -> str:
    """nginx's whole configuration for a class: one port in front of the given backends."""
    servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=0;" for p in backends)
    return f"""worker_processes 1;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    # A browser without the cookie gets a fresh random route, then keeps it for its session.
    map $cookie_{COOKIE} $route {{
        ""      $request_id;
        default $cookie_{COOKIE};
    }}
    # The teacher link (?teacher=SECRET) leaves its secret in an HttpOnly cookie, so that a
    # reload of the teacher's browser still leads (the app checks it; the page removes the
    # parameter from the address bar at once).
    map $arg_teacher $teacher_cookie {{
        ""      "";
        default "explorer_teacher=$arg_teacher; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200";
    }}
    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ""      close;
    }}
    upstream streamlit {{
        hash $route consistent;
{servers}
    }}
    server {{
        # every interface: the students' laptops are other machines
        listen {port};
        listen [::]:{port};
        location / {{
            proxy_pass http://streamlit;
            proxy_http_version 1.1;
            proxy_set_header Host $host;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_read_timeout 86400s;
            proxy_buffering off;
            add_header Set-Cookie "{COOKIE}=$route; Path=/; HttpOnly; SameSite=Lax" always;
            add_header Set-Cookie $teacher_cookie always;
            add_header X-Served-By $upstream_addr always;  # which process answered
        }}
    }}
}}
"""


def installed(program: str) -> str | None:
    """The path of a Debian program (in sbin too, which a user's PATH may lack), or None."""
    return shutil.which(program) or shutil.which(program, path="/usr/sbin:/usr/bin")


def _needed(program: str, package: str) -> str:
    found = installed(program)
    if found is None:
        raise SystemExit(f"{program} is not installed: apt-get install -y {package}")
    return found


class RedisServer:
    """Debian's redis-server on 127.0.0.1 (on a free port, or the one given), in memory only
    (nothing saved to disk): the class's state lives as long as the class server."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = subprocess.Popen(
            [_needed("redis-server", "redis-server"), "--port", str(self.port),
             "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL)
        self._wait()

    def _wait(self, seconds: float = 10) -> None:
        import redis

        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"redis-server did not answer on port {self.port}")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)

    def __enter__(self) -> RedisServer:
        return self

    def __exit__(self, *_) -> None:
        self.stop()


class Classroom:
    """N app processes on 127.0.0.1, nginx in front of them on every interface, and the class's
    store (Redis at redis_url, else a redis-server of its own); stop() ends what it started."""

    def __init__(self, processes: int, port: int, *options: str,
                 redis_url: str | None = None) -> None:
        nginx = _needed("nginx", "nginx")
        self.redis = None if redis_url else RedisServer()
        self.redis_url = redis_url or self.redis.url
        self.prefix = Path(tempfile.mkdtemp(prefix="classroom-"))
        env = APP_ENV | {"EXPLORER_REDIS": self.redis_url}
        self.apps = [Server("--server.address", "127.0.0.1", *options, env=env)
                     for _ in range(processes)]
        self.port = port
        self.url = f"http://localhost:{port}"
        conf = self.prefix / "nginx.conf"
        conf.write_text(nginx_conf(port, [app.port for app in self.apps], self.prefix))
        self.nginx = subprocess.Popen([nginx, "-c", str(conf), "-p", str(self.prefix)],
                                      stdout=subprocess.DEVNULL)
        wait_healthy(self.url, self.stop)
        for app in self.apps:  # every lesson's course view computed before the first student
            warm(app.url, list(LESSONS))

    @property
    def pids(self) -> list[int]:
        return [app.process.pid for app in self.apps]

    def stop(self) -> None:
        self.nginx.terminate()
        self.nginx.wait(timeout=10)
        for app in self.apps:
            app.stop()
        if self.redis is not None:
            self.redis.stop()
        shutil.rmtree(self.prefix, ignore_errors=True)
