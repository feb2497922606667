#!/usr/bin/python3
"""Checks docs/openapi.yaml against the running daemons (tests/e2e/openapi.sh).

    openapi_check.py --spec FILE --root DIR --state FILE lint
    openapi_check.py --spec FILE --root DIR --state FILE probe PHASE NAME=PORT... [--cont-pid PID]
    openapi_check.py --spec FILE --root DIR --state FILE coverage

lint      the document itself: OpenAPI 3.1 structure, every $ref resolves, every
          schema is valid JSON Schema 2020-12, every example validates, and the
          routes in the C sources (http_route tables) are exactly the spec's.
probe     sends the PHASE's requests (see PHASES) to the daemons and checks every
          answer against the spec: the status is documented for that operation
          (or is the spec's 404/405/413 for an unknown path, a method the path
          does not take, an oversize body), Content-Type is one the response
          documents, the body validates against its schema, required headers are
          there, every header sent validates and none is undocumented. A request
          that breaks the spec's parameter schemas must get 400, one that keeps
          them must not. Operations answered are recorded in the state file.
coverage  every operation of the spec was answered at least once.

Exit status 0 when everything holds, 1 with one line per problem otherwise.
"""

import argparse
import json
import os
import re
import signal
import socket
import sys
import threading
import time
import urllib.parse
import http.client

import jsonschema
import yaml
from jsonschema import Draft202012Validator, FormatChecker, RefResolver

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Headers the HTTP library adds to every answer; anything else must be documented.
TRANSPORT_HEADERS = {"date", "content-length", "content-type", "connection", "transfer-encoding",
                     "keep-alive"}
MAX_BODY_BYTES = 4096  # [http] max_body_bytes: the shipped configs keep the default
TIMEOUT_S = 40
if hasattr(sys, "set_int_max_str_digits"):
    sys.set_int_max_str_digits(0)  # a 5000-digit count is one of the bad inputs

problems = []


def problem(msg):
    problems.append(msg)
    print("openapi_check: " + msg, file=sys.stderr)


# ------------------------------------------------------------------ the spec

class Spec:
    def __init__(self, path):
        with open(path) as f:
            self.doc = yaml.safe_load(f)
        self.resolver = RefResolver(base_uri="", referrer=self.doc)
        self.formats = FormatChecker()

    def deref(self, obj):
        while isinstance(obj, dict) and "$ref" in obj and len(obj) == 1:
            ref = obj["$ref"]
            if not ref.startswith("#/"):
                raise KeyError("external $ref " + ref)
            obj = self.pointer(ref)
        return obj

    def pointer(self, ref):
        node = self.doc
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            node = node[part]
        return node

    def validator(self, schema):
        return Draft202012Validator(schema, resolver=self.resolver, format_checker=self.formats)

    def errors(self, schema, value):
        return [e.message for e in self.validator(schema).iter_errors(value)]

    def paths(self):
        return self.doc.get("paths", {})

    def daemons_of(self, path_item):
        servers = path_item.get("servers") or self.doc.get("servers") or []
        return [s.get("x-daemon") for s in servers]

    def operations(self):
        for path, item in self.paths().items():
            for m in METHODS:
                if m in item:
                    yield path, m, item[m]

    def match(self, path):
        """(template, {name: raw value}) of the path item a request path falls
        in; a template segment matches one segment, empty included, as the
        router does ('/order/*')."""
        for template in self.paths():
            names = re.findall(r"{([^}]+)}", template)
            rx = "^" + re.sub(r"\\{[^}]+\\}", "([^/]*)", re.escape(template)) + "$"
            m = re.match(rx, path)
            if m:
                return template, dict(zip(names, m.groups()))
        return None, None

    def component_response(self, name):
        return self.doc["components"]["responses"][name]


# ------------------------------------------------------------------ lint

