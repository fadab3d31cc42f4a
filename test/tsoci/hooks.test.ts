// tsoci: config.json's hooks, each kind seen by a hook that writes what it
// got (argv, the state on stdin, its environment, its mount namespace) to a
// file: where and when runc runs it; a failing hook fails create in one
// line and leaves no state, process, cgroup or mount; poststop only warns.
import t from 'tap';
import fs = require('fs');
import path = require('path');
import { cgroupBase, v1Host } from '../lib/cgroups';
import { mountPoints, nsId, until } from '../lib/run';
import { alive, args, bundle, editConfig, type Json } from '../lib/oci';

/** a hook: appends its kind to ORDER, writes what it got to OUT/<kind> */
const HOOK = (out: string) => `#!/bin/sh
echo "$1" >> ${out}/order
{ echo "argv $*"; echo "env $HOOK_VAR"; echo "mnt $(readlink /proc/self/ns/mnt)"; echo "cwd $(pwd)"; echo "state $(cat)"; } > ${out}/$1
`;

const FAILS = { path: '/bin/sh', args: ['sh', '-c', 'cat >/dev/null; echo "it broke" >&2; exit 3'] };

const read = (file: string) => Object.fromEntries(fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1)]));

t.test('each kind of hook: its argv, env and state, where and when runc runs it', async (t) => {
  let out = '';
  const b = bundle(t, (c) => {
    args('echo program >> /order')(c);
    c.hooks = {};
  });
  out = path.join(b.dir, 'hooks-out');
  fs.mkdirSync(out);
  fs.writeFileSync(path.join(b.dir, 'hook.sh'), HOOK(out), { mode: 0o755 });
  // startContainer's path is the container's: a hook only its root has, writing inside it
  fs.writeFileSync(path.join(b.rootfs, 'in-hook.sh'), HOOK(''), { mode: 0o755 });
  const config = JSON.parse(fs.readFileSync(path.join(b.bundle, 'config.json'), 'utf8'));
  const hook = (kind: string): Json => ({ path: path.join(b.dir, 'hook.sh'), args: ['hook', kind], env: [`HOOK_VAR=for-${kind}`], timeout: 10 });
  config.hooks = Object.fromEntries(['prestart', 'createRuntime', 'createContainer', 'poststart', 'poststop'].map((k) => [k, [hook(k)]]));
  config.hooks.startContainer = [{ path: '/in-hook.sh', args: ['in-hook', 'startContainer'] }];
  config.annotations = { 'org.test': 'yes' };
  fs.writeFileSync(path.join(b.bundle, 'config.json'), JSON.stringify(config));

  const created = b.detached(`create --bundle ${b.bundle} --pid-file ${b.dir}/pid h1`);
  t.equal(created.status, 0, created.stderr);
  const pid = Number(fs.readFileSync(`${b.dir}/pid`, 'utf8'));
  const mnt = nsId(pid, 'mnt');
  t.equal(fs.readFileSync(`${out}/order`, 'utf8'), 'prestart\ncreateRuntime\ncreateContainer\n', 'create: prestart, createRuntime, createContainer, in order');
  const state = (status: string, p: number) => JSON.stringify({ ociVersion: '1.2.0', id: 'h1', status, pid: p, bundle: b.bundle, annotations: { 'org.test': 'yes' } });
  for (const kind of ['prestart', 'createRuntime']) {
    t.same(read(`${out}/${kind}`), {
      argv: kind, env: `for-${kind}`, mnt: nsId('self', 'mnt'), cwd: process.cwd(), state: state('creating', pid),
    }, `${kind}: the runtime's namespaces, the init's host PID`);
  }
  t.same(read(`${out}/createContainer`), {
    argv: 'createContainer', env: 'for-createContainer', mnt, cwd: b.rootfs, state: state('creating', 1),
  }, 'createContainer: the container\'s mount namespace, before pivot_root (in the rootfs), its PID there');
  t.notOk(fs.existsSync(path.join(b.rootfs, 'startContainer')), 'startContainer waits for start');

  t.equal(b.oci(['start', 'h1']).status, 0);
  await until(() => fs.existsSync(path.join(b.rootfs, 'order')) && fs.readFileSync(path.join(b.rootfs, 'order'), 'utf8').includes('program'));
  t.equal(fs.readFileSync(path.join(b.rootfs, 'order'), 'utf8'), 'startContainer\nprogram\n', 'startContainer: inside the root, just before the program');
  const inside = read(path.join(b.rootfs, 'startContainer'));
  t.same(inside, { argv: 'startContainer', env: '', mnt, cwd: '/', state: state('created', 1) }, 'startContainer: the container\'s namespaces and root, tsoci\'s environment');
  t.same(read(`${out}/poststart`), { argv: 'poststart', env: 'for-poststart', mnt: nsId('self', 'mnt'), cwd: process.cwd(), state: state('running', pid) });
  t.equal(fs.readFileSync(`${out}/order`, 'utf8'), 'prestart\ncreateRuntime\ncreateContainer\npoststart\n');

  await until(() => !alive(pid));
  t.notOk(fs.existsSync(`${out}/poststop`), 'no poststop before delete');
  t.equal(b.oci(['delete', 'h1']).status, 0);
  t.same(read(`${out}/poststop`), { argv: 'poststop', env: 'for-poststop', mnt: nsId('self', 'mnt'), cwd: process.cwd(), state: state('stopped', 0) }, 'poststop: after delete');
  t.notOk(fs.existsSync(path.join(b.state, 'h1')), 'the state was gone already');
});

