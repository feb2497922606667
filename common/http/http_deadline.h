#ifndef PIZZA_HTTP_DEADLINE_H
#define PIZZA_HTTP_DEADLINE_H
#include <stddef.h>

/* Request deadlines for the HTTP server (internal to http.c).
 *
 * libmicrohttpd's connection timeout is an idle timeout: a client that sends a
 * byte of its request head every few seconds (slowloris) keeps its connection
 * for ever, and enough of them hold every connection slot. So each connection
 * must deliver a whole request within a fixed time of being accepted, or of
 * its request line arriving on a kept-alive connection; a watchdog thread
 * shuts down the socket of any connection past its deadline, and the server's
 * own loop then closes it. */
struct http_deadlines; /* opaque */
struct http_conn;      /* one tracked connection */

/** Starts the watchdog. @returns NULL on error (errstr set). */
struct http_deadlines *http_deadlines_start(unsigned request_timeout_s, char *errstr, size_t sz);
/** Stops the watchdog; every connection must have been closed first. NULL-safe. */
void http_deadlines_stop(struct http_deadlines *d);

/** A connection was accepted on fd: its first request is due within the
 * timeout. @returns its handle, or NULL on allocation failure. */
struct http_conn *http_conn_open(struct http_deadlines *d, int fd);
/** The connection is closing (before its fd is): untracks and frees it. NULL-safe. */
void http_conn_close(struct http_deadlines *d, struct http_conn *c);
/** A request line arrived: when no request is due, one is now. NULL-safe. */
void http_conn_request_started(struct http_conn *c);
/** The request has been read whole: no deadline until the next one. NULL-safe. */
void http_conn_request_received(struct http_conn *c);

#endif
