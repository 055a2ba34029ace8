#!/usr/bin/env bash
# Mirador test lab: real docker, libvirt/qemu and sshd on this machine so the
# test suite exercises the same code paths as production.
#
#   bash scripts/lab.sh up        install + start everything (idempotent)
#   bash scripts/lab.sh status    report each piece; non-zero if any is down
#   bash scripts/lab.sh selftest  boot a throwaway VM and talk to its console
#   bash scripts/lab.sh down      stop what the lab started, clean test leftovers
#   bash scripts/lab.sh env       print .lab/lab.json
#
# Runs as root on Debian 12 without systemd (CI and dev VMs), so daemons are
# started by hand and tracked in .lab/pids/.
#
# Pieces: dockerd (+ image labbox:latest), libvirtd/qemu, two sshd (real and
# impostor host key), and a password-protected image registry on
# 127.0.0.1:5000 (credentials in lab.json; docker allows plain HTTP to
# 127.0.0.0/8, so no TLS).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LAB=$ROOT/.lab
# The lab's daemons are recognised by the config paths on their command lines: use the physical
# path, so a checkout whose .lab is a symlink to another's shares that lab instead of fighting it.
mkdir -p "$LAB" && LAB=$(cd "$LAB" && pwd -P)
LOGS=$LAB/logs
PIDS=$LAB/pids
SSH_DIR=$LAB/ssh
VMKIT=$LAB/vmkit
LAB_JSON=$LAB/lab.json
HELPERS=$ROOT/scripts/lab

LIBVIRT_URI=qemu:///system
BOOT_DIR=/var/lib/libvirt/boot/mirador-lab
POOL_DIR=/var/lib/libvirt/images
DOCKER_SOCK=/var/run/docker.sock
DOCKER_IMAGE=labbox:latest
# Bump when the image recipe changes so existing machines rebuild it.
DOCKER_IMAGE_RECIPE=1
SSH_PORT=2222
IMPOSTOR_PORT=2223
REGISTRY_DIR=$LAB/registry
REGISTRY_ADDR=127.0.0.1:5000
REGISTRY_USER=labuser
REGISTRY_REALM='Mirador lab'
VM_PROMPT='lab-vm# '
VM_BANNER='mirador-lab-vm ready'
VM_CMDLINE='console=ttyS0'

PACKAGES=(
	docker.io libvirt-daemon-system libvirt-clients qemu-system-x86 qemu-utils
	openssh-server openssh-client busybox-static linux-image-cloud-amd64 kmod
	cpio chromium fonts-liberation iproute2 procps dnsmasq-base iptables
	netcat-openbsd dmidecode ca-certificates util-linux python3 cgroupfs-mount
	virtinst libosinfo-bin docker-registry apache2-utils
)

# Callers (test runners, CI) may hand us a thin PATH or point docker elsewhere;
# the lab is always the local system daemons.
export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH"
export DOCKER_HOST="unix://$DOCKER_SOCK"
unset DOCKER_CONTEXT
export DEBIAN_FRONTEND=noninteractive

log() { printf '[lab] %s\n' "$*" >&2; }
warn() { printf '[lab] WARNING: %s\n' "$*" >&2; }
die() {
	printf '[lab] ERROR: %s\n' "$*" >&2
	exit 1
}

virsh_() { timeout 60 virsh -q -c "$LIBVIRT_URI" "$@"; }

# virsh_field FIELD ARGS... : value of "FIELD: value" in virsh ARGS output.
# (Output is captured first: grep -q on a pipe would SIGPIPE virsh and trip
# pipefail.)
virsh_field() {
	local field=$1 out
	shift
	out=$(virsh_ "$@" 2>/dev/null) || return 1
	sed -n "s/^$field:[[:space:]]*//p" <<<"$out"
}
pool_running() { [[ $(virsh_field State pool-info default) == running ]]; }
network_active() { [[ $(virsh_field Active net-info default) == yes ]]; }

# wait_for SECONDS CMD... : poll until CMD succeeds.
wait_for() {
	local secs=$1
	shift
	local end=$((SECONDS + secs))
	until "$@" >/dev/null 2>&1; do
		((SECONDS < end)) || return 1
		sleep 0.5
	done
}

# Start a long-running foreground daemon fully detached: own session, no
# inherited stdio and not holding our lock fd, so callers never hang on it.
spawn_detached() {
	local logfile=$1
	shift
	setsid "$@" >>"$logfile" 2>&1 </dev/null 9>&- &
}

show_log_tail() {
	[[ -f $1 ]] || return 0
	echo "---- last lines of $1 ----" >&2
	tail -n 25 "$1" >&2
	echo "----" >&2
}

