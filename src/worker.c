/*-------------------------------------------------------------------------
 *
 * worker.c
 *	  worker_run_sql(): statements run as top-level commands in a dynamic
 *	  background worker.
 *
 * The caller (a backend running CALL migrator.deploy(), or recording an
 * event that must survive its own rollback) puts the SQL text and its
 * parameters in a DSM segment, registers a dynamic background worker that
 * reports to it (bgw_notify_pid), and waits until the worker exits.  The
 * worker is a leaf, as pg_cron's is: everything it needs (the statements,
 * the running migration, the caller's origin) comes in the segment, and it
 * calls back into no other module; it only sets, in session.c, what the
 * modules it runs for read.
 *
 * The worker connects to the caller's database as the caller's role and
 * runs the statements one by one the way the server runs a simple-protocol
 * query from a client: parse analysis, rewrite and
 * planning in a context that outlives transactions, a portal run with
 * isTopLevel = true, one transaction per statement.  That is what lets
 * CREATE INDEX CONCURRENTLY commit and restart transactions inside itself.
 * The worker writes its outcome (success, or the first error's SQLSTATE,
 * message, detail, hint and statement number) into the segment before it
 * exits.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_authid.h"
#include "miscadmin.h"
#include "parser/analyze.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/dsm.h"
#include "storage/ipc.h"
#include "storage/shm_toc.h"
#include "tcop/dest.h"
#include "tcop/pquery.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/portal.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "migrator.h"
#include "script.h"
#include "session.h"
#include "worker.h"

/* Longest message, detail or hint carried back; longer ones are clipped. */
#define WORKER_TEXT_MAX 4096

/*
 * The DSM segment is a table of contents (shm_toc) whose magic number the
 * worker checks before it reads anything.  Its entries: the fixed part
 * (WorkerShared), written by the caller except for the outcome, which the
 * worker writes; and one entry per string the caller passes, absent when
 * the string is NULL.
 */
#define WORKER_MAGIC			0x6d677277	/* 'mgrw' */
#define WORKER_KEY_SHARED		0
#define WORKER_KEY_SQL			1
#define WORKER_KEY_VERSION		2	/* running migration, when there is one */
#define WORKER_KEY_KIND			3
#define WORKER_KEY_DIRECTION	4
#define WORKER_KEY_APPNAME		5	/* application_name of the worker */
#define WORKER_KEY_ORIGIN_APP	6	/* where the caller's call came from */
#define WORKER_KEY_ORIGIN_ADDR	7
#define WORKER_NKEYS			8

typedef struct WorkerShared
{
	Oid			dboid;
	Oid			roleid;

	/* written by the worker */
	int			statement;		/* statement running, or that failed */
	bool		done;			/* the worker reached a verdict */
	bool		ok;
	int			sqlerrcode;
	char		message[WORKER_TEXT_MAX];
	char		detail[WORKER_TEXT_MAX];
	char		hint[WORKER_TEXT_MAX];
} WorkerShared;

/* The strings the caller passes, by key; NULL ones are not stored. */
typedef struct WorkerStrings
{
	const char *value[WORKER_NKEYS];
} WorkerStrings;

/* Copy "s" into the segment under "key". */
static void
put_string(shm_toc *toc, uint64 key, const char *s)
{
	char	   *dest;

	if (s == NULL)
		return;
	dest = shm_toc_allocate(toc, strlen(s) + 1);
	strcpy(dest, s);
	shm_toc_insert(toc, key, dest);
}

/* The string stored under "key", or NULL. */
static const char *
get_string(shm_toc *toc, uint64 key)
{
	return shm_toc_lookup(toc, key, true);
}

/*
 * Refuse a role the worker could not connect as, with an error the caller
 * understands, instead of a worker that dies at connection time.
 */
static void
check_worker_role(Oid roleid)
{
	HeapTuple	tuple = SearchSysCache1(AUTHOID, ObjectIdGetDatum(roleid));
	Form_pg_authid form;

	if (!HeapTupleIsValid(tuple))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("role with OID %u does not exist", roleid)));
	form = (Form_pg_authid) GETSTRUCT(tuple);
	if (!form->rolcanlogin)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 errmsg("role \"%s\" is not permitted to log in",
						NameStr(form->rolname)),
				 errdetail("Statements that cannot run in a transaction block run in a background worker connected as the current role, and PostgreSQL 15 requires that role to have LOGIN."),
				 errhint("Run the deploy as a role with LOGIN, without SET ROLE to a role that cannot log in.")));
	ReleaseSysCache(tuple);
}

/*
 * Error and exit cleanup of the caller while it waits: the worker must not
 * outlive a cancelled or terminated caller.
 */
static void
terminate_worker(int code, Datum arg)
{
	TerminateBackgroundWorker((BackgroundWorkerHandle *) DatumGetPointer(arg));
}

/*
 * See worker.h for the contract.
 */
