#!/usr/bin/env python3
"""Packaging checks, offline: the systemd units, the Debian package, the Kubernetes manifests and
the container build file (docs/operations.md, "Installing").

  units      the units as installed (build/packaging/*.service) pass `systemd-analyze verify`
             (their commands mapped onto the build's binaries), alone and with the GPU drop-in;
             `systemd-analyze security --offline=true` rates them at most MAX_EXPOSURE (the GPU
             variant at most MAX_EXPOSURE_GPU); the hardening the docs promise is there; the
             package's configs pass `tessera --check-config` and write only under
             /var/lib/tessera, the one writable path.
  deb        `cpack -G DEB` in the build directory, into a temporary one: the package is named
             tessera, has the project's version and a computed Depends, holds the commands, the
             units and the configs, the configs are conffiles, the maintainer scripts pass
             `sh -n` and make the tessera user and /var/lib/tessera; the packaged tessera runs
             and accepts the packaged config.
  kustomize  each overlay of deploy/k8s rendered by the small kustomize below (no kubectl):
             well-formed objects, the config (from the ConfigMap, placeholders filled in) passes
             `tessera --check-config`, probes on /readyz and /healthz of control.port, Prometheus
             annotations on control.metrics_port, media on the node's network (or UDP ports
             matching the config), requests as the sizing comment says and the capacity table
             measured, Redis in the cluster overlay with the config pointing at it.
  container  packaging/container/Containerfile parsed: Debian 12 stages, a non-root runtime
             stage with no build packages, EXPOSE and HEALTHCHECK matching the packaged config.

Exits 77 (skipped), saying why, where a tool the case needs is missing (scripts/setup.sh installs
them all: systemd, file, python3-yaml).

usage: packaging_test.py --tessera BIN --build-dir DIR --case units|deb|kustomize|container
"""
import argparse
import ipaddress
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tessera_harness import ensure, run, run_main  # noqa: E402

SKIP = 77
SOURCE = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
# systemd-analyze security's exposure (0 best, 10 worst; "OK" up to 4.9 on systemd 252). The
# units score 1.2: no capabilities, no devices, a system call filter, every Protect*; what is
# left is the network they serve and the host's root directory. With the GPU drop-in 1.4.
MAX_EXPOSURE = 2.0
MAX_EXPOSURE_GPU = 2.5
UNITS = ("tessera.service", "tessera-recorder.service")
COMMANDS = ("tessera", "tessera-recorder", "tessera-audit", "tessera-token", "tessera-loadgen",
            "tessera-impair")
STATE_DIR = "/var/lib/tessera"


def webrtc_tcp_port(webrtc):
    """ICE-TCP's port: webrtc.tcp_port, else the UDP port's number (config_webrtc.cc)."""
    return webrtc.get("tcp_port", webrtc["udp_port"])


def skip(why):
    print(f"SKIP: {why}")
    sys.exit(SKIP)


def need_tools(*tools):
    for tool in tools:
        if shutil.which(tool) is None:
            skip(f"{tool} is not installed (scripts/setup.sh installs it)")


def need_yaml():
    try:
        import yaml  # noqa: F401
    except ImportError:
        skip("python3-yaml is not installed (scripts/setup.sh installs it)")
    import yaml
    return yaml


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


# ---------------------------------------------------------------------------------------------
# systemd units


def unit_settings(text):
    """[(section, key, value)] of a unit file, in order."""
    out, section = [], None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        out.append((section, key.strip(), value.strip()))
    return out


def last(settings, key):
    values = [v for _, k, v in settings if k == key]
    return values[-1] if values else None


def exposure(unit_path):
    rc, out, err = run(["systemd-analyze", "security", "--offline=true", unit_path])
    m = re.search(r"Overall exposure level for \S+: ([0-9.]+) (\S+)", out)
    ensure(m, f"systemd-analyze security {unit_path} (exit {rc}) printed no score:\n{out}{err}")
    worst = [line for line in out.splitlines() if line.startswith("✗")]
    return float(m.group(1)), m.group(2), worst


def verify(unit_path):
    # Run where the unit is: verify loads it by its file name.
    rc, out, err = run(["systemd-analyze", "verify", unit_path])
    ensure(rc == 0 and not err.strip() and not out.strip(),
           f"systemd-analyze verify {os.path.basename(unit_path)} exited {rc}:\n{out}{err}")


