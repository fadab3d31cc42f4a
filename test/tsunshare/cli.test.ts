// The command line: getopt's rules, --help/--version, refusals, --dry-run.
import t from 'tap';
import fs = require('fs');
import os = require('os');
import path = require('path');
import { mountPoints, scratch, tool } from '../lib/run';

t.test('--help and --version go to stdout, status 0', async (t) => {
  const h = tool('tsunshare', ['--help']);
  t.equal(h.status, 0);
  t.match(h.stdout, /^\nUsage:\n tsunshare \[options\] \[<program> \[<argument>\.\.\.\]\]/);
  for (const opt of ['--mount', '--kill-child', '--map-users', '--owner', '--pid-file', '--dry-run', '--whitelist-env', '--forward-signals'])
    t.match(h.stdout, opt, `help lists ${opt}`);
  const v = tool('tsunshare', ['-V']);
  t.match(v.stdout, /^tsunshare from ts-container-tools \d+\.\d+\.\d+\n$/);
});

t.test('getopt rules: clusters, attached values, unique prefixes, --, first operand', async (t) => {
  const dir = scratch(t);
  t.equal(tool('tsunshare', [`-w${dir}`, 'pwd']).stdout.trim(), dir, '-wDIR');
  t.equal(tool('tsunshare', [`--wd=${dir}`, 'pwd']).stdout.trim(), dir, '--wd=DIR');
  t.equal(tool('tsunshare', ['--wd', dir, 'pwd']).stdout.trim(), dir, '--wd DIR');
  t.equal(tool('tsunshare', ['-fp', 'sh', '-c', 'echo $$']).stdout.trim(), '1', 'a cluster');
  t.equal(tool('tsunshare', ['--kill', '-p', 'sh', '-c', 'echo $$']).stdout.trim(), '1', 'a unique prefix (--kill-child)');
  t.equal(tool('tsunshare', ['-u', '--', 'sh', '-c', 'echo dashdash']).stdout.trim(), 'dashdash');
  t.equal(tool('tsunshare', ['-u', 'sh', '-c', 'echo $0 $1', '-r', '--bogus']).stdout.trim(), '-r --bogus', 'options stop at the program');
});

const refusals: [string[], string][] = [
  [['--bogus'], "unrecognized option '--bogus' (try 'tsunshare --help')"],
  [['-x', 'true'], "invalid option -- 'x' (try 'tsunshare --help')"],
  [['--propagation'], "option '--propagation' requires an argument (try 'tsunshare --help')"],
  [['-R'], "option requires an argument -- 'R' (try 'tsunshare --help')"],
  [['--fork=yes', 'true'], "option '--fork' doesn't allow an argument (try 'tsunshare --help')"],
  [['--map', 'x', 'true'], "option '--map' is ambiguous; possibilities: '--map-root-user' '--map-current-user' '--map-user' '--map-group' '--map-users' '--map-groups' '--map-auto' '--map-subids' (try 'tsunshare --help')"],
  [['--propagation', 'bogus', 'true'], 'unsupported propagation mode: bogus'],
  [['--setgroups', 'bogus', 'true'], "unsupported --setgroups argument 'bogus'"],
  [['--monotonic', '10', 'true'], 'options --monotonic and --boottime require unsharing of a time namespace (-T)'],
  [['-T', '--monotonic', 'abc', 'true'], "failed to parse monotonic offset: 'abc'"],
  [['-T', '--boottime', '99999999999999999999', 'true'], "failed to parse boottime offset: '99999999999999999999'"],
  [['--map-user=nosuchuser', 'true'], "failed to parse uid: 'nosuchuser'"],
  [['--map-group=nosuchgroup', 'true'], "failed to parse gid: 'nosuchgroup'"],
  [['--map-users=1:2', 'true'], "invalid mapping '1:2'"],
  [['--map-users=0:100000:0', 'true'], "invalid mapping '0:100000:0'"],
  [['--owner', 'nobody', 'true'], "failed to parse owner: 'nobody' (expected <uid>:<gid>)"],
  [['-G', 'x', 'true'], "failed to parse gid: 'x'"],
  [['-R', '/nonexistent', 'true'], "cannot change root directory to '/nonexistent': No such file or directory"],
  [['-w', '/nonexistent', 'true'], 'cannot change directory to /nonexistent: No such file or directory'],
  [['--mount-proc=/nonexistent-dir', 'true'], 'cannot mount proc on /nonexistent-dir: No such file or directory'],
];

/** the host's mount points outside the folders other tests mount in meanwhile (their scratch folders, /run/netns) */
const hostMounts = () => mountPoints().filter((p) => !p.startsWith('/tmp/') && !p.startsWith('/run/netns/')).length;

for (const [args, message] of refusals) {
  t.test(`refuses ${args.join(' ')}`, async (t) => {
    const mounts = hostMounts();
    const r = tool('tsunshare', ['-u', ...args]);
    t.equal(r.status, 1);
    t.equal(r.stderr, `tsunshare: ${message}\n`, 'one line, naming the tool');
    t.equal(r.stdout, '');
    t.equal(hostMounts(), mounts, 'no mount made');
  });
}

t.test('a failing system call: one line naming the call and the reason, status 1', async (t) => {
  const r = tool('tsunshare', ['-U', '--map-users=0:0:1', '--map-user=0', '--setuid', '12345', 'true']);
  t.equal(r.status, 1);
  t.equal(r.stderr, 'tsunshare: setuid(12345) failed: Invalid argument\n');
});

t.test('--dry-run prints each system call in order and changes nothing', async (t) => {
  const dir = scratch(t);
  fs.writeFileSync(path.join(dir, 'uts'), '');
  const host = os.hostname();
  const r = tool('tsunshare', ['--dry-run', '-r', '--fork', '-p', `--uts=${dir}/uts`, '--mount-proc', 'hostname', 'tsns-dry']);
  t.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
  t.equal(lines[0], 'fork() a helper that binds the namespace files from the original namespaces, once released');
  t.match(lines[1], /mount\("\/proc\/\{parent\}\/ns\/uts", ".*\/uts", NULL, MS_BIND, NULL\)/);
  const order = [
    /^unshare\(CLONE_NEWNS\|CLONE_NEWUTS\|CLONE_NEWUSER\|CLONE_NEWPID\)$/,
    /^fork\(\)$/,
    /^ {2}parent: release the helper that binds the namespace files and wait for it$/,
    // the child's steps, indented under the fork
    /^ {2}child: write\("\/proc\/self\/uid_map", "0 0 1"\)$/,
    /^ {2}child: write\("\/proc\/self\/setgroups", "deny"\)/,
    /^ {2}child: write\("\/proc\/self\/gid_map", "0 0 1"\)$/,
    /^ {2}child: mount\("none", "\/", NULL, MS_REC\|MS_PRIVATE, NULL\)$/,
    /^ {2}child: mount\("proc", "\/proc", "proc", MS_NOSUID\|MS_NODEV\|MS_NOEXEC, NULL\)$/,
    /^ {2}child: execvp\("hostname", \["hostname","tsns-dry"\]\)$/,
  ].map(at);
  t.ok(order.every((i, k) => i >= 0 && (k === 0 || i > order[k - 1])), `in order: ${order}\n${r.stdout}`);
  t.equal(os.hostname(), host);
  t.notOk(mountPoints().includes(path.join(dir, 'uts')), 'nothing bound');
});
