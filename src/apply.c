/*-------------------------------------------------------------------------
 *
 * apply.c
 *	  migrator.apply(), rollback(), rollback_to() and verify().
 *
 * All of them run in the caller's transaction: user scripts execute with
 * the caller's rights, the history rows are written in the same
 * transaction, and an error anywhere leaves nothing of the call behind.
 * Each call first takes migrator's lock (history.c), so two sessions never
 * apply the same migration; the rows to work on are read, and locked, only
 * after the lock is held.
 *
 * Settings a script changes (SET search_path, SET ROLE, ...) last until the
 * end of that script and are then undone, as a subtransaction abort would
 * undo them, so a migration cannot change the environment of the next one
 * or of the caller.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "tcop/utility.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/datum.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "migrator.h"
#include "apply.h"
#include "analyze.h"
#include "fingerprint.h"
#include "history.h"
#include "script.h"
#include "session.h"
#include "version.h"

PG_FUNCTION_INFO_V1(migrator_apply);
PG_FUNCTION_INFO_V1(migrator_rollback);
PG_FUNCTION_INFO_V1(migrator_rollback_to);
PG_FUNCTION_INFO_V1(migrator_verify);

/* What staged.c registered (StagedInit()); NULL before. */
static const StagedRoutines *staged_routines = NULL;

void
migration_set_staged_routines(const StagedRoutines *routines)
{
	staged_routines = routines;
}

/* apply() and deploy() start running "todo". */
void
migration_begin_call(List *todo)
{
	if (staged_routines)
		staged_routines->begin_call(todo);
}

/* The staged routines when "m" is a staged change, else NULL. */
const StagedRoutines *
migration_staged_routines(Migration *m)
{
	if (staged_routines == NULL || !staged_routines->is_staged(m))
		return NULL;
	return staged_routines;
}

#define VERSION_ORDER \
	" ORDER BY migrator.version_key(version), version"

/*
 * Load the migrations that "where" (the rest of the query after FROM
 * migrator.migrations) selects, as a List of Migration.  The statement
 * boundaries register() stored come along where the installed version has
 * them (0.3).
 */
static List *
load_migrations(const char *where, int nargs, Oid *types, Datum *values,
				const char *nulls)
{
	List	   *result = NIL;
	uint64		i;

	history_exec(psprintf("SELECT version, kind, transactional, up, down, verify, "
						  "checksum, state, depends_on, %s FROM migrator.migrations %s",
						  history_migrations_have_bounds()
						  ? "up_statements" : "NULL::pg_catalog.int4[]",
						  where),
				 nargs, types, values, nulls);
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		Migration  *m = palloc0(sizeof(Migration));
		bool		isnull;
		Datum		d;

		m->version = SPI_getvalue(tup, desc, 1);
		m->kind = SPI_getvalue(tup, desc, 2);
		m->transactional = DatumGetBool(SPI_getbinval(tup, desc, 3, &isnull));
		m->up = SPI_getvalue(tup, desc, 4);
		m->down = SPI_getvalue(tup, desc, 5);
		m->verify = SPI_getvalue(tup, desc, 6);
		m->checksum = SPI_getvalue(tup, desc, 7);
		m->state = SPI_getvalue(tup, desc, 8);
		d = SPI_getbinval(tup, desc, 9, &isnull);
		if (!isnull)
		{
			Datum	   *elems;
			bool	   *elemnulls;
			int			n;
			int			j;

			deconstruct_array(DatumGetArrayTypeP(d), TEXTOID, -1, false, TYPALIGN_INT,
							  &elems, &elemnulls, &n);
			for (j = 0; j < n; j++)
				if (!elemnulls[j])
					m->depends_on = lappend(m->depends_on, TextDatumGetCString(elems[j]));
		}
		d = SPI_getbinval(tup, desc, 10, &isnull);
		if (!isnull)
		{
			m->up_bounds = datumCopy(d, false, -1);
			m->has_up_bounds = true;
		}
		result = lappend(result, m);
	}
	return result;
}

static Migration *
load_migration(const char *version, bool for_update)
{
	Oid			type = TEXTOID;
	Datum		value = CStringGetTextDatum(version);
	List	   *list;

	list = load_migrations(for_update
						   ? "WHERE version = $1 FOR UPDATE"
						   : "WHERE version = $1",
						   1, &type, &value, NULL);
	if (list == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_MIGRATOR_UNKNOWN_VERSION),
				 errmsg("migration \"%s\" is not registered", version),
				 errhint("See migrator.status() for the registered migrations.")));
	return linitial(list);
}

