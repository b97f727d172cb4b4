/*-------------------------------------------------------------------------
 *
 * housekeeping.c
 *	  Keeping migrator's catalog in shape over years: migrator.unregister()
 *	  and migrator.prune_events().
 *
 * History is append-only for everyone (the protect_history trigger); the
 * two exceptions live here, each audited by an events row of its own:
 * removing a pending migration that was registered by mistake (never an
 * applied one: that is part of the schema's history, and the way back is
 * rollback()), and deleting events older than a retention period.  The
 * guard's refusals and guard-off traces are kept by a prune unless a
 * superuser asks otherwise: they are the evidence of the guard, whose off
 * switch is a superuser's too.  See docs/operations.md.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "migrator.h"
#include "history.h"
#include "housekeeping.h"
#include "script.h"
#include "session.h"
#include "version.h"

PG_FUNCTION_INFO_V1(migrator_unregister);
PG_FUNCTION_INFO_V1(migrator_prune_events);

/*
 * The reason argument "argno" of an audited call: required, not blank.
 */
static char *
reason_argument(FunctionCallInfo fcinfo, int argno, const char *what)
{
	char	   *reason = PG_ARGISNULL(argno) ? NULL
		: text_to_cstring(PG_GETARG_TEXT_PP(argno));

	if (reason == NULL || strspn(reason, " \t\r\n") == strlen(reason))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s needs a reason", what),
				 errhint("Pass reason => why, for the events row that records it.")));
	return reason;
}

/*
 * migrator.unregister(version text, reason text) RETURNS migrator.migrations
 *
 * Remove a pending migration, e.g. one registered from the wrong branch.
 * Refused for an applied migration (roll it back first) and for one that
 * another migration names in depends_on (its contract step could never
 * apply).  Returns the removed row; the events row keeps its checksum and
 * the reason.
 */
Datum
migrator_unregister(PG_FUNCTION_ARGS)
{
	char	   *version = PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *reason;
	MemoryContext callercxt = CurrentMemoryContext;
	TupleDesc	resdesc;
	Oid			type = TEXTOID;
	Datum		value;
	HeapTuple	old;
	TupleDesc	olddesc;
	char	   *state;
	char	   *kind;
	char	   *checksum;
	Datum		result;

	check_version_argument(version, "version");
	reason = reason_argument(fcinfo, 1, "unregistering a migration");
	if (get_call_result_type(fcinfo, NULL, &resdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type of migrator.unregister() must be a row type");
	session_begin_state_change("migrator.unregister()");

	SPI_connect();
	history_lock("unregistering a migration");
	value = CStringGetTextDatum(version);
	history_exec("SELECT * FROM migrator.migrations WHERE version = $1 FOR UPDATE",
				 1, &type, &value, NULL);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_MIGRATOR_UNKNOWN_VERSION),
				 errmsg("migration \"%s\" is not registered", version),
				 errhint("See migrator.status() for the registered migrations.")));
	old = SPI_copytuple(SPI_tuptable->vals[0]);
	olddesc = SPI_tuptable->tupdesc;
	state = SPI_getvalue(old, olddesc, SPI_fnumber(olddesc, "state"));
	kind = SPI_getvalue(old, olddesc, SPI_fnumber(olddesc, "kind"));
	checksum = SPI_getvalue(old, olddesc, SPI_fnumber(olddesc, "checksum"));

	if (strcmp(state, "applied") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot unregister applied migration \"%s\"", version),
				 errdetail("Only pending migrations can be unregistered: an applied one is part of the schema's history."),
				 errhint("Roll it back first with migrator.rollback(), then unregister it.")));

	history_exec("SELECT pg_catalog.string_agg(version, ', ' ORDER BY migrator.version_key(version), version) "
				 "FROM migrator.migrations WHERE $1 = ANY (depends_on)",
				 1, &type, &value, NULL);
	{
		char	   *dependents = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);

		if (dependents)
			ereport(ERROR,
					(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
					 errmsg("cannot unregister migration \"%s\": other migrations depend on it", version),
					 errdetail("Migrations that name it in depends_on: %s.", dependents),
					 errhint("Unregister those first, or register them again without it in depends_on.")));
	}

	history_exec("DELETE FROM migrator.migrations WHERE version = $1",
				 1, &type, &value, NULL);
	history_event(version, "unregister", kind, "success", NULL, NULL,
				  psprintf("removed %s migration (checksum %s): %s", state, checksum, reason));

	resdesc = BlessTupleDesc(resdesc);
	{
		MemoryContext oldcxt = MemoryContextSwitchTo(callercxt);

		result = heap_copy_tuple_as_datum(old, resdesc);
		MemoryContextSwitchTo(oldcxt);
	}
	SPI_finish();
	PG_RETURN_DATUM(result);
}

