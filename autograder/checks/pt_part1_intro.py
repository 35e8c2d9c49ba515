"""Hidden tests of Part 1 (PT_Part1_Intro): one check per graded test cell, decided in the judge's process."""

import re

import torch

from . import Fail, TensorFacts, check, close, device, expect, kind, number, random_tensor, tensor

REFERENCE_VALUES = ()
STEPS, RATE, TARGET, START_SEED = 500, 1e-2, 4.0, 17  # the gradient-descent cell's set-up (public)


# ----- task 1: tensors ---------------------------------------------------------------------------------------

@check("test_tensors_matrix")
def tensors_matrix(student):
    matrix = student.facts("matrix")
    expect(isinstance(matrix, TensorFacts), f"matrix має бути тензором (torch.Tensor), а не {kind(matrix)}.")
    expect(len(matrix.shape) == 2, f"matrix має бути 2-вимірним тензором, а має вимірів: {len(matrix.shape)}.")
    expect(all(size > 0 for size in matrix.shape), "matrix не має бути порожньою: у кожному вимірі потрібен "
                                                   "хоча б один елемент.")


@check("test_tensors_images")
def tensors_images(student):
    images = student.facts("images")
    expect(isinstance(images, TensorFacts), f"images має бути тензором (torch.Tensor), а не {kind(images)}.")
    expect(images.shape == (10, 3, 256, 256), "Форма images має бути (10, 3, 256, 256): зображення, канали, "
                                              f"висота, ширина; маємо {images.shape}.")
    expect(images.dtype == "float32", f"images має бути типу torch.float32, а не {images.dtype}.")
    expect(images.nonzero == 0, "images має складатися лише з нулів (torch.zeros).")


# ----- task 2: the computation graph -------------------------------------------------------------------------

def _graph(a, b):
    return (a + b) * (b + 1)


@check("test_computation_graph_values")
def computation_graph_values(student):
    e = tensor(student.call("func", torch.tensor(1.5), torch.tensor(2.5)), "Результат func")
    expect(close(e, torch.tensor(14.0)), f"func(1.5, 2.5) має дорівнювати (1.5 + 2.5) * (2.5 + 1) = 14, а не {e}.")
    where = device()
    for seed, shape in enumerate([(), (4,), (2, 3)]):
        a, b = random_tensor(2 * seed, *shape).to(where), random_tensor(2 * seed + 1, *shape).to(where)
        answer = student.call("func", a, b)
        e = tensor(answer, "Результат func")
        expect(answer.device == where, "Результат func має бути на тому ж пристрої, що й входи.")
        expect(tuple(e.shape) == shape, f"Для входів форми {shape} результат має таку саму форму.")
        expect(close(e, _graph(a.cpu(), b.cpu())), "func обчислює неправильне значення e = (a + b) * (b + 1).")
    e = tensor(student.call("func", torch.tensor(15), torch.tensor(61)), "Результат func")
    expect(e.numel() == 1 and int(e.reshape(-1)[0]) == (15 + 61) * (61 + 1), "func має працювати й з цілими тензорами.")


@check("test_computation_graph_gradient")
def computation_graph_gradient(student):
    cases = [(torch.tensor(1.5), torch.tensor(2.5)), (random_tensor(10, 5), random_tensor(11, 5))]
    for a, b in cases:
        answer = student.gradients("func", [a, b], wrt=[0, 1])
        grad_a, grad_b = answer["grads"]
        expect(grad_a is not None and grad_b is not None, "Градієнт має доходити до обох входів func (не "
                                                          "використовуйте .item() чи NumPy всередині).")
        expect(close(tensor(grad_a, "de/da"), b + 1), f"Неправильний градієнт de/da (у точці a={a}, b={b}).")
        expect(close(tensor(grad_b, "de/db"), a + 2 * b + 1), f"Неправильний градієнт de/db (у точці a={a}, b={b}).")


# ----- task 3: a dense layer ---------------------------------------------------------------------------------

