/*-------------------------------------------------------------------------
 *
 * adopt.c
 *	  "migrator adopt --from TOOL": what another tool applied becomes
 *	  migrator's baseline.
 *
 * Reads the tool's history table in the same database and marks the
 * matching registered migrations applied with migrator.baseline(), which
 * runs nothing.  The migrations must have been pushed first (from the same
 * directory the tool used); a version the tool applied that is not
 * registered is refused by baseline(), and the whole adoption is rolled
 * back.  Adopting twice changes nothing.  What counts as applied is what
 * the tool itself would skip on its next run:
 *
 *	dbmate			schema_migrations(version): every row
 *	golang-migrate	schema_migrations(version, dirty): the newest applied
 *					version; every registered version up to it is applied
 *	goose			goose_db_version: versions whose latest row is_applied
 *	Flyway			flyway_schema_history: successful versioned rows whose
 *					latest entry is not an undo
 *	Sqitch			sqitch.changes: the deployed changes of the project,
 *					matched to migrations by change name
 *	Liquibase		databasechangelog: executed (or marked ran) changesets,
 *					matched by id, author and file to the changelog in DIR
 *	Prisma			_prisma_migrations: finished and not rolled back
 *	Drizzle			drizzle.__drizzle_migrations: every journal entry of
 *					DIR up to the newest created_at (Drizzle's own rule)
 *	Atlas			atlas_schema_revisions: fully applied revisions, and
 *					everything up to a baseline revision
 *	Supabase		supabase_migrations.schema_migrations: every row
 *
 *-------------------------------------------------------------------------
 */
#include "migrator_cli.h"

#include <stdlib.h>
#include <string.h>

/* A tool adopt reads: its history table, and whether DIR is needed. */
typedef struct AdoptTool
{
	const char *name;
	const char *table;			/* default history table */
	int			dir;			/* 0 no DIR, 1 optional, 2 required */
} AdoptTool;

static const AdoptTool adopt_tools[] = {
	{"dbmate", "schema_migrations", 0},
	{"golang-migrate", "schema_migrations", 0},
	{"goose", "goose_db_version", 0},
	{"flyway", "flyway_schema_history", 0},
	{"sqitch", "sqitch.changes", 1},
	{"liquibase", "databasechangelog", 2},
	{"prisma", "_prisma_migrations", 0},
	{"drizzle", "drizzle.__drizzle_migrations", 2},
	{"atlas", "atlas_schema_revisions.atlas_schema_revisions", 0},
	{"supabase", "supabase_migrations.schema_migrations", 0},
	{NULL, NULL, 0}
};

#define ADOPT_TOOL_LIST "dbmate, golang-migrate (or ory), goose, flyway, sqitch, liquibase, prisma, drizzle, atlas, supabase"

/* Versions (or, for Sqitch, change names) the tool reports applied. */
typedef struct ToolHistory
{
	int			n;
	char	  **versions;
} ToolHistory;

/*
 * Append one version to the history.
 */
static void
history_add(ToolHistory *h, const char *v)
{
	h->versions = xrealloc(h->versions, sizeof(char *) * (h->n + 1));
	h->versions[h->n++] = xstrdup(v);
}

/*
 * Run a query and add its first column to the history; false after
 * printing the error.
 */
static bool
collect(PGconn *conn, ToolHistory *h, const char *sql, int nparams,
		const char *const *params, int *rc)
{
	PGresult   *res = cli_exec(conn, sql, nparams, params);
	int			r;

	if (!cli_command_ok(res))
	{
		*rc = cli_result_exit(conn, res, NULL, "cannot read the history table");
		PQclear(res);
		return false;
	}
	for (r = 0; r < PQntuples(res); r++)
		if (!PQgetisnull(res, r, 0))
			history_add(h, PQgetvalue(res, r, 0));
	PQclear(res);
	return true;
}

/*
 * The Sqitch project: --project, else %project of DIR/sqitch.plan when a
 * directory was given, else NULL (every project in sqitch.changes).
 */
static const char *
sqitch_project(const CliOptions *opts, const MigrationSet *set)
{
	if (opts->project || set == NULL)
		return opts->project;
	return set->project;
}

/*
 * The history's rows as a result; NULL after printing the error.
 */
static PGresult *
read_rows(PGconn *conn, const char *sql, int nparams, const char *const *params, int *rc)
{
	PGresult   *res = cli_exec(conn, sql, nparams, params);

	if (!cli_command_ok(res))
	{
		*rc = cli_result_exit(conn, res, NULL, "cannot read the history table");
		PQclear(res);
		return NULL;
	}
	return res;
}

