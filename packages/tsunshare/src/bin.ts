#!/usr/bin/env node
import { main } from 'tscontainer-core';
import { tsunshare } from './cli';

// run as the tool; required by a folding chain, only handed over (fold.ts)
export const tool = tsunshare;
if (require.main === module) main(tsunshare);
