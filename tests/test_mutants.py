"""`python -m autograder mutants`: the mutation operators make the mistakes they name, and a mutant is killed,
equivalent or a survivor as the checks decide. (The full runs, with their scores, are in the README's note.)"""

import subprocess
import sys

from autograder import mutants
from conftest import REPO

TRAIN_STEP = """def train_step(x, y):
    model.train()
    optimizer.zero_grad()
    loss = compute_loss(y, model(x))
    loss.backward()
    optimizer.step()
    return loss.item()"""

GENERATE = """def generate_text(model, start_string, generation_length=1000, temperature=1.0):
    model.eval()
    state = model.init_hidden(1, device)
    with torch.no_grad():
        logits, state = model(input_idx, state, return_state=True)
        probabilities = torch.softmax(logits[0, -1] / temperature, dim=-1)
        next_idx = torch.multinomial(probabilities, num_samples=1)
    return start_string"""


def test_operators_make_the_mistakes_students_make():
    found = mutants.mutants_of("train_step", TRAIN_STEP)
    dropped = {m.line for m in found if m.operator == "викинуто виклик"}
    assert dropped == {"model.train()", "optimizer.zero_grad()", "loss.backward()", "optimizer.step()"}
    assert any(m.operator == "аргументи переставлено" and "compute_loss(model(x), y)" in m.source for m in found)
    found = mutants.mutants_of("generate_text", GENERATE)

    def made(operator, text):
        return any(m.operator == operator and text in m.source for m in found)

    assert made("argmax замість вибірки", "torch.argmax(probabilities")
    assert made("стан не передано", "model(input_idx, None, return_state=True)")
    assert made("перша позиція замість останньої", "logits[0, 0]")
    assert made("інший оператор", "logits[0, -1] * temperature")
    assert any(m.operator == "без no_grad" and "no_grad" not in m.source for m in found)
    sources = [m.source for m in found]
    assert len(sources) == len(set(sources)), "each mutant is a different program"


def test_batch_first_and_softmax_mutants():
    model = """class LSTMModel(nn.Module):
    def forward(self, x, state=None, return_state=False):
        self.lstm = nn.LSTM(4, 8, batch_first=True)
        logits = self.fc(self.lstm(x)[0])
        return logits"""
    found = mutants.mutants_of("lstm_model", model)
    assert any(m.operator == "без batch_first=" and "batch_first" not in m.source for m in found)
    assert any(m.operator == "додано softmax" and "torch.softmax(self.fc" in m.source for m in found)


def test_the_command_grades_mutants_and_lists_the_equivalent_with_its_reason():
    result = subprocess.run([sys.executable, "-m", "autograder", "mutants", "pt_part2_music_generation",
                             "--answer", "vectorize_string", "--workers", "1"], cwd=REPO, capture_output=True,
                            text=True, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert "еквівалентний: vectorize_string · без dtype=" in result.stdout and "int64" in result.stdout
    assert "ВИЖИВ" not in result.stdout
