"""The graded notebook of part 2 (PT_Part2_Music_Generation): structure, visible tests and the judge's checks.

Every case below swaps all six answer cells at once: wrong answers that students really write must lose points
in exactly the expected test cells (judged as in a real grading run, by autograder/judge.py and the checks of
autograder/checks/pt_part2_music_generation.py), and correct alternatives must keep full marks in theirs.
The visible tests run in a real kernel, as in the student's Colab: they pass for the reference solution and
name the likely cause of the common mistakes.
"""

import re
import subprocess
import sys

import nbformat
import pytest
from nbgrader.utils import is_solution

import judging
import nbharness
from autograder import checks
from autograder.course import REPOSITORY_ROOT, released_notebook, source_notebook
from nbharness import Mistake, failed_cells, nbgrader_meta, run_notebook, visible_catches

ASSIGNMENT = "pt_part2_music_generation"
SOURCE = source_notebook(ASSIGNMENT)
RELEASED = released_notebook(ASSIGNMENT)
ANSWER_IDS = ["vectorize_string", "get_batch", "lstm_model", "compute_loss", "train_step", "generate_text"]
ENV = {"PYTHONPATH": str(REPOSITORY_ROOT)}  # the kernel imports the repository's abcrnn


def source_nb():
    return nbformat.read(str(SOURCE), as_version=4)


def graded_test_cells(nb=None):
    return nbharness.graded_test_cells(nb or source_nb())


def all_test_ids():
    return {nbgrader_meta(cell)["grade_id"] for cell in graded_test_cells()}


def ids_of(answer):
    return {grade_id for grade_id in all_test_ids() if grade_id.startswith(f"test_{answer}_")}


# ------------------------------------------------------------------ structure (fast)

def test_answer_cells_carry_exactly_the_agreed_grade_ids():
    answers = [nbgrader_meta(cell)["grade_id"] for cell in source_nb().cells if is_solution(cell)]
    assert answers == ANSWER_IDS


def test_every_test_cell_belongs_to_an_answer_has_points_visible_tests_and_a_check():
    registered = checks.load(ASSIGNMENT)
    assert set(registered) == all_test_ids(), "every graded test cell has exactly one check in autograder/checks"
    for cell in graded_test_cells():
        meta = nbgrader_meta(cell)
        assert any(meta["grade_id"].startswith(f"test_{answer}_") for answer in ANSWER_IDS), meta["grade_id"]
        assert meta["points"] > 0 and meta["locked"]
        assert "assert" in cell.source and "HIDDEN TESTS" not in cell.source, meta["grade_id"]
        assert "tqdm" not in cell.source and "progress_bar" not in cell.source
    for answer in ANSWER_IDS:  # partial credit: at least two graded cells per task
        assert len(ids_of(answer)) >= 2, answer


def test_stated_points_match_the_test_cells():
    points, total = nbharness.points_by_answer(source_nb(), ANSWER_IDS)
    intro = source_nb().cells[0].source
    assert re.search(r"Усього балів:\s*(\d+)", intro).group(1) == str(total)
    rows = re.findall(r"^\| Завдання \d+\. `(\w+)` \| (\d+) \|$", intro, re.M)
    by_name = {"LSTMModel": "lstm_model"}
    assert {by_name.get(name, name): int(value) for name, value in rows} == points
    for name, value in rows:  # the task's heading in the notebook states the same points
        assert re.search(rf"### Завдання \d+\. `{name}` \({value} бал", "\n".join(c.source for c in source_nb().cells))


def test_nbgrader_validate_accepts_the_source(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "nbgrader", "validate", f"--config={REPOSITORY_ROOT / 'autograder/nbgrader_config.py'}",
         str(SOURCE)],
        capture_output=True, text=True, cwd=tmp_path, env={**__import__("os").environ,
                                                          "ABCRNN_GRADEBOOK": str(tmp_path / "gb.db"), **ENV},
        timeout=300)
    assert "Success! Your notebook passes all the tests." in result.stdout, result.stdout + result.stderr


