import type { enVmXml } from './en.vmXml';

/** Textos en español de la pestaña XML de una VM: el editor de XML (se esparcen en `es`). */
export const esVmXml: Record<keyof typeof enVmXml, string> = {
  'vms.xml.edit': 'Editar XML',
  'vms.xml.editorLabel': 'XML del dominio {name}',
  'vms.xml.editHint':
    'La definición persistente (virsh dumpxml --inactive). Al guardar se ejecuta virsh define: libvirt valida el documento contra su esquema y no cambia nada si lo rechaza. La contraseña VNC no se muestra y se conserva.',
  'vms.xml.loading': 'Cargando el editor…',
  'vms.xml.review': 'Revisar cambios',
  'vms.xml.backToEdit': 'Volver a editar',
  'vms.xml.cancel': 'Cancelar',
  'vms.xml.save': 'Guardar (define)',
  'vms.xml.saving': 'Guardando…',
  'vms.xml.noChanges': 'Todavía no hay cambios.',
  'vms.xml.diffTitle': 'Cambios: definición actual (izquierda) → tu edición (derecha)',
  'vms.xml.command': 'El comando que se ejecuta',
  'vms.xml.saved': 'Definición de {name} guardada',
  'vms.xml.savedSame': 'libvirt guardó la misma definición: no cambió nada',
  'vms.xml.restartNeeded': 'La VM está en ejecución: la nueva definición se aplica cuando se apague y se vuelva a arrancar.',
  'vms.xml.refused': 'libvirt rechazó la definición; no se cambió nada.',
  'vms.xml.refusedAt': 'Línea {line}',
  'vms.xml.refusedElement': 'elemento <{element}>',
  'vms.xml.forbidden': 'Tu rol no permite guardar esta definición; no se cambió nada.',
  'vms.xml.conflict': 'La definición cambió desde que la abriste (alguien guardó o se cambió un ajuste). No se guardó nada.',
  'vms.xml.reloadCurrent': 'Empezar de nuevo desde la definición actual',
  'vms.xml.warnings': 'Permitido porque eres administrador',
};
