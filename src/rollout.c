/*-------------------------------------------------------------------------
 *
 * rollout.c
 *	  Rolling the guard out and living with it: what observe and warn mode
 *	  record, standing exemptions, traces of the guard switched off, the
 *	  preload check, and migrator.guard_report().
 *
 * The guard (guard.c) decides; this file keeps the records that let a team
 * switch it on without surprises (docs/operations.md):
 *
 *	- observe (and warn) mode: a would-be refusal runs, and is logged and
 *	  written to migrator.events (action "observe") in the caller's
 *	  transaction, where it costs one insert: a background worker per
 *	  statement, as a refusal in enforce mode uses, would slow the very
 *	  statements observe mode must leave alone.  A would-be refusal in a
 *	  transaction that rolls back leaves its log line only.
 *	  migrator.guard_report() groups observations and refusals by rule,
 *	  object, role and application.
 *	- standing exemptions (migrator.exemptions): a superuser lets a rule,
 *	  or every destructive rule, run on a named relation and/or for members
 *	  of a named role, for recurring operational jobs.  Granting and
 *	  revoking are events; each statement an exemption lets through is an
 *	  "allow" event naming it.  Relations are matched through the catalog
 *	  (schema-qualified), roles by membership without superuser's implicit
 *	  membership of every role.
 *	- guard-off traces: the GUC's assign hook cannot write (it also runs in
 *	  the postmaster, at connection start before any transaction, and while
 *	  a transaction aborts), so it only notes that the guard went off; the
 *	  next utility statement the hook sees writes the log line and a
 *	  "guard_off" event naming the setting's source (session, user,
 *	  database, configuration file, client).  Each time it takes effect in
 *	  a session: SET, ALTER ROLE / DATABASE SET at connection, ALTER SYSTEM
 *	  at reload, a function's SET clause.  A trace whose transaction rolls
 *	  back is written again by the next statement.
 *	- the preload check: whether the hook was installed when the session
 *	  started (shared_preload_libraries, or session_preload_libraries),
 *	  said by migrator.check_preload() at CREATE EXTENSION and by every
 *	  function whose effect needs the hook.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "postmaster/bgworker.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "migrator.h"
#include "analyze.h"
#include "history.h"
#include "rollout.h"
#include "rules.h"
#include "script.h"
#include "session.h"

PG_FUNCTION_INFO_V1(migrator_check_preload);
PG_FUNCTION_INFO_V1(migrator_exempt);
PG_FUNCTION_INFO_V1(migrator_unexempt);
PG_FUNCTION_INFO_V1(migrator_guard_report);

/* Prefix of every server-log line the guard writes (as guard.c's). */
#define GUARD_LOG_PREFIX "migrator guard:"

/* Was the library loaded when this session started? */
static bool preloaded = false;

/* The guard went off and no trace of it is written yet. */
static bool guard_off_pending = false;
static bool guard_off_logged = false;

/* Subtransaction whose work holds the last trace written; 0 when none. */
static SubTransactionId guard_off_trace_subid = InvalidSubTransactionId;

/*
 * Events waiting for rollout_flush(), in pending_context: a statement that
 * records after it ran (DROP INDEX CONCURRENTLY) commits transactions
 * before that.  Emptied when written and when a transaction aborts.
 */
typedef struct PendingEvent
{
	char	   *version;
	char	   *action;
	char	   *kind;
	char	   *outcome;
	char	   *rule;
	char	   *object;
	char	   *statement;
	char	   *detail;
} PendingEvent;

static List *pending_events = NIL;
static MemoryContext pending_context = NULL;

static char *
dup_or_null(const char *s)
{
	return s ? pstrdup(s) : NULL;
}

/*
 * Is this process one of migrator's own background workers (worker.c)?
 * Their statements are the caller's, who is traced in its own session.
 */
static bool
in_migrator_worker(void)
{
	return MyBgworkerEntry != NULL &&
		strcmp(MyBgworkerEntry->bgw_library_name, "migrator") == 0;
}

