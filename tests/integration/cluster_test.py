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
  redial     a call the room's node dialled (asked through another node: 307) is dialled
             again by the node that takes the room over after kill -9; measured
  cascade    a room of 30 ffmpeg cameras cascaded 10 a node: added through n1, 10 join each node
             (307 to a share node with ?cascade=n1); the links appear; the one 6x5 composite,
             decoded on every node, shows each camera's two colours in its tile; three talkers
             (one a node) hear each other and not themselves, listeners hear all three; measured

Exits 77 (skipped), saying why, where redis-server (or, for sip, sipp; for cascade, ffmpeg) is
missing.

usage: cluster_test.py --tessera BIN --token TESSERA_TOKEN_BIN --case NAME
"""
import argparse
import json
import math
import os
import queue
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tessera_harness import (Process, TestFailure, av_camera_argv, ensure,  # noqa: E402
                             free_port_block, run_main, write_video_sdp)
from control_test import (RTP_PORTS, Api, Keys, Tessera, audio_participant,  # noqa: E402
                          expect_json, expect_problem, video_room)
from video_mix_test import (COLOURS, FRAME_BYTES, Frame, Receiver, Rect, Viewer,  # noqa: E402
                            grid_slots, yuv)
from audio_mix_test import Peer, check_everyone_but_self  # noqa: E402

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
        """Node i on 127.0.0.i (its API and its media), with node id n<i> unless another is given; kept in self.nodes
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
                    extra_yaml=extra, name=node_id, bind_address=f"127.0.0.{i}")
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

    def follow(self, method, node_id, path, body=None, hops=3, locations=None):
        """The request on node_id, following 307s with the token (the Location's query kept);
        (answer, node that answered). Each Location is appended to `locations` when given."""
        api = self.api(node_id)
        host_port = f"{api.host}:{api.port}"
        for _ in range(hops):
            r = api.request(method, path, self.admin, body)
            if r.status != 307:
                return r, node_of(self, host_port)
            location = r.header("location")
            if locations is not None:
                locations.append(location)
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


def wait_until(fn, timeout_s, what):
    """Polls fn every 100 ms until it is true; fails naming `what` past the deadline."""
    deadline = time.monotonic() + timeout_s
    while not fn():
        ensure(time.monotonic() < deadline, f"{what}: not within {timeout_s} s")
        time.sleep(0.1)  # poll interval


