/* web_page.c: the built-in files, and the report URL filled into the page. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "web_page.h"

static const struct web_file *file_of(struct web_page *w, const char *path) {
    struct http_route routes[WEB_PAGE_FILES];
    web_page_routes(w, routes);
    for (int i = 0; i < WEB_PAGE_FILES; i++)
        if (strcmp(routes[i].pattern, path) == 0) return routes[i].arg;
    return NULL;
}

static char *page_text(struct web_page *w) {
    const struct web_file *f = file_of(w, "/");
    static char text[1 << 16];
    assert_non_null(f);
    assert_true(f->len < sizeof(text));
    memcpy(text, f->data, f->len);
    text[f->len] = '\0';
    return text;
}

static void every_file_is_served_with_its_type(void **state) {
    (void)state;
    struct web_page w;
    assert_int_equal(0, web_page_init(&w, NULL));
    assert_string_equal("text/html; charset=utf-8", file_of(&w, "/")->type);
    assert_string_equal("text/javascript; charset=utf-8", file_of(&w, "/app.js")->type);
    assert_string_equal("text/css; charset=utf-8", file_of(&w, "/app.css")->type);
    assert_true(file_of(&w, "/app.js")->len > 1000);
    assert_non_null(strstr(page_text(&w), "<meta name=\"report-url\" content=\"\">"));
    web_page_free(&w);
}

static void report_url_is_filled_in(void **state) {
    (void)state;
    struct web_page w;
    assert_int_equal(0, web_page_init(&w, "http://reports.example:8080/report"));
    const char *page = page_text(&w);
    assert_non_null(
        strstr(page, "<meta name=\"report-url\" content=\"http://reports.example:8080/report\">"));
    assert_non_null(strstr(page, "</html>")); /* the rest is all there */
    web_page_free(&w);
}

/* A URL cannot break out of the attribute: no markup from the config. */
static void report_url_is_escaped(void **state) {
    (void)state;
    struct web_page w;
    assert_int_equal(0, web_page_init(&w, "http://x/\"><script>alert(1)</script>&a=1"));
    const char *page = page_text(&w);
    assert_non_null(strstr(page, "content=\"http://x/&quot;&gt;&lt;script&gt;alert(1)&lt;/"
                                 "script&gt;&amp;a=1\">"));
    assert_null(strstr(page, "<script>alert"));
    web_page_free(&w);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_file_is_served_with_its_type),
        cmocka_unit_test(report_url_is_filled_in),
        cmocka_unit_test(report_url_is_escaped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
