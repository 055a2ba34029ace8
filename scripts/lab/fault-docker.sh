# shellcheck shell=bash
# Part of scripts/lab.sh (sourced, never run alone): the fault dockerd, a second Docker engine that the
# fault-injection suite (apps/server/test/faults/) restarts with containers and streams open, so the lab's
# main dockerd — which other tests use at the same time — is never touched. Everything of its own: socket,
# data-root, exec-root (hence its own managed containerd), pid file, an empty config file; no iptables rules,
# no IP forwarding, and its containers run with --network none.
# Its default bridge is a bridge of its own (mirfault0, no uplink), never --bridge=none: a dockerd started
# with --bridge=none deletes the docker0 interface (moby's removeDefaultBridgeInterface), which cuts the
# lab's main dockerd off its default network.
# The suite starts it again with the very command recorded in lab.json (faultDocker.command).
# Uses the settings and helpers lab.sh and docker.sh define before sourcing it.

FAULT_DOCKER_RUN=/run/mirlab-fault
FAULT_DOCKER_SOCK=$FAULT_DOCKER_RUN/docker.sock
FAULT_DOCKER_PID=$FAULT_DOCKER_RUN/docker.pid
FAULT_DOCKER_ROOT=/var/lib/mirlab-fault/docker
FAULT_DOCKER_CONF=$LAB/fault-docker.json
FAULT_DOCKER_BRIDGE=mirfault0
FAULT_DOCKER_BRIDGE_ADDR=10.213.77.1/24

fault_docker() { timeout 60 docker -H "unix://$FAULT_DOCKER_SOCK" "$@"; }
fault_docker_ok() { timeout 10 docker -H "unix://$FAULT_DOCKER_SOCK" info >/dev/null 2>&1; }

# The command that starts it (lab.json holds it too): the storage driver the lab settled on (docker.sh).
fault_dockerd_argv() {
	local driver
	driver=$(cat "$LAB/docker-storage-driver" 2>/dev/null || true)
	printf '%s\n' dockerd --host "unix://$FAULT_DOCKER_SOCK" --data-root "$FAULT_DOCKER_ROOT" \
		--exec-root "$FAULT_DOCKER_RUN/exec" --pidfile "$FAULT_DOCKER_PID" --config-file "$FAULT_DOCKER_CONF" \
		"--bridge=$FAULT_DOCKER_BRIDGE" --iptables=false --ip6tables=false --ip-masq=false --ip-forward=false \
		${driver:+"--storage-driver=$driver"}
}

fault_bridge_up() { [[ $(ip -br addr show dev "$FAULT_DOCKER_BRIDGE" 2>/dev/null) == *"$FAULT_DOCKER_BRIDGE_ADDR"* ]]; }

ensure_fault_bridge() {
	fault_bridge_up && return 0
	ip link show "$FAULT_DOCKER_BRIDGE" >/dev/null 2>&1 || ip link add "$FAULT_DOCKER_BRIDGE" type bridge ||
		die "could not create bridge $FAULT_DOCKER_BRIDGE"
	ip addr add "$FAULT_DOCKER_BRIDGE_ADDR" dev "$FAULT_DOCKER_BRIDGE" 2>/dev/null || true
	ip link set "$FAULT_DOCKER_BRIDGE" up
	fault_bridge_up || die "bridge $FAULT_DOCKER_BRIDGE has no address $FAULT_DOCKER_BRIDGE_ADDR"
}

fault_dockerd_pid() { live_pid "$FAULT_DOCKER_PID" dockerd; }

