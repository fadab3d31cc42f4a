#!/usr/bin/env node
import { callerArgv } from 'tscontainer-core';
import { main } from './cli';

// not a link of a chain (it never execs the rest of its argv): nothing to fold
if (require.main === module) {
  main(callerArgv()).then(({ status, stdout }) => {
    if (stdout) process.stdout.write(stdout);
    process.exitCode = status;
  });
}
