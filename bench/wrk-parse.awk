# Turns wrk --latency output into one JSON object:
# {"requests","seconds","rps","ok_rps","p50_ms","p90_ms","p99_ms","non_2xx","socket_errors"};
# ok_rps counts only the 2xx answers (an error page is not a served request).
function ms(v) { # wrk prints 812.00us, 1.52ms, 1.02s, 2.00m
    if (v ~ /us$/) return v / 1000
    if (v ~ /ms$/) return v + 0
    if (v ~ /s$/) return v * 1000
    if (v ~ /m$/) return v * 60000
    return -1
}
/^ +50% / { p50 = ms($2) }
/^ +90% / { p90 = ms($2) }
/^ +99% / { p99 = ms($2) }
/ requests in / { requests = $1; seconds = $4; sub(/s,$/, "", seconds) }
/^Requests\/sec:/ { rps = $2 }
/^ +Non-2xx or 3xx responses:/ { non2xx = $NF }
/^ +Socket errors:/ { errs = $4 + $6 + $8 + $10 }
END {
    ok_rps = seconds > 0 ? (requests - non2xx) / seconds : 0
    printf "{\"requests\":%d,\"seconds\":%s,\"rps\":%.0f,\"ok_rps\":%.0f,\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f,\"non_2xx\":%d,\"socket_errors\":%d}\n",
        requests, seconds + 0, rps, ok_rps, p50, p90, p99, non2xx, errs
}
