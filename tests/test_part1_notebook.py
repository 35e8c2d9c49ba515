"""The graded notebook of part 1 (PT_Part1_Intro): its structure, its tests and a real nbgrader round trip.

Each `run_notebook` call executes the whole notebook (about 10 s), so every case below swaps several answer
cells at once: wrong answers that students really write (which must lose points in the right test cells)
and correct alternatives (which must keep full marks) in the other cells.
"""

import re

import nbformat
import pytest
from nbgrader.utils import is_solution

import judging
import nbharness
from autograder.course import REPOSITORY_ROOT, released_notebook, source_notebook
from autograder.repair import nbgrader_meta
from nbharness import Mistake, cell_by_grade_id, failed_cells, run_notebook, visible_catches

ASSIGNMENT = "pt_part1_intro"
SOURCE = source_notebook(ASSIGNMENT)
RELEASED = released_notebook(ASSIGNMENT)
ANSWER_IDS = ["tensors", "computation_graph", "dense_layer", "sequential_model", "subclass_model",
              "gradient_descent"]
# The kernel must find the repository's abcrnn (the notebook's first cell imports it).
ENV = {"PYTHONPATH": str(REPOSITORY_ROOT)}


def source_nb():
    return nbformat.read(str(SOURCE), as_version=4)


def graded_test_cells():
    return nbharness.graded_test_cells(source_nb())


# ------------------------------------------------------------------ structure (fast)

def test_answer_cells_carry_exactly_the_agreed_grade_ids():
    answers = [nbgrader_meta(cell)["grade_id"] for cell in source_nb().cells if is_solution(cell)]
    assert answers == ANSWER_IDS


def test_every_test_cell_belongs_to_an_answer_and_is_worth_points():
    for cell in graded_test_cells():
        meta = nbgrader_meta(cell)
        assert any(meta["grade_id"].startswith(f"test_{answer}_") for answer in ANSWER_IDS), meta["grade_id"]
        assert meta["points"] > 0 and meta["locked"]
    for answer in ANSWER_IDS:  # partial credit: at least two graded cells per task
        assert sum(nbgrader_meta(c)["grade_id"].startswith(f"test_{answer}_") for c in graded_test_cells()) >= 2, answer


def test_stated_points_match_the_test_cells():
    points, total = nbharness.points_by_answer(source_nb(), ANSWER_IDS)
    intro = source_nb().cells[0].source
    assert re.search(r"Разом:\s*(\d+)", intro).group(1) == str(total)
    rows = dict(re.findall(r"^\| [^|]+ \| `(\w+)` \| (\d+) \|$", intro, re.M))
    assert rows == {answer: str(value) for answer, value in points.items()}


def test_every_test_cell_has_visible_tests_and_a_check():
    from autograder import checks

    assert set(checks.load(ASSIGNMENT)) == set(ALL_TESTS), "every graded test cell has exactly one check"
    for cell in graded_test_cells():
        assert "assert" in cell.source and "HIDDEN TESTS" not in cell.source, nbgrader_meta(cell)["grade_id"]


def test_notebook_uses_python3_kernel():
    assert source_nb().metadata.kernelspec.name == "python3"


# ------------------------------------------------------------------ executed cases

ALL_TESTS = sorted(nbgrader_meta(cell)["grade_id"] for cell in graded_test_cells())

GD_PRELUDE = "history = []\n"