/*
 * Run one script of "m" ("up" or "down") with the caller's rights, with
 * settings it changes undone at its end; "statements", when not NIL, are
 * its statements split already.
 */
static void
run_script(Migration *m, const char *direction, const char *sql,
		   List *statements)
{
	int			save_nestlevel = NewGUCNestLevel();

	session_set_migration(m->version, m->kind, direction);
	PG_TRY();
	{
		if (statements != NIL)
			script_execute_statements(statements, m->version, direction);
		else
			script_execute(sql, m->version, direction);
	}
	PG_FINALLY();
	{
		session_set_migration(NULL, NULL, NULL);
	}
	PG_END_TRY();
	/* Undo every setting the script changed, SET without LOCAL included. */
	AtEOXact_GUC(false, save_nestlevel);
}

/*
 * Run "sql" as the "direction" script of migration "version" exactly as
 * apply() and rollback() do, for check(), which runs scripts without
 * recording them.
 */
void
migration_run_script(const char *version, const char *kind,
					 const char *direction, const char *sql)
{
	Migration	m = {0};

	m.version = (char *) version;
	m.kind = (char *) kind;
	run_script(&m, direction, sql, NIL);
}

/*
 * The time since "start", as an interval.
 */
Interval *
elapsed_interval(TimestampTz start)
{
	Interval   *iv = palloc0(sizeof(Interval));

	iv->time = GetCurrentTimestamp() - start;
	return iv;
}

static void
put_result_row(ReturnSetInfo *rsinfo, Migration *m, Interval *duration)
{
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};

	values[0] = CStringGetTextDatum(m->version);
	values[1] = CStringGetTextDatum(m->kind);
	values[2] = CStringGetTextDatum("success");
	values[3] = IntervalPGetDatum(duration);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/*
 * Refuse to run "m" when its up script no longer matches the checksum
 * recorded at registration.
 */
void
migration_check_checksum(Migration *m)
{
	char	   *actual = script_checksum(m->up);

	if (strcmp(actual, m->checksum) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_MIGRATOR_CHECKSUM_MISMATCH),
				 errmsg("up script of migration \"%s\" does not match its checksum", m->version),
				 errdetail("Recorded checksum %s, actual %s.", m->checksum, actual),
				 errhint("Register the migration again to record its current content.")));
}

/*
 * Record the migrations "call" applied, in the order they applied, as
 * applied: one statement for all their rows, one for all their events
 * (apply() records a whole call at once, deploy() one migration per
 * commit).  apply_seq continues from the highest one recorded.
 */
