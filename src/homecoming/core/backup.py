"""Backups: one archive holding the database, the uploaded files and the ledger's latest signed
checkpoint with its public key, taken while the center runs; and restoring one onto an empty
data directory or database.

The archive is a tar.gz with `manifest.json` first: every part's size and SHA-256, the engine
the database came from, and the checkpoint's tree size. A restore checks every part against it
before touching anything. The private ledger signing key and the secret keys are never in a
backup: whoever holds a backup must not be able to sign checkpoints or forge sessions.

Consistency: the database is copied first, in one snapshot (SQLite's online backup API holds a
read transaction for the whole copy; pg_dump runs in one repeatable-read transaction), then the
uploaded files. An upload is stored before the transaction that records it commits, and stored
files are never changed or removed, so every file the snapshot names is already there when the
files are copied; a file uploaded in between is copied too and simply not referenced.
"""

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone

FORMAT = "homecoming-backup/1"
MANIFEST = "manifest.json"
SQLITE_PART = "database.sqlite3"
POSTGRES_PART = "database.pgdump"
CHECKPOINT_PART = "ledger/checkpoint.txt"
VKEY_PART = "ledger/ledger.vkey"
MEDIA_PREFIX = "media/"
CHUNK = 1024 * 1024


class BackupError(Exception):
    """Something the operator can fix (a missing pg_dump, a non-empty target, a bad archive)."""


def engine() -> str:
    vendor = connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {vendor}.")
    return vendor


def media_root() -> Path:
    return Path(default_storage.location)


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _libpq_env() -> dict[str, str]:
    """The connection as libpq environment variables: no password on a command line."""
    db = settings.DATABASES["default"]
    env = dict(os.environ)
    for var, key in (
        ("PGHOST", "HOST"),
        ("PGPORT", "PORT"),
        ("PGUSER", "USER"),
        ("PGPASSWORD", "PASSWORD"),
        ("PGDATABASE", "NAME"),
    ):
        if db.get(key):
            env[var] = str(db[key])
    return env


def _postgres_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"`{name}` is not installed: PostgreSQL backups need the PostgreSQL client tools "
            f"(e.g. `apt-get install postgresql-client`), of the server's major version or newer."
        )
    return path


