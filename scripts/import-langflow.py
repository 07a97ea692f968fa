#!/usr/bin/env python3
"""Imports a Langflow SQLite database into langflow-edge's D1.

    python3 scripts/import-langflow.py --db langflow.db                  # the local D1 of `make dev`
    python3 scripts/import-langflow.py --db langflow.db --remote         # the deployed D1
    python3 scripts/import-langflow.py --db langflow.db --dry-run        # report only, write nothing

Copies users (bcrypt hashes as they are: the worker re-hashes each at its next login), API keys
(ciphertext and SHA-256 kept), store keys, variables, projects (Langflow's `folder` table) and
flows. Flows and projects without an owner (Langflow's starter projects) are skipped and counted. A
flow whose project is not copied (none, or one D1 already has under the same name) goes to its
owner's project of that name, else their default project. Rows already in D1 (same id) are never touched, so a
second run changes nothing; a user whose name is taken in D1 by another id is skipped with all
it owns. Before anything is written, the script refuses (exit 2) a file that is not a Langflow
database and a secret key under which any stored secret fails its Fernet HMAC.

The secret key comes from --secret-key, else the LANGFLOW_SECRET_KEY environment variable, else
LANGFLOW_SECRET_KEY in --env-file (default: .env, then .dev.vars, in the current directory).

Writing goes through wrangler: one read of the ids already in D1 (and of the applied migrations:
`d1 migrations apply` runs first when any is missing), then one `d1 execute --file` of
INSERT ... ON CONFLICT DO NOTHING statements; values over 1,000 characters travel in chunks through
a temporary table (`_langflow_import`, dropped at the end), as D1 refuses statements over 100 KB.

Exit codes: 0 done (or nothing to do), 1 wrangler or D1 failed, 2 refused (nothing written).
Python 3.11 standard library only.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXIT_OK, EXIT_FAILED, EXIT_REFUSED = 0, 1, 2

# Our columns (migrations/0001_init.sql), in order. Only these are copied.
USER_COLUMNS = ["id", "username", "password", "profile_image", "is_active", "is_superuser", "create_at",
                "updated_at", "last_login_at", "store_api_key", "optins"]
APIKEY_COLUMNS = ["id", "name", "created_at", "last_used_at", "total_uses", "is_active", "expires_at", "api_key",
                  "api_key_hash", "user_id"]
VARIABLE_COLUMNS = ["id", "name", "value", "type", "default_fields", "created_at", "updated_at", "user_id"]
# Of auth_settings only auth_type is kept (the worker serves no MCP; see migrations/0002).
FOLDER_COLUMNS = ["id", "name", "description", "auth_settings", "parent_id", "user_id", "workspace_id", "is_personal"]
DEFAULT_FOLDER_NAME = "Starter Project"
FLOW_COLUMNS = ["id", "name", "description", "icon", "icon_bg_color", "gradient", "data", "is_component",
                "updated_at", "webhook", "endpoint_name", "tags", "locked", "mcp_enabled", "action_name",
                "action_description", "access_type", "flow_type", "a2a_enabled", "a2a_card_overrides", "user_id",
                "folder_id", "workspace_id", "version_token"]

# Columns a Langflow database must have for this script to make sense of it; the other columns
# above are copied when present (older Langflow versions lack some) and take our defaults if not.
REQUIRED = {
    "user": ["id", "username", "password", "is_active", "is_superuser"],
    "apikey": ["id", "api_key", "user_id"],
    "variable": ["id", "name", "value", "user_id"],
    "flow": ["id", "name", "data", "user_id"],
}

# D1 refuses SQL statements over 100 KB, and wrangler's statement splitter is slow on long string
# literals: longer values are sent in chunks through a staging table and assembled in D1.
INLINE_CHARS = 1000
CHUNK_CHARS = 4000
STAGING = "_langflow_import"
# A D1 row holds at most 2,000,000 bytes; the worker stores a flow only under this (db/flows.rs).
MAX_FLOW_ROW_BYTES = 1_900_000


class Refused(Exception):
    """The input is unusable; nothing has been written."""


class WranglerFailed(Exception):
    pass


# ---------------------------------------------------------------- secret key and Fernet


def fernet_keys(secret: str) -> list[bytes]:
    """The 32-byte Fernet keys Langflow 1.13 derives from LANGFLOW_SECRET_KEY (current first).

    Under 32 characters: SHA-256 of the secret, plus the pre-1.10.1 key (Python's Mersenne Twister
    seeded with the secret). 32 or more: the secret itself, padded, as a Fernet key; when it is not
    one (Langflow then fails at run time), langflow-edge hashes it with SHA-256, and so do we.
    """
    sha = hashlib.sha256(secret.encode()).digest()
    if len(secret) < 32:
        rng = random.Random(secret)
        return [sha, bytes(rng.getrandbits(8) for _ in range(32))]
    try:
        raw = base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4))
    except ValueError:
        raw = b""
    return [raw] if len(raw) == 32 else [sha]


def token_verdict(token: str, keys: list[bytes]) -> str:
    """'ok' when the token's HMAC verifies under one of the keys, else 'wrong-key' or 'malformed'."""
    try:
        data = base64.urlsafe_b64decode(token.strip() + "=" * (-len(token.strip()) % 4))
    except ValueError:
        return "malformed"
    if len(data) < 73 or data[0] != 0x80 or (len(data) - 57) % 16 != 0:
        return "malformed"
    body, mac = data[:-32], data[-32:]
    for key in keys:
        if hmac.compare_digest(hmac.new(key[:16], body, hashlib.sha256).digest(), mac):
            return "ok"
    return "wrong-key"


