/*-------------------------------------------------------------------------
 *
 * connect.c
 *	  The connection, running SQL with parameters, and turning server
 *	  errors into messages and exit codes.
 *
 * The client connects like every PostgreSQL client: a conninfo string or
 * URI (-d), -h/-p/-U, the PG* environment variables and ~/.pgpass are all
 * handled by libpq, because the connection parameters go through
 * PQconnectdbParams with expand_dbname.
 *
 *-------------------------------------------------------------------------
 */
#include "migrator_cli.h"

#include <stdlib.h>
#include <string.h>

/*
 * Server notices (deploy's progress, lock waits) go to stderr, unless the
 * user asked for quiet.
 */
static void
notice_processor(void *arg, const char *message)
{
	const CliOptions *opts = arg;

	if (!opts->quiet)
		fputs(message, stderr);
}

/*
 * Connect with the command line's options, to "conninfo" (a conninfo
 * string, URI or database name; NULL: -d) and, when "dbname" is not NULL,
 * to that database of it.  Returns NULL with *error set (libpq's message)
 * on failure.
 */
PGconn *
cli_connect_to(const CliOptions *opts, const char *conninfo, const char *dbname,
			   char **error)
{
	const char *keywords[7];
	const char *values[7];
	int			n = 0;
	PGconn	   *conn;

	/* dbname first: explicit -h/-p/-U override what it says */
	if (conninfo || opts->dbname)
	{
		keywords[n] = "dbname";
		values[n++] = conninfo ? conninfo : opts->dbname;
	}
	/* a later dbname is a plain database name, not expanded */
	if (dbname)
	{
		keywords[n] = "dbname";
		values[n++] = dbname;
	}
	if (opts->host)
	{
		keywords[n] = "host";
		values[n++] = opts->host;
	}
	if (opts->port)
	{
		keywords[n] = "port";
		values[n++] = opts->port;
	}
	if (opts->user)
	{
		keywords[n] = "user";
		values[n++] = opts->user;
	}
	keywords[n] = "fallback_application_name";
	values[n++] = "migrator";
	keywords[n] = NULL;
	values[n] = NULL;

	conn = PQconnectdbParams(keywords, values, 1);
	if (conn == NULL || PQstatus(conn) != CONNECTION_OK)
	{
		*error = xstrdup(conn ? PQerrorMessage(conn) : "out of memory");
		PQfinish(conn);
		return NULL;
	}
	PQsetNoticeProcessor(conn, notice_processor, (void *) opts);
	return conn;
}

/*
 * Connect with the command line's options, or print libpq's message and
 * exit.
 */
PGconn *
cli_connect(const CliOptions *opts)
{
	char	   *error = NULL;
	PGconn	   *conn = cli_connect_to(opts, NULL, NULL, &error);

	if (conn == NULL)
	{
		cli_error("could not connect to the database: %s", error);
		exit(EXIT_ERROR);
	}
	return conn;
}

/*
 * Run one statement with text parameters (NULL pointers are SQL NULLs).
 * Parameter types are left to the server, so "$1" takes the type of the
 * function argument it is passed to.
 */
PGresult *
cli_exec(PGconn *conn, const char *sql, int nparams, const char *const *params)
{
	return PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
}

/*
 * True when "res" is a successful result.
 */
bool
cli_command_ok(PGresult *res)
{
	ExecStatusType st = PQresultStatus(res);

	return res != NULL && (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK);
}

/*
 * Is this error "function migrator.<name>(...) does not exist" for the
 * function we called ourselves (not one called by a migration's script,
 * whose error carries a context line)?
 */
static bool
is_missing_function(const PGresult *res, const char *function)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	char	   *f;
	char	   *p;
	bool		match;

	if (function == NULL || state == NULL || msg == NULL ||
		strcmp(state, "42883") != 0 ||
		PQresultErrorField(res, PG_DIAG_CONTEXT) != NULL)
		return false;
	f = xasprintf("function migrator.%s(", function);
	p = xasprintf("procedure migrator.%s(", function);
	match = strncmp(msg, f, strlen(f)) == 0 || strncmp(msg, p, strlen(p)) == 0;
	free(f);
	free(p);
	return match;
}

/* Where the scripts of the migration being registered come from, if any. */
static const MigrationFile *error_source = NULL;
static const char *error_layout = NULL;

