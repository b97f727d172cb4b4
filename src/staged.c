/*-------------------------------------------------------------------------
 *
 * staged.c
 *	  Staged changes: migrator.stage(), CALL migrator.complete() and
 *	  migrator.abort(), and the phases that apply(), deploy(), rollback(),
 *	  check() and plan() run for them (docs/staged.md).
 *
 * stage() registers a migration of kind "staged" whose up is the
 * statement, and a row of migrator.staged_changes with the statement and
 * its up and down expressions.  The change then goes through
 *
 *	pending		registered (or rolled back after complete)
 *	expanding	expand ran: new columns, constraints NOT VALID, the
 *				dual-write trigger, the version schemas; the backfill, the
 *				index builds and the validation may still be under way
 *	expanded	both application versions work; the migration is applied
 *				(events: outcome "partial")
 *	completed	complete() ran the contract step: the old shape is gone
 *	aborted		abort() (or rollback()) returned to the old shape
 *
 * Each phase is one transaction, or, in deploy(), complete() and abort(),
 * a step retried on lock timeout (deploy_with_retries()); the backfill
 * commits per batch (backfill.c) and CREATE INDEX CONCURRENTLY runs in a
 * background worker, so that a crash at any point leaves a state the next
 * call resumes from.  apply() runs every phase in its own transaction.
 *
 * The SQL of each phase is written by staged_spec.c when the change
 * expands and kept in staged_changes.spec, so that complete() and abort()
 * run exactly what was planned, also after a restart or a dump and
 * restore.  It runs with the caller's rights as a script of the migration
 * (the guard lets through exactly its destructive statements: see
 * staged_running_script()).
 *
 * A change completes in the same call that expands it when its table did
 * not exist when the call began: the call created it (a fresh environment
 * applying a history), so no application uses the old shape.  Otherwise
 * it stays in flight until CALL migrator.complete().
 *
 *-------------------------------------------------------------------------
 */

#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "pgstat.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "migrator.h"
#include "analyze.h"
#include "apply.h"
#include "backfill.h"
#include "deploy.h"
#include "fingerprint.h"
#include "history.h"
#include "script.h"
#include "session.h"
#include "staged.h"
#include "staged_parse.h"
#include "staged_spec.h"
#include "staged_views.h"
#include "version.h"
#include "worker.h"

PG_FUNCTION_INFO_V1(migrator_stage);
PG_FUNCTION_INFO_V1(migrator_complete);
PG_FUNCTION_INFO_V1(migrator_abort);

/* The text of the migrations.down of a staged migration before complete. */
#define STAGED_DOWN_PLACEHOLDER \
	"-- staged change: rollback() aborts it while it is in flight; complete() writes the script that undoes it"

/* GUC: rows per batch of a staged change's backfill. */
static int	staged_batch_size = 1000;

/* Versions of this call whose tables did not exist when it began. */
static List *fresh_versions = NIL;

/* A row of migrator.staged_changes. */
typedef struct StagedChange
{
	char	   *version;
	char	   *statement;
	char	   *up;
	char	   *down;
	char	   *operation;
	char	   *relation;
	char	   *state;
	char	   *schema;			/* spec: the table's schema, once expanded */
	char	   *table;
	char	   *old_schema;
	char	   *new_schema;
	char	   *describe;
} StagedChange;

#define CHANGE_SELECT \
	"SELECT version, statement, up, down, operation, relation, state, " \
	"       spec->>'schema', spec->>'table', spec->>'old_schema', spec->>'new_schema', " \
	"       spec->>'describe' " \
	"  FROM migrator.staged_changes "

static char *
value(int col)
{
	return SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, col);
}

/*
 * Is migrator.staged_changes there?  A database whose extension is still
 * at 0.2 has none (the library serves every installed version).
 */
static bool
staged_catalog_present(void)
{
	Oid			nsp = get_namespace_oid("migrator", true);

	return OidIsValid(nsp) && OidIsValid(get_relname_relid("staged_changes", nsp));
}

/* The change of "version", or NULL. */
static StagedChange *
load_change(const char *version, bool for_update)
{
	Oid			type = TEXTOID;
	Datum		v = CStringGetTextDatum(version);
	StagedChange *c;

	if (!staged_catalog_present())
		return NULL;
	history_exec(for_update ? CHANGE_SELECT "WHERE version = $1 FOR UPDATE"
				 : CHANGE_SELECT "WHERE version = $1",
				 1, &type, &v, NULL);
	if (SPI_processed == 0)
		return NULL;
	c = palloc0(sizeof(StagedChange));
	c->version = value(1);
	c->statement = value(2);
	c->up = value(3);
	c->down = value(4);
	c->operation = value(5);
	c->relation = value(6);
	c->state = value(7);
	c->schema = value(8);
	c->table = value(9);
	c->old_schema = value(10);
	c->new_schema = value(11);
	c->describe = value(12);
	return c;
}

/* One text field of the spec of "version" (NULL when absent). */
static char *
spec_text(const char *version, const char *key)
{
	Oid			types[2] = {TEXTOID, TEXTOID};
	Datum		values[2];

	values[0] = CStringGetTextDatum(version);
	values[1] = CStringGetTextDatum(key);
	history_exec("SELECT spec->>$2 FROM migrator.staged_changes WHERE version = $1",
				 2, types, values, NULL);
	return SPI_processed == 1 ? value(1) : NULL;
}

/* A text array field of the spec of "version". */
static List *
spec_list(const char *version, const char *key)
{
	Oid			types[2] = {TEXTOID, TEXTOID};
	Datum		values[2];
	List	   *result = NIL;
	uint64		i;

	values[0] = CStringGetTextDatum(version);
	values[1] = CStringGetTextDatum(key);
	history_exec("SELECT e FROM migrator.staged_changes, "
				 "       pg_catalog.jsonb_array_elements_text(spec->$2) WITH ORDINALITY AS a(e, n) "
				 " WHERE version = $1 ORDER BY n",
				 2, types, values, NULL);
	for (i = 0; i < SPI_processed; i++)
		result = lappend(result, SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1));
	return result;
}

static bool
staged_is_change(Migration *m)
{
	Oid			type = TEXTOID;
	Datum		v = CStringGetTextDatum(m->version);

	/* only stage() registers migrations of kind staged with a change */
	if (strcmp(m->kind, "staged") != 0 || !staged_catalog_present())
		return false;
	history_exec("SELECT 1 FROM migrator.staged_changes WHERE version = $1",
				 1, &type, &v, NULL);
	return SPI_processed > 0;
}

/*
 * Record the state of the change of "version", with its spec and the
 * table it changes when given.
 */
