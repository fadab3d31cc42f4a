#!/usr/bin/env node
import { main } from 'tscontainer-core';
import { tsmaproot } from './cli';

// run as the tool; required by a folding chain, only handed over (fold.ts)
export const tool = tsmaproot;
if (require.main === module) main(tsmaproot);