def map_commands(text, build_dir):
    """The unit with /usr/bin/<command> replaced by the build's binary (which must exist)."""
    def swap(m):
        binary = os.path.join(build_dir, m.group(2))
        ensure(os.access(binary, os.X_OK), f"the unit runs {m.group(0)}, not built: {binary}")
        return binary
    return re.sub(r"(/usr/bin)/(tessera[a-z-]*)", swap, text)


def config_writes_only_state(config, where):
    server = config.get("server", {})
    control = config.get("control", {})
    for key, path in (("server.recording_dir", server.get("recording_dir", ".")),
                      ("control.keys_file", control.get("keys_file", ""))):
        ensure(not path.startswith("/") or path.startswith(STATE_DIR + "/") or path == STATE_DIR,
               f"{where}: {key} {path} is outside {STATE_DIR}, the units' only writable path")


def check_config(tessera, path, what):
    rc, out, err = run([tessera, "--check-config", path])
    ensure(rc == 0, f"tessera --check-config rejects {what} ({path}):\n{out}{err}")
    print(f"{what}: {out.strip()}")


def case_units(args):
    need_tools("systemd-analyze")
    yaml = need_yaml()
    config_path = os.path.join(SOURCE, "packaging", "config", "tessera.yaml")
    config = yaml.safe_load(read(config_path))
    check_config(args.tessera, config_path, "the package's tessera.yaml")
    config_writes_only_state(config, "packaging/config/tessera.yaml")
    recorder = yaml.safe_load(read(os.path.join(SOURCE, "packaging", "config", "recorder.yaml")))
    for key, path in ([("key_store_dir", recorder["key_store_dir"]),
                       ("audit.path", recorder["audit"]["path"])] +
                      [(f"storage.{k}", v) for k, v in recorder["storage"].items()]):
        ensure(path.startswith(STATE_DIR + "/"), f"recorder.yaml: {key} {path} is outside "
               f"{STATE_DIR}, tessera-recorder.service's only writable path")
    drain = config["control"]["drain_grace_s"]

    gpu_dropin = read(os.path.join(SOURCE, "packaging", "systemd", "tessera-gpu.conf.example"))
    with tempfile.TemporaryDirectory(prefix="tessera-units-") as tmp:
        for unit in UNITS:
            installed = os.path.join(args.build_dir, "packaging", unit)
            ensure(os.path.exists(installed), f"{installed} missing: CMake configures the units")
            text = read(installed)
            s = unit_settings(text)
            want = {"User": "tessera", "NoNewPrivileges": "yes", "ProtectSystem": "strict",
                    "ProtectHome": "yes", "PrivateTmp": "yes", "PrivateDevices": "yes",
                    "CapabilityBoundingSet": "", "AmbientCapabilities": "",
                    "WorkingDirectory": STATE_DIR, "StateDirectory": "tessera",
                    "MemoryDenyWriteExecute": "yes", "Restart": "on-failure",
                    "KillSignal": "SIGTERM", "StandardOutput": "journal",
                    "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX AF_NETLINK"}
            for key, value in want.items():
                ensure(last(s, key) == value, f"{unit}: {key}={last(s, key)}, want {value!r}")
            ensure("@system-service" in [v for _, k, v in s if k == "SystemCallFilter"],
                   f"{unit}: no SystemCallFilter=@system-service")
            ensure(int(last(s, "LimitNOFILE")) >= 65536, f"{unit}: LimitNOFILE too low")
            ensure(not any(k == "ReadWritePaths" for _, k, _ in s),
                   f"{unit}: writes only its StateDirectory")
            start = shlex.split(last(s, "ExecStart"))
            ensure(start[0] == f"/usr/bin/{unit.split('.')[0]}", f"{unit}: ExecStart {start}")
            ensure(start[-1].startswith("/etc/tessera/"), f"{unit}: config not in /etc/tessera")
            if unit == "tessera.service":
                stop = int(last(s, "TimeoutStopSec"))
                ensure(stop > drain, f"{unit}: TimeoutStopSec={stop} is not longer than the "
                       f"config's control.drain_grace_s ({drain}): a drain would be killed")
                ensure(last(s, "ExecReload") == "/bin/kill -HUP $MAINPID", f"{unit}: ExecReload")

            directory = os.path.join(tmp, unit)
            os.makedirs(directory)
            path = os.path.join(directory, unit)
            with open(path, "w", encoding="utf-8") as f:
                f.write(map_commands(text, args.build_dir))
            verify(path)
            score, verdict, worst = exposure(path)
            print(f"{unit}: systemd-analyze security exposure {score} {verdict} "
                  f"(at most {MAX_EXPOSURE})")
            for line in worst:
                print(f"  {line}")
            ensure(score <= MAX_EXPOSURE, f"{unit}: exposure {score} over {MAX_EXPOSURE}")

            # The GPU drop-in: what systemd reads for the unit with it in tessera.service.d/.
            gpu = os.path.join(tmp, "gpu-" + unit)
            os.makedirs(gpu)
            path = os.path.join(gpu, unit)
            with open(path, "w", encoding="utf-8") as f:
                f.write(map_commands(text, args.build_dir) + "\n" + gpu_dropin)
            verify(path)
            merged = unit_settings(read(path))
            ensure(last(merged, "PrivateDevices") == "no" and
                   last(merged, "MemoryDenyWriteExecute") == "no",
                   "the GPU drop-in must turn off PrivateDevices and MemoryDenyWriteExecute")
            allowed = [v for _, k, v in merged if k == "DeviceAllow"]
            for device in ("/dev/nvidiactl rw", "char-nvidia-frontend rw", "char-drm rw"):
                ensure(device in allowed, f"GPU drop-in: no DeviceAllow={device}")
            score, verdict, _ = exposure(path)
            print(f"{unit} with the GPU drop-in: exposure {score} {verdict} "
                  f"(at most {MAX_EXPOSURE_GPU})")
            ensure(score <= MAX_EXPOSURE_GPU,
                   f"{unit} with the GPU drop-in: exposure {score} over {MAX_EXPOSURE_GPU}")
    print("units: OK")


