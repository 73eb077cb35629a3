#!/usr/bin/env python3
"""End-to-end tests of Tessera's cluster (the `cluster` block): three real tessera nodes on
127.0.0.1, 127.0.0.2 and 127.0.0.3 sharing one real redis-server (Debian's), started here on a
free loopback port with nothing saved to disk. Clients are Python's http.client; a 307 is
followed by hand, with the token, as an operator's client does (curl --location-trusted).

Cases:
  placement  new rooms spread over the nodes by free budget whatever node is asked; a room of a
             region goes to that region's node; a region with no node is refused (503)
  redirect   a request on a room that runs elsewhere is answered 307 to its node, same path
  concurrent the same room created on all three nodes at once: exactly one runs it, the others
             answer 409 naming it, and every node sends clients to that one
  failover   kill -9 the node of a room: another node re-creates it (same participants) within
             the lease plus two heartbeats; the move is logged; measured
  drain      SIGTERM: the draining node gets no new rooms; when it exits its rooms move at once
  redis      Redis killed: rooms run on and answer, new rooms are refused (503); Redis back
             empty: every node re-registers and re-leases its rooms, creates work again
  sip        a SIP call (SIPp) for a room or number that runs on another node gets a 302 to
             that node's SIP address; a number that runs nowhere a 404

Exits 77 (skipped), saying why, where redis-server (or, for sip, sipp) is missing.

usage: cluster_test.py --tessera BIN --token TESSERA_TOKEN_BIN --case NAME
"""
import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tessera_harness import (Process, TestFailure, ensure, free_port_block,  # noqa: E402
                             run_main)
from control_test import (Api, Keys, Tessera, audio_participant,  # noqa: E402
                          expect_json, expect_problem)

SKIP = 77
LEASE_MS = 5000  # the defaults an operator gets
HEARTBEAT_MS = 1000


class Redis:
    """redis-server on 127.0.0.1:<free port>, no persistence: a restart comes back empty."""

    def __init__(self, work):
        self.work = work
        self.port = free_port_block(1, (socket.SOCK_STREAM,))
        self.proc = None

    def start(self):
        self.proc = Process(["redis-server", "--bind", "127.0.0.1", "--port", str(self.port),
                             "--save", "", "--appendonly", "no", "--dir", self.work,
                             "--protected-mode", "no"], "redis", die_with_parent=True)
        self.proc.wait_for_line(lambda l: "Ready to accept connections" in l, 15)
        print(f"redis-server on 127.0.0.1:{self.port}")
        return self

    def kill(self):
        if self.proc and self.proc.proc.poll() is None:
            self.proc.proc.kill()
            self.proc.proc.wait()


