/*-------------------------------------------------------------------------
 *
 * history.c
 *	  Access to migrator's catalog: migrations, events, the apply lock.
 *
 * Callers of migrator's functions need EXECUTE on them, never privileges on
 * the tables: every read and write of the catalog goes through
 * history_exec(), which runs one SQL statement under the identity of the
 * extension's owner with search_path pinned to pg_catalog.  User SQL (up,
 * down, verify scripts) never runs here; it runs with the caller's rights in
 * script.c.  While history_exec() runs, the protect_history trigger lets
 * UPDATE and DELETE through; at any other time it refuses them, whoever
 * asks.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "commands/extension.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "migrator.h"
#include "history.h"
#include "session.h"
#include "worker.h"

/* Nesting depth of history_exec(); the trigger lets writes through above 0. */
static int	history_write_depth = 0;

/*
 * Plans of history_exec()'s statements, kept for the session and looked up
 * by their text (migrator issues a few dozen distinct statements; past
 * HISTORY_MAX_PLANS, statements are planned each time).  A plan whose
 * tables were dropped and created again (DROP/CREATE EXTENSION) is replanned
 * by the plan cache.
 */
#define HISTORY_MAX_PLANS 64
typedef struct HistoryPlan
{
	const char *sql;
	SPIPlanPtr	plan;
} HistoryPlan;
static HistoryPlan history_plans[HISTORY_MAX_PLANS];
static int	history_nplans = 0;

static SPIPlanPtr
history_plan(const char *sql, int nargs, Oid *argtypes)
{
	SPIPlanPtr	plan;
	int			i;

	for (i = 0; i < history_nplans; i++)
		if (strcmp(history_plans[i].sql, sql) == 0)
			return history_plans[i].plan;

	plan = SPI_prepare(sql, nargs, argtypes);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed on migrator catalog: %s",
			 SPI_result_code_string(SPI_result));
	if (history_nplans < HISTORY_MAX_PLANS)
	{
		SPI_keepplan(plan);
		history_plans[history_nplans].sql = MemoryContextStrdup(TopMemoryContext, sql);
		history_plans[history_nplans].plan = plan;
		history_nplans++;
	}
	return plan;
}

/*
 * The owner of the migrator extension in this database: one index scan of
 * pg_extension by name, made whenever the owner is needed (REASSIGN OWNED,
 * even inside a migration, may have given the extension another owner; no
 * cache could see that on every server version).  Callers keep the number
 * of lookups down by recording a whole call at once (history_events(),
 * migrations_record_applied()).
 */
Oid
migrator_extension_owner(void)
{
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	Oid			owner = InvalidOid;
	bool		found = false;

	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_extname, BTEqualStrategyNumber,
				F_NAMEEQ, CStringGetDatum("migrator"));
	scan = systable_beginscan(rel, ExtensionNameIndexId, true, NULL, 1, &key);
	tuple = systable_getnext(scan);
	if (HeapTupleIsValid(tuple))
	{
		owner = ((Form_pg_extension) GETSTRUCT(tuple))->extowner;
		found = true;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);

	if (!found)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("extension \"migrator\" is not installed in this database")));
	if (!OidIsValid(owner))
		elog(ERROR, "could not find the owner of extension \"migrator\"");
	return owner;
}

/*
 * Run one statement on migrator's catalog as the extension owner, with
 * search_path pinned; its plan is kept for the session.  The caller has
 * done SPI_connect(); results are in
 * SPI_tuptable.  Returns the SPI result code.
 */
int
history_exec(const char *sql, int nargs, Oid *argtypes, Datum *values,
			 const char *nulls)
{
	Oid			save_userid;
	int			save_sec_context;
	int			save_nestlevel;
	int			rc;

	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(migrator_extension_owner(),
						   save_sec_context | SECURITY_LOCAL_USERID_CHANGE);
	save_nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	history_write_depth++;

	PG_TRY();
	{
		rc = SPI_execute_plan(history_plan(sql, nargs, argtypes), values, nulls,
							  false, 0);
		if (rc < 0)
			elog(ERROR, "SPI_execute_plan failed on migrator catalog: %s",
				 SPI_result_code_string(rc));
	}
	PG_FINALLY();
	{
		history_write_depth--;
	}
	PG_END_TRY();

	AtEOXact_GUC(true, save_nestlevel);
	SetUserIdAndSecContext(save_userid, save_sec_context);
	return rc;
}