CASES = {
    "reference": dict(replacements={}, fail=set()),

    # Gradient ascent, a layer without sigmoid, d = b - 1, Sequential without Sigmoid, images of ones;
    # alongside, a correct subclass written with F.sigmoid and its own attribute names.
    "ascent_no_sigmoid": dict(
        replacements={
            "gradient_descent": GD_PRELUDE + (
                "for step in range(num_steps):\n"
                "    loss = (x - x_f) ** 2\n"
                "    loss.backward()\n"
                "    with torch.no_grad():\n"
                "        x += learning_rate * x.grad\n"
                "    x.grad.zero_()\n"
                "    history.append(x.item())\n"),
            "dense_layer": (
                "class OurDenseLayer(nn.Module):\n"
                "    def __init__(self, num_inputs, num_outputs):\n"
                "        super().__init__()\n"
                "        self.W = nn.Parameter(torch.randn(num_inputs, num_outputs))\n"
                "        self.bias = nn.Parameter(torch.randn(num_outputs))\n"
                "    def forward(self, x):\n"
                "        return x @ self.W + self.bias\n"),
            "computation_graph": "def func(a, b):\n    c = a + b\n    d = b - 1\n    return c * d\n",
            "sequential_model": "model = nn.Sequential(nn.Linear(n_input_nodes, n_output_nodes))\n",
            "tensors": "matrix = torch.ones(2, 2)\nimages = torch.ones(10, 3, 256, 256)\n",
            "subclass_model": (
                "import torch.nn.functional as F\n"
                "class LinearWithSigmoidActivation(nn.Module):\n"
                "    def __init__(self, num_inputs, num_outputs):\n"
                "        super().__init__()\n"
                "        self.fc = nn.Linear(num_inputs, num_outputs)\n"
                "    def forward(self, inputs):\n"
                "        return F.sigmoid(self.fc(inputs))\n"),
        },
        fail={"test_gradient_descent_history", "test_gradient_descent_trajectory", "test_dense_layer_forward",
              "test_dense_layer_gradient", "test_computation_graph_values", "test_computation_graph_gradient",
              "test_sequential_model_output", "test_tensors_images"}),

    # Gradients accumulate (no zero_), W transposed, a subclass without sigmoid, a 1-D "matrix";
    # alongside, torch.add/torch.mul and a Sequential built from an OrderedDict.
    "no_zero_grad_transposed_w": dict(
        replacements={
            "gradient_descent": GD_PRELUDE + (
                "for step in range(num_steps):\n"
                "    loss = (x - x_f) ** 2\n"
                "    loss.backward()\n"
                "    with torch.no_grad():\n"
                "        x -= learning_rate * x.grad\n"
                "    history.append(x.item())\n"),
            "dense_layer": (
                "class OurDenseLayer(nn.Module):\n"
                "    def __init__(self, num_inputs, num_outputs):\n"
                "        super().__init__()\n"
                "        self.W = nn.Parameter(torch.randn(num_outputs, num_inputs))\n"
                "        self.bias = nn.Parameter(torch.randn(num_outputs))\n"
                "    def forward(self, x):\n"
                "        return torch.sigmoid(x @ self.W + self.bias)\n"),
            "subclass_model": (
                "class LinearWithSigmoidActivation(nn.Module):\n"
                "    def __init__(self, num_inputs, num_outputs):\n"
                "        super().__init__()\n"
                "        self.linear = nn.Linear(num_inputs, num_outputs)\n"
                "    def forward(self, inputs):\n"
                "        return self.linear(inputs)\n"),
            "tensors": "matrix = torch.tensor([1, 2, 3])\nimages = torch.zeros(10, 3, 256, 256)\n",
            "computation_graph": (
                "def func(a, b):\n"
                "    c = torch.add(a, b)\n"
                "    d = torch.add(b, 1)\n"
                "    e = torch.mul(c, d)\n"
                "    return e\n"),
            "sequential_model": (
                "from collections import OrderedDict\n"
                "model = nn.Sequential(OrderedDict([\n"
                "    ('dense', nn.Linear(n_input_nodes, n_output_nodes)),\n"
                "    ('activation', nn.Sigmoid()),\n"
                "]))\n"),
        },
        fail={"test_gradient_descent_history", "test_gradient_descent_trajectory", "test_dense_layer_parameters",
              "test_dense_layer_forward", "test_dense_layer_gradient", "test_subclass_model_forward",
              "test_tensors_matrix"}),

    # A history of losses, a bias that is a plain tensor, func returning a Python number;
    # alongside, other correct tensors, a subclass with its own (out, in) weight, a Sequential with literals.
    "losses_plain_bias": dict(
        replacements={
            "gradient_descent": GD_PRELUDE + (
                "for step in range(num_steps):\n"
                "    loss = (x - x_f) ** 2\n"
                "    loss.backward()\n"
                "    with torch.no_grad():\n"
                "        x -= learning_rate * x.grad\n"
                "    x.grad.zero_()\n"
                "    history.append(loss.item())\n"),
            "dense_layer": (
                "class OurDenseLayer(nn.Module):\n"
                "    def __init__(self, num_inputs, num_outputs):\n"
                "        super().__init__()\n"
                "        self.W = nn.Parameter(torch.randn(num_inputs, num_outputs))\n"
                "        self.bias = torch.randn(num_outputs)\n"
                "    def forward(self, x):\n"
                "        return torch.sigmoid(x @ self.W + self.bias)\n"),
            "computation_graph": "def func(a, b):\n    return ((a + b) * (b + 1)).item()\n",
            "tensors": "matrix = torch.eye(3)\nimages = torch.zeros((10, 3, 256, 256), dtype=torch.float32)\n",
            "subclass_model": (
                "class LinearWithSigmoidActivation(nn.Module):\n"
                "    def __init__(self, num_inputs, num_outputs):\n"
                "        super().__init__()\n"
                "        self.weight = nn.Parameter(torch.randn(num_outputs, num_inputs) * 0.1)\n"
                "        self.offset = nn.Parameter(torch.zeros(num_outputs))\n"
                "    def forward(self, inputs):\n"
                "        return torch.sigmoid(inputs @ self.weight.T + self.offset)\n"),
            "sequential_model": "model = nn.Sequential(nn.Linear(2, 3), nn.Sigmoid())\n",
        },
        fail={"test_gradient_descent_history", "test_gradient_descent_trajectory", "test_dense_layer_parameters",
              "test_dense_layer_gradient", "test_computation_graph_values", "test_computation_graph_gradient"},
        # On a GPU the unregistered bias stays on the CPU, so forward fails there too.
        may_fail={"test_dense_layer_forward"}),

    # A history of tensors, a W that is a plain (unregistered) tensor, a Sequential with swapped sizes;
    # alongside, func as one expression and a subclass that wraps nn.Sequential.
    "tensor_history_plain_w": dict(
        replacements={
            "gradient_descent": GD_PRELUDE + (
                "for step in range(num_steps):\n"
                "    loss = (x - x_f) ** 2\n"
                "    loss.backward()\n"
                "    with torch.no_grad():\n"
                "        x -= learning_rate * x.grad\n"
                "    x.grad.zero_()\n"
                "    history.append(x.detach().clone())\n"),
            "dense_layer": (
                "class OurDenseLayer(nn.Module):\n"
                "    def __init__(self, num_inputs, num_outputs):\n"
                "        super().__init__()\n"
                "        self.W = torch.randn(num_inputs, num_outputs, requires_grad=True)\n"
                "        self.bias = nn.Parameter(torch.randn(num_outputs))\n"
                "    def forward(self, x):\n"
                "        return torch.sigmoid(x @ self.W + self.bias)\n"),
            "sequential_model": "model = nn.Sequential(nn.Linear(n_output_nodes, n_input_nodes), nn.Sigmoid())\n",
            "computation_graph": "def func(a, b):\n    return (a + b) * (b + 1)\n",
            "subclass_model": (
                "class LinearWithSigmoidActivation(nn.Module):\n"
                "    def __init__(self, num_inputs, num_outputs):\n"
                "        super().__init__()\n"
                "        self.layers = nn.Sequential(nn.Linear(num_inputs, num_outputs), nn.Sigmoid())\n"
                "    def forward(self, inputs):\n"
                "        return self.layers(inputs)\n"),
        },
        fail={"test_gradient_descent_history", "test_dense_layer_parameters", "test_sequential_model_structure",
              "test_sequential_model_output"},
        may_fail={"test_dense_layer_forward", "test_dense_layer_gradient"}),

    # Too few steps, a subclass without bias; alongside, a layer with torch.matmul, F.sigmoid and nn.init.
    "wrong_steps_no_bias": dict(
        replacements={
            "gradient_descent": GD_PRELUDE + (
                "for step in range(100):\n"
                "    loss = (x - x_f) ** 2\n"
                "    loss.backward()\n"
                "    with torch.no_grad():\n"
                "        x -= learning_rate * x.grad\n"
                "    x.grad.zero_()\n"
                "    history.append(x.item())\n"),
            "subclass_model": (
                "class LinearWithSigmoidActivation(nn.Module):\n"
                "    def __init__(self, num_inputs, num_outputs):\n"
                "        super().__init__()\n"
                "        self.linear = nn.Linear(num_inputs, num_outputs, bias=False)\n"
                "    def forward(self, inputs):\n"
                "        return torch.sigmoid(self.linear(inputs))\n"),
            "dense_layer": (
                "import torch.nn.functional as F\n"
                "class OurDenseLayer(nn.Module):\n"
                "    def __init__(self, num_inputs, num_outputs):\n"
                "        super().__init__()\n"
                "        self.W = nn.Parameter(torch.empty(num_inputs, num_outputs))\n"
                "        self.bias = nn.Parameter(torch.empty(num_outputs))\n"
                "        nn.init.xavier_uniform_(self.W)\n"
                "        nn.init.uniform_(self.bias, -0.5, 0.5)\n"
                "    def forward(self, x):\n"
                "        return F.sigmoid(torch.matmul(x, self.W) + self.bias)\n"),
        },
        fail={"test_gradient_descent_history", "test_subclass_model_forward", "test_subclass_model_parameters"}),

    # An optimizer instead of a hand-written step; alongside, a layer with torch.addmm and an nn.Sigmoid module.
    "optimizer_addmm": dict(
        replacements={
            "gradient_descent": GD_PRELUDE + (
                "optimizer = torch.optim.SGD([x], lr=learning_rate)\n"
                "for step in range(num_steps):\n"
                "    optimizer.zero_grad()\n"
                "    loss = ((x - x_f) ** 2).sum()\n"
                "    loss.backward()\n"
                "    optimizer.step()\n"
                "    history.append(x.item())\n"),
            "dense_layer": (
                "class OurDenseLayer(nn.Module):\n"
                "    def __init__(self, num_inputs, num_outputs):\n"
                "        super().__init__()\n"
                "        self.W = nn.Parameter(0.1 * torch.rand(num_inputs, num_outputs))\n"
                "        self.bias = nn.Parameter(torch.zeros(num_outputs))\n"
                "        self.activation = nn.Sigmoid()\n"
                "    def forward(self, x):\n"
                "        return self.activation(torch.addmm(self.bias, x, self.W))\n"),
        },
        fail={"test_gradient_descent_no_optimizer"}),

    "alternative_data_update": dict(
        replacements={
            "gradient_descent": GD_PRELUDE + (
                "for _ in range(num_steps):\n"
                "    loss = (x - x_f) ** 2\n"
                "    loss.backward()\n"
                "    x.data -= learning_rate * x.grad.data\n"
                "    x.grad.data.zero_()\n"
                "    history.append(float(x))\n"),
        },
        fail=set()),

    "alternative_autograd_grad": dict(
        replacements={
            "gradient_descent": GD_PRELUDE + (
                "for _ in range(num_steps):\n"
                "    (grad,) = torch.autograd.grad(((x - x_f) ** 2).sum(), x)\n"
                "    with torch.no_grad():\n"
                "        x.sub_(learning_rate * grad)\n"
                "    history.append(x.item())\n"),
        },
        fail=set()),
}


