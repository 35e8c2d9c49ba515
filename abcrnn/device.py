"""Where to train (CPU or GPU) and how to make a run repeatable."""

import os
import random

import numpy as np
import torch


def get_device(verbose=False):
    """torch.device("cuda") when a CUDA GPU is usable, else torch.device("cpu").

    With verbose=True, also print (in Ukrainian) which device was chosen, and how to get a GPU in Colab.
    """
    if torch.cuda.is_available():
        device = torch.device("cuda")
        if verbose:
            print(f"Обчислення на GPU: {torch.cuda.get_device_name(0)}.")
    else:
        device = torch.device("cpu")
        if verbose:
            print(
                "GPU не знайдено, обчислення на CPU (повільніше). У Colab увімкніть GPU: "
                "«Середовище виконання» → «Змінити тип середовища виконання»."
            )
    return device


def seed_everything(seed):
    """Seed Python's `random`, NumPy and PyTorch (CPU and every GPU) with `seed`; return a torch.Generator.

    After this, weight initialisation, shuffling and sampling repeat exactly from run to run on the
    same machine and library versions. The returned generator (on the CPU, seeded with `seed`) is for
    code that prefers an explicit source of randomness, e.g. torch.multinomial(..., generator=g).

    It also asks cuDNN for deterministic kernels and, as PyTorch's notes on nn.LSTM advise, cuBLAS for a
    fixed workspace (CUBLAS_WORKSPACE_CONFIG, read when CUDA first multiplies matrices: call this first).
    GPU results can still differ from CPU results in the last digits (a different order of
    floating-point additions), so compare losses with a tolerance.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"Зерно (seed) має бути цілим числом, а не {type(seed).__name__}.")
    if not 0 <= seed < 2**32:  # the range NumPy accepts
        raise ValueError(f"Зерно (seed) має бути від 0 до 2**32 - 1, а не {seed}.")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # seeds the CPU and, lazily, every CUDA device
    torch.cuda.manual_seed_all(seed)
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # cuBLAS on CUDA >= 10.2
    # cuDNN picks the fastest LSTM/convolution kernel by timing, and some are not deterministic.
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    generator = torch.Generator()
    generator.manual_seed(seed)
    return generator
