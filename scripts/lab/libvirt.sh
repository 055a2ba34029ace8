# shellcheck shell=bash
# Part of scripts/lab.sh (sourced, never run alone): libvirtd/qemu, the default network and storage pool.
# Uses the settings and helpers lab.sh defines before sourcing it.

# ----------------------------------------------------------------- libvirt --

libvirt_ok() { timeout 10 virsh -c "$LIBVIRT_URI" version >/dev/null 2>&1; }

# qemu must run as root so it can read the kit and pool files we create as root.
# Sets QEMU_CONF_CHANGED=1 when the file had to be edited.
QEMU_CONF_CHANGED=0
ensure_qemu_conf() {
	local conf=/etc/libvirt/qemu.conf kv key
	[[ -f $conf ]] || die "$conf missing (package libvirt-daemon-system)"
	for kv in 'user = "root"' 'group = "root"'; do
		grep -qxF "$kv" "$conf" && continue
		key=${kv%% *}
		sed -i -E "s/^([[:space:]]*${key}[[:space:]]*=)/#\\1/" "$conf"
		printf '# set by mirador scripts/lab.sh\n%s\n' "$kv" >>"$conf"
		QEMU_CONF_CHANGED=1
	done
	((QEMU_CONF_CHANGED)) && log "libvirt: set user/group = root in $conf"
	return 0
}

start_virtlogd() {
	# The system one, by its pid file (a session daemon of the second libvirt may run its own virtlogd).
	live_pid /run/virtlogd.pid virtlogd >/dev/null && return 0
	log "libvirt: starting virtlogd"
	spawn_detached "$LOGS/virtlogd.log" virtlogd
	wait_for 15 live_pid /run/virtlogd.pid virtlogd || {
		show_log_tail "$LOGS/virtlogd.log"
		die "virtlogd did not start"
	}
	cp /run/virtlogd.pid "$PIDS/virtlogd.pid"
}

start_libvirtd() {
	log "libvirt: starting libvirtd (log: $LOGS/libvirtd.log)"
	spawn_detached "$LOGS/libvirtd.log" libvirtd
	if ! wait_for 60 libvirt_ok; then
		show_log_tail "$LOGS/libvirtd.log"
		die "libvirtd did not answer on $LIBVIRT_URI within 60s"
	fi
	cp /run/libvirtd.pid "$PIDS/libvirtd.pid"
}

ensure_libvirtd() {
	local pid
	if ((QEMU_CONF_CHANGED)) && pid=$(live_pid /run/libvirtd.pid libvirtd); then
		# qemu.conf is only read at startup.
		log "libvirt: restarting libvirtd to apply qemu.conf"
		stop_pid "$pid" libvirtd
	fi
	start_virtlogd
	if libvirt_ok; then
		log "libvirt: libvirtd already answering"
		return 0
	fi
	# The system daemon by its pid file: a user's session libvirtd (the second libvirt, scripts/lab/second-libvirt.sh)
	# is also a process named libvirtd, and must not count as this one.
	if live_pid /run/libvirtd.pid libvirtd >/dev/null; then
		# Possibly still initialising (e.g. started by someone just now).
		wait_for 30 libvirt_ok && return 0
		die "libvirtd is running but $LIBVIRT_URI does not answer"
	fi
	start_libvirtd
}

# Sets LIBVIRT_NETWORK to "default" when usable. A broken NAT network must not
# block the rest of the lab (VMs without NICs still work), so only warn.
LIBVIRT_NETWORK=
ensure_libvirt_network() {
	LIBVIRT_NETWORK=
	local err
	if ! virsh_ net-info default >/dev/null 2>&1; then
		if ! err=$(virsh_ net-define /usr/share/libvirt/networks/default.xml 2>&1); then
			warn "libvirt network 'default' is not defined and could not be defined: $err"
			return 0
		fi
	fi
	if ! network_active; then
		# "already active" races are fine (libvirtd may still be restoring
		# network state just after it starts).
		if ! err=$(virsh_ net-start default 2>&1) && ! network_active; then
			warn "libvirt network 'default' failed to start (VMs can still boot without a NIC): $err"
			return 0
		fi
	fi
	virsh_ net-autostart default >/dev/null 2>&1 || warn "could not mark network 'default' autostart"
	LIBVIRT_NETWORK=default
	log "libvirt: network 'default' active"
}

# A Linux bridge with no uplink for bridged libvirt networks (forward mode='bridge'): guests on it
# reach only each other and the host, never the outside. LAB_BRIDGE is set by lab.sh.
bridge_up() { [[ -d /sys/class/net/$LAB_BRIDGE/bridge ]] && (($(<"/sys/class/net/$LAB_BRIDGE/flags") & 1)); } # IFF_UP
ensure_lab_bridge() {
	if [[ -e /sys/class/net/$LAB_BRIDGE && ! -d /sys/class/net/$LAB_BRIDGE/bridge ]]; then
		die "$LAB_BRIDGE exists but is not a bridge"
	fi
	if [[ ! -e /sys/class/net/$LAB_BRIDGE ]]; then
		ip link add name "$LAB_BRIDGE" type bridge || die "could not create bridge $LAB_BRIDGE"
	fi
	# No IPv6 link-local address either: nothing of the host's own chatter on it.
	echo 1 >"/proc/sys/net/ipv6/conf/$LAB_BRIDGE/disable_ipv6" 2>/dev/null || true
	ip link set dev "$LAB_BRIDGE" up || die "could not bring bridge $LAB_BRIDGE up"
	log "libvirt: bridge $LAB_BRIDGE up (no uplink)"
}
remove_lab_bridge() {
	[[ -d /sys/class/net/$LAB_BRIDGE/bridge ]] || return 0
	log "removing bridge $LAB_BRIDGE"
	ip link delete "$LAB_BRIDGE" type bridge || warn "could not remove bridge $LAB_BRIDGE"
}

ensure_storage_pool() {
	if ! virsh_ pool-info default >/dev/null 2>&1; then
		mkdir -p "$POOL_DIR"
		virsh_ pool-define-as default dir --target "$POOL_DIR" >/dev/null || die "could not define storage pool 'default'"
	fi
	if ! pool_running; then
		mkdir -p "$(pool_target)"
		virsh_ pool-start default >/dev/null || die "could not start storage pool 'default'"
	fi
	virsh_ pool-autostart default >/dev/null || die "could not set storage pool 'default' to autostart"
	[[ $(pool_target) == "$POOL_DIR" ]] || warn "pool 'default' points at $(pool_target), not $POOL_DIR"
	log "libvirt: storage pool 'default' running ($(pool_target))"
}

pool_target() {
	local xml
	xml=$(virsh_ pool-dumpxml default) || return 1
	sed -n 's:.*<path>\(.*\)</path>.*:\1:p' <<<"$xml"
}

ensure_libvirt() {
	ensure_qemu_conf
	ensure_libvirtd
	ensure_libvirt_network
	ensure_lab_bridge
	ensure_storage_pool
}