static void
set_state(const char *version, const char *state, const char *spec,
		  const char *relation)
{
	Oid			types[4] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID};
	Datum		values[4];
	char		nulls[4] = {' ', ' ', spec ? ' ' : 'n', relation ? ' ' : 'n'};

	values[0] = CStringGetTextDatum(version);
	values[1] = CStringGetTextDatum(state);
	values[2] = spec ? CStringGetTextDatum(spec) : (Datum) 0;
	values[3] = relation ? CStringGetTextDatum(relation) : (Datum) 0;
	history_exec("UPDATE migrator.staged_changes SET state = $2, "
				 "       spec = COALESCE($3::jsonb, spec), relation = COALESCE($4, relation), "
				 "       expanded_at = CASE WHEN $2 = 'expanded' THEN pg_catalog.clock_timestamp() ELSE expanded_at END, "
				 "       completed_at = CASE WHEN $2 = 'completed' THEN pg_catalog.clock_timestamp() ELSE completed_at END, "
				 "       aborted_at = CASE WHEN $2 = 'aborted' THEN pg_catalog.clock_timestamp() ELSE aborted_at END "
				 " WHERE version = $1",
				 4, types, values, nulls);
}

/* The migration row of "version": applied (with apply_seq) or pending. */
static void
set_migration_applied(const char *version, Interval *duration)
{
	Oid			types[3] = {TEXTOID, TEXTOID, INTERVALOID};
	Datum		values[3];

	values[0] = CStringGetTextDatum(version);
	values[1] = CStringGetTextDatum(GetUserNameFromId(GetUserId(), false));
	values[2] = IntervalPGetDatum(duration);
	history_exec("UPDATE migrator.migrations SET state = 'applied', "
				 "applied_at = pg_catalog.clock_timestamp(), applied_by = $2, "
				 "duration = $3, apply_seq = "
				 "(SELECT COALESCE(pg_catalog.max(apply_seq), 0) + 1 "
				 "   FROM migrator.migrations) "
				 "WHERE version = $1 AND state <> 'applied'",
				 3, types, values, NULL);
}

static void
set_migration_pending(const char *version)
{
	Oid			type = TEXTOID;
	Datum		v = CStringGetTextDatum(version);

	history_exec("UPDATE migrator.migrations SET state = 'pending', "
				 "applied_at = NULL, applied_by = NULL, duration = NULL, "
				 "apply_seq = NULL WHERE version = $1",
				 1, &type, &v, NULL);
}

/*
 * Run "sql", a script of the change of "version", as a script of that
 * migration in direction "direction": with the caller's rights, and with
 * the guard letting through exactly its destructive statements.
 */
static void
run_staged_script(const char *version, const char *direction, const char *sql)
{
	const char *save = session_staged_script();

	if (sql == NULL || script_is_blank(sql))
		return;
	session_set_staged_script(sql);
	PG_TRY();
	{
		migration_run_script(version, "staged", direction, sql);
	}
	PG_FINALLY();
	{
		session_set_staged_script(save);
	}
	PG_END_TRY();
}

/*
 * Bring the version schemas of schema "nspname" in step with the changes
 * in flight, as part of "version"'s "direction".
 */
static void
sync_schema(const char *version, const char *direction, const char *nspname)
{
	char	   *sql = staged_sync_sql(nspname, InvalidOid);

	run_staged_script(version, direction, sql);
}

/* Is "version" in this call's fresh list? */
static bool
is_fresh(const char *version)
{
	ListCell   *lc;

	foreach(lc, fresh_versions)
		if (strcmp(lfirst(lc), version) == 0)
			return true;
	return false;
}

/*
 * At the start of apply() or deploy(): note the staged changes in "todo"
 * whose table does not exist yet.  An earlier migration of the same call
 * creates it, so nothing uses its old shape and the change completes at
 * once (docs/staged.md, "Fresh environments").
 */
static void
staged_begin_call(List *todo)
{
	MemoryContext oldcxt;
	ListCell   *lc;
	List	   *fresh = NIL;

	if (!staged_catalog_present())
		return;
	foreach(lc, todo)
	{
		Migration  *m = lfirst(lc);
		StagedChange *c = load_change(m->version, false);
		StagedRequest *req;

		if (c == NULL)
			continue;
		req = staged_parse(c->statement, c->up, c->down);
		if (!OidIsValid(RangeVarGetRelid(req->relation, NoLock, true)))
			fresh = lappend(fresh, m->version);
	}
	oldcxt = MemoryContextSwitchTo(TopMemoryContext);
	list_free_deep(fresh_versions);
	fresh_versions = NIL;
	foreach(lc, fresh)
		fresh_versions = lappend(fresh_versions, pstrdup(lfirst(lc)));
	MemoryContextSwitchTo(oldcxt);
}

/*
 * Refuse a second change of a table that has one in flight: both would
 * add triggers, views and columns to the same rows.
 */
static void
check_table_free(StagedSpec *spec)
{
	Oid			types[3] = {TEXTOID, TEXTOID, TEXTOID};
	Datum		values[3];

	values[0] = CStringGetTextDatum(spec->nspname);
	values[1] = CStringGetTextDatum(spec->relname);
	values[2] = CStringGetTextDatum(spec->version);
	history_exec("SELECT version FROM migrator.staged_changes "
				 " WHERE state IN ('expanding', 'expanded') AND version <> $3 "
				 "   AND spec->>'schema' = $1 AND $2 IN (spec->>'table', spec->>'new_table')",
				 3, types, values, NULL);
	if (SPI_processed > 0)
	{
		char	   *other = value(1);

		ereport(ERROR,
				(errcode(ERRCODE_MIGRATOR_STAGED_STATE),
				 errmsg("table %s has staged change \"%s\" in flight", spec->qualified, other),
				 errdetail("Staged change \"%s\" cannot expand until that change is completed or aborted.",
						   spec->version),
				 errhint("Run CALL migrator.complete('%s') once no application uses the old shape, or CALL migrator.abort('%s'), then deploy again.",
						 other, other)));
	}
}

