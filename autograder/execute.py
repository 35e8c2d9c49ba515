"""nbgrader's Execute preprocessor, hardened for untrusted notebooks.

Stock nbgrader aborts the student's whole autograde when the kernel dies (`os._exit`, a crash, the memory
limit) and waits for each cell's full timeout however long the notebook runs. Here:
- a dead kernel, or the notebook's time budget spent, turns every remaining cell into an error output
  (so the test cells that already passed keep their points and the rest score zero);
- a cell's output is capped (megabytes of prints would otherwise fill the grader's memory);
- before each graded test cell a silent integrity check runs in the kernel (see integrity.py).
What happened is left in `RUN_REPORT` for the worker that called nbgrader in this process.
"""

import time

from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.v4 import new_code_cell, new_output
from nbgrader.preprocessors import Execute
from traitlets import Integer

from .integrity import RUNTIME_CHECK, parse_runtime_output
from .messages import t

RUN_REPORT = {}


def reset_report():
    RUN_REPORT.clear()
    RUN_REPORT.update(kernel_died=False, out_of_time=False, integrity=[], output_truncated=False)


def _is_test_cell(cell):
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return bool(meta.get("grade")) and not meta.get("solution")


class SandboxedExecute(Execute):
    notebook_timeout = Integer(600, help="Seconds of wall-clock for the whole notebook").tag(config=True)
    max_output_bytes = Integer(1_000_000, help="Output kept per cell").tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        self._deadline = time.monotonic() + self.notebook_timeout
        self._cell_timeout = self.timeout
        self._dead = None
        self._cells_run = 0
        if not RUN_REPORT:
            reset_report()
        try:
            return super().preprocess(nb, resources, km)
        except (DeadKernelError, RuntimeError) as error:
            # The kernel never answered (it could not start, or died at once): every code cell fails, and
            # the grader reports the submission as not graded rather than as zero points.
            RUN_REPORT["kernel_died"] = True
            if not self._cells_run:
                RUN_REPORT["start_failed"] = str(error)[:300]
            for cell in nb.cells:
                if cell.cell_type == "code" and not cell.get("outputs"):
                    cell.outputs = [self._error("KernelDied", t("kernel_died_start", error=str(error)[:200]))]
            return nb, resources

    def _error(self, ename, evalue):
        return new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        if self._dead:
            cell.outputs = [self._error("KernelDied", self._dead)]
            return cell, resources
        remaining = self._deadline - time.monotonic()
        if remaining <= 1:
            RUN_REPORT["out_of_time"] = True
            cell.outputs = [self._error("NotebookTimeout", t("notebook_timeout", seconds=self.notebook_timeout))]
            return cell, resources
        self.timeout = int(max(1, min(self._cell_timeout, remaining)))
        self._cells_run += 1
        self._output_bytes = 0
        try:
            if _is_test_cell(cell):
                self._integrity_check(index)
            cell, resources = super().preprocess_cell(cell, resources, index)
            if any(o.get("ename") in ("CellTimeoutError", "KeyboardInterrupt") for o in cell.get("outputs", [])):
                RUN_REPORT["cell_timeout"] = True  # interrupted at the time limit; the next cells still run
            return cell, resources
        except DeadKernelError:
            self._dead = t("kernel_died")
        except CellTimeoutError:
            self._dead = t("kernel_unresponsive")
        RUN_REPORT["kernel_died"] = True
        cell.outputs = list(cell.get("outputs", [])) + [self._error("KernelDied", self._dead)]
        return cell, resources

    def _integrity_check(self, index):
        probe = new_code_cell(RUNTIME_CHECK)
        self.execute_cell(probe, index, store_history=False)
        problems = parse_runtime_output(probe.outputs)
        if problems:
            for problem in problems:
                if problem not in RUN_REPORT["integrity"]:
                    RUN_REPORT["integrity"].append(problem)

    def output(self, outs, msg, display_id, cell_index):
        # Cap what one cell may print; the rest is dropped, with a note. Errors and stderr always count
        # (their presence is the verdict), so they are kept, shortened.
        content = msg.get("content", {})
        kind = msg.get("msg_type")
        size = len(str(content.get("text", ""))) + len(str(content.get("data", "")))
        self._output_bytes = getattr(self, "_output_bytes", 0) + size
        if self._output_bytes <= self.max_output_bytes or kind == "error":
            return super().output(outs, msg, display_id, cell_index)
        RUN_REPORT["output_truncated"] = True
        if kind == "stream" and content.get("name") == "stderr":
            if not any(o.get("name") == "stderr" for o in outs):
                note = new_output("stream", name="stderr", text=str(content.get("text", ""))[:2000])
                outs.append(note)
                return note
            return None
        if self._output_bytes - size <= self.max_output_bytes:
            note = new_output("stream", name="stdout", text=t("output_truncated"))
            outs.append(note)
            return note
        return None
