#!/usr/bin/env bash
# `make run`: maildev (SMTP sink + mailbox) and the server in demo mode, from the repo root.
# Ctrl-C (or any of the two exiting) stops both.
set -euo pipefail
cd "$(dirname "$0")/.."

: "${CARGO_TARGET_DIR:=$HOME/.cache/cardonfile/target}"
server_bin="$CARGO_TARGET_DIR/release/server"
maildev_bin=end2end/node_modules/.bin/maildev

app_url=http://127.0.0.1:3000
mailbox_url=http://127.0.0.1:1080

if [[ ! -x "$server_bin" ]]; then
  echo "run: $server_bin is missing; run 'make build' first" >&2
  exit 1
fi
if [[ ! -x "$maildev_bin" ]]; then
  echo "run: $maildev_bin is missing; run 'make tools' first" >&2
  exit 1
fi

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for port in 3000 1025 1080; do
  if port_in_use "$port"; then
    echo "run: port 127.0.0.1:$port is already in use (another 'make run'?)" >&2
    exit 1
  fi
done

mkdir -p data

pids=()
stop_all() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# wait_for URL SECONDS PID: polls URL until it answers 2xx, the process dies, or time runs out.
wait_for() {
  local url=$1 seconds=$2 pid=$3
  for ((i = 0; i < seconds * 4; i++)); do
    if curl -fsS -o /dev/null "$url" 2>/dev/null; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "run: process $pid exited while waiting for $url" >&2
      return 1
    fi
    sleep 0.25
  done
  echo "run: $url did not answer within ${seconds}s" >&2
  return 1
}

"$maildev_bin" --smtp 1025 --web 1080 --ip 127.0.0.1 --web-ip 127.0.0.1 >data/maildev.log 2>&1 &
pids+=("$!")
wait_for "$mailbox_url/api/healthz" 30 "${pids[-1]}"

APP__MODE="${APP__MODE:-demo}" \
APP__DATABASE__URL="${APP__DATABASE__URL:-sqlite://data/app.db?mode=rwc}" \
APP__SMTP__URL="${APP__SMTP__URL:-smtp://127.0.0.1:1025}" \
LEPTOS_SITE_ROOT="${LEPTOS_SITE_ROOT:-target/site}" \
RUST_LOG="${RUST_LOG:-info}" \
  "$server_bin" &
pids+=("$!")
wait_for "$app_url/health" 60 "${pids[-1]}"

cat <<MSG
make run: app $app_url  ·  mailbox $mailbox_url (maildev log: data/maildev.log)
make run: sign in with the demo login printed above; Ctrl-C stops the app and the mailbox.
MSG
# Returns as soon as one of them exits; the EXIT trap stops the other.
wait -n
