#!/usr/bin/env node
import { main } from 'tscontainer-core';
import { tsreexec } from './cli';

// run as the tool; required by a folding chain, only handed over (fold.ts)
export const tool = tsreexec;
if (require.main === module) main(tsreexec);
