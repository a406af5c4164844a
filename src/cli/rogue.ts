#!/usr/bin/env node
/** keepalived-ts-rogue: the rogue VRRP advertiser's entry point (see rogue-run.ts). */
import { rogueMain } from './rogue-run.js';

void rogueMain();
