/*-------------------------------------------------------------------------
 *
 * session.c
 *	  State of this backend that other modules read: the running
 *	  migration, the origin of the current call, the allowances of the
 *	  transaction.
 *
 * Kept apart so that the modules that read it (the guard, history, the
 * worker, the SQL functions) need not include each other: this file
 * includes no other module's header, and every piece of state has one
 * writer (see session.h).  Lifetimes differ and show in where things are
 * allocated: the running migration and the origin live in
 * TopMemoryContext for as long as they are set, allowances in
 * TopTransactionContext until the transaction ends.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "migrator.h"
#include "session.h"

/* The running migration, in TopMemoryContext; version NULL when none. */
static char *running_version = NULL;
static char *running_kind = NULL;
static char *running_direction = NULL;

/* The origin of the session a background worker works for. */
static bool origin_set = false;
static char *origin_app = NULL;
static char *origin_addr = NULL;

/* An allowance of migrator.allow(). */
typedef struct SessionAllowance
{
	char	   *rule;			/* rule id */
	char	   *object;			/* object as the parser names it, or NULL */
	SubTransactionId subid;		/* subtransaction that granted it */
} SessionAllowance;

/* Allowances of the current transaction, in TopTransactionContext. */
static List *allowances = NIL;

/* The script of a staged change's phase now running (staged.c's copy). */
static const char *staged_script = NULL;

/* A copy of "s" in TopMemoryContext, or NULL. */
static char *
top_strdup(const char *s)
{
	return s ? MemoryContextStrdup(TopMemoryContext, s) : NULL;
}

/* Free a string of top_strdup(). */
static void
top_free(char **s)
{
	if (*s)
		pfree(*s);
	*s = NULL;
}

/*
 * Mark migration "version" (of "kind", running its "direction" script) as
 * running in this process, or clear the mark when "version" is NULL.  A
 * missing kind counts as additive, a missing direction as "up".
 */
void
session_set_migration(const char *version, const char *kind,
					  const char *direction)
{
	top_free(&running_version);
	top_free(&running_kind);
	top_free(&running_direction);
	if (version == NULL)
		return;
	running_version = top_strdup(version);
	running_kind = top_strdup(kind ? kind : "additive");
	running_direction = top_strdup(direction ? direction : "up");
}

/*
 * Version, kind and direction of the migration whose script is running;
 * false when none runs.
 */
bool
session_migration(const char **version, const char **kind,
				  const char **direction)
{
	if (running_version == NULL)
		return false;
	*version = running_version;
	*kind = running_kind;
	*direction = running_direction;
	return true;
}

/*
 * migrator's functions cannot be called from inside a migration's script.
 */
void
session_check_not_in_migration(const char *function)
{
	if (running_version != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_MIGRATOR_RECURSION),
				 errmsg("%s cannot be called from inside a migration", function),
				 errdetail("Migration \"%s\" is running its %s script.",
						   running_version, running_direction)));
}

/*
 * Common entry checks of the functions that change state.
 */
void
session_begin_state_change(const char *function)
{
	session_check_not_in_migration(function);
	PreventCommandIfReadOnly(function);
	PreventCommandDuringRecovery(function);
}

/*
 * In a background worker that runs statements for a session: where that
 * session's call came from.
 */
void
session_set_origin(const char *application_name, const char *client_addr)
{
	top_free(&origin_app);
	top_free(&origin_addr);
	origin_set = true;
	origin_app = top_strdup(application_name);
	origin_addr = top_strdup(client_addr);
}

/*
 * Where the current call comes from, for its events row, palloc'd: the
 * session's application_name and client address (NULL over a Unix
 * socket), or in a background worker those of the session it works for.
 */
void
session_origin(char **application_name_out, char **client_addr_out)
{
	LOCAL_FCINFO(fcinfo, 0);
	Datum		inet;

	if (origin_set)
	{
		*application_name_out = origin_app ? pstrdup(origin_app) : NULL;
		*client_addr_out = origin_addr ? pstrdup(origin_addr) : NULL;
		return;
	}
	*application_name_out = pstrdup(application_name ? application_name : "");

	InitFunctionCallInfoData(*fcinfo, NULL, 0, InvalidOid, NULL, NULL);
	inet = inet_client_addr(fcinfo);
	*client_addr_out = fcinfo->isnull ? NULL
		: DatumGetCString(DirectFunctionCall1(inet_out, inet));
}

/*
 * Allow (rule, object) for the rest of the current transaction.
 */
void
session_allow(const char *rule, const char *object)
{
	MemoryContext oldcxt = MemoryContextSwitchTo(TopTransactionContext);
	SessionAllowance *a = palloc0(sizeof(SessionAllowance));

	a->rule = pstrdup(rule);
	a->object = object ? pstrdup(object) : NULL;
	a->subid = GetCurrentSubTransactionId();
	allowances = lappend(allowances, a);
	MemoryContextSwitchTo(oldcxt);
}

/*
 * Did migrator.allow() allow (rule, object) earlier in this transaction?
 * Objects compare as the parser names them; NULL matches only NULL.
 */
bool
session_allowed(const char *rule, const char *object)
{
	ListCell   *lc;

	foreach(lc, allowances)
	{
		SessionAllowance *a = lfirst(lc);

		if (strcmp(a->rule, rule) == 0 &&
			(a->object == NULL || object == NULL
			 ? a->object == object
			 : strcmp(a->object, object) == 0))
			return true;
	}
	return false;
}

void
session_set_staged_script(const char *sql)
{
	staged_script = sql;
}

const char *
session_staged_script(void)
{
	return staged_script;
}

/*
 * End of transaction: allowances live in TopTransactionContext and go
 * away with it.
 */
static void
session_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			allowances = NIL;
			break;
		default:
			break;
	}
}

/*
 * An allowance granted in a subtransaction that rolls back goes with it (so
 * does its events row); one granted in a subtransaction that commits now
 * belongs to the parent.
 */
static void
session_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
						 SubTransactionId parentSubid, void *arg)
{
	ListCell   *lc;

	if (event != SUBXACT_EVENT_ABORT_SUB && event != SUBXACT_EVENT_COMMIT_SUB)
		return;
	foreach(lc, allowances)
	{
		SessionAllowance *a = lfirst(lc);

		if (a->subid != mySubid)
			continue;
		if (event == SUBXACT_EVENT_COMMIT_SUB)
			a->subid = parentSubid;
		else
			allowances = foreach_delete_current(allowances, lc);
	}
}

/*
 * Called once from _PG_init.
 */
void
SessionInit(void)
{
	RegisterXactCallback(session_xact_callback, NULL);
	RegisterSubXactCallback(session_subxact_callback, NULL);
}
