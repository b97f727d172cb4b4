/*-------------------------------------------------------------------------
 *
 * deploy.c
 *	  CALL migrator.deploy(): apply pending migrations one transaction at a
 *	  time, without stalling the application behind a lock queue.
 *
 * deploy() is a C procedure that uses non-atomic SPI: it commits after
 * each migration, so an interruption leaves a clean prefix applied and the
 * rest pending.  migrator's advisory lock is held at session level for the
 * whole call (history.c takes the same lock per transaction), so that no
 * apply(), register() or second deploy() interleaves between the commits.
 *
 * A transactional migration runs through apply.c's migration_apply(), the
 * one function that applies a migration, inside a subtransaction with a
 * short lock_timeout.  When the timeout fires (55P03) the attempt is rolled
 * back, which releases every lock it took and lets the application's
 * queries that queued behind it through; deploy backs off with jitter and
 * tries again.  While an attempt waits, a repeating timer notes which lock
 * it waits for, so that when the retries run out the error can name the
 * sessions that hold that lock.
 *
 * A non-transactional migration runs in a background worker (worker.c),
 * each statement a top-level command, after deploy committed so that it
 * holds no snapshot the worker's CREATE INDEX CONCURRENTLY would wait for.
 * Its history row is written only when every statement succeeded; an
 * INVALID index a failed CREATE INDEX CONCURRENTLY leaves behind is dropped
 * (concurrently, by a worker too).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "common/pg_prng.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timeout.h"
#include "utils/timestamp.h"

#include "migrator.h"
#include "analyze.h"
#include "apply.h"
#include "deploy.h"
#include "fingerprint.h"
#include "history.h"
#include "script.h"
#include "session.h"
#include "worker.h"

PG_FUNCTION_INFO_V1(migrator_deploy);
PG_FUNCTION_INFO_V1(migrator_undeploy);

/* GUCs */
static int	deploy_lock_timeout = 300;	/* ms */
static int	deploy_lock_retries = 10;

/* Longest pause between two attempts, whatever the lock timeout. */
#define DEPLOY_MAX_BACKOFF_MS	10000

/* The timer that watches which lock an attempt waits for. */
static TimeoutId lock_watch_timeout = MAX_TIMEOUTS;
static LOCKTAG waited_tag;
static volatile sig_atomic_t waited_tag_valid = false;

/*
 * Define deploy's GUCs.  Both are USERSET: a deploy role chooses its own
 * bounds, and a per-call argument overrides them.
 */
