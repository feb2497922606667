#!/usr/bin/python3
"""Checks the operators' files under deploy/ against docs/metrics.md: the alert
rules (deploy/prometheus/alerts.yml) and the Grafana dashboards
(deploy/grafana/dashboards/*.json) query only the metric families docs/metrics.md
documents, with the labels and label values it documents, and the dashboards
are wired to the provisioned datasource.

usage: observability_check.py ROOT RULES_OUT.yml
Prints one line per problem and exits 1 when there is any. RULES_OUT.yml gets
every dashboard expression as a recording rule (Grafana's variables replaced by
values), so that `promtool check rules RULES_OUT.yml` parses them as PromQL.
Run by tests/e2e/observability_config.sh.

The names and labels are read from each expression with a small lexer, not a
PromQL parser (promtool is the parser): a selector's metric name and matchers
are checked exactly; a `by (...)`/`without (...)`/`on (...)` label must be a
label of some family the same expression queries.
"""
import glob
import json
import os
import re
import sys

import yaml

PROBLEMS = []
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def problem(msg):
    PROBLEMS.append(msg)


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


# ------------------------------------------------------------- docs/metrics.md

STAGES = ("sauce-service", "cheese-service", "meat-service", "veggie-service")
ALL = STAGES + ("pizza-service", "cheese-reporter")


class Family:
    def __init__(self, name, kind, labels, daemons, meaning):
        self.name, self.kind, self.labels, self.meaning = name, kind, labels, meaning
        if daemons == "all":
            self.daemons = set(ALL)
        elif daemons == "stages":
            self.daemons = set(STAGES)
        else:
            self.daemons = {d.strip() for d in daemons.split(",")}


def doc_families(root):
    """The family table of docs/metrics.md, as tests/e2e/metrics.sh reads it:
    one row per family, `name` | type | labels | daemons | meaning."""
    fams = {}
    for line in read(os.path.join(root, "docs", "metrics.md")).splitlines():
        m = re.match(r"\| `(pizza_[a-z0-9_]+)` \|", line)
        if not m:
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 5:
            problem(f"docs/metrics.md: row of {m.group(1)} has {len(cells)} cells, not 5")
            continue
        labels = {l.strip() for l in cells[2].split(",") if l.strip()}
        fams[m.group(1)] = Family(m.group(1), cells[1], labels, cells[3],
                                  "|".join(cells[4:]))
    if len(fams) < 20:
        problem(f"docs/metrics.md: only {len(fams)} families found in its table")
    return fams


# Series Prometheus makes itself for every target (not the daemons'): the alerts
# need `up`.
PROMETHEUS_SERIES = {"up": {"job", "instance"}}
TARGET_LABELS = {"job", "instance"}  # added to every scraped series
# Labels whose values docs/metrics.md lists in backticks in the family's row.
ENUMERATED = {"outcome", "result", "reason", "status", "source", "route"}
METHODS = {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "other"}


def resolve(name, fams):
    """(family name, labels the series may have) or None."""
    if name in PROMETHEUS_SERIES:
        return name, PROMETHEUS_SERIES[name]
    if name in fams:
        f = fams[name]
        return (name, f.labels | TARGET_LABELS) if f.kind != "histogram" else None
    for suffix in ("_bucket", "_sum", "_count"):
        base = name[:-len(suffix)]
        if name.endswith(suffix) and base in fams and fams[base].kind == "histogram":
            extra = {"le"} if suffix == "_bucket" else set()
            return base, fams[base].labels | TARGET_LABELS | extra
    return None


# ------------------------------------------------------------- PromQL lexer

TOKEN = re.compile(r"""
    (?P<ws>\s+|\#[^\n]*)
  | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
  | (?P<range>\[[^\]]*\])
  | (?P<dur>(?:\d+(?:ms|[smhdwy]))+(?![\w.]))
  | (?P<num>0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
  | (?P<ident>[a-zA-Z_:][a-zA-Z0-9_:]*)
  | (?P<op>=~|!~|!=|==|<=|>=|[-+*/%^<>=(){},@])
""", re.X)
KEYWORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring",
            "group_left", "group_right", "inf", "nan", "atan2", "start", "end"}
