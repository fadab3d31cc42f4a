// config.json's hooks (runtime-spec's, run where and when runc runs them):
// prestart and createRuntime by tsoci once the init has made its mounts
// (the runtime's namespaces; the init waits), createContainer by the init
// before pivot_root and startContainer by it just before the program's exec
// (the container's namespaces: plan steps), poststart by `start`, poststop
// by `delete`. Each gets the container's state on stdin; one that fails (a
// status, a signal, its timeout) fails the command, but poststop only warns.
import { spawnSync } from 'child_process';
import { envTable, ToolError, type Step } from 'tscontainer-core';

export const HOOK_KINDS = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'] as const;
export type HookKind = (typeof HOOK_KINDS)[number];

export interface Hook {
  /** absolute */
  path: string;
  /** argv, argv[0] included ([path] when none is given) */
  args: string[];
  /** the whole environment; undefined: tsoci's own (runc's) */
  env?: string[];
  /** seconds; 0 for none */
  timeout: number;
}

export type Hooks = Record<HookKind, Hook[]>;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function strings(v: unknown, field: string): string[] {
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) throw new ToolError(`${field}: expected an array of strings`);
  return v as string[];
}

export function parseHooks(v: unknown): Hooks {
  const hooks = noHooks();
  if (v === undefined || v === null) return hooks;
  if (!isObject(v)) throw new ToolError('hooks: expected an object');
  for (const [kind, list] of Object.entries(v)) {
    if (!(HOOK_KINDS as readonly string[]).includes(kind)) throw new ToolError(`hooks.${kind} is not a hook (${HOOK_KINDS.join(', ')})`);
    if (list === null) continue;
    if (!Array.isArray(list)) throw new ToolError(`hooks.${kind}: expected an array`);
    hooks[kind as HookKind] = list.map((h, i): Hook => {
      const field = `hooks.${kind}[${i}]`;
      if (!isObject(h)) throw new ToolError(`${field}: expected an object`);
      if (typeof h.path !== 'string' || !h.path.startsWith('/')) throw new ToolError(`${field}.path: expected an absolute path`);
      const args = h.args === undefined || h.args === null ? [] : strings(h.args, `${field}.args`);
      const env = h.env === undefined || h.env === null ? undefined : strings(h.env, `${field}.env`);
      if (h.timeout !== undefined && h.timeout !== null && (typeof h.timeout !== 'number' || !Number.isInteger(h.timeout) || h.timeout < 1)) {
        throw new ToolError(`${field}.timeout: expected a whole number of seconds, at least 1`);
      }
      return { path: h.path, args: args.length ? args : [h.path], env, timeout: typeof h.timeout === 'number' ? h.timeout : 0 };
    });
  }
  return hooks;
}

export interface StateOf {
  ociVersion: string;
  id: string;
  bundle: string;
  annotations: Record<string, string>;
}

/** The state a hook reads on its stdin (runtime-spec's, as runc gives it). */
export function hookState(s: StateOf, status: string, pid: number | '{pid}'): string {
  const text = JSON.stringify({
    ociVersion: s.ociVersion, id: s.id, status, pid: pid === '{pid}' ? -1 : pid, bundle: s.bundle,
    ...(Object.keys(s.annotations).length ? { annotations: s.annotations } : {}),
  });
  // the init puts its own PID there (tscore-exec's hook step)
  return pid === '{pid}' ? text.replace('"pid":-1', '"pid":{pid}') : text;
}

const ownEnv = () => Object.entries(process.env).map(([k, v]) => `${k}=${v}`);
const hookName = (kind: HookKind, i: number, h: Hook) => `${kind} hook #${i} (${h.path})`;

/** Run one kind of hook here, in order; the first failure is thrown (`warn`:
 * each failure is said on stderr and the rest still run). */
