"""Detect attempts to make failing tests pass: flagged for the instructor's review, with the reason.

Two independent checks:
- a static scan of the student's answer code (`scan_answer`) for the usual tricks: an IPython custom
  exception handler, a replaced `sys.excepthook`, rebinding builtins, patching functions of torch, numpy,
  math, IPython or unittest;
- a runtime check (`RUNTIME_CHECK`), run silently in the kernel before every graded test cell, that the
  functions the tests rely on are still the libraries' own (code obfuscated past the scanner is still
  caught when it takes effect).
"""

import ast
import json

from .messages import t

# Modules whose functions tests rely on; assigning to their attributes is tampering.
WATCHED_MODULES = {"torch", "numpy", "np", "math", "builtins", "sys", "IPython", "unittest", "random", "nn", "F",
                   "testing", "pytest", "inspect", "warnings"}
BUILTIN_EXCEPTIONS = {"AssertionError", "Exception", "BaseException", "ValueError", "TypeError", "RuntimeError",
                      "isinstance", "len", "abs", "all", "any", "round", "float", "int", "type", "print", "max",
                      "min", "sum", "range", "getattr", "hasattr"}


# Settings students legitimately assign to (determinism, printing).
ALLOWED_SETTINGS = ("torch.backends.", "np.random.seed", "numpy.random.seed")


def _target_leaves(targets):
    """The assigned objects themselves (`a.b.c` in `a.b.c = x`, each element of a tuple target)."""
    for target in targets:
        if isinstance(target, (ast.Tuple, ast.List)):
            yield from _target_leaves(target.elts)
        elif isinstance(target, ast.Starred):
            yield from _target_leaves([target.value])
        else:
            yield target


def _dotted(node):
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    if isinstance(node, ast.Call):
        inner = _dotted(node.func)
        if inner:
            parts.append(inner + "()")
            return ".".join(reversed(parts))
    return None


def scan_answer(source):
    """Ukrainian reasons to review this answer by hand (empty when nothing suspicious is found)."""
    from .repair import _strip_magics

    try:
        tree = ast.parse(_strip_magics(source))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    reasons = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in {"set_custom_exc", "excepthook", "showtraceback",
                                                             "_showtraceback", "custom_exceptions"} \
                and not isinstance(node.ctx, ast.Store):
            reasons.append(t("scan_hook", name=_dotted(node) or node.attr))
        elif isinstance(node, ast.Name) and node.id in {"__builtins__", "__builtin__"}:
            reasons.append(t("scan_builtins", name=node.id))
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
            for leaf in _target_leaves(targets):
                name = _dotted(leaf) if isinstance(leaf, (ast.Attribute, ast.Subscript)) else None
                if isinstance(leaf, ast.Subscript):
                    name = _dotted(leaf.value)
                if name and name.split(".")[0].rstrip("()") in WATCHED_MODULES | {"get_ipython"} \
                        and not name.startswith(ALLOWED_SETTINGS):
                    reasons.append(t("scan_patch", name=name))
                elif isinstance(leaf, ast.Name) and leaf.id in BUILTIN_EXCEPTIONS:
                    reasons.append(t("scan_rebind", name=leaf.id))
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in BUILTIN_EXCEPTIONS:
            reasons.append(t("scan_rebind", name=node.name))
        elif isinstance(node, ast.Call):
            func = _dotted(node.func) or ""
            if func.split(".")[-1] in {"setattr", "delattr"} and node.args:
                first = _dotted(node.args[0]) or ""
                if first.split(".")[0].rstrip("()") in WATCHED_MODULES | {"get_ipython"}:
                    reasons.append(t("scan_patch", name=f"{func}({first}, ...)"))
            if func.endswith("register_post_run_cell") or func.endswith("events.register"):
                reasons.append(t("scan_hook", name=func))
    unique = []
    for reason in reasons:
        if reason not in unique:
            unique.append(reason)
    return unique


MARKER = "\u2063AUTOGRADER-INTEGRITY\u2063"

