#!/usr/bin/python3
"""Checks rendered Kubernetes manifests (deploy/k8s, `kubectl kustomize`) against
what the project builds and reads, as compose_check.py does for docker-compose.yml.

usage: k8s_check.py ROOT dev|prod RENDERED.yaml...
Needs $PIZZA_BIN/<daemon> (their -h lists the environment they read). Prints one
line per problem and exits 1 when there is any. Run by tests/e2e/k8s_manifests.sh.

The truth comes from the repository: the daemons CMake builds and the config file
each reads (services/), config/*.ini (ports, group ids, topics, settings), README
(documented keys, the shutdown budget), the Dockerfile (binaries and files in the
image, its user), docker-compose.yml (image names, the Kafka image, which daemons
clients reach) and each daemon's -h.
"""
import glob
import os
import re
import shlex
import subprocess
import sys
import tempfile

import yaml

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compose_check as cc  # noqa: E402  (the shared readers of the repository)

problem = cc.problem

# Profiles: what each overlay promises (deploy/k8s/README.md).
PROFILES = ("dev", "prod")

# README, Our sections: a made pizza held by pizza-service costs ~0.3 kB, so the
# [orders] bounds allow (max_pending_pizzas + max_complete_pizzas) x this at worst.
BYTES_PER_HELD_PIZZA = 300

SASL_MODES = {"PLAIN": "plaintext", "SCRAM-SHA-256": "scram_sha256",
              "SCRAM-SHA-512": "scram_sha512"}


# ------------------------------------------------------------- the project


def usage_env(binary):
    """The environment a daemon's -h lists: (literal names, KAFKA_<PROPERTY> read,
    PIZZA_<SECTION>_<KEY> read), or None when the binary is missing."""
    path = os.path.join(os.environ.get("PIZZA_BIN", ""), binary)
    if not os.access(path, os.X_OK):
        return None
    r = subprocess.run([path, "-h"], capture_output=True, text=True, timeout=10)
    text = r.stdout + r.stderr
    if "environment" not in text:
        return set(), False, False
    names = set()
    for line in text.split("environment", 1)[1].splitlines()[1:]:
        if not re.match(r"  \S", line):  # items only, not their continuation lines
            continue
        head = line.split(":", 1)[0]
        names |= set(re.findall(r"(?<![\w<])[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+(?![\w<>])", head))
    return names, "KAFKA_<PROPERTY>" in text, "PIZZA_<SECTION>_<KEY>" in text


def readme_default(root, key):
    """A key's default in README's table of our sections (`key` | default |)."""
    m = re.search(r"`" + re.escape(key) + r"` \| (\d+) \|", cc.read(os.path.join(root, "README.md")))
    return int(m.group(1)) if m else None


def image_user(root):
    """(user name, uid) the runtime stage of the Dockerfile runs as: its USER,
    made by a useradd in a RUN or in a file of the repository the stage copies
    in (deploy/image/setup-runtime.sh, which a RUN runs)."""
    stages = cc.dockerfile_stages(os.path.join(root, "Dockerfile"))
    if not stages:
        return None, None
    user, uids, texts = None, {}, []
    for instr, args in stages[-1][1]:
        if instr == "USER":
            user = args.split(":")[0]
        elif instr == "RUN":
            texts.append(args)
        elif instr == "COPY" and "--from" not in args:
            for src in shlex.split(args)[:-1]:
                for path in glob.glob(os.path.join(root, src)):
                    if os.path.isfile(path):
                        texts.append(re.sub(r"\\\n", " ", cc.read(path)))
    for text in texts:
        for m in re.finditer(r"useradd\b([^&;\n]*)", text):
            words = m.group(1).split()
            if "--uid" in words and words[-1] != words[words.index("--uid") + 1]:
                uids[words[-1]] = int(words[words.index("--uid") + 1])
    if user is not None and user.isdigit():
        return user, int(user)
    return user, uids.get(user)


def compose_facts(root):
    """(daemon image, Kafka image, binaries whose compose service clients reach:
    it publishes ports, or the compose proxy's nginx.conf leads to it)."""
    with open(os.path.join(root, "docker-compose.yml"), encoding="utf-8") as f:
        services = (yaml.safe_load(f) or {}).get("services") or {}
    with open(os.path.join(root, "deploy", "compose", "nginx.conf"), encoding="utf-8") as f:
        proxied = set(re.findall(r"^\s*set\s+\$daemon\s+([\w-]+)\s*;", f.read(), re.M))
    daemon_image, kafka_image, published = None, None, set()
    for name, svc in services.items():
        cmd = svc.get("command")
        if "build" in svc and isinstance(cmd, list) and cmd:
            daemon_image = svc.get("image")
            if svc.get("ports") or name in proxied:
                published.add(cmd[0])
        elif "kafka" in str(svc.get("image", "")):
            kafka_image = svc.get("image")
    return daemon_image, kafka_image, published


def repo_name(image):
    """registry/path/name:tag -> name."""
    return str(image).rsplit("/", 1)[-1].split("@")[0].split(":")[0]


# ------------------------------------------------------------- objects