@pytest.mark.parametrize("case", list(CASES))
def test_checks_verdicts(case):
    spec = CASES[case]
    result = judging.grade(ASSIGNMENT, spec["replacements"])
    assert sorted(result["cells"]) == ALL_TESTS
    failed = judging.failed(result)
    may_fail = spec.get("may_fail", set())
    details = {grade_id: result["cells"][grade_id]["message"][-300:] for grade_id in failed ^ spec["fail"]}
    assert spec["fail"] <= failed, f"should fail but passed: {sorted(spec['fail'] - failed)}"
    assert failed - may_fail <= spec["fail"], f"should pass but failed: {details}"
    for grade_id in failed:  # what the student reads is Ukrainian
        assert re.search("[а-яіїєґ]{4}", result["cells"][grade_id]["message"]), result["cells"][grade_id]


def test_the_reference_passes_every_visible_test_and_runs_cleanly():
    # The whole notebook runs top to bottom without an error or anything on stderr (CPU), as in Colab.
    outcomes, executed = run_notebook(SOURCE, timeout=120, env=ENV)
    assert sorted(outcomes) == ALL_TESTS and failed_cells(outcomes) == []
    for cell in executed.cells:
        for output in cell.get("outputs", []):
            assert output["output_type"] != "error", (cell.source[:80], output.get("evalue"))
            assert not (output["output_type"] == "stream" and output["name"] == "stderr"), output["text"]


