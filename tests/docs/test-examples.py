#!/usr/bin/python3
"""Run every example of docs/ as a user would type it.  TAP.

An example is a literal block ("::") whose first line is a command
(qemu-system-x86_64, balloonctl, ubf-autod, virsh, a QEMU option, a
libvirt domain...).  Each is preceded by an rst comment saying how it is
run; an example without one fails, so a new one cannot go untested:

  .. example: qemu [no-kvm: OPTIONS]
      a QEMU command line, started with -S (and -display none, its own
      QMP socket): it must reach "prelaunch" and answer
      query-memory-resize.  Disks (-drive, -cdrom, -hda) are left out:
      such examples need an image (Windows, say) and start without it.
      With no-kvm, "-accel kvm" and "-cpu host,..." give way to the
      options the page advises for machines without KVM.
  .. example: qemu-vm NAME [no-kvm: OPTIONS]
      the same, then booted with the test guest (its kernel and initrd
      instead of the disk) as VM NAME, for the examples that follow.
  .. example: qemu-fragment nodes=SIZE,... [vmem=SIZE] [balloon] [hv]
      QEMU options (and QMP commands) added to a VM the comment describes,
      as the page's prose does: NUMA nodes of these boot sizes, a
      virtio-mem device of SIZE on each, a virtio-balloon, hv-balloon.
  .. example: run
      each command line run, exit status 0 (or "# exit status N").
  .. example: errors
      "$ COMMAND   # exit status N [within S s]" lines each followed by
      what it must print on standard error, exactly ("..." ends a line
      whose rest varies); "within" bounds how long it may take.
  .. example: output
      "$ COMMAND" lines each followed by the first lines it must print
      on standard output, exactly ("..." as for errors); exit status 0.
  .. example: file PATH
      the block is written to PATH, for the examples that follow.
  .. example: libvirt-domain
      a domain XML ("/path/to/" is this build), defined and started on
      qemu:///system.
  .. example: not-run REASON
      reported as skipped, with the reason.

Paths under /run/, /etc/ubf/ and /var/lib/prometheus/ are put in a
temporary folder (and put back in what the tools print); remote libvirt
URIs (qemu+ssh://, qemu+tls://) reach this host's libvirtd, each under
a URI of its own.  Long-running commands (watch, ubf-autod) get a
--count.  Every substitution is printed.

Usage: test-examples.py   (environment of the integration tests:
UBF_QEMU, UBF_GUEST_DIR, UBF_BALLOONCTL, UBF_AUTOD, UBF_SOURCE_ROOT)

Copyright (c) 2026 The Unified Balloon Frontend authors
SPDX-License-Identifier: GPL-2.0-or-later
"""

import glob
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time

SRC = os.environ['UBF_SOURCE_ROOT']
QEMU = os.environ['UBF_QEMU']
GUEST = os.environ['UBF_GUEST_DIR']
TOOLS = {'balloonctl': os.environ['UBF_BALLOONCTL'],
         'ubf-autod': os.environ['UBF_AUTOD'],
         'qemu-system-x86_64': QEMU,
         'ubf-qemu-system-x86_64': QEMU}
URI = 'qemu:///system'
# A remote host of the docs is this host's libvirtd under a URI of its
# own, so that each is a host of its own to balloonctl.
LOCAL_URIS = [URI, 'qemu+unix:///system',
              'qemu+unix:///system?socket=/var/run/libvirt/libvirt-sock',
              'qemu+unix:///system?socket=/run/libvirt/libvirt-sock']
COMMANDS = ('qemu-system-x86_64', 'ubf-qemu-system-x86_64', 'balloonctl',
            'ubf-autod', 'virsh', 'virtlogd', 'libvirtd', '-object',
            '-device', '-cpu', 'make', 'apt')
TIMEOUT = 600

T = tempfile.mkdtemp(prefix='ubf-docs-')
MAPPED = [('/run/', os.path.join(T, 'run') + '/'),
          ('/etc/ubf/', os.path.join(T, 'etc-ubf') + '/'),
          ('/var/lib/prometheus/', os.path.join(T, 'prometheus') + '/')]
for _, d in MAPPED:
    os.makedirs(d, exist_ok=True)
# as the prometheus-node-exporter package makes it
os.makedirs(os.path.join(T, 'prometheus', 'node-exporter'))

