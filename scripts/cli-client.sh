# The grid CLI's fast path, sourced by ./grid: a command run by the CLI daemon (dev.grid.cli.CliDaemon),
# which keeps a warm JVM, over bash's /dev/tcp. Nothing here starts a JVM.

# Commands the daemon runs: they read no stdin, need no terminal, name no file of the caller's and
# start no program here. Every other command runs in a JVM of its own, as before.
GRID_DAEMON_COMMANDS=" apps apps:create apps:info apps:rename apps:destroy releases releases:info releases:rollback ps ps:scale ps:resize
 ps:restart ps:stop maintenance maintenance:on maintenance:off config config:get config:set config:unset logs status hosts hosts:remove
 routes routes:add routes:remove routes:timeout addons addons:services addons:create addons:info addons:attach addons:detach addons:destroy
 addons:expose addons:unexpose drains drains:add drains:remove pg:info pg:backups pg:backups:capture pg:backups:schedule pg:backups:unschedule
 pg:backups:schedules pg:ps pg:locks pg:kill redis:info keys keys:remove
 metrics:token deploy certs certs:remove redis:maxmemory redis:timeout redis:keyspace-notifications completion run:detached "
GRID_DAEMON_COMMANDS=" $(echo $GRID_DAEMON_COMMANDS) " # one space between names, and around them

# grid_daemon_takes ARGS...: whether the daemon runs this command. Not `logs --tail`: it would go on
# following in the daemon after the caller is gone (a follower learns so only when it writes).
grid_daemon_takes() {
  [[ "$GRID_DAEMON_COMMANDS" == *" ${1:-none} "* ]] || return 1
  if [ "$1" = logs ]; then
    local a
    for a in "${@:2}"; do
      case "$a" in --tail|--tail=*) return 1 ;; --*) ;; -*t*) return 1 ;; esac # -t, or -t among short options (-tn5)
    done
  fi
  return 0
}

# grid_daemon_run STATE ARGS...: runs the command through the daemon whose "PORT SECRET PID" is in
# STATE. Returns the command's exit code, or 254 if no daemon answered (the caller runs it itself).
grid_daemon_run() {
  local state=$1 port secret pid line code=254
  shift
  [ -r "$state" ] || return 254
  read -r port secret pid < "$state" 2>/dev/null || return 254
  [ -n "$port" ] && [ -n "$secret" ] || return 254
  # (A redirection of exec itself would stay for good: bash's complaint is silenced around it instead.)
  { exec {fd}<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null || return 254
  printf '%s\0' "$secret" "$PWD" "${GRID_APP-}" "${GRID_URL-}" "${GRID_TOKEN-}" "${GRID_HOME-}" "$#" "$@" >&"$fd" || { exec {fd}>&-; return 254; }
  while IFS= read -r line <&"$fd"; do
    case "${line:0:1}" in
      o) printf '%s\n' "${line:1}" ;;
      e) printf '%s\n' "${line:1}" >&2 ;;
      O) printf '%s' "${line:1}" ;;
      E) printf '%s' "${line:1}" >&2 ;;
      x) code=${line:1}; break ;;
    esac
  done
  exec {fd}>&-
  if [ "$code" = 254 ]; then
    echo " !    the CLI daemon (pid $pid) stopped mid-command; run it again" >&2
    return 1
  fi
  return "$code"
}
