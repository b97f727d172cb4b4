/*-------------------------------------------------------------------------
 *
 * check.c
 *	  migrator.check(): prove that down scripts undo their up scripts.
 *
 * Everything happens in a subtransaction that is always rolled back, so
 * nothing of check() remains (sequence values drawn by the scripts aside:
 * sequences are not transactional).  For each pending migration, in the
 * order apply() would run them:
 *
 *	1. fingerprint F0; run up (on failure: report and stop, since later
 *	   migrations build on this one); fingerprint F1;
 *	2. in a nested subtransaction that is rolled back afterwards: run down
 *	   and compare its fingerprint with F0; run up again and compare with
 *	   F1 (an up that does not apply twice the same way is not
 *	   deterministic);
 *	3. carry on from F1 with the next migration.
 *
 * Scripts run with the caller's rights through migration_run_script(),
 * exactly as apply() runs them (the guard sees a migration running).
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
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#include "migrator.h"
#include "apply.h"
#include "fingerprint.h"
#include "history.h"
#include "script.h"
#include "session.h"

PG_FUNCTION_INFO_V1(migrator_check);

/* How many differences a report shows. */
#define CHECK_MAX_DIFFERENCES 5

/*
 * Run one script in a subtransaction of its own; keep its effects when it
 * succeeds.  Returns NULL on success, else the error and the statement
 * that raised it.
 */
static char *
try_script(Migration *m, const char *direction, const char *sql)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	char	   *volatile failure = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		migration_run_script(m->version, m->kind, direction, sql);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		ErrorData  *edata = subtransaction_abort(oldcxt, oldowner);
		const char *where = NULL;

		/* script_execute()'s context line names the statement */
		if (edata->context)
			where = strstr(edata->context, "migration ");
		if (where)
			failure = psprintf("%s (SQLSTATE %s) in %.*s", edata->message,
							   unpack_sql_state(edata->sqlerrcode),
							   (int) strcspn(where, "\n"), where);
		else
			failure = psprintf("%s (SQLSTATE %s)", edata->message,
							   unpack_sql_state(edata->sqlerrcode));
		FreeErrorData(edata);
	}
	PG_END_TRY();
	return failure;
}

/*
 * In a PG_CATCH block: roll back the current subtransaction and raise the
 * error again, in the caller's context.
 */
/*
 * apply() of staged migration "m" in a subtransaction of its own, kept
 * when it succeeds.  Returns NULL, or the error.
 */
static char *
try_staged_apply(Migration *m)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	char	   *volatile failure = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		(void) migration_staged_routines(m)->apply(m);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		ErrorData  *edata = subtransaction_abort(oldcxt, oldowner);

		failure = psprintf("%s (SQLSTATE %s)", edata->message,
						   unpack_sql_state(edata->sqlerrcode));
		FreeErrorData(edata);
	}
	PG_END_TRY();
	return failure;
}

static void
abort_subtransaction_and_rethrow(MemoryContext oldcxt, ResourceOwner oldowner)
{
	ReThrowError(subtransaction_abort(oldcxt, oldowner));
}

/* The first differences, one per line, and how many there are. */
static char *
describe_differences(List *changes)
{
	StringInfoData buf;
	ListCell   *lc;
	int			n = 0;

	initStringInfo(&buf);
	foreach(lc, changes)
	{
		if (n++ == CHECK_MAX_DIFFERENCES)
		{
			appendStringInfo(&buf, "\n... and %d more",
							 list_length(changes) - CHECK_MAX_DIFFERENCES);
			break;
		}
		if (buf.len > 0)
			appendStringInfoChar(&buf, '\n');
		appendStringInfoString(&buf, fingerprint_change_text(lfirst(lc)));
	}
	return buf.data;
}

/*
 * Steps 2 of the header comment: down, compare with "before", up again,
 * compare with "after", all undone afterwards.  Sets *outcome and *detail.
 */