WorkerResult *
worker_run_sql(Oid dboid, Oid roleid, const char *sql, const char *version,
			   const char *kind, const char *direction,
			   const char *application_name)
{
	WorkerStrings strings = {{0}};
	shm_toc_estimator estimator;
	Size		size;
	dsm_segment *seg;
	shm_toc    *toc;
	WorkerShared *shared;
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;
	BgwHandleStatus status;
	WorkerResult *result;
	char	   *origin_app;
	char	   *origin_addr;
	int			key;

	Assert(sql != NULL);
	if (!IsUnderPostmaster)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot start a background worker in a single-user server"),
				 errhint("Start the server normally to run statements that cannot run in a transaction block.")));
	check_worker_role(roleid);
	session_origin(&origin_app, &origin_addr);

	strings.value[WORKER_KEY_SQL] = sql;
	strings.value[WORKER_KEY_VERSION] = version;
	strings.value[WORKER_KEY_KIND] = version ? kind : NULL;
	strings.value[WORKER_KEY_DIRECTION] = version ? direction : NULL;
	strings.value[WORKER_KEY_APPNAME] = application_name;
	strings.value[WORKER_KEY_ORIGIN_APP] = origin_app;
	strings.value[WORKER_KEY_ORIGIN_ADDR] = origin_addr;

	shm_toc_initialize_estimator(&estimator);
	shm_toc_estimate_chunk(&estimator, sizeof(WorkerShared));
	for (key = WORKER_KEY_SQL; key < WORKER_NKEYS; key++)
		if (strings.value[key])
			shm_toc_estimate_chunk(&estimator, strlen(strings.value[key]) + 1);
	shm_toc_estimate_keys(&estimator, WORKER_NKEYS);
	size = shm_toc_estimate(&estimator);

	seg = dsm_create(size, 0);
	toc = shm_toc_create(WORKER_MAGIC, dsm_segment_address(seg), size);
	shared = shm_toc_allocate(toc, sizeof(WorkerShared));
	memset(shared, 0, sizeof(WorkerShared));
	shared->dboid = dboid;
	shared->roleid = roleid;
	shm_toc_insert(toc, WORKER_KEY_SHARED, shared);
	for (key = WORKER_KEY_SQL; key < WORKER_NKEYS; key++)
		put_string(toc, key, strings.value[key]);

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS |
		BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "migrator");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "migrator_worker_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "migrator worker for PID %d",
			 MyProcPid);
	snprintf(worker.bgw_type, BGW_MAXLEN, "migrator worker");
	worker.bgw_main_arg = UInt32GetDatum(dsm_segment_handle(seg));
	worker.bgw_notify_pid = MyProcPid;

	if (!RegisterDynamicBackgroundWorker(&worker, &handle))
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("could not start a background worker to run statements outside a transaction block"),
				 errdetail("All background worker slots (max_worker_processes = %d) are in use.",
						   max_worker_processes),
				 errhint("Raise max_worker_processes, or retry when other background workers have finished.")));

	/* Our catalog snapshot would make CREATE INDEX CONCURRENTLY wait for us. */
	InvalidateCatalogSnapshot();

	PG_ENSURE_ERROR_CLEANUP(terminate_worker, PointerGetDatum(handle));
	{
		status = WaitForBackgroundWorkerShutdown(handle);
	}
	PG_END_ENSURE_ERROR_CLEANUP(terminate_worker, PointerGetDatum(handle));

	if (status == BGWH_POSTMASTER_DIED)
		ereport(FATAL,
				(errcode(ERRCODE_ADMIN_SHUTDOWN),
				 errmsg("postmaster exited while a migrator background worker was running")));

	pg_read_barrier();
	result = palloc0(sizeof(WorkerResult));
	if (!shared->done)
	{
		result->ok = false;
		result->sqlerrcode = ERRCODE_CONNECTION_FAILURE;
		result->message = pstrdup("background worker exited without reporting a result");
		result->detail = shared->statement > 0
			? psprintf("It was running statement %d.", shared->statement)
			: pstrdup("It exited before running any statement.");
		result->hint = pstrdup("The server log says why it exited.");
		result->statement = shared->statement;
	}
	else if (shared->ok)
		result->ok = true;
	else
	{
		result->ok = false;
		result->sqlerrcode = shared->sqlerrcode;
		result->message = pstrdup(shared->message);
		result->detail = shared->detail[0] ? pstrdup(shared->detail) : NULL;
		result->hint = shared->hint[0] ? pstrdup(shared->hint) : NULL;
		result->statement = shared->statement;
	}
	dsm_detach(seg);
	return result;
}

/*
 * Run one statement as a top-level command in a transaction of its own,
 * the way exec_simple_query() runs one statement of a client's query
 * string.  Parse analysis and plans live in "stmt_cxt", which survives
 * the transactions a utility statement may commit inside itself.  The
 * source text is the whole "script", as for exec_simple_query(): the parse
 * tree's locations (stmt_location, constants) are offsets into it, and hooks
 * such as pg_stat_statements cut the statement's text out of it with them.
 */
