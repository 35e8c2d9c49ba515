"""`python -m autograder`: release the student notebooks, grade the submissions (Ukrainian help)."""

import argparse
import sys
from pathlib import Path

from .cluster import default_workers
from .messages import t
from .sandbox import Limits

LIMITS = Limits()  # the defaults, defined once in sandbox.Limits


_ARGPARSE_UK = {
    "usage: ": "використання: ",
    "positional arguments": "позиційні аргументи",
    "options": "параметри",
    "the following arguments are required: %s": "потрібні аргументи: %s",
    "invalid choice: %(value)r (choose from %(choices)s)": "недопустиме значення: %(value)r (можливі: %(choices)s)",
    "unrecognized arguments: %s": "невідомі аргументи: %s",
    "invalid %(type)s value: %(value)r": "недопустиме значення %(type)s: %(value)r",
    "expected one argument": "потрібне одне значення",
}
# argparse looks its own words up through gettext at run time; these are the ones our commands show.
argparse._ = lambda text: _ARGPARSE_UK.get(text, text)


class UkrainianParser(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: помилка: {message}\n")


HELP = "показати цю довідку й вийти"
ASSIGNMENT_HELP = "pt_part1_intro або pt_part2_music_generation"


def _command(commands, name, help_text, description):
    parser = commands.add_parser(name, add_help=False, help=help_text, description=description)
    parser.add_argument("-h", "--help", action="help", help=HELP)
    return parser


def _release_arguments(commands):
    release = _command(commands, "release", "згенерувати exercises/ (версії для студентів) із solutions/",
                       "Генерує зошити для студентів у exercises/ із джерел у solutions/.")
    release.add_argument("assignments", nargs="*", metavar="ЗАВДАННЯ", help="які завдання (типово всі)")
    release.add_argument("--check", action="store_true",
                         help="лише перевірити, що exercises/ відповідає solutions/, нічого не змінюючи")


def _publish_arguments(commands):
    publish = _command(
        commands, "publish", "записати видання для студентів (сайт, зошити, бібліотеку) у теку публічного репозиторію",
        "Записує в ТЕКУ видання курсу для студентів: зібраний сайт (docs/, для GitHub Pages), зошити exercises/, "
        "бібліотеку abcrnn, README і LICENSE, без розв'язків і прихованих тестів. Адресу публічного репозиторію "
        "і тег випуску бере з _config.yml (repository.url, repository.branch). Сайт має бути зібраний "
        "(`make book`); `make publish DEST=ТЕКА` робить обидва кроки.")
    publish.add_argument("dest", type=Path, metavar="ТЕКА", help="порожня тека або клон публічного репозиторію")
    publish.add_argument("--dry-run", action="store_true",
                         help="пробний запуск: дозволити адресу-заглушку з _config.yml (такий випуск не публікують)")
    publish.add_argument("--site", type=Path, default=None, metavar="ТЕКА",
                         help="зібраний сайт (типово _build/html цього репозиторію)")


def _where_arguments(parser, what):
    parser.add_argument("--workers", type=int, default=None, metavar="N",
                        help=f"скільки {what} оцінювати одночасно на цій машині (типово стільки, скільки ядер: "
                             f"{default_workers()})")
    parser.add_argument("--scheduler", metavar="АДРЕСА",
                        help="оцінювати на наявному кластері Dask (наприклад tcp://10.0.0.5:8786 або файл "
                             "--scheduler-file) замість цієї машини")


def _mutants_arguments(commands):
    mutants = _command(
        commands, "mutants", "перевірити приховані тести мутантами еталонного розв'язку",
        "Вносить в еталонний розв'язок по одній типовій помилці PyTorch-коду (мутант), оцінює кожного мутанта, "
        "як роботу студента, і друкує частку вбитих (тести помітили помилку), еквівалентних (з причиною) і тих, "
        "що вижили.")
    mutants.add_argument("assignment", metavar="ЗАВДАННЯ", help=ASSIGNMENT_HELP)
    mutants.add_argument("--answer", action="append", metavar="GRADE_ID", help="лише мутанти цієї відповіді")
    _where_arguments(mutants, "мутантів")


def _grade_arguments(commands):
    grade = _command(
        commands, "grade", "оцінити роботи студентів",
        "Оцінює всі роботи з указаних файлів .ipynb, тек і zip-архівів (зокрема архіву Moodle «Завантажити всі "
        "подання»). Пише до ТЕКИ: grades.csv, moodle_grades.csv, feedback/<студент>.html, report.html і histogram.png.")
    grade.add_argument("assignment", metavar="ЗАВДАННЯ", help=ASSIGNMENT_HELP)
    grade.add_argument("inputs", nargs="+", metavar="ВХІД", help="файли .ipynb, теки або zip-архіви з роботами")
    grade.add_argument("--out", required=True, type=Path, metavar="ТЕКА", help="куди записати результати")
    _where_arguments(grade, "робіт")
    grade.add_argument("--gradebook", metavar="URL",
                       help="журнал оцінок nbgrader: адреса бази SQLAlchemy (типово SQLite у ТЕКА/.course)")
    grade.add_argument("--timeout", type=int, default=LIMITS.cell_timeout, metavar="СЕКУНДИ",
                       help=f"найбільший час на одну клітинку чи одну перевірку (типово {LIMITS.cell_timeout})")
    grade.add_argument("--notebook-timeout", type=int, default=LIMITS.notebook_timeout, metavar="СЕКУНДИ",
                       help=f"найбільший час на всю роботу одного студента (типово {LIMITS.notebook_timeout})")
    grade.add_argument("--memory", type=int, default=LIMITS.memory_mb, metavar="МБ",
                       help=f"найбільший обсяг пам'яті процесу з кодом студента (типово {LIMITS.memory_mb})")
    grade.add_argument("--roster", type=Path, metavar="CSV",
                       help="список групи: CSV зі стовпцем id (і name або first_name/last_name)")
    grade.add_argument("--id-pattern", metavar="REGEX",
                       help="регулярний вираз з групою (?P<student>...), що виділяє ідентифікатор студента зі шляху")
    grade.add_argument("--solutions", type=Path, default=None, metavar="ТЕКА",
                       help="тека з джерелами завдань (nbgrader source), типово solutions/ цього репозиторію")
    grade.add_argument("--sandbox", choices=["auto", "on", "off"], default="auto",
                       help="ізоляція коду студентів через bubblewrap: auto (типово; попередження, якщо немає), "
                            "on (відмовитися без неї), off (вимкнути)")


def build_parser():
    parser = UkrainianParser(
        prog="python -m autograder", add_help=False,
        description="Інструменти викладача курсу: випуск зошитів, видання для студентів і автоматичне оцінювання робіт.")
    parser.add_argument("-h", "--help", action="help", help=HELP)
    commands = parser.add_subparsers(dest="command", metavar="КОМАНДА", parser_class=UkrainianParser)
    commands.required = True
    for add in (_release_arguments, _publish_arguments, _grade_arguments, _mutants_arguments):
        add(commands)
    return parser


def _release(args):
    from .release import ReleaseError, release

    try:
        result = release(args.assignments or None, check=args.check)
    except ReleaseError as error:
        print(f"Помилка: {error}", file=sys.stderr)
        return 1
    if args.check:
        print("exercises/ застаріла." if result else "exercises/ відповідає solutions/ і _config.yml.")
        return 1 if result else 0
    print(f"Оновлено файлів: {len(result)}." if result else "exercises/ уже актуальна.")
    return 0


def _publish(args):
    from .publish import SITE, PublishError, publish

    try:
        done = publish(args.dest, site=args.site or SITE, dry_run=args.dry_run)
    except PublishError as error:
        print(f"Помилка: {error}", file=sys.stderr)
        return 1
    print(f"Видання {done.edition.tag} для студентів записано в {done.dest}: файлів {done.files}, "
          f"{done.bytes / 1e6:.1f} МБ; розв'язків і прихованих тестів у ньому немає.")
    if done.dry_run:
        print("Це пробний запуск: не публікуйте його, доки в _config.yml адреса-заглушка.")
    else:
        print(f"Далі: cd {done.dest} && git add -A && git commit -m \"{done.edition.tag}\" && git tag {done.edition.tag} "
              f"&& git push origin HEAD --tags; сайт: {done.edition.site_url} (GitHub Pages з теки /docs).")
    return 0


def _mutants(args):
    from . import mutants

    return mutants.main(args.assignment, Path(__file__).resolve().parent.parent / "solutions", args.workers,
                        args.scheduler, args.answer)


def _grade(args):
    from .grading import GradingError, Options, grade

    limits = Limits(cell_timeout=args.timeout, notebook_timeout=args.notebook_timeout, memory_mb=args.memory,
                    cpu_seconds=max(LIMITS.cpu_seconds, 2 * args.notebook_timeout))
    options = Options(assignment=args.assignment, inputs=args.inputs, out=args.out, workers=args.workers,
                      scheduler=args.scheduler, gradebook=args.gradebook, limits=limits, roster=args.roster,
                      id_pattern=args.id_pattern, sandbox=args.sandbox)
    if args.solutions is not None:
        options.solutions = args.solutions
    try:
        summary = grade(options)
    except (GradingError, FileNotFoundError, ValueError) as error:
        print(f"Помилка: {error}", file=sys.stderr)
        return 1
    print(t("summary", graded=summary.count("graded"), review=summary.count("review"),
            error=summary.count("error"), out=summary.out))
    return 0


def main(argv=None):
    args = build_parser().parse_args(argv)
    commands = {"release": _release, "publish": _publish, "grade": _grade, "mutants": _mutants}
    return commands[args.command](args)
