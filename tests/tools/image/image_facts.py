#!/usr/bin/python3
"""What tests/e2e/image_rootfs.sh does to build and run the image without a
Docker engine, read from the Dockerfile and docker-compose.yml so the test
cannot drift from them. Prints one fact a line as shell words (shlex-quoted:
`eval "set -- $line"` reads one back).

usage: image_facts.py dockerfile ROOT
    release CODENAME           Debian release of the runtime stage's FROM
    base STEP ARGS...          runtime-stage steps before its first COPY --from:
    image STEP ARGS...         they need no build output, so their result can be
                               cached; `image` steps follow, on every run
    build-release CODENAME     Debian release of the build stage's FROM (the
                               stage the runtime's COPY --from names)
    build-base STEP ARGS...    build-stage steps before its first COPY (its
    build STEP ARGS...         packages: cached); `build` steps follow (the
                               sources, the build itself)
  where STEP is one of
    COPY SRC... DEST           build-context files (paths in ROOT, globs expanded;
                               a directory becomes one COPY per directory under
                               it, of its files that .dockerignore keeps, to
                               DEST/SUBDIR/, as Docker copies its content)
    COPY_BUILD PATH... DEST    the build stage's binaries, as paths in that stage
                               (/src/build/bin/NAME; build/bin/NAME here)
    RUN COMMAND                run as `/bin/sh -c COMMAND` (shell form)
    WORKDIR DIR / USER NAME / ENV NAME VALUE
  EXPOSE, CMD and LABEL change nothing the test runs and are not printed.
  Any other instruction in either stage (or a COPY option, or exec-form RUN)
  fails: the test would not do what Docker does.

usage: image_facts.py compose NORMALIZED_CONFIG.yml IMAGE_ROOT
  for each service built from the Dockerfile (`build:`), in file order:
    daemon SERVICE              then, for that service:
    command WORD...             its command: the binary and -c FILE
    port N                      the port it listens on in its container (the
                                [http] port of IMAGE_ROOT/FILE, or HTTP_PORT)
    env NAME=VALUE              one per variable compose gives it
    health WORD...              its healthcheck as an argv (CMD-SHELL: /bin/sh -c)
    timeout S                   the healthcheck's timeout, whole seconds
  A service whose user, working_dir, entrypoint or env_file would change how
  its container runs fails: the test runs the image's.
"""
import glob
import json
import os
import re
import shlex
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import compose_check as cc  # noqa: E402  (the shared readers of the repository)


def die(msg):
    print(f"image_facts: {msg}", file=sys.stderr)
    sys.exit(1)


def out(*words):
    print(" ".join(shlex.quote(str(w)) for w in words))


def global_args(path):
    """ARG NAME=DEFAULT lines before the first FROM."""
    args = {}
    for line in re.sub(r"\\\n", " ", cc.read(path)).splitlines():
        line = line.strip()
        if line.upper().startswith("FROM "):
            break
        m = re.match(r"ARG\s+(\w+)=(\S+)$", line, re.I)
        if m:
            args[m.group(1)] = m.group(2)
    return args


def stage_release(path, index, what):
    """The Debian release of FROM number index (-1: the last), its ${ARG}s
    replaced by their defaults."""
    froms = [l.split()[1] for l in re.sub(r"\\\n", " ", cc.read(path)).splitlines()
             if l.strip().upper().startswith("FROM ")]
    if not froms:
        die(f"{path}: no FROM")
    args = global_args(path)
    image = re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: args.get(m.group(1) or m.group(2), m.group(0)),
                   froms[index])
    m = re.fullmatch(r"(?:docker\.io/)?(?:library/)?debian:([a-z]+)(?:-[\w.-]+)?", image)
    if not m:
        die(f"{path}: the {what} stage is FROM {image}, not debian:<release>[-...]: "
            "the test debootstraps a Debian release")
    return m.group(1)


def copy_words(path, args):
    """COPY's (sources, destination, --from stage or None)."""
    words = json.loads(args) if args.startswith("[") else shlex.split(args)
    opts = [w for w in words if w.startswith("--")]
    words = [w for w in words if not w.startswith("--")]
    src_stage = None
    for o in opts:
        if o.startswith("--from="):
            src_stage = o.split("=", 1)[1]
        else:
            die(f"{path}: COPY {o}: an option the test does not apply")
    return words[:-1], words[-1], src_stage


def out_copy(path, root, phase, srcs, dest):
    """COPY lines of build-context files, as Docker copies them: a file to DEST
    (DEST/ a directory), a directory's content into DEST, without what
    .dockerignore leaves out of the context."""
    files, trees = [], []
    for s in srcs:
        found = sorted(glob.glob(os.path.join(root, s.rstrip("/"))))
        if not found:
            die(f"{path}: COPY {s}: no such file in the repository")
        for f in found:
            rel = os.path.relpath(f, root)
            if cc.dockerignored(root, rel):
                die(f"{path}: COPY {s}: {rel} is excluded by .dockerignore")
            (trees if os.path.isdir(f) else files).append(rel)
    if files:
        if (len(files) > 1 or trees) and not dest.endswith("/"):
            die(f"{path}: COPY of several files to {dest}, which does not end in /")
        out(phase, "COPY", *files, dest)
    for tree in trees:
        for dirpath, dirnames, names in os.walk(os.path.join(root, tree)):
            dirnames.sort()
            rel_dir = os.path.relpath(dirpath, root)
            kept = [os.path.join(rel_dir, n) for n in sorted(names)
                    if not cc.dockerignored(root, os.path.join(rel_dir, n))]
            dirnames[:] = [d for d in dirnames if not cc.dockerignored(root, os.path.join(rel_dir, d))]
            if kept:
                sub = os.path.relpath(dirpath, os.path.join(root, tree))
                target = dest.rstrip("/") + ("" if sub == "." else "/" + sub) + "/"
                out(phase, "COPY", *kept, target)