def _named(parameters):
    return {entry["name"]: entry for entry in parameters}


@check("test_dense_layer_parameters")
def dense_layer_parameters(student):
    for n_in, n_out in [(2, 3), (5, 4), (1, 7)]:
        [parameters] = student.model("OurDenseLayer", (n_in, n_out), [["parameters"]])
        named = _named(parameters)
        expect(set(named) == {"W", "bias"}, "Шар має зареєструвати рівно два параметри, W і bias (загорніть їх у "
                                            f"nn.Parameter); зареєстровано: {sorted(named)}.")
        weight, bias = tensor(named["W"]["value"], "W"), tensor(named["bias"]["value"], "bias")
        expect(tuple(weight.shape) == (n_in, n_out), f"Для OurDenseLayer({n_in}, {n_out}) W має форму "
                                                     f"{(n_in, n_out)}, а не {tuple(weight.shape)}.")
        expect(tuple(bias.shape) == (n_out,), f"Для OurDenseLayer({n_in}, {n_out}) bias має форму {(n_out,)}, "
                                              f"а не {tuple(bias.shape)}.")
        expect(all(entry["requires_grad"] for entry in named.values()), "Параметри мають навчатися (requires_grad=True).")
        expect(weight.dtype == bias.dtype == torch.float32, "Параметри мають бути типу float32.")


def _dense_output(student, x, steps):
    where = device()
    parameters, *outputs = student.model("OurDenseLayer", (x.shape[1], 4 if x.shape[1] == 5 else 3),
                                          [["parameters"], *steps], device=where)
    named = _named(parameters)
    expect({"W", "bias"} <= set(named), "Шар має параметри W і bias.")
    return tensor(named["W"]["value"], "W"), tensor(named["bias"]["value"], "bias"), outputs


@check("test_dense_layer_forward")
def dense_layer_forward(student):
    x = torch.tensor([[1.0, 2.0]])
    [output] = student.model("OurDenseLayer", (2, 3), [["forward", x, None, False]])
    y = tensor(output, "Вихід шару")
    expect(tuple(y.shape) == (1, 3), f"Для входу форми (1, 2) вихід має форму (1, 3), а не {tuple(y.shape)}.")
    expect(bool(((y > 0) & (y < 1)).all()), "Після сигмоїди всі значення мають лежати між 0 і 1.")
    x = random_tensor(20, 6, 5)
    weight, bias, [output] = _dense_output(student, x, [["forward", x.to(device()), None, False]])
    y = tensor(output, "Вихід шару")
    expect(output.device == device(), "Вихід шару має бути на тому ж пристрої, що й вхід і параметри.")
    expect(tuple(y.shape) == (6, 4), f"Для входу форми (6, 5) вихід має форму (6, 4), а не {tuple(y.shape)}.")
    expect(close(y, torch.sigmoid(x @ weight + bias)), "forward має повертати sigmoid(x @ W + bias).")


@check("test_dense_layer_gradient")
def dense_layer_gradient(student):
    x, upstream = random_tensor(21, 6, 5), random_tensor(22, 6, 4)
    weight, bias, [after] = _dense_output(student, x, [["backward_weighted", x.to(device()), upstream.to(device())]])
    grads = _named(after)
    expect(grads["W"].get("grad") is not None and grads["bias"].get("grad") is not None,
           "Градієнт має доходити до W і bias.")
    s = torch.sigmoid(x @ weight + bias)
    g = upstream * s * (1 - s)  # σ'(z) = σ(z)(1 − σ(z))
    expect(close(tensor(grads["W"]["grad"], "W.grad"), x.T @ g), "Неправильний градієнт за W.")
    expect(close(tensor(grads["bias"]["grad"], "bias.grad"), g.sum(dim=0)), "Неправильний градієнт за bias.")


# ----- task 4: nn.Sequential ---------------------------------------------------------------------------------

