#!/bin/bash
# A single-node LAVA on this machine, without systemd — the way LAVA's own
# container images start it: the PostgreSQL cluster, the server under
# gunicorn, the event publisher, the scheduler, one worker and qemu devices.
# For `rfl-lab run --backend lava` on one machine and for the `lava` tests.
#
#   scripts/lava-local.sh start DIR   # prints the URL; the API token is DIR/token
#   scripts/lava-local.sh stop DIR
#
# Environment: LAVA_PORT (default 8010), LAVA_DEVICES (qemu devices, default 2).
# Needs root and Debian's lava-server and lava-dispatcher (`scripts/setup.sh
# lava` installs them). Logs go to DIR/*.log and /var/log/lava-server/rfl-lab-*.log. The server's configuration and
# database are the system's (/etc/lava-server, PostgreSQL): LAVA keeps them
# there; this script only adds a worker, the qemu device type and devices, a
# user `rfl-lab` and its token.
set -euo pipefail

cmd=${1:-}
dir=${2:-}
port=${LAVA_PORT:-8010}
devices=${LAVA_DEVICES:-2}
url="http://127.0.0.1:${port}/"
worker=rfl-lab-worker

die() { echo "lava-local.sh: $*" >&2; exit 1; }
[[ $cmd == start || $cmd == stop ]] && [[ -n $dir ]] || die "usage: $0 start|stop DIR"
[[ $(id -u) == 0 ]] || die "needs root (PostgreSQL, the lavaserver user, QEMU for the worker)"
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

