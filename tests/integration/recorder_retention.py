"""The `retention` scenario of recorder_test.py: retention per room and per request, and erasure,
both through the MCU's API, with real processes (tessera, tessera-recorder, tessera-audit).

Two rooms: ROOM with `recording: {retention_days: 7}` and alice in it; OTHER_ROOM with bob. The
recorder's config says retention_days 30, max_retention_days 400.
  - starts with a bad retention_days (0, 36501, "7") are refused (422) and nothing records;
  - a start in ROOM with no retention: the room's 7 days; in OTHER_ROOM with retention_days 90:
    90; in ROOM with 1000: refused (403) to an operator (longer than the room's), the
    recorder's cap, 400, for an admin. Each time the MCU's recording JSON, the
    recorder's listing and the recorder's key store entry (`expires` - `started`) agree;
  - POST /v1/erasures for alice with an operator's, a viewer's and a room-scoped admin's token:
    403, without a token: 401, and nothing is deleted;
  - as admin, a dry run while alice's last recording still records: 202, Location, then done,
    listing her finished recording and naming the running one in in_progress; nothing deleted;
  - the erasure while it still records: incomplete, her finished recording deleted, the running
    one kept and named; that one stopped, the erasure again: done, it is deleted (key store
    entries and files gone), bob's kept (entry and file there, and it verifies);
  - the MCU's audit log verifies and holds erasure.requested, .incomplete and .completed,
    with the identity, the admin who asked and the recordings; the 403s are api.request lines.
"""
import calendar
import json
import os
import time

import recorder_test as rt
from tessera_harness import TestFailure, ensure, free_port_pair, run

RECORDER_RETENTION_DAYS = 30
RECORDER_MAX_DAYS = 400
DAY_S = 86400


class RetentionStack(rt.Stack):
    def recorder_config(self):
        path = super().recorder_config()
        with open(path, "a") as f:
            f.write(f"retention_days: {RECORDER_RETENTION_DAYS}\n"
                    f"max_retention_days: {RECORDER_MAX_DAYS}\n")
        return path


def unix_s(rfc3339):
    return calendar.timegm(time.strptime(rfc3339, "%Y-%m-%dT%H:%M:%SZ"))


def participant(name):
    return {"name": name, "local_port": free_port_pair(), "remote_rtp_port": free_port_pair(),
            "deaf": True, "audio": {"codec": "PCMU"}, "consent": "granted"}


def key_entry(stack, rec_id):
    path = os.path.join(stack.key_store, rec_id + ".key")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def start(stack, room, body, days, token=None):
    """A recording started through the MCU with `body`; checks that the MCU, the recorder's
    listing and its key store entry all say `days` of retention. Returns its id."""
    kwargs = {"token": token} if token else {}
    a = rt.expect(stack.api("POST", f"/v1/rooms/{room}/recordings", body=body, **kwargs), 202,
                  f"POST recordings {body}")
    rec_id = a.json()["id"]
    rec = rt.poll(f"recording {rec_id} to leave starting", lambda: stack.recording(rec_id, room),
                  lambda r: r["state"] != "starting", 20)
    ensure(rec["state"] == "recording", f"the recording did not start: {rec}")
    ensure(rec.get("retention_days") == days and rec.get("expires"),
           f"the MCU's recording {rec_id}: expected retention_days {days} and expires: {rec}")
    listed = stack.recorder_entry(rec_id)
    ensure(listed and listed.get("retention_days") == days
           and listed.get("expires") == rec["expires"],
           f"the recorder's listing of {rec_id}: {listed}; the MCU's: {rec}")
    entry = key_entry(stack, rec_id)
    ensure(entry is not None, f"no key store entry for {rec_id}")
    kept = unix_s(entry["expires"]) - unix_s(entry["started"])
    ensure(kept == days * DAY_S and entry["expires"] == rec["expires"],
           f"key store entry of {rec_id}: started {entry['started']}, expires {entry['expires']}"
           f" ({kept / DAY_S:g} days), expected {days} days and {rec['expires']}")
    print(f"recording {rec_id} in {room} ({body}): {days} days, expires {rec['expires']}")
    return rec_id