void
DeployInit(void)
{
	DefineCustomIntVariable("migrator.lock_timeout",
							"Lock timeout of each attempt of a migration run by migrator.deploy().",
							"The application waits behind a migration's lock request for at most about this long.",
							&deploy_lock_timeout,
							300, 1, INT_MAX,
							PGC_USERSET, GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomIntVariable("migrator.lock_retries",
							"How many times migrator.deploy() retries a migration that timed out waiting for a lock.",
							NULL,
							&deploy_lock_retries,
							10, 0, 1000,
							PGC_USERSET, 0,
							NULL, NULL, NULL);
}

/* migrator.lock_timeout and migrator.lock_retries, for complete() and abort(). */
int
deploy_default_lock_timeout(void)
{
	return deploy_lock_timeout;
}

int
deploy_default_lock_retries(void)
{
	return deploy_lock_retries;
}

/*
 * Timer handler, in signal context: note the lock this backend is waiting
 * for, if any.  Only copies memory.
 */
static void
lock_watch_handler(void)
{
	PGPROC	   *proc = MyProc;

	if (proc != NULL && proc->waitLock != NULL)
	{
		waited_tag = proc->waitLock->tag;
		waited_tag_valid = true;
	}
}

/*
 * Start noting the lock this backend waits for, a few times per lock
 * timeout, so that the last lock waited for is known when it fires.
 */
static void
lock_watch_start(int lock_timeout_ms)
{
	int			every = Max(lock_timeout_ms / 4, 1);

	if (lock_watch_timeout == MAX_TIMEOUTS)
		lock_watch_timeout = RegisterTimeout(USER_TIMEOUT, lock_watch_handler);
	waited_tag_valid = false;
	enable_timeout_every(lock_watch_timeout,
						 TimestampTzPlusMilliseconds(GetCurrentTimestamp(), every),
						 every);
}

/* Stop the watch; harmless when it is not running. */
static void
lock_watch_stop(void)
{
	if (lock_watch_timeout != MAX_TIMEOUTS)
		disable_timeout(lock_watch_timeout, false);
}

/*
 * "pid 123 (application_name "app", state "idle in transaction",
 * transaction open for 00:00:04.2)" for each session that holds the lock
 * the last attempt waited for, oldest transaction first (for a row lock:
 * every session holding a lock on the row's table).  Runs as the caller,
 * so pg_stat_activity shows what the caller may see.
 */
static char *
describe_blockers(void)
{
	LOCKTAG		tag = waited_tag;
	const char *select =
		"SELECT a.pid, a.application_name, a.state, "
		"       pg_catalog.date_trunc('milliseconds', pg_catalog.clock_timestamp() - a.xact_start)::text "
		"  FROM pg_catalog.pg_stat_activity a "
		" WHERE a.pid <> pg_catalog.pg_backend_pid() AND a.pid IN "
		"       (SELECT l.pid FROM pg_catalog.pg_locks l WHERE l.granted AND ";
	const char *order = ") ORDER BY a.xact_start NULLS LAST LIMIT 5";
	char	   *what;
	char	   *condition;
	char	   *sql;
	StringInfoData buf;
	uint64		i;

	if (!waited_tag_valid)
		return pstrdup("a lock held by unknown sessions");

	switch ((LockTagType) tag.locktag_type)
	{
		case LOCKTAG_RELATION:
		case LOCKTAG_RELATION_EXTEND:
		case LOCKTAG_PAGE:
		case LOCKTAG_TUPLE:
			{
				char	   *relname = get_rel_name(tag.locktag_field2);
				char	   *nspname = get_namespace_name(get_rel_namespace(tag.locktag_field2));

				what = relname && nspname
					? psprintf("relation %s", quote_qualified_identifier(nspname, relname))
					: psprintf("relation with OID %u", tag.locktag_field2);
				condition = psprintf("l.database = %u AND l.relation = %u",
									 tag.locktag_field1, tag.locktag_field2);
				break;
			}
		case LOCKTAG_TRANSACTION:
			what = psprintf("transaction %u", tag.locktag_field1);
			condition = psprintf("l.locktype = 'transactionid' AND l.transactionid::text = '%u'",
								 tag.locktag_field1);
			break;
		case LOCKTAG_VIRTUALTRANSACTION:
			what = psprintf("virtual transaction %d/%u",
							(int) tag.locktag_field1, tag.locktag_field2);
			condition = psprintf("l.locktype = 'virtualxid' AND l.virtualxid = '%d/%u'",
								 (int) tag.locktag_field1, tag.locktag_field2);
			break;
		case LOCKTAG_ADVISORY:
		case LOCKTAG_OBJECT:
			what = psprintf("%s lock %u/%u/%u",
							tag.locktag_type == LOCKTAG_ADVISORY ? "advisory" : "object",
							tag.locktag_field2, tag.locktag_field3, tag.locktag_field4);
			condition = psprintf("l.locktype = '%s' AND l.database = %u AND l.classid = %u "
								 "AND l.objid = %u AND l.objsubid = %u",
								 tag.locktag_type == LOCKTAG_ADVISORY ? "advisory" : "object",
								 tag.locktag_field1, tag.locktag_field2,
								 tag.locktag_field3, tag.locktag_field4);
			break;
		default:
			return pstrdup("a lock held by unknown sessions");
	}
	sql = psprintf("%s%s%s", select, condition, order);

	if (SPI_execute(sql, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not list the sessions holding %s", what);

	initStringInfo(&buf);
	appendStringInfo(&buf, "%s, held by ", what);
	if (SPI_processed == 0)
		appendStringInfoString(&buf, "sessions that have since released it");
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		char	   *appname = SPI_getvalue(tup, desc, 2);
		char	   *state = SPI_getvalue(tup, desc, 3);
		char	   *age = SPI_getvalue(tup, desc, 4);

		if (i > 0)
			appendStringInfoString(&buf, ", ");
		appendStringInfo(&buf, "pid %s (application_name \"%s\", state \"%s\", transaction open for %s)",
						 SPI_getvalue(tup, desc, 1),
						 appname ? appname : "",
						 state ? state : "unknown",
						 age ? age : "unknown");
	}
	return buf.data;
}

/* What pg_stat_activity's query column says runs (deploy_set_activity()). */
static char activity_call[64] = "CALL migrator.deploy()";

/*
 * Show the current step in pg_stat_activity's query column.
 */
static void
report_step(const char *fmt,...) pg_attribute_printf(1, 2);

static void
report_step(const char *fmt,...)
{
	va_list		args;
	char		step[512];

	va_start(args, fmt);
	vsnprintf(step, sizeof(step), fmt, args);
	va_end(args);
	pgstat_report_activity(STATE_RUNNING, psprintf("%s -- %s", activity_call, step));
}

/*
 * The call that deploy_with_retries() runs for, as pg_stat_activity shows
 * it ("CALL migrator.complete()").  Copied: the caller's string may live in
 * a memory context that ends with its call, while the setting outlives it.
 */
void
deploy_set_activity(const char *call)
{
	strlcpy(activity_call, call, sizeof(activity_call));
}

/*
 * Sleep "ms" milliseconds, interruptibly.
 */
static void
deploy_sleep(int ms)
{
	TimestampTz end = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), ms);

	for (;;)
	{
		long		left = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), end);

		CHECK_FOR_INTERRUPTS();
		if (left <= 0)
			break;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 left, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

