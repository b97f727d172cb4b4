/*-------------------------------------------------------------------------
 *
 * commands.c
 *	  The subcommands that call migrator's SQL interface: status, plan,
 *	  apply, deploy, rollback, verify, lint, check, drift.
 *
 * Each calls migrator.<name>(...) and prints whatever columns come back,
 * so a server whose functions return more columns than this client knows
 * still prints them all.  When the server's migrator has no such function
 * (an older extension) the call fails with SQLSTATE 42883 and the client
 * says so and exits with EXIT_MISSING.
 *
 * apply and rollback run in one transaction, as the SQL functions do, but
 * call the function once per migration so that a long run prints one
 * progress line per migration as it goes; they hold migrator's lock from
 * the start (pg_advisory_xact_lock on the same key as history_lock()), so
 * the list they work from cannot change under them.
 *
 *-------------------------------------------------------------------------
 */
#include "migrator_cli.h"

#include <stdlib.h>
#include <string.h>

#define LOCK_SQL "SELECT pg_catalog.pg_advisory_xact_lock(1835624306, 1635020658)"

/* pending migrations up to a target (NULL: all), in version order */
#define PENDING_SQL \
	"SELECT version, name, kind, transactional FROM migrator.status() " \
	"WHERE state = 'pending' AND ($1::text IS NULL OR " \
	"migrator.version_key(version) <= migrator.version_key($1::text))"

/*
 * Run "sql" and print its result; returns the exit code.  "function" is
 * the migrator function it calls (for the missing-function message).  A
 * result that reports a problem (a row with ok = false, severity = error,
 * a check() outcome other than ok, skipped, no down or irreversible, or
 * any row at all when "any_row_fails") makes EXIT_FAILED_CHECK.
 */
static int
run_and_print(PGconn *conn, const CliOptions *opts, const char *function,
			  const char *sql, int nparams, const char *const *params,
			  bool any_row_fails)
{
	PGresult   *res = cli_exec(conn, sql, nparams, params);
	Table	   *t;
	int			ok_col;
	int			sev_col;
	int			out_col;
	bool		problem = false;
	int			r;

	if (!cli_command_ok(res))
	{
		int			rc = cli_result_exit(conn, res, function, NULL);

		PQclear(res);
		return rc;
	}
	if (PQnfields(res) == 0)
	{
		PQclear(res);
		return EXIT_OK;
	}
	t = table_for_result(res);
	table_add_result(t, res);
	PQclear(res);
	table_print(stdout, t, opts->json);

	ok_col = table_column(t, "ok");
	sev_col = table_column(t, "severity");
	out_col = table_column(t, "outcome");
	for (r = 0; r < t->nrows; r++)
	{
		const char *o = out_col >= 0 ? t->rows[r][out_col] : NULL;

		/* check(): a down script that fails or does not restore the schema */
		if (o && strcmp(function, "check") == 0 && strcmp(o, "ok") != 0 &&
			strcmp(o, "skipped") != 0 && strcmp(o, "no down") != 0 &&
			strncmp(o, "irreversible", 12) != 0)
			problem = true;
		if (ok_col >= 0 && t->rows[r][ok_col] && strcmp(t->rows[r][ok_col], "f") == 0)
			problem = true;
		if (sev_col >= 0 && t->rows[r][sev_col] && strcmp(t->rows[r][sev_col], "error") == 0)
			problem = true;
	}
	if (any_row_fails && t->nrows > 0)
		problem = true;
	if (problem)
		progress(opts, "migrator: %s reported problems", function);
	return problem ? EXIT_FAILED_CHECK : EXIT_OK;
}

/*
 * "SELECT * FROM migrator.<function>($1, ...)" with the positional
 * arguments as text parameters; with none the function's defaults apply.
 */
static int
call_generic(PGconn *conn, const CliOptions *opts, const char *function,
			 int argc, char **argv, bool any_row_fails)
{
	StrBuf		sql;
	int			i;
	int			rc;

	sb_init(&sql);
	sb_printf(&sql, "SELECT * FROM migrator.%s(", function);
	for (i = 0; i < argc; i++)
		sb_printf(&sql, "%s$%d", i ? ", " : "", i + 1);
	sb_append(&sql, ")");
	rc = run_and_print(conn, opts, function, sql.data, argc,
					   (const char *const *) argv, any_row_fails);
	free(sql.data);
	return rc;
}

/*
 * The target version: the positional argument, else --target, else NULL.
 */
