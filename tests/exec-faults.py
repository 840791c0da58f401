#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""exec-faults.py - a backend program for exec.so that misbehaves on
purpose, for tests/test_exec.c. It offers verify alone (the other steps
are the operator's), and accepts any pair of keys, unless its first
argument names a fault, done in verify:

  ok        no fault
  hang F    starts a child that sleeps (its pid in file F), then sleeps
  crash     kills itself with SIGSEGV     exit    exits with status 3
  garbage   answers a line that is not JSON
  flood     answers 100 KB without a newline
  order     answers with another request's id
  status    answers a status practlink does not know
  echo      puts both keys in its message, its hint and on stderr
  env       answers AUTH, its environment, argv and descriptors as message
  stderr    writes 1000 lines to stderr, then answers OK
  once F    crashes if file F is absent (creating it), else no fault
  protocol  says protocol 2 in its hello     noverify   offers no verify
"""
import json
import os
import signal
import subprocess
import sys
import time

mode = sys.argv[1] if len(sys.argv) > 1 else "ok"
arg = sys.argv[2] if len(sys.argv) > 2 else None
out = sys.stdout


def answer(obj):
    out.write(json.dumps(obj) + "\n")
    out.flush()


def verify(req):
    ok = {"id": req["id"], "status": "OK"}
    if mode == "hang":
        child = subprocess.Popen(["sleep", "1000"])
        with open(arg, "w") as f:
            f.write("%d\n" % child.pid)
        time.sleep(1000)
    elif mode == "crash" or (mode == "once" and not os.path.exists(arg)):
        if mode == "once":
            open(arg, "w").close()
        os.kill(os.getpid(), signal.SIGSEGV)
    elif mode == "exit":
        sys.exit(3)
    elif mode == "garbage":
        out.write("this is not json\n")
        out.flush()
        return
    elif mode == "flood":
        out.write("x" * 100000)
        out.flush()
        time.sleep(1000)
    elif mode == "order":
        ok["id"] = req["id"] + 1
    elif mode == "status":
        ok["status"] = "SPLENDID"
    elif mode == "echo":
        keys = "%s and %s" % (req["pms_key"], req["backend_key"])
        print("<3>the keys were " + keys, file=sys.stderr, flush=True)
        return answer({"id": req["id"], "status": "AUTH", "message": "refused " + keys,
                       "hint": "check " + keys})
    elif mode == "env":
        fds = sorted(int(fd) for fd in os.listdir("/proc/self/fd"))
        return answer({"id": req["id"], "status": "AUTH", "message":
                       "env=%s argc=%d fds=%s" % (",".join(sorted(os.environ)),
                                                  len(sys.argv), fds)})
    elif mode == "stderr":
        for i in range(1000):
            print("<6>line %d" % i, file=sys.stderr)
        sys.stderr.flush()
    answer(ok)


for line in sys.stdin.buffer:
    req = json.loads(line)
    op = req["op"]
    if op == "hello":
        answer({"id": req["id"], "protocol": 2 if mode == "protocol" else 1,
                "name": "faults", "operations": [] if mode == "noverify" else ["verify"],
                "manual_steps": {step: "Do the %s step by hand." % step for step in
                                 ("find_user", "create_user", "set_integration",
                                  "exchange", "revoke")}})
    elif op == "verify":
        verify(req)
    else:
        answer({"id": req["id"], "status": "OK"})