static void
check_down_and_up(Migration *m, List *before, List *after,
				  const char **outcome, char **detail)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		char	   *failure = try_script(m, "down", m->down);
		List	   *changes;

		if (failure)
		{
			*outcome = "down fails";
			*detail = failure;
		}
		else if ((changes = fingerprint_diff(before, fingerprint_take())) != NIL)
		{
			*outcome = "down does not restore";
			*detail = describe_differences(changes);
		}
		else if ((failure = try_script(m, "up", m->up)) != NULL)
		{
			*outcome = "up fails after down";
			*detail = failure;
		}
		else if ((changes = fingerprint_diff(after, fingerprint_take())) != NIL)
		{
			*outcome = "up after down differs";
			*detail = describe_differences(changes);
		}
		else
		{
			*outcome = "ok";
			*detail = NULL;
		}
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		abort_subtransaction_and_rethrow(oldcxt, oldowner);
	}
	PG_END_TRY();
}

static void
put_row(ReturnSetInfo *rsinfo, Migration *m, const char *outcome,
		const char *detail)
{
	Datum		values[3];
	bool		nulls[3] = {false, false, detail == NULL};

	values[0] = CStringGetTextDatum(m->version);
	values[1] = CStringGetTextDatum(outcome);
	values[2] = detail ? CStringGetTextDatum(detail) : (Datum) 0;
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/*
 * Check every migration of "todo" (the steps of the header comment).  Runs
 * inside the outer subtransaction of migrator_check().
 */
static void
check_migrations(ReturnSetInfo *rsinfo, List *todo)
{
	ListCell   *lc;

	foreach(lc, todo)
	{
		Migration *m = lfirst(lc);
		List	   *before;
		List	   *after;
		char	   *failure;
		const char *outcome;
		char	   *detail;
		char	   *irreversible;

		CHECK_FOR_INTERRUPTS();
		if (!m->transactional)
		{
			put_row(rsinfo, m, "skipped",
					"It was registered with transactional => false, and check() runs scripts in a transaction block.");
			continue;
		}
		if (migration_down_needs_autocommit(m))
		{
			put_row(rsinfo, m, "skipped",
					"Its down script cannot run inside a transaction block, and check() runs scripts in one.");
			continue;
		}
		before = fingerprint_take();
		if (migration_staged_routines(m))
		{
			/* A staged change: its phases, then abort and down (staged.c). */
			List	   *changes;

			failure = try_staged_apply(m);
			if (failure)
			{
				put_row(rsinfo, m, "up fails", failure);
				break;
			}
			migration_staged_routines(m)->check(m, before, &outcome, &changes, &failure);
			put_row(rsinfo, m, outcome,
					failure ? failure : changes ? describe_differences(changes) : NULL);
			continue;
		}
		failure = try_script(m, "up", m->up);
		if (failure)
		{
			put_row(rsinfo, m, "up fails", failure);
			break;
		}
		if ((irreversible = history_irreversible(m->version)) != NULL)
		{
			/* an imported migration that nothing can undo: not a failure */
			put_row(rsinfo, m, irreversible,
					"It was imported with an empty down script; rollback() refuses it, so check() does not run it.");
			continue;
		}
		if (m->down == NULL)
		{
			put_row(rsinfo, m, "no down", NULL);
			continue;
		}
		after = fingerprint_take();
		check_down_and_up(m, before, after, &outcome, &detail);
		put_row(rsinfo, m, outcome, detail);
	}
}

/*
 * migrator.check(target text) RETURNS TABLE (version, outcome, detail):
 * apply, undo and reapply every pending migration up to target (all when
 * NULL), and leave nothing behind.
 */
Datum
migrator_check(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *target = PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0));
	List	   *todo;
	MemoryContext oldcxt;
	ResourceOwner oldowner;

	session_begin_state_change("migrator.check()");
	InitMaterializedSRF(fcinfo, 0);
	SPI_connect();
	todo = migrations_pending_upto(target, false);
	migration_begin_call(todo);

	oldcxt = CurrentMemoryContext;
	oldowner = CurrentResourceOwner;
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		check_migrations(rsinfo, todo);
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		abort_subtransaction_and_rethrow(oldcxt, oldowner);
	}
	PG_END_TRY();

	SPI_finish();
	return (Datum) 0;
}