void
migrations_record_applied(ApplyCall *call)
{
	int			n = list_length(call->applied);
	Datum	   *versions;
	Datum	   *ats;
	Datum	   *durations;
	List	   *events = NIL;
	Oid			types[4] = {TEXTARRAYOID, TIMESTAMPTZARRAYOID, INTERVALARRAYOID, TEXTOID};
	Datum		values[4];
	int			i = 0;
	ListCell   *lc;

	if (n == 0)
		return;
	versions = palloc(sizeof(Datum) * n);
	ats = palloc(sizeof(Datum) * n);
	durations = palloc(sizeof(Datum) * n);
	foreach(lc, call->applied)
	{
		AppliedMigration *a = lfirst(lc);
		HistoryEvent *e;

		versions[i] = CStringGetTextDatum(a->m->version);
		ats[i] = TimestampTzGetDatum(a->at);
		durations[i] = IntervalPGetDatum(a->duration);
		i++;
		e = history_event_make(a->m->version, "apply", a->m->kind, "success", NULL, NULL,
							   a->detail ? a->detail
							   : psprintf("applied in %s", interval_text(a->duration)));
		e->at = a->at;
		events = lappend(events, e);
	}
	values[0] = PointerGetDatum(construct_array(versions, n, TEXTOID, -1, false, TYPALIGN_INT));
	values[1] = PointerGetDatum(construct_array(ats, n, TIMESTAMPTZOID, sizeof(TimestampTz),
												FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	values[2] = PointerGetDatum(construct_array(durations, n, INTERVALOID, sizeof(Interval),
												false, TYPALIGN_DOUBLE));
	values[3] = CStringGetTextDatum(GetUserNameFromId(GetUserId(), false));
	history_exec("UPDATE migrator.migrations AS m SET state = 'applied', "
				 "applied_at = a.at, applied_by = $4, duration = a.duration, "
				 "apply_seq = s.base + a.n "
				 "FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3)) "
				 "     WITH ORDINALITY AS a(version, at, duration, n), "
				 "     (SELECT COALESCE(pg_catalog.max(apply_seq), 0) AS base "
				 "        FROM migrator.migrations) AS s "
				 "WHERE m.version = a.version",
				 4, types, values, NULL);
	if (SPI_processed != n)
		elog(ERROR, "recorded " UINT64_FORMAT " of %d applied migrations", SPI_processed, n);
	history_events(events);
	call->applied = NIL;
}

/*
 * Note that "m" applied in "duration", for migrations_record_applied();
 * "detail", when not NULL, replaces the event's "applied in ...".
 */
void
migration_note_applied(ApplyCall *call, Migration *m, Interval *duration,
					   const char *detail)
{
	AppliedMigration *a = palloc(sizeof(AppliedMigration));

	a->m = m;
	a->duration = duration;
	a->at = GetCurrentTimestamp();
	a->detail = detail;
	call->applied = lappend(call->applied, a);
}

/*
 * Record "m" as applied, in "duration", with its history row and event,
 * at once (deploy() of a non-transactional migration).
 */
void
migration_record_applied(Migration *m, Interval *duration)
{
	ApplyCall	call = {0};

	migration_note_applied(&call, m, duration, NULL);
	migrations_record_applied(&call);
}

/* Was "version" applied earlier in "call"? */
static bool
applied_in_call(ApplyCall *call, const char *version)
{
	ListCell   *lc;

	foreach(lc, call ? call->applied : NIL)
		if (strcmp(((AppliedMigration *) lfirst(lc))->m->version, version) == 0)
			return true;
	return false;
}

static char *run_verify_script(Migration *m);

/*
 * The contract step of a staged plan applies only after the expand and
 * backfill steps it depends on (migrations.depends_on) are applied and
 * their verify scripts pass now.  A staged step (a backfill) without a
 * verify script cannot prove itself and is refused too.  Called for each
 * migration right before it applies, so that steps applied earlier in the
 * same call ("call") count.
 */
static void
check_dependencies(Migration *m, ApplyCall *call)
{
	ListCell   *lc;

	foreach(lc, m->depends_on)
	{
		Migration  *dep = load_migration((char *) lfirst(lc), false);
		char	   *failure;

		/* applied earlier in this call, recorded when the call ends */
		if (applied_in_call(call, dep->version))
			dep->state = "applied";
		if (strcmp(dep->state, "applied") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_MIGRATOR_PLAN_REQUIRED),
					 errmsg("migration \"%s\" depends on migration \"%s\", which is %s",
							m->version, dep->version, dep->state),
					 errdetail("The expand and backfill steps of a staged plan must be applied and verified before its contract step."),
					 errhint("Apply migration \"%s\" first.", dep->version)));
		if (dep->verify == NULL || script_is_blank(dep->verify))
		{
			if (strcmp(dep->kind, "staged") == 0)
				ereport(ERROR,
						(errcode(ERRCODE_MIGRATOR_PLAN_REQUIRED),
						 errmsg("migration \"%s\" depends on staged migration \"%s\", which has no verify script",
								m->version, dep->version),
						 errdetail("A backfill must be verified before the contract step that relies on it."),
						 errhint("Register migration \"%s\" with a verify script that checks the backfill.",
								 dep->version)));
			continue;
		}
		failure = run_verify_script(dep);
		if (failure)
			ereport(ERROR,
					(errcode(ERRCODE_MIGRATOR_PLAN_REQUIRED),
					 errmsg("migration \"%s\" depends on migration \"%s\", whose verification fails",
							m->version, dep->version),
					 errdetail("Its verify script reports: %s.", failure),
					 errhint("Complete the backfill of migration \"%s\" until its verify script passes.",
							 dep->version)));
	}
}

/*
 * Apply transactional migration "m" in the current transaction: check its
 * checksum and its staged-plan dependencies, run its up script, and note
 * it in "call" as applied (migrations_record_applied() records the call).
 * The one way apply() and deploy() apply a migration.  The statements are
 * split where register() stored their boundaries, once the checksum has
 * proved that the text is the registered one.  A staged change records
 * itself as it runs its phases (staged.c), so what the call applied
 * before it is recorded first, keeping apply_seq in the order of
 * applying.  Returns how long it took.
 */
