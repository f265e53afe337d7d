"""The ``ij-eval`` command line: parse arguments, call the library, turn domain errors into exit codes.

Exit codes (the class of :class:`~ij_eval.errors.IJEvalError` decides): 0 success; 1 bad input data
(validation errors, an unreadable table); 2 a problem with the config or the environment (message
on stderr, no traceback); 3 an internal error, a bug (one line naming the crash log,
:mod:`ij_eval.crash`); 130 interrupted. Never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ij_eval import __version__
from ij_eval.errors import IJEvalError, ValidationFailed

DEFAULT_CONFIG = "evaluation.toml"


def _config_path(args: argparse.Namespace) -> Path | None:
    if args.config:
        return Path(args.config)
    candidate = Path(args.data_dir) / DEFAULT_CONFIG
    return candidate if candidate.is_file() else None


def cmd_validate(args: argparse.Namespace) -> int:
    from ij_eval.config import load_config
    from ij_eval.validation import validate_folder

    report = validate_folder(args.data_dir, load_config(_config_path(args)))
    print(report.render())
    return 0 if report.ok else 1


def cmd_run(args: argparse.Namespace) -> int:
    from ij_eval.config import load_config
    from ij_eval.pipeline import run_pipeline
    from ij_eval.progress import Progress

    path = _config_path(args)
    if path is None:
        raise IJEvalError(f"no config: pass --config FILE or put {DEFAULT_CONFIG} in {args.data_dir}")
    run_pipeline(args.data_dir, load_config(path), args.out, only=args.only, progress=Progress(args.quiet))
    return 0


def cmd_synth(args: argparse.Namespace) -> int:
    import polars as pl

    from ij_eval.synth import calibration_table, write_synthetic

    summary = write_synthetic(args.out, scenario=args.scenario, seed=args.seed, scale=args.scale)
    for name, n in summary.rows.items():
        print(f"  {name}: {n:,} rows")
    print(f"synthetic data ({summary.scenario}, seed {summary.seed}, scale {summary.scale}) written to {args.out}")
    if args.calibration:
        with pl.Config(tbl_rows=-1, fmt_str_lengths=90, tbl_hide_dataframe_shape=True):
            print(calibration_table(args.out, args.scenario).drop("source"))
    return 0


def cmd_pseudonymise(args: argparse.Namespace) -> int:
    from ij_eval.pseudonymise import pseudonymise_folder

    result = pseudonymise_folder(args.in_dir, args.out_dir, key_file=args.key_file, config=args.config)
    print(result.describe())
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from ij_eval.progress import Progress
    from ij_eval.report import build_report

    for path in build_report(args.results, args.out, progress=Progress(args.quiet)):
        print(f"wrote {path}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from ij_eval.config import load_config
    from ij_eval.pipeline import run_pipeline
    from ij_eval.progress import Progress
    from ij_eval.report import build_report
    from ij_eval.synth import write_synthetic

    out = Path(args.out)
    progress = Progress(args.quiet)
    data_dir, results = out / "data", out / "results"
    with progress.stage("synth", f"writing synthetic data (seed {args.seed}, scale {args.scale}) to {data_dir}"):
        write_synthetic(data_dir, seed=args.seed, scale=args.scale)
    run_pipeline(data_dir, load_config(data_dir / DEFAULT_CONFIG), results, progress=progress)
    written = build_report(results, progress=progress)
    for path in written:
        print(f"wrote {path}")
    print(f"demo evaluation (SYNTHETIC DATA) in {out}: data/, results/, and the report in results/report/ "
          f"(open {results / 'report' / 'index.html'})")
    return 0


def cmd_templates(args: argparse.Namespace) -> int:
    from ij_eval.dictionary import write_docs

    out = Path(args.out_dir)
    for path in write_docs(out / "templates", out / "DATA_DICTIONARY.md"):
        print(f"wrote {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ij-eval", description="Independent evaluation of police Immediate Justice schemes.")
    parser.add_argument("--version", action="version", version=f"ij-eval {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("validate", help="check a data folder against the schemas and cross-table rules")
    p.add_argument("data_dir", metavar="DATA_DIR")
    p.add_argument("--config", metavar="FILE", help=f"evaluation config (default: DATA_DIR/{DEFAULT_CONFIG})")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("run", help="validate, run every strand whose inputs are present, write the results store")
    p.add_argument("data_dir", metavar="DATA_DIR")
    p.add_argument("--config", metavar="FILE", help=f"evaluation config (default: DATA_DIR/{DEFAULT_CONFIG})")
    p.add_argument("--out", required=True, metavar="OUT", help="results store folder (replaced when complete)")
    p.add_argument("--only", nargs="+", metavar="STRAND", help="run only these strands")
    p.add_argument("--quiet", action="store_true", help="no progress messages")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("synth", help="write a synthetic input folder with known true effects")
    p.add_argument("--out", required=True, metavar="DIR")
    p.add_argument("--scenario", default="default", metavar="NAME", help="default, null-effect or second-force")
    p.add_argument("--calibration", action="store_true",
                   help="print the published targets beside the generated figures")
    p.add_argument("--seed", type=int, default=20231001, metavar="N")
    p.add_argument("--scale", type=int, default=1, metavar="K", help="multiply volumes (43 = national)")
    p.set_defaults(func=cmd_synth)

    p = sub.add_parser("pseudonymise", help="replace person ids and reference numbers with a keyed hash; keep only "
                                            "the schemas' columns and the declared covariates")
    p.add_argument("in_dir", metavar="IN_DIR")
    p.add_argument("out_dir", metavar="OUT_DIR")
    p.add_argument("--config", metavar="FILE",
                   help=f"evaluation config whose [reoffending] covariates are kept (default: IN_DIR/{DEFAULT_CONFIG})")
    p.add_argument("--key-file", metavar="FILE",
                   help="file holding the secret key (default: the IJ_EVAL_PSEUDONYMISATION_KEY environment variable)")
    p.set_defaults(func=cmd_pseudonymise)

    p = sub.add_parser("report", help="build the report and the brief (HTML and PDF) from a results store")
    p.add_argument("results", metavar="OUT_DIR", help="a results store written by `ij-eval run`")
    p.add_argument("--out", metavar="DIR", help="where to write the report (default: OUT_DIR/report)")
    p.add_argument("--quiet", action="store_true", help="no progress messages")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("demo", help="synthetic data -> every analysis -> report, in one go")
    p.add_argument("--out", default="outputs/demo", metavar="DIR")
    p.add_argument("--seed", type=int, default=20231001, metavar="N")
    p.add_argument("--scale", type=int, default=1, metavar="K")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("templates", help="write blank CSV templates and the data dictionary for a force analyst")
    p.add_argument("out_dir", metavar="OUT_DIR")
    p.set_defaults(func=cmd_templates)
    return parser


INTERNAL_ERROR = 3


def _own_folders(args: argparse.Namespace) -> list[Path]:
    """The folders this command reads or writes: a crash log must not land in one of them."""
    return [Path(getattr(args, k)) for k in ("data_dir", "out", "results", "in_dir", "out_dir")
            if getattr(args, k, None)]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ValidationFailed as exc:
        for problem in sorted(exc.problems, key=lambda p: p.level != "error"):
            if problem.level != "info":
                print(problem.describe(), file=sys.stderr)
        print(f"ij-eval: {exc}; nothing was written", file=sys.stderr)
        return 1
    except IJEvalError as exc:
        print(f"ij-eval: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("ij-eval: interrupted", file=sys.stderr)
        return 130
    except ModuleNotFoundError as exc:  # an incomplete installation, not a bug in the code
        print(f"ij-eval: the Python package {exc.name!r} is not installed, so ij-eval is not installed completely; "
              "reinstall it (pip install --force-reinstall ij-eval) in the environment you run it from",
              file=sys.stderr)
        return 2
    except MemoryError:
        print("ij-eval: the machine ran out of memory. Run on a machine with more memory, "
              "or with smaller settings ([value_for_money] monte_carlo_draws)", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - a bug: one line and a crash log, never a traceback
        from ij_eval.crash import report_crash

        print(report_crash(exc, argv, avoid=_own_folders(args)), file=sys.stderr)
        return INTERNAL_ERROR


if __name__ == "__main__":
    sys.exit(main())
