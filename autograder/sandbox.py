"""The Jupyter kernel that runs a student's notebook: a kernelspec wrapped in bubblewrap, with resource limits.

Why a kernelspec: nbgrader starts kernels by name through jupyter_client, and jupyter_client 8 ignores
`KernelManager.kernel_cmd`; the only reliable way to wrap the kernel is the kernelspec's `argv`.

Inside the sandbox (bubblewrap, Debian package `bubblewrap`):
- the whole file system is read-only, and the course folder, the repository with `solutions/`, the inputs
  and the home folder are hidden under empty tmpfs mounts; only the Python environment and the `abcrnn`
  package are bound back (read-only);
- the only writable places are the worker's scratch folder and a private, memory-backed /tmp;
- no network (`--unshare-net`), own PID namespace, so that everything the notebook started dies with it;
- the kernel runs as an unprivileged user id (one per worker): root ignores RLIMIT_NPROC, so only a
  non-root kernel has a working limit against fork bombs;
- prlimit sets memory (address space), CPU time, process count and file size limits.

The kernel talks to nbgrader through ZeroMQ IPC sockets (files in the bound `ipc` folder), because TCP on
loopback cannot cross `--unshare-net`.
"""

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

KERNEL_NAME = "autograder-sandbox"

# Folders that must stay visible: hiding them would break Python itself.
_SYSTEM_FOLDERS = {Path(p) for p in ("/", "/usr", "/bin", "/lib", "/lib64", "/etc", "/opt", "/var", "/sys", "/proc")}


@dataclass
class Limits:
    cell_timeout: int = 120  # seconds of wall-clock per cell (nbgrader's Execute.timeout)
    notebook_timeout: int = 600  # seconds of wall-clock for the whole notebook
    memory_mb: int = 6144  # address space of the kernel; torch needs ~1.5 GiB of it just to import
    cpu_seconds: int = 1200  # CPU time, a backstop for loops that ignore the interrupt
    processes: int = 256  # processes and threads of the kernel's user
    file_mb: int = 512  # largest file the kernel may write
    threads: int = 0  # torch/OpenMP threads of one kernel; 0 keeps the library's default (all cores)


