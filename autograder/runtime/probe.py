"""The probe: one student's notebook in a fresh Python process, answering the judge's questions about it.

    python -I probe.py REQUEST_FD ANSWER_FD [alone]        (inside the sandbox)

`alone`: the probe runs in a PID namespace of its own (bubblewrap's), so it may end every other process
there once student code returns.

It holds no hidden test and decides nothing. The judge (autograder/judge.py, another process that never runs
student code) sends the notebook's code cells (already plain Python), then requests: "call this function with
these arguments", "run these steps on a model of this class". The probe answers with data (values, shapes,
gradients, sampled text) and the judge compares them with what it expects. So a student's code may do anything
here, it cannot change a verdict; the most it can do is make its own answers wrong.

Still, everything that student code could use to pry is watched and reported, so that the instructor sees it:
- a PEP 578 audit hook, installed before any student code (it cannot be removed), records frame and garbage-
  collector introspection, tracing, code-object tampering, ctypes, new audit hooks, processes and sockets,
  and code compiled under a file name that is not the notebook's own;
- the namespaces of the libraries the judge relies on (torch, numpy, builtins...) are fingerprinted before the
  notebook runs; attributes replaced afterwards (monkeypatching, however it was done) are reported.
References to the functions this file needs are taken before student code runs and kept in local variables of
`main` and arguments of the helpers, so reassigning a module attribute does not reach them.

This file is public on purpose (it holds nothing secret) and imports nothing from the rest of the grader.
"""

import os
import sys

WATCHED_EVENTS = {
    "sys._getframe", "sys.settrace", "sys.setprofile", "sys.addaudithook", "gc.get_objects",
    "gc.get_referrers", "gc.get_referents", "ctypes.dlopen", "ctypes.dlsym", "ctypes.cdata",
    "ctypes.addressof", "ctypes.string_at", "ctypes.wstring_at", "ctypes.call_function",
    "subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.fork", "os.forkpty", "os.kill",
    "socket.connect", "socket.bind", "socket.__new__", "code.__new__", "function.__new__",
    "object.__setattr__", "object.__delattr__", "sys.unraisablehook", "cpython.run_command",
}
FRAME_ATTRIBUTES = {"tb_frame", "gi_frame", "cr_frame", "ag_frame", "f_back", "__code__", "f_code"}
HELPER_FILES = ("inspect.py", "traceback.py", "linecache.py", "functools.py", "operator.py")
LIBRARIES = ("torch", "numpy", "builtins", "math", "random", "abcrnn", "json", "marshal", "os", "sys", "io",
             "warnings", "copy", "gc", "inspect", "types", "functools", "unittest", "IPython", "matplotlib")
MAX_TEXT = 600  # characters of a student's error message sent back
MAX_ITEMS = 20_000_000  # numbers in one answer


def make_audit_hook(state, cell_prefix):
    """An audit hook that records watched events raised while student code runs (state["student"] > 0).

    An event counts when the code that raised it was compiled from a notebook cell (its file name starts with
    `cell_prefix`); so does a cell compiling code under a real file's name (code posing as a library's).
    """
    getframe = sys._getframe
    seen = state["events"]

    def hook(event, args):
        if not state["student"] or state["inside"]:
            return
        state["inside"] = True
        try:
            disguised = event == "compile" and len(args) > 1 and isinstance(args[1], str) and not args[1].startswith("<")
            if disguised or event in WATCHED_EVENTS or (event == "object.__getattr__" and len(args) > 1
                                                        and args[1] in FRAME_ATTRIBUTES):
                frame = getframe(1)  # the code that asked, past helpers that only pass the request on
                while frame is not None and frame.f_code.co_filename.endswith(HELPER_FILES):
                    frame = frame.f_back
                if frame is not None and frame.f_code.co_filename.startswith(cell_prefix):
                    if disguised:
                        seen.add(f"compile під чужою назвою файлу ({args[1][:80]})")
                    else:
                        seen.add(event if event != "object.__getattr__" else f"доступ до {args[1]}")
        finally:
            state["inside"] = False

    return hook


def fingerprint(modules, keep_objects=False):
    """{(module, name): id} of every function and class of the given modules, and of the methods of the
    classes they define (with keep_objects, {(module, name): (id, the object)})."""
    import warnings

    found = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # some library objects warn when merely inspected
        for module_name, module in modules:
            for key, value in _functions_of(module_name, module):
                found[key] = (id(value), value) if keep_objects else id(value)
    return found


