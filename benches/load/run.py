#!/usr/bin/env python3
"""Load benchmark: Rendition against sharp (libvips) and thumbor (Pillow).

One command, from the repository root:

    python3 benches/load/run.py            # about 10 minutes on 2 cores
    python3 benches/load/run.py --quick    # short runs, for checking the script

See benches/load/README.md for what it does, what it installs and where.
Everything it downloads, installs or writes goes under target/loadbench/.
Every server listens on 127.0.0.1 only and every load run is bounded.
Only the Python standard library is used here; the plot is drawn by
benches/load/plot.py inside the benchmark's own venv.
"""

import argparse
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
OUT = REPO / "target" / "loadbench"
PHOTOS = OUT / "photos"          # the unpacked package and the selection
SELECTED = PHOTOS / "bench"      # flat directory every server reads from
DATA = OUT / "data"              # Rendition's catalog, fresh each run
NODE_DIR = OUT / "node"
VENV = OUT / "venv"
RUNS = OUT / "runs"
PIDFILE = OUT / "servers.pid.json"

WIDTH, QUALITY = 512, 80
# Rendition's variants in the benchmark, and whether each keeps and reads
# pyramid levels.
RENDITION_VARIANTS = {"rendition": False, "rendition-turbojpeg": False, "rendition-pyramid": True}
COMPANY = "Bench"

# The Plasma wallpapers that are photographs, all 2560x1600. The package's
# 5120x2880 JPEGs (Flow, Honeywave, SafeLanding, Shell, Volna) are digital
# illustrations, not photographs; they make the separate large-source scenario.
PHOTO_SIZE = (2560, 1600)
LARGE_SIZE = (5120, 2880)

NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback only
CHILDREN = []  # Popen objects of the servers this script started


