#ifndef PIZZA_WEB_ASSETS_H
#define PIZZA_WEB_ASSETS_H
#include <stddef.h>

/* The page's files (web/), built into the binary by cmake/embed.cmake so the
 * daemon serves them offline and from any working directory. */
struct web_asset {
    const char *path; /* URL path: "/", "/app.js" */
    const char *type; /* Content-Type */
    const unsigned char *data;
    size_t len;
};

extern const struct web_asset web_assets[];
extern const size_t web_assets_n;

#endif