def _functions_of(module_name, module):
    """((owner, name), object) of a module's functions and classes, and its classes' methods. Data and
    settings (warnings.filters, cudnn flags) change honestly and are left out, so are private names."""
    package = module_name.split(".")[0]
    for name, value in list(getattr(module, "__dict__", {}).items()):
        if not callable(value) or (name.startswith("_") and not name.startswith("__")):
            continue
        yield (module_name, name), value
        if isinstance(value, type) and str(getattr(value, "__module__", "")).split(".")[0] == package:
            for attribute, member in list(vars(value).items()):
                if (callable(member) or isinstance(member, (staticmethod, classmethod))) and not (
                        attribute.startswith("_") and not attribute.startswith("__")):
                    yield (f"{module_name}.{name}", attribute), member


def changed_attributes(before, modules):
    """Names whose value is now another object than at the fingerprint: not names that only appeared, and
    not a library's own wrapper around the original (functools.wraps keeps it as __wrapped__, as torch does
    when it adds profiling hooks to an optimizer's step)."""
    after = fingerprint(modules, keep_objects=True)
    changed = []
    for key, ident in before.items():
        if key in after and after[key][0] != ident and not _wraps(after[key][1], ident):
            changed.append(f"{key[0]}.{key[1]}")
    return sorted(changed)


def _wraps(value, ident):
    for _ in range(5):
        value = getattr(value, "__wrapped__", None)
        if value is None:
            return False
        if id(value) == ident:
            return True
    return False


