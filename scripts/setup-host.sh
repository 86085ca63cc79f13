#!/usr/bin/env bash
# Idempotent machine set-up for Grid on Debian 12 (run as root): Debian packages,
# a Docker engine that never uses the bridge network, and the local stack image.
# On a machine that already has everything it costs a few seconds.
set -euo pipefail

STACK_IMAGE="${GRID_STACK_IMAGE:-grid/stack:bookworm-5}"
MIRROR="${GRID_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
STACK_PACKAGES="openjdk-17-jdk-headless,postgresql-15,pgbackrest,redis-server,mariadb-server,mariadb-client,nodejs,npm,maven,git,ca-certificates,procps,netcat-openbsd,curl"
say() { printf '==> %s\n' "$*" >&2; }

need_pkgs=()
command -v dockerd >/dev/null || need_pkgs+=(docker.io)
command -v etcd >/dev/null || need_pkgs+=(etcd-server)
command -v debootstrap >/dev/null || need_pkgs+=(debootstrap)
command -v git >/dev/null || need_pkgs+=(git)
command -v ssh >/dev/null || need_pkgs+=(openssh-client)
# nft: each host's firewall keeps app processes and builds from Grid's ports and other apps' jobs.
command -v nft >/dev/null || need_pkgs+=(nftables)
command -v conntrack >/dev/null || need_pkgs+=(conntrack) # ends flows of a kernel TCP route whose backend changed
# openssl: the tests make TLS certificates (etcd over TLS, a route's key).
command -v openssl >/dev/null || need_pkgs+=(openssl)
command -v mvn >/dev/null || need_pkgs+=(maven)
command -v java >/dev/null || need_pkgs+=(openjdk-17-jdk-headless)
# psql, pg_dump, pg_restore, redis-cli: grid pg:psql, Postgres backups and grid redis:cli run them here.
command -v pg_restore >/dev/null || need_pkgs+=(postgresql-client)
command -v redis-cli >/dev/null || need_pkgs+=(redis-tools)
# redis-server: a Redis restore loads the RDB file into a scratch server of its own here.
redis_new=no
command -v redis-server >/dev/null || { need_pkgs+=(redis-server); redis_new=yes; }
# mariadb (client): grid mariadb:cli runs it here, and the MariaDB appliance's provider manages its tenants
# with it. mariadbd: the MariaDB keeper's tests run two nodes of their own here (the service stays off).
command -v mariadb >/dev/null || need_pkgs+=(mariadb-client)
mariadb_new=no
command -v mariadbd >/dev/null || { need_pkgs+=(mariadb-server); mariadb_new=yes; }
# pgBackRest and Postgres' server binaries: the Postgres archive's repository lives where the
# controller runs (its TLS server takes every node's WAL; base backups are taken from there), and
# a rollback or fork replays it there in a scratch server of its own. No cluster is made here.
command -v pgbackrest >/dev/null || need_pkgs+=(pgbackrest)
[ -x /usr/lib/postgresql/15/bin/postgres ] || need_pkgs+=(postgresql-15)
if [ ! -x /usr/lib/postgresql/15/bin/postgres ]; then
  mkdir -p /etc/postgresql-common
  grep -qs '^create_main_cluster' /etc/postgresql-common/createcluster.conf \
    || echo 'create_main_cluster = false' >> /etc/postgresql-common/createcluster.conf