/*
 * Pause before attempt "attempt" (2, 3, ...): the lock timeout doubled at
 * each retry, capped, times a random factor in [0.5, 1.5) so that two
 * deploys, or a deploy and a periodic job, do not retry in lockstep.
 */
static int
backoff_ms(int lock_timeout_ms, int attempt)
{
	double		base = lock_timeout_ms;
	int			i;

	for (i = 2; i < attempt && base < DEPLOY_MAX_BACKOFF_MS; i++)
		base *= 2;
	base = Min(base, DEPLOY_MAX_BACKOFF_MS);
	return (int) (base * (0.5 + pg_prng_double(&pg_global_prng_state)));
}

/*
 * One attempt at "step", in a subtransaction with lock_timeout set.
 * Returns NULL on success (the outer transaction then holds what the step
 * did), else the error, after rolling the attempt back.
 */
static ErrorData *
try_step(DeployStep step, void *arg, int lock_timeout_ms)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	ErrorData  *volatile error = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);

	PG_TRY();
	{
		int			save_nestlevel = NewGUCNestLevel();

		(void) set_config_option("lock_timeout", psprintf("%d", lock_timeout_ms),
								 PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
		lock_watch_start(lock_timeout_ms);
		step(arg);
		lock_watch_stop();
		AtEOXact_GUC(true, save_nestlevel);

		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		lock_watch_stop();
		error = subtransaction_abort(oldcxt, oldowner);
	}
	PG_END_TRY();

	return error;
}

/*
 * Run "step" ("what" of migration "version" of "kind", recorded as
 * "action" in events) in the current transaction, retrying on lock
 * timeout: each attempt waits at most "lock_timeout_ms" for its locks and
 * is rolled back when it times out, which lets the application's queries
 * queued behind it through; the next one follows after a pause with
 * jitter.  Returns the number of retries.  When they run out, or the step
 * fails otherwise, records the outcome as an event, commits it, and
 * raises the error (naming the sessions that held the lock).  The caller
 * is connected to SPI, non-atomic.  Used for the migrations of deploy()
 * and for each step of a staged change (staged.c).
 */
