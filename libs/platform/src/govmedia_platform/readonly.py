"""The read-only database role Grafana's PostgreSQL datasources use (one datasource per service database).

``govmedia migrate`` grants it after the migrations: CONNECT on each service database and SELECT on every
table — except columns that hold secrets (password and secret hashes, private keys), which no dashboard needs
and no read-only reader may see. Columns are matched by name, so a secret column added later is withheld too.
"""

from __future__ import annotations

import asyncpg

from govmedia_platform.stack import with_database

READ_ONLY_ROLE = "govmedia_grafana"
SECRET_COLUMN_PATTERNS = ("%hash%", "%secret%", "%private%", "%password%")


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def grant_read_only(
    server_url: str, databases: list[str], password: str | None, role: str = READ_ONLY_ROLE
) -> list[str]:
    """Create or update ``role``, give it read access to ``databases``; return what it did, line by line."""
    done: list[str] = []
    conn = await asyncpg.connect(_asyncpg_dsn(server_url))
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
        if not exists:
            await conn.execute(f"CREATE ROLE {_ident(role)} NOLOGIN")
            done.append(f"created role {role}")
        if password:
            # A password cannot be a bind parameter in DDL: quote it as a literal.
            literal = "'" + password.replace("'", "''") + "'"
            await conn.execute(f"ALTER ROLE {_ident(role)} LOGIN PASSWORD {literal}")
        else:
            await conn.execute(f"ALTER ROLE {_ident(role)} NOLOGIN")
    finally:
        await conn.close()
    for database in databases:
        db = await asyncpg.connect(_asyncpg_dsn(with_database(server_url, database)))
        try:
            async with db.transaction():
                await db.execute(f"GRANT CONNECT ON DATABASE {_ident(database)} TO {_ident(role)}")
                await db.execute(f"GRANT USAGE ON SCHEMA public TO {_ident(role)}")
                await db.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {_ident(role)}")
                rows = await db.fetch(
                    """
                    SELECT c.table_name, c.column_name,
                           bool_or(c.column_name ILIKE ANY($1::text[])) OVER (PARTITION BY c.table_name)
                             AS table_has_secret,
                           c.column_name ILIKE ANY($1::text[]) AS is_secret
                    FROM information_schema.columns c
                    JOIN information_schema.tables t
                      ON t.table_schema = c.table_schema AND t.table_name = c.table_name
                    WHERE c.table_schema = 'public' AND t.table_type IN ('BASE TABLE', 'VIEW')
                    ORDER BY c.table_name, c.ordinal_position
                    """,
                    list(SECRET_COLUMN_PATTERNS),
                )
                columns: dict[str, list[str]] = {}
                withheld: dict[str, list[str]] = {}
                for r in rows:
                    target = withheld if r["is_secret"] else columns
                    target.setdefault(r["table_name"], []).append(r["column_name"])
                for table, cols in columns.items():
                    if table in withheld:
                        listed = ", ".join(_ident(c) for c in cols)
                        await db.execute(f"GRANT SELECT ({listed}) ON {_ident(table)} TO {_ident(role)}")
                    else:
                        await db.execute(f"GRANT SELECT ON {_ident(table)} TO {_ident(role)}")
            secret_note = (
                f"; withheld {', '.join(f'{t}.{c}' for t, cs in withheld.items() for c in cs)}"
                if withheld
                else ""
            )
            done.append(f"{database}: {role} may read {len(columns)} tables{secret_note}")
        finally:
            await db.close()
    return done
