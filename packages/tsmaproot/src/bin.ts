#!/usr/bin/env node
import { main } from 'tscontainer-core';
import { tsmaproot } from './cli';

void main(tsmaproot);
