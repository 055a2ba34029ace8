/** Spanish strings of the VM page's Clone action (spread into `es`). */
import type { enVmClone } from './en.vmClone';

export const esVmClone: Record<keyof typeof enVmClone, string> = {
  'vms.clone.button': 'Clonar',
  'vms.clone.title': 'Clonar {name}',
  'vms.clone.name': 'Nombre del clon',
  'vms.clone.nameHint': 'Letras, dígitos, ".", "_", "+" y "-"; debe estar libre en este anfitrión.',
  'vms.clone.nameInvalid': 'Usa de 1 a 64 letras, dígitos, ".", "_", "+" o "-", empezando por una letra o un dígito.',
  'vms.clone.disks': 'Discos',
  'vms.clone.copy': 'Copia completa',
  'vms.clone.copyHint': 'Cada disco se copia en su pool (vol-clone): el clon no depende del origen.',
  'vms.clone.linked': 'Clon enlazado',
  'vms.clone.linkedHint':
    'Cada disco es un qcow2 nuevo sobre el disco del origen (su archivo base): inmediato y pequeño, pero el origen debe seguir apagado y conservarse.',
  'vms.clone.start': 'Arrancar el clon cuando esté listo',
  'vms.clone.allowRunning': 'El origen está {state}: pausarlo durante la copia',
  'vms.clone.allowRunningHint':
    'La copia es consistente ante fallos (como desenchufar el cable); el origen se reanuda justo después de la copia, también si falla.',
  'vms.clone.consentNeeded': 'Apaga el origen primero, o permite pausarlo durante la copia.',
  'vms.clone.submit': 'Clonar',
  'vms.clone.progress': 'Clonando en {name}',
  'vms.clone.commands': 'Lo que se ejecuta',
  'vms.clone.diskPlan': 'Discos del clon',
  'vms.clone.shared': 'compartido tal cual',
  'vms.clone.action.copy': 'copia',
  'vms.clone.action.linked': 'enlazado',
  'vms.clone.action.shared': 'compartido',
};
