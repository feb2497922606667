#!/usr/bin/env bash
# Chaos: exactly-once under crashes and broker faults. CHAOS_ORDERS (2000)
# orders of 1-5 pizzas are posted by CHAOS_CLIENTS (8; 24 on real Kafka) client
# loops over ~CHAOS_LOAD_S seconds (65; 300 on real Kafka)
# while a fault loop kill -9s a random daemon every 3-5 s (down 0.5-2 s, back
# on the same HTTP port) and takes broker 2 of 3 down for 3 s twice. Then,
# with everything running again, strictly:
#   a. the orders are the distinct order_ids on topic pizza (read_committed);
#      every order a client got 201 for is among them;
#   b. GET /order/{id} of each: 200, complete, exactly its count of distinct
#      pizzas, the count the client asked for, the pizza ids its pizzas have on
#      topic pizza, the toppings they have on pizza-with-veggies;
#   c. each of the five topics (read_committed) holds every pizza id exactly once;
#   d. GET /report equals the cheeses of all those pizzas;
#   e. every daemon is still alive.
# CHAOS_SEED makes the random choices reproducible; CHAOS_VICTIMS (default: all
# six daemons) limits which daemons the fault loop kills.
#
# CHAOS_SCALE=1 (tests/e2e/scale_out.sh) is the scale-out run: 3 instances of
# every topping stage and 2 of pizza-service and of cheese-reporter on one
# broker, each with the shipped config and only what compose gives a container
# (its own host name, which is PIZZA_SERVICE_INSTANCE_ID here, and compose's
# session timeout). The clients post to either pizza-service; the fault loop
# kills random instances and scales meat-service from 3 instances to 1 and back
# to 3 (SIGTERM, then a start); b. is checked on both pizza-services and d. on
# both reporters.
set -euo pipefail
export LC_ALL=C # one collation for sort, comm and join
# shellcheck source=SCRIPTDIR/../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
SCALE=${CHAOS_SCALE:-0}
[[ $SCALE == 0 || $SCALE == 1 ]] || { echo "chaos: CHAOS_SCALE must be 0 or 1" >&2; exit 2; }
lib_init "$( ((SCALE)) && echo scale_out || echo chaos)"

ORDERS=${CHAOS_ORDERS:-2000}
# On real Kafka the same orders take longer to place: three broker JVMs share
# the two cores with everything else, a transaction's every write waits for a
# second replica (about 300 ms a hop here), and a broker killed with -9 holds
# its partitions' writes (and so every POST that touches one) until the
# controller fences it (broker.session.timeout.ms, 9 s). Measured: about 6.6
# accepted orders/s under the faults.
# The scale-out run has one broker and no broker outages; its 16 daemons on
# two cores took 185-216 s for the 2,000 orders (about 10 accepted a second
# under its faults), so they are paced over 180 s.
LOAD_S=${CHAOS_LOAD_S:-$( ((SCALE)) && echo 180 || { [[ $LIB_BROKER_KIND == kafka ]] && echo 300 || echo 65; })}
SEED=${CHAOS_SEED:-$((RANDOM * 32768 + RANDOM))}
if ((SCALE)); then
    INSTANCES=(pizza-service pizza-service@2 cheese-reporter cheese-reporter@2)
    for n in sauce-service cheese-service meat-service veggie-service; do INSTANCES+=("$n" "$n@2" "$n@3"); done
    SCALED=(meat-service@2 meat-service@3) # stopped and started again under load
else
    INSTANCES=("${LIB_DAEMONS[@]}")
    SCALED=()
fi
read -r -a VICTIMS <<<"${CHAOS_VICTIMS:-${INSTANCES[*]}}"
# A POST waits for its transaction, and concurrent POSTs share one: on real
# Kafka a transaction takes longer, so more clients keep up the same pace.
CLIENTS=${CHAOS_CLIENTS:-$([[ $LIB_BROKER_KIND == kafka ]] && echo 24 || echo 8)}
COMPLETE_WAIT_S=60 # at most this long for every order to complete...
STALL_S=20         # ...and give up earlier once none has completed for this long
[[ $ORDERS =~ ^[1-9][0-9]*$ && $LOAD_S =~ ^[1-9][0-9]*$ && $SEED =~ ^[0-9]+$ ]] ||
    fail "CHAOS_ORDERS, CHAOS_LOAD_S and CHAOS_SEED must be whole numbers"