/*
 * migrator.prune_events(older_than interval, keep_refusals boolean)
 * RETURNS bigint
 *
 * Delete events recorded before now() - older_than and return how many
 * went.  The guard's refusals (action "block") and guard-off traces are
 * kept unless keep_refusals is false, which only a superuser may ask.  The
 * prune itself is recorded.  Needs the privileges of the extension's
 * owner: EXECUTE alone (a deploy role's grant) does not let a role erase
 * history.
 */
Datum
migrator_prune_events(PG_FUNCTION_ARGS)
{
	Interval   *older_than;
	bool		keep_refusals;
	Oid			types[2] = {INTERVALOID, BOOLOID};
	Datum		values[2];
	uint64		pruned;
	char	   *age;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("older_than must not be null"),
				 errhint("Pass the age of the oldest events to keep, e.g. interval '90 days'.")));
	older_than = PG_GETARG_INTERVAL_P(0);
	keep_refusals = PG_ARGISNULL(1) || PG_GETARG_BOOL(1);
	age = DatumGetCString(DirectFunctionCall1(interval_out, IntervalPGetDatum(older_than)));
	if (older_than->time < 0 || older_than->day < 0 || older_than->month < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("older_than must not be negative: %s", age)));
	session_begin_state_change("migrator.prune_events()");
	if (!has_privs_of_role(GetUserId(), migrator_extension_owner()))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to prune migrator's events"),
				 errdetail("Only roles with the privileges of the extension's owner, \"%s\", may delete history.",
						   GetUserNameFromId(migrator_extension_owner(), false))));
	if (!keep_refusals && !superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to prune the guard's refusals"),
				 errdetail("Only superusers may delete refusals and guard-off traces, as only they may switch the guard off."),
				 errhint("Call migrator.prune_events() with keep_refusals => true.")));

	SPI_connect();
	values[0] = IntervalPGetDatum(older_than);
	values[1] = BoolGetDatum(keep_refusals);
	history_exec("DELETE FROM migrator.events WHERE at < pg_catalog.now() - $1 "
				 "AND NOT ($2 AND action IN ('block', 'guard_off'))",
				 2, types, values, NULL);
	pruned = SPI_processed;
	history_event(NULL, "prune", NULL, "success", NULL, NULL,
				  psprintf(ngettext("deleted " UINT64_FORMAT " event older than %s%s",
									"deleted " UINT64_FORMAT " events older than %s%s",
									(unsigned long) pruned),
						   pruned, age,
						   keep_refusals ? "; refusals and guard-off traces kept" : ""));
	SPI_finish();
	PG_RETURN_INT64((int64) pruned);
}

/*
 * Uninstalling.  DROP EXTENSION migrator takes migrations, events and
 * exemptions with it; the guard refuses it unless allowed (or switched
 * off), and when it goes through says what went, in a WARNING and in the
 * server log, the one record that outlives it.  The schema "migrator",
 * which CREATE EXTENSION created and which is no member of the extension,
 * is dropped with it when nothing else is left in it and the role that
 * dropped the extension may drop it.
 */

/* The number of rows of migrator's table "table", as its owner. */
static int64
history_count(const char *table)
{
	Oid			nsp = get_namespace_oid("migrator", true);
	bool		isnull;
	int64		n;

	if (!OidIsValid(nsp) || !OidIsValid(get_relname_relid(table, nsp)))
		return 0;
	history_exec(psprintf("SELECT pg_catalog.count(*) FROM migrator.%s", table),
				 0, NULL, NULL, NULL);
	n = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	return n;
}

/*
 * "12 migrations, 340 events and 2 exemptions": what the extension holds
 * now, in TopTransactionContext.  The extension is installed.
 */
