/*-------------------------------------------------------------------------
 *
 * register.c
 *	  migrator.register(): store a migration as pending.
 *
 * Registration is where a migration is judged: every script is parsed by
 * the server's parser (invalid SQL is refused with the parser's error and
 * position), the up script is linted once (analyze.c, by name), which
 * gives its kind and the findings stored with it, a declared kind lower
 * than the detected one is refused, and a destructive migration must come
 * with a plan and a down script.
 *
 * migrator.import() (0.3) registers history applied before migrator as it
 * is: the same judging, except that a destructive migration without a plan
 * gets one that says it is imported history, and a migration whose down
 * script has no statements is recorded as "irreversible (imported)"
 * instead of being refused; rollback() refuses such a migration and
 * check() reports it.  Registering an imported migration again with
 * register() and the same up script keeps its recorded plan, so that the
 * directory it came from can go on being pushed.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/array.h"
#include "utils/fmgroids.h"

#include "migrator.h"
#include "analyze.h"
#include "history.h"
#include "lint.h"
#include "rules.h"
#include "script.h"
#include "session.h"
#include "version.h"

PG_FUNCTION_INFO_V1(migrator_register);
PG_FUNCTION_INFO_V1(migrator_import);

/* What import records for history that came without plan or down script. */
#define IMPORTED_PLAN "imported history: applied before migrator and registered as it is with migrator.import(); no plan was written for it"
#define IRREVERSIBLE_IMPORTED "irreversible (imported)"

#define MIGRATION_COLUMNS	"version, up, down, verify, name, plan, kind, transactional, checksum, state, depends_on::text"

/*
 * Refuse statements SPI cannot run, and statements that cannot run in a
 * transaction block when the migration is transactional.
 */
static void
check_script_statements(List *statements, const char *version,
						const char *what, bool transactional)
{
	ListCell   *lc;

	foreach(lc, statements)
	{
		ScriptStatement *st = lfirst(lc);
		Node	   *stmt = st->raw->stmt;
		const char *reason = statement_unsupported_reason(stmt);

		if (reason)
			ereport(ERROR,
					(errcode(ERRCODE_MIGRATOR_BAD_SCRIPT),
					 errmsg("%s script of migration \"%s\" contains %s",
							what, version, reason),
					 errdetail("Statement %d is %s.", st->index, statement_tag(stmt)),
					 errhint("migrator runs each migration in a transaction of its own; remove BEGIN, COMMIT and COPY FROM STDIN from the script.")));
		if (transactional && statement_needs_autocommit(stmt))
			ereport(ERROR,
					(errcode(ERRCODE_MIGRATOR_NOT_TRANSACTIONAL),
					 errmsg("%s script of migration \"%s\" cannot run inside a transaction block",
							what, version),
					 errdetail("Statement %d (%s) cannot run inside a transaction block.",
							   st->index, statement_tag(stmt)),
					 errhint("Register the migration with transactional => false; CALL migrator.deploy() runs it.")));
	}
}

/*
 * A down script is not judged by the migration's transactional setting,
 * which says how its up script runs: rollback() runs a down script in the
 * caller's transaction, CALL migrator.undeploy() runs one that cannot run
 * there in a background worker.  Say so when the two differ: a
 * transactional migration whose down script needs autocommit (rollback()
 * will refuse it), and a non-transactional one whose down script holds a
 * statement in the blocking form its up script avoided.
 */
static void
warn_down_script(List *statements, const char *version, bool transactional)
{
	ScriptStatement *autocommit = NULL;
	ScriptStatement *blocking = NULL;
	ListCell   *lc;

	foreach(lc, statements)
	{
		ScriptStatement *st = lfirst(lc);

		if (autocommit == NULL && statement_needs_autocommit(st->raw->stmt))
			autocommit = st;
		if (blocking == NULL && statement_has_concurrent_form(st->raw->stmt))
			blocking = st;
	}
	if (transactional && autocommit)
		ereport(WARNING,
				(errcode(ERRCODE_MIGRATOR_NOT_TRANSACTIONAL),
				 errmsg("down script of migration \"%s\" cannot run inside a transaction block",
						version),
				 errdetail("Statement %d (%s) cannot run inside a transaction block, so migrator.rollback() cannot undo this migration, although its up script runs in one.",
						   autocommit->index, statement_tag(autocommit->raw->stmt)),
				 errhint("Roll it back with CALL migrator.undeploy(), which runs that statement in a background worker.")));
	else if (!transactional && autocommit == NULL && blocking)
		ereport(WARNING,
				(errcode(ERRCODE_MIGRATOR_NOT_TRANSACTIONAL),
				 errmsg("down script of non-transactional migration \"%s\" runs inside a transaction block",
						version),
				 errdetail("Statement %d (%s) takes the lock that the CONCURRENTLY form avoids, and holds it until the down script ends.",
						   blocking->index, statement_tag(blocking->raw->stmt)),
				 errhint("Write its CONCURRENTLY form in the down script; CALL migrator.undeploy() runs it outside a transaction block.")));
}