def quantity(q):
    """A Kubernetes quantity as a float (cores or bytes)."""
    m = re.fullmatch(r"([0-9.]+)(m|[KMGTE]i?|)", str(q))
    if not m:
        return None
    mult = {"": 1, "m": 1e-3, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "E": 1e18,
            "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Ei": 2**60}[m.group(2)]
    return float(m.group(1)) * mult


def selects(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


class Manifests:
    def __init__(self, docs):
        self.docs = [d for d in docs if isinstance(d, dict)]
        self.configmaps = {self.name(d): d for d in self.of("ConfigMap")}

    def of(self, kind):
        return [d for d in self.docs if d.get("kind") == kind]

    @staticmethod
    def name(d):
        return (d.get("metadata") or {}).get("name")

    def env_of(self, container, where, secret_values=None):
        """name -> (value or None, how): envFrom ConfigMaps, then env (which wins).
        Secret values are unknown (None) unless secret_values gives stand-ins."""
        env = {}
        for ef in container.get("envFrom") or []:
            if "configMapRef" in ef:
                ref = ef["configMapRef"].get("name")
                cm = self.configmaps.get(ref)
                if cm is None:
                    if not ef["configMapRef"].get("optional"):
                        problem(f"{where}: envFrom ConfigMap {ref}: not in the manifests")
                    continue
                for k, v in (cm.get("data") or {}).items():
                    env[ef.get("prefix", "") + k] = (v, f"ConfigMap {ref}")
            else:
                problem(f"{where}: envFrom {sorted(ef)}: only ConfigMaps, whose names can be checked")
        for e in container.get("env") or []:
            name, vf = e.get("name"), e.get("valueFrom") or {}
            if "value" in e:
                env[name] = (e["value"], "value")
            elif "configMapKeyRef" in vf:
                ref = vf["configMapKeyRef"]
                data = (self.configmaps.get(ref.get("name")) or {}).get("data") or {}
                if ref.get("key") in data:
                    env[name] = (data[ref["key"]], f"ConfigMap {ref.get('name')}")
                elif not ref.get("optional"):
                    problem(f"{where}: {name}: ConfigMap {ref.get('name')} has no key {ref.get('key')}")
            elif "secretKeyRef" in vf:
                ref = vf["secretKeyRef"]
                env[name] = ((secret_values or {}).get(ref.get("key")),
                             f"secret {ref.get('name')}/{ref.get('key')}"
                             + (" optional" if ref.get("optional") else ""))
            elif "fieldRef" in vf:
                env[name] = (None, f"field {vf['fieldRef'].get('fieldPath')}")
            else:
                env[name] = (None, "other")
        return env


def pod_containers(workload):
    spec = ((workload.get("spec") or {}).get("template") or {}).get("spec") or {}
    return spec, spec.get("containers") or []


def port_number(container, port):
    """A probe's or Service's port (number or name) as the container's number."""
    if isinstance(port, int):
        return port
    for p in container.get("ports") or []:
        if p.get("name") == port:
            return p.get("containerPort")
    return None


# ------------------------------------------------------------- daemons


class Daemon:
    """What one daemon's StatefulSet runs, and what its config says."""

    def __init__(self, sts, container, binary, ini, env, port):
        self.sts, self.container, self.binary, self.ini, self.env, self.port = \
            sts, container, binary, ini, env, port
        self.name = Manifests.name(sts)
        self.labels = (((sts.get("spec") or {}).get("template") or {}).get("metadata")
                       or {}).get("labels") or {}

    def setting(self, section, key, default=None):
        """[section] key as the daemon sees it: PIZZA_ environment over the file."""
        env_name = f"PIZZA_{section.upper()}_{key.upper().replace('.', '_')}"
        if env_name in self.env and self.env[env_name][0] is not None:
            return self.env[env_name][0]
        if self.ini is not None and self.ini.has_option(section, key):
            return self.ini.get(section, key)
        return default

    def consumes(self):
        """(group id, input topic) from the daemon's own section."""
        if self.ini is None:
            return None, None
        if self.ini.has_section("orders"):
            return (self.setting("orders", "group_id", "pizza-service"),
                    self.setting("orders", "completed_topic"))
        if self.ini.has_section("reporter"):
            return (self.setting("reporter", "group_id", "cheese-reporter"),
                    self.setting("reporter", "input_topic"))
        return self.setting("stage", "group_id", self.binary), self.setting("stage", "input_topic")

    def kafka_property(self, prop, default=None):
        env_name = "KAFKA_" + prop.upper().replace(".", "_")
        if env_name in self.env and self.env[env_name][0] is not None:
            return self.env[env_name][0]
        for sec in ("kafka.consumer", "kafka"):
            if self.ini is not None and self.ini.has_option(sec, prop):
                return self.ini.get(sec, prop)
        return default


def check_env(where, name, value, how, ini, usage, doc_keys, kafka_props):
    names, kafka_any, pizza_any = usage
    secretish = any(w in cc.SECRET_WORDS for w in name.split("_"))
    if secretish and not how.startswith("secret"):
        problem(f"{where}: {name} comes from {how}: a secret belongs in a Secret (secretKeyRef)")
    if name in ("KAFKA_TRANSACTIONAL_ID", "PIZZA_SERVICE_INSTANCE_ID") and not how.startswith("field"):
        problem(f"{where}: {name} from {how} is the same in every replica, which then fence "
                "each other: leave it unset (the daemons take the pod name)")
    if name in names:
        allowed = cc.NAMED_ENV.get(name)
        if allowed and value is not None and str(value) not in allowed:
            problem(f"{where}: {name}={value}: expected one of {sorted(allowed)}")
        return
    if name.startswith("KAFKA_") and kafka_any:
        prop = name[6:].lower().replace("_", ".")
        if kafka_props is not None and not any(cc.key_norm(p) == prop for p in kafka_props):
            problem(f"{where}: {name}: librdkafka has no property {prop}")
        return
    m = re.fullmatch(r"PIZZA_([A-Z0-9]+)_([A-Z0-9_]+)", name)
    if m and pizza_any:
        section, key = m.group(1).lower(), m.group(2).lower()
        if section.startswith("kafka"):
            problem(f"{where}: {name}: the daemons refuse PIZZA_KAFKA*; use KAFKA_<PROPERTY>")
        elif not cc.ini_has(ini, section, key) and cc.key_norm(key) not in doc_keys.get(section, set()):
            problem(f"{where}: {name}: [{section}] {key} is neither in the daemon's ini nor in README")
        return
    problem(f"{where}: {name}: not a variable the daemons read (their -h lists {sorted(names)})")


def check_daemon(m, sts, facts):
    root, binaries, files, copied, doc_keys, kafka_props, uid = (
        facts["root"], facts["binaries"], facts["files"], facts["copied"], facts["doc_keys"],
        facts["kafka_props"], facts["uid"])
    name = Manifests.name(sts)
    where = f"StatefulSet {name}"
    spec, containers = pod_containers(sts)
    daemon_containers = [c for c in containers if (c.get("command") or c.get("args") or [""])[0]
                         in binaries]
    if len(daemon_containers) != 1:
        problem(f"{where}: expected one container running a daemon, found {len(daemon_containers)}")
        return None
    c = daemon_containers[0]
    cmd = list(c.get("command") or []) + list(c.get("args") or [])
    binary = cmd[0]
    if binary not in copied:
        problem(f"{where}: {binary}: the Dockerfile does not copy it into the image")
    if not c.get("command"):
        problem(f"{where}: the daemon is started through args: give its command")

    # -c FILE: from a mounted ConfigMap, whose content must be the repository's file
    ini = None
    if "-c" not in cmd[:-1]:
        problem(f"{where}: command has no -c FILE")
    else:
        cpath = os.path.normpath(cmd[cmd.index("-c") + 1])
        want = binaries.get(binary) or set()
        mounts = [vm for vm in c.get("volumeMounts") or []
                  if cpath.startswith(vm.get("mountPath", "").rstrip("/") + "/")]
        repo_file = None
        if mounts:
            vm = max(mounts, key=lambda v: len(v["mountPath"]))
            vol = next((v for v in spec.get("volumes") or [] if v.get("name") == vm.get("name")), {})
            rel = os.path.relpath(cpath, vm["mountPath"])
            cm_ref = (vol.get("configMap") or {})
            cm = m.configmaps.get(cm_ref.get("name"))
            if cm is None:
                problem(f"{where}: -c {cpath}: its volume {vm.get('name')} is no ConfigMap of "
                        "the manifests")
            else:
                items = cm_ref.get("items")
                key = next((i["key"] for i in items if i.get("path") == rel), None) if items else rel
                data = (cm.get("data") or {}).get(key)
                if data is None:
                    problem(f"{where}: -c {cpath}: ConfigMap {cm_ref.get('name')} has no {key} "
                            "(the mount hides the image's /etc/pizza)")
                else:
                    repo_file = os.path.join(root, "config", os.path.basename(key))
                    if not os.path.exists(repo_file):
                        problem(f"{where}: -c {cpath}: config/{os.path.basename(key)}: no such "
                                "file in the repository")
                        repo_file = None
                    elif cc.read(repo_file) != data:
                        problem(f"{where}: -c {cpath}: the ConfigMap's {key} differs from "
                                f"config/{os.path.basename(key)}")
        else:
            repo_file = files.get(cpath)
            if not repo_file:
                problem(f"{where}: -c {cpath}: no such file in the image (Dockerfile COPY) "
                        "nor in a mounted ConfigMap")
        if repo_file:
            if want and os.path.basename(repo_file) not in want:
                problem(f"{where}: -c {cpath} is config/{os.path.basename(repo_file)}; {binary} "
                        f"reads config/{'|'.join(sorted(want))}")
            ini = cc.load_ini(repo_file)
            for sec, key in (("kafka", "transactional.id"), ("kafka.producer", "transactional.id")):
                if ini.has_option(sec, key):
                    problem(f"{where}: config/{os.path.basename(repo_file)} sets [{sec}] {key}: "
                            "every replica would share it")

    usage = facts["usage"].get(binary)
    if usage is None:
        problem(f"{where}: {binary}: not in $PIZZA_BIN ({os.environ.get('PIZZA_BIN')}): build it "
                "first (its -h lists the environment it reads)")
        usage = (set(), True, True)
    env = m.env_of(c, where)
    for n, (value, how) in env.items():
        check_env(where, n, value, how, ini, usage, doc_keys, kafka_props)
    if ini is None:
        return None
    port = int(env["HTTP_PORT"][0]) if env.get("HTTP_PORT", (None,))[0] else \
        int(ini.get("http", "port"))
    d = Daemon(sts, c, binary, ini, env, port)

    # ports, probes, scraping
    if port not in [p.get("containerPort") for p in c.get("ports") or []]:
        problem(f"{where}: no containerPort {port}, the daemon's [http] port")
    for p in c.get("ports") or []:
        if p.get("containerPort") != port:
            problem(f"{where}: containerPort {p.get('containerPort')}: the daemon listens on {port}")
    for probe, path in (("livenessProbe", "/health"), ("readinessProbe", "/ready")):
        hg = (c.get(probe) or {}).get("httpGet")
        if not hg:
            problem(f"{where}: no {probe} httpGet {path}")
            continue
        if hg.get("path") != path:
            problem(f"{where}: {probe} asks {hg.get('path')}, not {path}")
        if port_number(c, hg.get("port")) != port:
            problem(f"{where}: {probe} port {hg.get('port')} is not the daemon's [http] port {port}")
    ann = ((sts["spec"].get("template") or {}).get("metadata") or {}).get("annotations") or {}
    if ann.get("prometheus.io/scrape") != "true":
        problem(f"{where}: no prometheus.io/scrape: \"true\" on the pods")
    if ann.get("prometheus.io/port") != str(port):
        problem(f"{where}: prometheus.io/port {ann.get('prometheus.io/port')} is not the daemon's "
                f"[http] port {port}")
    if ann.get("prometheus.io/path", "/metrics") != "/metrics":
        problem(f"{where}: prometheus.io/path {ann.get('prometheus.io/path')}: metrics are at /metrics")

    # lifecycle and security
    if spec.get("enableServiceLinks") is not False:
        problem(f"{where}: enableServiceLinks should be false: service links put PIZZA_SERVICE_PORT, "
                "KAFKA_PORT etc. into the environment, which the daemons refuse")
    budget = d.setting("service", "shutdown_timeout_s", readme_default(root, "shutdown_timeout_s"))
    grace = spec.get("terminationGracePeriodSeconds", 30)
    if budget is not None and grace < int(budget) + 5:
        problem(f"{where}: terminationGracePeriodSeconds {grace} leaves no margin over the daemon's "
                f"[service] shutdown_timeout_s {budget}: SIGKILL before it committed and left")
    psc, csc = spec.get("securityContext") or {}, c.get("securityContext") or {}
    eff = {**psc, **csc}
    if eff.get("runAsNonRoot") is not True:
        problem(f"{where}: runAsNonRoot should be true")
    if uid is not None and eff.get("runAsUser") != uid:
        problem(f"{where}: runAsUser {eff.get('runAsUser')}: the image's user has uid {uid} "
                "(and runAsNonRoot needs a number: the image names its user)")
    if csc.get("readOnlyRootFilesystem") is not True:
        problem(f"{where}: readOnlyRootFilesystem should be true (the daemons write no file)")
    if csc.get("allowPrivilegeEscalation") is not False:
        problem(f"{where}: allowPrivilegeEscalation should be false")
    res = c.get("resources") or {}
    for kind in ("cpu", "memory"):
        req = quantity((res.get("requests") or {}).get(kind))
        lim = quantity((res.get("limits") or {}).get(kind))
        if req is None or lim is None:
            problem(f"{where}: resources should give requests and limits for {kind}")
        elif req > lim:
            problem(f"{where}: {kind} request {res['requests'][kind]} > limit {res['limits'][kind]}")
    if ini.has_section("orders"):
        worst = (int(d.setting("orders", "max_pending_pizzas", 1000000)) +
                 int(d.setting("orders", "max_complete_pizzas", 1000000))) * BYTES_PER_HELD_PIZZA
        lim = quantity((res.get("limits") or {}).get("memory")) or 0
        if lim and lim < worst:
            problem(f"{where}: memory limit {res['limits']['memory']} is below the ~{worst >> 20} MiB "
                    "its [orders] bounds allow: OOM-killed on every restore")

    # the StatefulSet itself
    sspec = sts.get("spec") or {}
    if not selects((sspec.get("selector") or {}).get("matchLabels"), d.labels):
        problem(f"{where}: its selector does not match its pod labels")
    if sspec.get("podManagementPolicy") != "Parallel":
        problem(f"{where}: podManagementPolicy should be Parallel: a pod beyond the partition count "
                "is never ready, and OrderedReady waits for it")
    svc = next((s for s in m.of("Service") if Manifests.name(s) == sspec.get("serviceName")), None)
    if svc is None or (svc.get("spec") or {}).get("clusterIP") != "None":
        problem(f"{where}: serviceName {sspec.get('serviceName')} is no headless Service")
    return d


def check_services(m, daemons, workloads, published):
    for svc in m.of("Service"):
        name = Manifests.name(svc)
        spec = svc.get("spec") or {}
        chosen = [w for w in workloads if selects(spec.get("selector"), w[1])]
        if len(chosen) != 1:
            problem(f"Service {name}: its selector matches {len(chosen)} workloads, not one")
            continue
        _, _, container = chosen[0]
        for p in spec.get("ports") or []:
            target = p.get("targetPort", p.get("port"))
            if port_number(container, target) is None:
                problem(f"Service {name}: targetPort {target} is no port of its pods")
    for d in daemons:
        if d.binary not in published:
            continue
        ok = [s for s in m.of("Service") if (s.get("spec") or {}).get("clusterIP") != "None"
              and selects((s.get("spec") or {}).get("selector"), d.labels)
              and any(port_number(d.container, p.get("targetPort", p.get("port"))) == d.port
                      for p in (s.get("spec") or {}).get("ports") or [])]
        if not ok:
            problem(f"StatefulSet {d.name}: no ClusterIP Service for its clients on port {d.port} "
                    "(docker-compose gives clients its port)")
    for d in daemons:
        pdbs = [p for p in m.of("PodDisruptionBudget")
                if selects(((p.get("spec") or {}).get("selector") or {}).get("matchLabels"), d.labels)]
        if len(pdbs) != 1:
            problem(f"StatefulSet {d.name}: {len(pdbs)} PodDisruptionBudgets select its pods, not one")
        elif "minAvailable" in pdbs[0]["spec"] and (
                not str(pdbs[0]["spec"]["minAvailable"]).isdigit() or
                int(pdbs[0]["spec"]["minAvailable"]) >= d.sts["spec"].get("replicas", 1)):
            problem(f"PodDisruptionBudget {Manifests.name(pdbs[0])}: minAvailable "
                    f"{pdbs[0]['spec']['minAvailable']} blocks every drain; use maxUnavailable: 1")


# ------------------------------------------------------------- topics Job


JOB_RUNS = {}  # (argv, env) -> (calls, props, problems): broken copies mostly share one


def run_topics_job(m, job, container, where):
    env = {k: v for k, (v, how) in
           m.env_of(container, where, secret_values={"username": "user-1", "password": "pw-1"}).items()
           if v is not None}
    argv = list(container.get("command") or []) + list(container.get("args") or [])
    key = (where, tuple(argv), tuple(sorted(env.items())))
    if key not in JOB_RUNS:
        before = len(cc.PROBLEMS)
        calls, props = run_topics_script(argv, env, where)
        JOB_RUNS[key] = (calls, props, cc.PROBLEMS[before:])
    else:
        cc.PROBLEMS.extend(JOB_RUNS[key][2])
    return JOB_RUNS[key][:2]


def run_topics_script(argv, env, where):
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "calls")
        stub = os.path.join(tmp, "kafka-topics.sh")
        with open(stub, "w") as f:
            f.write('#!/bin/sh\nprev=\nfor a in "$@"; do printf "%s\\037" "$a"\n'
                    '  [ "$prev" = --command-config ] && cat "$a" >"$STUB_LOG.props"; prev=$a\n'
                    'done >>"$STUB_LOG"\necho >>"$STUB_LOG"\n')
        os.chmod(stub, 0o755)
        dirs = {v for v in env.values() if v.rstrip("/").endswith("/bin")}
        if len(dirs) != 1:
            problem(f"{where}: expected one environment variable naming the Kafka bin dir")
            return [], ""
        env = {k: (tmp if v in dirs else v) for k, v in env.items()}
        if "/opt/kafka/bin" in " ".join(argv):
            problem(f"{where}: the script names /opt/kafka/bin itself; use the variable")
        env.update(PATH="/usr/bin:/bin", STUB_LOG=log, TMPDIR=tmp)
        r = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            problem(f"{where}: the script failed ({r.returncode}): {r.stderr.strip()}")
        calls = [line.split("\x1f")[:-1] for line in cc.read(log).splitlines()] \
            if os.path.exists(log) else []
        props = cc.read(log + ".props") if os.path.exists(log + ".props") else ""
        return calls, props


