#!/usr/bin/env bash
# mountbench's test VM engine (issue #15): a Docker-Desktop-like engine on a Linux host.
#
# A Debian guest under qemu runs containerd + dockerd; one host folder is shared into it at the
# SAME absolute path (virtiofs or 9p, as Docker Desktop shares /Users), and the guest's Docker
# API is forwarded to 127.0.0.1 only. A bind mount in a container on this engine crosses the VM
# boundary, a named volume or a tmpfs stays on the guest's own disk or memory: the topology of
# Docker Desktop, OrbStack, Colima and Podman machine, reproducible on a Linux CI machine.
#
# Needs root (apt-get, debootstrap, mke2fs of a root-owned tree, virtiofsd), amd64, Debian or a
# derivative with Debian's archive configured. See usage() or `engine.sh help`.
#
# --arch arm64 (issue #24) builds and runs a linux/arm64 guest instead, as a Mac's engine is:
# qemu-system-aarch64 -M virt on the software CPU, Debian's arm64 kernel, debootstrap --arch
# arm64 whose second stage runs here through qemu-user-static (a binfmt_misc registration that
# lasts only that stage). Its cache and run state are folders of their own (suffix -arm64), so
# both guests can run at once.
# shellcheck disable=SC2054  # commas inside qemu arguments are qemu's syntax, not array separators
set -euo pipefail

# ------------------------------------------------------------------------------------ settings
SUITE=${MOUNTBENCH_VM_SUITE:-bookworm}              # the guest's Debian release
DISK_SIZE=${MOUNTBENCH_VM_DISK_SIZE:-16G}           # nominal size of the sparse guest disk
NICE=${MOUNTBENCH_VM_NICE:-10}                      # niceness of the heavy steps and of qemu
GUEST_PACKAGES=docker.io,iproute2,iptables,kmod,procps,ca-certificates
VIRTIOFSD=${MOUNTBENCH_VM_VIRTIOFSD:-/usr/lib/qemu/virtiofsd}
SHARE_TAG=mbshare
GUEST_API_PORT=2375
# Modules the initramfs loads (with their dependencies, resolved from modules.dep at build time):
# the disk, the root filesystem, the network card and both ways of sharing a folder.
INITRAMFS_MODULES=(virtio_pci virtio_blk virtio_net crc32c_generic ext4 virtiofs 9pnet_virtio 9p)
# Parts of the kernel's module tree the guest keeps (docker needs overlay, bridge, veth,
# netfilter; the rest of the tree is hardware a qemu guest does not have).
GUEST_MODULE_DIRS=(arch crypto fs lib net drivers/block drivers/char drivers/md drivers/net
                   drivers/virtio)
GUEST_MODULE_PRUNE=(drivers/net/wireless drivers/net/ethernet drivers/net/usb drivers/net/can
                    drivers/net/wwan drivers/net/ieee802154 drivers/net/hamradio
                    drivers/net/wan net/wireless net/mac80211 net/bluetooth)
HOST_ARCH=$(dpkg --print-architecture 2>/dev/null || echo amd64)
BINFMT=/proc/sys/fs/binfmt_misc

# The guest's architecture (--arch; amd64 unless given): the qemu that runs it, its machine and
# console, the host packages it needs, and its own cache and state folders (suffix -ARCH).
set_arch() {
  local suffix=""
  case $1 in
    amd64 | x86_64) ARCH=amd64 QEMU_SYSTEM=qemu-system-x86_64 MACHINE=q35 CONSOLE=ttyS0
      TCG_CPU=max BOOT_TIMEOUT=180
      HOST_PACKAGES=(qemu-system-x86 qemu-utils debootstrap busybox-static kmod cpio e2fsprogs socat) ;;
    # pauth-impdef: pointer authentication with qemu's cheap hash, not QARMA, which costs TCG
    # much of its speed; booting dockerd under emulation of another ISA takes minutes.
    arm64 | aarch64) ARCH=arm64 QEMU_SYSTEM=qemu-system-aarch64 MACHINE=virt CONSOLE=ttyAMA0
      TCG_CPU=max,pauth-impdef=on BOOT_TIMEOUT=900 QEMU_USER_ARCH=aarch64
      HOST_PACKAGES=(qemu-system-arm qemu-user-static qemu-utils debootstrap busybox-static kmod cpio
                     e2fsprogs socat) ;;
    *) die "--arch must be amd64 or arm64" ;;
  esac
  [[ $ARCH == amd64 ]] || suffix=-$ARCH
  VM_NAME=mountbench-vm$suffix
  VM_DIR=${MOUNTBENCH_VM_DIR:-/var/cache/mountbench-vm}$suffix
  STATE_DIR=${MOUNTBENCH_VM_STATE_DIR:+$MOUNTBENCH_VM_STATE_DIR$suffix}
  STATE_DIR=${STATE_DIR:-$VM_DIR/state}
}
foreign_guest() { [[ $ARCH != "$HOST_ARCH" ]]; }

# ------------------------------------------------------------------------------------- helpers
T_START=${EPOCHREALTIME/./}
elapsed_since() { # microsecond stamp -> "12.3"
  local us=$(( ${EPOCHREALTIME/./} - $1 ))
  printf '%d.%01d' $(( us / 1000000 )) $(( us % 1000000 / 100000 ))
}
say() { printf '[mb-vm %6ss] %s\n' "$(elapsed_since "$T_START")" "$*" >&2; }
die() { printf 'engine.sh: error: %s\n' "$*" >&2; exit 1; }
need_root() { [[ $(id -u) == 0 ]] || die "'$1' needs root (apt-get, debootstrap, mke2fs, virtiofsd)"; }
niced() { nice -n "$NICE" "$@"; }

# Run "$@" as one build step: a progress line before and one with its duration after.
step() {
  local what=$1; shift
  local t0=${EPOCHREALTIME/./}
  say "$what ..."
  "$@"
  say "$what: done in $(elapsed_since "$t0") s"
}

