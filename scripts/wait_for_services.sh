#!/usr/bin/env bash
# Make sure the local PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379)
# answer; start them if they do not, then wait up to WAIT_SECONDS (default 30).
#
#     scripts/wait_for_services.sh
#
# Starting needs root (CI). Exit status is non-zero if either is still down.
set -euo pipefail

WAIT_SECONDS="${WAIT_SECONDS:-30}"

pg_up()    { pg_isready -q -h 127.0.0.1 -p 5432; }
redis_up() { [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = "PONG" ]; }

start_pg() {
    local version
    version="$(ls /etc/postgresql | sort -V | tail -n 1)"
    echo "PostgreSQL not answering; starting cluster $version/main"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
}

start_redis() {
    echo "Redis not answering; starting redis-server"
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
        --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
}

wait_for() {  # name check-function
    local name="$1" check="$2" i
    for ((i = 0; i < WAIT_SECONDS; i++)); do
        if "$check"; then
            echo "$name is up"
            return 0
        fi
        sleep 1
    done
    echo "ERROR: $name did not answer within ${WAIT_SECONDS}s" >&2
    return 1
}

pg_up || start_pg
redis_up || start_redis

rc=0
wait_for PostgreSQL pg_up || rc=1
wait_for Redis redis_up || rc=1
exit "$rc"