def check_topics_job(m, daemons, kafka_image, profile):
    jobs = [(j, c) for j in m.of("Job") for c in pod_containers(j)[1]
            if "kafka-topics.sh" in " ".join((c.get("command") or []) + (c.get("args") or []))]
    if len(jobs) != 1:
        problem(f"manifests: {len(jobs)} Jobs create topics, not one")
        return None
    job, c = jobs[0]
    where = f"Job {Manifests.name(job)}"
    if c.get("image") != kafka_image:
        problem(f"{where}: image {c.get('image')}: docker-compose's topics job uses {kafka_image}")
    spec = pod_containers(job)[0]
    eff = {**(spec.get("securityContext") or {}), **(c.get("securityContext") or {})}
    if eff.get("runAsNonRoot") is not True or not isinstance(eff.get("runAsUser"), int):
        problem(f"{where}: runAsNonRoot with a numeric runAsUser (the image names its user)")
    env = m.env_of(c, where)
    partitions = (env.get("PARTITIONS") or (None,))[0]
    replication = (env.get("REPLICATION") or (None,))[0]
    calls, props = run_topics_job(m, job, c, where)
    bootstraps = {d.env.get("KAFKA_BOOTSTRAP_SERVERS", (None,))[0] for d in daemons}
    protocol = {d.env.get("KAFKA_SECURITY_PROTOCOL", ("PLAINTEXT",))[0] for d in daemons}
    if len(bootstraps) != 1 or None in bootstraps:
        problem(f"manifests: the daemons' KAFKA_BOOTSTRAP_SERVERS differ or are missing: {bootstraps}")
    if len(protocol) != 1:
        problem(f"manifests: the daemons' KAFKA_SECURITY_PROTOCOL differ: {protocol}")
    bootstrap, protocol = next(iter(bootstraps)), next(iter(protocol))
    created = {}
    for args in calls:
        opts, configs = cc.topic_call(args)
        t = opts.get("--topic")
        if "--create" not in opts or "--if-not-exists" not in opts:
            problem(f"{where}: {t}: not created with --create --if-not-exists")
        if opts.get("--partitions") != partitions:
            problem(f"{where}: {t}: {opts.get('--partitions')} partitions, PARTITIONS is {partitions}")
        if opts.get("--replication-factor") != replication:
            problem(f"{where}: {t}: replication {opts.get('--replication-factor')}, REPLICATION is "
                    f"{replication}")
        if opts.get("--bootstrap-server") != bootstrap:
            problem(f"{where}: {t}: bootstrap {opts.get('--bootstrap-server')}, the daemons use {bootstrap}")
        if protocol != "PLAINTEXT" and "--command-config" not in opts:
            problem(f"{where}: {t}: no --command-config, the daemons use {protocol}")
        created[t] = configs
    topics, read_, changelogs = cc.expected_topics([d.ini for d in daemons])
    want = topics | {t + ".dlq" for t in read_} | set(changelogs)
    for t in sorted(want - set(created)):
        problem(f"{where}: does not create {t}")
    for t in sorted(set(created) - want):
        problem(f"{where}: creates {t}, which no config names")
    for t, ini in changelogs.items():
        policy = set((created.get(t) or {}).get("cleanup.policy", "delete").split(","))
        if ini.has_section("orders"):
            if policy != {"compact", "delete"}:
                problem(f"{where}: {t}: cleanup.policy should be compact,delete")
            retention_s = int(ini.get("orders", "retention_s", fallback="3600"))
            ms = int((created.get(t) or {}).get("retention.ms", "-1"))
            if ms != -1 and ms < retention_s * 1000:
                problem(f"{where}: {t}: retention.ms {ms} < [orders] retention_s {retention_s} s")
        elif policy != {"compact"}:
            problem(f"{where}: {t}: cleanup.policy should be compact")
    if protocol != "PLAINTEXT":
        mech = next(iter({d.env.get("KAFKA_SASL_MECHANISMS", d.env.get("KAFKA_SASL_MECHANISM",
                                                                        (None,)))[0] for d in daemons}))
        for line in (f"security.protocol={protocol}", f"sasl.mechanism={mech}", 'username="user-1"',
                     'password="pw-1"'):
            if line not in props:
                problem(f"{where}: its client config lacks {line} (the daemons' settings and Secret)")
    if profile == "prod" and replication is not None and int(replication) < 3:
        problem(f"{where}: REPLICATION {replication}: production topics need 3 replicas")
    return int(partitions) if partitions and partitions.isdigit() else None