/*
 * Write events in the caller's transaction, inside a subtransaction, so
 * that a failure to record (a lock, a broken catalog) is logged and never
 * fails the statement being judged.  Nothing is written where nothing can
 * be (recovery, a read-only transaction) or before the 0.3 objects are
 * installed (ALTER EXTENSION UPDATE not run yet: the actions would not
 * pass the table's CHECK).  Returns whether the rows were written.
 */
static bool
write_events(List *events)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	volatile bool ok = false;

	if (events == NIL || !IsTransactionState() || RecoveryInProgress() ||
		XactReadOnly || !history_events_have_object())
		return false;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		ListCell   *lc;

		SPI_connect();
		foreach(lc, events)
		{
			PendingEvent *e = lfirst(lc);

			history_event_object(e->version, e->action, e->kind, e->outcome,
								 e->rule, e->object, e->statement, e->detail);
		}
		SPI_finish();
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
		ok = true;
	}
	PG_CATCH();
	{
		ErrorData  *edata = subtransaction_abort(oldcxt, oldowner);

		ereport(LOG_SERVER_ONLY,
				(errmsg_plural("migrator could not record %d event in migrator.events: %s",
							   "migrator could not record %d events in migrator.events: %s",
							   list_length(events),
							   list_length(events), edata->message)));
		FreeErrorData(edata);
	}
	PG_END_TRY();
	return ok;
}

/*
 * Queue an event about a statement the guard is judging; rollout_flush()
 * writes the queue once the statement (or the sql_drop event) is judged,
 * in one subtransaction.
 */
static void
queue_event(const char *action, const char *outcome, const char *rule,
			const char *object, const char *statement, const char *detail)
{
	MemoryContext oldcxt;
	PendingEvent *e;
	const char *version = NULL;
	const char *kind = NULL;
	const char *direction = NULL;

	if (pending_context == NULL)
		pending_context = AllocSetContextCreate(TopMemoryContext,
												"migrator pending events",
												ALLOCSET_SMALL_SIZES);
	oldcxt = MemoryContextSwitchTo(pending_context);
	e = palloc0(sizeof(PendingEvent));
	(void) session_migration(&version, &kind, &direction);
	e->version = dup_or_null(version);
	e->kind = dup_or_null(kind);
	e->action = pstrdup(action);
	e->outcome = pstrdup(outcome);
	e->rule = dup_or_null(rule);
	e->object = dup_or_null(object);
	e->statement = dup_or_null(statement);
	e->detail = dup_or_null(detail);
	pending_events = lappend(pending_events, e);
	MemoryContextSwitchTo(oldcxt);
}

/*
 * Write the events queued while judging a statement.
 */
void
rollout_flush(void)
{
	List	   *events = pending_events;

	if (events == NIL)
		return;
	pending_events = NIL;
	/* write_events() reports its failures itself; an error here aborts. */
	(void) write_events(events);
	MemoryContextReset(pending_context);
}

/*
 * Observe or warn mode let a would-be refusal run: record it (the log
 * line is guard.c's).
 */
void
rollout_observed(bool warned, const char *tag, const RuleFinding *f,
				 const char *statement)
{
	queue_event("observe", warned ? "warned" : "observed", f->rule->id, f->object,
				statement,
				psprintf("%s%s%s %s; session user %s",
						 tag, f->object ? " on " : "", f->object ? f->object : "",
						 warned ? "warned" : "observed",
						 GetUserNameFromId(GetSessionUserId(), false)));
}

/*
 * End of (sub)transaction: queued events of a failed statement go, and a
 * guard-off trace that rolled back is written again.
 */
static void
rollout_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
			if (guard_off_trace_subid != InvalidSubTransactionId)
				guard_off_pending = true;
			guard_off_trace_subid = InvalidSubTransactionId;
			/* What a failed statement queued is not written. */
			pending_events = NIL;
			if (pending_context)
				MemoryContextReset(pending_context);
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PREPARE:
			guard_off_trace_subid = InvalidSubTransactionId;
			break;
		default:
			break;
	}
}