def read_env_file(path: Path, name: str) -> str | None:
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export "):].lstrip()
        key, sep, value = line.partition("=")
        if not sep or key.strip() != name:
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        return value
    return None


def find_secret(args) -> tuple[str | None, str]:
    if args.secret_key:
        return args.secret_key, "--secret-key"
    if os.environ.get("LANGFLOW_SECRET_KEY"):
        return os.environ["LANGFLOW_SECRET_KEY"], "the LANGFLOW_SECRET_KEY environment variable"
    candidates = [Path(args.env_file)] if args.env_file else [Path(".env"), Path(".dev.vars")]
    for path in candidates:
        if path.is_file():
            value = read_env_file(path, "LANGFLOW_SECRET_KEY")
            if value:
                return value, f"LANGFLOW_SECRET_KEY in {path}"
    return None, "nowhere"


# ---------------------------------------------------------------- reading the Langflow database


def open_langflow(path: Path, workdir: Path) -> sqlite3.Connection:
    """Opens a private copy of the database (the original is never opened for writing)."""
    if not path.is_file():
        raise Refused(f"{path}: no such file")
    with path.open("rb") as f:
        header = f.read(16)
    if header != b"SQLite format 3\x00":
        raise Refused(f"{path} is not a Langflow database: not an SQLite file (file is not a database)")
    copy = workdir / "langflow.db"
    shutil.copyfile(path, copy)
    for suffix in ("-wal", "-journal"):
        side = Path(str(path) + suffix)
        if side.is_file():
            shutil.copyfile(side, Path(str(copy) + suffix))
    try:
        conn = sqlite3.connect(copy)
        conn.row_factory = sqlite3.Row
        problems = [row[0] for row in conn.execute("PRAGMA quick_check")]
    except sqlite3.DatabaseError as err:
        raise Refused(f"{path} cannot be read as an SQLite database: {err}") from err
    if problems != ["ok"]:
        raise Refused(f"{path} is damaged (SQLite quick_check: {'; '.join(problems[:3])})")
    return conn


def check_schema(conn: sqlite3.Connection, path: Path) -> dict[str, set[str]]:
    columns: dict[str, set[str]] = {}
    missing = []
    for table, required in REQUIRED.items():
        have = {row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')}
        columns[table] = have
        if not have:
            missing.append(f"table {table}")
        else:
            missing += [f"{table}.{c}" for c in required if c not in have]
    if missing:
        raise Refused(f"{path} is not a Langflow database: it has no {', '.join(missing)}")
    return columns


def alembic_version(conn: sqlite3.Connection) -> str | None:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        return row[0] if row else None
    except sqlite3.DatabaseError:
        return None


def read_rows(conn: sqlite3.Connection, table: str, wanted: list[str], have: set[str]) -> list[dict]:
    present = [c for c in wanted if c in have]
    select = ", ".join(f'"{c}"' for c in present)
    rows = []
    try:
        for row in conn.execute(f'SELECT {select} FROM "{table}"'):
            item = {c: None for c in wanted}
            item.update({c: row[c] for c in present})
            rows.append(item)
    except sqlite3.DatabaseError as err:  # e.g. text that is not UTF-8
        raise Refused(f"cannot read table {table}: {err}") from err
    return rows


# ---------------------------------------------------------------- value conversions

HEX32 = re.compile(r"^[0-9a-fA-F]{32}$")
DASHED = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def as_text(value):
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return str(value)


def as_uuid(value):
    """Langflow's CHAR(32) hex ids become lowercase UUIDs with dashes; anything else is kept (and
    refused before anything is written, see `run`)."""
    value = as_text(value)
    if value is None:
        return None
    if isinstance(value, str) and HEX32.match(value):
        v = value.lower()
        return f"{v[:8]}-{v[8:12]}-{v[12:16]}-{v[16:20]}-{v[20:]}"
    if DASHED.match(value):
        return value.lower()
    return value


def as_flag(value, default):
    if value is None:
        return default
    if isinstance(value, str):
        return 1 if value.strip().lower() in ("1", "true", "t", "yes") else 0
    return 1 if value else 0


def parse_time(value):
    value = as_text(value)
    if value is None or value == "":
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)  # Langflow stores naive UTC
    return moment.astimezone(timezone.utc)


def _timestamp(value, warnings, what, layout):
    """A Langflow timestamp in the worker's `layout`; unreadable text is kept as it is, with a warning."""
    try:
        moment = parse_time(value)
    except OverflowError:  # e.g. 9999-12-31T23:59:59-00:01 is past year 9999 in UTC
        moment = None
    if moment is None:
        if value not in (None, ""):
            warnings.append(f"{what}: timestamp {value!r} kept as it is")
            return as_text(value)
        return None
    # %Y does not pad years before 1000 on every platform; the worker reads four digits.
    return moment.strftime(layout.replace("%Y", f"{moment.year:04d}"))


def iso_micros(value, warnings, what):
    """User, flow and variable timestamps: 2026-11-27T14:05:12.123456Z (as the worker writes them)."""
    return _timestamp(value, warnings, what, "%Y-%m-%dT%H:%M:%S.%fZ")