def lint(spec, root):
    doc = spec.doc
    if not str(doc.get("openapi", "")).startswith("3.1."):
        problem("lint: openapi must be 3.1.x, is %r" % doc.get("openapi"))
    for key in ("title", "version"):
        if not doc.get("info", {}).get(key):
            problem("lint: info.%s missing" % key)
    # every $ref anywhere resolves
    def walk(node, where):
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                try:
                    spec.pointer(ref)
                except (KeyError, TypeError):
                    problem("lint: %s: $ref %s does not resolve" % (where, ref))
            for k, v in node.items():
                walk(v, where + "/" + str(k))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, "%s/%d" % (where, i))
    walk(doc, "#")
    for name, schema in doc.get("components", {}).get("schemas", {}).items():
        try:
            Draft202012Validator.check_schema(schema)
        except jsonschema.exceptions.SchemaError as e:
            problem("lint: schema %s: %s" % (name, e.message))
        check_examples(spec, "schema " + name, schema, {})
    tags = {t["name"] for t in doc.get("tags", [])}
    known_daemons = {"pizza-service", "cheese-reporter", "sauce-service", "cheese-service",
                     "meat-service", "veggie-service"}
    ids = set()
    for path, item in spec.paths().items():
        for d in spec.daemons_of(item):
            if d not in known_daemons:
                problem("lint: %s: server without a known x-daemon (%r)" % (path, d))
        templ = set(re.findall(r"{([^}]+)}", path))
        for method, op in ((m, item[m]) for m in METHODS if m in item):
            where = "%s %s" % (method.upper(), path)
            oid = op.get("operationId")
            if not oid or oid in ids:
                problem("lint: %s: missing or repeated operationId %r" % (where, oid))
            ids.add(oid)
            for t in op.get("tags", []):
                if t not in tags:
                    problem("lint: %s: tag %r is not declared" % (where, t))
            params = [spec.deref(p) for p in item.get("parameters", []) + op.get("parameters", [])]
            in_path = {p["name"] for p in params if p.get("in") == "path"}
            if in_path != templ:
                problem("lint: %s: path parameters %s, template has %s"
                        % (where, sorted(in_path), sorted(templ)))
            for p in params:
                check_examples(spec, "%s parameter %s" % (where, p["name"]), p.get("schema", {}), p)
            if not op.get("responses"):
                problem("lint: %s: no responses" % where)
            for status, resp in op.get("responses", {}).items():
                resp = spec.deref(resp)
                if not re.fullmatch(r"[1-5][0-9][0-9]", str(status)):
                    problem("lint: %s: response %r is not a status code" % (where, status))
                if not resp.get("description"):
                    problem("lint: %s %s: no description" % (where, status))
                for mt, media in resp.get("content", {}).items():
                    check_examples(spec, "%s %s %s" % (where, status, mt), media.get("schema", {}),
                                   media)
    for name, resp in doc.get("components", {}).get("responses", {}).items():
        for mt, media in resp.get("content", {}).items():
            check_examples(spec, "response %s %s" % (name, mt), media.get("schema", {}), media)
    for name in ("NotFound", "MethodNotAllowed", "ContentTooLarge"):
        if name not in doc.get("components", {}).get("responses", {}):
            problem("lint: components.responses.%s (used for unrouted requests) missing" % name)
    lint_routes(spec, root)


def check_examples(spec, where, schema, holder):
    examples = []
    if "example" in holder:
        examples.append(holder["example"])
    for ex in holder.get("examples", {}).values():
        ex = spec.deref(ex)
        if "value" in ex:
            examples.append(ex["value"])
    if "example" in schema:
        examples.append(schema["example"])
    for ex in examples:
        for err in spec.errors(schema, ex):
            problem("lint: %s: example does not validate: %s" % (where, err))


# Route tables in the C sources: {"GET", "/path", handler, arg}.
ROUTE_RX = re.compile(r'\{\s*"([A-Z]+)"\s*,\s*"(/[^"]*)"\s*,')
ALL_DAEMONS = ["pizza-service", "cheese-reporter", "sauce-service", "cheese-service",
               "meat-service", "veggie-service"]
STAGES = ["sauce-service", "cheese-service", "meat-service", "veggie-service"]


def source_daemons(rel):
    if rel == "common/runtime/service.c":
        return ALL_DAEMONS  # the built-in routes of service_start_http()
    if rel == "common/runtime/stage.c":
        return STAGES
    m = re.match(r"services/([^/]+)/", rel)
    if m:
        d = m.group(1)
        return [d if d == "cheese-reporter" else d + "-service"]
    return None