static void
run_statement(ScriptStatement *st, const char *script, MemoryContext stmt_cxt)
{
	MemoryContext oldcxt;
	bool		snapshot_set = false;
	List	   *querytrees;
	List	   *plantrees;
	Portal		portal;
	DestReceiver *receiver;
	QueryCompletion qc;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	debug_query_string = st->sql;
	pgstat_report_activity(STATE_RUNNING, st->sql);

	oldcxt = MemoryContextSwitchTo(stmt_cxt);
	if (analyze_requires_snapshot(st->raw))
	{
		PushActiveSnapshot(GetTransactionSnapshot());
		snapshot_set = true;
	}
	querytrees = pg_analyze_and_rewrite_fixedparams(st->raw, script,
													NULL, 0, NULL);
	plantrees = pg_plan_queries(querytrees, script, CURSOR_OPT_PARALLEL_OK,
								NULL);
	if (snapshot_set)
		PopActiveSnapshot();
	CHECK_FOR_INTERRUPTS();

	portal = CreatePortal("", true, true);
	portal->visible = false;
	PortalDefineQuery(portal, NULL, script, CreateCommandTag(st->raw->stmt),
					  plantrees, NULL);
	PortalStart(portal, NULL, 0, InvalidSnapshot);
	receiver = CreateDestReceiver(DestNone);
	(void) PortalRun(portal, FETCH_ALL, true, receiver, receiver, &qc);
	receiver->rDestroy(receiver);
	PortalDrop(portal, false);
	MemoryContextSwitchTo(oldcxt);

	CommitTransactionCommand();
	debug_query_string = NULL;
	pgstat_report_activity(STATE_IDLE, NULL);
	MemoryContextReset(stmt_cxt);
}

/* Copy an error field into the segment, clipped to WORKER_TEXT_MAX. */
static void
copy_clipped(char *dest, const char *src)
{
	if (src)
		strlcpy(dest, src, WORKER_TEXT_MAX);
	else
		dest[0] = '\0';
}

/*
 * Main function of the worker: connect, run the statements, report.
 */
void
migrator_worker_main(Datum main_arg)
{
	dsm_segment *seg;
	shm_toc    *toc;
	WorkerShared *shared;
	const char *version;
	const char *appname;
	MemoryContext worker_cxt;
	MemoryContext stmt_cxt;
	List	   *statements;
	ListCell   *lc;

	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	CurrentResourceOwner = ResourceOwnerCreate(NULL, "migrator worker");
	seg = dsm_attach(DatumGetUInt32(main_arg));
	if (seg == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("could not map the dynamic shared memory segment of a migrator worker")));
	dsm_pin_mapping(seg);
	toc = shm_toc_attach(WORKER_MAGIC, dsm_segment_address(seg));
	if (toc == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("invalid magic number in the dynamic shared memory segment of a migrator worker")));
	shared = shm_toc_lookup(toc, WORKER_KEY_SHARED, false);

	BackgroundWorkerInitializeConnectionByOid(shared->dboid, shared->roleid, 0);

	/*
	 * Everything the worker needs came in the segment; what the modules it
	 * serves read (the guard, events) is set in session.c, the only module
	 * it writes to.  Events written here are the caller's: they say where
	 * the call came from.
	 */
	session_set_origin(get_string(toc, WORKER_KEY_ORIGIN_APP),
					   get_string(toc, WORKER_KEY_ORIGIN_ADDR));
	appname = get_string(toc, WORKER_KEY_APPNAME);
	if (appname)
		SetConfigOption("application_name", appname, PGC_USERSET, PGC_S_SESSION);
	version = get_string(toc, WORKER_KEY_VERSION);
	if (version)
		session_set_migration(version, get_string(toc, WORKER_KEY_KIND),
							  get_string(toc, WORKER_KEY_DIRECTION));

	worker_cxt = AllocSetContextCreate(TopMemoryContext, "migrator worker",
									   ALLOCSET_DEFAULT_SIZES);
	stmt_cxt = AllocSetContextCreate(worker_cxt, "migrator worker statement",
									 ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(worker_cxt);

	PG_TRY();
	{
		const char *script = get_string(toc, WORKER_KEY_SQL);

		statements = script_parse(script, version ? "up script" : NULL);
		foreach(lc, statements)
		{
			ScriptStatement *st = lfirst(lc);

			shared->statement = st->index;
			CHECK_FOR_INTERRUPTS();
			run_statement(st, script, stmt_cxt);
		}
		shared->statement = 0;
		shared->ok = true;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(worker_cxt);
		edata = CopyErrorData();
		/* The server log gets the error too, as for any backend. */
		EmitErrorReport();
		FlushErrorState();
		AbortCurrentTransaction();

		shared->ok = false;
		shared->sqlerrcode = edata->sqlerrcode;
		copy_clipped(shared->message, edata->message);
		copy_clipped(shared->detail, edata->detail);
		copy_clipped(shared->hint, edata->hint);
	}
	PG_END_TRY();

	session_set_migration(NULL, NULL, NULL);
	pg_write_barrier();
	shared->done = true;
	pgstat_report_activity(STATE_IDLE, NULL);
}