def main(request_fd, answer_fd, alone=False):
    # Everything the probe relies on is bound here, before any student code exists.
    import base64
    import gc
    import json
    import random
    import signal
    import time

    import numpy
    import torch
    import torch.nn.functional as functional

    read, write, b64encode, b64decode = os.read, os.write, base64.b64encode, base64.b64decode
    getpid, hard_exit, own_pid = os.getpid, os._exit, os.getpid()
    kill, wait_child, sleep, sigkill, no_hang = os.kill, os.waitpid, time.sleep, signal.SIGKILL, os.WNOHANG
    dumps, loads, monotonic, get_objects = json.dumps, json.loads, time.monotonic, gc.get_objects
    tensor_type, ndarray_type, module_type, optimizer_type = torch.Tensor, numpy.ndarray, torch.nn.Module, torch.optim.Optimizer
    type_of, is_instance = type, isinstance
    cell_prefix = "<notebook cell "
    state = {"student": 0, "inside": False, "events": set()}
    sys.addaudithook(make_audit_hook(state, cell_prefix))
    report_changes, programs, describe_error = changed_attributes, dict(PROGRAMS), describe
    watched, baseline = [], {}

    def hello(preload):
        """Import what the notebook will (so that its libraries are fingerprinted too), then fingerprint."""
        for name in preload:
            try:
                __import__(name)
            except Exception:
                pass  # the notebook's own cell will say what is wrong
        watched.extend((name, module) for name, module in list(sys.modules.items())
                       if name.split(".")[0] in LIBRARIES and module is not None and name.count(".") <= 2)
        watched.append(("probe", sys.modules[__name__]))  # this very file: its helpers must stay its own
        baseline.update(fingerprint(watched))
        return {}
    namespace = {"__name__": "__main__", "__builtins__": __builtins__}
    tools = {"torch": torch, "numpy": numpy, "functional": functional, "random": random, "b64encode": b64encode,
             "b64decode": b64decode, "tensor_type": tensor_type, "ndarray_type": ndarray_type,
             "module_type": module_type, "type_of": type_of, "is_instance": is_instance}

    def receive():
        header = b""
        while len(header) < 8:
            chunk = read(request_fd, 8 - len(header))
            if not chunk:
                raise SystemExit(0)
            header += chunk
        size, data = int.from_bytes(header, "big"), b""
        while len(data) < size:
            chunk = read(request_fd, min(1 << 20, size - len(data)))
            if not chunk:
                raise SystemExit(0)
            data += chunk
        return loads(data.decode("utf-8"))

    def send(message):
        data = dumps(message, ensure_ascii=False).encode("utf-8", "backslashreplace")
        data = len(data).to_bytes(8, "big") + data
        while data:
            data = data[write(answer_fd, data):]

    def student(call, *args, **kwargs):
        state["student"] += 1
        try:
            return call(*args, **kwargs)
        finally:
            if getpid() != own_pid:  # a process the student's code forked must never answer the judge
                hard_exit(0)
            state["student"] -= 1
            if alone:
                end_other_processes()

    def end_other_processes():
        """No process the student's code started outlives the call that started it. A fork bomb keeps its
        processes' number at the sandbox's limit (each that fails to fork exits, and frees a place for another):
        left alone, it would share the cores with every later check and leave torch no thread to start.
        kill(-1) reaches every process of this PID namespace but the probe and bubblewrap's init; children of
        the probe are then reaped (zombies count against the limit too)."""
        for _ in range(200):
            try:
                kill(-1, sigkill)
            except ProcessLookupError:  # nothing left to end
                break
            try:
                while wait_child(-1, no_hang)[0] > 0:
                    pass
            except ChildProcessError:
                pass
            sleep(0.005)

    def seed(value):
        random.seed(value)
        numpy.random.seed(value)
        torch.manual_seed(value)

    def run_cells(cells, cell_timeout):
        report = []
        signal.signal(signal.SIGALRM, _alarm)
        for index, source in cells:
            started = monotonic()
            signal.setitimer(signal.ITIMER_REAL, cell_timeout)
            try:
                code = compile(source, f"{cell_prefix}{index}>", "exec")
                student(exec, code, namespace)
                report.append([index, "ok", ""])
            except BaseException as error:  # a student's error, or the time limit of the cell
                report.append([index, "error", describe_error(error, tools)])
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            report[-1].append(round(monotonic() - started, 3))
        return report

    context = {"namespace": namespace, "student": student, "seed": seed, "tools": tools,
               "get_objects": get_objects, "optimizer_type": optimizer_type}
    namespace.update(_notebook_stand_ins())
    while True:
        request = receive()
        started = monotonic()
        try:
            if request["op"] == "run":
                answer = {"cells": run_cells(request["cells"], request["cell_timeout"])}
            elif request["op"] == "hello":
                answer = hello(request.get("preload", []))
            elif request["op"] == "report":
                answer = {}
            else:
                seed(request.get("seed", 0))
                answer = {"value": programs[request["op"]](context, **request.get("args", {}))}
            answer["ok"] = True
        except StudentError as error:
            answer = {"ok": False, "error": str(error), "crash": isinstance(error, StudentCrash)}
        except BaseException as error:  # a program's input the student's code made impossible
            answer = {"ok": False, "error": describe_error(error, tools)}
        if request["op"] == "report":  # asked once, at the end: fingerprinting takes a fifth of a second
            answer["tampered"] = report_changes(baseline, watched)
        answer["events"] = sorted(state["events"])
        answer["seconds"] = round(monotonic() - started, 3)
        send(answer)


class StudentError(Exception):
    """The student's code cannot answer; the message (Ukrainian) says why, already cut to size."""


class StudentCrash(StudentError):
    """The student's code raised an exception; the message is its type and text (describe)."""


class CellTimeout(BaseException):
    pass


def _alarm(signum, frame):
    raise CellTimeout()


def describe(error, tools):
    """A short, printable description of an exception raised by student code (never its traceback)."""
    if tools["type_of"](error) is CellTimeout:
        return "Клітинка перевищила ліміт часу й була перервана."
    name = tools["type_of"](error).__name__
    try:
        text = str(error)[:MAX_TEXT] if isinstance(error.args, tuple) else ""
    except BaseException:
        text = ""
    text = "".join(ch if ch.isprintable() or ch == "\n" else "?" for ch in text)
    return f"{name}: {text}".strip().rstrip(":")[:MAX_TEXT]


def _notebook_stand_ins():
    """What a notebook cell may call that only IPython provides: magics and displays do nothing here."""
    class Shell:
        def run_line_magic(self, *args, **kwargs):
            return None

        run_cell_magic = system = getoutput = run_line_magic

        def __getattr__(self, name):
            return self.run_line_magic

    shell = Shell()
    return {"get_ipython": lambda: shell, "display": lambda *args, **kwargs: None}


