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
# Pieces: dockerd (+ image labbox:latest), libvirtd/qemu (+ bridge mirlabbr0, no uplink), two sshd (real and
# impostor host key), a second libvirt to migrate to (qemu:///session of user mirlab2 behind sshd :2224), and a password-protected image registry on
# 127.0.0.1:5000 (credentials in lab.json; docker allows plain HTTP to
# 127.0.0.0/8, so no TLS).
# Fault pieces the fault-injection suite may kill (never the daemons above): an sshd on 127.0.0.1:2225
# (scripts/lab/fault-sshd.sh) and a second dockerd on /run/mirlab-fault/docker.sock (scripts/lab/fault-docker.sh).
# A 64 MiB loop-mounted ext4 as the libvirt pool mirlab-small, for the disk-full fault (scripts/lab/smallfs.sh).
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
LAB_BRIDGE=mirlabbr0
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

# ---------------------------------------------------------------- pieces --
# One file per piece under scripts/lab/, each owning its ensure_* / checks; this file keeps
# the settings, the shared helpers and the commands.
for piece in packages docker libvirt ssh second-libvirt vmkit registry fault-sshd fault-docker smallfs lab-json; do
	# shellcheck source=/dev/null
	source "$HELPERS/$piece.sh"
done

# ---------------------------------------------------------------- commands --

cmd_up() {
	require_root
	take_lock
	ensure_packages
	ensure_docker
	ensure_libvirt
	ensure_ssh
	ensure_second_libvirt
	ensure_registry
	ensure_vmkit
	ensure_fault_sshd
	ensure_fault_docker
	ensure_smallfs
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
	check "bridge $LAB_BRIDGE (no uplink)" bridge_up
	if [[ -s $LAB_JSON && -n $(lab_network) ]]; then
		check "libvirt network 'default'" network_active
	else
		echo "  [ -- ] libvirt network 'default' (not available on this machine)"
	fi
	check "sshd 127.0.0.1:$SSH_PORT" ssh_check "$SSH_PORT"
	check "sshd impostor 127.0.0.1:$IMPOSTOR_PORT" ssh_check "$IMPOSTOR_PORT"
	check "second libvirt $SECOND_URI of $SECOND_USER (ssh 127.0.0.1:$SECOND_SSH_PORT)" second_libvirt_ok
	check "second libvirt host_uuid differs from $LIBVIRT_URI" second_uuid_distinct
	check "second libvirt reachable as root: $(second_migration_uri)" second_reachable_as_root
	check "registry $REGISTRY_ADDR (htpasswd auth)" registry_ok
	check "vm kit ($BOOT_DIR)" test -s "$BOOT_DIR/vmlinuz" -a -s "$BOOT_DIR/initrd.img"
	check "fault sshd 127.0.0.1:$FAULT_SSH_PORT (the fault suite kills it)" fault_ssh_check
	check "fault dockerd $FAULT_DOCKER_SOCK (the fault suite restarts it)" fault_docker_ok
	check "small pool $SMALLFS_POOL on $SMALLFS_DIR (${SMALLFS_MIB} MiB loop ext4, the disk-full fault)" smallfs_ok
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
	remove_second_test_domains
	remove_test_containers
	stop_second_sshd
	stop_fault_sshd
	stop_fault_docker
	stop_smallfs
	bash "$HELPERS/fleet.sh" down >/dev/null # the bench's simulated fleet (test-driver files only)
	local port pid
	for port in "$SSH_PORT" "$IMPOSTOR_PORT"; do
		if pid=$(lab_sshd_pid "$port"); then stop_pid "$pid" "sshd:$port"; fi
		rm -f "$PIDS/sshd-$port.pid"
	done
	if pid=$(lab_registry_pid); then stop_pid "$pid" registry; fi
	rm -f "$PIDS/registry.pid"
	remove_lab_bridge
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
