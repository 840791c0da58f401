#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""mockplatform.py - a platform for practlink's exec.so, in Python 3's
standard library alone: the example of practlink-exec(7), and a test
double that behaves as mock.so does (the same users, keys, messages,
fault settings and calls.log), so that practlink's mock suite runs
unchanged against exec.so and this program.

Its users live in state_dir/users/, one JSON file each, named by the
user's id, which derives from the email; an operation reads and writes
them under state_dir/lock, so that every worker's copy of this program,
in every practlink process, sees one platform.

Run by exec.so, never by hand: requests arrive one JSON object a line on
stdin, and each gets one answer a line on stdout. stderr is practlink's
log ("<7>" first: at debug level). A key is never written anywhere but
stdout and state_dir.
"""
import fcntl
import json
import os
import sys
import time

PROTOCOL = 1
MASK = (1 << 64) - 1
FNV_OFFSET = 14695981039346656037
STATUSES = ("USAGE", "BAD_KEY", "NOT_FOUND", "NO_USER", "DISABLED", "MODULE",
            "INTERNAL", "STORE", "TRANSIENT", "PROTOCOL", "PERMISSION", "AUTH",
            "CONFIG", "NOT_LINKED", "NO_INPUT", "BAD_DATA")
SETTINGS = {
    "state_dir": {"type": "path", "default": "mock-state"},
    "latency_ms": "int", "fail_step": "string", "fail_status": "string",
    "fail_rate": "number", "seed": "int", "empty_key": "bool",
    "record_calls": "bool", "random_keys": "bool", "no_work": "bool",
    "slots": "int",  # mock.so's room for users; files have no such limit
}


class Failure(Exception):
    """An operation's failure: a practlink status and its words."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


def log(text):
    print("<7>" + text, file=sys.stderr, flush=True)


def fnv1a(h, data):
    for byte in data:
        h = ((h ^ byte) * 1099511628211) & MASK
    return h


def email_hash(email):
    return fnv1a(FNV_OFFSET, email[:255].lower().encode())


