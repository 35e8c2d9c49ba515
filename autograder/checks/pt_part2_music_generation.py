"""Hidden tests of Part 2 (PT_Part2_Music_Generation): one check per graded test cell, decided in the judge."""

import math
import random

import numpy as np
import torch
import torch.nn.functional as F

from . import ArrayAnswer, check, close, device, expect, kind, number, random_ints, random_tensor, tensor

# What the checks take from the reference notebook (its public cells: the vocabulary of the training text).
REFERENCE_VALUES = ("vocab", "char2idx")
# Mutants of the reference solution (autograder/mutants.py) that no check can kill, with the reason:
# {(answer, operator, the reference line): why}.
GPU_ONLY = "на CPU тензор і так опиняється на CPU; помилку видно лише там, де device — GPU (її ловить той самий тест на GPU)"
LONG_ALREADY = "вікна беруться з масиву int64 (його повертає vectorize_string), тож тензор і так має тип torch.long"
SAME_DIM = "dim=-1 стає dim=0, а тензор одновимірний: це той самий вимір"
SAMPLING_LINE = "probabilities = torch.softmax(logits[0, -1] / temperature, dim=-1)"
EQUIVALENT = {
    ("vectorize_string", "без dtype=", "return np.array([char2idx[char] for char in string], dtype=np.int64)"):
        "масив цілих Python у NumPy 2 і так має тип int64",
    ("get_batch", "аргумент викинуто", "starts = np.random.randint(0, last_start + 1, size=batch_size)"):
        "np.random.randint(high) вибирає з 0 … high − 1, як і randint(0, high)",
    ("get_batch", "без dtype=", "x = torch.as_tensor(vectorized_songs[positions], dtype=torch.long)"): LONG_ALREADY,
    ("get_batch", "без dtype=", "y = torch.as_tensor(vectorized_songs[positions + 1], dtype=torch.long)"): LONG_ALREADY,
    ("train_step", "викинуто виклик", "model.train()"):
        "у моделі немає dropout чи batch norm, тож режими train і eval рахують однаково",
    ("train_step", "без .item()", "return loss.item()"):
        "завдання дозволяє повернути число або скалярний тензор",
    ("generate_text", "без .item()", "generated.append(idx2char[next_idx.item()])"):
        "тензор з одного цілого числа індексує масив NumPy так само, як саме число",
    ("generate_text", "число − 1", SAMPLING_LINE): SAME_DIM,
    ("generate_text", "перша позиція замість останньої", SAMPLING_LINE): SAME_DIM,
    ("generate_text", "інший dim", SAMPLING_LINE): SAME_DIM,
    ("generate_text", "без dtype=", "input_idx = torch.tensor([[char2idx[char] for char in start_string]], "
                                   "dtype=torch.long, device=device)"):
        "тензор з цілих Python і так має тип torch.long",
    ("generate_text", "без device=", "input_idx = torch.tensor([[char2idx[char] for char in start_string]], "
                                    "dtype=torch.long, device=device)"): GPU_ONLY,
}
BATCH_FIRST_HINT = " Чи задано batch_first=True?"


def _vocab(student):
    return student.reference["vocab"], student.reference["char2idx"]


def _indices(text, char2idx):
    return np.array([char2idx[char] for char in text], dtype=np.int64)


def _corpus_text(songs):
    import abcrnn

    return "\n\n".join(abcrnn.load_training_data()[:songs])


# ----- task 1: vectorize_string ------------------------------------------------------------------------------

def _vectorized(student, text, char2idx):
    answer = student.call("vectorize_string", text)
    expect(isinstance(answer, ArrayAnswer), f"vectorize_string має повертати np.ndarray, а повертає {kind(answer)}.")
    expect(answer.value is not None and np.issubdtype(answer.value.dtype, np.integer),
           f"Номери мають бути цілими числами, а тип масиву {answer.dtype}.")
    expect(answer.value.ndim == 1, f"Масив має бути одновимірним, а має форму {answer.shape}.")
    expect(len(answer.value) == len(text), "Довжина масиву має дорівнювати довжині рядка.")
    expect(np.array_equal(answer.value, _indices(text, char2idx)), "Номери символів не збігаються з char2idx.")


