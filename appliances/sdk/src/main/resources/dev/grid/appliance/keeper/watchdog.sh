#!/bin/sh
# Grid's fence watchdog, beside the keeper in a data node's container: a process of its own, so
# that it acts while the keeper is paused or cut off from etcd. While the keeper serves as the
# primary it writes the time of its last lease renewal (epoch ms) to LEASE_FILE; once that is
# DEADLINE_MS old, the manager may soon promote another node, so the watchdog runs the
# datastore's fence command (it then takes and acknowledges no write) once, and marks
# FENCED_FILE. The keeper lifts the fence when it knows it is still the primary.
# Usage: watchdog.sh LEASE_FILE FENCED_FILE DEADLINE_MS FENCE_COMMAND...
lease=$1; fenced=$2; deadline=$3; shift 3
# The fence mark is looked at before the lease is read: the keeper renews first and lifts the fence
# after, so a watchdog that sees the mark gone also sees that renewal (read the other way round, a
# lease read just before a renewal and a lift fenced the node again at once; WatchdogTest saw it).
while sleep 0.1; do
  [ ! -e "$fenced" ] || continue
  last=$(cat "$lease" 2>/dev/null) || continue
  [ -n "$last" ] || continue
  now=$(date +%s%3N)
  if [ $((now - last)) -gt "$deadline" ]; then
    if "$@" >/dev/null 2>&1; then
      : > "$fenced"
      echo "keeper: watchdog: the lease was last renewed $((now - last)) ms ago: fenced (no more writes until the keeper lifts it)"
    fi
  fi
done
