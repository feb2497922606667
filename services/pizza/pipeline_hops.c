/* Parsing [web] hops (pipeline_hops.h). */
#include "pipeline_hops.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static const char *skip_space(const char *p) {
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

static int name_char(char c) {
    return isalnum((unsigned char)c) || c == '.' || c == '_' || c == '-';
}

/* Copies the name at *p into out, then skips spaces. @returns 0, or -1 when
 * there is none or it is too long. */
static int take_name(const char **p, char out[PIPELINE_NAME_MAX + 1]) {
    const char *s = skip_space(*p), *e = s;
    while (name_char(*e))
        e++;
    if (e == s || e - s > PIPELINE_NAME_MAX) return -1;
    memcpy(out, s, (size_t)(e - s));
    out[e - s] = '\0';
    *p = skip_space(e);
    return 0;
}

/* One "group:input>output" at *p, which it moves past. @returns 0, or -1. */
static int take_hop(const char **p, struct pipeline_hop *h) {
    if (take_name(p, h->group) == -1 || **p != ':') return -1;
    (*p)++;
    if (take_name(p, h->input) == -1 || **p != '>') return -1;
    (*p)++;
    return take_name(p, h->output);
}

int pipeline_hops_parse(const char *text, struct pipeline_hop *out, size_t max, char *errstr,
                        size_t sz) {
    const char *p = text;
    size_t n = 0;
    for (;;) {
        if (n == max) {
            snprintf(errstr, sz, "more than %zu hops", max);
            return -1;
        }
        const char *start = skip_space(p);
        if (take_hop(&p, &out[n]) == -1 || (*p != ',' && *p != '\0')) {
            const char *end = strchr(start, ',');
            int len = end ? (int)(end - start) : (int)strlen(start);
            snprintf(errstr, sz, "hop %zu is not group:input>output: \"%.*s\"", n + 1,
                     len > 80 ? 80 : len, start);
            return -1;
        }
        n++;
        if (*p == '\0') return (int)n;
        p++; /* ',' */
    }
}
