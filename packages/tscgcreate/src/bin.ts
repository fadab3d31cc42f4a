#!/usr/bin/env node
import { main } from 'tscontainer-core';
import { tscgcreate } from './create';

void main(tscgcreate);