class Cluster:
    """Nodes n1..n3 on 127.0.0.1..3 with one key file: a token is good on every node."""

    def __init__(self, args, work, redis, regions=("default",) * 3, drain_grace_s=1, sip=False):
        self.args, self.work, self.redis = args, work, redis
        self.keys = Keys(args, work)
        self.keys.add("k1")
        self.admin = self.keys.mint("admin")
        self.regions, self.grace, self.sip = regions, drain_grace_s, sip
        self.sip_ports = {}
        self.nodes = {}

    def start_node(self, i, node_id=None, key=None):
        """Node i on 127.0.0.i, with node id n<i> unless another is given; kept in self.nodes
        under `key` (default its node id)."""
        node_id = node_id or f"n{i}"
        cluster = {"redis": f"127.0.0.1:{self.redis.port}", "node_id": node_id,
                   "region": self.regions[(i - 1) % len(self.regions)], "lease_ms": LEASE_MS,
                   "heartbeat_ms": HEARTBEAT_MS}
        extra = f"cluster: {json.dumps(cluster)}\n"
        if self.sip:
            # Its SIP on a fixed free port: the address other nodes send callers to (302).
            port = self.sip_ports.setdefault(node_id, free_port_block(1, (socket.SOCK_DGRAM,)))
            extra += (f"sip: {{listen: [{{transport: udp, address: 127.0.0.{i}, "
                      f"port: {port}}}], trunks: [{{name: lab, networks: [127.0.0.0/8]}}]}}\n")
        t = Tessera(self.args, self.work,
                    {"keys_file": self.keys.path, "listen_address": f"127.0.0.{i}",
                     "drain_grace_s": self.grace},
                    extra_yaml=extra, name=node_id)
        t.start()
        t.api.host = f"127.0.0.{i}"
        self.nodes[key or node_id] = t
        return t

    def __enter__(self):
        try:
            for i in (1, 2, 3):
                self.start_node(i)
            for node_id in self.nodes:  # each reads the directory on its own heartbeat
                self.wait_nodes(3, node_id)
        except BaseException:
            self.kill_all()
            raise
        return self

    def __exit__(self, *exc):
        self.kill_all()

    def kill_all(self):
        for t in self.nodes.values():
            t.kill()

    def api(self, node_id):
        return self.nodes[node_id].api

    def view(self, node_id="n1"):
        return expect_json(self.api(node_id).get("/v1/cluster", self.admin), 200,
                           f"GET /v1/cluster on {node_id}")

    def wait_nodes(self, count, node_id="n1", timeout_s=10):
        deadline = time.monotonic() + timeout_s
        while True:
            v = self.view(node_id)
            if len(v["nodes"]) == count and v["redis"] == "up":
                return v
            ensure(time.monotonic() < deadline,
                   f"the directory as {node_id} reads it did not list {count} nodes within "
                   f"{timeout_s} s: {v}")
            time.sleep(0.1)  # poll interval

    def follow(self, method, node_id, path, body=None, hops=3):
        """The request on node_id, following 307s with the token; (answer, node that answered)."""
        api = self.api(node_id)
        host_port = f"{api.host}:{api.port}"
        for _ in range(hops):
            r = api.request(method, path, self.admin, body)
            if r.status != 307:
                return r, node_of(self, host_port)
            location = r.header("location")
            ensure(location.startswith("http://"), f"{method} {path}: 307 without an http "
                                                   f"Location: {r}")
            host_port, _, rest = location[len("http://"):].partition("/")
            host, port = host_port.rsplit(":", 1)
            api = Api(int(port), "http", host=host)
            path = "/" + rest
            if not reachable(host, int(port)):
                # Sent to a node that has just died (its entry outlives it by up to a lease):
                # as a client sees it, the room is moving.
                return None, None
        raise TestFailure(f"{method} {path}: more than {hops} redirects")

    def room_node(self, room, node_id="n1"):
        """Where the directory says the room runs (None: nowhere / moving)."""
        for r in self.view(node_id)["rooms"]:
            if r["name"] == room:
                return r["node"]
        return None


def reachable(host, port):
    try:
        socket.create_connection((host, port), timeout=2).close()
        return True
    except OSError:
        return False


def check_schema(view):
    """GET /v1/cluster's answer against docs/openapi.json's Cluster schema."""
    try:
        import jsonschema
    except ImportError:
        print("python3-jsonschema missing: GET /v1/cluster not checked against its schema")
        return
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs",
                        "openapi.json")
    with open(path) as f:
        doc = json.load(f)
    schema = dict(doc["components"]["schemas"]["Cluster"])
    schema["components"] = doc["components"]
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    resolver_doc = {**schema}
    try:
        jsonschema.validate(view, resolver_doc)
    except jsonschema.ValidationError as e:
        raise TestFailure(f"GET /v1/cluster does not match the Cluster schema: {e.message}")
    print("GET /v1/cluster matches its schema")


def node_of(cluster, host_port):
    for node_id, t in cluster.nodes.items():
        if f"{t.api.host}:{t.api.port}" == host_port:
            return node_id
    raise TestFailure(f"no node answers at {host_port}")


def room(name, region=None, participants=()):
    r = {"name": name, "participants": list(participants)}
    if region:
        r["region"] = region
    return r