def check_dev_kafka(m, daemons, kafka_image, replication_of_job):
    brokers = [s for s in m.of("StatefulSet") if any(
        "kafka" in str(c.get("image")) for c in pod_containers(s)[1])]
    if not brokers:
        problem("dev: no Kafka broker in the overlay")
        return
    for sts in brokers:
        where = f"StatefulSet {Manifests.name(sts)}"
        spec, (c, *_) = pod_containers(sts)
        if c.get("image") != kafka_image:
            problem(f"{where}: image {c.get('image')}: docker-compose's Kafka is {kafka_image}")
        env = m.env_of(c, where)
        if spec.get("enableServiceLinks") is not False:
            problem(f"{where}: enableServiceLinks should be false: the image turns KAFKA_* "
                    "variables (KAFKA_PORT...) into broker settings")
        if (env.get("KAFKA_AUTO_CREATE_TOPICS_ENABLE") or (None,))[0] != "false":
            problem(f"{where}: KAFKA_AUTO_CREATE_TOPICS_ENABLE should be false (the topics Job "
                    "creates the topics with their cleanup policies)")
        replicas = sts["spec"].get("replicas", 1)
        for k in ("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
                  "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR"):
            if int((env.get(k) or ("3",))[0]) > replicas:
                problem(f"{where}: {k} is above its {replicas} broker(s)")
        advertised = (env.get("KAFKA_ADVERTISED_LISTENERS") or ("",))[0]
        for d in daemons:
            bs = d.env.get("KAFKA_BOOTSTRAP_SERVERS", ("",))[0]
            if bs not in re.sub(r"\w+://", "", advertised).split(","):
                problem(f"{where}: advertises {advertised}, not the daemons' bootstrap {bs}")
                break
        if replication_of_job is not None and replication_of_job > replicas:
            problem(f"{where}: the topics Job asks replication {replication_of_job} of "
                    f"{replicas} broker(s)")


