"""Serve a whole class from one machine: N `streamlit run app.py` processes behind nginx.

One Streamlit process runs Python on one core at a time, so a class of 100 is served by several
processes. nginx (Debian's package: apt-get install -y nginx) listens on one port, proxies the
websocket at /_stcore/stream, and keeps each browser on the process its session lives in: the
first response sets a cookie with a random route, and `hash $route consistent` sends every later
request with that cookie to the same process (a school behind one NAT address still spreads over
all processes, which ip_hash would not do).

Run: python -m classroom --processes 4 --port 8501 (Ctrl-C stops nginx and every process).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from harness.server import Server, wait_healthy
from harness.warm import warm
from lessons import LESSONS

COOKIE = "explorer_route"


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
    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ""      close;
    }}
    upstream streamlit {{
        hash $route consistent;
{servers}
    }}
    server {{
        listen 127.0.0.1:{port};
        listen [::1]:{port};
        location / {{
            proxy_pass http://streamlit;
            proxy_http_version 1.1;
            proxy_set_header Host $host;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_read_timeout 86400s;
            proxy_buffering off;
            add_header Set-Cookie "{COOKIE}=$route; Path=/; HttpOnly; SameSite=Lax" always;
            add_header X-Served-By $upstream_addr always;  # which process answered
        }}
    }}
}}
"""


class Classroom:
    """N app processes and nginx in front of them; stop() ends them all."""

    def __init__(self, processes: int, port: int, *options: str) -> None:
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(nginx).exists():
            raise SystemExit("nginx is not installed: apt-get install -y nginx")
        self.prefix = Path(tempfile.mkdtemp(prefix="classroom-"))
        self.apps = [Server(*options) for _ in range(processes)]
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
        shutil.rmtree(self.prefix, ignore_errors=True)