int
deploy_with_retries(const char *version, const char *kind, const char *action,
					const char *what, DeployStep step, void *arg,
					int lock_timeout_ms, int lock_retries)
{
	bool		down = strcmp(action, "rollback") == 0;
	int			attempt;

	for (attempt = 1;; attempt++)
	{
		ErrorData  *error;
		char	   *blockers;
		int			pause;

		report_step("%s %s (%s), attempt %d", what, version, kind, attempt);
		error = try_step(step, arg, lock_timeout_ms);
		if (error == NULL)
			return attempt - 1;
		if (error->sqlerrcode != ERRCODE_LOCK_NOT_AVAILABLE)
		{
			/* The step failed: say so in the events, then re-raise. */
			history_event(version, action, kind, "failed", NULL, NULL,
						  error->message);
			SPI_commit();
			ReThrowError(error);
		}

		blockers = describe_blockers();
		if (attempt > lock_retries)
		{
			history_event(version, action, kind, "partial", NULL, NULL,
						  psprintf(ngettext("lock timeout after %d attempt: %s",
											"lock timeout after %d attempts: %s",
											attempt),
								   attempt, blockers));
			SPI_commit();
			ereport(ERROR,
					(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
					 errmsg_plural("%s \"%s\" could not take its locks after %d attempt",
								   "%s \"%s\" could not take its locks after %d attempts",
								   attempt, what, version, attempt),
					 errdetail_plural("The attempt waited %d ms for %s.",
									  "Each attempt waited %d ms for %s.",
									  attempt, lock_timeout_ms, blockers),
					 down
					 ? errhint("End the blocking sessions or wait for them, then run CALL migrator.undeploy() again: migrations rolled back so far stay pending.")
					 : errhint("End the blocking sessions or wait for them, then run CALL migrator.deploy() again: migrations deployed so far stay applied.")));
		}

		pause = backoff_ms(lock_timeout_ms, attempt + 1);
		ereport(NOTICE,
				(errmsg("%s %s: lock timeout on attempt %d of %d, retrying in %d ms",
						what, version, attempt, lock_retries + 1, pause),
				 errdetail("Waited %d ms for %s.", lock_timeout_ms, blockers)));
		FreeErrorData(error);
		/* Nothing of the attempt is held while we wait. */
		SPI_commit();
		report_step("%s %s (%s), waiting %d ms before attempt %d",
					what, version, kind, pause, attempt + 1);
		deploy_sleep(pause);
	}
}

/*
 * A transactional migration, as one step: apply it, record its row and
 * event (deploy() commits each migration, so they go with it), record the
 * schema.
 */
static void
apply_step(void *arg)
{
	ApplyCall	call = {0};

	(void) migration_apply((Migration *) arg, &call);
	migrations_record_applied(&call);
	/* drift() compares with the schema as each commit leaves it */
	fingerprint_record("deploy");
}

/* A transactional migration, as one step: roll it back, record the schema. */
static void
rollback_step(void *arg)
{
	(void) migration_rollback((Migration *) arg);
	fingerprint_record("undeploy");
}

/*
 * Apply ("up") or roll back transactional migration "m", retrying on lock
 * timeout.  Returns the number of retries.
 */
static int
step_transactional(Migration *m, bool up, int lock_timeout_ms, int lock_retries)
{
	return deploy_with_retries(m->version, m->kind, up ? "apply" : "rollback",
							   "migration", up ? apply_step : rollback_step, m,
							   lock_timeout_ms, lock_retries);
}

/* An invalid index found by invalid_indexes(). */
typedef struct InvalidIndex
{
	Oid			oid;
	char	   *name;			/* unqualified */
	char	   *qualified;		/* quoted, schema-qualified */
} InvalidIndex;

/*
 * The tables the CREATE INDEX CONCURRENTLY statements of "statements" are
 * on, as OIDs (those that do not exist yet are left out).
 */