# ---------------------------------------------------------------------------------------------
# The Debian package


def project_version():
    cmake = read(os.path.join(SOURCE, "CMakeLists.txt"))
    m = re.search(r"project\(tessera VERSION ([0-9.]+)", cmake)
    ensure(m, "no project(tessera VERSION ...) in CMakeLists.txt")
    return m.group(1)


def case_deb(args):
    need_tools("cpack", "dpkg-deb", "dpkg-shlibdeps", "file")
    cache = read(os.path.join(args.build_dir, "CMakeCache.txt"))
    prefix = re.search(r"^CMAKE_INSTALL_PREFIX:PATH=(.*)$", cache, re.M).group(1)
    ensure(prefix == "/usr", f"{args.build_dir} is configured with CMAKE_INSTALL_PREFIX={prefix}: "
           "the Debian package needs /usr (the default)")
    version = project_version()
    with tempfile.TemporaryDirectory(prefix="tessera-deb-") as tmp:
        p = subprocess.run(["cpack", "-G", "DEB", "-B", tmp, "--config",
                            os.path.join(args.build_dir, "CPackConfig.cmake")],
                           capture_output=True, text=True, timeout=600, cwd=args.build_dir)
        ensure(p.returncode == 0, f"cpack -G DEB exited {p.returncode}:\n{p.stdout}{p.stderr}")
        debs = [f for f in os.listdir(tmp) if f.endswith(".deb")]
        ensure(len(debs) == 1, f"want one .deb from cpack, got {debs}:\n{p.stdout}")
        deb = os.path.join(tmp, debs[0])
        print(f"deb: {debs[0]}, {os.path.getsize(deb) // 1024} KiB")

        def field(name):
            rc, out, err = run(["dpkg-deb", "-f", deb, name])
            ensure(rc == 0, f"dpkg-deb -f {name}: {err}")
            return out.strip()
        ensure(field("Package") == "tessera", f"Package: {field('Package')}")
        ensure(field("Version") == version, f"Version {field('Version')}, project {version}")
        depends = field("Depends")
        print(f"Depends: {depends}")
        ensure(depends, "Depends is empty")
        for lib in ("libavcodec", "libssl", "libopus", "libyaml-cpp", "passwd",
                    "fonts-dejavu-core"):
            ensure(lib in depends, f"Depends has no {lib}: dpkg-shlibdeps did not run, or the "
                   "package's own Depends are missing")

        rc, listing, err = run(["dpkg-deb", "-c", deb])
        ensure(rc == 0, f"dpkg-deb -c: {err}")
        files = {line.split()[-1].lstrip(".") for line in listing.splitlines() if line.strip()}
        wanted = ([f"/usr/bin/{c}" for c in COMMANDS] +
                  [f"/usr/lib/systemd/system/{u}" for u in UNITS] +
                  ["/etc/tessera/tessera.yaml", "/etc/tessera/recorder.yaml",
                   "/usr/share/doc/tessera/examples/tessera-gpu.conf.example",
                   "/usr/share/doc/tessera/operations.md"])
        for path in wanted:
            ensure(path in files, f"the package lacks {path}; it holds:\n{listing}")

        control = os.path.join(tmp, "control")
        rc, _, err = run(["dpkg-deb", "-e", deb, control])
        ensure(rc == 0, f"dpkg-deb -e: {err}")
        conffiles = read(os.path.join(control, "conffiles")).split()
        etc = sorted(f for f in files if f.startswith("/etc/") and not f.endswith("/"))
        ensure(sorted(conffiles) == etc, f"conffiles {conffiles}, files in /etc {etc}")
        for script in ("postinst", "prerm", "postrm"):
            path = os.path.join(control, script)
            ensure(os.access(path, os.X_OK), f"{script} missing or not executable")
            rc, _, err = run(["sh", "-n", path])
            ensure(rc == 0, f"sh -n {script}: {err}")
        postinst = read(os.path.join(control, "postinst"))
        ensure(re.search(r"useradd --system .* tessera\b", postinst, re.S),
               "postinst makes no tessera system user")
        ensure(f"install -d -o tessera -g tessera -m 0750 {STATE_DIR}" in postinst,
               f"postinst makes no {STATE_DIR}")

        root = os.path.join(tmp, "root")
        rc, _, err = run(["dpkg-deb", "-x", deb, root])
        ensure(rc == 0, f"dpkg-deb -x: {err}")
        for unit in UNITS:
            for _, key, value in unit_settings(read(os.path.join(
                    root, "usr/lib/systemd/system", unit))):
                if key.startswith("Exec"):
                    binary = shlex.split(value)[0]
                    ensure(binary.startswith("/bin/") or binary in files,
                           f"{unit}: {key} runs {binary}, which the package does not hold")
        packaged = os.path.join(root, "usr/bin/tessera")
        rc, out, err = run([packaged, "--version"])
        ensure(rc == 0 and out.strip() == f"tessera {version}",
               f"the packaged tessera --version: exit {rc}, {out}{err}")
        check_config(packaged, os.path.join(root, "etc/tessera/tessera.yaml"),
                     "the packaged tessera.yaml")
    print("deb: OK")