# ------------------------------------------------------------- KEDA


def check_keda(m, daemons, partitions, profile):
    by_name = {d.name: d for d in daemons}
    scaled = {}
    auths = {Manifests.name(a): a for a in m.of("TriggerAuthentication")}
    for so in m.of("ScaledObject"):
        where = f"ScaledObject {Manifests.name(so)}"
        spec = so.get("spec") or {}
        ref = spec.get("scaleTargetRef") or {}
        d = by_name.get(ref.get("name"))
        if d is None or ref.get("kind") != "StatefulSet" or ref.get("apiVersion", "apps/v1") != "apps/v1":
            problem(f"{where}: scaleTargetRef {ref.get('kind')} {ref.get('name')} is no daemon's "
                    "StatefulSet (apps/v1)")
            continue
        if d.name in scaled:
            problem(f"{where}: a second ScaledObject for {d.name}")
        scaled[d.name] = so
        if ref.get("envSourceContainerName", d.container.get("name")) != d.container.get("name"):
            problem(f"{where}: envSourceContainerName {ref.get('envSourceContainerName')} is not the "
                    f"daemon's container {d.container.get('name')}")
        lo, hi = spec.get("minReplicaCount", 0), spec.get("maxReplicaCount", 100)
        if lo < (2 if profile == "prod" else 1):
            problem(f"{where}: minReplicaCount {lo}: keep {2 if profile == 'prod' else 1} or more "
                    "(a second instance takes over a dead one's partitions)")
        if partitions is not None and hi != partitions:
            problem(f"{where}: maxReplicaCount {hi} is not the partition count {partitions}: "
                    "an instance beyond it gets no partition")
        group, topic = d.consumes()
        kafka = [t for t in spec.get("triggers") or [] if t.get("type") == "kafka"]
        if not kafka:
            problem(f"{where}: no kafka trigger (scaling on consumer lag)")
        for t in kafka:
            md = t.get("metadata") or {}
            if md.get("consumerGroup") != group:
                problem(f"{where}: consumerGroup {md.get('consumerGroup')}: {d.binary}'s group is {group}")
            if md.get("topic") != topic:
                problem(f"{where}: topic {md.get('topic')}: {d.binary} reads {topic}")
            bootstrap = d.env.get("KAFKA_BOOTSTRAP_SERVERS", (None,))[0]
            if "bootstrapServersFromEnv" in md:
                got = d.env.get(md["bootstrapServersFromEnv"], (None,))[0]
                if got != bootstrap:
                    problem(f"{where}: bootstrapServersFromEnv {md['bootstrapServersFromEnv']} is "
                            f"{got}, the daemon's bootstrap is {bootstrap}")
            elif md.get("bootstrapServers") != bootstrap:
                problem(f"{where}: bootstrapServers {md.get('bootstrapServers')}, the daemon's is "
                        f"{bootstrap}")
            if not str(md.get("lagThreshold", "")).isdigit() or int(md["lagThreshold"]) < 1:
                problem(f"{where}: lagThreshold {md.get('lagThreshold')}: a positive whole number")
            reset = d.kafka_property("auto.offset.reset", "earliest")
            if md.get("offsetResetPolicy", reset) != reset:
                problem(f"{where}: offsetResetPolicy {md.get('offsetResetPolicy')}: the daemon's "
                        f"auto.offset.reset is {reset}")
            if str(md.get("allowIdleConsumers", "false")).lower() == "true":
                problem(f"{where}: allowIdleConsumers: an instance beyond the partitions only idles")
            protocol = d.env.get("KAFKA_SECURITY_PROTOCOL", ("PLAINTEXT",))[0]
            if protocol.startswith("SASL"):
                mech = d.env.get("KAFKA_SASL_MECHANISMS", d.env.get("KAFKA_SASL_MECHANISM", (None,)))[0]
                if md.get("sasl") != SASL_MODES.get(mech):
                    problem(f"{where}: sasl {md.get('sasl')}: the daemons use {mech} "
                            f"({SASL_MODES.get(mech)})")
                auth = auths.get((t.get("authenticationRef") or {}).get("name"))
                if auth is None:
                    problem(f"{where}: no TriggerAuthentication for the daemons' SASL credentials")
                else:
                    refs = {r.get("parameter"): f"secret {r.get('name')}/{r.get('key')}"
                            for r in (auth.get("spec") or {}).get("secretTargetRef") or []}
                    for param, var in (("username", "KAFKA_SASL_USERNAME"),
                                       ("password", "KAFKA_SASL_PASSWORD")):
                        how = d.env.get(var, (None, ""))[1].replace(" optional", "")
                        if refs.get(param) != how:
                            problem(f"{where}: TriggerAuthentication {param} is {refs.get(param)}, "
                                    f"the daemon's {var} is {how}")
            tls = str(md.get("tls", "disable"))
            if (tls == "enable") != protocol.endswith("SSL"):
                problem(f"{where}: tls {tls}, the daemons use {protocol}")
    if profile == "prod":
        for d in daemons:
            if d.ini is not None and d.ini.has_section("stage") and d.name not in scaled:
                problem(f"StatefulSet {d.name}: no ScaledObject (prod scales every stage on its lag)")
            if "replicas" in d.sts["spec"] and d.name in scaled:
                problem(f"StatefulSet {d.name}: replicas is set, and KEDA owns it: every apply "
                        "would reset it")
            if "replicas" not in d.sts["spec"] and d.name not in scaled:
                problem(f"StatefulSet {d.name}: neither replicas nor a ScaledObject: one instance")
    elif m.of("ScaledObject"):
        problem(f"dev: ScaledObjects {sorted(Manifests.name(s) for s in m.of('ScaledObject'))}: dev "
                "runs one instance each, without KEDA")