/*
 * Tell the error reports which migration's files the next statements are
 * about (push), so that a position in a script becomes a file and line,
 * and hints name the layout's way of saying things; NULL to forget it.
 */
void
cli_set_error_source(const MigrationFile *m, const char *layout)
{
	error_source = m;
	error_layout = layout;
}

/*
 * Bytes of "s" taken by its first "chars" characters (UTF-8, or one byte
 * a character in other encodings).
 */
static size_t
char_offset(const char *s, int chars, bool utf8)
{
	size_t		i = 0;

	while (s[i] && chars > 0)
	{
		i++;
		if (utf8)
			while (((unsigned char) s[i] & 0xC0) == 0x80)
				i++;
		chars--;
	}
	return i;
}

/*
 * Characters in the first "len" bytes of "s".
 */
static int
char_count(const char *s, size_t len, bool utf8)
{
	int			n = 0;
	size_t		i;

	for (i = 0; i < len; i++)
		if (!utf8 || ((unsigned char) s[i] & 0xC0) != 0x80)
			n++;
	return n;
}

/*
 * Show where an error is in "query" (1-based character position "pos")
 * as psql does: "LINE n: " and the line, then a caret under the place;
 * long lines are cut around it with "...".  Returns n.
 */
static int
print_position(const char *query, int pos, bool utf8)
{
	size_t		at = char_offset(query, pos - 1, utf8);
	size_t		start = at;
	size_t		end = at;
	int			line = 1;
	size_t		i;
	char	   *prefix;
	char	   *text;
	int			caret;
	int			width;

	for (i = 0; i < at; i++)
		if (query[i] == '\n')
			line++;
	while (start > 0 && query[start - 1] != '\n')
		start--;
	while (query[end] && query[end] != '\n' && query[end] != '\r')
		end++;
	text = xstrndup(query + start, end - start);
	for (i = 0; text[i]; i++)
		if (text[i] == '\t')
			text[i] = ' ';
	caret = char_count(text, at - start, utf8);
	width = char_count(text, strlen(text), utf8);
	prefix = xasprintf("LINE %d: ", line);

	/* keep about 60 characters of a long line, with the caret in view */
	if (width > 60)
	{
		int			from = caret > 50 ? caret - 45 : 0;
		size_t		b = char_offset(text, from, utf8);
		size_t		e = char_offset(text + b, 60, utf8);
		char	   *cut = xasprintf("%s%.*s%s", from > 0 ? "..." : "", (int) e, text + b,
									text[b + e] ? "..." : "");

		caret = caret - from + (from > 0 ? 3 : 0);
		free(text);
		text = cut;
	}
	fprintf(stderr, "%s%s\n%*s^\n", prefix, text, (int) strlen(prefix) + caret, "");
	free(prefix);
	free(text);
	return line;
}

/*
 * The client's way of saying what a server hint tells an SQL caller
 * (plan =>, transactional => false, CALL migrator.deploy()), or NULL to
 * print the hint as it is: hints of errors, and of lint's findings.
 * "layout" is the layout of the files concerned, if known.
 */