/* Does the dual-write trigger of the change exist? */
static bool
trigger_exists(StagedChange *c)
{
	Oid			types[2] = {TEXTOID, TEXTOID};
	Datum		values[2];

	values[0] = CStringGetTextDatum(c->relation);
	values[1] = CStringGetTextDatum(spec_text(c->version, "trigger"));
	if (SPI_execute_with_args("SELECT 1 FROM pg_catalog.pg_trigger "
							  " WHERE tgrelid = pg_catalog.to_regclass($1) AND tgname = $2",
							  2, types, values, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not look up a trigger");
	return SPI_processed > 0;
}

/* Mark a step of the change done in its spec ("views": the second expand step). */
static void
set_spec_flag(const char *version, const char *flag)
{
	Oid			types[2] = {TEXTOID, TEXTOID};
	Datum		values[2];

	values[0] = CStringGetTextDatum(version);
	values[1] = CStringGetTextDatum(flag);
	history_exec("UPDATE migrator.staged_changes "
				 "   SET spec = spec || pg_catalog.jsonb_build_object($2, true) WHERE version = $1",
				 2, types, values, NULL);
}

/* Set text field "key" of the spec of "version". */
static void
set_spec_text(const char *version, const char *key, const char *text)
{
	Oid			types[3] = {TEXTOID, TEXTOID, TEXTOID};
	Datum		values[3];

	values[0] = CStringGetTextDatum(version);
	values[1] = CStringGetTextDatum(key);
	values[2] = CStringGetTextDatum(text);
	history_exec("UPDATE migrator.staged_changes "
				 "   SET spec = spec || pg_catalog.jsonb_build_object($2, $3) WHERE version = $1",
				 3, types, values, NULL);
}

/* How many times the change of "version" expanded before (aborts). */
static int
expansion_number(const char *version)
{
	Oid			type = TEXTOID;
	Datum		v = CStringGetTextDatum(version);

	history_exec("SELECT pg_catalog.count(*) FROM migrator.events "
				 "WHERE version = $1 AND action = 'rollback'",
				 1, &type, &v, NULL);
	return atoi(value(1)) + 1;
}

/*
 * A change that backfills walks its table in the order of a key: refuse,
 * before anything of it runs, one whose table has none (it would stop at
 * its backfill, expanded half-way).
 */
static void
check_backfill_key(StagedSpec *spec)
{
	if (spec->backfill_set == NULL || backfill_relation_has_key(spec->relid))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_MIGRATOR_NOT_STAGEABLE),
			 errmsg("migrator.stage() cannot stage a change of \"%s\" that backfills its rows",
					spec->relname),
			 errdetail("The backfill walks the rows in batches in the order of a key: the primary key, or a NOT NULL column alone in a unique index. Table %s has none (or several such columns and no primary key).",
					   spec->qualified),
			 errhint("Add a primary key to the table first, in a migration of its own, then stage the change.")));
}

/*
 * The first expand step of the change of migration "m", in the current
 * transaction: resolve it against the catalog, add the new columns (and a
 * foreign key, NOT VALID, on the copies of a fix-up or on the columns
 * themselves without one), write the rest of its SQL into staged_changes
 * (the change is then "expanding") and create the trigger function.  The
 * ACCESS EXCLUSIVE lock of ADD COLUMN is held only for this short step.
 * Returns the spec, for the second step when the same call runs it.
 */
static StagedSpec *
expand_columns(Migration *m, StagedChange *c)
{
	StagedRequest *req = staged_parse(c->statement, c->up, c->down);
	StagedSpec *spec = staged_resolve(m->version, req, false);

	check_table_free(spec);
	/*
	 * A constraint change without a fix-up runs all of its SQL in step 2;
	 * one with a fix-up adds the copies of its columns here, as a reshaping
	 * change its new columns (its constraints come in step 2, after the
	 * trigger, written by staged_finish()).
	 */
	if (spec->expand_late_sql == NULL)
		run_staged_script(m->version, STAGED_EXPAND, spec->expand_sql);
	staged_finish(spec, false);
	check_backfill_key(spec);
	if (spec->backfill_set)
		spec->backfill_set = psprintf("%s /* migrator staged change %s, expansion %d */",
									  spec->backfill_set, m->version,
									  expansion_number(m->version));
	set_state(m->version, "expanding", staged_spec_json(spec), spec->qualified);
	if (spec->function_head)
		run_staged_script(m->version, STAGED_EXPAND,
						  staged_function_sql(spec->function, spec->function_head,
											  spec->function_tail,
											  list_make1(spec->new_schema)));
	history_event(m->version, "apply", "staged", "partial", NULL, NULL,
				  psprintf("expand: %s; old shape in schema %s, new shape in schema %s",
						   spec->describe, spec->old_schema, spec->new_schema));
	return spec;
}

/*
 * The second expand step: the version schemas, then the trigger and the
 * constraints that need it, last, so that the locks that stop writers are
 * held for the end of the step only; then the down script, which reads the
 * new shape's view.  "spec" is what the first step returned when the same
 * call ran it; NULL when a later call resumes the change (the first call
 * stopped between the steps): what the first step wrote into
 * staged_changes serves then, and a type change or another reshaping one
 * is resolved again, for its down script.
 */
static void
expand_views(Migration *m, StagedChange *c, StagedSpec *spec)
{
	StagedRequest *req = spec ? spec->req : staged_parse(c->statement, c->up, c->down);
	char	   *function = spec_text(m->version, "function");
	char	   *late = spec ? spec->expand_late_sql : spec_text(m->version, "expand_late");

	sync_schema(m->version, STAGED_EXPAND, c->schema);
	if (function && !trigger_exists(c))
		run_staged_script(m->version, STAGED_EXPAND,
						  psprintf("CREATE TRIGGER %s BEFORE INSERT OR UPDATE ON %s "
								   "FOR EACH ROW EXECUTE FUNCTION %s()",
								   quote_identifier(spec_text(m->version, "trigger")),
								   c->relation, function));

	/*
	 * Resumed by a later call: the down script of a reshaping change is
	 * written from its request, resolved again; so is the late SQL of a
	 * change that an older library began (staged_changes.spec without
	 * "expand_late").
	 */
	if (spec == NULL && req->op != STAGED_ADD_FOREIGN_KEY &&
		(req->op == STAGED_RESHAPE || late == NULL))
	{
		spec = staged_resolve_expanding(m->version, req);
		if (late == NULL)
			late = spec->expand_late_sql;
	}
	run_staged_script(m->version, STAGED_EXPAND, late);
	if (req->op == STAGED_RESHAPE)
	{
		staged_render_down(spec);
		set_spec_text(m->version, "down", spec->down_sql);
	}
	set_spec_flag(m->version, "views");
}


/* The OID of the table of an expanded change. */
static Oid
change_relid(StagedChange *c)
{
	Oid			nsp = get_namespace_oid(c->schema, false);
	Oid			relid = get_relname_relid(c->table, nsp);

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table %s of staged change \"%s\" no longer exists",
						quote_qualified_identifier(c->schema, c->table), c->version)));
	return relid;
}

/*
 * The change of "version" is expanded: both versions work, the migration
 * is applied (events: "partial" until complete).
 */
