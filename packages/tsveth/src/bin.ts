#!/usr/bin/env node
import { main } from 'tscontainer-core';
import { tsveth } from './cli';

// run as the tool; required by a folding chain, only handed over (fold.ts)
export const tool = tsveth;
if (require.main === module) main(tsveth);
