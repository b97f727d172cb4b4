/*-------------------------------------------------------------------------
 *
 * fleet.c
 *	  "migrator fleet deploy|status|drift|verify": one migration directory,
 *	  many databases.
 *
 * The databases are connection strings (--database, repeatable;
 * --databases FILE, one a line; or arguments), or every database of the server the
 * connection options name whose name matches --match GLOB.  Each database
 * keeps its own history, so deploying again finishes only what is missing.
 *
 * Each database is worked on by a child process of its own (fork, no
 * exec): the child connects, runs the same code as the single-database
 * subcommands (push_set(), CALL migrator.deploy(), status(), drift(),
 * verify()) and reports one result line on its stdout; its stderr is
 * collected and shown under the database's name when it fails.  Processes
 * rather than one process multiplexing non-blocking connections, because a
 * database's work is a sequence of dependent statements (push in one
 * transaction, then a procedure that commits per migration, then a count),
 * which the synchronous code already does right, and one database's
 * failure or crash cannot touch another's; rather than threads, because
 * nothing is shared but the directory read once before the first fork.
 * At most --jobs children run at once.
 *
 * Order: the first --canary K databases run first (at most --jobs at a
 * time); if any of them fails, no other database is touched.  Then the
 * rest; after a failure --on-failure stop (deploy's default) starts no
 * more databases and lets the running ones finish, --on-failure continue
 * (the default of the read-only subcommands) goes on.  A progress line per database on stderr; the final table (or JSON)
 * on stdout; the exit code is the worst database's (error 1, missing
 * function 4, refusal 3, problem found 5, success 0).
 *
 *-------------------------------------------------------------------------
 */
#include "migrator_cli.h"

#include <errno.h>
#include <fnmatch.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef enum FleetOp
{
	FLEET_DEPLOY,
	FLEET_STATUS,
	FLEET_DRIFT,
	FLEET_VERIFY
} FleetOp;

typedef enum TargetState
{
	TARGET_WAITING,
	TARGET_RUNNING,
	TARGET_DONE,				/* ran; its exit code says how it went */
	TARGET_NOT_RUN				/* stopped by the canary or the policy */
} TargetState;

/* One database of the fleet, and what its child reported. */
typedef struct FleetTarget
{
	char	   *label;			/* how the table names it */
	char	   *conninfo;		/* NULL: the command line's connection */
	char	   *dbname;			/* a database of that server, or NULL */
	TargetState state;
	int			exit_code;
	pid_t		pid;
	int			out_fd;
	int			err_fd;
	StrBuf		out;
	StrBuf		err;
	double		started;
	double		duration;
	/* the result line's fields */
	long		applied;
	long		skipped;
	long		failed;
	long		pending;
	long		problems;
	long		behind;
	char	   *latest;
	char	   *versions;		/* applied versions, \x1f-separated (status) */
	char	   *error;			/* the first error line, or NULL */
} FleetTarget;

/* What every child needs. */
typedef struct Fleet
{
	const CliOptions *opts;
	FleetOp		op;
	const char *opname;
	const MigrationSet *set;	/* deploy; status --dir */
	const char *dir;
	int			n;
	FleetTarget *targets;
} Fleet;

static volatile sig_atomic_t interrupted = 0;

static void
on_interrupt(int signo)
{
	interrupted = 1;
}

/*
 * Add a target; "conninfo" and "dbname" are copied.
 */
static void
add_target(Fleet *fleet, const char *conninfo, const char *dbname, const char *label)
{
	FleetTarget *t;

	fleet->targets = xrealloc(fleet->targets, sizeof(FleetTarget) * (fleet->n + 1));
	t = &fleet->targets[fleet->n++];
	memset(t, 0, sizeof(FleetTarget));
	t->conninfo = conninfo ? xstrdup(conninfo) : NULL;
	t->dbname = dbname ? xstrdup(dbname) : NULL;
	t->label = xstrdup(label);
	t->state = TARGET_WAITING;
	t->out_fd = t->err_fd = -1;
}

/*
 * How the table names a connection string: host:port/dbname from what it
 * says (never its password), or the string itself when libpq cannot
 * parse it (the connection will then fail and say why).
 */