results = []                # (ok, name, comments, skip reason)
vms = {}                    # NAME -> Popen
remote = {}                 # remote URI -> local URI
started_daemons = []
domains = []


def log(msg):
    print('# ' + msg, flush=True)


def map_paths(text):
    for doc, here in MAPPED:
        text = re.sub(r'(?<![\w/.])' + re.escape(doc), here, text)
    return text


def unmap_paths(text):
    for doc, here in MAPPED:
        text = text.replace(here, doc)
    return text


def map_uris(text):
    def one(m):
        uri = m.group(0)
        if uri not in remote:
            remote[uri] = LOCAL_URIS[1 + len(remote) % (len(LOCAL_URIS) - 1)]
            log('%s stands for %s (this host)' % (remote[uri], uri))
        return remote[uri]
    # .invalid never resolves (RFC 2606): those stay, to fail as shown
    return re.sub(r'qemu\+(ssh|tls)://(?![^/\s]*\.invalid/)[^\s\'"]*', one,
                  text)


# --- Reading the examples ------------------------------------------------

class Example:
    def __init__(self, page, line, marker, text):
        self.page, self.line, self.marker, self.text = page, line, marker, text
        kind, _, self.args = (marker or '').partition(' ')
        self.kind = kind
        self.args = self.args.strip()

    @property
    def name(self):
        return '%s:%d %s' % (self.page, self.line, self.kind or 'unmarked')


def examples(path):
    page = os.path.basename(path)
    lines = open(path, encoding='utf-8').read().split('\n')
    marker, i, found = None, 0, []
    while i < len(lines):
        line = lines[i]
        m = re.match(r'^\s*\.\. example: (.*)$', line)
        if m:
            marker = m.group(1).strip()
            i += 1
            continue
        s = line.rstrip()
        if s.endswith('::') and not re.match(r'^\s*\.\. \S+::', s):
            indent = len(line) - len(line.lstrip())
            j = i + 1
            block = []
            while j < len(lines) and (not lines[j].strip() or
                                      len(lines[j]) - len(lines[j].lstrip())
                                      > indent):
                block.append(lines[j])
                j += 1
            while block and not block[-1].strip():
                block.pop()
            body = [b for b in block if b.strip()]
            if body:
                cut = min(len(b) - len(b.lstrip()) for b in body)
                text = '\n'.join(b[cut:] for b in block).strip('\n')
                found.append(Example(page, i + 2, marker, text))
            marker = None
            i = j
            continue
        i += 1
    return found


def is_command(text):
    first = text.lstrip().split('\n')[0]
    if first.startswith('$ '):
        first = first[2:]
    return first.startswith('<domain') or first.split()[0] in COMMANDS


def command_lines(text):
    """Join continuation lines; drop comments at line ends."""
    out, cur = [], ''
    for raw in text.split('\n'):
        line = re.sub(r'\s+# .*$', '', raw.rstrip())
        if line.endswith('\\'):
            cur += line[:-1] + ' '
            continue
        out.append(cur + line)
        cur = ''
    if cur:
        out.append(cur)
    return [o.strip() for o in out if o.strip()]


# --- QEMU ----------------------------------------------------------------

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
                time.sleep(0.05)
        self.s.settimeout(timeout)
        self.f = self.s.makefile('r')
        json.loads(self.f.readline())
        self.cmd('qmp_capabilities')

    def cmd(self, name, **args):
        msg = {'execute': name}
        if args:
            msg['arguments'] = args
        return self.raw(msg)

    def raw(self, msg):
        self.s.sendall(json.dumps(msg).encode() + b'\n')
        while True:
            r = json.loads(self.f.readline())
            if 'event' not in r:
                return r

    def close(self):
        self.s.close()