static void
rollout_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
						 SubTransactionId parentSubid, void *arg)
{
	if (guard_off_trace_subid != mySubid)
		return;
	if (event == SUBXACT_EVENT_COMMIT_SUB)
		guard_off_trace_subid = parentSubid;
	else if (event == SUBXACT_EVENT_ABORT_SUB)
	{
		guard_off_trace_subid = InvalidSubTransactionId;
		guard_off_pending = true;
	}
}

/*
 * Called from _PG_init: note whether the library is loaded at the start
 * of the session (shared_preload_libraries in the postmaster, or
 * session_preload_libraries, a background worker's library: no
 * transaction yet) or lazily, by a function call, LOAD or CREATE
 * EXTENSION (inside a transaction).
 */
void
RolloutInit(void)
{
	preloaded = process_shared_preload_libraries_in_progress || !IsTransactionState();
	RegisterXactCallback(rollout_xact_callback, NULL);
	RegisterSubXactCallback(rollout_subxact_callback, NULL);
}

/*
 * Warn when this session did not have the guard's hook from its start.
 * "what" names the caller, or is NULL for CREATE EXTENSION's check.
 */
static bool
warn_if_not_preloaded(const char *what)
{
	if (preloaded)
		return true;
	ereport(WARNING,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("migrator is not preloaded: the guard is not active in every session"),
			 what
			 ? errdetail("%s works with the guard's hook, which a session without shared_preload_libraries = 'migrator' installs only at its first DDL statement or migrator function call: a TRUNCATE sent before that is not judged.", what)
			 : errdetail("A session without shared_preload_libraries = 'migrator' installs the guard's hook only at its first DDL statement or migrator function call: a TRUNCATE sent before that is not judged."),
			 errhint("Add migrator to shared_preload_libraries in postgresql.conf, keeping the libraries listed there, and restart the server.")));
	return false;
}

void
rollout_warn_if_not_preloaded(const char *function)
{
	(void) warn_if_not_preloaded(function);
}

/*
 * migrator.check_preload() RETURNS boolean: whether this session had the
 * guard's hook from its start; warns when not.  The install script calls
 * it, so that CREATE EXTENSION on a server without the library preloaded
 * says so.  It warns rather than refuses: a pg_restore into such a server
 * (a developer's copy, a recovery drill) must not lose the history that
 * the dump carries, and DROP statements are judged there all the same.
 */
Datum
migrator_check_preload(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(warn_if_not_preloaded(NULL));
}

/*
 * migrator.guard went from "was_off" to "now_off" (the GUC's assign hook:
 * it must not fail, and cannot write).
 */
void
rollout_guard_mode_assigned(bool now_off, bool was_off)
{
	if (now_off && !was_off)
	{
		guard_off_pending = true;
		guard_off_logged = false;
	}
	else if (!now_off)
		guard_off_pending = false;
}

bool
rollout_guard_off_pending(void)
{
	return guard_off_pending;
}

/*
 * Where the current value of migrator.guard comes from, as pg_settings
 * says it ("session", "user", "database", "configuration file", "client"),
 * or "unknown".  Read in a subtransaction of its own, with the operator
 * pinned: it runs in the session of whoever the guard is off for, and
 * must not fail that session's statement.
 */
static char *
guard_setting_source(void)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	char	   *volatile source = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		SPI_connect();
		if (SPI_execute("SELECT source FROM pg_catalog.pg_settings "
						"WHERE name OPERATOR(pg_catalog.=) 'migrator.guard'",
						true, 1) == SPI_OK_SELECT && SPI_processed == 1)
		{
			char	   *s = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);

			if (s)
				source = MemoryContextStrdup(oldcxt, s);
		}
		SPI_finish();
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		FreeErrorData(subtransaction_abort(oldcxt, oldowner));
	}
	PG_END_TRY();
	return source ? source : "unknown";
}

/*
 * The guard is off in this session and "statement" is the first utility
 * statement the hook sees since it went off (or the SET that switched it
 * off, once run): write the trace.  The caller has checked that the
 * extension is installed.  The log line is written once; the event when
 * the transaction can write, and again if it rolls back.
 */