static List *
concurrent_index_tables(List *statements)
{
	List	   *tables = NIL;
	ListCell   *lc;

	foreach(lc, statements)
	{
		ScriptStatement *st = lfirst(lc);
		RangeVar   *table;
		const char *index;
		Oid			relid;

		if (!statement_index_concurrently(st->raw->stmt, &table, &index))
			continue;
		relid = RangeVarGetRelid(table, NoLock, true);
		if (OidIsValid(relid))
			tables = list_append_unique_oid(tables, relid);
	}
	return tables;
}

/*
 * The INVALID indexes on "tables".
 */
static List *
invalid_indexes(List *tables)
{
	List	   *result = NIL;
	ListCell   *lc;

	foreach(lc, tables)
	{
		Oid			type = OIDOID;
		Datum		value = ObjectIdGetDatum(lfirst_oid(lc));
		uint64		i;

		if (SPI_execute_with_args("SELECT i.indexrelid, c.relname, "
								  "       pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname) "
								  "  FROM pg_catalog.pg_index i "
								  "  JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid "
								  "  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
								  " WHERE i.indrelid = $1 AND NOT i.indisvalid",
								  1, &type, &value, NULL, true, 0) != SPI_OK_SELECT)
			elog(ERROR, "could not list invalid indexes");
		for (i = 0; i < SPI_processed; i++)
		{
			HeapTuple	tup = SPI_tuptable->vals[i];
			TupleDesc	desc = SPI_tuptable->tupdesc;
			InvalidIndex *ii = palloc(sizeof(InvalidIndex));
			bool		isnull;

			ii->oid = DatumGetObjectId(SPI_getbinval(tup, desc, 1, &isnull));
			ii->name = SPI_getvalue(tup, desc, 2);
			ii->qualified = SPI_getvalue(tup, desc, 3);
			result = lappend(result, ii);
		}
	}
	return result;
}

/* Whether "list" (of InvalidIndex) holds the index "oid". */
static bool
index_in_list(List *list, Oid oid)
{
	ListCell   *lc;

	foreach(lc, list)
		if (((InvalidIndex *) lfirst(lc))->oid == oid)
			return true;
	return false;
}

/*
 * Drop the invalid indexes "drop" with DROP INDEX CONCURRENTLY, in a
 * worker, as the caller.  The caller has committed (holds no snapshot).
 * "why" says where they come from, for the NOTICE.
 */
static void
drop_invalid_indexes(Migration *m, List *drop, const char *why)
{
	ListCell   *lc;

	foreach(lc, drop)
	{
		InvalidIndex *ii = lfirst(lc);
		WorkerResult *res;

		ereport(NOTICE,
				(errmsg("migration %s: dropping invalid index %s", m->version, ii->qualified),
				 errdetail("%s", why)));
		report_step("migration %s, dropping invalid index %s", m->version, ii->qualified);
		res = worker_run_sql(MyDatabaseId, GetUserId(),
							 psprintf("DROP INDEX CONCURRENTLY IF EXISTS %s", ii->qualified),
							 NULL, NULL, NULL, "migrator deploy: cleanup");
		if (!res->ok)
			ereport(ERROR,
					(errcode(res->sqlerrcode),
					 errmsg("could not drop invalid index %s: %s", ii->qualified, res->message),
					 res->detail ? errdetail("%s", res->detail) : 0,
					 errhint("Drop it by hand with DROP INDEX CONCURRENTLY, then run CALL migrator.deploy() again.")));
	}
}

/*
 * Apply non-transactional migration "m" through a background worker.
 * Returns with the history row written in the current transaction; on
 * failure, cleans up, records a 'failed' event, commits it and raises the
 * statement's error.
 */
