// tsoci: linux.seccomp, seen from inside busybox containers on the real
// kernel: errno rules, argument comparisons, default-deny allow lists, kill,
// the filter in /proc/PID/status of the init and of an exec'd process,
// podman's default profile, and the fields refused in one line.
import t, { type Test } from 'tap';
import fs = require('fs');
import os = require('os');
import path = require('path');
import { removeLeftovers } from '../lib/oci';
import { rootfs } from '../lib/rootfs';
import { sh, tool } from '../lib/run';

type Json = Record<string, any>;

/** A bundle from `tsoci spec` running `script` in sh, changed by `edit`; `oci` runs tsoci with its own --root. */
function bundle(t: Test, script: string, edit: (c: Json) => void = () => {}) {
  const { dir, root } = rootfs(t);
  const b = path.join(dir, 'bundle');
  fs.mkdirSync(b);
  fs.renameSync(root, path.join(b, 'rootfs'));
  const spec = tool('tsoci', ['spec', '--bundle', b]);
  if (spec.status !== 0) throw new Error(spec.stderr);
  const config = JSON.parse(fs.readFileSync(path.join(b, 'config.json'), 'utf8'));
  config.root.readonly = false;
  config.process.args = ['sh', '-c', script];
  edit(config);
  fs.writeFileSync(path.join(b, 'config.json'), JSON.stringify(config));
  const state = path.join(dir, 'state');
  t.teardown(() => removeLeftovers(state));
  return { dir, bundle: b, state, oci: (args: string[]) => tool('tsoci', ['--root', state, ...args], { cwd: b }) };
}

/** what busybox needs to start, write and exit (strace -f busybox true), and nothing else */
const ALLOW = ['execve', 'arch_prctl', 'brk', 'exit_group', 'getrandom', 'getuid', 'mprotect', 'prctl', 'prlimit64', 'readlink', 'rseq',
  'set_robust_list', 'set_tid_address', 'newfstatat', 'getpid', 'write'];

const seccomp = (s: Json) => (c: Json) => {
  c.linux.seccomp = s;
};

t.test('default ALLOW, mkdir and mkdirat refused with EPERM: busybox mkdir says "Operation not permitted"', async (t) => {
  const b = bundle(t, 'mkdir /made; echo status=$?; ls -d /made; echo done',
    seccomp({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_AARCH64'], syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] }));
  const r = b.oci(['run', 'm1']);
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, 'status=1\ndone\n');
  t.match(r.stderr, /mkdir: can't create directory '\/made': Operation not permitted/);
});

t.test('errnoRet: the errno the rule says', async (t) => {
  const b = bundle(t, 'mkdir /made; touch /f; echo done',
    seccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 122 }] }));
  const r = b.oci(['run', 'e1']);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stderr, /mkdir: can't create directory '\/made': Disk quota exceeded/, 'EDQUOT (122)');
  t.equal(r.stdout, 'done\n');
});

t.test('argument comparisons: chmod to 0700 refused, to 0755 not; socket(AF_INET) refused, AF_UNIX not', async (t) => {
  // syslogd makes /dev/log, an AF_UNIX socket, and logger writes to it
  const unix = 'syslogd -n -O /tmp/log & for i in $(seq 50); do [ -S /dev/log ] && break; sleep 0.1; done; logger unix-ok;'
    + ' for i in $(seq 50); do grep -q unix-ok /tmp/log 2>/dev/null && break; sleep 0.1; done; grep -c unix-ok /tmp/log; kill $!';
  const b = bundle(t, `touch /f; chmod 700 /f; echo 700=$?; chmod 755 /f; echo 755=$?; nc 127.0.0.1 9 </dev/null; echo inet=$?; ${unix}`,
    seccomp({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [
        { names: ['chmod'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: 0o700, op: 'SCMP_CMP_EQ' }] },
        { names: ['fchmodat'], action: 'SCMP_ACT_ERRNO', args: [{ index: 2, value: 0o700, op: 'SCMP_CMP_EQ' }] },
        // MASKED_EQ (as runc: value the mask, valueTwo what the masked argument equals): the domain's low byte is AF_INET (2)
        { names: ['socket'], action: 'SCMP_ACT_ERRNO', errnoRet: 97, args: [{ index: 0, value: 0xff, valueTwo: 2, op: 'SCMP_CMP_MASKED_EQ' }] },
      ],
    }));
  const r = b.oci(['run', 'a1']);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /^700=1\n755=0\ninet=1\n/);
  t.match(r.stderr, /chmod: \/f: Operation not permitted/);
  t.match(r.stderr, /Address family not supported by protocol/, 'AF_INET: errnoRet 97 (EAFNOSUPPORT)');
  t.match(r.stdout, /\n1\n$/, 'syslogd and logger talked over AF_UNIX');
});