void
rollout_trace_guard_off(const char *statement)
{
	char	   *source = NULL;
	const char *session_role;
	const char *role;

	if (!guard_off_pending || !IsUnderPostmaster || IsBinaryUpgrade ||
		creating_extension || !IsTransactionState() || in_migrator_worker())
		return;

	session_role = GetUserNameFromId(GetSessionUserId(), false);
	role = GetUserNameFromId(GetUserId(), false);
	source = guard_setting_source();

	if (!guard_off_logged)
	{
		char	   *dbname = get_database_name(MyDatabaseId);

		ereport(LOG_SERVER_ONLY,
				(errmsg("%s off source=\"%s\" role=\"%s\" session_role=\"%s\" database=\"%s\" statement: %s",
						GUARD_LOG_PREFIX, source, role, session_role,
						dbname ? dbname : "", statement ? statement : ""),
				 errhidestmt(true)));
		guard_off_logged = true;
	}

	{
		MemoryContext oldcxt = MemoryContextSwitchTo(TopTransactionContext);
		PendingEvent *e = palloc0(sizeof(PendingEvent));

		e->action = pstrdup("guard_off");
		e->outcome = pstrdup("success");
		e->statement = dup_or_null(statement);
		e->detail = psprintf("migrator.guard = off (source: %s); session user %s",
							 source, session_role);
		MemoryContextSwitchTo(oldcxt);
		if (write_events(list_make1(e)))
		{
			guard_off_pending = false;
			guard_off_trace_subid = GetCurrentSubTransactionId();
		}
	}
}

/*
 * Standing exemptions.
 */
typedef struct Exemption
{
	int64		id;
	char	   *relation;		/* quoted, schema-qualified; NULL: any */
	char	   *rule;			/* rule id; NULL: every destructive rule */
	Oid			role;			/* InvalidOid: any role */
	char	   *reason;
} Exemption;

/* "schema.name" of relation "relid", quoted as needed, or NULL. */
static char *
qualified_relation_name(Oid relid)
{
	char	   *rel = get_rel_name(relid);
	char	   *nsp;

	if (rel == NULL)
		return NULL;
	nsp = get_namespace_name(get_rel_namespace(relid));
	return nsp ? quote_qualified_identifier(nsp, rel) : NULL;
}

/*
 * The exemptions in force, or NIL before 0.3 (no table).  Read fresh for
 * each judged statement: only statements the guard would refuse get here.
 * A failure to read them (the extension's owner lost access to its
 * schema) is logged and counts as none: in observe mode the guard must
 * not fail the statements it only records.
 */
static List *
load_exemptions(void)
{
	Oid			nsp = get_namespace_oid("migrator", true);
	List	   *volatile result = NIL;
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;

	if (!OidIsValid(nsp) || !OidIsValid(get_relname_relid("exemptions", nsp)))
		return NIL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		uint64		i;

		SPI_connect();
		history_exec("SELECT id, relation, rule, role, reason FROM migrator.exemptions ORDER BY id",
					 0, NULL, NULL, NULL);
		for (i = 0; i < SPI_processed; i++)
		{
			HeapTuple	tup = SPI_tuptable->vals[i];
			TupleDesc	desc = SPI_tuptable->tupdesc;
			MemoryContext spicxt = MemoryContextSwitchTo(oldcxt);
			Exemption  *e = palloc0(sizeof(Exemption));
			char	   *role = SPI_getvalue(tup, desc, 4);
			bool		isnull;

			e->id = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
			e->relation = SPI_getvalue(tup, desc, 2);
			e->rule = SPI_getvalue(tup, desc, 3);
			e->reason = SPI_getvalue(tup, desc, 5);
			e->role = role ? get_role_oid(role, true) : InvalidOid;
			/* An exemption of a role that no longer exists covers nobody. */
			if (!role || OidIsValid(e->role))
				result = lappend(result, e);
			MemoryContextSwitchTo(spicxt);
		}
		SPI_finish();
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		ErrorData  *edata = subtransaction_abort(oldcxt, oldowner);

		ereport(LOG_SERVER_ONLY,
				(errmsg("migrator could not read migrator.exemptions: %s", edata->message)));
		FreeErrorData(edata);
		result = NIL;
	}
	PG_END_TRY();
	return result;
}

