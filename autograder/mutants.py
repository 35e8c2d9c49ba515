"""`python -m autograder mutants ASSIGNMENT`: do the checks catch the mistakes students make?

Each mutant is the reference solution with one small change of a kind typical of PyTorch code (a call dropped,
a wrong dim, softmax added or removed, batch_first removed, an off-by-one, argmax for sampling, the state not
carried, a wrong reduction, swapped arguments...). Every mutant is graded like a student's notebook (the judge,
on Dask); a mutant is killed when it loses a point. A mutant that cannot lose a point because it behaves like
the reference (it is *equivalent*) is listed with the reason, from the checks module's EQUIVALENT; every other
survivor is a hole in the checks. The mutation score is killed / (all − equivalent).
"""

import ast
import copy
import importlib
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

from . import cluster, judge, repair, sandbox
from .messages import t

SOFTMAX_NAMES = {"softmax", "log_softmax", "sigmoid"}


@dataclass
class Mutant:
    answer: str  # the answer cell's grade_id
    operator: str
    line: str  # the reference line it changes (stripped)
    source: str  # the whole mutated answer cell

    @property
    def label(self):
        return f"{self.answer} · {self.operator} · {self.line}"


# ----- operators: node -> its replacement, or None where the operator does not apply ---------------------------

def _call_name(node):
    func = node.func if isinstance(node, ast.Call) else None
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None


def drop_call(node):
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        return ast.Pass()
    return None


def swap_operator(node):
    swaps = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Add, ast.Div: ast.Mult}
    if isinstance(node, ast.BinOp) and type(node.op) in swaps:
        return ast.BinOp(node.left, swaps[type(node.op)](), node.right)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
        return ast.BinOp(node.right, ast.MatMult(), node.left)
    if isinstance(node, ast.AugAssign) and type(node.op) in swaps:
        return ast.AugAssign(node.target, swaps[type(node.op)](), node.value)
    return None


def one_more(node):
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return ast.Constant(node.value + 1)
    return None


def one_less(node):
    if isinstance(node, ast.Constant) and type(node.value) is int and node.value != 0:
        return ast.Constant(node.value - 1)
    return None