def wait_participant(stack, rec_id, name):
    stack.wait_media(rec_id, f"catalogue of {rec_id} to name {name}",
                     lambda r: name in r.get("participants", []), 30)


def erase(stack, body, token="admin", want="done"):
    a = rt.expect(stack.api("POST", "/v1/erasures", token=token, body=body), 202,
                  f"POST /v1/erasures {body}")
    asked = a.json()
    location = a.headers.get("location", "")
    ensure(asked.get("state") == "pending" and location == f"/v1/erasures/{asked.get('id')}",
           f"POST /v1/erasures: expected pending and its Location, got {asked}, {location!r}")
    done = rt.poll(f"erasure {asked['id']}", lambda: rt.expect(
        stack.api("GET", location, token=token), 200, f"GET {location}").json(),
        lambda e: e["state"] != "pending", 30)
    ensure(done["state"] == want, f"erasure {body}: expected {want}, got {done}")
    print(f"erasure {body}: {done['state']}: {done.get('result')}")
    return done


def ids(result):
    return sorted(r["id"] for r in result["recordings"])


def scenario_retention(args, work):
    rooms = [{"name": rt.ROOM, "video": rt.video_block(), "recording": {"retention_days": 7},
              "participants": [participant("alice")]},
             {"name": rt.OTHER_ROOM, "video": rt.video_block(),
              "participants": [participant("bob")]}]
    stack = RetentionStack(args, work, [], rooms=rooms)
    try:
        stack.start()
        for bad in (0, 36501, "7"):
            a = rt.expect(stack.api("POST", f"/v1/rooms/{rt.ROOM}/recordings",
                                    body={"retention_days": bad}), 422,
                          f"POST recordings with retention_days {bad!r}")
            ensure("retention_days" in a.json().get("detail", ""),
                   f"the 422 does not name retention_days: {a}")
        ensure(stack.recorder_list() == [], "a refused start records")
        rec_a = start(stack, rt.ROOM, {}, 7)
        rec_b = start(stack, rt.OTHER_ROOM, {"retention_days": 90}, 90)
        wait_participant(stack, rec_a, "alice")
        wait_participant(stack, rec_b, "bob")
        stack.stop_recording(rec_a)
        stack.stop_recording(rec_b, rt.OTHER_ROOM)
        # Longer than the room's 7 days: only an admin may; the recorder cuts 1000 to its cap.
        a = rt.expect(stack.api("POST", f"/v1/rooms/{rt.ROOM}/recordings",
                                body={"retention_days": 1000}), 403,
                      "an operator's start asking more than the room's retention")
        ensure("7 days" in a.json().get("detail", ""), f"the 403 does not say the room's: {a}")
        ensure(stack.recorder_list() == [], "a refused start records")
        rec_c = start(stack, rt.ROOM, {"retention_days": 1000}, RECORDER_MAX_DAYS, token="admin")
        wait_participant(stack, rec_c, "alice")
        every = (rec_a, rec_b, rec_c)

        # Refused without the admin role, or with a room-scoped admin's token.
        for who, token in (("operator", stack.operator),
                           ("viewer", stack.mint("viewer", sub="a-viewer")),
                           ("room admin", stack.mint("admin", room=rt.ROOM, sub="room-admin"))):
            rt.expect(stack.api("POST", "/v1/erasures", token=token, body={"identity": "alice"}),
                      403, f"POST /v1/erasures as {who}")
        rt.expect(rt.http_request(stack.mcu_port, "POST", "/v1/erasures", None,
                                  {"identity": "alice"}), 401, "POST /v1/erasures without token")
        rt.expect(stack.api("POST", "/v1/erasures", token="admin", body={"identity": ""}), 422,
                  "POST /v1/erasures with an empty identity")
        ensure(all(key_entry(stack, r) for r in every), "a refused erasure deleted something")

        dry = erase(stack, {"identity": "alice", "dry_run": True})
        ensure(ids(dry["result"]) == [rec_a] and dry["result"]["in_progress"] == [rec_c],
               f"dry run: expected {rec_a} listed and {rec_c} in progress, got {dry}")
        ensure(all(key_entry(stack, r) for r in every) and
               all(os.path.exists(stack.tsrec(r)) for r in every), "a dry run deleted something")
        rt.expect(stack.api("GET", f"/v1/erasures/{dry['id']}", token="operator"), 403,
                  "GET an erasure as operator")

        # While rec_c still records: rec_a deleted, rec_c named and kept, the erasure incomplete.
        part = erase(stack, {"identity": "alice"}, want="incomplete")
        ensure(ids(part["result"]) == [rec_a] and part["result"]["in_progress"] == [rec_c],
               f"erasure while {rec_c} records: expected {rec_a} deleted, {rec_c} in progress, "
               f"got {part}")
        ensure(key_entry(stack, rec_a) is None and key_entry(stack, rec_c) is not None,
               f"erasure while {rec_c} records: wrong keys deleted")
        stack.stop_recording(rec_c)
        done = erase(stack, {"identity": "alice"})
        ensure(ids(done["result"]) == [rec_c] and done["result"]["in_progress"] == [],
               f"erasure: expected exactly {rec_c} deleted, got {done}")
        for r in (rec_a, rec_c):
            ensure(key_entry(stack, r) is None, f"the key of erased {r} is still there")
            ensure(not os.path.exists(stack.tsrec(r)), f"the file of erased {r} is still there")
        ensure(key_entry(stack, rec_b) is not None and os.path.exists(stack.tsrec(rec_b)),
               f"bob's recording {rec_b} was touched")
        rc, out, err = stack.verify(stack.tsrec(rec_b))
        print(f"verify of bob's recording: exit {rc}: {(out + err).strip()}")
        ensure(rc == 0, f"bob's recording does not verify after alice's erasure: {out}{err}")
        stack.stop_all()

        rc, out, err = run([args.audit, "verify", stack.audit_log, "--public-key",
                            stack.audit_pub])
        ensure(rc == 0, f"tessera-audit verify: expected exit 0, got {rc}: {out}{err}")
        with open(stack.audit_log) as f:
            events = [json.loads(l) for l in f.read().splitlines()]
        erasures = [e for e in events if str(e.get("event", "")).startswith("erasure.")]
        print("audit: " + "; ".join(f"{e['event']} {e.get('erasure')} dry_run={e.get('dry_run')}"
                                    f" {e.get('recordings')}" for e in erasures))
        names = [e["event"] for e in erasures]
        ensure(names.count("erasure.requested") == 3 and names.count("erasure.completed") == 2
               and names.count("erasure.incomplete") == 1,
               f"audit: expected three erasure.requested, two erasure.completed and one "
               f"erasure.incomplete: {names}")
        for e in erasures:
            ensure(e.get("identity") == "alice" and e.get("actor") == "test-admin",
                   f"audit: an erasure event without the identity or the admin: {e}")
        real = next(e for e in erasures
                    if e["event"] == "erasure.completed" and not e.get("dry_run"))
        ensure(real.get("recordings", []) == [rec_c],
               f"audit: the completed erasure does not list {rec_c}: {real}")
        partial = next(e for e in erasures if e["event"] == "erasure.incomplete")
        ensure(partial.get("recordings") == [rec_a] and partial.get("in_progress") == [rec_c],
               f"audit: the incomplete erasure does not list {rec_a} and {rec_c}: {partial}")
        refused = [e for e in events if e.get("event") == "api.request"
                   and e.get("path") == "/v1/erasures" and e.get("status") in (401, 403)]
        # Three POSTs refused (403) and one without a token (401).
        ensure(len(refused) == 4, f"audit: the refused erasures are not all there: {refused}")
    except TestFailure:
        if stack.recorder:
            stack.recorder._drain_stdout(0.1)
            print("tessera-recorder's last lines:\n" + "\n".join(stack.recorder.lines[-30:]))
        raise
    finally:
        stack.close()
    print("PASS retention")