# A short hash of the text of the given functions plus extra strings: the build inputs of a
# stage. Editing any of those functions (or the strings) makes the stage rebuild.
inputs_hash() {
  local -a fns=() extra=()
  while (($#)); do
    if [[ $1 == -- ]]; then shift; extra=("$@"); break; fi
    fns+=("$1"); shift
  done
  { declare -f "${fns[@]}"; printf '%s\n' "${extra[@]}"; } | sha256sum | cut -c1-16
}
stamp_ok() { [[ -f $VM_DIR/$1.stamp && $(<"$VM_DIR/$1.stamp") == "$2" ]]; }
stamp_set() { printf '%s\n' "$2" > "$VM_DIR/$1.stamp"; }

# "PID STARTTIME" for a live process: the start time (in clock ticks since boot) tells a live
# process of ours from a later one that got the same pid.
stat_fields() { # pid -> the fields of /proc/PID/stat after "(comm)" (comm may hold spaces)
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  echo "${stat##*) }"
}
proc_starttime() {
  local -a f
  read -ra f <<< "$(stat_fields "$1")" && ((${#f[@]} > 19)) || return 1
  echo "${f[19]}"                           # field 22 of stat (state is field 3, f[0])
}
pid_record() { echo "$1 $(proc_starttime "$1")"; }
# True when the process recorded in file $1 ("PID STARTTIME") is still that process.
recorded_alive() {
  local pid start now
  [[ -f $1 ]] || return 1
  read -r pid start < "$1" || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  now=$(proc_starttime "$pid") || return 1
  [[ $now == "$start" ]]
}
recorded_pid() { local pid _; read -r pid _ < "$1"; echo "$pid"; }
first_match() { local p; for p in "$@"; do [[ -e $p ]] && { echo "$p"; return 0; }; done; return 0; }
peak_rss() { awk '/^VmHWM/ {printf "%.0f MiB", $2/1024}' "/proc/$1/status" 2>/dev/null || true; }

# ------------------------------------------------------------------------------ build: tools
# Installs the host packages that are missing; `apt-get update` once when one is unknown.
ensure_host_packages() {
  local -a missing=()
  local p
  for p in "${HOST_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  ((${#missing[@]})) || { say "host packages: all present"; return 0; }
  say "host packages missing: ${missing[*]}"
  for p in "${missing[@]}"; do
    if ! apt-cache show "$p" >/dev/null 2>&1; then
      say "apt-get update (package $p unknown)"
      apt-get update -qq >&2
      break
    fi
  done
  DEBIAN_FRONTEND=noninteractive niced apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}

# --------------------------------------------------------------------------- build: guest apt
# apt for the guest's own packages (kernel, busybox): the host's apt for a guest of the host's
# architecture; for another one, apt with a private state in $VM_DIR/apt that knows only the
# guest's architecture, from the same mirror (the host's dpkg is left alone: no
# --add-architecture). Usage: guest_apt apt-get|apt-cache ARGS...
guest_apt() {
  local tool=$1; shift
  foreign_guest || { "$tool" "$@"; return; }
  local d=$VM_DIR/apt
  mkdir -p "$d/state/lists/partial" "$d/cache/archives/partial" "$d/sources.list.d"
  [[ -f $d/status ]] || : > "$d/status"
  printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n' \
    "$(debian_mirror)" "$SUITE" "$(debian_mirror)" "$SUITE-updates" > "$d/sources.list"
  "$tool" -o "APT::Architecture=$ARCH" -o "APT::Architectures=$ARCH" -o "Dir::State=$d/state" \
    -o "Dir::State::status=$d/status" -o "Dir::Cache=$d/cache" \
    -o "Dir::Etc::SourceList=$d/sources.list" -o "Dir::Etc::SourceParts=$d/sources.list.d" "$@"
}

# ----------------------------------------------------------------------------- build: kernel
# The newest standard-flavour Debian kernel the package lists know (its 9p and virtiofs are
# modules; the -cloud flavour has no 9p). MOUNTBENCH_VM_KERNEL=linux-image-... pins one.
newest_kernel_in_lists() {
  guest_apt apt-cache pkgnames linux-image- \
    | grep -E "^linux-image-[0-9]+\\.[0-9]+\\.[0-9]+-[0-9]+-$ARCH\$" \
    | sort -V | tail -1 || true
}
kernel_package() {
  if [[ -n ${MOUNTBENCH_VM_KERNEL:-} ]]; then echo "$MOUNTBENCH_VM_KERNEL"; return; fi
  local pkg
  pkg=$(newest_kernel_in_lists)
  if [[ -z $pkg ]]; then
    say "apt-get update (no linux-image-*-$ARCH known)"
    guest_apt apt-get update -qq >&2
    pkg=$(newest_kernel_in_lists)
  fi
  [[ -n $pkg ]] || die "no linux-image-<version>-$ARCH package in the apt lists"
  echo "$pkg"
}
package_version() { guest_apt apt-cache policy "$1" | awk '/Candidate:/ {print $2}'; }

# Downloads and unpacks the kernel into $VM_DIR/kernel: vmlinuz, release, and root/lib/modules
# pruned to the parts a qemu guest uses, with its modules.dep.
fetch_kernel() {
  local pkg=$1 tmp kver src dst d
  tmp=$(mktemp -d "$VM_DIR/kernel.tmp.XXXXXX")
  (cd "$tmp" && guest_apt apt-get download -qq -o APT::Sandbox::User=root "$pkg")
  niced dpkg -x "$tmp"/"$pkg"_*.deb "$tmp/x"
  src=$(first_match "$tmp"/x/lib/modules/* "$tmp"/x/usr/lib/modules/*)
  [[ -n $src ]] || die "no modules in $pkg"
  kver=${src##*/}
  dst=$tmp/out/root/lib/modules/$kver
  mkdir -p "$dst/kernel"
  cp "$tmp/x/boot/vmlinuz-$kver" "$tmp/out/vmlinuz"
  cp -a "$src"/modules.builtin* "$src"/modules.order "$dst"/
  for d in "${GUEST_MODULE_DIRS[@]}"; do
    [[ -d $src/kernel/$d ]] || continue
    mkdir -p "$(dirname "$dst/kernel/$d")"
    cp -a "$src/kernel/$d" "$dst/kernel/$d"
  done
  for d in "${GUEST_MODULE_PRUNE[@]}"; do rm -rf "${dst:?}/kernel/$d"; done
  depmod -b "$tmp/out/root" "$kver"
  echo "$kver" > "$tmp/out/release"
  rm -rf "$VM_DIR/kernel"
  mv "$tmp/out" "$VM_DIR/kernel"
  rm -rf "$tmp"
}

# -------------------------------------------------------------------------- build: initramfs
# The initramfs's busybox: the host's busybox-static for a guest of the host's architecture,
# else the guest architecture's package, unpacked into $VM_DIR/busybox by fetch_busybox.
initramfs_busybox() {
  if foreign_guest; then
    first_match "$VM_DIR"/busybox/bin/busybox "$VM_DIR"/busybox/usr/bin/busybox
  else
    dpkg -L busybox-static | grep -E '/bin/busybox$' | head -1
  fi
}
busybox_version() {
  if foreign_guest; then package_version busybox-static; else dpkg-query -W -f='${Version}' busybox-static; fi
}
fetch_busybox() {
  local tmp
  tmp=$(mktemp -d "$VM_DIR/busybox.tmp.XXXXXX")
  (cd "$tmp" && guest_apt apt-get download -qq -o APT::Sandbox::User=root busybox-static)
  dpkg -x "$tmp"/busybox-static_*.deb "$tmp/x"
  rm -rf "$VM_DIR/busybox"
  mv "$tmp/x" "$VM_DIR/busybox"
  rm -rf "$tmp"
}

# /init of the initramfs (busybox sh): load the modules in dependency order, mount /dev/vda,
# switch_root into it and hand over to tini, which reaps and runs the guest's boot script.
initramfs_init() {
  cat <<'INIT'
#!/bin/busybox sh
# mountbench test VM, initramfs stage (generated by scripts/vm/engine.sh)
/bin/busybox mount -t devtmpfs devtmpfs /dev
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox --install -s /bin
export PATH=/bin
up() { cut -d' ' -f1 /proc/uptime; }
echo "mb-initramfs [$(up)s] loading modules"
while read -r m; do
  insmod "/lib/modules/$m" || echo "mb-initramfs: insmod $m failed"
done < /lib/modules/order
i=0
while [ ! -b /dev/vda ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
if ! mount -t ext4 -o rw /dev/vda /newroot; then
  echo "mb-initramfs: cannot mount /dev/vda; powering off"
  poweroff -f
fi
echo "mb-initramfs [$(up)s] switching to /dev/vda"
mount --move /dev /newroot/dev
mount --move /proc /newroot/proc
mount --move /sys /newroot/sys
guest=/usr/local/sbin/mb-guest-init
if [ -x /newroot/usr/bin/tini ]; then
  exec switch_root /newroot /usr/bin/tini -- "$guest"
fi
exec switch_root /newroot "$guest"
INIT
}

build_initramfs() {
  local kroot=$VM_DIR/kernel/root kver tmp m line path n=0
  kver=$(<"$VM_DIR/kernel/release")
  tmp=$(mktemp -d "$VM_DIR/initramfs.tmp.XXXXXX")
  mkdir -p "$tmp"/{bin,dev,proc,sys,newroot,lib/modules}
  cp "$(initramfs_busybox)" "$tmp/bin/busybox"
  mknod -m 600 "$tmp/dev/console" c 5 1
  mknod -m 666 "$tmp/dev/null" c 1 3
  : > "$tmp/lib/modules/order"
  # modprobe prints "insmod PATH" for each module and its dependencies, dependencies first.
  for m in "${INITRAMFS_MODULES[@]}"; do
    while read -r line; do
      [[ $line == insmod\ * ]] || continue
      path=${line#insmod }; path=${path%% *}
      local base=${path##*/}; base=${base%.ko*}.ko
      grep -qx "[0-9]*-$base" "$tmp/lib/modules/order" && continue
      n=$((n + 1))
      local name; name=$(printf '%02d-%s' "$n" "$base")
      case $path in
        *.ko.xz) xz -dc "$path" > "$tmp/lib/modules/$name" ;;
        *.ko.zst) zstd -qdc "$path" > "$tmp/lib/modules/$name" ;;
        *.ko.gz) gzip -dc "$path" > "$tmp/lib/modules/$name" ;;
        *) cp "$path" "$tmp/lib/modules/$name" ;;
      esac
      echo "$name" >> "$tmp/lib/modules/order"
    done < <(modprobe -d "$kroot" -S "$kver" --show-depends "$m")
  done
  initramfs_init > "$tmp/init"
  chmod 755 "$tmp/init"
  find "$tmp" -exec touch -h -d @0 {} +            # same inputs, same bytes
  (cd "$tmp" && find . -print0 | LC_ALL=C sort -z \
     | cpio --null -o -H newc --quiet --reproducible | gzip -6 -n) > "$VM_DIR/initrd.img.tmp"
  mv "$VM_DIR/initrd.img.tmp" "$VM_DIR/initrd.img"
  say "initramfs: $n modules: $(sed 's/^[0-9]*-//; s/\.ko$//' "$tmp/lib/modules/order" | tr '\n' ' ')"
  rm -rf "$tmp"
}

# ----------------------------------------------------------------------------- build: rootfs
# The Debian mirror apt uses here (deb822 .sources or one-line .list), else deb.debian.org.
debian_mirror() {
  if [[ -n ${MOUNTBENCH_VM_MIRROR:-} ]]; then echo "$MOUNTBENCH_VM_MIRROR"; return; fi
  local uri
  uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources \
          2>/dev/null | awk '
        /^[[:space:]]*URIs:/ { for (i = 2; i <= NF; i++) print $i }
        /^[[:space:]]*deb[[:space:]]/ { for (i = 2; i <= NF; i++) if ($i !~ /^\[|\]$|=/) { print $i; break } }' \
        | grep -E '^https?://.*/debian/?$' | grep -v security | head -1 || true)
  echo "${uri:-http://deb.debian.org/debian}"
}

debootstrap_failed() { tail -20 "$VM_DIR/debootstrap.log" >&2; die "debootstrap failed (log: $VM_DIR/debootstrap.log)"; }

debootstrap_rootfs() {
  local mirror=$1 tmp=$VM_DIR/rootfs.tmp log=$VM_DIR/debootstrap.log
  unmount_under "$tmp"
  rm -rf "$tmp"
  if foreign_guest; then
    niced debootstrap --arch="$ARCH" --foreign --variant=minbase --include="$GUEST_PACKAGES" \
      "$SUITE" "$tmp" "$mirror" > "$log" 2>&1 || debootstrap_failed
    second_stage "$tmp" || debootstrap_failed
  else
    niced debootstrap --variant=minbase --include="$GUEST_PACKAGES" "$SUITE" "$tmp" "$mirror" \
      > "$log" 2>&1 || debootstrap_failed
  fi
  rm -f "$tmp"/var/cache/apt/archives/*.deb "$tmp"/var/cache/apt/*.bin
  rm -rf "$tmp"/var/lib/apt/lists/* "$tmp"/debootstrap
  rm -rf "$VM_DIR/rootfs"
  mv "$tmp" "$VM_DIR/rootfs"
}

# Unmounts whatever is mounted under folder $1 (a second stage that died may leave the
# guest's /proc or /sys mounted), deepest first.
unmount_under() {
  local m
  awk -v d="$1/" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r | while read -r m; do
    umount -l "$m" || true
  done
}

# Second stage of a foreign debootstrap: the guest's dpkg configures its packages here,
# through qemu-user-static and a binfmt_misc registration that lasts only this stage: removed
# on success, failure and interrupt (a subshell with its own EXIT trap).
second_stage() ( # rootfs
  BINFMT_OURS=0 BINFMT_MOUNTED=0
  trap 'binfmt_release; unmount_under "$1"' EXIT
  trap 'exit 130' INT TERM HUP
  binfmt_take
  niced chroot "$1" /debootstrap/debootstrap --second-stage >> "$VM_DIR/debootstrap.log" 2>&1
)

# Registers qemu-user-static for the guest's architecture (flag F: the interpreter is opened
# now, so it works inside the chroot). One registered by someone else is used and left.
binfmt_take() {
  local name=qemu-$QEMU_USER_ARCH conf=/usr/lib/binfmt.d/qemu-$QEMU_USER_ARCH.conf
  [[ -f $conf ]] || die "$conf missing (package qemu-user-static)"
  if [[ ! -e $BINFMT/register ]]; then
    mount -t binfmt_misc binfmt_misc "$BINFMT"
    BINFMT_MOUNTED=1
  fi
  if [[ -e $BINFMT/$name ]]; then
    say "binfmt: $name was already registered (not by this script): used and left as it is"
    return 0
  fi
  grep -v '^#' "$conf" | grep -m1 . > "$BINFMT/register"
  BINFMT_OURS=1
  say "binfmt: $name registered for the second stage"
}
binfmt_release() {
  local name=qemu-$QEMU_USER_ARCH
  if [[ $BINFMT_OURS == 1 && -e $BINFMT/$name ]]; then
    echo -1 > "$BINFMT/$name"
    say "binfmt: $name unregistered"
  fi
  if [[ $BINFMT_MOUNTED == 1 ]]; then umount "$BINFMT" || true; fi
}

# ------------------------------------------------------------------------------ build: image
# The guest's boot script (run by tini): kernel filesystems, network for qemu user-net, the
# shared folder at the same absolute path, then containerd and dockerd (tcp 2375 in the guest).
guest_init_script() {
  cat <<'GUEST'
#!/bin/bash
# mountbench test VM, guest boot script (generated by scripts/vm/engine.sh)
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
up() { local u _; read -r u _ < /proc/uptime; echo "$u"; }
say() { echo "mb-guest [$(up)s] $*"; }
arg() { local w; for w in $(< /proc/cmdline); do [[ $w == "$1="* ]] && { echo "${w#*=}"; return; }; done; }
wait_for() { local i; for ((i = 0; i < $2 * 10; i++)); do [[ -e $1 ]] && return 0; sleep 0.1; done; return 1; }

mountpoint -q /proc || mount -t proc proc /proc
mountpoint -q /sys || mount -t sysfs sysfs /sys
mountpoint -q /dev || mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /dev/shm
ln -sfn /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin; ln -sf /proc/self/fd/1 /dev/stdout; ln -sf /proc/self/fd/2 /dev/stderr
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount -t tmpfs -o mode=755,nosuid,nodev tmpfs /run
mkdir -p /run/lock
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /tmp
hostname "$(< /etc/hostname)"
echo 1 > /proc/sys/net/ipv4/ip_forward

ip link set lo up
ip link set eth0 up
ip addr add 10.0.2.15/24 dev eth0
ip route add default via 10.0.2.2
say "network: eth0 10.0.2.15/24 via 10.0.2.2"

share=$(arg mb.share) fs=$(arg mb.fs) tag=$(arg mb.tag)
if [[ -n $share ]]; then
  mkdir -p "$share"
  case $fs in
    virtiofs) mount -t virtiofs "$tag" "$share" ;;
    9p) mount -t 9p -o trans=virtio,version=9p2000.L,msize=524288,cache=mmap "$tag" "$share" ;;
    *) false ;;
  esac && say "share mounted: $share ($fs)" || say "share FAILED: $share ($fs)"
fi

ulimit -n 1048576
# Daemon logs go to the console through a pipe (no terminal colours). --tls=false states that
# the plain tcp listener is meant (the port is forwarded to the host's loopback only); without
# it dockerd 20.10 sleeps 15 s at startup to show a warning.
# The daemon label tells mountbench this engine is its own test VM.
say "starting containerd"
containerd --log-level warn > >(cat) 2>&1 &
wait_for /run/containerd/containerd.sock 120 && say "containerd ready" || say "containerd FAILED to start"
say "starting dockerd"
dockerd --host=unix:///run/docker.sock --host=tcp://0.0.0.0:2375 --tls=false --label io.mountbench.engine=test-vm \
  --containerd=/run/containerd/containerd.sock --log-level warn > >(cat) 2>&1 &
say "dockerd started (pid $!); the host polls its API"
wait
say "all services ended"
GUEST
}

# Guest files written over the debootstrap tree (each replaced, never written through: the
# staging tree shares its inodes with the cached rootfs by hard links).
put_file() { # path-in-guest mode < content
  rm -f "$STAGE$1"
  mkdir -p "$(dirname "$STAGE$1")"
  cat > "$STAGE$1"
  chmod "$2" "$STAGE$1"
}

make_image() {
  local kver mods
  kver=$(<"$VM_DIR/kernel/release")
  STAGE=$VM_DIR/image.stage
  rm -rf "$STAGE" "$VM_DIR/base.img.tmp"
  cp -al "$VM_DIR/rootfs" "$STAGE"
  guest_init_script | put_file /usr/local/sbin/mb-guest-init 755
  echo "$VM_NAME" | put_file /etc/hostname 644
  printf '127.0.0.1 localhost\n127.0.1.1 %s\n::1 localhost\n' "$VM_NAME" | put_file /etc/hosts 644
  echo 'nameserver 10.0.2.3' | put_file /etc/resolv.conf 644
  # merged /usr: /lib is a relative link to usr/lib; write inside the tree, never through a link
  mods=$STAGE/lib/modules
  [[ -L $STAGE/lib ]] && mods=$STAGE/usr/lib/modules
  mkdir -p "$mods"
  cp -a "$VM_DIR/kernel/root/lib/modules/$kver" "$mods/"
  niced depmod -b "$STAGE" "$kver"
  # A new sparse file reads as zeros: mke2fs (>= 1.47) then skips zeroing the inode tables and
  # journal (and the guest does not zero them lazily either); older mke2fs zero them now.
  truncate -s "$DISK_SIZE" "$VM_DIR/base.img.tmp"
  niced mke2fs -q -F -t ext4 -L mb-root -d "$STAGE" -E assume_storage_prezeroed=1 \
      "$VM_DIR/base.img.tmp" 2>/dev/null \
    || niced mke2fs -q -F -t ext4 -L mb-root -d "$STAGE" \
         -E lazy_itable_init=0,lazy_journal_init=0 "$VM_DIR/base.img.tmp"
  mv "$VM_DIR/base.img.tmp" "$VM_DIR/base.img"     # a running guest keeps the old inode
  rm -rf "$STAGE"
}

# ------------------------------------------------------------------------------------- build
cmd_build() {
  need_root build
  mkdir -p "$VM_DIR"
  local t0=${EPOCHREALTIME/./} kpkg kpv mirror h_kernel h_initrd h_rootfs h_image
  exec 8>"$VM_DIR/build.lock"               # one build at a time; a second one waits
  flock -n 8 || { say "waiting for another build"; flock 8; }
  unmount_under "$VM_DIR/rootfs.tmp"
  rm -rf "$VM_DIR"/kernel.tmp.* "$VM_DIR"/initramfs.tmp.* "$VM_DIR"/busybox.tmp.* "$VM_DIR"/rootfs.tmp \
    "$VM_DIR"/image.stage "$VM_DIR"/*.img.tmp          # leftovers of an interrupted build
  step "host packages" ensure_host_packages
  [[ -x $VIRTIOFSD ]] || say "warning: $VIRTIOFSD missing: only --fs 9p will work"

  kpkg=$(kernel_package); kpv=$(package_version "$kpkg")
  h_kernel=$(inputs_hash fetch_kernel -- "$kpkg=$kpv" "${GUEST_MODULE_DIRS[*]}" "${GUEST_MODULE_PRUNE[*]}")
  if stamp_ok kernel "$h_kernel" && [[ -f $VM_DIR/kernel/vmlinuz ]]; then
    say "kernel: cached ($kpkg $kpv)"
  else
    step "kernel: $kpkg $kpv (download, unpack, prune modules)" fetch_kernel "$kpkg"
    stamp_set kernel "$h_kernel"
  fi

  h_initrd=$(inputs_hash build_initramfs initramfs_init initramfs_busybox -- "$h_kernel" \
               "${INITRAMFS_MODULES[*]}" "$ARCH" "$(busybox_version)")
  if stamp_ok initrd "$h_initrd" && [[ -f $VM_DIR/initrd.img ]]; then
    say "initramfs: cached"
  else
    foreign_guest && step "busybox-static ($ARCH) for the initramfs" fetch_busybox
    step "initramfs: busybox + modules" build_initramfs
    stamp_set initrd "$h_initrd"
  fi

  mirror=$(debian_mirror)
  h_rootfs=$(inputs_hash debootstrap_rootfs second_stage -- "$SUITE" "$mirror" "$GUEST_PACKAGES" "$ARCH")
  if stamp_ok rootfs "$h_rootfs" && [[ -d $VM_DIR/rootfs ]]; then
    say "rootfs: cached ($SUITE)"
  else
    step "rootfs: debootstrap $SUITE $ARCH minbase + $GUEST_PACKAGES from $mirror" \
      debootstrap_rootfs "$mirror"
    stamp_set rootfs "$h_rootfs"
  fi

  h_image=$(inputs_hash make_image put_file guest_init_script -- "$h_rootfs" "$h_kernel" "$DISK_SIZE" \
              "$VM_NAME")
  if stamp_ok image "$h_image" && [[ -f $VM_DIR/base.img ]]; then
    say "disk image: cached"
  else
    step "disk image: ext4 $DISK_SIZE (sparse) by mke2fs -d" make_image
    stamp_set image "$h_image"
  fi
  say "build ready in $(elapsed_since "$t0") s: $VM_DIR ($(du -sh "$VM_DIR" | cut -f1) on disk)"
  exec 8>&-
}

# ------------------------------------------------------------------------------------- start
# KVM only when it can run a stock kernel: /dev/kvm usable and a hardware KVM module (kvm_intel
# or kvm_amd) loaded, and no PVM (kvm_pvm, a paravirtual KVM that a stock kernel dies on).
choose_accel() {
  if foreign_guest; then
    [[ $1 != kvm ]] || die "--accel kvm cannot run an $ARCH guest on this $HOST_ARCH host"
    echo tcg
    return
  fi
  case $1 in
    tcg | kvm) echo "$1" ;;
    auto)
      if [[ -r /dev/kvm && -w /dev/kvm && ! -e /sys/module/kvm_pvm ]] \
         && [[ -e /sys/module/kvm_intel || -e /sys/module/kvm_amd ]]; then
        echo kvm
      else
        echo tcg
      fi ;;
    *) die "--accel must be auto, tcg or kvm" ;;
  esac
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

api_answers() { # port -> prints the server version when the API answers
  if command -v docker >/dev/null; then
    timeout 20 docker -H "tcp://127.0.0.1:$1" info --format '{{.ServerVersion}}' 2>/dev/null
  else
    timeout 20 curl -fsS "http://127.0.0.1:$1/version" 2>/dev/null \
      | sed -n 's/.*"Version":"\([^"]*\)".*/\1/p' | head -1 | grep .
  fi
}

console_tail() {
  echo "---- last lines of the guest console ($STATE_DIR/console.log) ----" >&2
  tail -n "${1:-40}" "$STATE_DIR/console.log" >&2 2>/dev/null || true
  [[ -s $STATE_DIR/qemu.log ]] && { echo "---- qemu.log ----" >&2; tail -n 20 "$STATE_DIR/qemu.log" >&2; }
  [[ -s $STATE_DIR/virtiofsd.log ]] && { echo "---- virtiofsd.log ----" >&2; tail -n 20 "$STATE_DIR/virtiofsd.log" >&2; }
  echo "----" >&2
}

take_lock() {
  mkdir -p "$STATE_DIR"
  exec 9>"$STATE_DIR/lock"
  flock -n 9 || die "another engine.sh start/stop holds $STATE_DIR/lock"
}

start_virtiofsd() { # share
  local sock=$STATE_DIR/virtiofsd.sock i
  rm -f "$sock"
  setsid nice -n "$NICE" "$VIRTIOFSD" -f --socket-path="$sock" -o source="$1" -o cache=auto \
    -o sandbox=namespace </dev/null >"$STATE_DIR/virtiofsd.log" 2>&1 9>&- &
  pid_record $! > "$STATE_DIR/virtiofsd.pid"
  for ((i = 0; i < 100; i++)); do
    [[ -S $sock ]] && return 0
    recorded_alive "$STATE_DIR/virtiofsd.pid" || break
    sleep 0.1
  done
  die "virtiofsd did not open $sock (log: $STATE_DIR/virtiofsd.log)"
}

start_socat() { # unix-socket-path port
  rm -f "$1"
  setsid socat -t 3600 "UNIX-LISTEN:$1,fork,mode=660" "TCP:127.0.0.1:$2" \
    </dev/null >"$STATE_DIR/socat.log" 2>&1 9>&- &
  pid_record $! > "$STATE_DIR/socat.pid"
  echo "$1" > "$STATE_DIR/unix_socket"
}

start_qemu() { # accel fs share port mem cpus
  local accel=$1 fs=$2 share=$3 port=$4 mem=$5 cpus=$6
  local -a args=(-name "$VM_NAME" -smp "$cpus" -m "$mem"
    -kernel "$VM_DIR/kernel/vmlinuz" -initrd "$VM_DIR/initrd.img"
    -append "console=$CONSOLE root=/dev/vda panic=1 quiet mb.fs=$fs mb.tag=$SHARE_TAG mb.share=$share"
    -drive "file=$(<"$STATE_DIR/disk"),format=qcow2,if=virtio,discard=unmap"
    -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$port-:$GUEST_API_PORT"
    -device virtio-net-pci,netdev=n0
    -display none -monitor none -serial "file:$STATE_DIR/console.log" -no-reboot)
  if [[ $accel == kvm ]]; then
    args+=(-accel kvm -cpu host)
  else
    args+=(-accel tcg,thread=multi,tb-size=512 -cpu "$TCG_CPU")
  fi
  case $fs in
    virtiofs)
      args+=(-machine "$MACHINE,memory-backend=mem"
        -object "memory-backend-memfd,id=mem,size=$mem,share=on"
        -chardev "socket,id=vfs,path=$STATE_DIR/virtiofsd.sock"
        -device "vhost-user-fs-pci,chardev=vfs,tag=$SHARE_TAG") ;;
    9p)
      args+=(-machine "$MACHINE"
        -virtfs "local,path=$share,mount_tag=$SHARE_TAG,security_model=passthrough,id=$SHARE_TAG") ;;
  esac
  # Not -daemonize: qemu's own errors (bad option, port taken, "KVM internal error") stay in
  # qemu.log. setsid: its own session, away from the caller's terminal and signals.
  setsid nice -n "$NICE" "$QEMU_SYSTEM" "${args[@]}" </dev/null >"$STATE_DIR/qemu.log" 2>&1 9>&- &
  pid_record $! > "$STATE_DIR/qemu.pid"
}

# The guest's disk: a fresh overlay in the state dir that stop removes, or with --persist DIR
# DIR/overlay.qcow2, made on first use and kept across stops (and hard kills), so the guest's
# volumes and engine state outlive a boot. An overlay made over an image since rebuilt would
# read garbage: refused. Prints the disk's path.
guest_disk() { # persist-dir or ""
  local dir=$1 disk base_id
  if [[ -z $dir ]]; then
    qemu-img create -q -f qcow2 -b "$VM_DIR/base.img" -F raw "$STATE_DIR/overlay.qcow2"
    echo "$STATE_DIR/overlay.qcow2"
    return
  fi
  mkdir -p "$dir"
  disk=$(realpath -e "$dir")/overlay.qcow2
  base_id=$(stat -c '%Y %s' "$VM_DIR/base.img")
  if [[ -f $disk ]]; then
    [[ $(<"$dir/base.id") == "$base_id" ]] 2>/dev/null \
      || die "--persist $dir: its disk was made over an image since rebuilt; remove $disk"
    say "guest disk kept from an earlier boot: $disk"
  else
    qemu-img create -q -f qcow2 -b "$VM_DIR/base.img" -F raw "$disk"
    echo "$base_id" > "$dir/base.id"
    say "guest disk made to persist: $disk"
  fi
  echo "$disk"
}

cmd_start() {
  local share="" fs=virtiofs port=23750 mem=2G cpus=2 accel=auto timeout=$BOOT_TIMEOUT unix_socket=""
  local persist=""
  while (($#)); do
    case $1 in
      --share) share=${2:?--share needs a folder}; shift 2 ;;
      --persist) persist=${2:?--persist needs a folder}; shift 2 ;;
      --fs) fs=${2:?}; shift 2 ;;
      --port) port=${2:?}; shift 2 ;;
      --mem) mem=${2:?}; shift 2 ;;
      --cpus) cpus=${2:?}; shift 2 ;;
      --accel) accel=${2:?}; shift 2 ;;
      --timeout) timeout=${2:?}; shift 2 ;;
      --unix-socket) unix_socket=${2:?}; shift 2 ;;
      *) die "start: unknown option '$1' (see: engine.sh help)" ;;
    esac
  done
  need_root start
  [[ -n $share ]] || die "start needs --share DIR (the host folder containers may bind-mount)"
  [[ -d $share ]] || die "--share $share: no such folder"
  share=$(realpath -e "$share")
  [[ $share != / ]] || die "--share / is not allowed"
  [[ $share =~ ^/[A-Za-z0-9._/+@-]*$ ]] \
    || die "--share $share: only letters, digits and ._/+@- in the path (it goes on the kernel command line and into qemu options)"
  [[ $fs == virtiofs || $fs == 9p ]] || die "--fs must be virtiofs or 9p"
  if ! [[ $port =~ ^[0-9]+$ ]] || ((port < 1024 || port > 65535)); then die "--port must be 1024-65535"; fi
  [[ $mem =~ ^[0-9]+[MG]$ ]] || die "--mem like 2G or 1536M"
  if ! [[ $cpus =~ ^[1-9][0-9]*$ ]]; then die "--cpus must be a positive number"; fi
  [[ $timeout =~ ^[0-9]+$ ]] || die "--timeout must be seconds"
  if [[ $fs == virtiofs && ! -x $VIRTIOFSD ]]; then die "$VIRTIOFSD missing (package qemu-system-common); try --fs 9p"; fi
  accel=$(choose_accel "$accel")

  take_lock
  if recorded_alive "$STATE_DIR/qemu.pid"; then
    die "the $ARCH test VM already runs (qemu pid $(recorded_pid "$STATE_DIR/qemu.pid"), $(<"$STATE_DIR/endpoint")); run 'engine.sh stop --arch $ARCH' first"
  fi
  stop_processes quiet                      # leftovers of a crashed run, if any
  port_in_use "$port" && die "127.0.0.1:$port is already in use; pick another --port"

  cmd_build 9>&-                            # nothing build starts may hold the lock
  local t0=${EPOCHREALTIME/./}
  [[ -f $STATE_DIR/console.log ]] && mv -f "$STATE_DIR/console.log" "$STATE_DIR/console.prev.log"
  rm -f "$STATE_DIR"/{qemu.log,virtiofsd.log,socat.log,overlay.qcow2}
  guest_disk "$persist" > "$STATE_DIR/disk"
  echo "$share" > "$STATE_DIR/share"
  echo "$fs" > "$STATE_DIR/fs"
  echo "$port" > "$STATE_DIR/port"
  echo "tcp://127.0.0.1:$port" > "$STATE_DIR/endpoint"
  echo "$ARCH, $accel, $cpus cpus, $mem" > "$STATE_DIR/machine"

  trap 'say "start failed: stopping what was started"; stop_processes quiet' EXIT
  [[ $fs == virtiofs ]] && start_virtiofsd "$share"
  start_qemu "$accel" "$fs" "$share" "$port" "$mem" "$cpus"
  say "qemu pid $(recorded_pid "$STATE_DIR/qemu.pid") ($ARCH, $accel, $cpus cpus, $mem, $fs share $share); waiting for the Docker API (timeout ${timeout}s)"
  local version="" deadline=$((SECONDS + timeout)) silent_deadline=$((SECONDS + 60))
  while ((SECONDS < deadline)); do
    recorded_alive "$STATE_DIR/qemu.pid" || { console_tail; die "qemu exited during boot"; }
    if grep -q 'KVM internal error' "$STATE_DIR/qemu.log"; then
      console_tail; die "KVM cannot run this guest (see qemu.log); use --accel tcg"
    fi
    # The initramfs prints within seconds of boot; silence for a minute is a guest that hangs
    # (as a stock kernel does on a PVM /dev/kvm).
    if ((SECONDS > silent_deadline)) && [[ ! -s $STATE_DIR/console.log ]]; then
      console_tail; die "the guest printed nothing in 60 s ($accel); with kvm, try --accel tcg"
    fi
    version=$(api_answers "$port") && break
    sleep 1
  done
  if [[ -z $version ]]; then
    console_tail
    die "the guest's Docker API did not answer on 127.0.0.1:$port within ${timeout}s"
  fi
  if ! grep -q "mb-guest .* share mounted: $share ($fs)" "$STATE_DIR/console.log"; then
    console_tail
    die "the guest did not mount the shared folder $share ($fs)"
  fi
  [[ -n $unix_socket ]] && start_socat "$unix_socket" "$port"
  trap - EXIT
  say "boot to API: $(elapsed_since "$t0") s (engine $version)"
  [[ -n $unix_socket ]] && echo "unix socket: unix://$unix_socket"
  echo "DOCKER_HOST=tcp://127.0.0.1:$port"
}

