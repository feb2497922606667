#!/usr/bin/python3
"""Checks docker-compose.yml (as normalized by `docker-compose config`, v1 or v2),
the Dockerfile and config/examples/*.env against what the project builds and reads.

usage: compose_check.py ROOT NORMALIZED_CONFIG.yml [--profile observability]
       compose_check.py --batch ROOT LIST
Prints one line per problem and exits 1 when there is any; needs no Docker
engine. Run by tests/e2e/compose_config.sh. --batch checks many files in one
process: each line of LIST is `OUTPUT NORMALIZED_CONFIG.yml [--profile P]`,
each file's lines go to its OUTPUT, followed by `exit N`.

Besides each daemon's binary, config, ports, healthcheck and environment:
- nothing stops `up --scale DAEMON=N`: no daemon has a container_name, a fixed
  hostname, a published host port, host networking, or a setting that every
  replica would share where each needs its own (transactional.id, instance id);
- the `proxy` service (nginx) publishes the public daemons' ports and its
  mounted nginx.conf leads each to that daemon's service name and port through
  Docker's DNS, re-resolved (so replicas added later are found);
- the `observability` profile's prometheus and grafana services mount files that
  exist, scrape every daemon's service name on its port, and point Grafana at
  that Prometheus and at the dashboards. With --profile observability they must
  be there (compose v2 leaves them out of `config` without it; v1 never does).
"""
import configparser
import fnmatch
import glob
import gzip
import os
import re
import shlex
import subprocess
import sys
import tempfile

import yaml

PROBLEMS = []
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's when there


def load_yaml(f):
    return yaml.load(f, Loader=LOADER)


def problem(msg):
    PROBLEMS.append(msg)


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


# ------------------------------------------------------------- the project


def daemon_binaries(root):
    """add_executable names under services/ (the daemons the project builds) ->
    the default config their sources name ("config/pizza.ini" -> pizza.ini)."""
    names = {}
    for cml in glob.glob(os.path.join(root, "services", "**", "CMakeLists.txt"), recursive=True):
        d = os.path.dirname(cml)
        defaults = set()
        for c in glob.glob(os.path.join(d, "*.c")):
            defaults |= set(re.findall(r'"config/([\w.-]+\.ini)"', read(c)))
        for name in re.findall(r"add_executable\(\s*([\w.+-]+)", read(cml)):
            names[name] = defaults
    return names


def load_ini(path):
    # as inih reads them: ';' and '#' comments, no interpolation, keys as written
    p = configparser.ConfigParser(interpolation=None, comment_prefixes=(";", "#"),
                                  inline_comment_prefixes=None, strict=False)
    p.optionxform = str
    p.read(path, encoding="utf-8")
    return p


def key_norm(key):
    """cfg.c compares keys with '.' and '_' as one character."""
    return key.replace("_", ".")


def ini_has(ini, section, key):
    return ini.has_section(section) and any(key_norm(k) == key_norm(key) for k in ini[section])


def readme_keys(root):
    """[section] -> keys README documents: table rows `| `[s]` ... | `key` | ...`
    (continued by rows with an empty first cell) or bullets `- `[s]`: `k`, ...`."""
    keys = {}
    path = os.path.join(root, "README.md")
    if not os.path.exists(path):
        return keys
    sections = []
    for line in read(path).splitlines():
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            named = re.findall(r"`\[([\w.]+)\]`", cells[0])
            if named:
                sections = named
            elif cells[0]:
                sections = []
            found = re.findall(r"`([\w.]+)`", cells[1]) if len(cells) > 1 else []
        else:
            m = re.match(r"- `\[([\w.]+)\]`", line)
            if m:
                sections = [m.group(1)]
            elif not line.startswith("  "):
                sections = []
            found = re.findall(r"`([\w.]+)`", line)
        for sec in sections:
            keys.setdefault(sec, set()).update(key_norm(k) for k in found)
    return keys


def librdkafka_properties():
    """Property names from librdkafka's CONFIGURATION.md (librdkafka-dev), or None."""
    for path in ("/usr/share/doc/librdkafka-dev/CONFIGURATION.md.gz",
                 "/usr/share/doc/librdkafka1/CONFIGURATION.md.gz"):
        if os.path.exists(path):
            with gzip.open(path, "rt", encoding="utf-8") as f:
                return {m.group(1) for m in re.finditer(r"^([a-z][\w.]*)\s+\|", f.read(), re.M)}
    return None


# A daemon reads these from its environment (common/core/cfg.c cfg_apply_env).
NAMED_ENV = {"HTTP_PORT": None, "LOG_LEVEL": {"debug", "info", "warn", "error"},
             "PROCESSING_GUARANTEE": {"exactly_once", "at_least_once"}}


