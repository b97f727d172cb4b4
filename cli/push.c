/*-------------------------------------------------------------------------
 *
 * push.c
 *	  "migrator push DIR": register every migration of a directory.
 *
 * All registrations run in one transaction, so a push registers the whole
 * directory or nothing.  Pushing the same directory again changes nothing
 * (register() treats identical content as a no-op); a file whose applied
 * migration has changed is refused by register() with both checksums, and
 * the client names the file.  With --dry-run the registrations run and
 * are rolled back: every file is parsed and judged by the server, and
 * nothing stays behind.
 *
 * push --import registers an existing history unchanged through
 * migrator.import(): destructive migrations without a plan get one that
 * says they are imported history, and migrations without a down script
 * that does anything are recorded as irreversible (imported).  Every
 * migration it marked is listed (a "marked" column and a line each), and
 * counted at the end.
 *
 *-------------------------------------------------------------------------
 */
#include "migrator_cli.h"
#include "layouts.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define STAGE_SQL \
	"SELECT r.version, r.kind, r.registered_at = pg_catalog.now() AS changed " \
	"FROM migrator.stage(version => $1, statement => $2, up => $3, down => $4, " \
	"name => $5) AS r"

#define REGISTER_SQL \
	"SELECT r.version, r.kind, r.registered_at = pg_catalog.now() AS changed " \
	"FROM migrator.register(version => $1, up => $2, down => $3, verify => $4, " \
	"name => $5, plan => $6, transactional => $7) AS r"

/* push --import: import() (0.3), and what it had to mark */
#define IMPORT_SQL \
	"SELECT r.version, r.kind, r.registered_at = pg_catalog.now() AS changed, " \
	"r.plan IS DISTINCT FROM $6 AS plan_marked, r.irreversible " \
	"FROM migrator.import(version => $1, up => $2, down => $3, verify => $4, " \
	"name => $5, plan => $6, transactional => $7) AS r"

/*
 * The text of the lines "-- <marker> TEXT" of "sql", joined with newlines
 * ("" for a marker line without text); NULL when no line has the marker.
 * The marker must be followed by white space or the end of the line.
 */
static char *
marker_lines(const char *sql, const char *marker)
{
	size_t		mlen = strlen(marker);
	const char *p = sql;
	StrBuf		sb;
	bool		found = false;

	sb_init(&sb);
	while (*p)
	{
		const char *nl = strchr(p, '\n');
		const char *e = nl ? nl : p + strlen(p);
		const char *q = p;

		while (q < e && isspace((unsigned char) *q))
			q++;
		if ((size_t) (e - q) >= 3 + mlen && strncmp(q, "-- ", 3) == 0 &&
			strncmp(q + 3, marker, mlen) == 0 &&
			(q + 3 + mlen == e || isspace((unsigned char) q[3 + mlen])))
		{
			const char *t = q + 3 + mlen;

			while (t < e && isspace((unsigned char) *t))
				t++;
			while (e > t && isspace((unsigned char) e[-1]))
				e--;
			if (found && t < e)
				sb_append(&sb, "\n");
			sb_append_n(&sb, t, e - t);
			found = true;
		}
		p = nl ? nl + 1 : p + strlen(p);
	}
	if (!found)
	{
		free(sb.data);
		return NULL;
	}
	return sb.data;
}

/*
 * A staged change ("-- migrator:stage" in its up script, with its
 * conversions as "-- migrator:up EXPR" and "-- migrator:down EXPR" lines):
 * migrator.stage() registers it; its steps, down script included, are
 * generated, so a down or verify script of its own is refused.
 */
static PGresult *
stage_one(PGconn *conn, const MigrationFile *m, bool *refused)
{
	const char *params[5];
	char	   *up = marker_lines(m->up, "migrator:up");
	char	   *down = marker_lines(m->up, "migrator:down");
	PGresult   *r = NULL;

	*refused = false;
	if ((m->down && !is_blank(m->down)) || (m->verify && !is_blank(m->verify)))
	{
		cli_error("cannot register \"%s\" (version %s): it is a staged change (\"-- migrator:stage\"), whose down script is generated",
				  m->file, m->version);
		fprintf(stderr, "HINT:  Remove its %s script, or the \"-- migrator:stage\" line; write conversions as \"-- migrator:up EXPR\" and \"-- migrator:down EXPR\" lines (docs/staged.md).\n",
				m->down && !is_blank(m->down) ? "down" : "verify");
		*refused = true;
	}
	else
	{
		params[0] = m->version;
		params[1] = m->up;
		params[2] = up && *up ? up : NULL;
		params[3] = down && *down ? down : NULL;
		params[4] = m->name;
		r = cli_exec(conn, STAGE_SQL, 5, params);
	}
	free(up);
	free(down);
	return r;
}

