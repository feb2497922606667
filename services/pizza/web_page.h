#ifndef PIZZA_WEB_PAGE_H
#define PIZZA_WEB_PAGE_H
#include "http.h"

/* GET / (the shop and pipeline page), /app.js and /app.css: the files of
 * web/, built in. The page learns where the cheese report is from its
 * <meta name="report-url">, filled in once at start. */

#define WEB_PAGE_FILES 3

struct web_file {
    const char *type;
    const char *data;
    size_t len;
};

struct web_page {
    struct web_file files[WEB_PAGE_FILES];
    char *index; /* the page with the report URL filled in: files[0].data */
};

/** report_url may be NULL or "" (the page then asks this host, port 5001).
 * @returns 0, or -1 when out of memory. */
int web_page_init(struct web_page *w, const char *report_url);
void web_page_free(struct web_page *w); /* NULL-safe */

/** Fills out with one GET route per file (arg: the file). */
void web_page_routes(struct web_page *w, struct http_route out[WEB_PAGE_FILES]);

#endif