@check("test_vectorize_string_values")
def vectorize_string_values(student):
    vocab, char2idx = _vocab(student)
    _vectorized(student, "X:1\nT:Test\nK:D\n|:dB|AF:|", char2idx)
    rng = random.Random(0)
    _vectorized(student, "".join(rng.choice(vocab) for _ in range(3000)), char2idx)


@check("test_vectorize_string_corpus")
def vectorize_string_corpus(student):
    _vectorized(student, _corpus_text(200), _vocab(student)[1])


# ----- task 2: get_batch -------------------------------------------------------------------------------------

def _batch(student, data, length, size, seed=0, long=True):
    answer = student.call("get_batch", np.asarray(data), length, size, seed=seed)
    expect(isinstance(answer, (tuple, list)) and len(answer) == 2, "get_batch має повертати пару (x, y).")
    x, y = (tensor(part, "x і y") for part in answer)
    expect(tuple(x.shape) == (size, length) and tuple(y.shape) == (size, length),
           f"Очікувалась форма ({size}, {length}), отримано {tuple(x.shape)} і {tuple(y.shape)}.")
    expect(not long or answer[0].dtype == answer[1].dtype == "int64",
           f"Тип має бути torch.long (номери для nn.Embedding), а не {answer[0].dtype}, {answer[1].dtype}.")
    return x.long(), y.long()


@check("test_get_batch_shapes")
def get_batch_shapes(student):
    ids = _indices(_corpus_text(5)[:3000], _vocab(student)[1])
    _batch(student, ids, 20, 5)
    _batch(student, np.arange(500), 7, 3)


@check("test_get_batch_shift")
def get_batch_shift(student):
    ids = _indices(_corpus_text(5)[:3000], _vocab(student)[1])
    x, y = _batch(student, ids, 30, 4, long=False)  # the type is test_get_batch_shapes's business
    expect(torch.equal(x[:, 1:], y[:, :-1]), "y має бути x, зсунутим на один символ уперед.")
    steps = torch.arange(10)
    for seed in range(20):  # on the text 0, 1, ..., 59 every window shows where it starts
        x, y = _batch(student, np.arange(60), 10, 8, seed=seed, long=False)
        for row_x, row_y in zip(x, y):
            expect(torch.equal(row_x, row_x[0] + steps), "Вікно x має бути суцільним шматком тексту.")
            expect(torch.equal(row_y, row_x + 1), "y має бути x, зсунутим на один символ уперед.")
            expect(0 <= int(row_x[0]) and int(row_y[-1]) <= 59, "Вікно виходить за межі тексту.")


@check("test_get_batch_random")
def get_batch_random(student):
    answers = student.call("get_batch", np.arange(200), 10, 64, times=12)
    expect(isinstance(answers, list) and len(answers) == 12, "get_batch має повертати пару (x, y).")
    starts, firsts = [], []
    for answer in answers:
        expect(isinstance(answer, (tuple, list)) and len(answer) == 2, "get_batch має повертати пару (x, y).")
        x = tensor(answer[0], "x")
        expect(tuple(x.shape) == (64, 10), f"Очікувалась форма (64, 10), отримано {tuple(x.shape)}.")
        starts += x[:, 0].tolist()
        firsts.append(x)
    # 768 windows over 190 possible starts: random windows hit most of them, anywhere in the text.
    expect(len(set(starts)) > 100, "Вікна мають починатися з випадкових місць тексту.")
    expect(min(starts) < 20 and max(starts) > 170, "Вікна мають покривати весь текст, від початку до кінця.")
    expect(not torch.equal(firsts[-1], firsts[-2]), "Два виклики мають давати різні пакети.")
    # A text of 12 characters holds exactly two windows of 10 + 1: both must be drawn, and no other.
    short = student.call("get_batch", np.arange(12), 10, 32, times=3)
    starts = {int(row) for answer in short for row in tensor(answer[0], "x")[:, 0]}
    expect(starts == {0, 1}, f"У тексті з 12 символів вміщаються рівно два вікна з 11 (x і y), що починаються з 0 і 1; "
                             f"отримано початки {sorted(starts)}: перевірте межі np.random.randint.")


# ----- task 3: LSTMModel -------------------------------------------------------------------------------------

def _logits(answer, what="Логіти"):
    return tensor(answer, what)