static void
deploy_nontransactional(Migration *m)
{
	List	   *statements;
	List	   *tables;
	List	   *before;
	List	   *leftovers = NIL;
	ListCell   *lc;
	TimestampTz start;
	WorkerResult *res;

	migration_check_checksum(m);
	statements = script_parse(m->up, "up script");
	tables = concurrent_index_tables(statements);
	before = invalid_indexes(tables);

	/*
	 * An invalid index with the name a statement of this migration creates
	 * was left by an earlier, interrupted attempt: drop it before retrying.
	 */
	foreach(lc, statements)
	{
		ScriptStatement *st = lfirst(lc);
		RangeVar   *table;
		const char *index;
		ListCell   *lc2;

		if (!statement_index_concurrently(st->raw->stmt, &table, &index) ||
			index == NULL)
			continue;
		foreach(lc2, before)
		{
			InvalidIndex *ii = lfirst(lc2);

			if (strcmp(ii->name, index) == 0)
				leftovers = lappend(leftovers, ii);
		}
	}
	SPI_commit();
	drop_invalid_indexes(m, leftovers,
						 "An earlier attempt at this migration was interrupted while it created the index.");

	report_step("migration %s (%s, non-transactional), in a background worker",
				m->version, m->kind);
	start = GetCurrentTimestamp();
	res = worker_run_sql(MyDatabaseId, GetUserId(), m->up, m->version,
						 m->kind, "up",
						 psprintf("migrator deploy %s", m->version));
	if (res->ok)
	{
		migration_record_applied(m, elapsed_interval(start));
		fingerprint_record("deploy");
		return;
	}

	/* Indexes the failed run left invalid. */
	{
		List	   *after = invalid_indexes(tables);
		List	   *left = NIL;

		foreach(lc, after)
		{
			InvalidIndex *ii = lfirst(lc);

			if (!index_in_list(before, ii->oid) || list_member_ptr(leftovers, ii))
				left = lappend(left, ii);
		}
		history_event(m->version, "apply", m->kind, "failed", NULL,
					  res->statement > 0 && res->statement <= list_length(statements)
					  ? ((ScriptStatement *) list_nth(statements, res->statement - 1))->sql
					  : NULL,
					  res->message);
		SPI_commit();
		drop_invalid_indexes(m, left,
							 "A statement of this migration failed while it created the index, which left it INVALID.");
	}

	ereport(ERROR,
			(errcode(res->sqlerrcode),
			 errmsg_internal("%s", res->message),
			 res->detail ? errdetail_internal("%s", res->detail) : 0,
			 res->hint ? errhint("%s", res->hint) : 0,
			 errcontext("migration %s, up statement %d (run outside a transaction block by a background worker)",
						m->version, res->statement)));
}

/* migrator's advisory lock, as history_lock() takes it, at session level. */
static void
deploy_lock_tag(LOCKTAG *tag)
{
	SET_LOCKTAG_ADVISORY(*tag, MyDatabaseId, MIGRATOR_LOCK_KEY1,
						 MIGRATOR_LOCK_KEY2, 2);
}

/*
 * The lock_timeout argument in milliseconds (a month counts 30 days).
 */
int
deploy_interval_ms(Interval *iv)
{
	int64		ms = iv->time / 1000 +
		((int64) iv->day + (int64) iv->month * DAYS_PER_MONTH) * (USECS_PER_DAY / 1000);

	if (ms < 1 || ms > INT_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("lock_timeout must be between 1 millisecond and %d milliseconds", INT_MAX)));
	return (int) ms;
}

/*
 * Entry of deploy() and undeploy(): they must be CALLed outside a
 * transaction block (they commit), change state, and hold migrator's
 * advisory lock at session level for the whole call (a waiter is told).
 * Returns with SPI connected non-atomically and the lock in "tag".
 */
