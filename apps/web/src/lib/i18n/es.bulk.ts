/** Spanish strings of the bulk actions on the Docker and libvirt resource lists (typed against the English ones). */
import type { enBulk } from './en.bulk';

export const esBulk: Record<keyof typeof enBulk, string> = {
  'bulk.imagesTitle.one': '{op}: {count} imagen seleccionada',
  'bulk.imagesTitle.other': '{op}: {count} imágenes seleccionadas',
  'bulk.volumesTitle.one': '{op}: {count} volumen seleccionado',
  'bulk.volumesTitle.other': '{op}: {count} volúmenes seleccionados',
  'bulk.networksTitle.one': '{op}: {count} red seleccionada',
  'bulk.networksTitle.other': '{op}: {count} redes seleccionadas',
  'bulk.storageVolumesTitle.one': '{op}: {count} volumen de «{pool}» seleccionado',
  'bulk.storageVolumesTitle.other': '{op}: {count} volúmenes de «{pool}» seleccionados',
  'bulk.libvirtNetworksTitle.one': '{op}: {count} red de libvirt seleccionada',
  'bulk.libvirtNetworksTitle.other': '{op}: {count} redes de libvirt seleccionadas',
  'bulk.imagesHint':
    'Cada fila elimina lo que nombra, como docker rmi: una etiqueta (la imagen se va con su última etiqueta) o una imagen sin etiqueta por su ID. El motor rechaza una imagen que usa un contenedor; las demás siguen.',
  'bulk.inUseHint': 'Lo que aún esté en uso se rechaza y dice por qué; lo demás sigue.',
  'bulk.libvirtRunningHint':
    'Aquí se rechaza una red con máquinas virtuales en ejecución (detenla desde su fila para confirmar esas máquinas virtuales).',
  'bulk.skip.builtin': 'es una de las redes propias del motor',
  'bulk.menu.download': 'Descargar',
  'bulk.menu.grow': 'Ampliar…',
};
