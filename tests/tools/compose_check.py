#!/usr/bin/python3
"""Checks docker-compose.yml (as normalized by `docker-compose config`), the
Dockerfile and config/examples/*.env against what the project builds and reads.

usage: compose_check.py ROOT NORMALIZED_CONFIG.yml
Prints one line per problem and exits 1 when there is any; needs no Docker
engine. Run by tests/e2e/compose_config.sh.
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


# ------------------------------------------------------------- compose


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
    env = svc.get("environment") or {}
    if isinstance(env, list):
        env = dict(e.split("=", 1) if "=" in e else (e, None) for e in env)
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
    for p in svc.get("ports") or []:
        target = p.get("target") if isinstance(p, dict) else int(str(p).split(":")[-1])
        if int(target) != port:
            problem(f"{where}: publishes container port {target}, the daemon listens on {port}")
    deps = svc.get("depends_on") or {}
    for dep, cond in (("kafka", "service_healthy"), ("topics", "service_completed_successfully")):
        if (deps.get(dep) or {}).get("condition") != cond:
            problem(f"{where}: depends_on {dep} should have condition {cond}")
    if svc.get("restart") != "unless-stopped":
        problem(f"{where}: restart should be unless-stopped")
    if "build" not in svc:
        problem(f"{where}: no build: (the image is built from the Dockerfile)")
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


def check_topics(svc, inis, partitions, bootstrap):
    calls = run_topics_job(svc)
    created = {}
    for args in calls:
        opts = {}
        configs = {}
        i = 0
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


def main():
    root, normalized = sys.argv[1], sys.argv[2]
    with open(normalized, encoding="utf-8") as f:
        compose = yaml.safe_load(f)
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
    for name, svc in services.items():
        if "build" not in svc and name in ("kafka", "topics"):
            continue
        binary, ini = check_daemon(name, svc, root, files, copied_bins, binaries, doc_keys,
                                   kafka_props)
        if binary in daemons:
            problem(f"compose {name}: runs {binary}, as {daemons[binary]} does")
        daemons[binary] = name
        images.add(svc.get("image"))
        bootstraps.add((svc.get("environment") or {}).get("KAFKA_BOOTSTRAP_SERVERS"))
        if ini is not None:
            inis.append(ini)
    for b in sorted(set(binaries) - set(daemons)):
        problem(f"compose: no service runs {b}")
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
    print(f"compose_check: {len(daemons)} daemons, {len(PROBLEMS)} problems")
    return 1 if PROBLEMS else 0


if __name__ == "__main__":
    sys.exit(main())