def first_for_last(node):
    """x[..., -1] -> x[..., 0]: the first position for the last."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and \
            isinstance(node.operand, ast.Constant) and node.operand.value == 1:
        return ast.Constant(0)
    return None


def swap_arguments(node):
    if isinstance(node, ast.Call) and len(node.args) >= 2 and not any(isinstance(a, ast.Starred) for a in node.args[:2]):
        return ast.Call(node.func, [node.args[1], node.args[0], *node.args[2:]], node.keywords)
    return None


def sum_reduction(node):
    if _call_name(node) == "cross_entropy" and not any(k.arg == "reduction" for k in node.keywords):
        return ast.Call(node.func, node.args, [*node.keywords, ast.keyword("reduction", ast.Constant("sum"))])
    return None


def remove_softmax(node):
    """torch.softmax(x, ...) / F.sigmoid(x) / x.softmax(-1) -> x."""
    if _call_name(node) not in SOFTMAX_NAMES:
        return None
    func = node.func
    if isinstance(func, ast.Attribute) and not (isinstance(func.value, ast.Name) and func.value.id in ("torch", "F")):
        return func.value
    return node.args[0] if node.args else None


def skip_layer(node):
    """self.layer(x) -> x: a layer of the model left out (an activation, say)."""
    if isinstance(node, ast.Call) and len(node.args) == 1 and not node.keywords and \
            isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name) and node.func.value.id == "self":
        return node.args[0]
    return None





def add_softmax(node):
    """return / assignment of layer outputs or logits -> their softmax."""
    value = node.value if isinstance(node, (ast.Return, ast.Assign)) else None
    is_logits = isinstance(node, ast.Assign) and any(isinstance(t_, ast.Name) and "logit" in t_.id for t_ in node.targets)
    is_layer = isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and \
        isinstance(value.func.value, ast.Name) and value.func.value.id == "self"
    if value is None or not (is_logits or is_layer):
        return None
    wrapped = ast.Call(ast.Attribute(ast.Name("torch", ast.Load()), "softmax", ast.Load()), [value],
                       [ast.keyword("dim", ast.UnaryOp(ast.USub(), ast.Constant(1)))])
    return ast.Return(wrapped) if isinstance(node, ast.Return) else ast.Assign(node.targets, wrapped)


def argmax_sampling(node):
    if _call_name(node) == "multinomial" and node.args:
        return ast.Call(ast.Attribute(ast.Name("torch", ast.Load()), "argmax", ast.Load()), [node.args[0]],
                        [ast.keyword("dim", ast.UnaryOp(ast.USub(), ast.Constant(1))),
                         ast.keyword("keepdim", ast.Constant(True))])
    return None


def forget_state(node):
    if isinstance(node, ast.Call) and any(isinstance(a, ast.Name) and a.id == "state" for a in node.args):
        return ast.Call(node.func, [ast.Constant(None) if isinstance(a, ast.Name) and a.id == "state" else a
                                    for a in node.args], node.keywords)
    return None


def drop_no_grad(node):
    if isinstance(node, ast.With) and len(node.items) == 1 and _call_name(node.items[0].context_expr) == "no_grad":
        return ast.If(ast.Constant(True), node.body, [])
    return None


def fixed_randomness(node):
    """np.random.randint(...) -> zeros of the same shape: every window starts at the beginning."""
    if _call_name(node) == "randint" and isinstance(node.func, ast.Attribute):
        return ast.Call(ast.Attribute(ast.Name("np", ast.Load()), "zeros_like", ast.Load()), [node], [])
    return None


def drop_item(node):
    if _call_name(node) == "item" and isinstance(node.func, ast.Attribute) and not node.args:
        return node.func.value
    return None


def other_dim(node):
    if isinstance(node, ast.keyword) and node.arg == "dim":
        value = node.value
        minus_one = isinstance(value, ast.UnaryOp) and isinstance(value.operand, ast.Constant) and value.operand.value == 1
        return ast.keyword("dim", ast.Constant(0) if minus_one else ast.UnaryOp(ast.USub(), ast.Constant(1)))
    return None


OPERATORS = {
    "викинуто виклик": drop_call, "інший оператор": swap_operator, "число + 1": one_more, "число − 1": one_less,
    "перша позиція замість останньої": first_for_last, "аргументи переставлено": swap_arguments,
    "сума замість середнього": sum_reduction, "без softmax/sigmoid": remove_softmax, "додано softmax": add_softmax,
    "argmax замість вибірки": argmax_sampling, "стан не передано": forget_state, "без no_grad": drop_no_grad,
    "невипадкові вікна": fixed_randomness, "без .item()": drop_item, "інший dim": other_dim,
    "шар пропущено": skip_layer,
}


class _Mutator(ast.NodeTransformer):
    """Applies `operator` to the `target`-th node it applies to (counting in visiting order)."""

    def __init__(self, operator, target):
        self.operator, self.target, self.count, self.line = operator, target, 0, None

    def visit(self, node):
        replacement = self.operator(node)
        if replacement is not None:
            index, self.count = self.count, self.count + 1
            if index == self.target:
                self.line = getattr(node, "lineno", None)
                return ast.copy_location(replacement, node) if hasattr(node, "lineno") else replacement
        return self.generic_visit(node)


def _part_mutants(tree):
    """Each call without one of its keyword arguments (batch_first, dtype...), and each call with two or more
    positional arguments without one of them (nn.Sequential without its activation)."""
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)]
    for call_index, call in enumerate(calls):
        parts = [("keywords", i, f"без {k.arg}=") for i, k in enumerate(call.keywords)]
        if len(call.args) >= 2:
            parts += [("args", i, "аргумент викинуто") for i in range(len(call.args))]
        for field, index, name in parts:
            mutated = copy.deepcopy(tree)
            twin = [node for node in ast.walk(mutated) if isinstance(node, ast.Call)][call_index]
            del getattr(twin, field)[index]
            yield name, call.lineno, mutated


def mutants_of(grade_id, source):
    """Every mutant of one answer cell's reference source."""
    tree = ast.parse(source)
    lines = source.splitlines()
    found = []
    for name, operator in OPERATORS.items():
        counter = _Mutator(operator, -1)
        counter.visit(copy.deepcopy(tree))
        for target in range(counter.count):
            mutator = _Mutator(operator, target)
            mutated = ast.fix_missing_locations(mutator.visit(copy.deepcopy(tree)))
            found.append((name, mutator.line, mutated))
    found += list(_part_mutants(tree))
    result, seen = [], {ast.unparse(tree)}
    for name, line, mutated in found:
        text = ast.unparse(mutated)
        if text not in seen:  # two operators may make the same program
            seen.add(text)
            result.append(Mutant(grade_id, name, lines[line - 1].strip() if line else "", text))
    return result