def iso_seconds(value, warnings, what):
    """API key timestamps: 2026-11-27T14:05:12+00:00."""
    return _timestamp(value, warnings, what, "%Y-%m-%dT%H:%M:%S+00:00")


def convert_user(r, now, warnings):
    what = f"user {r['username']}"
    return {
        "id": as_uuid(r["id"]), "username": as_text(r["username"]), "password": as_text(r["password"]) or "",
        "profile_image": as_text(r["profile_image"]), "is_active": as_flag(r["is_active"], 0),
        "is_superuser": as_flag(r["is_superuser"], 0),
        "create_at": iso_micros(r["create_at"], warnings, what) or now,
        "updated_at": iso_micros(r["updated_at"], warnings, what) or iso_micros(r["create_at"], warnings, what) or now,
        "last_login_at": iso_micros(r["last_login_at"], warnings, what),
        "store_api_key": as_text(r["store_api_key"]), "optins": as_text(r["optins"]),
    }


def convert_apikey(r, now_seconds, warnings):
    what = f"API key {r['id']}"
    total = r["total_uses"]
    return {
        "id": as_uuid(r["id"]), "name": as_text(r["name"]),
        "created_at": iso_seconds(r["created_at"], warnings, what) or now_seconds,
        "last_used_at": iso_seconds(r["last_used_at"], warnings, what),
        "total_uses": int(total) if isinstance(total, (int, float)) else 0,
        "is_active": as_flag(r["is_active"], 1), "expires_at": iso_seconds(r["expires_at"], warnings, what),
        "api_key": as_text(r["api_key"]) or "", "api_key_hash": as_text(r["api_key_hash"]),
        "user_id": as_uuid(r["user_id"]),
    }


def convert_variable(r, warnings):
    what = f"variable {r['name']}"
    return {
        "id": as_uuid(r["id"]), "name": as_text(r["name"]), "value": as_text(r["value"]) or "",
        "type": as_text(r["type"]), "default_fields": as_text(r["default_fields"]),
        "created_at": iso_micros(r["created_at"], warnings, what),
        "updated_at": iso_micros(r["updated_at"], warnings, what), "user_id": as_uuid(r["user_id"]),
    }


def convert_flow(r, warnings):
    what = f"flow {r['name']}"
    out = {c: as_text(r[c]) for c in FLOW_COLUMNS}
    for c in ("id", "user_id", "folder_id", "workspace_id", "version_token"):
        out[c] = as_uuid(r[c])
    for c in ("is_component", "webhook", "locked", "mcp_enabled", "a2a_enabled"):
        out[c] = as_flag(r[c], 0)
    out["updated_at"] = iso_micros(r["updated_at"], warnings, what)
    out["access_type"] = out["access_type"] or "PRIVATE"
    out["flow_type"] = out["flow_type"] or "workflow"
    return out


def convert_folder(r):
    out = {c: as_text(r[c]) for c in FOLDER_COLUMNS}
    for c in ("id", "parent_id", "user_id", "workspace_id"):
        out[c] = as_uuid(r[c])
    out["is_personal"] = as_flag(r["is_personal"], 0)
    try:
        settings = json.loads(out["auth_settings"]) if out["auth_settings"] else None
    except json.JSONDecodeError:
        settings = None
    auth_type = settings.get("auth_type") if isinstance(settings, dict) else None
    out["auth_settings"] = json.dumps({"auth_type": auth_type}) if isinstance(auth_type, str) else None
    return out


def flow_row_size(flow) -> int:
    """As the worker's `row_size`: UTF-8 bytes of the large columns plus 512."""
    size = sum(len((flow[c] or "").encode()) for c in ("name", "description", "data", "tags", "a2a_card_overrides",
                                                      "action_description"))
    return size + 512


def is_credential(variable) -> bool:
    # The worker treats a variable without a type as a Credential, as Langflow's API does.
    return variable["type"] in (None, "Credential")


# ---------------------------------------------------------------- wrangler


@dataclass
class Target:
    wrangler: Path
    database: str
    remote: bool
    persist_to: str | None
    env: str | None

    def flags(self) -> list[str]:
        out = ["--remote"] if self.remote else ["--local"]
        if self.persist_to and not self.remote:
            out += ["--persist-to", self.persist_to]
        if self.env:
            out += ["--env", self.env]
        return out

    def describe(self) -> str:
        where = "remote D1" if self.remote else f"local D1 ({self.persist_to or '.wrangler/state, as make dev'})"
        return f"{where}, binding {self.database}" + (f", --env {self.env}" if self.env else "")

    def run(self, args: list[str], what: str) -> str:
        env = {**os.environ, "WRANGLER_SEND_METRICS": "false", "NO_COLOR": "1", "FORCE_COLOR": "0"}
        if not self.remote:
            env["CLOUDFLARE_CF_FETCH_ENABLED"] = "false"
        proc = subprocess.run([str(self.wrangler), *args], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True)
        if proc.returncode != 0:
            detail = (proc.stdout + proc.stderr).strip()
            raise WranglerFailed(f"{what} failed (wrangler exit {proc.returncode}):\n{detail[-4000:]}")
        return proc.stdout

    def migrate(self):
        self.run(["d1", "migrations", "apply", self.database, *self.flags()], "applying the D1 migrations")

    def query(self, sql: str) -> list[list[dict]]:
        out = self.run(["d1", "execute", self.database, *self.flags(), "--json", "--command", sql], "reading D1")
        results = None
        # The JSON answer starts a line; anything wrangler prints before it is skipped.
        for match in re.finditer(r"(?m)^[\[{]", out):
            try:
                results = json.loads(out[match.start():])
                break
            except json.JSONDecodeError:
                continue
        if not isinstance(results, list):
            raise WranglerFailed(f"reading D1: unexpected wrangler output:\n{out[-2000:]}")
        return [r.get("results") or [] for r in results]

    def execute_file(self, path: Path):
        self.run(["d1", "execute", self.database, *self.flags(), "--yes", "--file", str(path)], "writing to D1")


