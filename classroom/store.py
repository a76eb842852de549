"""A class's shared state: who the teacher is, the teacher's current view with a version number,
the lesson plan, and how many students follow or explore.

A store holds one class (the class of the server it serves: students type its address, never a
class number). In one process the in-memory store serves, with nothing to install; a class served
by several processes or machines shares a Redis store (`python -m classroom` starts Debian's
redis-server, or takes --redis URL), named by the environment variable EXPLORER_REDIS. The store
keeps a hash of the teacher's secret, never the secret itself. Losing a Redis store raises
StoreDown: the page says so and keeps the student's own view.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
import time
from dataclasses import dataclass, replace
from urllib.parse import parse_qsl, urlencode

PRESENCE_SECONDS = 10.0  # a browser not seen for this long no longer counts as in the class
CLASS_HOURS = 24  # a class nobody leads for this long ends by itself (Redis expiry)
TIMEOUT = 0.5  # seconds a poll waits for Redis before it says the class is unreachable


class StoreDown(Exception):
    """The shared store cannot be reached: following stops until it answers again."""


@dataclass(frozen=True)
class View:
    """What a screen shows: a page (a lesson's url path, "" for home) and its link's query string,
    every control, tab and pinned view of the page; a person's own settings left out."""

    page: str
    query: str = ""

    @classmethod
    def of(cls, page: str, params: dict[str, str]) -> View:
        """The view of page with these link parameters, in a canonical order."""
        return cls(page, urlencode(sorted(params.items())))

    @property
    def params(self) -> dict[str, str]:
        return dict(parse_qsl(self.query, keep_blank_values=True))

    @property
    def link(self) -> str:
        """The view as a link from the app's root: "/explosion?ex_std=1"."""
        return f"/{self.page}" + (f"?{self.query}" if self.query else "")


@dataclass(frozen=True)
class Lead:
    """The teacher's side of the class as a follower reads it in one look."""

    version: int  # goes up by one each time the teacher's view changes
    view: View | None
    plan: str | None  # the lesson plan as JSON (classroom.plans), or None
    step: int  # the plan's step the teacher is on, -1 before the first
    active: bool = True  # False: no class (none started, or the teacher ended it)
    class_id: str = ""  # which class: a new class (a new secret) has another


NO_CLASS = Lead(0, None, None, -1, active=False)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def class_id(held: str) -> str:
    """A class's id, from the digest of its secret (which it does not reveal)."""
    return digest(held)[:16]


def new_secret() -> str:
    return secrets.token_urlsafe(24)


class MemoryStore:
    """The class of one process, in its memory: what a plain `streamlit run app.py` uses."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clear()

    def _clear(self) -> None:
        self._secret: str | None = None
        self._lead = NO_CLASS
        self._seen: dict[str, tuple[float, bool]] = {}  # browser -> (when, exploring)

    def start_class(self) -> str:
        """A new class (ending any other); returns the teacher's secret."""
        secret = new_secret()
        with self._lock:
            self._clear()
            self._secret = digest(secret)
            self._lead = Lead(0, None, None, -1, class_id=class_id(self._secret))
        return secret

    def end_class(self) -> None:
        with self._lock:
            self._clear()

    def has_class(self) -> bool:
        return self._secret is not None

    def is_teacher(self, secret: str) -> bool:
        held = self._secret
        return held is not None and hmac.compare_digest(held, digest(secret))

    def publish(self, view: View) -> int:
        with self._lock:
            self._lead = replace(self._lead, version=self._lead.version + 1, view=view)
            return self._lead.version

    def save_plan(self, plan: str | None, step: int) -> None:
        with self._lock:
            self._lead = replace(self._lead, plan=plan, step=step)

    def lead(self) -> Lead:
        return self._lead

    def seen(self, browsers: dict[str, bool]) -> None:
        """These browsers are in the class now, each following (False) or exploring (True)."""
        with self._lock:
            now = time.monotonic()
            self._seen.update({b: (now, exploring) for b, exploring in browsers.items()})
            for old in [b for b, (when, _) in self._seen.items()
                        if when < now - PRESENCE_SECONDS]:
                del self._seen[old]

    def counts(self) -> tuple[int, int]:
        """(following, exploring): the browsers seen in the last PRESENCE_SECONDS."""
        since = time.monotonic() - PRESENCE_SECONDS
        recent = [exploring for when, exploring in list(self._seen.values()) if when >= since]
        return len(recent) - sum(recent), sum(recent)


class RedisStore:
    """The class in Redis, shared by every process and machine that names the same store.

    One hash holds the secret's digest, the version, the view, the plan and its step (a publish
    is one atomic HINCRBY + HSET); two sorted sets hold the browsers seen, scored by when."""

    def __init__(self, url: str, prefix: str = "explorer:class") -> None:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        # a poll must not hang on a lost store: one short try, the next poll tries again
        self._redis = redis.Redis.from_url(url, socket_timeout=TIMEOUT,
                                           socket_connect_timeout=TIMEOUT,
                                           retry=Retry(NoBackoff(), 0), decode_responses=True)
        self._errors = (redis.ConnectionError, redis.TimeoutError)
        self._class = prefix
        self._presence = {False: f"{prefix}:following", True: f"{prefix}:exploring"}

    def _do(self, build):
        """Run the commands build(pipeline) queues, in one round trip (MULTI/EXEC)."""
        try:
            with self._redis.pipeline() as pipe:
                build(pipe)
                return pipe.execute()
        except self._errors as error:
            raise StoreDown(str(error)) from error

    def _keys(self) -> list[str]:
        return [self._class, *self._presence.values()]

    def start_class(self) -> str:
        secret = new_secret()

        def build(pipe):
            pipe.delete(*self._keys())
            pipe.hset(self._class, mapping={"secret": digest(secret), "version": 0, "step": -1})
            pipe.expire(self._class, CLASS_HOURS * 3600)
        self._do(build)
        return secret

    def end_class(self) -> None:
        self._do(lambda pipe: pipe.delete(*self._keys()))

    def has_class(self) -> bool:
        return bool(self._do(lambda pipe: pipe.hexists(self._class, "secret"))[0])

    def is_teacher(self, secret: str) -> bool:
        held = self._do(lambda pipe: pipe.hget(self._class, "secret"))[0]
        return held is not None and hmac.compare_digest(held, digest(secret))

    def publish(self, view: View) -> int:
        def build(pipe):
            pipe.hincrby(self._class, "version", 1)
            pipe.hset(self._class, mapping={"page": view.page, "query": view.query})
            pipe.expire(self._class, CLASS_HOURS * 3600)
        return int(self._do(build)[0])

    def save_plan(self, plan: str | None, step: int) -> None:
        def build(pipe):
            if plan is None:
                pipe.hdel(self._class, "plan")
            else:
                pipe.hset(self._class, "plan", plan)
            pipe.hset(self._class, "step", step)
        self._do(build)

    def lead(self) -> Lead:
        fields = ("secret", "version", "page", "query", "plan", "step")
        values = dict(zip(fields, self._do(lambda pipe: pipe.hmget(self._class, fields))[0],
                          strict=True))
        if values["secret"] is None:
            return NO_CLASS
        view = None if values["page"] is None else View(values["page"], values["query"] or "")
        return Lead(int(values["version"] or 0), view, values["plan"],
                    int(values["step"] if values["step"] is not None else -1),
                    class_id=class_id(values["secret"]))

    def seen(self, browsers: dict[str, bool]) -> None:
        now = time.time()

        def build(pipe):
            for exploring in (False, True):
                present = {b: now for b, flag in browsers.items() if flag == exploring}
                if present:
                    pipe.zadd(self._presence[exploring], present)
                    pipe.zrem(self._presence[not exploring], *present)
            for key in self._presence.values():
                pipe.zremrangebyscore(key, "-inf", now - PRESENCE_SECONDS)
                pipe.expire(key, CLASS_HOURS * 3600)
        self._do(build)

    def counts(self) -> tuple[int, int]:
        since = time.time() - PRESENCE_SECONDS
        following, exploring = self._do(lambda pipe: [
            pipe.zcount(self._presence[flag], since, "+inf") for flag in (False, True)])
        return following, exploring


_shared: MemoryStore | RedisStore | None = None
_shared_lock = threading.Lock()


def shared() -> MemoryStore | RedisStore:
    """This process's store: Redis at $EXPLORER_REDIS, else one in memory (made once)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            url = os.environ.get("EXPLORER_REDIS")
            _shared = RedisStore(url) if url else MemoryStore()
        return _shared
