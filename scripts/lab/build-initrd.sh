#!/usr/bin/env bash
# Builds the lab VM initrd: a busybox-only userland that boots to a root shell
# on ttyS0 (prompt "lab-vm# "), answers ACPI power-button (so `virsh shutdown`
# works) and DHCPs eth0 if a virtio NIC is attached.
#
# usage: build-initrd.sh KERNEL_VERSION OUTPUT_FILE
set -euo pipefail

die() { echo "build-initrd: ERROR: $*" >&2; exit 1; }

[[ $# -eq 2 ]] || die "usage: $0 KERNEL_VERSION OUTPUT_FILE"
kver=$1
out=$2
busybox=/bin/busybox

[[ -x $busybox ]] || die "$busybox missing (apt-get install busybox-static)"
# A dynamically linked busybox would need its libs copied in too.
if ldd "$busybox" >/dev/null 2>&1; then die "$busybox is dynamically linked; install busybox-static"; fi
command -v cpio >/dev/null || die "cpio missing (apt-get install cpio)"
[[ -d /lib/modules/$kver ]] || die "/lib/modules/$kver missing (kernel modules for the VM kernel)"

stage=$(mktemp -d /tmp/mirador-lab-initrd.XXXXXX)
trap 'rm -rf "$stage"' EXIT

mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,etc/init.d,etc/acpi/PWRF,proc,sys,dev,tmp,root,run,var/log,var/run,lib/modules,usr/share/udhcpc}
chmod 1777 "$stage/tmp"
cp "$busybox" "$stage/bin/busybox"
# --list-full gives each applet's canonical path (bin/sh, sbin/acpid, ...).
while read -r applet; do
	[[ $applet == bin/busybox ]] && continue
	ln -sf /bin/busybox "$stage/$applet"
done < <("$busybox" --list-full)

# The kernel opens /dev/console before /init runs; without the node the
# early output of init is lost.
mknod -m 600 "$stage/dev/console" c 5 1
mknod -m 666 "$stage/dev/null" c 1 3

# Only a handful of drivers are modules in Debian's cloud kernel; without
# button+evdev the ACPI power button never reaches acpid. modprobe resolves
# the dependency order for us.
: >"$stage/etc/modules.order"
for mod in virtio_pci virtio_net virtio_blk virtio_console button evdev; do
	if ! deps=$(modprobe -S "$kver" --show-depends "$mod" 2>/dev/null); then
		echo "build-initrd: warning: module $mod not found for $kver, VM will lack it" >&2
		continue
	fi
	while read -r verb path _; do
		[[ $verb == insmod ]] || continue # "builtin foo" needs nothing
		name=$(basename "$path")
		grep -qxF "$name" "$stage/etc/modules.order" && continue
		cp "$path" "$stage/lib/modules/$name"
		echo "$name" >>"$stage/etc/modules.order"
	done <<<"$deps"
done

cat >"$stage/init" <<'EOF'
#!/bin/sh
# Mount the API filesystems, then hand PID 1 to busybox init (which gives us
# respawning, and a proper poweroff when acpid or the user asks for it).
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /run
exec /sbin/init
EOF

cat >"$stage/etc/inittab" <<'EOF'
::sysinit:/etc/init.d/rcS
ttyS0::respawn:-/bin/sh
tty1::respawn:/etc/init.d/screen-shell
::ctrlaltdel:/sbin/reboot
::shutdown:/bin/sync
EOF

cat >"$stage/etc/init.d/rcS" <<'EOF'
#!/bin/sh
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
hostname lab-vm
for m in $(cat /etc/modules.order); do insmod "/lib/modules/$m" 2>/dev/null; done
ip link set lo up
acpid -l /dev/null
if [ -e /sys/class/net/eth0 ]; then
	# Backgrounded so a missing DHCP server never delays the prompt.
	(udhcpc -f -S -i eth0 -x hostname:lab-vm -s /usr/share/udhcpc/default.script >/dev/null 2>&1 &)
fi
echo "mirador-lab-vm ready" >/dev/ttyS0
EOF

# With a VGA display (the VNC screen) tty1 gets a banner and a shell, so the screen shows something
# live and Ctrl-Alt-Del typed on it reboots the guest; without one the VT has nothing to show.
cat >"$stage/etc/init.d/screen-shell" <<'EOF'
#!/bin/sh
if grep -qs '^0x0300' /sys/bus/pci/devices/*/class; then
	printf '\nmirador-lab-vm screen (tty1)\n'
	exec /bin/sh
fi
exec sleep 2147483647
EOF

cat >"$stage/usr/share/udhcpc/default.script" <<'EOF'
#!/bin/sh
case "$1" in
deconfig)
	ip addr flush dev "$interface"
	ip link set "$interface" up
	;;
bound|renew)
	ip addr flush dev "$interface"
	ip addr add "$ip/${mask:-24}" dev "$interface"
	if [ -n "$router" ]; then ip route replace default via "${router%% *}" dev "$interface"; fi
	: >/etc/resolv.conf
	for d in $dns; do echo "nameserver $d" >>/etc/resolv.conf; done
	;;
esac
exit 0
EOF

printf '#!/bin/sh\npoweroff\n' >"$stage/etc/acpi/PWRF/00000080"

cat >"$stage/etc/profile" <<'EOF'
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
export HOME=/root
export PS1='lab-vm# '
EOF

printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$stage/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$stage/etc/group"
echo lab-vm >"$stage/etc/hostname"

chmod 755 "$stage/init" "$stage/etc/init.d/rcS" "$stage/etc/init.d/screen-shell" "$stage/usr/share/udhcpc/default.script" "$stage/etc/acpi/PWRF/00000080"

tmp_out="$out.tmp.$$"
(cd "$stage" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet -R 0:0) | gzip -9n >"$tmp_out"
chmod 644 "$tmp_out"
mv -f "$tmp_out" "$out"
