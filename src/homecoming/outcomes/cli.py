"""`homecoming outcomes export -o FILE`: the program's outcomes as CSV, from the server.

The operator acts as "system" (no log-in at the command line): the run is written first with
the operating-system user and host (accounts/operator.py), then the export's own entry. The
figures are unsuppressed by default (whoever runs this can read the database anyway);
`--sponsor` writes the suppressed figures, the only ones that leave the center."""

from pathlib import Path


def add_parser(sub, command_error):
    s = sub.add_parser("outcomes", help="the program's outcomes (counts only)")
    cmds = s.add_subparsers(dest="outcomes_command", required=True)
    e = cmds.add_parser("export", help="write the outcomes as CSV")
    e.add_argument("-o", "--output", type=Path, required=True, help="the CSV file to write")
    e.add_argument(
        "--sponsor", action="store_true", help="suppress every count under 11 (for the sponsor)"
    )
    e.add_argument("--from", dest="start", help="first day of the period (YYYY-MM-DD)")
    e.add_argument("--to", dest="end", help="last day of the period (YYYY-MM-DD)")
    e.add_argument("--program", help="one program, by number or name")
    s.set_defaults(func=lambda args: run(args, command_error))


def run(args, command_error):
    from django.core.exceptions import ValidationError

    from homecoming.access.policy import Purpose
    from homecoming.accounts.operator import record_command
    from homecoming.ledger import services as ledger

    from . import aggregates, report

    try:
        filters = aggregates.parse_filters(args.start, args.end, args.program)
    except ValidationError as exc:
        raise command_error(" ".join(exc.messages)) from exc
    if args.output.exists() and args.output.is_dir():
        raise command_error(f"{args.output} is a folder: name a file.")
    if not args.output.parent.exists():
        raise command_error(f"No folder {args.output.parent} to write into.")
    detail = f"-o {args.output}" + (" --sponsor" if args.sponsor else "")
    detail += f" ({filters.words()})"
    run_row = record_command("outcomes export", detail)
    o = aggregates.compute(filters)
    text = report.csv_text(o, args.sponsor, report.build(o, args.sponsor), sponsor=args.sponsor)
    ledger.append(
        None,
        aggregates.EXPORT,
        ledger.Target(
            object_type="outcomes.aggregates",
            object_id=f"{'sponsor' if args.sponsor else 'full'}; run {run_row.pk}",
        ),
        purpose=Purpose.OPERATIONS,
    )
    args.output.write_text(text, encoding="utf-8")
    view = "suppressed, for the sponsor" if args.sponsor else "unsuppressed"
    print(f"Wrote {args.output}: program outcomes as of {o.today}, {view}.")
