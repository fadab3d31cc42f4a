// A chain of our own tools folded into one plan (one Node start) behaves as
// the same chain unfolded (TSCORE_NO_FOLD=1): what the program sees, its
// status, and the error line of a failing link.
import t, { type Test } from 'tap';
import fs = require('fs');
import path = require('path');
import { cgroupBase } from '../lib/cgroups';
import { EXECUTOR } from '../lib/exe-watch';
import { rootfs } from '../lib/rootfs';
import { ROOT, scratch, sh } from '../lib/run';

const NS = ['mnt', 'uts', 'ipc', 'net', 'pid', 'user', 'cgroup'];
const host = Object.fromEntries(NS.map((n) => [n, fs.readlinkSync(`/proc/self/ns/${n}`)]));
/** What the program sees, in lines: ids, caps, namespaces (host or new), cgroups, names, env, cwd, fds. */
const PROBE = `sh -c '${[
  'grep -E "^(Uid|Gid|Groups|Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs):" /proc/self/status',
  ...NS.map((n) => `[ "$(readlink /proc/self/ns/${n})" = "${host[n]}" ] && echo "${n} host" || echo "${n} new"`),
  'grep -E ":(memory|pids):" /proc/self/cgroup', 'hostname', 'env | grep -v "^_=" | sort', 'pwd', 'ls /proc/self/fd',
  // the mounts stacked on its root (a count of all would change as other tests mount)
  'awk "\\$5 == \\"/\\"" /proc/self/mountinfo | wc -l', 'exit 3',
].join('; ')}'`;

function both(t: Test, chain: string, cwd?: string) {
  const folded = sh(`${chain} 7</dev/null`, { cwd });
  const unfolded = sh(`TSCORE_NO_FOLD=1 ${chain} 7</dev/null`, { cwd });
  // the unfolded run's program also sees TSCORE_NO_FOLD: that line aside, the same
  const strip = (s: string) => s.replace(/^TSCORE_NO_FOLD=1\n/m, '');
  t.equal(strip(folded.stdout), strip(unfolded.stdout), `${chain}: what the program sees`);
  t.equal(folded.status, unfolded.status, 'the status');
  t.equal(folded.stderr, unfolded.stderr, 'the error lines');
  return folded;
}

t.test('every pair of tools folded behaves as unfolded', async (t) => {
  const cg = cgroupBase(t);
  const dir = scratch(t);
  fs.chmodSync(dir, 0o755);
  const r = both(t, `tscgcreate -g memory,pids:${cg}/a --memory 64M --pids 64 tscgexec -g memory,pids:${cg}/a ${PROBE}`);
  t.equal(r.status, 3, r.stderr);
  t.match(r.stdout, new RegExp(`:memory:${cg}/a\\n`), 'in the cgroup');
  t.equal(both(t, `tscgexec -g memory:${cg}/a tsunshare -UpmnuiC --fork -r --mount-proc ${PROBE}`).status, 3);
  t.equal(both(t, `tsunshare -m tsunshare -u --fork -p ${PROBE}`).status, 3);
  t.equal(both(t, `tsunshare -Uu --keep-caps --fork -r tsreexec --hostname box --env A=1 --cap-drop net_raw ${PROBE}`).status, 3);
  t.equal(both(t, `tsunshare --fork -p -m --mount-proc tscgexec -g memory:${cg}/a ${PROBE}`).status, 3, 'a join after a fork: in the child');
  t.equal(both(t, `tscgexec -g memory:${cg}/a tsnsenter -t $$ -u ${PROBE}`).status, 3);
  t.equal(both(t, `tsunshare --whitelist-env PATH,HOME tscgexec -g memory:${cg}/a /usr/bin/env`).stdout.split('\n').length, 3, 'the environment as each link sees it');
  t.equal(both(t, `tsunshare -w ${dir} tsunshare -u pwd`, '/').stdout, `${dir}\n`, 'a link that changes directory is not folded past');
});