def qemu_argv(text, no_kvm):
    lines = command_lines(text)
    argv = shlex.split(map_paths(' '.join(lines)))
    argv = [a for a in argv if a != '...']
    out, notes, i = [], [], 0
    while i < len(argv):
        a = argv[i]
        if i == 0 and a in TOOLS:
            out.append(TOOLS[a])
        elif a in ('-drive', '-cdrom', '-hda', '-hdb', '-nic', '-netdev'):
            notes.append('left out: %s %s' % (a, argv[i + 1]))
            i += 1
        elif a == '-kernel':
            out += [a, os.path.join(GUEST, 'vmlinuz')]
            i += 1
        elif a == '-initrd':
            out += [a, os.path.join(GUEST, 'initrd.img')]
            i += 1
        elif no_kvm and a == '-accel' and argv[i + 1] == 'kvm':
            out += no_kvm['-accel']
            notes.append('-accel kvm: %s' % ' '.join(no_kvm['-accel']))
            i += 1
        elif no_kvm and a == '-cpu' and argv[i + 1].startswith('host') \
                and '-cpu' in no_kvm:
            out += no_kvm['-cpu']
            notes.append('-cpu %s: %s' % (argv[i + 1],
                                           ' '.join(no_kvm['-cpu'])))
            i += 1
        else:
            out.append(a)
        i += 1
    return out, notes


def parse_no_kvm(args):
    m = re.search(r'no-kvm: (.*)$', args)
    if not m:
        return None
    words = shlex.split(m.group(1))
    return {words[k]: [words[k], words[k + 1]]
            for k in range(0, len(words), 2)}


def start_paused(argv, name):
    """Start @argv with -S; it must reach prelaunch and answer."""
    d = tempfile.mkdtemp(prefix='q-', dir=T)
    qmp = os.path.join(d, 'qmp.sock')
    errlog = os.path.join(d, 'stderr')
    full = argv + ['-S', '-display', 'none', '-monitor', 'none',
                   '-qmp', 'unix:%s,server=on,wait=off' % qmp]
    p = subprocess.Popen(full, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL,
                         stderr=open(errlog, 'w'))
    try:
        try:
            q = Qmp(qmp, 30)
        except OSError:
            p.wait(10)
            raise RuntimeError('QEMU did not start: %s' %
                               open(errlog).read().strip())
        st = q.cmd('query-status')['return']['status']
        if st != 'prelaunch':
            raise RuntimeError('status %s, not prelaunch' % st)
        r = q.cmd('query-memory-resize')
        if 'error' in r and r['error']['class'] != 'DeviceNotActive':
            raise RuntimeError('query-memory-resize: %s' % r['error'])
        return p, q
    except Exception:
        if p.poll() is None:
            p.kill()
            p.wait()
        raise


def run_qemu(ex, boot):
    no_kvm = parse_no_kvm(ex.args)
    argv, notes = qemu_argv(ex.text, no_kvm)
    for n in notes:
        log(n)
    p, q = start_paused(argv, ex.name)
    q.cmd('quit')
    q.close()
    p.wait(30)
    if boot:
        name = ex.args.split()[0]
        vm_boot(name, argv)


def vm_boot(name, argv):
    d = tempfile.mkdtemp(prefix='vm-%s-' % name, dir=T)
    qmp = os.path.join(d, 'test.sock')
    full = argv + ['-display', 'none', '-nodefaults',
                   '-kernel', os.path.join(GUEST, 'vmlinuz'),
                   '-initrd', os.path.join(GUEST, 'initrd.img'),
                   '-append', 'console=ttyS0 panic=-1 '
                   'memhp_default_state=online_movable '
                   'ubf.modules=virtio_balloon,virtio_mem',
                   '-serial', 'file:' + os.path.join(d, 'console.log'),
                   '-qmp', 'unix:%s,server=on,wait=off' % qmp]
    log('%s: booted with the test guest: %s' % (name, ' '.join(full)))
    p = subprocess.Popen(full, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL,
                         stderr=open(os.path.join(d, 'stderr'), 'w'))
    vms[name] = (p, qmp)


def vm_wait_drivers(name):
    """Until every resize backend's guest driver is connected."""
    p, path = vms[name]
    q = Qmp(path, 30)
    end = time.time() + 300
    try:
        while time.time() < end:
            r = q.cmd('query-memory-resize')['return']
            if all(b['driver-connected'] for b in r['backends']):
                return
            # events (BALLOON_CHANGE, driver connects) wake us sooner
            q.s.settimeout(1)
            try:
                q.f.readline()
            except OSError:
                pass
            q.s.settimeout(30)
        raise RuntimeError('%s: guest drivers not connected after 300 s'
                           % name)
    finally:
        q.close()


def parse_fragment(args):
    spec = {'nodes': ['1G'], 'vmem': None, 'balloon': False, 'hv': False}
    for w in args.split():
        k, _, v = w.partition('=')
        if k in ('nodes',):
            spec[k] = v.split(',')
        elif k == 'vmem':
            spec[k] = v
        elif k in ('balloon', 'hv'):
            spec[k] = True
    return spec