static void
procedure_begin(FunctionCallInfo fcinfo, const char *procedure, const char *doing,
				const char *hint, LOCKTAG *tag)
{
	if (fcinfo->context == NULL || !IsA(fcinfo->context, CallContext) ||
		castNode(CallContext, fcinfo->context)->atomic)
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("migrator.%s() cannot run inside a transaction block", procedure),
				 errdetail("It commits after each migration."),
				 errhint("Run CALL migrator.%s() on its own, not inside BEGIN or a function; %s",
						 procedure, hint)));
	session_begin_state_change(psprintf("migrator.%s()", procedure));
	deploy_set_activity(psprintf("CALL migrator.%s()", procedure));

	SPI_connect_ext(SPI_OPT_NONATOMIC);

	deploy_lock_tag(tag);
	if (LockAcquire(tag, ExclusiveLock, true, true) == LOCKACQUIRE_NOT_AVAIL)
	{
		ereport(NOTICE,
				(errmsg("waiting for another migrator session to finish before %s", doing),
				 errdetail("Another session holds migrator's lock (advisory lock %u/%u in pg_locks).",
						   MIGRATOR_LOCK_KEY1, MIGRATOR_LOCK_KEY2)));
		(void) LockAcquire(tag, ExclusiveLock, true, false);
	}
}

/*
 * CALL migrator.deploy(target text, lock_timeout interval,
 *						lock_retries integer, allow_out_of_order boolean)
 */
Datum
migrator_deploy(PG_FUNCTION_ARGS)
{
	char	   *target = PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0));
	int			lock_timeout_ms = PG_ARGISNULL(1) ? deploy_lock_timeout
		: deploy_interval_ms(PG_GETARG_INTERVAL_P(1));
	int			lock_retries = PG_ARGISNULL(2) ? deploy_lock_retries : PG_GETARG_INT32(2);
	bool		allow_out_of_order = !PG_ARGISNULL(3) && PG_GETARG_BOOL(3);
	const char *query = debug_query_string;
	LOCKTAG		tag;
	int			deployed = 0;

	if (lock_retries < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("lock_retries must not be negative")));
	procedure_begin(fcinfo, "deploy", "deploying migrations",
					"migrator.apply() applies migrations in the caller's transaction.", &tag);

	PG_TRY();
	{
		List	   *todo = pending_migrations(target, allow_out_of_order, true);
		ListCell   *lc;

		migration_begin_call(todo);
		SPI_commit();
		foreach(lc, todo)
		{
			Migration  *m = lfirst(lc);
			TimestampTz start = GetCurrentTimestamp();
			int			retries = 0;

			const StagedRoutines *staged = migration_staged_routines(m);

			if (staged)
				retries = staged->deploy(m, lock_timeout_ms, lock_retries);
			else if (m->transactional)
				retries = step_transactional(m, true, lock_timeout_ms, lock_retries);
			else
				deploy_nontransactional(m);
			SPI_commit();
			deployed++;
			ereport(NOTICE,
					(errmsg_plural("migration %s (%s%s) applied in %s with %d retry",
								   "migration %s (%s%s) applied in %s with %d retries",
								   retries,
								   m->version, m->kind,
								   m->transactional ? "" : ", non-transactional",
								   interval_text(elapsed_interval(start)),
								   retries)));
		}
		ereport(NOTICE,
				(errmsg_plural("deployed %d migration", "deployed %d migrations",
							   deployed, deployed)));
	}
	PG_FINALLY();
	{
		lock_watch_stop();
		LockRelease(&tag, ExclusiveLock, true);
		if (query)
			pgstat_report_activity(STATE_RUNNING, query);
	}
	PG_END_TRY();

	SPI_finish();
	PG_RETURN_VOID();
}

/*
 * Roll back migration "m", whose down script needs to run outside a
 * transaction block, through a background worker that marks the migration
 * as running its down script (so that the guard judges the statements as
 * that script's).  The caller has committed and holds no snapshot.
 * Returns with the history row written in the current transaction; on
 * failure records a 'failed' event, commits it and raises the statement's
 * error.
 */
