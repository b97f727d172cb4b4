/*-------------------------------------------------------------------------
 *
 * worker.h
 *	  Running SQL as top-level commands in a dynamic background worker.
 *
 * PostgreSQL refuses CREATE INDEX CONCURRENTLY, VACUUM, REINDEX CONCURRENTLY
 * and friends inside a transaction block, a function or a procedure.  A
 * background worker connected to the same database runs them the way
 * exec_simple_query() does for a client, one statement per transaction,
 * without a network connection or a password.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATOR_WORKER_H
#define MIGRATOR_WORKER_H

typedef struct WorkerResult
{
	bool		ok;
	int			sqlerrcode;		/* when !ok */
	char	   *message;		/* when !ok, else NULL */
	char	   *detail;
	char	   *hint;
	int			statement;		/* 1-based index of the statement that failed, 0 when ok */
} WorkerResult;

/*
 * Run "sql" (one or more statements, split with script_parse()) in a new
 * dynamic background worker connected to database "dboid" as role
 * "roleid".  Each statement runs as a top-level command in its own
 * transaction (autocommit, as psql runs a file), so CREATE INDEX
 * CONCURRENTLY, VACUUM, REINDEX CONCURRENTLY and ALTER TYPE ... ADD VALUE
 * work.  Stops at the first failing statement.  When "version" is not NULL
 * the worker marks that migration (with "kind" and "direction") as running
 * for the duration (session.c), exactly as apply.c's run_script() does, so
 * the guard judges the statements as part of that migration; events it
 * writes carry the caller's origin.  Shows "application_name" in
 * pg_stat_activity.  Waits until the worker exits (interruptibly: a cancel
 * of the caller terminates the worker) and returns its result, palloc'd in
 * the caller's memory context; the caller's transaction is untouched.
 * Failing to start the worker (max_worker_processes exhausted, not under
 * the postmaster) is an ERROR with a hint.  Text travels in a DSM segment
 * (a shm_toc), so its size is not limited by bgw_extra.
 *
 * The caller should hold no snapshot while it waits: CREATE INDEX
 * CONCURRENTLY in the worker waits for every transaction whose snapshot is
 * older than its own, the caller's included, and the caller waits for the
 * worker.  worker_run_sql() drops the caller's catalog snapshot itself.
 * The role must be allowed to log in (PostgreSQL 15 checks rolcanlogin for
 * background workers too).
 */
extern WorkerResult *worker_run_sql(Oid dboid, Oid roleid, const char *sql,
									const char *version, const char *kind,
									const char *direction,
									const char *application_name);

/* Entry point of the worker process, looked up by name by the postmaster. */
extern PGDLLEXPORT void migrator_worker_main(Datum main_arg);

#endif							/* MIGRATOR_WORKER_H */
