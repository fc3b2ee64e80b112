#!/usr/bin/env python3
"""Migration streams are input: mutate real ones, load each into a fresh QEMU.

For each configuration (virtio-balloon, virtio-mem, the mixed template,
hv-balloon), a real stream is saved once from our QEMU running the Linux
test guest, brought to a state worth loading (pages ballooned, memory
plugged or hot-added, a resize in flight), into BUILD/fuzz-streams/.  Then,
LOADS times per configuration, the sections our code loads (the
frontend's, the virtio-balloon page record, hv-balloon's and the devices'
around them) are mutated: bits flipped, bytes set, 32- and 64-bit fields
set to boundary values, bytes cut or added; the stream is loaded into a
fresh QEMU of the same configuration (-incoming), and when it loads, the
VM runs a moment and answers query-memory-resize.

A finding is a QEMU that crashed (a signal, an assertion, a sanitizer
report), hung (no answer within the time limits) or did not quit cleanly;
each is kept in BUILD/fuzz-streams/findings/ with its stream and QEMU's
output.  A stream refused is not a finding: that is what a bad stream
must get (the first line QEMU printed is counted, to see why).

Usage: fuzz-streams.py BUILD LOADS [CONFIG...]

With FUZZ_STREAM_SECONDS set, each configuration stops after that long
(or LOADS), and says how many loads it made.
"""

import collections
import json
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

QEMU_VM_SECTION_FULL = 0x04
QEMU_VM_SECTION_FOOTER = 0x7e

# The sections whose loading is ours, or next to ours (by idstr)
TARGETS = [b"balloon-frontend", b"ubf-virtio-balloon-pages", b"hv-balloon",
           b"virtio-balloon", b"virtio-mem", b"vmbus"]

INTERESTING32 = [0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff,
                 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff]
INTERESTING64 = INTERESTING32 + [0x100000000, 0x7fffffffffffffff,
                                 0x8000000000000000, 0xffffffffffffffff,
                                 1 << 40, 1 << 52]

LOAD_TIMEOUT = 30
RUN_MS = 100


class Qmp:
    def __init__(self, path, timeout=30):
        end = time.time() + timeout
        while True:
            try:
                self.s = socket.socket(socket.AF_UNIX)
                self.s.connect(path)
                break
            except OSError:
                self.s.close()
                if time.time() > end:
                    raise
                time.sleep(0.02)
        self.s.settimeout(timeout)
        self.f = self.s.makefile("rw")
        self.events = []
        self.f.readline()
        self.cmd("qmp_capabilities")

    def cmd(self, name, **args):
        self.f.write(json.dumps({"execute": name, "arguments": args}) + "\n")
        self.f.flush()
        while True:
            line = self.f.readline()
            if not line:
                raise EOFError("QMP closed")
            r = json.loads(line)
            if "event" in r:
                self.events.append(r)
                continue
            if "error" in r:
                raise RuntimeError("%s: %s" % (name, r["error"]["desc"]))
            return r["return"]

    def wait_event(self, name, timeout):
        end = time.time() + timeout
        while time.time() < end:
            for e in self.events:
                if e["event"] == name:
                    self.events.remove(e)
                    return e
            self.cmd("query-status")
            time.sleep(0.2)
        raise TimeoutError("no %s" % name)


def hv_cpu():
    return "qemu64,hv-relaxed,hv-vpindex,hv-synic,hv-time"