def log(msg):
    print(f"[loadbench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def run(cmd, **kw):
    log("$ " + " ".join(str(c) for c in cmd))
    return subprocess.run([str(c) for c in cmd], check=True, **kw)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def jpeg_size(path_or_bytes):
    """(width, height) from a JPEG's first SOF marker, without any library."""
    data = path_or_bytes if isinstance(path_or_bytes, bytes) else Path(path_or_bytes).read_bytes()
    if data[:2] != b"\xff\xd8":
        return None
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            i += 1
            continue
        marker = data[i + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
            i += 2 if marker != 0xFF else 1
            continue
        (seglen,) = struct.unpack(">H", data[i + 2:i + 4])
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            h, w = struct.unpack(">HH", data[i + 5:i + 9])
            return (w, h)
        i += 2 + seglen
    return None


# --------------------------------------------------------------------------
# Photos


def fetch_photos():
    """Download plasma-workspace-wallpapers and pick the JPEGs (once)."""
    unpacked = PHOTOS / "pkg"
    if not (unpacked / "usr" / "share" / "wallpapers").is_dir():
        PHOTOS.mkdir(parents=True, exist_ok=True)
        for deb in PHOTOS.glob("*.deb"):
            deb.unlink()
        try:
            run(["apt-get", "download", "plasma-workspace-wallpapers"], cwd=PHOTOS)
        except subprocess.CalledProcessError:
            log("apt-get download failed; running apt-get update once and retrying")
            run(["apt-get", "update"])
            run(["apt-get", "download", "plasma-workspace-wallpapers"], cwd=PHOTOS)
        debs = sorted(PHOTOS.glob("plasma-workspace-wallpapers*.deb"))
        if not debs:
            sys.exit("no plasma-workspace-wallpapers .deb was downloaded")
        tmp = PHOTOS / "pkg.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        run(["dpkg", "-x", debs[-1], tmp])
        tmp.rename(unpacked)
        debs[-1].unlink()  # 94 MB; the unpacked tree is what later runs reuse
    # Real files only (the package links many sizes to the same file), by size.
    found = {}
    for f in sorted((unpacked / "usr" / "share" / "wallpapers").glob("*/contents/images*/*.jpg")):
        if f.is_symlink() or not f.is_file():
            continue
        size = jpeg_size(f)
        theme = f.parts[-4]
        variant = "_dark" if f.parent.name == "images_dark" else ""
        found.setdefault(size, []).append((f"{theme}{variant}", f))
    photos = found.get(PHOTO_SIZE, [])
    large = found.get(LARGE_SIZE, [])
    if len(photos) < 4:
        sys.exit(f"expected the 2560x1600 photographs, found {len(photos)}: {found.keys()}")
    shutil.rmtree(SELECTED, ignore_errors=True)
    SELECTED.mkdir(parents=True)
    names = {"photos": [], "large": []}
    for kind, items, suffix in (("photos", photos, ""), ("large", large, "_5120")):
        for name, src in items:
            name = re.sub(r"[^A-Za-z0-9_]", "_", name) + suffix
            dst = SELECTED / f"{name}.jpg"
            shutil.copyfile(src, dst)
            names[kind].append(name)
    others = {f"{w}x{h}": len(v) for (w, h), v in found.items() if (w, h) not in (PHOTO_SIZE, LARGE_SIZE)}
    log(f"{len(names['photos'])} photographs {PHOTO_SIZE[0]}x{PHOTO_SIZE[1]}, "
        f"{len(names['large'])} illustrations {LARGE_SIZE[0]}x{LARGE_SIZE[1]}; not used: {others}")
    return names


# --------------------------------------------------------------------------
# Installs


def build_rust(turbojpeg):
    """Release builds: the default (pure-Rust JPEG) and, when asked, the
    `turbojpeg` feature (libjpeg-turbo; needs cmake and nasm), copied aside."""
    release = REPO / "target" / "release"
    bins = {}
    if turbojpeg:
        missing = [tool for tool in ("cmake", "make", "nasm") if not shutil.which(tool)]
        if missing:
            sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
            run(sudo + ["apt-get", "update", "-q"])
            run(sudo + ["apt-get", "install", "-y", "-q", *missing])
        run(["cargo", "build", "--release", "--bin", "rendition", "--features", "turbojpeg"], cwd=REPO)
        OUT.mkdir(parents=True, exist_ok=True)
        shutil.copy2(release / "rendition", OUT / "rendition-turbojpeg")
        bins["rendition-turbojpeg"] = OUT / "rendition-turbojpeg"
    run(["cargo", "build", "--release", "--bin", "rendition", "--example", "loadgen"], cwd=REPO)
    bins["rendition"] = release / "rendition"
    return bins, release / "examples" / "loadgen"


def install_sharp():
    NODE_DIR.mkdir(parents=True, exist_ok=True)
    if not (NODE_DIR / "node_modules" / "sharp").is_dir():
        pkg = NODE_DIR / "package.json"
        if not pkg.exists():
            pkg.write_text('{"name": "loadbench-sharp", "private": true}\n')
        run(["npm", "install", "--no-audit", "--no-fund", "sharp"], cwd=NODE_DIR)
    out = subprocess.run(
        ["node", "-e", "const s=require('sharp');console.log(JSON.stringify(s.versions))"],
        cwd=NODE_DIR, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def install_thumbor():
    py = VENV / "bin" / "python"
    if not py.exists():
        run([sys.executable, "-m", "venv", VENV])
    have = subprocess.run([py, "-c", "import thumbor, matplotlib"], capture_output=True)
    if have.returncode != 0:
        run([py, "-m", "pip", "install", "--quiet", "thumbor", "matplotlib"])
    out = subprocess.run(
        [py, "-c", "import json, thumbor, PIL, tornado, matplotlib; print(json.dumps("
         "{'thumbor': thumbor.__version__, 'Pillow': PIL.__version__, "
         "'tornado': tornado.version, 'matplotlib': matplotlib.__version__}))"],
        check=True, capture_output=True, text=True).stdout
    return json.loads(out)


# --------------------------------------------------------------------------
# Servers


def start(name, cmd, env=None, cwd=None, logfile=None):
    logf = open(logfile, "w") if logfile else subprocess.DEVNULL
    log(f"starting {name}: {' '.join(str(c) for c in cmd)}")
    p = subprocess.Popen([str(c) for c in cmd], env=env, cwd=cwd, stdout=logf,
                         stderr=subprocess.STDOUT, start_new_session=True)
    CHILDREN.append(p)
    save_pids()
    return p


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().decode(errors="replace")
    except OSError:
        return None


def save_pids():
    PIDFILE.write_text(json.dumps([[p.pid, cmdline(p.pid)] for p in CHILDREN if p.poll() is None]))


def stop_stale():
    """Stop the servers of an earlier run that died without cleaning up (by pid, if unchanged)."""
    try:
        stale = json.loads(PIDFILE.read_text())
    except (OSError, ValueError):
        return
    for pid, cmd in stale:
        if cmd and cmdline(pid) == cmd:
            log(f"stopping server {pid} left by an earlier run")
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
    PIDFILE.unlink(missing_ok=True)


def stop_all():
    for p in CHILDREN:
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGTERM)  # its own session: it and its workers
            except ProcessLookupError:
                pass
    deadline = time.time() + 5
    for p in CHILDREN:
        try:
            p.wait(timeout=max(0.1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait()
    CHILDREN.clear()
    PIDFILE.unlink(missing_ok=True)


def wait_http(url, proc, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before answering {url}")
        try:
            with NO_PROXY.open(url, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"no answer from {url} after {timeout}s")


def fetch(url):
    with NO_PROXY.open(url, timeout=60) as r:
        return r.status, r.read()


# --------------------------------------------------------------------------
# Measuring a process tree


def tree_pids(root):
    """root and all its descendants, from /proc."""
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(d))
    pids, todo = [], [root]
    while todo:
        p = todo.pop()
        pids.append(p)
        todo.extend(children.get(p, []))
    return pids


def status_kb(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_ticks(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime
    except OSError:
        return 0


class Sampler(threading.Thread):
    """Peak of the summed VmRSS of a process tree, every 100 ms, and its CPU time."""

    def __init__(self, root):
        super().__init__(daemon=True)
        self.root, self.peak_kb, self.stop_evt = root, 0, threading.Event()
        self.pids = tree_pids(root)
        for pid in self.pids:  # reset VmHWM so it covers this run only
            try:
                with open(f"/proc/{pid}/clear_refs", "w") as f:
                    f.write("5")
            except OSError:
                pass
        self.cpu0 = sum(cpu_ticks(p) for p in self.pids)
        self.busy0, self.t0 = busy_ticks(), time.time()

    def run(self):
        n = 0
        while not self.stop_evt.is_set():
            if n % 10 == 0:
                self.pids = tree_pids(self.root)
            self.peak_kb = max(self.peak_kb, sum(status_kb(p, "VmRSS") for p in self.pids))
            n += 1
            self.stop_evt.wait(0.1)

    def finish(self):
        self.stop_evt.set()
        self.join()
        hwm = sum(status_kb(p, "VmHWM") for p in self.pids)
        hz = os.sysconf("SC_CLK_TCK")
        cpu = sum(cpu_ticks(p) for p in self.pids) - self.cpu0
        busy, wall = busy_ticks() - self.busy0, time.time() - self.t0
        return {"peak_rss_mb": round(self.peak_kb / 1024, 1),
                "hwm_sum_mb": round(hwm / 1024, 1),
                "cpu_s": round(cpu / hz, 2),
                "machine_busy_s": round(busy / hz, 2), "wall_s": round(wall, 2)}


def busy_ticks():
    """CPU time the whole machine spent not idle, from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return sum(v[:8]) - v[3] - v[4]  # all but idle and iowait (guest is inside user)


# --------------------------------------------------------------------------


def loadavg():
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


def machine_info():
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem = int(f.readline().split()[1]) // 1024 // 1024
    rev = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=REPO,
                         capture_output=True, text=True).stdout.strip()
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    return {"nproc": os.cpu_count(), "cpu": model, "mem_gib": mem,
            "kernel": platform.release(), "rendition": rev, "node": node,
            "python": platform.python_version()}


def measure(s, proc, url_of, loadgen, scen, conc, srcs, cold, secs, warmup):
    """One load-generator run against one server, with its RSS and CPU."""
    urlfile = RUNS / f"{s}-{scen.split()[0]}-{len(srcs)}-c{conc}.txt"
    urlfile.write_text("".join(url_of(n, cold) + "\n" for n in srcs))
    warm = max(warmup, conc)
    la = loadavg()[0]
    sampler = Sampler(proc.pid)
    sampler.start()
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run([str(a) for a in (loadgen, "--urls", urlfile, "--concurrency",
                                           conc, "--duration", secs, "--warmup", warm)],
                         capture_output=True, text=True)
    mem = sampler.finish()
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    loadgen_s = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
    other = mem["machine_busy_s"] - mem["cpu_s"] - loadgen_s
    mem["loadgen_cpu_s"] = round(loadgen_s, 2)
    # CPU used by everything else on the machine, as a share of all its CPUs
    mem["other_cpu_pct"] = round(max(0.0, 100 * other / (mem["wall_s"] * os.cpu_count())), 1)
    if out.returncode != 0 or proc.poll() is not None:
        raise RuntimeError(f"{s} {scen} c={conc}: loadgen {out.returncode}: {out.stderr}")
    r = json.loads(out.stdout)
    r.update(mem, server=s, scenario=scen, sources=len(srcs), load1=la)
    r["cpu_ms_per_req"] = round(1000 * r["cpu_s"] / max(1, r["requests"] + warm), 1)
    if out.stderr.strip():
        r["stderr"] = out.stderr.strip()[:500]
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=float, default=8, help="seconds of each cold run [8]")
    ap.add_argument("--hit-duration", type=float, default=5, help="seconds of each cache-hit run [5]")
    ap.add_argument("--rounds", type=int, default=3,
                    help="runs of every scenario on every server, interleaved; the least disturbed is "
                         "reported [3]")
    ap.add_argument("--warmup", type=int, default=12, help="unrecorded requests before each run [12]")
    ap.add_argument("--concurrency", default="1,2,4", help="cold-run concurrencies [1,2,4]")
    ap.add_argument("--servers", default=",".join(RENDITION_VARIANTS) + ",sharp,thumbor",
                    help="rendition is the default build (pure-Rust JPEG decoding), rendition-turbojpeg "
                         "the build with `--features turbojpeg`, both with the pyramid off so that every "
                         "cold render decodes its JPEG; rendition-pyramid is the default build with its "
                         "default settings, rendering from the pyramid levels kept at import [all five]")
    ap.add_argument("--thumbor-processes", type=int, default=os.cpu_count(),
                    help="thumbor --processes [number of CPUs]")
    ap.add_argument("--no-large", action="store_true", help="skip the 5120x2880 scenario")
    ap.add_argument("--no-build", action="store_true", help="use the existing release build")
    ap.add_argument("--quick", action="store_true", help="3 s runs, for checking the script")
    args = ap.parse_args()
    if args.quick:
        args.duration, args.hit_duration, args.warmup, args.rounds = 3, 3, 4, 1
    concurrencies = [int(c) for c in args.concurrency.split(",")]
    servers = [s for s in args.servers.split(",") if s]

    OUT.mkdir(parents=True, exist_ok=True)
    stop_stale()
    shutil.rmtree(RUNS, ignore_errors=True)
    RUNS.mkdir()
    load_before = loadavg()
    info = machine_info()
    log(f"{info['nproc']} CPUs ({info['cpu']}), load average {load_before}")

    names = fetch_photos()
    versions = {}
    if args.no_build:
        rendition_bins = {"rendition": REPO / "target" / "release" / "rendition",
                          "rendition-turbojpeg": OUT / "rendition-turbojpeg"}
        rendition_bins["rendition-pyramid"] = rendition_bins["rendition"]
        loadgen = REPO / "target" / "release" / "examples" / "loadgen"
    else:
        rendition_bins, loadgen = build_rust("rendition-turbojpeg" in servers)
        rendition_bins["rendition-pyramid"] = rendition_bins["rendition"]
    if "sharp" in servers:
        versions["sharp"] = install_sharp()
    versions["thumbor"] = install_thumbor()  # the venv also draws the plot

    def cleanup(*_):
        stop_all()
        sys.exit(130)

    signal.signal(signal.SIGTERM, cleanup)
    signal.signal(signal.SIGINT, cleanup)

    procs, url_of, bases, rendition_env, import_s, disk_mb = {}, {}, {}, {}, {}, {}
    try:
        # Rendition, each variant on a fresh catalog of its own with the
        # selected files, default workers.
        for variant, pyramid in RENDITION_VARIANTS.items():
            if variant not in servers:
                continue
            data = DATA if variant == "rendition" else OUT / f"data-{variant}"
            shutil.rmtree(data, ignore_errors=True)
            started = time.monotonic()
            run([rendition_bins[variant], "import", "--company", COMPANY, "--data", data,
                 f"--pyramid={str(pyramid).lower()}", SELECTED])
            import_s[variant] = round(time.monotonic() - started, 2)
            disk_mb[variant] = round(sum(f.stat().st_size for f in (data / "blobs").rglob("*")
                                         if f.is_file()) / 1e6, 1)
            log(f"{variant}: imported in {import_s[variant]} s, {disk_mb[variant]} MB of blobs and levels")
            port = free_port()
            env = dict(os.environ)
            env.setdefault("RENDITION_CACHE_BYTES", "256MiB")
            env.setdefault("RENDITION_SOURCE_CACHE_BYTES", "128MiB")
            env.setdefault("RUST_LOG", "warn")
            rendition_env.update({k: v for k, v in env.items() if k.startswith("RENDITION_") or k == "RUST_LOG"})
            procs[variant] = start(variant, [rendition_bins[variant], "serve", "--data", data,
                                             "--listen", f"127.0.0.1:{port}", "--no-demo",
                                             f"--pyramid={str(pyramid).lower()}"],
                                   env=env, logfile=OUT / f"{variant}.log")
            base = bases[variant] = f"http://127.0.0.1:{port}"
            wait_http(base + "/healthz", procs[variant])

            def rendition_url(name, cold, base=base):
                q = f"wid={WIDTH}&fmt=jpeg&qlt={QUALITY}" + ("&cache=off" if cold else "")
                return f"{base}/is/image/{COMPANY}/{name}?{q}"
            url_of[variant] = rendition_url
        if "sharp" in servers:
            port = free_port()
            env = dict(os.environ, PHOTO_DIR=str(SELECTED), NODE_PATH=str(NODE_DIR / "node_modules"))
            procs["sharp"] = start("sharp", ["node", HERE / "sharp_server.js", port], env=env,
                                   cwd=NODE_DIR, logfile=OUT / "sharp.log")
            base = f"http://127.0.0.1:{port}"
            wait_http(base + "/healthz", procs["sharp"])
            url_of["sharp"] = lambda name, cold, base=base: f"{base}/img/{name}.jpg?w={WIDTH}&q={QUALITY}"
        if "thumbor" in servers:
            port = free_port()
            conf = OUT / "thumbor.conf"
            conf.write_text(
                "# written by benches/load/run.py\n"
                "LOADER = 'thumbor.loaders.file_loader'\n"
                f"FILE_LOADER_ROOT_PATH = {str(SELECTED)!r}\n"
                "ALLOW_UNSAFE_URL = True\n"
                "STORAGE = 'thumbor.storages.no_storage'\n"
                "RESULT_STORAGE = None\n"
                "ENGINE = 'thumbor.engines.pil'\n"
                f"QUALITY = {QUALITY}\n")
            procs["thumbor"] = start("thumbor", [VENV / "bin" / "thumbor", "--ip", "127.0.0.1", "--port", port,
                                                 "--conf", conf, "--processes", args.thumbor_processes,
                                                 "--log-level", "warning"],
                                     logfile=OUT / "thumbor.log")
            base = f"http://127.0.0.1:{port}"
            wait_http(base + "/healthcheck", procs["thumbor"])
            url_of["thumbor"] = lambda name, cold, base=base: f"{base}/unsafe/{WIDTH}x0/{name}.jpg"

        # Same reply from everyone: check the size of one render of each source.
        outputs = {}
        for s in procs:
            for name in (names["photos"][0], *(names["large"][:1])):
                status, body = fetch(url_of[s](name, True))
                size = jpeg_size(body)
                if status != 200 or not size or size[0] != WIDTH:
                    raise RuntimeError(f"{s}: {url_of[s](name, True)} answered {status} {size}")
                outputs.setdefault(s, []).append(f"{size[0]}x{size[1]}, {len(body)} B")
            log(f"{s}: {outputs[s]}")

        # Scenarios: interleaved across servers so background load hits all alike.
        scenarios = [("cold", c, names["photos"], True, args.duration) for c in concurrencies]
        if names["large"] and not args.no_large:
            scenarios.append(("cold 5120x2880", 2, names["large"], True, args.duration))
        scenarios.append(("cache hit (1 URL)", 4, names["photos"][:1], False, args.hit_duration))

        runs = []  # every round of every (scenario, server)
        for rnd in range(1, args.rounds + 1):
            for scen, conc, srcs, cold, secs in scenarios:
                for s in procs:
                    r = measure(s, procs[s], url_of[s], loadgen, scen, conc, srcs, cold, secs, args.warmup)
                    r["round"] = rnd
                    runs.append(r)
                    log(f"round {rnd} {s:19} {scen:18} c={conc}: {r['rps']:8.1f} req/s  p50 {r['p50_ms']:6.1f} ms"
                        f"  p99 {r['p99_ms']:6.1f} ms  RSS {r['peak_rss_mb']:6.1f} MB  errors {r['errors']}"
                        f"  other CPU {r['other_cpu_pct']:.0f}%")
        # Per (scenario, server): the round that other work disturbed least; peak RSS over all rounds.
        results = []
        for scen, conc, *_ in scenarios:
            for s in procs:
                mine = [r for r in runs if r["server"] == s and r["scenario"] == scen and r["concurrency"] == conc]
                best = dict(min(mine, key=lambda r: r["other_cpu_pct"]))
                best["peak_rss_mb"] = max(r["peak_rss_mb"] for r in mine)
                best["errors"] = sum(r["errors"] for r in mine)
                best["rounds_rps"] = [r["rps"] for r in mine]
                results.append(best)
        metrics = ""
        if "rendition" in procs:
            metrics = fetch(bases["rendition"] + "/metrics")[1].decode()
            (OUT / "rendition-metrics.txt").write_text(metrics)
    finally:
        stop_all()

    load_after = loadavg()
    cache_lines = [line for line in metrics.splitlines()
                   if line.startswith(("rendition_cache_", "rendition_render_coalesced", "rendition_render_rejected"))]
    report = {"machine": info, "versions": versions, "load_before": load_before,
              "load_after": load_after, "outputs": outputs, "results": results, "runs": runs,
              "settings": {"duration": args.duration, "hit_duration": args.hit_duration,
                           "warmup": args.warmup, "thumbor_processes": args.thumbor_processes,
                           "rounds": args.rounds, "rendition_env": rendition_env,
                           "photos": names["photos"], "large": names["large"],
                           "import_s": import_s, "disk_mb": disk_mb},
              "rendition_cache_metrics": cache_lines}
    (OUT / "results.json").write_text(json.dumps(report, indent=2) + "\n")
    md = markdown(report)
    (OUT / "results.md").write_text(md)
    plot = subprocess.run([VENV / "bin" / "python", HERE / "plot.py", OUT / "results.json", OUT / "results.png"])
    if plot.returncode != 0:
        log("the plot failed (see above); the table is still written")
    print()
    print(md)
    log(f"wrote {OUT / 'results.md'}, {OUT / 'results.json'} and {OUT / 'results.png'}")


def markdown(rep):
    m, v = rep["machine"], rep["versions"]
    res = rep["results"]
    lines = ["# Rendition load benchmark", ""]
    lines.append(f"Machine: {m['nproc']} CPUs ({m['cpu']}), {m['mem_gib']} GiB, Linux {m['kernel']}. "
                 f"Load average (1, 5, 15 min) before: {rep['load_before']}, after: {rep['load_after']}.")
    # The load average counts the benchmark's own servers and generator, so
    # whether other work disturbed the runs is judged by "other CPU %".
    other = max((r["other_cpu_pct"] for r in res), default=0)
    if other > 5:
        lines.append("")
        lines.append(f"**Note:** the machine was not idle (other work took up to {other:.0f}% of its CPUs "
                     "during a reported run; per run in results.json): it competed for the CPUs, which lowers "
                     "req/s and raises p99 for every server. The runs are interleaved across servers so that "
                     "such load falls on all of them alike.")
    lines.append("")
    ver = [f"rendition {m['rendition']} (release build, `--pyramid=false`: every cold render decodes "
           "its JPEG, shrink-on-load included; rendition-turbojpeg: the same with `--features turbojpeg`, "
           "JPEG decoding through libjpeg-turbo; rendition-pyramid: the default build with its default "
           "settings, which keep pyramid levels (1/2, 1/4, 1/8 scaled decodes) of each JPEG at import and "
           "render reduced views from them, as Scene7 serves from its optimized pyramid TIFFs)"]
    if "sharp" in v:
        ver.append(f"sharp {v['sharp'].get('sharp')} with libvips {v['sharp'].get('vips')} "
                   f"(node {m['node']})")
    if "thumbor" in v:
        t = v["thumbor"]
        ver.append(f"thumbor {t['thumbor']} with Pillow {t['Pillow']} (tornado {t['tornado']}, "
                   f"python {m['python']}, {rep['settings']['thumbor_processes']} processes)")
    lines.append("Versions: " + "; ".join(ver) + ".")
    lines.append("")
    s = rep["settings"]
    lines.append(f"Workload: fit to {WIDTH} px wide, JPEG q{QUALITY}. **cold**: round-robin over "
                 f"{len(s['photos'])} distinct 2560x1600 photographs, Rendition with `cache=off`, "
                 f"{s['duration']:g} s per run after {s['warmup']} unrecorded requests; "
                 f"**cold 5120x2880**: the {len(s['large'])} 5120x2880 illustrations at concurrency 2; "
                 f"**cache hit**: one URL repeated for {s['hit_duration']:g} s at concurrency 4 "
                 "(Rendition answers from its render cache, the peers render again). "
                 "Closed loop: `examples/loadgen.rs`, one request in flight per client. "
                 f"Every scenario ran {s['rounds']} times on every server, interleaved; the table shows, "
                 "per server and scenario, the run that other work on the machine disturbed least "
                 "(lowest \"other CPU %\"), with the req/s of every round beside it, and the peak RSS of "
                 "all rounds.")
    if s.get("rendition_env"):
        lines.append("")
        lines.append("Rendition's settings: " + ", ".join(f"`{k}={v}`" for k, v in sorted(s["rendition_env"].items()))
                     + "; the rest default (render threads: one per CPU). Settings given as RENDITION_* "
                     "in the benchmark's environment are passed on: RENDITION_SOURCE_CACHE_BYTES=0 turns "
                     "the decoded-source cache off, to check that it does not serve the cold runs.")
    if s.get("import_s"):
        lines.append("")
        lines.append(f"Import of the {len(s['photos']) + len(s['large'])} selected files into each variant's fresh catalog: " + "; ".join(
            f"{k} {t:g} s, {s['disk_mb'].get(k, 0):g} MB of originals and levels on disk"
            for k, t in s["import_s"].items()) + ". The pyramid is made there, once per image, "
            "not during the runs.")
    lines.append("")
    lines.append("Reply checked before the runs: " + "; ".join(
        f"{k}: {', '.join(o)}" for k, o in rep["outputs"].items()) + ".")
    lines.append("")
    lines.append("| server | scenario | conc. | req/s | p50 ms | p99 ms | peak RSS MB | CPU ms/req | errors "
                 "| other CPU % | req/s of each round |")
    lines.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in res:
        lines.append(f"| {r['server']} | {r['scenario']} | {r['concurrency']} | {r['rps']:.1f} | "
                     f"{r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['peak_rss_mb']:.0f} | "
                     f"{r['cpu_ms_per_req']:.1f} | {r['errors']} | {r['other_cpu_pct']:.0f} | "
                     + " / ".join(f"{x:.1f}" for x in r.get("rounds_rps", [r["rps"]])) + " |")
    by = {(r["server"], r["scenario"], r["concurrency"]): r for r in res}
    peers = [p for p in ("sharp", "thumbor") if any(r["server"] == p for r in res)]
    mine = [v for v in RENDITION_VARIANTS if any(r["server"] == v for r in res)]
    if mine and peers:
        lines.append("")
        lines.append("Rendition's ratio to each peer (req/s: above 1 is Rendition faster; "
                     "p50, p99, RSS and CPU: below 1 is Rendition lower):")
        lines.append("")
        lines.append("| ratio | scenario | conc. | req/s | p50 | p99 | peak RSS | CPU/req |")
        lines.append("|---|---|---:|---:|---:|---:|---:|---:|")
        for v, p in [(v, p) for v in mine for p in peers]:
            for r in res:
                if r["server"] != v:
                    continue
                q = by.get((p, r["scenario"], r["concurrency"]))
                if not q:
                    continue

                def ratio(k):
                    return f"{r[k] / q[k]:.3g}" if q[k] and r[k] else "-"
                lines.append(f"| {v} / {p} | {r['scenario']} | {r['concurrency']} | {ratio('rps')} | "
                             f"{ratio('p50_ms')} | {ratio('p99_ms')} | {ratio('peak_rss_mb')} | "
                             f"{ratio('cpu_ms_per_req')} |")
    peaks = {}
    for r in res:
        peaks[r["server"]] = max(peaks.get(r["server"], 0), r["peak_rss_mb"])
    lines.append("")
    lines.append("Peak RSS over all runs: " + ", ".join(f"{k} {v:.0f} MB" for k, v in peaks.items()) + ".")
    lines.append("")
    lines.append("other CPU %: CPU time used during the run by everything but the server and the load "
                 "generator, as a share of all the machine's CPUs (0 on an idle machine; other work "
                 "competing for the CPUs lowers req/s and raises latency).")
    lines.append("")
    lines.append("Peak RSS: the largest sum of VmRSS over the server's process tree (thumbor: its "
                 "parent and forked workers), sampled every 100 ms during that run; memory is not handed back "
                 "between runs, so a run's peak includes what earlier runs left. CPU ms/req: the "
                 "server tree's user+system CPU time during the run, warm-up included, per request; "
                 "it is less disturbed by other load on the machine than req/s.")
    if rep.get("rendition_cache_metrics"):
        lines.append("")
        lines.append("Rendition's render-cache counters after all runs (a cold request neither reads nor "
                     "fills the cache; identical requests in flight at once share one render, which the "
                     "round-robin over distinct photos avoids): "
                     + ", ".join(f"`{c}`" for c in rep["rendition_cache_metrics"]) + ".")
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    try:
        main()
    finally:
        stop_all()