def _run(argv: list[str], what: str):
    done = subprocess.run(argv, env=_libpq_env(), capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{what} failed: {done.stderr.strip() or done.stdout.strip()}")


# -- taking a backup ---------------------------------------------------------------------------


@dataclass
class BackupSummary:
    path: Path
    manifest: dict
    size: int = 0


def _record_backup(name: str):
    """The backup's ledger entry, and a checkpoint covering it, committed before the snapshot:
    so the snapshot holds the record that it was taken, and its checkpoint signs the whole
    ledger as it was copied. Returns the checkpoint (None when no signing key exists yet)."""
    from homecoming.access.policy import Purpose
    from homecoming.ledger import services as ledger
    from homecoming.ledger import signing
    from homecoming.ledger.checkpoints import make_checkpoint

    with transaction.atomic():
        ledger.append(
            None,
            "center.backup",
            ledger.Target(object_type="backup", object_id=name[:64]),
            purpose=Purpose.OPERATIONS,
        )
    from homecoming.ledger.rollback import RollbackDetected

    try:
        return make_checkpoint()
    except (signing.KeyMissing, RollbackDetected):
        return None  # back up what there is; a refused signing has alerted already


def _snapshot_sqlite(dest: Path):
    name = Path(settings.DATABASES["default"]["NAME"]).resolve()
    source = sqlite3.connect(f"{name.as_uri()}?mode=ro", uri=True)
    target = sqlite3.connect(dest)
    try:
        with target:
            source.backup(target)  # all pages in one step: one read transaction, one snapshot
    finally:
        target.close()
        source.close()


def _snapshot_postgres(dest: Path):
    pg_dump = _postgres_tool("pg_dump")
    _run(
        [pg_dump, "--format=custom", "--no-owner", "--no-privileges", "--file", str(dest)],
        "pg_dump",
    )


def _latest_checkpoint():
    from homecoming.ledger.models import Checkpoint

    return Checkpoint.objects.order_by("-tree_size").first()


def _vkeys_kept(vkey: str | None) -> list[str]:
    """The current key and those a key rotation retired (their checkpoints still count)."""
    from homecoming.ledger import rotation

    try:
        return [rotation.format_verifier(k) for k in rotation.known_keys()] + [vkey]
    except ValueError:
        return [vkey]


def _vkey() -> str | None:
    from homecoming.ledger import signing

    try:
        return signing.load().vkey
    except signing.KeyMissing:
        return None


def _output_path(output: Path, now: dt.datetime) -> Path:
    if output.is_dir():
        return output / f"homecoming-{now:%Y%m%dT%H%M%SZ}.tar.gz"
    if output.exists():
        raise BackupError(f"{output} exists; a backup never replaces a file (name a new one).")
    if not output.parent.is_dir():
        raise BackupError(f"{output.parent} is not a folder.")
    return output


def create(output: Path) -> BackupSummary:
    """Write a backup archive to `output` (a new file, or a folder to name one in)."""
    kind = engine()
    if "ledger_head" not in connection.introspection.table_names():
        raise BackupError("This database holds no center yet (run `homecoming migrate` first).")
    now = timezone.now().astimezone(dt.UTC)
    path = _output_path(Path(output), now)
    if kind == "postgresql":
        _postgres_tool("pg_dump")  # say so before anything is written
    checkpoint = _record_backup(path.name)
    if checkpoint is None:
        checkpoint = _latest_checkpoint()
    vkey = _vkey()

    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".homecoming-backup-") as work:
        work = Path(work)
        parts: list[tuple[str, Path]] = []
        db_part = SQLITE_PART if kind == "sqlite" else POSTGRES_PART
        (_snapshot_sqlite if kind == "sqlite" else _snapshot_postgres)(work / db_part)
        parts.append((db_part, work / db_part))
        if checkpoint is not None:
            (work / "checkpoint.txt").write_text(checkpoint.note, "utf-8")
            parts.append((CHECKPOINT_PART, work / "checkpoint.txt"))
        if vkey is not None:
            (work / "ledger.vkey").write_text(vkey + "\n", "utf-8")
            parts.append((VKEY_PART, work / "ledger.vkey"))
        media = media_root()
        if media.is_dir():
            for file in sorted(p for p in media.rglob("*") if p.is_file() and not p.is_symlink()):
                parts.append((MEDIA_PREFIX + file.relative_to(media).as_posix(), file))

        listed = []
        for name, file in parts:
            listed.append({"name": name, "size": file.stat().st_size, "sha256": _sha256_file(file)})
        manifest = {
            "format": FORMAT,
            "created_at": now.isoformat(),
            "database": kind,
            "checkpoint_tree_size": checkpoint.tree_size if checkpoint else None,
            "parts": listed,
            "not_included": "the ledger signing key and the secret keys: back them up separately",
        }
        partial = work / "archive.tar.gz"
        with tarfile.open(partial, "w:gz") as tar:
            body = json.dumps(manifest, indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(body), int(now.timestamp()), 0o600
            tar.addfile(info, io.BytesIO(body))
            for (name, file), entry in zip(parts, listed, strict=True):
                info = tarfile.TarInfo(name)
                info.size, info.mtime, info.mode = entry["size"], int(now.timestamp()), 0o600
                with open(file, "rb") as f:
                    tar.addfile(info, f)
        os.chmod(partial, 0o600)  # it holds every resident's record
        with open(partial, "rb") as f:
            os.fsync(f.fileno())
        size = partial.stat().st_size
        if path.exists():  # only when a folder was named and the same second came twice
            raise BackupError(f"{path} exists; a backup never replaces a file.")
        os.replace(partial, path)
    return BackupSummary(path=path, manifest=manifest, size=size)


# -- checking an archive -----------------------------------------------------------------------


@dataclass
class Archive:
    path: Path
    manifest: dict
    problems: list[str] = field(default_factory=list)
    vkey: str | None = None  # the public key in the archive, once extracted

    @property
    def database_part(self) -> str:
        return SQLITE_PART if self.manifest.get("database") == "sqlite" else POSTGRES_PART


def _safe_name(name: str) -> bool:
    p = PurePosixPath(name)
    return bool(name) and not p.is_absolute() and ".." not in p.parts and "\\" not in name


def _read_manifest(tar: tarfile.TarFile, first, path: Path) -> dict:
    if first is None or first.name != MANIFEST or not first.isfile():
        raise BackupError(f"{path} is not a Homecoming backup: it does not start with {MANIFEST}.")
    try:
        manifest = json.loads(tar.extractfile(first).read())
    except ValueError as exc:
        raise BackupError(f"{path}: {MANIFEST} is not valid JSON ({exc}).") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: {MANIFEST} is not a {FORMAT} manifest.")
    parts = manifest.get("parts")
    if (
        manifest.get("database") not in ("sqlite", "postgresql")
        or not isinstance(parts, list)
        or not all(
            isinstance(p, dict)
            and isinstance(p.get("name"), str)
            and isinstance(p.get("size"), int)
            and isinstance(p.get("sha256"), str)
            for p in parts
        )
    ):
        raise BackupError(f"{path}: {MANIFEST} is damaged (its database or parts are malformed).")
    return manifest


def _copy_part(tar: tarfile.TarFile, member, out) -> tuple[int, str]:
    h, size = hashlib.sha256(), 0
    src = tar.extractfile(member)
    while chunk := src.read(CHUNK):
        h.update(chunk)
        size += len(chunk)
        if out is not None:
            out.write(chunk)
    return size, h.hexdigest()


def _check_part(tar, member, extract_to: Path | None) -> tuple[int, str]:
    if extract_to is None or not _safe_name(member.name):
        return _copy_part(tar, member, None)
    target = extract_to / member.name
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "wb") as out:
        return _copy_part(tar, member, out)