t.test('run: the hooks of create, start and delete', async (t) => {
  const b = bundle(t, (c) => {
    args('echo program')(c);
    c.hooks = Object.fromEntries(['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'].map((k) => [k, [{ path: '/bin/sh', args: ['sh', '-c', `echo ${k} >&2`] }]]));
  });
  // a hook's output is not the program's (kept, for a failure's message)
  const r = b.oci(['run', '--bundle', b.bundle, 'r1']);
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, 'program\n');
  t.equal(r.stderr, '');
  const order = b.dir + '/order';
  const c = JSON.parse(fs.readFileSync(path.join(b.bundle, 'config.json'), 'utf8'));
  for (const k of Object.keys(c.hooks)) c.hooks[k][0] = { path: '/bin/sh', args: ['sh', '-c', `echo ${k} >> ${k === 'startContainer' ? '/order' : order}`] };
  fs.writeFileSync(path.join(b.bundle, 'config.json'), JSON.stringify(c));
  t.equal(b.oci(['run', '--bundle', b.bundle, 'r2']).status, 0);
  t.equal(fs.readFileSync(order, 'utf8'), 'prestart\ncreateRuntime\ncreateContainer\npoststart\npoststop\n');
  t.equal(fs.readFileSync(path.join(b.rootfs, 'order'), 'utf8'), 'startContainer\n');

  // a failing poststart: the program is killed, run fails with the hook's line, and cleans up
  c.process.args = ['sh', '-c', 'sleep 30'];
  c.hooks = { poststart: [FAILS] };
  fs.writeFileSync(path.join(b.bundle, 'config.json'), JSON.stringify(c));
  const started = Date.now();
  t.match(b.oci(['run', '--bundle', b.bundle, 'r3']), { status: 1, stderr: 'tsoci: error running poststart hook #0 (/bin/sh): exit status 3: it broke\n' });
  t.ok(Date.now() - started < 20_000, 'the program did not run its course');
  t.same(fs.readdirSync(b.state), [], 'no state');
});

t.test('a failing hook fails create in one line, and leaves no state, process, cgroup or mount', { skip: !v1Host && 'a v1 (hybrid) host' }, async (t) => {
  const base = cgroupBase(t);
  for (const kind of ['prestart', 'createRuntime', 'createContainer']) {
    const b = bundle(t);
    editConfig(b, (c) => {
      c.linux.cgroupsPath = `${base}/${kind}`;
      // prestart: the init's PID (it runs before the others), to see it gone
      c.hooks = { prestart: [{ path: '/bin/sh', args: ['sh', '-c', `grep -o '"pid":[0-9]*' > ${b.dir}/init`] }] };
      c.hooks[kind] = [...(c.hooks[kind] ?? []), FAILS];
    });
    const r = b.detached(`--log ${b.dir}/log.json --log-format json create --bundle ${b.bundle} f1`);
    const said = `error running ${kind} hook #${kind === 'prestart' ? 1 : 0} (/bin/sh): exit status 3: it broke`;
    t.equal(r.status, 1, kind);
    t.equal(r.stderr, `tsoci: ${said}\n`, `${kind}: one line`);
    t.match(JSON.parse(fs.readFileSync(`${b.dir}/log.json`, 'utf8')), { level: 'error', msg: said }, `${kind}: the one record in --log`);
    t.same(fs.readdirSync(b.state), [], `${kind}: no state`);
    const pid = Number(fs.readFileSync(`${b.dir}/init`, 'utf8').split(':')[1]);
    t.ok(pid > 0 && !alive(pid), `${kind}: its init is gone`);
    t.notOk(fs.existsSync(`/sys/fs/cgroup/pids${base}/${kind}`), `${kind}: no cgroup`);
    t.notOk(mountPoints().some((m) => m.startsWith(b.dir)), `${kind}: no mount`);
  }
});