# ----- answers as data ---------------------------------------------------------------------------------------

def encode(value, tools, depth=0, budget=None):
    """JSON-able data for a value returned by student code; unknown objects become their type's name."""
    budget = budget if budget is not None else [MAX_ITEMS]
    kind = tools["type_of"](value)
    if value is None or kind in (bool, int, float, str):
        if kind is str and len(value) > 5_000_000:
            raise StudentError("Результат — надто довгий рядок.")
        return value if kind is not float or value == value and abs(value) != float("inf") else {"float": repr(value)}
    if kind is tools["tensor_type"]:
        return _encode_tensor(value, tools, budget)
    if kind is tools["ndarray_type"]:
        return _encode_array(value, tools, budget)
    if depth > 6:
        raise StudentError("Результат вкладений надто глибоко.")
    if kind in (list, tuple):
        budget[0] -= len(value)
        if budget[0] < 0:
            raise StudentError("Результат завеликий.")
        return {kind.__name__: [encode(item, tools, depth + 1, budget) for item in value]}
    if kind is dict:
        budget[0] -= len(value)
        if budget[0] < 0:
            raise StudentError("Результат завеликий.")
        return {"dict": [[encode(k, tools, depth + 1, budget), encode(v, tools, depth + 1, budget)]
                         for k, v in list(value.items())]}
    numpy = tools["numpy"]
    if isinstance(value, numpy.generic) and kind.__module__ == "numpy":
        return {"npscalar": str(value.dtype), "value": value.item()}
    return {"object": f"{kind.__module__}.{kind.__qualname__}"[:200]}


def _encode_tensor(value, tools, budget):
    torch = tools["torch"]
    budget[0] -= value.numel()
    if budget[0] < 0:
        raise StudentError("Результат завеликий.")
    if value.device.type == "meta":  # shapes without values: what the device argument was made for
        return {"tensor": str(value.dtype).replace("torch.", ""), "shape": list(value.shape), "device": "meta",
                "data": None, "requires_grad": bool(value.requires_grad)}
    data = value.detach().to("cpu")
    dtype = str(value.dtype).replace("torch.", "")
    if data.dtype in (torch.bfloat16, torch.float16):
        data = data.float()
    if data.is_complex() or data.dtype not in (torch.float32, torch.float64, torch.int64, torch.int32, torch.int16,
                                               torch.int8, torch.uint8, torch.bool, torch.float16, torch.bfloat16):
        return {"tensor": dtype, "shape": list(value.shape), "device": value.device.type, "data": None,
                "requires_grad": bool(value.requires_grad)}
    array = data.contiguous().numpy()
    return {"tensor": dtype, "shape": list(value.shape), "device": value.device.type,
            "requires_grad": bool(value.requires_grad), "grad_fn": value.grad_fn is not None,
            "array": str(array.dtype), "data": tools["b64encode"](array.tobytes()).decode("ascii")}


def _encode_array(value, tools, budget):
    budget[0] -= value.size
    if budget[0] < 0:
        raise StudentError("Результат завеликий.")
    if value.dtype.kind not in "biuf":
        return {"ndarray": str(value.dtype), "shape": list(value.shape), "data": None}
    array = tools["numpy"].ascontiguousarray(value)
    return {"ndarray": str(array.dtype), "shape": list(array.shape),
            "data": tools["b64encode"](array.tobytes()).decode("ascii")}


def decode(data, tools):
    """A judge's argument: plain JSON values, {"tensor"|"ndarray": ...} arrays, {"tuple": [...]}."""
    if isinstance(data, list):
        return [decode(item, tools) for item in data]
    if not isinstance(data, dict):
        return data
    if "tuple" in data:
        return tuple(decode(item, tools) for item in data["tuple"])
    numpy = tools["numpy"]
    array = numpy.frombuffer(tools["b64decode"](data["data"]), dtype=data["array"]).reshape(data["shape"]).copy()
    if "tensor" in data:
        return tools["torch"].from_numpy(array).to(data.get("device", "cpu"))
    return array


# ----- programs: what the judge may ask --------------------------------------------------------------------

def _lookup(context, name, kind="функцію"):
    if name not in context["namespace"]:
        raise StudentError(f"Не знайдено {kind} {name}: чи виконується клітинка з відповіддю без помилок?")
    return context["namespace"][name]