def lint_routes(spec, root):
    served = set()
    for sub in ("common", "services"):
        for dirpath, _, files in os.walk(os.path.join(root, sub)):
            for f in files:
                if not f.endswith(".c"):
                    continue
                full = os.path.join(dirpath, f)
                rel = os.path.relpath(full, root)
                with open(full, errors="replace") as fh:
                    routes = ROUTE_RX.findall(fh.read())
                if not routes:
                    continue
                daemons = source_daemons(rel)
                if daemons is None:
                    problem("lint: %s has routes but serves no daemon this check knows" % rel)
                    continue
                for method, pattern in routes:
                    for d in daemons:
                        served.add((d, method, re.sub(r"\*$", "{}", pattern)))
    if not served:
        problem("lint: found no route table in %s" % root)
    documented = set()
    for path, method, _ in spec.operations():
        for d in spec.daemons_of(spec.paths()[path]):
            documented.add((d, method.upper(), re.sub(r"{[^}]+}", "{}", path)))
    for r in sorted(served - documented):
        problem("lint: %s serves %s %s, which the spec does not document" % r)
    for r in sorted(documented - served):
        problem("lint: the spec documents %s %s on %s, which no route table serves"
                % (r[1], r[2], r[0]))


# ------------------------------------------------------------------ HTTP

class Answer:
    def __init__(self, status, headers, body, elapsed):
        self.status = status
        self.headers = headers  # lower-case name -> value
        self.body = body
        self.elapsed = elapsed
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None