/*
 * The first exemption of "exemptions" that covers rule "rule_id" on
 * relation "relid" (InvalidOid: the finding is about no relation) for the
 * current user, or NULL.
 */
static Exemption *
exemption_covering(List *exemptions, const char *rule_id, Oid relid)
{
	char	   *relname = NULL;
	bool		relname_known = false;
	ListCell   *lc;

	foreach(lc, exemptions)
	{
		Exemption  *e = lfirst(lc);

		if (e->rule && strcmp(e->rule, rule_id) != 0)
			continue;
		if (OidIsValid(e->role) && !is_member_of_role_nosuper(GetUserId(), e->role))
			continue;
		if (e->relation)
		{
			if (!relname_known)
			{
				relname = OidIsValid(relid) ? qualified_relation_name(relid) : NULL;
				relname_known = true;
			}
			if (relname == NULL || strcmp(relname, e->relation) != 0)
				continue;
		}
		return e;
	}
	return NULL;
}

/*
 * Does a standing exemption cover finding "f" of "stmt" (a statement the
 * hook judges) or, when "stmt" is NULL, of the dropped object "relid"
 * (InvalidOid: not a relation)?  When one does, the use is logged and queued
 * as an "allow" event naming the exemption.  "*exemptions" is loaded on
 * first use (the caller frees nothing: it lives for the statement).
 */
bool
rollout_exemption_covers(List **exemptions, bool *loaded, Node *stmt, Oid relid,
						 const RuleFinding *f, const char *tag, const char *statement,
						 int64 *id)
{
	Exemption  *e;

	if (!*loaded)
	{
		*exemptions = load_exemptions();
		*loaded = true;
	}
	if (*exemptions == NIL)
		return false;
	if (stmt)
	{
		RangeVar   *rv = statement_finding_relation(stmt, f->object);

		relid = rv ? RangeVarGetRelid(rv, NoLock, true) : InvalidOid;
	}
	e = exemption_covering(*exemptions, f->rule->id, relid);
	if (e == NULL)
		return false;

	ereport(LOG_SERVER_ONLY,
			(errmsg("%s exempt rule=%s tag=\"%s\" object=\"%s\" exemption=" INT64_FORMAT " role=\"%s\" statement: %s",
					GUARD_LOG_PREFIX, f->rule->id, tag, f->object ? f->object : "",
					e->id, GetUserNameFromId(GetUserId(), false), statement),
			 errhidestmt(true)));
	queue_event("allow", "success", f->rule->id, f->object, statement,
				psprintf("standing exemption " INT64_FORMAT ": %s", e->id, e->reason));
	*id = e->id;
	return true;
}

/*
 * Only superusers grant and revoke exemptions: an exemption switches the
 * guard off for what it names, and only superusers may switch it off.
 */
static void
check_exemption_privilege(const char *function)
{
	if (!superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for %s", function),
				 errdetail("Only superusers grant and revoke standing exemptions from the guard, as only they may switch it off.")));
}

/* The text of a nullable text argument. */
static char *
text_arg(FunctionCallInfo fcinfo, int n)
{
	return PG_ARGISNULL(n) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(n));
}

/*
 * "relation app.staging, rule truncate, role etl" for an exemption.
 */
static char *
describe_exemption(const char *relation, const char *rule, const char *role)
{
	return psprintf("relation %s, rule %s, role %s",
					relation ? relation : "any", rule ? rule : "any destructive",
					role ? role : "any");
}

/*
 * migrator.exempt(relation regclass, rule text, role name, reason text)
 * RETURNS bigint
 *
 * Grant a standing exemption: statements that fire "rule" (every
 * destructive rule when NULL) on "relation" (any relation when NULL), run
 * by members of "role" (any role when NULL), are let through by the guard
 * until migrator.unexempt().  A relation or a role is required: an
 * exemption for everything is migrator.guard = off.  Returns the id; an
 * identical exemption already in force is returned as it is.
 */