static const char *
target_of(const CliOptions *opts, int argc, char **argv)
{
	if (argc > 0)
		return argv[0];
	return opts->target;
}

/*
 * migrator status: migrator.status().
 */
int
cmd_status(PGconn *conn, const CliOptions *opts, int argc, char **argv)
{
	PGresult   *res;
	Table	   *t;
	Table	   *shown;
	int		   *keep;
	int			nkeep = 0;
	int			c;
	int			r;

	if (argc > 0)
	{
		cli_error("status takes no arguments");
		return EXIT_USAGE;
	}
	res = cli_exec(conn, "SELECT * FROM migrator.status()", 0, NULL);
	if (!cli_command_ok(res))
	{
		int			rc = cli_result_exit(conn, res, "status", NULL);

		PQclear(res);
		return rc;
	}
	t = table_for_result(res);
	table_add_result(t, res);
	PQclear(res);
	if (opts->json || opts->verbose)
	{
		table_print(stdout, t, opts->json);
		return EXIT_OK;
	}

	/*
	 * The table a person reads: counts, not the findings themselves (a
	 * long history's jsonb makes lines of thousands of characters), and
	 * no checksums.
	 */
	keep = xmalloc(sizeof(int) * (t->ncols ? t->ncols : 1));
	for (c = 0; c < t->ncols; c++)
		if (t->types[c] != CELL_JSON && strcmp(t->names[c], "checksum") != 0)
			keep[nkeep++] = c;
	{
		const char **names = xmalloc(sizeof(char *) * (nkeep ? nkeep : 1));
		CellType   *types = xmalloc(sizeof(CellType) * (nkeep ? nkeep : 1));
		const char **row = xmalloc(sizeof(char *) * (nkeep ? nkeep : 1));

		for (c = 0; c < nkeep; c++)
		{
			names[c] = t->names[keep[c]];
			types[c] = t->types[keep[c]];
		}
		shown = table_new(nkeep, names, types);
		for (r = 0; r < t->nrows; r++)
		{
			for (c = 0; c < nkeep; c++)
				row[c] = t->rows[r][keep[c]];
			table_add_row(shown, row);
		}
		free(names);
		free(types);
		free(row);
	}
	table_print(stdout, shown, false);
	free(keep);
	return EXIT_OK;
}

/*
 * migrator plan [TARGET]: migrator.plan(), with the target when given.
 */
int
cmd_plan(PGconn *conn, const CliOptions *opts, int argc, char **argv)
{
	const char *target = target_of(opts, argc, argv);

	if (argc > 1)
	{
		cli_error("plan takes at most one target version");
		return EXIT_USAGE;
	}
	return call_generic(conn, opts, "plan", target ? 1 : 0, (char **) &target, false);
}

/*
 * migrator verify [VERSION]: migrator.verify(); exit 5 on a failed row.
 */
int
cmd_verify(PGconn *conn, const CliOptions *opts, int argc, char **argv)
{
	if (argc > 1)
	{
		cli_error("verify takes at most one version");
		return EXIT_USAGE;
	}
	return call_generic(conn, opts, "verify", argc, argv, false);
}

/*
 * migrator check [ARG...]: migrator.check() with the arguments as text.
 */
int
cmd_check(PGconn *conn, const CliOptions *opts, int argc, char **argv)
{
	return call_generic(conn, opts, "check", argc, argv, false);
}

/*
 * migrator drift: migrator.drift(); every row it returns is a change.
 */
int
cmd_drift(PGconn *conn, const CliOptions *opts, int argc, char **argv)
{
	return call_generic(conn, opts, "drift", argc, argv, true);
}

/*
 * The pending migrations up to "target", for --dry-run and for apply's
 * steps.  NULL after printing an error (*rc set).
 */
static PGresult *
pending_up_to(PGconn *conn, const char *target, int *rc)
{
	const char *params[1] = {target};
	PGresult   *res;

	if (target)
	{
		res = cli_exec(conn, "SELECT 1 FROM migrator.status() WHERE version = $1", 1, params);
		if (cli_command_ok(res) && PQntuples(res) == 0)
		{
			cli_error("migration \"%s\" is not registered", target);
			fprintf(stderr, "HINT:  See \"migrator status\" for the registered migrations.\n");
			PQclear(res);
			*rc = EXIT_REFUSED;
			return NULL;
		}
		PQclear(res);
	}
	res = cli_exec(conn, PENDING_SQL, 1, params);
	if (!cli_command_ok(res))
	{
		*rc = cli_result_exit(conn, res, "status", NULL);
		PQclear(res);
		return NULL;
	}
	return res;
}