export function runHooks(kind: HookKind, hooks: Hooks, state: string, warn = false): void {
  for (const [i, h] of hooks[kind].entries()) {
    const env = h.env ? envTable(h.env) : process.env;
    const r = spawnSync(h.path, h.args.slice(1), {
      argv0: h.args[0], input: state, env, encoding: 'utf8', timeout: h.timeout * 1000 || undefined, killSignal: 'SIGKILL',
      stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 1 << 20,
    });
    const said = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').at(-1)?.replace(/[\x00-\x1f\x7f]/g, '?') ?? '';
    // a hook need not read its stdin (EPIPE is no failure)
    const code = (r.error as NodeJS.ErrnoException | undefined)?.code;
    const why = code === 'ETIMEDOUT' ? `ran past its timeout of ${h.timeout} s`
      : r.error && code !== 'EPIPE' ? (r.error as Error).message
        : r.status !== 0 ? (r.signal ? `killed by signal ${r.signal}` : `exit status ${r.status}`) : undefined;
    if (why === undefined) continue;
    const line = `error running ${hookName(kind, i, h)}: ${why}${said ? `: ${said}` : ''}`;
    if (!warn) throw new ToolError(line);
    process.stderr.write(`tsoci: warning: ${line}\n`);
  }
}

/** The steps that run one kind of hook in the init (createContainer, startContainer). */
export function hookSteps(kind: HookKind, hooks: Hooks, state: string): Step[] {
  return hooks[kind].map((h, i): Step => ({
    op: 'hook', path: h.path, args: h.args, env: h.env ?? ownEnv(), timeout: h.timeout, state, name: hookName(kind, i, h),
  }));
}

/** What the init's plan needs for the hooks around it. */
export interface HookPlan {
  hooks: Hooks;
  state: StateOf;
  /** the handshake's socket, where tsoci runs prestart and createRuntime (when there are any) */
  fd?: number;
  /** where the init says it execs now (run, for poststart) */
  startedFd?: number;
}

/** Once the mounts are made, before pivot_root: tsoci runs the runtime's
 * hooks while the init waits, then the init runs createContainer in the
 * root's directory (runc's). */
export function mountedHookSteps(h: HookPlan | undefined, root: number): Step[] {
  if (!h) return [];
  const steps: Step[] = [];
  if (h.fd !== undefined) {
    steps.push(
      { op: 'notify', fd: h.fd, data: 'h', what: 'tsoci runs the prestart and createRuntime hooks' },
      { op: 'wait', fd: h.fd, what: 'the prestart and createRuntime hooks' },
    );
  }
  if (h.hooks.createContainer.length) {
    steps.push({ op: 'fchdir', slot: root, what: 'rootfd' }, ...hookSteps('createContainer', h.hooks, hookState(h.state, 'creating', '{pid}')));
  }
  return steps;
}

/** Just before the exec: startContainer, then tsoci is told (run's poststart). */
export function execHookSteps(h: HookPlan | undefined): Step[] {
  if (!h) return [];
  const steps = hookSteps('startContainer', h.hooks, hookState(h.state, 'created', '{pid}'));
  if (h.startedFd !== undefined) steps.push({ op: 'notify', fd: h.startedFd, data: 's', what: 'tsoci runs the poststart hooks' });
  return steps;
}

export const noHooks = (): Hooks => Object.fromEntries(HOOK_KINDS.map((k) => [k, [] as Hook[]])) as Hooks;

/** The hooks around create's (or run's) init, undefined when there are none:
 * the handshake's fd when tsoci runs prestart or createRuntime, and for
 * run's poststart the fd the init tells it runs the program. */
export function hookPlan(hooks: Hooks, state: StateOf, fds: { hooks: number; started: number }, forRun: boolean): HookPlan | undefined {
  if (!HOOK_KINDS.some((k) => hooks[k].length)) return undefined;
  return {
    hooks,
    state,
    fd: hooks.prestart.length || hooks.createRuntime.length ? fds.hooks : undefined,
    startedFd: forRun && hooks.poststart.length ? fds.started : undefined,
  };
}