# Zombies count as dead: PID 1 here reaps orphans only every few seconds.
pid_alive() {
	[[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null || return 1
	local status
	status=$(<"/proc/$1/status") 2>/dev/null || return 1
	[[ $status != *$'\nState:\tZ'* ]]
}

# Is any live process named NAME running? (pgrep alone also lists zombies.)
running() {
	local pid
	for pid in $(pgrep -x "$1" || true); do
		pid_alive "$pid" && return 0
	done
	return 1
}

# The pid recorded in FILE, if that process is still alive and is COMM.
live_pid() {
	local file=$1 comm=$2 pid
	[[ -f $file ]] || return 1
	pid=$(<"$file")
	pid_alive "$pid" || return 1
	[[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$comm" ]] || return 1
	echo "$pid"
}

# TERM, then KILL after a grace period.
stop_pid() {
	local pid=$1 name=$2
	pid_alive "$pid" || return 0
	log "stopping $name (pid $pid)"
	kill -TERM "$pid" 2>/dev/null || true
	if ! wait_exit "$pid" 20; then
		warn "$name (pid $pid) ignored SIGTERM for 20s; killing"
		kill -KILL "$pid" 2>/dev/null || true
		wait_exit "$pid" 5 || die "could not stop $name (pid $pid)"
	fi
}

# wait_exit PID SECONDS : true once PID is gone.
wait_exit() {
	local pid=$1 tries=$(($2 * 10))
	while pid_alive "$pid"; do
		((tries-- > 0)) || return 1
		sleep 0.1
	done
}

require_root() { [[ $EUID -eq 0 ]] || die "must run as root (it manages system daemons)"; }

# Serialise concurrent up/down/selftest runs (parallel test workers).
take_lock() {
	mkdir -p "$LAB" "$LOGS" "$PIDS"
	exec 9>"$LAB/lab.lock"
	flock -w 900 9 || die "timed out waiting for another lab.sh run (lock $LAB/lab.lock)"
}

# ---------------------------------------------------------------- packages --

pkg_installed() { [[ $(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null) == installed ]]; }

ensure_packages() {
	local missing=() p
	for p in "${PACKAGES[@]}"; do pkg_installed "$p" || missing+=("$p"); done
	if ((${#missing[@]} == 0)); then
		log "packages: all installed"
		return 0
	fi
	log "packages: installing ${missing[*]} (log: $LOGS/apt.log)"
	# Without systemd, maintainer scripts would try to start docker/libvirt/ssh
	# via sysv scripts; we start our own, so forbid that during the install.
	local policy=/usr/sbin/policy-rc.d own_policy=0 rc=0
	if [[ ! -e $policy ]]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy"
		chmod 755 "$policy"
		own_policy=1
	fi
	{
		apt-get -o DPkg::Lock::Timeout=300 update &&
			apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends \
				-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
				"${missing[@]}"
	} >>"$LOGS/apt.log" 2>&1 || rc=$?
	((own_policy)) && rm -f "$policy"
	if ((rc != 0)); then
		show_log_tail "$LOGS/apt.log"
		die "apt-get failed (exit $rc) installing: ${missing[*]}"
	fi
	for p in "${missing[@]}"; do pkg_installed "$p" || die "package $p still not installed after apt-get"; done
}

# ------------------------------------------------------------------ docker --

docker_ok() { timeout 10 docker info >/dev/null 2>&1; }

start_dockerd() {
	local driver=${1:-} args=()
	[[ -n $driver ]] && args+=("--storage-driver=$driver")
	# A pidfile left by an unclean stop makes dockerd refuse to start.
	if [[ -f /var/run/docker.pid ]] && ! pid_alive "$(</var/run/docker.pid)"; then
		rm -f /var/run/docker.pid
	fi
	log "docker: starting dockerd${args[*]:+ ${args[*]}} (log: $LOGS/dockerd.log)"
	spawn_detached "$LOGS/dockerd.log" dockerd "${args[@]}"
	if ! wait_for 60 docker_ok; then
		show_log_tail "$LOGS/dockerd.log"
		die "dockerd did not answer on $DOCKER_SOCK within 60s"
	fi
	cp /var/run/docker.pid "$PIDS/dockerd.pid"
}

ensure_dockerd() {
	if docker_ok; then
		log "docker: daemon already answering"
		return 0
	fi
	command -v dockerd >/dev/null || die "dockerd not found (package docker.io)"
	# Normally systemd mounts cgroups; without it a bare machine may have none
	# and dockerd/runc cannot start containers.
	if ! grep -qE '^[^ ]+ /sys/fs/cgroup[^ ]* cgroup2? ' /proc/mounts; then
		log "docker: no cgroup filesystems mounted; running cgroupfs-mount"
		cgroupfs-mount || die "cgroupfs-mount failed; dockerd needs cgroups"
	fi
	if running dockerd; then
		# Starting a second dockerd would fight over /var/lib/docker.
		die "a dockerd is running but $DOCKER_SOCK does not answer; stop it or fix it"
	fi
	# Empty = let dockerd pick (overlay2 here); a previous run may have found
	# that only vfs works on this machine.
	start_dockerd "$(cat "$LAB/docker-storage-driver" 2>/dev/null || true)"
}

build_labbox_image() {
	local rootfs applet
	rootfs=$(mktemp -d /tmp/mirador-labbox.XXXXXX)
	mkdir -p "$rootfs"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,root,www,var/log}
	chmod 1777 "$rootfs/tmp"
	cp /bin/busybox "$rootfs/bin/busybox"
	while read -r applet; do
		[[ $applet == bin/busybox ]] || ln -sf /bin/busybox "$rootfs/$applet"
	done < <(/bin/busybox --list-full)
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$rootfs/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
	echo 'labbox ok' >"$rootfs/www/index.html"
	local rc=0
	tar -C "$rootfs" -c . | docker import \
		-c 'CMD ["/bin/sh"]' \
		-c 'ENV PATH=/bin:/sbin:/usr/bin:/usr/sbin' \
		-c "LABEL mirador.lab.recipe=$DOCKER_IMAGE_RECIPE" \
		- "$DOCKER_IMAGE" >/dev/null || rc=$?
	rm -rf "$rootfs"
	((rc == 0)) || die "docker import of $DOCKER_IMAGE failed"
}

ensure_labbox_image() {
	local recipe
	recipe=$(docker image inspect -f '{{index .Config.Labels "mirador.lab.recipe"}}' "$DOCKER_IMAGE" 2>/dev/null || true)
	if [[ $recipe == "$DOCKER_IMAGE_RECIPE" ]]; then
		log "docker: image $DOCKER_IMAGE present"
		return 0
	fi
	log "docker: building $DOCKER_IMAGE from busybox-static (no registry needed)"
	build_labbox_image
}

docker_smoke_run() {
	local out
	out=$(timeout 60 docker run --rm --label mirador.test=1 "$DOCKER_IMAGE" echo ok 2>&1) && [[ $out == ok ]] && return 0
	echo "$out" >&2
	return 1
}

http_get() {
	python3 - "$1" <<'EOF'
import sys, urllib.request
print(urllib.request.urlopen(sys.argv[1], timeout=3).read().decode().strip())
EOF
}

# Proves port publishing (iptables/docker-proxy) works, which the UI relies on.
docker_port_check() {
	local cid port body=""
	cid=$(docker run -d --label mirador.test=1 -p 127.0.0.1::80 "$DOCKER_IMAGE" httpd -f -p 80 -h /www) ||
		die "docker run -d -p 127.0.0.1::80 failed"
	port=$(docker port "$cid" 80/tcp) || true
	port=${port%%$'\n'*}
	port=${port##*:}
	if [[ -n $port ]]; then
		local end=$((SECONDS + 10))
		until body=$(http_get "http://127.0.0.1:$port/" 2>/dev/null) && [[ $body == 'labbox ok' ]]; do
			((SECONDS < end)) || break
			sleep 0.3
		done
	fi
	docker rm -f "$cid" >/dev/null 2>&1 || true
	[[ $body == 'labbox ok' ]] || die "published container port 127.0.0.1:${port:-?} did not serve labbox's httpd"
	log "docker: run + port publishing OK"
}

ensure_docker() {
	ensure_dockerd
	ensure_labbox_image
	if ! docker_smoke_run; then
		local driver
		driver=$(docker info -f '{{.Driver}}' 2>/dev/null || true)
		if live_pid "$PIDS/dockerd.pid" dockerd >/dev/null && [[ $driver != vfs ]]; then
			# overlay2 can pass dockerd's startup probe yet fail at container
			# start on nested/odd filesystems; vfs is slow but always works.
			warn "containers fail with storage driver '$driver'; restarting dockerd with vfs"
			stop_pid "$(<"$PIDS/dockerd.pid")" dockerd
			echo vfs >"$LAB/docker-storage-driver"
			start_dockerd vfs
			ensure_labbox_image
			docker_smoke_run || die "'docker run $DOCKER_IMAGE echo ok' fails even with the vfs storage driver (log: $LOGS/dockerd.log)"
		else
			die "'docker run $DOCKER_IMAGE echo ok' failed (storage driver '$driver')"
		fi
	fi
	docker_port_check
}

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
	running virtlogd && return 0
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
	if running libvirtd; then
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
	ensure_storage_pool
}

# --------------------------------------------------------------------- ssh --

fingerprint() { ssh-keygen -lf "$1" -E sha256 | awk '{print $2}'; }

ensure_keypair() {
	local file=$1 comment=$2
	[[ -f $file && -f $file.pub ]] && return 0
	rm -f "$file" "$file.pub"
	ssh-keygen -q -t ed25519 -N '' -C "$comment" -f "$file" || die "ssh-keygen failed for $file"
}

# Write FILE only when CONTENT differs; returns 0 if it changed.
write_if_changed() {
	local file=$1 content=$2
	[[ -f $file && $(<"$file") == "$content" ]] && return 1
	printf '%s\n' "$content" >"$file"
	return 0
}

ensure_ssh_keys() {
	mkdir -p "$SSH_DIR"
	chmod 700 "$SSH_DIR"
	ensure_keypair "$SSH_DIR/id_ed25519" mirador-lab-client
	ensure_keypair "$SSH_DIR/host_key_a" mirador-lab-host-a
	ensure_keypair "$SSH_DIR/host_key_b" mirador-lab-impostor-b
	write_if_changed "$SSH_DIR/authorized_keys" "$(<"$SSH_DIR/id_ed25519.pub")" || true
	chmod 600 "$SSH_DIR/authorized_keys" "$SSH_DIR/id_ed25519" "$SSH_DIR/host_key_a" "$SSH_DIR/host_key_b"
	# Lets tests (and us) connect with strict host key checking.
	write_if_changed "$SSH_DIR/known_hosts" "$(
		printf '[127.0.0.1]:%s %s\n' "$SSH_PORT" "$(cut -d' ' -f1,2 "$SSH_DIR/host_key_a.pub")"
		printf '[127.0.0.1]:%s %s' "$IMPOSTOR_PORT" "$(cut -d' ' -f1,2 "$SSH_DIR/host_key_b.pub")"
	)" || true
}

sshd_config_text() {
	local port=$1 hostkey=$2
	cat <<EOF
# Generated by scripts/lab.sh; edits are overwritten.
Port $port
ListenAddress 127.0.0.1
HostKey $hostkey
PidFile $PIDS/sshd-$port.pid
AuthorizedKeysFile $SSH_DIR/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
StrictModes no
UsePAM no
AllowTcpForwarding yes
AllowStreamLocalForwarding yes
StreamLocalBindUnlink yes
MaxSessions 50
MaxStartups 100
# Debian's bash sources ~/.bashrc for every ssh command when SHLVL<2; a heavy .bashrc (pyenv,
# cargo) on a test machine would add seconds to each command Mirador runs.
SetEnv SHLVL=1
PrintMotd no
LogLevel VERBOSE
Subsystem sftp internal-sftp
EOF
}

ssh_check() {
	local port=$1
	timeout 20 ssh -i "$SSH_DIR/id_ed25519" -p "$port" \
		-o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$SSH_DIR/known_hosts" \
		-o ConnectTimeout=5 -o LogLevel=ERROR root@127.0.0.1 true
}

# The listening sshd for PORT started by this lab. Found by its command line
# rather than only the pidfile, so a wiped .lab/ doesn't leave an orphan
# holding the port.
lab_sshd_pid() {
	local port=$1 pid cmd
	for pid in $(pgrep -x sshd || true); do
		cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || continue
		if [[ $cmd == *"-f $SSH_DIR/sshd_$port.conf "* ]]; then
			echo "$pid"
			return 0
		fi
	done
	return 1
}

ensure_sshd() {
	local port=$1 hostkey=$2
	local conf=$SSH_DIR/sshd_$port.conf logfile=$LOGS/sshd-$port.log pid changed=0
	write_if_changed "$conf" "$(sshd_config_text "$port" "$hostkey")" && changed=1
	/usr/sbin/sshd -t -f "$conf" || die "sshd rejects $conf"
	if pid=$(lab_sshd_pid "$port"); then
		if ((changed)); then
			stop_pid "$pid" "sshd:$port (config changed)"
		elif ssh_check "$port" >/dev/null 2>&1; then
			log "ssh: sshd on 127.0.0.1:$port already up"
			return 0
		else
			stop_pid "$pid" "sshd:$port (not answering)"
		fi
	fi
	log "ssh: starting sshd on 127.0.0.1:$port (log: $logfile)"
	# sshd insists on being started by absolute path (it re-execs itself).
	spawn_detached "$logfile" /usr/sbin/sshd -D -f "$conf" -E "$logfile"
	if ! wait_for 15 ssh_check "$port"; then
		show_log_tail "$logfile"
		ssh_check "$port" || true
		die "sshd on 127.0.0.1:$port does not accept the lab key (port taken by something else?)"
	fi
}

ensure_ssh() {
	mkdir -p /run/sshd # privilege-separation dir, normally made by the init script
	ensure_ssh_keys
	ensure_sshd "$SSH_PORT" "$SSH_DIR/host_key_a"
	ensure_sshd "$IMPOSTOR_PORT" "$SSH_DIR/host_key_b"
}

# ------------------------------------------------------------------- vmkit --

newest_cloud_kernel() {
	local kernels=(/boot/vmlinuz-*-cloud-amd64)
	[[ -f ${kernels[0]} ]] || die "no /boot/vmlinuz-*-cloud-amd64 (package linux-image-cloud-amd64)"
	printf '%s\n' "${kernels[@]}" | sort -V | tail -n1
}

ensure_vmkit() {
	local kernel kver stamp
	kernel=$(newest_cloud_kernel)
	kver=${kernel#/boot/vmlinuz-}
	mkdir -p "$VMKIT"
	# Rebuild when the kernel, the recipe or busybox changes.
	stamp="kernel=$kver busybox=$(dpkg-query -W -f='${Version}' busybox-static) recipe=$(sha256sum "$HELPERS/build-initrd.sh" | cut -c1-16)"
	if [[ ! -f $VMKIT/vmlinuz || ! -f $VMKIT/initrd.img || $(cat "$VMKIT/stamp" 2>/dev/null) != "$stamp" ]]; then
		log "vmkit: building initrd for $kver"
		install -m 644 "$kernel" "$VMKIT/vmlinuz"
		bash "$HELPERS/build-initrd.sh" "$kver" "$VMKIT/initrd.img" || die "initrd build failed"
		echo "$stamp" >"$VMKIT/stamp"
	fi
	mkdir -p "$BOOT_DIR"
	chmod 755 "$BOOT_DIR"
	local f
	for f in vmlinuz initrd.img; do
		cmp -s "$VMKIT/$f" "$BOOT_DIR/$f" || install -m 644 "$VMKIT/$f" "$BOOT_DIR/$f"
	done
	log "vmkit: $BOOT_DIR/{vmlinuz,initrd.img} ready (kernel $kver)"
}

# ---------------------------------------------------------------- registry --
# distribution 2.8 (Debian's docker-registry) with htpasswd auth; config,
# storage and credentials live in .lab/registry/. The package's own service
# (/etc/docker/registry/config.yml, open on :5000) is never started: there is
# no systemd here and policy-rc.d forbids it during the install.

registry_config_text() {
	cat <<EOF
# Generated by scripts/lab.sh; edits are overwritten.
version: 0.1
log:
  level: info
  fields:
    service: mirador-lab-registry
storage:
  filesystem:
    rootdirectory: $REGISTRY_DIR/data
  delete:
    enabled: true
http:
  addr: $REGISTRY_ADDR
  secret: $(<"$REGISTRY_DIR/http-secret")
  headers:
    X-Content-Type-Options: [nosniff]
auth:
  htpasswd:
    realm: "$REGISTRY_REALM"
    path: $REGISTRY_DIR/htpasswd
EOF
}

# HTTP status of GET URL ("000" when nothing answers).
http_status() {
	python3 - "$1" <<'EOF'
import sys, urllib.request, urllib.error
try:
    print(urllib.request.urlopen(sys.argv[1], timeout=3).status)
except urllib.error.HTTPError as e:
    print(e.code)
except Exception:
    print("000")
EOF
}

# Up = the API answers and demands credentials (an open registry would make
# the credential tests meaningless).
registry_ok() { [[ $(http_status "http://$REGISTRY_ADDR/v2/") == 401 ]]; }

# The lab's registry process, found by its command line (like lab_sshd_pid).
lab_registry_pid() {
	local pid cmd
	for pid in $(pgrep -x docker-registry || true); do
		pid_alive "$pid" || continue
		cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || continue
		if [[ $cmd == *" serve $REGISTRY_DIR/config.yml "* ]]; then
			echo "$pid"
			return 0
		fi
	done
	return 1
}

random_secret() { python3 -c 'import secrets; print(secrets.token_urlsafe(18))'; }

ensure_registry() {
	local conf=$REGISTRY_DIR/config.yml logfile=$LOGS/registry.log pid changed=0 pw
	command -v docker-registry >/dev/null || die "docker-registry not found (package docker-registry)"
	command -v htpasswd >/dev/null || die "htpasswd not found (package apache2-utils)"
	# Where systemd runs, the package enables its own unit on :5000.
	if [[ -d /run/systemd/system ]] && systemctl is-enabled docker-registry >/dev/null 2>&1; then
		log "registry: disabling the package's docker-registry.service (it would take port 5000)"
		systemctl disable --now docker-registry >/dev/null 2>&1 || warn "could not disable docker-registry.service"
	fi
	mkdir -p "$REGISTRY_DIR/data"
	chmod 700 "$REGISTRY_DIR"
	[[ -s $REGISTRY_DIR/password ]] || (umask 077 && random_secret >"$REGISTRY_DIR/password")
	[[ -s $REGISTRY_DIR/http-secret ]] || (umask 077 && random_secret >"$REGISTRY_DIR/http-secret")
	pw=$(<"$REGISTRY_DIR/password")
	# bcrypt (-B) is the only hash distribution accepts; the password goes
	# over stdin, never on a command line.
	if ! htpasswd -v -i "$REGISTRY_DIR/htpasswd" "$REGISTRY_USER" <<<"$pw" >/dev/null 2>&1; then
		(umask 077 && htpasswd -c -B -i "$REGISTRY_DIR/htpasswd" "$REGISTRY_USER" <<<"$pw" >/dev/null 2>&1) ||
			die "htpasswd could not write $REGISTRY_DIR/htpasswd"
		changed=1
	fi
	(umask 077 && write_if_changed "$conf" "$(registry_config_text)") && changed=1
	if pid=$(lab_registry_pid); then
		if ((changed)); then
			stop_pid "$pid" "registry (config changed)"
		elif registry_ok; then
			echo "$pid" >"$PIDS/registry.pid"
			log "registry: $REGISTRY_ADDR already up"
			return 0
		else
			stop_pid "$pid" "registry (not answering)"
		fi
	fi
	if [[ $(http_status "http://$REGISTRY_ADDR/v2/") != 000 ]]; then
		die "something else answers on $REGISTRY_ADDR (see: ss -ltnp 'sport = :${REGISTRY_ADDR##*:}'); the lab registry needs that port"
	fi
	log "registry: starting on $REGISTRY_ADDR (log: $logfile)"
	spawn_detached "$logfile" docker-registry serve "$conf"
	if ! wait_for 30 registry_ok; then
		show_log_tail "$logfile"
		die "registry on $REGISTRY_ADDR did not answer 401 on /v2/ within 30s"
	fi
	pid=$(lab_registry_pid) || die "registry answers but its process was not found"
	echo "$pid" >"$PIDS/registry.pid"
	log "registry: up on $REGISTRY_ADDR (user $REGISTRY_USER)"
}

# ---------------------------------------------------------------- lab.json --

write_lab_json() {
	local tmp=$LAB_JSON.tmp.$$
	python3 - "$tmp" \
		"$DOCKER_SOCK" "$LIBVIRT_URI" "$SSH_PORT" "$SSH_DIR" "$(fingerprint "$SSH_DIR/host_key_a.pub")" \
		"$IMPOSTOR_PORT" "$(fingerprint "$SSH_DIR/host_key_b.pub")" "$DOCKER_IMAGE" "$BOOT_DIR" \
		"$VM_CMDLINE" "$VM_PROMPT" "$VM_BANNER" "$LIBVIRT_NETWORK" "$(command -v chromium)" \
		"$REGISTRY_ADDR" "$REGISTRY_USER" "$REGISTRY_DIR/password" \
		<<'EOF' || die "could not write $LAB_JSON"
import json, sys
(out, sock, uri, port, ssh_dir, fp_a, imp_port, fp_b, image, boot, cmdline, prompt, banner, net,
 chromium, reg_addr, reg_user, reg_pw_file) = sys.argv[1:]
doc = {
    "dockerSocket": sock,
    "libvirtUri": uri,
    "ssh": {
        "host": "127.0.0.1",
        "port": int(port),
        "user": "root",
        "privateKeyPath": f"{ssh_dir}/id_ed25519",
        "publicKeyPath": f"{ssh_dir}/id_ed25519.pub",
        "knownHostsPath": f"{ssh_dir}/known_hosts",
        "hostKeyFingerprint": fp_a,
    },
    "sshImpostor": {"port": int(imp_port), "hostKeyFingerprint": fp_b},
    "dockerImage": image,
    "vmKit": {
        "kernel": f"{boot}/vmlinuz",
        "initrd": f"{boot}/initrd.img",
        "cmdline": cmdline,
        "domainType": "qemu",
        "prompt": prompt,
        "banner": banner,
    },
    "storagePool": "default",
    "libvirtNetwork": net or None,
    "chromiumPath": chromium,
    "registry": {
        "address": reg_addr,
        "username": reg_user,
        "password": open(reg_pw_file).read().strip(),
    },
}
with open(out, "w") as f:
    json.dump(doc, f, indent=2)
    f.write("\n")
EOF
	chmod 600 "$tmp" # it holds the lab registry password
	mv -f "$tmp" "$LAB_JSON"
}

print_summary() {
	cat <<EOF

Mirador lab is up ($((SECONDS))s). Details for tests: $LAB_JSON
  docker   : unix://$DOCKER_SOCK  (storage driver: $(docker info -f '{{.Driver}}' 2>/dev/null)); image $DOCKER_IMAGE
             e.g. docker run --rm $DOCKER_IMAGE echo ok
  libvirt  : virsh -c $LIBVIRT_URI list --all
             KVM is unavailable here: domains must use <domain type='qemu'> (TCG)
             storage pool 'default' -> $POOL_DIR; network: ${LIBVIRT_NETWORK:-none (see warning above)}
  ssh      : ssh -i $SSH_DIR/id_ed25519 -p $SSH_PORT -o UserKnownHostsFile=$SSH_DIR/known_hosts root@127.0.0.1
             host key $(fingerprint "$SSH_DIR/host_key_a.pub")
  impostor : 127.0.0.1:$IMPOSTOR_PORT, same login, different host key $(fingerprint "$SSH_DIR/host_key_b.pub")
  registry : http://$REGISTRY_ADDR, user $REGISTRY_USER, password in $REGISTRY_DIR/password
             e.g. docker login $REGISTRY_ADDR -u $REGISTRY_USER --password-stdin <$REGISTRY_DIR/password
  vm kit   : kernel $BOOT_DIR/vmlinuz, initrd $BOOT_DIR/initrd.img, cmdline '$VM_CMDLINE'
             serial console prompt '$VM_PROMPT'; ACPI shutdown works; eth0 uses DHCP
  logs     : $LOGS/
EOF
}

# ---------------------------------------------------------------- commands --

cmd_up() {
	require_root
	take_lock
	ensure_packages
	ensure_docker
	ensure_libvirt
	ensure_ssh
	ensure_registry
	ensure_vmkit
	write_lab_json
	print_summary
}

# check NAME CMD... : one status line; remembers failures in STATUS_FAILED.
STATUS_FAILED=0
check() {
	local name=$1
	shift
	if "$@" >/dev/null 2>&1; then
		printf '  [ up ] %s\n' "$name"
	else
		printf '  [DOWN] %s\n' "$name"
		STATUS_FAILED=1
	fi
}

lab_network() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["libvirtNetwork"] or "")' "$LAB_JSON"; }

cmd_status() {
	STATUS_FAILED=0
	echo "Mirador lab status:"
	check "lab.json ($LAB_JSON)" test -s "$LAB_JSON"
	check "docker daemon ($DOCKER_SOCK)" docker_ok
	check "docker image $DOCKER_IMAGE" docker image inspect "$DOCKER_IMAGE"
	check "libvirtd ($LIBVIRT_URI)" libvirt_ok
	check "storage pool 'default'" pool_running
	if [[ -s $LAB_JSON && -n $(lab_network) ]]; then
		check "libvirt network 'default'" network_active
	else
		echo "  [ -- ] libvirt network 'default' (not available on this machine)"
	fi
	check "sshd 127.0.0.1:$SSH_PORT" ssh_check "$SSH_PORT"
	check "sshd impostor 127.0.0.1:$IMPOSTOR_PORT" ssh_check "$IMPOSTOR_PORT"
	check "registry $REGISTRY_ADDR (htpasswd auth)" registry_ok
	check "vm kit ($BOOT_DIR)" test -s "$BOOT_DIR/vmlinuz" -a -s "$BOOT_DIR/initrd.img"
	return "$STATUS_FAILED"
}

remove_test_containers() {
	docker_ok || return 0
	local ids
	ids=$(docker ps -aq --filter label=mirador.test=1)
	[[ -z $ids ]] && return 0
	log "removing test containers: ${ids//$'\n'/ }"
	# shellcheck disable=SC2086
	docker rm -f $ids >/dev/null || warn "could not remove some test containers"
}

remove_test_domains() {
	libvirt_ok || return 0
	local dom vol
	for dom in $(virsh_ list --all --name | grep '^mirador-test-' || true); do
		log "removing test domain $dom"
		virsh_ destroy "$dom" >/dev/null 2>&1 || true
		virsh_ undefine --nvram "$dom" >/dev/null 2>&1 || virsh_ undefine "$dom" >/dev/null 2>&1 || true
	done
	if virsh_ pool-info default >/dev/null 2>&1; then
		for vol in $(virsh_ vol-list default | awk '$1 ~ /^mirador-test-/ {print $1}'); do
			log "removing test volume $vol"
			virsh_ vol-delete --pool default "$vol" >/dev/null || warn "could not delete volume $vol"
		done
	fi
}

# Only daemons whose pid we recorded at start; a pre-existing dockerd/libvirtd
# belongs to someone else.
stop_lab_daemon() {
	local name=$1 pid
	if pid=$(live_pid "$PIDS/$name.pid" "$name"); then
		stop_pid "$pid" "$name"
	fi
	rm -f "$PIDS/$name.pid"
}

cmd_down() {
	require_root
	take_lock
	remove_test_domains
	remove_test_containers
	local port pid
	for port in "$SSH_PORT" "$IMPOSTOR_PORT"; do
		if pid=$(lab_sshd_pid "$port"); then stop_pid "$pid" "sshd:$port"; fi
		rm -f "$PIDS/sshd-$port.pid"
	done
	if pid=$(lab_registry_pid); then stop_pid "$pid" registry; fi
	rm -f "$PIDS/registry.pid"
	stop_lab_daemon dockerd
	stop_lab_daemon libvirtd
	stop_lab_daemon virtlogd
	log "lab is down (packages, keys, image, registry data and vm kit are kept)"
}

cmd_env() {
	[[ -s $LAB_JSON ]] || die "$LAB_JSON missing: run 'bash scripts/lab.sh up' first"
	cat "$LAB_JSON"
}

SELFTEST_DOMAIN=
selftest_cleanup() {
	if [[ -n $SELFTEST_DOMAIN ]]; then virsh_ destroy "$SELFTEST_DOMAIN" >/dev/null 2>&1 || true; fi
}

selftest_domain_xml() {
	local name=$1 nic=""
	[[ -n $LIBVIRT_NETWORK ]] && nic="<interface type='network'><source network='$LIBVIRT_NETWORK'/><model type='virtio'/></interface>"
	cat <<EOF
<domain type='qemu'>
  <name>$name</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64'>hvm</type>
    <kernel>$BOOT_DIR/vmlinuz</kernel>
    <initrd>$BOOT_DIR/initrd.img</initrd>
    <cmdline>$VM_CMDLINE quiet</cmdline>
  </os>
  <features><acpi/></features>
  <devices>
    $nic
    <serial type='pty'><target port='0'/></serial>
    <console type='pty'><target type='serial' port='0'/></console>
  </devices>
</domain>
EOF
}

domain_gone() { ! virsh_ domstate "$1" >/dev/null 2>&1; }
domain_has_lease() { [[ $(virsh_ domifaddr --source lease "$1" 2>/dev/null) == *ipv4* ]]; }

# Exercises the path Mirador uses for docker on remote hosts: the docker
# socket forwarded over ssh.
selftest_ssh_docker_forward() {
	local sock pid
	sock=$(mktemp -u /tmp/mirador-lab-docker.XXXXXX.sock)
	ssh -i "$SSH_DIR/id_ed25519" -p "$SSH_PORT" -o BatchMode=yes -o StrictHostKeyChecking=yes \
		-o UserKnownHostsFile="$SSH_DIR/known_hosts" -o LogLevel=ERROR -o ExitOnForwardFailure=yes \
		-N -L "$sock:$DOCKER_SOCK" root@127.0.0.1 </dev/null 9>&- &
	pid=$!
	local ok=0
	wait_for 10 test -S "$sock" && python3 - "$sock" <<'EOF' && ok=1
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect(sys.argv[1])
s.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
data = b""
while chunk := s.recv(4096):
    data += chunk
sys.exit(0 if data.startswith(b"HTTP/1.") and data.rstrip().endswith(b"OK") else 1)
EOF
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	rm -f "$sock"
	((ok)) || die "docker socket forwarded over ssh (-L sock:$DOCKER_SOCK) did not answer /_ping"
	log "selftest: docker socket over ssh forwarding OK"
}

# Browser tests drive the system chromium; as root it needs --no-sandbox.
selftest_chromium() {
	local dom
	dom=$(timeout 60 chromium --headless --no-sandbox --disable-gpu --dump-dom \
		'data:text/html,<p>mirador-lab</p>' 2>>"$LOGS/chromium-selftest.log") || true
	[[ $dom == *'<p>mirador-lab</p>'* ]] || die "headless chromium could not render a page (log: $LOGS/chromium-selftest.log)"
	log "selftest: headless chromium OK"
}

# Login, push and pull against the lab registry with a throwaway CLI config
# (tests must use Mirador's stored credentials, never the CLI's).
selftest_registry() {
	local cfg ref=$REGISTRY_ADDR/mirador-lab/selftest:$$ ok=0
	cfg=$(mktemp -d /tmp/mirador-lab-dockercfg.XXXXXX)
	if DOCKER_CONFIG=$cfg docker login "$REGISTRY_ADDR" -u "$REGISTRY_USER" --password-stdin <"$REGISTRY_DIR/password" >/dev/null 2>&1 &&
		docker tag "$DOCKER_IMAGE" "$ref" &&
		DOCKER_CONFIG=$cfg timeout 60 docker push "$ref" >/dev/null &&
		docker rmi "$ref" >/dev/null &&
		DOCKER_CONFIG=$cfg timeout 60 docker pull "$ref" >/dev/null; then
		ok=1
	fi
	docker rmi "$ref" >/dev/null 2>&1 || true
	rm -rf "$cfg"
	((ok)) || die "docker login/push/pull against the lab registry $REGISTRY_ADDR failed (log: $LOGS/registry.log)"
	log "selftest: registry login + push + pull OK"
}

cmd_selftest() {
	require_root
	take_lock
	if ! cmd_status; then die "lab is not fully up; run 'bash scripts/lab.sh up' first"; fi
	LIBVIRT_NETWORK=$(lab_network)
	local t0=$SECONDS

	timeout 30 ssh -i "$SSH_DIR/id_ed25519" -p "$SSH_PORT" -o BatchMode=yes -o StrictHostKeyChecking=yes \
		-o UserKnownHostsFile="$SSH_DIR/known_hosts" -o LogLevel=ERROR root@127.0.0.1 \
		"virsh -c $LIBVIRT_URI version >/dev/null && docker version >/dev/null" ||
		die "virsh/docker do not work inside an ssh session to 127.0.0.1:$SSH_PORT"
	log "selftest: virsh + docker usable over ssh"
	selftest_ssh_docker_forward
	selftest_registry
	selftest_chromium

	SELFTEST_DOMAIN=mirador-test-selftest-$$
	trap selftest_cleanup EXIT
	local xml pty boot_t0=$SECONDS
	xml=$(mktemp /tmp/mirador-lab-selftest.XXXXXX.xml)
	selftest_domain_xml "$SELFTEST_DOMAIN" >"$xml"
	virsh_ create "$xml" >/dev/null || die "virsh create of test domain failed (xml: $xml)"
	rm -f "$xml"
	pty=$(virsh_ ttyconsole "$SELFTEST_DOMAIN") || die "no serial pty for $SELFTEST_DOMAIN"
	log "selftest: booted $SELFTEST_DOMAIN (type=qemu/TCG), console $pty"
	# shellcheck disable=SC2016 # $((6*7)) is for the guest shell
	python3 "$HELPERS/vm-console.py" "$pty" --prompt "$VM_PROMPT" --banner "$VM_BANNER" \
		--command 'echo $((6*7))' --expect 42 --timeout 45 ||
		die "VM console check failed"
	log "selftest: console answered $((SECONDS - boot_t0))s after virsh create"

	if [[ -n $LIBVIRT_NETWORK ]]; then
		wait_for 30 domain_has_lease "$SELFTEST_DOMAIN" || die "VM got no DHCP lease on network '$LIBVIRT_NETWORK'"
		log "selftest: VM lease $(virsh_ domifaddr --source lease "$SELFTEST_DOMAIN" | awk '/ipv4/ {print $4}')"
	fi

	virsh_ shutdown "$SELFTEST_DOMAIN" >/dev/null || die "virsh shutdown failed"
	wait_for 30 domain_gone "$SELFTEST_DOMAIN" || die "VM ignored ACPI shutdown for 30s"
	log "selftest: ACPI shutdown OK"
	SELFTEST_DOMAIN=
	echo "selftest passed in $((SECONDS - t0))s"
}

usage() {
	sed -n '2,10s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
	exit 2
}

main() {
	case "${1:-}" in
	up) cmd_up ;;
	down) cmd_down ;;
	status) cmd_status ;;
	env) cmd_env ;;
	selftest) cmd_selftest ;;
	*) usage ;;
	esac
}

# Sourcing (for debugging single functions) must not run anything.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then main "$@"; fi