def redis_get(port, key):
    """GET key from the test's Redis (RESP over a socket): the value, or None."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        k = key.encode()
        s.sendall(b"*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n" % (len(k), k))
        data = b""
        while b"\r\n" not in data:
            data += s.recv(65536)
        head, _, rest = data.partition(b"\r\n")
        if head == b"$-1":
            return None
        ensure(head.startswith(b"$"), f"GET {key}: unexpected reply {data[:80]!r}")
        size = int(head[1:])
        while len(rest) < size + 2:
            rest += s.recv(65536)
        return rest[:size].decode()


def out_calls(c, node_id, uri):
    r = c.api(node_id).get("/v1/sip/calls", c.admin)
    if r.status != 200:
        return []
    return [x for x in json.loads(r.body)["calls"]
            if x.get("direction") == "out" and x.get("uri") == uri]


def case_redial(args, work):
    """A call the room's node dialled out (POST /v1/sip/calls, through another node: 307) is
    dialled again by the node that takes the room over when its node dies (kill -9): a SIPp
    callee answers the second INVITE and the call is active on the new node; measured."""
    if not args.sipp:
        print("SKIP: sipp is not installed (Debian: sip-tester; scripts/setup.sh installs it)")
        sys.exit(SKIP)
    from sip_test import SippRun  # noqa: E402 (needs sipp only here)
    redis = Redis(work).start()
    sipp = None
    try:
        with Cluster(args, work, redis, sip=True) as c:
            expect_json(c.api("n2").post("/v1/rooms?node=n2", c.admin, room("ward")), 201,
                        "create on n2")
            sipp = SippRun(args, work, "uas_dialout", calls=2)
            sipp.wait_bound()
            uri = f"sip:bob@127.0.0.1:{sipp.port}"
            r, at = c.follow("POST", "n1", "/v1/sip/calls", {"room": "ward", "uri": uri})
            ensure(r is not None and r.status == 201 and at == "n2",
                   f"the dial-out through n1 is made by n2 (307): {r} from {at}")
            wait_until(lambda: any(x["state"] == "active" for x in out_calls(c, "n2", uri)),
                       10, f"the call to {uri} active on n2")
            # Within a heartbeat the room's spec holds the call: what a new node dials.
            wait_until(lambda: uri in (redis_get(redis.port, "tessera:spec:ward") or ""),
                       3 * HEARTBEAT_MS / 1000, "the dial-out in the room's spec")
            killed = time.monotonic()
            c.nodes["n2"].kill()  # kill -9
            took, at, _ = wait_moved(c, "ward", "n2", "n1", (LEASE_MS + 2 * HEARTBEAT_MS) / 1000 + 3)
            wait_until(lambda: any(x["state"] == "active" for x in out_calls(c, at, uri)),
                       10, f"the call to {uri} dialled again and active on {at}")
            redialled = time.monotonic() - killed
            print(f"room ward on {at} {took:.2f} s after kill -9 of n2; {uri} answered again "
                  f"and active {redialled:.2f} s after it")
            log = c.nodes[at].proc.stderr()
            ensure(f"room ward: {uri} dialled again" in log,
                   f"{at} logs the redial; its log:\n{log[-3000:]}")
            ensure(redialled <= (LEASE_MS + 2 * HEARTBEAT_MS) / 1000 + 5,
                   f"the call came back {redialled:.2f} s after the kill")
    finally:
        if sipp and sipp.proc.poll() is None:
            sipp.proc.kill()
            sipp.proc.wait()
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


# --- cascade -----------------------------------------------------------------------------------

CASCADE_ROOM = "allhands"
CASCADE_FPS = 10  # the composite's and the cameras'
# Six colours far apart in YUV (116 or more from each other): each camera shows two of them, top
# and bottom, 30 distinct pictures that a half's mean tells apart after three encodes (camera,
# share's sub-canvas, composite) and a scale to a 106x72 tile. Camera i: top colour i mod 6,
# bottom 1 + i div 6 further on: tiles side by side differ at the top, and in a grid of six
# columns a tile's bottom differs from the top below it, so every tile's edges show.
PALETTE = ("red", "lime", "blue", "yellow", "cyan", "magenta")
PALETTE_YUV = {name: yuv(COLOURS[name]) for name in PALETTE}
PICTURES = [(PALETTE[i % 6], PALETTE[(i % 6 + 1 + i // 6) % 6]) for i in range(30)]
CAMERA_SIZE = (160, 120)
HALF_TOLERANCE = 40  # a half's mean from its colour, Euclidean in YUV (the closest two: 116)
TONES = (440, 700, 1100)  # Hz: the talker of the primary's share, of the second, of the third
TALK = "0.25*sin(2*PI*{freq}*t)"  # aevalsrc: a listener sends silence ("0")
ROLES = {0: "talker", 1: "listener", 2: "viewer"}  # by place in its node's share; others: camera
CAMERA_S = 200  # a camera stops by itself after this (the case's limit is 240 s)
RECORD_S = 4
# After the last add: the links follow the shares within two or three heartbeats.
LINKED_TIMEOUT_S = 3 * HEARTBEAT_MS / 1000 + 3
# After the links: every decoder waits for a keyframe (1 s), on a loaded 2-core machine.
ALL_TILES_TIMEOUT_S = 60


def grid_shape(count):
    """(columns, rows) of the room's grid for `count` tiles: mixer::GridShapeFor (square, up to
    5x5) and, past 25 (a cascaded room), six columns of five rows, up to 30."""
    if count <= 2:
        return (count, 1)
    for side in range(2, 6):
        if count <= side * side:
            return (side, side)
    ensure(count <= 30, f"no grid for {count} tiles")
    return (6, 5)


def halves(slot):
    """Two patches of a tile: inside its top half and its bottom half, clear of the edges and of
    the line between them (compression bleed)."""
    mx, my, half = slot.w // 8, slot.h // 10, slot.h // 2
    return (Rect(slot.x + mx, slot.y + my, slot.w - 2 * mx, half - 2 * my),
            Rect(slot.x + mx, slot.y + half + my, slot.w - 2 * mx, half - 2 * my))


def nearest_colour(got):
    return min(PALETTE, key=lambda name: math.dist(got, PALETTE_YUV[name]))


class Member:
    """One participant of the cascaded room as its client runs it: a camera showing its two
    colours (with a sine, or silence, as its microphone when it has audio), the answer that took
    it in, and where its composite and its mix go (127.0.0.1 on every node)."""

    def __init__(self, index, share, role, work):
        self.name = f"p{index + 1:02d}"
        self.top, self.bottom = PICTURES[index]
        self.share, self.role = share, role  # share: its node's, in order (0: the primary's)
        self.peer = None  # audio: its tone (or silence) and its recorded mix
        if role in ("talker", "listener"):
            self.peer = Peer(self.name, "pcmu", TONES[share], sends=role == "talker")
        self.viewer = self.sink = None
        if role == "viewer":  # its composite is decoded by ffmpeg
            self.viewer = Viewer(self.name, work)
            write_video_sdp(self.viewer.sdp, self.viewer.port)
            self.composite_port = self.viewer.port
        else:  # its composite is only counted: the datagrams wait in a socket
            self.sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.sink.bind(("127.0.0.1", 0))
            self.composite_port = self.sink.getsockname()[1]
        self.node = self.host = self.answer = self.camera = None

    def body(self):
        body = {"name": self.name, "video": {"codec": "H264", "profile": "hd",
                                             "remote_rtp_port": self.composite_port}}
        if self.peer:
            body.update(remote_rtp_port=self.peer.recv_port, audio={"codec": "PCMU"})
        return body

    def picture(self):
        w, h = CAMERA_SIZE
        return (f"color=c=0x{COLOURS[self.top]:06x}:s={w}x{h}:r={CASCADE_FPS},drawbox=x=0:"
                f"y={h // 2}:w={w}:h={h // 2}:color=0x{COLOURS[self.bottom]:06x}:t=fill")

    def camera_argv(self):
        """ffmpeg sending to the node that took it in, at the ports its answer gave."""
        video_port = self.answer["video_port"]
        if not self.peer:
            return ["ffmpeg", "-hide_banner", "-loglevel", "error", "-re", "-t", str(CAMERA_S),
                    "-f", "lavfi", "-i", self.picture(), "-c:v", "libx264", "-preset",
                    "ultrafast", "-tune", "zerolatency", "-profile:v", "baseline", "-bf", "0",
                    "-g", str(CASCADE_FPS), "-pix_fmt", "yuv420p", "-payload_type", "96",
                    "-f", "rtp", f"rtp://{self.host}:{video_port}?rtcpport={video_port}"
                                 f"&pkt_size=1200"]
        sound = TALK.format(freq=self.peer.freq) if self.peer.sends else "0"
        argv = av_camera_argv(CAMERA_S, self.picture(), sound, CASCADE_FPS, 8000,
                              self.answer["audio_port"], video_port)
        return [a.replace("rtp://127.0.0.1:", f"rtp://{self.host}:") for a in argv]

    def record_argv(self, work):
        sdp = os.path.join(work, f"{self.name}-mix.sdp")
        with open(sdp, "w") as f:
            f.write(self.peer.sdp() + "a=rtcp-mux\n")
        self.peer.wav = os.path.join(work, f"{self.name}-mix.wav")
        return ["ffmpeg", "-hide_banner", "-loglevel", "error", "-protocol_whitelist",
                "file,udp,rtp", "-i", sdp, "-t", str(RECORD_S), "-ar", "48000", "-ac", "1",
                "-y", self.peer.wav]

    def composite_packets(self):
        """The composite's RTP datagrams (RTCP left out) waiting in its sink."""
        count = 0
        while True:
            try:
                data = self.sink.recv(2048, socket.MSG_DONTWAIT)
            except BlockingIOError:
                return count
            if len(data) >= 12 and data[0] >> 6 == 2 and not 192 <= data[1] <= 223:
                count += 1