/*
 * --dry-run of apply and deploy: what would run, and nothing else.
 */
static int
print_pending(PGconn *conn, const CliOptions *opts, const char *target, const char *verb)
{
	int			rc = EXIT_OK;
	PGresult   *res = pending_up_to(conn, target, &rc);
	Table	   *t;

	if (res == NULL)
		return rc;
	t = table_for_result(res);
	table_add_result(t, res);
	progress(opts, "dry run: %s would run %d migration%s; nothing was changed",
			 verb, PQntuples(res), PQntuples(res) == 1 ? "" : "s");
	PQclear(res);
	table_print(stdout, t, opts->json);
	return EXIT_OK;
}

/*
 * Roll back and report a failed step; the transaction undoes every step.
 */
static int
fail_step(PGconn *conn, PGresult *res, const char *function, const char *what)
{
	int			rc = cli_result_exit(conn, res, function, NULL);

	PQclear(res);
	cli_simple(conn, "ROLLBACK");
	fprintf(stderr, "migrator: nothing was %s: the transaction was rolled back\n", what);
	return rc;
}

/*
 * One call of apply() or rollback() inside the run: time it, print a
 * progress line per row it returns, keep the rows.
 */
static PGresult *
step(PGconn *conn, const CliOptions *opts, Table **out, const char *verb,
	 const char *sql, int nparams, const char *const *params)
{
	double		t0 = now_ms();
	PGresult   *res = cli_exec(conn, sql, nparams, params);
	int			r;

	if (!cli_command_ok(res))
		return res;
	if (*out == NULL)
		*out = table_for_result(res);
	table_add_result(*out, res);
	for (r = 0; r < PQntuples(res); r++)
		progress(opts, "%s %s (%s) %.0f ms", verb, PQgetvalue(res, r, 0),
				 PQgetvalue(res, r, 1), now_ms() - t0);
	return res;
}

/*
 * Commit a run of steps, print its rows and a summary line.
 */
static int
finish_run(PGconn *conn, const CliOptions *opts, Table *out, const char *verb,
		   double start)
{
	int			rc = cli_simple(conn, "COMMIT");

	if (rc != EXIT_OK)
		return rc;
	if (out)
		table_print(stdout, out, opts->json);
	else if (opts->json)
		fputs("[]\n", stdout);
	progress(opts, "%s %d migration%s in %.0f ms", verb, out ? out->nrows : 0,
			 out && out->nrows == 1 ? "" : "s", now_ms() - start);
	return EXIT_OK;
}

/*
 * migrator apply [TARGET]: one transaction, one apply(target) call per
 * pending migration, a progress line each.
 */
int
cmd_apply(PGconn *conn, const CliOptions *opts, int argc, char **argv)
{
	const char *target = target_of(opts, argc, argv);
	const char *params[2];
	PGresult   *pending;
	Table	   *out = NULL;
	double		start = now_ms();
	int			rc = EXIT_OK;
	int			i;

	if (argc > 1)
	{
		cli_error("apply takes at most one target version");
		return EXIT_USAGE;
	}
	if (opts->dry_run)
		return print_pending(conn, opts, target, "apply");

	if ((rc = cli_simple(conn, "BEGIN")) != EXIT_OK ||
		(rc = cli_simple(conn, LOCK_SQL)) != EXIT_OK)
		return rc;
	if ((pending = pending_up_to(conn, target, &rc)) == NULL)
	{
		cli_simple(conn, "ROLLBACK");
		return rc;
	}
	params[1] = opts->allow_out_of_order ? "true" : "false";
	for (i = 0; i < PQntuples(pending); i++)
	{
		PGresult   *res;

		params[0] = PQgetvalue(pending, i, 0);
		res = step(conn, opts, &out, "applied",
				   "SELECT * FROM migrator.apply(target => $1, allow_out_of_order => $2)",
				   2, params);
		if (!cli_command_ok(res))
		{
			PQclear(pending);
			return fail_step(conn, res, "apply", "applied");
		}
		PQclear(res);
	}
	PQclear(pending);
	return finish_run(conn, opts, out, "applied", start);
}

/*
 * migrator rollback [--steps N | --to VERSION]: one transaction; with
 * --steps, one rollback(1) call per migration for the progress lines.
 */