# The mistakes students make most (one per answer cell, so one run covers them); benchmarks/visible_catches.py
# prints the same table with the messages.
COMMON_MISTAKES = [
    Mistake("канали в кінці форми зображень", "tensors",
            "matrix = torch.ones(2, 3)\nimages = torch.zeros(10, 256, 256, 3)\n", "test_tensors_images", "канали"),
    Mistake("d = b - 1 замість b + 1", "computation_graph",
            "def func(a, b):\n    c = a + b\n    d = b - 1\n    return c * d\n",
            "test_computation_graph_values", "(2.5 + 1)"),
    Mistake("ваги шару — звичайні тензори, не nn.Parameter", "dense_layer", (
        "class OurDenseLayer(nn.Module):\n"
        "    def __init__(self, num_inputs, num_outputs):\n"
        "        super().__init__()\n"
        "        self.W = torch.randn(num_inputs, num_outputs, requires_grad=True)\n"
        "        self.bias = torch.randn(num_outputs, requires_grad=True)\n"
        "    def forward(self, x):\n"
        "        return torch.sigmoid(x @ self.W + self.bias)\n"), "test_dense_layer_parameters", "nn.Parameter"),
    Mistake("Sequential без nn.Sigmoid()", "sequential_model",
            "model = nn.Sequential(nn.Linear(n_input_nodes, n_output_nodes))\n",
            "test_sequential_model_output", "nn.Sigmoid"),
    Mistake("forward без сигмоїди", "subclass_model", (
        "class LinearWithSigmoidActivation(nn.Module):\n"
        "    def __init__(self, num_inputs, num_outputs):\n"
        "        super().__init__()\n"
        "        self.linear = nn.Linear(num_inputs, num_outputs)\n"
        "    def forward(self, inputs):\n"
        "        return self.linear(inputs)\n"), "test_subclass_model_forward", "сигмоїд"),
    Mistake("градієнт не обнуляється між кроками", "gradient_descent", GD_PRELUDE + (
        "for step in range(num_steps):\n"
        "    loss = (x - x_f) ** 2\n"
        "    loss.backward()\n"
        "    with torch.no_grad():\n"
        "        x -= learning_rate * x.grad\n"
        "    history.append(x.item())\n"), "test_gradient_descent_trajectory", "x.grad"),
]