D1_STATE_SQL = (
    'SELECT name FROM d1_migrations; SELECT id, username FROM "user"; SELECT id FROM apikey; '
    "SELECT id, user_id, name FROM variable; SELECT id, user_id, name, endpoint_name FROM flow; "
    "SELECT id, user_id, name FROM folder"
)


@dataclass
class D1State:
    users: dict[str, str] = field(default_factory=dict)  # id -> username
    apikeys: set[str] = field(default_factory=set)
    variables: dict[str, tuple] = field(default_factory=dict)  # id -> (user_id, name)
    flows: dict[str, tuple] = field(default_factory=dict)  # id -> (user_id, name, endpoint_name)
    folders: dict[str, tuple] = field(default_factory=dict)  # id -> (user_id, name)

    migrations: set[str] = field(default_factory=set)

    @classmethod
    def read(cls, target: Target) -> "D1State":
        migrations, users, apikeys, variables, flows, folders = target.query(D1_STATE_SQL)
        return cls(
            migrations={r["name"] for r in migrations},
            users={r["id"]: r["username"] for r in users},
            apikeys={r["id"] for r in apikeys},
            variables={r["id"]: (r["user_id"], r["name"]) for r in variables},
            flows={r["id"]: (r["user_id"], r["name"], r["endpoint_name"]) for r in flows},
            folders={r["id"]: (r["user_id"], r["name"]) for r in folders},
        )


# ---------------------------------------------------------------- planning


@dataclass
class Plan:
    users: list[dict] = field(default_factory=list)
    apikeys: list[dict] = field(default_factory=list)
    variables: list[dict] = field(default_factory=list)
    flows: list[dict] = field(default_factory=list)
    folders: list[dict] = field(default_factory=list)
    # Projects are counted apart (report key "projects"), so the other counts keep their shape.
    folder_counts: dict[str, int] = field(default_factory=lambda: {"imported": 0, "already_present": 0, "skipped": 0,
                                                                   "without_owner_skipped": 0})
    present: dict[str, int] = field(default_factory=lambda: {"users": 0, "api_keys": 0, "variables": 0, "flows": 0})
    skipped: list[str] = field(default_factory=list)  # one line per skipped row, with the reason
    skipped_counts: dict[str, int] = field(default_factory=lambda: {"users": 0, "api_keys": 0, "variables": 0, "flows": 0})
    ownerless_flows: int = 0

    def skip(self, kind: str, line: str):
        self.skipped_counts[kind] += 1
        self.skipped.append(line)


def plan_folders(plan: Plan, folders, flows, owner_problem, d1: D1State):
    """Projects to copy, and each flow's folder_id pointed at a project its owner will have."""
    names = {(uid, name): fid for fid, (uid, name) in d1.folders.items()}
    kept: dict[str, str] = {fid: uid for fid, (uid, _) in d1.folders.items()}  # folder id -> owner
    same_as: dict[str, str] = {}  # a skipped Langflow project -> the owner's D1 project of that name
    for folder in sorted(folders, key=lambda f: f["id"]):
        label = f"project {folder['name']!r} ({folder['id']})"
        if folder["user_id"] is None:
            plan.folder_counts["without_owner_skipped"] += 1
        elif (problem := owner_problem("projects", folder, label)):
            plan.skipped.append(problem)
            plan.folder_counts["skipped"] += 1
        elif folder["id"] in d1.folders:
            plan.folder_counts["already_present"] += 1
        elif (folder["user_id"], folder["name"]) in names:
            other = names[(folder["user_id"], folder["name"])]
            same_as[folder["id"]] = other
            plan.skipped.append(f"{label}: same name, D1 already holds another one for the same owner (id {other}); "
                                "its flows go there")
            plan.folder_counts["skipped"] += 1
        else:
            names[(folder["user_id"], folder["name"])] = folder["id"]
            kept[folder["id"]] = folder["user_id"]
            plan.folders.append(folder)
    for folder in plan.folders:
        if folder["parent_id"] is not None and kept.get(folder["parent_id"]) != folder["user_id"]:
            folder["parent_id"] = None
    plan.folder_counts["imported"] = len(plan.folders)

    def default_of(owner):
        # As the worker (and Langflow) pick it: the one named "Starter Project", else the first by id.
        mine = sorted((fid for fid, uid in kept.items() if uid == owner),
                      key=lambda fid: (names.get((owner, DEFAULT_FOLDER_NAME)) != fid, fid))
        return mine[0] if mine else None

    for flow in flows:
        folder = same_as.get(flow["folder_id"], flow["folder_id"])
        if folder is None or kept.get(folder) != flow["user_id"]:
            # None when the owner has no project yet: the worker makes one on first need and
            # moves such flows into it.
            folder = default_of(flow["user_id"])
        flow["folder_id"] = folder