def bubblewrap_available():
    """True when bubblewrap is installed and can create a sandbox here (it needs user namespaces or root)."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return False
    probe = subprocess.run(
        [bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--unshare-net", "--unshare-pid", "true"],
        capture_output=True,
        timeout=30,
    )
    return probe.returncode == 0


def _package_root(name):
    """The folder that holds the importable package `name` (what goes on PYTHONPATH), or None."""
    spec = find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]).resolve().parent


def _is_inside(path, folder):
    try:
        Path(path).resolve().relative_to(Path(folder).resolve())
        return True
    except ValueError:
        return False


def _hideable(folder, keep):
    folder = Path(folder).resolve()
    if folder in _SYSTEM_FOLDERS or not folder.is_dir():
        return False
    # Never hide a folder that holds the Python interpreter's own installation.
    return not any(_is_inside(k, folder) and k.is_relative_to("/usr") for k in keep)


def thread_env(limits):
    """Environment that caps a kernel's compute threads: with several workers, each kernel using every
    core would make them fight over the same cores and grade slower than one worker."""
    if not limits.threads:
        return {}
    return {name: str(limits.threads) for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")}


def _limit_args(limits):
    return [
        f"--as={limits.memory_mb * 1024 * 1024}",
        f"--cpu={limits.cpu_seconds}",
        f"--nproc={limits.processes}",
        f"--fsize={limits.file_mb * 1024 * 1024}",
        "--core=0",
    ]


def kernel_argv(*, scratch, ipc_dir, hidden, uid, limits, sandboxed):
    """The kernelspec argv that starts ipykernel for one worker."""
    python = sys.executable
    prlimit = shutil.which("prlimit")
    kernel = [python, "-m", "ipykernel_launcher"]
    if not sandboxed:
        wrapper = [prlimit, *_limit_args(limits), "--"] if prlimit else []
        return [*wrapper, *kernel, "-f", "{connection_file}"]

    prefix = Path(sys.prefix).resolve()
    keep = [prefix, Path(sys.base_prefix).resolve(), Path(python).resolve().parent]
    abcrnn_root = _package_root("abcrnn")
    rebind = [prefix] + ([Path(sys.base_prefix).resolve()] if Path(sys.base_prefix).resolve() != prefix else [])
    if abcrnn_root is not None and not _is_inside(abcrnn_root, prefix):
        rebind.append(abcrnn_root / "abcrnn")

    argv = [shutil.which("bwrap"), "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
    tmpfs = [Path("/tmp")]
    for folder in sorted({Path(h).resolve() for h in hidden}):
        if _hideable(folder, keep):
            argv += ["--tmpfs", str(folder)]
            tmpfs.append(folder)
    made = set()

    def bind(kind, folder):
        # bwrap creates missing folders inside a tmpfs with mode 0700, which the kernel's user could not
        # traverse; create them first with mode 0755.
        folder = Path(folder).resolve()
        for hidden_root in tmpfs:
            if folder != hidden_root and _is_inside(folder, hidden_root):
                for ancestor in reversed(folder.relative_to(hidden_root).parents[:-1]):
                    path = hidden_root / ancestor
                    if path not in made:
                        made.add(path)
                        argv.extend(["--perms", "0755", "--dir", str(path)])
        argv.extend([kind, str(folder), str(folder)])

    for folder in rebind:
        bind("--ro-bind", folder)
    bind("--bind", scratch)
    bind("--bind", ipc_dir)
    # A GPU, when the grading machine has one, stays usable (the tests run on cuda when available).
    for device in sorted(Path("/dev").glob("nvidia*")):
        argv += ["--dev-bind", str(device), str(device)]
    argv += ["--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--die-with-parent"]
    # --clearenv: the instructor's environment (tokens, credentials) must not reach student code.
    argv += ["--new-session", "--clearenv", "--chdir", str(scratch)]
    env = {"PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"]),
           "LANG": "C.UTF-8", "NBGRADER_EXECUTION": os.environ.get("NBGRADER_EXECUTION", "autograde"),
           "PYTHONUNBUFFERED": "1", "HOME": scratch, "MPLCONFIGDIR": f"{scratch}/.matplotlib", "JUPYTER_RUNTIME_DIR": f"{scratch}/.jupyter",
           "IPYTHONDIR": f"{scratch}/.ipython", "TMPDIR": "/tmp", "PYTHONDONTWRITEBYTECODE": "1"}
    if abcrnn_root is not None and abcrnn_root not in (prefix,):
        env["PYTHONPATH"] = str(abcrnn_root)
    env.update(thread_env(limits))
    for name, value in env.items():
        argv += ["--setenv", name, str(value)]
    # jupyter_client writes the connection file readable by root only; the kernel runs as `uid`, so a root
    # shell inside the sandbox hands it a copy before dropping privileges for good.
    limited = [prlimit, *_limit_args(limits), "--"] if prlimit else []
    if os.geteuid() != 0:  # an ordinary user: the limits already bind, nothing to drop
        return [*argv, *limited, *kernel, "-f", "{connection_file}"]
    own_copy = f"{ipc_dir}/connection.json"
    drop = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups"]
    launch = " ".join(_quote(a) for a in [*drop, *limited, *kernel, "-f", own_copy])
    script = f'cp "$1" {own_copy} && chown {uid}:{uid} {own_copy} && exec {launch}'
    return [*argv, "/bin/sh", "-c", script, "sh", "{connection_file}"]


def _quote(text):
    import shlex

    return shlex.quote(str(text))


def install_kernelspec(kernels_dir, *, scratch, ipc_dir, hidden, uid, limits, sandboxed):
    """Write the kernelspec `autograder-sandbox` under `kernels_dir` (a folder on JUPYTER_PATH + /kernels)."""
    spec_dir = Path(kernels_dir) / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": kernel_argv(scratch=scratch, ipc_dir=ipc_dir, hidden=hidden, uid=uid, limits=limits,
                            sandboxed=sandboxed),
        "display_name": "Python 3 (autograder sandbox)",
        "language": "python",
        # A signal sent to bwrap would not reach the kernel; an interrupt message does.
        "interrupt_mode": "message",
        "env": {"NBGRADER_EXECUTION": "autograde", "PYTHONUNBUFFERED": "1", **thread_env(limits)},
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1))
    return spec_dir


def prepare_folder(path, uid, sandboxed):
    """An empty folder owned by the kernel's user (so that the kernel can write there)."""
    path = Path(path)
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    if sandboxed and os.geteuid() == 0:
        os.chown(path, uid, uid)
    return path


def processes_of(uid):
    """Process ids running as `uid` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("Uid:"):
                    if int(line.split()[1]) == uid:
                        found.append(int(entry.name))
                    break
        except (OSError, ValueError):
            continue
    return found


def reap(uid, wait_seconds=10.0):
    """Kill whatever the previous kernel of this worker's user left behind (e.g. a fork bomb's children,
    which would otherwise count against the next kernel's process limit)."""
    import signal
    import time

    if uid == 0 or os.geteuid() != 0:
        return
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        pids = processes_of(uid)
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.1)
