// User namespaces and id maps, read back from /proc/self/{uid_map,gid_map,setgroups}.
import t from 'tap';
import fs = require('fs');
import path = require('path');
import type { Test } from 'tap';

import { scratch, sh, tool } from '../lib/run';
import { withSubids } from '../lib/subids';

const MAPS = 'cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups';
const rows = (text: string) => text.trim().split('\n').map((l) => l.trim().split(/\s+/).join(' '));
const AS_NOBODY = 'setpriv --reuid=65534 --regid=65534 --clear-groups';

t.test('-r maps us to root, denies setgroups', async (t) => {
  const r = tool('tsunshare', ['-r', 'sh', '-c', `${MAPS}; id -u; id -g`]);
  t.equal(r.status, 0, r.stderr);
  t.same(rows(r.stdout), ['0 0 1', '0 0 1', 'deny', '0', '0']);
});

t.test('-c maps the current user to itself', async (t) => {
  const r = sh(`${AS_NOBODY} tsunshare -c sh -c 'cat /proc/self/uid_map; id -u'`);
  t.equal(r.status, 0, r.stderr);
  t.same(rows(r.stdout), ['65534 65534 1', '65534']);
});

t.test('-r works unprivileged', async (t) => {
  const r = sh(`${AS_NOBODY} tsunshare -r -u sh -c 'hostname x; hostname; id -u'`);
  t.equal(r.status, 0, r.stderr);
  t.same(rows(r.stdout), ['x', '0']);
});

t.test('--map-user/--map-group take names and numbers', async (t) => {
  const r = tool('tsunshare', ['--map-user=nobody', '--map-group=nogroup', 'sh', '-c', `${MAPS}; id -u; id -g`]);
  t.equal(r.status, 0, r.stderr);
  t.same(rows(r.stdout), ['65534 0 1', '65534 0 1', 'deny', '65534', '65534']);
  const n = tool('tsunshare', ['--map-user', '1000', 'cat', '/proc/self/uid_map']);
  t.same(rows(n.stdout), ['1000 0 1']);
});

t.test('-U alone: unmapped, overflow ids, setgroups allowed', async (t) => {
  const r = tool('tsunshare', ['-U', 'sh', '-c', `${MAPS}; id -u`]);
  t.equal(r.status, 0, r.stderr);
  t.same(rows(r.stdout), ['allow', '65534']);
});

t.test('--map-users/--map-groups: inner:outer:count and the legacy outer,inner,count', async (t) => {
  const r = tool('tsunshare', ['--map-users=1000:100000:10', '--map-groups=100000,2000,5', 'sh', '-c', MAPS]);
  t.equal(r.status, 0, r.stderr);
  t.same(rows(r.stdout), ['1000 100000 10', '2000 100000 5', 'allow']);
});

t.test('--map-users ranges accumulate', async (t) => {
  const r = tool('tsunshare', ['--map-users=0:100000:10', '--map-users=10:200000:10', 'cat', '/proc/self/uid_map']);
  t.same(rows(r.stdout), ['0 100000 10', '10 200000 10']);
});

t.test('--map-user with --map-users: the single entry first, its ids taken out of the range', async (t) => {
  const r = tool('tsunshare', ['--map-user=5', '--map-users=0:100000:10', 'cat', '/proc/self/uid_map']);
  t.equal(r.status, 0, r.stderr);
  t.same(rows(r.stdout), ['5 0 1', '0 100000 5', '6 100006 4']);
});

t.test('--map-users=all copies our own map', async (t) => {
  const r = tool('tsunshare', ['--map-users=all', '--map-groups=all', 'sh', '-c', 'cat /proc/self/uid_map /proc/self/gid_map']);
  t.same(rows(r.stdout), rows(fs.readFileSync('/proc/self/uid_map', 'utf8') + fs.readFileSync('/proc/self/gid_map', 'utf8')));
});

/** Run a script where /etc/subuid and /etc/subgid say what we want: an overlay
 * on /etc in a private mount namespace; the host's /etc is never written. */

