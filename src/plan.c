/*-------------------------------------------------------------------------
 *
 * plan.c
 *	  migrator.plan(): what apply(target) would do, without doing it.
 *
 * One row per statement of each pending migration, in the order apply()
 * runs them: the migration's kind, the statement's command, the locks it
 * takes (lock level per table, as the server takes them), whether it
 * rewrites or scans a table (from the rule table), whether it can run in
 * a transaction block, and its lint findings: all of them facts of
 * analyze_statement().  Lint carries what earlier
 * pending migrations create, so a table created by an earlier step of the
 * plan is no hazard for a later one.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "storage/lock.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "migrator.h"
#include "analyze.h"
#include "apply.h"
#include "citus.h"
#include "lint.h"
#include "rules.h"
#include "script.h"

PG_FUNCTION_INFO_V1(migrator_plan);

/*
 * The locks of a statement as "name LockMode" items, "(new)" when created
 * earlier; on a Citus table, followed by the shards and nodes they are
 * taken on.
 */
static char *
locks_text(StatementFacts *facts)
{
	char	   *note = citus_statement_note(facts);
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, facts->locks)
	{
		StatementLock *lock = lfirst(lc);

		if (buf.len > 0)
			appendStringInfoString(&buf, ", ");
		appendStringInfo(&buf, "%s %s%s", lock->relation,
						 GetLockmodeName(DEFAULT_LOCKMETHOD, lock->mode),
						 lock->is_new ? " (new)" : "");
	}
	if (note)
		appendStringInfo(&buf, "%son %s", buf.len > 0 ? "; " : "", note);
	return buf.data;
}

/*
 * migrator.plan(target text) RETURNS TABLE (version, kind, statement,
 * command, locks, rewrites, transactional, findings)
 */
Datum
migrator_plan(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *target = PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0));
	LintState	lint = {0};
	ListCell   *lc;

	InitMaterializedSRF(fcinfo, 0);
	SPI_connect();

	foreach(lc, migrations_pending_upto(target, false))
	{
		Migration  *m = lfirst(lc);
		char	   *version = m->version;
		List	   *statements;
		ListCell   *sc;

		statements = script_parse(m->up, "up script");
		lint_begin_script(&lint, m->transactional, statements);

		if (statements == NIL)
		{
			Datum		values[8] = {0};
			bool		nulls[8] = {false, false, true, true, true, false, false, true};

			values[0] = CStringGetTextDatum(version);
			values[1] = CStringGetTextDatum(m->kind);
			values[5] = BoolGetDatum(false);
			values[6] = BoolGetDatum(true);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
			continue;
		}

		foreach(sc, statements)
		{
			ScriptStatement *st = lfirst(sc);
			StatementFacts *facts;
			StringInfoData found;
			bool		rewrites = false;
			ListCell   *fc;
			Datum		values[8];
			bool		nulls[8] = {false, false, false, false, false, false, false, false};

			facts = lint_statement(&lint, st, ANALYZE_LOCKS);
			initStringInfo(&found);
			foreach(fc, lint.findings)
			{
				LintFinding *f = lfirst(fc);

				if (f->statement != st->index)
					continue;
				rewrites |= f->rule->rewrites;
				if (found.len > 0)
					appendStringInfoString(&found, ", ");
				appendStringInfo(&found, "%s (%s)", f->rule->id,
								 lint_finding_severity(f));
			}

			values[0] = CStringGetTextDatum(version);
			values[1] = CStringGetTextDatum(m->kind);
			values[2] = Int32GetDatum(st->index);
			values[3] = CStringGetTextDatum(facts->tag);
			values[4] = CStringGetTextDatum(locks_text(facts));
			values[5] = BoolGetDatum(rewrites);
			values[6] = BoolGetDatum(!facts->needs_autocommit);
			values[7] = CStringGetTextDatum(found.data);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}

	SPI_finish();
	return (Datum) 0;
}