Datum
migrator_exempt(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_ARGISNULL(0) ? InvalidOid : PG_GETARG_OID(0);
	char	   *rule = text_arg(fcinfo, 1);
	char	   *role = PG_ARGISNULL(2) ? NULL : pstrdup(NameStr(*PG_GETARG_NAME(2)));
	char	   *reason = text_arg(fcinfo, 3);
	char	   *relation = NULL;
	Oid			types[5] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID};
	Datum		values[5];
	char		nulls[5];
	int64		id;
	char	   *what;

	check_exemption_privilege("migrator.exempt()");
	if (reason == NULL || strspn(reason, " \t\r\n") == strlen(reason))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("an exemption needs a reason"),
				 errhint("Pass reason => the job it is for, e.g. 'nightly reload of the staging table'.")));
	if (!OidIsValid(relid) && role == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("an exemption needs a relation or a role"),
				 errdetail("An exemption of every relation for every role would switch the guard off."),
				 errhint("Name the table the job works on (relation => ...), the role it runs as (role => ...), or both.")));
	if (rule)
	{
		const MigratorRule *r;

		for (r = migrator_rule_table(); r->id; r++)
			if (strcmp(r->id, rule) == 0)
				break;
		if (r->id == NULL || r->kind != MIGRATION_DESTRUCTIVE)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("\"%s\" is not a destructive rule of the guard", rule),
					 errhint("See SELECT rule FROM migrator.rules() WHERE kind = 'destructive'.")));
		if (strcmp(rule, "alter_migrator") == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("migrator's own objects cannot be exempted"),
					 errhint("Use migrator.allow() in the transaction that must change them.")));
	}
	if (OidIsValid(relid))
	{
		relation = qualified_relation_name(relid);
		if (relation == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_TABLE),
					 errmsg("relation with OID %u does not exist", relid)));
		if (get_rel_namespace(relid) == get_namespace_oid("migrator", true))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("migrator's own objects cannot be exempted"),
					 errhint("Use migrator.allow() in the transaction that must change them.")));
	}
	if (role)
		(void) get_role_oid(role, false);
	session_begin_state_change("migrator.exempt()");
	rollout_warn_if_not_preloaded("A standing exemption");

	SPI_connect();
	history_lock("granting an exemption");
	values[0] = relation ? CStringGetTextDatum(relation) : (Datum) 0;
	values[1] = rule ? CStringGetTextDatum(rule) : (Datum) 0;
	values[2] = role ? CStringGetTextDatum(role) : (Datum) 0;
	values[3] = CStringGetTextDatum(reason);
	values[4] = CStringGetTextDatum(GetUserNameFromId(GetUserId(), false));
	nulls[0] = relation ? ' ' : 'n';
	nulls[1] = rule ? ' ' : 'n';
	nulls[2] = role ? ' ' : 'n';
	nulls[3] = ' ';
	nulls[4] = ' ';
	what = describe_exemption(relation, rule, role);

	history_exec("SELECT id FROM migrator.exemptions WHERE relation IS NOT DISTINCT FROM $1 "
				 "AND rule IS NOT DISTINCT FROM $2 AND role IS NOT DISTINCT FROM $3",
				 3, types, values, nulls);
	if (SPI_processed > 0)
	{
		bool		isnull;

		id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		ereport(NOTICE,
				(errmsg("exemption " INT64_FORMAT " already covers %s", id, what)));
		SPI_finish();
		PG_RETURN_INT64(id);
	}

	history_exec("INSERT INTO migrator.exemptions (relation, rule, role, reason, granted_by) "
				 "VALUES ($1, $2, $3, $4, $5) RETURNING id",
				 5, types, values, nulls);
	{
		bool		isnull;

		id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	}
	history_event_object(NULL, "exempt", NULL, "success", rule, relation,
						 psprintf("exemption " INT64_FORMAT ": %s", id, what), reason);
	SPI_finish();
	PG_RETURN_INT64(id);
}