def mib(size):
    m = re.match(r'^(\d+)([MG])$', size)
    return int(m.group(1)) * (1024 if m.group(2) == 'G' else 1)


def fragment_base(spec):
    nodes = spec['nodes']
    boot = sum(mib(n) for n in nodes)
    vmem = mib(spec['vmem']) if spec['vmem'] else 0
    argv = [QEMU, '-machine', 'q35', '-accel', 'tcg', '-smp', str(len(nodes))]
    maxmem = boot + vmem * len(nodes) + (40 * 1024 if spec['hv'] else 0)
    argv += ['-m', '%dM,slots=4,maxmem=%dM' % (boot, maxmem)]
    for n, size in enumerate(nodes):
        argv += ['-object', 'memory-backend-ram,id=node%d,size=%s' % (n, size),
                 '-numa', 'node,nodeid=%d,cpus=%d,memdev=node%d' % (n, n, n)]
        if vmem:
            argv += ['-object', 'memory-backend-ram,id=vm%d,size=%dM' %
                     (n, vmem),
                     '-device', 'virtio-mem-pci,id=vmem%d,memdev=vm%d,node=%d'
                     % (n, n, n)]
    if spec['balloon']:
        argv += ['-device', 'virtio-balloon-pci,id=balloon0']
    if spec['hv']:
        argv += ['-global', 'ICH9-LPC.disable_s4=1']
    return argv


def run_fragment(ex):
    spec = parse_fragment(ex.args)
    argv = fragment_base(spec)
    # options are the lines starting with "-", the rest QMP commands
    opts = [line for line in command_lines(ex.text) if line.startswith('-')]
    frag = shlex.split(map_paths(' '.join(opts)))
    # The fragment's -cpu wins over the base's (none) as on a real line.
    argv += frag
    log('on %s' % ' '.join(argv[1:]))
    p, q = start_paused(argv, ex.name)
    try:
        # QMP lines of the block may span several lines: join each {...}
        text = '\n'.join(l for l in ex.text.split('\n')
                         if not l.lstrip().startswith('-'))
        for msg in split_json(text):
            r = q.raw(msg)
            if 'error' in r:
                raise RuntimeError('%s: %s' % (json.dumps(msg), r['error']))
            log('%s -> %s' % (json.dumps(msg), json.dumps(r)))
    finally:
        q.cmd('quit')
        q.close()
        p.wait(30)


def split_json(text):
    dec, i, out = json.JSONDecoder(), 0, []
    text = text.strip()
    while i < len(text):
        if text[i].isspace():
            i += 1
            continue
        obj, i = dec.raw_decode(text, i)
        out.append(obj)
    return out


# --- Tools -----------------------------------------------------------------

def tool_argv(line):
    words = shlex.split(map_uris(map_paths(line)))
    prog = words[0]
    if prog in TOOLS:
        words[0] = TOOLS[prog]
    if prog == 'ubf-autod' and not {'--version', '--help'} & set(words):
        if '--count' not in words:
            words += ['--count', '3']
            log('ubf-autod: --count 3 added (it runs until stopped)')
        if '--state' not in words:
            words += ['--state', map_paths('/run/ubf-autod/state.json')]
    if prog == 'balloonctl' and 'watch' in words and '--count' not in words:
        words += ['--count', '2']
        log('balloonctl watch: --count 2 added (it runs until stopped)')
    if prog == 'balloonctl' and 'auto-status' in words and \
            '--state' not in words:
        words += ['--state', map_paths('/run/ubf-autod/state.json')]
    return words


def run_line(line, timeout):
    if re.search(r'[|&;<>]|\$\$', line):
        env = dict(os.environ, PATH=BIN + ':' + os.environ['PATH'])
        p = subprocess.run(['/bin/sh', '-c', map_uris(map_paths(line))],
                           capture_output=True, text=True, timeout=timeout,
                           env=env)
    else:
        p = subprocess.run(tool_argv(line), capture_output=True, text=True,
                           timeout=timeout)
    return p.returncode, unmap_paths(p.stdout), unmap_paths(p.stderr)


def split_status(line):
    """COMMAND   # exit status N [within S s]: (COMMAND, N, S or None)"""
    m = re.match(r'^(.*?)\s+# exit status (\d+)(?: within (\d+) s)?$', line)
    if m:
        return m.group(1), int(m.group(2)), \
            int(m.group(3)) if m.group(3) else None
    return line, 0, None