bool
history_write_in_progress(void)
{
	return history_write_depth > 0;
}

/*
 * Whether migrator.events has the columns added in 0.2.  The library of a
 * newer version is loaded before ALTER EXTENSION migrator UPDATE runs in
 * each database, so it writes rows of the installed version's shape.
 */
bool
history_events_have_client(void)
{
	Oid			nsp = get_namespace_oid("migrator", true);
	Oid			rel = OidIsValid(nsp) ? get_relname_relid("events", nsp) : InvalidOid;

	return OidIsValid(rel) &&
		get_attnum(rel, "client_addr") != InvalidAttrNumber &&
		get_attnum(rel, "application_name") != InvalidAttrNumber;
}

/*
 * Whether migrator.events has the object column added in 0.3, and with it
 * the actions and outcomes of 0.3 (observe, guard_off, exempt, ...).
 */
bool
history_events_have_object(void)
{
	Oid			nsp = get_namespace_oid("migrator", true);
	Oid			rel = OidIsValid(nsp) ? get_relname_relid("events", nsp) : InvalidOid;

	return OidIsValid(rel) && get_attnum(rel, "object") != InvalidAttrNumber;
}

/*
 * Whether migrator.migrations has the columns added in 0.3 for imported
 * histories (imported, irreversible).
 */
bool
history_migrations_have_import(void)
{
	Oid			nsp = get_namespace_oid("migrator", true);
	Oid			rel = OidIsValid(nsp) ? get_relname_relid("migrations", nsp) : InvalidOid;

	return OidIsValid(rel) &&
		get_attnum(rel, "imported") != InvalidAttrNumber &&
		get_attnum(rel, "irreversible") != InvalidAttrNumber;
}

/*
 * Why migration "version" cannot be rolled back ("irreversible
 * (imported)"), or NULL when it can as far as migrator knows, or when the
 * installed objects predate 0.3.  The caller has done SPI_connect().
 */
char *
history_irreversible(const char *version)
{
	Oid			type = TEXTOID;
	Datum		value = CStringGetTextDatum(version);

	if (!history_migrations_have_import())
		return NULL;
	history_exec("SELECT irreversible FROM migrator.migrations WHERE version = $1",
				 1, &type, &value, NULL);
	if (SPI_processed == 0)
		return NULL;
	return SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
}

/*
 * Append one row to migrator.events.
 */
void
history_event(const char *version, const char *action,
			  const char *migration_type, const char *outcome,
			  const char *rule, const char *statement, const char *detail)
{
	history_event_object(version, action, migration_type, outcome, rule, NULL,
						 statement, detail);
}

/*
 * Append one row to migrator.events about "object" (as the guard names
 * it), in the caller's transaction.  Before 0.3 the table has no object
 * column, and the object is left out.
 */
void
history_event_object(const char *version, const char *action,
					 const char *migration_type, const char *outcome,
					 const char *rule, const char *object,
					 const char *statement, const char *detail)
{
	Oid			types[11] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID,
	TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID};
	Datum		values[11];
	char		nulls[11];
	const char *args[11];
	char	   *appname;
	char	   *addr;
	int			i;

	session_origin(&appname, &addr);
	args[0] = version;
	args[1] = action;
	args[2] = migration_type;
	args[3] = outcome;
	args[4] = rule;
	args[5] = statement;
	args[6] = detail;
	args[7] = GetUserNameFromId(GetUserId(), false);
	args[8] = appname;
	args[9] = addr;
	args[10] = object;
	for (i = 0; i < 11; i++)
	{
		values[i] = args[i] ? CStringGetTextDatum(args[i]) : (Datum) 0;
		nulls[i] = args[i] ? ' ' : 'n';
	}

	if (history_events_have_object())
		history_exec("INSERT INTO migrator.events "
					 "(version, action, migration_type, outcome, rule, statement, detail, role, "
					 "application_name, client_addr, object) "
					 "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::inet, $11)",
					 11, types, values, nulls);
	else if (history_events_have_client())
		history_exec("INSERT INTO migrator.events "
					 "(version, action, migration_type, outcome, rule, statement, detail, role, "
					 "application_name, client_addr) "
					 "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::inet)",
					 10, types, values, nulls);
	else
		history_exec("INSERT INTO migrator.events "
					 "(version, action, migration_type, outcome, rule, statement, detail, role) "
					 "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
					 8, types, values, nulls);
}

