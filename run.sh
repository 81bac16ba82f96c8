#!/usr/bin/env bash
# run.sh - run OrleansGuarantee on this machine.
#
# Starts Azurite (the Azure Storage emulator: tables hold cluster membership, grain state and
# reminders; queues carry the cycles' event streams) with a data folder that survives restarts, then
# one Orleans silo connected to it, then the front door (web pages and the JSON API, an Orleans client). Runs until Ctrl+C (SIGINT)
# or SIGTERM, then stops the front door, the silo and Azurite last, so the silo can still write to
# storage while it shuts down.
#
# Needs only the .NET SDK and Node.js/npm; whatever else is missing is installed on first run.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CALLER_DIR="$PWD"   # a relative --data-dir is taken from where run.sh was called
cd "$ROOT"

# ---------------------------------------------------------------------------------------------------
# Options
# ---------------------------------------------------------------------------------------------------
DATA_DIR="$ROOT/.data"
TABLE_PORT=10002          # Azurite's usual table port
QUEUE_PORT=10001          # Azurite's usual queue port (cycle event streams)
BLOB_PORT=10000           # Azurite's usual blob port (opened by Azurite, unused here)
SILO_PORT=11111           # Orleans default silo-to-silo port
GATEWAY_PORT=30000        # Orleans default client gateway port
URLS="http://127.0.0.1:5080"  # where the front door listens
BUILD=1
DEMO=0
SILOS=1                   # silo processes; silo i (from 0) uses SILO_PORT+i and GATEWAY_PORT+i
METRICS_PORT=9464         # silo i serves Prometheus metrics on METRICS_PORT+i (0: off)
SILO_EXTRA_ARGS=()

usage() {
    cat <<EOF
Usage: ./run.sh [options] [-- silo configuration...]

Starts Azurite (table storage), one OrleansGuarantee silo and the front door (web pages and
the JSON API), and keeps them running until Ctrl+C or SIGTERM; then stops the front door, the
silo, then Azurite, and exits.

Options:
  --urls URLS          Where the front door listens (default: $URLS; several separated by ';').
  --data-dir DIR       Folder for Azurite's data, the logs and the front door's keys (default: .data
                       under the repo). Azurite's data goes to DIR/azurite and survives restarts; logs
                       go to DIR/logs; the generated operator key is saved as DIR/operator-key.
  --silos N            Start N silo processes (default: $SILOS), one cluster on the same tables. Silo i
                       (from 0) uses silo port PORT+i and gateway port GATEWAY+i. One silo stopping
                       (or killed) does not stop the others; its grains move to the silos left.
  --silo-port PORT     Silo-to-silo port of the first silo (default: $SILO_PORT).
  --gateway-port PORT  Gateway port of the first silo, for Orleans clients (default: $GATEWAY_PORT).
  --table-port PORT    Azurite table service port (default: $TABLE_PORT).
  --queue-port PORT    Azurite queue service port (default: $QUEUE_PORT).
  --blob-port PORT     Azurite blob service port (default: $BLOB_PORT).
  --metrics-port PORT  Silo i serves its Prometheus metrics (the domain's meter, Orleans' own, the
                       runtime's) at http://localhost:PORT+i/metrics (default: $METRICS_PORT; 0: off).
                       The front door serves its own at <url>/metrics.
  --demo               Once everything answers, seed the demo community "demo" through the API (200
                       members with guarantees, contacts, deposits, deals in every state, arbitration
                       cases and synergy cycles; password "demo-password"). It keeps what exists, so a
                       later start with --demo changes nothing. Everything keeps running meanwhile.
  --no-build           Do not build first (use the last Release build).
  -h, --help           Print this help and exit.

Anything after "--" is passed to the silo as configuration, e.g.
  ./run.sh -- --Orleans:ClusterId mycluster

Stop it with Ctrl+C, or with "kill <pid of run.sh>" (SIGTERM) when it runs in the background.
EOF
}

die() { echo "run.sh: $*" >&2; exit 2; }

# Reads the value of an option given as "--name value" or "--name=value".
need_value() { [[ $# -ge 2 && -n "$2" ]] || die "option $1 needs a value (see ./run.sh --help)"; }

is_port() { [[ "$1" =~ ^[0-9]+$ ]] && (( $1 >= 1 && $1 <= 65535 )); }

while [[ $# -gt 0 ]]; do
    case "$1" in
        -h|--help) usage; exit 0 ;;
        --urls) need_value "$@"; URLS="$2"; shift 2 ;;
        --urls=*) URLS="${1#*=}"; shift ;;
        --data-dir) need_value "$@"; DATA_DIR="$2"; shift 2 ;;
        --data-dir=*) DATA_DIR="${1#*=}"; shift ;;
        --silos) need_value "$@"; SILOS="$2"; shift 2 ;;
        --silos=*) SILOS="${1#*=}"; shift ;;
        --silo-port) need_value "$@"; SILO_PORT="$2"; shift 2 ;;
        --silo-port=*) SILO_PORT="${1#*=}"; shift ;;
        --gateway-port) need_value "$@"; GATEWAY_PORT="$2"; shift 2 ;;
        --gateway-port=*) GATEWAY_PORT="${1#*=}"; shift ;;
        --table-port) need_value "$@"; TABLE_PORT="$2"; shift 2 ;;
        --table-port=*) TABLE_PORT="${1#*=}"; shift ;;
        --queue-port) need_value "$@"; QUEUE_PORT="$2"; shift 2 ;;
        --queue-port=*) QUEUE_PORT="${1#*=}"; shift ;;
        --blob-port) need_value "$@"; BLOB_PORT="$2"; shift 2 ;;
        --blob-port=*) BLOB_PORT="${1#*=}"; shift ;;
        --metrics-port) need_value "$@"; METRICS_PORT="$2"; shift 2 ;;
        --metrics-port=*) METRICS_PORT="${1#*=}"; shift ;;
        --no-build) BUILD=0; shift ;;
        --demo) DEMO=1; shift ;;
        --) shift; SILO_EXTRA_ARGS=("$@"); break ;;
        *) die "unknown option '$1' (see ./run.sh --help)" ;;
    esac