def run_commands(ex):
    # A block may be one shell command over several lines (a pipeline).
    cmds = [c[2:] if c.startswith('$ ') else c
            for c in command_lines(ex.text)]
    cmds = [c for c in cmds if c.split()[0] in TOOLS or
            c.split()[0] in ('virsh', 'mv')]
    if any(c.endswith('&&') for c in cmds):
        cmds = [' '.join(cmds)]
    for c in cmds:
        cmd, want, _ = split_status(c)
        t0 = time.time()
        rc, out, err = run_line(cmd, TIMEOUT)
        log('$ %s  -> exit %d in %.1f s' % (cmd, rc, time.time() - t0))
        for line in (out + err).splitlines()[:12]:
            log('  ' + line)
        if rc != want:
            raise RuntimeError('%s: exit status %d, not %d: %s' %
                               (cmd, rc, want, err.strip()[:300]))
        if re.search(r'CRITICAL \*\*|assertion|WARNING \*\*', err):
            raise RuntimeError('%s: a warning or a failed assertion: %s' %
                               (cmd, err.strip()[:300]))
        if '--json' in cmd.split():
            json.loads(out)


def run_errors(ex, stream='stderr'):
    lines = ex.text.split('\n')
    i = 0
    while i < len(lines):
        if not lines[i].startswith('$ '):
            raise RuntimeError('expected "$ COMMAND": %s' % lines[i])
        cmd, status, within = split_status(lines[i][2:].rstrip())
        want = []
        i += 1
        while i < len(lines) and not lines[i].startswith('$ '):
            want.append(lines[i])
            i += 1
        t0 = time.time()
        rc, out, err = run_line(cmd, 30)
        took = time.time() - t0
        text = err if stream == 'stderr' else out
        got = text.rstrip('\n').split('\n') if text.strip() else []
        if stream == 'stdout':
            got = got[:len(want)]
        log('$ %s  -> exit %d in %.2f s' % (cmd, rc, took))
        for g in got:
            log('  ' + g)
        if rc != status:
            raise RuntimeError('%s: exit status %d, not %d: %s' %
                               (cmd, rc, status, err.strip()[:300]))
        if within is not None and took > within:
            raise RuntimeError('%s: took %.2f s, more than %d s' %
                               (cmd, took, within))
        if len(got) != len(want) or not all(
                g == w or (w.endswith('...') and g.startswith(w[:-3]))
                for g, w in zip(got, want)):
            raise RuntimeError('%s: printed %r, not %r' % (cmd, got, want))


# --- libvirt -----------------------------------------------------------------

def libvirt_up():
    return subprocess.run(['virsh', '-c', URI, 'version'],
                          capture_output=True).returncode == 0


def libvirt_start(ex):
    """The page's own way to start the daemons, unless they run."""
    if libvirt_up():
        log('libvirtd already runs: the block is not needed')
        return
    for line in command_lines(ex.text):
        prog = line.split()[0]
        if prog in ('virtlogd', 'libvirtd'):
            subprocess.run(line.split(), check=True, timeout=60)
            started_daemons.append(prog)
    end = time.time() + 30
    while not libvirt_up():
        if time.time() > end:
            raise RuntimeError('libvirtd does not answer')
        time.sleep(0.2)
    run_commands(ex)


def libvirt_domain(ex):
    if not libvirt_up():
        raise RuntimeError('no libvirtd (an earlier example starts it)')
    xml = ex.text.replace('/path/to/build/', os.path.dirname(GUEST) + '/')
    xml = xml.replace(os.path.join(os.path.dirname(GUEST), 'bin',
                                   'qemu-system-x86_64'), QEMU)
    xml = xml.replace(os.path.join(os.path.dirname(GUEST), 'guest') + '/',
                      GUEST + '/')
    name = re.search(r'<name>(.*?)</name>', xml).group(1)
    path = os.path.join(T, name + '.xml')
    open(path, 'w').write(xml)
    subprocess.run(['virsh', '-c', URI, 'destroy', name], capture_output=True)
    subprocess.run(['virsh', '-c', URI, 'undefine', name],
                   capture_output=True)
    for args in (['define', path], ['start', name]):
        p = subprocess.run(['virsh', '-c', URI] + args, capture_output=True,
                           text=True, timeout=120)
        if p.returncode:
            raise RuntimeError('virsh %s: %s' % (args[0], p.stderr.strip()))
    domains.append(name)
    # until its guest drivers are up: query through the monitor
    end = time.time() + 300
    while time.time() < end:
        p = subprocess.run(['virsh', '-c', URI, 'qemu-monitor-command', name,
                            '{"execute":"query-memory-resize"}'],
                           capture_output=True, text=True)
        if p.returncode == 0:
            r = json.loads(p.stdout)['return']
            if all(b['driver-connected'] for b in r['backends']):
                log('domain %s: guest drivers connected' % name)
                return
        time.sleep(0.5)
    raise RuntimeError('domain %s: guest drivers never connected' % name)