def _state(answer):
    expect(isinstance(answer, (tuple, list)) and len(answer) == 2,
           f"З return_state=True модель повертає пару (логіти, стан), а не {kind(answer)}.")
    state = answer[1]
    expect(isinstance(state, (tuple, list)) and len(state) == 2, "Стан має бути парою тензорів (h, c).")
    return answer[0], state


@check("test_lstm_model_shapes")
def lstm_model_shapes(student):
    where = device()
    x = random_ints(40, 13, 3, 7)
    plain, with_state, initial = student.model("LSTMModel", (13, 8, 16), [
        ["forward", x, None, False], ["forward", x, None, True], ["init_hidden", 5]], device=where)
    logits = _logits(plain)
    expect(tuple(logits.shape) == (3, 7, 13),
           f"Логіти мають форму (batch, seq, vocab_size) = (3, 7, 13), а не {tuple(logits.shape)}.")
    _, (h, c) = _state(with_state)
    for part in (h, c):
        expect(tuple(tensor(part, "Стан").shape) == (1, 3, 16),
               f"Стан (h, c) має форму (1, batch, hidden_size) = (1, 3, 16), а не {tuple(tensor(part, 'Стан').shape)}.")
    expect(isinstance(initial, (tuple, list)) and len(initial) == 2, "init_hidden має повертати пару (h, c).")
    for part in initial:
        zero = tensor(part, "Початковий стан")
        expect(tuple(zero.shape) == (1, 5, 16), "init_hidden(5, device) має повертати тензори форми (1, 5, hidden_size).")
        expect(float(zero.abs().sum()) == 0, "Початковий стан має бути нульовим.")
    for ctor, shape in [((5, 3, 4), (2, 11)), ((5, 3, 4), (1, 1))]:
        [answer] = student.model("LSTMModel", ctor, [["forward", random_ints(41, 5, *shape), None, False]], device=where)
        expect(tuple(_logits(answer).shape) == (*shape, 5), f"Для входу форми {shape} логіти мають форму {(*shape, 5)}.")


@check("test_lstm_model_outputs")
def lstm_model_outputs(student):
    where = device()
    with_state, initial, elsewhere = student.model("LSTMModel", (13, 8, 16), [
        ["forward", random_ints(42, 13, 3, 7), None, True], ["init_hidden", 2], ["init_hidden", 2, "meta"]],
        device=where)
    logits, (h, c) = _state(with_state)
    values = _logits(logits)
    expect(logits.dtype == "float32", f"Логіти мають тип {logits.dtype}, а не torch.float32.")
    expect(logits.device == where, f"Логіти на {logits.device}, а модель на {where}.")
    expect(h.device == where and c.device == where, "Стан має бути на тому самому пристрої, що й модель.")
    expect(all(part.device == where for part in initial) and all(part.device == "meta" for part in elsewhere),
           "init_hidden має створювати стан на пристрої, який їй передали (device).")
    probabilities = bool((values >= 0).all()) and close(values.sum(-1), torch.ones(values.shape[:-1]), atol=1e-3)
    expect(not probabilities, "Модель має повертати логіти, а не ймовірності: softmax не потрібен (його робить "
                              "F.cross_entropy).")


@check("test_lstm_model_causal")
def lstm_model_causal(student):
    x = random_ints(43, 13, 4, 10)
    changed = x.clone()
    changed[:, 6:] = (x[:, 6:] + 1) % 13
    _, a, b = student.model("LSTMModel", (13, 8, 16), [["eval"], ["forward", x, None, False],
                                                       ["forward", changed, None, False]], device=device())
    a, b = _logits(a), _logits(b)
    expect(a.shape == b.shape == (4, 10, 13), f"Логіти мають форму (4, 10, 13), а не {tuple(a.shape)}.")
    expect(close(a[:, :6], b[:, :6]), "Вихід на кроці t не має залежати від майбутніх символів." + BATCH_FIRST_HINT)
    expect(not close(a[:, 6:], b[:, 6:]), "Вихід має залежати від поточного символу.")