static void
mark_expanded(const char *version, TimestampTz start)
{
	char	   *describe = spec_text(version, "describe");
	char	   *old_schema = spec_text(version, "old_schema");
	char	   *new_schema = spec_text(version, "new_schema");

	set_state(version, "expanded", NULL, NULL);
	set_migration_applied(version, elapsed_interval(start));
	history_event(version, "apply", "staged", "partial", NULL, NULL,
				  psprintf("expanded: %s; both versions work: old in schema %s, new in schema %s; complete() contracts",
						   describe, old_schema, new_schema));
}

/* The contract step, in the current transaction. */
static void
complete_in_xact(const char *version)
{
	StagedChange *c = load_change(version, true);
	char	   *down;
	Oid			types[2] = {TEXTOID, TEXTOID};
	Datum		values[2];

	Oid			relid = change_relid(c);

	/* views first; the table's own ACCESS EXCLUSIVE locks last */
	set_state(version, "completed", NULL, NULL);
	run_staged_script(version, STAGED_COMPLETE, staged_detach_sql(c->schema, relid));
	run_staged_script(version, STAGED_COMPLETE, staged_sync_sql(c->schema, relid));
	run_staged_script(version, STAGED_COMPLETE, spec_text(version, "complete"));
	sync_schema(version, STAGED_COMPLETE, c->schema);
	/* rollback() of the completed change runs this */
	down = spec_text(version, "down");
	values[0] = CStringGetTextDatum(version);
	values[1] = CStringGetTextDatum(down ? down : "");
	history_exec("UPDATE migrator.migrations SET down = $2 WHERE version = $1",
				 2, types, values, NULL);
	history_event(version, "apply", "staged", "success", NULL, NULL,
				  psprintf("complete: %s", c->describe ? c->describe : c->operation));
}

/* The abort step, in the current transaction. */
static void
abort_in_xact(const char *version, const char *final_state, bool record)
{
	StagedChange *c = load_change(version, true);

	Oid			relid = change_relid(c);

	set_state(version, final_state, NULL, NULL);
	run_staged_script(version, STAGED_ABORT, staged_detach_sql(c->schema, relid));
	run_staged_script(version, STAGED_ABORT, staged_sync_sql(c->schema, relid));
	run_staged_script(version, STAGED_ABORT, spec_text(version, "abort"));
	sync_schema(version, STAGED_ABORT, c->schema);
	/* rollback() records the migration pending itself */
	if (!record)
		return;
	set_migration_pending(version);
	history_event(version, "rollback", "staged", "success", NULL, NULL,
				  psprintf("abort: back to the old shape of %s", c->relation));
}

/* ----------------------------------------------------------------
 * apply(): every phase in the caller's transaction
 * ----------------------------------------------------------------
 */

/*
 * The backfill, constraints, indexes and validation of an expanding
 * change, in the current transaction (apply(), check()).
 */
static void
finish_expansion_in_xact(StagedChange *c)
{
	char	   *set = spec_text(c->version, "backfill_set");
	char	   *filter = spec_text(c->version, "backfill_filter");
	List	   *indexes = spec_list(c->version, "indexes_blocking");
	ListCell   *lc;

	if (set)
	{
		char	   *sql = psprintf("UPDATE %s SET %s%s%s", c->relation, set,
								   filter ? " WHERE " : "", filter ? filter : "");

		if (SPI_execute(sql, false, 0) < 0)
			elog(ERROR, "backfill of staged change \"%s\" failed", c->version);
	}
	run_staged_script(c->version, STAGED_EXPAND, spec_text(c->version, "constrain"));
	foreach(lc, indexes)
		run_staged_script(c->version, STAGED_EXPAND, lfirst(lc));
	run_staged_script(c->version, STAGED_EXPAND, spec_text(c->version, "validate"));
}

/*
 * apply() of a staged migration: expand, backfill, validate in the
 * caller's transaction, and complete when the call created the table.
 */
static Interval *
staged_apply(Migration *m)
{
	TimestampTz start = GetCurrentTimestamp();
	StagedChange *c = load_change(m->version, true);
	StagedSpec *spec = NULL;

	migration_check_checksum(m);
	if (strcmp(c->state, "expanding") != 0)
		spec = expand_columns(m, c);
	c = load_change(m->version, true);
	if (spec_text(m->version, "views") == NULL)
		expand_views(m, c, spec);
	c = load_change(m->version, true);
	finish_expansion_in_xact(c);
	mark_expanded(m->version, start);
	if (is_fresh(m->version))
		complete_in_xact(m->version);
	return elapsed_interval(start);
}

/* ----------------------------------------------------------------
 * deploy(), complete(), abort(): one step at a time, retried on lock
 * timeout, committed
 * ----------------------------------------------------------------
 */

typedef struct StepArg
{
	Migration  *m;
	const char *version;
	const char *sql;
	const char *final_state;
	TimestampTz start;
	StagedSpec *spec;			/* what the first expand step of this call
								 * returned, for the second */
} StepArg;

static void
expand_columns_step(void *arg)
{
	StepArg    *a = arg;

	a->spec = NULL;
	a->spec = expand_columns(a->m, load_change(a->m->version, true));
	fingerprint_record("deploy");
}

static void
expand_views_step(void *arg)
{
	StepArg    *a = arg;

	expand_views(a->m, load_change(a->m->version, true), a->spec);
	fingerprint_record("deploy");
}

static void
script_step(void *arg)
{
	StepArg    *a = arg;

	run_staged_script(a->version, STAGED_EXPAND, a->sql);
}

static void
expanded_step(void *arg)
{
	StepArg    *a = arg;

	mark_expanded(a->version, a->start);
	fingerprint_record("deploy");
}

static void
complete_step(void *arg)
{
	StepArg    *a = arg;

	complete_in_xact(a->version);
	fingerprint_record("complete");
}

static void
abort_step(void *arg)
{
	StepArg    *a = arg;

	abort_in_xact(a->version, a->final_state, true);
	fingerprint_record("abort");
}

/* Show what a staged change is doing in pg_stat_activity. */
static void
report(const char *fmt,...) pg_attribute_printf(1, 2);

static void
report(const char *fmt,...)
{
	va_list		args;
	char		step[512];

	va_start(args, fmt);
	vsnprintf(step, sizeof(step), fmt, args);
	va_end(args);
	pgstat_report_activity(STATE_RUNNING, psprintf("migrator staged change -- %s", step));
}

/*
 * Build the indexes of the change in background workers (CREATE INDEX
 * CONCURRENTLY runs outside a transaction block), after dropping an
 * invalid index of the same name that an interrupted build left.  The
 * caller has committed.
 */
