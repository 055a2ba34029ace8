# shellcheck shell=bash
# Part of scripts/lab.sh (sourced, never run alone): Debian packages the lab needs.
# Uses the settings and helpers lab.sh defines before sourcing it.

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