def make_plan(users, apikeys, variables, flows, d1: D1State, folders=()) -> Plan:
    plan = Plan()
    taken = {name.lower(): uid for uid, name in d1.users.items()}
    by_id = {u["id"]: u for u in users}
    blocked: dict[str, str] = {}  # source user id -> why its objects are skipped
    for user in sorted(users, key=lambda u: (u["create_at"] or "", u["id"])):
        if user["id"] in d1.users:
            plan.present["users"] += 1
            continue
        holder = taken.get(user["username"].lower())
        if holder is not None:
            why = f"username {user['username']!r} is already used by another user (id {holder})"
            plan.skip("users", f"user {user['username']} ({user['id']}): {why}; it and everything it owns skipped")
            blocked[user["id"]] = f"its owner {user['username']} was skipped"
            continue
        taken[user["username"].lower()] = user["id"]
        plan.users.append(user)

    def owner_problem(kind, item, label):
        owner = item["user_id"]
        if owner is None:
            return f"{label}: no owner"
        if owner not in by_id:
            return f"{label}: its owner {owner} is not in the Langflow database"
        if owner in blocked:
            return f"{label}: {blocked[owner]}"
        return None

    for key in apikeys:
        label = f"API key {key['name']!r} ({key['id']})"
        if (problem := owner_problem("api_keys", key, label)):
            plan.skip("api_keys", problem)
        elif key["id"] in d1.apikeys:
            plan.present["api_keys"] += 1
        elif not key["api_key_hash"]:
            plan.skip("api_keys", f"{label}: Langflow stored no hash for it, so it cannot be looked up; "
                                  f"its owner should create a new key")
        else:
            plan.apikeys.append(key)

    def clash(taken_by: str) -> str:
        if taken_by in d1_ids:
            return f"D1 already holds another one for the same owner (id {taken_by})"
        return f"the Langflow database holds another one for the same owner (id {taken_by}), imported instead"

    def first_of_each(items, key):
        """Within the Langflow database, the first row of each (owner, name): later ones lose."""
        first = {}
        for item in items:
            if item["user_id"] is not None and key(item)[1] is not None:
                first.setdefault(key(item), item["id"])
        return first

    # Our schema allows one variable per name and owner (Langflow 1.13 does not): the first one in
    # the Langflow database is kept, the one Langflow's own lookups by name would return.
    d1_ids = set(d1.variables)
    var_names = {(uid, name): vid for vid, (uid, name) in d1.variables.items()}
    first_var = first_of_each(variables, lambda v: (v["user_id"], v["name"]))
    for var in variables:
        label = f"variable {var['name']!r} ({var['id']})"
        if (problem := owner_problem("variables", var, label)):
            plan.skip("variables", problem)
        elif first_var[(var["user_id"], var["name"])] != var["id"]:
            plan.skip("variables", f"{label}: same name, {clash(first_var[(var['user_id'], var['name'])])}")
        elif var["id"] in d1.variables:
            plan.present["variables"] += 1
        elif (var["user_id"], var["name"]) in var_names:
            plan.skip("variables", f"{label}: same name, {clash(var_names[(var['user_id'], var['name'])])}")
        else:
            var_names[(var["user_id"], var["name"])] = var["id"]
            plan.variables.append(var)

    d1_ids = set(d1.flows)
    flow_names = {(uid, name): fid for fid, (uid, name, _) in d1.flows.items()}
    endpoints = {(uid, ep): fid for fid, (uid, _, ep) in d1.flows.items() if ep is not None}
    first_name = first_of_each(flows, lambda f: (f["user_id"], f["name"]))
    first_endpoint = first_of_each(flows, lambda f: (f["user_id"], f["endpoint_name"]))
    for flow in flows:
        label = f"flow {flow['name']!r} ({flow['id']})"
        name_key, endpoint_key = (flow["user_id"], flow["name"]), (flow["user_id"], flow["endpoint_name"])
        if flow["user_id"] is None:
            plan.ownerless_flows += 1
        elif (problem := owner_problem("flows", flow, label)):
            plan.skip("flows", problem)
        elif first_name[name_key] != flow["id"]:
            plan.skip("flows", f"{label}: same name, {clash(first_name[name_key])}")
        elif flow["endpoint_name"] is not None and first_endpoint[endpoint_key] != flow["id"]:
            plan.skip("flows", f"{label}: same endpoint name, {clash(first_endpoint[endpoint_key])}")
        elif flow["id"] in d1.flows:
            plan.present["flows"] += 1
        elif (size := flow_row_size(flow)) > MAX_FLOW_ROW_BYTES:
            plan.skip("flows", f"{label}: about {size} bytes, more than a D1 row holds ({MAX_FLOW_ROW_BYTES}); "
                               "shrink it in Langflow (e.g. split it) and import again")
        elif name_key in flow_names:
            plan.skip("flows", f"{label}: same name, {clash(flow_names[name_key])}")
        elif flow["endpoint_name"] is not None and endpoint_key in endpoints:
            plan.skip("flows", f"{label}: same endpoint name {flow['endpoint_name']!r}, {clash(endpoints[endpoint_key])}")
        else:
            flow_names[(flow["user_id"], flow["name"])] = flow["id"]
            if flow["endpoint_name"] is not None:
                endpoints[(flow["user_id"], flow["endpoint_name"])] = flow["id"]
            plan.flows.append(flow)
    plan_folders(plan, folders, plan.flows, owner_problem, d1)
    return plan