@check("test_lstm_model_batch_independent")
def lstm_model_batch_independent(student):
    x = random_ints(44, 13, 4, 9)
    changed = x.clone()
    changed[0] = (x[0] + 5) % 13
    _, a, b, alone = student.model("LSTMModel", (13, 8, 16), [
        ["eval"], ["forward", x, None, False], ["forward", changed, None, False], ["forward", x[2:3], None, False]],
        device=device())
    a, b, alone = _logits(a), _logits(b), _logits(alone)
    expect(a.shape == b.shape == (4, 9, 13) and alone.shape == (1, 9, 13), "Логіти мають форму (batch, seq, vocab).")
    expect(close(a[1:], b[1:]), "Зміна одного прикладу пакета змінила інші." + BATCH_FIRST_HINT)
    expect(close(a[2:3], alone), "Приклад дає інший результат окремо і у пакеті." + BATCH_FIRST_HINT)


@check("test_lstm_model_state")
def lstm_model_state(student):
    x = random_ints(45, 13, 2, 12)
    _, full, first, second, zero, from_zero = student.model("LSTMModel", (13, 8, 16), [
        ["eval"], ["forward", x, None, True], ["forward", x[:, :5], None, True], ["forward", x[:, 5:], 2, True],
        ["init_hidden", 2], ["forward", x, 4, False]], device=device())
    (full, (h, c)), (first, _), (second, (h2, c2)) = _state(full), _state(first), _state(second)
    joined = torch.cat([_logits(first), _logits(second)], 1)
    expect(close(joined, _logits(full)), "Обробка частинами з переданим станом має давати той самий результат.")
    expect(close(tensor(h2, "h"), tensor(h, "h")) and close(tensor(c2, "c"), tensor(c, "c")),
           "Повернутий стан має бути станом після останнього символу.")
    expect(close(_logits(from_zero), _logits(full)), "state=None має означати нульовий початковий стан.")


@check("test_lstm_model_gradients")
def lstm_model_gradients(student):
    x, y = random_ints(46, 13, 3, 7), random_ints(47, 13, 3, 7)
    [after] = student.model("LSTMModel", (13, 8, 16), [["backward_ce", x, y]], device=device())
    expect(len(after) >= 3, "У моделі мають бути навчувані параметри (Embedding, LSTM, Linear).")
    for entry in after:
        grad = entry.get("grad")
        expect(grad is not None and float(tensor(grad, "grad").abs().sum()) > 0,
               f"Градієнт не доходить до параметра {entry['name']}.")


# ----- task 4: compute_loss ----------------------------------------------------------------------------------

def _reference_loss(labels, logits):
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1))


@check("test_compute_loss_value")
def compute_loss_value(student):
    where = device()
    labels = random_ints(50, 7, 2, 5)
    loss = student.call("compute_loss", labels.to(where), torch.zeros(2, 5, 7, device=where))
    value = tensor(loss, "compute_loss")
    expect(value.dim() == 0, "compute_loss має повертати скалярний тензор.")
    expect(abs(float(value) - math.log(7)) < 1e-4, f"Для однакових логітів очікувано ln(7) = {math.log(7):.4f}, "
                                                   f"отримано {float(value):.4f}.")
    for seed, shape in enumerate([(4, 9, 17), (1, 1, 3), (8, 30, 94)]):
        logits = random_tensor(51 + seed, *shape, scale=3.0)
        labels = random_ints(60 + seed, shape[-1], *shape[:2])
        loss = student.call("compute_loss", labels.to(where), logits.to(where))
        value = tensor(loss, "compute_loss")
        expect(value.dim() == 0, "compute_loss має повертати скалярний тензор.")
        expect(loss.device == where, "Втрати мають бути на тому самому пристрої, що й логіти.")
        expect(close(value, _reference_loss(labels, logits)), "Значення втрат не збігається з середньою перехресною "
                                                              "ентропією.")


@check("test_compute_loss_gradient")
def compute_loss_gradient(student):
    logits, labels = random_tensor(70, 3, 6, 11), random_ints(71, 11, 3, 6)
    answer = student.gradients("compute_loss", [labels, logits], wrt=[1])
    [grad] = answer["grads"]
    expect(grad is not None, "Градієнт не доходить до логітів.")
    expected_logits = logits.clone().requires_grad_(True)
    _reference_loss(labels, expected_logits).backward()
    expect(close(tensor(grad, "Градієнт"), expected_logits.grad), "Градієнт втрат не збігається з градієнтом "
                                                                  "середньої перехресної ентропії.")


