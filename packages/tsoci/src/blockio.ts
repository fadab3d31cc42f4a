// linux.resources.blockIO → the core's limits: weights and per-device
// weights, and the four per-device throttles, each device as "MAJ:MIN".
// Where the files go (blkio or io, cfq or bfq) is the core's knobs().
import { ToolError, type DeviceRate, type DeviceWeight, type Limits } from 'tscontainer-core';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const FIELD = 'linux.resources.blockIO';

function int(v: unknown, field: string, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) throw new ToolError(`${field}: expected an integer from 0 to ${max}`);
  return v;
}

const MAJOR_MINOR = 0xffffffff;
const device = (d: Json, field: string) => `${int(d.major, `${field}.major`, MAJOR_MINOR)}:${int(d.minor, `${field}.minor`, MAJOR_MINOR)}`;

function list(v: unknown, field: string): Json[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new ToolError(`${field}: expected an array`);
  return v.map((d, i) => {
    if (!isObject(d)) throw new ToolError(`${field}[${i}]: expected an object`);
    return d;
  });
}

/** Fills `l` from blockIO; a weight of 0 is no weight (as runc reads it). */
export function parseBlockIO(b: unknown, l: Limits): void {
  if (b === undefined || b === null) return;
  if (!isObject(b)) throw new ToolError(`${FIELD}: expected an object`);
  const known = ['weight', 'leafWeight', 'weightDevice', 'throttleReadBpsDevice', 'throttleWriteBpsDevice', 'throttleReadIOPSDevice', 'throttleWriteIOPSDevice'];
  for (const key of Object.keys(b)) if (!known.includes(key)) throw new ToolError(`${FIELD}.${key} is not a blockIO field tsoci knows`);
  const weight = (v: unknown, field: string) => (v === undefined || v === null ? undefined : int(v, field, 65535) || undefined);
  l.blkioWeight = weight(b.weight, `${FIELD}.weight`);
  l.blkioLeafWeight = weight(b.leafWeight, `${FIELD}.leafWeight`);
  l.blkioWeightDevice = list(b.weightDevice, `${FIELD}.weightDevice`).map((d, i): DeviceWeight => {
    const field = `${FIELD}.weightDevice[${i}]`;
    return { device: device(d, field), weight: weight(d.weight, `${field}.weight`), leafWeight: weight(d.leafWeight, `${field}.leafWeight`) };
  });
  const rates = (key: string): DeviceRate[] => list(b[key], `${FIELD}.${key}`).map((d, i) => {
    const field = `${FIELD}.${key}[${i}]`;
    if (typeof d.rate !== 'number' || !Number.isSafeInteger(d.rate) || d.rate < 0) throw new ToolError(`${field}.rate: expected an integer of at least 0`);
    return { device: device(d, field), rate: BigInt(d.rate) };
  });
  l.deviceReadBps = rates('throttleReadBpsDevice');
  l.deviceWriteBps = rates('throttleWriteBpsDevice');
  l.deviceReadIops = rates('throttleReadIOPSDevice');
  l.deviceWriteIops = rates('throttleWriteIOPSDevice');
}

/** Sets anything (the io controller is then needed). */
export const blockIOSet = (l: Limits) =>
  l.blkioWeight !== undefined || l.blkioLeafWeight !== undefined || !!l.blkioWeightDevice?.length ||
  l.deviceReadBps.length > 0 || l.deviceWriteBps.length > 0 || !!l.deviceReadIops?.length || !!l.deviceWriteIops?.length;