static void
build_indexes(StagedChange *c)
{
	List	   *indexes = spec_list(c->version, "indexes");
	List	   *names = spec_list(c->version, "index_names");
	ListCell   *lc,
			   *nc;

	SPI_commit();
	forboth(lc, indexes, nc, names)
	{
		const char *name = lfirst(nc);
		Oid			type = TEXTOID;
		Datum		v = CStringGetTextDatum(name);
		bool		exists = false;
		bool		valid = false;
		WorkerResult *res;

		if (SPI_execute_with_args("SELECT i.indisvalid FROM pg_catalog.pg_index i "
								  " WHERE i.indexrelid = pg_catalog.to_regclass($1)",
								  1, &type, &v, NULL, false, 0) != SPI_OK_SELECT)
			elog(ERROR, "could not look up index %s", name);
		if (SPI_processed == 1)
		{
			exists = true;
			valid = strcmp(value(1), "t") == 0;
		}
		SPI_commit();
		if (exists && valid)
			continue;			/* built before an interruption */
		if (exists)
		{
			res = worker_run_sql(MyDatabaseId, GetUserId(),
								 psprintf("DROP INDEX CONCURRENTLY IF EXISTS %s", name),
								 NULL, NULL, NULL, "migrator staged change: cleanup");
			if (!res->ok)
				ereport(ERROR,
						(errcode(res->sqlerrcode),
						 errmsg("could not drop invalid index %s: %s", name, res->message)));
		}
		report("%s: %s", c->version, (char *) lfirst(lc));
		res = worker_run_sql(MyDatabaseId, GetUserId(), lfirst(lc), c->version,
							 "staged", STAGED_EXPAND,
							 psprintf("migrator staged change %s", c->version));
		if (!res->ok)
		{
			WorkerResult *cleanup;

			history_event(c->version, "apply", "staged", "failed", NULL, lfirst(lc), res->message);
			SPI_commit();
			cleanup = worker_run_sql(MyDatabaseId, GetUserId(),
									 psprintf("DROP INDEX CONCURRENTLY IF EXISTS %s", name),
									 NULL, NULL, NULL, "migrator staged change: cleanup");
			(void) cleanup;
			ereport(ERROR,
					(errcode(res->sqlerrcode),
					 errmsg_internal("%s", res->message),
					 res->detail ? errdetail_internal("%s", res->detail) : 0,
					 errhint("Fix the rows (an up expression fixes them in the backfill), then run CALL migrator.deploy() again, or CALL migrator.abort('%s').",
							 c->version),
					 errcontext("staged change %s, index build (run outside a transaction block by a background worker)",
								c->version)));
		}
	}
}

/*
 * deploy() of a staged migration: expand (retried on lock timeout),
 * backfill in batches, constrain, build indexes concurrently, validate,
 * mark expanded, each committed; complete at once when the call created
 * the table.  Resumes a change an interruption left expanding.  Returns
 * the retries of the expand step.
 */
static int
staged_deploy(Migration *m, int lock_timeout_ms, int lock_retries)
{
	StagedChange *c = load_change(m->version, false);
	TimestampTz start = GetCurrentTimestamp();
	StepArg		arg = {0};
	int			retries = 0;
	char	   *set;
	char	   *sql;

	arg.m = m;
	arg.version = m->version;
	arg.start = start;
	migration_check_checksum(m);
	if (strcmp(c->state, "expanding") != 0)
	{
		retries = deploy_with_retries(m->version, "staged", "apply", "staged change",
									  expand_columns_step, &arg, lock_timeout_ms, lock_retries);
		SPI_commit();
	}
	else
		ereport(NOTICE,
				(errmsg("resuming staged change %s", m->version),
				 errdetail("It was interrupted after its expand step.")));
	if (spec_text(m->version, "views") == NULL)
	{
		retries += deploy_with_retries(m->version, "staged", "apply", "staged change",
									   expand_views_step, &arg, lock_timeout_ms, lock_retries);
		SPI_commit();
		c = load_change(m->version, false);
		ereport(NOTICE,
				(errmsg("staged change %s expanded: %s", m->version, c->describe),
				 errdetail("Old shape in schema %s, new shape in schema %s.",
						   c->old_schema, c->new_schema)));
	}
	c = load_change(m->version, false);

	set = spec_text(m->version, "backfill_set");
	if (set)
	{
		char	   *filter = spec_text(m->version, "backfill_filter");
		Oid			relid = change_relid(c);

		SPI_commit();
		report("%s: backfill of %s", m->version, c->relation);
		backfill_relation(relid, set, filter, staged_batch_size, NULL, false);
		history_event(m->version, "apply", "staged", "partial", NULL, NULL,
					  psprintf("backfill of %s done", c->relation));
		SPI_commit();
	}
	sql = spec_text(m->version, "constrain");
	if (sql && !script_is_blank(sql))
	{
		arg.sql = sql;
		deploy_with_retries(m->version, "staged", "apply", "staged change", script_step, &arg,
							lock_timeout_ms, lock_retries);
		SPI_commit();
	}
	build_indexes(c);
	sql = spec_text(m->version, "validate");
	if (sql && !script_is_blank(sql))
	{
		arg.sql = sql;
		report("%s: validating constraints", m->version);
		deploy_with_retries(m->version, "staged", "apply", "staged change", script_step, &arg,
							lock_timeout_ms, lock_retries);
		SPI_commit();
	}
	deploy_with_retries(m->version, "staged", "apply", "staged change", expanded_step, &arg,
						lock_timeout_ms, lock_retries);
	SPI_commit();

	if (is_fresh(m->version))
	{
		deploy_with_retries(m->version, "staged", "apply", "staged change", complete_step, &arg,
							lock_timeout_ms, lock_retries);
		SPI_commit();
		ereport(NOTICE,
				(errmsg("staged change %s completed in the same call", m->version),
				 errdetail("Its table did not exist when the call began, so no application uses its old shape.")));
	}
	else
		ereport(NOTICE,
				(errmsg("staged change %s is in flight: both versions work", m->version),
				 errdetail("Old shape in schema %s, new shape in schema %s.", c->old_schema, c->new_schema),
				 errhint("Once no application uses the old shape, run CALL migrator.complete('%s').",
						 m->version)));
	return retries;
}

/*
 * After a plain migration applied in the current transaction: bring the
 * version schemas of the changes in flight in step with what it did (a
 * new column, a new table).
 */
static void
staged_after_migration(Migration *m)
{
	List	   *schemas = NIL;
	ListCell   *lc;
	uint64		i;

	if (!staged_catalog_present())
		return;
	history_exec("SELECT DISTINCT spec->>'schema' FROM migrator.staged_changes "
				 " WHERE state IN ('expanding', 'expanded')",
				 0, NULL, NULL, NULL);
	for (i = 0; i < SPI_processed; i++)
		schemas = lappend(schemas, SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1));
	foreach(lc, schemas)
		if (OidIsValid(get_namespace_oid(lfirst(lc), true)))
			sync_schema(m->version, STAGED_SYNC, lfirst(lc));
}