def check(path: Path, extract_to: Path | None = None) -> Archive:
    """Check every part of the archive against the manifest (and extract them, if asked).
    Every problem is named: a part changed, missing, cut short, or not in the manifest."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"No backup file at {path}.")
    try:
        with tarfile.open(path, "r:gz") as tar:
            return _check_open(tar, path, extract_to)
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise BackupError(f"{path} is not a readable tar.gz archive ({exc}).") from exc


def _check_open(tar: tarfile.TarFile, path: Path, extract_to: Path | None) -> Archive:
    manifest_member = tar.next()
    manifest = _read_manifest(tar, manifest_member, path)
    archive = Archive(path, manifest)
    expected = {p["name"]: p for p in manifest["parts"]}
    for name in expected:
        if not _safe_name(name):
            archive.problems.append(f"the manifest names an unsafe path {name!r}")
    if archive.database_part not in expected:
        archive.problems.append(f"the manifest lists no {archive.database_part}")
    seen, name = set(), None
    try:
        for member in tar:
            name = member.name
            if member is manifest_member:
                continue
            if name not in expected or name in seen or not member.isfile():
                archive.problems.append(f"{name}: not a part the manifest lists")
                continue
            seen.add(name)
            size, sha = _check_part(tar, member, extract_to)
            want = expected[name]
            if size != want["size"]:
                archive.problems.append(
                    f"{name}: {size} bytes where the manifest says {want['size']}"
                )
            elif sha != want["sha256"]:
                archive.problems.append(
                    f"{name}: its SHA-256 differs from the manifest's (the part was changed)"
                )
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        where = f"{name}: " if name in seen else ""
        archive.problems.append(f"{where}the archive is damaged or cut short here ({exc})")
    for name in sorted(expected.keys() - seen):
        archive.problems.append(f"{name}: missing from the archive")
    return archive


# -- restoring ---------------------------------------------------------------------------------


def _tables() -> list[str]:
    return connection.introspection.table_names()


def target_problems(archive: Archive) -> list[str]:
    """Why the database or data directory may not receive this backup (empty: fine)."""
    problems = []
    kind = engine()
    if archive.manifest["database"] != kind:
        wanted = "unset DATABASE_URL (SQLite)" if kind == "postgresql" else "set DATABASE_URL"
        problems.append(
            f"the backup holds a {archive.manifest['database']} database and this center is "
            f"configured for {kind}: {wanted} to restore it"
        )
    if kind == "sqlite":
        db = Path(settings.DATABASES["default"]["NAME"])
        if db.exists() and (db.stat().st_size > 0 and _tables()):
            problems.append(f"the database {db} is not empty (it has tables)")
        for suffix in ("-wal", "-journal"):
            if Path(f"{db}{suffix}").exists() and Path(f"{db}{suffix}").stat().st_size:
                problems.append(f"{db}{suffix} exists: another process may be using the database")
    else:
        tables = _tables()
        if tables:
            name = settings.DATABASES["default"]["NAME"]
            problems.append(
                f"the database {name} is not empty ({len(tables)} tables): restore into a new, "
                "empty database"
            )
    media = media_root()
    if media.exists() and any(p.is_file() for p in media.rglob("*")):
        problems.append(f"the uploaded files folder {media} is not empty")
    return problems


@dataclass
class RestoreSummary:
    manifest: dict
    entries: int
    files: int
    warnings: list[str] = field(default_factory=list)


def restore(path: Path) -> RestoreSummary:
    """Restore `path` onto this center's empty database and data directory; refuse otherwise."""
    path = Path(path)
    settings.DATA_DIR.mkdir(parents=True, exist_ok=True)  # the uploaded files' home, and ours
    with tempfile.TemporaryDirectory(dir=settings.DATA_DIR, prefix=".homecoming-restore-") as work:
        work = Path(work)
        archive = check(path, extract_to=work)
        if (work / VKEY_PART).is_file():
            archive.vkey = (work / VKEY_PART).read_text("utf-8").strip()
        if archive.problems:
            raise BackupError(
                f"{path} is damaged, nothing was restored: " + "; ".join(archive.problems) + "."
            )
        problems = target_problems(archive)
        if archive.manifest["database"] == "postgresql" and engine() == "postgresql":
            try:
                _postgres_tool("pg_restore")
            except BackupError as exc:
                problems.append(str(exc))
        if problems:
            raise BackupError("Nothing was restored: " + "; ".join(problems) + ".")

        media = media_root()
        staged_media = work / "media"
        if engine() == "sqlite":
            _restore_sqlite(work / SQLITE_PART)
        else:
            _restore_postgres(work / POSTGRES_PART)
        files = 0
        if staged_media.is_dir():
            files = sum(1 for p in staged_media.rglob("*") if p.is_file())
            media.parent.mkdir(parents=True, exist_ok=True)
            if media.exists():
                shutil.rmtree(media)  # empty folders only: target_problems checked
            os.replace(staged_media, media)
    return _after_restore(archive, path, files)


