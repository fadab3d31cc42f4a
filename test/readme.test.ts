// Every command block of README.md runs here, as a newcomer pastes it: as
// root, from the top of the clone, the tools on PATH, `sh -e` (a failing
// line fails the block), stdin empty (an interactive shell exits at once).
// So an example can never rot again.
//
// Each block runs in a sandbox that keeps what it makes to itself: its own
// mount, UTS, IPC, network and cgroup namespaces; a tmpfs on /tmp and on
// /run (its scratch folders, /run/netns; /run/mount is mount(8)'s own
// bookkeeping); the clone read-only; and the
// cgroup hierarchies mounted afresh from a cgroup beneath this test's own
// (test/lib/cgroups.ts), so that `-g memory:demo` is made there. After the
// block, what it made must be gone: files in /tmp and /run, cgroups, and
// processes. A block that cannot run here is marked in the Markdown, right
// before it, with `<!-- not run: why -->`; the test says how many and why.
import t from 'tap';
import { spawnSync } from 'child_process';
import fs = require('fs');
import path = require('path');
import { clean, ROOT } from './lib/run';
import { cgroupBase, V1, v1Host } from './lib/cgroups';

interface Block {
  /** 1-based line of the opening fence */
  line: number;
  lang: string;
  text: string;
  /** why it is not run, from the marker before it */
  skip?: string;
}

/** The fenced blocks of a Markdown text; refuses blocks it could not see. */
export function blocks(md: string): { blocks: Block[]; problems: string[] } {
  const lines = md.split('\n');
  const found: Block[] = [];
  const problems: string[] = [];
  let prev = '';
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(.*)$/.exec(lines[i]);
    if (!open) {
      // an indented block is code a reader may paste that no test would run
      if (/^ {4}\S/.test(lines[i]) && (i === 0 || lines[i - 1].trim() === '')) problems.push(`line ${i + 1}: an indented code block; fence it as \`\`\`sh or \`\`\`text`);
      if (lines[i].trim() !== '') prev = lines[i];
      continue;
    }
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i] !== '```'; i++) body.push(lines[i]);
    if (i === lines.length) problems.push(`line ${start + 1}: a fence never closed`);
    const skip = /^<!-- not run: (.+) -->$/.exec(prev)?.[1];
    found.push({ line: start + 1, lang: open[1], text: body.join('\n') + '\n', skip });
    prev = '';
  }
  for (const b of found) {
    if (b.lang !== 'sh' && b.lang !== 'text') problems.push(`line ${b.line}: a block in '${b.lang || 'no language'}': commands are \`\`\`sh, the rest \`\`\`text`);
    if (b.lang === 'text' && /^(\$ |\.\/|sudo |ts[a-z]+ |sh |npm |pnpm )/m.test(b.text)) problems.push(`line ${b.line}: a text block that reads like commands`);
  }
  return { blocks: found, problems };
}

const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const { blocks: all, problems } = blocks(README);
const commands = all.filter((b) => b.lang === 'sh');
const skipped = commands.filter((b) => b.skip !== undefined);

t.test('the README\'s code blocks are all fenced, and every command block is run or says why not', async (t) => {
  t.same(problems, []);
  t.ok(commands.length >= 15, `${commands.length} command blocks`);
  t.comment(`${commands.length - skipped.length} of ${commands.length} command blocks run; ${skipped.length} not run:`);
  for (const b of skipped) t.comment(`  line ${b.line}: ${b.skip}`);
  t.ok(skipped.length <= 4, 'few are not run');
});

t.test('the README\'s test command is exactly what CI runs, and asks for the test-only packages', async (t) => {
  const ci = fs.readFileSync(path.join(ROOT, '.ci', 'run'), 'utf8');
  const run = /^\{ (.*); \} 2>&1 \| tee "\$log"$/m.exec(ci)?.[1];
  t.equal(run, './setup --test && pnpm test');
  t.ok(commands.some((b) => b.text.trim() === run), 'the README shows it as a block of its own');
});

/** The v1 hierarchies mounted here: directory name → mount options naming them. */
function hierarchies(): Map<string, string> {
  const known = /^(cpu|cpuacct|cpuset|memory|devices|freezer|net_cls|net_prio|blkio|perf_event|hugetlb|pids|rdma|misc|name=.*)$/;
  const found = new Map<string, string>();
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [left, right] = line.split(' - ');
    if (!right) continue;
    const [fstype, , superOptions] = right.split(' ');
    const point = left.split(' ')[4];
    if (fstype !== 'cgroup' || path.dirname(point) !== V1) continue;
    const names = superOptions.split(',').filter((o) => known.test(o));
    found.set(path.basename(point), names.some((n) => !n.startsWith('name=')) ? names.join(',') : `none,${names.join(',')}`);
  }
  return found;
}

