#define _GNU_SOURCE /* memmem */
#include "web_page.h"

#include "web_assets.h"

#include <stdlib.h>
#include <string.h>

/* What the page's HTML carries for the server to fill in. */
#define REPORT_URL_META "<meta name=\"report-url\" content=\"\">"

/* The page loads its own script and style and talks to this host and the
 * report (another port, maybe another host): nothing else, and nobody may
 * frame it. */
#define WEB_CSP                                                                                    \
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "              \
    "connect-src *; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

static enum http_result web_page_get(struct http_req *r, const char *param, void *arg);

/* Each route's arg becomes its file (web_page_routes). */
static const struct http_route web_routes[WEB_PAGE_FILES] = {
    {"GET", "/", web_page_get, NULL},
    {"GET", "/app.js", web_page_get, NULL},
    {"GET", "/app.css", web_page_get, NULL},
};

static const struct web_asset *web_asset_at(const char *path) {
    for (size_t i = 0; i < web_assets_n; i++)
        if (strcmp(web_assets[i].path, path) == 0) return &web_assets[i];
    return NULL;
}

static const char *web_attr_escape(char c) {
    switch (c) {
    case '&':
        return "&amp;";
    case '"':
        return "&quot;";
    case '<':
        return "&lt;";
    case '>':
        return "&gt;";
    default:
        return NULL;
    }
}

/* The page with url as its report-url meta's content (escaped). */
static char *web_index_fill(const struct web_asset *page, const char *url, size_t *len) {
    const char *html = (const char *)page->data;
    const char *meta = memmem(html, page->len, REPORT_URL_META, strlen(REPORT_URL_META));
    size_t head = meta ? (size_t)(meta - html) + strlen(REPORT_URL_META) - 2 : page->len;
    size_t url_len = 0;
    for (const char *c = url; *c; c++)
        url_len += web_attr_escape(*c) ? 6 : 1;
    char *out = malloc(page->len + url_len + 1), *at = out;
    if (!out) return NULL;
    memcpy(at, html, head), at += head;
    for (const char *c = meta ? url : ""; *c; c++) {
        const char *rep = web_attr_escape(*c);
        size_t n = rep ? strlen(rep) : 1;
        memcpy(at, rep ? rep : c, n), at += n;
    }
    memcpy(at, html + head, page->len - head), at += page->len - head;
    *len = (size_t)(at - out);
    return out;
}

int web_page_init(struct web_page *w, const char *report_url) {
    memset(w, 0, sizeof(*w));
    for (int i = 0; i < WEB_PAGE_FILES; i++) {
        const struct web_asset *a = web_asset_at(web_routes[i].pattern);
        w->files[i] = (struct web_file){a->type, (const char *)a->data, a->len};
    }
    w->index = web_index_fill(web_asset_at("/"), report_url ? report_url : "", &w->files[0].len);
    w->files[0].data = w->index;
    return w->index ? 0 : -1;
}

void web_page_free(struct web_page *w) {
    if (!w) return;
    free(w->index);
    w->index = NULL;
}

static enum http_result web_page_get(struct http_req *r, const char *param, void *arg) {
    (void)param;
    const struct web_file *f = arg;
    http_add_header(r, "Cache-Control", "no-cache");
    http_add_header(r, "X-Content-Type-Options", "nosniff");
    http_add_header(r, "Content-Security-Policy", WEB_CSP);
    http_add_header(r, "Referrer-Policy", "no-referrer");
    http_reply(r, 200, f->type, f->data, f->len);
    return HTTP_DONE;
}

void web_page_routes(struct web_page *w, struct http_route out[WEB_PAGE_FILES]) {
    for (int i = 0; i < WEB_PAGE_FILES; i++) {
        out[i] = web_routes[i];
        out[i].arg = &w->files[i];
    }
}
