"""A short, stable hash of the code of functions and classes.

The training notebook saves a checkpoint and resumes it on the next run. Resuming is right only when the
code that shapes the model and its training is the code that made the checkpoint: a student who fixes a bug
in the model or the loss must start training again, not continue the buggy run. Hyperparameters are compared
as values; code is compared by this fingerprint.

The hash covers what the code does (bytecode, constants, names it uses, default arguments; nested functions
and methods too), not where it was defined, so it is the same in every session of the same Python version.
"""

import functools
import hashlib
import types


def code_fingerprint(*objects):
    """A 16-character hex digest of the code of `objects` (functions, classes, methods), in order.

    Any change to their code (a line, a constant, a default argument, a method of a class) changes it;
    running the same cells again in a new session gives the same value. Any other object counts as its
    class (a callable object as the code of its class).
    """
    digest = hashlib.sha256()
    for item in objects:
        digest.update(_describe(item).encode("utf-8", "backslashreplace"))
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def _describe(item):
    if isinstance(item, type):
        parts = [f"class {item.__name__}({','.join(base.__qualname__ for base in item.__bases__)})"]
        for name, member in sorted(vars(item).items()):
            inner = getattr(member, "__func__", None) or getattr(member, "fget", None) or member
            if isinstance(inner, types.FunctionType):
                parts.append(f"{name}={_describe(inner)}")
        return "\n".join(parts)
    if isinstance(item, functools.partial):  # its function and the arguments it fixes
        return f"partial({_describe(item.func)}){_constant((item.args, sorted(item.keywords.items())))}"
    function = getattr(item, "__func__", item)  # a bound method counts as its function
    if not isinstance(function, types.FunctionType):  # a callable object, a partial, a built-in: its type
        return _describe(type(item))
    defaults = (function.__defaults__, sorted((function.__kwdefaults__ or {}).items()))
    return f"def {function.__name__}{_constant(defaults)}:{_code(function.__code__)}"


def _code(code):
    consts = ",".join(_constant(value) for value in code.co_consts)
    return f"[{code.co_code.hex()}|{consts}|{','.join(code.co_names)}|{','.join(code.co_varnames)}]"


def _constant(value):
    if isinstance(value, types.CodeType):
        return _code(value)
    if isinstance(value, (tuple, list)):
        return "(" + ",".join(_constant(item) for item in value) + ")"
    if isinstance(value, frozenset):  # its order follows string hashing, which differs between sessions
        return "{" + ",".join(sorted(_constant(item) for item in value)) + "}"
    return repr(value)