/*
 * migrator.unexempt(id bigint, reason text): revoke a standing exemption.
 */
Datum
migrator_unexempt(PG_FUNCTION_ARGS)
{
	Datum		id;
	char	   *reason = text_arg(fcinfo, 1);
	Oid			type = INT8OID;
	char	   *relation;
	char	   *rule;
	char	   *role;

	check_exemption_privilege("migrator.unexempt()");
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("id must not be null"),
				 errhint("See SELECT * FROM migrator.exemptions.")));
	if (reason == NULL || strspn(reason, " \t\r\n") == strlen(reason))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("revoking an exemption needs a reason"),
				 errhint("Pass reason => why the job no longer needs it.")));
	id = PG_GETARG_DATUM(0);
	session_begin_state_change("migrator.unexempt()");
	rollout_warn_if_not_preloaded("A standing exemption");

	SPI_connect();
	history_lock("revoking an exemption");
	history_exec("DELETE FROM migrator.exemptions WHERE id = $1 RETURNING relation, rule, role",
				 1, &type, &id, NULL);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("exemption " INT64_FORMAT " does not exist", DatumGetInt64(id)),
				 errhint("See SELECT * FROM migrator.exemptions.")));
	relation = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	rule = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
	role = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3);
	history_event_object(NULL, "unexempt", NULL, "success", rule, relation,
						 psprintf("exemption " INT64_FORMAT ": %s", DatumGetInt64(id),
								  describe_exemption(relation, rule, role)),
						 reason);
	SPI_finish();
	PG_RETURN_VOID();
}

/*
 * migrator.guard_report(since timestamptz) RETURNS TABLE (rule, object,
 * role, application_name, observed, blocked, first_at, last_at, statement)
 *
 * What the guard refused, or would have refused in observe and warn mode,
 * since "since" (everything when NULL), one row per rule, object, role and
 * application, most frequent first, with the latest statement.  Refusals
 * recorded before 0.3 have no object column: their object is read back
 * from the detail they were written with.
 */
Datum
migrator_guard_report(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			type = TIMESTAMPTZOID;
	Datum		value = PG_ARGISNULL(0) ? (Datum) 0 : PG_GETARG_DATUM(0);
	MemoryContext oldcxt;
	uint64		i;

	rollout_warn_if_not_preloaded("The report of observe mode");
	InitMaterializedSRF(fcinfo, 0);
	SPI_connect();
	history_exec("SELECT e.rule, "
				 "       COALESCE(e.object, "
				 "                pg_catalog.substring(e.detail, "
				 "                    '^[A-Z ]+(?:\\.\\.\\. CASCADE)? on (.*) (?:refused|observed|warned); session user ')) AS object, "
				 "       e.role, e.application_name, "
				 "       pg_catalog.count(*) FILTER (WHERE e.action = 'observe') AS observed, "
				 "       pg_catalog.count(*) FILTER (WHERE e.action = 'block') AS blocked, "
				 "       pg_catalog.min(e.at), pg_catalog.max(e.at), "
				 "       (pg_catalog.array_agg(e.statement ORDER BY e.id DESC))[1] "
				 "  FROM migrator.events AS e "
				 " WHERE e.action IN ('observe', 'block') "
				 "   AND ($1 IS NULL OR e.at >= $1) "
				 "   AND e.rule IN (SELECT r.rule FROM migrator.rules() AS r WHERE r.kind = 'destructive') "
				 " GROUP BY 1, 2, 3, 4 "
				 " ORDER BY pg_catalog.count(*) DESC, 1, 2, 3, 4",
				 1, &type, &value, PG_ARGISNULL(0) ? "n" : NULL);

	oldcxt = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	for (i = 0; i < SPI_processed; i++)
	{
		Datum		values[9];
		bool		nulls[9];
		int			c;

		for (c = 0; c < 9; c++)
			values[c] = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, c + 1, &nulls[c]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	MemoryContextSwitchTo(oldcxt);
	SPI_finish();
	return (Datum) 0;
}
