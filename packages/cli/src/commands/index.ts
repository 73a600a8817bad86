/** Every command of `kinesis-ts`, in the order `--help` lists them. */
import type { CommandSpec } from '../command-spec.js';
import { lagCommand } from './lag.js';
import { leasesCommand } from './leases.js';
import { putCommand } from './put.js';
import { rewindCommand } from './rewind.js';
import { streamsDescribe, streamsList } from './streams.js';
import { tableCheck, tableCreate } from './table.js';
import { tailCommand } from './tail.js';

/** The commands, in `--help` order. */
export const COMMANDS: readonly CommandSpec[] = [
  streamsList,
  streamsDescribe,
  leasesCommand,
  lagCommand,
  tailCommand,
  putCommand,
  rewindCommand,
  tableCreate,
  tableCheck,
];
