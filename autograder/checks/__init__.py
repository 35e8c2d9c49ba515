"""The hidden tests: one module per assignment, one function per graded test cell (by its nbgrader grade_id).

A check runs in the judge's process and never beside student code. It talks to the student's notebook only
through `Student` (programs of the probe: values, calls, models, gradients...), gets data back, and decides
with `expect`; the points are those of the test cell in the nbgrader source notebook. A check re-checks what
the cell's visible tests check (those ran in the student's own kernel and prove nothing) and more.

These modules are the answers' keepers: they never reach students (the student edition and the site leave
autograder/ out, and the probe never sees them).
"""

import importlib
import math
from dataclasses import dataclass

import numpy as np
import torch

from ..answers import ArrayAnswer, Opaque, TensorAnswer, TensorFacts, argument  # noqa: F401 (for the checks)

MAX_MESSAGE = 500


class Fail(Exception):
    """A check failed; `message` is what the student reads in the feedback."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def expect(condition, message):
    if not condition:
        raise Fail(message)


def student_message(text):
    """A message that may hold text from the student's code, made safe to show: printable, bounded, and
    without any line of a solution or hidden test."""
    from ..secret_lines import normalise, secret_lines

    text = "".join(ch if ch.isprintable() or ch == "\n" else "?" for ch in str(text or ""))[:MAX_MESSAGE]
    secrets = _secrets(secret_lines)
    return "\n".join(line for line in text.splitlines() if normalise(line) not in secrets)


_SECRETS = {}


def _secrets(secret_lines):
    if "lines" not in _SECRETS:
        _SECRETS["lines"] = set(secret_lines())
    return _SECRETS["lines"]


REGISTRIES = {}


def check(grade_id):
    """Register the decorated function as the check of test cell `grade_id` in its module's assignment."""
    def register(function):
        REGISTRIES.setdefault(function.__module__, {})[grade_id] = function
        return function
    return register


def load(assignment):
    """{grade_id: check function} of an assignment."""
    module = importlib.import_module(f"{__name__}.{assignment}")
    return REGISTRIES.get(module.__name__, {})


@dataclass
class Student:
    """The student's notebook, as the checks see it: every method asks the probe and returns data."""
    session: object
    reference: dict

    def _ask(self, op, seed=0, **args):
        return self.session.request(op, seed=seed, **args)

    def values(self, *names):
        return self._ask("values", names=list(names))

    def value(self, name):
        found = self.values(name)
        expect(name in found, f"Змінної {name} немає: чи виконується клітинка з відповіддю без помилок?")
        return found[name]

    def facts(self, name):
        return self._ask("facts", name=name)

    def module(self, name):
        return self._ask("module", name=name)

    def source(self, grade_id):
        """The student's answer cell `grade_id` (text, for checks of how something was written)."""
        return self.session.job["answers"].get(grade_id, "")

    def call(self, function, *args, seed=0, times=1, **kwargs):
        return self._ask("call", seed=seed, function=function, args=[argument(a) for a in args],
                         kwargs={k: argument(v) for k, v in kwargs.items()}, times=times)

    def gradients(self, function, args, wrt, upstream=None, seed=0):
        return self._ask("gradients", seed=seed, function=function, args=[argument(a) for a in args],
                         wrt=list(wrt), upstream=None if upstream is None else argument(upstream))

    def model(self, cls, ctor, steps, device="cpu", seed=0, instance=None):
        sent = [[step[0], *[argument(part) for part in step[1:]]] for step in steps]
        return self._ask("model", seed=seed, cls=cls, ctor=list(ctor), device=device, steps=sent, instance=instance)

    def learn(self, cls, ctor, x, y, lr, steps, device="cpu", seed=0):
        return self._ask("learn", seed=seed, cls=cls, ctor=list(ctor), device=device, x=argument(x),
                         y=argument(y), lr=lr, steps=steps)

    def train_step(self, vocab, batches, lr, device="cpu", seed=0):
        return self._ask("train_step", seed=seed, device=device, vocab=vocab, lr=lr,
                         batches=[[argument(x), argument(y)] for x, y in batches])

    def generate(self, mode, table, start, length=None, temperature=None, device="cpu", seed=0, training_table=None):
        return self._ask("generate", seed=seed, device=device, vocab=int(table.shape[-1]), mode=mode,
                         table=argument(table), start=start, length=length, temperature=temperature,
                         training_table=None if training_table is None else argument(training_table))

    def optimizers_holding(self, name):
        return self._ask("optimizers_holding", name=name)


# ----- helpers the checks share ------------------------------------------------------------------------------

def tensor(value, what):
    """The torch tensor inside a student's answer, or Fail saying what it was instead."""
    if isinstance(value, TensorAnswer) and value.value is not None:
        return value.value
    expect(isinstance(value, TensorAnswer), f"{what} має бути тензором (torch.Tensor), а не {kind(value)}.")
    raise Fail(f"{what} має тензор незвичного типу {value.dtype}.")


def kind(value):
    """A Ukrainian-friendly name of an answer's type, for messages."""
    if isinstance(value, TensorAnswer):
        return f"тензор {value.dtype}"
    if isinstance(value, ArrayAnswer):
        return f"масив NumPy {value.dtype}"
    if isinstance(value, Opaque):
        return value.type_name
    return type(value).__name__


def close(actual, expected, rtol=1e-4, atol=1e-5):
    """Whether two tensors have the same shape and values (float tolerances like torch.testing)."""
    actual, expected = torch.as_tensor(actual), torch.as_tensor(expected)
    if actual.shape != expected.shape:
        return False
    return bool(torch.allclose(actual.double(), expected.double(), rtol=rtol, atol=atol, equal_nan=False))


def number(value, what):
    """A Python number from an answer (a number, or a tensor of one element)."""
    if isinstance(value, TensorAnswer) and value.value is not None and value.value.numel() == 1:
        return float(value.value.reshape(-1)[0])
    expect(isinstance(value, (int, float)) and not isinstance(value, bool), f"{what} має бути числом, а не {kind(value)}.")
    expect(math.isfinite(value), f"{what} має бути скінченним числом, а не {value}.")
    return float(value)


def device():
    """Where checks run the student's models: the GPU when the grading machine has one."""
    return "cuda" if torch.cuda.is_available() else "cpu"


def generator(seed):
    return torch.Generator().manual_seed(seed)


def random_tensor(seed, *shape, scale=1.0):
    return scale * torch.randn(shape, generator=generator(seed))


def random_ints(seed, high, *shape):
    return torch.randint(0, high, shape, generator=generator(seed))


def as_numpy(value):
    return value.value if isinstance(value, ArrayAnswer) else np.asarray(value)