/*
 * An events row, timestamped now, for history_events().
 */
HistoryEvent *
history_event_make(const char *version, const char *action,
				   const char *migration_type, const char *outcome,
				   const char *rule, const char *statement, const char *detail)
{
	HistoryEvent *e = palloc(sizeof(HistoryEvent));

	e->at = GetCurrentTimestamp();
	e->version = version;
	e->action = action;
	e->migration_type = migration_type;
	e->outcome = outcome;
	e->rule = rule;
	e->statement = statement;
	e->detail = detail;
	return e;
}

/* The text[] of one field of "events", at offset "field" of HistoryEvent. */
static Datum
event_text_array(List *events, size_t field)
{
	int			n = list_length(events);
	Datum	   *elems = palloc(sizeof(Datum) * Max(n, 1));
	bool	   *nulls = palloc(sizeof(bool) * Max(n, 1));
	int			dims[1] = {n};
	int			lbs[1] = {1};
	int			i = 0;
	ListCell   *lc;

	foreach(lc, events)
	{
		const char *s = *(const char **) ((char *) lfirst(lc) + field);

		nulls[i] = (s == NULL);
		elems[i] = s ? CStringGetTextDatum(s) : (Datum) 0;
		i++;
	}
	return PointerGetDatum(construct_md_array(elems, nulls, 1, dims, lbs,
											  TEXTOID, -1, false, TYPALIGN_INT));
}

/*
 * Append rows to migrator.events, in list order, with one statement
 * whatever their number (apply() writes the events of a whole call at
 * once).  Each row carries its own time, the current role and where the
 * call came from.
 */
