"""`homecoming export fhir -o DIR [--since WHEN] [--type T,...]`: the center's records as FHIR
NDJSON files, from the server (Bulk Data's files, without the HTTP).

The operator acts as "system" (no log-in at the command line) and reads the whole center, as
they can read the database anyway; what is not hidden is that they did: the run is written
first with the operating-system user and host (accounts/operator.py), then the export's own
entry naming every resident whose record left, and the oversight body and the program director
are alerted. The files are written into a folder beside DIR and moved into place at the end,
so an export that fails or is interrupted leaves no half-written DIR."""

import shutil
from pathlib import Path


def add_parser(sub, command_error):
    s = sub.add_parser("export", help="records in a standard format, for another system")
    cmds = s.add_subparsers(dest="export_command", required=True)
    e = cmds.add_parser("fhir", help="FHIR R4 NDJSON files, one per resource type")
    e.add_argument("-o", "--output", type=Path, required=True, help="a new folder to write into")
    e.add_argument("--since", help="only what changed from then on (YYYY-MM-DD or an instant)")
    e.add_argument("--type", help="only these resource types, comma-separated (Patient,...)")
    s.set_defaults(func=lambda args: run(args, command_error))


def _problems(args) -> tuple[list[str], object, list[str] | None]:
    from . import bulk, params

    problems, since, types = [], None, None
    out = args.output
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        problems.append(f"{out} exists and is not an empty folder: name a new one.")
    if not out.parent.exists():
        problems.append(f"No folder {out.parent} to write into.")
    if args.since:
        try:
            since = params.span(f"ge{args.since}")
        except ValueError:
            problems.append(f"--since is a day (YYYY-MM-DD) or an instant, not {args.since!r}.")
    if args.type is not None:
        served = bulk.served(system=True)
        types = [t.strip() for t in args.type.split(",") if t.strip()]
        unknown = [t for t in types if t not in served]
        if unknown or not types:
            problems.append(
                f"--type names types from: {', '.join(served)}; not {', '.join(unknown) or '…'}."
            )
    return problems, since, types


def run(args, command_error):
    from tqdm import tqdm

    from homecoming.accounts.operator import record_command, who
    from homecoming.ledger import services as ledger

    from . import bulk, exports

    problems, since, types = _problems(args)
    if problems:
        raise command_error(" ".join(problems))
    detail = f"-o {args.output}" + (f" --since {args.since}" if args.since else "")
    detail += f" --type {','.join(types)}" if types else ""
    run_row = record_command("export fhir", detail)
    request = bulk.Request(types=types, since=since, system=True)
    partial = args.output.with_name(f".{args.output.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    try:
        with tqdm(total=0, unit=" residents", desc="Exporting", leave=False) as bar:

            def progress(done, of):
                bar.total = of
                bar.update(done - bar.n)

            written = bulk.write(None, request, partial, progress)
        exports.record_export(None, written, request, ledger.Target.of(run_row), who(run_row))
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    if args.output.exists():
        args.output.rmdir()  # empty, checked above
    partial.rename(args.output)
    files = ", ".join(f"{t}.ndjson ({n})" for t, n in sorted(written.counts.items()))
    print(
        f"Wrote {written.total} resources about {len(written.residents)} resident(s) "
        f"into {args.output}: {files or 'nothing to export'}."
    )
