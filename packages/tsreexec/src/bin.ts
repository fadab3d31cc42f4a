#!/usr/bin/env node
import { main } from 'tscontainer-core';
import { tsreexec } from './cli';

void main(tsreexec);
