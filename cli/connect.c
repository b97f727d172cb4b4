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
 * Connect, or print libpq's message and exit.
 */
PGconn *
cli_connect(const CliOptions *opts)
{
	const char *keywords[6];
	const char *values[6];
	int			n = 0;
	PGconn	   *conn;

	/* dbname first: explicit -h/-p/-U override what it says */
	if (opts->dbname)
	{
		keywords[n] = "dbname";
		values[n++] = opts->dbname;
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
		cli_error("could not connect to the database: %s",
				  conn ? PQerrorMessage(conn) : "out of memory");
		PQfinish(conn);
		exit(EXIT_ERROR);
	}
	PQsetNoticeProcessor(conn, notice_processor, (void *) opts);
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

/*
 * Print the error of a failed result (or of the connection, when res is
 * NULL) and return the exit code it means: EXIT_REFUSED for migrator's own
 * refusals (SQLSTATE class MG), EXIT_MISSING when the server's migrator has
 * no such function, else EXIT_ERROR.  "function" names the migrator
 * function the statement called, or is NULL; "context" is printed before
 * the error (e.g. the file being registered), or is NULL.
 */
int
cli_result_exit(PGconn *conn, PGresult *res, const char *function,
				const char *context)
{
	const char *state;
	const char *fields[] = {"DETAIL", "HINT", "CONTEXT"};
	int			codes[] = {PG_DIAG_MESSAGE_DETAIL, PG_DIAG_MESSAGE_HINT, PG_DIAG_CONTEXT};
	int			i;

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
	for (i = 0; i < 3; i++)
	{
		const char *v = PQresultErrorField(res, codes[i]);

		if (v)
			fprintf(stderr, "%s:  %s\n", fields[i], v);
	}
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