class Watcher(Receiver):
    """A Receiver whose frames a thread of its own reads as they come, so that its ffmpeg never
    waits on the pipe (nor loses packets meanwhile): started before its participant joins, it
    has the composite decoded from the first keyframe on. Frames are dropped until watch()."""

    def __init__(self, viewer, work):
        super().__init__(viewer, work)
        self.queue = queue.Queue()
        self.watching = False
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        try:
            while True:
                data = self.proc.read_exact(FRAME_BYTES, 3600)  # until ffmpeg ends
                if self.watching:
                    self.queue.put(Frame(data, time.monotonic()))
        except TestFailure as e:
            self.queue.put(e)

    def watch(self):
        """From now on every decoded frame is kept for next_frame."""
        self.watching = True

    def take(self, timeout_s):
        """The next frame kept, waiting up to timeout_s; None when none came."""
        try:
            item = self.queue.get(timeout=max(0, timeout_s))
        except queue.Empty:
            return None
        if isinstance(item, TestFailure):  # its ffmpeg ended
            raise item
        self.frames += 1
        return item


def wait_all_right(watchers, what, check, timeout_s):
    """The first frame of each Watcher that passes check; past the deadline a failure saying,
    for each one still waiting, what its last frame showed (saved as PNG)."""
    deadline = time.monotonic() + timeout_s
    good, last = {}, {}
    problems = {w: ["no frame decoded"] for w in watchers}
    while True:
        waiting = [w for w in watchers if w not in good]
        if not waiting:
            return [good[w] for w in watchers]
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TestFailure(f"{what} not seen within {timeout_s} s: " + " | ".join(
                f"{w.viewer.name} ({w.frames} frames decoded; last: "
                f"{w.save(last[w], 'last') if w in last else 'none'}): " + "; ".join(problems[w])
                for w in waiting))
        for w in waiting:
            frame = w.take(min(0.1, remaining))  # the others' frames wait in their queues
            if frame is not None:
                last[w], problems[w] = frame, check(frame)
                if not problems[w]:
                    good[w] = frame


