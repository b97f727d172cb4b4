/*-------------------------------------------------------------------------
 *
 * guard.c
 *	  The guard's entry points: the ProcessUtility hook, the object access
 *	  hook and the event triggers.  They dispatch; policy.c decides.
 *
 * A ProcessUtility hook sees every utility statement, whoever sends it and
 * however deeply it is nested (multi-statement strings, DO blocks, EXECUTE
 * in PL/pgSQL, functions and procedures of any security).  It hands the
 * statement to policy.c, which refuses an unplanned destructive one, and
 * always chains to the next hook.  What it decided (the verdict, the
 * statement's tag, whether it cascades, the invalid indexes it drops) is
 * kept in one context struct for the duration of the statement, saved and
 * restored around nested statements in PG_FINALLY as sepgsql's hooks.c
 * does, so that the object access hook, which sees every object a
 * statement drops (CASCADE victims included), judges them with it.
 *
 * The ddl_command_start event trigger (ENABLE ALWAYS) covers a session
 * that did not preload the library: calling its function loads the
 * library, and the statement that fired it, which passed no hook, is
 * judged there.  The sql_drop trigger function of 0.1 and 0.2 installs is
 * kept for them.
 *
 * The guard is inert in databases without the extension, in binary
 * upgrade and in single-user mode (the way back in when the guard itself
 * is in the way).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/objectaccess.h"
#include "commands/event_trigger.h"
#include "fmgr.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "utils/memutils.h"

#include "migrator.h"
#include "analyze.h"
#include "guard.h"
#include "policy.h"
#include "protect.h"

PG_FUNCTION_INFO_V1(migrator_guard_sql_drop);
PG_FUNCTION_INFO_V1(migrator_guard_ddl_start);

/*
 * The statement being run, for the object access hook and the event
 * triggers.  The list lives in TopMemoryContext: DROP INDEX CONCURRENTLY
 * commits inside the statement, before its objects go.
 */
typedef struct GuardStatement
{
	GuardVerdict verdict;
	const char *tag;			/* its command tag (static) */
	bool		cascades;		/* it drops with CASCADE */
	List	   *invalid_indexes;	/* OIDs of invalid indexes it drops */
} GuardStatement;

static GuardStatement current_statement = {VERDICT_UNSEEN, NULL, false, NIL};

static ProcessUtility_hook_type prev_ProcessUtility = NULL;
static object_access_hook_type prev_object_access_hook = NULL;

/* The context of a statement policy.c judged ("facts" may be NULL). */
static GuardStatement
statement_context(GuardVerdict verdict, StatementFacts *facts)
{
	GuardStatement s = {verdict, NULL, false, NIL};

	if (facts != NULL)
	{
		s.tag = facts->tag;
		s.cascades = facts->cascades;
		if (verdict == VERDICT_EXEMPT && facts->invalid_indexes != NIL)
		{
			MemoryContext oldcxt = MemoryContextSwitchTo(TopMemoryContext);

			s.invalid_indexes = list_copy(facts->invalid_indexes);
			MemoryContextSwitchTo(oldcxt);
		}
	}
	return s;
}

/*
 * The ProcessUtility hook: judge, run with the verdict as the current
 * statement's, then always chain; afterwards, what only the result shows.
 */
static void
guard_ProcessUtility(PlannedStmt *pstmt, const char *queryString,
					 bool readOnlyTree, ProcessUtilityContext context,
					 ParamListInfo params, QueryEnvironment *queryEnv,
					 DestReceiver *dest, QueryCompletion *qc)
{
	GuardStatement saved = current_statement;
	GuardStatement mine;
	GuardSource source;
	StatementFacts *facts;
	GuardVerdict verdict;
	PolicyNote	note;

	/* between top-level statements nothing is judged */
	if (context == PROCESS_UTILITY_TOPLEVEL)
		saved.verdict = VERDICT_UNSEEN;
	source.query = queryString;
	source.location = pstmt->stmt_location;
	source.len = pstmt->stmt_len;
	policy_statement_start(pstmt->utilityStmt, &source, &note);
	verdict = policy_judge_statement(pstmt->utilityStmt,
									 context == PROCESS_UTILITY_SUBCOMMAND,
									 &source, &note, &facts);
	mine = statement_context(verdict, facts);

	current_statement = mine;
	PG_TRY();
	{
		if (prev_ProcessUtility)
			prev_ProcessUtility(pstmt, queryString, readOnlyTree, context,
								params, queryEnv, dest, qc);
		else
			standard_ProcessUtility(pstmt, queryString, readOnlyTree, context,
									params, queryEnv, dest, qc);
	}
	PG_FINALLY();
	{
		list_free(mine.invalid_indexes);
		current_statement = saved;
	}
	PG_END_TRY();

	/* The protection marker follows the extension, whatever the guard's mode. */
	protect_after_statement(pstmt->utilityStmt);
	/* what only the result shows, as policy.c noted before it ran */
	policy_statement_end(&source, &note);
}

/*
 * The object access hook: every object a statement drops, before it goes,
 * its CASCADE victims included (internal drops aside: toast tables,
 * temporary objects at session end); and every object created or altered,
 * where the step after a statement looks for its new dependencies.
 */
static void
guard_object_access(ObjectAccessType access, Oid classId, Oid objectId,
					int subId, void *arg)
{
	if (prev_object_access_hook)
		prev_object_access_hook(access, classId, objectId, subId, arg);
	if (access == OAT_DROP && arg != NULL &&
		!(((ObjectAccessDrop *) arg)->dropflags & PERFORM_DELETION_INTERNAL))
		policy_judge_dropped_object(current_statement.verdict,
									current_statement.tag,
									current_statement.cascades,
									current_statement.invalid_indexes,
									classId, objectId, subId);
	else if (access == OAT_POST_CREATE || access == OAT_POST_ALTER)
		policy_object_touched(classId, objectId,
							  access == OAT_POST_CREATE && arg != NULL &&
							  ((ObjectAccessPostCreate *) arg)->is_internal);
}

/*
 * ddl_command_start event trigger (src/sql/20_guard.sql): a statement the
 * hook did not see (the library was loaded by this very call) is judged
 * here, as the hook would have judged it; its context lasts until the
 * statement ends.
 */
Datum
migrator_guard_ddl_start(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata;
	GuardSource source;
	StatementFacts *facts;
	GuardVerdict verdict;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("guard_ddl_start() must be called as an event trigger")));
	if (current_statement.verdict != VERDICT_UNSEEN)
		PG_RETURN_VOID();

	trigdata = (EventTriggerData *) fcinfo->context;
	source.query = debug_query_string;
	source.location = -1;
	source.len = 0;
	verdict = policy_judge_statement(trigdata->parsetree, false, &source, NULL, &facts);
	current_statement = statement_context(verdict, facts);
	PG_RETURN_VOID();
}

/*
 * sql_drop event trigger function of 0.1 and 0.2 installs: judges what a
 * statement the hook did not see dropped.
 */
Datum
migrator_guard_sql_drop(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("guard_sql_drop() must be called as an event trigger")));

	policy_judge_sql_drop(current_statement.verdict,
						  current_statement.invalid_indexes,
						  (EventTriggerData *) fcinfo->context);
	PG_RETURN_VOID();
}

/*
 * Define migrator.guard and install the hooks.  Called from _PG_init
 * before MarkGUCPrefixReserved().
 */
void
GuardInit(void)
{
	PolicyInit();

	prev_ProcessUtility = ProcessUtility_hook;
	ProcessUtility_hook = guard_ProcessUtility;
	prev_object_access_hook = object_access_hook;
	object_access_hook = guard_object_access;
}