alive() { [[ -f $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

stop_one() {
  local pidfile=$dir/$1.pid
  if alive "$pidfile"; then
    kill -TERM "$(cat "$pidfile")" 2>/dev/null || true
    for _ in $(seq 1 50); do alive "$pidfile" || break; sleep 0.2; done
    alive "$pidfile" && kill -KILL "$(cat "$pidfile")" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

if [[ $cmd == stop ]]; then
  # The worker runs each job as a `lava-run` process of its own session
  # (setsid below); one still running (a job cancelled as a test ended)
  # outlives the worker, reparented to init: end the whole session.
  worker_sid=""
  if alive "$dir/worker.pid"; then
    worker_sid=$(ps -o sid= -p "$(cat "$dir/worker.pid")" | tr -d ' ')
    [[ $worker_sid == "$(ps -o sid= -p $$ | tr -d ' ')" ]] && worker_sid=""  # never this script's own
  fi
  for p in worker scheduler publisher gunicorn; do stop_one "$p"; done
  if [[ -n $worker_sid ]]; then
    pkill -TERM -s "$worker_sid" 2>/dev/null || true
    for _ in $(seq 1 25); do pgrep -s "$worker_sid" >/dev/null || break; sleep 0.2; done
    pkill -KILL -s "$worker_sid" 2>/dev/null || true
  fi
  if [[ -f $dir/postgres-started ]]; then
    read -r started_ver started_name < "$dir/postgres-started"
    pg_ctlcluster "$started_ver" "$started_name" stop || true
    rm -f "$dir/postgres-started"
  fi
  echo "lava-local.sh: stopped"
  exit 0
fi

command -v lava-server >/dev/null && command -v lava-worker >/dev/null ||
  die "lava-server and lava-dispatcher are not installed (scripts/setup.sh lava installs them)"

# PostgreSQL: the first cluster, started if it is down (and stopped by `stop`).
read -r pgver pgname pgstatus < <(pg_lsclusters --no-header | awk '{print $1, $2, $4; exit}')
[[ -n ${pgver:-} ]] || die "no PostgreSQL cluster (pg_createcluster 15 main)"
if [[ $pgstatus != online ]]; then
  pg_ctlcluster "$pgver" "$pgname" start
  echo "$pgver $pgname" > "$dir/postgres-started"
fi
for _ in $(seq 1 50); do pg_isready -q && break; sleep 0.2; done
# The database's settings, the database and its schema: what the package's
# postinst does when PostgreSQL runs at install time (on a fresh machine it
# did not: `setup.sh lava` installs LAVA with the cluster down). --config writes
# settings.d/00-database.yaml if it is missing; idempotent.
/usr/bin/python3 /usr/share/lava-server/postinst.py --config --db > "$dir/postinst.log" 2>&1 ||
  die "setting up LAVA's database failed: $dir/postinst.log"

# Events: the scheduler wakes on a job's submission instead of every 20 s.
settings=/etc/lava-server/settings.d/50-rfl-lab-events.yaml
[[ -f $settings ]] || printf 'EVENT_NOTIFICATION: true\n' > "$settings"

if ! alive "$dir/gunicorn.pid"; then
  setsid gunicorn3 lava_server.wsgi --log-level info --log-file "$dir/gunicorn.log" \
    -u lavaserver -g lavaserver --worker-class eventlet --workers 2 \
    --bind "127.0.0.1:${port}" --pid "$dir/gunicorn.pid" --daemon
fi
for _ in $(seq 1 120); do
  curl -sf -m 2 "${url}api/v0.2/system/version/" >/dev/null && break
  sleep 0.5
done
curl -sf -m 2 "${url}api/v0.2/system/version/" >/dev/null || die "the server did not answer on $url ($dir/gunicorn.log)"

manage() { lava-server manage "$@"; }
py() { manage shell -c "$1" 2>/dev/null | tail -n 1; }

# The worker, its token, the device type and the devices (idempotent).
if [[ $(py "from lava_scheduler_app.models import Worker; print(Worker.objects.filter(hostname='$worker').exists())") != True ]]; then
  manage workers add --description "rfl-lab local worker" "$worker" >/dev/null
fi
worker_token=$(py "from lava_scheduler_app.models import Worker; print(Worker.objects.get(hostname='$worker').token)")
if [[ $(py "from lava_scheduler_app.models import DeviceType; print(DeviceType.objects.filter(name='qemu').exists())") != True ]]; then
  manage device-types add qemu >/dev/null
fi
for i in $(seq 1 "$devices"); do
  name=$(printf 'qemu-%02d' "$i")
  dict=/etc/lava-server/dispatcher-config/devices/$name.jinja2
  if [[ $(py "from lava_scheduler_app.models import Device; print(Device.objects.filter(hostname='$name').exists())") != True ]]; then
    manage devices add --device-type qemu --worker "$worker" "$name" >/dev/null
  fi
  printf "{%% extends 'qemu.jinja2' %%}\n{%% set mac_addr = '52:54:00:12:34:%02x' %%}\n" "$((0x60 + i))" > "$dict"
  chown lavaserver:lavaserver "$dict"
done

# The lab's user and API token (kept in DIR/token).
if [[ $(py "from django.contrib.auth.models import User; print(User.objects.filter(username='rfl-lab').exists())") != True ]]; then
  manage users add rfl-lab --superuser --staff --passwd "$(head -c 18 /dev/urandom | base64)" >/dev/null
fi
if [[ ! -s $dir/token ]] || ! curl -sf -m 5 -H "Authorization: Token $(cat "$dir/token")" "${url}api/v0.2/system/whoami/" | grep -q rfl-lab; then
  (umask 077; manage tokens add --user rfl-lab | tail -n 1 > "$dir/token")
fi

# The publisher and the scheduler drop privileges to lavaserver before they
# open their logs: DIR may be where lavaserver cannot go (a mode-700 temporary
# directory), so their logs go to LAVA's own log directory.
logs=/var/log/lava-server
if ! alive "$dir/publisher.pid"; then
  setsid lava-server manage lava-publisher --level INFO --log-file "$logs/rfl-lab-publisher.log" \
    > /dev/null 2>&1 < /dev/null & echo $! > "$dir/publisher.pid"
fi
if ! alive "$dir/scheduler.pid"; then
  setsid lava-server manage lava-scheduler --level INFO --log-file "$logs/rfl-lab-scheduler.log" \
    > /dev/null 2>&1 < /dev/null & echo $! > "$dir/scheduler.pid"
fi
if ! alive "$dir/worker.pid"; then
  setsid lava-worker --level INFO --url "$url" --name "$worker" --token "$worker_token" \
    --ping-interval 2 --job-log-interval 1 --worker-dir "$dir/worker" --log-file "$dir/worker.log" \
    > /dev/null 2>&1 < /dev/null & echo $! > "$dir/worker.pid"
fi
# Ready when the worker is online.
for _ in $(seq 1 60); do
  curl -sf -m 2 "${url}api/v0.2/workers/$worker/" | grep -q '"state":"Online"' && break
  sleep 0.5
done
curl -sf -m 2 "${url}api/v0.2/workers/$worker/" | grep -q '"state":"Online"' ||
  die "the worker did not come online ($dir/worker.log)"
echo "lava-local.sh: LAVA at $url with $devices qemu devices; API token in $dir/token"