def test_visible_tests_name_the_cause_of_the_common_mistakes():
    for mistake, outcome in visible_catches(SOURCE, COMMON_MISTAKES, env=ENV, timeout=120):
        assert not outcome.passed, f"{mistake.test} does not catch: {mistake.what}"
        assert mistake.hint in outcome.message, (mistake.test, outcome.message[-300:])


# ------------------------------------------------------------------ real nbgrader

def test_nbgrader_validate_passes_on_the_source():
    from nbgrader.validator import Validator
    from traitlets.config.loader import PyFileConfigLoader

    from nbharness import environment

    config_file = REPOSITORY_ROOT / "autograder" / "nbgrader_config.py"
    config = PyFileConfigLoader(config_file.name, path=str(config_file.parent)).load_config()
    with environment(**ENV):
        results = Validator(config=config).validate(str(SOURCE))
    assert results == {}, results


def test_nbgrader_validate_invert_finds_no_passing_test_in_the_student_copy():
    from nbgrader.validator import Validator

    from nbharness import environment

    with environment(**ENV):
        results = Validator(invert=True).validate(str(RELEASED))
    assert results == {}, results


def test_the_judge_gives_full_marks_to_the_solution_and_zero_to_the_untouched_copy():
    solution = judging.grade(ASSIGNMENT)
    assert judging.failed(solution) == set() and solution["tampered"] == [], solution
    assert sum(cell["max"] for cell in solution["cells"].values()) == 22
    untouched = judging.grade(ASSIGNMENT, notebook=nbformat.read(str(RELEASED), as_version=4))
    assert sorted(untouched["cells"]) == ALL_TESTS
    assert all(cell["score"] == 0 for cell in untouched["cells"].values()), untouched


def test_a_library_warning_costs_no_points():
    # A correct answer whose layer warns (torch, matplotlib and music21 do) keeps its points.
    warned = (
        "import warnings\n"
        "class WarningSigmoid(nn.Sigmoid):\n"
        "    def forward(self, inputs):\n"
        "        warnings.warn('this activation is deprecated', UserWarning)\n"
        "        return super().forward(inputs)\n"
        "model = nn.Sequential(nn.Linear(n_input_nodes, n_output_nodes), WarningSigmoid())\n")
    result = judging.grade(ASSIGNMENT, {"sequential_model": warned})
    assert result["cells"]["test_sequential_model_output"]["score"] == 2.0, result


def test_a_filled_in_student_copy_is_graded_by_its_answers(tmp_path):
    # What students really hand in: the released copy with their answers. Here the reference answers,
    # except a history of tensors, which passes the visible checks and only the judge's check catches.
    from autograder import repair

    source = source_nb()
    filled = nbformat.read(str(RELEASED), as_version=4)
    for grade_id in ANSWER_IDS:
        cell_by_grade_id(filled, grade_id).source = cell_by_grade_id(source, grade_id).source
    cell_by_grade_id(filled, "gradient_descent").source = CASES["tensor_history_plain_w"]["replacements"][
        "gradient_descent"]
    released = nbformat.read(str(RELEASED), as_version=4)
    rebuilt = repair.rebuild(released, filled, repair.answer_signatures(source))
    result = judging.grade(ASSIGNMENT, notebook=rebuilt.notebook)
    assert judging.failed(result) == {"test_gradient_descent_history"}, result