t.test('timeouts, poststart and poststop failures, bad hooks', async (t) => {
  const slow = bundle(t, (c) => {
    c.hooks = { createRuntime: [{ path: '/bin/sleep', args: ['sleep', '30'], timeout: 1 }] };
  });
  const started = Date.now();
  t.match(slow.oci(['create', '--bundle', slow.bundle, 's1']), { status: 1, stderr: 'tsoci: error running createRuntime hook #0 (/bin/sleep): ran past its timeout of 1 s\n' });
  t.ok(Date.now() - started < 10_000, 'killed at its timeout');
  const slowIn = bundle(t, (c) => {
    c.hooks = { createContainer: [{ path: '/bin/sleep', args: ['sleep', '30'], timeout: 1 }] };
  });
  t.match(slowIn.oci(['create', '--bundle', slowIn.bundle, 's2']), { status: 1, stderr: 'tsoci: error running createContainer hook #0 (/bin/sleep): ran past its timeout of 1 s\n' });
  t.same(fs.readdirSync(slowIn.state), []);

  // poststart: start fails, the container is killed (runc's); poststop: a warning, delete goes on
  const post = bundle(t, args('exec sleep 600'));
  editConfig(post, (c) => {
    c.hooks = { poststart: [FAILS], poststop: [FAILS, { path: '/bin/sh', args: ['sh', '-c', `touch ${post.dir}/second`] }] };
  });
  t.equal(post.detached(`create --bundle ${post.bundle} --pid-file ${post.dir}/pid p1`).status, 0);
  const pid = Number(fs.readFileSync(`${post.dir}/pid`, 'utf8'));
  t.match(post.oci(['start', 'p1']), { status: 1, stderr: 'tsoci: error running poststart hook #0 (/bin/sh): exit status 3: it broke\n' });
  await until(() => !alive(pid));
  t.match(JSON.parse(post.oci(['state', 'p1']).stdout), { status: 'stopped' });
  t.match(post.oci(['delete', 'p1']), { status: 0, stderr: 'tsoci: warning: error running poststop hook #0 (/bin/sh): exit status 3: it broke\n' });
  t.ok(fs.existsSync(`${post.dir}/second`), 'the next poststop hook still ran');

  const cases: [Json, string][] = [
    [{ prestart: [{ path: 'true' }] }, 'hooks.prestart[0].path: expected an absolute path'],
    [{ prestart: [{ path: '/bin/true', timeout: 0 }] }, 'hooks.prestart[0].timeout: expected a whole number of seconds, at least 1'],
    [{ prestart: [{ path: '/bin/true', args: 'x' }] }, 'hooks.prestart[0].args: expected an array of strings'],
    [{ preStart: [] }, 'hooks.preStart is not a hook (prestart, createRuntime, createContainer, startContainer, poststart, poststop)'],
  ];
  for (const [hooks, said] of cases) {
    const b = bundle(t, (c) => {
      c.hooks = hooks;
    });
    t.match(b.oci(['create', '--bundle', b.bundle, 'bad']), { status: 1, stderr: `tsoci: ${said}\n` });
  }
});

t.test('features lists the hooks, and no longer refuses what tsoci now does', async (t) => {
  const b = bundle(t);
  const f = JSON.parse(b.oci(['features']).stdout);
  t.same(f.hooks, ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop']);
  for (const done of ['hooks', 'linux.devices', 'pause', 'resume', 'ps']) t.notOk(f['org.tscontainer.tsoci.unsupported'].includes(done), done);
});