/*
 * Every registered version older than "newest", then "newest": what a tool
 * that records only its newest version (golang-migrate, an Atlas
 * baseline) has applied.
 */
static bool
collect_up_to(PGconn *conn, ToolHistory *h, const char *newest, int *rc)
{
	const char *params[1] = {newest};

	if (!collect(conn, h,
				 "SELECT version FROM migrator.status() "
				 "WHERE migrator.version_key(version) < migrator.version_key($1::text)",
				 1, params, rc))
		return false;
	history_add(h, newest);
	return true;
}

/*
 * The file name part of a path.
 */
static const char *
base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/*
 * Read the tool's history table "qualified" into "h": the versions (or, for
 * Sqitch, change names) it applied.  False after printing an error.
 */
static bool
read_history(PGconn *conn, const CliOptions *opts, const char *tool,
			 const char *qualified, const MigrationSet *set, ToolHistory *h,
			 int *rc)
{
	const char *params[1];
	PGresult   *res;
	char	   *sql;
	int			r;
	int			i;

	if (strcmp(tool, "dbmate") == 0 || strcmp(tool, "supabase") == 0)
	{
		sql = xasprintf("SELECT version::text FROM %s ORDER BY 1", qualified);
		return collect(conn, h, sql, 0, NULL, rc);
	}
	if (strcmp(tool, "golang-migrate") == 0)
	{
		char	   *newest;

		sql = xasprintf("SELECT version::text, dirty FROM %s", qualified);
		if ((res = read_rows(conn, sql, 0, NULL, rc)) == NULL)
			return false;
		if (PQntuples(res) != 1)
		{
			cli_error("%s holds %d rows; golang-migrate keeps exactly one", qualified, PQntuples(res));
			PQclear(res);
			*rc = EXIT_ERROR;
			return false;
		}
		if (strcmp(PQgetvalue(res, 0, 1), "t") == 0)
		{
			cli_error("golang-migrate marks version %s dirty: a migration failed half-way",
					  PQgetvalue(res, 0, 0));
			fprintf(stderr, "HINT:  Repair the database and run \"migrate force VERSION\" first.\n");
			PQclear(res);
			*rc = EXIT_ERROR;
			return false;
		}
		newest = xstrdup(PQgetvalue(res, 0, 0));
		PQclear(res);
		return collect_up_to(conn, h, newest, rc);
	}
	if (strcmp(tool, "goose") == 0)
	{
		/* the latest row of each version says whether it is applied */
		sql = xasprintf("SELECT version_id::text FROM "
						"(SELECT DISTINCT ON (version_id) version_id, is_applied "
						"   FROM %s ORDER BY version_id, id DESC) AS latest "
						"WHERE is_applied AND version_id <> 0 ORDER BY version_id", qualified);
		return collect(conn, h, sql, 0, NULL, rc);
	}
	if (strcmp(tool, "flyway") == 0)
	{
		sql = xasprintf("SELECT version FROM "
						"(SELECT DISTINCT ON (version) version, type, success, installed_rank "
						"   FROM %s WHERE version IS NOT NULL "
						"  ORDER BY version, installed_rank DESC) AS latest "
						"WHERE success AND type NOT LIKE 'UNDO%%' "
						"  AND type NOT IN ('SCHEMA', 'DELETE', 'BASELINE') "
						"ORDER BY installed_rank", qualified);
		return collect(conn, h, sql, 0, NULL, rc);
	}
	if (strcmp(tool, "sqitch") == 0)
	{
		params[0] = sqitch_project(opts, set);
		/* change name -> the registered version of that name */
		sql = xasprintf("SELECT COALESCE((SELECT s.version FROM migrator.status() AS s "
						"                  WHERE s.name = c.change), c.change) "
						"  FROM %s AS c WHERE $1::text IS NULL OR c.project = $1 "
						" ORDER BY c.committed_at", qualified);
		return collect(conn, h, sql, 1, params, rc);
	}
	if (strcmp(tool, "prisma") == 0)
	{
		/* a started migration that neither finished nor was rolled back failed */
		sql = xasprintf("SELECT migration_name FROM %s "
						"WHERE finished_at IS NULL AND rolled_back_at IS NULL ORDER BY started_at", qualified);
		if ((res = read_rows(conn, sql, 0, NULL, rc)) == NULL)
			return false;
		if (PQntuples(res) > 0)
		{
			cli_error("Prisma records migration %s as failed: it started and neither finished nor was rolled back",
					  PQgetvalue(res, 0, 0));
			fprintf(stderr, "HINT:  Repair the database and run \"prisma migrate resolve\" first.\n");
			PQclear(res);
			*rc = EXIT_ERROR;
			return false;
		}
		PQclear(res);
		sql = xasprintf("SELECT substring(migration_name from '^[0-9]+') FROM %s "
						"WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL "
						"ORDER BY finished_at, migration_name", qualified);
		return collect(conn, h, sql, 0, NULL, rc);
	}
	if (strcmp(tool, "atlas") == 0)
	{
		/* type is a bit mask: 1 baseline, 2 executed, 4 resolved */
		sql = xasprintf("SELECT version FROM %s WHERE version NOT LIKE '.%%' "
						"AND type & 6 <> 0 AND applied < total ORDER BY version", qualified);
		if ((res = read_rows(conn, sql, 0, NULL, rc)) == NULL)
			return false;
		if (PQntuples(res) > 0)
		{
			cli_error("Atlas records version %s as partially applied", PQgetvalue(res, 0, 0));
			fprintf(stderr, "HINT:  Repair the database and run \"atlas migrate set\" first.\n");
			PQclear(res);
			*rc = EXIT_ERROR;
			return false;
		}
		PQclear(res);
		sql = xasprintf("SELECT max(version) FROM %s WHERE version NOT LIKE '.%%' AND type & 1 <> 0",
						qualified);
		if ((res = read_rows(conn, sql, 0, NULL, rc)) == NULL)
			return false;
		if (!PQgetisnull(res, 0, 0) && !collect_up_to(conn, h, PQgetvalue(res, 0, 0), rc))
		{
			PQclear(res);
			return false;
		}
		PQclear(res);
		sql = xasprintf("SELECT version FROM %s WHERE version NOT LIKE '.%%' "
						"AND type & 1 = 0 AND type & 6 <> 0 AND applied = total ORDER BY version",
						qualified);
		return collect(conn, h, sql, 0, NULL, rc);
	}
	if (strcmp(tool, "drizzle") == 0)
	{
		/* Drizzle runs every journal entry newer than the newest created_at */
		sql = xasprintf("SELECT max(created_at)::text FROM %s", qualified);
		if ((res = read_rows(conn, sql, 0, NULL, rc)) == NULL)
			return false;
		if (!PQgetisnull(res, 0, 0))
		{
			double		newest = strtod(PQgetvalue(res, 0, 0), NULL);

			for (i = 0; i < set->n; i++)
				if (strtod(set->items[i].key, NULL) <= newest)
					history_add(h, set->items[i].version);
		}
		PQclear(res);
		return true;
	}

	/* liquibase: id, author and file name, against the changelog's keys */
	sql = xasprintf("SELECT id, author, filename FROM %s "
					"WHERE exectype IN ('EXECUTED', 'RERAN', 'MARK_RAN') "
					"ORDER BY orderexecuted", qualified);
	if ((res = read_rows(conn, sql, 0, NULL, rc)) == NULL)
		return false;
	for (r = 0; r < PQntuples(res); r++)
	{
		char	   *key = xasprintf("%s%c%s%c%s", PQgetvalue(res, r, 0), '\x1f',
									PQgetvalue(res, r, 1), '\x1f',
									base_name(PQgetvalue(res, r, 2)));
		bool		found = false;

		for (i = 0; i < set->n && !found; i++)
		{
			const char *k = set->items[i].key;
			const char *file = strrchr(k, '\x1f');
			size_t		idlen = file - k;

			/* the same id and author, and the same file name */
			if (strncmp(k, key, idlen) == 0 && key[idlen] == '\x1f' &&
				strcmp(base_name(file + 1), key + idlen + 1) == 0)
			{
				history_add(h, set->items[i].version);
				found = true;
			}
		}
		if (!found)
		{
			cli_error("databasechangelog records changeset %s:%s of \"%s\", which the changelog in the directory does not have",
					  PQgetvalue(res, r, 1), PQgetvalue(res, r, 0), PQgetvalue(res, r, 2));
			PQclear(res);
			*rc = EXIT_REFUSED;
			return false;
		}
		free(key);
	}
	PQclear(res);
	return true;
}


