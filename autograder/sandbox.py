"""The sandbox a student's code runs in: a fresh process under bubblewrap, with resource limits.

Inside (bubblewrap, Debian package `bubblewrap`):
- only what Python needs is there, read-only: the system's /usr and /etc, the Python installation and its
  environment, the `abcrnn` package and the probe (autograder/runtime/). Nothing else of the machine exists
  inside: not this repository, not `solutions/`, not another copy of the course, not other students' files;
- the only writable places are a home folder and /tmp, both fresh, memory-backed and of limited size;
- no network, its own PID, IPC and UTS namespaces; it dies with the grader; once a student's call returns,
  the probe ends every other process of its PID namespace (runtime/probe.py), so a fork bomb or a process left
  running costs only the call that started it;
- as root, the code runs as an unprivileged user id claimed for this one job (claim_uid): two grading runs on
  one machine never share an id, and root ignores RLIMIT_NPROC, so only a non-root id has a working limit
  against fork bombs;
- prlimit sets memory (address space), CPU time, process count and file size limits.
Without bubblewrap (`sandboxed=False`, the instructor's explicit choice), only the limits apply.
"""

import contextlib
import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, fields
from importlib.util import find_spec
from pathlib import Path

RUNTIME = Path(__file__).resolve().parent / "runtime"  # the probe: public code, bound read-only
HOME = "/home/student"
UID_RANGE = range(61000, 62000)
LOCK_DIR = Path("/run/lock/abcrnn-sandbox") if os.geteuid() == 0 else Path(tempfile.gettempdir()) / "abcrnn-sandbox"


@dataclass
class Limits:
    """Every limit of a student's job, defined once (the CLI and the course read these defaults)."""
    cell_timeout: int = 120  # seconds for one notebook cell or one judge's request
    notebook_timeout: int = 600  # seconds for the whole job: the notebook and every check
    memory_mb: int = 6144  # address space of the process; torch needs ~1.5 GiB of it just to import
    cpu_seconds: int = 1200  # CPU time, a backstop for loops that ignore the interrupt
    processes: int = 256  # processes and threads of the sandbox's user
    file_mb: int = 512  # largest file the process may write
    disk_mb: int = 512  # the home folder and /tmp, each
    threads: int = 0  # torch/OpenMP threads; 0 keeps the library's default (all cores)

    @classmethod
    def from_dict(cls, values):
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in names})


def bubblewrap_available():
    """True when bubblewrap is installed and can create a sandbox here (it needs user namespaces or root)."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return False
    probe = subprocess.run([bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--unshare-net", "--unshare-pid", "true"],
                           capture_output=True, timeout=30)
    return probe.returncode == 0


def thread_env(limits):
    """Environment that caps compute threads: with several jobs at once, each using every core would make
    them fight over the same cores and grade slower than one."""
    if not limits.threads:
        return {}
    return {name: str(limits.threads) for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")}


@contextlib.contextmanager
def claim_uid():
    """A user id no other job on this machine uses while the block runs (a lock file per id), or None when
    the grader is not root (then the sandbox runs as the grader's own user)."""
    if os.geteuid() != 0:
        yield None
        return
    LOCK_DIR.mkdir(parents=True, exist_ok=True)
    for uid in UID_RANGE:
        handle = open(LOCK_DIR / f"{uid}.lock", "a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            continue
        try:
            yield uid
        finally:
            handle.close()  # releases the lock
        return
    raise RuntimeError("Усі ідентифікатори користувачів пісочниці зайняті.")


def _limit_args(limits):
    return [f"--as={limits.memory_mb * 2**20}", f"--cpu={limits.cpu_seconds}", f"--nproc={limits.processes}",
            f"--fsize={limits.file_mb * 2**20}", "--core=0"]


def _python_roots():
    """Folders the sandbox's Python needs: its installation, its environment and the abcrnn package."""
    roots = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve()}
    spec = find_spec("abcrnn")
    if spec is not None and spec.submodule_search_locations:
        package = Path(list(spec.submodule_search_locations)[0]).resolve()
        if not any(package.is_relative_to(root) for root in roots):
            roots.add(package)
    return sorted(roots)


def _system_binds():
    """/usr read-only, and the merged-/usr links (/bin -> usr/bin...) as links, or as binds where they are folders."""
    argv = ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib64", "lib32"):
        path = Path("/") / name
        if path.is_symlink():
            argv += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            argv += ["--ro-bind", str(path), str(path)]
    return argv + ["--ro-bind", "/etc", "/etc"]


def environment(limits):
    """The whole environment of the sandboxed process (nothing of the instructor's reaches it)."""
    env = {"PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"]),
           "LANG": "C.UTF-8", "HOME": HOME, "TMPDIR": "/tmp", "MPLCONFIGDIR": f"{HOME}/.matplotlib",
           "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1",
           "NBGRADER_EXECUTION": "autograde"}
    env.update(thread_env(limits))
    return env


def command(program, *, limits, uid, sandboxed):
    """(argv, env) that run `program` (an argv list) in the sandbox with `limits` as user `uid`."""
    limited = [shutil.which("prlimit"), *_limit_args(limits), "--"] if shutil.which("prlimit") else []
    if not sandboxed:
        home = Path(tempfile.mkdtemp(prefix="abcrnn-home-"))
        env = dict(environment(limits), HOME=str(home), MPLCONFIGDIR=str(home / ".matplotlib"),
                   TMPDIR=tempfile.gettempdir())
        return [*limited, *program], env
    size = str(limits.disk_mb * 2**20)
    # The fresh /tmp and home come first: a later bind may lie below them (a course checked out in /tmp),
    # and a tmpfs mounted after it would hide it.
    argv = [shutil.which("bwrap"), *_system_binds(), "--dev", "/dev", "--proc", "/proc", "--ro-bind", "/sys", "/sys",
            "--size", size, "--perms", "1777", "--tmpfs", "/tmp",
            "--size", size, "--perms", "1777", "--tmpfs", HOME]
    roots = [*_python_roots(), RUNTIME]
    # bwrap would make the folders leading to a bind readable by root only (e.g. /root of a pyenv Python);
    # made first with mode 0755, the sandbox's user can walk through them.
    for folder in sorted({parent for root in roots for parent in root.parents if parent != Path("/")}):
        argv += ["--perms", "0755", "--dir", str(folder)]
    for root in roots:
        argv += ["--ro-bind", str(root), str(root)]
    argv += ["--chdir", HOME]
    for device in sorted(Path("/dev").glob("nvidia*")):  # a GPU of the grading machine stays usable
        argv += ["--dev-bind", str(device), str(device)]
    argv += ["--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
             "--die-with-parent", "--new-session", "--clearenv"]
    for name, value in environment(limits).items():
        argv += ["--setenv", name, value]
    drop = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--"] if uid is not None else []
    return [*argv, *drop, *limited, *program], {}