def create(cluster, node_id, name, **kw):
    r, at = cluster.follow("POST", node_id, "/v1/rooms", room(name, **kw))
    ensure(r is not None and r.status == 201,
           f"POST /v1/rooms {name} on {node_id}: expected 201 (after "
           f"redirects), got {r}")
    return at


# --- cases -------------------------------------------------------------------------------------

def case_placement(args, work):
    redis = Redis(work).start()
    try:
        with Cluster(args, work, redis, regions=("default", "default", "eu")) as c:
            placed = {}
            for k in range(4):
                at = create(c, "n1", f"room-{k}")  # every request reaches n1 first
                placed[f"room-{k}"] = at
            print(f"placed from n1: {placed}")
            ensure(set(placed.values()) == {"n1", "n2"},
                   f"four rooms of the default region asked of n1 must spread over n1 and n2 "
                   f"(n3 is in eu), got {placed}")
            for name, at in placed.items():
                ensure(name in [x["name"] for x in expect_json(
                    c.api(at).get("/v1/rooms", c.admin), 200, f"GET /v1/rooms on {at}")["rooms"]],
                    f"{name} placed on {at} but not running there")
                others = [n for n in c.nodes if n != at]
                for o in others:
                    ensure(name not in [x["name"] for x in expect_json(
                        c.api(o).get("/v1/rooms", c.admin), 200, "")["rooms"]],
                        f"{name} runs on {o} as well as on {at}")
            at = create(c, "n2", "ward-eu", region="eu")
            ensure(at == "n3", f"a room of region eu asked of n2 must run on n3, ran on {at}")
            r = c.api("n1").post("/v1/rooms", c.admin, room("far", region="asia"))
            expect_problem(r, 503, "no-node", "a room of a region without nodes")
            ensure("asia" in r.json()["detail"], f"the refusal names the region: {r}")
            expect_problem(c.api("n1").get("/v1/rooms/far", c.admin), 404, "not-found",
                           "the refused room, anywhere")
            v = c.view("n2")
            by_node = {n["id"]: n for n in v["nodes"]}
            print("directory: " + ", ".join(
                f"{n['id']} {n['region']} rooms={n['rooms']} free={n['capacity_units'] - n['used_units']}"
                for n in v["nodes"]))
            ensure(set(by_node) == {"n1", "n2", "n3"}, f"the directory lists the nodes: {v}")
            ensure(sorted(x["name"] for x in v["rooms"]) == sorted(list(placed) + ["ward-eu"]),
                   f"the directory lists the rooms: {v}")
            check_schema(v)
    finally:
        redis.kill()


def case_redirect(args, work):
    redis = Redis(work).start()
    try:
        with Cluster(args, work, redis) as c:
            r = c.api("n2").post("/v1/rooms?node=n2", c.admin,
                                 room("consult", participants=[audio_participant("gp")]))
            expect_json(r, 201, "POST /v1/rooms?node=n2 on n2")
            for asked in ("n1", "n3"):
                r = c.api(asked).get("/v1/rooms/consult/participants", c.admin)
                ensure(r.status == 307, f"GET a room of n2 on {asked}: expected 307, got {r}")
                want = f"http://127.0.0.2:{c.nodes['n2'].port}/v1/rooms/consult/participants"
                ensure(r.header("location") == want,
                       f"307 Location {r.header('location')!r}, expected {want!r}")
                ensure(r.json()["detail"] == "room 'consult' runs on node n2", f"{r}")
            r, at = c.follow("GET", "n3", "/v1/rooms/consult/participants")
            body = expect_json(r, 200, "the participants after the redirect")
            ensure(at == "n2" and [p["name"] for p in body["participants"]] == ["gp"],
                   f"followed to {at}: {body}")
            # A change through another node lands on the room's node.
            r, at = c.follow("PATCH", "n1", "/v1/rooms/consult/participants/"
                             f"{body['participants'][0]['id']}", {"muted": True})
            ensure(r is not None and r.status == 200 and at == "n2" and r.json()["muted"] is True,
                   f"PATCH through n1: {r} from {at}")
            r = c.api("n1").get("/v1/rooms/nowhere", c.admin)
            expect_problem(r, 404, "not-found", "a room that runs nowhere")
    finally:
        redis.kill()


