"""The ``resnext-teach`` command (``[project.scripts]`` in pyproject.toml): ``grade`` and ``export-student``.

    resnext-teach grade SUBMISSIONS [--out grades.csv] [--feedback DIR] [--timeout SECONDS]
    resnext-teach export-student [CHAPTER ...] [--out DIR] [--source DIR] [--force]

Bad arguments exit with status 2 and one line that names the argument and its rule.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from .export import ExportError, export
from .grades import LAYOUT, grade_folder
from .grading import NOT_A_SANDBOX

GRADE_HELP = f"""Run each submitted student notebook in its own kernel, with a time limit, and write one row per
notebook (one column per exercise: correct / not yet / unanswered / error; points; out_of) and one feedback file
per student. Layout of SUBMISSIONS: {LAYOUT}.

{NOT_A_SANDBOX}"""

EXPORT_HELP = """Copy the student editions (no solutions) that the book build wrote into a folder for an
assignment. A notebook that was edited since the last export is never overwritten unless --force is given."""


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--timeout must be a number of seconds, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"--timeout must be a positive, finite number of seconds, got {text!r}")
    return value


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="resnext-teach", description="Tools for teaching with the ResNeXt book.")
    commands = main.add_subparsers(dest="command", required=True, metavar="COMMAND")
    grade = commands.add_parser("grade", help="grade a folder of student notebooks (not a sandbox)",
                                description=GRADE_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    grade.add_argument("submissions", type=Path, metavar="SUBMISSIONS", help="the folder of submitted notebooks")
    grade.add_argument("--out", type=Path, default=Path("grades.csv"), help="the grades table (default: grades.csv)")
    grade.add_argument("--feedback", type=Path, default=None,
                       help="folder for one feedback file per student (default: 'feedback' beside --out)")
    grade.add_argument("--timeout", type=_seconds, default=600.0,
                       help="seconds of execution allowed per notebook (default: 600)")
    student = commands.add_parser("export-student", help="copy the student editions for an assignment",
                                  description=EXPORT_HELP)
    student.add_argument("chapters", nargs="*", help="chapter names, e.g. 02_grouped_convolution (default: all)")
    student.add_argument("--out", type=Path, default=Path("student_notebooks"),
                         help="the folder to write them to (default: student_notebooks)")
    student.add_argument("--source", type=Path, default=Path("_build/notebooks/student"),
                         help="where the build wrote them (default: _build/notebooks/student)")
    student.add_argument("--force", action="store_true", help="replace notebooks that were edited")
    return main


def main(argv: list[str] | None = None) -> int:
    """Run the command; returns the exit status."""
    args = parser().parse_args(argv)
    if args.command == "grade":
        if args.out.is_dir():
            parser().error(f"--out must name a CSV file, but {args.out} is a folder")
        feedback = args.feedback if args.feedback is not None else args.out.parent / "feedback"
        try:
            grade_folder(args.submissions, args.out, feedback, args.timeout)
        except ValueError as error:
            parser().error(f"grade: {error}")
        except OSError as error:  # the table or a feedback file cannot be written
            parser().error(f"grade: cannot write {error.filename}: {error.strerror}")
        return 0
    try:
        written = export(args.source, args.out, args.chapters, force=args.force)
    except ExportError as error:
        print(f"resnext-teach export-student: error: {error}", file=sys.stderr)
        return 1
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
