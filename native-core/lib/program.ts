// The program a tool ends in: the given one, or the user's shell as a login shell.
import path = require('path');
import { loginShell } from './users';

export interface Program {
  file: string;
  argv: string[];
}

export function program(operands: string[], env: NodeJS.ProcessEnv, uid: number): Program {
  if (operands.length > 0) return { file: operands[0], argv: operands };
  const shell = env.SHELL || loginShell(uid) || '/bin/sh';
  return { file: shell, argv: ['-' + path.basename(shell)] };
}