t.test('--map-auto maps the first subordinate ranges from 0', async (t) => {
  const r = withSubids(t, 'tsunshare --map-auto sh -c "cat /proc/self/uid_map /proc/self/gid_map"');
  t.equal(r.status, 0, r.stderr);
  t.same(rows(r.stdout), ['0 100000 65536', '0 300000 65536']);
});

t.test('--map-subids maps the subordinate ranges to themselves', async (t) => {
  const r = withSubids(t, 'tsunshare --map-subids sh -c "cat /proc/self/uid_map /proc/self/gid_map"');
  t.equal(r.status, 0, r.stderr);
  t.same(rows(r.stdout), ['100000 100000 65536', '300000 300000 65536']);
});

t.test('unprivileged ranges go through newuidmap/newgidmap', async (t) => {
  const r = withSubids(t, `${AS_NOBODY} tsunshare --map-user=0 --map-users=1:200000:10 --map-group=0 --map-groups=1:400000:10 sh -c "cat /proc/self/uid_map /proc/self/gid_map; id -u"`);
  t.equal(r.status, 0, r.stderr);
  t.same(rows(r.stdout), ['0 65534 1', '1 200000 10', '0 65534 1', '1 400000 10', '0']);
});

t.test('unprivileged ranges not granted by /etc/subuid: newuidmap refuses, its status is ours', async (t) => {
  const r = withSubids(t, `${AS_NOBODY} tsunshare --map-users=0:100000:10 true`);
  t.equal(r.status, 1);
  t.match(r.stderr, /newuidmap/);
});

t.test('--map-users=auto without subordinate ids: one line, exit 1', async (t) => {
  const r = withSubids(t, `: > /etc/subuid; ${AS_NOBODY} tsunshare --map-users=auto true`);
  t.equal(r.status, 1);
  t.match(r.stderr, /^tsunshare: no subordinate uids for nobody in \/etc\/subuid\n$/);
});

t.test('--owner: the namespace belongs to that user', async (t) => {
  const r = tool('tsunshare', ['--owner', 'nobody:nogroup', '-r', 'sh', '-c', `${MAPS}; grep ^Uid /proc/self/status`]);
  t.equal(r.status, 0, r.stderr);
  const out = rows(r.stdout);
  t.same(out.slice(0, 3), ['0 65534 1', '0 65534 1', 'deny']);
  t.match(out[3], /^Uid: 0 0 0 0$/);
});

t.test('--setgroups allow|deny', async (t) => {
  t.equal(tool('tsunshare', ['-U', '--setgroups', 'deny', 'cat', '/proc/self/setgroups']).stdout.trim(), 'deny');
  t.equal(tool('tsunshare', ['-U', '--setgroups=allow', 'cat', '/proc/self/setgroups']).stdout.trim(), 'allow');
  const both = tool('tsunshare', ['-r', '--setgroups', 'allow', 'true']);
  t.equal(both.status, 1);
  t.equal(both.stderr, 'tsunshare: options --setgroups=allow and --map-group are mutually exclusive\n');
});

t.test('--keep-caps puts the namespace caps in the ambient set', async (t) => {
  const kept = tool('tsunshare', ['-r', '--keep-caps', 'grep', 'CapAmb', '/proc/self/status']);
  t.match(kept.stdout, /CapAmb:\s+0*1f+\n/);
  const dropped = tool('tsunshare', ['-r', 'grep', 'CapAmb', '/proc/self/status']);
  t.match(dropped.stdout, /CapAmb:\s+0+\n/);
  const nobody = sh(`${AS_NOBODY} tsunshare -r --keep-caps --setuid 0 sh -c 'grep CapAmb /proc/self/status'`);
  t.match(nobody.stdout, /CapAmb:\s+0*1f+\n/, 'also unprivileged');
});

t.test('-S/-G set the ids, and drop supplementary groups', async (t) => {
  const r = tool('tsunshare', ['-S', '65534', '-G', '65534', 'id']);
  t.equal(r.stdout.trim(), 'uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)');
  const bad = tool('tsunshare', ['-S', 'nobody', 'true']);
  t.equal(bad.stderr, "tsunshare: failed to parse uid: 'nobody'\n");
  t.equal(bad.status, 1);
});