def _call_student(context, target, *args, **kwargs):
    try:
        return context["student"](target, *args, **kwargs)
    except StudentError:
        raise
    except BaseException as error:
        raise StudentCrash(describe(error, context["tools"]))


def program_values(context, names):
    """The notebook's variables `names` (missing ones are left out)."""
    namespace, tools = context["namespace"], context["tools"]
    return {name: encode(namespace[name], tools) for name in names if name in namespace}


def program_facts(context, name):
    """Facts of the notebook's tensor `name` without its values: dtype, shape, device, zeros."""
    tools = context["tools"]
    value = _lookup(context, name, "змінну")
    if tools["type_of"](value) is not tools["tensor_type"]:
        return encode(value, tools) if tools["type_of"](value) in (int, float, str, bool) else \
            {"object": tools["type_of"](value).__qualname__}
    return {"facts": str(value.dtype).replace("torch.", ""), "shape": list(value.shape), "device": value.device.type,
            "nonzero": int(value.count_nonzero()), "requires_grad": bool(value.requires_grad)}


def program_module(context, name):
    """The structure of the notebook's nn.Module `name`: its type and every submodule's type and sizes."""
    tools = context["tools"]
    value = _lookup(context, name, "змінну")
    if not isinstance(value, tools["module_type"]):
        return {"type": tools["type_of"](value).__qualname__, "module": False}
    parts = []
    for part in value.modules():
        kind = tools["type_of"](part)
        entry = {"type": kind.__qualname__, "library": kind.__module__.startswith("torch.nn")}
        for attribute in ("in_features", "out_features"):
            if isinstance(getattr(part, attribute, None), int):
                entry[attribute] = getattr(part, attribute)
        entry["bias"] = getattr(part, "bias", None) is not None
        parts.append(entry)
    return {"type": tools["type_of"](value).__qualname__, "module": True, "parts": parts,
            "sequential": isinstance(value, tools["torch"].nn.Sequential),
            "parameters": int(sum(p.numel() for p in value.parameters()))}


def program_call(context, function, args=(), kwargs=None, times=1):
    """function(*args, **kwargs) of the student's code, as data (a list of `times` results when times > 1)."""
    tools = context["tools"]
    target = _lookup(context, function)
    results = []
    for _ in range(times):
        arguments = decode(list(args), tools)
        keywords = {k: decode(v, tools) for k, v in (kwargs or {}).items()}
        results.append(encode(_call_student(context, target, *arguments, **keywords), tools))
    return results[0] if times == 1 else {"list": results}


def program_gradients(context, function, args, wrt, upstream):
    """function(*args) with the arguments at indices `wrt` requiring gradients, then backward of
    sum(result * upstream); the result and each argument's gradient."""
    tools = context["tools"]
    values = decode(list(args), tools)
    for index in wrt:
        values[index] = values[index].clone().requires_grad_(True)
    result = _call_student(context, _lookup(context, function), *values)
    if tools["type_of"](result) is not tools["tensor_type"]:
        raise StudentError(f"{function} має повертати тензор, а повертає {tools['type_of'](result).__name__}.")
    weight = decode(upstream, tools).to(result.device) if upstream is not None else None
    total = (result * weight).sum() if weight is not None else result.sum()
    _call_student(context, total.backward)
    return {"result": encode(result, tools), "grads": [encode(values[i].grad, tools) for i in wrt]}


def _model(context, cls, ctor, device, instance=None):
    tools = context["tools"]
    if instance is not None:
        import copy

        model = _call_student(context, copy.deepcopy, _lookup(context, instance, "модель"))
    else:
        model = _call_student(context, _lookup(context, cls, "клас"), *ctor)
    if not isinstance(model, tools["module_type"]):
        raise StudentError(f"{instance or cls} має бути моделлю PyTorch (підкласом nn.Module).")
    return _call_student(context, model.to, device)