# ---------------------------------------------------------------- SQL


def quote(text: str) -> str:
    """A standard SQL string literal. Two things would otherwise trip wrangler, which reads the
    file before D1 does: a NUL character, and the words BEGIN TRANSACTION anywhere in the file
    (it strips or refuses transactions by plain substring search). Both are written as
    concatenations, which SQLite evaluates back to the same text."""
    body = text.replace("'", "''").replace("BEGIN TRANSACTION", "BEGIN TRANS' || 'ACTION")
    return "'" + body.replace("\x00", "' || char(0) || '") + "'"


class SqlWriter:
    def __init__(self, chunk_chars: int, inline_chars: int):
        self.chunk_chars = chunk_chars
        self.inline_chars = inline_chars
        self.lines: list[str] = []
        self.staged = 0

    def value(self, value, key: str, guards: list[str]) -> str:
        """A SQL expression for `value`; long text goes through the staging table first."""
        if value is None:
            return "NULL"
        if isinstance(value, int):
            return str(value)
        if len(value) <= self.inline_chars:
            return quote(value)
        if self.staged == 0:
            self.lines.append(f"CREATE TABLE IF NOT EXISTS {STAGING} (k TEXT PRIMARY KEY NOT NULL, n INTEGER NOT NULL, v TEXT NOT NULL);")
        self.staged += 1
        chunks = [value[i:i + self.chunk_chars] for i in range(0, len(value), self.chunk_chars)]
        k = quote(key)
        self.lines.append(f"INSERT OR REPLACE INTO {STAGING} (k, n, v) VALUES ({k}, 1, {quote(chunks[0])});")
        for n, chunk in enumerate(chunks[1:], start=1):
            # Applies once, in order: a chunk is appended only after the n chunks before it.
            self.lines.append(f"UPDATE {STAGING} SET n = n + 1, v = v || {quote(chunk)} WHERE k = {k} AND n = {n};")
        guards.append(f"(SELECT n FROM {STAGING} WHERE k = {k}) = {len(chunks)}")
        return f"(SELECT v FROM {STAGING} WHERE k = {k})"

    def insert(self, table: str, columns: list[str], row: dict, owner: str | None = None):
        guards: list[str] = []
        if owner is not None:
            # If the owner is not in D1 after all (taken meanwhile), skip the row, not the import.
            guards.append(f'EXISTS (SELECT 1 FROM "user" WHERE id = {quote(owner)})')
        values = [self.value(row[c], f"{table}.{c}.{row['id']}", guards) for c in columns]
        where = " AND ".join(guards) if guards else "1"
        cols = ", ".join(columns)
        self.lines.append(f'INSERT INTO "{table}" ({cols}) SELECT {", ".join(values)} WHERE {where} ON CONFLICT DO NOTHING;')

    def finish(self) -> str:
        if self.staged:
            self.lines.append(f"DROP TABLE IF EXISTS {STAGING};")
        return "\n".join(self.lines) + "\n"


def build_sql(plan: Plan, chunk_chars: int, inline_chars: int) -> str:
    sql = SqlWriter(chunk_chars, inline_chars)
    sql.lines.append("-- langflow-edge: import from a Langflow database (scripts/import-langflow.py)")
    for user in plan.users:
        sql.insert("user", USER_COLUMNS, user)
    for key in plan.apikeys:
        sql.insert("apikey", APIKEY_COLUMNS, key, owner=key["user_id"])
    for var in plan.variables:
        sql.insert("variable", VARIABLE_COLUMNS, var, owner=var["user_id"])
    for folder in plan.folders:
        sql.insert("folder", FOLDER_COLUMNS, folder, owner=folder["user_id"])
    for flow in plan.flows:
        sql.insert("flow", FLOW_COLUMNS, flow, owner=flow["user_id"])
    return sql.finish()


# ---------------------------------------------------------------- main


def log(msg: str = ""):
    print(msg, file=sys.stderr, flush=True)