t.test('default KILL_PROCESS with an allow list: the program still runs, so the filter is loaded just before execve', async (t) => {
  const allow = ALLOW;
  const b = bundle(t, '', (c) => {
    c.process.args = ['true'];
    c.linux.seccomp = { defaultAction: 'SCMP_ACT_KILL_PROCESS', syscalls: [{ names: allow, action: 'SCMP_ACT_ALLOW' }] };
  });
  const r = b.oci(['run', 'k0']);
  t.equal(r.status, 0, r.stderr);
  // the same list without execve: killed at the exec (SIGSYS: 128+31)
  const c = JSON.parse(fs.readFileSync(path.join(b.bundle, 'config.json'), 'utf8'));
  c.linux.seccomp.syscalls[0].names = allow.filter((n) => n !== 'execve');
  fs.writeFileSync(path.join(b.bundle, 'config.json'), JSON.stringify(c));
  t.equal(b.oci(['run', 'k1']).status, 159, 'without execve allowed: SIGSYS');
});

t.test('defaultErrnoRet: what the default action returns; the other actions; the flags', async (t) => {
  const b = bundle(t, '', (c) => {
    c.process.args = ['mkdir', '/made'];
    c.linux.seccomp = { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 122, syscalls: [{ names: ALLOW, action: 'SCMP_ACT_ALLOW' }] };
  });
  const r = b.oci(['run', 'd1']);
  t.equal(r.status, 1);
  t.match(r.stderr, /mkdir: can't create directory '\/made': Disk quota exceeded/, 'mkdir is not allowed: EDQUOT (122)');
  const actions: [string, string, RegExp, number][] = [
    ['SCMP_ACT_TRACE', 'no tracer: ENOSYS', /Function not implemented/, 1],
    ['SCMP_ACT_LOG', 'allowed (and logged)', /^$/, 0],
    ['SCMP_ACT_TRAP', 'SIGSYS', /^$/, 128 + os.constants.signals.SIGSYS],
  ];
  for (const [action, what, stderr, status] of actions) {
    const c = JSON.parse(fs.readFileSync(path.join(b.bundle, 'config.json'), 'utf8'));
    c.process.args = ['mkdir', `/made-${action}`];
    c.linux.seccomp = {
      defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'],
      syscalls: [{ names: ['mkdir', 'mkdirat'], action }],
    };
    fs.writeFileSync(path.join(b.bundle, 'config.json'), JSON.stringify(c));
    const r = b.oci(['run', 'd2']);
    t.equal(r.status, status, `${action}: ${what}`);
    t.match(r.stderr, stderr);
  }
});

// x86_64's numbers: utimensat is 280, set_robust_list 273, rseq 334
t.test('as runc, a call numbered above the highest the profile names gets ENOSYS, not the default action', { skip: process.arch !== 'x64' && 'x86_64 numbers' }, async (t) => {
  const low = ['execve', 'arch_prctl', 'brk', 'exit_group', 'mprotect', 'write', 'set_tid_address', 'set_robust_list', 'readlink', 'getuid', 'prctl', 'newfstatat'];
  const cases: [string, string[], Json, RegExp][] = [
    ['utimensat above them all: ENOSYS', low, {}, /^touch: \/bin: Function not implemented\n$/],
    ['rseq named: utimensat is below, the default EPERM', [...low, 'rseq'], {}, /^touch: \/bin: Operation not permitted\n$/],
    ['a default of ERRNO(ENOSYS) already: no prologue, the default', low, { defaultErrnoRet: 38 }, /^touch: \/bin: Function not implemented\n$/],
    ['a default errno of 122: the prologue\'s ENOSYS above', low, { defaultErrnoRet: 122 }, /^touch: \/bin: Function not implemented\n$/],
    ['and below: the default', [...low, 'rseq'], { defaultErrnoRet: 122 }, /^touch: \/bin: Disk quota exceeded\n$/],
    ['every architecture features lists, one prologue each', low, { architectures: JSON.parse(tool('tsoci', ['features']).stdout).linux.seccomp.archs },
      /^touch: \/bin: Function not implemented\n$/],
  ];
  const b = bundle(t, '');
  for (const [what, allow, extra, stderr] of cases) {
    const c = JSON.parse(fs.readFileSync(path.join(b.bundle, 'config.json'), 'utf8'));
    c.process.args = ['touch', '/bin'];
    c.linux.seccomp = { defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'], ...extra, syscalls: [{ names: allow, action: 'SCMP_ACT_ALLOW' }] };
    fs.writeFileSync(path.join(b.bundle, 'config.json'), JSON.stringify(c));
    const r = b.oci(['run', 'n1']);
    t.equal(r.status, 1, what);
    t.match(r.stderr, stderr, what);
  }
});

t.test('SCMP_ACT_KILL: the process dies of SIGSYS at the call', async (t) => {
  const b = bundle(t, '', (c) => {
    c.process.args = ['mkdir', '/made'];
    c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_KILL' }] };
  });
  const r = b.oci(['run', 'k2']);
  t.equal(r.status, 128 + os.constants.signals.SIGSYS, r.stderr);
  t.notOk(fs.existsSync(path.join(b.bundle, 'rootfs', 'made')));
});

t.test('the init and an exec\'d process are filtered (Seccomp: 2); without no_new_privs the filter is loaded before the capabilities are dropped', async (t) => {
  const b = bundle(t, 'exec sleep 600', (c) => {
    c.process.noNewPrivileges = false;
    c.process.user = { uid: 1000, gid: 1000 };
    c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 122 }] };
  });
  const created = sh(`tsoci --root ${b.state} create --bundle ${b.bundle} s1 </dev/null >/dev/null 2>${b.dir}/err`);
  t.equal(created.status, 0, fs.readFileSync(`${b.dir}/err`, 'utf8'));
  t.equal(b.oci(['start', 's1']).status, 0);
  const pid = Number(fs.readFileSync(path.join(b.state, 's1', 'init.pid'), 'utf8'));
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  t.match(status, /\nSeccomp:\t2\n/, 'the init: a filter');
  t.match(status, /\nNoNewPrivs:\t0\n/, 'no_new_privs left as config.json says');
  t.match(status, /\nCapEff:\t0+\n/, 'uid 1000 with no capabilities: loaded before they were dropped');
  const e = b.oci(['exec', 's1', 'sh', '-c', 'grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status | tr -d "\\t"; mkdir /tmp/x']);
  t.equal(e.status, 1);
  t.equal(e.stdout, 'NoNewPrivs:0\nSeccomp:2\n');
  t.match(e.stderr, /Disk quota exceeded/, 'exec: the container\'s filter');
  const n = b.oci(['exec', '--no-new-privs', 's1', 'mkdir', '/tmp/y']);
  t.match(n.stderr, /Disk quota exceeded/, 'exec with no_new_privs: loaded at its execve');
  t.equal(b.oci(['delete', '--force', 's1']).status, 0);
});

