// Smaller defects of tsnsenter: supplementary groups, numbers out of range.
import t from 'tap';
import { background, childrenOf, firstLine, sh, tool, until } from '../lib/run';

t.test('entering a user namespace whose setgroups is "deny" drops the caller\'s groups first, as util-linux', async (t) => {
  const box = background(t, 'tsunshare -U -r --fork sh -c "cat /proc/self/setgroups; exec sleep 60"');
  t.equal(await firstLine(box), 'deny');
  await until(() => childrenOf(box.pid!).length === 1);
  const [pid] = childrenOf(box.pid!);
  const r = sh(`setpriv --groups=100,200 tsnsenter -t ${pid} -U sh -c 'grep ^Groups /proc/self/status'; setpriv --groups=100,200 nsenter -t ${pid} -U sh -c 'grep ^Groups /proc/self/status'`);
  const [ours, theirs] = r.stdout.split('\n').map((l) => l.trim());
  t.equal(ours, 'Groups:', r.stderr);
  t.equal(ours, theirs, 'the same as nsenter');
});

t.test('numbers beyond what the kernel takes: one line, exit 1', async (t) => {
  const fd = tool('tsnsenter', ['-t', String(process.pid), '-N', '4294967296', 'true']);
  t.equal(fd.status, 1);
  t.equal(fd.stderr, "tsnsenter: failed to parse file descriptor: '4294967296'\n");
  const ino = tool('tsnsenter', ['-t', `${process.pid}:99999999999999999999`, '-u', 'true']);
  t.equal(ino.status, 1);
  t.equal(ino.stderr, "tsnsenter: failed to parse inode: '99999999999999999999' (at most 18446744073709551615)\n");
  const big = tool('tsnsenter', ['-t', `${process.pid}:18446744073709551615`, '-u', 'true']);
  t.equal(big.status, 1);
  t.match(big.stderr, /^tsnsenter: PID (\d+) is no longer the process \1:18446744073709551615 named: that one ended, and the PID now belongs to another\n$/, 'the largest inode is checked, not mangled');
});