def case_concurrent(args, work):
    redis = Redis(work).start()
    try:
        with Cluster(args, work, redis) as c:
            for k in range(5):
                name = f"race-{k}"
                answers = {}
                barrier = threading.Barrier(3)

                def attempt(node_id):
                    barrier.wait()
                    answers[node_id] = c.api(node_id).post(f"/v1/rooms?node={node_id}", c.admin,
                                                           room(name))
                threads = [threading.Thread(target=attempt, args=(n,)) for n in c.nodes]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                won = [n for n, r in answers.items() if r.status == 201]
                ensure(len(won) == 1, f"{name} created on all three at once: exactly one must "
                                      f"win, got {({n: str(r) for n, r in answers.items()})}")
                for n, r in answers.items():
                    if n == won[0]:
                        continue
                    expect_problem(r, 409, "conflict", f"the losing create of {name} on {n}")
                    ensure(f"already runs on node {won[0]}" in r.json()["detail"], f"{r}")
                running = [n for n in c.nodes if name in [x["name"] for x in expect_json(
                    c.api(n).get("/v1/rooms", c.admin), 200, "")["rooms"]]]
                ensure(running == won, f"{name} runs on {running}, expected only {won}")
                for n in c.nodes:
                    if n != won[0]:
                        r = c.api(n).get(f"/v1/rooms/{name}", c.admin)
                        ensure(r.status == 307, f"GET {name} on {n}: expected 307, got {r}")
                print(f"{name}: won by {won[0]}")
    finally:
        redis.kill()


def wait_moved(c, name, dead, asked, timeout_s):
    """Polls GET /v1/rooms/<name> through `asked` until a node other than `dead` answers 200;
    (seconds, node)."""
    start = time.monotonic()
    while True:
        r, at = c.follow("GET", asked, f"/v1/rooms/{name}")
        if r is not None and r.status == 200 and at != dead:
            return time.monotonic() - start, at, r.json()
        ensure(r is None or r.status in (200, 307, 404, 503),
               f"GET {name} while it moves: expected 503 (moving) or 200, got {r}")
        ensure(time.monotonic() - start < timeout_s,
               f"{name} was not running on another node {timeout_s} s after {dead} went")
        time.sleep(0.05)  # poll interval


def case_failover(args, work):
    redis = Redis(work).start()
    try:
        with Cluster(args, work, redis) as c:
            spec = room("icu", participants=[audio_participant("nurse"),
                                             audio_participant("doctor")])
            expect_json(c.api("n2").post("/v1/rooms?node=n2", c.admin, spec), 201, "create on n2")
            c.nodes["n2"].kill()  # kill -9
            took, at, body = wait_moved(c, "icu", "n2", "n1",
                                        (LEASE_MS + 2 * HEARTBEAT_MS) / 1000 + 3)
            print(f"room icu running on {at} {took:.2f} s after kill -9 of n2 (lease "
                  f"{LEASE_MS} ms, heartbeat {HEARTBEAT_MS} ms)")
            ensure(took <= (LEASE_MS + 2 * HEARTBEAT_MS) / 1000 + 1,
                   f"the move took {took:.2f} s, over the lease plus two heartbeats")
            ensure(sorted(p["name"] for p in body["participants"]) == ["doctor", "nurse"],
                   f"the re-created room has its participants: {body}")
            log = c.nodes[at].proc.stderr()
            ensure("room icu taken over from node n2" in log,
                   f"{at} logs the move; its log:\n{log[-3000:]}")
            ensure(c.room_node("icu") == at, f"the directory has icu on {at}: {c.view()}")
            c.wait_nodes(2)
    finally:
        redis.kill()