static void
undeploy_nontransactional(Migration *m)
{
	List	   *statements = script_parse(m->down, "down script");
	TimestampTz start;
	WorkerResult *res;

	report_step("migration %s (%s, down), in a background worker", m->version, m->kind);
	start = GetCurrentTimestamp();
	res = worker_run_sql(MyDatabaseId, GetUserId(), m->down, m->version,
						 m->kind, "down",
						 psprintf("migrator undeploy %s", m->version));
	if (res->ok)
	{
		migration_record_rolled_back(m, elapsed_interval(start));
		fingerprint_record("undeploy");
		return;
	}

	history_event(m->version, "rollback", m->kind, "failed", NULL,
				  res->statement > 0 && res->statement <= list_length(statements)
				  ? ((ScriptStatement *) list_nth(statements, res->statement - 1))->sql
				  : NULL,
				  res->message);
	SPI_commit();
	ereport(ERROR,
			(errcode(res->sqlerrcode),
			 errmsg_internal("%s", res->message),
			 res->detail ? errdetail_internal("%s", res->detail) : 0,
			 res->hint ? errhint("%s", res->hint) : 0,
			 errcontext("migration %s, down statement %d (run outside a transaction block by a background worker)",
						m->version, res->statement)));
}

/*
 * CALL migrator.undeploy(steps integer, target text, lock_timeout interval,
 *						  lock_retries integer)
 *
 * What deploy() is to apply(), undeploy() is to rollback() and
 * rollback_to(): the most recently applied "steps" migrations (1 when
 * neither is given), or every migration applied after "target", are rolled
 * back one transaction each, most recent first.  A down script that can
 * run in a transaction runs in a subtransaction with a short lock_timeout,
 * retried on lock timeout; one that cannot (DROP INDEX CONCURRENTLY) runs
 * in a background worker, statement by statement.  Every migration must
 * have a down script; this is checked before anything runs.
 */
Datum
migrator_undeploy(PG_FUNCTION_ARGS)
{
	bool		have_steps = !PG_ARGISNULL(0);
	int			steps = have_steps ? PG_GETARG_INT32(0) : 1;
	char	   *target = PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1));
	int			lock_timeout_ms = PG_ARGISNULL(2) ? deploy_lock_timeout
		: deploy_interval_ms(PG_GETARG_INTERVAL_P(2));
	int			lock_retries = PG_ARGISNULL(3) ? deploy_lock_retries : PG_GETARG_INT32(3);
	const char *query = debug_query_string;
	LOCKTAG		tag;
	int			undone = 0;

	if (have_steps && target)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("undeploy() takes steps or target, not both")));
	if (steps < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("steps must not be negative")));
	if (lock_retries < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("lock_retries must not be negative")));
	procedure_begin(fcinfo, "undeploy", "rolling back migrations",
					"migrator.rollback() rolls back in the caller's transaction.", &tag);

	PG_TRY();
	{
		List	   *todo = migrations_to_roll_back(steps, target);
		ListCell   *lc;

		migrations_check_rollback(todo, false);
		SPI_commit();
		foreach(lc, todo)
		{
			Migration  *m = lfirst(lc);
			TimestampTz start = GetCurrentTimestamp();
			bool		outside = migration_down_needs_autocommit(m) != NULL;
			int			retries = 0;

			if (outside)
				undeploy_nontransactional(m);
			else
				retries = step_transactional(m, false, lock_timeout_ms, lock_retries);
			SPI_commit();
			undone++;
			ereport(NOTICE,
					(errmsg_plural("migration %s (%s%s) rolled back in %s with %d retry",
								   "migration %s (%s%s) rolled back in %s with %d retries",
								   retries,
								   m->version, m->kind,
								   outside ? ", outside a transaction block" : "",
								   interval_text(elapsed_interval(start)),
								   retries)));
		}
		ereport(NOTICE,
				(errmsg_plural("rolled back %d migration", "rolled back %d migrations",
							   undone, undone)));
	}
	PG_FINALLY();
	{
		lock_watch_stop();
		LockRelease(&tag, ExclusiveLock, true);
		if (query)
			pgstat_report_activity(STATE_RUNNING, query);
	}
	PG_END_TRY();

	SPI_finish();
	PG_RETURN_VOID();
}