ensure_fault_docker() {
	mkdir -p "$FAULT_DOCKER_RUN" "$FAULT_DOCKER_ROOT"
	[[ -s $FAULT_DOCKER_CONF ]] || echo '{}' >"$FAULT_DOCKER_CONF"
	ensure_fault_bridge
	if fault_docker_ok; then
		log "fault dockerd: already answering on $FAULT_DOCKER_SOCK"
	else
		local pid argv
		if pid=$(fault_dockerd_pid); then stop_pid "$pid" "fault dockerd (not answering)"; fi
		rm -f "$FAULT_DOCKER_PID"
		mapfile -t argv < <(fault_dockerd_argv)
		log "fault dockerd: starting on $FAULT_DOCKER_SOCK (log: $LOGS/fault-dockerd.log)"
		spawn_detached "$LOGS/fault-dockerd.log" "${argv[@]}"
		if ! wait_for 60 fault_docker_ok; then
			show_log_tail "$LOGS/fault-dockerd.log"
			die "the fault dockerd did not answer on $FAULT_DOCKER_SOCK within 60s"
		fi
	fi
	local recipe
	recipe=$(fault_docker image inspect -f '{{index .Config.Labels "mirador.lab.recipe"}}' "$DOCKER_IMAGE" 2>/dev/null || true)
	if [[ $recipe != "$DOCKER_IMAGE_RECIPE" ]]; then
		log "fault dockerd: loading $DOCKER_IMAGE from the main engine"
		docker save "$DOCKER_IMAGE" | fault_docker load >/dev/null || die "could not load $DOCKER_IMAGE into the fault dockerd"
	fi
	local out
	out=$(fault_docker run --rm --network none --label mirador.test=1 "$DOCKER_IMAGE" echo ok 2>&1) && [[ $out == ok ]] ||
		die "'docker run $DOCKER_IMAGE echo ok' fails on the fault dockerd: $out"
}

stop_fault_docker() {
	local pid ids
	if fault_docker_ok; then
		ids=$(fault_docker ps -aq --filter label=mirador.test=1)
		# shellcheck disable=SC2086
		[[ -z $ids ]] || fault_docker rm -f $ids >/dev/null || warn "could not remove some fault dockerd test containers"
	fi
	if pid=$(fault_dockerd_pid); then stop_pid "$pid" "fault dockerd"; fi
	rm -rf "$FAULT_DOCKER_RUN"
	if ip link show "$FAULT_DOCKER_BRIDGE" >/dev/null 2>&1; then ip link del "$FAULT_DOCKER_BRIDGE" || warn "could not remove bridge $FAULT_DOCKER_BRIDGE"; fi
}

# Adds the fault pieces to lab.json (FILE, written by write_lab_json).
fault_lab_json() {
	local argv
	mapfile -t argv < <(fault_dockerd_argv)
	python3 - "$1" "$FAULT_SSH_PORT" "$(fingerprint "$FAULT_HOST_KEY.pub")" "$FAULT_KNOWN_HOSTS" "$PIDS/sshd-$FAULT_SSH_PORT.pid" \
		"$(fault_sshd_conf)" "$(fault_sshd_log)" "$FAULT_DOCKER_SOCK" "$FAULT_DOCKER_PID" "$LOGS/fault-dockerd.log" "${argv[@]}" <<'EOF' ||
import json, sys
(path, port, fp, known_hosts, ssh_pid, ssh_conf, ssh_log, sock, pid, log), argv = sys.argv[1:11], sys.argv[11:]
doc = json.load(open(path))
# Pieces the fault-injection suite may kill and start again (never the lab's own daemons).
doc["faultSshd"] = {
    "host": "127.0.0.1",
    "port": int(port),
    "hostKeyFingerprint": fp,
    "knownHostsPath": known_hosts,
    "pidFile": ssh_pid,
    "logFile": ssh_log,
    "command": ["/usr/sbin/sshd", "-D", "-f", ssh_conf, "-E", ssh_log],
}
doc["faultDocker"] = {"socket": sock, "pidFile": pid, "logFile": log, "command": argv}
with open(path, "w") as f:
    json.dump(doc, f, indent=2)
    f.write("\n")
EOF
		die "could not add the fault pieces to $1"
}
