// tsoci: a tmpfs mount with tmpcopyup starts as a copy of the directory it
// covers (runc's rule): /etc keeps the image's files, links and owners,
// is writable in the container, and the image's own files are untouched.
import t from 'tap';
import fs = require('fs');
import path = require('path');
import { args, bundle, editConfig } from '../lib/oci';

t.test('tmpcopyup: /etc as a tmpfs holding a copy of the image\'s /etc, writable, the image untouched', async (t) => {
  const b = bundle(t, args([
    'grep -q "^tmpfs /etc tmpfs" /proc/mounts && echo etc-is-tmpfs',
    'cat /etc/passwd',
    'cat /etc/deep/a/b/c/note; stat -c "%u:%g %a" /etc/deep/a/b/c/note /etc/deep/a',
    'readlink /etc/shadow-link; readlink /etc/loop',
    'echo "box:x:1:1::/:/bin/sh" >> /etc/passwd && echo written; tail -n1 /etc/passwd',
    'echo x > /opt/new 2>/dev/null || echo opt-ro; cat /opt/kept',
  ].join('; ')));
  // the image: a nested directory with an owner and modes, links that point out of it (copied as links, never followed)
  const etc = path.join(b.rootfs, 'etc');
  fs.mkdirSync(path.join(etc, 'deep/a/b/c'), { recursive: true });
  fs.writeFileSync(path.join(etc, 'deep/a/b/c/note'), 'deep\n');
  fs.chownSync(path.join(etc, 'deep/a/b/c/note'), 1000, 1001);
  fs.chmodSync(path.join(etc, 'deep/a/b/c/note'), 0o604);
  fs.chmodSync(path.join(etc, 'deep/a'), 0o711);
  fs.symlinkSync('/../../../../etc/shadow', path.join(etc, 'shadow-link'));
  fs.symlinkSync('.', path.join(etc, 'loop'));
  fs.mkdirSync(path.join(b.rootfs, 'opt'));
  fs.writeFileSync(path.join(b.rootfs, 'opt/kept'), 'kept\n');
  const passwd = fs.readFileSync(path.join(etc, 'passwd'), 'utf8');
  editConfig(b, (c) => {
    c.mounts.push({ destination: '/etc', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=755', 'tmpcopyup'] });
    c.mounts.push({ destination: '/opt', type: 'tmpfs', source: 'tmpfs', options: ['ro', 'size=1m', 'tmpcopyup'] });
  });
  const r = b.oci(['run', '-b', b.bundle, 'cu1']);
  t.equal(r.status, 0, r.stderr || 'ran');
  t.equal(r.stdout, [
    'etc-is-tmpfs', passwd.trim(), 'deep', '1000:1001 604', '0:0 711', '/../../../../etc/shadow', '.',
    'written', 'box:x:1:1::/:/bin/sh', 'opt-ro', 'kept', '',
  ].join('\n'), 'the copy: contents, owners, modes, links as links; /etc writable, /opt read-only as asked');
  t.equal(fs.readFileSync(path.join(etc, 'passwd'), 'utf8'), passwd, 'the image\'s /etc/passwd is untouched');
  t.notOk(fs.existsSync(path.join(b.rootfs, 'opt/new')), 'nothing written to the image');
});

t.test('tmpcopyup: what the copy cannot make fails the create in one line, and nothing is left', async (t) => {
  const b = bundle(t, args('true'));
  // a tmpfs too small for what it covers
  fs.writeFileSync(path.join(b.rootfs, 'etc/big'), Buffer.alloc(256 * 1024));
  editConfig(b, (c) => {
    c.mounts.push({ destination: '/etc', type: 'tmpfs', source: 'tmpfs', options: ['size=64k', 'tmpcopyup'] });
  });
  const r = b.oci(['run', '-b', b.bundle, 'cu2']);
  t.not(r.status, 0);
  t.match(r.stderr, /tmpfs.*\/etc.*: No space left on device\n$/);
  t.same(fs.existsSync(b.state) ? fs.readdirSync(b.state) : [], [], 'no state left');
});

t.test('tmpcopyup in a user namespace: the copy is made as the container\'s root, owners kept', async (t) => {
  const b = bundle(t, args('stat -c "%u:%g %a" /etc/passwd /etc/mine; echo y >> /etc/passwd && tail -n1 /etc/passwd'));
  fs.writeFileSync(path.join(b.rootfs, 'etc/mine'), 'mine\n');
  const passwd = fs.readFileSync(path.join(b.rootfs, 'etc/passwd'), 'utf8');
  for (const f of walk(b.rootfs)) fs.lchownSync(f, 100000, 100000);
  fs.lchownSync(path.join(b.rootfs, 'etc/mine'), 101000, 101001);
  editConfig(b, (c) => {
    c.linux.namespaces.push({ type: 'user' });
    c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    c.mounts.push({ destination: '/etc', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=755', 'tmpcopyup'] });
  });
  const r = b.oci(['run', '-b', b.bundle, 'cu3']);
  t.equal(r.status, 0, r.stderr || 'ran');
  t.equal(r.stdout, '0:0 644\n1000:1001 644\ny\n', 'owners as the container sees them; writable');
  t.equal(fs.readFileSync(path.join(b.rootfs, 'etc/passwd'), 'utf8'), passwd, 'the image untouched');
});

function walk(dir: string): string[] {
  return [dir, ...fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]))];
}