def configs(guest):
    """name -> (QEMU arguments, guest modules, how to bring it to a state)"""
    common = ["-machine", "q35", "-nodefaults", "-display", "none",
              "-accel", "tcg", "-smp", "2"]
    numa = ["-object", "memory-backend-ram,id=n0,size=256M",
            "-object", "memory-backend-ram,id=n1,size=256M",
            "-numa", "node,nodeid=0,cpus=0,memdev=n0",
            "-numa", "node,nodeid=1,cpus=1,memdev=n1"]
    # Linux's hv_balloon balloons boot memory only: the mixed template
    # shrinks after growing, so its guest has 1 GiB to give from
    numa_1g = ["-object", "memory-backend-ram,id=n0,size=512M",
               "-object", "memory-backend-ram,id=n1,size=512M",
               "-numa", "node,nodeid=0,cpus=0,memdev=n0",
               "-numa", "node,nodeid=1,cpus=1,memdev=n1"]
    frontend = ["-object", "balloon-frontend,id=bf0,stall-timeout=60"]
    vb = ["-device", "virtio-balloon-pci,id=balloon0,addr=04.0"]
    vmem = ["-object", "memory-backend-ram,id=vm0,size=256M",
            "-device", "virtio-mem-pci,id=vmem0,memdev=vm0,node=0,addr=05.0",
            "-object", "memory-backend-ram,id=vm1,size=256M",
            "-device", "virtio-mem-pci,id=vmem1,memdev=vm1,node=1,addr=06.0"]
    hv = ["-cpu", hv_cpu(), "-global", "ICH9-LPC.disable_s4=1",
          "-device", "vmbus-bridge",
          "-object", "memory-backend-ram,id=hvmem,size=1G",
          "-device", "hv-balloon,id=hvb0,memdev=hvmem"]
    M = 1 << 20
    return {
        "virtio-balloon": (common + ["-m", "512M"] + numa + frontend + vb,
                           "virtio_balloon",
                           [("balloon", 384 * M), ("inflight", 320 * M)]),
        "virtio-mem": (common + ["-m", "512M,maxmem=2G"] + numa + frontend +
                       vmem, "virtio_mem",
                       [("balloon", 768 * M), ("inflight", 896 * M)]),
        "mixed-template": (common + ["-m", "1G,maxmem=40G"] + numa_1g +
                           frontend + vb + vmem + hv,
                           # virtio_mem before hv_balloon: Linux takes one
                           # online-page callback, and with hv_balloon's
                           # in place virtio_mem's probe fails (-EINVAL)
                           "hv_vmbus,virtio_mem,hv_balloon,virtio_balloon",
                           [("hv", None), ("balloon", 2048 * M),
                            ("balloon", 1792 * M), ("inflight", 1664 * M)]),
        "hv-balloon": (common + ["-m", "512M,maxmem=40G"] + numa +
                       frontend + hv, "hv_vmbus,hv_balloon",
                       [("hv", None), ("balloon", 768 * M),
                        ("balloon", 640 * M), ("inflight", 576 * M)]),
    }


def guest_args(guest, modules):
    # init_on_free: memory the guest does not use is zero, so the stream
    # is small (zero pages are a flag) and each load quick
    return ["-kernel", os.path.join(guest, "vmlinuz"),
            "-initrd", os.path.join(guest, "initrd.img"),
            "-append", "console=ttyS0 panic=-1 init_on_free=1 "
                       "memhp_default_state=online_movable ubf.modules=" +
                       modules]


def wait_drivers(q, timeout=180):
    """Until every resize backend's guest driver is connected."""
    end = time.time() + timeout
    while not all(b["driver-connected"]
                  for b in q.cmd("query-memory-resize")["backends"]):
        if time.time() > end:
            raise TimeoutError("the guest drivers never connected")
        time.sleep(0.2)


def save_stream(qemu, guest, name, args, modules, steps, out):
    """Boot the guest, bring it to the state, save a stream to @out."""
    d = tempfile.mkdtemp(prefix="ubf-fuzz-save-")
    qmp_path = os.path.join(d, "qmp.sock")
    cmd = [qemu] + args + guest_args(guest, modules) + [
        "-serial", "file:" + os.path.join(d, "console.log"),
        "-qmp", "unix:%s,server=on,wait=off" % qmp_path]
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                         stderr=open(os.path.join(d, "qemu.log"), "w"))
    ok = False
    try:
        q = Qmp(qmp_path)
        for what, size in steps:
            if what == "hv":
                end = time.time() + 180
                while time.time() < end:
                    b = [x for x in q.cmd("query-memory-resize")["backends"]
                         if x["type"] == "hv-balloon"][0]
                    if b["driver-connected"]:
                        break
                    time.sleep(1)
                else:
                    raise TimeoutError("hv-balloon's driver never came")
            elif what == "balloon":
                wait_drivers(q)
                q.cmd("balloon", value=size)
                e = q.wait_event("MEMORY_RESIZE_DONE", 180)
                if e["data"]["reason"] != "reached":
                    raise RuntimeError("%s: %s" % (name, e["data"]))
            else:
                q.cmd("balloon", value=size)
        q.cmd("migrate", uri="file:" + out)
        end = time.time() + 120
        while q.cmd("query-migrate").get("status") != "completed":
            if time.time() > end:
                raise TimeoutError("saving took too long")
            time.sleep(0.2)
        q.cmd("quit")
        p.wait(30)
        ok = True
    finally:
        if p.poll() is None:
            p.kill()
        if ok:
            shutil.rmtree(d, ignore_errors=True)
        else:
            print("fuzz-streams: %s: saving failed; QEMU's output and the "
                  "guest's console are in %s" % (name, d), flush=True)