char *
housekeeping_history_size(void)
{
	int64		migrations;
	int64		events;
	int64		exemptions;
	char	   *size;

	SPI_connect();
	migrations = history_count("migrations");
	events = history_count("events");
	exemptions = history_count("exemptions");
	SPI_finish();
	/* each count chooses its own plural form */
	size = MemoryContextStrdup(TopTransactionContext,
							   psprintf("%s, %s and %s",
										psprintf(ngettext(INT64_FORMAT " migration",
														  INT64_FORMAT " migrations",
														  (unsigned long) migrations),
												 migrations),
										psprintf(ngettext(INT64_FORMAT " event",
														  INT64_FORMAT " events",
														  (unsigned long) events),
												 events),
										psprintf(ngettext(INT64_FORMAT " exemption",
														  INT64_FORMAT " exemptions",
														  (unsigned long) exemptions),
												 exemptions)));
	return size;
}

/* The owner of schema "nsp". */
static Oid
namespace_owner(Oid nsp)
{
	HeapTuple	tuple = SearchSysCache1(NAMESPACEOID, ObjectIdGetDatum(nsp));
	Oid			owner = InvalidOid;

	if (HeapTupleIsValid(tuple))
	{
		owner = ((Form_pg_namespace) GETSTRUCT(tuple))->nspowner;
		ReleaseSysCache(tuple);
	}
	return owner;
}

/*
 * allow() of a statement that drops the extension: say, before it runs,
 * that the history goes with it and how to keep a copy.
 */
void
housekeeping_warn_uninstall(void)
{
	ereport(WARNING,
			(errmsg("dropping extension migrator deletes its history: %s",
					housekeeping_history_size()),
			 errdetail("migrator.migrations, migrator.events and migrator.exemptions are members of the extension and go with it; nothing keeps a copy."),
			 errhint("Keep a copy first, e.g. \\copy migrator.migrations TO 'migrations.csv' CSV HEADER and the same for migrator.events (docs/operations.md).")));
}

/*
 * After a statement that dropped the extension ("size" is what it held,
 * from housekeeping_history_size() before the statement): say what went,
 * in a WARNING and a server-log line, and drop the schema "migrator" if
 * nothing else is in it.
 */
void
housekeeping_after_uninstall(const char *size)
{
	Oid			nsp;
	char	   *dbname = get_database_name(MyDatabaseId);

	if (OidIsValid(get_extension_oid("migrator", true)))
		return;

	ereport(LOG_SERVER_ONLY,
			(errmsg("migrator: extension dropped from database \"%s\" by role \"%s\" with its history: %s",
					dbname ? dbname : "", GetUserNameFromId(GetUserId(), false), size),
			 errhidestmt(true)));
	ereport(WARNING,
			(errmsg("dropped extension migrator with its history: %s", size)));

	nsp = get_namespace_oid("migrator", true);
	if (OidIsValid(nsp) && !has_privs_of_role(GetUserId(), namespace_owner(nsp)))
		ereport(NOTICE,
				(errmsg("schema migrator is kept: it belongs to another role"),
				 errhint("Its owner can drop it.")));
	else if (OidIsValid(nsp))
	{
		MemoryContext oldcxt = CurrentMemoryContext;
		ResourceOwner oldowner = CurrentResourceOwner;
		ObjectAddress schema;

		ObjectAddressSet(schema, NamespaceRelationId, nsp);
		/* what the drop changed (the protection label too) becomes visible */
		CommandCounterIncrement();
		BeginInternalSubTransaction(NULL);
		MemoryContextSwitchTo(oldcxt);
		PG_TRY();
		{
			performDeletion(&schema, DROP_RESTRICT, 0);
			ReleaseCurrentSubTransaction();
			MemoryContextSwitchTo(oldcxt);
			CurrentResourceOwner = oldowner;
			ereport(NOTICE,
					(errmsg("dropped schema migrator, which CREATE EXTENSION migrator had created")));
		}
		PG_CATCH();
		{
			ErrorData  *edata = subtransaction_abort(oldcxt, oldowner);

			ereport(NOTICE,
					(errmsg("schema migrator is kept: %s", edata->message),
					 edata->detail ? errdetail_internal("%s", edata->detail) : 0,
					 errhint("Drop it when its objects are no longer needed.")));
			FreeErrorData(edata);
		}
		PG_END_TRY();
	}
}