int
cmd_rollback(PGconn *conn, const CliOptions *opts, int argc, char **argv)
{
	int			steps = opts->steps > 0 ? opts->steps : 1;
	char		steps_text[32];
	const char *params[1];
	PGresult   *res;
	Table	   *out = NULL;
	double		start = now_ms();
	int			applied;
	int			rc;
	int			i;

	if (argc > 0)
	{
		cli_error("rollback takes no arguments; use --steps N or --to VERSION");
		return EXIT_USAGE;
	}
	snprintf(steps_text, sizeof(steps_text), "%d", steps);

	if (opts->dry_run)
	{
		/* the most recently applied first, as rollback() undoes them */
		if (opts->to)
		{
			params[0] = opts->to;
			/* as rollback_to() does: the target must be applied */
			res = cli_exec(conn, "SELECT 1 FROM migrator.status() "
						   "WHERE version = $1 AND state = 'applied'", 1, params);
			if (cli_command_ok(res) && PQntuples(res) == 0)
			{
				cli_error("migration \"%s\" is not applied", opts->to);
				PQclear(res);
				return EXIT_REFUSED;
			}
			PQclear(res);
			res = cli_exec(conn,
						   "SELECT version, name, kind FROM migrator.status() "
						   "WHERE state = 'applied' AND applied_at > "
						   "(SELECT applied_at FROM migrator.status() "
						   " WHERE version = $1 AND state = 'applied') "
						   "ORDER BY applied_at DESC", 1, params);
		}
		else
		{
			params[0] = steps_text;
			res = cli_exec(conn,
						   "SELECT version, name, kind FROM migrator.status() "
						   "WHERE state = 'applied' ORDER BY applied_at DESC LIMIT $1::int",
						   1, params);
		}
		if (!cli_command_ok(res))
		{
			rc = cli_result_exit(conn, res, "status", NULL);
			PQclear(res);
			return rc;
		}
		out = table_for_result(res);
		table_add_result(out, res);
		progress(opts, "dry run: rollback would undo %d migration%s; nothing was changed",
				 PQntuples(res), PQntuples(res) == 1 ? "" : "s");
		PQclear(res);
		table_print(stdout, out, opts->json);
		return EXIT_OK;
	}

	if ((rc = cli_simple(conn, "BEGIN")) != EXIT_OK ||
		(rc = cli_simple(conn, LOCK_SQL)) != EXIT_OK)
		return rc;

	if (opts->to)
	{
		params[0] = opts->to;
		res = step(conn, opts, &out, "rolled back",
				   "SELECT * FROM migrator.rollback_to($1)", 1, params);
		if (!cli_command_ok(res))
			return fail_step(conn, res, "rollback_to", "rolled back");
		PQclear(res);
		return finish_run(conn, opts, out, "rolled back", start);
	}

	res = cli_exec(conn, "SELECT count(*) FROM migrator.status() WHERE state = 'applied'",
				   0, NULL);
	if (!cli_command_ok(res))
		return fail_step(conn, res, "status", "rolled back");
	applied = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);

	/* too few applied: one call, so the server's refusal says so */
	for (i = 0; i < (applied < steps ? 1 : steps); i++)
	{
		params[0] = applied < steps ? steps_text : "1";
		res = step(conn, opts, &out, "rolled back",
				   "SELECT * FROM migrator.rollback($1::int)", 1, params);
		if (!cli_command_ok(res))
			return fail_step(conn, res, "rollback", "rolled back");
		PQclear(res);
	}
	return finish_run(conn, opts, out, "rolled back", start);
}

/*
 * migrator deploy [TARGET]: CALL migrator.deploy(), whose notices are
 * the progress.
 */
int
cmd_deploy(PGconn *conn, const CliOptions *opts, int argc, char **argv)
{
	const char *target = target_of(opts, argc, argv);
	double		start = now_ms();
	int			rc;

	if (argc > 1)
	{
		cli_error("deploy takes at most one target version");
		return EXIT_USAGE;
	}
	if (opts->dry_run)
		return print_pending(conn, opts, target, "deploy");

	/* a procedure that commits per migration: no transaction block here */
	rc = run_and_print(conn, opts, "deploy",
					   target ? "CALL migrator.deploy($1)" : "CALL migrator.deploy()",
					   target ? 1 : 0, &target, false);
	if (rc == EXIT_OK)
		progress(opts, "deploy finished in %.0f ms", now_ms() - start);
	return rc;
}