def _restore_sqlite(staged: Path):
    db = Path(settings.DATABASES["default"]["NAME"])
    connection.close()
    db.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("-wal", "-shm", "-journal"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    os.replace(staged, db)


def _restore_postgres(staged: Path):
    connection.close()
    # In one transaction: when pg_restore fails, the database is left as empty as it was.
    _run(
        [
            _postgres_tool("pg_restore"),
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",  # all of it, or nothing
            "--dbname",
            settings.DATABASES["default"]["NAME"],
            str(staged),
        ],
        "Nothing was restored: pg_restore",
    )


def _check_rollback() -> list[str]:
    """A restored ledger behind one this ledger signed is alarmed now; with no record of a
    signed tree yet (a new host), the restored checkpoint becomes the record."""
    from homecoming.ledger import rollback
    from homecoming.ledger.tree import latest_checkpoint

    found = rollback.check_and_alarm()
    if not found and (latest := latest_checkpoint()) is not None:
        rollback.remember(latest)
    return [
        f"{problem}; the oversight body and the program director were alerted" for problem in found
    ]


def _after_restore(archive: Archive, path: Path, files: int) -> RestoreSummary:
    from homecoming.access.policy import Purpose
    from homecoming.ledger import services as ledger
    from homecoming.ledger.models import Head

    warnings = []
    manifest_sha = hashlib.sha256(json.dumps(archive.manifest, sort_keys=True).encode())
    with transaction.atomic():
        ledger.append(
            None,
            "center.restore",
            ledger.Target(
                object_type="backup",
                object_id=path.name[:64],
                version_sha256=manifest_sha.hexdigest(),
            ),
            purpose=Purpose.OPERATIONS,
        )
    entries = Head.objects.values_list("size", flat=True).get(pk=1)
    warnings += _check_rollback()
    restored_vkey = next((p for p in archive.manifest["parts"] if p["name"] == VKEY_PART), None)
    vkey = _vkey()
    if restored_vkey is not None and vkey is None:
        warnings.append(
            "no ledger signing key here: put the center's key at "
            f"{settings.HOMECOMING_LEDGER_KEY} (it is never in a backup)"
        )
    elif restored_vkey is not None and archive.vkey not in _vkeys_kept(vkey):
        warnings.append(
            f"the signing key at {settings.HOMECOMING_LEDGER_KEY} is not the one that signed "
            f"this backup's checkpoints ({archive.vkey}): put the center's own key there"
        )
    return RestoreSummary(
        manifest=archive.manifest, entries=entries, files=files, warnings=warnings
    )
