#!/usr/bin/env bash
# A simulated fleet for `bash scripts/bench.sh fleet`: FLEET_HOSTS libvirt test-driver inventory files
# of FLEET_DOMAINS domains each (fleet-01.xml … fleet-20.xml, 20 × 500 by default) in $LAB/fleet.
# Each file is one "host" for Mirador: a host whose libvirt endpoint is { driver: 'test', mode: 'file',
# file: 'fleet-07.xml' }, with MIRADOR_LIBVIRT_TEST_DIR set to that directory (the only place such files
# may come from). The format is the test driver's: a <node> with <domain> children
# (https://libvirt.org/drvtest.html); a third of the domains are shut off (<test:runstate>5), the rest run.
# Nothing runs: the files are read by `virsh -c test:///…` per connection.
#   bash scripts/lab/fleet.sh up|down|check
# Standalone (the bench calls it; `lab.sh down` removes the files). Idempotent: files of the right size stay.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
FLEET_DIR=${FLEET_DIR:-$ROOT/.lab/fleet}
FLEET_HOSTS=${FLEET_HOSTS:-20}
FLEET_DOMAINS=${FLEET_DOMAINS:-500}

fleet_file() { printf '%s/fleet-%02d.xml' "$FLEET_DIR" "$1"; }

# One file: awk writes it in one go (10,000 domains in well under a second).
write_fleet_file() {
	local host=$1 file tmp
	file=$(fleet_file "$host")
	tmp=$file.tmp.$$
	awk -v host="$host" -v n="$FLEET_DOMAINS" 'BEGIN {
		print "<node>"
		for (i = 0; i < n; i++) {
			run = (i % 3 == 0) ? "<test:runstate>5</test:runstate>" : ""
			printf "<domain type=\"test\" xmlns:test=\"http://libvirt.org/schemas/domain/test/1.0\">"
			printf "<name>fleet-%02d-vm-%04d</name><uuid>00000000-%04d-4000-8000-%012d</uuid>", host, i, host, i
			printf "<memory unit=\"MiB\">%d</memory><vcpu>%d</vcpu>%s", 512 * (1 + i % 4), 1 + i % 4, run
			printf "<os><type arch=\"x86_64\">hvm</type></os></domain>\n"
		}
		print "</node>"
	}' >"$tmp"
	mv -f "$tmp" "$file"
}

fleet_file_ok() {
	local file
	file=$(fleet_file "$1")
	[[ -s $file ]] && [[ $(grep -c '<domain ' "$file") -eq $FLEET_DOMAINS ]]
}

cmd_up() {
	mkdir -p "$FLEET_DIR"
	local h made=0
	for ((h = 1; h <= FLEET_HOSTS; h++)); do
		fleet_file_ok "$h" && continue
		write_fleet_file "$h"
		made=$((made + 1))
	done
	echo "fleet: $FLEET_HOSTS test-driver files × $FLEET_DOMAINS domains in $FLEET_DIR ($made written)"
}

cmd_check() {
	local h
	for ((h = 1; h <= FLEET_HOSTS; h++)); do
		fleet_file_ok "$h" || {
			echo "fleet: $(fleet_file "$h") is missing or does not hold $FLEET_DOMAINS domains (run: bash scripts/lab/fleet.sh up)" >&2
			return 1
		}
	done
	# The driver must read them: one file through the real virsh.
	local n
	n=$(virsh -c "test://$(fleet_file 1)" list --all --name | grep -c .)
	[[ $n -eq $FLEET_DOMAINS ]] || {
		echo "fleet: virsh lists $n domains in $(fleet_file 1), expected $FLEET_DOMAINS" >&2
		return 1
	}
	echo "fleet: ok ($FLEET_HOSTS × $FLEET_DOMAINS domains in $FLEET_DIR)"
}

cmd_down() {
	rm -rf "$FLEET_DIR"
	echo "fleet: removed $FLEET_DIR"
}

case "${1:-}" in
up) cmd_up ;;
down) cmd_down ;;
check) cmd_check ;;
*)
	sed -n '2,9s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
	exit 2
	;;
esac
