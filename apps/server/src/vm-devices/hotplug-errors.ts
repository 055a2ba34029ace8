import { HttpError } from '../lib/http-errors.js';
import { VirshError } from '../vms/virsh.js';

/**
 * libvirt's hot-plug failures, said with what to do about them. The first one is what a q35 VM
 * runs into: PCIe hot-plug needs a free pcie-root-port, and libvirt adds only as many ports as the
 * definition needs when it is defined (virt-install adds spares; a hand-written definition has none).
 */
const EXPLAINED: Array<{ match: RegExp; say: (name: string) => string }> = [
  {
    match: /no more available PCI slots|no free (?:PCI|pcie)|hotplug.*not supported by.*root/i,
    say: (name) =>
      `"${name}" has no free PCIe slot to hot-plug into (on q35 each hot-plugged device needs a free pcie-root-port controller, and libvirt adds only as many as the definition needs). Attach it to the persistent definition only and restart the VM, or detach another hot-plugged device first.`,
  },
  {
    match: /guest unplug request|device detach timed out|still has the device|unplug.*timed out/i,
    say: (name) =>
      `The guest of "${name}" did not release the device in time (hot-unplug needs the guest's cooperation: ACPI/PCIe hot-plug support in its kernel). It may still go; check again, or detach it from the persistent definition and restart.`,
  },
];

export function explainHotplugError(err: unknown, name: string): unknown {
  if (!(err instanceof VirshError)) return err;
  const hit = EXPLAINED.find((e) => e.match.test(err.message));
  return hit ? new HttpError(409, `${hit.say(name)} (libvirt: ${err.message})`, { code: 'libvirt_error' }) : err;
}