def test_released_copy_is_up_to_date_and_reveals_no_answer():
    sys.path.insert(0, str(REPOSITORY_ROOT))
    from autograder.release import generate_release

    fresh = generate_release(ASSIGNMENT)[SOURCE.name]
    # `make book` rewrites exercises/ in the working tree, so once git has the source staged, the staged student
    # copy is what must match; while the source itself has unstaged changes, the working tree is compared.
    source_is_staged = git_staged_or_working_copy(SOURCE) == SOURCE.read_bytes()
    committed = git_staged_or_working_copy(RELEASED) if source_is_staged else RELEASED.read_bytes()
    assert committed == fresh, "exercises/ застарів: запустіть `python -m autograder release`"
    student_text = fresh.decode("utf-8")
    for secret in ("self.lstm = nn.LSTM(embedding_dim", "torch.multinomial(probabilities", "return F.cross_entropy(logits.reshape", "optimizer.zero_grad()\n    loss",
                   "np.random.randint(0, last_start", "[char2idx[c] for c in", "[char2idx[char] for char in"):
        assert secret not in student_text, secret


def git_staged_or_working_copy(path):
    """The released file as git has it staged (make book rewrites the working tree), else the working tree."""
    relative = path.relative_to(REPOSITORY_ROOT).as_posix()
    result = subprocess.run(["git", "show", f":{relative}"], cwd=REPOSITORY_ROOT, capture_output=True)
    return result.stdout if result.returncode == 0 else path.read_bytes()


# ------------------------------------------------------------------ wrong and alternative answers

REFERENCE_HEADER = {
    "vectorize_string": "def vectorize_string(string):\n",
    "get_batch": "def get_batch(vectorized_songs, seq_length, batch_size):\n",
    "compute_loss": "def compute_loss(labels, logits):\n",
    "train_step": "def train_step(x, y):\n",
}

LSTM_TEMPLATE = """
class LSTMModel(nn.Module):
    def __init__(self, vocab_size, embedding_dim, hidden_size):
        super().__init__()
        self.hidden_size = hidden_size
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.lstm = nn.LSTM(embedding_dim, hidden_size{LSTM_ARGS})
        self.fc = nn.Linear(hidden_size, vocab_size)

    def init_hidden(self, batch_size, device):
        return (torch.zeros(1, batch_size, self.hidden_size).to(device),
                torch.zeros(1, batch_size, self.hidden_size).to(device))

    def forward(self, x, state=None, return_state=False):
{FORWARD}
        return (out, state) if return_state else out
"""


def lstm(forward, lstm_args=", batch_first=True"):
    return LSTM_TEMPLATE.replace("{LSTM_ARGS}", lstm_args).replace("{FORWARD}", forward)


FORWARD_OK = """        if state is None:
            state = self.init_hidden(x.size(0), x.device)
        out, state = self.lstm(self.embedding(x), state)
        out = self.fc(out)"""

GENERATE_TEMPLATE = """
def generate_text(model, start_string, generation_length=1000, temperature=1.0):
    model.eval()
    input_idx = torch.tensor([[char2idx[s] for s in start_string]], dtype=torch.long).to(device)
    state = model.init_hidden(1, device)
    text_generated = []
    with torch.no_grad():
        for i in range(generation_length):
{LOOP}
            text_generated.append(idx2char[next_idx])
            input_idx = torch.tensor([[next_idx]], device=device)
    return {RESULT}
"""


def generate(loop, result="start_string + ''.join(text_generated)", setup=None):
    source = GENERATE_TEMPLATE.replace("{LOOP}", loop).replace("{RESULT}", result)
    if setup:
        source = source.replace("    state = model.init_hidden(1, device)\n", setup)
    return source


SAMPLE_LOOP = """            logits, state = model(input_idx, state, return_state=True)
            probs = torch.softmax(logits[0, -1] / temperature, dim=-1)
            next_idx = torch.multinomial(probs, 1).item()"""