char *
cli_client_hint(const char *hint, const char *layout)
{
	static const struct
	{
		const char *layout;
		const char *nontx;		/* how its files say "non-transactional" */
		const char *down;		/* where its down script lives */
	}			ways[] = {
		{"golang-migrate", "\".autocommit.\" in its file names (VERSION_name.autocommit.up.sql)", "a VERSION_name.down.sql file"},
		{"dbmate", "\"-- migrate:up transaction:false\"", "a \"-- migrate:down\" section"},
		{"goose", "a \"-- +goose NO TRANSACTION\" line", "a \"-- +goose Down\" section"},
		{"flyway", "executeInTransaction=false in the script's .conf file", "a U<version>__<description>.sql file"},
		{"sqitch", NULL, "revert/<change>.sql"},
		{"liquibase", "runInTransaction:false on its changeset line", "\"--rollback\" lines"},
		{"prisma", NULL, "a down.sql beside its migration.sql"},
		{"drizzle", NULL, NULL},
		{"atlas", "a \"-- atlas:txmode none\" line", NULL},
		{"supabase", NULL, NULL},
	};
	const char *nontx = NULL;
	const char *down = NULL;
	bool		known = false;
	size_t		i;
	const char *call;
	const char *phrase;
	static const char nontx_phrase[] = "a migration registered with transactional => false";

	if (hint == NULL)
		return NULL;
	for (i = 0; layout && i < sizeof(ways) / sizeof(ways[0]); i++)
		if (strcmp(ways[i].layout, layout) == 0)
		{
			known = true;
			nontx = ways[i].nontx;
			down = ways[i].down;
		}

	/* register(): a statement that needs autocommit */
	if (strstr(hint, "transactional => false") && strstr(hint, "Register the migration"))
	{
		if (!known)
			return xstrdup("Mark the migration non-transactional in its files (see \"migrator push --help\"), then apply it with \"migrator deploy\".");
		if (nontx == NULL)
			return xasprintf("%s files cannot mark a migration non-transactional; move the statement into a migration registered with transactional => false, and apply it with \"migrator deploy\".",
							 layout);
		return xasprintf("Mark the migration non-transactional with %s, push again, and apply it with \"migrator deploy\".",
						 nontx);
	}
	/* lint: a statement for a migration of its own, without a transaction */
	if ((phrase = strstr(hint, nontx_phrase)) != NULL)
	{
		const char *rest = phrase + strlen(nontx_phrase);

		if (!known)
			return xasprintf("%.*sa migration marked non-transactional in its files (see \"migrator push --help\")%s",
							 (int) (phrase - hint), hint, rest);
		if (nontx == NULL)
			return xasprintf("%.*sa migration registered with SQL (transactional => false): %s files cannot mark one non-transactional%s",
							 (int) (phrase - hint), hint, layout, rest);
		return xasprintf("%.*sa migration marked non-transactional with %s%s",
						 (int) (phrase - hint), hint, nontx, rest);
	}
	/* register(): a destructive migration without plan or down script */
	if (strncmp(hint, "Pass plan => ", 13) == 0)
	{
		StrBuf		sb;

		sb_init(&sb);
		sb_append(&sb, "Write the plan in the up script as \"-- migrator:plan TEXT\" lines (or pass --plan TEXT for every migration whose files name none), ");
		if (down)
			sb_printf(&sb, "and give the migration a down script: %s (a comment saying why nothing can undo it, when that is the truth).", down);
		else if (known)
			sb_printf(&sb, "and a down script: %s files have none, so register this one with SQL (down => ...).", layout);
		else
			sb_append(&sb, "and give the migration a down script (a comment saying why nothing can undo it, when that is the truth).");
		sb_append(&sb, " A history applied before migrator: push it as it is with --import.");
		return sb.data;
	}
	/* rollback(): no down script, or an irreversible imported migration */
	if (strncmp(hint, "Register a down script with the migration", 41) == 0 ||
		strncmp(hint, "Register a down script for it", 29) == 0)
		return xstrdup("Add a down script to the migration's files and push them again (the down script of an applied migration may be corrected), or roll back fewer migrations (--steps, --to).");
	/* apply(): out of order */
	if (strstr(hint, "allow_out_of_order => true"))
		return xstrdup("Run \"migrator apply --allow-out-of-order\" to apply it anyway, or give it a newer version.");
	/* rollback(): more steps than applied */
	if (strstr(hint, "rollback(steps => n)"))
		return xstrdup("To roll back every migration, use \"migrator rollback --steps N\" with N the number applied.");
	/* lint: a change that can be staged */
	if (strncmp(hint, "Stage it: SELECT migrator.stage(", 32) == 0 &&
		(call = strstr(hint, "; both")) != NULL)
		return xasprintf("Stage it: a \"-- migrator:stage\" line in the up script, with \"-- migrator:up EXPR\" and \"-- migrator:down EXPR\" lines, pushed and applied with \"migrator deploy\"%s",
						 call);
	/* anything that says CALL migrator.deploy() */
	if ((call = strstr(hint, "CALL migrator.deploy()")) != NULL)
	{
		const char *rest = call + strlen("CALL migrator.deploy()");

		if (strncmp(hint, "Run it with CALL migrator.deploy()", 34) == 0)
			return xstrdup("Apply it with \"migrator deploy\", which runs non-transactional migrations outside a transaction block.");
		if (strncmp(rest, " on its own", 11) == 0)
			return NULL;		/* about SQL callers only */
		return xasprintf("%.*s\"migrator deploy\"%s", (int) (call - hint), hint, rest);
	}
	return NULL;
}