@check("test_lstm_model_learns")
def lstm_model_learns(student):
    # A text where each character determines the next one: a correct model learns it in a few dozen steps.
    rng = torch.Generator().manual_seed(80)
    following = torch.randperm(40, generator=rng)
    rows = []
    for start in torch.randint(0, 40, (8,), generator=rng).tolist():
        row = [start]
        for _ in range(20):
            row.append(int(following[row[-1]]))
        rows.append(row)
    sequences = torch.tensor(rows)
    losses = student.learn("LSTMModel", (40, 16, 32), sequences[:, :-1].contiguous(), sequences[:, 1:].contiguous(),
                           lr=0.03, steps=20, device=device())
    expect(isinstance(losses, list) and len(losses) == 20, "Навчання не відбулося.")
    first, last = number(losses[0], "Втрати"), number(losses[-1], "Втрати")
    # A correct model ends near 2 % of its first loss; one that outputs probabilities stays above 75 %.
    expect(last < 0.5 * first, f"Втрати не падають: {first:.3f} → {last:.3f}.")


# ----- task 5: train_step ------------------------------------------------------------------------------------

def _sgd(parameters, batches, lr):
    """The reference: plain gradient descent on the tiny model (Embedding 7×5, Linear 5→7) from `parameters`;
    the loss before every step and the parameters after the last."""
    named = {entry["name"]: tensor(entry["value"], entry["name"]).clone().double().requires_grad_(True)
             for entry in parameters}
    losses = []
    for x, y in batches:
        logits = named["embedding.weight"][x] @ named["fc.weight"].T + named["fc.bias"]
        loss = _reference_loss(y, logits)
        grads = torch.autograd.grad(loss, list(named.values()))
        with torch.no_grad():
            for value, grad in zip(named.values(), grads):
                value -= lr * grad
        losses.append(float(loss.detach()))
    return losses, {name: value.detach() for name, value in named.items()}


def _train_steps(student, batches, lr=0.5):
    answer = student.train_step(7, batches, lr, device=device())
    returned, snapshots = answer["returned"], answer["parameters"]
    expected_losses, expected = _sgd(snapshots[0], batches, lr)
    for value, wanted in zip(returned, expected_losses):
        got = number(value, "train_step має повертати втрати, а повертає")
        expect(abs(got - wanted) < 1e-4, f"train_step повернула {got:.5f}, а втрати на цьому пакеті {wanted:.5f}.")
    final = {entry["name"]: tensor(entry["value"], entry["name"]) for entry in snapshots[-1]}
    return snapshots, expected, final


@check("test_train_step_update")
def train_step_update(student):
    batch = (random_ints(90, 7, 4, 6), random_ints(91, 7, 4, 6))
    snapshots, expected, final = _train_steps(student, [batch])
    before = {entry["name"]: tensor(entry["value"], entry["name"]) for entry in snapshots[0]}
    expect(any(not torch.equal(before[name], final[name]) for name in before),
           "Параметри не змінилися: чи викликано optimizer.step()?")
    expect(all(close(final[name], expected[name]) for name in expected),
           "Крок оптимізатора не відповідає градієнту втрат цього пакета.")


@check("test_train_step_fresh_gradients")
def train_step_fresh_gradients(student):
    batches = [(random_ints(92 + 2 * i, 7, 4, 6), random_ints(93 + 2 * i, 7, 4, 6)) for i in range(3)]
    _, expected, final = _train_steps(student, batches)
    expect(all(close(final[name], expected[name]) for name in expected),
           "Кроки накопичують градієнти попередніх пакетів: чи викликано optimizer.zero_grad()?")


# ----- task 6: generate_text ---------------------------------------------------------------------------------

def _one_hot_table(rows, size):
    """Logits that make character targets[i] almost certain after row i."""
    table = torch.zeros(len(rows), size)
    table[torch.arange(len(rows)), torch.tensor(rows)] = 50.0
    return table