t.test('a failing link: the same line, naming it, the same status', async (t) => {
  const cg = cgroupBase(t);
  sh(`tscgcreate -g memory:${cg}`);
  const bogus = both(t, `tscgexec -g memory:${cg} tsunshare --bogus true`);
  t.equal(bogus.stderr, "tsunshare: unrecognized option '--bogus' (try 'tsunshare --help')\n");
  t.equal(bogus.status, 1);
  const gone = both(t, `tscgexec -g memory:${cg} tsnsenter -t 999999 -u true`);
  t.match(gone.stderr, /^tsnsenter: /);
  const step = both(t, 'tsunshare -m tsunshare -S 65534 tsunshare -u true');
  t.match(step.stderr, /^tsunshare: unshare\(CLONE_NEWUTS\) failed: Operation not permitted\n$/, 'a step of the third link names it');
});

t.test('folding stops at a program that is not ours, even one named like ours', async (t) => {
  const dir = scratch(t);
  fs.writeFileSync(path.join(dir, 'tsunshare'), '#!/bin/sh\necho "not ours: $*"\n', { mode: 0o755 });
  const r = sh(`PATH=${dir}:$PATH ${path.join(ROOT, 'bin', 'tsunshare')} -m tsunshare -u x`);
  t.equal(r.stdout, 'not ours: -u x\n');
});