def check_env_var(where, name, value, ini, doc_keys, kafka_props):
    """Is NAME one the daemon configured by ini reads?"""
    if name in NAMED_ENV:
        allowed = NAMED_ENV[name]
        if allowed and value is not None and "${" not in str(value) and str(value) not in allowed:
            problem(f"{where}: {name}={value}: expected one of {sorted(allowed)}")
        return
    if name.startswith("KAFKA_") and len(name) > 6:
        prop = name[6:].lower().replace("_", ".")
        if kafka_props is not None and not any(key_norm(p) == prop for p in kafka_props):
            problem(f"{where}: {name}: librdkafka has no property {prop}")
        return
    m = re.fullmatch(r"PIZZA_([A-Z0-9]+)_([A-Z0-9_]+)", name)
    if m:
        section, key = m.group(1).lower(), m.group(2).lower()
        if section.startswith("kafka"):
            problem(f"{where}: {name}: the daemons refuse PIZZA_KAFKA*; use KAFKA_<PROPERTY>")
        elif not ini_has(ini, section, key) and key_norm(key) not in doc_keys.get(section, set()):
            problem(f"{where}: {name}: [{section}] {key} is neither in the daemon's ini nor in README")
        return
    problem(f"{where}: {name}: not a variable the daemons read")


# ------------------------------------------------------------- Dockerfile


def dockerfile_stages(path):
    """[(stage name, [(instruction, args)])], continuation lines joined."""
    stages, text = [], re.sub(r"\\\n", " ", read(path))
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instr, _, args = line.partition(" ")
        instr = instr.upper()
        if instr == "FROM":
            m = re.search(r"\bAS\s+(\S+)", args, re.I)
            stages.append((m.group(1) if m else None, []))
        elif stages:
            stages[-1][1].append((instr, args.strip()))
    return stages


def dockerignored(root, rel):
    pats = [l.strip() for l in read(os.path.join(root, ".dockerignore")).splitlines()
            if l.strip() and not l.startswith("#")] if os.path.exists(
                os.path.join(root, ".dockerignore")) else []
    parts = rel.split("/")
    for pat in pats:
        pat = pat.rstrip("/")
        for i in range(1, len(parts) + 1):
            prefix = "/".join(parts[:i])
            if fnmatch.fnmatch(prefix, pat) or fnmatch.fnmatch(prefix, pat.replace("**/", "")):
                return True
    return False


def check_dockerfile(root, binaries):
    """@returns (image files: container path -> repo path or None, binaries copied)."""
    path = os.path.join(root, "Dockerfile")
    if not os.path.exists(path):
        problem("Dockerfile: missing")
        return {}, set()
    stages = dockerfile_stages(path)
    files, copied_bins = {}, set()
    build_bin = {}
    for name, instrs in stages:
        wd = "/"
        for instr, args in instrs:
            if instr == "WORKDIR":
                wd = os.path.join(wd, args)
            elif instr == "RUN":
                m = re.search(r"cmake\s.*?-B\s*(\S+)", args)
                if m:
                    build_bin[name] = os.path.normpath(os.path.join(wd, m.group(1), "bin"))
                    for opt in ("PIZZA_DEVBROKER", "PIZZA_BENCH", "BUILD_TESTING"):
                        if f"-D{opt}=OFF" not in args:
                            problem(f"Dockerfile: the image build should pass -D{opt}=OFF")
            elif instr == "COPY":
                words = shlex.split(args)
                src_stage = next((w.split("=", 1)[1] for w in words if w.startswith("--from=")), None)
                words = [w for w in words if not w.startswith("--")]
                srcs, dest = words[:-1], words[-1]
                if src_stage:
                    for s in srcs:
                        b = os.path.basename(s)
                        if os.path.dirname(s) != build_bin.get(src_stage):
                            problem(f"Dockerfile: COPY --from={src_stage} {s}: not in that "
                                    f"stage's build output {build_bin.get(src_stage)}")
                        if b not in binaries:
                            problem(f"Dockerfile: COPY {s}: the project builds no {b}")
                        copied_bins.add(b)
                        files[os.path.join(dest, b) if dest.endswith("/") else dest] = None
                    continue
                for s in srcs:
                    matches = glob.glob(os.path.join(root, s.rstrip("/")))
                    if not matches:
                        problem(f"Dockerfile: COPY {s}: no such file in the repository")
                    for m in matches:
                        rel = os.path.relpath(m, root)
                        if dockerignored(root, rel):
                            problem(f"Dockerfile: COPY {s}: {rel} is excluded by .dockerignore")
                        if os.path.isfile(m):
                            target = os.path.join(os.path.join(wd, dest), os.path.basename(m)) \
                                if dest.endswith("/") or len(matches) > 1 else os.path.join(wd, dest)
                            files[os.path.normpath(target)] = m
                        for dirpath, _, names in os.walk(m):
                            for n in names:
                                r = os.path.relpath(os.path.join(dirpath, n), m)
                                files[os.path.normpath(os.path.join(wd, dest, r))] = \
                                    os.path.join(dirpath, n)
    if len(stages) < 2:
        problem("Dockerfile: expected a build stage and a runtime stage")
    check_build_context(root, stages)
    return files, copied_bins


def check_build_context(root, stages):
    """Every directory CMakeLists.txt adds outside an if() must be copied into the
    build stage, or the image's cmake fails."""
    build = next((i for n, i in stages if n and any(a.startswith("cmake") or " cmake " in a
                                                    for x, a in i if x == "RUN")), None)
    if build is None:
        problem("Dockerfile: no stage runs cmake")
        return
    copied = set()
    for instr, args in build:
        if instr == "COPY" and "--from" not in args:
            copied |= {w.rstrip("/") for w in shlex.split(args)[:-1]}
    depth = 0
    for line in read(os.path.join(root, "CMakeLists.txt")).splitlines():
        line = line.split("#", 1)[0].strip()
        if re.match(r"if\s*\(", line):
            depth += 1
        elif re.match(r"endif\s*\(", line):
            depth -= 1
        m = re.match(r"add_subdirectory\(\s*([\w./-]+)", line)
        if m and depth == 0 and m.group(1) not in copied and "." not in copied:
            problem(f"Dockerfile: the build stage does not copy {m.group(1)}/, "
                    "which CMakeLists.txt always adds")
    check_build_references(root, copied)