GROUPING = {"by", "without", "on", "ignoring", "group_left", "group_right"}
# Aggregation operators: `sum by (job) (x)` puts no `(` right after the name.
AGGREGATIONS = {"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count",
                "count_values", "bottomk", "topk", "quantile", "limitk", "limit_ratio"}


def lex(expr):
    pos, out = 0, []
    while pos < len(expr):
        m = TOKEN.match(expr, pos)
        if not m:
            raise ValueError(f"cannot read {expr[pos:pos + 20]!r}")
        pos = m.end()
        if m.lastgroup != "ws":
            out.append((m.lastgroup, m.group()))
    return out


def unquote(s):
    return s[1:-1].encode("utf-8").decode("unicode_escape") if s[0] != "`" else s[1:-1]


def references(expr):
    """([(metric, [(label, op, value)])], [grouping label]) of a PromQL expression."""
    toks = lex(expr)
    selectors, grouping = [], []
    i = 0

    def matchers(j):
        """Reads {a="x", b=~"y"} from toks[j] == '{': (matchers, index after '}')."""
        out, j = [], j + 1
        while j < len(toks) and toks[j][1] != "}":
            if toks[j][1] == ",":
                j += 1
                continue
            if j + 2 >= len(toks) or toks[j][0] != "ident" or toks[j + 2][0] != "str":
                raise ValueError(f"unreadable matcher near {toks[j][1]!r}")
            out.append((toks[j][1], toks[j + 1][1], unquote(toks[j + 2][1])))
            j += 3
        return out, j + 1

    while i < len(toks):
        kind, text = toks[i]
        nxt = toks[i + 1][1] if i + 1 < len(toks) else None
        if kind == "ident" and text in GROUPING and nxt == "(":
            j = i + 2
            while j < len(toks) and toks[j][1] != ")":
                if toks[j][0] == "ident":
                    grouping.append(toks[j][1])
                j += 1
            i = j + 1
        elif kind == "ident" and (nxt == "(" or text.lower() in KEYWORDS | AGGREGATIONS):
            i += 1  # a function, an aggregation or a keyword
        elif kind == "ident":
            ms = []
            i += 1
            if nxt == "{":
                ms, i = matchers(i)
            selectors.append((text, ms))
        elif text == "{":
            ms, i = matchers(i)
            name = next((v for l, o, v in ms if l == "__name__" and o == "="), None)
            selectors.append((name, [m for m in ms if m[0] != "__name__"]))
        else:
            i += 1
    return selectors, grouping


def check_expr(where, expr, fams, jobs):
    try:
        selectors, grouping = references(expr)
    except ValueError as e:
        problem(f"{where}: {e}")
        return
    if not selectors:
        problem(f"{where}: queries no metric")
    allowed = set()
    for name, ms in selectors:
        if name is None:
            problem(f"{where}: a selector without a metric name")
            continue
        r = resolve(name, fams)
        if r is None:
            problem(f"{where}: {name}: not a family docs/metrics.md documents")
            continue
        fam, labels = r
        allowed |= labels
        for label, op, value in ms:
            if label not in labels:
                problem(f"{where}: {name}{{{label}}}: docs/metrics.md gives {fam} the labels "
                        f"{sorted(labels - TARGET_LABELS) or 'none'} (and job, instance)")
                continue
            check_value(where, name, fams.get(fam), label, op, value, jobs)
    for label in grouping:
        if label not in allowed:
            problem(f"{where}: by/on ({label}): no family this expression queries has that label")


def check_value(where, name, fam, label, op, value, jobs):
    if op in ("=~", "!~"):
        if re.search(r"[\\.*+?()\[\]{}^$]", value):
            return  # a real pattern: not checked
        values = value.split("|")
    else:
        values = [value]
    for v in values:
        if label == "job":
            if v not in jobs:
                problem(f"{where}: {name}{{job=\"{v}\"}}: prometheus.yml has no job {v}")
            elif fam is not None and v not in fam.daemons:
                problem(f"{where}: {name}{{job=\"{v}\"}}: docs/metrics.md says only "
                        f"{sorted(fam.daemons)} expose it")
        elif fam is None:
            continue
        elif label in ENUMERATED and f"`{v}`" not in fam.meaning:
            problem(f"{where}: {name}{{{label}=\"{v}\"}}: docs/metrics.md lists no such value")
        elif label == "method" and v not in METHODS:
            problem(f"{where}: {name}{{method=\"{v}\"}}: not a method the daemons count")
        elif label == "code" and not re.fullmatch(r"[1-5]\d\d", v):
            problem(f"{where}: {name}{{code=\"{v}\"}}: not an HTTP status code")


