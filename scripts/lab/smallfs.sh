# shellcheck shell=bash
# Part of scripts/lab.sh (sourced, never run alone): a small filesystem for the disk-full fault. A 64 MiB
# ext4 image ($LAB/smallfs.img) loop-mounted at /var/lib/mirlab-smallfs and defined as the libvirt dir pool
# "mirlab-small", so a VM disk that does not fit fails the way it does on a full host — "No space left on
# device" — without ever filling the machine's real disk. The fault suite (apps/server/test/faults/
# disk-full.test.ts) finds it in lab.json (smallPool). Up, down and status are idempotent.
# Uses the settings and helpers lab.sh defines before sourcing it.

SMALLFS_IMAGE=$LAB/smallfs.img
SMALLFS_DIR=/var/lib/mirlab-smallfs
SMALLFS_MIB=64
SMALLFS_POOL=mirlab-small

smallfs_mounted() { mountpoint -q "$SMALLFS_DIR"; }
smallfs_pool_active() { [[ $(virsh_field State pool-info "$SMALLFS_POOL") == running ]]; }
smallfs_ok() { smallfs_mounted && smallfs_pool_active; }

ensure_smallfs() {
	if [[ ! -s $SMALLFS_IMAGE ]]; then
		log "smallfs: creating a ${SMALLFS_MIB} MiB ext4 image $SMALLFS_IMAGE"
		truncate -s "${SMALLFS_MIB}M" "$SMALLFS_IMAGE"
		mkfs.ext4 -q -F -L mirlab-small "$SMALLFS_IMAGE" || die "mkfs.ext4 failed on $SMALLFS_IMAGE"
	fi
	mkdir -p "$SMALLFS_DIR"
	if ! smallfs_mounted; then
		log "smallfs: mounting $SMALLFS_IMAGE at $SMALLFS_DIR (loop)"
		mount -o loop "$SMALLFS_IMAGE" "$SMALLFS_DIR" || die "could not loop-mount $SMALLFS_IMAGE (no loop devices in this container?)"
	fi
	if ! virsh_ pool-info "$SMALLFS_POOL" >/dev/null 2>&1; then
		virsh_ pool-define-as "$SMALLFS_POOL" dir --target "$SMALLFS_DIR" >/dev/null || die "could not define pool $SMALLFS_POOL"
	fi
	smallfs_pool_active || virsh_ pool-start "$SMALLFS_POOL" >/dev/null || die "could not start pool $SMALLFS_POOL"
	# Leftovers of an interrupted test run would fill the little there is.
	local vol
	for vol in $(virsh_ vol-list "$SMALLFS_POOL" | awk '$1 ~ /^(mirtest-|mirador-test-)/ {print $1}'); do
		virsh_ vol-delete --pool "$SMALLFS_POOL" "$vol" >/dev/null || warn "could not delete volume $vol"
	done
	virsh_ pool-refresh "$SMALLFS_POOL" >/dev/null || true
	log "smallfs: pool $SMALLFS_POOL on $SMALLFS_DIR ($(df -h --output=avail "$SMALLFS_DIR" | tail -1 | tr -d ' ') free)"
}

stop_smallfs() {
	if libvirt_ok && virsh_ pool-info "$SMALLFS_POOL" >/dev/null 2>&1; then
		virsh_ pool-destroy "$SMALLFS_POOL" >/dev/null 2>&1 || true
		virsh_ pool-undefine "$SMALLFS_POOL" >/dev/null || warn "could not undefine pool $SMALLFS_POOL"
	fi
	if smallfs_mounted; then umount "$SMALLFS_DIR" || warn "could not unmount $SMALLFS_DIR"; fi
	if ! smallfs_mounted; then
		rmdir "$SMALLFS_DIR" 2>/dev/null || true
		rm -f "$SMALLFS_IMAGE"
	fi
}

# Adds smallPool to the lab.json being written ($1).
smallfs_lab_json() {
	python3 - "$1" "$SMALLFS_POOL" "$SMALLFS_DIR" "$SMALLFS_MIB" <<'EOF' || die "could not add smallPool to $1"
import json, sys
path, pool, target, mib = sys.argv[1:]
doc = json.load(open(path))
# A libvirt dir pool on a 64 MiB loop-mounted filesystem: disks that do not fit fail with ENOSPC.
doc["smallPool"] = {"name": pool, "path": target, "bytes": int(mib) * 1024 * 1024}
with open(path, "w") as f:
    json.dump(doc, f, indent=2)
    f.write("\n")
EOF
}
