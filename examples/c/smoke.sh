#!/usr/bin/env bash
# Runs the chat examples once: a server, then a client that sends two lines and waits for
# their acknowledgements. Used by ffi/tests/c/run.sh.   smoke.sh DIR_WITH_THE_PROGRAMS
set -u
B=$1
coproc SRV { exec "$B/chat_server" 0; }
srv_pid=$SRV_PID
trap 'kill "$srv_pid" 2>/dev/null' EXIT
if ! read -r -t 10 -u "${SRV[0]}" line || [[ $line != "listening on "* ]]; then
  echo "chat_server did not start: $line"; exit 1
fi
port=${line#listening on }
out=$(printf 'hello there\nsecond "line"\n' | timeout 20 "$B/chat_client" "http://127.0.0.1:$port/" ann)
rc=$?
echo "$out"
[ $rc -eq 0 ] || { echo "chat_client exited $rc"; exit 1; }
grep -q '^message \[{"from":"ann","text":"hello there"}\]' <<<"$out" || { echo "no echoed message"; exit 1; }
grep -q '2 of 2 messages acknowledged' <<<"$out" || exit 1
kill -INT "$srv_pid"
wait "$srv_pid"; src=$?
[ $src -eq 0 ] || { echo "chat_server exited $src"; exit 1; }
echo "smoke ok"