def participants_of(c, node_id, path):
    return expect_json(c.api(node_id).get(path, c.admin), 200,
                       f"GET {path} on {node_id}")["participants"]


def join(c, primary, m, path):
    """Adds m through the primary, following a 307 to a share node; m.node: where it joined."""
    locations = []
    r, at = c.follow("POST", primary, path, m.body(), locations=locations)
    ensure(r is not None and r.status == 201,
           f"POST {path} {m.name} on {primary}: expected 201 (after redirects "
           f"{locations}), got {r}")
    for location in locations:
        ensure(location.endswith(f"?cascade={primary}"),
               f"{m.name}: the primary's 307 sent it to {location!r}, which does not end in "
               f"?cascade={primary}")
    m.answer = r.json()
    node = c.nodes[at]
    ensure(m.answer.get("name") == m.name and node.in_rtp_range(m.answer.get("video_port"))
           and (not m.peer or node.in_rtp_range(m.answer.get("audio_port"))),
           f"{m.name} joined {at}: expected its name and ports of {at}'s rtp_ports "
           f"{node.rtp_base}-{node.rtp_base + RTP_PORTS - 1}, got {m.answer}")
    m.node, m.host = at, node.api.host


def tile_order(listing):
    """The names the grid shows, in order: the primary's members by id, each link replaced, in
    place, by its cells; uplinks are not shown."""
    order = []
    for p in sorted(listing, key=lambda p: p["id"]):
        if p["name"] == "cascade-up":
            continue
        cells = (p.get("cascade") or {}).get("cells")
        order += cells if cells is not None else [p["name"]]
    return order


def wait_linked(c, primary, shares, path, timeout_s):
    """Polls until the primary lists a link cascade-<node> for each share node, its cells that
    node's members in order, and each share node lists cascade-up; the primary's listing."""
    deadline = time.monotonic() + timeout_s
    while True:
        top = participants_of(c, primary, path)
        links = {p["name"]: p.get("cascade") for p in top if p["name"].startswith("cascade-")}
        missing = []
        for node_id, names in shares.items():
            link = links.get(f"cascade-{node_id}") or {}
            if link.get("node") != node_id or link.get("cells") != names:
                missing.append(f"the primary's link cascade-{node_id} is {link}, want node "
                               f"{node_id} with cells {names}")
            there = [p["name"] for p in participants_of(c, node_id, path)]
            if sorted(there) != sorted(names + ["cascade-up"]):
                missing.append(f"{node_id} lists {there}, want {names} and cascade-up")
        if not missing:
            return top
        ensure(time.monotonic() < deadline,
               f"the shares were not linked {timeout_s:.0f} s after the last add: "
               + "; ".join(missing) + f"; the primary lists {[p['name'] for p in top]}")
        time.sleep(0.1)  # poll interval


def tiles_check(order, members, shape):
    """A check for wait_for_all: every tile of the grid shows its member's two colours."""
    by_name = {m.name: m for m in members}
    places = list(zip(grid_slots(*shape), (by_name[n] for n in order)))

    def check(frame):
        problems = []
        for slot, m in places:
            for rect, want, half in zip(halves(slot), (m.top, m.bottom), ("top", "bottom")):
                got = frame.mean(rect)
                if math.dist(got, PALETTE_YUV[want]) > HALF_TOLERANCE:
                    problems.append(f"{m.name}'s {half} half at {rect} is YUV "
                                    f"({got[0]:.0f}, {got[1]:.0f}, {got[2]:.0f}), nearest "
                                    f"{nearest_colour(got)}; want {want} {PALETTE_YUV[want]}")
        if len(problems) > 6:
            problems = problems[:6] + [f"and {len(problems) - 6} more halves"]
        return problems
    return check, places


