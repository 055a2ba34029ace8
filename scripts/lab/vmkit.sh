# shellcheck shell=bash
# Part of scripts/lab.sh (sourced, never run alone): the tiny bootable VM kit (kernel + busybox initrd).
# Uses the settings and helpers lab.sh defines before sourcing it.

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
