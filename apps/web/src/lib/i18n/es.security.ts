/** Spanish strings of the security advisor (typed against the English ones). */
import type { enSecurity } from './en.security';

export const esSecurity: Record<keyof typeof enSecurity, string> = {
  'nav.security': 'Seguridad',
  'security.title': 'Seguridad',
  'security.subtitle':
    'Lo que el asesor ha encontrado en tus anfitriones, motores, máquinas virtuales y contenedores, por qué importa y cómo corregirlo.',
  'security.fleetScore': 'Puntuación de la flota',
  'security.scoreOutOf': '{score} / 100',
  'security.scoreHint': '100 significa que no queda nada abierto; los hallazgos aceptados no cuentan.',
  'security.hostScores': 'Anfitriones',
  'security.openCount': '{count} abiertos',
  'security.ackCount': '{count} aceptados',
  'security.checkedAt': 'comprobado {time}',
  'security.neverChecked': 'aún sin comprobar',
  'security.stale': 'No se pudo comprobar: {reason}',
  'security.staleShort': 'no se pudo comprobar',
  'security.computedAt': 'Calculado {time}',
  'security.notComputed': 'El asesor aún no se ha ejecutado.',
  'security.export': 'Exportar',
  'security.exportJson': 'Exportar JSON',
  'security.exportCsv': 'Exportar CSV',
  'security.filter.host': 'Anfitrión',
  'security.filter.allHosts': 'Todos los anfitriones',
  'security.filter.severity': 'Gravedad',
  'security.filter.allSeverities': 'Todas las gravedades',
  'security.filter.kind': 'Tipo de objetivo',
  'security.filter.allKinds': 'Todos los tipos',
  'security.filter.rule': 'Regla',
  'security.filter.allRules': 'Todas las reglas',
  'security.filter.ack': 'Aceptados',
  'security.filter.ack.open': 'Abiertos',
  'security.filter.ack.acknowledged': 'Aceptados',
  'security.filter.ack.all': 'Abiertos y aceptados',
  'security.filter.target': 'Solo {name}',
  'security.filter.clear': 'Quitar filtros',
  'security.groupBy': 'Agrupar por',
  'security.groupBy.host': 'Anfitrión',
  'security.groupBy.severity': 'Gravedad',
  'security.groupBy.rule': 'Regla',
  'security.groupBy.target': 'Objetivo',
  'security.count': '{count} de {total} hallazgos',
  'security.none': 'Ningún hallazgo coincide con estos filtros.',
  'security.allClear': 'Nada abierto: se cumplen todas las reglas.',
  'security.severity.critical': 'Crítica',
  'security.severity.high': 'Alta',
  'security.severity.medium': 'Media',
  'security.severity.low': 'Baja',
  'security.severity.info': 'Informativa',
  'security.kind.host': 'Anfitrión',
  'security.kind.engine': 'Motor Docker',
  'security.kind.vm': 'Máquina virtual',
  'security.kind.container': 'Contenedor',
  'security.kind.image': 'Imagen',
  'security.evidence': 'Evidencia',
  'security.why': 'Por qué importa',
  'security.fix': 'Cómo corregirlo',
  'security.reference': 'Referencia',
  'security.ref.libvirt: access control': 'libvirt: control de acceso',
  'security.ref.libvirt: sVirt': 'libvirt: sVirt',
  'security.ref.libvirt: TLS and firewalls': 'libvirt: TLS y cortafuegos',
  'security.ref.libvirt: protect the host': 'libvirt: proteger el anfitrión',
  'security.copyFix': 'Copiar la corrección',
  'security.copyEvidence': 'Copiar la evidencia',
  'security.detectedAt': 'Detectado {time}',
  'security.acknowledgedBy': 'Aceptado por {by} {time}: «{reason}»',
  'security.acknowledge': 'Aceptar',
  'security.unacknowledge': 'Retirar la aceptación',
  'security.ackTitle': 'Aceptar «{title}»',
  'security.ackMessage':
    'El hallazgo sigue en la lista pero deja de restar puntuación. Indica el motivo para quien lea el registro de auditoría.',
  'security.ackReason': 'Motivo',
  'security.ackReasonPlaceholder': 'p. ej. máquina del laboratorio, red aislada; aceptado hasta el final del curso',
  'security.ackReasonShort': 'Escribe al menos 3 caracteres.',
  'security.ackDone': 'Hallazgo aceptado',
  'security.unackTitle': 'Retirar la aceptación de «{title}»',
  'security.unackMessage': 'El hallazgo volverá a restar puntuación.',
  'security.unackDone': 'Aceptación retirada',
  'security.fixButton': 'Corregir',
  'security.fixTitle': 'Corregir «{title}»',
  'security.fixMessage': 'Mirador vuelve a comprobar el hallazgo y después hace lo mismo que esta orden:',
  'security.fixStarted': 'Corrección iniciada',
  'security.fixDone': 'Corregido: el asesor vuelve a comprobar.',
  'security.badge': '{count} hallazgos de seguridad abiertos, el peor de gravedad {severity}',
  'security.badgeAck': 'Ningún hallazgo de seguridad abierto ({count} aceptados)',
  'security.dashboardTitle': 'Seguridad',
  'security.worstFindings': 'Hallazgos abiertos más graves',
  'security.openPage': 'Abrir la página de Seguridad',
  'security.viewerHint': 'Solo los administradores aceptan hallazgos; operadores y administradores pueden usar los botones de corrección.',

  'security.couldNotCheck': 'No se pudo comprobar: {title}',
  'security.rule.docker.engine.version-age.title': 'El motor Docker es de una versión antigua',
  'security.rule.docker.engine.tcp-without-tls.title': 'La API de Docker escucha por TCP sin TLS',
  'security.rule.docker.engine.icc.title': 'Los contenedores de la red bridge por defecto pueden comunicarse entre sí (ICC activado)',
  'security.rule.docker.engine.userns-remap-off.title': 'La reasignación de espacios de nombres de usuario (userns-remap) está desactivada',
  'security.rule.docker.engine.debug.title': 'El motor se ejecuta en modo depuración',
  'security.rule.docker.container.docker-socket.title': 'El socket de Docker está montado dentro del contenedor',
  'security.rule.docker.container.privileged.title': 'El contenedor se ejecuta en modo privilegiado',
  'security.rule.docker.container.root-user.title': 'El contenedor se ejecuta como root',
  'security.rule.docker.container.cap-add.title': 'Capacidades añadidas además de las de por defecto',
  'security.rule.docker.container.no-new-privileges.title': 'Falta no-new-privileges',
  'security.rule.docker.container.seccomp-unconfined.title': 'seccomp está desactivado (unconfined)',
  'security.rule.docker.container.apparmor-unconfined.title': 'AppArmor está desactivado (unconfined)',
  'security.rule.docker.container.no-memory-limit.title': 'Sin límite de memoria',
  'security.rule.docker.container.no-cpu-limit.title': 'Sin límite de CPU',
  'security.rule.docker.container.no-pids-limit.title': 'Sin límite de procesos (pids)',
  'security.rule.docker.container.writable-rootfs.title': 'El sistema de archivos raíz admite escritura',
  'security.rule.docker.container.host-network.title': 'El contenedor comparte el espacio de nombres de red del anfitrión',
  'security.rule.docker.container.host-pid.title': 'El contenedor comparte el espacio de nombres de procesos del anfitrión',
  'security.rule.docker.container.host-ipc.title': 'El contenedor comparte el espacio de nombres IPC del anfitrión',
  'security.rule.docker.container.sensitive-mount.title': 'Una ruta sensible del anfitrión está montada en el contenedor',
  'security.rule.docker.image.latest-tag.title': 'Hay contenedores que usan una imagen por su etiqueta «latest»',
  'security.rule.docker.image.no-healthcheck.title': 'La imagen no define ninguna comprobación de salud',
  'security.rule.libvirt.access-control.title': 'Cualquiera con permiso para gestionar libvirt es root en este anfitrión',
  'security.rule.libvirt.svirt.title': 'sVirt (SELinux/AppArmor) no confina a las máquinas virtuales',
  'security.rule.libvirt.tcp-without-tls.title': 'libvirt escucha por TCP sin TLS',
  'security.rule.libvirt.qemu-root.title': 'QEMU se ejecuta como root',
  'security.rule.libvirt.vnc-listen.title':
    'La consola de la máquina virtual (VNC/SPICE) es accesible más allá de loopback o sin contraseña',
  'security.rule.libvirt.vm-unconfined.title': 'La máquina virtual se ejecuta sin su etiqueta sVirt',
  'security.rule.host.security-updates.title': 'Hay actualizaciones de seguridad pendientes en este anfitrión',
  'security.rule.host.ssh-password-login.title': 'SSH acepta inicios de sesión con contraseña',
  'security.rule.host.docker-tcp-without-tls.title': 'El demonio de Docker escucha por TCP sin verificación TLS del cliente',
  'security.rule.docker.engine.version-age.why':
    'OWASP Docker D0: mantén Docker al día; solo se corrige la versión más reciente, así que los motores antiguos no reciben los arreglos de fugas de contenedores conocidas (el paquete de una distribución puede incorporar algunos).',
  'security.rule.docker.engine.tcp-without-tls.why':
    'OWASP Docker D1: nunca expongas el demonio de Docker; quien alcance un puerto de la API sin autenticación controla el motor y, con él, el anfitrión.',
  'security.rule.docker.engine.userns-remap-off.why':
    'OWASP Docker D2: sin reasignación de espacios de nombres de usuario, root dentro de un contenedor es root en el anfitrión en cuanto escapa.',
  'security.rule.docker.engine.icc.why':
    'OWASP Docker D5: con la comunicación entre contenedores activada, cualquier contenedor de la red bridge por defecto alcanza los puertos de todos los demás.',
  'security.rule.docker.engine.debug.why':
    'OWASP Docker D10: deja el nivel de registro del demonio en info; los registros de depuración son ruidosos y pueden guardar detalles de las peticiones.',
  'security.rule.docker.container.docker-socket.why':
    'OWASP Docker D1: quien alcanza el socket de Docker controla el motor y puede arrancar un contenedor privilegiado en el anfitrión; montarlo de solo lectura no ayuda.',
  'security.rule.docker.container.sensitive-mount.why':
    'OWASP Docker D8: montar una ruta sensible del anfitrión (o poder escribir en ella) es un camino directo para salir del contenedor.',
  'security.rule.docker.container.privileged.why':
    'OWASP Docker D3: un contenedor privilegiado tiene todas las capacidades, todos los dispositivos y ningún confinamiento seccomp/AppArmor: root dentro es root en el anfitrión.',
  'security.rule.docker.container.root-user.why':
    'OWASP Docker D2: un proceso que se ejecuta como root en un contenedor es root en el anfitrión en cuanto escapa (un fallo del núcleo, un montaje mal hecho).',
  'security.rule.docker.container.cap-add.why':
    'OWASP Docker D3: cada capacidad añadida a las de por defecto da al contenedor parte del poder de root sobre el núcleo del anfitrión.',
  'security.rule.docker.container.no-new-privileges.why':
    'OWASP Docker D4: sin no-new-privileges, un proceso puede ganar privilegios mediante binarios setuid/setgid dentro del contenedor.',
  'security.rule.docker.container.seccomp-unconfined.why':
    'OWASP Docker D6: sin seccomp el contenedor puede hacer cualquier llamada al sistema, incluidas las que usan las fugas de contenedores.',
  'security.rule.docker.container.apparmor-unconfined.why':
    'OWASP Docker D6: sin un perfil de AppArmor nada limita qué archivos y montajes pueden tocar los procesos del contenedor.',
  'security.rule.docker.container.no-memory-limit.why':
    'OWASP Docker D7: sin límite de memoria, un contenedor puede agotar la memoria del anfitrión y provocar que se maten otras cargas.',
  'security.rule.docker.container.no-cpu-limit.why':
    'OWASP Docker D7: sin límite de CPU, un contenedor puede dejar sin CPU al anfitrión y a sus vecinos.',
  'security.rule.docker.container.no-pids-limit.why':
    'OWASP Docker D7: sin límite de procesos, una bomba fork en un contenedor agota la tabla de procesos del anfitrión.',
  'security.rule.docker.container.writable-rootfs.why':
    'OWASP Docker D8: un sistema de archivos raíz con escritura permite a un intruso cambiar los programas del contenedor y quedarse en él.',
  'security.rule.docker.container.host-network.why':
    'OWASP Docker D5: compartir el espacio de nombres de red del anfitrión elimina el aislamiento de red: el contenedor ve y usa todas las interfaces y servicios locales del anfitrión.',
  'security.rule.docker.container.host-pid.why':
    'OWASP Docker D3: compartir el espacio de nombres de procesos del anfitrión permite al contenedor ver y enviar señales a los procesos del anfitrión.',
  'security.rule.docker.container.host-ipc.why':
    'OWASP Docker D3: compartir el espacio de nombres IPC del anfitrión permite al contenedor leer la memoria compartida de los procesos del anfitrión.',
  'security.rule.docker.image.latest-tag.why':
    'OWASP Docker D9: la etiqueta «latest» nombra lo último que se subió, así que nadie sabe qué imagen (analizada o no) ejecuta un contenedor ni puede volver a ella.',
  'security.rule.docker.image.no-healthcheck.why':
    'CIS Docker 4.6: sin comprobación de salud el motor no distingue un servicio colgado de uno que funciona, así que nada lo reinicia ni lo avisa.',
  'security.rule.libvirt.access-control.why':
    'Consejo del tema sobre control de acceso de libvirt: quien puede abrir el socket de lectura y escritura de libvirt sin un controlador de ACL puede definir una máquina virtual que monte los discos del anfitrión, así que es root; concede el acceso por usuario y por máquina virtual (ACL de polkit) en lugar de a todo un grupo.',
  'security.rule.libvirt.svirt.why':
    'Consejo del tema sobre sVirt: sin una etiqueta de control de acceso obligatorio por invitado, un proceso QEMU tomado por su invitado puede leer y escribir los discos de los demás invitados y los archivos del anfitrión.',
  'security.rule.libvirt.tcp-without-tls.why':
    'Consejo del tema sobre TLS y cortafuegos: el socket TCP sin cifrar de libvirt da el control completo de todas las máquinas virtuales (y sin autenticación si auth_tcp = none) a quien alcance el puerto; usa TLS (o SSH) y deja el puerto tras un cortafuegos.',
  'security.rule.libvirt.qemu-root.why':
    'Consejo del tema sobre proteger el anfitrión: QEMU analiza todo lo que le envía el invitado; si se ejecuta como root, escapar de QEMU da una shell de root en el anfitrión en lugar de un proceso sin privilegios y con etiqueta sVirt.',
  'security.rule.libvirt.vnc-listen.why':
    'Consejo del tema sobre TLS y cortafuegos: una pantalla VNC/SPICE es el teclado y la pantalla de la máquina virtual; escuchar en una dirección pública sin contraseña (las de VNC tienen 8 caracteres y viajan en claro sin TLS) entrega el invitado a quien alcance el puerto.',
  'security.rule.libvirt.vm-unconfined.why':
    'Consejo del tema sobre sVirt: el anfitrión confina a los invitados con SELinux/AppArmor, pero el QEMU de este invitado se ejecuta sin confinar, así que un invitado que escape a QEMU alcanza los discos de los demás.',
  'security.rule.host.security-updates.why':
    'Consejo del tema sobre proteger el anfitrión (y OWASP Docker D0): un anfitrión de máquinas virtuales o contenedores es tan seguro como su núcleo y sus paquetes de QEMU, libvirt y Docker; los arreglos de seguridad publicados y sin instalar son vías de entrada conocidas.',
  'security.rule.host.ssh-password-login.why':
    'Consejo del tema sobre proteger el anfitrión: SSH es la puerta del anfitrión (y la vía de entrada de Mirador); las contraseñas se adivinan o se reutilizan, las claves no, así que el inicio de sesión con contraseña debería estar desactivado.',
  'security.rule.host.docker-tcp-without-tls.why':
    'OWASP Docker D1 (y el consejo sobre TLS y cortafuegos): la API de Docker es root en el anfitrión; por TCP sin --tlsverify, quien alcance el puerto puede arrancar un contenedor privilegiado.',
  'security.fixAction.container.drop-privileged': 'Recrear sin modo privilegiado',
  'security.fixAction.container.drop-added-caps': 'Recrear sin las capacidades añadidas',
  'security.fixAction.container.no-new-privileges': 'Recrear con no-new-privileges',
  'security.fixAction.container.set-memory-limit': 'Recrear con límite de memoria',
  'security.fixAction.container.set-cpu-limit': 'Recrear con límite de CPU',
  'security.fixAction.container.set-pids-limit': 'Recrear con límite de procesos (pids)',

  'listCommand.label': 'Equivalente en la línea de órdenes',
  'listCommand.copy': 'Copiar la orden',
  'listCommand.onHost': 'en {host}',
  'listCommand.perHost': 'una línea por anfitrión',
};