/*
 * "statement 2 (DROP TABLE app.t, rule drop_table)" for every finding (List
 * of LintFinding) of at least "kind", separated by "; ".
 */
static char *
describe_findings(List *findings, MigrationKind kind)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, findings)
	{
		LintFinding *f = lfirst(lc);

		if (f->rule->kind < kind)
			continue;
		if (buf.len > 0)
			appendStringInfoString(&buf, "; ");
		appendStringInfo(&buf, "statement %d (%s%s%s, rule %s)",
						 f->statement, f->tag,
						 f->object ? " " : "", f->object ? f->object : "",
						 f->rule->id);
	}
	return buf.data;
}

/*
 * The depends_on argument: every element a registered migration with an
 * older version, so that apply() reaches it first.  Returns the array as
 * text ("{}" when none), the form it is stored and compared in.  The
 * caller has done SPI_connect() and holds the lock.
 */
static char *
check_depends_on(FunctionCallInfo fcinfo, int argno, const char *version)
{
	ArrayType  *arr;
	Datum	   *elems;
	bool	   *elemnulls;
	int			nelems;
	int			i;

	if (PG_ARGISNULL(argno))
		return "{}";
	arr = PG_GETARG_ARRAYTYPE_P(argno);
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("depends_on must be a one-dimensional array")));
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &elemnulls, &nelems);
	for (i = 0; i < nelems; i++)
	{
		char	   *dep;
		Oid			type = TEXTOID;

		if (elemnulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("depends_on of migration \"%s\" must not contain nulls", version)));
		dep = TextDatumGetCString(elems[i]);
		if (version_compare(dep, version) >= 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("migration \"%s\" cannot depend on migration \"%s\"", version, dep),
					 errdetail("Migrations apply in version order, so a dependency must have an older version."),
					 errhint("Give the expand and backfill steps versions older than the contract step.")));
		history_exec("SELECT 1 FROM migrator.migrations WHERE version = $1",
					 1, &type, &elems[i], NULL);
		if (SPI_processed == 0)
			ereport(ERROR,
					(errcode(ERRCODE_MIGRATOR_UNKNOWN_VERSION),
					 errmsg("migration \"%s\" depends on migration \"%s\", which is not registered",
							version, dep),
					 errhint("Register the expand and backfill steps before the contract step.")));
	}
	return OidOutputFunctionCall(F_ARRAY_OUT, PointerGetDatum(arr));
}

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

static bool
is_blank_text(const char *s)
{
	if (s == NULL)
		return true;
	for (; *s; s++)
		if (!isspace((unsigned char) *s))
			return false;
	return true;
}

/*
 * The plan recorded for an imported migration with this version and up
 * script checksum, or NULL when there is none (or the installed objects
 * predate 0.3).  Allocated in "cxt".
 */
static char *
imported_plan(const char *version, const char *checksum, MemoryContext cxt)
{
	Oid			types[2] = {TEXTOID, TEXTOID};
	Datum		values[2];
	char	   *plan = NULL;

	if (!history_migrations_have_import())
		return NULL;
	values[0] = CStringGetTextDatum(version);
	values[1] = CStringGetTextDatum(checksum);
	SPI_connect();
	history_exec("SELECT plan FROM migrator.migrations "
				 "WHERE version = $1 AND checksum = $2 AND imported",
				 2, types, values, NULL);
	if (SPI_processed > 0)
	{
		char	   *p = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);

		plan = MemoryContextStrdup(cxt, p ? p : "");
	}
	SPI_finish();
	return plan;
}

/*
 * What an event of import() says besides the checksum: that the migration
 * is imported history, and what import had to mark.
 */
