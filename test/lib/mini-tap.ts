// The part of tap's API the cgroup tests use, for the v2 guest lane only:
// under software emulation loading tap takes ~30 s a process, so there the
// same test files are bundled with `tap` aliased to this (test/vm/bundle-tests.js).
// Semantics follow tap's: equal is ===, same is deep equality, match takes
// a substring or a RegExp; subtests run in order; TAP 14 out, then tap's
// closing summary line "# { total, pass, fail, skip }" (counting assertions).
import util = require('util');

type Body = (t: Test) => unknown;
interface Options { skip?: string | boolean }

const totals = { pass: 0, fail: 0, skip: 0 };

export class Test {
  private n = 0;
  private queue: (() => Promise<void>)[] = [];
  private teardowns: (() => unknown)[] = [];
  constructor(private readonly indent: string) {}

  private line(s: string) {
    process.stdout.write(`${this.indent}${s}\n`);
  }

  private assert(ok: boolean, msg: string, detail?: () => string) {
    this.n++;
    if (ok) totals.pass++;
    else totals.fail++;
    this.line(`${ok ? 'ok' : 'not ok'} ${this.n} - ${msg}`);
    if (!ok && detail) for (const l of detail().split('\n')) this.line(`  # ${l}`);
    return ok;
  }

  ok(v: unknown, msg = 'should be truthy') { return this.assert(!!v, msg); }
  notOk(v: unknown, msg = 'should be falsy') { return this.assert(!v, msg); }
  pass(msg = 'passed') { return this.assert(true, msg); }
  equal(a: unknown, b: unknown, msg = 'should be equal') {
    return this.assert(a === b, msg, () => `expected ${util.inspect(b)}\nactual   ${util.inspect(a)}`);
  }
  same(a: unknown, b: unknown, msg = 'should be equivalent') {
    return this.assert(util.isDeepStrictEqual(a, b), msg, () => `expected ${util.inspect(b)}\nactual   ${util.inspect(a)}`);
  }
  match(a: unknown, p: string | RegExp, msg = 'should match pattern') {
    const ok = typeof p === 'string' ? String(a).includes(p) : p.test(String(a));
    return this.assert(ok, msg, () => `pattern ${util.inspect(p)}\nactual  ${util.inspect(a)}`);
  }
  comment(s: string) { this.line(`# ${s}`); }
  teardown(fn: () => unknown) { this.teardowns.push(fn); }

  test(name: string, a: Options | Body, b?: Body): Promise<void> {
    const [opts, body] = typeof a === 'function' ? [{}, a] : [a, b!];
    const run = async () => {
      if (opts.skip) {
        totals.skip++;
        this.line(`ok ${++this.n} - ${name} # SKIP ${opts.skip === true ? '' : opts.skip}`);
        return;
      }
      this.line(`# Subtest: ${name}`);
      const sub = new Test(this.indent + '    ');
      const before = totals.fail;
      try {
        await body(sub);
      } catch (e) {
        sub.assert(false, `threw: ${(e as Error).message}`);
      }
      await sub.finish();
      this.line(`${totals.fail === before ? 'ok' : 'not ok'} ${++this.n} - ${name}`);
    };
    const done = new Promise<void>((resolve) => this.queue.push(() => run().then(resolve)));
    return done;
  }

  async finish() {
    while (this.queue.length) await this.queue.shift()!();
    for (const fn of this.teardowns.reverse()) await fn();
    this.line(`1..${this.n}`);
  }
}

const root = new Test('');
process.stdout.write('TAP version 14\n');
setImmediate(async () => {
  await root.finish();
  process.stdout.write(`# { total: ${totals.pass + totals.fail + totals.skip}, pass: ${totals.pass}, fail: ${totals.fail}, skip: ${totals.skip} }\n`);
  process.exitCode = totals.fail ? 1 : 0;
});

export default root;
