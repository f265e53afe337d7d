"""Benchmark the data.police.uk street-level loader (``ij_eval.io.police_uk``).

Prints figures; it is not a test. Two parts:

(a) the reference files in ``reference/police_uk`` (18 real force-month files):
    rows/second and peak memory of ``asb_by_lsoa_month`` beside a hand-written polars scan
    (``pl.scan_csv(files).filter(ASB).group_by(["LSOA code", "Month"]).agg(pl.len()).collect()``);
(b) a generated national-size archive, by default 43 forces x 60 months of
    ``YYYY-MM/YYYY-MM-<force>-street.csv`` with ~6 million rows a year (~30 million rows, several
    GB), realistic columns and ~25% ASB: the same two measurements, their ratio (target: the
    loader within 1.5x of the hand-written scan) and the loader's peak memory over 1/4, 1/2 and
    all of the files (target: memory does not grow with the number of files).

Each measurement runs in a fresh subprocess that reports its own peak resident memory
(``VmHWM`` from ``/proc/self/status`` at exit, ``ru_maxrss`` off Linux: polars allocates outside
Python, so ``tracemalloc`` would miss it); a subprocess that only imports polars and ij_eval
gives the baseline. The archive is generated in subprocesses too, so the parent stays small.
Times cover the call only, not interpreter start-up or imports. The archive is written just
before it is read, so every measurement alike reads it from the page cache.

Usage::

    python benchmarks/police_uk_loader.py                       # full size (~30M rows)
    python benchmarks/police_uk_loader.py --years 1 --rows-per-year 600000   # quick check
    python benchmarks/police_uk_loader.py --archive-dir /big/disk --keep     # keep the archive

The generated archive is deleted at the end unless ``--keep`` is given; an ``--archive-dir``
that already holds ``*-street.csv`` files is reused as it is and never deleted.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import polars as pl

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "reference" / "police_uk"
ASB = "Anti-social behaviour"
RATIO_TARGET = 1.5  # loader time / hand-written scan time
GROWTH_TARGET = 0.20  # peak memory at all files vs 1/4 of them, above the import baseline
RUN_BYTES = 256 * 2**20  # the loader reads runs of months of about this much CSV at a time

FORCES = [
    "avon-and-somerset", "bedfordshire", "cambridgeshire", "cheshire", "city-of-london",
    "cleveland", "cumbria", "derbyshire", "devon-and-cornwall", "dorset", "durham",
    "dyfed-powys", "essex", "gloucestershire", "greater-manchester", "gwent", "hampshire",
    "hertfordshire", "humberside", "kent", "lancashire", "leicestershire", "lincolnshire",
    "merseyside", "metropolitan", "norfolk", "north-wales", "north-yorkshire",
    "northamptonshire", "northumbria", "nottinghamshire", "south-wales", "south-yorkshire",
    "staffordshire", "suffolk", "surrey", "sussex", "thames-valley", "warwickshire",
    "west-mercia", "west-midlands", "west-yorkshire", "wiltshire",
]
# rough relative sizes (recorded crime and ASB): the big metropolitan forces publish most rows
BIG = {"metropolitan": 9.0, "greater-manchester": 3.5, "west-midlands": 3.0,
       "west-yorkshire": 3.0, "thames-valley": 2.0, "kent": 2.0, "lancashire": 1.8,
       "merseyside": 1.8, "hampshire": 1.8, "south-yorkshire": 1.8, "northumbria": 1.8,
       "avon-and-somerset": 1.7, "essex": 1.7, "sussex": 1.5, "city-of-london": 0.1}
CRIME_TYPES = {
    ASB: 0.25, "Violence and sexual offences": 0.30, "Public order": 0.07,
    "Criminal damage and arson": 0.07, "Other theft": 0.05, "Shoplifting": 0.05,
    "Vehicle crime": 0.04, "Burglary": 0.035, "Drugs": 0.02, "Other crime": 0.015,
    "Theft from the person": 0.01, "Bicycle theft": 0.008, "Possession of weapons": 0.007,
    "Robbery": 0.005,
}
OUTCOMES = [
    "Investigation complete; no suspect identified", "Unable to prosecute suspect",
    "Under investigation", "Status update unavailable", "Court result unavailable",
    "Awaiting court outcome", "Local resolution", "Offender given a caution",
    "Further investigation is not in the public interest",
]
STREETS = ["High", "Church", "Station", "Park", "Victoria", "Green", "Manor", "Mill", "Queen",
           "King", "New", "School", "Chapel", "Albert", "Springfield", "York", "George",
           "Grange", "Windsor", "Highfield", "Prospect", "Catherine", "London", "North"]
KINDS = ["Street", "Road", "Lane", "Close", "Avenue", "Drive", "Way", "Court", "Gardens",
         "Crescent", "Place", "Terrace"]
PLACES = ["Shopping Area", "Supermarket", "Petrol Station", "Parking Area", "Nightclub",
          "Sports/Recreation Area", "Hospital", "Police Station", "Further/Higher Educational "
          "Building", "Conference/Exhibition Centre", "Theatre/Concert Hall", "Bus/Coach Station"]
N_LSOA = 35_000
MISSING_LSOA = 0.015


# --------------------------------------------------------------------------------------------
# generating an archive


def _display(force: str) -> str:
    words = " ".join(w if w in {"and", "of"} else w.capitalize() for w in force.split("-"))
    return "Metropolitan Police Service" if force == "metropolitan" else f"{words} Police"


def _hex_ids(rng: np.random.Generator, n: int) -> pl.Series:
    lut = np.array([f"{i:02x}" for i in range(256)], dtype="S2")
    raw = lut[rng.integers(0, 256, (n, 32), dtype=np.uint8)].view("S64").ravel()
    return pl.Series("Crime ID", raw).cast(pl.String)


def generate_archive(root: Path, forces: list[str], months: list[str], rows_per_month: int,
                     seed: int) -> int:
    """Write ``root/YYYY-MM/YYYY-MM-<force>-street.csv`` for every month and force.

    Rows of a month are drawn at once with numpy/polars and split by force; returns total rows.
    """
    rng = np.random.default_rng(seed)
    weights = np.array([BIG.get(f, 1.0) for f in forces]) * rng.uniform(0.8, 1.2, len(forces))
    weights /= weights.sum()
    # each force gets a block of LSOAs proportional to its size
    sizes = np.maximum((weights * N_LSOA).astype(np.int64), 20)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    n_lsoa = int(sizes.sum())
    lsoa_codes = pl.Series(np.arange(1, n_lsoa + 1)).cast(pl.String).str.zfill(6)
    lsoa_codes = ("E01" + lsoa_codes).alias("LSOA code")
    district = np.repeat(np.arange(len(forces)), sizes)
    district_names = pl.Series([forces[d].replace("-", " ").title() for d in range(len(forces))])
    lsoa_names = (district_names.gather(district) + " "
                  + pl.Series(np.arange(n_lsoa) % 999 + 1).cast(pl.String).str.zfill(3) + "A")
    centre_lon = rng.uniform(-4.5, 1.5, len(forces))[district] + rng.normal(0, 0.15, n_lsoa)
    centre_lat = rng.uniform(50.5, 54.8, len(forces))[district] + rng.normal(0, 0.15, n_lsoa)
    locations = pl.Series(
        [f"On or near {s} {k}" for s in STREETS for k in KINDS]
        + [f"On or near {p}" for p in PLACES]
    )
    types = pl.Series(list(CRIME_TYPES))
    type_p = np.array(list(CRIME_TYPES.values()))
    type_p[1:] *= (1 - type_p[0]) / type_p[1:].sum()  # ASB stays at 25%, the rest share 75%
    outcomes = pl.Series(OUTCOMES)
    names = pl.Series([_display(f) for f in forces])
    total = 0
    for month in months:
        n = int(rows_per_month)
        force = np.sort(rng.choice(len(forces), size=n, p=weights))
        lsoa = starts[force] + (rng.random(n) * sizes[force]).astype(np.int64)
        has_lsoa = rng.random(n) >= MISSING_LSOA
        crime = rng.choice(len(types), size=n, p=type_p)
        is_asb = crime == 0
        frame = pl.DataFrame({
            "Crime ID": _hex_ids(rng, n),
            "Month": pl.repeat(month, n, eager=True),
            "Reported by": names.gather(force),
            "Longitude": np.round(centre_lon[lsoa] + rng.normal(0, 0.01, n), 6),
            "Latitude": np.round(centre_lat[lsoa] + rng.normal(0, 0.01, n), 6),
            "Location": locations.gather(rng.integers(0, len(locations), n)),
            "LSOA code": lsoa_codes.gather(lsoa),
            "LSOA name": lsoa_names.gather(lsoa),
            "Crime type": types.gather(crime),
            "Last outcome category": outcomes.gather(rng.integers(0, len(outcomes), n)),
            "has_lsoa": has_lsoa,
            "is_asb": is_asb,
            "force": force,
        })
        missing = ~pl.col("has_lsoa")
        frame = frame.with_columns(
            pl.when(pl.col("is_asb")).then(None).otherwise(pl.col("Crime ID")).alias("Crime ID"),
            pl.when(pl.col("is_asb")).then(None).otherwise(pl.col("Last outcome category"))
            .alias("Last outcome category"),
            *(pl.when(missing).then(None).otherwise(pl.col(c)).alias(c)
              for c in ("Longitude", "Latitude", "LSOA code", "LSOA name")),
            pl.when(missing).then(pl.lit("No Location")).otherwise(pl.col("Location"))
            .alias("Location"),
            pl.lit(None, dtype=pl.String).alias("Context"),
        ).select(
            "Crime ID", "Month", "Reported by", pl.col("Reported by").alias("Falls within"),
            "Longitude", "Latitude", "Location", "LSOA code", "LSOA name", "Crime type",
            "Last outcome category", "Context", "force",
        )
        folder = root / month
        folder.mkdir(parents=True, exist_ok=True)
        bounds = np.searchsorted(force, np.arange(len(forces) + 1))
        for i, name in enumerate(forces):
            part = frame.slice(int(bounds[i]), int(bounds[i + 1] - bounds[i])).drop("force")
            part.write_csv(folder / f"{month}-{name}-street.csv", float_precision=6)
        total += n
    return total


def generate_in_subprocesses(root: Path, forces: list[str], months: list[str],
                             rows_per_month: int, seed: int) -> int:
    """:func:`generate_archive` in fresh worker processes (one a CPU, up to 4), a year each."""
    workers = max(1, min(4, os.cpu_count() or 1))
    chunks = [months[i:i + 12] for i in range(0, len(months), 12)]
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        jobs = [pool.submit(generate_archive, root, forces, chunk, rows_per_month, seed + i)
                for i, chunk in enumerate(chunks)]
        return sum(job.result() for job in jobs)


# --------------------------------------------------------------------------------------------
# measuring (each in its own subprocess)


def _child(mode: str, list_file: Path) -> None:
    """Run one measurement and print JSON with its time and this process's peak memory."""
    files = [Path(line) for line in list_file.read_text().splitlines() if line]
    out: dict[str, float | int | str] = {"mode": mode, "files": len(files)}
    if mode == "loader":
        from ij_eval.io.police_uk import asb_by_lsoa_month

        start = time.perf_counter()
        result = asb_by_lsoa_month(files)
        out["seconds"] = time.perf_counter() - start
        out["rows"] = result.rows_read
        out["asb"] = result.rows_asb
        out["result_mb"] = result.counts.estimated_size() / 2**20
    elif mode == "hand":
        start = time.perf_counter()
        frame = (
            pl.scan_csv(files)
            .filter(pl.col("Crime type") == ASB)
            .group_by(["LSOA code", "Month"])
            .agg(pl.len())
            .collect()
        )
        out["seconds"] = time.perf_counter() - start
        out["asb"] = int(frame["len"].sum())
        out["result_mb"] = frame.estimated_size() / 2**20
    elif mode == "baseline":
        import ij_eval.io.police_uk  # noqa: F401 - the imports a measurement pays for

        out["seconds"] = 0.0
        out["result_mb"] = 0.0
    else:
        raise SystemExit(f"unknown mode {mode}")
    out["maxrss_mb"] = peak_rss_mb()
    print(json.dumps(out))


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB.

    ``VmHWM`` is the high-water mark of the address space made at ``exec``, so it is this
    program's own peak. ``ru_maxrss`` is the fallback off Linux; on Linux it is not used because
    it keeps the parent's resident size at ``fork`` across ``exec`` (a parent that generated a
    large archive would show up in every measurement).
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    scale = 1 / 1024 if sys.platform != "darwin" else 1 / 1024 / 1024  # KiB on Linux, B on macOS
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def measure(mode: str, files: list[Path], workdir: Path) -> dict:
    list_file = workdir / f"files-{mode}-{len(files)}.txt"
    list_file.write_text("\n".join(str(f) for f in files) + "\n")
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", mode, "--files", str(list_file)],
        capture_output=True, text=True, check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"measurement {mode} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def paired(files: list[Path], workdir: Path, repeat: int) -> tuple[dict, dict]:
    """Loader and hand-written scan, alternated ``repeat`` times; best time, highest memory.

    Alternating spreads any drift of the machine (page cache, other work) over both.
    """
    runs: dict[str, list[dict]] = {"loader": [], "hand": []}
    for _ in range(repeat):
        for mode in runs:
            runs[mode].append(measure(mode, files, workdir))
    best = {}
    for mode, done in runs.items():
        fastest = min(done, key=lambda r: r["seconds"])
        best[mode] = {**fastest, "maxrss_mb": max(r["maxrss_mb"] for r in done)}
    return best["loader"], best["hand"]


