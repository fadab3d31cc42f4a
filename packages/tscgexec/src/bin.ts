#!/usr/bin/env node
import { main } from 'tscontainer-core';
import { tscgexec } from './cli';

void main(tscgexec);