lib_log "seed $SEED (rerun with CHAOS_SEED=$SEED), $ORDERS orders over ~$LOAD_S s, killing ${VICTIMS[*]}"
RANDOM=$SEED
T0=$(lib_now_ms)
TOPICS=(pizza pizza-with-sauce pizza-with-cheese pizza-with-meats pizza-with-veggies)

if ((SCALE)); then
    start_broker --partitions 6
    # compose's: how long a killed instance's partitions wait for the group
    export KAFKA_SESSION_TIMEOUT_MS=10000
    for n in "${INSTANCES[@]}"; do lib_launch "$n"; done
    for n in "${INSTANCES[@]}"; do lib_await "$n"; done
else
    start_pipeline --brokers 3 --replication 3 --partitions 6
fi
PIZZA_URLS=() REPORT_URLS=()
for n in "${INSTANCES[@]}"; do
    case $n in
    pizza-service*) PIZZA_URLS+=("http://127.0.0.1:$(port_of "$n")") ;;
    cheese-reporter*) REPORT_URLS+=("http://127.0.0.1:$(port_of "$n")/report") ;;
    esac
done
pizza=${PIZZA_URLS[0]}

# ---------------------------------------------------------------- summary

declare -A KILLS=()
for n in "${INSTANCES[@]}"; do KILLS[$n]=0; done
OUTAGES=0 SELF_EXITS=0 LOAD_MS=0 SCALE_STEPS=0
N_201=0 N_503=0 N_CONN=0 N_OTHER=0 N_ORPHAN=- N_ORDERS=- N_PIZZAS=-
N_LOST=- N_MISSING=- N_DUPS=- N_STRAYS=- N_BAD=- REPORT=-
FAILURES=()

summary() {
    local kills="" total=0 n
    for n in "${INSTANCES[@]}"; do
        kills+="${kills:+,}$n:${KILLS[$n]}"
        total=$((total + KILLS[$n]))
    done
    printf 'SUMMARY [%s] seed=%s accepted=%s http_503=%s conn_failures=%s other_codes=%s orphan_orders=%s orders=%s pizzas=%s kills=%s (%s) broker_outages=%s scale_steps=%s self_exits=%s lost_orders=%s missing_pizzas=%s duplicates=%s strays=%s bad_orders=%s report=%s load_s=%s total_s=%s\n' \
        "$LIB_TEST_NAME" "$SEED" "$N_201" "$N_503" "$N_CONN" "$N_OTHER" "$N_ORPHAN" "$N_ORDERS" "$N_PIZZAS" \
        "$total" "$kills" "$OUTAGES" "$SCALE_STEPS" "$SELF_EXITS" "$N_LOST" "$N_MISSING" "$N_DUPS" "$N_STRAYS" \
        "$N_BAD" "$REPORT" "$((LOAD_MS / 1000))" "$((($(lib_now_ms) - T0) / 1000))"
}

# problem CHECK MESSAGE: records a failed guarantee; all are reported at the end.
problem() {
    FAILURES+=("$1: $2")
    printf 'chaos: FAILED %s: %s\n' "$1" "$2" >&2
}

# few FILE: the first 5 lines of FILE on one line ("; " between), then "..." if more.
few() {
    head -n 5 "$1" | paste -s -d ';' - | sed 's/;/; /g' | tr -d '\n'
    (($(wc -l <"$1") <= 5)) || printf '; ...'
}

# ---------------------------------------------------------------- load