def check_build_references(root, copied):
    """A file the copied CMake code names by ${PROJECT_SOURCE_DIR}/PATH (the page
    pizza-service embeds from web/, a patch, a script) must be copied too, or the
    image's build fails where no test here builds it."""
    if "." in copied:
        return
    def is_copied(rel):
        return any(rel == c or rel.startswith(c + "/") for c in copied)
    files = [os.path.join(root, "CMakeLists.txt")]
    for c in sorted(copied):
        top = os.path.join(root, c)
        for dirpath, _, names in os.walk(top) if os.path.isdir(top) else ():
            files += [os.path.join(dirpath, n) for n in names
                      if n == "CMakeLists.txt" or n.endswith(".cmake")]
    for f in files:
        for m in re.finditer(r"\$\{(?:PROJECT|CMAKE)_SOURCE_DIR\}/([\w./-]+)", read(f)):
            rel = m.group(1).rstrip("/")
            # .deps/ is made by the build itself (scripts/librdkafka.sh fetch)
            if rel.split("/")[0] != ".deps" and not is_copied(rel):
                problem(f"Dockerfile: the build stage does not copy {rel}, which "
                        f"{os.path.relpath(f, root)} uses")


# ------------------------------------------------------------- compose


DAEMON_PORTS = {}  # daemon service name -> its HTTP port


def env_of(svc):
    env = svc.get("environment") or {}
    if isinstance(env, list):
        env = dict(e.split("=", 1) if "=" in e else (e, None) for e in env)
    return env


def ports_of(svc):
    """[(host ip or None, published host port or None, container port)] of a
    service, from v1's or v2's normalized form ("IP:HOST:CONTAINER/proto"
    strings, or mappings whose published is an int or a string)."""
    out = []
    for p in svc.get("ports") or []:
        if isinstance(p, dict):
            pub = p.get("published")
            out.append((p.get("host_ip"), int(pub) if pub not in (None, "") else None,
                        int(p["target"])))
            continue
        parts = str(p).split("/")[0].split(":")
        target = int(parts[-1])
        pub = int(parts[-2]) if len(parts) >= 2 and parts[-2] else None
        out.append((parts[-3] if len(parts) >= 3 else None, pub, target))
    return out


def mounts_of(svc):
    """[(source, target)] of a service's bind mounts, from v1's "SRC:DST[:ro]"
    strings or v2's mappings; named volumes are left out."""
    out = []
    for v in svc.get("volumes") or []:
        if isinstance(v, dict):
            if v.get("type", "bind") == "bind":
                out.append((v.get("source"), v.get("target")))
            continue
        parts = str(v).split(":")
        if len(parts) >= 2 and parts[0].startswith(("/", ".")):
            out.append((parts[0], parts[1]))
    return out


def host_path(svc, container_path):
    """The host file or directory a bind mount of svc shows at container_path."""
    for src, dst in mounts_of(svc):
        dst = dst.rstrip("/")
        if container_path == dst:
            return src
        if container_path.startswith(dst + "/"):
            return os.path.join(src, container_path[len(dst) + 1:])
    return None


# Settings that must differ between two replicas of one daemon: set in the
# compose file they would be the same in every replica (the default, the
# container's host name, differs).
PER_INSTANCE_ENV = {
    "KAFKA_TRANSACTIONAL_ID": "two live producers with one transactional.id fence each other",
    "PIZZA_SERVICE_INSTANCE_ID": "the instance id must be unique among running instances",
}


def check_scalable(where, svc, env):
    """Nothing in the service stops `docker compose up --scale SERVICE=N`."""
    if svc.get("container_name"):
        problem(f"{where}: container_name {svc['container_name']}: replicas need names of "
                "their own (--scale)")
    if svc.get("hostname"):
        problem(f"{where}: hostname {svc['hostname']}: every replica would have it, and so "
                "the same instance id and transactional.id")
    if str(svc.get("network_mode", "")).startswith(("host", "container:", "service:")):
        problem(f"{where}: network_mode {svc['network_mode']}: replicas would share one "
                "network namespace and fight over the HTTP port")
    for name, why in PER_INSTANCE_ENV.items():
        if name in env:
            problem(f"{where}: {name} is set for every replica alike: {why}; leave it to "
                    "the container's host name")


def port_of_url(url):
    m = re.search(r"://[^/:]+:(\d+)(/\S*)?", url)
    return (int(m.group(1)), m.group(2) or "/") if m else (None, None)


