-- wrk script for POST /order/1: wrk sends GET unless told otherwise.
wrk.method = "POST"