Interval *
migration_apply(Migration *m, ApplyCall *call)
{
	TimestampTz start = GetCurrentTimestamp();
	Interval   *duration;

	/* A staged change runs its phases instead (staged.c). */
	if (migration_staged_routines(m))
	{
		migrations_record_applied(call);
		return staged_routines->apply(m);
	}
	migration_check_checksum(m);
	check_dependencies(m, call);
	run_script(m, "up", m->up,
			   m->has_up_bounds ? script_from_bounds(m->up, m->up_bounds) : NIL);
	/* The versioned schemas of staged changes in flight follow. */
	if (staged_routines)
		staged_routines->after_migration(m);
	duration = elapsed_interval(start);
	migration_note_applied(call, m, duration, NULL);
	return duration;
}

/*
 * "00:00:01.234" for an interval, as events and notices show durations.
 */
char *
interval_text(Interval *iv)
{
	return DatumGetCString(DirectFunctionCall1(interval_out,
											   IntervalPGetDatum(iv)));
}

/*
 * Every pending migration up to and including "target" (all when NULL), in
 * version order, locked FOR UPDATE when "for_update": what apply(),
 * deploy(), plan() and check() work on.  A target must be registered.  The
 * caller is connected to SPI.
 */
List *
migrations_pending_upto(const char *target, bool for_update)
{
	Oid			type = TEXTOID;
	Datum		value = target ? CStringGetTextDatum(target) : (Datum) 0;
	List	   *pending;
	List	   *result = NIL;
	ListCell   *lc;

	if (target)
		(void) load_migration(target, for_update);

	/* the sort key narrows the scan; version_compare() decides ties */
	pending = load_migrations(for_update
							  ? "WHERE state = 'pending' "
							  "AND ($1 IS NULL OR migrator.version_key(version) "
							  "<= migrator.version_key($1))" VERSION_ORDER " FOR UPDATE"
							  : "WHERE state = 'pending' "
							  "AND ($1 IS NULL OR migrator.version_key(version) "
							  "<= migrator.version_key($1))" VERSION_ORDER,
							  1, &type, &value, target ? NULL : "n");
	foreach(lc, pending)
	{
		Migration  *m = lfirst(lc);

		if (target && version_compare(m->version, target) > 0)
			break;
		result = lappend(result, m);
	}
	return result;
}

/*
 * The pending migrations that apply() or deploy() would apply, up to
 * "target" (all when NULL), in version order, locked FOR UPDATE.  Refuses
 * versions older than the newest applied one unless "allow_out_of_order",
 * and, for apply(), non-transactional migrations.  The caller holds
 * migrator's lock and is connected to SPI.
 */
List *
pending_migrations(const char *target, bool allow_out_of_order,
				   bool allow_nontransactional)
{
	List	   *pending;
	List	   *todo = NIL;
	List	   *newest;
	Migration  *newest_applied = NULL;
	ListCell   *lc;

	pending = migrations_pending_upto(target, true);
	newest = load_migrations("WHERE state = 'applied' "
							 "ORDER BY migrator.version_key(version) DESC, version DESC "
							 "LIMIT 1", 0, NULL, NULL, NULL);
	if (newest != NIL)
		newest_applied = linitial(newest);

	foreach(lc, pending)
	{
		Migration  *m = lfirst(lc);

		if (newest_applied && !allow_out_of_order &&
			version_compare(m->version, newest_applied->version) < 0)
		{
			history_event_autonomous(m->version, "block", m->kind, "blocked",
									 "out_of_order", NULL,
									 psprintf("pending migration is older than applied migration %s",
											  newest_applied->version));
			ereport(ERROR,
					(errcode(ERRCODE_MIGRATOR_OUT_OF_ORDER),
					 errmsg("pending migration \"%s\" is older than applied migration \"%s\"",
							m->version, newest_applied->version),
					 errdetail("Applying it now would run migrations in a different order than their versions say."),
					 errhint("Call migrator.apply(allow_out_of_order => true) to apply it anyway, or register it under a newer version.")));
		}
		if (!m->transactional && !allow_nontransactional)
			ereport(ERROR,
					(errcode(ERRCODE_MIGRATOR_NOT_TRANSACTIONAL),
					 errmsg("migration \"%s\" cannot run inside a transaction block", m->version),
					 errdetail("It was registered with transactional => false."),
					 errhint("Run it with CALL migrator.deploy(), outside a transaction block.")));
		todo = lappend(todo, m);
	}
	return todo;
}