void
history_events(List *events)
{
	Oid			types[11] = {TIMESTAMPTZARRAYOID, TEXTARRAYOID, TEXTARRAYOID,
		TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID,
	TEXTOID, TEXTOID, TEXTOID};
	Datum		values[11];
	char		nulls[11];
	Datum	   *at;
	char	   *appname;
	char	   *addr;
	int			i = 0;
	ListCell   *lc;

	if (events == NIL)
		return;
	if (list_length(events) == 1)
	{
		HistoryEvent *e = linitial(events);

		/* the one-row form (and the time of the insert, as before) */
		history_event(e->version, e->action, e->migration_type, e->outcome,
					  e->rule, e->statement, e->detail);
		return;
	}
	at = palloc(sizeof(Datum) * list_length(events));
	foreach(lc, events)
		at[i++] = TimestampTzGetDatum(((HistoryEvent *) lfirst(lc))->at);
	values[0] = PointerGetDatum(construct_array(at, list_length(events),
												TIMESTAMPTZOID, sizeof(TimestampTz),
												FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	values[1] = event_text_array(events, offsetof(HistoryEvent, version));
	values[2] = event_text_array(events, offsetof(HistoryEvent, action));
	values[3] = event_text_array(events, offsetof(HistoryEvent, migration_type));
	values[4] = event_text_array(events, offsetof(HistoryEvent, outcome));
	values[5] = event_text_array(events, offsetof(HistoryEvent, rule));
	values[6] = event_text_array(events, offsetof(HistoryEvent, statement));
	values[7] = event_text_array(events, offsetof(HistoryEvent, detail));
	values[8] = CStringGetTextDatum(GetUserNameFromId(GetUserId(), false));
	session_origin(&appname, &addr);
	values[9] = appname ? CStringGetTextDatum(appname) : (Datum) 0;
	values[10] = addr ? CStringGetTextDatum(addr) : (Datum) 0;
	memset(nulls, ' ', sizeof(nulls));
	nulls[9] = appname ? ' ' : 'n';
	nulls[10] = addr ? ' ' : 'n';

	if (history_events_have_client())
		history_exec("INSERT INTO migrator.events "
					 "(at, version, action, migration_type, outcome, rule, statement, detail, role, "
					 "application_name, client_addr) "
					 "SELECT e.at, e.version, e.action, e.migration_type, e.outcome, e.rule, "
					 "       e.statement, e.detail, $9, $10, $11::inet "
					 "  FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3), "
					 "       pg_catalog.unnest($4), pg_catalog.unnest($5), pg_catalog.unnest($6), "
					 "       pg_catalog.unnest($7), pg_catalog.unnest($8)) WITH ORDINALITY "
					 "       AS e(at, version, action, migration_type, outcome, rule, statement, detail, n) "
					 " ORDER BY e.n",
					 11, types, values, nulls);
	else
		history_exec("INSERT INTO migrator.events "
					 "(at, version, action, migration_type, outcome, rule, statement, detail, role) "
					 "SELECT e.at, e.version, e.action, e.migration_type, e.outcome, e.rule, "
					 "       e.statement, e.detail, $9 "
					 "  FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3), "
					 "       pg_catalog.unnest($4), pg_catalog.unnest($5), pg_catalog.unnest($6), "
					 "       pg_catalog.unnest($7), pg_catalog.unnest($8)) WITH ORDINALITY "
					 "       AS e(at, version, action, migration_type, outcome, rule, statement, detail, n) "
					 " ORDER BY e.n",
					 9, types, values, nulls);
}

/*
 * Whether migrator.migrations has the column added in 0.3 for the
 * statement boundaries of the up script (see history_events_have_client()).
 */
bool
history_migrations_have_bounds(void)
{
	Oid			nsp = get_namespace_oid("migrator", true);
	Oid			rel = OidIsValid(nsp) ? get_relname_relid("migrations", nsp) : InvalidOid;

	return OidIsValid(rel) &&
		get_attnum(rel, "up_statements") != InvalidAttrNumber;
}

/* A SQL literal of "s", or NULL. */
static char *
literal_or_null(const char *s)
{
	return s ? quote_literal_cstr(s) : pstrdup("NULL");
}

/*
 * Append one row to migrator.events that survives the rollback of the
 * current transaction: a refusal is recorded this way right before the
 * ERROR that refuses.  A background worker inserts the row in a transaction
 * of its own, as the extension owner.  Failing to record (no worker slot,
 * a standby, the owner cannot log in) is logged, never raised, so that it
 * cannot hide the refusal; the caller's ERROR follows at once and aborts
 * the transaction.
 */
void
history_event_autonomous(const char *version, const char *action,
						 const char *migration_type, const char *outcome,
						 const char *rule, const char *statement,
						 const char *detail)
{
	history_event_autonomous_object(version, action, migration_type, outcome,
									rule, NULL, statement, detail);
}

/*
 * history_event_autonomous() for an event about "object" (a refusal of the
 * guard); before 0.3 the object is left out.
 */
void
history_event_autonomous_object(const char *version, const char *action,
								const char *migration_type, const char *outcome,
								const char *rule, const char *object,
								const char *statement, const char *detail)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	char	   *dbname = get_database_name(MyDatabaseId);
	char	   *appname;
	char	   *addr;
	char	   *origin = "";
	char	   *sql;

	/*
	 * The worker's own session is not where the call came from: the
	 * caller's origin is written out.
	 */
	session_origin(&appname, &addr);
	if (history_events_have_object())
		origin = psprintf(", %s, %s, %s", literal_or_null(appname), literal_or_null(addr),
						  literal_or_null(object));
	else if (history_events_have_client())
		origin = psprintf(", %s, %s", literal_or_null(appname), literal_or_null(addr));
	sql = psprintf("SET lock_timeout = '2s';\n"
				   "INSERT INTO migrator.events (version, action, migration_type, outcome, "
				   "role, database, rule, statement, detail%s) VALUES "
				   "(%s, %s, %s, %s, %s, %s, %s, %s, %s%s)",
				   !origin[0] ? ""
				   : history_events_have_object() ? ", application_name, client_addr, object"
				   : ", application_name, client_addr",
				   literal_or_null(version), quote_literal_cstr(action),
				   literal_or_null(migration_type), quote_literal_cstr(outcome),
				   quote_literal_cstr(GetUserNameFromId(GetUserId(), false)),
				   literal_or_null(dbname), literal_or_null(rule),
				   literal_or_null(statement), literal_or_null(detail), origin);
	PG_TRY();
	{
		WorkerResult *r = worker_run_sql(MyDatabaseId, migrator_extension_owner(),
										 sql, NULL, NULL, NULL, "migrator event");

		if (!r->ok)
			ereport(LOG_SERVER_ONLY,
					(errmsg("migrator could not record a %s event in migrator.events: %s",
							action, r->message)));
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		ereport(LOG_SERVER_ONLY,
				(errmsg("migrator could not record a %s event in migrator.events: %s",
						action, edata->message)));
		FreeErrorData(edata);
	}
	PG_END_TRY();
}

/*
 * Append a refusal to migrator.events of another database "dboid", where
 * migrator is installed: DROP DATABASE of a protected database is refused
 * in the database it was sent from, and recorded in the one it would have
 * dropped.  The worker connects there as the bootstrap superuser (the
 * extension owner of that database cannot be looked up from here) and
 * writes only the columns of 0.1; the origin goes into the detail.  A
 * failure is logged, never raised.
 */
void
history_event_autonomous_in(Oid dboid, const char *action, const char *outcome,
							const char *rule, const char *statement,
							const char *detail)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	char	   *dbname = get_database_name(dboid);
	char	   *appname;
	char	   *addr;
	char	   *sql;

	session_origin(&appname, &addr);
	sql = psprintf("SET lock_timeout = '2s';\n"
				   "INSERT INTO migrator.events (action, outcome, role, database, rule, statement, detail) "
				   "VALUES (%s, %s, %s, %s, %s, %s, %s)",
				   quote_literal_cstr(action), quote_literal_cstr(outcome),
				   quote_literal_cstr(GetUserNameFromId(GetUserId(), false)),
				   literal_or_null(dbname), literal_or_null(rule),
				   literal_or_null(statement),
				   quote_literal_cstr(psprintf("%s; sent from database %s, application %s, client %s",
											   detail ? detail : "",
											   get_database_name(MyDatabaseId),
											   appname ? appname : "",
											   addr ? addr : "local")));
	PG_TRY();
	{
		WorkerResult *r = worker_run_sql(dboid, BOOTSTRAP_SUPERUSERID,
										 sql, NULL, NULL, NULL, "migrator event");

		if (!r->ok)
			ereport(LOG_SERVER_ONLY,
					(errmsg("migrator could not record a %s event in migrator.events of database \"%s\": %s",
							action, dbname ? dbname : "?", r->message)));
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		ereport(LOG_SERVER_ONLY,
				(errmsg("migrator could not record a %s event in migrator.events of database \"%s\": %s",
						action, dbname ? dbname : "?", edata->message)));
		FreeErrorData(edata);
	}
	PG_END_TRY();
}