# ---------------------------------------------------------------------------------------------
# A small kustomize: what deploy/k8s uses and nothing more (deploy/k8s/README.md). A
# kustomization.yaml may hold apiVersion, kind, resources (files, or directories with their own
# kustomization.yaml) and patches (each a `path:` to a strategic-merge patch that names its
# target by apiVersion, kind and metadata.name). Anything else is refused, so the manifests keep
# to what is checked here.

KUSTOMIZATION_KEYS = {"apiVersion", "kind", "resources", "patches"}
# Strategic merge keys of the lists the patches touch; any other list is replaced.
MERGE_KEYS = {"containers": "name", "initContainers": "name", "volumes": "name", "env": "name",
              "volumeMounts": "mountPath", "imagePullSecrets": "name"}


def merge_key(field, items):
    if field in MERGE_KEYS:
        return MERGE_KEYS[field]
    if field == "ports":  # containers' ports by containerPort, a Service's by port
        return "containerPort" if all("containerPort" in i for i in items) else "port"
    return None


def strategic_merge(base, patch, field=None):
    if isinstance(base, dict) and isinstance(patch, dict):
        out = dict(base)
        for key, value in patch.items():
            if value is None:
                out.pop(key, None)
            elif key in out:
                out[key] = strategic_merge(out[key], value, key)
            else:
                out[key] = value
        return out
    if isinstance(base, list) and isinstance(patch, list):
        key = merge_key(field, base + patch)
        if key is None or not all(isinstance(i, dict) and key in i for i in base + patch):
            return patch
        out = list(base)
        for item in patch:
            at = [n for n, b in enumerate(out) if b[key] == item[key]]
            if at:
                out[at[0]] = strategic_merge(out[at[0]], item)
            else:
                out.append(item)
        return out
    return patch


def identity(obj):
    return (obj.get("apiVersion"), obj.get("kind"), (obj.get("metadata") or {}).get("name"))


