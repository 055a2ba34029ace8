import type { enCompare } from './en.compare';

/** Spanish strings of the Compare page (máquinas virtuales frente a contenedores). */
export const esCompare: Record<keyof typeof enCompare, string> = {
  'nav.compare': 'VM frente a contenedores',
  'compare.title': 'Máquinas virtuales frente a contenedores',
  'compare.description':
    'La comparación de la clase hecha con tus propios anfitriones: tiempo de arranque, huella, densidad y aislamiento, medidos en ejecuciones reales.',
  'compare.refresh': 'Volver a leer',
  'compare.loading': 'Leyendo los anfitriones…',
  'compare.noHosts': 'Aún no hay ningún anfitrión con libvirt ni con un motor Docker. Añade uno en la página Anfitriones.',
  'compare.vms': 'Máquinas virtuales',
  'compare.containers': 'Contenedores',
  'compare.measured': 'Medido',

  'compare.start.title': 'Tiempo de arranque',
  'compare.start.explain':
    'Una máquina virtual arranca un sistema operativo entero: firmware o núcleo, init y luego un intérprete de órdenes. Un contenedor es un proceso sobre un núcleo que ya está en ejecución: solo necesita espacios de nombres, cgroups y los ficheros de su imagen.',
  'compare.start.vm': 'Máquina virtual: virsh start → indicador del intérprete en la consola serie',
  'compare.start.container': 'Contenedor: docker start → primera línea del registro',
  'compare.start.ratio': 'El contenedor arrancó {ratio} veces más rápido.',
  'compare.start.none': 'Aún sin medir. Lanza la medición para ver números reales de este laboratorio.',
  'compare.start.noneViewer': 'Aún sin medir. Un operador puede lanzar la medición.',

  'compare.run.title': 'Lanzar la medición',
  'compare.run.explain':
    'Crea una máquina virtual desechable (el pequeño kit de arranque por núcleo del laboratorio, 128 MiB) y un contenedor desechable, cronometra ambos, anota su huella y los elimina. Todo lo que crea se llama mirador-compare-…',
  'compare.run.vmHost': 'Anfitrión para la máquina virtual',
  'compare.run.engine': 'Motor para el contenedor',
  'compare.run.button': 'Lanzar la medición',
  'compare.run.running': 'Midiendo…',
  'compare.run.needHosts': 'Necesita un anfitrión con libvirt y otro con un motor Docker.',
  'compare.run.progress': 'Progreso de la medición',
  'compare.run.failed': 'La medición falló: {reason}',

  'compare.last.when': 'Medido {when} por {user}',
  'compare.last.whenSystem': 'Medido {when}',
  'compare.last.on': 'en {host}',
  'compare.last.steps': 'Qué se ejecutó, con la orden que hace lo mismo',
  'compare.last.step': 'Paso',
  'compare.last.command': 'Orden',
  'compare.last.time': 'Tiempo',

  'compare.footprint.title': 'Huella',
  'compare.footprint.explain':
    'Una máquina virtual reserva su memoria y lleva una imagen de disco completa. Un contenedor usa solo lo que tocan sus procesos, y las capas de su imagen se comparten: una capa base usada por diez imágenes se guarda una sola vez.',
  'compare.footprint.vmMemory': 'Memoria asignada',
  'compare.footprint.vmRss': 'Memoria usada por QEMU',
  'compare.footprint.vmDisk': 'Disco (tamaño virtual / en el anfitrión)',
  'compare.footprint.bootFiles': 'Núcleo + initrd',
  'compare.footprint.containerRss': 'Memoria usada (RSS)',
  'compare.footprint.image': 'Imagen',
  'compare.footprint.imagesListed': 'Imágenes, tamaños sumados',
  'compare.footprint.imagesOnDisk': 'Imágenes en disco (capas compartidas contadas una vez)',
  'compare.footprint.imagesSaved': 'Ahorrado al compartir capas',
  'compare.footprint.vmCount': 'Máquinas virtuales',
  'compare.footprint.containerCount': 'Contenedores',

  'compare.density.title': 'Densidad',
  'compare.density.explain':
    'Cuántas máquinas virtuales o contenedores típicos más caben en la memoria libre de este anfitrión ahora. El tamaño típico es la mediana de lo que está en ejecución.',
  'compare.density.free': 'Memoria libre',
  'compare.density.freeLibvirt': 'virsh nodememstats: libre + búferes + caché',
  'compare.density.freeEngine': 'estimación: la memoria total del motor menos lo que usan sus contenedores',
  'compare.density.fits': 'caben {count} más',
  'compare.density.typical': 'tamaño típico {size}',
  'compare.density.default': 'tamaño por defecto {size} (ninguna en ejecución)',
  'compare.density.unknown': 'Sin cifra (nada en ejecución de lo que tomar un tamaño)',

  'compare.isolation.title': 'Aislamiento',
  'compare.isolation.explain':
    'Cada máquina virtual ejecuta su propio núcleo sobre un hipervisor: un atacante debe escapar del núcleo invitado y después de QEMU/KVM. Todos los contenedores comparten el único núcleo del anfitrión: los espacios de nombres, cgroups, capacidades y seccomp del núcleo son el muro.',
  'compare.isolation.hypervisor': 'Hipervisor',
  'compare.isolation.kvm': 'KVM (virtualización por hardware)',
  'compare.isolation.qemu': 'QEMU TCG (emulado, sin KVM)',
  'compare.isolation.ownKernel': 'un núcleo por máquina virtual',
  'compare.isolation.sharedKernel': 'Núcleo compartido',
  'compare.isolation.runtime': 'Entorno de ejecución',
  'compare.isolation.securityOptions': 'Opciones de seguridad del motor',
  'compare.isolation.findings': 'Hallazgos abiertos del asesor',
  'compare.isolation.findingsNone': 'ninguno abierto',
  'compare.isolation.findingsLink': 'Ver el asesor de seguridad',

  'compare.commands': 'Leer las mismas cifras a mano',
  'compare.problems': 'No se pudo leer todo',

  'server.compare.step.volume': 'Creando el disco de la máquina virtual',
  'server.compare.step.define': 'Definiendo la máquina virtual',
  'server.compare.step.boot': 'Arrancando la máquina virtual y esperando el indicador del intérprete en la consola serie',
  'server.compare.step.vmFootprint': 'Leyendo la huella de la máquina virtual',
  'server.compare.step.containerCreate': 'Creando el contenedor',
  'server.compare.step.containerStart': 'Arrancando el contenedor y esperando la primera línea de su registro',
  'server.compare.step.containerFootprint': 'Leyendo la huella del contenedor',
  'server.compare.step.cleanup': 'Eliminando la máquina virtual y el contenedor desechables',
  'server.compare.done': 'Máquina virtual: {bootMs} ms hasta su indicador; contenedor: {startMs} ms hasta su primera línea',
  'server.compare.busy': 'Ya hay una medición en curso: espera a que termine o cancélala',
  'server.compare.noKit':
    'El kit de arranque no está en este anfitrión: falta {path} (el laboratorio lo instala con "bash scripts/lab.sh up")',
  'server.compare.noImage': 'Este motor no tiene ninguna imagen pequeña con intérprete; la medición nunca descarga una',

  'taskType.compare.measure': 'Comparar máquina virtual y contenedor',
  'action.compare.measure': 'Solicitó medir una máquina virtual frente a un contenedor',
  'action.task.compare.measure': 'Terminó la medición de máquina virtual frente a contenedor',
  'audit.outcome.compare.measure.ok': 'Midió una máquina virtual y un contenedor desechables, y los eliminó',
  'audit.outcome.compare.measure.error': 'La medición de máquina virtual frente a contenedor falló: {reason}',
  'audit.outcome.compare.measure.cancelled': 'Se canceló la medición de máquina virtual frente a contenedor; lo que creó se eliminó',
};