def send(port, method, path, headers=None, body=b"", chunked=False):
    """One request on a fresh connection; path is sent exactly as given."""
    hdrs = {"Host": "127.0.0.1:%d" % port, "Connection": "close"}
    hdrs.update(headers or {})
    if chunked:
        hdrs["Transfer-Encoding"] = "chunked"
    elif body:
        hdrs["Content-Length"] = str(len(body))
    head = "%s %s HTTP/1.1\r\n" % (method, path)
    head += "".join("%s: %s\r\n" % kv for kv in hdrs.items()) + "\r\n"
    payload = body
    if chunked and body:
        payload = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 1000]), body[i:i + 1000])
                           for i in range(0, len(body), 1000)) + b"0\r\n\r\n"
    start = time.monotonic()
    sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT_S)
    try:
        try:
            sock.sendall(head.encode("latin-1") + payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # answered before the body was read (413): the answer is still there
        resp = http.client.HTTPResponse(sock, method=method)
        resp.begin()
        data = resp.read()
        headers = {}
        for k, v in resp.getheaders():
            k = k.lower()
            headers[k] = headers[k] + ", " + v if k in headers else v
        return Answer(resp.status, headers, data, time.monotonic() - start)
    finally:
        sock.close()


# ------------------------------------------------------------------ checking answers

def media_type(value):
    """'Text/Plain ; Version=0.0.4' -> ('text/plain', (('version', '0.0.4'),))"""
    parts = [p.strip() for p in value.split(";")]
    params = []
    for p in parts[1:]:
        if "=" in p:
            k, v = p.split("=", 1)
            params.append((k.strip().lower(), v.strip().strip('"')))
    return parts[0].lower(), tuple(sorted(params))


PROM_LINE = re.compile(
    r'^(# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .*'
    r'|[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})?'
    r' [-+]?([0-9.]+([eE][-+]?[0-9]+)?|Inf|NaN)( -?[0-9]+)?)$')


def check_text_format(where, mt, text):
    """Prometheus text exposition 0.0.4: every line is a comment or a sample."""
    if mt != ("text/plain", (("version", "0.0.4"),)):
        return
    for n, line in enumerate(text.split("\n"), 1):
        if line and not PROM_LINE.match(line):
            problem("%s: line %d is not Prometheus text format: %r" % (where, n, line[:120]))
            return


def header_value_ok(spec, schema, value):
    schema = spec.deref(schema)
    if schema.get("type") == "integer":
        if not re.fullmatch(r"0|[1-9][0-9]*", value):
            return ["%r is not an integer" % value]
        return spec.errors(schema, int(value))
    return spec.errors(schema, value)


def check_response(spec, where, method, resp_obj, a):
    """The answer a against one Response Object."""
    resp_obj = spec.deref(resp_obj)
    ok = True
    documented = {}
    for name, h in resp_obj.get("headers", {}).items():
        documented[name.lower()] = spec.deref(h)
    for name, h in documented.items():
        if name not in a.headers:
            if h.get("required"):
                problem("%s: required header %s missing" % (where, name))
                ok = False
            continue
        for err in header_value_ok(spec, h.get("schema", {}), a.headers[name]):
            problem("%s: header %s: %s" % (where, name, err))
            ok = False
    for name in a.headers:
        if name not in documented and name not in TRANSPORT_HEADERS:
            problem("%s: header %s is not documented for this response" % (where, name))
            ok = False
    content = resp_obj.get("content", {})
    ctype = a.headers.get("content-type")
    if not content:
        if a.body:
            problem("%s: a body the spec does not document" % where)
            ok = False
        return ok
    if not ctype:
        problem("%s: no Content-Type" % where)
        return False
    got = media_type(ctype)
    media = None
    for key, m in content.items():
        if media_type(key) == got:
            media = m
    if media is None:
        problem("%s: Content-Type %r is not one of %s" % (where, ctype, list(content)))
        return False
    if method == "HEAD":
        if a.body:
            problem("%s: HEAD answered with a body" % where)
            ok = False
        return ok
    schema = media.get("schema", {})
    if got[0] == "application/json":
        if a.json is None and a.body.strip() != b"null":
            problem("%s: body is not JSON: %r" % (where, a.body[:200]))
            return False
        value = a.json
    else:
        try:
            value = a.body.decode("utf-8")
        except UnicodeDecodeError:
            problem("%s: body is not UTF-8 text" % where)
            return False
        check_text_format(where, got, value)
    for err in spec.errors(schema, value):
        problem("%s: body does not validate: %s; body %r" % (where, err, a.body[:300]))
        ok = False
    return ok


def param_value_errors(spec, param, raw):
    """Errors of one raw (URL-decoded) parameter value against its schema,
    read as a client would: an integer schema takes the plain decimal form."""
    schema = spec.deref(param.get("schema", {}))
    if raw is None:
        return ["required"] if param.get("required") else []
    if spec.deref(schema).get("type") == "integer":
        if not re.fullmatch(r"-?(0|[1-9][0-9]*)", raw):
            return ["%r is not an integer" % raw]
        return spec.errors(schema, int(raw))
    return spec.errors(schema, raw)


def request_errors(spec, item, op, params, query, headers):
    """How a request breaks the operation's parameter schemas (empty: it keeps them)."""
    errs = []
    for p in [spec.deref(p) for p in item.get("parameters", []) + op.get("parameters", [])]:
        where = p.get("in")
        if where == "path":
            raw = params.get(p["name"])
        elif where == "query":
            raw = query.get(p["name"])
            if raw is not None:
                raw = raw[-1]
        elif where == "header":
            raw = {k.lower(): v for k, v in headers.items()}.get(p["name"].lower())
        else:
            continue
        errs += ["%s %s: %s" % (where, p["name"], e) for e in param_value_errors(spec, p, raw)]
    return errs


class Checker:
    def __init__(self, spec, ports, state_path):
        self.spec = spec
        self.ports = ports
        self.state_path = state_path
        self.seen = {}
        if os.path.exists(state_path):
            with open(state_path) as f:
                self.seen = json.load(f)

    def save(self):
        with open(self.state_path + ".tmp", "w") as f:
            json.dump(self.seen, f, indent=1, sort_keys=True)
        os.replace(self.state_path + ".tmp", self.state_path)

    def request(self, daemon, method, path, expect=None, headers=None, body=b"", chunked=False):
        """Sends, checks the answer against the spec (and against expect: a
        status or a set of them), records coverage. @returns the Answer."""
        where = "%s %s %s" % (daemon, method, path if len(path) < 90 else path[:87] + "...")
        try:
            a = send(self.ports[daemon], method, path, headers, body, chunked)
        except (OSError, http.client.HTTPException) as e:
            problem("%s: no HTTP answer: %s" % (where, e))
            return None
        where += " -> %d" % a.status
        if expect is not None:
            want = expect if isinstance(expect, (set, frozenset)) else {expect}
            if a.status not in want:
                problem("%s: expected %s; body %r" % (where, sorted(want), a.body[:300]))
        self.check(daemon, method, path, headers or {}, body, a, where)
        return a

    def check(self, daemon, method, raw_path, headers, body, a, where):
        spec = self.spec
        url = urllib.parse.urlsplit(raw_path)
        path = urllib.parse.unquote(url.path)
        query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        if "wait" in url.query.split("&") and "wait" not in query:
            query["wait"] = [""]  # "?wait" alone: present, no value
        template, params = spec.match(url.path)
        if params:
            params = {k: urllib.parse.unquote(v) for k, v in params.items()}
        item = spec.paths().get(template) if template else None
        as_method = "get" if method == "HEAD" else method.lower()
        oversize = len(body) > MAX_BODY_BYTES
        if oversize:  # refused before routing, whatever the path and method
            self.expect_component(where, method, a, 413, "ContentTooLarge")
            if item is None or daemon not in spec.daemons_of(item) or as_method not in item:
                return
        if item is None or daemon not in spec.daemons_of(item):
            self.expect_component(where, method, a, 404, "NotFound")
            return
        if as_method not in item:
            self.expect_component(where, method, a, 405, "MethodNotAllowed")
            allow = {m.strip() for m in a.headers.get("allow", "").split(",") if m.strip()}
            want = {m.upper() for m in METHODS if m in item}
            if "GET" in want:
                want.add("HEAD")
            if allow != want:
                problem("%s: Allow lists %s, the spec %s" % (where, sorted(allow), sorted(want)))
            return
        op = item[as_method]
        oid = op["operationId"]
        self.seen.setdefault(oid, {})
        self.seen[oid][str(a.status)] = self.seen[oid].get(str(a.status), 0) + 1
        resp = op["responses"].get(str(a.status))
        if resp is None:
            problem("%s: status %d is not documented for %s (%s)"
                    % (where, a.status, oid, ", ".join(op["responses"])))
            return
        check_response(spec, where, method, resp, a)
        if oversize:
            return
        # the spec's parameter schemas say which requests are bad: exactly those get 400
        errs = request_errors(spec, item, op, params, query, headers)
        if errs and a.status != 400:
            problem("%s: the request breaks the spec (%s) but was not refused with 400"
                    % (where, "; ".join(errs)))
        if not errs and a.status == 400:
            problem("%s: refused with 400 but the request keeps the spec's parameter schemas"
                    % where)

    def expect_component(self, where, method, a, status, name):
        if a.status != status:
            problem("%s: expected %d (%s)" % (where, status, name))
            return
        check_response(self.spec, where + " [" + name + "]", method,
                       self.spec.component_response(name), a)


# ------------------------------------------------------------------ the requests

TRACE_RX = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


def trace_parts(value):
    m = TRACE_RX.match(value or "")
    return m.groups() if m else None


def every_daemon_basics(c, spec):
    """/health, /ready, /metrics everywhere; unknown paths; wrong methods;
    paths of other daemons; oversize bodies."""
    documented = list(spec.paths())
    for d in c.ports:
        for path in ("/health", "/ready", "/metrics"):
            c.request(d, "GET", path, 200)
            c.request(d, "HEAD", path, 200)
            c.request(d, "GET", path + "?x=1", 200)  # a query string is ignored
        for path in ("/nope", "/health/", "//health", "/health/x", "/Health", "/order",
                     "/orders", "/order/1/extra", "/report/", "/metrics.json", "/ready%2F"):
            c.request(d, "GET", path, 404)
        c.request(d, "POST", "/nope", 404)
        c.request(d, "DELETE", "/nope", 404)
        for template in documented:
            item = spec.paths()[template]
            concrete = re.sub(r"{[^}]+}", "1", template)
            if d not in spec.daemons_of(item):
                c.request(d, "GET", concrete, 404)
                c.request(d, "POST", concrete, 404)
                continue
            for m in ("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"):
                if m.lower() not in item:
                    c.request(d, m, concrete, 405)
        # Oversize bodies, declared by Content-Length, on every operation and off
        # them. (A chunked one is not probed: the daemons close the connection
        # without an answer instead of 413.)
        big = b"x" * 100000
        for template in documented:
            item = spec.paths()[template]
            if d in spec.daemons_of(item):
                concrete = re.sub(r"{[^}]+}", "1", template)
                for m in METHODS:
                    if m in item:
                        c.request(d, m.upper(), concrete, 413, body=big)
        c.request(d, "POST", "/health", 413, body=big)
        c.request(d, "GET", "/nope", 413, body=big)
        c.request(d, "GET", "/health", 200, body=b"x" * 100)  # small bodies are ignored


def phase_normal(c, spec):
    every_daemon_basics(c, spec)
    p = "pizza-service"
    # a good order, and its Location, traceparent and completion (long poll)
    a = c.request(p, "POST", "/order/3", 201)
    if a and a.json:
        oid = a.json.get("order_id")
        if a.headers.get("location") != "/order/%s" % oid:
            problem("POST /order/3: Location %r, order_id %r" % (a.headers.get("location"), oid))
        if a.json.get("count") != 3:
            problem("POST /order/3: count %r" % a.json.get("count"))
        done = c.request(p, "GET", "/order/%s?wait=20" % oid, 200)
        if done and done.json:
            if done.json.get("status") != "complete" or len(done.json.get("pizzas", [])) != 3:
                problem("GET ?wait=20 answered before the order was complete: %r" % done.body[:300])
            if done.elapsed > 15:
                problem("GET ?wait=20 took %.1f s for an order that completes in ms" % done.elapsed)
            if done.json.get("traceparent") != a.headers.get("traceparent"):
                problem("order traceparent %r is not the POST's traceparent header %r"
                        % (done.json.get("traceparent"), a.headers.get("traceparent")))
            if any(pz.get("order_id") != oid for pz in done.json.get("pizzas", [])):
                problem("GET /order/%s: a pizza of another order" % oid)
        c.request(p, "GET", "/order/%s" % oid, 200)
        c.request(p, "HEAD", "/order/%s" % oid, 200)
        for w in ("0", "30"):  # complete: at once
            b = c.request(p, "GET", "/order/%s?wait=%s" % (oid, w), 200)
            if b and b.elapsed > 2:
                problem("GET ?wait=%s of a complete order took %.1f s" % (w, b.elapsed))
        for w in ("-1", "31", "abc", "", "007", "1.5", "+1", "1e1", "%201", "99999999999999999999"):
            c.request(p, "GET", "/order/%s?wait=%s" % (oid, w), 400)
        c.request(p, "GET", "/order/%s?wait" % oid, 400)
        for after in ("-1", "101", "abc", "", "007"):
            c.request(p, "GET", "/order/%s?wait=1&after=%s" % (oid, after), 400)
        b = c.request(p, "GET", "/order/%s?wait=20&after=2" % oid, 200)  # has 3 > 2: at once
        if b and b.elapsed > 2:
            problem("GET ?wait=20&after=2 of an order with 3 pizzas took %.1f s" % b.elapsed)
        c.request(p, "GET", "/order/%s?other=1" % oid, 200)
        c.state_order = oid
    # after=N: the long poll answers at the first pizza past N, not at completion
    a = c.request(p, "POST", "/order/100", 201)
    if a and a.json:
        b = c.request(p, "GET", "/order/%s?wait=20&after=0" % a.json.get("order_id"), 200)
        if b and b.json and not 1 <= len(b.json.get("pizzas", [])) <= 100:
            problem("GET ?wait=20&after=0 answered with %d pizzas"
                    % len(b.json.get("pizzas", [])))
    # the page and its files: whole, and only what the page needs
    page = c.request(p, "GET", "/", 200)
    if page:
        html = page.body.decode("utf-8", "replace")
        for needed in ('src="app.js"', 'href="app.css"', 'name="report-url"'):
            if needed not in html:
                problem("GET /: the page lacks %s" % needed)
        if re.search(r'(src|href)="(https?:)?//', html):
            problem("GET /: the page loads something from another host")
    for path in ("/", "/app.js", "/app.css"):
        c.request(p, "HEAD", path, 200)
    c.request(p, "GET", "/app.js", 200)
    c.request(p, "GET", "/app.css", 200)
    # traceparent: a valid one is continued, anything else starts a new trace
    given = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    a = c.request(p, "POST", "/order/1", 201, headers={"traceparent": given})
    if a:
        got = trace_parts(a.headers.get("traceparent"))
        if not got or got[0] != "4bf92f3577b34da6a3ce929d0e0e4736" or got[1] == "00f067aa0ba902b7":
            problem("POST with traceparent %s: answered traceparent %r (same trace, new span expected)"
                    % (given, a.headers.get("traceparent")))
        if a.json:
            g = c.request(p, "GET", "/order/%s?wait=20" % a.json.get("order_id"), 200)
            if g and g.json and g.json.get("traceparent") != a.headers.get("traceparent"):
                problem("order traceparent %r, POST answered %r"
                        % (g.json.get("traceparent"), a.headers.get("traceparent")))
    for bad in ("garbage", "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
                "00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra"):
        a = c.request(p, "POST", "/order/1", 201, headers={"traceparent": bad})
        got = trace_parts(a.headers.get("traceparent")) if a else None
        if a and (not got or got[0].lower() == "4bf92f3577b34da6a3ce929d0e0e4736"):
            problem("POST with invalid traceparent %r: answered %r (a new trace expected)"
                    % (bad, a.headers.get("traceparent")))
    c.request(p, "POST", "/order/100", 201)
    for count in ("abc", "0", "-1", "1.5", "+3", "0x10", "007", "101", "99999999999999999999",
                  "", "%20", "1%00", "%2B3", "9" * 5000):
        c.request(p, "POST", "/order/" + count, 400)
    c.request(p, "POST", "/order/1", 413, body=b"x" * 100000)
    # unknown and malformed ids; an unknown id does not wait
    c.request(p, "GET", "/order/" + UNKNOWN_ID, 404)
    a = c.request(p, "GET", "/order/%s?wait=20" % UNKNOWN_ID, 404)
    if a and a.elapsed > 2:
        problem("GET ?wait=20 of an unknown id took %.1f s" % a.elapsed)
    c.request(p, "HEAD", "/order/" + UNKNOWN_ID, 404)
    for bad in ("a" * 65, "bad%20id", "", "a.b", "%2e%2e", "x%00"):
        c.request(p, "GET", "/order/" + bad, 400)
    c.request(p, "GET", "/order/" + "a" * 64, 404)
    # the report, once the orders above went past cheese
    deadline = time.monotonic() + 20
    while True:
        a = c.request("cheese-reporter", "GET", "/report", 200)
        total = sum(a.json.values()) if a and isinstance(a.json, dict) else 0
        if total >= 4 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    if total < 4:
        problem("GET /report counts %d pizzas, at least 4 went through" % total)
    c.request("cheese-reporter", "HEAD", "/report", 200)


def phase_stalled(c, spec, cont_pid):
    """veggie-service is stopped (SIGSTOP): orders stay pending."""
    p = "pizza-service"
    a = c.request(p, "POST", "/order/2", 201)
    if not a or not a.json:
        return
    oid = a.json["order_id"]
    for w in ("", "?wait=0"):
        b = c.request(p, "GET", "/order/%s%s" % (oid, w), 200)
        if b and b.json and b.json.get("status") != "pending":
            problem("order %s is %r while veggie-service is stopped" % (oid, b.json.get("status")))
    b = c.request(p, "GET", "/order/%s?wait=1" % oid, 200)
    if b and b.json:
        if b.json.get("status") != "pending":
            problem("GET ?wait=1: status %r, expected pending at the timeout" % b.json.get("status"))
        if not 0.9 <= b.elapsed <= 5:
            problem("GET ?wait=1 answered after %.2f s" % b.elapsed)
    held = {}

    def hold():
        held["a"] = c.request(p, "GET", "/order/%s?wait=25" % oid, 200)

    t = threading.Thread(target=hold)
    t.start()
    time.sleep(0.5)
    os.kill(cont_pid, signal.SIGCONT)
    t.join()
    b = held.get("a")
    if b and b.json:
        if b.json.get("status") != "complete" or len(b.json.get("pizzas", [])) != 2:
            problem("held GET ?wait=25 answered %r, expected the complete order" % b.body[:300])
        if b.elapsed > 20:
            problem("held GET ?wait=25 answered after %.1f s, not when the order completed"
                    % b.elapsed)


def phase_outage(c, spec):
    """No broker is reachable."""
    for d in c.ports:
        c.request(d, "GET", "/health", 200)
        a = c.request(d, "GET", "/ready", 503)
        if a and a.json and a.json.get("reason") != "no broker reachable":
            problem("%s /ready in an outage: reason %r" % (d, a.json.get("reason")))
    a = c.request("pizza-service", "POST", "/order/1", 503)
    if a and a.json and "unreachable" not in a.json.get("error", ""):
        problem("POST in an outage: error %r" % a.json.get("error"))
    if getattr(c, "state_order", None):
        c.request("pizza-service", "GET", "/order/" + c.state_order, 200)
    c.request("cheese-reporter", "GET", "/report", 200)


def phase_restoring(c, spec):
    """pizza-service and cheese-reporter restarted while no broker is reachable."""
    a = c.request("pizza-service", "GET", "/ready", 503)
    if a and a.json and not a.json.get("reason", "").startswith("restoring orders from "):
        problem("pizza-service /ready while restoring: reason %r" % a.json.get("reason"))
    a = c.request("pizza-service", "POST", "/order/1", 503)
    if a and a.json and a.json.get("error") != "restoring state":
        problem("POST while restoring: error %r" % a.json.get("error"))
    # not restored yet: no order is known to be unknown
    a = c.request("pizza-service", "GET", "/order/" + UNKNOWN_ID, 503)
    if a and a.json and a.json.get("error") != "restoring state":
        problem("GET while restoring: error %r" % a.json.get("error"))
    a = c.request("cheese-reporter", "GET", "/ready", 503)
    if a and a.json and not a.json.get("reason", "").startswith("restoring from "):
        problem("cheese-reporter /ready while restoring: reason %r" % a.json.get("reason"))
    c.request("cheese-reporter", "GET", "/report", 503)
    c.request("cheese-reporter", "HEAD", "/report", 503)


def phase_recovered(c, spec):
    c.state_order = None
    a = c.request("pizza-service", "POST", "/order/1", 201)
    if a and a.json:
        c.request("pizza-service", "GET", "/order/%s?wait=20" % a.json["order_id"], 200)
    c.request("cheese-reporter", "GET", "/report", 200)
    for d in c.ports:
        c.request(d, "GET", "/ready", 200)


PHASES = {"normal": phase_normal, "stalled": phase_stalled, "outage": phase_outage,
          "restoring": phase_restoring, "recovered": phase_recovered}


def coverage(spec, state_path):
    seen = {}
    if os.path.exists(state_path):
        with open(state_path) as f:
            seen = json.load(f)
    for path, method, op in spec.operations():
        oid = op["operationId"]
        if oid not in seen:
            problem("coverage: %s (%s %s) was never answered" % (oid, method.upper(), path))
            continue
        unseen = [s for s in op["responses"] if s not in seen[oid]]
        print("openapi_check: %s answered %s%s" % (
            oid, ", ".join("%s x%d" % kv for kv in sorted(seen[oid].items())),
            "; not seen: " + ", ".join(unseen) if unseen else ""))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--spec", required=True)
    ap.add_argument("--root", required=True)
    ap.add_argument("--state", required=True)
    ap.add_argument("--cont-pid", type=int)
    ap.add_argument("command", choices=["lint", "probe", "coverage"])
    ap.add_argument("args", nargs="*")
    opts = ap.parse_args()
    spec = Spec(opts.spec)
    if opts.command == "lint":
        lint(spec, opts.root)
    elif opts.command == "coverage":
        coverage(spec, opts.state)
    else:
        if not opts.args or opts.args[0] not in PHASES:
            ap.error("probe PHASE NAME=PORT...: PHASE is one of " + ", ".join(PHASES))
        ports = {}
        for kv in opts.args[1:]:
            name, _, port = kv.partition("=")
            ports[name] = int(port)
        c = Checker(spec, ports, opts.state)
        c.state_order = None
        state_order_file = opts.state + ".order"
        if os.path.exists(state_order_file):
            with open(state_order_file) as f:
                c.state_order = f.read().strip() or None
        phase = opts.args[0]
        if phase == "stalled":
            if not opts.cont_pid:
                ap.error("probe stalled needs --cont-pid")
            phase_stalled(c, spec, opts.cont_pid)
        else:
            PHASES[phase](c, spec)
        c.save()
        if c.state_order:
            with open(state_order_file, "w") as f:
                f.write(c.state_order)
    if problems:
        print("openapi_check: %d problem(s)" % len(problems), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