def program_model(context, cls, ctor, device, steps, instance=None):
    """Build cls(*ctor) (or take a copy of the notebook's model `instance`) on `device` and run `steps` on it;
    the list of their results.

    Steps: ["forward", x, state, return_state] (state: null, or the index of an earlier step whose result
    holds a state); ["init_hidden", batch]; ["parameters"]; ["eval"]; ["train"];
    ["backward_ce", x, y] (cross-entropy of the logits against y, then every parameter's gradient);
    ["backward_weighted", x, upstream] (gradients of sum(model(x) * upstream)); ["zero_grad"].
    """
    tools, torch = context["tools"], context["tools"]["torch"]
    model = _model(context, cls, ctor, device, instance)
    results, kept = [], []
    for step in steps:
        kind, rest = step[0], step[1:]
        if kind == "forward":
            x, state_from, return_state = rest
            state = None if state_from is None else _state_of(kept[state_from])
            inputs = decode(x, tools).to(device)
            output = _call_student(context, model, inputs, state, return_state=return_state) if state is not None \
                else (_call_student(context, model, inputs, return_state=True) if return_state else _call_student(context, model, inputs))
            kept.append(output)
            results.append(encode(_detached(output, tools), tools))
        elif kind == "init_hidden":  # ["init_hidden", batch] or ["init_hidden", batch, another device]
            where = torch.device(rest[1] if len(rest) > 1 else device)
            output = _call_student(context, model.init_hidden, rest[0], where)
            kept.append(output)
            results.append(encode(_detached(output, tools), tools))
        elif kind == "parameters":
            kept.append(None)
            results.append(_parameters(model, tools))
        elif kind in ("eval", "train", "zero_grad"):
            _call_student(context, getattr(model, kind))
            kept.append(None)
            results.append(None)
        elif kind in ("backward_ce", "backward_weighted"):
            x = decode(rest[0], tools).to(device)
            logits = _call_student(context, model, x)
            if tools["type_of"](logits) is not tools["tensor_type"]:
                raise StudentError("Модель має повертати тензор логітів.")
            target = decode(rest[1], tools).to(device)
            if kind == "backward_ce":
                total = tools["functional"].cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1))
            else:
                total = (logits * target).sum()
            _call_student(context, total.backward)
            kept.append(None)
            results.append(_parameters(model, tools, with_grad=True))
    return results


def _state_of(output):
    if isinstance(output, tuple) and len(output) == 2 and isinstance(output[1], tuple):
        return output[1]  # (logits, state)
    return output  # init_hidden's state


def _detached(value, tools):
    if tools["type_of"](value) is tools["tensor_type"]:
        return value.detach()
    if isinstance(value, (tuple, list)):
        return tools["type_of"](value)(_detached(item, tools) for item in value) if tools["type_of"](value) in (tuple, list) else value
    return value


def _parameters(model, tools, with_grad=False):
    found = []
    for name, parameter in model.named_parameters():
        entry = {"name": name, "value": encode(parameter.detach(), tools), "requires_grad": bool(parameter.requires_grad)}
        if with_grad:
            entry["grad"] = encode(parameter.grad, tools) if parameter.grad is not None else None
        found.append(entry)
    return found


def program_learn(context, cls, ctor, device, x, y, lr, steps):
    """Train cls(*ctor) with Adam(lr) and the student's compute_loss on one batch; the loss of every step."""
    tools, torch = context["tools"], context["tools"]["torch"]
    model = _model(context, cls, ctor, device)
    compute_loss = _lookup(context, "compute_loss")
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    inputs, targets, losses = decode(x, tools).to(device), decode(y, tools).to(device), []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = _call_student(context, compute_loss, targets, _call_student(context, model, inputs))
        if tools["type_of"](loss) is not tools["tensor_type"] or loss.numel() != 1:
            raise StudentError("compute_loss має повертати скалярний тензор.")
        _call_student(context, loss.backward)
        optimizer.step()
        losses.append(float(loss.detach()))
    return losses