# ------------------------------------------------------------- Grafana

# Grafana's own variables, replaced by a value of their kind before parsing.
GRAFANA_VARS = {"__rate_interval": "1m", "__interval": "15s", "__range": "1h",
                "__interval_ms": "15000", "__range_s": "3600", "__range_ms": "3600000"}


def substitute(where, expr, variables):
    def one(m):
        name = m.group(1) or m.group(2) or m.group(3)
        name = name.split(":")[0]
        if name in GRAFANA_VARS:
            return GRAFANA_VARS[name]
        if name in variables:
            return variables[name]
        problem(f"{where}: ${name}: neither Grafana's nor a variable of the dashboard")
        return "1"
    return re.sub(r"\$\{([\w:]+)\}|\[\[(\w+)\]\]|\$(\w+)", one, expr)


def all_panels(panels):
    for p in panels or []:
        yield p
        yield from all_panels(p.get("panels"))


def check_dashboard(path, fams, jobs, ds_uids, rules):
    rel = os.path.relpath(path, ROOT)
    try:
        dash = json.loads(read(path))
    except ValueError as e:
        problem(f"{rel}: not JSON: {e}")
        return
    if not dash.get("uid") or not dash.get("title"):
        problem(f"{rel}: a dashboard needs a uid and a title")
    variables = {}
    for v in (dash.get("templating") or {}).get("list") or []:
        name = v.get("name")
        if v.get("type") == "query":
            q = v.get("query")
            q = q.get("query") if isinstance(q, dict) else q
            m = re.fullmatch(r"\s*label_values\((.*),\s*(\w+)\)\s*", q or "")
            if not m:
                problem(f"{rel}: variable {name}: expected label_values(SELECTOR, LABEL)")
            else:
                check_expr(f"{rel}: variable {name}", m.group(1), fams, jobs)
                rules.append((f"dashboard:variable_{name}", m.group(1)))
                if m.group(2) not in resolve_labels(m.group(1), fams):
                    problem(f"{rel}: variable {name}: the selector has no label {m.group(2)}")
            check_datasource(f"{rel}: variable {name}", v.get("datasource"), ds_uids)
            # a multi-value or All selection becomes a regex; `.+` matches both
            variables[name] = v.get("allValue") or ".+"
        elif v.get("type") in ("custom", "constant", "textbox", "interval"):
            variables[name] = str((v.get("current") or {}).get("value") or v.get("query") or "x")
        else:
            variables[name] = "x"
    ids = set()
    n_targets = 0
    for p in all_panels(dash.get("panels")):
        where = f"{rel}: panel {p.get('id')} \"{p.get('title')}\""
        if p.get("id") in ids:
            problem(f"{where}: panel id used twice")
        ids.add(p.get("id"))
        g = p.get("gridPos") or {}
        if not all(k in g for k in ("h", "w", "x", "y")) or g.get("x", 0) + g.get("w", 0) > 24:
            problem(f"{where}: gridPos {g}: needs h, w, x, y within 24 columns")
        if p.get("type") == "row":
            continue
        check_datasource(where, p.get("datasource"), ds_uids)
        refs = set()
        if not p.get("targets"):
            problem(f"{where}: no query")
        for t in p.get("targets") or []:
            n_targets += 1
            tw = f"{where} query {t.get('refId')}"
            if t.get("refId") in refs or not t.get("refId"):
                problem(f"{tw}: refId missing or used twice in the panel")
            refs.add(t.get("refId"))
            check_datasource(tw, t.get("datasource", p.get("datasource")), ds_uids)
            expr = t.get("expr") or ""
            if not expr.strip():
                problem(f"{tw}: empty expr")
                continue
            expr = substitute(tw, expr, variables)
            check_expr(tw, expr, fams, jobs)
            rules.append((f"dashboard:panel_{p.get('id')}:{t.get('refId')}", expr))
    if not n_targets:
        problem(f"{rel}: no queries")