@check("test_sequential_model_structure")
def sequential_model_structure(student):
    structure = student.module("model")
    expect(structure.get("sequential"), f"model має бути nn.Sequential, а не {structure.get('type')}.")
    linear = [part for part in structure["parts"] if part["type"] == "Linear" and part["library"]]
    expect(len(linear) == 1, f"У моделі має бути рівно один nn.Linear, а не {len(linear)}.")
    expect((linear[0].get("in_features"), linear[0].get("out_features")) == (2, 3),
           "Лінійний шар має перетворювати n_input_nodes = 2 входи на n_output_nodes = 3 виходи.")
    expect(linear[0]["bias"], "Лінійний шар має мати зміщення (bias).")
    expect(structure["parameters"] == 2 * 3 + 3, "У моделі має бути 9 параметрів: 6 ваг і 3 зміщення.")


@check("test_sequential_model_output")
def sequential_model_output(student):
    [output] = student.model(None, (), [["forward", torch.tensor([[1.0, 2.0]]), None, False]], instance="model")
    y = tensor(output, "Вихід моделі")
    expect(tuple(y.shape) == (1, 3), f"Для входу форми (1, 2) вихід має форму (1, 3), а не {tuple(y.shape)}.")
    expect(bool(((y > 0) & (y < 1)).all()), "Вихід моделі має лежати між 0 і 1: чи не забули ви nn.Sigmoid()?")
    x = random_tensor(30, 8, 2, scale=3.0)
    parameters, output = student.model(None, (), [["parameters"], ["forward", x.to(device()), None, False]],
                                       device=device(), instance="model")
    y = tensor(output, "Вихід моделі")
    expect(output.device == device(), "Вихід моделі має бути на тому ж пристрої, що й вхід.")
    expect(tuple(y.shape) == (8, 3), f"Для входу форми (8, 2) вихід має форму (8, 3), а не {tuple(y.shape)}.")
    weights = [tensor(p["value"], p["name"]) for p in parameters]
    matrix = next((w for w in weights if tuple(w.shape) == (3, 2)), None)
    vector = next((w for w in weights if tuple(w.shape) == (3,)), None)
    expect(matrix is not None and vector is not None, "Модель має містити лінійний шар 2 → 3 зі зміщенням.")
    expect(close(y, torch.sigmoid(x @ matrix.T + vector)), "Модель має обчислювати sigmoid(Linear(x)).")


# ----- task 5: a subclass of nn.Module -----------------------------------------------------------------------

@check("test_subclass_model_forward")
def subclass_model_forward(student):
    [output] = student.model("LinearWithSigmoidActivation", (2, 3), [["forward", torch.tensor([[1.0, 2.0]]), None, False]])
    y = tensor(output, "Вихід моделі")
    expect(tuple(y.shape) == (1, 3), f"Для входу форми (1, 2) вихід має форму (1, 3), а не {tuple(y.shape)}.")
    expect(bool(((y > 0) & (y < 1)).all()), "Вихід моделі має лежати між 0 і 1.")
    x = random_tensor(31, 7, 5, scale=3.0)
    parameters, output = student.model("LinearWithSigmoidActivation", (5, 4),
                                       [["parameters"], ["forward", x.to(device()), None, False]], device=device())
    y = tensor(output, "Вихід моделі")
    expect(output.device == device(), "Вихід моделі має бути на тому ж пристрої, що й вхід.")
    expect(tuple(y.shape) == (7, 4), f"Для входу форми (7, 5) вихід має форму (7, 4), а не {tuple(y.shape)}.")
    weights = [tensor(p["value"], p["name"]) for p in parameters]
    matrices, vectors = [w for w in weights if w.ndim == 2], [w for w in weights if w.ndim == 1]
    expect(len(matrices) == 1 and len(vectors) == 1, "Модель має містити одну матрицю ваг і один вектор зміщень.")
    matrix = matrices[0] if tuple(matrices[0].shape) == (5, 4) else matrices[0].T
    expect(close(y, torch.sigmoid(x @ matrix + vectors[0])), "forward має повертати сигмоїду від лінійного перетворення входу.")