def out_step(path, phase, instr, args, stage):
    """RUN, WORKDIR, USER and ENV; EXPOSE, CMD and LABEL are skipped."""
    if instr == "RUN":
        if args.startswith("[") or args.startswith("--"):
            die(f"{path}: RUN {args[:40]}: only the shell form without options is run here")
        out(phase, "RUN", args)
    elif instr in ("WORKDIR", "USER"):
        out(phase, instr, args)
    elif instr == "ENV":
        first = args.split(None, 1)[0]
        if "=" in first:  # ENV NAME=VALUE [NAME=VALUE...]
            pairs = [w.split("=", 1) for w in shlex.split(args)]
        else:  # ENV NAME VALUE
            pairs = [(first, args.split(None, 1)[1] if " " in args else "")]
        for k, v in pairs:
            out(phase, "ENV", k, v)
    elif instr not in ("EXPOSE", "CMD", "LABEL"):
        die(f"{path}: {instr} in the {stage} stage: the test does not apply it")


def dockerfile(root):
    path = os.path.join(root, "Dockerfile")
    out("release", stage_release(path, -1, "runtime"))
    stages = cc.dockerfile_stages(path)
    if len(stages) < 2:
        die(f"{path}: expected a build stage and a runtime stage")
    build_stage, runtime = stages[-2][0], stages[-1][1]
    phase = "base"
    for instr, args in runtime:
        if instr == "COPY":
            srcs, dest, src_stage = copy_words(path, args)
            if src_stage is not None:
                if src_stage != build_stage:
                    die(f"{path}: COPY --from={src_stage}: the test knows only the build "
                        f"stage {build_stage}")
                for s in srcs:
                    if not s.startswith("/"):
                        die(f"{path}: COPY --from={src_stage} {s}: not an absolute path")
                phase = "image"
                out(phase, "COPY_BUILD", *srcs, dest)
                continue
            out_copy(path, root, phase, srcs, dest)
        else:
            out_step(path, phase, instr, args, "runtime")
    # The build stage: what tests/tools/image/rootfs.sh replays to build the
    # daemons in the image's release when the host's is another.
    out("build-release", stage_release(path, -2, "build"))
    phase = "build-base"
    for instr, args in stages[-2][1]:
        if instr == "COPY":
            srcs, dest, src_stage = copy_words(path, args)
            if src_stage is not None:
                die(f"{path}: COPY --from={src_stage} in the build stage: the test does not apply it")
            phase = "build"
            out_copy(path, root, phase, srcs, dest)
        else:
            out_step(path, phase, instr, args, "build")


def compose(config, image_root):
    services = cc.load_yaml(open(config, encoding="utf-8")).get("services") or {}
    daemons = [(n, s) for n, s in services.items() if "build" in s]
    if not daemons:
        die(f"{config}: no service is built from the Dockerfile")
    for name, svc in daemons:
        for key in ("user", "working_dir", "entrypoint", "env_file"):
            if svc.get(key):
                die(f"{config}: {name} sets {key}: the test runs the image's")
        cmd = svc.get("command")
        if isinstance(cmd, str):
            cmd = shlex.split(cmd)
        if not cmd or "-c" not in cmd[:-1]:
            die(f"{config}: {name}: no command with -c FILE")
        cfile = cmd[cmd.index("-c") + 1]
        ini_path = os.path.join(image_root, cfile.lstrip("/"))
        if not os.path.isfile(ini_path):
            die(f"{config}: {name}: -c {cfile}: not in the image root {image_root}")
        env = cc.env_of(svc)
        if "HTTP_PORT" in env:
            port = int(env["HTTP_PORT"])
        else:
            port = int(cc.load_ini(ini_path).get("http", "port"))
        test = (svc.get("healthcheck") or {}).get("test")
        if isinstance(test, str):
            test = ["CMD-SHELL", test]
        if not test or test[0] not in ("CMD", "CMD-SHELL") or len(test) < 2:
            die(f"{config}: {name}: healthcheck test {test}: expected CMD or CMD-SHELL")
        health = test[1:] if test[0] == "CMD" else ["/bin/sh", "-c", " ".join(test[1:])]
        # Docker's default: 30 s
        timeout = cc.seconds(str((svc.get("healthcheck") or {}).get("timeout", "30s")))
        if timeout is None:
            die(f"{config}: {name}: healthcheck timeout {svc['healthcheck']['timeout']}: "
                "not a duration this test reads")
        out("daemon", name)
        out("command", *cmd)
        out("port", port)
        for k, v in env.items():
            if v is None:
                die(f"{config}: {name}: {k} without a value (taken from the shell): the test "
                    "cannot tell it")
            out("env", f"{k}={v}")
        out("health", *health)
        out("timeout", max(1, int(timeout)))


def main(argv):
    if len(argv) == 2 and argv[0] == "dockerfile":
        dockerfile(argv[1])
    elif len(argv) == 3 and argv[0] == "compose":
        compose(argv[1], argv[2])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main(sys.argv[1:])