# client I SHARE: places SHARE orders, paced over LOAD_S; logs "201 ID COUNT",
# "503", "000" (no HTTP answer) or "other CODE" per attempt to client.I.
client() {
    local i=$1 share=$2 log=$WORK/client.$1 k=0 count=0 resp code body start due now d deadline url
    [[ -z $LIB_BROKER_FD ]] || exec {LIB_BROKER_FD}>&- # the dev broker's control fifo stays the test's alone
    RANDOM=$((SEED + 7919 * i))
    start=$(lib_now_ms)
    # give up: the test must end. Clients that fall behind during outages
    # catch up at the speed of one curl at a time: with seed 842107499 on
    # the dev broker the last share was accepted after 117-126 s, the same on
    # the code before the batch-path refactor, so 60 s of slack was too tight
    deadline=$((start + (LOAD_S + 120) * 1000))
    : >"$log"
    while ((k < share)); do
        if ((count == 0)); then # a new order (a retry reposts the same count)
            count=$((RANDOM % 5 + 1))
            due=$((start + k * LOAD_S * 1000 / share))
            now=$(lib_now_ms)
            if ((due > now)); then
                d=$((due - now))
                sleep "$((d / 1000)).$(printf '%03d' $((d % 1000)))"
            fi
        fi
        (($(lib_now_ms) < deadline)) || { echo "gave-up" >>"$log" && return 0; }
        url=${PIZZA_URLS[RANDOM % ${#PIZZA_URLS[@]}]}
        resp=$(curl -s --max-time 15 -w '\n%{http_code}' -X POST "$url/order/$count") || true
        code=${resp##*$'\n'}
        body=${resp%$'\n'*}
        case $code in
        201)
            if [[ $body =~ \"order_id\"[[:space:]]*:[[:space:]]*\"([^\"]+)\" ]]; then
                echo "201 ${BASH_REMATCH[1]} $count" >>"$log"
            else
                echo "other 201-without-order_id" >>"$log"
            fi
            k=$((k + 1))
            count=0
            continue
            ;;
        503) echo 503 >>"$log" ;;
        000 | "") echo 000 >>"$log" ;;
        *) echo "other $code" >>"$log" ;;
        esac
        sleep "0.$((2 + RANDOM % 4))" # not accepted: a new POST after a short pause
    done
}

CLIENT_PIDS=()
for ((i = 0; i < CLIENTS; i++)); do
    client "$i" $((ORDERS / CLIENTS + (i < ORDERS % CLIENTS ? 1 : 0))) &
    CLIENT_PIDS+=($!)
    track_pid $!
done
LOAD_T0=$(lib_now_ms)

clients_running() {
    local p
    for p in "${CLIENT_PIDS[@]}"; do lib_alive "$p" && return 0; done
    return 1
}

# sleep_ms MS: sleeps MS milliseconds, cut short when the clients are done.
sleep_ms() {
    local until=$(($(lib_now_ms) + $1))
    while clients_running && (($(lib_now_ms) < until)); do sleep 0.1; done
}

# Restarts any daemon that died by itself (a fatal Kafka error exits 1 for a
# supervisor to restart it: we are that supervisor), counting it.
supervise() {
    local n
    for n in "${INSTANCES[@]}"; do
        [[ -n ${LIB_PIDS[$n]:-} ]] || continue # scaled down
        if reap_daemon "$n"; then
            SELF_EXITS=$((SELF_EXITS + 1))
            printf 'chaos: %s exited by itself with code %s; restarting it\n' "$n" "$LIB_EXIT_CODE" >&2
            restart_daemon "$n" listening
        fi
    done
}

# scale_step: stops the SCALED instances (SIGTERM: they commit and leave the
# group, exit 0) when they run, else starts them again.
scale_step() {
    local n rc
    for n in "${SCALED[@]}"; do
        if [[ -n ${LIB_PIDS[$n]:-} ]]; then
            rc=0
            stop_daemon "$n" || rc=$?
            ((rc == 0)) || problem scale "$n exited with code $rc when scaled down"
        else
            restart_daemon "$n" listening
        fi
    done
    SCALE_STEPS=$((SCALE_STEPS + 1))
    lib_log "scale step $SCALE_STEPS: ${SCALED[*]} $([[ -n ${LIB_PIDS[${SCALED[0]}]:-} ]] && echo up || echo down)"
}

# pick_victim: sets victim to a random daemon of VICTIMS, then a random running
# instance of it ("" if none), so every daemon is hit as often however many
# instances it has. Not in $(...): the seed's sequence must go on in this shell.
for v in "${VICTIMS[@]}"; do [[ -v "KILLS[$v]" ]] || fail "CHAOS_VICTIMS: unknown daemon '$v'"; done
read -r -a VICTIM_DAEMONS <<<"$(printf '%s\n' "${VICTIMS[@]%@*}" | sort -u | tr '\n' ' ')"
pick_victim() {
    local daemon=${VICTIM_DAEMONS[RANDOM % ${#VICTIM_DAEMONS[@]}]} v running=()
    for v in "${VICTIMS[@]}"; do
        [[ ${v%@*} == "$daemon" && -n ${LIB_PIDS[$v]:-} ]] && running+=("$v")
    done
    victim=
    ((${#running[@]} == 0)) || victim=${running[RANDOM % ${#running[@]}]}
}

# The fault loop runs in this shell: only it can start and reap the daemons.
# At a quarter and at three fifths of the load: the broker outages, or in the
# scale-out run (one broker) the scale-down and the scale-up.
fault_at=($((LOAD_T0 + LOAD_S * 1000 / 4)) $((LOAD_T0 + LOAD_S * 1000 * 3 / 5)))
outage_at=("${fault_at[@]}") scale_at=()
((SCALE == 0)) || { scale_at=("${fault_at[@]}") && outage_at=(); }
while clients_running; do
    cycle_end=$(($(lib_now_ms) + 3000 + RANDOM % 2001))
    supervise
    if ((SCALE_STEPS < ${#scale_at[@]} && $(lib_now_ms) >= scale_at[SCALE_STEPS])); then
        scale_step
    elif ((OUTAGES < ${#outage_at[@]} && $(lib_now_ms) >= outage_at[OUTAGES])); then
        reply=$(broker_cmd broker down 2)
        assert_eq ok "$reply" "reply to 'broker down 2'"
        lib_log "broker 2 down"
        sleep 3
        reply=$(broker_cmd broker up 2)
        assert_eq ok "$reply" "reply to 'broker up 2'"
        lib_log "broker 2 up"
        OUTAGES=$((OUTAGES + 1))
    else
        pick_victim
        if [[ -n $victim ]]; then # else all of that daemon's are scaled down: a quiet cycle
            kill9_daemon "$victim"
            KILLS[$victim]=$((KILLS[$victim] + 1))
            down_ms=$((500 + RANDOM % 1501))
            sleep "$((down_ms / 1000)).$(printf '%03d' $((down_ms % 1000)))"
            restart_daemon "$victim" listening
        fi
    fi
    now=$(lib_now_ms)
    ((cycle_end <= now)) || sleep_ms $((cycle_end - now))
done
for p in "${CLIENT_PIDS[@]}"; do wait "$p" || fail "client loop $p failed"; done
LOAD_MS=$(($(lib_now_ms) - LOAD_T0))

cat "$WORK"/client.* >"$WORK/attempts"
awk '$1 == 201 { print $2, $3 }' "$WORK/attempts" | sort >"$WORK/accepted"
N_201=$(wc -l <"$WORK/accepted")
N_503=$(grep -c '^503$' "$WORK/attempts") || true
N_CONN=$(grep -c '^000$' "$WORK/attempts") || true
N_OTHER=$(grep -c '^other' "$WORK/attempts") || true
lib_log "load done in $((LOAD_MS / 1000)) s: $N_201 accepted, $N_503 503s, $N_CONN connection failures"
((N_OTHER == 0)) || problem load "unexpected answers to POST: $(grep '^other' "$WORK/attempts" | sort | uniq -c | head -n 5 | tr -s ' \n' ' ')"
grep -q '^gave-up' "$WORK/attempts" &&
    problem load "$(grep -c '^gave-up' "$WORK/attempts") client loops gave up before their share was accepted"
cut -d' ' -f1 "$WORK/accepted" | uniq -d >"$WORK/accepted.twice"
[[ ! -s $WORK/accepted.twice ]] || problem load "order ids answered 201 twice: $(few "$WORK/accepted.twice")"
((OUTAGES == ${#outage_at[@]})) || problem load "only $OUTAGES broker outages happened during the load"
((SCALE_STEPS == ${#scale_at[@]})) || problem load "only $SCALE_STEPS scale steps happened during the load"

# ---------------------------------------------------------------- settle

# Everything runs again, and is ready.
supervise
for n in "${SCALED[@]}"; do [[ -n ${LIB_PIDS[$n]:-} ]] || restart_daemon "$n" listening; done
for n in "${INSTANCES[@]}"; do lib_await_ready "$n"; done

# get_orders IDS_FILE [URL]: GETs every order listed from pizza-service at URL
# ($pizza), a few parallel curls with many URLs each; bodies in $WORK/get/ID,
# "CODE ID" lines in $WORK/get.codes.
get_orders() {
    local id pizza=${2:-$pizza}
    rm -rf "$WORK/get" && mkdir "$WORK/get"
    while read -r id; do
        printf 'url = "%s/order/%s"\noutput = "%s/get/%s"\n' "$pizza" "$id" "$WORK" "$id"
    done <"$1" >"$WORK/get.cfg"
    : >"$WORK/get.codes"
    [[ -s $1 ]] || return 0
    curl -s --no-progress-meter --parallel --parallel-max 16 --max-time 10 -K "$WORK/get.cfg" \
        -w '%{http_code} %{url_effective}\n' | sed 's|^\([0-9]*\) .*/order/|\1 |' >"$WORK/get.codes" || true
}

# complete_ids: ids of the orders fetched by get_orders that are complete.
complete_ids() {
    local ids
    ids=$(awk '$1 == 200 { print $2 }' "$WORK/get.codes")
    [[ -n $ids ]] || return 0
    # shellcheck disable=SC2086 # order ids are [A-Za-z0-9_-]: safe to split
    (cd "$WORK/get" && awk 1 $ids) | jq -R -r 'fromjson? | select(.status == "complete") | .id' | sort -u
}

# read_topics: one read_committed read of each topic, in parallel, into $WORK/topic.T.
read_topics() {
    local t pids=()
    for t in "$@"; do
        timeout 60 kcat -b "$KAFKA_BOOTSTRAP_SERVERS" -C -t "$t" -e -q -o beginning \
            -X isolation.level=read_committed -X fetch.wait.max.ms=10 -f '%s\n' >"$WORK/topic.$t" &
        pids+=($!)
    done
    for t in "${pids[@]}"; do wait "$t" || fail "kcat could not read a topic (pid $t)"; done
}

# Every order completes: the accepted ones and those only topic pizza knows
# (pizza-service died before its 201 went out).
read_topics pizza
jq -R -r 'fromjson? | .order_id' "$WORK/topic.pizza" | sort -u |
    sort -u - <(cut -d' ' -f1 "$WORK/accepted") >"$WORK/pending"
wait_t0=$(lib_now_ms)
last_progress=$wait_t0
while [[ -s $WORK/pending ]]; do
    get_orders "$WORK/pending"
    complete_ids >"$WORK/done"
    if [[ -s $WORK/done ]]; then
        comm -23 "$WORK/pending" "$WORK/done" >"$WORK/pending.next"
        mv "$WORK/pending.next" "$WORK/pending"
        last_progress=$(lib_now_ms)
    fi
    now=$(lib_now_ms)
    ((now - wait_t0 < COMPLETE_WAIT_S * 1000 && now - last_progress < STALL_S * 1000)) || break
    [[ -s $WORK/pending ]] && sleep 0.5
done
lib_log "$(wc -l <"$WORK/pending") orders not complete after $((($(lib_now_ms) - wait_t0) / 1000)) s"

# The topics are read once nothing moves any more: a redone batch may still be
# landing after the last order completed.
prev=
for _ in 1 2 3 4 5 6 7 8 9 10; do
    read_topics "${TOPICS[@]}"
    sizes=$(wc -l "$WORK"/topic.* | tr -s ' \n' ' ')
    [[ $sizes == "$prev" ]] && break
    prev=$sizes
    sleep 2
done
[[ $sizes == "$prev" ]] || problem settle "topics still growing after 20 s: $sizes"

# ---------------------------------------------------------------- a. orders

jq -R -r 'fromjson? | [.order_id, .id] | @tsv' "$WORK/topic.pizza" | sort -u >"$WORK/pizza.pairs"
cut -f1 "$WORK/pizza.pairs" | sort -u >"$WORK/orders.topic"
cut -d' ' -f1 "$WORK/accepted" | sort -u >"$WORK/orders.accepted"
comm -23 "$WORK/orders.accepted" "$WORK/orders.topic" >"$WORK/lost"
comm -13 "$WORK/orders.accepted" "$WORK/orders.topic" >"$WORK/orphans"
sort -u "$WORK/orders.accepted" "$WORK/orders.topic" >"$WORK/orders"
N_LOST=$(wc -l <"$WORK/lost")
N_ORPHAN=$(wc -l <"$WORK/orphans")
N_ORDERS=$(wc -l <"$WORK/orders")
((N_LOST == 0)) || problem a "$N_LOST orders answered 201 are not on topic pizza: $(few "$WORK/lost")"

# ---------------------------------------------------------------- c. topics

for t in "${TOPICS[@]}"; do
    jq -R -r 'fromjson? | .id' "$WORK/topic.$t" | sort >"$WORK/ids.$t"
done
sort -u "$WORK/ids.pizza" >"$WORK/pizzas"
N_PIZZAS=$(wc -l <"$WORK/pizzas")
N_DUPS=0 N_MISSING=0 N_STRAYS=0
for t in "${TOPICS[@]}"; do
    [[ $(wc -l <"$WORK/topic.$t") == $(wc -l <"$WORK/ids.$t") ]] ||
        problem c "topic $t holds $(($(wc -l <"$WORK/topic.$t") - $(wc -l <"$WORK/ids.$t"))) events that are not JSON objects with an id"
    uniq -c "$WORK/ids.$t" | awk '$1 > 1 { print $2 " x" $1 }' >"$WORK/dups.$t"
    sort -u "$WORK/ids.$t" >"$WORK/set.$t"
    comm -23 "$WORK/pizzas" "$WORK/set.$t" >"$WORK/missing.$t"
    comm -13 "$WORK/pizzas" "$WORK/set.$t" >"$WORK/strays.$t"
    extra=$(($(wc -l <"$WORK/ids.$t") - $(wc -l <"$WORK/set.$t")))
    N_DUPS=$((N_DUPS + extra))
    N_MISSING=$((N_MISSING + $(wc -l <"$WORK/missing.$t")))
    N_STRAYS=$((N_STRAYS + $(wc -l <"$WORK/strays.$t")))
    ((extra == 0)) || problem c "topic $t: $extra duplicate events of $(wc -l <"$WORK/dups.$t") pizza ids: $(few "$WORK/dups.$t")"
    [[ ! -s $WORK/missing.$t ]] || problem c "topic $t lacks $(wc -l <"$WORK/missing.$t") pizzas of topic pizza: $(few "$WORK/missing.$t")"
    [[ ! -s $WORK/strays.$t ]] || problem c "topic $t holds $(wc -l <"$WORK/strays.$t") pizza ids that are not on topic pizza: $(few "$WORK/strays.$t")"
done

# ---------------------------------------------------------------- b. GET

# check_gets URL: b. as pizza-service at URL answers it
check_gets() {
    local url=$1 ok_ids bad
    get_orders "$WORK/orders" "$url"
    ok_ids=$(awk '$1 == 200 { print $2 }' "$WORK/get.codes")
    : >"$WORK/get.rows"
    : >"$WORK/get.pizzas"
    if [[ -n $ok_ids ]]; then
        # shellcheck disable=SC2086 # ids are [A-Za-z0-9_-]: safe to split
        (cd "$WORK/get" && awk 1 $ok_ids) >"$WORK/get.bodies"
        jq -R -r 'fromjson? | [.id, .status, .count, (.pizzas | length), ([.pizzas[].id] | unique | length),
            ([.pizzas[].id] | sort | join(","))] | @tsv' "$WORK/get.bodies" >"$WORK/get.rows"
        jq -R -r 'fromjson? | .pizzas[] | [.id, .sauce, .cheese, .meats, .veggies] | @tsv' \
            "$WORK/get.bodies" | sort -u >"$WORK/get.pizzas"
    fi
    # One line per order: its pizza ids on topic pizza.
    awk -F'\t' '{ ids[$1] = ids[$1] (ids[$1] == "" ? "" : ",") $2 }
        END { for (o in ids) print o "\t" ids[o] }' "$WORK/pizza.pairs" >"$WORK/pizza.rows"
    awk -v accepted="$WORK/accepted" -v codes="$WORK/get.codes" -v topic="$WORK/pizza.rows" \
        -v rows="$WORK/get.rows" -F'\t' '
        BEGIN {
            while ((getline l < accepted) > 0) { split(l, a, " "); asked[a[1]] = a[2] }
            while ((getline l < codes) > 0) { split(l, a, " "); code[a[2]] = a[1] }
            while ((getline l < topic) > 0) { split(l, a, "\t"); onpizza[a[1]] = a[2] }
            while ((getline l < rows) > 0) {
                split(l, a, "\t"); st[a[1]] = a[2]; cnt[a[1]] = a[3]; n[a[1]] = a[4]; nu[a[1]] = a[5]; ids[a[1]] = a[6]
            }
        }
        {
            o = $1
            if (code[o] != 200) { print o " GET answered " (code[o] == "" ? "nothing" : code[o]); next }
            if (!(o in st)) { print o " GET body unreadable"; next }
            if (st[o] != "complete") { print o " status " st[o]; next }
            if (n[o] != cnt[o]) { print o " has " n[o] " pizzas for count " cnt[o]; next }
            if (nu[o] != n[o]) { print o " lists a pizza id twice"; next }
            if ((o in asked) && asked[o] != cnt[o]) { print o " count " cnt[o] " but the client asked " asked[o]; next }
            if (ids[o] != onpizza[o]) { print o " pizzas " ids[o] " differ from topic pizza: " onpizza[o]; next }
        }' "$WORK/orders" >"$WORK/bad.orders"
    bad=$(wc -l <"$WORK/bad.orders")
    N_BAD=$((N_BAD + bad))
    ((bad == 0)) || problem b "$url: $bad of $N_ORDERS orders are wrong: $(few "$WORK/bad.orders")"
    jq -R -r 'fromjson? | [.id, .sauce, .cheese, .meats, .veggies] | @tsv' "$WORK/topic.pizza-with-veggies" |
        sort -u >"$WORK/veggies.pizzas"
    comm -23 "$WORK/get.pizzas" "$WORK/veggies.pizzas" | cut -f1 >"$WORK/bad.toppings"
    [[ ! -s $WORK/bad.toppings ]] ||
        problem b "$url: $(wc -l <"$WORK/bad.toppings") pizzas served by GET differ from (or are absent from) pizza-with-veggies: $(few "$WORK/bad.toppings")"
}
N_BAD=0
for url in "${PIZZA_URLS[@]}"; do check_gets "$url"; done

# ---------------------------------------------------------------- d. report

# The truth: the cheese of each pizza of each order, once (a topping is a
# function of the pizza id, so any copy on pizza-with-cheese tells it).
jq -R -r 'fromjson? | [.id, .cheese] | @tsv' "$WORK/topic.pizza-with-cheese" | sort -t $'\t' -u -k1,1 |
    join -t $'\t' - "$WORK/pizzas" | cut -f2 |
    jq -R -s -c -S 'split("\n") | map(select(length > 0)) | group_by(.) | map({(.[0]): length}) | add // {}' \
        >"$WORK/truth.json"
report_matches() { # URL
    curl -sf --max-time 5 "$1" | jq -c -S . >"$WORK/report.json" &&
        cmp -s "$WORK/report.json" "$WORK/truth.json"
}
REPORT=ok
for report_url in "${REPORT_URLS[@]}"; do
    report_deadline=$(($(lib_now_ms) + 20000))
    until report_matches "$report_url"; do
        (($(lib_now_ms) < report_deadline)) || break
        sleep 0.2
    done
    cmp -s "$WORK/report.json" "$WORK/truth.json" && continue
    REPORT=mismatch
    problem d "$report_url differs from the cheeses of the $N_PIZZAS pizzas (cheese: report/truth): $(
        jq -n -r --slurpfile r "$WORK/report.json" --slurpfile t "$WORK/truth.json" \
            '($r[0] // {}) as $r | $t[0] as $t | [($r + $t) | keys[] | select($r[.] != $t[.]) |
             "\(.): \($r[.] // 0)/\($t[.] // 0)"] | join(", ")'
    )"
done

# ---------------------------------------------------------------- e. alive

for n in "${INSTANCES[@]}"; do
    if reap_daemon "$n"; then
        problem e "$n exited with code $LIB_EXIT_CODE after the load"
    fi
done

summary
((${#FAILURES[@]} == 0)) || fail "${#FAILURES[@]} guarantees broken: $(printf '%s | ' "${FAILURES[@]}")"
pass