def _generated(student, mode, table, start, length, whole=False, **options):
    """The characters generate_text added. Only with `whole` must the result also be start_string followed by
    them (test_generate_text_length's business): elsewhere the bare generated text is accepted too.
    `length` None: generate_text's default length (1000)."""
    text = student.generate(mode, table, start, length, device=device(), **options)
    length = 1000 if length is None else length
    expect(isinstance(text, str), f"generate_text має повертати рядок, а не {kind(text)}.")
    if not whole and len(text) == length and not text.startswith(start):
        return text
    expect(text.startswith(start), "Результат має починатися з start_string.")
    expect(len(text) == len(start) + length, f"Очікувано {len(start) + length} символів (start_string + "
                                             f"generation_length), отримано {len(text)}.")
    return text[len(start):]


@check("test_generate_text_length")
def generate_text_length(student):
    vocab, char2idx = _vocab(student)
    uniform = torch.zeros(1, len(vocab))
    for start, length in [("X:1\nT:", 30), ("X:", 1), ("K", 7), ("X:1\nT:Tune\nM:6/8\n", 25), ("X:", None)]:
        generated = _generated(student, "fixed", uniform, start, length, whole=True)
        expect(set(generated) <= set(vocab), "Згенеровані символи мають бути зі словника.")
    # A model that answers "b" in training mode or with gradients on, and "a" only for inference.
    inference, careless = _one_hot_table([char2idx["a"]], len(vocab)), _one_hot_table([char2idx["b"]], len(vocab))
    generated = _generated(student, "fixed", inference, "X:", 5, training_table=careless)
    expect(generated == "aaaaa", "Генеруйте в режимі передбачення: model.eval() і torch.no_grad().")


@check("test_generate_text_samples")
def generate_text_samples(student):
    vocab, char2idx = _vocab(student)
    targets, probabilities = [char2idx[c] for c in "abcd"], torch.tensor([0.4, 0.3, 0.2, 0.1])
    table = torch.full((1, len(vocab)), -1e4)
    table[0, targets] = probabilities.log()
    for temperature in (None, 0.5, 2.0):  # None: the default, 1
        wanted = torch.softmax(probabilities.log() / (temperature or 1.0), dim=0)
        generated = _generated(student, "fixed", table, "X:", 1500, temperature=temperature)
        expect(set(generated) <= set("abcd"), "Вибрано символи, яким модель дає нульову ймовірність.")
        frequencies = torch.tensor([generated.count(c) / len(generated) for c in "abcd"])
        # The standard error of a frequency is at most 0.013 here, so 0.05 is about 4 standard errors.
        expect(float((frequencies - wanted).abs().max()) < 0.05,
               f"За температури {temperature or 1.0} частоти символів {[round(f, 3) for f in frequencies.tolist()]} "
               f"не відповідають імовірностям {[round(p, 3) for p in wanted.tolist()]}: символи треба вибирати "
               "випадково з softmax(логіти / temperature).")


@check("test_generate_text_start")
def generate_text_start(student):
    vocab, char2idx = _vocab(student)
    size = len(vocab)
    # The model's next character is the one after the FIRST character it has read since its initial state:
    # a generate_text that feeds only part of start_string starts from another character.
    after_first = _one_hot_table([(i + 1) % size for i in range(size)], size)
    for start in ["X:", "K:D", "T:", "ab", "M:6/8"]:
        generated = _generated(student, "first", after_first, start, 1)
        expect(generated == vocab[(char2idx[start[0]] + 1) % size],
               f"Для початку {start!r} модель мала прочитати його весь, з першого символу.")
    # Here the logits at each position depend on that position's character only: the first generated character
    # must come from the LAST position of start_string.
    after_current = _one_hot_table([(7 * i + 3) % size for i in range(size)], size)
    for start in ["X:", "K:D", "ab", "T:Reel"]:
        generated = _generated(student, "current", after_current, start, 1)
        expect(generated == vocab[(7 * char2idx[start[-1]] + 3) % size],
               f"Для початку {start!r} перший символ треба вибирати з логітів останньої позиції start_string.")


@check("test_generate_text_state")
def generate_text_state(student):
    vocab = _vocab(student)[0]
    size = len(vocab)
    # The next character depends on how many characters the model has read since its initial state.
    by_count = _one_hot_table([(5 * n + 1) % size for n in range(size)], size)
    generated = _generated(student, "count", by_count, "X", 12)
    expected = "".join(vocab[(5 * n + 1) % size] for n in range(1, 13))
    expect(generated == expected, "Стан моделі має переходити від кроку генерації до наступного.")