def say(msg: str, to_stderr: bool):
    print(msg, file=sys.stderr if to_stderr else sys.stdout, flush=True)


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Import a Langflow SQLite database (users, API keys, store keys, variables, flows) into D1.")
    p.add_argument("--db", required=True, help="the Langflow SQLite database (langflow.db); it is only read")
    p.add_argument("--secret-key", help="the LANGFLOW_SECRET_KEY the Langflow server used "
                                        "(default: $LANGFLOW_SECRET_KEY, else --env-file)")
    p.add_argument("--env-file", help="file holding LANGFLOW_SECRET_KEY=... (default: .env, then .dev.vars)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--local", action="store_true", help="the local D1 of `wrangler dev` / `make dev` (default)")
    where.add_argument("--remote", action="store_true", help="the deployed D1 (needs `wrangler login` or CLOUDFLARE_API_TOKEN)")
    p.add_argument("--persist-to", help="local D1 persistence directory (as `wrangler --persist-to`)")
    p.add_argument("--env", help="wrangler environment (as `wrangler --env`)")
    p.add_argument("--database", default="DB", help="D1 binding or database name (default: DB)")
    p.add_argument("--wrangler", default=str(ROOT / "node_modules" / ".bin" / "wrangler"), help=argparse.SUPPRESS)
    p.add_argument("--dry-run", action="store_true", help="check and report against D1, write nothing")
    p.add_argument("--sql-out", help="also save the generated SQL to this file")
    p.add_argument("--json", action="store_true", help="print the report as JSON on stdout")
    p.add_argument("--chunk-chars", type=int, default=CHUNK_CHARS, help=argparse.SUPPRESS)
    p.add_argument("--inline-chars", type=int, default=INLINE_CHARS, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.persist_to and args.remote:
        p.error("--persist-to only applies to a local D1")
    if args.chunk_chars < 1 or args.inline_chars < 0:
        p.error("--chunk-chars must be positive")
    return args


def run(args) -> dict:
    db_path = Path(args.db).expanduser()
    report: dict = {"database": str(db_path)}
    with tempfile.TemporaryDirectory(prefix="langflow-import-") as tmp:
        workdir = Path(tmp)
        # 1. Is it a Langflow database? (nothing touches D1 until every check has passed)
        conn = open_langflow(db_path, workdir)
        try:
            have = check_schema(conn, db_path)
            report["alembic_version"] = alembic_version(conn)
            raw_users = read_rows(conn, "user", USER_COLUMNS, have["user"])
            raw_keys = read_rows(conn, "apikey", APIKEY_COLUMNS, have["apikey"])
            raw_vars = read_rows(conn, "variable", VARIABLE_COLUMNS, have["variable"])
            raw_flows = read_rows(conn, "flow", FLOW_COLUMNS, have["flow"])
            folder_columns = {row[1] for row in conn.execute('PRAGMA table_info("folder")')}
            raw_folders = read_rows(conn, "folder", FOLDER_COLUMNS, folder_columns) if {"id", "name"} <= folder_columns else []
        except sqlite3.DatabaseError as err:
            raise Refused(f"{db_path} cannot be read: {err}") from err
        finally:
            conn.close()
        warnings: list[str] = []
        now = datetime.now(timezone.utc)
        users = [convert_user(r, now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), warnings) for r in raw_users]
        keys = [convert_apikey(r, now.strftime("%Y-%m-%dT%H:%M:%S+00:00"), warnings) for r in raw_keys]
        variables = [convert_variable(r, warnings) for r in raw_vars]
        flows = [convert_flow(r, warnings) for r in raw_flows]
        folders = [convert_folder(r) for r in raw_folders]
        bad_users = [u for u in users if not u["id"] or not u["username"]]
        if bad_users:
            raise Refused(f"{db_path}: {len(bad_users)} users have no id or no username")
        # The worker names rows by UUID everywhere (paths, links, owner checks): an id of another
        # shape would be unreachable, or worse, reach a page as something else.
        not_uuids = [f"{kind} {row.get('name') or row.get('username') or row['id']!r}: {column} {row[column]!r}"
                     for kind, rows, columns in (("user", users, ("id",)), ("API key", keys, ("id", "user_id")),
                                                 ("variable", variables, ("id", "user_id")),
                                                 ("flow", flows, ("id", "user_id", "folder_id")),
                                                 ("project", folders, ("id", "user_id", "parent_id")))
                     for row in rows for column in columns
                     if row[column] is not None and not DASHED.fullmatch(str(row[column]))]
        if not_uuids:
            raise Refused(f"{db_path}: {len(not_uuids)} ids are not UUIDs, which Langflow always writes, "
                          f"so the database was changed by hand or is not Langflow's; e.g. {'; '.join(not_uuids[:5])}")

        # 2. Does the secret key decrypt every stored secret? (Fernet HMAC, under every key
        #    Langflow would try)
        secrets = [("API key", k["id"], k["api_key"]) for k in keys]
        secrets += [("variable", v["id"], v["value"]) for v in variables if is_credential(v) and v["value"]]
        secrets += [("store key of user", u["username"], u["store_api_key"]) for u in users if u["store_api_key"]]
        secret, source = find_secret(args)
        report["secret_key_source"] = source
        if secrets:
            if not secret:
                raise Refused(f"{db_path} holds {len(secrets)} encrypted secrets and no secret key was given: "
                              "pass the LANGFLOW_SECRET_KEY the Langflow server used "
                              "(--secret-key, the LANGFLOW_SECRET_KEY environment variable, or .env)")
            fernet = fernet_keys(secret)
            failures = [(kind, ident, token_verdict(tok, fernet)) for kind, ident, tok in secrets]
            failures = [f for f in failures if f[2] != "ok"]
            if failures:
                wrong = sum(1 for f in failures if f[2] == "wrong-key")
                examples = "; ".join(f"{kind} {ident}" + (" (not a Fernet token)" if v == "malformed" else "")
                                     for kind, ident, v in failures[:5])
                raise Refused(
                    f"the secret key (from {source}) does not decrypt {len(failures)} of {len(secrets)} stored "
                    f"secrets ({wrong} fail their Fernet HMAC, {len(failures) - wrong} are not Fernet tokens), "
                    f"e.g. {examples}. Pass the LANGFLOW_SECRET_KEY the Langflow server used "
                    "(--secret-key, the LANGFLOW_SECRET_KEY environment variable, or .env).")
        report["secrets_verified"] = len(secrets)
        fernet = fernet_keys(secret) if secret else []
        for var in variables:
            if not is_credential(var) and token_verdict(var["value"], fernet) == "ok":
                warnings.append(f"Generic variable {var['name']!r} ({var['id']}) holds a Fernet token under this key; "
                                "it is imported as it is (Generic values are shown as stored)")

        # 3. What is already in D1? Then write what is missing, in one file.
        target = Target(Path(args.wrangler), args.database, args.remote,
                        str(Path(args.persist_to).resolve()) if args.persist_to else None, args.env)
        report["target"] = target.describe()
        if not target.wrangler.exists():
            raise WranglerFailed(f"wrangler not found at {target.wrangler}: run `make setup` (or `npm ci`) first")
        # The schema first: `migrations apply` when D1 lacks any of migrations/ (a fresh D1 has
        # no tables at all, and the read fails).
        wanted = {p.name for p in (ROOT / "migrations").glob("*.sql")}
        local_store = Path(target.persist_to) if target.persist_to else ROOT / ".wrangler" / "state"
        if args.dry_run and not target.remote and not (local_store / "v3" / "d1").is_dir():
            d1 = D1State()  # no local D1 yet; reading would create one
        else:
            try:
                d1 = D1State.read(target)
            except WranglerFailed:
                d1 = None
        if d1 is None or not wanted <= d1.migrations:
            if args.dry_run:
                d1 = d1 or D1State()  # no schema yet: everything would be imported
            else:
                target.migrate()
                d1 = D1State.read(target)
        plan = make_plan(users, keys, variables, flows, d1, folders)
        sql = build_sql(plan, args.chunk_chars, args.inline_chars)
        if args.sql_out:
            Path(args.sql_out).write_text(sql, encoding="utf-8")
        to_write = len(plan.users) + len(plan.apikeys) + len(plan.variables) + len(plan.flows) + len(plan.folders)
        if to_write and not args.dry_run:
            sql_file = workdir / "import.sql"
            sql_file.write_text(sql, encoding="utf-8")
            target.execute_file(sql_file)
            # Check what landed (a row can still be skipped by its guard if D1 changed meanwhile).
            after = D1State.read(target)
            missing = [u["id"] for u in plan.users if u["id"] not in after.users]
            missing += [k["id"] for k in plan.apikeys if k["id"] not in after.apikeys]
            missing += [v["id"] for v in plan.variables if v["id"] not in after.variables]
            missing += [f["id"] for f in plan.flows if f["id"] not in after.flows]
            missing += [f["id"] for f in plan.folders if f["id"] not in after.folders]
            if missing:
                raise WranglerFailed(f"{len(missing)} rows were not written (D1 changed during the import?): "
                                     f"{', '.join(missing[:5])}; run the import again")

    report.update({
        "dry_run": bool(args.dry_run),
        "imported": {"users": len(plan.users), "api_keys": len(plan.apikeys),
                     "variables": len(plan.variables), "flows": len(plan.flows)},
        "already_present": plan.present,
        "skipped": plan.skipped_counts,
        "skipped_details": plan.skipped,
        "flows_without_owner_skipped": plan.ownerless_flows,
        "projects": plan.folder_counts,
        "warnings": warnings,
    })
    return report


