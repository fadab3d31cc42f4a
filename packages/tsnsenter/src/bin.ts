#!/usr/bin/env node
import { main } from 'tscontainer-core';
import { tsnsenter } from './cli';

// run as the tool; required by a folding chain, only handed over (fold.ts)
export const tool = tsnsenter;
if (require.main === module) main(tsnsenter);