/*
 * migrator.apply(target text, allow_out_of_order boolean)
 */
Datum
migrator_apply(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *target = PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0));
	bool		allow_out_of_order = !PG_ARGISNULL(1) && PG_GETARG_BOOL(1);
	List	   *todo;
	ListCell   *lc;
	ApplyCall	call = {0};

	session_begin_state_change("migrator.apply()");
	InitMaterializedSRF(fcinfo, 0);
	SPI_connect();
	history_lock("applying migrations");

	todo = pending_migrations(target, allow_out_of_order, false);
	migration_begin_call(todo);

	foreach(lc, todo)
	{
		Migration  *m = lfirst(lc);

		put_result_row(rsinfo, m, migration_apply(m, &call));
	}
	migrations_record_applied(&call);
	if (todo != NIL)
		fingerprint_record_at_commit("apply");

	SPI_finish();
	return (Datum) 0;
}

/*
 * The first statement of "m"'s down script that cannot run inside a
 * transaction block (DROP INDEX CONCURRENTLY, ...), or NULL.  How a
 * migration is rolled back follows from its down script, not from the
 * transactional setting of its up script: rollback() runs down scripts
 * in the caller's transaction, CALL migrator.undeploy() runs this one in a
 * background worker.
 */
ScriptStatement *
migration_down_needs_autocommit(Migration *m)
{
	ListCell   *lc;

	if (m->down == NULL)
		return NULL;
	foreach(lc, script_parse(m->down, "down script"))
	{
		ScriptStatement *st = lfirst(lc);

		if (statement_needs_autocommit(st->raw->stmt))
			return st;
	}
	return NULL;
}

/*
 * Before anything of a rollback runs: every migration of "todo" has a down
 * script, and, when "in_transaction" (rollback(), rollback_to()), none of
 * them needs to run outside a transaction block.
 */
void
migrations_check_rollback(List *todo, bool in_transaction)
{
	ListCell   *lc;

	foreach(lc, todo)
	{
		Migration  *m = lfirst(lc);
		ScriptStatement *st;
		char	   *irreversible = history_irreversible(m->version);

		if (irreversible)
			ereport(ERROR,
					(errcode(ERRCODE_MIGRATOR_NO_DOWN),
					 errmsg("migration \"%s\" is %s", m->version, irreversible),
					 errdetail("It was imported as history applied before migrator, and its down script has no statements, so nothing can undo it. Nothing was rolled back."),
					 errhint("Register a down script for it (register() with the same up script corrects the down script of an applied migration), or roll back fewer migrations.")));
		if (m->down == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_MIGRATOR_NO_DOWN),
					 errmsg("migration \"%s\" has no down script", m->version),
					 errdetail("Nothing was rolled back."),
					 errhint("Register a down script with the migration, or roll back fewer migrations.")));
		if (in_transaction && (st = migration_down_needs_autocommit(m)) != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_MIGRATOR_NOT_TRANSACTIONAL),
					 errmsg("down script of migration \"%s\" cannot run inside a transaction block",
							m->version),
					 errdetail("Statement %d (%s) cannot run inside a transaction block. Nothing was rolled back.",
							   st->index, statement_tag(st->raw->stmt)),
					 errhint("Roll it back with CALL migrator.undeploy(), which runs such statements in a background worker, outside a transaction block.")));
	}
}

/*
 * Record "m" as pending again after its down script ran in "duration".
 */
void
migration_record_rolled_back(Migration *m, Interval *duration)
{
	Oid			type = TEXTOID;
	Datum		value = CStringGetTextDatum(m->version);

	history_exec("UPDATE migrator.migrations SET state = 'pending', "
				 "applied_at = NULL, applied_by = NULL, duration = NULL, "
				 "apply_seq = NULL WHERE version = $1",
				 1, &type, &value, NULL);
	history_event(m->version, "rollback", m->kind, "success", NULL, NULL,
				  psprintf("rolled back in %s", interval_text(duration)));
}

/*
 * Roll back applied migration "m" in the current transaction: run its down
 * script, record it as pending.  The one way rollback(), rollback_to() and
 * undeploy() undo a migration whose down script runs in a transaction.
 * Returns how long it took.
 */