class Platform:
    def __init__(self, hello):
        self.pms_name = hello.get("pms_name") or ""
        self.state_dir = None
        self.latency_ms = 0
        self.fail_step = None
        self.fail_status = "TRANSIENT"
        self.fail_rate = 0.0
        self.seed = 1
        self.rng = 1
        self.empty_key = False
        self.record_calls = False
        self.random_keys = False
        self.no_work = False

    # --- open: the settings, as exec.so read them from the integration --
    def open(self, settings):
        self.state_dir = settings.get("state_dir", "mock-state")
        self.latency_ms = settings.get("latency_ms", 0)
        self.fail_step = settings.get("fail_step")
        self.fail_status = settings.get("fail_status", "TRANSIENT")
        self.fail_rate = settings.get("fail_rate", 0.0)
        self.seed = settings.get("seed", 1) & MASK
        self.empty_key = settings.get("empty_key", False)
        self.record_calls = settings.get("record_calls", False)
        self.random_keys = settings.get("random_keys", False)
        self.no_work = settings.get("no_work", False)
        if self.no_work:  # the benchmark's bound: the protocol alone
            return {}
        if self.fail_status not in STATUSES:
            raise Failure("CONFIG", 'fail_status "%s" is not a failure status '
                          "(AUTH, TRANSIENT, ...)" % self.fail_status)
        if not 0 <= self.fail_rate <= 1 or self.latency_ms < 0:
            raise Failure("CONFIG", "fail_rate must lie in 0..1 and latency_ms be positive")
        self.rng = (self.seed * 0x9E3779B97F4A7C15 | 1) & MASK
        self.inject("open")
        try:
            os.makedirs(os.path.join(self.state_dir, "users"), mode=0o700, exist_ok=True)
            self.lockfd = os.open(os.path.join(self.state_dir, "lock"),
                                  os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as e:
            raise Failure("CONFIG", "%s: %s" % (self.state_dir, e.strerror))
        return {}

    # --- faults on demand, as mock.so's -------------------------------------
    def uniform(self):
        r = self.rng
        r ^= r >> 12
        r ^= (r << 25) & MASK
        r ^= r >> 27
        self.rng = r
        return (((r * 2685821657736338717) & MASK) >> 11) / 9007199254740992.0

    def inject(self, step):
        if self.latency_ms > 0:
            time.sleep(self.latency_ms / 1000)
        if self.fail_step == step:
            raise Failure(self.fail_status, "injected failure at %s" % step)
        if self.fail_rate > 0 and step != "open" and self.uniform() < self.fail_rate:
            raise Failure(self.fail_status, "injected random failure at %s" % step)

    # --- the platform's users -------------------------------------------------
    def user_path(self, user_id):
        return os.path.join(self.state_dir, "users", user_id + ".json")

    def locate(self, person, by_email=False):
        """p's user id (by user id when known, else by email), and the
        user, or None when there is none."""
        user_id = None if by_email else person.get("user_id")
        email = person.get("email") or ""
        if user_id:
            if not (len(user_id) == 17 and user_id[0] == "u" and
                    all(c in "0123456789abcdef" for c in user_id[1:])):
                raise Failure("NO_USER", "no user %s" % user_id)
        elif email and "\n" not in email:
            user_id = "u%016x" % email_hash(email)
        else:
            raise Failure("NO_USER", "practitioner %s has no email; users are found "
                          "by email" % person.get("id"))
        try:
            with open(self.user_path(user_id)) as f:
                user = json.load(f)
        except FileNotFoundError:
            return user_id, None
        if not (person.get("user_id") and not by_email) and \
                user["email"].lower() != email.lower():
            return user_id, None  # another email of the same hash
        return user_id, user

    def save(self, user):
        path = self.user_path(user["id"])
        tmp = "%s.%d.tmp" % (path, os.getpid())
        with open(tmp, "w", opener=lambda p, f: os.open(p, f, 0o600)) as f:
            json.dump(user, f)
        os.replace(tmp, path)

    def record(self, op, person, detail):
        if not self.record_calls:
            return
        line = ("%s %s %s\n" % (op, person.get("id"), detail)).encode()
        fd = os.open(os.path.join(self.state_dir, "calls.log"),
                     os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            os.write(fd, line)  # one write a line: whole across processes
        finally:
            os.close(fd)

    def locked(self, fn, *args):
        fcntl.flock(self.lockfd, fcntl.LOCK_EX)
        try:
            return fn(*args)
        finally:
            fcntl.flock(self.lockfd, fcntl.LOCK_UN)

    # --- the operations ----------------------------------------------------
    def find_user(self, req):
        self.inject("find_user")
        person = req["person"]
        _, user = self.locked(self.locate, person)
        if not user:
            raise Failure("NO_USER", "no user with email %s" % (person.get("email") or ""))
        return {"user_id": user["id"]}

    def create_user(self, req):
        self.inject("create_user")
        person = req["person"]

        def create():
            user_id, user = self.locate(person, by_email=True)
            if user:
                raise Failure("PROTOCOL", "a user with email %s already exists"
                              % person["email"])
            self.save({"id": user_id, "email": person["email"], "pms_name": "",
                       "pms_key": "", "backend_key": ""})
            return user_id
        user_id = self.locked(create)
        self.record("create_user", person, user_id)
        return {"user_id": user_id}

    def update(self, person, op, change):
        def rmw():
            _, user = self.locate(person)
            if not user:
                raise Failure("NO_USER", "practitioner %s has no user" % person.get("id"))
            answer = change(user)
            self.save(user)
            return user, answer
        user, answer = self.locked(rmw)
        self.record(op, person, user["id"])
        return answer

    def set_integration(self, req):
        self.inject("set_integration")

        def choose(user):
            user["pms_name"] = req.get("pms_name") or ""
        self.update(req["person"], "set_integration", choose)
        return {}

    def exchange(self, req):
        self.inject("exchange")
        pms_key = req.get("pms_key") or ""

        def take(user):
            if not user["pms_name"]:
                raise Failure("AUTH", 'no PMS chosen under "Integrate with" for user %s'
                              % user["id"])
            if not pms_key or len(pms_key) >= 256 or any(c in pms_key for c in " \t\r\n"):
                raise Failure("BAD_KEY", "the PMS token is empty or malformed")
            h = fnv1a(fnv1a(FNV_OFFSET ^ self.seed, user["id"].encode()), pms_key.encode())
            if self.random_keys:
                h = int.from_bytes(os.urandom(8), "little")
            key = "mk%016x%016x" % (h, fnv1a(h, user["pms_name"].encode()))
            user["pms_key"], user["backend_key"] = pms_key, key
            return key
        key = self.update(req["person"], "exchange", take)
        return {"backend_key": "" if self.empty_key else key}

    def revoke(self, req):
        self.inject("revoke")

        def clear(user):
            user["pms_name"] = user["pms_key"] = user["backend_key"] = ""
        self.update(req["person"], "revoke", clear)
        return {}

    def verify(self, req):
        self.inject("verify")
        try:
            _, user = self.locked(self.locate, req["person"])
        except Failure as f:
            raise Failure("AUTH" if f.status == "NO_USER" else f.status, f.message)
        if not user:
            raise Failure("AUTH", "Practitioner was not found")
        if user["pms_name"] != self.pms_name:
            raise Failure("AUTH", "user %s is not integrated with %s"
                          % (user["id"], self.pms_name))
        if not user["backend_key"] or user["pms_key"] != req.get("pms_key") or \
                user["backend_key"] != req.get("backend_key"):
            raise Failure("AUTH", "the keys do not match user %s" % user["id"])
        self.record("verify", req["person"], user["id"])
        return {}

    def probe(self, req):
        self.inject("probe")
        return {"text": "the mock platform answers (its state is in %s)" % self.state_dir}


OPERATIONS = ("verify", "find_user", "create_user", "set_integration", "exchange",
              "revoke", "probe")


def main():
    platform = None
    for line in sys.stdin.buffer:
        req = json.loads(line)
        answer = {"id": req.get("id")}
        op = req.get("op")
        try:
            if op == "hello":
                platform = Platform(req)
                answer.update(protocol=PROTOCOL, name="mockplatform", version="1.0",
                              operations=OPERATIONS, settings=SETTINGS)
            elif op == "open":
                answer.update(platform.open(req.get("settings") or {}))
                answer["status"] = "OK"
            elif op in OPERATIONS and platform.no_work:
                answer.update(status="OK", user_id="u0000000000000000", backend_key="mk0")
            elif op in OPERATIONS:
                answer.update(getattr(platform, op)(req))
                answer["status"] = "OK"
            else:
                raise Failure("PROTOCOL", "mockplatform has no operation %s" % op)
        except Failure as f:
            answer.update(status=f.status, message=f.message)
            log("%s: %s %s" % (op, f.status, f.message))
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
