#!/usr/bin/env node
import { main } from 'tscontainer-core';
import { tscgcreate } from './create';

// run as the tool; required by a folding chain, only handed over (fold.ts)
export const tool = tscgcreate;
if (require.main === module) main(tscgcreate);