def warm_up(files: list[Path]) -> None:
    """Read every file once so that all measurements find them in the page cache alike."""
    buffer = bytearray(1 << 22)
    for file in files:
        with file.open("rb", buffering=0) as fh:
            while fh.readinto(buffer):
                pass


def _met(ok: bool) -> str:
    return "MET" if ok else "NOT MET"


def compare(title: str, files: list[Path], workdir: Path, repeat: int, baseline_mb: float) -> dict:
    warm_up(files)
    loader, hand = paired(files, workdir, repeat)
    rows = loader["rows"]
    size_gb = sum(f.stat().st_size for f in files) / 1e9
    print(f"\n== {title}: {len(files)} files, {rows:,} rows ({loader['asb']:,} ASB), "
          f"{size_gb:.2f} GB ==")
    if loader["asb"] != hand["asb"]:
        print(f"  WARNING: ASB totals differ: loader {loader['asb']:,}, hand-written {hand['asb']:,}")
    for label, run in (("loader asb_by_lsoa_month", loader), ("hand-written pl.scan_csv", hand)):
        print(f"  {label:<26} {run['seconds']:8.3f} s  {rows / run['seconds']:14,.0f} rows/s  "
              f"peak {run['maxrss_mb']:7.0f} MB ({run['maxrss_mb'] - baseline_mb:+.0f} MB over "
              "import baseline)")
    ratio = loader["seconds"] / hand["seconds"]
    print(f"  time ratio loader / hand-written: {ratio:.2f}x "
          f"(target <= {RATIO_TARGET}x: {_met(ratio <= RATIO_TARGET)})")
    return {"loader": loader, "hand": hand, "ratio": ratio}