# ------------------------------------------------------------- main


def repo_facts(root):
    binaries = cc.daemon_binaries(root)
    files, copied = cc.check_dockerfile(root, binaries)
    user, uid = image_user(root)
    if uid is None:
        problem(f"Dockerfile: cannot tell the uid of its user {user}")
    daemon_image, kafka_image, published = compose_facts(root)
    facts = dict(root=root, binaries=binaries, files=files, copied=copied, uid=uid,
                 daemon_image=daemon_image, kafka_image=kafka_image, published=published,
                 doc_keys=cc.readme_keys(root), kafka_props=cc.librdkafka_properties(),
                 usage={b: usage_env(b) for b in binaries})
    for b, u in facts["usage"].items():
        if u is not None and not (u[1] and u[2]):
            problem(f"{b} -h: no KAFKA_<PROPERTY> or PIZZA_<SECTION>_<KEY> in its environment list")
    return facts


def check_manifests(m, facts, profile):
    binaries, daemon_image, kafka_image = \
        facts["binaries"], facts["daemon_image"], facts["kafka_image"]
    for cm in m.configmaps.values():
        for k, v in (cm.get("data") or {}).items():
            if any(w in cc.SECRET_WORDS for w in k.split("_")):
                problem(f"ConfigMap {Manifests.name(cm)}: {k}: a secret belongs in a Secret")
    daemons, workloads = [], []
    for sts in m.of("StatefulSet"):
        spec, containers = pod_containers(sts)
        labels = ((sts["spec"].get("template") or {}).get("metadata") or {}).get("labels") or {}
        if containers:
            workloads.append((sts, labels, containers[0]))
        if any("kafka" in str(c.get("image")) and repo_name(c.get("image")) != repo_name(daemon_image)
               for c in containers):
            continue  # a broker (dev)
        d = check_daemon(m, sts, facts)
        if d is not None:
            daemons.append(d)
    by_binary = {}
    for d in daemons:
        if d.binary in by_binary:
            problem(f"StatefulSet {d.name}: runs {d.binary}, as {by_binary[d.binary]} does")
        by_binary[d.binary] = d.name
    for b in sorted(set(binaries) - set(by_binary)):
        problem(f"manifests: no StatefulSet runs {b}")
    images = {d.container.get("image") for d in daemons}
    if len(images) != 1 or repo_name(next(iter(images))) != repo_name(daemon_image):
        problem(f"manifests: the daemons should share one {repo_name(daemon_image)} image "
                f"(docker-compose's {daemon_image}), not {sorted(map(str, images))}")

    check_services(m, daemons, workloads, facts["published"])
    partitions = check_topics_job(m, daemons, kafka_image, profile)
    protocols = {d.env.get("KAFKA_SECURITY_PROTOCOL", ("PLAINTEXT",))[0] for d in daemons}
    if profile == "prod":
        if protocols != {"SASL_SSL"}:
            problem(f"prod: KAFKA_SECURITY_PROTOCOL {sorted(protocols)}, not SASL_SSL")
        for d in daemons:
            for var in ("KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD"):
                how = d.env.get(var, (None, "unset"))[1]
                if not how.startswith("secret") or how.endswith("optional"):
                    problem(f"StatefulSet {d.name}: {var} from {how}: prod needs it from the Secret, "
                            "not optional")
    else:
        if protocols != {"PLAINTEXT"}:
            problem(f"dev: KAFKA_SECURITY_PROTOCOL {sorted(protocols)}, not plaintext")
        for d in daemons:
            if d.sts["spec"].get("replicas", 1) != 1:
                problem(f"StatefulSet {d.name}: replicas {d.sts['spec'].get('replicas')}: dev runs one")
        job_env = {}
        for j in m.of("Job"):
            for c in pod_containers(j)[1]:
                job_env.update(m.env_of(c, "Job"))
        rep = (job_env.get("REPLICATION") or (None,))[0]
        check_dev_kafka(m, daemons, kafka_image, int(rep) if rep and rep.isdigit() else None)
    check_keda(m, daemons, partitions, profile)
    return len(daemons)


def main():
    """One file: its problems. Several (the test's broken copies, checked in one
    run): each problem and summary line starts with the file's name."""
    if len(sys.argv) < 4 or sys.argv[2] not in PROFILES:
        sys.exit(__doc__)
    root, profile, rendered = sys.argv[1], sys.argv[2], sys.argv[3:]
    facts = repo_facts(root)
    repo_problems = list(cc.PROBLEMS)
    failed = 0
    for path in rendered:
        cc.PROBLEMS[:] = list(repo_problems)
        with open(path, encoding="utf-8") as f:
            m = Manifests(yaml.load_all(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
        n = check_manifests(m, facts, profile)
        prefix = f"{path}: " if len(rendered) > 1 else ""
        for p in cc.PROBLEMS:
            print(prefix + p)
        print(f"{prefix}k8s_check: {profile}: {n} daemons, {len(m.docs)} objects, "
              f"{len(cc.PROBLEMS)} problems")
        failed += bool(cc.PROBLEMS)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
