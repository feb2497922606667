#include "instance.h"

#include <stdio.h>
#include <string.h>

static int instance_id_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
}

static int instance_id_check(const char *id, char *why, size_t sz) {
    size_t n = strlen(id);
    if (n == 0 || n > INSTANCE_ID_MAX) {
        snprintf(why, sz, "must be 1 to %d characters, not %zu", INSTANCE_ID_MAX, n);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (instance_id_char(id[i])) continue;
        snprintf(why, sz, "may hold only letters, digits, '.', '_' and '-' (character %zu is not)",
                 i + 1);
        return -1;
    }
    return 0;
}

int instance_id_pick(const char *configured, const char *hostname, char out[INSTANCE_ID_MAX + 1],
                     char *why, size_t sz) {
    const char *id = configured ? configured : hostname ? hostname : "";
    char bad[192];
    out[0] = '\0';
    if (instance_id_check(id, bad, sizeof(bad)) == -1) {
        if (configured)
            snprintf(why, sz, "[service] instance_id '%.*s' %s", INSTANCE_ID_MAX, id, bad);
        else
            snprintf(why, sz,
                     "the host name '%.*s' cannot be the instance id: it %s; set [service] "
                     "instance_id (PIZZA_SERVICE_INSTANCE_ID)",
                     INSTANCE_ID_MAX, id, bad);
        return -1;
    }
    memcpy(out, id, strlen(id) + 1);
    return configured ? INSTANCE_CONFIGURED : INSTANCE_HOSTNAME;
}

int instance_txn_id(const char *service, const char *id, char *out, size_t sz) {
    int n = snprintf(out, sz, "%s-%s", service, id);
    return n < 0 || (size_t)n >= sz ? -1 : 0;
}
