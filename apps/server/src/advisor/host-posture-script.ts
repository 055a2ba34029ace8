/**
 * The probe that reads a host's security posture in ONE round trip: a fixed POSIX sh script, run as
 * `sh -c SCRIPT mirador-posture <marker> <libvirt URI or ""> <1|0: read pending updates>` through the
 * one argv quoting helper.
 * Nothing Mirador holds (names, XML, user text) is ever spliced into it: the two positional
 * arguments are a random marker, a URI checked against the few Mirador builds and a flag. Whatever the
 * host itself holds (domain names, config paths) stays in double-quoted shell variables.
 *
 * It prints sections `@@<marker>:<name> <args>@@`; the random marker means file contents or XML on
 * the host cannot fake a section. Each command is bounded with `timeout` and each section with
 * `head`; a missing or unreadable file prints `missing`/`denied` instead of guessing. It only reads:
 * `apt list --upgradable` answers from the downloaded lists (no resolver run, no download; a
 * package whose candidate comes from a `*-security` suite is a security update) and `dnf -C` never downloads.
 */
export const POSTURE_SCRIPT = String.raw`
LC_ALL=C; export LC_ALL
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH
M="$1"; U="$2"; W="$3"
s() { printf '@@%s:%s@@\n' "$M" "$*"; }
t() { timeout 10 "$@"; }
keys='access_drivers|unix_sock_group|unix_sock_rw_perms|unix_sock_ro_perms|auth_unix_rw|auth_unix_ro|listen_tcp|listen_tls|listen_addr|auth_tcp|auth_tls|tcp_port|user|group|security_driver|security_default_confined|security_require_confined|vnc_listen|vnc_password|vnc_tls|vnc_auto_unix_socket|spice_listen|spice_password|spice_tls'
readfile() {
  if [ ! -e "$1" ]; then s file "$1" missing
  elif [ ! -r "$1" ]; then s file "$1" denied
  else s file "$1" ok; grep -nE "^[[:space:]]*($keys)[[:space:]]*=" "$1" | sed -E 's/^([0-9]+:[[:space:]]*(vnc|spice)_password[[:space:]]*=[[:space:]]*)"[^"]+".*$/\1"***"/' | head -n 200
  fi
}
s id; id -u 2>&1
readfile /etc/libvirt/libvirtd.conf
readfile /etc/libvirt/virtqemud.conf
readfile /etc/libvirt/qemu.conf
s sockets
for p in /run/libvirt/libvirt-sock /run/libvirt/virtqemud-sock; do [ -S "$p" ] && stat -c '%n %U %G %a' "$p" 2>&1; done
s procs
ps -eo pid=,user:32=,comm= 2>/dev/null | head -n 5000 | while read -r pid user comm; do
  case "$comm" in
    libvirtd|virtqemud|virtproxyd|dockerd|sshd|qemu-system-*|qemu-kvm|qemu)
      label=$(tr -d '\000\n' < "/proc/$pid/attr/current" 2>/dev/null)
      args=$(tr '\000\n' '  ' < "/proc/$pid/cmdline" 2>/dev/null | cut -c1-4000)
      case "$comm" in qemu*) args=$(printf '%s\n' "$args" | grep -oE 'guest=[^, ]+' | head -n 1) ;; esac
      [ -n "$label" ] || label=-
      printf '%s\t%s\t%s\t%s\t%s\n' "$pid" "$user" "$comm" "$label" "$args" ;;
  esac
done
s groups
getent group 2>/dev/null | head -n 2000
s primary
getent passwd 2>/dev/null | cut -d: -f1,4 | head -n 5000
for d in /etc/polkit-1/rules.d /usr/share/polkit-1/rules.d; do
  if [ ! -e "$d" ]; then s polkit-dir "$d" missing
  elif [ ! -r "$d" ] || [ ! -x "$d" ]; then s polkit-dir "$d" denied
  else
    s polkit-dir "$d" ok
    for f in "$d"/*.rules; do
      [ -f "$f" ] || continue
      grep -q 'org\.libvirt' "$f" 2>/dev/null || continue
      s polkit-file "$f"; head -c 16384 "$f"; echo
    done
  fi
done
s secmodels
if [ -n "$U" ]; then
  out=$(t virsh -c "$U" capabilities 2>&1); echo "rc $?"
  printf '%s\n' "$out" | awk '/<secmodel>/{f=1} f&&/<model>/{print} /<\/secmodel>/{f=0} /^error/{print}' | head -n 20
fi
if [ -n "$U" ]; then
  run=$(t virsh -c "$U" list --name 2>&1); rc1=$?
  all=$(t virsh -c "$U" list --all --name 2>&1); rc2=$?
  s domains "$rc1" "$rc2" "$(printf '%s\n' "$all" | grep -c .)"
  if [ "$rc1" != 0 ] || [ "$rc2" != 0 ]; then printf '%s\n%s\n' "$run" "$all" | head -n 5
  else
    q="'"
    # Keeps markers, the name line after each, and the security-relevant XML lines (60 per domain), passwords masked.
    keep() { awk -v m="@@$M:" -v q="$q" '
      index($0, m) == 1 { print; name = 1; n = 0; next }
      name { print; name = 0; next }
      /^[[:space:]]*<(domain |\/?graphics|listen |\/?seclabel|label>|imagelabel>|baselabel>)/ || /^error/ {
        if (n++ < 60) { gsub("passwd=" q "[^" q "]+" q, "passwd=" q "***" q); gsub(/passwd="[^"]+"/, "passwd=\"***\""); print }
      }'; }
    state() { if printf '%s\n' "$run" | grep -qxF -e "$1"; then echo running; else echo shutoff; fi; }
    names=$(printf '%s\n' "$all" | grep . | head -n 300)
    # Plain names are read in ONE virsh session (its command parser sees only letters, digits and ._+:@=-);
    # any other name gets its own virsh, the name passed as one quoted argument.
    batch=$(printf '%s\n' "$names" | while IFS= read -r d; do
      case "$d" in [A-Za-z0-9]*) ;; *) continue ;; esac
      case "$d" in *[!A-Za-z0-9._+:@=-]*) continue ;; esac
      printf 'echo @@%s:domain %s@@; echo %s; dumpxml --security-info --domain %s; ' "$M" "$(state "$d")" "$d" "$d"
    done)
    [ -z "$batch" ] || timeout 60 virsh -c "$U" "$batch" 2>/dev/null | keep
    printf '%s\n' "$names" | while IFS= read -r d; do
      case "$d" in [A-Za-z0-9]*) case "$d" in *[!A-Za-z0-9._+:@=-]*) ;; *) continue ;; esac ;; esac
      { s domain "$(state "$d")"; printf '%s\n' "$d"; t virsh -c "$U" dumpxml --security-info --domain "$d" 2>&1; } | keep
    done
  fi
fi
s listeners
if command -v ss >/dev/null 2>&1; then t ss -Hltnp 2>&1 | head -n 1000; else echo "no-ss"; fi
s units
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  for u in libvirtd-tcp.socket libvirtd-tls.socket virtproxyd-tcp.socket virtproxyd-tls.socket; do printf '%s %s\n' "$u" "$(t systemctl is-active "$u" 2>/dev/null)"; done
else echo "no-systemd"; fi
f=/etc/docker/daemon.json
if [ ! -e "$f" ]; then s docker-json missing; elif [ ! -r "$f" ]; then s docker-json denied; else s docker-json ok; head -c 65536 "$f"; echo; fi
sshd=$(command -v sshd 2>/dev/null || echo /usr/sbin/sshd)
cfgs=$(ps -eo pid=,comm= 2>/dev/null | awk '$2=="sshd"{print $1}' | while read -r pid; do
  a=$(tr '\000\n' '  ' < "/proc/$pid/cmdline" 2>/dev/null)
  case "$a" in ''|*@*|*'[priv]'*|*'[net]'*|*'[accepted]'*) continue ;; esac
  c=$(printf '%s\n' "$a" | awk '{for(i=1;i<NF;i++) if($i=="-f"){print $(i+1); exit}}')
  [ -n "$c" ] || c=/etc/ssh/sshd_config
  printf '%s\n' "$c"
done | sort -u | head -n 20)
if [ -z "$cfgs" ]; then s sshd-none; cfgs=/etc/ssh/sshd_config; fi
printf '%s\n' "$cfgs" | while IFS= read -r c; do
  if out=$(t "$sshd" -T -f "$c" 2>&1); then
    s sshd-t "$c"
    printf '%s\n' "$out" | grep -iE '^(passwordauthentication|kbdinteractiveauthentication|usepam|permitrootlogin|permitemptypasswords|authenticationmethods|listenaddress|port) ' | head -n 50
  else
    s sshd-file "$c"; printf 'error %s\n' "$(printf '%s' "$out" | head -n 1 | cut -c1-200)"
    for g in "$c" /etc/ssh/sshd_config.d/*.conf; do
      [ -f "$g" ] || continue
      [ -r "$g" ] || { printf '%s:0:denied\n' "$g"; continue; }
      grep -nHiE '^[[:space:]]*(PasswordAuthentication|KbdInteractiveAuthentication|ChallengeResponseAuthentication|UsePAM|PermitRootLogin|PermitEmptyPasswords|Include|Match)([[:space:]]|=)' "$g" | head -n 100
    done
  fi
done
s updates
if [ "$W" != 1 ]; then echo "skipped"
elif command -v apt-get >/dev/null 2>&1; then
  echo "tool apt"
  echo "lists $(find /var/lib/apt/lists -maxdepth 1 -type f -name '*Release' -printf '%T@\n' 2>/dev/null | sort -n | tail -n 1 | cut -d. -f1)"
  out=$(timeout 40 apt list --upgradable 2>&1); echo "rc $?"
  echo "inst $(printf '%s\n' "$out" | grep -c 'upgradable from')"
  printf '%s\n' "$out" | grep -E '^[^ /]+/[^ ]*security[^ ]* .*upgradable from' | head -n 500
  printf '%s\n' "$out" | grep -E '^(E|W): ' | head -n 5
elif command -v dnf >/dev/null 2>&1; then
  echo "tool dnf"
  out=$(timeout 40 dnf -C -q updateinfo list --security 2>&1); echo "rc $?"
  printf '%s\n' "$out" | head -n 500
else echo "tool none"; fi
s end
`;