fi
# s3rver (npm): an S3-compatible store on loopback, where the Postgres archive's tests point its
# repository as an operator points it at S3 (GRID_PG_ARCHIVE_REPO).
command -v npm >/dev/null || need_pkgs+=(npm)
# The router's tests put the servers apps are written with behind it: busybox httpd, Python's
# http.server, nginx and Node.
command -v busybox >/dev/null || need_pkgs+=(busybox-static)
command -v python3 >/dev/null || need_pkgs+=(python3)
command -v node >/dev/null || need_pkgs+=(nodejs)
# HTTP/2 clients for the router's tests: curl (with nghttp2) and nghttp.
command -v curl >/dev/null || need_pkgs+=(curl)
command -v nghttp >/dev/null || need_pkgs+=(nghttp2-client)
# A real terminal for the tests of an interactive grid run (send-keys, capture-pane).
command -v tmux >/dev/null || need_pkgs+=(tmux)
nginx_new=no
command -v nginx >/dev/null || { need_pkgs+=(nginx-light); nginx_new=yes; }
if [ ${#need_pkgs[@]} -gt 0 ]; then
  say "installing Debian packages: ${need_pkgs[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
  # Debian starts nginx on port 80 when it installs it: the tests run their own, and Grid's router wants 80.
  if [ "$nginx_new" = yes ]; then
    systemctl disable --now nginx >/dev/null 2>&1 || service nginx stop >/dev/null 2>&1 || true
  fi
  # And Redis on 6379: Grid's Redis nodes run in containers; the server here is only a restore's scratch.
  if [ "$redis_new" = yes ]; then
    systemctl disable --now redis-server >/dev/null 2>&1 || service redis-server stop >/dev/null 2>&1 || true
  fi
  # And MariaDB on 3306: Grid's MariaDB nodes run in containers.
  if [ "$mariadb_new" = yes ]; then
    systemctl disable --now mariadb >/dev/null 2>&1 || service mariadb stop >/dev/null 2>&1 || true
  fi
fi

if ! command -v s3rver >/dev/null; then
  say "installing s3rver 3.7.1 from npm (the Postgres archive's tests store it there)"
  npm install -g --silent --no-audit --no-fund s3rver@3.7.1 >/dev/null
fi

# live-restore: containers keep running while dockerd restarts (an upgrade of Docker, a crash);
# Grid's host agent follows the engine's events again when it is back. dockerd reloads the
# option on SIGHUP, so a running engine takes it without a restart.
mkdir -p /etc/docker
if [ ! -s /etc/docker/daemon.json ]; then
  printf '{\n  "live-restore": true\n}\n' > /etc/docker/daemon.json
elif ! grep -q '"live-restore"' /etc/docker/daemon.json && ! command -v python3 >/dev/null; then
  say "note: add \"live-restore\": true to /etc/docker/daemon.json (no python3 here to edit it): without it a restart of dockerd stops Grid's apps and data nodes"
elif ! grep -q '"live-restore"' /etc/docker/daemon.json; then
  say "adding \"live-restore\": true to /etc/docker/daemon.json"
  python3 - <<'PY'
import json
p = "/etc/docker/daemon.json"
with open(p) as f: conf = json.load(f)
conf["live-restore"] = True
with open(p + ".grid", "w") as f: json.dump(conf, f, indent=2); f.write("\n")
PY
  mv /etc/docker/daemon.json.grid /etc/docker/daemon.json
elif grep -Eq '"live-restore" *: *false' /etc/docker/daemon.json; then
  say "note: /etc/docker/daemon.json turns live-restore off: a restart of dockerd will stop Grid's apps and data nodes"
fi
if docker info >/dev/null 2>&1 && [ "$(docker info --format '{{.LiveRestoreEnabled}}')" != true ] \
    && grep -Eq '"live-restore" *: *true' /etc/docker/daemon.json; then
  say "reloading dockerd's configuration (live-restore)"
  kill -HUP "$(cat /var/run/docker.pid 2>/dev/null)" 2>/dev/null || pkill -HUP -x dockerd || true
  for i in $(seq 1 20); do [ "$(docker info --format '{{.LiveRestoreEnabled}}')" = true ] && break; sleep 0.5; done
fi

if ! docker info >/dev/null 2>&1; then
  say "starting the Docker engine (no bridge network, no iptables; containers use host networking)"
  mkdir -p /var/log/grid
  setsid nohup dockerd --bridge=none --iptables=false --ip-masq=false \
    >/var/log/grid/dockerd.log 2>&1 </dev/null &
  for i in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  docker info >/dev/null 2>&1 || { say "dockerd did not come up; see /var/log/grid/dockerd.log"; tail -20 /var/log/grid/dockerd.log >&2; exit 1; }
fi

if ! docker image inspect "$STACK_IMAGE" >/dev/null 2>&1; then
  root="$(mktemp -d /var/tmp/grid-stack.XXXXXX)"
  trap 'rm -rf "$root"' EXIT
  say "building the stack image $STACK_IMAGE with debootstrap (Debian bookworm + $STACK_PACKAGES); this takes a few minutes once"
  debootstrap --variant=minbase --include="$STACK_PACKAGES" bookworm "$root" "$MIRROR" 2>&1 \
    | grep --line-buffered -E '^I: (Retrieving|Validating|Installing|Configuring|Base system)' \
    | awk '{ n++; if (n % 40 == 0 || /Base system/) { print "    debootstrap: " $0; fflush() } }' >&2 || true
  [ -x "$root/usr/bin/node" ] && [ -x "$root/usr/bin/java" ] || { say "debootstrap failed: the image root has no node/java"; exit 1; }
  # debootstrap does not resolve virtual dependencies (npm's node-color-support, ...): let apt finish the job.
  say "completing the stack's dependencies with apt inside it"
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  mount -t proc proc "$root/proc"
  trap 'umount "$root/proc" 2>/dev/null; rm -rf "$root"' EXIT
  chroot "$root" apt-get update -qq
  chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get -f install -y -qq --no-install-recommends >/dev/null
  chroot "$root" apt-get check >/dev/null || { say "the stack image still has unmet dependencies"; exit 1; }
  chroot "$root" npm --version >/dev/null || { say "npm does not run in the stack image"; exit 1; }
  umount "$root/proc"
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/debootstrap
  say "importing the stack image into Docker"
  tar -C "$root" -c . | docker import \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'ENV LANG=C.UTF-8' -c 'LABEL grid.stack=bookworm-5' - "$STACK_IMAGE" >/dev/null
  rm -rf "$root"; trap - EXIT
  say "stack image $STACK_IMAGE ready"
fi