def find_sections(data):
    """(name, start of its data, end: its footer) of the target sections.

    A section starts with QEMU_VM_SECTION_FULL, its id, the length of its
    name and the name (a device path, a slash and the vmsd's name for a
    device's own), its instance and version ids; it ends with
    QEMU_VM_SECTION_FOOTER and its id again."""
    out = []
    for name in TARGETS:
        at = 0
        while True:
            i = data.find(name, at)
            if i < 0:
                break
            at = i + 1
            end = i + len(name)
            for j in range(i - 1, max(i - 64, 5), -1):
                if (data[j] == end - j - 1 and
                        data[j - 5] == QEMU_VM_SECTION_FULL):
                    sid = data[j - 4:j]
                    start = end + 8           # instance and version ids
                    footer = data.find(bytes([QEMU_VM_SECTION_FOOTER]) + sid,
                                       start)
                    if footer > start:
                        out.append((data[j + 1:end].decode(), start, footer))
                    break
    return out


def mutate(data, sections, rng):
    data = bytearray(data)
    name, start, end = rng.choice(sections)
    for _ in range(rng.randint(1, 3)):
        size = end - start
        if size <= 0:
            break
        kind = rng.randrange(7)
        at = start + rng.randrange(size)
        if kind == 0:
            data[at] ^= 1 << rng.randrange(8)
        elif kind == 1:
            data[at] = rng.randrange(256)
        elif kind == 2 and at + 4 <= end:
            data[at:at + 4] = struct.pack(">I", rng.choice(INTERESTING32))
        elif kind == 3 and at + 8 <= end:
            data[at:at + 8] = struct.pack(">Q", rng.choice(INTERESTING64))
        elif kind == 4:
            n = rng.randint(1, min(64, end - at))
            del data[at:at + n]
            end -= n
        elif kind == 5:
            n = rng.randint(1, 64)
            data[at:at] = bytes(rng.randrange(256) for _ in range(n))
            end += n
        else:
            # a field from elsewhere in the section (a length, a count)
            src = start + rng.randrange(size)
            n = min(8, end - at, end - src)
            data[at:at + n] = data[src:src + n]
    return bytes(data), name


BAD = ("Assertion", "assertion failed", "Segmentation", "AddressSanitizer",
       "runtime error", "Aborted", "core dumped")


def load_one(qemu, guest, args, modules, stream, work):
    """Load @stream; None if fine, else what went wrong."""
    qmp_path = os.path.join(work, "qmp.sock")
    log = os.path.join(work, "qemu.log")
    if os.path.exists(qmp_path):
        os.unlink(qmp_path)
    cmd = [qemu] + args + guest_args(guest, modules) + [
        "-serial", "null", "-incoming", "defer",
        "-qmp", "unix:%s,server=on,wait=off" % qmp_path]
    with open(log, "w") as lf:
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=lf)
    outcome = None
    try:
        q = Qmp(qmp_path, LOAD_TIMEOUT)
        q.cmd("migrate-incoming", uri="file:" + stream)
        end = time.time() + LOAD_TIMEOUT
        status = None
        while time.time() < end:
            if p.poll() is not None:
                break
            try:
                status = q.cmd("query-status")["status"]
            except (EOFError, OSError):
                # a stream refused: QEMU exits (exit-on-error)
                status = "gone"
                try:
                    p.wait(LOAD_TIMEOUT)
                except subprocess.TimeoutExpired:
                    pass
                break
            if status != "inmigrate":
                break
            time.sleep(0.01)
        if p.poll() is None and status in ("inmigrate", "gone"):
            outcome = "hang: still loading after %d s" % LOAD_TIMEOUT
        elif p.poll() is None and status in ("paused", "running"):
            q.cmd("cont")
            time.sleep(RUN_MS / 1000)
            q.cmd("query-memory-resize")
            q.cmd("query-balloon")
            q.cmd("quit")
            p.wait(LOAD_TIMEOUT)
        elif p.poll() is None:
            q.cmd("quit")
            p.wait(LOAD_TIMEOUT)
    except (EOFError, OSError, RuntimeError, TimeoutError,
            subprocess.TimeoutExpired) as e:
        if p.poll() is None:
            outcome = "hang: %s" % e
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    text = open(log, errors="replace").read()
    if outcome:
        return outcome, text
    if p.returncode < 0:
        return "signal %d" % -p.returncode, text
    for b in BAD:
        if b in text:
            return b, text
    return None, text