WRONG_1 = {
    # A list instead of an array.
    "vectorize_string": REFERENCE_HEADER["vectorize_string"] + "    return [char2idx[c] for c in string]\n",
    # Targets not shifted: y = x.
    "get_batch": REFERENCE_HEADER["get_batch"] + """    n = len(vectorized_songs) - 1
    idx = np.random.choice(n - seq_length, batch_size)
    x = np.array([vectorized_songs[i:i + seq_length] for i in idx])
    return torch.tensor(x, dtype=torch.long), torch.tensor(x, dtype=torch.long)
""",
    # The lab manual's bug: no batch_first=True (and a state made for the batch dimension).
    "lstm_model": lstm(FORWARD_OK, lstm_args=""),
    # Summed instead of averaged.
    "compute_loss": REFERENCE_HEADER["compute_loss"]
    + "    return F.cross_entropy(logits.reshape(-1, logits.size(-1)), labels.reshape(-1), reduction='sum')\n",
    # No optimizer.zero_grad(): gradients pile up.
    "train_step": REFERENCE_HEADER["train_step"] + """    loss = compute_loss(y, model(x))
    loss.backward()
    optimizer.step()
    return loss.item()
""",
    # Greedy decoding instead of sampling.
    "generate_text": generate("""            logits, state = model(input_idx, state, return_state=True)
            next_idx = int(logits[0, -1].argmax())"""),
}
EXPECTED_1 = ({"test_vectorize_string_values", "test_vectorize_string_corpus", "test_get_batch_shift",
               "test_get_batch_random",  # np.random.choice(n - seq_length) never draws the last window
               "test_compute_loss_value", "test_compute_loss_gradient", "test_train_step_fresh_gradients",
               "test_generate_text_samples"}
              | ids_of("lstm_model"))

WRONG_2 = {
    # Character codes instead of vocabulary indices.
    "vectorize_string": REFERENCE_HEADER["vectorize_string"] + "    return np.array([ord(c) for c in string])\n",
    # Every window starts at the beginning of the text.
    "get_batch": REFERENCE_HEADER["get_batch"] + """    x = np.array([vectorized_songs[0:seq_length] for _ in range(batch_size)])
    y = np.array([vectorized_songs[1:seq_length + 1] for _ in range(batch_size)])
    return torch.tensor(x, dtype=torch.long), torch.tensor(y, dtype=torch.long)
""",
    # Probabilities instead of logits.
    "lstm_model": lstm(FORWARD_OK + "\n        out = torch.softmax(out, dim=-1)"),
    # Softmax applied twice (cross_entropy already applies it).
    "compute_loss": REFERENCE_HEADER["compute_loss"]
    + "    return F.cross_entropy(torch.softmax(logits, -1).reshape(-1, logits.size(-1)), labels.reshape(-1))\n",
    # No optimizer.step(): nothing learns.
    "train_step": REFERENCE_HEADER["train_step"] + """    optimizer.zero_grad()
    loss = compute_loss(y, model(x))
    loss.backward()
    return loss.item()
""",
    # Only the last character of the start string reaches the model.
    "generate_text": generate(SAMPLE_LOOP).replace("for s in start_string]]", "for s in start_string[-1]]]"),
}
EXPECTED_2 = {"test_vectorize_string_values", "test_vectorize_string_corpus", "test_get_batch_random",
              "test_lstm_model_outputs", "test_lstm_model_learns", "test_compute_loss_value",
              "test_compute_loss_gradient", "test_train_step_update", "test_train_step_fresh_gradients",
              "test_generate_text_start"}

WRONG_3 = {
    # Correct alternative: np.fromiter.
    "vectorize_string": REFERENCE_HEADER["vectorize_string"]
    + "    return np.fromiter((char2idx[c] for c in string), dtype=int, count=len(string))\n",
    # Float windows: nn.Embedding needs integer indices.
    "get_batch": REFERENCE_HEADER["get_batch"] + """    idx = np.random.randint(0, len(vectorized_songs) - seq_length - 1, batch_size)
    x = np.stack([vectorized_songs[i:i + seq_length] for i in idx])
    y = np.stack([vectorized_songs[i + 1:i + seq_length + 1] for i in idx])
    return torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)
""",
    # No batch_first=True, and no crash to reveal it: the LSTM makes its own zero state.
    "lstm_model": lstm("""        out, state = self.lstm(self.embedding(x), state)
        out = self.fc(out)""", lstm_args=""),
    # Per-position losses instead of their mean.
    "compute_loss": REFERENCE_HEADER["compute_loss"]
    + "    return F.cross_entropy(logits.reshape(-1, logits.size(-1)), labels.reshape(-1), reduction='none')\n",
    # Correct alternative: zero the gradients after the step, return a detached tensor.
    "train_step": REFERENCE_HEADER["train_step"] + """    logits = model(x)
    loss = compute_loss(y, logits)
    loss.backward()
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return loss.detach()
""",
    # The state is not carried: each new character starts from a zero state.
    "generate_text": generate(SAMPLE_LOOP.replace("model(input_idx, state, return_state=True)",
                                                  "model(input_idx, model.init_hidden(1, device), return_state=True)")),
}
EXPECTED_3 = {"test_get_batch_shapes", "test_get_batch_random",  # randint(0, len - seq - 1) misses the last window
              "test_lstm_model_batch_independent", "test_lstm_model_shapes",
              "test_lstm_model_state", "test_compute_loss_value", "test_compute_loss_gradient",
              "test_lstm_model_learns", "test_generate_text_state"}