static char *
target_label(const char *conninfo)
{
	char	   *err = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo, &err);
	PQconninfoOption *o;
	const char *host = NULL;
	const char *port = NULL;
	const char *db = NULL;
	char	   *label;

	if (opts == NULL)
	{
		PQfreemem(err);
		return xstrdup(conninfo);
	}
	for (o = opts; o->keyword; o++)
	{
		if (o->val == NULL || o->val[0] == '\0')
			continue;
		if (strcmp(o->keyword, "host") == 0 || (strcmp(o->keyword, "hostaddr") == 0 && host == NULL))
			host = o->val;
		else if (strcmp(o->keyword, "port") == 0)
			port = o->val;
		else if (strcmp(o->keyword, "dbname") == 0)
			db = o->val;
	}
	if (host && host[0] == '/')
		host = NULL;			/* a socket directory says little */
	if (host)
		label = xasprintf("%s%s%s/%s", host, port ? ":" : "", port ? port : "", db ? db : "");
	else
		label = xstrdup(db ? db : conninfo);
	PQconninfoFree(opts);
	return label;
}

/*
 * Targets from a file: one connection string a line; blank lines and
 * lines starting with "#" are skipped.
 */
static bool
read_targets_file(Fleet *fleet, const char *path)
{
	char	   *error = NULL;
	char	   *text = read_file(path, &error);
	char	   *line;
	char	   *next;

	if (text == NULL)
	{
		cli_error("%s", error);
		return false;
	}
	for (line = text; line; line = next)
	{
		char	   *end;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		while (*line == ' ' || *line == '\t')
			line++;
		end = line + strlen(line);
		while (end > line && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
			*--end = '\0';
		if (*line == '\0' || *line == '#')
			continue;
		add_target(fleet, line, NULL, target_label(line));
	}
	free(text);
	return true;
}

/*
 * Every database of the server the connection options name whose name
 * matches "pattern" (a shell glob), in name order.
 */
static bool
read_server_databases(Fleet *fleet, const char *pattern)
{
	char	   *error = NULL;
	PGconn	   *conn = cli_connect_to(fleet->opts, NULL, NULL, &error);
	PGresult   *res;
	int			r;

	if (conn == NULL)
	{
		cli_error("could not connect to the server to list its databases: %s", error);
		return false;
	}
	res = cli_exec(conn, "SELECT datname FROM pg_catalog.pg_database "
				   "WHERE datallowconn AND NOT datistemplate ORDER BY datname", 0, NULL);
	if (!cli_command_ok(res))
	{
		cli_result_exit(conn, res, NULL, "cannot list the server's databases");
		PQclear(res);
		PQfinish(conn);
		return false;
	}
	for (r = 0; r < PQntuples(res); r++)
	{
		const char *db = PQgetvalue(res, r, 0);

		if (fnmatch(pattern, db, 0) == 0)
			add_target(fleet, NULL, db, db);
	}
	PQclear(res);
	PQfinish(conn);
	return true;
}

/*
 * An array literal of the set's versions, for "= ANY($1::text[])".
 */
static char *
versions_array(const MigrationSet *set)
{
	StrBuf		sb;
	int			i;

	sb_init(&sb);
	sb_append(&sb, "{");
	for (i = 0; i < set->n; i++)
	{
		const char *p;

		if (i)
			sb_append(&sb, ",");
		sb_append(&sb, "\"");
		for (p = set->items[i].version; *p; p++)
		{
			if (*p == '"' || *p == '\\')
				sb_append(&sb, "\\");
			sb_append_n(&sb, p, 1);
		}
		sb_append(&sb, "\"");
	}
	sb_append(&sb, "}");
	return sb.data;
}

/*
 * Counts of the set's migrations by state in this database: applied and
 * pending (a migration not registered yet counts as pending).
 */
static int
count_states(PGconn *conn, const MigrationSet *set, long *applied, long *pending)
{
	char	   *array = versions_array(set);
	const char *params[1] = {array};
	PGresult   *res;
	int			rc = EXIT_OK;

	res = cli_exec(conn, "SELECT count(*) FILTER (WHERE state = 'applied') "
				   "FROM migrator.status() WHERE version = ANY($1::text[])", 1, params);
	if (!cli_command_ok(res))
		rc = cli_result_exit(conn, res, "status", NULL);
	else
	{
		*applied = atol(PQgetvalue(res, 0, 0));
		*pending = set->n - *applied;
	}
	PQclear(res);
	free(array);
	return rc;
}

/*
 * The child's work on one database: print the result line
 * ("key=value" fields separated by tabs) on stdout and return the exit
 * code.  Messages go to stderr, which the parent collects.
 */
static int
child_run(const Fleet *fleet, const FleetTarget *t)
{
	CliOptions	quiet = *fleet->opts;
	const CliOptions *opts = &quiet;
	char	   *error = NULL;
	PGconn	   *conn;
	PGresult   *res;
	long		applied = 0;
	long		skipped = 0;
	long		failed = 0;
	long		pending = 0;
	long		problems = 0;
	long		behind = -1;
	StrBuf		latest;
	StrBuf		versions;
	int			rc = EXIT_OK;
	int			r;

	/* progress lines and notices are the parent's to print */
	quiet.quiet = true;
	conn = cli_connect_to(opts, t->conninfo, t->dbname, &error);
	sb_init(&latest);
	sb_init(&versions);
	if (conn == NULL)
	{
		cli_error("could not connect to the database: %s", error);
		return EXIT_ERROR;
	}

	switch (fleet->op)
	{
		case FLEET_DEPLOY:
			{
				long		before;

				if ((rc = push_set(conn, opts, fleet->set, fleet->dir, false)) != EXIT_OK)
				{
					failed = 1;
					break;
				}
				if ((rc = count_states(conn, fleet->set, &before, &pending)) != EXIT_OK)
					break;
				skipped = before;
				if (opts->dry_run)
					break;
				res = cli_exec(conn, "CALL migrator.deploy()", 0, NULL);
				if (!cli_command_ok(res))
				{
					rc = cli_result_exit(conn, res, "deploy", NULL);
					failed = 1;
				}
				PQclear(res);
				/* what deploy committed stays, also when it failed later */
				if (count_states(conn, fleet->set, &applied, &pending) == EXIT_OK)
					applied -= before;
				else if (rc == EXIT_OK)
					rc = EXIT_ERROR;
			}
			break;
		case FLEET_STATUS:
			res = cli_exec(conn, "SELECT version, state FROM migrator.status()", 0, NULL);
			if (!cli_command_ok(res))
			{
				rc = cli_result_exit(conn, res, "status", NULL);
				PQclear(res);
				break;
			}
			for (r = 0; r < PQntuples(res); r++)
			{
				if (strcmp(PQgetvalue(res, r, 1), "applied") == 0)
				{
					applied++;
					/* status() is in version order: the last is the newest */
					latest.len = 0;
					sb_append(&latest, PQgetvalue(res, r, 0));
					sb_printf(&versions, "%s%s", versions.len ? "\x1f" : "", PQgetvalue(res, r, 0));
				}
				else
					pending++;
			}
			PQclear(res);
			if (fleet->set)
			{
				long		in_dir;
				long		not_in_dir;

				if ((rc = count_states(conn, fleet->set, &in_dir, &not_in_dir)) == EXIT_OK)
					behind = not_in_dir;
			}
			break;
		case FLEET_DRIFT:
		case FLEET_VERIFY:
			res = cli_exec(conn, fleet->op == FLEET_DRIFT
						   ? "SELECT count(*) FROM migrator.drift()"
						   : "SELECT count(*) FILTER (WHERE NOT ok) FROM migrator.verify()",
						   0, NULL);
			if (!cli_command_ok(res))
				rc = cli_result_exit(conn, res, fleet->op == FLEET_DRIFT ? "drift" : "verify", NULL);
			else
			{
				problems = atol(PQgetvalue(res, 0, 0));
				if (problems > 0)
					rc = EXIT_FAILED_CHECK;
			}
			PQclear(res);
			break;
	}
	PQfinish(conn);
	printf("applied=%ld\tskipped=%ld\tfailed=%ld\tpending=%ld\tproblems=%ld\tbehind=%ld\tlatest=%s\tversions=%s\n",
		   applied, skipped, failed, pending, problems, behind, latest.data, versions.data);
	return rc;
}

/*
 * Fork a child for target "t"; false when the fork or a pipe failed (the
 * target then fails with that error).
 */
static bool
start_target(Fleet *fleet, int index)
{
	FleetTarget *t = &fleet->targets[index];
	int			out[2];
	int			err[2];
	int			i;

	if (pipe(out) != 0 || pipe(err) != 0)
	{
		t->error = xasprintf("could not create a pipe: %s", strerror(errno));
		return false;
	}
	fflush(stdout);
	fflush(stderr);
	t->started = now_ms();
	t->pid = fork();
	if (t->pid < 0)
	{
		t->error = xasprintf("could not fork: %s", strerror(errno));
		close(out[0]);
		close(out[1]);
		close(err[0]);
		close(err[1]);
		return false;
	}
	if (t->pid == 0)
	{
		int			rc;

		/* the child: no other child's pipes, its own as stdout/stderr */
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		for (i = 0; i < fleet->n; i++)
		{
			if (fleet->targets[i].out_fd >= 0)
				close(fleet->targets[i].out_fd);
			if (fleet->targets[i].err_fd >= 0)
				close(fleet->targets[i].err_fd);
		}
		close(out[0]);
		close(err[0]);
		dup2(out[1], STDOUT_FILENO);
		dup2(err[1], STDERR_FILENO);
		close(out[1]);
		close(err[1]);
		rc = child_run(fleet, t);
		fflush(stdout);
		fflush(stderr);
		_exit(rc);
	}
	close(out[1]);
	close(err[1]);
	t->out_fd = out[0];
	t->err_fd = err[0];
	sb_init(&t->out);
	sb_init(&t->err);
	t->state = TARGET_RUNNING;
	return true;
}

/*
 * The value of "key=" in a result line, or "".
 */
static char *
result_field(const char *line, const char *key)
{
	size_t		len = strlen(key);
	const char *p = line;

	while (p && *p)
	{
		if (strncmp(p, key, len) == 0 && p[len] == '=')
		{
			const char *v = p + len + 1;
			const char *e = strpbrk(v, "\t\n");

			return xstrndup(v, e ? (size_t) (e - v) : strlen(v));
		}
		p = strchr(p, '\t');
		if (p)
			p++;
	}
	return xstrdup("");
}

/*
 * The first line of the child's messages that says what went wrong.
 */
static char *
first_error(const char *messages)
{
	const char *p = messages;

	while (p && *p)
	{
		const char *e = strchr(p, '\n');
		size_t		len = e ? (size_t) (e - p) : strlen(p);

		if (len > 10 && strncmp(p, "migrator: ", 10) == 0)
			return xstrndup(p + 10, len - 10);
		if (len > 7 && strncmp(p, "ERROR:  ", 8) == 0)
			return xstrndup(p, len);
		p = e ? e + 1 : NULL;
	}
	return messages[0] ? xstrndup(messages, strcspn(messages, "\n")) : NULL;
}

/*
 * A child's pipes are both closed: reap it and read its result.
 */
static void
finish_target(Fleet *fleet, FleetTarget *t, int *finished)
{
	const CliOptions *opts = fleet->opts;
	int			status = 0;
	char	   *v;

	while (waitpid(t->pid, &status, 0) < 0 && errno == EINTR)
		;
	t->duration = now_ms() - t->started;
	t->state = TARGET_DONE;
	if (WIFEXITED(status))
		t->exit_code = WEXITSTATUS(status);
	else
	{
		t->exit_code = EXIT_ERROR;
		t->error = xasprintf("the worker process ended with signal %d", WTERMSIG(status));
	}
	if (strchr(t->out.data, '='))
	{
		t->applied = atol((v = result_field(t->out.data, "applied")));
		free(v);
		t->skipped = atol((v = result_field(t->out.data, "skipped")));
		free(v);
		t->failed = atol((v = result_field(t->out.data, "failed")));
		free(v);
		t->pending = atol((v = result_field(t->out.data, "pending")));
		free(v);
		t->problems = atol((v = result_field(t->out.data, "problems")));
		free(v);
		t->behind = atol((v = result_field(t->out.data, "behind")));
		free(v);
		t->latest = result_field(t->out.data, "latest");
		t->versions = result_field(t->out.data, "versions");
	}
	else if (t->exit_code == EXIT_OK)
		t->exit_code = EXIT_ERROR;
	if (t->error == NULL && t->exit_code != EXIT_OK)
		t->error = first_error(t->err.data);
	if (t->exit_code == EXIT_FAILED_CHECK && t->error == NULL)
		t->error = fleet->op == FLEET_DRIFT
			? xasprintf("%ld schema change%s outside migrator", t->problems, t->problems == 1 ? "" : "s")
			: xasprintf("%ld migration%s failed verification", t->problems, t->problems == 1 ? "" : "s");

	(*finished)++;
	if (fleet->op == FLEET_DEPLOY)
	{
		if (t->exit_code == EXIT_OK)
			progress(opts, "[%d/%d] %s: %s %ld migration%s, %ld already applied, %ld pending (%.0f ms)",
					 *finished, fleet->n, t->label, opts->dry_run ? "would deploy" : "deployed",
					 opts->dry_run ? t->pending : t->applied,
					 (opts->dry_run ? t->pending : t->applied) == 1 ? "" : "s",
					 t->skipped, opts->dry_run ? 0 : t->pending, t->duration);
		else
			progress(opts, "[%d/%d] %s: FAILED after deploying %ld migration%s (%.0f ms): %s",
					 *finished, fleet->n, t->label, t->applied, t->applied == 1 ? "" : "s",
					 t->duration, t->error ? t->error : "error");
	}
	else if (t->exit_code == EXIT_OK || t->exit_code == EXIT_FAILED_CHECK)
	{
		if (fleet->op == FLEET_STATUS)
			progress(opts, "[%d/%d] %s: %ld applied, %ld pending (%.0f ms)", *finished, fleet->n,
					 t->label, t->applied, t->pending, t->duration);
		else
			progress(opts, "[%d/%d] %s: %s (%.0f ms)", *finished, fleet->n, t->label,
					 t->problems == 0 ? (fleet->op == FLEET_DRIFT ? "no drift" : "verified")
					 : (fleet->op == FLEET_DRIFT ? "DRIFTED" : "VERIFY FAILED"),
					 t->duration);
	}
	else
		progress(opts, "[%d/%d] %s: FAILED (%.0f ms): %s", *finished, fleet->n, t->label,
				 t->duration, t->error ? t->error : "error");

	/* the whole report of a database that failed, under its name */
	if (t->exit_code != EXIT_OK && t->exit_code != EXIT_FAILED_CHECK && t->err.len > 0 && !opts->quiet)
	{
		const char *p = t->err.data;

		while (*p)
		{
			const char *e = strchr(p, '\n');
			size_t		len = e ? (size_t) (e - p) : strlen(p);

			fprintf(stderr, "    %s: %.*s\n", t->label, (int) len, p);
			p += len + (e ? 1 : 0);
		}
	}
}

/*
 * Read what the running children wrote, for up to "timeout" ms; reap the
 * ones that are done.
 */
static void
poll_children(Fleet *fleet, int *finished, int timeout)
{
	struct pollfd *fds = xmalloc(sizeof(struct pollfd) * 2 * (fleet->n + 1));
	int		   *owner = xmalloc(sizeof(int) * 2 * (fleet->n + 1));
	int			nfds = 0;
	int			i;

	for (i = 0; i < fleet->n; i++)
	{
		FleetTarget *t = &fleet->targets[i];

		if (t->state != TARGET_RUNNING)
			continue;
		if (t->out_fd >= 0)
		{
			fds[nfds].fd = t->out_fd;
			fds[nfds].events = POLLIN;
			owner[nfds++] = i;
		}
		if (t->err_fd >= 0)
		{
			fds[nfds].fd = t->err_fd;
			fds[nfds].events = POLLIN;
			owner[nfds++] = i;
		}
	}
	if (nfds > 0 && poll(fds, nfds, timeout) > 0)
	{
		for (i = 0; i < nfds; i++)
		{
			FleetTarget *t = &fleet->targets[owner[i]];
			char		buf[8192];
			ssize_t		got;

			if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			got = read(fds[i].fd, buf, sizeof(buf));
			if (got > 0)
				sb_append_n(fds[i].fd == t->out_fd ? &t->out : &t->err, buf, got);
			else if (got == 0 || (errno != EINTR && errno != EAGAIN))
			{
				close(fds[i].fd);
				if (fds[i].fd == t->out_fd)
					t->out_fd = -1;
				else
					t->err_fd = -1;
			}
		}
	}
	for (i = 0; i < fleet->n; i++)
	{
		FleetTarget *t = &fleet->targets[i];

		if (t->state == TARGET_RUNNING && t->out_fd < 0 && t->err_fd < 0)
			finish_target(fleet, t, finished);
	}
	free(fds);
	free(owner);
}

/*
 * Did this database fail (as opposed to succeed, or report a problem it
 * found, which stops nothing)?
 */
static bool
target_failed(const FleetTarget *t)
{
	return t->state == TARGET_DONE && t->exit_code != EXIT_OK &&
		t->exit_code != EXIT_FAILED_CHECK;
}

/*
 * Run targets [from, to) with at most "jobs" at a time.  With "stop", no
 * new target starts after one failed.  Returns whether any failed.
 */
static bool
run_range(Fleet *fleet, int from, int to, int jobs, bool stop, int *finished)
{
	bool		any_failed = false;
	int			next = from;

	for (;;)
	{
		int			running = 0;
		int			i;

		for (i = from; i < to; i++)
		{
			if (fleet->targets[i].state == TARGET_RUNNING)
				running++;
			if (target_failed(&fleet->targets[i]))
				any_failed = true;
		}
		while (running < jobs && next < to && !(stop && any_failed) && !interrupted)
		{
			if (!start_target(fleet, next))
			{
				FleetTarget *t = &fleet->targets[next];

				t->state = TARGET_DONE;
				t->exit_code = EXIT_ERROR;
				(*finished)++;
				progress(fleet->opts, "[%d/%d] %s: FAILED: %s", *finished, fleet->n, t->label, t->error);
				any_failed = true;
			}
			else
				running++;
			next++;
		}
		if (running == 0)
			break;
		poll_children(fleet, finished, 1000);
	}
	return any_failed;
}

/*
 * The exit codes of two databases: which outcome is worse.
 */
static int
severity(int code)
{
	switch (code)
	{
		case EXIT_OK:
			return 0;
		case EXIT_FAILED_CHECK:
			return 1;
		case EXIT_REFUSED:
			return 2;
		case EXIT_MISSING:
			return 3;
		default:
			return 4;
	}
}

/*
 * The final table, one row per database.
 */
static void
print_fleet_table(const Fleet *fleet)
{
	static const char *const deploy_names[] = {"database", "result", "applied", "skipped", "failed", "pending", "duration_ms", "error"};
	static const CellType deploy_types[] = {CELL_TEXT, CELL_TEXT, CELL_NUMBER, CELL_NUMBER, CELL_NUMBER, CELL_NUMBER, CELL_NUMBER, CELL_TEXT};
	static const char *const status_names[] = {"database", "result", "applied", "pending", "behind", "latest", "duration_ms", "error"};
	static const CellType status_types[] = {CELL_TEXT, CELL_TEXT, CELL_NUMBER, CELL_NUMBER, CELL_NUMBER, CELL_TEXT, CELL_NUMBER, CELL_TEXT};
	static const char *const check_names[] = {"database", "result", "problems", "duration_ms", "error"};
	static const CellType check_types[] = {CELL_TEXT, CELL_TEXT, CELL_NUMBER, CELL_NUMBER, CELL_TEXT};
	Table	   *table;
	int			i;

	if (fleet->op == FLEET_DEPLOY)
		table = table_new(8, deploy_names, deploy_types);
	else if (fleet->op == FLEET_STATUS)
		table = table_new(8, status_names, status_types);
	else
		table = table_new(5, check_names, check_types);

	for (i = 0; i < fleet->n; i++)
	{
		const FleetTarget *t = &fleet->targets[i];
		char		num[6][32];
		const char *row[8];
		const char *result;
		bool		ran = t->state == TARGET_DONE;

		if (!ran)
			result = "not run";
		else if (t->exit_code == EXIT_OK)
			result = fleet->op == FLEET_DEPLOY ? (fleet->opts->dry_run ? "checked" : "deployed") :
				fleet->op == FLEET_STATUS ? (t->behind > 0 ? "behind" : "current") :
				fleet->op == FLEET_DRIFT ? "no drift" : "verified";
		else if (t->exit_code == EXIT_FAILED_CHECK)
			result = fleet->op == FLEET_DRIFT ? "drifted" : "verify failed";
		else
			result = "failed";
		snprintf(num[0], 32, "%ld", t->applied);
		snprintf(num[1], 32, "%ld", t->skipped);
		snprintf(num[2], 32, "%ld", t->failed);
		snprintf(num[3], 32, "%ld", t->pending);
		snprintf(num[4], 32, "%.0f", t->duration);
		snprintf(num[5], 32, "%ld", fleet->op == FLEET_STATUS ? t->behind : t->problems);
		row[0] = t->label;
		row[1] = result;
		if (fleet->op == FLEET_DEPLOY)
		{
			row[2] = ran ? num[0] : NULL;
			row[3] = ran ? num[1] : NULL;
			row[4] = ran ? num[2] : NULL;
			row[5] = ran ? num[3] : NULL;
			row[6] = ran ? num[4] : NULL;
			row[7] = t->error;
		}
		else if (fleet->op == FLEET_STATUS)
		{
			row[2] = ran ? num[0] : NULL;
			row[3] = ran ? num[3] : NULL;
			row[4] = ran && t->behind >= 0 ? num[5] : NULL;
			row[5] = ran && t->latest && t->latest[0] ? t->latest : NULL;
			row[6] = ran ? num[4] : NULL;
			row[7] = t->error;
		}
		else
		{
			row[2] = ran ? num[5] : NULL;
			row[3] = ran ? num[4] : NULL;
			row[4] = t->error;
		}
		table_add_row(table, row);
	}
	table_print(stdout, table, fleet->opts->json);
}

/*
 * Without a directory, a database is behind by the versions applied
 * somewhere in the fleet that it has not applied.
 */
static void
compute_behind_from_fleet(Fleet *fleet)
{
	StrBuf		all;
	int			i;

	sb_init(&all);
	sb_append(&all, "\x1f");
	for (i = 0; i < fleet->n; i++)
	{
		FleetTarget *t = &fleet->targets[i];
		char	   *list;
		char	   *v;
		char	   *save;

		if (t->state != TARGET_DONE || t->versions == NULL)
			continue;
		list = xstrdup(t->versions);
		for (v = strtok_r(list, "\x1f", &save); v; v = strtok_r(NULL, "\x1f", &save))
		{
			char	   *needle = xasprintf("\x1f%s\x1f", v);

			if (strstr(all.data, needle) == NULL)
				sb_printf(&all, "%s\x1f", v);
			free(needle);
		}
		free(list);
	}
	for (i = 0; i < fleet->n; i++)
	{
		FleetTarget *t = &fleet->targets[i];
		long		total = 0;
		const char *p;

		if (t->state != TARGET_DONE || t->versions == NULL || t->exit_code != EXIT_OK)
			continue;
		for (p = all.data + 1; *p; p++)
			if (*p == '\x1f')
				total++;
		t->behind = total - t->applied;
	}
	free(all.data);
}

/*
 * migrator fleet deploy DIR [TARGET...] | status|drift|verify [TARGET...]
 */
int
cmd_fleet(PGconn *unused, const CliOptions *opts, int argc, char **argv)
{
	Fleet		fleet;
	int			finished = 0;
	int			worst = EXIT_OK;
	int			canary = opts->canary;
	int			jobs = opts->jobs > 0 ? opts->jobs : 1;
	bool		stop;
	double		start = now_ms();
	int			done = 0;
	int			failed = 0;
	int			not_run = 0;
	int			problems = 0;
	int			i;

	memset(&fleet, 0, sizeof(fleet));
	fleet.opts = opts;
	if (argc < 1)
	{
		cli_error("fleet needs a subcommand: deploy, status, drift or verify");
		return EXIT_USAGE;
	}
	fleet.opname = argv[0];
	if (strcmp(argv[0], "deploy") == 0)
		fleet.op = FLEET_DEPLOY;
	else if (strcmp(argv[0], "status") == 0)
		fleet.op = FLEET_STATUS;
	else if (strcmp(argv[0], "drift") == 0)
		fleet.op = FLEET_DRIFT;
	else if (strcmp(argv[0], "verify") == 0)
		fleet.op = FLEET_VERIFY;
	else
	{
		cli_error("unknown fleet subcommand \"%s\" (deploy, status, drift, verify)", argv[0]);
		return EXIT_USAGE;
	}
	argc--, argv++;
	stop = opts->on_failure ? strcmp(opts->on_failure, "stop") == 0 : fleet.op == FLEET_DEPLOY;
	if (opts->on_failure && strcmp(opts->on_failure, "stop") != 0 &&
		strcmp(opts->on_failure, "continue") != 0)
	{
		cli_error("--on-failure must be stop or continue, not \"%s\"", opts->on_failure);
		return EXIT_USAGE;
	}
	if (fleet.op != FLEET_DEPLOY && opts->dry_run)
	{
		cli_error("--dry-run is for fleet deploy");
		return EXIT_USAGE;
	}

	/* the directory: deploy's argument, or status --dir */
	if (fleet.op == FLEET_DEPLOY)
	{
		if (argc < 1)
		{
			cli_error("fleet deploy needs a migration directory");
			return EXIT_USAGE;
		}
		fleet.dir = argv[0];
		argc--, argv++;
	}
	else
		fleet.dir = opts->dir;
	if (fleet.dir)
	{
		char	   *error = NULL;

		if ((fleet.set = layout_read(fleet.dir, opts->format, &error)) == NULL)
		{
			cli_error("%s", error);
			return EXIT_ERROR;
		}
	}

	/* the databases */
	for (i = 0; i < opts->ntargets; i++)
		add_target(&fleet, opts->targets[i], NULL, target_label(opts->targets[i]));
	for (i = 0; i < argc; i++)
		add_target(&fleet, argv[i], NULL, target_label(argv[i]));
	if (opts->targets_file && !read_targets_file(&fleet, opts->targets_file))
		return EXIT_ERROR;
	if (opts->match && !read_server_databases(&fleet, opts->match))
		return EXIT_ERROR;
	if (fleet.n == 0)
	{
		cli_error("no databases: name them with --database, --databases FILE or arguments, or choose a server's with --match PATTERN");
		return opts->match ? EXIT_ERROR : EXIT_USAGE;
	}
	if (canary > fleet.n)
		canary = fleet.n;

	signal(SIGINT, on_interrupt);
	signal(SIGTERM, on_interrupt);
	signal(SIGPIPE, SIG_IGN);

	if (canary > 0)
	{
		progress(opts, "fleet %s: canary: %d of %d databases first", fleet.opname, canary, fleet.n);
		if (run_range(&fleet, 0, canary, jobs, false, &finished))
			cli_error("a canary database failed; the other %d databases were not touched", fleet.n - canary);
		else
			run_range(&fleet, canary, fleet.n, jobs, stop, &finished);
	}
	else
		run_range(&fleet, 0, fleet.n, jobs, stop, &finished);

	if (fleet.op == FLEET_STATUS && fleet.set == NULL)
		compute_behind_from_fleet(&fleet);

	for (i = 0; i < fleet.n; i++)
	{
		FleetTarget *t = &fleet.targets[i];

		if (t->state != TARGET_DONE)
		{
			not_run++;
			continue;
		}
		if (severity(t->exit_code) > severity(worst))
			worst = t->exit_code;
		if (t->exit_code == EXIT_OK)
			done++;
		else if (t->exit_code == EXIT_FAILED_CHECK)
			problems++;
		else
			failed++;
	}
	print_fleet_table(&fleet);
	progress(opts, "fleet %s: %d database%s: %d ok, %d with problems, %d failed, %d not run (%.0f ms)%s",
			 fleet.opname, fleet.n, fleet.n == 1 ? "" : "s", done, problems, failed, not_run,
			 now_ms() - start, interrupted ? "; interrupted" : "");
	if (interrupted && worst == EXIT_OK)
		worst = EXIT_ERROR;
	return worst;
}