int
cmd_adopt(PGconn *conn, const CliOptions *opts, int argc, char **argv)
{
	static const char *const names[] = {"version", "tool", "action"};
	const char *tool = opts->from;
	const AdoptTool *t = NULL;
	const char *table = opts->table;
	const char *params[2];
	ToolHistory h = {0, NULL};
	MigrationSet *set = NULL;
	PGresult   *res;
	char	   *qualified;
	char	   *reason;
	Table	   *out;
	int			rc = EXIT_OK;
	int			marked = 0;
	int			i;

	if (tool == NULL)
	{
		cli_error("adopt needs --from TOOL (" ADOPT_TOOL_LIST ")");
		return EXIT_USAGE;
	}
	if (strcmp(tool, "ory") == 0)
		tool = "golang-migrate";
	for (i = 0; adopt_tools[i].name; i++)
		if (strcmp(adopt_tools[i].name, tool) == 0)
			t = &adopt_tools[i];
	if (t == NULL)
	{
		cli_error("unknown tool \"%s\" for --from (" ADOPT_TOOL_LIST ")", tool);
		return EXIT_USAGE;
	}
	if (argc > 1 || (argc == 1 && t->dir == 0))
	{
		cli_error("adopt takes a directory only with --from sqitch, liquibase or drizzle");
		return EXIT_USAGE;
	}
	if (argc == 0 && t->dir == 2)
	{
		cli_error("adopt --from %s needs the migration directory, to match the history to its migrations", tool);
		return EXIT_USAGE;
	}
	if (argc == 1)
	{
		char	   *error = NULL;

		if ((set = layout_read(argv[0], tool, &error)) == NULL)
		{
			cli_error("%s", error);
			return EXIT_ERROR;
		}
	}
	if (table == NULL)
		table = t->table;

	if ((rc = cli_simple(conn, "BEGIN")) != EXIT_OK)
		return rc;

	/* the table's name, quoted by the server; never user text in SQL */
	params[0] = table;
	res = cli_exec(conn, "SELECT pg_catalog.to_regclass($1)::text", 1, params);
	if (!cli_command_ok(res))
	{
		rc = cli_result_exit(conn, res, NULL, NULL);
		PQclear(res);
		cli_simple(conn, "ROLLBACK");
		return rc;
	}
	if (PQgetisnull(res, 0, 0))
	{
		cli_error("%s's history table \"%s\" does not exist in this database", tool, table);
		fprintf(stderr, "HINT:  Name it with --table if %s keeps it elsewhere.\n", tool);
		PQclear(res);
		cli_simple(conn, "ROLLBACK");
		return EXIT_ERROR;
	}
	qualified = xstrdup(PQgetvalue(res, 0, 0));
	PQclear(res);

	if (!read_history(conn, opts, tool, qualified, set, &h, &rc))
		goto fail;

	reason = xasprintf("adopted from %s (%s)", tool, qualified);
	out = table_new(3, names, NULL);
	for (i = 0; i < h.n; i++)
	{
		const char *row[3];

		params[0] = h.versions[i];
		params[1] = reason;
		res = cli_exec(conn, "SELECT migrator.baseline($1, $2)", 2, params);
		if (!cli_command_ok(res))
		{
			rc = cli_result_exit(conn, res, "baseline", NULL);
			PQclear(res);
			goto fail;
		}
		row[0] = h.versions[i];
		row[1] = tool;
		if (strcmp(PQgetvalue(res, 0, 0), "t") == 0)
		{
			row[2] = opts->dry_run ? "would mark applied" : "marked applied";
			marked++;
		}
		else
			row[2] = "already applied";
		table_add_row(out, row);
		progress(opts, "%s %s: %s", opts->dry_run ? "would adopt" : "adopt", h.versions[i], row[2]);
		PQclear(res);
	}
	if ((rc = cli_simple(conn, opts->dry_run ? "ROLLBACK" : "COMMIT")) != EXIT_OK)
		return rc;
	table_print(stdout, out, opts->json);
	progress(opts, "%s %d of %d migrations %s applied as a baseline, without running them%s",
			 opts->dry_run ? "would mark" : "marked", marked, h.n, tool,
			 opts->dry_run ? "; dry run, nothing was changed" : "");
	return EXIT_OK;

fail:
	cli_simple(conn, "ROLLBACK");
	fprintf(stderr, "migrator: nothing was adopted\n");
	return rc;
}