# Run in the student's kernel before each graded test cell. Everything lives inside one function that
# deletes itself, so the student's namespace is left as it was. A library function counts as intact when
# it is compiled C code or Python code from that library's own files; a lambda from the notebook is not.
RUNTIME_CHECK = r'''
def _autograder_integrity_check():
    import builtins, os, sys, types
    problems = []
    def library_code(obj, package):
        if isinstance(obj, (types.BuiltinFunctionType, types.BuiltinMethodType, type)):
            return getattr(obj, "__module__", "") in ("builtins", None) or str(getattr(obj, "__module__", "")).split(".")[0] in (package, "torch", "numpy", "_operator")
        code = getattr(getattr(obj, "__func__", obj), "__code__", None)
        if code is None:
            return type(obj).__module__.split(".")[0] in (package, "torch", "numpy", "builtins")
        module = sys.modules.get(package)
        roots = [os.path.dirname(os.path.realpath(getattr(module, "__file__", "") or ""))] if module else []
        path = os.path.realpath(code.co_filename)
        return any(root and path.startswith(root + os.sep) for root in roots)
    watched = {
        "torch": ["testing.assert_close", "allclose", "equal", "isclose", "all", "eq", "is_tensor", "Tensor.__eq__", "Tensor.allclose", "Tensor.equal"],
        "numpy": ["allclose", "isclose", "array_equal", "testing.assert_allclose", "testing.assert_array_equal", "testing.assert_equal"],
        "math": ["isclose"],
        "unittest": ["TestCase.assertEqual", "TestCase.assertTrue"],
    }
    for package, names in watched.items():
        module = sys.modules.get(package)
        if module is None:
            continue
        for dotted in names:
            obj = module
            try:
                for part in dotted.split("."):
                    obj = getattr(obj, part)
            except AttributeError:
                continue
            if not library_code(obj, package):
                problems.append(package + "." + dotted)
    for name in ("AssertionError", "Exception", "BaseException", "isinstance", "len", "abs", "all", "any", "print", "round", "float"):
        obj = getattr(builtins, name, None)
        if obj is None or getattr(obj, "__module__", "") != "builtins":
            problems.append("builtins." + name)
    if sys.excepthook is not sys.__excepthook__ and getattr(sys.excepthook, "__module__", "").split(".")[0] not in ("IPython", "ipykernel", "sys"):
        problems.append("sys.excepthook")
    shell = get_ipython() if "get_ipython" in globals() else None
    if shell is not None:
        if shell.custom_exceptions:
            problems.append("get_ipython().set_custom_exc")
        for name in ("showtraceback", "_showtraceback", "run_cell", "run_cell_async", "run_code", "run_ast_nodes"):
            for owner, label in ((shell, "get_ipython()."), (type(shell), "InteractiveShell.")):
                obj = getattr(owner, name, None)
                if obj is not None and not library_code(obj, "IPython") and not library_code(obj, "ipykernel"):
                    problems.append(label + name)
        if shell.events.callbacks.get("post_run_cell") or shell.events.callbacks.get("pre_run_cell"):
            names = [getattr(f, "__module__", "") or "" for f in shell.events.callbacks.get("post_run_cell", []) + shell.events.callbacks.get("pre_run_cell", [])]
            if any(not n.startswith(("IPython", "ipykernel", "matplotlib", "ipywidgets", "matplotlib_inline")) for n in names):
                problems.append("get_ipython().events")
    sys.stdout.write(MARKER + json.dumps(problems) + "\n")
try:
    _autograder_integrity_check()
finally:
    del _autograder_integrity_check
'''.replace("MARKER + json.dumps(problems)", repr(MARKER) + " + __import__('json').dumps(problems)")


def parse_runtime_output(outputs):
    """The tampered names the runtime check reported in a cell's outputs (None when it printed nothing)."""
    for output in outputs:
        if output.get("output_type") == "stream" and MARKER in output.get("text", ""):
            text = output["text"].split(MARKER, 1)[1].splitlines()[0]
            try:
                return list(json.loads(text))
            except (ValueError, TypeError):
                return ["?"]
    return None