def first_error(text):
    """What QEMU said first (why it refused the stream), or "loaded"."""
    for line in text.splitlines():
        # warnings (e.g. VMBus without hv-stimer under TCG) do not
        # refuse anything
        if line.strip() and "warning:" not in line:
            return line.split("qemu-system-x86_64: ", 1)[-1].strip()[:110]
    return "loaded"


def main():
    build, loads = sys.argv[1], int(sys.argv[2])
    qemu = os.path.abspath(os.path.join(build, "bin", "qemu-system-x86_64"))
    guest = os.path.abspath(os.path.join(build, "guest"))
    top = os.path.abspath(os.path.join(build, "fuzz-streams"))
    os.makedirs(os.path.join(top, "findings"), exist_ok=True)
    cfgs = configs(guest)
    names = sys.argv[3:] or list(cfgs)
    rng = random.Random(int(os.environ.get("FUZZ_SEED", "1")))
    seconds = float(os.environ.get("FUZZ_STREAM_SECONDS", "0"))
    total_findings = 0
    for name in names:
        args, modules, steps = cfgs[name]
        stream = os.path.join(top, name + ".stream")
        if not os.path.exists(stream):
            print("fuzz-streams: %s: saving a stream" % name, flush=True)
            save_stream(qemu, guest, name, args, modules, steps,
                        stream + ".tmp")
            os.rename(stream + ".tmp", stream)
        data = open(stream, "rb").read()
        sections = find_sections(data)
        if not sections:
            print("fuzz-streams: %s: no section of ours in the stream" % name)
            return 1
        work = tempfile.mkdtemp(prefix="ubf-fuzz-load-")
        outcomes = collections.Counter()
        findings = 0
        t0 = time.time()
        # The stream as it is loads: the check of the check.
        outcome, text = load_one(qemu, guest, args, modules, stream, work)
        if outcome or first_error(text) != "loaded":
            print("fuzz-streams: %s: the unmutated stream does not load: %s"
                  % (name, outcome or first_error(text)))
            return 1
        done = 0
        for i in range(loads):
            if seconds and time.time() - t0 > seconds:
                break
            done += 1
            mutated, sec = mutate(data, sections, rng)
            path = os.path.join(work, "stream")
            open(path, "wb").write(mutated)
            outcome, text = load_one(qemu, guest, args, modules, path, work)
            if outcome:
                findings += 1
                keep = os.path.join(top, "findings", "%s-%d" % (name, i))
                os.makedirs(keep, exist_ok=True)
                shutil.copy(path, os.path.join(keep, "stream"))
                open(os.path.join(keep, "qemu.log"), "w").write(text)
                open(os.path.join(keep, "what"), "w").write(
                    "%s (section %s)\n" % (outcome, sec))
                print("fuzz-streams: %s: load %d: %s (section %s), kept in %s"
                      % (name, i, outcome, sec, keep), flush=True)
            else:
                outcomes[first_error(text)] += 1
            if done % 1000 == 0:
                print("fuzz-streams: %s: %d loads in %.0f s, %d findings"
                      % (name, done, time.time() - t0, findings), flush=True)
        shutil.rmtree(work, ignore_errors=True)
        total_findings += findings
        print("fuzz-streams: %s: %d loads in %.0f s (sections: %s), %d "
              "findings" % (name, done, time.time() - t0,
                            ", ".join(sorted({s[0] for s in sections})),
                            findings))
        for what, n in outcomes.most_common(8):
            print("    %6d  %s" % (n, what))
    return 1 if total_findings else 0


if __name__ == "__main__":
    sys.exit(main())