Interval *
migration_rollback(Migration *m)
{
	TimestampTz start = GetCurrentTimestamp();
	Interval   *duration;

	/* A staged change is aborted, or undone after complete (staged.c). */
	if (migration_staged_routines(m))
		staged_routines->rollback(m);
	else
		run_script(m, "down", m->down, NIL);
	duration = elapsed_interval(start);
	migration_record_rolled_back(m, duration);
	return duration;
}

/*
 * The applied migrations that rolling back "steps" migrations (when
 * "target" is NULL) or every migration applied after "target" undoes, most
 * recent first, locked FOR UPDATE.  The caller holds migrator's lock and is
 * connected to SPI.
 */
List *
migrations_to_roll_back(int steps, const char *target)
{
	Oid			type;
	Datum		value;
	List	   *todo;

	if (target)
	{
		Migration  *t = load_migration(target, true);

		if (strcmp(t->state, "applied") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_MIGRATOR_UNKNOWN_VERSION),
					 errmsg("migration \"%s\" is not applied", target),
					 errhint("rollback_to() and undeploy(target => ...) keep their target applied and undo what was applied after it.")));
		type = TEXTOID;
		value = CStringGetTextDatum(target);
		return load_migrations("WHERE state = 'applied' AND apply_seq > "
							   "(SELECT apply_seq FROM migrator.migrations WHERE version = $1) "
							   "ORDER BY apply_seq DESC FOR UPDATE",
							   1, &type, &value, NULL);
	}

	type = INT4OID;
	value = Int32GetDatum(steps);
	todo = load_migrations("WHERE state = 'applied' "
						   "ORDER BY apply_seq DESC LIMIT $1 FOR UPDATE",
						   1, &type, &value, NULL);
	if (list_length(todo) < steps)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot roll back %d migrations: only %d are applied",
						steps, list_length(todo))));
	return todo;
}

/*
 * Run the down scripts of "todo" (most recent first) and record them as
 * pending again.  Every migration must have a down script that can run in
 * a transaction; this is checked before anything runs.
 */
static void
rollback_list(ReturnSetInfo *rsinfo, List *todo)
{
	ListCell   *lc;

	migrations_check_rollback(todo, true);
	foreach(lc, todo)
	{
		Migration  *m = lfirst(lc);

		put_result_row(rsinfo, m, migration_rollback(m));
	}
	if (todo != NIL)
		fingerprint_record_at_commit("rollback");
}

/*
 * migrator.rollback(steps integer)
 */
Datum
migrator_rollback(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int32		steps;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("steps must not be null"),
				 errhint("Pass the number of migrations to roll back.")));
	steps = PG_GETARG_INT32(0);
	if (steps < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("steps must not be negative")));

	session_begin_state_change("migrator.rollback()");
	InitMaterializedSRF(fcinfo, 0);
	SPI_connect();
	history_lock("rolling back migrations");

	rollback_list(rsinfo, migrations_to_roll_back(steps, NULL));

	SPI_finish();
	return (Datum) 0;
}

/*
 * migrator.rollback_to(target text): roll back every migration applied
 * after "target", which stays applied.
 */
Datum
migrator_rollback_to(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *target;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("target must not be null"),
				 errhint("To roll back every migration, use migrator.rollback(steps => n).")));
	target = text_to_cstring(PG_GETARG_TEXT_PP(0));

	session_begin_state_change("migrator.rollback_to()");
	InitMaterializedSRF(fcinfo, 0);
	SPI_connect();
	history_lock("rolling back migrations");

	rollback_list(rsinfo, migrations_to_roll_back(0, target));

	SPI_finish();
	return (Datum) 0;
}

/*
 * Run a verify script inside a subtransaction that is always rolled back.
 * Returns NULL when it passed, else why it failed.  A statement that
 * returns rows passes when the first column of every row is true (or is
 * not boolean: Sqitch-style checks that fail by raising an error).
 */