def worst_half(frame, places):
    """The half furthest from its colour (for the log): (distance, label)."""
    return max((math.dist(frame.mean(rect), PALETTE_YUV[want]), f"{m.name} {half}")
               for slot, m in places
               for rect, want, half in zip(halves(slot), (m.top, m.bottom), ("top", "bottom")))


def dead_cameras(members):
    """'; cameras that exited: ...' with each one's stderr, or ''."""
    dead = [f"{m.name} ({m.camera.proc.returncode}): {m.camera.stderr().strip()[-300:]}"
            for m in members if m.camera and m.camera.proc.poll() is not None]
    return "; cameras that exited: " + " | ".join(dead) if dead else ""


def cpu_seconds(pid):
    """User and system CPU time of a process (/proc/<pid>/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cascade_state(c, path):
    """For a failure: each node's links (their video as the node received it) and what its
    log says of the cascade."""
    out = []
    for n, node in sorted(c.nodes.items()):
        try:
            listed = c.api(n).get(path, c.admin)
            everyone = json.loads(listed.body).get("participants", [])
            links = [p for p in everyone if p.get("transport") == "cascade"]
            links += [{"name": p.get("name"), "decoder": p.get("video", {}).get("decoder")}
                      for p in everyone if p.get("transport") != "cascade"][:1]
        except Exception as e:  # noqa: BLE001 - a report, whatever the node answers
            links = [f"unreadable: {e}"]
        log = [line for line in node.proc.stderr().splitlines()
               if any(w in line for w in ("cascade", "share", "uplink", "link", "error"))]
        out.append(f"\n{n} links: {json.dumps(links)[:3000]}\n{n} log:\n" + "\n".join(log[-30:]))
    return "".join(out)


def run_cascade(args, work, count, per_node, cascade=True):
    """`count` cameras added through n1 to a room created on n1, `per_node` to a node's share
    (the room's cascade block; cascade=False: no block, every one on n1, each `per_node` of them
    still one talker, one listener and one viewer)."""
    ensure(count % per_node == 0 and count // per_node <= len(TONES) and count <= len(PICTURES),
           f"{count} cameras, {per_node} a share: not a case this test knows")
    members = [Member(i, i // per_node, ROLES.get(i % per_node), work) for i in range(count)]
    path = f"/v1/rooms/{CASCADE_ROOM}/participants"
    procs = []
    redis = Redis(work).start()
    try:
        with Cluster(args, work, redis) as c:
            body = video_room(CASCADE_ROOM, [])
            body["video"]["profiles"][0]["fps"] = CASCADE_FPS
            body["max_speakers"] = 3
            if cascade:
                body["cascade"] = {"per_node": per_node}
            expect_json(c.api("n1").post("/v1/rooms?node=n1", c.admin, body), 201,
                        f"POST /v1/rooms {CASCADE_ROOM} on n1 with {body.get('cascade')}")
            primary = "n1"
            viewers = [m for m in members if m.viewer]
            receivers = [Watcher(m.viewer, work) for m in viewers]
            procs += [rx.proc for rx in receivers]
            for m in members:
                join(c, primary, m, path)
                m.camera = Process(m.camera_argv(), f"camera {m.name}", die_with_parent=True)
                procs.append(m.camera)
            last_add = time.monotonic()
            for rx in receivers:  # no frame before this one can show the last camera
                rx.watch()
            cpu_from = {n: cpu_seconds(t.proc.proc.pid) for n, t in c.nodes.items()}
            share_nodes = {}
            for m in members:
                share_nodes.setdefault(m.share, set()).add(m.node)
            print("joined: " + ", ".join(
                f"{'/'.join(sorted(nodes))} {members[k * per_node].name}-"
                f"{members[k * per_node + per_node - 1].name}"
                for k, nodes in sorted(share_nodes.items())))
            nodes = [sorted(share_nodes[k])[0] for k in sorted(share_nodes)]
            ensure(all(len(n) == 1 for n in share_nodes.values()) and nodes[0] == primary
                   and len(set(nodes)) == (len(nodes) if cascade else 1),
                   f"expected each {per_node} in order on a node of their own, the first on "
                   f"the primary {primary}, got {share_nodes}")
            shares = {nodes[k]: [m.name for m in members if m.share == k]
                      for k in range(1, len(nodes))} if cascade else {}

            top = participants_of(c, primary, path)
            if shares:
                top = wait_linked(c, primary, shares, path, LINKED_TIMEOUT_S)
                print(f"linked {time.monotonic() - last_add:.2f} s after the last add: "
                      + ", ".join(f"cascade-{n} cells {names[0]}-{names[-1]}"
                                  for n, names in shares.items()))
            if shares:
                # A link is not the API's to remove: it leaves with its share.
                link = next(p for p in top if p["name"].startswith("cascade-"))
                refused = c.api(primary).request("DELETE", f"{path}/{link['id']}", c.admin)
                ensure(refused.status == 409, f"DELETE of the link {link['name']}: expected "
                                              f"409, got {refused}")
                still = [p["name"] for p in participants_of(c, primary, path)]
                ensure(link["name"] in still, f"{link['name']} left after a refused DELETE")
            order = tile_order(top)
            ensure(order == [m.name for m in members],
                   f"the grid's order from the primary's participants is {order}, expected "
                   f"{[m.name for m in members]}")
            shape = grid_shape(count)
            check, places = tiles_check(order, members, shape)
            try:
                frames = wait_all_right(receivers, f"all {count} tiles of the {shape[0]}x"
                                                   f"{shape[1]} grid", check, ALL_TILES_TIMEOUT_S)
            except TestFailure as e:
                raise TestFailure(f"{e}{dead_cameras(members)}{cascade_state(c, path)}")
            seen = time.monotonic()
            cpu = {n: (cpu_seconds(t.proc.proc.pid) - cpu_from[n]) / (seen - last_add)
                   for n, t in c.nodes.items()}
            for m, rx, frame in zip(viewers, receivers, frames):
                distance, label = worst_half(frame, places)
                print(f"{m.name} on {m.node}: all {count} tiles right "
                      f"{frame.arrival - last_add:.2f} s after the last add, decoded frame "
                      f"{rx.frames} (worst half "
                      f"{label}, {distance:.1f} from its colour); {rx.save(frame, 'all-tiles')}")
            print(f"measured: the first composite with all {count} tiles right came "
                  f"{min(f.arrival for f in frames) - last_add:.2f} s after the last add; "
                  f"CPU over that time: " + ", ".join(f"{n} {v:.2f} cores"
                                                      for n, v in cpu.items()))
            for rx in receivers:
                rx.proc.proc.kill()
            silent = [f"{m.name} on {m.node}" for m in members
                      if m.sink and not m.composite_packets()]
            ensure(not silent, f"no composite reached {silent}")

            talking = [m for m in members if m.peer]
            recorders = [Process(m.record_argv(work), f"mix of {m.name}", die_with_parent=True)
                         for m in talking]
            procs += recorders
            for m, rec in zip(talking, recorders):
                rc = rec.wait_exit(RECORD_S + 20, f"recorded no {RECORD_S} s of {m.name}'s "
                                                  f"mix (on {m.node})")
                ensure(rc == 0, f"recording {m.name}'s mix failed ({rc}): {rec.stderr()}")
            print("mixes recorded: " + ", ".join(
                f"{m.name} ({m.role} on {m.node}"
                + (f", {m.peer.freq} Hz)" if m.peer.sends else ", silent)") for m in talking))
            # Each talker hears the other two and not itself (30 dB below); a listener all three.
            check_everyone_but_self([m.peer for m in talking])
            ensure(not dead_cameras(members), f"cameras stopped early{dead_cameras(members)}")
    finally:
        for p in procs:
            if p.proc.poll() is None:
                p.proc.kill()
            p.proc.wait()
        for m in members:
            if m.sink:
                m.sink.close()
        redis.kill()


def case_cascade(args, work):
    if not shutil.which("ffmpeg"):
        print("SKIP: ffmpeg is not installed (scripts/setup.sh installs it)")
        sys.exit(SKIP)
    run_cascade(args, work, 30, 10)


CASES = {"placement": case_placement, "redirect": case_redirect,
         "concurrent": case_concurrent, "failover": case_failover, "drain": case_drain,
         "redis": case_redis, "sip": case_sip, "redial": case_redial,
         "duplicate": case_duplicate, "cascade": case_cascade}


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