/*
 * Register migration "m" in the open transaction.  On success add its row
 * to "out" (when not NULL) and count it; on failure print the server's
 * report, naming the file, and return its exit code.  "existing" is
 * status() before the push, to tell new from replaced.
 */
static int
register_one(PGconn *conn, const CliOptions *opts, const MigrationSet *set,
			 const MigrationFile *m, PGresult *existing, Table *out, int *counts)
{
	const char *params[7];
	const char *row[7];
	PGresult   *r;
	bool		existed = false;
	double		t0 = now_ms();
	char	   *stage;
	int			k;
	int			rc;

	for (k = 0; k < PQntuples(existing); k++)
		if (strcmp(PQgetvalue(existing, k, 0), m->version) == 0)
			existed = true;
	params[0] = m->version;
	params[1] = m->up;
	params[2] = m->down;
	params[3] = m->verify;
	params[4] = m->name;
	params[5] = m->plan ? m->plan : opts->plan;
	params[6] = m->transactional ? "true" : "false";
	if ((stage = marker_lines(m->up, "migrator:stage")) != NULL)
	{
		bool		refused;

		free(stage);
		r = stage_one(conn, m, &refused);
		if (refused)
			return EXIT_REFUSED;
	}
	else
		r = cli_exec(conn, opts->import ? IMPORT_SQL : REGISTER_SQL, 7, params);
	if (!cli_command_ok(r))
	{
		char	   *context = xasprintf("cannot %s \"%s\" (version %s)",
										opts->import ? "import" : "register", m->file, m->version);

		cli_set_error_source(m, set->format);
		rc = cli_result_exit(conn, r, opts->import ? "import" : "register", context);
		cli_set_error_source(NULL, NULL);
		free(context);
		PQclear(r);
		return rc;
	}
	if (out)
	{
		row[0] = m->version;
		row[1] = m->name;
		row[2] = PQgetvalue(r, 0, 1);
		row[3] = m->transactional ? "t" : "f";
		if (!existed)
			k = 0;
		else if (strcmp(PQgetvalue(r, 0, 2), "t") == 0)
			k = 1;
		else
			k = 2;
		row[4] = k == 0 ? "new" : k == 1 ? "replaced" : "unchanged";
		row[5] = m->file;
		row[6] = NULL;
		counts[k]++;
		progress(opts, "%s %s: %s, %s (%.0f ms)", opts->dry_run ? "would push" : "push",
				 m->version, row[4], row[2], now_ms() - t0);
		/* import() says what it marked (stage() does not) */
		if (opts->import && PQnfields(r) == 5)
		{
			bool		plan_marked = strcmp(PQgetvalue(r, 0, 3), "t") == 0;
			bool		irreversible = !PQgetisnull(r, 0, 4);
			char	   *marked = xasprintf("%s%s%s", plan_marked ? "plan: imported history" : "",
										   plan_marked && irreversible ? "; " : "",
										   irreversible ? PQgetvalue(r, 0, 4) : "");

			if (plan_marked)
				counts[3]++;
			if (irreversible)
				counts[4]++;
			if (marked[0])
			{
				row[6] = marked;
				progress(opts, "marked %s (%s): %s", m->version, m->file, marked);
			}
		}
		table_add_row(out, row);
	}
	PQclear(r);
	return EXIT_OK;
}

/*
 * The worse of two exit codes of failed registrations: an error (invalid
 * SQL, a failing connection) before a refusal.
 */
static int
worse(int a, int b)
{
	if (a == EXIT_OK)
		return b;
	if (b == EXIT_OK)
		return a;
	return a == EXIT_ERROR || b == EXIT_ERROR ? EXIT_ERROR : a;
}

/*
 * After migration "failed" was refused: register every other migration
 * again in a transaction that is rolled back, each in a savepoint of its
 * own, to report every other refusal too (the savepoints are paid for
 * only when something failed).  Returns the worst exit code and counts
 * the failures.
 */
