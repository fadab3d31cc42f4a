// linux.resources.hugepageLimits → the core's hugetlb limits. A page size
// must be one this kernel has (its name becomes part of a file name: as
// runc since 1.1.10, nothing else reaches the cgroup's directory).
import fs = require('fs');
import { ToolError } from 'tscontainer-core';

const FIELD = 'linux.resources.hugepageLimits';

/** The cgroup's names of the kernel's huge page sizes: hugepages-2048kB → "2MB" */
export function hugePageSizes(dir = '/sys/kernel/mm/hugepages'): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names.flatMap((n) => {
    const m = /^hugepages-(\d+)kB$/.exec(n);
    if (!m) return [];
    const kb = Number(m[1]);
    return [kb % (1 << 20) === 0 ? `${kb >> 20}GB` : kb % 1024 === 0 ? `${kb >> 10}MB` : `${kb}KB`];
  });
}

export function parseHugepageLimits(v: unknown, sizes = hugePageSizes()): { pageSize: string; limit: bigint }[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new ToolError(`${FIELD}: expected an array`);
  return v.map((h, i) => {
    const field = `${FIELD}[${i}]`;
    if (typeof h !== 'object' || h === null || Array.isArray(h)) throw new ToolError(`${field}: expected an object`);
    const { pageSize, limit } = h as Record<string, unknown>;
    if (typeof pageSize !== 'string' || !sizes.includes(pageSize))
      throw new ToolError(`${field}.pageSize: '${String(pageSize)}' is not a huge page size of this kernel (${sizes.join(', ') || 'it has none'})`);
    if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 0) throw new ToolError(`${field}.limit: expected a number of bytes`);
    return { pageSize, limit: BigInt(limit) };
  });
}
