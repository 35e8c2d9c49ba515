"""A static scan of each answer's text for the usual tricks, flagged for the instructor's review with the reason:
an IPython custom exception handler, a replaced `sys.excepthook`, rebinding builtins, patching functions of torch,
numpy, math, IPython or unittest. Such tricks cannot change a grade any more (the checks run outside the student's
process, judge.py), but they say something about the submission that the instructor should see. What the text
hides, the probe reports when it happens (runtime/probe.py).
"""

import ast

from .messages import t

# Modules whose functions tests rely on; assigning to their attributes is tampering.
WATCHED_MODULES = {"torch", "numpy", "np", "math", "builtins", "sys", "IPython", "unittest", "random", "nn", "F",
                   "testing", "pytest", "inspect", "warnings"}
# Builtins that tests rely on, exceptions and functions alike; rebinding their names is tampering.
WATCHED_BUILTINS = {"AssertionError", "Exception", "BaseException", "ValueError", "TypeError", "RuntimeError",
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
                elif isinstance(leaf, ast.Name) and leaf.id in WATCHED_BUILTINS:
                    reasons.append(t("scan_rebind", name=leaf.id))
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in WATCHED_BUILTINS:
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