def check_daemon(svc_name, svc, root, files, copied_bins, binaries, doc_keys, kafka_props):
    where = f"compose {svc_name}"
    cmd = svc.get("command")
    if isinstance(cmd, str):
        cmd = shlex.split(cmd)
    if not cmd:
        problem(f"{where}: no command (the image runs one daemon per service)")
        return None, None
    binary = cmd[0]
    if binary not in binaries:
        problem(f"{where}: command {binary}: not a daemon the project builds ({sorted(binaries)})")
    elif binary not in copied_bins:
        problem(f"{where}: command {binary}: the Dockerfile does not copy it into the image")
    ini = None
    if "-c" not in cmd[:-1]:
        problem(f"{where}: command has no -c FILE")
    else:
        cpath = cmd[cmd.index("-c") + 1]
        repo = files.get(os.path.normpath(cpath))
        if not repo:
            problem(f"{where}: -c {cpath}: no such file in the image (Dockerfile COPY)")
        elif not os.path.exists(repo):
            problem(f"{where}: -c {cpath}: {repo} does not exist")
        else:
            ini = load_ini(repo)
            want = binaries.get(binary) or set()
            if want and os.path.basename(repo) not in want:
                problem(f"{where}: -c {cpath} is config/{os.path.basename(repo)}; {binary} "
                        f"reads config/{'|'.join(sorted(want))}")
    if ini is None:
        return binary, None
    env = env_of(svc)
    for name, value in env.items():
        check_env_var(where, name, value, ini, doc_keys, kafka_props)
    port = int(env["HTTP_PORT"]) if "HTTP_PORT" in env else int(ini.get("http", "port"))
    hc = (svc.get("healthcheck") or {}).get("test") or []
    hc_text = " ".join(hc) if isinstance(hc, list) else hc
    urls = re.findall(r"https?://\S+", hc_text)
    if "curl" not in hc_text or not urls:
        problem(f"{where}: healthcheck should curl the daemon's /ready")
    for url in urls:
        p, path = port_of_url(url)
        if p != port:
            problem(f"{where}: healthcheck port {p} is not the daemon's [http] port {port}")
        if path != "/ready":
            problem(f"{where}: healthcheck asks {path}, not /ready")
    for host_ip, published, target in ports_of(svc):
        if target != port:
            problem(f"{where}: publishes container port {target}, the daemon listens on {port}")
        if published is not None:
            problem(f"{where}: publishes host port {published}: a second replica (--scale) "
                    "cannot bind it too; publish it from the proxy")
    check_scalable(where, svc, env)
    deps = svc.get("depends_on") or {}
    for dep, cond in (("kafka", "service_healthy"), ("topics", "service_completed_successfully")):
        if (deps.get(dep) or {}).get("condition") != cond:
            problem(f"{where}: depends_on {dep} should have condition {cond}")
    if svc.get("restart") != "unless-stopped":
        problem(f"{where}: restart should be unless-stopped")
    if "build" not in svc:
        problem(f"{where}: no build: (the image is built from the Dockerfile)")
    session = env.get("KAFKA_SESSION_TIMEOUT_MS")
    if session is not None:
        heartbeat = int(env.get("KAFKA_HEARTBEAT_INTERVAL_MS", 3000))
        if not 6000 <= int(session) <= 1800000:
            problem(f"{where}: KAFKA_SESSION_TIMEOUT_MS {session}: Kafka refuses to join a "
                    "group outside group.min/max.session.timeout.ms (6000-1800000 by default)")
        elif int(session) < 3 * heartbeat:
            problem(f"{where}: KAFKA_SESSION_TIMEOUT_MS {session} is under three heartbeats "
                    f"({heartbeat} ms)")
    DAEMON_PORTS[svc_name] = port
    return binary, ini


def expected_topics(inis):
    """Topics the daemons' configs name: (all, read ones, changelogs)."""
    topics, read_, changelogs = set(), set(), {}
    for ini in inis:
        for sec, ins, outs in (("stage", ["input_topic"], ["output_topic"]),
                               ("orders", ["completed_topic"], ["order_topic"]),
                               ("reporter", ["input_topic"], [])):
            if not ini.has_section(sec):
                continue
            for k in ins + outs:
                if ini.has_option(sec, k):
                    topics.add(ini.get(sec, k))
                    if k in ins:
                        read_.add(ini.get(sec, k))
            if ini.has_option(sec, "changelog_topic"):
                changelogs[ini.get(sec, "changelog_topic")] = ini
    return topics, read_, changelogs


def run_topics_job(svc):
    """Runs the job's own script with a stub kafka-topics.sh: the calls it makes."""
    env = {k: str(v) for k, v in (svc.get("environment") or {}).items()}
    argv = list(svc.get("entrypoint") or []) + list(svc.get("command") or [])
    argv = [a.replace("$$", "$") for a in argv]
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "calls")
        stub = os.path.join(tmp, "kafka-topics.sh")
        with open(stub, "w") as f:
            f.write('#!/bin/sh\nfor a in "$@"; do printf "%s\\037" "$a"; done >>"$STUB_LOG"\n'
                    'echo >>"$STUB_LOG"\n')
        os.chmod(stub, 0o755)
        dirs = {v for k, v in env.items() if v.rstrip("/").endswith("/bin")}
        if len(dirs) != 1:
            problem("compose topics: expected one environment variable naming the Kafka bin dir")
            return []
        env = {k: (tmp if v in dirs else v) for k, v in env.items()}
        script = " ".join(argv)
        if "/opt/kafka/bin" in script:
            problem("compose topics: the script names /opt/kafka/bin itself; use the variable")
        env.update(PATH="/usr/bin:/bin", STUB_LOG=log)
        r = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            problem(f"compose topics: the job's script failed ({r.returncode}): {r.stderr.strip()}")
        if not os.path.exists(log):
            return []
        return [line.split("\x1f")[:-1] for line in read(log).splitlines()]