/*
 * Serialise migrator's state-changing calls in this database with a
 * transaction-level advisory lock (visible in pg_locks as advisory lock
 * 1835624306/1635020658).  A caller that has to wait is told who holds the
 * lock; the wait is bounded by lock_timeout.
 */
void
history_lock(const char *caller)
{
	LOCKTAG		tag;

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, MIGRATOR_LOCK_KEY1,
						 MIGRATOR_LOCK_KEY2, 2);

	if (LockAcquire(&tag, ExclusiveLock, false, true) != LOCKACQUIRE_NOT_AVAIL)
		return;

	ereport(NOTICE,
			(errmsg("waiting for another migrator session to finish before %s", caller),
			 errdetail("Another session holds migrator's lock (advisory lock %u/%u in pg_locks).",
					   MIGRATOR_LOCK_KEY1, MIGRATOR_LOCK_KEY2)));
	(void) LockAcquire(&tag, ExclusiveLock, false, false);
}

PG_FUNCTION_INFO_V1(migrator_protect_history);

/*
 * Trigger on migrator.migrations and migrator.events: only migrator's own
 * functions change or delete history.
 */
Datum
migrator_protect_history(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("protect_history() must be called as a trigger")));

	if (!history_write_in_progress())
		ereport(ERROR,
				(errcode(ERRCODE_MIGRATOR_HISTORY_PROTECTED),
				 errmsg("cannot modify \"%s\": migration history is maintained by migrator",
						RelationGetRelationName(trigdata->tg_relation)),
				 errdetail("History rows are written only by migrator's functions, so that they always match the schema."),
				 errhint("Use migrator.register(), migrator.apply() or migrator.rollback().")));

	return PointerGetDatum(NULL);
}