def print_report(report: dict, to_stderr: bool):
    def log(msg: str = ""):
        say(msg, to_stderr)

    verb = "would import" if report["dry_run"] else "imported"
    imp, pres, skip = report["imported"], report["already_present"], report["skipped"]
    log(f"Langflow database: {report['database']} (alembic {report.get('alembic_version') or 'unknown'})")
    log(f"target: {report['target']}")
    if report["secrets_verified"]:
        log(f"secret key: from {report['secret_key_source']}; {report['secrets_verified']} stored secrets verified")
    else:
        log("secret key: not needed, the database holds no encrypted secrets")
    log(f"{'':16}{verb:>14}  already present  skipped")
    for kind, label in (("users", "users"), ("api_keys", "API keys"), ("variables", "variables"), ("flows", "flows")):
        log(f"{label:16}{imp[kind]:>14}  {pres[kind]:>15}  {skip[kind]:>7}")
    projects = report["projects"]
    log(f"{'projects':16}{projects['imported']:>14}  {projects['already_present']:>15}  {projects['skipped']:>7}")
    log(f"flows without an owner (Langflow's starter projects) skipped: {report['flows_without_owner_skipped']}")
    log(f"projects without an owner (Langflow's starter projects) skipped: {projects['without_owner_skipped']}")
    for line in report["skipped_details"]:
        log(f"skipped: {line}")
    for line in report["warnings"]:
        log(f"warning: {line}")
    if not any(imp.values()) and not projects["imported"]:
        log("nothing to import: D1 already holds everything importable" if any(pres.values()) else "nothing to import")


def main(argv=None) -> int:
    if sys.version_info < (3, 11):
        log("import-langflow: needs Python 3.11 or newer")
        return EXIT_FAILED
    args = parse_args(argv)
    try:
        report = run(args)
    except Refused as err:
        log(f"import-langflow: refused: {err}")
        log("Nothing was written to D1.")
        return EXIT_REFUSED
    except WranglerFailed as err:
        log(f"import-langflow: {err}")
        return EXIT_FAILED
    print_report(report, to_stderr=args.json)
    if args.json:
        print(json.dumps(report, indent=2))
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
