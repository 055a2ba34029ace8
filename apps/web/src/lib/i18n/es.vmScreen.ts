/** Spanish strings of a VM's Screen tab (VNC) and the create wizard's screen choice (spread into `es`). */
import type { enVmScreen } from './en.vmScreen';

export const esVmScreen: Record<keyof typeof enVmScreen, string> = {
  'vms.tab.screen': 'Pantalla',
  'vms.screen.label': 'Pantalla de {name}',
  'vms.screen.noGraphicsTitle': 'Sin pantalla gráfica',
  'vms.screen.noGraphicsBody':
    'Esta VM no tiene pantalla gráfica; se creó solo con consola serie. Su consola de texto está en la pestaña Consola.',
  'vms.screen.notRunningTitle': 'La VM no está en ejecución',
  'vms.screen.notRunningBody': 'Arranca la VM para ver su pantalla.',
  'vms.screen.connecting': 'Conectando…',
  'vms.screen.connected': 'Conectada',
  'vms.screen.disconnected': 'Desconectada',
  'vms.screen.closed': 'Cerrada',
  'vms.screen.retryIn': 'reconectando en {seconds} s',
  'vms.screen.reconnect': 'Reconectar',
  'vms.screen.viewOnly': 'Solo ver',
  'vms.screen.viewOnlyHint': 'Tu rol permite ver esta pantalla, pero no escribir ni hacer clic en ella.',
  'vms.screen.ctrlAltDel': 'Enviar Ctrl-Alt-Supr',
  'vms.screen.scale': 'Ajustar al espacio',
  'vms.screen.scaleHint': 'Ajustar la pantalla de la VM a esta zona (desactivado: tamaño real, con desplazamiento)',
  'vms.screen.fullscreen': 'Pantalla completa',
  'vms.screen.exitFullscreen': 'Salir de pantalla completa',
  'vms.screen.paste': 'Pegar',
  'vms.screen.pasteLabel': 'Texto que escribir en la VM',
  'vms.screen.pasteHint':
    'Se escribe tecla a tecla, como en un teclado de EE. UU. (los instaladores no tienen agente de portapapeles), y se ofrece también como portapapeles VNC. Haz clic antes en la pantalla para que el campo correcto tenga el foco.',
  'vms.screen.pasteType': 'Escribirlo',
  'vms.screen.pasteTyped.one': '{count} carácter escrito.',
  'vms.screen.pasteTyped.other': '{count} caracteres escritos.',
  'vms.screen.keysHint': 'Haz clic en la pantalla para escribir en la VM; las teclas van a ella hasta que hagas clic fuera.',
  'vms.screen.cliTitle': 'Abrir la misma pantalla desde un equipo',
  'vms.form.screen': 'Pantalla',
  'vms.form.screenVnc': 'Pantalla VNC',
  'vms.form.screenVncHint':
    'Una pantalla gráfica en la pestaña Pantalla de Mirador (por defecto). La necesitan la mayoría de instaladores gráficos.',
  'vms.form.screenNone': 'Solo serie',
  'vms.form.screenNoneHint': 'Sin pantalla gráfica: solo la pestaña Consola (console=ttyS0 en el núcleo).',
};