/*
 * rollback() of a staged migration, in the caller's transaction: a change
 * in flight is aborted; a completed one is undone by the down script its
 * expand wrote.  The caller records the migration as pending.
 */
static void
staged_rollback(Migration *m)
{
	StagedChange *c = load_change(m->version, true);

	if (strcmp(c->state, "expanding") == 0 || strcmp(c->state, "expanded") == 0)
	{
		abort_in_xact(m->version, "aborted", false);
	}
	else
	{
		migration_run_script(m->version, m->kind, "down", m->down);
		set_state(m->version, "pending", NULL, NULL);
	}
}

/* ----------------------------------------------------------------
 * SQL entry points
 * ----------------------------------------------------------------
 */

static char *
text_arg(FunctionCallInfo fcinfo, int n)
{
	return PG_ARGISNULL(n) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(n));
}

static bool
same_text(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}


/*
 * The migrations row of a staged change: inserted, or replacing a pending
 * migration of the same version.
 */
static void
write_migration(const char *version, const char *statement, const char *checksum,
				const char *plan, const char *name, bool replace)
{
	Oid			types[6] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID};
	Datum		values[6];
	char		nulls[6] = {' ', ' ', ' ', ' ', name ? ' ' : 'n', ' '};

	values[0] = CStringGetTextDatum(version);
	values[1] = CStringGetTextDatum(statement);
	values[2] = CStringGetTextDatum(checksum);
	values[3] = CStringGetTextDatum(plan);
	values[4] = name ? CStringGetTextDatum(name) : (Datum) 0;
	values[5] = CStringGetTextDatum(GetUserNameFromId(GetUserId(), false));
	if (replace)
		history_exec("UPDATE migrator.migrations SET up = $2, down = '" STAGED_DOWN_PLACEHOLDER "', "
					 "verify = NULL, name = $5, plan = $4, kind = 'staged', transactional = true, "
					 "checksum = $3, findings = '[]', registered_at = pg_catalog.now(), "
					 "registered_by = $6, depends_on = '{}' WHERE version = $1",
					 6, types, values, nulls);
	else
		history_exec("INSERT INTO migrator.migrations "
					 "(version, up, down, name, plan, kind, transactional, checksum, findings, registered_by) "
					 "VALUES ($1, $2, '" STAGED_DOWN_PLACEHOLDER "', $5, $4, 'staged', true, $3, '[]', $6)",
					 6, types, values, nulls);
}

/* The staged_changes row of a staged change, pending. */
static void
write_change(const char *version, const char *statement, const char *up,
			 const char *down, const char *operation, const char *relation)
{
	Oid			types[7] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID};
	Datum		values[7];
	char		nulls[7] = {' ', ' ', up ? ' ' : 'n', down ? ' ' : 'n', ' ', ' ', ' '};

	values[0] = CStringGetTextDatum(version);
	values[1] = CStringGetTextDatum(statement);
	values[2] = up ? CStringGetTextDatum(up) : (Datum) 0;
	values[3] = down ? CStringGetTextDatum(down) : (Datum) 0;
	values[4] = CStringGetTextDatum(operation);
	values[5] = CStringGetTextDatum(relation);
	values[6] = CStringGetTextDatum(GetUserNameFromId(GetUserId(), false));
	history_exec("DELETE FROM migrator.staged_changes WHERE version = $1", 1, types, values, NULL);
	history_exec("INSERT INTO migrator.staged_changes "
				 "(version, statement, up, down, operation, relation, staged_by) "
				 "VALUES ($1, $2, $3, $4, $5, $6, $7)",
				 7, types, values, nulls);
}

/*
 * The plan recorded with a staged change.  When the table exists, expand's
 * checks run now rather than at deploy.
 */
static char *
staged_plan_text(const char *version, StagedRequest *req, const char *relation)
{
	StagedSpec *spec = staged_resolve(version, req, true);

	if (spec)
	{
		staged_finish(spec, true);
		check_backfill_key(spec);
	}
	return psprintf("staged change: %s", spec ? spec->describe
					: psprintf("%s of %s (its table does not exist yet)",
							   req->operation, relation));
}

/*
 * migrator.stage(version, statement, up, down, name) RETURNS
 * migrator.migrations: register a staged change.
 */
Datum
migrator_stage(PG_FUNCTION_ARGS)
{
	char	   *version = text_arg(fcinfo, 0);
	char	   *statement = text_arg(fcinfo, 1);
	char	   *up = text_arg(fcinfo, 2);
	char	   *down = text_arg(fcinfo, 3);
	char	   *name = text_arg(fcinfo, 4);
	StagedRequest *req;
	char	   *checksum;
	char	   *plan;
	char	   *relation;
	bool		unchanged = false;
	TupleDesc	resdesc;
	Datum		result;
	MemoryContext callercxt = CurrentMemoryContext;
	Oid			types[1] = {TEXTOID};
	Datum		values[1];

	check_version_argument(version, "version");
	if (statement == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("statement must not be null"),
				 errhint("Pass the destructive statement to stage, e.g. 'ALTER TABLE app.users RENAME COLUMN name TO full_name'.")));
	if (get_call_result_type(fcinfo, NULL, &resdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type of migrator.stage() must be a row type");
	session_begin_state_change("migrator.stage()");

	req = staged_parse(statement, up, down);
	relation = relation_name(req->relation);

	SPI_connect();
	history_lock("staging a change");
	if (!staged_catalog_present())
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("staged changes need migrator 0.3"),
				 errhint("Run ALTER EXTENSION migrator UPDATE.")));

	checksum = script_checksum(statement);

	values[0] = CStringGetTextDatum(version);
	history_exec("SELECT m.state, m.up, s.up, s.down, s.state "
				 "  FROM migrator.migrations m LEFT JOIN migrator.staged_changes s USING (version) "
				 " WHERE m.version = $1 FOR UPDATE OF m",
				 1, types, values, NULL);
	if (SPI_processed > 0)
	{
		char	   *mstate = value(1);
		char	   *mup = value(2);
		char	   *sstate = value(5);
		bool		same = sstate != NULL && same_text(mup, statement) &&
			same_text(value(3), up) && same_text(value(4), down);

		if (same && (strcmp(mstate, "pending") != 0 || strcmp(sstate, "pending") == 0))
		{
			/* the same change again (as register() does): nothing to do */
			unchanged = true;
		}
		else if (strcmp(mstate, "pending") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_MIGRATOR_CHECKSUM_MISMATCH),
					 errmsg("migration \"%s\" is already %s with different content", version, mstate),
					 errhint("Stage the change under a new version, or roll the migration back first.")));
		else if (sstate && strcmp(sstate, "expanding") == 0)
			ereport(ERROR,
					(errcode(ERRCODE_MIGRATOR_STAGED_STATE),
					 errmsg("staged change \"%s\" is expanding", version),
					 errhint("Finish it with CALL migrator.deploy(), or CALL migrator.abort('%s') before staging it again.",
							 version)));
		else
		{
			plan = staged_plan_text(version, req, relation);
			write_migration(version, statement, checksum, plan, name, true);
			write_change(version, statement, up, down, req->operation, relation);
			history_event(version, "register", "staged", "success", NULL, NULL,
						  psprintf("replaced pending migration with staged %s of %s (checksum %s)",
								   req->operation, relation, checksum));
		}
	}
	else if (!unchanged)
	{
		plan = staged_plan_text(version, req, relation);
		write_migration(version, statement, checksum, plan, name, false);
		write_change(version, statement, up, down, req->operation, relation);
		history_event(version, "register", "staged", "success", NULL, NULL,
					  psprintf("staged %s of %s (checksum %s)", req->operation, relation, checksum));
	}

	values[0] = CStringGetTextDatum(version);
	history_exec("SELECT * FROM migrator.migrations WHERE version = $1",
				 1, types, values, NULL);
	resdesc = BlessTupleDesc(resdesc);
	{
		MemoryContext oldcxt = MemoryContextSwitchTo(callercxt);

		result = heap_copy_tuple_as_datum(SPI_tuptable->vals[0], resdesc);
		MemoryContextSwitchTo(oldcxt);
	}
	SPI_finish();
	PG_RETURN_DATUM(result);
}