/** Make `cgroup` in a hierarchy, level by level; cpuset levels get their parent's CPUs and memory nodes. */
function makeCgroup(h: string, cgroup: string): void {
  let at = path.join(V1, h);
  for (const part of cgroup.split('/').filter(Boolean)) {
    const next = path.join(at, part);
    if (!fs.existsSync(next)) {
      fs.mkdirSync(next);
      if (h.split(',').includes('cpuset')) {
        for (const f of ['cpuset.cpus', 'cpuset.mems']) fs.writeFileSync(path.join(next, f), fs.readFileSync(path.join(at, f)));
      }
    }
    at = next;
  }
}

/** Processes in a cgroup directory and below it. */
function processesIn(dir: string): number[] {
  if (!fs.existsSync(dir)) return [];
  const own = fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  const below = fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).flatMap((e) => processesIn(path.join(dir, e.name)));
  return [...own, ...below];
}

const MARK = '@@ what the block left:';

/** The sandbox: set up as root in new namespaces, then the block, then what it left. */
const INNER = `set -e
umount -R /sys/fs/cgroup
mount -t tmpfs -o mode=755 tsns-readme /sys/fs/cgroup
for spec in $TSNS_HIERARCHIES; do
  mkdir "/sys/fs/cgroup/\${spec%%=*}"
  mount -t cgroup -o "\${spec#*=}" cgroup "/sys/fs/cgroup/\${spec%%=*}"
done
# the clone may itself lie under /tmp (CI's does): kept on /mnt while /tmp
# and /run get their tmpfs, then moved back to its own path, read-only
mount --bind "$TSNS_ROOT" /mnt && mount -o remount,bind,ro /mnt
mount -t tmpfs -o mode=1777 tsns-readme /tmp
mount -t tmpfs -o mode=755 tsns-readme /run
mkdir -p "$TSNS_ROOT" && mount --move /mnt "$TSNS_ROOT"
keep=
p=$TSNS_ROOT
while [ -n "$p" ]; do keep="$keep ! -path $p"; p=\${p%/*}; done
cd "$TSNS_ROOT"
set +e
sh -e -c "$TSNS_BLOCK"
status=$?
echo "${MARK}"
find /tmp /run -mindepth 1 ! -path /run/netns ! -path '/run/mount*' $keep ! -path "$TSNS_ROOT/*"
find /sys/fs/cgroup -mindepth 2 -type d
exit $status`;

const runnable = commands.filter((b) => b.skip === undefined);
for (const b of runnable) {
  const first = b.text.split('\n').find((l) => l.trim() && !l.startsWith('#')) ?? '';
  t.test(`README line ${b.line}: ${first.length > 60 ? `${first.slice(0, 57)}...` : first}`, { skip: !v1Host && 'the sandbox mounts cgroup v1 hierarchies; this host has none' }, async (t) => {
    const base = cgroupBase(t);
    const h = hierarchies();
    for (const name of h.keys()) makeCgroup(name, base);
    const join = [...h.keys()].map((name) => `echo $$ > ${path.join(V1, name, base, 'cgroup.procs')}`).join('; ');
    const env = {
      ...process.env,
      TSNS_ROOT: ROOT,
      TSNS_BLOCK: b.text,
      TSNS_HIERARCHIES: [...h].map(([name, options]) => `${name}=${options}`).join(' '),
    };
    const [cmd, ...args] = clean(['/bin/sh', '-c', `${join}; exec unshare --mount --uts --ipc --net --cgroup --propagation private sh -c '${INNER.replace(/'/g, `'\\''`)}'`], env);
    const r = spawnSync(cmd, args, { encoding: 'utf8', input: '', timeout: 180_000 });
    const [out, left = ''] = r.stdout.split(`${MARK}\n`);
    t.equal(r.status, 0, `the block succeeds:\n${b.text}\n--- stdout\n${out}--- stderr\n${r.stderr}`);
    // what a reader sees, in the log
    for (const line of `${out}${r.stderr}`.trimEnd().split('\n').slice(0, 12)) t.comment(`| ${line}`);
    t.equal(left, '', 'it removed the files, namespace files and cgroups it made');
    const stray = processesIn(path.join(V1, 'memory', base));
    t.same(stray, [], 'and left no process running');
  });
}