@check("test_subclass_model_parameters")
def subclass_model_parameters(student):
    for n_in, n_out in [(2, 3), (6, 2)]:
        [parameters] = student.model("LinearWithSigmoidActivation", (n_in, n_out), [["parameters"]])
        count = sum(tensor(p["value"], p["name"]).numel() for p in parameters)
        expected = n_in * n_out + n_out
        expect(count == expected, f"Модель ({n_in} -> {n_out}) має {expected} параметрів ({n_in * n_out} ваг і "
                                  f"{n_out} зміщень), а не {count}.")
    [after] = student.model("LinearWithSigmoidActivation", (6, 2),
                            [["backward_weighted", random_tensor(32, 4, 6), torch.ones(4, 2)]])
    for entry in after:
        grad = entry.get("grad")
        expect(grad is not None and float(tensor(grad, "grad").abs().sum()) > 0,
               f"Градієнт не доходить до параметра {entry['name']}.")


# ----- task 6: gradient descent ------------------------------------------------------------------------------

def _history(student):
    history = student.value("history")
    expect(isinstance(history, list), f"history має бути списком, а не {kind(history)}.")
    expect(len(history) > 0, "history порожній: додавайте значення x після кожного кроку.")
    return history


def _trajectory():
    """(the starting x of the set-up cell, x after every step of exact gradient descent)."""
    torch.manual_seed(START_SEED)
    start = x = torch.randn(1).item()
    expected = []
    for _ in range(STEPS):
        x = x - RATE * 2 * (x - TARGET)
        expected.append(x)
    return start, expected


@check("test_gradient_descent_history")
def gradient_descent_history(student):
    history = _history(student)
    expect(len(history) == STEPS, f"history має містити num_steps = {STEPS} значень (одне після кожного "
                                  f"кроку), а не {len(history)}.")
    expect(all(type(value) is float for value in history),
           "Кожен елемент history має бути числом float (наприклад x.item()), а не тензором.")
    expect(abs(history[-1] - TARGET) < 1e-2, f"Після {STEPS} кроків x має бути дуже близьким до 4, а маємо {history[-1]}.")


@check("test_gradient_descent_trajectory")
def gradient_descent_trajectory(student):
    history = [number(value, "Елемент history") for value in _history(student)]
    start, expected = _trajectory()
    expect(abs(history[-1] - TARGET) < abs(start - TARGET), "Спуск має наближати x до цілі x_f = 4.")
    for step, (value, wanted) in enumerate(zip(history, expected), start=1):
        expect(abs(value - wanted) < 1e-4, f"Після кроку {step} x має бути {wanted:.5f}, а в history {value:.5f}: "
                                           "перевірте знак кроку, обнулення градієнта і що ви зберігаєте x, а не втрати.")
    distances = [abs(value - TARGET) for value in history]
    expect(all(later <= earlier for earlier, later in zip(distances, distances[1:])), "x має наближатися до 4 на кожному кроці.")
    final = tensor(student.value("x"), "x")
    expect(final.numel() >= 1 and abs(float(final.reshape(-1)[0]) - history[-1]) < 1e-6,
           "Останній елемент history має дорівнювати кінцевому x.")


@check("test_gradient_descent_no_optimizer")
def gradient_descent_no_optimizer(student):
    _history(student)
    x = student.facts("x")
    expect(isinstance(x, TensorFacts), f"x має лишатися тензором, а не {kind(x)}.")
    source = student.source("gradient_descent")
    written = re.search(r"\boptim\b|\b(SGD|Adam|AdamW|RMSprop|Adagrad)\s*\(", source)
    held = student.optimizers_holding("x")
    if written or held:
        raise Fail("У цьому завданні крок оновлення треба написати самостійно, без оптимізатора з torch.optim.")