/* migrator's advisory lock at session level, as deploy() takes it. */
static void
lock_migrator(LOCKTAG *tag, const char *what)
{
	SET_LOCKTAG_ADVISORY(*tag, MyDatabaseId, MIGRATOR_LOCK_KEY1, MIGRATOR_LOCK_KEY2, 2);
	if (LockAcquire(tag, ExclusiveLock, true, true) == LOCKACQUIRE_NOT_AVAIL)
	{
		ereport(NOTICE,
				(errmsg("waiting for another migrator session to finish before %s", what),
				 errdetail("Another session holds migrator's lock (advisory lock %u/%u in pg_locks).",
						   MIGRATOR_LOCK_KEY1, MIGRATOR_LOCK_KEY2)));
		(void) LockAcquire(tag, ExclusiveLock, true, false);
	}
}

/*
 * The body of complete() and abort(): check the procedure context and
 * the change's state, then run the step retried on lock timeout.
 */
static void
staged_procedure(FunctionCallInfo fcinfo, bool completing)
{
	const char *function = completing ? "migrator.complete()" : "migrator.abort()";
	char	   *version = text_arg(fcinfo, 0);
	int			lock_timeout_ms = PG_ARGISNULL(1) ? deploy_default_lock_timeout()
		: deploy_interval_ms(PG_GETARG_INTERVAL_P(1));
	int			lock_retries = PG_ARGISNULL(2) ? deploy_default_lock_retries() : PG_GETARG_INT32(2);
	const char *query = debug_query_string;
	LOCKTAG		tag;

	if (version == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("version must not be null")));
	if (lock_retries < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("lock_retries must not be negative")));
	if (fcinfo->context == NULL || !IsA(fcinfo->context, CallContext) ||
		castNode(CallContext, fcinfo->context)->atomic)
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("%s cannot run inside a transaction block", function),
				 errdetail("It retries its step on lock timeout, committing between attempts."),
				 errhint("Run CALL %s on its own%s.", function,
						 completing ? "" : "; migrator.rollback() aborts a change in flight in the caller's transaction")));
	session_begin_state_change(function);
	deploy_set_activity(completing ? "CALL migrator.complete()" : "CALL migrator.abort()");

	SPI_connect_ext(SPI_OPT_NONATOMIC);
	lock_migrator(&tag, completing ? "completing a staged change" : "aborting a staged change");
	PG_TRY();
	{
		StagedChange *c = load_change(version, false);
		StepArg		arg = {0};

		if (c == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_MIGRATOR_UNKNOWN_VERSION),
					 errmsg("migration \"%s\" is not a staged change", version),
					 errhint("migrator.stage() registers staged changes; see migrator.status().")));
		arg.version = c->version;
		if (completing)
		{
			if (strcmp(c->state, "completed") == 0)
				ereport(NOTICE,
						(errmsg("staged change \"%s\" is already completed", version)));
			else if (strcmp(c->state, "expanded") != 0)
				ereport(ERROR,
						(errcode(ERRCODE_MIGRATOR_STAGED_STATE),
						 errmsg("staged change \"%s\" is %s, not expanded", version, c->state),
						 strcmp(c->state, "expanding") == 0
						 ? errdetail("Its backfill, index builds or validation have not finished.")
						 : errdetail("Only an expanded change can complete."),
						 strcmp(c->state, "aborted") == 0
						 ? errhint("Deploy it again with CALL migrator.deploy().")
						 : errhint("Run CALL migrator.deploy() to expand it first.")));
			else
			{
				deploy_with_retries(version, "staged", "apply", "staged change", complete_step, &arg,
									lock_timeout_ms, lock_retries);
				SPI_commit();
				ereport(NOTICE,
						(errmsg("staged change %s completed: %s", version, c->describe),
						 errdetail("Schemas %s and %s are gone unless another change in flight needs them; the new shape is the table's.",
								   c->old_schema, c->new_schema)));
			}
		}
		else
		{
			if (strcmp(c->state, "aborted") == 0)
				ereport(NOTICE,
						(errmsg("staged change \"%s\" is already aborted", version)));
			else if (strcmp(c->state, "expanding") != 0 && strcmp(c->state, "expanded") != 0)
				ereport(ERROR,
						(errcode(ERRCODE_MIGRATOR_STAGED_STATE),
						 errmsg("staged change \"%s\" is %s, not in flight", version, c->state),
						 strcmp(c->state, "completed") == 0
						 ? errhint("A completed change is undone by migrator.rollback(), which runs the down script complete() wrote.")
						 : errhint("Nothing of it is applied.")));
			else
			{
				arg.final_state = "aborted";
				deploy_with_retries(version, "staged", "rollback", "staged change", abort_step, &arg,
									lock_timeout_ms, lock_retries);
				SPI_commit();
				ereport(NOTICE,
						(errmsg("staged change %s aborted: %s has its old shape", version, c->relation)));
			}
		}
	}
	PG_FINALLY();
	{
		LockRelease(&tag, ExclusiveLock, true);
		if (query)
			pgstat_report_activity(STATE_RUNNING, query);
	}
	PG_END_TRY();
	SPI_finish();
}

