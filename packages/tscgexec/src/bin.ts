#!/usr/bin/env node
import { main } from 'tscontainer-core';
import { tscgexec } from './cli';

// run as the tool; required by a folding chain, only handed over (fold.ts)
export const tool = tscgexec;
if (require.main === module) main(tscgexec);