WRONG_4 = {
    # Correct alternative: list comprehension without an explicit dtype.
    "vectorize_string": REFERENCE_HEADER["vectorize_string"] + "    return np.array([char2idx[c] for c in string])\n",
    # Target shifted by two characters.
    "get_batch": REFERENCE_HEADER["get_batch"] + """    idx = np.random.randint(0, len(vectorized_songs) - seq_length - 2, batch_size)
    x = np.stack([vectorized_songs[i:i + seq_length] for i in idx])
    y = np.stack([vectorized_songs[i + 2:i + seq_length + 2] for i in idx])
    return torch.from_numpy(x).long(), torch.from_numpy(y).long()
""",
    # The state passed in is ignored.
    "lstm_model": lstm("""        out, state = self.lstm(self.embedding(x), self.init_hidden(x.size(0), x.device))
        out = self.fc(out)"""),
    # Correct alternative: the nn.CrossEntropyLoss module and view.
    "compute_loss": REFERENCE_HEADER["compute_loss"] + """    loss_fn = nn.CrossEntropyLoss()
    return loss_fn(logits.view(-1, logits.size(-1)), labels.view(-1))
""",
    # Correct alternative: model.zero_grad() and clipping of the (small) gradient.
    "train_step": REFERENCE_HEADER["train_step"] + """    model.zero_grad()
    loss = compute_loss(y, model(x))
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
    optimizer.step()
    return loss
""",
    # Only the generated characters are returned.
    "generate_text": generate(SAMPLE_LOOP, result="''.join(text_generated)"),
}
EXPECTED_4 = {"test_get_batch_shift", "test_get_batch_random",  # shifted by two, it cannot draw a window near the end
              "test_lstm_model_state", "test_generate_text_length"}

WRONG_5 = {
    # The first character sampled from the FIRST position of the start string's logits.
    "generate_text": generate(SAMPLE_LOOP.replace("logits[0, -1]", "logits[0, 0]")),
}
WRONG_6 = {
    # The start string without its first character reaches the model.
    "generate_text": generate(SAMPLE_LOOP).replace("for s in start_string]]", "for s in start_string[1:] or start_string]]"),
}
EXPECTED_5 = EXPECTED_6 = {"test_generate_text_start"}

ALTERNATIVES_5 = {
    # torch RNG, unfold-free slicing with torch.
    "get_batch": REFERENCE_HEADER["get_batch"] + """    data = torch.as_tensor(vectorized_songs)
    starts = torch.randint(0, len(data) - seq_length, (batch_size,))
    x = torch.stack([data[s:s + seq_length] for s in starts]).long()
    y = torch.stack([data[s + 1:s + seq_length + 1] for s in starts]).long()
    return x, y
""",
    # Time-major LSTM fed transposed inputs instead of batch_first=True.
    "lstm_model": lstm("""        if state is None:
            state = self.init_hidden(x.shape[0], x.device)
        out, state = self.lstm(self.embedding(x).transpose(0, 1), state)
        out = self.fc(out.transpose(0, 1))""", lstm_args=""),
    # cross_entropy on (B, V, L) logits.
    "compute_loss": REFERENCE_HEADER["compute_loss"] + "    return F.cross_entropy(logits.permute(0, 2, 1), labels)\n",
    # Categorical sampling, temperature, state=None at the start.
    "generate_text": """
def generate_text(model, start_string, generation_length=1000, temperature=1.0):
    model.eval()
    inputs = torch.tensor(vectorize_string(start_string), device=device).unsqueeze(0)
    state = None
    pieces = [start_string]
    with torch.no_grad():
        for _ in range(generation_length):
            logits, state = model(inputs, state, return_state=True)
            next_char = torch.distributions.Categorical(logits=logits[:, -1, :] / temperature).sample()
            pieces.append(idx2char[next_char.item()])
            inputs = next_char.view(1, 1)
    return "".join(pieces)
""",
}