def topic_call(args):
    """One kafka-topics.sh call's arguments as (options, --config key -> value);
    --create and --if-not-exists map to True."""
    opts, configs, i = {}, {}, 0
    while i < len(args):
        a = args[i]
        if a in ("--create", "--if-not-exists"):
            opts[a] = True
        elif a == "--config":
            k, _, v = args[i + 1].partition("=")
            configs[k] = v
            i += 1
        elif a.startswith("--"):
            opts[a] = args[i + 1] if i + 1 < len(args) else None
            i += 1
        i += 1
    return opts, configs


def check_topics(svc, inis, partitions, bootstrap):
    calls = run_topics_job(svc)
    created = {}
    for args in calls:
        opts, configs = topic_call(args)
        t = opts.get("--topic")
        if "--create" not in opts or "--if-not-exists" not in opts:
            problem(f"compose topics: {t}: not created with --create --if-not-exists")
        if opts.get("--partitions") != str(partitions):
            problem(f"compose topics: {t}: {opts.get('--partitions')} partitions, "
                    f".env PIZZA_PARTITIONS is {partitions}")
        if opts.get("--bootstrap-server") != bootstrap:
            problem(f"compose topics: {t}: bootstrap {opts.get('--bootstrap-server')}, "
                    f"the daemons use {bootstrap}")
        if t in created:
            problem(f"compose topics: {t} created twice")
        created[t] = configs
    topics, read_, changelogs = expected_topics(inis)
    want = topics | {t + ".dlq" for t in read_} | set(changelogs)
    for t in sorted(want - set(created)):
        problem(f"compose topics: does not create {t}")
    for t in sorted(set(created) - want):
        problem(f"compose topics: creates {t}, which no config names")
    for t, ini in changelogs.items():
        policy = set((created.get(t) or {}).get("cleanup.policy", "delete").split(","))
        if ini.has_section("orders"):
            if policy != {"compact", "delete"}:
                problem(f"compose topics: {t}: cleanup.policy should be compact,delete")
            retention_s = int(ini.get("orders", "retention_s", fallback="3600"))
            ms = int((created.get(t) or {}).get("retention.ms", "-1"))
            if ms != -1 and ms < retention_s * 1000:
                problem(f"compose topics: {t}: retention.ms {ms} < [orders] retention_s "
                        f"{retention_s} s")
        elif policy != {"compact"}:
            problem(f"compose topics: {t}: cleanup.policy should be compact")


