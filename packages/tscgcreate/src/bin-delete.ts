#!/usr/bin/env node
import { main } from 'tscontainer-core';
import { tscgdelete } from './delete';

// run as the tool; required by a folding chain, only handed over (fold.ts)
export const tool = tscgdelete;
if (require.main === module) main(tscgdelete);
