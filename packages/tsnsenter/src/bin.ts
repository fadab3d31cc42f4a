#!/usr/bin/env node
import { main } from 'tscontainer-core';
import { tsnsenter } from './cli';

void main(tsnsenter);
