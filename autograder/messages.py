"""Every text the instructor or a student reads from the grader, in Ukrainian, in one place."""

STATUS = {"graded": "оцінено", "review": "на ручну перевірку", "error": "не оцінено"}

MESSAGES = {
    # collecting files
    "input_missing": "Не знайдено вхідний файл або теку: {path}",
    "bad_zip": "Файл {path} не є справжнім zip-архівом або пошкоджений ({error}).",
    "file_too_big": "Файл завеликий (понад {mb} МБ), тож його не оцінювали.",
    "no_student_id": "Не вдалося визначити студента за шляхом {origin}; файл пропущено (див. --id-pattern або --roster).",
    "not_in_roster": "Студента {student} ({origin}) немає у списку групи.",
    "unreadable": "Файл не вдалося прочитати ({error}).",
    "name_not_utf8": "Назва файлу або теки не в кодуванні UTF-8, тож не можна певно визначити, чия це робота; її не "
                     "оцінено. Перейменуйте файл і оцініть його ще раз.",
    "encrypted": "Архів захищено паролем, тож його не вдалося розпакувати.",
    "archive_broken": "Архів або файл у ньому пошкоджено, його не вдалося розпакувати ({error}).",
    "zip_too_deep": "Архів вкладено в інші архіви надто глибоко (понад {depth} рівні), тож його не розпаковували.",
    "over_budget": "Файл не розпаковано: за цей запуск з архівів уже розпаковано близько {mb} МБ (найбільше, що "
                   "дозволено). Оцініть цю роботу окремим запуском.",
    "over_budget_warning": "УВАГА: з архівів розпаковано найбільше дозволеного (близько {mb} МБ); ще {n} файлів не "
                           "розпаковано, їхні роботи позначено як неоцінені. Оцініть їх окремим запуском.",
    "same_file": "Файл {origin} є точною копією {twin}; його враховано один раз.",
    "roster_no_id": "У списку групи {path} немає стовпця «id».",
    # reading a submission
    "empty_file": "Файл порожній.",
    "not_utf8": "Файл не є текстом у кодуванні UTF-8, тож це не зошит Jupyter.",
    "not_json": "Файл пошкоджено: це не JSON, тож не зошит Jupyter (.ipynb).",
    "not_notebook": "Файл є JSON, але не зошитом Jupyter.",
    "bad_notebook": "Зошит пошкоджено, його не вдалося прочитати: {error}",
    "bad_characters": "Відповідь у клітинці {cells} містить недопустимий символ (непарний сурогат UTF-16, "
                      "наприклад \\ud800), який не можна записати в UTF-8; роботу не оцінено.",
    "other_assignment": "Це зошит іншого завдання ({other}), а не того, що оцінюється.",
    "no_answers": "У зошиті не знайдено жодної відповіді цього завдання.",
    "metadata_lost": "Службові позначки nbgrader втрачено (так буває після Colab); відповіді знайдено за вмістом: {cells}.",
    "answers_missing": "Не знайдено відповідей: {cells} (за них 0 балів).",
    # several files of one student
    "same_answers": "Інший зошит студента, {origin}, має ті самі відповіді; оцінено {graded}.",
    "different_answers": "Студент здав кілька різних зошитів: оцінено {graded} (найновіший придатний), а відповіді в "
                         "{origin} інші. Перевірте, який зошит правильний.",
    "other_file_failed": "Ще один файл студента, {origin}, не вдалося оцінити: {reason}",
    # suspicious code
    "in_cell": "клітинка {cell}: {reason}",
    "scan_hook": "змінює обробку помилок IPython/Python ({name})",
    "scan_builtins": "звертається до вбудованих імен інтерпретатора ({name})",
    "scan_patch": "підміняє функцію бібліотеки ({name})",
    "scan_rebind": "перевизначає вбудоване ім'я ({name})",
    "runtime_tamper": "під час перевірки виявлено підмінені функції: {names}",
    # running
    "kernel_died_start": "Ядро Python не запустилося або аварійно завершилося: {error}",
    "kernel_start_failed": "Ядро Python не запустилося ({error}); оцініть роботу ще раз.",
    "kernel_died": "Ядро Python аварійно завершилося (наприклад, через os._exit, вичерпану пам'ять або збій); решту клітинок не виконано.",
    "kernel_unresponsive": "Ядро Python перестало відповідати; решту клітинок не виконано.",
    "notebook_timeout": "Вичерпано час на весь зошит ({seconds} с); клітинку не виконано.",
    "output_truncated": "[Вивід обрізано: клітинка надрукувала забагато.]\n",
    "stderr_message": "Повідомлення в stderr: {text}",
    "note_kernel_died": "Ядро Python аварійно завершилося під час виконання; тести після цього не зараховано.",
    "note_cell_timeout": "Принаймні одна клітинка перевищила ліміт часу й була перервана (нескінченний цикл?).",
    "note_out_of_time": "Вичерпано час на весь зошит; решту тестів не зараховано.",
    "note_output_truncated": "Деякі клітинки друкували забагато, їхній вивід обрізано.",
    "autograde_failed": "nbgrader не зміг оцінити зошит (див. журнал у .course/results).",
    "hard_timeout": "Оцінювання тривало понад {seconds} с і його зупинено.",
    "worker_crashed": "Процес оцінювання аварійно завершився на цьому зошиті.",
    "worker_setup_failed": "Не вдалося підготувати процес оцінювання:\n{error}",
    # overall
    "unknown_assignment": "Невідоме завдання «{assignment}». Доступні: {known}.",
    "out_in_git": "Тека результатів {out} лежить у репозиторії й не ігнорується git, а журнал оцінок містить "
                  "приховані тести. Виберіть теку поза репозиторієм (або, наприклад, test-artifacts/).",
    "bad_workers": "Кількість процесів (--workers) має бути не менше 1.",
    "no_assignment": "Не знайдено зошит завдання {assignment} у {folder}.",
    "generate_failed": "nbgrader generate_assignment завершився з помилкою:\n{log}",
    "nothing_found": "Не знайдено жодного зошита (.ipynb) серед вхідних файлів.",
    "found": "Знайдено робіт: {n} (завдання {assignment}).",
    "progress": "[{n}/{total}] {student}: {score} балів ({seconds} с)",
    "progress_failed": "[{n}/{total}] {student}: {reason}",
    "workers_done": "Виконання зошитів тривало {seconds} с.",
    "unsandboxed_warning": "УВАГА: bubblewrap недоступний або вимкнений, тож код студентів виконується БЕЗ ІЗОЛЯЦІЇ "
                           "(лише з обмеженнями ресурсів). Оцінюйте так лише роботи, яким довіряєте, або в "
                           "окремій віртуальній машині чи контейнері.",
    "no_bubblewrap_required": "Потрібен bubblewrap (пакет Debian/Ubuntu «bubblewrap»), але він недоступний.",
    "summary": "Оцінено робіт: {graded}; на ручну перевірку: {review}; не вдалося оцінити: {error}. Результати: {out}",
    # feedback and report
    "fb_title": "Відгук: {assignment}, студент {student}",
    "fb_total": "Разом: {total} з {max} балів.",
    "fb_passed": "пройдено",
    "fb_failed": "не пройдено",
    "fb_no_message": "Тест не пройдено (без повідомлення).",
    "fb_error": "Роботу не вдалося оцінити автоматично:",
    "fb_review": "Роботу передано викладачеві на ручну перевірку; бали можуть змінитися.",
    "fb_cell": "Тест",
    "fb_result": "Результат",
    "fb_points": "Бали",
    "fb_message": "Повідомлення",
    "hist_x": "Сума балів",
    "hist_y": "Кількість студентів",
    "hist_title": "Розподіл сумарних балів",
    "rep_title": "Звіт про оцінювання: {assignment}",
    "rep_counts": "Усього робіт: {total}; оцінено: {graded}; на ручну перевірку: {review}; не оцінено: {error}.",
    "rep_cells": "Частка студентів, що пройшли кожен тест",
    "rep_passed": "Пройшли",
    "rep_flagged": "Роботи, що потребують уваги",
    "rep_none_flagged": "Таких робіт немає.",
    "rep_student": "Студент",
    "rep_status": "Стан",
    "rep_reasons": "Причини",
    "rep_origin": "Файл",
    "rep_students": "Усі студенти",
    "rep_total": "Сума",
    "rep_notes": "Примітки",
}


def t(key, **values):
    """The Ukrainian message `key` with `values` filled in."""
    return MESSAGES[key].format(**values)