def kustomize(yaml, directory):
    path = os.path.join(directory, "kustomization.yaml")
    k = yaml.safe_load(read(path))
    unknown = set(k) - KUSTOMIZATION_KEYS
    ensure(not unknown, f"{path}: {sorted(unknown)} is more than this renderer supports "
           "(deploy/k8s/README.md)")
    ensure(k.get("kind") == "Kustomization", f"{path}: kind {k.get('kind')}")
    objects = []
    for resource in k.get("resources", []):
        where = os.path.normpath(os.path.join(directory, resource))
        if os.path.isdir(where):
            objects += kustomize(yaml, where)
        else:
            objects += [o for o in yaml.safe_load_all(read(where)) if o is not None]
    for patch in k.get("patches", []):
        ensure(set(patch) == {"path"}, f"{path}: a patch other than `path:` {patch}")
        p = yaml.safe_load(read(os.path.join(directory, patch["path"])))
        targets = [n for n, o in enumerate(objects) if identity(o) == identity(p)]
        ensure(len(targets) == 1, f"{path}: patch {patch['path']} ({identity(p)}) matches "
               f"{len(targets)} objects")
        objects[targets[0]] = strategic_merge(objects[targets[0]], p)
    seen = set()
    for o in objects:
        ensure(identity(o) not in seen, f"{directory}: {identity(o)} twice")
        seen.add(identity(o))
    return objects


def find(objects, kind, name=None):
    return [o for o in objects if o["kind"] == kind and (name is None or
                                                         o["metadata"]["name"] == name)]


def quantity_cpu(q):
    q = str(q)
    return float(q[:-1]) / 1000 if q.endswith("m") else float(q)


def quantity_mib(q):
    q = str(q)
    units = {"Ki": 1 / 1024, "Mi": 1, "Gi": 1024, "M": 1e6 / 2**20, "G": 1e9 / 2**20}
    for suffix, factor in units.items():
        if q.endswith(suffix):
            return float(q[:-len(suffix)]) * factor
    return float(q) / 2**20


def sizing(deployment_source):
    """The `# sizing:` comment of the base Deployment and the capacity table's row for it."""
    m = re.search(r"# sizing: rooms=(\d+) participants=(\d+) cpu=(\d+) rss_mb=(\d+)",
                  deployment_source)
    ensure(m, "deploy/k8s/base/deployment.yaml has no `# sizing: rooms= participants= cpu= "
           "rss_mb=` comment")
    rooms, participants, cpu, rss = (int(g) for g in m.groups())
    perf = read(os.path.join(SOURCE, "docs", "performance.md"))
    section = perf.split("## Capacity and cost per room", 1)
    ensure(len(section) == 2, "docs/performance.md has no \"Capacity and cost per room\"")
    ensure(f"{participants}-party rooms" in section[1] and f"on {cpu} cores" in section[1],
           f"the capacity section does not measure {participants}-party rooms on {cpu} cores")
    row = re.search(rf"^\| {rooms} \| [0-9.]+% \| {rss} MB \| .* \| pass \|$", section[1], re.M)
    ensure(row, f"the capacity table has no passing row for {rooms} rooms at {rss} MB RSS")
    print(f"sizing: {rooms} rooms of {participants} on {cpu} cores, {rss} MB RSS peak: "
          f"{row.group(0)}")
    return cpu, rss


def fill_placeholders(text):
    return text.replace("@HOST_IP@", "192.0.2.10").replace("@NODE_NAME@", "node-a")