def case_drain(args, work):
    redis = Redis(work).start()
    try:
        with Cluster(args, work, redis, drain_grace_s=30) as c:
            # A participant keeps n3 draining for the grace period.
            expect_json(c.api("n3").post("/v1/rooms?node=n3", c.admin,
                                         room("clinic", participants=[audio_participant("p")])),
                        201, "create on n3")
            c.nodes["n3"].signal(signal.SIGTERM)
            deadline = time.monotonic() + 5
            while not any(n["id"] == "n3" and n["draining"] for n in c.view()["nodes"]):
                ensure(time.monotonic() < deadline, f"n3 not draining in the directory: "
                                                    f"{c.view()}")
                time.sleep(0.05)  # poll interval
            placed = [create(c, "n3", f"later-{k}") for k in range(4)]
            print(f"asked of the draining n3, placed on: {placed}")
            ensure("n3" not in placed, f"a draining node got new rooms: {placed}")
            # SIGINT ends the drain now: n3 gives its leases up and its room moves at once.
            c.nodes["n3"].proc.proc.send_signal(signal.SIGINT)
            stopped = time.monotonic()
            c.nodes["n3"].proc.wait_exit(20, "n3 did not exit on SIGINT")
            _, at, body = wait_moved(c, "clinic", "n3", "n1", 2 * HEARTBEAT_MS / 1000 + 3)
            took = time.monotonic() - stopped
            print(f"room clinic running on {at} {took:.2f} s after SIGINT to n3 (it gave its "
                  f"lease up: no lease to wait out)")
            ensure(took < LEASE_MS / 1000,
                   f"a stopped node's room took {took:.2f} s to move: as long as a dead node's")
    finally:
        redis.kill()


def case_redis(args, work):
    redis = Redis(work).start()
    try:
        with Cluster(args, work, redis) as c:
            for n in ("n1", "n2"):
                expect_json(c.api(n).post(f"/v1/rooms?node={n}", c.admin,
                                          room(f"ward-{n}", participants=[
                                              audio_participant(f"bed-{n}")])), 201, "create")
            redis.kill()
            deadline = time.monotonic() + 10
            while c.view()["redis"] != "down":
                ensure(time.monotonic() < deadline, "n1 did not notice Redis gone in 10 s")
                time.sleep(0.1)  # poll interval
            for n in ("n1", "n2"):
                body = expect_json(c.api(n).get(f"/v1/rooms/ward-{n}", c.admin), 200,
                                   f"the room on {n} with Redis down")
                ensure([p["name"] for p in body["participants"]] == [f"bed-{n}"], f"{body}")
            r = c.api("n1").post("/v1/rooms", c.admin, room("new-while-down"))
            expect_problem(r, 503, "cluster-unavailable", "a new room with Redis down")
            ensure(r.header("retry-after") == "1", f"Retry-After: {r}")
            redis.start()  # on the same port, empty
            deadline = time.monotonic() + 10
            while True:
                v = c.view()
                where = {x["name"]: x["node"] for x in v["rooms"]}
                if v["redis"] == "up" and len(v["nodes"]) == 3 and where == {
                        "ward-n1": "n1", "ward-n2": "n2"}:
                    break
                ensure(time.monotonic() < deadline,
                       f"10 s after Redis came back empty the nodes have not re-leased their "
                       f"rooms: {v}")
                time.sleep(0.1)  # poll interval
            print(f"after the Redis restart: {where}")
            create(c, "n1", "after-restart")
    finally:
        redis.kill()


def case_sip(args, work):
    """A SIP caller of a room that runs on another node is sent there (302), by the room's
    name or its number; a number that runs nowhere is still a 404."""
    if not args.sipp:
        print("SKIP: sipp is not installed (Debian: sip-tester; scripts/setup.sh installs it)")
        sys.exit(SKIP)
    from sip_test import SippRun  # noqa: E402 (needs sipp only here)
    redis = Redis(work).start()
    try:
        with Cluster(args, work, redis, sip=True) as c:
            body = room("consult")
            body["sip"] = {"numbers": ["4000"]}
            expect_json(c.api("n2").post("/v1/rooms?node=n2", c.admin, body), 201, "create on n2")
            target = f"127.0.0.1:{c.sip_ports['n1']}"
            for service in ("4000", "consult"):
                run = SippRun(args, work, "redirect_302", target=target, service=service)
                run.expect_success()
            SippRun(args, work, "unknown_room", target=target, service="4999").expect_success()
            log = c.nodes["n1"].proc.stderr()
            ensure("the room runs at 127.0.0.2:" in log, f"n1 logs the 302; its log:\n{log[-2000:]}")
    finally:
        redis.kill()


