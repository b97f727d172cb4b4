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
 * back.  Adopting twice changes nothing.
 *
 *	dbmate			schema_migrations(version): one row per applied version
 *	golang-migrate	schema_migrations(version, dirty): the newest applied
 *					version; every registered version up to it is applied
 *	Flyway			flyway_schema_history: successful versioned rows whose
 *					latest entry is not an undo
 *	Sqitch			sqitch.changes: the deployed changes of the project,
 *					matched to migrations by change name
 *
 *-------------------------------------------------------------------------
 */
#include "migrator_cli.h"

#include <stdlib.h>
#include <string.h>

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
sqitch_project(const CliOptions *opts, int argc, char **argv, int *rc)
{
	char	   *error = NULL;
	MigrationSet *set;

	if (opts->project || argc == 0)
		return opts->project;
	set = layout_read(argv[0], "sqitch", &error);
	if (set == NULL)
	{
		cli_error("%s", error);
		*rc = EXIT_ERROR;
		return NULL;
	}
	return set->project;
}

int
cmd_adopt(PGconn *conn, const CliOptions *opts, int argc, char **argv)
{
	static const char *const names[] = {"version", "tool", "action"};
	const char *tool = opts->from;
	const char *table = opts->table;
	const char *params[2];
	ToolHistory h = {0, NULL};
	PGresult   *res;
	char	   *qualified;
	char	   *sql;
	char	   *reason;
	Table	   *out;
	int			rc = EXIT_OK;
	int			marked = 0;
	int			i;

	if (tool == NULL)
	{
		cli_error("adopt needs --from dbmate|golang-migrate|flyway|sqitch");
		return EXIT_USAGE;
	}
	if (strcmp(tool, "ory") == 0)
		tool = "golang-migrate";
	if (strcmp(tool, "dbmate") != 0 && strcmp(tool, "golang-migrate") != 0 &&
		strcmp(tool, "flyway") != 0 && strcmp(tool, "sqitch") != 0)
	{
		cli_error("unknown tool \"%s\" for --from (dbmate, golang-migrate, flyway, sqitch)", tool);
		return EXIT_USAGE;
	}
	if (argc > 1 || (argc == 1 && strcmp(tool, "sqitch") != 0))
	{
		cli_error("adopt takes a directory only with --from sqitch (to read the project name)");
		return EXIT_USAGE;
	}
	if (table == NULL)
		table = strcmp(tool, "flyway") == 0 ? "flyway_schema_history" :
			strcmp(tool, "sqitch") == 0 ? "sqitch.changes" : "schema_migrations";

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

	if (strcmp(tool, "dbmate") == 0)
	{
		sql = xasprintf("SELECT version::text FROM %s ORDER BY 1", qualified);
		if (!collect(conn, &h, sql, 0, NULL, &rc))
			goto fail;
	}
	else if (strcmp(tool, "golang-migrate") == 0)
	{
		const char *newest;

		sql = xasprintf("SELECT version::text, dirty FROM %s", qualified);
		res = cli_exec(conn, sql, 0, NULL);
		if (!cli_command_ok(res))
		{
			rc = cli_result_exit(conn, res, NULL, "cannot read the history table");
			PQclear(res);
			goto fail;
		}
		if (PQntuples(res) != 1)
		{
			cli_error("%s holds %d rows; golang-migrate keeps exactly one", qualified, PQntuples(res));
			PQclear(res);
			rc = EXIT_ERROR;
			goto fail;
		}
		if (strcmp(PQgetvalue(res, 0, 1), "t") == 0)
		{
			cli_error("golang-migrate marks version %s dirty: a migration failed half-way",
					  PQgetvalue(res, 0, 0));
			fprintf(stderr, "HINT:  Repair the database and run \"migrate force VERSION\" first.\n");
			PQclear(res);
			rc = EXIT_ERROR;
			goto fail;
		}
		newest = xstrdup(PQgetvalue(res, 0, 0));
		PQclear(res);
		/* every registered version up to the newest, then the newest */
		params[0] = newest;
		if (!collect(conn, &h,
					 "SELECT version FROM migrator.status() "
					 "WHERE migrator.version_key(version) < migrator.version_key($1::text)",
					 1, params, &rc))
			goto fail;
		history_add(&h, newest);
	}
	else if (strcmp(tool, "flyway") == 0)
	{
		sql = xasprintf("SELECT version FROM "
						"(SELECT DISTINCT ON (version) version, type, success, installed_rank "
						"   FROM %s WHERE version IS NOT NULL "
						"  ORDER BY version, installed_rank DESC) AS latest "
						"WHERE success AND type NOT LIKE 'UNDO%%' "
						"  AND type NOT IN ('SCHEMA', 'DELETE', 'BASELINE') "
						"ORDER BY installed_rank", qualified);
		if (!collect(conn, &h, sql, 0, NULL, &rc))
			goto fail;
	}
	else
	{
		const char *project = sqitch_project(opts, argc, argv, &rc);

		if (rc != EXIT_OK)
			goto fail;
		params[0] = project;
		/* change name -> the registered version of that name */
		sql = xasprintf("SELECT COALESCE((SELECT s.version FROM migrator.status() AS s "
						"                  WHERE s.name = c.change), c.change) "
						"  FROM %s AS c WHERE $1::text IS NULL OR c.project = $1 "
						" ORDER BY c.committed_at", qualified);
		if (!collect(conn, &h, sql, 1, params, &rc))
			goto fail;
	}

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