def memory_growth(files: list[Path], workdir: Path, repeat: int, baseline_mb: float,
                  full: dict) -> None:
    """Peak memory of the loader (and the hand-written scan) over 1/4, 1/2 and all the files.

    The result itself (one row per LSOA and month) grows with the months read, so growth is
    also shown net of the result's own size: that is the part a streaming read should hold flat.
    """
    print("\n  peak memory by share of the files, net of the import baseline "
          "(result = size of the returned counts):")
    working = {}
    for share, k in (("1/4", max(1, len(files) // 4)), ("1/2", max(1, len(files) // 2)),
                     ("all", len(files))):
        if share == "all":
            loader, hand = full["loader"], full["hand"]
        else:
            loader, hand = paired(files[:k], workdir, repeat)
        net = loader["maxrss_mb"] - baseline_mb
        working[share] = (net, net - loader["result_mb"])
        print(f"    {share:>3} ({k:5d} files, {loader['rows']:>12,} rows): loader {net:6.0f} MB "
              f"(result {loader['result_mb']:4.0f} MB, working {net - loader['result_mb']:6.0f} MB); "
              f"hand-written {hand['maxrss_mb'] - baseline_mb:6.0f} MB "
              f"(result {hand['result_mb']:4.0f} MB)")
    total = working["all"][0] / max(working["1/4"][0], 1.0) - 1
    growth = working["all"][1] / max(working["1/4"][1], 1.0) - 1
    print(f"  loader memory from 1/4 to all of the files (4x the files): {total:+.0%} in all, "
          f"{growth:+.0%} net of the result")
    print(f"  target: memory does not grow with the files (working memory growth <= "
          f"{GROWTH_TARGET:.0%}): {_met(growth <= GROWTH_TARGET)}")
    quarter_bytes = sum(f.stat().st_size for f in files[: max(1, len(files) // 4)])
    if quarter_bytes < 4 * RUN_BYTES:
        print(f"  note: 1/4 of this archive is {quarter_bytes / 2**20:.0f} MB, only a few of the "
              f"loader's {RUN_BYTES / 2**20:.0f} MB runs of months, and a run's group-by table "
              "grows with the groups in it; run at full size to see memory stay flat")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=5, help="years of the archive (default 5)")
    parser.add_argument("--rows-per-year", type=int, default=6_000_000,
                        help="rows a year over all forces (default 6,000,000)")
    parser.add_argument("--forces", type=int, default=len(FORCES),
                        help=f"number of forces (default {len(FORCES)})")
    parser.add_argument("--start-year", type=int, default=2019)
    parser.add_argument("--seed", type=int, default=20240101)
    parser.add_argument("--archive-dir", type=Path,
                        help="write the archive here (default: a temp dir); if it already holds "
                             "*-street.csv files they are reused and never deleted")
    parser.add_argument("--keep", action="store_true", help="keep the generated archive")
    parser.add_argument("--repeat", type=int, default=2,
                        help="runs of each national measurement, alternating loader and "
                             "hand-written scan; best time kept (default 2)")
    parser.add_argument("--skip-reference", action="store_true")
    parser.add_argument("--skip-national", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--files", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child, args.files)
        return 0

    print(f"polars {pl.__version__}, numpy {np.__version__}, python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs")
    workdir = Path(tempfile.mkdtemp(prefix="ij_eval_bench_"))
    try:
        baseline = measure("baseline", [], workdir)["maxrss_mb"]
        print(f"import baseline (python + polars + ij_eval, no data): peak {baseline:.0f} MB")
        if not args.skip_reference:
            files = sorted(REFERENCE.rglob("*-street.csv"))
            if not files:
                print(f"\n(a) reference files not found under {REFERENCE}; skipped")
            else:
                compare("(a) reference files", files, workdir, max(args.repeat, 5), baseline)
        if not args.skip_national:
            national(args, workdir, baseline)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def national(args: argparse.Namespace, workdir: Path, baseline: float) -> None:
    forces = FORCES[: args.forces] if args.forces <= len(FORCES) else FORCES + [
        f"force-{i}" for i in range(len(FORCES), args.forces)]
    months = [f"{y}-{m:02d}" for y in range(args.start_year, args.start_year + args.years)
              for m in range(1, 13)]
    root = args.archive_dir or workdir / "archive"
    existing = sorted(root.rglob("*-street.csv")) if root.exists() else []
    generated: list[Path] = []
    try:
        if existing:
            print(f"\n(b) reusing the {len(existing)} street files already under {root} "
                  "(not generated, not deleted)")
            files = existing
        else:
            rows_per_month = args.rows_per_year // 12
            print(f"\n(b) generating {len(forces)} forces x {len(months)} months, "
                  f"{rows_per_month:,} rows a month, under {root} ...", flush=True)
            start = time.perf_counter()
            generated = [root / m for m in months]
            total = generate_in_subprocesses(root, forces, months, rows_per_month, args.seed)
            os.sync()  # finish writing before timing reads
            files = sorted(root.rglob("*-street.csv"))
            size = sum(f.stat().st_size for f in files) / 1e9
            print(f"    wrote {total:,} rows in {len(files)} files, {size:.2f} GB, in "
                  f"{time.perf_counter() - start:.1f} s", flush=True)
        full = compare("(b) national archive", files, workdir, args.repeat, baseline)
        memory_growth(files, workdir, args.repeat, baseline, full)
    finally:
        if generated and not args.keep:
            for folder in generated:
                shutil.rmtree(folder, ignore_errors=True)
            if args.archive_dir is None:
                shutil.rmtree(root, ignore_errors=True)
            print(f"\n(generated archive deleted; use --keep to keep it under {root})")
        elif generated:
            print(f"\n(generated archive kept under {root})")


if __name__ == "__main__":
    sys.exit(main())