static const char *
import_note(bool import, bool plan_imported, const char *irreversible)
{
	if (!import)
		return "";
	return psprintf("; imported%s%s%s", plan_imported ? "; destructive without a plan: plan recorded as imported history" : "",
					irreversible ? "; no down script with statements: " : "",
					irreversible ? irreversible : "");
}

static Datum register_migration(FunctionCallInfo fcinfo, bool import);

/*
 * migrator.register(version, up, down, verify, name, plan, kind,
 *					 transactional, depends_on) RETURNS migrator.migrations
 */
Datum
migrator_register(PG_FUNCTION_ARGS)
{
	return register_migration(fcinfo, false);
}

/*
 * migrator.import(version, up, down, verify, name, plan, kind,
 *				   transactional, depends_on) RETURNS migrator.migrations
 */
Datum
migrator_import(PG_FUNCTION_ARGS)
{
	return register_migration(fcinfo, true);
}

/*
 * Both: register() judges, import() takes history as it is (see the head
 * of this file).
 */
static Datum
register_migration(FunctionCallInfo fcinfo, bool import)
{
	char	   *version = text_arg(fcinfo, 0);
	char	   *up = text_arg(fcinfo, 1);
	char	   *down = text_arg(fcinfo, 2);
	char	   *verify = text_arg(fcinfo, 3);
	char	   *name = text_arg(fcinfo, 4);
	char	   *plan = text_arg(fcinfo, 5);
	char	   *declared = text_arg(fcinfo, 6);
	bool		transactional;
	List	   *up_stmts;
	List	   *down_stmts = NIL;
	bool		down_destroys = false;
	List	   *findings;
	List	   *up_findings;
	MigrationKind detected;
	MigrationKind kind;
	char	   *checksum;
	char	   *json;
	MemoryContext callercxt = CurrentMemoryContext;
	TupleDesc	resdesc;
	Datum		result;
	char	   *depends_on;
	char	   *irreversible = NULL;
	bool		plan_imported = false;
	char	   *recorded_plan;
	bool		has_import = history_migrations_have_import();
	bool		has_bounds = history_migrations_have_bounds();
	bool		inserted = false;
	char	   *appname;
	char	   *addr;
	Oid			types[19] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID,
		TEXTOID, TEXTOID, BOOLOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID,
	BOOLOID, TEXTOID, BOOLOID, INT4ARRAYOID, TEXTOID, TEXTOID, TEXTOID};
	Datum		values[19];
	char		nulls[19];

	check_version_argument(version, "version");
	if (up == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("up script of migration \"%s\" must not be null", version),
				 errhint("Pass an empty string for a migration that does nothing on this database.")));
	if (PG_ARGISNULL(7))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("transactional must not be null")));
	transactional = PG_GETARG_BOOL(7);
	if (get_call_result_type(fcinfo, NULL, &resdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type of migrator.register() must be a row type");
	session_begin_state_change("migrator.register()");

	/* Parse and judge every script. */
	up_stmts = script_parse(up, "up script");
	check_script_statements(up_stmts, version, "up", transactional);
	if (down)
	{
		down_stmts = script_parse(down, "down script");

		/* How a down script runs follows from itself: see warn_down_script(). */
		check_script_statements(down_stmts, version, "down", false);
		warn_down_script(down_stmts, version, transactional);
	}

	/*
	 * Imported history whose down script does nothing cannot be undone,
	 * unless its up script does nothing either.
	 */
	if (import && down_stmts == NIL && up_stmts != NIL)
		irreversible = IRREVERSIBLE_IMPORTED;
	if (verify)
		check_script_statements(script_parse(verify, "verify script"),
								version, "verify", true);

	/* One pass of the analyser gives the kind and the stored findings. */
	{
		LintState	lint = {0};

		findings = lint_script(up_stmts, &lint, transactional);
	}
	detected = lint_findings_kind(findings);
	up_findings = findings;

	/*
	 * A down script that destroys what its up script did not create makes
	 * the migration destructive: rollback() runs it without further
	 * question.
	 */
	if (detected < MIGRATION_DESTRUCTIVE && down_stmts != NIL)
	{
		List	   *down_findings = lint_down_script(up_stmts, down_stmts);

		if (down_findings != NIL)
		{
			detected = MIGRATION_DESTRUCTIVE;
			findings = down_findings;
			down_destroys = true;
		}
	}
	kind = detected;
	if (declared)
	{
		MigrationKind dk = migration_kind_from_name(declared);

		if (dk < detected)
		{
			history_event_autonomous(version, "block", migration_kind_name(detected),
									 "blocked", "kind_understated",
									 describe_findings(findings, detected),
									 psprintf("migration is %s, not %s",
											  migration_kind_name(detected), declared));
			ereport(ERROR,
					(errcode(ERRCODE_MIGRATOR_KIND_UNDERSTATED),
					 errmsg("migration \"%s\" is %s, not %s",
							version, migration_kind_name(detected), declared),
					 errdetail("Found: %s.", describe_findings(findings, detected)),
					 errhint("Declare kind => '%s', or leave kind out to use the detected kind.",
							 migration_kind_name(detected))));
		}
		kind = dk;
	}
	checksum = script_checksum(up);
	if (kind == MIGRATION_DESTRUCTIVE && (is_blank_text(plan) || is_blank_text(down)) &&
		import)
	{
		/* history as it is: the plan says so; a missing down is irreversible */
		if (is_blank_text(plan))
		{
			plan = IMPORTED_PLAN;
			plan_imported = true;
		}
	}
	else if (kind == MIGRATION_DESTRUCTIVE && (is_blank_text(plan) || is_blank_text(down)) &&
			 (recorded_plan = imported_plan(version, checksum, callercxt)) != NULL)
	{
		/* imported with this up script: what import recorded stands */
		if (is_blank_text(plan))
			plan = recorded_plan;
	}
	else if (kind == MIGRATION_DESTRUCTIVE && (is_blank_text(plan) || is_blank_text(down)))
	{
		const char *missing = is_blank_text(plan) && is_blank_text(down)
			? "a plan and a down script"
			: is_blank_text(plan) ? "a plan" : "a down script";

		history_event_autonomous(version, "block", "destructive", "blocked",
								 "plan_required",
								 detected == MIGRATION_DESTRUCTIVE
								 ? describe_findings(findings, MIGRATION_DESTRUCTIVE)
								 : NULL,
								 psprintf("destructive migration needs %s", missing));
		ereport(ERROR,
				(errcode(ERRCODE_MIGRATOR_PLAN_REQUIRED),
				 errmsg("destructive migration \"%s\" needs %s", version, missing),
				 down_destroys
				 ? errdetail("Destructive statements of the down script, on objects the up script does not create: %s.",
							 describe_findings(findings, MIGRATION_DESTRUCTIVE))
				 : detected == MIGRATION_DESTRUCTIVE
				 ? errdetail("Destructive statements: %s.",
							 describe_findings(findings, MIGRATION_DESTRUCTIVE))
				 : errdetail("The migration was declared destructive."),
				 errhint("Pass plan => a description of the staged change (the expand and backfill steps it follows, how the backfill was verified, how to roll back) and down => the script that undoes it (a comment saying why nothing can undo it, when that is the truth).")));
	}

	json = lint_findings_json(up_findings);

	values[0] = CStringGetTextDatum(version);
	values[1] = CStringGetTextDatum(up);
	values[2] = down ? CStringGetTextDatum(down) : (Datum) 0;
	values[3] = verify ? CStringGetTextDatum(verify) : (Datum) 0;
	values[4] = name ? CStringGetTextDatum(name) : (Datum) 0;
	values[5] = plan ? CStringGetTextDatum(plan) : (Datum) 0;
	values[6] = CStringGetTextDatum(migration_kind_name(kind));
	values[7] = BoolGetDatum(transactional);
	values[8] = CStringGetTextDatum(checksum);
	values[9] = CStringGetTextDatum(json);
	values[10] = CStringGetTextDatum(GetUserNameFromId(GetUserId(), false));
	memset(nulls, ' ', sizeof(nulls));
	nulls[2] = down ? ' ' : 'n';
	nulls[3] = verify ? ' ' : 'n';
	nulls[4] = name ? ' ' : 'n';
	nulls[5] = plan ? ' ' : 'n';
	/* 0.3: imported, irreversible, and whether down does anything */
	values[12] = BoolGetDatum(import);
	values[13] = irreversible ? CStringGetTextDatum(irreversible) : (Datum) 0;
	nulls[13] = irreversible ? ' ' : 'n';
	values[14] = BoolGetDatum(down_stmts != NIL);

	/* 0.3: where the statements of up are, for apply() */
	values[15] = script_bounds(up_stmts);
	/* the event of a new version, and where the call comes from */
	values[16] = CStringGetTextDatum(psprintf("checksum %s%s", checksum,
											  import_note(import, plan_imported, irreversible)));
	session_origin(&appname, &addr);
	values[17] = appname ? CStringGetTextDatum(appname) : (Datum) 0;
	nulls[17] = appname ? ' ' : 'n';
	values[18] = addr ? CStringGetTextDatum(addr) : (Datum) 0;
	nulls[18] = addr ? ' ' : 'n';

	SPI_connect();
	history_lock("registering a migration");
	depends_on = check_depends_on(fcinfo, 8, version);
	values[11] = CStringGetTextDatum(depends_on);
	nulls[11] = ' ';
	resdesc = BlessTupleDesc(resdesc);

	/*
	 * A new version, the common case, is inserted together with its event
	 * in one statement (0.3), and the row comes back as the result; an
	 * existing one is compared with the new content below.
	 */
	if (has_bounds)
	{
		history_exec("WITH m AS ("
					 "INSERT INTO migrator.migrations "
					 "(version, up, down, verify, name, plan, kind, transactional, "
					 "checksum, findings, registered_by, depends_on, imported, irreversible, "
					 "up_statements) "
					 "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, $12::text[], "
					 "$13, $14, $16) "
					 "ON CONFLICT (version) DO NOTHING RETURNING *), "
					 "e AS (INSERT INTO migrator.events "
					 "(at, version, action, migration_type, outcome, detail, role, "
					 "application_name, client_addr) "
					 "SELECT pg_catalog.clock_timestamp(), m.version, 'register', m.kind, "
					 "'success', $17, $11, $18, $19::inet FROM m) "
					 "SELECT * FROM m",
					 19, types, values, nulls);
		if (SPI_processed == 1)
		{
			MemoryContext oldcxt = MemoryContextSwitchTo(callercxt);

			result = heap_copy_tuple_as_datum(SPI_tuptable->vals[0], resdesc);
			MemoryContextSwitchTo(oldcxt);
			inserted = true;
		}
	}
	if (!inserted)
		history_exec("SELECT " MIGRATION_COLUMNS
					 " FROM migrator.migrations WHERE version = $1 FOR UPDATE",
					 1, types, values, nulls);
	if (inserted)
	{
		/* recorded with its event above */
	}
	else if (SPI_processed > 0)
	{
		HeapTuple	old = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		bool		old_transactional = DatumGetBool(SPI_getbinval(old, desc, 8, &isnull));
		char	   *old_checksum = SPI_getvalue(old, desc, 9);
		char	   *old_state = SPI_getvalue(old, desc, 10);
		bool		unchanged;

		unchanged = same_text(SPI_getvalue(old, desc, 2), up) &&
			same_text(SPI_getvalue(old, desc, 3), down) &&
			same_text(SPI_getvalue(old, desc, 4), verify) &&
			same_text(SPI_getvalue(old, desc, 5), name) &&
			same_text(SPI_getvalue(old, desc, 6), plan) &&
			same_text(SPI_getvalue(old, desc, 7), migration_kind_name(kind)) &&
			old_transactional == transactional &&
			same_text(SPI_getvalue(old, desc, 11), depends_on);

		if (unchanged)
		{
			/* The same content again is a no-op. */
		}
		else if (strcmp(old_state, "pending") != 0 &&
				 strcmp(old_checksum, checksum) != 0)
		{
			history_event_autonomous(version, "block", migration_kind_name(kind),
									 "blocked", "checksum_mismatch", NULL,
									 psprintf("already %s with checksum %s; new content has checksum %s",
											  old_state, old_checksum, checksum));
			ereport(ERROR,
					(errcode(ERRCODE_MIGRATOR_CHECKSUM_MISMATCH),
					 errmsg("migration \"%s\" is already %s with different content",
							version, old_state),
					 errdetail("Its up script has checksum %s; the new one has checksum %s.",
							   old_checksum, checksum),
					 errhint("Register the change as a new version, or roll the migration back first.")));
		}
		else if (strcmp(old_state, "pending") != 0 &&
				 (!same_text(SPI_getvalue(old, desc, 7), migration_kind_name(kind)) ||
				  old_transactional != transactional ||
				  !same_text(SPI_getvalue(old, desc, 11), depends_on)))
			ereport(ERROR,
					(errcode(ERRCODE_MIGRATOR_CHECKSUM_MISMATCH),
					 errmsg("cannot change the kind, transactional setting or dependencies of %s migration \"%s\"",
							old_state, version),
					 errdetail("They describe how its up script was applied."),
					 errhint("Roll the migration back first to change them.")));
		else if (strcmp(old_state, "pending") != 0)
		{
			/*
			 * Same up script: its down, verify, name and plan may be corrected
			 * (a rotten down script is fixed this way), and the change is
			 * recorded.
			 */
			if (has_import)
				/* a down script that does something makes it reversible */
				history_exec("UPDATE migrator.migrations SET down = $3, verify = $4, "
							 "name = $5, plan = $6, imported = imported OR $13, "
							 "irreversible = CASE WHEN $14::text IS NOT NULL THEN $14 "
							 "WHEN $15 THEN NULL ELSE irreversible END "
							 "WHERE version = $1",
							 15, types, values, nulls);
			else
				history_exec("UPDATE migrator.migrations SET down = $3, verify = $4, "
							 "name = $5, plan = $6 WHERE version = $1",
							 6, types, values, nulls);
			history_event(version, "register", migration_kind_name(kind), "success",
						  NULL, NULL,
						  psprintf("updated down, verify, name or plan of %s migration (checksum %s unchanged)%s",
								   old_state, checksum, import_note(import, plan_imported, irreversible)));
		}
		else
		{
			history_exec(has_bounds
						 ? "UPDATE migrator.migrations SET up = $2, down = $3, verify = $4, "
						 "name = $5, plan = $6, kind = $7, transactional = $8, "
						 "checksum = $9, findings = $10::jsonb, "
						 "registered_at = pg_catalog.now(), registered_by = $11, "
						 "depends_on = $12::text[], imported = $13, irreversible = $14, "
						 "up_statements = $16 "
						 "WHERE version = $1"
						 : has_import
						 ? "UPDATE migrator.migrations SET up = $2, down = $3, verify = $4, "
						 "name = $5, plan = $6, kind = $7, transactional = $8, "
						 "checksum = $9, findings = $10::jsonb, "
						 "registered_at = pg_catalog.now(), registered_by = $11, "
						 "depends_on = $12::text[], imported = $13, irreversible = $14 "
						 "WHERE version = $1"
						 : "UPDATE migrator.migrations SET up = $2, down = $3, verify = $4, "
						 "name = $5, plan = $6, kind = $7, transactional = $8, "
						 "checksum = $9, findings = $10::jsonb, "
						 "registered_at = pg_catalog.now(), registered_by = $11, "
						 "depends_on = $12::text[] "
						 "WHERE version = $1",
						 has_bounds ? 16 : has_import ? 14 : 12, types, values, nulls);
			history_event(version, "register", migration_kind_name(kind), "success",
						  NULL, NULL,
						  psprintf("replaced pending migration (checksum %s, was %s)%s",
								   checksum, old_checksum,
								   import_note(import, plan_imported, irreversible)));
		}
	}
	else
	{
		history_exec(has_import
					 ? "INSERT INTO migrator.migrations "
					 "(version, up, down, verify, name, plan, kind, transactional, "
					 "checksum, findings, registered_by, depends_on, imported, irreversible) "
					 "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, $12::text[], $13, $14)"
					 : "INSERT INTO migrator.migrations "
					 "(version, up, down, verify, name, plan, kind, transactional, "
					 "checksum, findings, registered_by, depends_on) "
					 "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, $12::text[])",
					 has_import ? 14 : 12, types, values, nulls);
		history_event(version, "register", migration_kind_name(kind), "success",
					  NULL, NULL, TextDatumGetCString(values[16]));
	}

	if (!inserted)
	{
		history_exec("SELECT * FROM migrator.migrations WHERE version = $1",
					 1, types, values, nulls);
		if (SPI_processed != 1)
			elog(ERROR, "migration \"%s\" vanished during registration", version);
		{
			MemoryContext oldcxt = MemoryContextSwitchTo(callercxt);

			result = heap_copy_tuple_as_datum(SPI_tuptable->vals[0], resdesc);
			MemoryContextSwitchTo(oldcxt);
		}
	}
	SPI_finish();
	PG_RETURN_DATUM(result);
}