def resolve_labels(selector, fams):
    try:
        sels, _ = references(selector)
    except ValueError:
        return set()
    r = resolve(sels[0][0], fams) if sels and sels[0][0] else None
    return r[1] if r else set()


def check_datasource(where, ds, uids):
    uid = ds.get("uid") if isinstance(ds, dict) else ds
    if uid not in uids:
        problem(f"{where}: datasource {uid!r} is not the provisioned one ({sorted(uids)})")


# ------------------------------------------------------------- Prometheus


def check_alerts(path, fams, jobs, tests_path):
    rel = os.path.relpath(path, ROOT)
    with open(path, encoding="utf-8") as f:
        doc = yaml.load(f, Loader=LOADER) or {}
    names = []
    for g in doc.get("groups") or []:
        for r in g.get("rules") or []:
            name = r.get("alert") or r.get("record")
            where = f"{rel}: {name}"
            if r.get("alert"):
                names.append(name)
                if (r.get("labels") or {}).get("severity") not in ("warning", "critical"):
                    problem(f"{where}: labels.severity should be warning or critical")
                if not (r.get("annotations") or {}).get("summary"):
                    problem(f"{where}: no summary annotation")
            check_expr(where, str(r.get("expr", "")), fams, jobs)
    if len(set(names)) != len(names):
        problem(f"{rel}: an alert name is used twice: {sorted(names)}")
    if not names:
        problem(f"{rel}: no alerts")
    # Every alert is shown to fire in the unit tests.
    fired = set()
    if os.path.exists(tests_path):
        with open(tests_path, encoding="utf-8") as f:
            tests = yaml.load(f, Loader=LOADER) or {}
        for t in tests.get("tests") or []:
            for a in t.get("alert_rule_test") or []:
                if a.get("exp_alerts"):
                    fired.add(a.get("alertname"))
    for n in names:
        if n not in fired:
            problem(f"{rel}: {n}: no test in {os.path.basename(tests_path)} shows it firing")


def prometheus_jobs(path):
    with open(path, encoding="utf-8") as f:
        prom = yaml.load(f, Loader=LOADER) or {}
    return {j.get("job_name") for j in prom.get("scrape_configs") or []}


def grafana_datasources(root):
    uids = set()
    for path in glob.glob(os.path.join(root, "deploy", "grafana", "provisioning", "datasources",
                                       "*.y*ml")):
        with open(path, encoding="utf-8") as f:
            for ds in (yaml.load(f, Loader=LOADER) or {}).get("datasources") or []:
                if ds.get("type") == "prometheus" and ds.get("uid"):
                    uids.add(ds["uid"])
    if not uids:
        problem("deploy/grafana/provisioning/datasources: no Prometheus datasource with a uid")
    return uids


ROOT = "."


def main():
    global ROOT
    ROOT, rules_out = sys.argv[1], sys.argv[2]
    fams = doc_families(ROOT)
    prom_dir = os.path.join(ROOT, "deploy", "prometheus")
    jobs = prometheus_jobs(os.path.join(prom_dir, "prometheus.yml"))
    for j in sorted(jobs - set(ALL)):
        problem(f"deploy/prometheus/prometheus.yml: job {j} is no daemon")
    check_alerts(os.path.join(prom_dir, "alerts.yml"), fams, jobs,
                 os.path.join(prom_dir, "alerts_test.yml"))
    rules = []
    dashboards = sorted(glob.glob(os.path.join(ROOT, "deploy", "grafana", "dashboards", "*.json")))
    if not dashboards:
        problem("deploy/grafana/dashboards: no dashboard")
    uids = grafana_datasources(ROOT)
    for path in dashboards:
        check_dashboard(path, fams, jobs, uids, rules)
    with open(rules_out, "w", encoding="utf-8") as f:
        yaml.safe_dump({"groups": [{"name": "dashboards", "rules": [
            {"record": r, "expr": e} for r, e in rules]}]}, f, sort_keys=False, width=1000)
    for p in PROBLEMS:
        print(p)
    print(f"observability_check: {len(fams)} documented families, {len(dashboards)} dashboards, "
          f"{len(rules)} dashboard queries, {len(PROBLEMS)} problems")
    return 1 if PROBLEMS else 0


if __name__ == "__main__":
    sys.exit(main())