/*
 * Lint one script and add its findings to *out, each row led by "label"
 * (the file, or "FILE (down)"), hints said the way of "layout" (the
 * layout of the file, or NULL); sets *problem (unless NULL) when a finding
 * has severity "error".  Returns EXIT_OK, or the exit code of a failed
 * call after printing its error.
 */
static int
lint_script(PGconn *conn, Table **out, const char *label, const char *sql,
			const char *layout, bool *problem)
{
	int			sev;
	int			hint;
	const char *params[1] = {sql};
	PGresult   *res;
	int			r;
	int			c;

	res = cli_exec(conn, "SELECT * FROM migrator.lint($1)", 1, params);
	if (!cli_command_ok(res))
	{
		int			rc = cli_result_exit(conn, res, "lint", label);

		PQclear(res);
		return rc;
	}
	if (*out == NULL)
	{
		const char **names = xmalloc(sizeof(char *) * (PQnfields(res) + 1));
		CellType   *types;
		Table	   *shape = table_for_result(res);

		types = xmalloc(sizeof(CellType) * (PQnfields(res) + 1));
		names[0] = "file";
		types[0] = CELL_TEXT;
		for (c = 0; c < shape->ncols; c++)
		{
			names[c + 1] = shape->names[c];
			types[c + 1] = shape->types[c];
		}
		*out = table_new(shape->ncols + 1, names, types);
	}
	sev = PQfnumber(res, "severity");
	hint = PQfnumber(res, "hint");
	for (r = 0; r < PQntuples(res); r++)
	{
		const char **row = xmalloc(sizeof(char *) * (*out)->ncols);
		char	   *said = NULL;

		row[0] = label;
		for (c = 1; c < (*out)->ncols; c++)
			row[c] = PQgetisnull(res, r, c - 1) ? NULL : PQgetvalue(res, r, c - 1);
		if (hint >= 0 && row[hint + 1] &&
			(said = cli_client_hint(row[hint + 1], layout)) != NULL)
			row[hint + 1] = said;
		table_add_row(*out, row);
		free(said);
		free(row);
		if (problem && sev >= 0 && strcmp(PQgetvalue(res, r, sev), "error") == 0)
			*problem = true;
	}
	PQclear(res);
	return EXIT_OK;
}

/*
 * lint FILE|DIR...: each up script of a migration directory, or each
 * file, goes to migrator.lint(sql) as a parameter; the rows come back with
 * the file they are about.  A file with up and down sections (dbmate,
 * goose) is linted as push would send it: its up section under the file's
 * name, its down section under "FILE (down)"; statement and location
 * count from the start of the section.  Exits 5 when a finding of an up
 * script (or of a file without sections) is an error: the findings of a
 * down section are shown, but a down script undoes the up one and is
 * destructive by nature (name a down file on its own to lint it as a
 * script).
 */
int
cmd_lint(PGconn *conn, const CliOptions *opts, int argc, char **argv)
{
	Table	   *out = NULL;
	bool		problem = false;
	int			a;

	if (argc == 0)
	{
		cli_error("lint needs at least one file or directory");
		return EXIT_USAGE;
	}
	for (a = 0; a < argc; a++)
	{
		char	   *error = NULL;
		int			rc;

		if (is_directory(argv[a]))
		{
			MigrationSet *set;
			int			f;

			if ((set = layout_read(argv[a], opts->format, &error)) == NULL)
			{
				cli_error("%s", error);
				return EXIT_ERROR;
			}
			for (f = 0; f < set->n; f++)
				if ((rc = lint_script(conn, &out, set->items[f].file, set->items[f].up,
									  set->format, &problem)) != EXIT_OK)
					return rc;
		}
		else
		{
			MigrationFile m;
			const char *layout;

			if (!layout_read_file(&m, argv[a], &layout, &error))
			{
				cli_error("%s", error);
				return EXIT_ERROR;
			}
			if (layout == NULL)
				layout = opts->format;
			if ((rc = lint_script(conn, &out, argv[a], m.up, layout, &problem)) != EXIT_OK)
				return rc;
			if (m.down &&
				(rc = lint_script(conn, &out, xasprintf("%s (down)", argv[a]), m.down,
								  layout, NULL)) != EXIT_OK)
				return rc;
		}
	}
	table_print(stdout, out, opts->json);
	return problem ? EXIT_FAILED_CHECK : EXIT_OK;
}
