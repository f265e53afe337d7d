"""Speed and memory figures for the pipeline (a script that prints figures; not a test).

    python benchmarks/run.py [--scales 1 43] [--work DIR] [--skip-loader] [--loader-args ...]

For each scale: rows per table, then wall time and peak memory of synth, validate and run (with
the run's per-stage timings). Each step runs in its own process so its peak resident memory is
its own. Then the data.police.uk loader benchmark (benchmarks/police_uk_loader.py).
Targets (2-core, 24 GB machine): scale 43 validate + run under 5 minutes, peak memory under 4 GB;
the value-for-money strand under 10 seconds at scale 43 (national scale).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGET_SECONDS = 300
TARGET_VFM_SECONDS = 10
TARGET_MEMORY_MB = 4096


def _step(step: str, data: str, out: str, scale: int) -> None:
    """Run one step in this process and print its figures as JSON (the child side)."""
    start = time.perf_counter()
    extra: dict = {}
    if step == "synth":
        from ij_eval.synth import write_synthetic

        summary = write_synthetic(data, seed=20231001, scale=scale)
        extra["rows"] = dict(summary.rows)
    else:
        from ij_eval.config import load_config

        config = load_config(Path(data) / "evaluation.toml")
        if step == "validate":
            from ij_eval.validation import validate_folder

            report = validate_folder(data, config)
            extra["errors"] = len(report.errors)
        elif step == "report":
            from ij_eval.report import build_report

            extra["files"] = len(build_report(out))
        else:
            from ij_eval.pipeline import run_pipeline

            run_pipeline(data, config, out)
            extra["stages"] = json.loads((Path(out) / "manifest.json").read_text())["timings_seconds"]
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "peak_mb": _peak_mb(), **extra}))


def _peak_mb() -> float:
    """This process's own peak resident memory (VmHWM; ru_maxrss can carry the parent's across exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _measure(step: str, data: Path, out: Path, scale: int) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", step, str(data), str(out), str(scale)],
        capture_output=True, text=True, check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"{step} at scale {scale} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _pipeline(scales: list[int], work: Path) -> None:
    for scale in scales:
        data, out = work / f"scale{scale}" / "data", work / f"scale{scale}" / "results"
        print(f"\n== scale {scale} ==")
        synth = _measure("synth", data, out, scale)
        for table, n in synth["rows"].items():
            print(f"  rows  {table:<20} {n:>12,}")
        print(f"  synth     {synth['seconds']:8.1f} s   peak {synth['peak_mb']:8.0f} MB")
        validate = _measure("validate", data, out, scale)
        print(f"  validate  {validate['seconds']:8.1f} s   peak {validate['peak_mb']:8.0f} MB"
              f"   ({validate['errors']} errors)")
        run = _measure("run", data, out, scale)
        print(f"  run       {run['seconds']:8.1f} s   peak {run['peak_mb']:8.0f} MB")
        for stage, seconds in run["stages"].items():
            print(f"      {stage:<22} {seconds:8.2f} s")
        report = _measure("report", data, out, scale)
        print(f"  report    {report['seconds']:8.1f} s   peak {report['peak_mb']:8.0f} MB"
              f"   (HTML, PDF, brief: {report['files']} files)")
        if scale == 43:
            total = validate["seconds"] + run["seconds"]
            peak = max(validate["peak_mb"], run["peak_mb"])
            print(f"  target: validate + run < {TARGET_SECONDS} s: {total:.1f} s "
                  f"{'MET' if total < TARGET_SECONDS else 'NOT MET'}; "
                  f"peak < {TARGET_MEMORY_MB} MB: {peak:.0f} MB {'MET' if peak < TARGET_MEMORY_MB else 'NOT MET'}")
            vfm = run["stages"].get("strand:value_for_money")
            if vfm is not None:  # issue 8: the value-for-money strand (10,000 Monte Carlo draws)
                print(f"  target: value for money < {TARGET_VFM_SECONDS} s: {vfm:.2f} s "
                      f"{'MET' if vfm < TARGET_VFM_SECONDS else 'NOT MET'}")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _step(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 43])
    parser.add_argument("--work", type=Path, help="keep generated data here (default: a temporary folder)")
    parser.add_argument("--skip-loader", action="store_true", help="skip the data.police.uk loader benchmark")
    parser.add_argument("--loader-args", nargs=argparse.REMAINDER, default=[],
                        help="arguments passed to benchmarks/police_uk_loader.py")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ij_eval_bench_") as tmp:
        _pipeline(args.scales, args.work or Path(tmp))
    if not args.skip_loader:
        print("\n== data.police.uk loader ==", flush=True)
        subprocess.run([sys.executable, str(HERE / "police_uk_loader.py"), *args.loader_args], check=True)


if __name__ == "__main__":
    main()
