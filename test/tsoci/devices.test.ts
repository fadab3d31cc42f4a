// tsoci: linux.devices and the devices runc always makes, seen with stat
// from inside the container: mknod'ed with their numbers, mode and owner;
// in a user namespace the host's nodes bound instead; /dev/console the
// terminal's slave.
import t from 'tap';
import fs = require('fs');
import path = require('path');
import { args, bundle, consoleSocket } from '../lib/oci';

/** stat's line for each path: name, major:minor (hex), mode (octal), uid:gid, type */
const STAT = (paths: string) => `stat -c "%n %t:%T %a %u:%g %F" ${paths}`;

t.test('linux.devices and the defaults: mknod with the numbers, mode and owner asked', async (t) => {
  const b = bundle(t, (c) => {
    args(`${STAT('/dev/null /dev/zero /dev/full /dev/tty /dev/random /dev/urandom /dev/fuse /dev/disk/loop7 /dev/pipe')}; echo x > /dev/null && head -c 3 /dev/zero | od -An -c`)(c);
    c.linux.devices = [
      { path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o640, uid: 5, gid: 6 },
      { path: '/dev/disk/loop7', type: 'b', major: 7, minor: 7, fileMode: 0o20600 }, // the type bits in fileMode are not the mode
      { path: '/dev/pipe', type: 'p' },
      { path: '/dev/full', type: 'c', major: 1, minor: 7, fileMode: 0o600 }, // replaces the default
    ];
  });
  const r = b.oci(['run', '--bundle', b.bundle, 'd1']);
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, [
    '/dev/null 1:3 666 0:0 character special file',
    '/dev/zero 1:5 666 0:0 character special file',
    '/dev/full 1:7 600 0:0 character special file',
    '/dev/tty 5:0 666 0:0 character special file',
    '/dev/random 1:8 666 0:0 character special file',
    '/dev/urandom 1:9 666 0:0 character special file',
    '/dev/fuse a:e5 640 5:6 character special file',
    '/dev/disk/loop7 7:7 600 0:0 block special file',
    '/dev/pipe 0:0 666 0:0 fifo',
    '  \\0  \\0  \\0',
    '',
  ].join('\n'));
  const dry = b.oci(['create', '--dry-run', '--bundle', b.bundle, 'd2']);
  t.match(dry.stdout, /mknod\("\/dev\/fuse" in the new root, 020640, makedev\(10, 229\)\), chown\(5, 6\)/, 'the plan says mknod');
});

t.test('in a user namespace: the host\'s nodes bound, as runc does', async (t) => {
  const host = fs.statSync('/dev/fuse');
  const b = bundle(t, (c) => {
    args(`${STAT('/dev/null /dev/fuse /dev/tty')}; echo x > /dev/null && echo wrote`)(c);
    c.linux.namespaces.push({ type: 'user' });
    c.linux.uidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
    c.linux.gidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
    c.linux.devices = [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o666, uid: 5, gid: 6 }];
  });
  const r = b.oci(['run', '--bundle', b.bundle, 'u1']);
  t.equal(r.status, 0, r.stderr);
  // the host's root is nobody in there; the mode is the host node's, not the config's
  t.equal(r.stdout, [
    '/dev/null 1:3 666 65534:65534 character special file',
    `/dev/fuse a:e5 ${(host.mode & 0o777).toString(8)} 65534:65534 character special file`,
    '/dev/tty 5:0 666 65534:65534 character special file',
    'wrote',
    '',
  ].join('\n'));
  t.match(b.oci(['create', '--dry-run', '--bundle', b.bundle, 'u2']).stdout, /mount\("\/dev\/fuse", "\/dev\/fuse" in the new root, NULL, MS_BIND/);
  t.notOk(fs.existsSync(path.join(b.rootfs, 'dev', 'fuse')), 'nothing made in the rootfs: /dev is a tmpfs');
});

t.test('a bad device: one line naming the field, nothing made', async (t) => {
  const cases: [unknown, string][] = [
    [[{ path: '/dev/x', type: 'x', major: 1, minor: 1 }], "tsoci: linux.devices[0].type: expected c, b, u or p, got 'x'\n"],
    [[{ path: 'dev/x', type: 'c', major: 1, minor: 1 }], 'tsoci: linux.devices[0].path: expected an absolute path\n'],
    [[{ path: '/dev/../x', type: 'c', major: 1, minor: 1 }], "tsoci: linux.devices[0].path: '/dev/../x' is not a file's path (no '.' or '..')\n"],
    [[{ path: '/dev/x', type: 'c', minor: 1 }], 'tsoci: linux.devices[0].major: expected an integer from 0 to 4294967295\n'],
    [{ path: '/dev/x' }, 'tsoci: linux.devices: expected an array\n'],
  ];
  for (const [devices, said] of cases) {
    const b = bundle(t, (c) => {
      c.linux.devices = devices;
    });
    t.match(b.oci(['create', '--bundle', b.bundle, 'bad']), { status: 1, stderr: said });
    t.notOk(fs.existsSync(path.join(b.state, 'bad')), 'no state');
  }
});

t.test('process.terminal: the pty\'s slave is bound on /dev/console', async (t) => {
  const b = bundle(t, (c) => {
    c.process.terminal = true;
    args('stat -c "%n %t:%T" /dev/console $(tty); sleep 0.3')(c);
  });
  const { sock, done } = await consoleSocket(t, b);
  t.equal(b.detached(`create -b ${b.bundle} --console-socket ${sock} con1`).status, 0);
  t.equal(b.oci(['start', 'con1']).status, 0);
  const output = await done;
  const [consoleLine, slaveLine] = output.split('\n').filter((l) => l.startsWith('/dev/'));
  t.match(consoleLine, /^\/dev\/console 88:\d+$/, 'a pty slave (major 136)');
  t.equal(consoleLine.split(' ')[1], slaveLine.split(' ')[1], 'the process\'s own terminal');
  t.equal(b.oci(['delete', '--force', 'con1']).status, 0);
});

t.test('runc\'s rule for /dev: no /dev mount, the nodes go in the root\'s own /dev (made if missing); /dev bound from the host, none are made', async (t) => {
  const b = bundle(t, (c) => {
    args('ls /dev | tr "\\n" " "')(c);
    c.mounts = c.mounts.filter((m: { destination: string }) => !m.destination.startsWith('/dev'));
  });
  fs.rmSync(path.join(b.rootfs, 'dev'), { recursive: true, force: true });
  const r = b.oci(['run', '--bundle', b.bundle, 'n1']);
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, 'fd full null ptmx random stderr stdin stdout tty urandom zero ');
  t.ok(fs.statSync(path.join(b.rootfs, 'dev', 'null')).isCharacterDevice(), 'in the rootfs itself');
  const bound = bundle(t, (c) => {
    c.mounts = c.mounts.filter((m: { destination: string }) => !m.destination.startsWith('/dev'));
    c.mounts.push({ destination: '/dev', type: 'bind', source: '/dev', options: ['rbind'] });
  });
  const dry = bound.oci(['create', '--dry-run', '--bundle', bound.bundle, 'n2']);
  t.equal(dry.status, 0, dry.stderr);
  t.notMatch(dry.stdout, /mknod|"\/dev\/null" in the new root/, 'no device made');
});
