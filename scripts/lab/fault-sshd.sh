# shellcheck shell=bash
# Part of scripts/lab.sh (sourced, never run alone): the fault sshd, an sshd that the fault-injection suite
# (apps/server/test/faults/) may kill and start again, so the lab's own sshd on 2222/2223 — which other
# tests use at the same time — is never touched. Same login as 2222 (root, the lab key), so it reaches the
# lab's system libvirt and dockerd like 2222 does; its own port, config, pid file, host key and known_hosts.
# The suite starts it again with the very command recorded in lab.json (faultSshd.command), so `lab.sh down`
# finds it by its config path like the other lab sshd.
# Uses the settings and helpers lab.sh and ssh.sh define before sourcing it.

FAULT_SSH_PORT=2225
FAULT_HOST_KEY=$SSH_DIR/host_key_fault
FAULT_KNOWN_HOSTS=$SSH_DIR/known_hosts_fault

fault_sshd_conf() { echo "$SSH_DIR/sshd_$FAULT_SSH_PORT.conf"; }
fault_sshd_log() { echo "$LOGS/sshd-$FAULT_SSH_PORT.log"; }

fault_ssh_check() {
	timeout 20 ssh -i "$SSH_DIR/id_ed25519" -p "$FAULT_SSH_PORT" \
		-o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$FAULT_KNOWN_HOSTS" \
		-o ConnectTimeout=5 -o LogLevel=ERROR root@127.0.0.1 true
}

ensure_fault_sshd() {
	local conf logfile pid changed=0
	conf=$(fault_sshd_conf)
	logfile=$(fault_sshd_log)
	ensure_keypair "$FAULT_HOST_KEY" mirador-lab-host-fault
	chmod 600 "$FAULT_HOST_KEY"
	write_if_changed "$FAULT_KNOWN_HOSTS" "$(printf '[127.0.0.1]:%s %s' "$FAULT_SSH_PORT" "$(cut -d' ' -f1,2 "$FAULT_HOST_KEY.pub")")" || true
	# The same settings as the lab's sshd on 2222 (ssh.sh), with this port, host key and pid file.
	write_if_changed "$conf" "$(sshd_config_text "$FAULT_SSH_PORT" "$FAULT_HOST_KEY")" && changed=1
	/usr/sbin/sshd -t -f "$conf" || die "sshd rejects $conf"
	if pid=$(lab_sshd_pid "$FAULT_SSH_PORT"); then
		if ((changed)); then
			stop_pid "$pid" "sshd:$FAULT_SSH_PORT (config changed)"
		elif fault_ssh_check >/dev/null 2>&1; then
			log "fault sshd: already up on 127.0.0.1:$FAULT_SSH_PORT"
			return 0
		else
			stop_pid "$pid" "sshd:$FAULT_SSH_PORT (not answering)"
		fi
	fi
	log "fault sshd: starting on 127.0.0.1:$FAULT_SSH_PORT (log: $logfile)"
	spawn_detached "$logfile" /usr/sbin/sshd -D -f "$conf" -E "$logfile"
	if ! wait_for 15 fault_ssh_check; then
		show_log_tail "$logfile"
		die "the fault sshd on 127.0.0.1:$FAULT_SSH_PORT does not accept the lab key"
	fi
}

stop_fault_sshd() {
	local pid
	if pid=$(lab_sshd_pid "$FAULT_SSH_PORT"); then stop_pid "$pid" "sshd:$FAULT_SSH_PORT"; fi
	rm -f "$PIDS/sshd-$FAULT_SSH_PORT.pid"
}