t.test('--dry-run: where the filter is loaded, by no_new_privs', async (t) => {
  for (const nnp of [true, false]) {
    const b = bundle(t, 'true', (c) => {
      c.process.noNewPrivileges = nnp;
      c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'], syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] };
    });
    const r = b.oci(['create', '--dry-run', 'y1']);
    t.equal(r.status, 0, r.stderr);
    const lines = r.stdout.split('\n');
    const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
    const filter = at(/seccomp filter \(libseccomp\): default SCMP_ACT_ALLOW, architectures this machine's, x86_64, 1 rules on 1 system calls/);
    t.ok(filter > 0, 'printed');
    if (nnp) {
      t.match(lines[filter], /loaded just before execve$/);
      t.ok(filter > at(/prctl\(PR_SET_NO_NEW_PRIVS, 1\)/) && filter > at(/capabilities: /), 'after no_new_privs and the capabilities');
    } else {
      t.match(lines[filter], /loaded now \(before the capabilities are dropped/);
      t.ok(filter < at(/setgroups\(/) && filter < at(/capabilities: /), 'before the credentials and capabilities');
    }
    t.notOk(fs.existsSync(path.join(b.state, 'y1')), 'nothing made');
  }
});

/** podman's conversion of its profile (Docker's format, /usr/share/containers/seccomp.json) into
 * config.json's linux.seccomp, for this machine's architecture and the process's bounding set */
function podmanSeccomp(profile: Json, caps: string[]): Json {
  const arch = process.arch === 'arm64' ? 'arm64' : 'amd64';
  const native = process.arch === 'arm64' ? 'SCMP_ARCH_AARCH64' : 'SCMP_ARCH_X86_64';
  const entry = (profile.archMap as Json[]).find((a) => a.architecture === native)!;
  const keep = (s: Json) => {
    const inc = s.includes ?? {};
    const exc = s.excludes ?? {};
    if (inc.arches?.length && !inc.arches.includes(arch)) return false;
    if (exc.arches?.includes(arch)) return false;
    if (inc.caps?.length && !inc.caps.every((c: string) => caps.includes(c))) return false;
    if (exc.caps?.some((c: string) => caps.includes(c))) return false;
    return true;
  };
  return {
    defaultAction: profile.defaultAction,
    defaultErrnoRet: profile.defaultErrnoRet,
    architectures: [entry.architecture, ...entry.subArchitectures],
    syscalls: (profile.syscalls as Json[]).filter(keep).map((s) => ({
      names: s.names ?? [s.name], action: s.action, args: s.args ?? [], ...(s.errnoRet !== undefined ? { errnoRet: s.errnoRet } : {}),
    })),
  };
}

const PODMAN_CAPS = ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_SETFCAP', 'CAP_SETGID', 'CAP_SETPCAP', 'CAP_SETUID', 'CAP_SYS_CHROOT'];

// podman's profile allows unshare and mount (capabilities guard them); swapon
// it refuses to everyone: with CAP_SYS_ADMIN (podman run --cap-add SYS_ADMIN)
// the kernel's answer on /dev/null is EINVAL, the filter's EPERM
t.test('podman\'s default profile: busybox sh runs under it; swapon gets the filter\'s EPERM, not the kernel\'s EINVAL', { skip: !fs.existsSync('/usr/share/containers/seccomp.json') && 'no /usr/share/containers/seccomp.json (podman)' }, async (t) => {
  const profile = JSON.parse(fs.readFileSync('/usr/share/containers/seccomp.json', 'utf8'));
  const caps = [...PODMAN_CAPS, 'CAP_SYS_ADMIN'];
  const script = 'echo hello; mkdir /tmp/d && echo mkdir-ok; unshare -U true && echo unshare-ok; grep "^Seccomp:" /proc/self/status | tr -d "\\t"; swapon /dev/null; echo swapon=$?';
  for (const withFilter of [true, false]) {
    const b = bundle(t, script, (c) => {
      c.process.capabilities = { bounding: caps, effective: caps, permitted: caps };
      c.process.noNewPrivileges = false; // podman's default
      if (withFilter) c.linux.seccomp = podmanSeccomp(profile, caps);
    });
    const r = b.oci(['run', 'p1']);
    t.equal(r.status, 0, r.stderr);
    t.equal(r.stdout, `hello\nmkdir-ok\nunshare-ok\nSeccomp:${withFilter ? 2 : 0}\nswapon=1\n`, r.stderr);
    t.equal(r.stderr, `swapon: /dev/null: ${withFilter ? 'Operation not permitted' : 'Invalid argument'}\n`, withFilter ? 'the filter' : 'the control: no filter, the kernel');
  }
});

t.test('refused in one line naming the field, before anything is made', async (t) => {
  const cases: [Json, RegExp][] = [
    [{ defaultAction: 'SCMP_ACT_BOGUS' }, /^tsoci: linux\.seccomp\.defaultAction: 'SCMP_ACT_BOGUS' is not an action tsoci knows \(SCMP_ACT_KILL, .*\)\n$/],
    [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1, op: 'SCMP_CMP_ALMOST' }] }] },
      /^tsoci: linux\.seccomp\.syscalls\[0\]\.args\[0\]\.op: 'SCMP_CMP_ALMOST' is not an operator tsoci knows/],
    [{ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_Z80'] }, /^tsoci: linux\.seccomp\.architectures\[0\]: 'SCMP_ARCH_Z80' is not an architecture tsoci knows/],
    [{ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_S390X'] },
      /^tsoci: linux\.seccomp\.architectures\[1\]: SCMP_ARCH_S390X is of the other byte order: a filter on this machine cannot hold it\n$/],
    [{ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_BOGUS'] }, /^tsoci: linux\.seccomp\.flags\[0\]: 'SECCOMP_FILTER_FLAG_BOGUS' is not a flag/],
    [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }] }, /^tsoci: linux\.seccomp\.syscalls\[0\]\.action: SCMP_ACT_NOTIFY is not supported by tsoci/],
    [{ defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/run/agent.sock' }, /^tsoci: linux\.seccomp\.listenerPath is not supported by tsoci/],
    [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_KILL', errnoRet: 1 }] }, /^tsoci: linux\.seccomp\.syscalls\[0\]\.errnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE return a value/],
    [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', args: [{ index: 6, value: 1, op: 'SCMP_CMP_EQ' }] }] },
      /^tsoci: linux\.seccomp\.syscalls\[0\]\.args\[0\]\.index: expected an argument index from 0 to 5/],
    [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mk dir'], action: 'SCMP_ACT_ERRNO' }] }, /^tsoci: linux\.seccomp\.syscalls\[0\]\.names\[0\]: 'mk dir' is not a system call name/],
    [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: [], action: 'SCMP_ACT_ERRNO' }] }, /^tsoci: linux\.seccomp\.syscalls\[0\]\.names: expected at least one/],
    [{ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 5000 }, /^tsoci: linux\.seccomp\.defaultErrnoRet: expected an errno from 0 to 4095/],
  ];
  const b = bundle(t, 'true');
  for (const [s, msg] of cases) {
    const c = JSON.parse(fs.readFileSync(path.join(b.bundle, 'config.json'), 'utf8'));
    c.linux.seccomp = s;
    fs.writeFileSync(path.join(b.bundle, 'config.json'), JSON.stringify(c));
    const r = b.oci(['create', 'r1']);
    t.equal(r.status, 1, JSON.stringify(s));
    t.match(r.stderr, msg);
    t.equal(r.stderr.split('\n').length, 2, 'one line');
    t.notOk(fs.existsSync(path.join(b.state, 'r1')), 'nothing made');
  }
});

t.test('a system call libseccomp does not know is skipped (as runc); features says what is supported', async (t) => {
  const b = bundle(t, 'mkdir /made; echo $?',
    seccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['no_such_call_2077', 'mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] }));
  t.match(b.oci(['run', 'u1']), { status: 0, stdout: '1\n' });
  const f = JSON.parse(tool('tsoci', ['features']).stdout).linux.seccomp;
  t.equal(f.enabled, true);
  t.ok(f.actions.includes('SCMP_ACT_KILL_PROCESS') && !f.actions.includes('SCMP_ACT_NOTIFY'), 'actions: no NOTIFY');
  t.ok(f.operators.includes('SCMP_CMP_MASKED_EQ'));
  t.ok(f.archs.includes('SCMP_ARCH_X86_64') && f.archs.includes('SCMP_ARCH_AARCH64') && !f.archs.includes('SCMP_ARCH_S390X'), 'archs: this byte order\'s');
  t.same(f.supportedFlags, ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW']);
  // every operator, on busybox mkdir's mode (mkdir(path, 0777): its argument 1, mkdirat's 2),
  // in a filter of every architecture and flag listed: [value, valueTwo] that match, that do not
  const cases: Record<string, [number[], number[]]> = {
    SCMP_CMP_NE: [[0], [0o777]], SCMP_CMP_LT: [[0o1000], [0o777]], SCMP_CMP_LE: [[0o777], [0o776]], SCMP_CMP_EQ: [[0o777], [0o1000]],
    SCMP_CMP_GE: [[0o777], [0o1000]], SCMP_CMP_GT: [[0o776], [0o777]], SCMP_CMP_MASKED_EQ: [[0o700, 0o700], [0o700, 0]],
  };
  t.same(Object.keys(cases).sort(), [...f.operators].sort());
  for (const [op, [yes, no]] of Object.entries(cases)) {
    for (const [values, made] of [[yes, false], [no, true]] as const) {
      const c = JSON.parse(fs.readFileSync(path.join(b.bundle, 'config.json'), 'utf8'));
      const arg = (index: number) => ({ index, value: values[0], valueTwo: values[1] ?? 0, op });
      c.process.args = ['sh', '-c', 'rmdir /made 2>/dev/null; mkdir /made; echo $?'];
      c.linux.seccomp = {
        defaultAction: 'SCMP_ACT_ALLOW', architectures: f.archs, flags: f.supportedFlags,
        syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', args: [arg(1)] }, { names: ['mkdirat'], action: 'SCMP_ACT_ERRNO', args: [arg(2)] }],
      };
      fs.writeFileSync(path.join(b.bundle, 'config.json'), JSON.stringify(c));
      t.match(b.oci(['run', 'u2']), { status: 0, stdout: made ? '0\n' : '1\n' }, `${op} ${values.join(' ')}: ${made ? 'made' : 'refused'}`);
    }
  }
});