static int
report_other_failures(PGconn *conn, const CliOptions *opts, const MigrationSet *set,
					  int failed, int *nfailed)
{
	PGresult   *existing;
	int			rc = EXIT_OK;
	int			i;

	if (cli_simple(conn, "BEGIN") != EXIT_OK)
		return EXIT_ERROR;
	existing = cli_exec(conn, "SELECT version FROM migrator.status()", 0, NULL);
	if (!cli_command_ok(existing))
	{
		rc = cli_result_exit(conn, existing, "status", NULL);
		PQclear(existing);
		cli_simple(conn, "ROLLBACK");
		return rc;
	}
	for (i = 0; i < set->n; i++)
	{
		int			one;

		if (i == failed)
			continue;
		if (cli_simple(conn, "SAVEPOINT migrator_push") != EXIT_OK)
			break;
		one = register_one(conn, opts, set, &set->items[i], existing, NULL, NULL);
		if (one != EXIT_OK)
		{
			(*nfailed)++;
			rc = worse(rc, one);
			if (cli_simple(conn, "ROLLBACK TO SAVEPOINT migrator_push") != EXIT_OK)
				break;
		}
		else if (cli_simple(conn, "RELEASE SAVEPOINT migrator_push") != EXIT_OK)
			break;
	}
	PQclear(existing);
	cli_simple(conn, "ROLLBACK");
	return rc;
}

/*
 * Register every migration of "set" (read from "dir") in one transaction,
 * rolled back with --dry-run; with "print", the table of what happened to
 * each and a summary line.  When a migration is refused, nothing is
 * registered, and every refusal of the directory is reported, not only
 * the first.  Used by push and, for each database, by fleet deploy.
 */
int
push_set(PGconn *conn, const CliOptions *opts, const MigrationSet *set,
		 const char *dir, bool print)
{
	static const char *const names[] = {"version", "name", "kind", "transactional", "action", "file", "marked"};
	static const CellType types[] = {CELL_TEXT, CELL_TEXT, CELL_TEXT, CELL_BOOL, CELL_TEXT, CELL_TEXT, CELL_TEXT};
	PGresult   *res;
	Table	   *out;
	int			counts[5] = {0, 0, 0, 0, 0};
	double		start = now_ms();
	int			rc;
	int			i;

	if ((rc = cli_simple(conn, "BEGIN")) != EXIT_OK)
		return rc;
	/* which versions exist already, to tell new from replaced */
	res = cli_exec(conn, "SELECT version FROM migrator.status()", 0, NULL);
	if (!cli_command_ok(res))
	{
		rc = cli_result_exit(conn, res, "status", NULL);
		PQclear(res);
		cli_simple(conn, "ROLLBACK");
		return rc;
	}

	/* the "marked" column only when importing */
	out = table_new(opts->import ? 7 : 6, names, types);
	for (i = 0; i < set->n; i++)
	{
		rc = register_one(conn, opts, set, &set->items[i], res, out, counts);
		if (rc != EXIT_OK)
		{
			int			nfailed = 1;

			PQclear(res);
			cli_simple(conn, "ROLLBACK");
			rc = worse(rc, report_other_failures(conn, opts, set, i, &nfailed));
			cli_error("%d of %d %s migrations in %s %s refused; nothing was registered",
					  nfailed, set->n, set->format, dir, nfailed == 1 ? "was" : "were");
			return rc;
		}
	}
	PQclear(res);

	if ((rc = cli_simple(conn, opts->dry_run ? "ROLLBACK" : "COMMIT")) != EXIT_OK)
		return rc;
	if (print)
	{
		table_print(stdout, out, opts->json);
		progress(opts, "%s %d %s migrations from %s: %d new, %d replaced, %d unchanged (%.0f ms)%s",
				 opts->dry_run ? "checked" : opts->import ? "imported" : "pushed",
				 set->n, set->format, dir, counts[0], counts[1], counts[2], now_ms() - start,
				 opts->dry_run ? "; dry run, nothing was registered" : "");
		if (opts->import)
			progress(opts, "marked %d destructive migration%s without a plan as imported history, and %d migration%s without a down script as irreversible (imported)",
					 counts[3], counts[3] == 1 ? "" : "s", counts[4], counts[4] == 1 ? "" : "s");
	}
	return EXIT_OK;
}

/*
 * migrator push DIR: read the layout and register everything; with
 * --import, through import(), which takes a history as it is.
 */
int
cmd_push(PGconn *conn, const CliOptions *opts, int argc, char **argv)
{
	char	   *error = NULL;
	MigrationSet *set;

	if (argc != 1)
	{
		cli_error("push needs exactly one directory");
		return EXIT_USAGE;
	}
	set = layout_read(argv[0], opts->format, &error);
	if (set == NULL)
	{
		cli_error("%s", error);
		return EXIT_ERROR;
	}
	return push_set(conn, opts, set, argv[0], true);
}
