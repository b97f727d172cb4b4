/*-------------------------------------------------------------------------
 *
 * worker.c
 *	  worker_run_sql(): statements run as top-level commands in a dynamic
 *	  background worker.
 *
 * The caller (a backend running CALL migrator.deploy()) puts the SQL text
 * and its parameters in a DSM segment, registers a dynamic background
 * worker that reports to it (bgw_notify_pid), and waits until the worker
 * exits.  The worker connects to the caller's database as the caller's
 * role and runs the statements one by one the way the server runs a
 * simple-protocol query from a client: parse analysis, rewrite and
 * planning in a context that outlives transactions, a portal run with
 * isTopLevel = true, one transaction per statement.  That is what lets
 * CREATE INDEX CONCURRENTLY commit and restart transactions inside itself.
 * The worker writes its outcome (success, or the first error's SQLSTATE,
 * message, detail, hint and statement number) into the segment before it
 * exits.
 *
 *-------------------------------------------------------------------------
 */
#include "migrator.h"
#include "worker.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_authid.h"
#include "miscadmin.h"
#include "parser/analyze.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/dsm.h"
#include "storage/ipc.h"
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

/* Longest message, detail or hint carried back; longer ones are clipped. */
#define WORKER_TEXT_MAX 4096

/*
 * The DSM segment: parameters written by the caller, outcome written by the
 * worker.  Strings are stored after the struct; an offset of -1 is NULL.
 */
typedef struct WorkerShared
{
	Oid			dboid;
	Oid			roleid;
	int			sql_off;
	int			version_off;
	int			kind_off;
	int			direction_off;
	int			appname_off;
	int			origin_app_off; /* where the caller's call came from */
	int			origin_addr_off;

	/* written by the worker */
	int			statement;		/* statement running, or that failed */
	bool		done;			/* the worker reached a verdict */
	bool		ok;
	int			sqlerrcode;
	char		message[WORKER_TEXT_MAX];
	char		detail[WORKER_TEXT_MAX];
	char		hint[WORKER_TEXT_MAX];
	char		data[FLEXIBLE_ARRAY_MEMBER];
} WorkerShared;

/* The string stored at "off" in the segment, or NULL. */
static const char *
shared_string(WorkerShared *shared, int off)
{
	return off < 0 ? NULL : shared->data + off;
}

/* Append "s" to the strings of the segment being filled; -1 for NULL. */
static int
put_string(char *data, int *used, const char *s)
{
	int			off;

	if (s == NULL)
		return -1;
	off = *used;
	strcpy(data + off, s);
	*used += strlen(s) + 1;
	return off;
}

/* Bytes "s" takes in the segment. */
static Size
string_size(const char *s)
{
	return s ? strlen(s) + 1 : 0;
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
	Size		size;
	dsm_segment *seg;
	WorkerShared *shared;
	int			used = 0;
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;
	BgwHandleStatus status;
	WorkerResult *result;
	char	   *origin_app;
	char	   *origin_addr;

	Assert(sql != NULL);
	if (!IsUnderPostmaster)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot start a background worker in a single-user server"),
				 errhint("Start the server normally to run statements that cannot run in a transaction block.")));
	check_worker_role(roleid);
	history_origin(&origin_app, &origin_addr);

	size = offsetof(WorkerShared, data) + string_size(sql) +
		string_size(version) + string_size(kind) + string_size(direction) +
		string_size(application_name) + string_size(origin_app) +
		string_size(origin_addr);
	seg = dsm_create(size, 0);
	shared = dsm_segment_address(seg);
	memset(shared, 0, offsetof(WorkerShared, data));
	shared->dboid = dboid;
	shared->roleid = roleid;
	shared->sql_off = put_string(shared->data, &used, sql);
	shared->version_off = put_string(shared->data, &used, version);
	shared->kind_off = put_string(shared->data, &used, kind);
	shared->direction_off = put_string(shared->data, &used, direction);
	shared->appname_off = put_string(shared->data, &used, application_name);
	shared->origin_app_off = put_string(shared->data, &used, origin_app);
	shared->origin_addr_off = put_string(shared->data, &used, origin_addr);

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
	(void) PortalRun(portal, FETCH_ALL, true, true, receiver, receiver, &qc);
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
	WorkerShared *shared;
	const char *version;
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
	shared = dsm_segment_address(seg);

	BackgroundWorkerInitializeConnectionByOid(shared->dboid, shared->roleid, 0);

	/* Events written here are the caller's: they say where it came from. */
	history_set_origin(shared_string(shared, shared->origin_app_off),
					   shared_string(shared, shared->origin_addr_off));
	if (shared_string(shared, shared->appname_off))
		SetConfigOption("application_name",
						shared_string(shared, shared->appname_off),
						PGC_USERSET, PGC_S_SESSION);
	version = shared_string(shared, shared->version_off);
	if (version)
		migrator_set_running_migration(version,
									   shared_string(shared, shared->kind_off),
									   shared_string(shared, shared->direction_off));

	worker_cxt = AllocSetContextCreate(TopMemoryContext, "migrator worker",
									   ALLOCSET_DEFAULT_SIZES);
	stmt_cxt = AllocSetContextCreate(worker_cxt, "migrator worker statement",
									 ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(worker_cxt);

	PG_TRY();
	{
		const char *script = shared_string(shared, shared->sql_off);

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

	migrator_set_running_migration(NULL, NULL, NULL);
	pg_write_barrier();
	shared->done = true;
	pgstat_report_activity(STATE_IDLE, NULL);
}
