/** `virsh vcpupin` / `emulatorpin` tables (run with LC_ALL=C), for reading pinning back. */

/** " 0      0-1" rows under "VCPU   CPU Affinity". */
export function parseVcpupinTable(output: string): Array<{ vcpu: number; cpuset: string }> {
  const rows: Array<{ vcpu: number; cpuset: string }> = [];
  for (const line of output.split(/\r?\n/)) {
    const m = /^\s*(\d+)\s*:?\s+([\d,^-]+)\s*$/.exec(line);
    if (m) rows.push({ vcpu: Number(m[1]), cpuset: m[2]! });
  }
  return rows;
}

/** "       *: 0-1" under "emulator: CPU Affinity". */
export function parseEmulatorpinTable(output: string): string | undefined {
  return /^\s*\*:\s*([\d,^-]+)\s*$/m.exec(output)?.[1];
}
