import type { enVmMigrate } from './en.vmMigrate';

/** Spanish strings of a VM's live migration dialog (spread into `es`). */
export const esVmMigrate: Record<keyof typeof enVmMigrate, string> = {
  'vms.migrate.button': 'Migrar',
  'vms.migrate.title': 'Migrar {name} a otro anfitrión',
  'vms.migrate.submit': 'Migrar',
  'vms.migrate.progress': 'Migrando {name}',
  'vms.migrate.destination': 'Anfitrión de destino',
  'vms.migrate.destinationHint':
    'Otro anfitrión con libvirt del inventario; el anfitrión de origen se conecta a él por SSH con su propia clave.',
  'vms.migrate.pickHost': 'Elige un anfitrión de destino',
  'vms.migrate.noHosts': 'No hay otro anfitrión con libvirt en el inventario. Añade uno en Anfitriones primero.',
  'vms.migrate.undefineSource': 'Quitar después la definición de este anfitrión',
  'vms.migrate.undefineSourceHint': 'virsh migrate --undefinesource; en el destino la VM queda siempre definida (persistente).',
  'vms.migrate.copyStorage': 'Copiar también los discos (--copy-storage-all)',
  'vms.migrate.copyStorageHint':
    'Para anfitriones sin almacenamiento compartido: el contenido de los discos viaja con la memoria. Más lento.',
  'vms.migrate.checking': 'Ejecutando las comprobaciones previas…',
  'vms.migrate.checklist': 'Comprobaciones previas',
  'vms.migrate.passed': 'correcta',
  'vms.migrate.failed': 'falla',
  'vms.migrate.notChecked': 'no comprobada',
  'vms.migrate.ready':
    'Todas las comprobaciones pasaron (o no se pudieron comprobar): la VM sigue en ejecución mientras se copia su memoria.',
  'vms.migrate.blocked': 'La migración se rechaza hasta que se corrijan las comprobaciones que fallan.',
};
