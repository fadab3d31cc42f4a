#!/usr/bin/env node
import { main } from 'tscontainer-core';
import { tscgdelete } from './delete';

void main(tscgdelete);