/* CALL migrator.complete(version, lock_timeout, lock_retries) */
Datum
migrator_complete(PG_FUNCTION_ARGS)
{
	staged_procedure(fcinfo, true);
	PG_RETURN_VOID();
}

/* CALL migrator.abort(version, lock_timeout, lock_retries) */
Datum
migrator_abort(PG_FUNCTION_ARGS)
{
	staged_procedure(fcinfo, false);
	PG_RETURN_VOID();
}


/* ----------------------------------------------------------------
 * plan() and check()
 * ----------------------------------------------------------------
 */

static StagedPlanStep *
plan_step(const char *phase, char *sql, char *what, const char *locks, bool transactional)
{
	StagedPlanStep *step = palloc0(sizeof(StagedPlanStep));

	step->phase = phase;
	step->sql = sql && !script_is_blank(sql) ? sql : NULL;
	step->what = what;
	step->locks = locks;
	step->transactional = transactional;
	return step;
}

/*
 * plan() of a staged migration: the SQL its expand would run, resolved
 * against the catalog as it is (nothing runs), and the steps after it.
 * When its table does not exist yet, one described step.
 */
static List *
staged_plan(Migration *m)
{
	StagedChange *c = load_change(m->version, false);
	StagedRequest *req = staged_parse(c->statement, c->up, c->down);
	StagedSpec *spec = staged_resolve(m->version, req, true);
	List	   *steps = NIL;
	ListCell   *lc;

	if (spec == NULL)
		return list_make1(plan_step("expand", NULL,
									psprintf("%s of %s, whose table an earlier migration creates: its steps are resolved when it runs, and it completes in the same call",
											 req->operation, relation_name(req->relation)),
									"", true));
	staged_finish(spec, true);
	steps = lappend(steps, plan_step("expand", spec->expand_sql, NULL, NULL, true));
	if (spec->function_head)
		steps = lappend(steps, plan_step("expand", NULL,
										 psprintf("CREATE FUNCTION %s() and CREATE TRIGGER %s BEFORE INSERT OR UPDATE ON %s: the dual-write trigger",
												  spec->function, quote_identifier(spec->trigger), spec->qualified),
										 psprintf("SHARE ROW EXCLUSIVE on %s", spec->qualified), true));
	steps = lappend(steps, plan_step("expand", NULL,
									 psprintf("CREATE SCHEMA %s and %s with a view of every table of schema %s",
											  quote_identifier(spec->old_schema), quote_identifier(spec->new_schema),
											  quote_identifier(spec->nspname)),
									 psprintf("ACCESS SHARE on the tables of %s", quote_identifier(spec->nspname)),
									 true));
	/* a fix-up's constraints, on the copies, after the trigger */
	if (spec->reshape && spec->expand_late_sql)
		steps = lappend(steps, plan_step("expand", spec->expand_late_sql, NULL, NULL, true));
	if (spec->backfill_set)
		steps = lappend(steps, plan_step("backfill",
										 psprintf("UPDATE %s SET %s%s%s", spec->qualified, spec->backfill_set,
												  spec->backfill_filter ? " WHERE " : "",
												  spec->backfill_filter ? spec->backfill_filter : ""),
										 NULL, NULL, true));
	steps = lappend(steps, plan_step("constrain", spec->constrain_sql, NULL, NULL, true));
	foreach(lc, spec->index_sql)
		steps = lappend(steps, plan_step("index", lfirst(lc), NULL, NULL, false));
	steps = lappend(steps, plan_step("validate", spec->validate_sql, NULL, NULL, true));
	steps = lappend(steps, plan_step("complete", spec->complete_sql, NULL, NULL, true));
	steps = lappend(steps, plan_step("abort", spec->abort_sql, NULL, NULL, true));
	return steps;
}

/*
 * Run "fn" on "version" in a subtransaction that is always rolled back,
 * and compare the schema it leaves with "before".  Returns false, with
 * *failure set, when "fn" failed.
 */
static bool
check_in_subtransaction(const char *version, void (*fn) (const char *version),
						List *before, List **changes, char **failure)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	volatile bool ok = true;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		fn(version);
		*changes = fingerprint_diff(before, fingerprint_take());
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		ErrorData  *edata = subtransaction_abort(oldcxt, oldowner);

		*failure = psprintf("%s (SQLSTATE %s)", edata->message, unpack_sql_state(edata->sqlerrcode));
		FreeErrorData(edata);
		ok = false;
	}
	PG_END_TRY();
	return ok;
}

static void
check_abort(const char *version)
{
	abort_in_xact(version, "aborted", true);
}

/* Complete (unless done already), then run the down script it wrote. */
static void
check_complete_and_down(const char *version)
{
	StagedChange *c = load_change(version, false);

	if (strcmp(c->state, "completed") != 0)
		complete_in_xact(version);
	migration_run_script(version, "staged", "down", spec_text(version, "down"));
}

static void
staged_check(Migration *m, List *before, const char **outcome,
			 List **changes, char **failure)
{
	StagedChange *c = load_change(m->version, false);

	*changes = NIL;
	*failure = NULL;
	*outcome = "ok";
	if (strcmp(c->state, "completed") != 0)
	{
		if (!check_in_subtransaction(m->version, check_abort, before, changes, failure))
		{
			*outcome = "abort fails";
			return;
		}
		if (*changes != NIL)
		{
			*outcome = "abort does not restore";
			return;
		}
	}
	if (!check_in_subtransaction(m->version, check_complete_and_down, before, changes, failure))
		*outcome = "complete or down fails";
	else if (*changes != NIL)
		*outcome = "down does not restore";
}

/* What apply.c calls for staged changes. */
static const StagedRoutines staged_routines = {
	.is_staged = staged_is_change,
	.begin_call = staged_begin_call,
	.apply = staged_apply,
	.deploy = staged_deploy,
	.rollback = staged_rollback,
	.after_migration = staged_after_migration,
	.plan = staged_plan,
	.check = staged_check,
};

/*
 * Register the routines apply.c calls, and define migrator.staged_batch_size
 * (USERSET: the deploying role chooses how long each batch holds its row
 * locks).  Called from _PG_init before MarkGUCPrefixReserved().
 */
void
StagedInit(void)
{
	DefineCustomIntVariable("migrator.staged_batch_size",
							"Rows per batch of the backfill of a staged change run by migrator.deploy().",
							"Each batch is a transaction that locks its rows until it commits.",
							&staged_batch_size,
							1000, 1, INT_MAX,
							PGC_USERSET, 0,
							NULL, NULL, NULL);
	migration_set_staged_routines(&staged_routines);
}