def check_overlay(args, yaml, name, objects, cpu, rss):
    for o in objects:
        ensure(o.get("apiVersion") and o.get("kind") and (o.get("metadata") or {}).get("name"),
               f"{name}: an object without apiVersion, kind or metadata.name: {o}")
    workloads = find(objects, "Deployment", "tessera") + find(objects, "DaemonSet", "tessera")
    ensure(len(workloads) == 1, f"{name}: want one tessera Deployment or DaemonSet")
    w = workloads[0]
    pod = w["spec"]["template"]
    spec = pod["spec"]
    labels = pod["metadata"]["labels"]
    ensure(all(labels.get(k) == v for k, v in w["spec"]["selector"]["matchLabels"].items()),
           f"{name}: the selector does not match the pod's labels")

    # The config: the ConfigMap the config-template volume mounts, as the init container writes it.
    volumes = {v["name"]: v for v in spec["volumes"]}
    cm_name = volumes["config-template"]["configMap"]["name"]
    cms = find(objects, "ConfigMap", cm_name)
    ensure(len(cms) == 1, f"{name}: no ConfigMap {cm_name}")
    template = cms[0]["data"]["tessera.yaml"]
    init = [c for c in spec.get("initContainers", []) if c["name"] == "config"]
    ensure(init, f"{name}: no init container `config` filling in the config")
    script = " ".join(init[0]["command"])
    for placeholder in re.findall(r"@[A-Z_]+@", template):
        ensure(placeholder in script, f"{name}: the init container leaves {placeholder} in")
    config_text = fill_placeholders(template)
    config = yaml.safe_load(config_text)
    with tempfile.TemporaryDirectory(prefix="tessera-k8s-") as tmp:
        path = os.path.join(tmp, f"{name}.yaml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(config_text)
        rc, out, err = run([args.tessera, "--check-config", path])
        if rc != 0 and "cluster" in config and re.search(r":\d+: cluster: unknown key", out + err):
            # This build's tessera predates the cluster block: check the rest.
            print(f"{name}: this tessera does not know the cluster block yet; checking the rest")
            rest = {k: v for k, v in config.items() if k != "cluster"}
            with open(path, "w", encoding="utf-8") as f:
                f.write(yaml.safe_dump(rest))
            rc, out, err = run([args.tessera, "--check-config", path])
        ensure(rc == 0, f"{name}: tessera --check-config rejects the ConfigMap's config:\n"
               f"{out}{err}")
        print(f"{name}: the ConfigMap's config: {out.strip()}")

    containers = [c for c in spec["containers"] if c["name"] == "tessera"]
    ensure(containers, f"{name}: no container named tessera")
    c = containers[0]
    ensure(c["args"][-1] == "/run/tessera/tessera.yaml", f"{name}: args {c['args']}")
    mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
    ensure(mounts.get("/run/tessera") == "config", f"{name}: the written config is not mounted")
    for m in c["volumeMounts"] + init[0]["volumeMounts"]:
        ensure(m["name"] in volumes, f"{name}: volumeMount {m['name']} has no volume")

    control = config["control"]
    port = control["port"]
    scheme = "HTTPS" if control.get("tls_cert_file") else "HTTP"
    ensure(not ipaddress.ip_address(control["listen_address"]).is_loopback,
           f"{name}: control.listen_address {control['listen_address']}: the kubelet cannot "
           "probe a loopback address")
    for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
        get = c[probe]["httpGet"]
        ensure(get["path"] == path and get["port"] == port and get.get("scheme", "HTTP") == scheme,
               f"{name}: {probe} {get}, want {scheme} {path} on control.port {port}")
    ensure(spec["terminationGracePeriodSeconds"] > control.get("drain_grace_s", 20),
           f"{name}: terminationGracePeriodSeconds is not longer than control.drain_grace_s")
    keys = control["keys_file"]
    ensure(any(keys.startswith(m + "/") and "secret" in volumes[v] for m, v in mounts.items()),
           f"{name}: control.keys_file {keys} is not in a mounted Secret")

    notes = pod["metadata"].get("annotations", {})
    metrics_port = control.get("metrics_port", 0)
    ensure(metrics_port, f"{name}: no control.metrics_port: /metrics on control.port needs a token")
    want = {"prometheus.io/scrape": "true", "prometheus.io/path": "/metrics",
            "prometheus.io/port": str(metrics_port)}
    for key, value in want.items():
        ensure(notes.get(key) == value, f"{name}: annotation {key}={notes.get(key)}, want {value}")

    server, webrtc = config["server"], config.get("webrtc", {})
    low, high = (int(x) for x in server["rtp_ports"].split("-"))
    if spec.get("hostNetwork"):
        ensure(spec.get("dnsPolicy") == "ClusterFirstWithHostNet",
               f"{name}: hostNetwork without dnsPolicy ClusterFirstWithHostNet")
        ensure(ipaddress.ip_address(server["bind_address"]).is_unspecified,
               f"{name}: server.bind_address {server['bind_address']} on the node's network")
        if webrtc:
            ensure(webrtc.get("announced_address"), f"{name}: webrtc without announced_address")
        print(f"{name}: media on the node's network, UDP {low}-{high} and {webrtc.get('udp_port')}")
    else:
        udp = {p["containerPort"] for p in c["ports"] if p.get("protocol") == "UDP"}
        want_udp = set(range(low, high + 1)) | ({webrtc["udp_port"]} if webrtc else set())
        ensure(udp == want_udp, f"{name}: the UDP container ports are not server.rtp_ports "
               f"{low}-{high} and webrtc.udp_port")
    declared = {(p["containerPort"], p.get("protocol", "TCP")) for p in c["ports"]}
    for p in ((port, "TCP"), (metrics_port, "TCP")) + (((webrtc["udp_port"], "UDP"),
                                                       (webrtc_tcp_port(webrtc), "TCP"))
                                                      if webrtc else ()):
        ensure(p in declared, f"{name}: container port {p} is not declared")

    res = c["resources"]
    ensure(quantity_cpu(res["requests"]["cpu"]) == cpu,
           f"{name}: requests.cpu {res['requests']['cpu']}, the sizing says {cpu}")
    mem = quantity_mib(res["requests"]["memory"])
    ensure(mem >= rss, f"{name}: requests.memory {mem} MiB is below the measured {rss} MB")
    ensure("cpu" not in res.get("limits", {}), f"{name}: a CPU limit throttles room ticks")
    ensure(quantity_mib(res["limits"]["memory"]) >= mem, f"{name}: memory limit below request")
    for box in [c] + init:
        sc = box["securityContext"]
        ensure(sc.get("allowPrivilegeEscalation") is False and sc.get("readOnlyRootFilesystem")
               and sc["capabilities"]["drop"] == ["ALL"], f"{name}: {box['name']}: {sc}")
    ensure(spec["securityContext"].get("runAsNonRoot") and spec["securityContext"]["runAsUser"],
           f"{name}: the pod may run as root")

    for svc in find(objects, "Service"):
        sel = svc["spec"]["selector"]
        pods = [o for o in objects if o["kind"] in ("Deployment", "DaemonSet", "StatefulSet") and
                all(o["spec"]["template"]["metadata"]["labels"].get(k) == v
                    for k, v in sel.items())]
        ensure(pods, f"{name}: Service {svc['metadata']['name']} selects no pods")

    cluster = config.get("cluster")
    if name == "cluster":
        ensure(cluster, f"{name}: the config has no cluster block")
        for key in ("redis", "node_id", "region", "api_url"):
            ensure(cluster.get(key), f"{name}: cluster.{key} is empty")
        host, _, redis_port = cluster["redis"].rpartition(":")
        svc = find(objects, "Service", host)
        ensure(svc, f"{name}: cluster.redis {cluster['redis']}: no Service {host}")
        ensure(int(redis_port) in [p["port"] for p in svc[0]["spec"]["ports"]],
               f"{name}: Service {host} has no port {redis_port}")
        sel = svc[0]["spec"]["selector"]
        redis = [o for o in find(objects, "Deployment") + find(objects, "StatefulSet")
                 if all(o["spec"]["template"]["metadata"]["labels"].get(k) == v
                        for k, v in sel.items())]
        ensure(redis and any("redis" in ct["image"] for ct in
                             redis[0]["spec"]["template"]["spec"]["containers"]),
               f"{name}: Service {host} selects no Redis")
        ensure(cluster["api_url"].endswith(f":{port}"), f"{name}: cluster.api_url is not on "
               f"control.port {port}")
        ensure(w["spec"]["replicas"] > 1, f"{name}: a cluster of one")
        anti = spec["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
        ensure(anti[0]["topologyKey"] == "kubernetes.io/hostname",
               f"{name}: two pods on one node would share its ports")
        print(f"{name}: {w['spec']['replicas']} nodes, room directory in {cluster['redis']}")
    else:
        ensure(not cluster, f"{name}: a cluster block outside the cluster overlay")
        ensure(w["spec"]["replicas"] == 1, f"{name}: more than one replica")
    kinds = ", ".join(f"{o['kind']}/{o['metadata']['name']}" for o in objects)
    print(f"{name}: OK ({kinds})")


def case_kustomize(args):
    yaml = need_yaml()
    k8s = os.path.join(SOURCE, "deploy", "k8s")
    cpu, rss = sizing(read(os.path.join(k8s, "base", "deployment.yaml")))
    overlays = sorted(os.listdir(os.path.join(k8s, "overlays")))
    ensure(overlays == ["cluster", "single-node"], f"overlays: {overlays}")
    for name in overlays:
        objects = kustomize(yaml, os.path.join(k8s, "overlays", name))
        check_overlay(args, yaml, name, objects, cpu, rss)
    print("kustomize: OK")


# ---------------------------------------------------------------------------------------------
# The container build file


def containerfile_instructions(text):
    """[(INSTRUCTION, arguments)] with continuation lines joined and comments dropped."""
    out, pending = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        word, _, rest = line.partition(" ")
        out.append((word.upper(), rest.strip()))
    ensure(not pending, "the Containerfile ends in a continuation line")
    return out


def case_container(args):
    yaml = need_yaml()
    path = os.path.join(SOURCE, "packaging", "container", "Containerfile")
    steps = containerfile_instructions(read(path))
    stages = []
    for word, rest in steps:
        if word == "FROM":
            parts = rest.split()
            ensure(re.fullmatch(r"debian:(12|bookworm)(-slim)?", parts[0]),
                   f"Containerfile: FROM {parts[0]} is not Debian 12")
            stages.append({"name": parts[2] if len(parts) == 3 else None, "steps": []})
        else:
            ensure(stages, f"Containerfile: {word} before FROM")
            stages[-1]["steps"].append((word, rest))
    ensure(len(stages) >= 2, "Containerfile: want a build stage and a runtime stage")
    names = {s["name"] for s in stages}
    runtime = stages[-1]["steps"]
    for word, rest in runtime:
        if word == "COPY":
            m = re.search(r"--from=(\S+)", rest)
            ensure(m and m.group(1) in names, f"Containerfile: COPY {rest} not from a stage")
        if word == "RUN":
            for token in rest.split():
                ensure(not token.endswith("-dev") and token not in ("build-essential", "cmake"),
                       f"Containerfile: the runtime stage installs {token}")

    # What the build stage installs covers scripts/setup.sh's libraries.
    build_run = " ".join(r for w, r in stages[0]["steps"] if w == "RUN").split()
    setup = read(os.path.join(SOURCE, "scripts", "setup.sh"))
    libraries = re.search(r"# libraries\n(.*?)\n  #", setup, re.S).group(1).split()
    for pkg in libraries + ["file"]:
        ensure(pkg in build_run, f"Containerfile: the build stage lacks {pkg} (scripts/setup.sh)")
    ensure(any(w == "RUN" and "cpack -G DEB" in r for w, r in stages[0]["steps"]),
           "Containerfile: the build stage does not make the Debian package")

    def last_of(word):
        values = [r for w, r in runtime if w == word]
        ensure(values, f"Containerfile: the runtime stage has no {word}")
        return values[-1]
    user = last_of("USER").split(":")[0]
    ensure(user not in ("root", "0"), f"Containerfile: runs as {user}")
    deployment = yaml.safe_load(read(os.path.join(SOURCE, "deploy", "k8s", "base",
                                                  "deployment.yaml")))
    run_as = deployment["spec"]["template"]["spec"]["securityContext"]["runAsUser"]
    ensure(user == str(run_as), f"Containerfile: USER {user}, Kubernetes runAsUser {run_as}")
    ensure(last_of("WORKDIR") == STATE_DIR, f"Containerfile: WORKDIR {last_of('WORKDIR')}")

    config = yaml.safe_load(read(os.path.join(SOURCE, "packaging", "config", "tessera.yaml")))
    entry = json.loads(last_of("ENTRYPOINT")) + json.loads(last_of("CMD"))
    ensure(entry == ["tessera", "--config", "/etc/tessera/tessera.yaml"],
           f"Containerfile: runs {entry}, not the package's config")
    exposed = set(" ".join(r for w, r in runtime if w == "EXPOSE").split())
    control, webrtc = config["control"], config["webrtc"]
    want = {f"{config['server']['rtp_ports']}/udp", f"{webrtc['udp_port']}/udp",
            f"{webrtc_tcp_port(webrtc)}/tcp", f"{control['port']}/tcp",
            f"{control['metrics_port']}/tcp"}
    ensure(exposed == want, f"Containerfile: EXPOSE {sorted(exposed)}, the config's ports "
           f"{sorted(want)}")
    health = last_of("HEALTHCHECK")
    ensure("/healthz" in health and f"/{control['port']}" in health and
           control["listen_address"] in health,
           f"Containerfile: HEALTHCHECK does not ask /healthz on {control['listen_address']}:"
           f"{control['port']}: {health}")
    ensure(last_of("STOPSIGNAL") == "SIGTERM", "Containerfile: STOPSIGNAL is not SIGTERM")
    print(f"container: {len(stages)} stages on Debian 12, runtime as {user}, EXPOSE "
          f"{' '.join(sorted(exposed))}")
    print("container: OK")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--case", required=True, choices=["units", "deb", "kustomize", "container"])
    args = ap.parse_args()
    args.tessera = os.path.abspath(args.tessera)
    args.build_dir = os.path.abspath(args.build_dir)
    {"units": case_units, "deb": case_deb, "kustomize": case_kustomize,
     "container": case_container}[args.case](args)


if __name__ == "__main__":
    run_main(main)
