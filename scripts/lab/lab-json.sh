# shellcheck shell=bash
# Part of scripts/lab.sh (sourced, never run alone): .lab/lab.json, what the tests read.
# Uses the settings and helpers lab.sh defines before sourcing it.

# ---------------------------------------------------------------- lab.json --

write_lab_json() {
	local tmp=$LAB_JSON.tmp.$$
	python3 - "$tmp" \
		"$DOCKER_SOCK" "$LIBVIRT_URI" "$SSH_PORT" "$SSH_DIR" "$(fingerprint "$SSH_DIR/host_key_a.pub")" \
		"$IMPOSTOR_PORT" "$(fingerprint "$SSH_DIR/host_key_b.pub")" "$DOCKER_IMAGE" "$BOOT_DIR" \
		"$VM_CMDLINE" "$VM_PROMPT" "$VM_BANNER" "$LIBVIRT_NETWORK" "$(command -v chromium)" \
		"$REGISTRY_ADDR" "$REGISTRY_USER" "$REGISTRY_DIR/password" "$LAB_BRIDGE" \
		"$SECOND_USER" "$SECOND_URI" "$SECOND_SSH_PORT" "$(fingerprint "$SECOND_HOST_KEY.pub")" "$SECOND_KNOWN_HOSTS" \
		"${SECOND_HOST_UUID:-}" "$(second_migration_uri)" \
		<<'EOF' || die "could not write $LAB_JSON"
import json, sys
(out, sock, uri, port, ssh_dir, fp_a, imp_port, fp_b, image, boot, cmdline, prompt, banner, net,
 chromium, reg_addr, reg_user, reg_pw_file, bridge,
 second_user, second_uri, second_port, second_fp, second_known_hosts, second_uuid, second_migration_uri) = sys.argv[1:]
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
    # A Linux bridge with no uplink, for bridged libvirt networks.
    "bridge": bridge,
    "chromiumPath": chromium,
    "registry": {
        "address": reg_addr,
        "username": reg_user,
        "password": open(reg_pw_file).read().strip(),
    },
    # A second, distinct libvirt to migrate to: the session daemon of an unprivileged user behind its own sshd
    # (scripts/lab/second-libvirt.sh). Same key as "ssh"; its own host key and host_uuid.
    "secondLibvirt": {
        "user": second_user,
        "uri": second_uri,
        "hostUuid": second_uuid or None,
        "ssh": {
            "host": "127.0.0.1",
            "port": int(second_port),
            "user": second_user,
            "privateKeyPath": f"{ssh_dir}/id_ed25519",
            "knownHostsPath": second_known_hosts,
            "hostKeyFingerprint": second_fp,
        },
        # What the source host (root, with its own ~/.ssh that lab.sh paired) passes to `virsh migrate`.
        "migrationUri": second_migration_uri,
    },
}
with open(out, "w") as f:
    json.dump(doc, f, indent=2)
    f.write("\n")
EOF
	fault_lab_json "$tmp"
	smallfs_lab_json "$tmp"
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
             bridge $LAB_BRIDGE (no uplink) for bridged networks
  ssh      : ssh -i $SSH_DIR/id_ed25519 -p $SSH_PORT -o UserKnownHostsFile=$SSH_DIR/known_hosts root@127.0.0.1
             host key $(fingerprint "$SSH_DIR/host_key_a.pub")
  impostor : 127.0.0.1:$IMPOSTOR_PORT, same login, different host key $(fingerprint "$SSH_DIR/host_key_b.pub")
  second   : $SECOND_URI of user $SECOND_USER, ssh 127.0.0.1:$SECOND_SSH_PORT (same key), a migration destination:
             virsh migrate --live --persistent --undefinesource VM '$(second_migration_uri)' --migrateuri tcp://127.0.0.1
  registry : http://$REGISTRY_ADDR, user $REGISTRY_USER, password in $REGISTRY_DIR/password
             e.g. docker login $REGISTRY_ADDR -u $REGISTRY_USER --password-stdin <$REGISTRY_DIR/password
  vm kit   : kernel $BOOT_DIR/vmlinuz, initrd $BOOT_DIR/initrd.img, cmdline '$VM_CMDLINE'
             serial console prompt '$VM_PROMPT'; ACPI shutdown works; eth0 uses DHCP
  logs     : $LOGS/
EOF
}
