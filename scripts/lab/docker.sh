# shellcheck shell=bash
# Part of scripts/lab.sh (sourced, never run alone): dockerd and the labbox image.
# Uses the settings and helpers lab.sh defines before sourcing it.

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
	# Starting a second dockerd would fight over /var/lib/docker (the fault dockerd of fault-docker.sh has its own).
	local pid
	for pid in $(pgrep -x dockerd || true); do
		if pid_alive "$pid" && [[ $pid != "$(cat "$FAULT_DOCKER_PID" 2>/dev/null)" ]]; then
			die "a dockerd is running but $DOCKER_SOCK does not answer; stop it or fix it"
		fi
	done
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
