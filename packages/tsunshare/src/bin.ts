#!/usr/bin/env node
import { main } from 'tscontainer-core';
import { tsunshare } from './cli';

void main(tsunshare);
