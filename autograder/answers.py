"""Data between the judge and the probe: arguments the judge sends, answers it gets back.

Everything crosses as JSON; arrays and tensors as their dtype, shape and bytes (base64). Answers come from a
process that runs student code, so nothing here trusts them: sizes are checked and unknown shapes of data
become `Opaque` values that no check accepts.
"""

import base64
from dataclasses import dataclass

import numpy as np
import torch

NUMPY_DTYPES = {"bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"}


@dataclass
class TensorAnswer:
    """A torch.Tensor the student's code returned: its facts, and its values on the CPU (None when its dtype
    has no NumPy equivalent)."""
    dtype: str  # "float32", "int64"...
    shape: tuple
    device: str  # "cpu" or "cuda"
    requires_grad: bool
    grad_fn: bool
    value: torch.Tensor | None


@dataclass
class ArrayAnswer:
    """A numpy.ndarray the student's code returned."""
    dtype: str
    shape: tuple
    value: np.ndarray | None


@dataclass
class TensorFacts:
    """What is known of a tensor whose values were not sent (too many to be worth it)."""
    dtype: str
    shape: tuple
    device: str
    nonzero: int
    requires_grad: bool


@dataclass
class Opaque:
    """Any other object: only its type is known."""
    type_name: str


def argument(value):
    """JSON for a value the judge passes to the student's code (tensors keep their device)."""
    if isinstance(value, torch.Tensor):
        array = value.detach().cpu().contiguous().numpy()
        return {"tensor": str(value.dtype), "device": value.device.type, **_bytes(array)}
    if isinstance(value, np.ndarray):
        return {"ndarray": str(value.dtype), **_bytes(np.ascontiguousarray(value))}
    if isinstance(value, tuple):
        return {"tuple": [argument(item) for item in value]}
    if isinstance(value, list):
        return [argument(item) for item in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"cannot send {type(value).__name__} to the probe")


def _bytes(array):
    return {"array": str(array.dtype), "shape": list(array.shape), "data": base64.b64encode(array.tobytes()).decode()}


def _array(data):
    if data.get("data") is None or data.get("array", data.get("ndarray")) not in NUMPY_DTYPES:
        return None
    dtype = np.dtype(data.get("array", data.get("ndarray")))
    shape = tuple(int(n) for n in data["shape"])
    raw = base64.b64decode(data["data"], validate=True)
    if len(raw) != dtype.itemsize * int(np.prod(shape, dtype=np.int64)):
        return None
    return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()


def answer(data):
    """The Python value of an answer's JSON (see the module's docstring)."""
    if isinstance(data, list):
        return [answer(item) for item in data]
    if not isinstance(data, dict):
        return data
    if "float" in data:
        return float(data["float"])
    if "list" in data:
        return [answer(item) for item in data["list"]]
    if "tuple" in data:
        return tuple(answer(item) for item in data["tuple"])
    if "dict" in data:
        return {_hashable(answer(k)): answer(v) for k, v in data["dict"]}
    if "tensor" in data:
        array = _array(data)
        return TensorAnswer(str(data["tensor"]), tuple(data["shape"]), str(data.get("device", "cpu")),
                            bool(data.get("requires_grad")), bool(data.get("grad_fn")),
                            None if array is None else torch.from_numpy(array))
    if "ndarray" in data:
        return ArrayAnswer(str(data["ndarray"]), tuple(data["shape"]), _array(data))
    if "npscalar" in data:
        return data.get("value")
    if "facts" in data:
        return TensorFacts(str(data["facts"]), tuple(data["shape"]), str(data["device"]), int(data["nonzero"]),
                           bool(data["requires_grad"]))
    if "object" in data:
        return Opaque(str(data["object"]))
    return {str(key): answer(value) for key, value in data.items()}  # a program's own structure


def _hashable(key):
    return key if isinstance(key, (str, int, float, bool, type(None))) else repr(key)