t.test('strace: a folded chain is one Node exec and one tscore-exec exec before the program', async (t) => {
  const cg = cgroupBase(t);
  sh(`tscgcreate -g memory:${cg}`);
  const r = sh(`strace -f -qq -e trace=execve -e status=successful tscgexec -g memory:${cg} tsunshare -UpmnuiC --fork -r --mount-proc tsreexec true 2>&1 >/dev/null`);
  const execs = r.stdout.split('\n').filter((l) => /execve\(/.test(l)).map((l) => l.match(/execve\("([^"]+)"/)![1]);
  // the clone's bin/tscgexec is a #! line the kernel runs as the launcher: no exec of its own
  t.same(execs.map((e) => path.basename(e)), ['tscgexec', 'node', 'tscore-exec', 'true'], execs.join(' '));
  const dry = sh(`tscgexec --dry-run -g memory:${cg} tsunshare -UpmnuiC --fork -r --mount-proc tsreexec --hostname box true`);
  // tscgexec's child joins, and the links folded into it follow, as the child's
  t.match(dry.stdout, /^tscgexec: {3}child: write\(.*tasks", "0"\)\ntsunshare: {3}child: tsunshare -UpmnuiC .*: folded, run in this process\ntsunshare: {3}child: unshare\(/m);
  t.match(dry.stdout, /\ntsreexec: {3}child: {3}child: sethostname\("box"\)\n/, 'each step labelled with its tool');
});

t.test('the whole container as one command line: one Node start, the same as unfolded', async (t) => {
  const cg = cgroupBase(t);
  const { dir } = rootfs(t);
  const chain = `tscgcreate -g memory,pids:${cg}/box --memory 64M --pids 64 tscgexec -g memory,pids:${cg}/box ` +
    'tsmaproot --map-users 0:100000:65536 --map-groups 0:100000:65536 tsunshare -UpmnuiC --keep-caps --fork ' +
    `tsreexec --hostname box --rootfs ${dir}/root --proc --dev --lo-up --init -- sh -c 'id -u; cat /proc/self/uid_map; echo $$; hostname; ls /'`;
  const r = both(t, chain);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /^0\n\s+0\s+100000\s+65536\n2\nbox\nbin\ndev\n/);
  const execs = sh(`strace -f -qq -e trace=execve -e status=successful ${chain} 2>&1 >/dev/null`).stdout
    .split('\n').filter((l) => /execve\(/.test(l)).map((l) => path.basename(l.match(/execve\("([^"]+)"/)![1]));
  t.same(execs.slice(0, 3), ['tscgcreate', 'node', 'tscore-exec'], 'one Node exec, one tscore-exec exec');
  t.equal(execs.filter((e) => e === 'node').length, 1);
});

t.test('tsmaproot before tsunshare: the maps of the namespace it creates, folded or not', async (t) => {
  const r = both(t, 'tsmaproot --map-users 0:100000:65536 --map-groups 0:100000:65536 tsunshare -U --fork cat /proc/self/uid_map /proc/self/gid_map');
  t.equal(r.stdout.replace(/\s+/g, ' ').trim(), '0 100000 65536 0 100000 65536');
  const bad = sh('tsmaproot ls');
  t.equal(bad.status, 1);
  t.equal(bad.stderr, "tsmaproot: expected a PID, or tsunshare (for the namespace it creates), not 'ls' (try 'tsmaproot --help')\n");
});

/** A look-alike of our packages in a scratch folder: PKG/package.json (our
 * version, a bin tsevil), PKG/dist/tsevil.cjs (which, run, leaves a mark),
 * and PKG/tsevil, whose #! line names `interpreter --launch=PKG/dist/tsevil.cjs`. */
function lookAlike(t: Test, interpreter: string, owner: number) {
  const pkg = path.join(scratch(t), 'evil');
  const mark = path.join(pkg, '..', 'ran');
  fs.mkdirSync(path.join(pkg, 'dist'), { recursive: true });
  const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ version, bin: { tsevil: 'bin/tsevil' } }));
  fs.writeFileSync(path.join(pkg, 'dist', 'tsevil.cjs'), `require('fs').writeFileSync(${JSON.stringify(mark)}, String(process.geteuid()));\n`);
  fs.writeFileSync(path.join(pkg, 'dist', 'tsevil.bundle.js'), '');
  fs.writeFileSync(path.join(pkg, 'tsevil'), `#!${interpreter} --launch=${path.join(pkg, 'dist', 'tsevil.cjs')}\n`, { mode: 0o755 });
  for (const f of [pkg, path.join(pkg, 'dist'), path.join(pkg, 'package.json'), path.join(pkg, 'dist', 'tsevil.cjs'), path.join(pkg, 'dist', 'tsevil.bundle.js'), path.join(pkg, 'tsevil')]) fs.chownSync(f, owner, owner);
  return { file: path.join(pkg, 'tsevil'), mark };
}

t.test('folding runs no JavaScript a user could plant: not one another user owns, nor one whose #! line names another interpreter', async (t) => {
  // run, each would be the program, run as nobody (-S); folded, its code would run here, as root
  const nobodys = lookAlike(t, EXECUTOR, 65534);
  const r = sh(`tsunshare -S 65534 -G 65534 --dry-run ${nobodys.file}`);
  t.notMatch(r.stdout, /folded/, 'a look-alike that nobody owns: not folded');
  t.notOk(fs.existsSync(nobodys.mark), 'and its code did not run');
  const other = lookAlike(t, '/bin/false', 0);
  const s = sh(`tsunshare -S 65534 -G 65534 --dry-run ${other.file}`);
  t.notMatch(s.stdout, /folded/, 'a look-alike whose #! line runs /bin/false: not folded');
  t.notOk(fs.existsSync(other.mark), 'and its code did not run');
  // root's files are not root's to write everywhere (a container's root, a
  // user's loop mount): outside this installation nothing is folded
  const roots = lookAlike(t, EXECUTOR, 0);
  const u = sh(`tsunshare -S 65534 -G 65534 --dry-run ${roots.file}`);
  t.notMatch(u.stdout, /folded/, 'a look-alike of root\'s naming the launcher, outside this installation: not folded');
  t.notOk(fs.existsSync(roots.mark), 'and its code did not run');
});

t.test('a program beneath a file where a folder should be: run, not folding\'s error', async (t) => {
  const pkg = path.join(scratch(t), 'p');
  fs.mkdirSync(path.join(pkg, 'bin'), { recursive: true });
  fs.writeFileSync(path.join(pkg, 'package.json'), '{}');
  fs.writeFileSync(path.join(pkg, 'dist'), '');
  fs.writeFileSync(path.join(pkg, 'bin', 'tsfoo'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
  const r = sh(`tsunshare ${path.join(pkg, 'bin', 'tsfoo')}`);
  t.same([r.status, r.stdout, r.stderr], [0, 'hi\n', '']);
});

t.test('a link after -S/-G plans as that user: not folded', async (t) => {
  const r = sh('tsunshare -S 65534 -G 65534 tsunshare -r id -u');
  t.same([r.status, r.stdout.trim()], [0, '0'], r.stderr);
  t.notMatch(sh('tsunshare -S 65534 -G 65534 --dry-run tsunshare -r id -u').stdout, /folded/);
});