def check_kafka(svc):
    image = svc.get("image", "")
    if not re.fullmatch(r"apache/kafka:\d+\.\d+\.\d+", image):
        problem(f"compose kafka: image {image}: expected apache/kafka pinned to a version")
    env = svc.get("environment") or {}
    for k, v in (("KAFKA_PROCESS_ROLES", "broker,controller"),
                 ("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "1"),
                 ("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1"),
                 ("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1")):
        if str(env.get(k)) != v:
            problem(f"compose kafka: {k} should be {v}")
    for k in ("KAFKA_NODE_ID", "KAFKA_CONTROLLER_QUORUM_VOTERS", "KAFKA_LISTENERS"):
        if k not in env:
            problem(f"compose kafka: no {k}")
    if "healthcheck" not in svc:
        problem("compose kafka: no healthcheck (the daemons wait for service_healthy)")
    return env


# ------------------------------------------------------------- proxy


def nginx_parse(text):
    """nginx.conf as a tree: [{"name", "args", "block": [...] or None}]."""
    tokens = re.findall(r'#[^\n]*|"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|[{};]|[^\s{};"\'#]+', text)
    root, stack, words = [], [], []
    cur = root
    for t in tokens:
        if t.startswith("#"):
            continue
        if t == ";":
            if words:
                cur.append({"name": words[0], "args": [w.strip("\"'") for w in words[1:]],
                            "block": None})
            words = []
        elif t == "{":
            d = {"name": words[0] if words else "", "args": words[1:], "block": []}
            cur.append(d)
            stack.append(cur)
            cur, words = d["block"], []
        elif t == "}":
            if not stack:
                raise ValueError("unbalanced }")
            cur, words = stack.pop(), []
        else:
            words.append(t)
    if stack:
        raise ValueError("unclosed {")
    return root


def nginx_effective(chain, name):
    """The directives NAME in force at the innermost block of chain (outermost
    first): nginx takes them from the innermost level that has any."""
    for block in reversed(chain):
        found = [d for d in block if d["name"] == name]
        if found:
            return found
    return []


def seconds(value):
    m = re.fullmatch(r"(\d+)(ms|s|m|h)?", value)
    if not m:
        return None
    return int(m.group(1)) * {"ms": 0.001, "s": 1, None: 1, "m": 60, "h": 3600}[m.group(2)]


def check_mount_sources(where, svc):
    for src, dst in mounts_of(svc):
        if not os.path.exists(src):
            problem(f"{where}: mounts {src} at {dst}: no such file in the repository")


def check_proxy(name, svc, max_wait_s):
    """@returns {host port: daemon service} the proxy leads to."""
    where = f"compose {name}"
    image = svc.get("image", "")
    if not re.fullmatch(r"nginx:\d+\.\d+(\.\d+)?-alpine", image):
        problem(f"{where}: image {image}: expected nginx:<version>-alpine")
    check_mount_sources(where, svc)
    conf = host_path(svc, "/etc/nginx/nginx.conf")
    if conf is None or not os.path.isfile(conf):
        problem(f"{where}: no nginx.conf of the repository mounted at /etc/nginx/nginx.conf")
        return {}
    try:
        tree = nginx_parse(read(conf))
    except ValueError as e:
        problem(f"{where}: {conf}: {e}")
        return {}
    https = [d for d in tree if d["name"] == "http"]
    if len(https) != 1:
        problem(f"{where}: {conf}: expected one http block")
        return {}
    http = https[0]["block"]
    listens = {}  # listen port -> daemon service
    for server in (d["block"] for d in http if d["name"] == "server"):
        ports = set()
        for d in server:
            if d["name"] == "listen" and d["args"]:
                ports.add(int(d["args"][0].rsplit(":", 1)[-1]))
        sets = {d["args"][0]: d["args"][1] for d in server if d["name"] == "set"}
        for loc in (d for d in server if d["name"] == "location"):
            chain = [[https[0]], http, server, loc["block"]]
            sets_here = dict(sets, **{d["args"][0]: d["args"][1] for d in loc["block"]
                                      if d["name"] == "set"})
            for pp in (d for d in loc["block"] if d["name"] == "proxy_pass"):
                url = pp["args"][0]
                m = re.fullmatch(r"http://(\$\w+|[\w.-]+):(\d+)(/\S*)?", url)
                if not m:
                    problem(f"{where}: proxy_pass {url}: expected http://$name:port")
                    continue
                host, port = m.group(1), int(m.group(2))
                if not host.startswith("$"):
                    problem(f"{where}: proxy_pass {url}: nginx resolves a literal name once, at "
                            "start, so replicas added by --scale are never used; set the name "
                            "in a variable")
                    svc_name = host
                else:
                    svc_name = sets_here.get(host)
                if svc_name not in DAEMON_PORTS:
                    problem(f"{where}: proxy_pass {url}: {svc_name} is not a daemon service")
                    continue
                if port != DAEMON_PORTS[svc_name]:
                    problem(f"{where}: proxy_pass {url}: {svc_name} listens on "
                            f"{DAEMON_PORTS[svc_name]}, not {port}")
                for p in ports:
                    listens[p] = svc_name
                resolvers = nginx_effective(chain, "resolver")
                if not any("127.0.0.11" in d["args"] for d in resolvers):
                    problem(f"{where}: {url}: no resolver 127.0.0.11 (Docker's DNS, which "
                            "knows every replica)")
                valid = [seconds(a[6:]) for d in resolvers for a in d["args"]
                         if a.startswith("valid=")]
                if not valid or valid[0] is None or valid[0] > 30:
                    problem(f"{where}: {url}: resolver without valid=<30 s or less>: replicas "
                            "added by --scale would wait for the DNS answer's TTL")
                read_to = nginx_effective(chain, "proxy_read_timeout")
                t = seconds(read_to[-1]["args"][0]) if read_to else 60
                if t is None or t <= max_wait_s:
                    problem(f"{where}: {url}: proxy_read_timeout {t} s is not longer than "
                            f"[orders] max_wait_s {max_wait_s} s: long-poll GETs would get 504")
                headers = {d["args"][0].lower() for d in
                           nginx_effective(chain, "proxy_set_header") if d["args"]}
                if "x-forwarded-for" not in headers:
                    problem(f"{where}: {url}: no proxy_set_header X-Forwarded-For: the daemons "
                            "see only the proxy's address")
    published = {}
    for host_ip, pub, target in ports_of(svc):
        if target not in listens:
            problem(f"{where}: publishes container port {target}, where nginx.conf proxies "
                    f"nothing (it listens on {sorted(listens)})")
        elif pub is not None and pub != target:
            problem(f"{where}: publishes {listens[target]} ({target}) on host port {pub}: "
                    "keep the daemon's own port, as README's commands use it")
        elif pub is not None:
            published[pub] = listens[target]
    return published


# ------------------------------------------------------------- observability

OBSERVABILITY = "observability"


def check_profile(where, svc, want):
    got = svc.get("profiles") or []
    if want and list(got) != [want]:
        problem(f"{where}: profiles {list(got)}: should be [{want}], so that plain `up` "
                "leaves it out")
    if not want and got:
        problem(f"{where}: profiles {list(got)}: plain `docker compose up` would not start it")


def check_observability_service(where, svc, image_re, image_what, port, server):
    """What Prometheus and Grafana share: a pinned image, the profile, mounts of
    files the repository has, and only the port the server listens on."""
    image = svc.get("image", "")
    if not re.fullmatch(image_re, image):
        problem(f"{where}: image {image}: expected {image_what} pinned to a version")
    check_profile(where, svc, OBSERVABILITY)
    check_mount_sources(where, svc)
    for host_ip, pub, target in ports_of(svc):
        if target != port:
            problem(f"{where}: publishes container port {target}; {server} listens on {port}")


def check_prometheus(name, svc):
    where = f"compose {name}"
    check_observability_service(where, svc, r"prom/prometheus:v\d+\.\d+\.\d+",
                                "prom/prometheus", 9090, "Prometheus")
    cfg = host_path(svc, "/etc/prometheus/prometheus.yml")
    if cfg is None or not os.path.isfile(cfg):
        problem(f"{where}: no prometheus.yml of the repository mounted at "
                "/etc/prometheus/prometheus.yml")
        return
    with open(cfg, encoding="utf-8") as f:
        prom = load_yaml(f) or {}
    for rf in prom.get("rule_files") or []:
        path = os.path.join(os.path.dirname(cfg), rf) if not rf.startswith("/") \
            else host_path(svc, rf)
        if not path or not glob.glob(path):
            problem(f"{where}: rule_files {rf}: not in what the container mounts")
    scraped = {}  # DNS name -> (job, type, port)
    for job in prom.get("scrape_configs") or []:
        for sd in job.get("dns_sd_configs") or []:
            for n in sd.get("names") or []:
                scraped[n] = (job.get("job_name"), sd.get("type", "SRV"), sd.get("port"))
        for sc in job.get("static_configs") or []:
            for t in sc.get("targets") or []:
                h, _, p = str(t).rpartition(":")
                scraped[h] = (job.get("job_name"), "static", int(p) if p.isdigit() else None)
    for daemon, port in sorted(DAEMON_PORTS.items()):
        if daemon not in scraped:
            problem(f"{where}: prometheus.yml does not scrape {daemon}")
            continue
        job, typ, p = scraped[daemon]
        if typ != "A":
            problem(f"{where}: prometheus.yml finds {daemon} by {typ}, not dns_sd_configs "
                    "type A (Docker's DNS answers A records, one per replica)")
        if p != port:
            problem(f"{where}: prometheus.yml scrapes {daemon} on port {p}; it listens on {port}")
        if job != daemon:
            problem(f"{where}: prometheus.yml scrapes {daemon} as job {job}: the alerts and "
                    "the dashboard take job for the service name")
    for n in sorted(set(scraped) - set(DAEMON_PORTS)):
        problem(f"{where}: prometheus.yml scrapes {n}, which is no daemon service")


def check_grafana(name, svc, prometheus):
    where = f"compose {name}"
    check_observability_service(where, svc, r"grafana/grafana(-oss)?:\d+\.\d+\.\d+",
                                "grafana/grafana", 3000, "Grafana")
    prov = host_path(svc, "/etc/grafana/provisioning")
    if prov is None or not os.path.isdir(prov):
        problem(f"{where}: no provisioning directory mounted at /etc/grafana/provisioning")
        return
    urls = []
    for path in sorted(glob.glob(os.path.join(prov, "datasources", "*.y*ml"))):
        with open(path, encoding="utf-8") as f:
            for ds in (load_yaml(f) or {}).get("datasources") or []:
                if ds.get("type") == "prometheus":
                    urls.append(ds.get("url"))
    if urls != [f"http://{prometheus}:9090"]:
        problem(f"{where}: provisioned Prometheus datasources {urls}: expected one, "
                f"http://{prometheus}:9090")
    dashboards = 0
    for path in sorted(glob.glob(os.path.join(prov, "dashboards", "*.y*ml"))):
        with open(path, encoding="utf-8") as f:
            for pr in (load_yaml(f) or {}).get("providers") or []:
                dpath = (pr.get("options") or {}).get("path", "")
                src = host_path(svc, dpath)
                found = glob.glob(os.path.join(src, "*.json")) if src else []
                if not found:
                    problem(f"{where}: dashboard provider {pr.get('name')}: {dpath} holds no "
                            "dashboard of the repository")
                dashboards += len(found)
    if not dashboards:
        problem(f"{where}: no dashboard provisioned")
    home = env_of(svc).get("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH")
    if home and not os.path.isfile(host_path(svc, home) or ""):
        problem(f"{where}: GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH {home}: not a mounted file")


# ------------------------------------------------------------- examples


def parse_env_file(path):
    out = []
    for n, line in enumerate(read(path).splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if "=" not in line:
            problem(f"{path}:{n}: not NAME=value")
            continue
        out.append((n, *line.split("=", 1)))
    return out


SECRET_WORDS = ("PASSWORD", "SECRET", "TOKEN", "PASSPHRASE", "CREDENTIAL")


def check_examples(root, doc_keys, kafka_props, any_ini):
    """An example may serve any daemon: its PIZZA_ keys may be any daemon's."""
    paths = sorted(glob.glob(os.path.join(root, "config", "examples", "*.env")))
    if not paths:
        problem("config/examples: no *.env examples")
    for path in paths:
        rel = os.path.relpath(path, root)
        for n, name, value in parse_env_file(path):
            check_env_var(f"{rel}:{n}", name, value, any_ini, doc_keys, kafka_props)
            words = name.split("_")
            secret = any(w in SECRET_WORDS for w in words) or words[-1] in ("KEY", "USERNAME")
            if secret and not re.fullmatch(r"\$\{\w+\}", value):
                problem(f"{rel}:{n}: {name} must come from the environment (${{VAR}}), "
                        "never be written in the file")


# Services that are not daemons, by image.
SIDECARS = (("nginx:", "proxy"), ("prom/prometheus:", "prometheus"),
            ("grafana/grafana", "grafana"))
# Daemons with an API for users: reached on the host at their own port
# (README: curl localhost:5000, localhost:5001/report), through the proxy.
PUBLIC_DAEMONS = ("pizza-service", "cheese-reporter")


def main(args):
    PROBLEMS.clear()
    DAEMON_PORTS.clear()
    want_profile = None
    if "--profile" in args:
        i = args.index("--profile")
        want_profile = args[i + 1]
        del args[i:i + 2]
    root, normalized = args
    with open(normalized, encoding="utf-8") as f:
        compose = load_yaml(f)
    services = compose.get("services") or {}
    binaries = daemon_binaries(root)
    doc_keys = readme_keys(root)
    kafka_props = librdkafka_properties()
    files, copied_bins = check_dockerfile(root, binaries)

    dotenv = dict((k, v) for _, k, v in parse_env_file(os.path.join(root, ".env"))) \
        if os.path.exists(os.path.join(root, ".env")) else {}
    if "PIZZA_PARTITIONS" not in dotenv:
        problem(".env: no PIZZA_PARTITIONS (the topics' partition count)")

    if "kafka" not in services:
        problem("compose: no kafka service")
    else:
        check_kafka(services["kafka"])

    daemons, inis, images, bootstraps = {}, [], set(), set()
    sidecars = {}  # kind -> [service name]
    max_wait_s = 30  # [orders] max_wait_s's default (services/pizza/pizza_service.c)
    for name, svc in services.items():
        if "build" not in svc and name in ("kafka", "topics"):
            check_profile(f"compose {name}", svc, None)
            continue
        kind = next((k for prefix, k in SIDECARS if str(svc.get("image", "")).startswith(prefix)
                     and "build" not in svc), None)
        if kind:
            sidecars.setdefault(kind, []).append(name)
            continue
        check_profile(f"compose {name}", svc, None)
        binary, ini = check_daemon(name, svc, root, files, copied_bins, binaries, doc_keys,
                                   kafka_props)
        if binary in daemons:
            problem(f"compose {name}: runs {binary}, as {daemons[binary]} does")
        daemons[binary] = name
        images.add(svc.get("image"))
        bootstraps.add((svc.get("environment") or {}).get("KAFKA_BOOTSTRAP_SERVERS"))
        if ini is not None:
            inis.append(ini)
            if ini.has_section("orders"):
                max_wait_s = int(env_of(svc).get("PIZZA_ORDERS_MAX_WAIT_S") or
                                 ini.get("orders", "max_wait_s", fallback=max_wait_s))
    for b in sorted(set(binaries) - set(daemons)):
        problem(f"compose: no service runs {b}")

    for kind in ("proxy", "prometheus", "grafana"):
        if len(sidecars.get(kind, [])) > 1:
            problem(f"compose: {len(sidecars[kind])} {kind} services: {sidecars[kind]}")
    published = {}
    if not sidecars.get("proxy"):
        problem("compose: no proxy (nginx) service in front of the daemons")
    else:
        proxy = sidecars["proxy"][0]
        check_profile(f"compose {proxy}", services[proxy], None)
        published = check_proxy(proxy, services[proxy], max_wait_s)
    for b in PUBLIC_DAEMONS:
        svc_name = daemons.get(b)
        port = DAEMON_PORTS.get(svc_name)
        if port is not None and published.get(port) != svc_name:
            problem(f"compose: {svc_name} is not reachable on host port {port} through the "
                    "proxy (README's curl commands use it)")
    for kind in ("prometheus", "grafana"):
        if want_profile == OBSERVABILITY and not sidecars.get(kind):
            problem(f"compose: no {kind} service with --profile {OBSERVABILITY}")
    if sidecars.get("prometheus"):
        check_prometheus(sidecars["prometheus"][0], services[sidecars["prometheus"][0]])
    if sidecars.get("grafana"):
        check_grafana(sidecars["grafana"][0], services[sidecars["grafana"][0]],
                      (sidecars.get("prometheus") or ["prometheus"])[0])
    if len(images) != 1 or None in images:
        problem(f"compose: the daemons should share one image name, not {sorted(map(str, images))}")
    if len(bootstraps) != 1 or None in bootstraps:
        problem(f"compose: the daemons' KAFKA_BOOTSTRAP_SERVERS differ: {bootstraps}")
    if "topics" not in services:
        problem("compose: no topics job")
    elif bootstraps:
        check_topics(services["topics"], inis, os.environ.get("PIZZA_PARTITIONS",
                                                              dotenv.get("PIZZA_PARTITIONS")),
                     next(iter(bootstraps)))
    merged = configparser.ConfigParser(interpolation=None)
    merged.optionxform = str
    for ini in inis:
        merged.read_dict({sec: dict(ini[sec]) for sec in ini.sections()})
    check_examples(root, doc_keys, kafka_props, merged)

    for p in PROBLEMS:
        print(p)
    print(f"compose_check: {len(daemons)} daemons, "
          f"{', '.join(sorted(sidecars)) or 'nothing else'}, {len(PROBLEMS)} problems")
    return 1 if PROBLEMS else 0


def batch(root, listing):
    for line in read(listing).splitlines():
        out, *rest = line.split()
        with open(out, "w", encoding="utf-8") as f:
            saved, sys.stdout = sys.stdout, f
            try:
                rc = main([root] + rest)
            finally:
                sys.stdout = saved
            print(f"exit {rc}", file=f)
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--batch"]:
        sys.exit(batch(*sys.argv[2:]))
    sys.exit(main(sys.argv[1:]))
