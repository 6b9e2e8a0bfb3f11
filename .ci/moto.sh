# Sourced by the CI stages that need a real AWS API (bridge.sh,
# idempotency_store.sh): installs moto's server from PyPI, starts it on
# 127.0.0.1 and a free port, waits until it answers, stops it on exit
# (showing its log when the stage failed), and sets MOTO_ENDPOINT and fake
# credentials so the SDK looks nowhere else.
export PIP_ROOT_USER_ACTION=ignore

echo "--- installing moto's server (PyPI)"
python3 -m pip install --quiet --disable-pip-version-check 'moto[server]>=5,<6'

moto_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
moto_log=$(mktemp)
moto_pid=
stop_moto() {
    if [ -n "$moto_pid" ]; then
        kill "$moto_pid" 2>/dev/null || true
        wait "$moto_pid" 2>/dev/null || true
    fi
}
trap 'status=$?; stop_moto; if [ "$status" -ne 0 ]; then echo "--- moto server log (last 40 lines)"; tail -n 40 "$moto_log"; fi; rm -f "$moto_log"; exit "$status"' EXIT

echo "--- moto server on 127.0.0.1:$moto_port"
python3 -m moto.server -H 127.0.0.1 -p "$moto_port" >"$moto_log" 2>&1 &
moto_pid=$!
for _ in $(seq 1 60); do
    if python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' "http://127.0.0.1:$moto_port/moto-api/" 2>/dev/null; then
        break
    fi
    kill -0 "$moto_pid" 2>/dev/null || { echo "moto's server exited before listening" >&2; exit 1; }
    sleep 0.5
done
python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' "http://127.0.0.1:$moto_port/moto-api/" \
    || { echo "moto's server does not answer on 127.0.0.1:$moto_port" >&2; exit 1; }

MOTO_ENDPOINT="http://127.0.0.1:$moto_port"
# Any credentials and region work against moto.
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1
