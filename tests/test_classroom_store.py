"""The class's shared state (classroom.store), in memory and in a real redis-server started on a
free loopback port: the same behaviour from both, a lost store said plainly, and a store that
comes back found again."""

from __future__ import annotations

import pytest

from classroom import store as stores
from classroom.serve import RedisServer
from classroom.store import MemoryStore, RedisStore, StoreDown, View
from harness.system import need_installed


@pytest.fixture(scope="module")
def redis_server():
    need_installed("redis-server")
    with RedisServer() as server:
        yield server


@pytest.fixture(params=["memory", "redis"])
def store(request):
    if request.param == "memory":
        return MemoryStore()
    server = request.getfixturevalue("redis_server")
    found = RedisStore(server.url, prefix=f"test:{request.node.name}")
    found.end_class()
    return found


def test_the_teacher_is_whoever_holds_the_secret(store):
    assert not store.has_class()
    assert not store.is_teacher("anything")
    secret = store.start_class()
    assert store.has_class() and len(secret) >= 32
    assert store.is_teacher(secret)
    assert not store.is_teacher(secret[:-1]) and not store.is_teacher("")
    newer = store.start_class()  # a new class: the old link leads nothing
    assert store.is_teacher(newer) and not store.is_teacher(secret)
    store.end_class()
    assert not store.has_class() and not store.is_teacher(newer)


def test_the_store_keeps_a_digest_not_the_secret(redis_server):
    store = RedisStore(redis_server.url, prefix="test:digest")
    secret = store.start_class()
    import redis

    held = redis.Redis.from_url(redis_server.url, decode_responses=True).hgetall("test:digest")
    assert secret not in held.values() and held["secret"] == stores.digest(secret)


def test_each_new_view_gets_the_next_version(store):
    assert store.lead() == stores.NO_CLASS
    store.start_class()
    assert (store.lead().version, store.lead().view, store.lead().active) == (0, None, True)
    first = View.of("explosion", {"ex_std": "0.0625", "ex_depth": "50"})
    assert store.publish(first) == 1
    second = View("init")
    assert store.publish(second) == 2
    lead = store.lead()
    assert (lead.version, lead.view) == (2, second)
    store.publish(first)
    assert store.lead().view.params == {"ex_depth": "50", "ex_std": "0.0625"}


def test_the_plan_and_its_step_travel_with_the_lead(store):
    store.start_class()
    store.publish(View("loss"))
    store.save_plan('{"steps": []}', 3)
    lead = store.lead()
    assert (lead.plan, lead.step, lead.version) == ('{"steps": []}', 3, 1)
    store.save_plan(None, -1)
    assert (store.lead().plan, store.lead().step) == (None, -1)


def test_a_class_has_an_id_of_its_own_and_ends(store):
    first = store.start_class()
    one = store.lead().class_id
    store.publish(View("init"))
    assert store.lead().class_id == one and len(one) == 16 and one not in first
    store.start_class()
    assert store.lead().class_id != one  # a new class: every role is decided afresh
    store.end_class()
    assert store.lead() == stores.NO_CLASS
    store.publish(View("init"))  # a late publish does not bring an ended class back
    assert not store.lead().active and not store.has_class()


def test_followers_and_explorers_are_counted_once_each(store, monkeypatch):
    store.start_class()
    store.seen({"a": False, "b": False, "c": False})
    store.seen({"a": False})  # a reload: still one student
    assert store.counts() == (3, 0)
    store.seen({"b": True})
    assert store.counts() == (2, 1)
    store.seen({"b": False, "c": True})  # one rejoined, another explores
    assert store.counts() == (2, 1)
    monkeypatch.setattr(stores, "PRESENCE_SECONDS", -1.0)  # everyone seen is now too long ago
    assert store.counts() == (0, 0)


def test_views_compare_by_their_parameters_not_their_order():
    a = View.of("explosion", {"ex_std": "1", "ex_depth": "5"})
    b = View.of("explosion", {"ex_depth": "5", "ex_std": "1"})
    assert a == b and a.link == "/explosion?ex_depth=5&ex_std=1"
    assert View.of("explosion", {"ex_std": "2", "ex_depth": "5"}) != a
    assert View("", "").link == "/"
    assert View.of("loss", {"note": "a&b=c d"}).params == {"note": "a&b=c d"}


def test_a_lost_store_is_said_and_found_again_when_it_returns():
    need_installed("redis-server")
    server = RedisServer()
    store = RedisStore(server.url)
    try:
        store.start_class()
        store.publish(View("init"))
        server.stop()
        with pytest.raises(StoreDown):
            store.lead()
        with pytest.raises(StoreDown):
            store.seen({"a": False})
    finally:
        server.process.kill()
    again = RedisServer(server.port)  # a restarted store, empty: the client connects again
    try:
        assert not store.has_class()
        secret = store.start_class()
        assert store.is_teacher(secret)
    finally:
        again.stop()