def cleanup():
    for name in domains:
        subprocess.run(['virsh', '-c', URI, 'destroy', name],
                       capture_output=True)
        subprocess.run(['virsh', '-c', URI, 'undefine', name],
                       capture_output=True)
    for prog in reversed(started_daemons):
        subprocess.run(['pkill', '-x', prog])
    for p, _ in vms.values():
        if p.poll() is None:
            p.kill()
            p.wait()
    shutil.rmtree(T, ignore_errors=True)


# --- Main ----------------------------------------------------------------------

def main():
    global BIN
    BIN = os.path.join(T, 'bin')
    os.makedirs(BIN)
    for name, path in TOOLS.items():
        os.symlink(path, os.path.join(BIN, name))

    pages = sorted(glob.glob(os.path.join(SRC, 'docs', '*.rst')))
    # index first: its quick start boots the VMs the other pages use
    pages.sort(key=lambda p: os.path.basename(p) != 'index.rst')
    exs = [e for p in pages for e in examples(p)
           if e.marker or is_command(e.text)]
    print('1..%d' % len(exs), flush=True)

    # Paused QEMU first (quick), booting the VMs as they come; then the
    # files; then the tools against the VMs, then against libvirt.
    order = ([e for e in exs if e.kind in ('qemu', 'qemu-vm',
                                           'qemu-fragment')] +
             [e for e in exs if e.kind == 'file'] +
             [e for e in exs if e.kind == 'libvirt-start'] +
             [e for e in exs if e.kind == 'libvirt-domain'] +
             [e for e in exs if e.kind in ('run', 'errors', 'output')])
    rest = [e for e in exs if e not in order]
    n = 0
    failed = 0
    waited = set()
    for ex in order + rest:
        n += 1
        try:
            if ex.kind == 'not-run':
                print('ok %d %s # SKIP %s' % (n, ex.name, ex.args),
                      flush=True)
                continue
            if not ex.kind:
                raise RuntimeError('a command example without an '
                                   '".. example:" comment')
            log('%s: %s' % (ex.name, ex.text.split('\n')[0][:100]))
            t0 = time.time()
            if ex.kind in ('qemu', 'qemu-vm'):
                run_qemu(ex, ex.kind == 'qemu-vm')
            elif ex.kind == 'qemu-fragment':
                run_fragment(ex)
            elif ex.kind == 'file':
                path = map_paths(ex.args)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                open(path, 'w').write(map_uris(ex.text) + '\n')
                log('%s written (%s)' % (ex.args, path))
            elif ex.kind in ('run', 'errors', 'output'):
                for name in vms:
                    if name not in waited:
                        vm_wait_drivers(name)
                        waited.add(name)
                        log('%s: guest drivers connected' % name)
                if ex.kind == 'run':
                    run_commands(ex)
                else:
                    run_errors(ex, 'stderr' if ex.kind == 'errors'
                               else 'stdout')
            elif ex.kind == 'libvirt-start':
                libvirt_start(ex)
            elif ex.kind == 'libvirt-domain':
                libvirt_domain(ex)
            else:
                raise RuntimeError('unknown example kind %r' % ex.kind)
            print('ok %d %s (%.1f s)' % (n, ex.name, time.time() - t0),
                  flush=True)
        except Exception as e:
            failed += 1
            print('not ok %d %s' % (n, ex.name), flush=True)
            for line in str(e).split('\n'):
                log(line)
    cleanup()
    return 1 if failed else 0


if __name__ == '__main__':
    try:
        sys.exit(main())
    except BaseException:
        cleanup()
        raise