static char *
run_verify_script(Migration *m)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	char	   *volatile failure = NULL;
	int			save_nestlevel;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	save_nestlevel = NewGUCNestLevel();

	PG_TRY();
	{
		List	   *statements = script_parse(m->verify, "verify script");
		ListCell   *lc;

		foreach(lc, statements)
		{
			ScriptStatement *st = lfirst(lc);
			int			rc = SPI_execute(st->sql, false, 0);
			uint64		i;

			if (rc < 0)
				elog(ERROR, "SPI_execute failed: %s", SPI_result_code_string(rc));
			if (SPI_tuptable == NULL || SPI_tuptable->tupdesc->natts < 1 ||
				SPI_gettypeid(SPI_tuptable->tupdesc, 1) != BOOLOID)
				continue;
			for (i = 0; i < SPI_processed && failure == NULL; i++)
			{
				bool		isnull;
				Datum		d = SPI_getbinval(SPI_tuptable->vals[i],
											  SPI_tuptable->tupdesc, 1, &isnull);

				if (isnull || !DatumGetBool(d))
				{
					MemoryContext spicxt = MemoryContextSwitchTo(oldcxt);

					failure = psprintf("verify statement %d returned %s in row " UINT64_FORMAT,
									   st->index, isnull ? "NULL" : "false", i + 1);
					MemoryContextSwitchTo(spicxt);
				}
			}
		}
		AtEOXact_GUC(false, save_nestlevel);
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		ErrorData  *edata = subtransaction_abort(oldcxt, oldowner);

		failure = psprintf("verify script failed: %s (SQLSTATE %s)",
						   edata->message, unpack_sql_state(edata->sqlerrcode));
		FreeErrorData(edata);
	}
	PG_END_TRY();

	return failure;
}

/* How many failures the summary event of verify() names one by one. */
#define VERIFY_FAILURES_NAMED 10

/*
 * migrator.verify(version text): check applied migrations.
 */
Datum
migrator_verify(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *version = PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0));
	bool		can_write = !RecoveryInProgress() && !XactReadOnly;
	List	   *todo;
	ListCell   *lc;
	int			checked = 0;
	int			failed = 0;
	char	   *one_failure = NULL;
	StringInfoData failures;

	session_check_not_in_migration("migrator.verify()");
	InitMaterializedSRF(fcinfo, 0);
	SPI_connect();

	if (version)
		todo = list_make1(load_migration(version, false));
	else
		todo = load_migrations("WHERE state = 'applied'" VERSION_ORDER,
							   0, NULL, NULL, NULL);
	initStringInfo(&failures);

	foreach(lc, todo)
	{
		Migration  *m = lfirst(lc);
		char	   *failure = NULL;
		char	   *actual;
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		CHECK_FOR_INTERRUPTS();
		actual = script_checksum(m->up);
		if (strcmp(m->state, "applied") != 0)
			failure = psprintf("migration is %s, not applied", m->state);
		else if (strcmp(actual, m->checksum) != 0)
			failure = psprintf("up script does not match its checksum (recorded %s, actual %s)",
							   m->checksum, actual);
		else if (m->verify && !script_is_blank(m->verify))
			failure = run_verify_script(m);

		values[0] = CStringGetTextDatum(m->version);
		values[1] = BoolGetDatum(failure == NULL);
		if (failure)
			values[2] = CStringGetTextDatum(failure);
		else
		{
			values[2] = CStringGetTextDatum(m->verify && !script_is_blank(m->verify)
											? "checksum matches; verify script passed"
											: "checksum matches; no verify script");
		}
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);

		checked++;
		if (failure)
		{
			/* The summary names the first failures, then counts the rest. */
			one_failure = failure;
			if (failed < VERIFY_FAILURES_NAMED)
				appendStringInfo(&failures, "%s%s: %s", failed > 0 ? "; " : "",
								 m->version, failure);
			failed++;
		}
	}

	/*
	 * One events row per call, not one per migration: a nightly verify()
	 * of a long history would otherwise grow events by its length each
	 * night.  A call for one version names it.
	 */
	if (can_write)
	{
		Migration  *one = version ? linitial(todo) : NULL;
		char	   *summary = one_failure;

		if (failed > VERIFY_FAILURES_NAMED)
			appendStringInfo(&failures, "; and %d more", failed - VERIFY_FAILURES_NAMED);

		/*
		 * Each count chooses its own plural form: "verified 4 migrations",
		 * then "1 failed: ..." or "all passed".
		 */
		if (!one)
		{
			summary = psprintf(ngettext("verified %d migration",
										"verified %d migrations", checked),
							   checked);
			summary = failed > 0
				? psprintf(ngettext("%s: %d failed: %s", "%s: %d failed: %s", failed),
						   summary, failed, failures.data)
				: psprintf("%s: all passed", summary);
		}
		history_event(one ? one->version : NULL, "verify", one ? one->kind : NULL,
					  failed > 0 ? "failed" : "success", NULL, NULL, summary);
	}

	SPI_finish();
	return (Datum) 0;
}