# -------------------------------------------------------------------------------------- stop
# Pids of the live processes in the process group of the recorded process $1 (each helper is
# started by setsid, so it leads its own group: virtiofsd's sandbox child and socat's
# per-connection children are in it).
# A group id stays reserved while any member lives, so members of group PID are ours unless
# PID itself now names another process (then our group had ended and the number was reused).
group_members() { # name pgid
  local pgid=$2 d pid
  local -a f
  [[ -e /proc/$pgid ]] && ! recorded_alive "$STATE_DIR/$1.pid" && return 0
  for d in /proc/[0-9]*; do
    pid=${d#/proc/}
    read -ra f <<< "$(stat_fields "$pid")" || continue
    [[ ${f[2]:-} == "$pgid" ]] && echo "$pid"   # field 5 of stat: the process group
  done
  return 0
}
# Still running: the recorded process itself, or (for a group leader) a member of its group.
still_running() { # name pid
  recorded_alive "$STATE_DIR/$1.pid" && return 0
  [[ -n $(group_members "$1" "$2") ]]
}
signal_recorded() { # name pid signal
  if [[ -n $(group_members "$1" "$2") ]]; then
    kill "-$3" -- "-$2" 2>/dev/null || true
  elif recorded_alive "$STATE_DIR/$1.pid"; then
    kill "-$3" "$2" 2>/dev/null || true
  fi
}

# Ends a process recorded in the state dir (and its group): TERM, up to 10 s, then KILL.
stop_one() { # name quiet|loud
  local name=$1 file=$STATE_DIR/$1.pid pid i
  [[ -f $file ]] || return 0
  pid=$(recorded_pid "$file")
  if still_running "$name" "$pid"; then
    local rss; rss=$(peak_rss "$pid")
    [[ $2 == quiet ]] || say "stopping $name (pid $pid${rss:+, peak RSS $rss})"
    signal_recorded "$name" "$pid" TERM
    for ((i = 0; i < 100; i++)); do still_running "$name" "$pid" || break; sleep 0.1; done
    if still_running "$name" "$pid"; then
      say "$name (pid $pid) ignored TERM: KILL"
      signal_recorded "$name" "$pid" KILL
      for ((i = 0; i < 50; i++)); do still_running "$name" "$pid" || break; sleep 0.1; done
    fi
    still_running "$name" "$pid" && die "$name (pid $pid) is still running"
  else
    [[ $2 == quiet ]] || say "$name (pid $pid) had already exited"
  fi
  rm -f "$file"
}

stop_processes() { # [quiet]
  local mode=${1:-loud}
  stop_one socat "$mode"
  stop_one qemu "$mode"
  stop_one virtiofsd "$mode"
  [[ -f $STATE_DIR/unix_socket ]] && rm -f "$(<"$STATE_DIR/unix_socket")" "$STATE_DIR/unix_socket"
  rm -f "$STATE_DIR"/{overlay.qcow2,virtiofsd.sock,endpoint,disk}
}

cmd_stop() {
  need_root stop
  [[ -d $STATE_DIR ]] || { say "not running"; return 0; }
  take_lock
  local was=no disk="" kept="overlay disk removed"
  recorded_alive "$STATE_DIR/qemu.pid" && was=yes
  [[ -f $STATE_DIR/disk ]] && disk=$(<"$STATE_DIR/disk")
  [[ -n $disk && $disk != "$STATE_DIR/overlay.qcow2" ]] && kept="guest disk kept: $disk"
  stop_processes
  local f
  for f in qemu virtiofsd socat; do
    [[ ! -f $STATE_DIR/$f.pid ]] || die "$f still recorded in $STATE_DIR"
  done
  if [[ $was == yes ]]; then say "stopped; $kept"; else say "not running (state cleaned)"; fi
}

# ------------------------------------------------------------------------------ status / env
cmd_status() {
  if ! recorded_alive "$STATE_DIR/qemu.pid" 2>/dev/null; then
    if [[ -f $STATE_DIR/qemu.pid ]]; then
      echo "not running (stale state of a run that died: engine.sh stop cleans it; console: $STATE_DIR/console.log)"
    else
      echo "not running"
    fi
    return 3
  fi
  local f
  echo "running"
  printf '  %-11s %s (%s)\n' qemu "pid $(recorded_pid "$STATE_DIR/qemu.pid")" "$(<"$STATE_DIR/machine")"
  for f in virtiofsd socat; do
    recorded_alive "$STATE_DIR/$f.pid" && printf '  %-11s pid %s\n' "$f" "$(recorded_pid "$STATE_DIR/$f.pid")"
  done
  printf '  %-11s %s\n' endpoint "$(<"$STATE_DIR/endpoint")"
  local version
  if version=$(api_answers "$(<"$STATE_DIR/port")"); then
    printf '  %-11s answers (engine %s)\n' api "$version"
  else
    printf '  %-11s not answering (yet?)\n' api
  fi
  [[ -f $STATE_DIR/unix_socket ]] && printf '  %-11s unix://%s\n' socket "$(<"$STATE_DIR/unix_socket")"
  printf '  %-11s %s\n' fs "$(<"$STATE_DIR/fs")" share "$(<"$STATE_DIR/share")" \
    console "$STATE_DIR/console.log"
  return 0
}

cmd_env() {
  recorded_alive "$STATE_DIR/qemu.pid" 2>/dev/null || { echo "engine.sh: the test VM is not running" >&2; return 3; }
  echo "export DOCKER_HOST=$(<"$STATE_DIR/endpoint")"
}

cmd_console() { tail -n "${1:-60}" "$STATE_DIR/console.log"; }

usage() {
  cat <<EOF
mountbench test VM engine: Docker in a qemu guest, one host folder shared at the same path.

usage: scripts/vm/engine.sh COMMAND [--arch amd64|arm64] [options]

  build      build or refresh the cached kernel, initramfs and guest disk (idempotent; only
             rebuilds what this script's build inputs changed); installs missing host packages
  start      --share DIR [--fs virtiofs|9p] [--port P] [--mem 2G] [--cpus 2]
             [--accel auto|tcg|kvm] [--timeout 180] [--unix-socket PATH] [--persist PDIR]
             boot a fresh guest (copy-on-write disk over the cached image), share DIR at the
             same absolute path, forward its Docker API to 127.0.0.1:P (default 23750), wait
             until it answers and print DOCKER_HOST=tcp://127.0.0.1:P; --persist keeps the
             guest's disk in PDIR across stops and hard kills (volumes, engine state), made
             on first use and booted again by the next start with the same PDIR
  stop       end qemu, virtiofsd and socat by their recorded pids, drop the overlay disk
  status     running or not, pids, endpoint, fs, shared folder (exit 0 running, 3 not)
  env        print 'export DOCKER_HOST=...' for eval (exit 3 when not running)
  console    print the end of the guest console log [lines]

--arch arm64 (any command): a linux/arm64 guest (qemu-system-aarch64 -M virt, software CPU,
Debian's arm64 kernel, debootstrap --arch arm64 with its second stage run here through
qemu-user-static and a binfmt_misc registration removed when it ends). Its cache and state
are \$MOUNTBENCH_VM_DIR-arm64 and \$MOUNTBENCH_VM_STATE_DIR-arm64 (or its own state/), so
it runs beside the amd64 guest (give it another --port); boot timeout 900 s.

--accel auto picks kvm only when /dev/kvm is usable, kvm_intel or kvm_amd is loaded and the
host's KVM is not PVM (kvm_pvm cannot run a stock kernel); otherwise tcg (software CPU,
8-20x slower than the host).

environment: MOUNTBENCH_VM_DIR (cache, default /var/cache/mountbench-vm),
  MOUNTBENCH_VM_STATE_DIR (default \$MOUNTBENCH_VM_DIR/state), MOUNTBENCH_VM_SUITE (bookworm),
  MOUNTBENCH_VM_KERNEL (pin a linux-image-... package), MOUNTBENCH_VM_MIRROR,
  MOUNTBENCH_VM_DISK_SIZE (16G, sparse), MOUNTBENCH_VM_NICE (10)

example:
  sudo scripts/vm/engine.sh start --share /tmp/mb-vm-share --fs virtiofs
  eval "\$(sudo scripts/vm/engine.sh env)"; docker info
  sudo scripts/vm/engine.sh stop
  sudo scripts/vm/engine.sh start --arch arm64 --share /tmp/mb-arm64-share --port 23760 --mem 2G
  sudo scripts/vm/engine.sh stop --arch arm64
EOF
}

main() {
  local cmd=${1:-help} arch=amd64
  local -a rest=()
  (($#)) && shift
  while (($#)); do
    case $1 in
      --arch) arch=${2:?--arch needs amd64 or arm64}; shift 2 ;;
      *) rest+=("$1"); shift ;;
    esac
  done
  set_arch "$arch"
  set -- "${rest[@]}"
  case $cmd in
    build) cmd_build "$@" ;;
    start) cmd_start "$@" ;;
    stop) cmd_stop "$@" ;;
    status) cmd_status "$@" ;;
    env) cmd_env "$@" ;;
    console) cmd_console "$@" ;;
    help | -h | --help) usage ;;
    *) usage >&2; exit 2 ;;
  esac
}

main "$@"