def program_train_step(context, device, vocab, batches, lr):
    """The student's train_step(x, y) on a tiny Embedding + Linear model and SGD(lr), with the notebook's
    globals model, optimizer and compute_loss swapped for them (and put back after); per batch the value
    train_step returned, and the parameters before and after every step."""
    tools, torch, namespace = context["tools"], context["tools"]["torch"], context["namespace"]
    train_step = _lookup(context, "train_step")

    class Tiny(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = torch.nn.Embedding(vocab, 5)
            self.fc = torch.nn.Linear(5, vocab)

        def init_hidden(self, batch_size, device):
            zeros = torch.zeros(1, batch_size, 1, device=device)
            return zeros, zeros.clone()

        def forward(self, x, state=None, return_state=False):
            logits = self.fc(self.embedding(x))
            return (logits, state) if return_state else logits

    def reference_loss(labels, logits):
        return tools["functional"].cross_entropy(logits.reshape(-1, logits.size(-1)), labels.reshape(-1))

    model = Tiny().to(device)
    saved = {name: namespace.get(name) for name in ("model", "optimizer", "compute_loss")}
    namespace.update(model=model, optimizer=torch.optim.SGD(model.parameters(), lr=lr), compute_loss=reference_loss)
    snapshots, returned = [_parameters(model, tools)], []
    try:
        for x, y in batches:
            value = _call_student(context, train_step, decode(x, tools).to(device), decode(y, tools).to(device))
            returned.append(encode(_detached(value, tools), tools))
            snapshots.append(_parameters(model, tools))
    finally:
        namespace.update(saved)
    return {"returned": returned, "parameters": snapshots}


def program_generate(context, device, vocab, mode, table, start, length=None, temperature=None, training_table=None):
    """The student's generate_text on a stub model whose next-character logits the judge chose:
    mode "first": table[first character the model has read since its initial state];
    mode "count": table[number of characters read since its initial state, modulo the table's length];
    mode "current": table[the character at each position] (whatever came before it);
    mode "fixed": table[0]. With `training_table`, a model in training mode or with gradients enabled answers
    from training_table[0] instead. `length` and `temperature` are left out of the call when None (their
    defaults). Returns the generated text."""
    tools, torch = context["tools"], context["tools"]["torch"]
    logits_table = decode(table, tools).to(device).float()
    careless_row = None if training_table is None else decode(training_table, tools).to(device).float()[0]
    generate_text = _lookup(context, "generate_text")

    class Stub(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.anchor = torch.nn.Parameter(torch.zeros(1))  # next(model.parameters()) works

        def init_hidden(self, batch_size, device):
            return torch.zeros(1, batch_size, 2, device=device), torch.zeros(1, batch_size, 2, device=device)

        def forward(self, x, state=None, return_state=False):
            if state is None:
                state = self.init_hidden(x.size(0), x.device)
            h = state[0].to(x.device)
            batch, length = x.shape
            first = torch.where(h[0, :, 0] == 0, x[:, 0].to(h.dtype) + 1, h[0, :, 0])
            counts = h[0, :, 1:2] + torch.arange(1, length + 1, device=x.device)
            if mode == "first":
                rows = (first[:, None].expand(batch, length) - 1).long()
            elif mode == "count":
                rows = counts.long() % logits_table.size(0)
            elif mode == "current":
                rows = x.long()
            else:
                rows = torch.zeros_like(x, dtype=torch.long)
            logits = logits_table[rows.reshape(-1)].reshape(batch, length, -1)
            if careless_row is not None and (self.training or torch.is_grad_enabled()):
                logits = careless_row.expand(batch, length, -1)
            new_state = (torch.stack([first, counts[:, -1]], dim=-1)[None], state[1])
            return (logits, new_state) if return_state else logits

    stub = Stub().to(device)
    keywords = {name: value for name, value in (("generation_length", length), ("temperature", temperature))
                if value is not None}
    return encode(_call_student(context, generate_text, stub, start, **keywords), tools)


def program_optimizers_holding(context, name):
    """How many torch optimizers anywhere in the process hold the notebook's variable `name` as a parameter."""
    target = context["namespace"].get(name)
    optimizer_type = context["optimizer_type"]
    count = 0
    for obj in context["get_objects"]():
        if isinstance(obj, optimizer_type):
            if any(parameter is target for group in obj.param_groups for parameter in group["params"]):
                count += 1
    return count


PROGRAMS = {
    "values": program_values,
    "facts": program_facts,
    "module": program_module,
    "call": program_call,
    "gradients": program_gradients,
    "model": program_model,
    "learn": program_learn,
    "train_step": program_train_step,
    "generate": program_generate,
    "optimizers_holding": program_optimizers_holding,
}


if __name__ == "__main__":
    sys.setrecursionlimit(10_000)
    main(int(sys.argv[1]), int(sys.argv[2]), alone=sys.argv[3:] == ["alone"])