def case_duplicate(args, work):
    """A fourth node started with n2's id: it stays out of the directory (n2's entry, leases
    and rooms are untouched), says so in its log and its /v1/cluster; once n2 dies and its entry
    lapses, the newcomer joins under the id."""
    redis = Redis(work).start()
    try:
        with Cluster(args, work, redis) as c:
            expect_json(c.api("n2").post("/v1/rooms?node=n2", c.admin, room("ward")), 201,
                        "create ward on n2")
            before = {n["id"]: n for n in c.view()["nodes"]}
            ensure(sorted(before) == ["n1", "n2", "n3"], f"the directory: {c.view()}")
            dup = c.start_node(4, node_id="n2", key="n2-duplicate")
            dup.proc.wait_for_log(lambda l: "node id n2 is in use by another live Tessera" in l,
                                  (LEASE_MS + 2 * HEARTBEAT_MS) / 1000)
            dv = expect_json(dup.api.get("/v1/cluster", c.admin), 200, "GET /v1/cluster on it")
            ensure(dv.get("node_id_conflict") is True, f"its /v1/cluster: {dv}")
            # Several heartbeats of both: n2's entry is still n2's, ward still on n2.
            deadline = time.monotonic() + 3 * HEARTBEAT_MS / 1000
            while time.monotonic() < deadline:  # every answer in the window must hold
                now = {n["id"]: n for n in c.view()["nodes"]}
                ensure(sorted(now) == ["n1", "n2", "n3"] and
                       now["n2"]["instance"] == before["n2"]["instance"] and
                       now["n2"]["api_url"] == before["n2"]["api_url"],
                       f"n2's directory entry changed hands: before {before['n2']}, now "
                       f"{now.get('n2')}")
                ensure(c.room_node("ward") == "n2", f"ward moved: {c.view()}")
                time.sleep(HEARTBEAT_MS / 4000)  # poll interval: each sample is checked
            print(f"the duplicate stayed out: n2 is still {before['n2']['api_url']} "
                  f"(instance {before['n2']['instance']})")
            c.nodes["n2"].kill()  # kill -9: its entry lapses within a lease
            dup.proc.wait_for_log(lambda l: "node id n2 is free again" in l,
                                  (LEASE_MS + 3 * HEARTBEAT_MS) / 1000 + 2)
            now = {n["id"]: n for n in c.wait_nodes(3)["nodes"]}
            ensure(now["n2"]["instance"] != before["n2"]["instance"] and
                   "127.0.0.4" in now["n2"]["api_url"],
                   f"the newcomer did not take the id over: {now.get('n2')}")
            print(f"after n2 died the newcomer joined as n2 ({now['n2']['api_url']})")
    finally:
        redis.kill()


CASES = {"placement": case_placement, "redirect": case_redirect,
         "concurrent": case_concurrent, "failover": case_failover, "drain": case_drain,
         "redis": case_redis, "sip": case_sip, "duplicate": case_duplicate}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    ap.add_argument("--token", required=True, help="the tessera-token binary")
    ap.add_argument("--case", required=True, choices=sorted(CASES))
    ap.add_argument("--sipp", default=shutil.which("sipp") or "")
    args = ap.parse_args()
    if not shutil.which("redis-server"):
        print("SKIP: redis-server is not installed (scripts/setup.sh installs it)")
        sys.exit(SKIP)
    work = tempfile.mkdtemp(prefix=f"tessera-cluster-{args.case}-")
    print(f"work directory: {work}")
    start = time.monotonic()
    CASES[args.case](args, work)
    print(f"PASS {args.case} ({time.monotonic() - start:.1f} s)")


if __name__ == "__main__":
    run_main(main)