def reference_answers(source_notebook):
    """{answer grade_id: reference source without nbgrader's markers}."""
    found = {}
    for cell in source_notebook.cells:
        if repair.is_answer_cell(cell):
            lines = [line for line in cell.source.splitlines() if "### BEGIN SOLUTION" not in line
                     and "### END SOLUTION" not in line]
            found[repair.nbgrader_meta(cell)["grade_id"]] = "\n".join(lines)
    return found


def jobs_for(assignment, source_path, limits, sandboxed, only=None):
    """(mutants, their jobs) for every answer of the assignment (or of `only`)."""
    source = nbformat.read(str(source_path), as_version=4)
    points = {repair.nbgrader_meta(c)["grade_id"]: float(repair.nbgrader_meta(c)["points"])
              for c in source.cells if repair.is_test_cell(c)}
    reference = judge.reference_values(source, assignment, limits, sandboxed)
    mutants, jobs = [], []
    for grade_id, answer in reference_answers(source).items():
        if only and grade_id not in only:
            continue
        for mutant in mutants_of(grade_id, answer):
            notebook = copy.deepcopy(source)
            for cell in notebook.cells:
                if repair.nbgrader_meta(cell).get("grade_id") == grade_id:
                    cell.source = mutant.source
            job = judge.make_job(notebook, student_id=f"mutant-{len(jobs)}", assignment=assignment, points=points,
                                 reference=reference, limits=limits, sandboxed=sandboxed)
            job["key"] = job["student_id"]
            mutants.append(mutant)
            jobs.append(job)
    return mutants, jobs


def run(assignment, source_path, workers=None, scheduler=None, only=None, log=print):
    """Grade every mutant; (killed, equivalent {label: reason}, survived) lists of Mutant."""
    limits = sandbox.Limits(notebook_timeout=300)
    sandboxed = sandbox.bubblewrap_available()
    mutants, jobs = jobs_for(assignment, source_path, limits, sandboxed, only)
    log(t("mutants_found", n=len(mutants), assignment=assignment))
    results = {}
    with cluster.client(workers, scheduler) as dask_client:
        cluster.run_jobs(jobs, lambda job, result: results.__setitem__(job["key"], result), lambda message: None,
                         dask_client)
    equivalent_reasons = getattr(importlib.import_module(f"{__package__}.checks.{assignment}"), "EQUIVALENT", {})
    killed, equivalent, survived = [], {}, []
    for mutant, job in zip(mutants, jobs):
        result = results.get(job["key"], {})
        lost = result.get("failed") or any(cell["score"] < cell["max"] for cell in result.get("cells", {}).values())
        reason = equivalent_reasons.get((mutant.answer, mutant.operator, mutant.line))
        if lost:
            killed.append(mutant)
        elif reason:
            equivalent[mutant.label] = reason
        else:
            survived.append(mutant)
    return killed, equivalent, survived


def report(assignment, killed, equivalent, survived, log=print):
    considered = len(killed) + len(survived)
    score = len(killed) / considered if considered else 1.0
    log(t("mutants_score", assignment=assignment, killed=len(killed), considered=considered,
          score=f"{100 * score:.1f}", equivalent=len(equivalent)))
    for label, reason in equivalent.items():
        log(t("mutants_equivalent", label=label, reason=reason))
    for mutant in survived:
        log(t("mutants_survivor", label=mutant.label))
    return score


def main(assignment, solutions, workers=None, scheduler=None, only=None):
    source_path = next((Path(solutions) / assignment).glob("*.ipynb"))
    killed, equivalent, survived = run(assignment, source_path, workers, scheduler, only)
    report(assignment, killed, equivalent, survived)
    return 0 if not survived else 3


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1], Path(__file__).resolve().parent.parent / "solutions"))