/*
 * Print the error of a failed result (or of the connection, when res is
 * NULL) and return the exit code it means: EXIT_REFUSED for migrator's own
 * refusals (SQLSTATE class MG), EXIT_MISSING when the server's migrator has
 * no such function, else EXIT_ERROR.  "function" names the migrator
 * function the statement called, or is NULL; "context" is printed before
 * the error (e.g. the file being registered), or is NULL.
 *
 * The report reads like psql's: the position of an error inside a script
 * (sent by the server as an internal query) as "LINE n:" with a caret,
 * and, while push registers a migration, the file and line it is in;
 * hints written for SQL callers are said the client's way.
 */
int
cli_result_exit(PGconn *conn, PGresult *res, const char *function,
				const char *context)
{
	const char *state;
	const char *ipos;
	const char *iquery;
	const char *ctx;
	const char *hint;
	char	   *translated;

	if (res == NULL || PQresultErrorField(res, PG_DIAG_SQLSTATE) == NULL)
	{
		cli_error("%s%s%s", context ? context : "", context ? ": " : "",
				  res ? PQresultErrorMessage(res) : PQerrorMessage(conn));
		return EXIT_ERROR;
	}
	state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	if (is_missing_function(res, function))
	{
		cli_error("this server's migrator has no %s()", function);
		fprintf(stderr, "HINT:  The migrator extension in this database is older than this client, or %s() is not part of it. Update the extension (ALTER EXTENSION migrator UPDATE) to use \"migrator %s\".\n",
				function, function);
		return EXIT_MISSING;
	}
	if (strcmp(state, "3F000") == 0)
	{
		cli_error("%s%sschema \"migrator\" does not exist in this database",
				  context ? context : "", context ? ": " : "");
		fprintf(stderr, "HINT:  Run CREATE EXTENSION migrator in this database (migrator must be in shared_preload_libraries).\n");
		return EXIT_ERROR;
	}

	cli_error("%s%sERROR:  %s", context ? context : "", context ? ": " : "",
			  PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
	ipos = PQresultErrorField(res, PG_DIAG_INTERNAL_POSITION);
	iquery = PQresultErrorField(res, PG_DIAG_INTERNAL_QUERY);
	ctx = PQresultErrorField(res, PG_DIAG_CONTEXT);
	if (ipos && iquery && atoi(ipos) > 0)
	{
		bool		utf8 = strcmp(pg_encoding_to_char(PQclientEncoding(conn)), "UTF8") == 0;
		int			line = print_position(iquery, atoi(ipos), utf8);
		const MigrationFile *m = error_source;

		/* a whole script failed to parse: its line is a line of a file */
		if (m && ctx && strstr(ctx, "while parsing the "))
		{
			const char *file = NULL;
			int			first = 1;

			if (strstr(ctx, "while parsing the up script"))
				file = m->file, first = m->up_line;
			else if (strstr(ctx, "while parsing the down script"))
				file = m->down_file, first = m->down_line;
			else if (strstr(ctx, "while parsing the verify script"))
				file = m->verify_file, first = 1;
			if (file)
				fprintf(stderr, "FILE:  %s, line %d\n", file, line + first - 1);
		}
	}
	if (PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL))
		fprintf(stderr, "DETAIL:  %s\n", PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL));
	hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
	translated = cli_client_hint(hint, error_layout);
	if (translated || hint)
		fprintf(stderr, "HINT:  %s\n", translated ? translated : hint);
	free(translated);
	if (ctx)
		fprintf(stderr, "CONTEXT:  %s\n", ctx);
	fprintf(stderr, "SQLSTATE:  %s\n", state);

	return strncmp(state, "MG", 2) == 0 ? EXIT_REFUSED : EXIT_ERROR;
}

/*
 * Run a statement without parameters or results (BEGIN, COMMIT, ...);
 * returns EXIT_OK or the exit code of its error.
 */
int
cli_simple(PGconn *conn, const char *sql)
{
	PGresult   *res = PQexec(conn, sql);
	int			rc = EXIT_OK;

	if (!cli_command_ok(res))
		rc = cli_result_exit(conn, res, NULL, NULL);
	PQclear(res);
	return rc;
}
