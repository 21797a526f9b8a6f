# Shared by the scripts that start the project's second libvirt stacks
# (scripts/peer.sh, scripts/trixie.sh); sourced, not run.

# alive PIDFILE: the process it names runs.
alive() { [ -s "$1" ] && kill -0 "$(cat "$1" 2>/dev/null)" 2>/dev/null; }

# mkskel SRC DST: the directory tree of SRC (owners and modes), no files.
mkskel() {
  local src=$1 dst=$2
  mkdir -p "$dst"
  (cd "$src" && find . -type d -print0) | while IFS= read -r -d '' d; do
    mkdir -p "$dst/$d"
    chown --reference="$src/$d" "$dst/$d"
    chmod --reference="$src/$d" "$dst/$d"
  done
}

# tcp_listener PORT HOST_UUID: libvirtd.conf lines for a daemon that listens
# on the loopback only, on TCP without authentication, with its own host UUID.
tcp_listener() {
  cat <<CONF
listen_tls = 0
listen_tcp = 1
listen_addr = "127.0.0.1"
tcp_port = "$1"
auth_tcp = "none"
host_uuid = "$2"
CONF
}

# port_taken PORT: something listens on the loopback's PORT.
port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