ALTERNATIVES_6 = {
    # The whole growing text fed again at every step, no state kept: slow but the same distribution.
    "generate_text": """
def generate_text(model, start_string, generation_length=1000, temperature=1.0):
    model.eval()
    text = start_string
    for _ in range(generation_length):
        with torch.no_grad():
            logits = model(torch.tensor([vectorize_string(text)], device=device))
        p = torch.softmax(logits[0, -1].double() / temperature, dim=0).cpu().numpy()
        text += idx2char[np.random.choice(len(p), p=p / p.sum())]
    return text
""",
}


@pytest.mark.parametrize("replacements, expected_failures", [
    pytest.param(WRONG_1, EXPECTED_1, id="list-unshifted-no_batch_first-sum-no_zero_grad-argmax"),
    pytest.param(WRONG_2, EXPECTED_2, id="ord-fixed_windows-softmax-double_softmax-no_step-last_char"),
    pytest.param(WRONG_3, EXPECTED_3, id="float_batch-no_batch_first_silent-no_reduction-state_not_carried"),
    pytest.param(WRONG_4, EXPECTED_4, id="shift_by_two-state_ignored-only_generated"),
    pytest.param(WRONG_5, EXPECTED_5, id="first_character_from_the_first_position"),
    pytest.param(WRONG_6, EXPECTED_6, id="start_string_without_its_first_character"),
    pytest.param(ALTERNATIVES_5, set(), id="correct_alternatives_torch_rng-transposed_lstm-permute-categorical"),
    pytest.param(ALTERNATIVES_6, set(), id="correct_alternative_regenerate_whole_text"),
])
def test_answers_lose_points_exactly_in_the_expected_cells(replacements, expected_failures):
    result = judging.grade(ASSIGNMENT, replacements)
    assert set(result["cells"]) == all_test_ids()
    failed = judging.failed(result)
    details = {grade_id: result["cells"][grade_id]["message"][-300:] for grade_id in failed ^ expected_failures}
    assert failed == expected_failures, details
    for grade_id in failed:  # what the student reads is Ukrainian
        assert re.search("[а-яіїєґ]{4}", result["cells"][grade_id]["message"]), result["cells"][grade_id]


# ------------------------------------------------------------------ the visible tests, in a real kernel

# The mistakes students make most (one per answer cell, so one run covers them); benchmarks/visible_catches.py
# prints the same table with the messages.
COMMON_MISTAKES = [
    Mistake("вікно цілей не зсунуте на один символ", "get_batch", WRONG_1["get_batch"],
            "test_get_batch_shift", "seq_length + 1"),
    Mistake("LSTM без batch_first=True", "lstm_model", WRONG_1["lstm_model"], "test_lstm_model_shapes", "batch_first"),
    Mistake("softmax перед функцією втрат", "compute_loss", WRONG_2["compute_loss"],
            "test_compute_loss_value", "softmax"),
    Mistake("без optimizer.zero_grad()", "train_step", WRONG_1["train_step"],
            "test_train_step_fresh_gradients", "zero_grad"),
    Mistake("argmax замість вибірки", "generate_text", WRONG_1["generate_text"],
            "test_generate_text_samples", "argmax"),
    Mistake("коди символів (ord) замість номерів словника", "vectorize_string", WRONG_2["vectorize_string"],
            "test_vectorize_string_values", "char2idx"),
]


def test_the_reference_passes_every_visible_test_and_runs_cleanly():
    outcomes, executed = run_notebook(SOURCE, env=ENV, timeout=300)
    assert set(outcomes) == all_test_ids()
    assert failed_cells(outcomes) == []
    for cell in executed.cells:
        for output in cell.get("outputs", []):
            assert output["output_type"] != "error", (cell.source[:80], output.get("evalue"))


def test_visible_tests_name_the_cause_of_the_common_mistakes():
    for mistake, outcome in visible_catches(SOURCE, COMMON_MISTAKES, env=ENV, timeout=300):
        assert not outcome.passed, f"{mistake.test} does not catch: {mistake.what}"
        assert mistake.hint in outcome.message, (mistake.test, outcome.message[-300:])


# ------------------------------------------------------------------ the judge on whole notebooks

def test_the_judge_gives_full_marks_to_the_solution_and_zero_to_the_untouched_copy():
    solution = judging.grade(ASSIGNMENT)
    assert judging.failed(solution) == set() and solution["tampered"] == [], solution
    untouched = judging.grade(ASSIGNMENT, notebook=nbformat.read(str(RELEASED), as_version=4))
    assert set(untouched["cells"]) == all_test_ids()
    assert all(cell["score"] == 0 for cell in untouched["cells"].values()), untouched
