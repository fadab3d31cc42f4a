// Command-line parsing with getopt_long's rules, which util-linux users rely on:
// clustered short options (-pmnu), attached values (-R/srv, --wd=/x), optional
// values only when attached (--mount=FILE, -m/FILE), unique prefixes of long
// names (--fo for --fork), `--`, and a stop at the first non-option (the
// program and its own arguments follow).
//
// Why not `arg`: it cannot express optional values (it drops "=FILE" on a
// flag) nor values attached to short options, so it cannot parse unshare's or
// nsenter's command lines as util-linux does.
import { UsageError } from './errors';

export type ArgKind = 'none' | 'required' | 'optional';

export interface Option {
  key: string;
  short?: string;
  long?: string;
  arg: ArgKind;
}

export interface Occurrence {
  key: string;
  /** how the user spelled it, for messages: "-m" or "--mount" */
  as: string;
  value?: string;
}

export interface Parsed {
  options: Occurrence[];
  operands: string[];
}

function findLong(specs: readonly Option[], name: string): Option {
  const exact = specs.find((s) => s.long === name);
  if (exact) return exact;
  const prefixed = specs.filter((s) => s.long?.startsWith(name));
  if (prefixed.length === 1) return prefixed[0];
  if (prefixed.length === 0) throw new UsageError(`unrecognized option '--${name}'`);
  const names = prefixed.map((s) => `'--${s.long}'`).join(' ');
  throw new UsageError(`option '--${name}' is ambiguous; possibilities: ${names}`);
}

export function getopt(argv: readonly string[], specs: readonly Option[]): Parsed {
  const options: Occurrence[] = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const word = argv[i];
    if (word === '--') {
      i++;
      break;
    }
    if (word.startsWith('--')) {
      const eq = word.indexOf('=');
      const name = eq < 0 ? word.slice(2) : word.slice(2, eq);
      const spec = findLong(specs, name);
      const as = `--${spec.long}`;
      if (eq >= 0) {
        if (spec.arg === 'none') throw new UsageError(`option '${as}' doesn't allow an argument`);
        options.push({ key: spec.key, as, value: word.slice(eq + 1) });
      } else if (spec.arg === 'required') {
        if (i + 1 >= argv.length) throw new UsageError(`option '${as}' requires an argument`);
        options.push({ key: spec.key, as, value: argv[++i] });
      } else {
        options.push({ key: spec.key, as });
      }
      continue;
    }
    if (word.length < 2 || word[0] !== '-') break; // the program
    for (let j = 1; j < word.length; j++) {
      const ch = word[j];
      const spec = specs.find((s) => s.short === ch);
      if (!spec) throw new UsageError(`invalid option -- '${ch}'`);
      const as = `-${ch}`;
      const attached = word.slice(j + 1);
      if (spec.arg === 'none') {
        options.push({ key: spec.key, as });
        continue;
      }
      if (attached) {
        options.push({ key: spec.key, as, value: attached });
      } else if (spec.arg === 'required') {
        if (i + 1 >= argv.length) throw new UsageError(`option requires an argument -- '${ch}'`);
        options.push({ key: spec.key, as, value: argv[++i] });
      } else {
        options.push({ key: spec.key, as });
      }
      break;
    }
  }
  return { options, operands: argv.slice(i) };
}
