// Mount propagation, --mount-proc, --root and --wd, read back from mountinfo.
import t from 'tap';
import fs = require('fs');
import path = require('path');
import { scratch, tool } from '../lib/run';

/** The propagation tags of / as the program sees them. */
const SHOW_ROOT = 'grep -E "^[0-9]+ [0-9]+ [0-9:]+ [^ ]+ / " /proc/self/mountinfo';
const tagsOf = (line: string) => line.split(' - ')[0].split(' ').slice(6).join(' ');
const rootTags = (args: string[]) => {
  const r = tool('tsunshare', [...args, 'sh', '-c', SHOW_ROOT]);
  return tagsOf(r.stdout);
};

t.test('-m: / is private by default (no propagation tag)', async (t) => {
  t.equal(rootTags(['-m']), '');
  t.equal(rootTags(['-m', '--propagation', 'private']), '');
});

t.test('--propagation shared and slave', async (t) => {
  t.match(rootTags(['-m', '--propagation', 'shared']), /^shared:\d+$/);
  // a slave needs a live shared master: a shell keeps the outer namespace alive
  const r = tool('tsunshare', ['-m', '--propagation=shared', 'sh', '-c', `tsunshare -m --propagation=slave sh -c '${SHOW_ROOT}'; true`]);
  t.match(tagsOf(r.stdout), /^master:\d+$/, r.stderr);
});

t.test('--propagation unchanged keeps what the host has', async (t) => {
  const host = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.split(' ')[4] === '/')!;
  const hostShared = / shared:\d+/.test(host.split(' - ')[0]);
  const tags = rootTags(['-m', '--propagation', 'unchanged']);
  t.equal(/shared:\d+/.test(tags), hostShared, `host: ${host}; inside: ${tags}`);
});

t.test('--propagation without -m is accepted and changes nothing', async (t) => {
  t.equal(tool('tsunshare', ['--propagation', 'slave', 'true']).status, 0);
});

t.test('--mount-proc implies -m and mounts a proc of the new pid namespace', async (t) => {
  // the host's own mounts on /proc, by ID (other tests may mount elsewhere meanwhile)
  const procMounts = () => fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.split(' ')[4] === '/proc').map((l) => l.split(' ')[0]);
  const before = procMounts();
  const r = tool('tsunshare', ['-p', '--fork', '--mount-proc', 'sh', '-c', 'ls /proc | grep -E "^[0-9]+$" | sort -n | head -1; readlink /proc/self/ns/mnt']);
  t.equal(r.status, 0, r.stderr);
  const [first, mnt] = r.stdout.trim().split('\n');
  t.equal(first, '1');
  t.not(mnt, fs.readlinkSync('/proc/self/ns/mnt'));
  t.same(procMounts(), before, 'the host\'s /proc is untouched');
});

t.test('--mount-proc=DIR mounts proc there, nosuid,nodev,noexec', async (t) => {
  const dir = scratch(t);
  const r = tool('tsunshare', ['-pf', `--mount-proc=${dir}`, 'sh', '-c', `grep " ${dir} " /proc/self/mountinfo; cat ${dir}/self/stat | cut -d" " -f1`]);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /nosuid,nodev,noexec/);
  t.match(r.stdout, / - proc proc /);
  t.match(r.stdout.trim().split('\n').pop()!, /^\d+$/);
  t.notOk(fs.readFileSync('/proc/self/mountinfo', 'utf8').includes(` ${dir} `), 'not on the host');
});

t.test('-R runs the program in a new root, found there; cwd is its /', async (t) => {
  const root = scratch(t);
  fs.mkdirSync(path.join(root, 'bin'));
  fs.mkdirSync(path.join(root, 'work'));
  fs.copyFileSync('/bin/busybox', path.join(root, 'bin', 'busybox'));
  fs.chmodSync(path.join(root, 'bin', 'busybox'), 0o755);
  for (const a of ['sh', 'pwd', 'ls']) fs.symlinkSync('busybox', path.join(root, 'bin', a));
  const r = tool('tsunshare', ['-R', root, '/bin/sh', '-c', 'pwd; ls /'], { env: { ...process.env, PATH: '/bin' } });
  t.equal(r.status, 0, r.stderr);
  t.same(r.stdout.trim().split('\n'), ['/', 'bin', 'work']);
  const wd = tool('tsunshare', ['-R', root, '-w', '/work', '/bin/pwd']);
  t.equal(wd.stdout.trim(), '/work');
  const missing = tool('tsunshare', ['-R', root, 'true'], { env: { ...process.env, PATH: '/bin' } });
  t.equal(missing.status, 127, 'the program is looked up inside the new root');
});

t.test('-w changes the working directory', async (t) => {
  const dir = scratch(t);
  t.equal(tool('tsunshare', ['-w', dir, 'pwd']).stdout.trim(), dir);
  t.equal(tool('tsunshare', ['-R', '/', '-w', dir, 'pwd']).stdout.trim(), dir);
});