done

[[ -n "$DATA_DIR" ]] || die "--data-dir must not be empty"
[[ "$DATA_DIR" == /* ]] || DATA_DIR="$CALLER_DIR/$DATA_DIR"
for p in "silo-port:$SILO_PORT" "gateway-port:$GATEWAY_PORT" "table-port:$TABLE_PORT" "queue-port:$QUEUE_PORT" "blob-port:$BLOB_PORT"; do
    is_port "${p#*:}" || die "--${p%%:*} must be a port number between 1 and 65535 (got '${p#*:}')"
done
[[ "$SILOS" =~ ^[0-9]+$ ]] && (( SILOS >= 1 && SILOS <= 16 )) || die "--silos must be a number from 1 to 16 (got '$SILOS')"
[[ "$METRICS_PORT" == 0 ]] || is_port "$METRICS_PORT" || die "--metrics-port must be 0 (off) or a port number between 1 and 65535 (got '$METRICS_PORT')"
SILO_PORTS=()
GATEWAY_PORTS=()
METRICS_PORTS=()
for ((n = 0; n < SILOS; n++)); do
    SILO_PORTS+=($((SILO_PORT + n)))
    GATEWAY_PORTS+=($((GATEWAY_PORT + n)))
    if [[ "$METRICS_PORT" != 0 ]]; then METRICS_PORTS+=($((METRICS_PORT + n))); fi
done
is_port "${SILO_PORTS[-1]}" && is_port "${GATEWAY_PORTS[-1]}" || die "--silos $SILOS takes the silo or gateway ports beyond 65535"
if [[ "$METRICS_PORT" != 0 ]]; then is_port "${METRICS_PORTS[-1]}" || die "--silos $SILOS takes the metrics ports beyond 65535"; fi
ALL_PORTS=("${SILO_PORTS[@]}" "${GATEWAY_PORTS[@]}" ${METRICS_PORTS[@]+"${METRICS_PORTS[@]}"} "$TABLE_PORT" "$QUEUE_PORT" "$BLOB_PORT")
[[ $(printf '%s\n' "${ALL_PORTS[@]}" | sort -u | wc -l) -eq ${#ALL_PORTS[@]} ]] \
    || die "the silo ports ($SILO_PORT..), gateway ports ($GATEWAY_PORT..), metrics ports ($METRICS_PORT..), table, queue and blob ports must all be different"
WEB_PORTS=()
IFS=';' read -r -a URL_LIST <<< "$URLS"
for url in "${URL_LIST[@]}"; do
    [[ "$url" =~ ^https?://[^/:]+:([0-9]+)/?$ ]] \
        || die "--urls takes addresses like http://127.0.0.1:5080 (with a port), separated by ';' (got '$url')"
    port="${BASH_REMATCH[1]}"
    is_port "$port" || die "--urls has an invalid port in '$url'"
    [[ " ${ALL_PORTS[*]} " != *" $port "* ]] \
        || die "the front door's port $port is also used as a silo, gateway or Azurite port"
    WEB_PORTS+=("$port")
done
FIRST_URL="${URL_LIST[0]%/}"

# ---------------------------------------------------------------------------------------------------
# Process handling
# ---------------------------------------------------------------------------------------------------
AZURITE_PID=""
SILO_PIDS=()
SILO_GONE=()
WEB_PID=""
SLEEP_PID=""
STOPPING=0

# True when something on this machine accepts TCP connections on the port (bash's /dev/tcp).
port_answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Is the process still running? (bash reaps its exited children, so kill -0 then fails.)
alive() { [[ -n "$1" ]] && kill -0 "$1" 2>/dev/null; }

# stop_process NAME PID SIGNAL SECONDS: sends the signal, waits up to SECONDS, then SIGKILL.
stop_process() {
    local name="$1" pid="$2" signal="$3" seconds="$4" waited=0
    alive "$pid" || return 0
    echo "Stopping $name (pid $pid, SIG$signal)..."
    kill -s "$signal" "$pid" 2>/dev/null || true
    while alive "$pid" && (( waited < seconds * 10 )); do
        sleep 0.1
        waited=$((waited + 1))
    done
    if alive "$pid"; then
        echo "$name did not stop within ${seconds}s; killing it (SIGKILL)." >&2
        kill -s KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
    echo "$name stopped."
}

# Stops everything that was started, silo first, then exits with the given code.
shutdown() {
    local code="$1"
    # Stopping must go on even if the terminal or a pipe (./run.sh | tee log) is gone: no exit on a failed echo.
    set +e
    (( STOPPING )) && return 0
    STOPPING=1
    trap 'echo "Already stopping; please wait."' INT TERM HUP
    if alive "$SLEEP_PID"; then kill "$SLEEP_PID" 2>/dev/null || true; fi
    # The front door first: no new requests reach a silo that is stopping.
    stop_process "front door" "$WEB_PID" TERM 30
    # The silos leave the cluster and deactivate their grains: they still need Azurite for that. All are
    # asked at once (each hands its grains to no one, so the order does not matter), then waited for.
    for pid in ${SILO_PIDS[@]+"${SILO_PIDS[@]}"}; do kill -s TERM "$pid" 2>/dev/null || true; done
    for n in "${!SILO_PIDS[@]}"; do stop_process "silo $n" "${SILO_PIDS[$n]}" TERM 60; done
    # Azurite writes its data folder on SIGINT; SIGTERM can lose the last write.
    stop_process "Azurite" "$AZURITE_PID" INT 20
    if [[ -n "${PID_FILE:-}" && "$(cat "$PID_FILE" 2>/dev/null)" == "$$" ]]; then rm -f "$PID_FILE"; fi
    exit "$code"
}

on_signal() {
    set +e
    echo
    echo "Received SIG$1."
    shutdown 0
}

# Installed before anything is started, so that Ctrl+C at any point stops what is already running.
# SIGPIPE is ignored: when output goes through a pipe whose reader died with the same Ctrl+C, a write
# must fail quietly rather than kill run.sh before it has stopped its children.
trap '' PIPE
trap 'on_signal INT' INT
trap 'on_signal TERM' TERM
trap 'on_signal HUP' HUP

# start_background LOG COMMAND...: starts the command in the background with its output in LOG.
# "exec" makes the recorded PID the real process (not a wrapping shell). Job control is switched on
# just for the start, so the child gets its own process group: a Ctrl+C in the terminal reaches only
# this script, which then stops the children in the right order. (Without it, bash would also start
# the child with SIGINT ignored.)
start_background() {
    local log="$1"; shift
    set -m
    ( exec "$@" ) >>"$log" 2>&1 < /dev/null &
    STARTED_PID=$!
    set +m
}

# fail_start LOG MESSAGE: reports a failed start with the end of the log, stops the rest, exits 1.
fail_start() {
    echo "run.sh: $2" >&2
    echo "---- last lines of $1 ----" >&2
    tail -n 40 "$1" >&2 || true
    echo "----" >&2
    shutdown 1
}

# ---------------------------------------------------------------------------------------------------
# 1. Tools and dependencies
# ---------------------------------------------------------------------------------------------------
# Checked first: a second run.sh on the same ports (or data folder) must not touch the first one.
for p in "Azurite table service:$TABLE_PORT" "Azurite queue service:$QUEUE_PORT" "Azurite blob service:$BLOB_PORT" "${SILO_PORTS[@]/#/silo:}" "${GATEWAY_PORTS[@]/#/gateway:}" ${METRICS_PORTS[@]+"${METRICS_PORTS[@]/#/silo metrics:}"} "${WEB_PORTS[@]/#/front door:}"; do
    if port_answers "${p##*:}"; then
        die "port ${p##*:} (${p%:*}) is already in use. Is another run.sh or Azurite still running? Choose other ports with the options (see --help)."
    fi
done

for tool in dotnet node npm; do
    command -v "$tool" >/dev/null || die "'$tool' is not installed or not on PATH (needs the .NET SDK and Node.js with npm)."
done

if [[ ! -f node_modules/azurite/dist/src/azurite.js ]]; then
    echo "Installing Azurite (npm ci)..."
    npm ci --no-audit --no-fund
fi

SILO_DLL="$ROOT/Silo/bin/Release/net10.0/OrleansGuarantee.Silo.dll"
WEB_DLL="$ROOT/Dashboard/bin/Release/net10.0/OrleansGuarantee.Dashboard.dll"
DEMO_DLL="$ROOT/Demo/bin/Release/net10.0/OrleansGuarantee.Demo.dll"
if (( BUILD )); then
    echo "Building the silo and the front door (dotnet build -c Release)..."
    dotnet build Silo/Silo.csproj -c Release -nologo -v quiet
    dotnet build Dashboard/Dashboard.csproj -c Release -nologo -v quiet
    if (( DEMO )); then dotnet build Demo/Demo.csproj -c Release -nologo -v quiet; fi
fi
[[ -f "$SILO_DLL" ]] || die "$SILO_DLL is missing; run without --no-build."
[[ -f "$WEB_DLL" ]] || die "$WEB_DLL is missing; run without --no-build."
if (( DEMO )); then [[ -f "$DEMO_DLL" ]] || die "$DEMO_DLL is missing; run without --no-build."; fi

# ---------------------------------------------------------------------------------------------------
# 2. Folders and logs
# ---------------------------------------------------------------------------------------------------
mkdir -p "$DATA_DIR"
DATA_DIR="$(cd "$DATA_DIR" && pwd)"
AZURITE_DIR="$DATA_DIR/azurite"
LOG_DIR="$DATA_DIR/logs"
mkdir -p "$AZURITE_DIR" "$LOG_DIR"

# One run.sh per data folder: two Azurites on one folder would overwrite each other's data.
PID_FILE="$DATA_DIR/run.pid"
if [[ -f "$PID_FILE" ]] && other="$(cat "$PID_FILE" 2>/dev/null)" && [[ -n "$other" && "$other" != "$$" ]] && alive "$other"; then
    die "run.sh (pid $other) is already running with the data folder $DATA_DIR."
fi
echo "$$" > "$PID_FILE"
AZURITE_LOG="$LOG_DIR/azurite.log"
# The first silo logs to silo.log, the others to silo-1.log, silo-2.log...
SILO_LOGS=()
for ((n = 0; n < SILOS; n++)); do
    if (( n == 0 )); then SILO_LOGS+=("$LOG_DIR/silo.log"); else SILO_LOGS+=("$LOG_DIR/silo-$n.log"); fi
done
WEB_LOG="$LOG_DIR/frontdoor.log"
# Keep the previous run's logs (useful after a crash), start fresh ones.
for log in "$AZURITE_LOG" "${SILO_LOGS[@]}" "$WEB_LOG"; do
    if [[ -f "$log" ]]; then mv -f "$log" "${log%.log}.previous.log"; fi
    : > "$log"
done

# ---------------------------------------------------------------------------------------------------
# 3. Azurite
# ---------------------------------------------------------------------------------------------------
echo "Starting Azurite (tables on 127.0.0.1:$TABLE_PORT, queues on $QUEUE_PORT), data in $AZURITE_DIR..."
start_background "$AZURITE_LOG" node "$ROOT/node_modules/azurite/dist/src/azurite.js" \
    --tableHost 127.0.0.1 --tablePort "$TABLE_PORT" \
    --queueHost 127.0.0.1 --queuePort "$QUEUE_PORT" \
    --blobHost 127.0.0.1 --blobPort "$BLOB_PORT" \
    --location "$AZURITE_DIR" --silent --disableTelemetry --skipApiVersionCheck
AZURITE_PID=$STARTED_PID

for ((i = 0; ; i++)); do
    port_answers "$TABLE_PORT" && port_answers "$QUEUE_PORT" && break
    alive "$AZURITE_PID" || fail_start "$AZURITE_LOG" "Azurite exited while starting."
    (( i < 300 )) || fail_start "$AZURITE_LOG" "Azurite did not answer on port $TABLE_PORT within 30s."
    sleep 0.1
done

# The well-known development account of Azurite, on our table port.
CONNECTION_STRING="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:$TABLE_PORT/devstoreaccount1;QueueEndpoint=http://127.0.0.1:$QUEUE_PORT/devstoreaccount1;BlobEndpoint=http://127.0.0.1:$BLOB_PORT/devstoreaccount1;"

# ---------------------------------------------------------------------------------------------------
# 4. Silo
# ---------------------------------------------------------------------------------------------------
# Run the built dll directly (not "dotnet run") so signals reach the silo itself. appsettings.json
# logs only warnings of Orleans; the silo's own start/stop lines are switched on here.
start_silo() {
    local n="$1"
    echo "Starting silo $n (silo port ${SILO_PORTS[$n]}, gateway port ${GATEWAY_PORTS[$n]})..."
    start_background "${SILO_LOGS[$n]}" dotnet "$SILO_DLL" \
        --Storage:ConnectionString "$CONNECTION_STRING" \
        --Orleans:SiloPort "${SILO_PORTS[$n]}" \
        --Orleans:GatewayPort "${GATEWAY_PORTS[$n]}" \
        --Logging:LogLevel:Orleans.Hosting.SiloHostedService Information \
        ${METRICS_PORTS[@]+--Telemetry:PrometheusPort "${METRICS_PORTS[$n]}"} \
        ${SILO_EXTRA_ARGS[@]+"${SILO_EXTRA_ARGS[@]}"}
    SILO_PIDS[$n]=$STARTED_PID
}

# wait_started LOG LINE PID SECONDS WHAT: waits until LOG has LINE; reports a failed start if PID dies or time runs out.
wait_started() {
    local log="$1" line="$2" pid="$3" seconds="$4" what="$5" i
    for ((i = 0; ; i++)); do
        grep -q "$line" "$log" && break
        alive "$pid" || fail_start "$log" "$what exited while starting."
        (( i < seconds * 10 )) || fail_start "$log" "$what did not start within ${seconds}s."
        sleep 0.1
    done
}

wait_for_silo() { wait_started "${SILO_LOGS[$1]}" "Orleans Silo started" "${SILO_PIDS[$1]}" 180 "Silo $1"; }

# The first silo creates the tables; the others then start together and join it.
start_silo 0
wait_for_silo 0
for ((n = 1; n < SILOS; n++)); do start_silo "$n"; done
for ((n = 1; n < SILOS; n++)); do wait_for_silo "$n"; done

# ---------------------------------------------------------------------------------------------------
# 5. Front door
# ---------------------------------------------------------------------------------------------------
echo "Starting the front door on $URLS..."
# From its own folder, so it finds its static web assets; DataDir holds the operator key and the keys
# that protect tokens and cookies.
start_background "$WEB_LOG" env ASPNETCORE_ENVIRONMENT="${ASPNETCORE_ENVIRONMENT:-Production}" \
    dotnet "$WEB_DLL" \
    --urls "$URLS" \
    --contentRoot "$ROOT/Dashboard/bin/Release/net10.0" \
    --DataDir "$DATA_DIR" \
    --Storage:ConnectionString "$CONNECTION_STRING"
WEB_PID=$STARTED_PID

wait_started "$WEB_LOG" "Now listening on" "$WEB_PID" 120 "The front door"
# A key generated on this first run is printed once, in the front door's log: show it here.
if grep -q "A new operator key was generated" "$WEB_LOG"; then
    sed -n '/====/,/====/p' "$WEB_LOG"
fi

cat <<EOF

OrleansGuarantee is running.

  Open  $FIRST_URL/            (sign in, sign up, my account)
        API: $FIRST_URL/api, described at $FIRST_URL/openapi/v1.json; health: $FIRST_URL/health
        Operators (sign in with the operator key): $FIRST_URL/operator and the Orleans dashboard $FIRST_URL/orleans/

  Front door             $URLS   (pid $WEB_PID)
  Azurite                tables http://127.0.0.1:$TABLE_PORT, queues http://127.0.0.1:$QUEUE_PORT   (pid $AZURITE_PID)
                         data: $AZURITE_DIR
$(for n in "${!SILO_PIDS[@]}"; do printf '  %-22s silo port %s, client gateway 127.0.0.1:%s   (pid %s)\n' "Silo $n" "${SILO_PORTS[$n]}" "${GATEWAY_PORTS[$n]}" "${SILO_PIDS[$n]}"; if [[ -n "${METRICS_PORTS[$n]:-}" ]]; then printf '  %-22s metrics http://localhost:%s/metrics\n' "" "${METRICS_PORTS[$n]}"; fi; done)
  Operator key           $DATA_DIR/operator-key (unless Operator__Key is set)
  Logs                   $WEB_LOG
$(for log in "${SILO_LOGS[@]}"; do printf '                         %s\n' "$log"; done)
                         $AZURITE_LOG
  Add a silo while it runs (any free ports; it joins through the membership table, and stopping it
  with Ctrl+C or kill hands its grains back to the others):
    dotnet $SILO_DLL --Storage:ConnectionString "\$CONN" --Orleans:SiloPort <port> --Orleans:GatewayPort <port>
  Storage connection string (for clients and tools; CONN above):
    $CONNECTION_STRING

Press Ctrl+C to stop (or: kill $$).
EOF

# ---------------------------------------------------------------------------------------------------
# 6. Demo data (--demo): seeded through the public API once /health answers, while everything runs
# ---------------------------------------------------------------------------------------------------
if (( DEMO )); then
    echo
    # The seeder waits for /health itself. The key comes from the data folder, or from Operator__Key when it is set.
    DEMO_ARGS=(--url "$FIRST_URL")
    if [[ -z "${Operator__Key:-}" ]]; then DEMO_ARGS+=(--operator-key-file "$DATA_DIR/operator-key"); fi
    if dotnet "$DEMO_DLL" "${DEMO_ARGS[@]}"; then
        echo
        echo "Demo ready. Still running; press Ctrl+C to stop."
    elif (( ! STOPPING )); then
        echo "run.sh: seeding the demo did not finish (see above). Everything keeps running; seed again with" >&2
        echo "  dotnet $DEMO_DLL ${DEMO_ARGS[*]}" >&2
    fi
fi

# ---------------------------------------------------------------------------------------------------
# 7. Run until a signal arrives or a child dies
# ---------------------------------------------------------------------------------------------------
# "sleep & wait" rather than plain sleep: wait returns as soon as a trapped signal arrives.
while true; do
    # A silo that stops is reported once; the others carry on with its grains. Only when no silo is left
    # does everything stop.
    running=0
    for n in "${!SILO_PIDS[@]}"; do
        if alive "${SILO_PIDS[$n]}"; then
            running=$((running + 1))
        elif [[ -z "${SILO_GONE[$n]:-}" ]]; then
            SILO_GONE[$n]=1
            echo "run.sh: silo $n (pid ${SILO_PIDS[$n]}) exited; see ${SILO_LOGS[$n]}" >&2
            tail -n 5 "${SILO_LOGS[$n]}" >&2 || true
        fi
    done
    if (( running == 0 )); then
        echo "run.sh: no silo is left running; stopping." >&2
        shutdown 1
    fi
    if ! alive "$WEB_PID"; then
        echo "run.sh: the front door exited unexpectedly; see $WEB_LOG" >&2
        tail -n 20 "$WEB_LOG" >&2 || true
        shutdown 1
    fi
    if ! alive "$AZURITE_PID"; then
        echo "run.sh: Azurite exited unexpectedly; see $AZURITE_LOG" >&2
        tail -n 20 "$AZURITE_LOG" >&2 || true
        shutdown 1
    fi
    sleep 1 &
    SLEEP_PID=$!
    wait "$SLEEP_PID" 2>/dev/null || true
done
