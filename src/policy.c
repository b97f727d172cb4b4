/*-------------------------------------------------------------------------
 *
 * policy.c
 *	  What the guard lets run, and how it refuses the rest.
 *
 * guard.c only dispatches: its hook and its sql_drop event trigger hand
 * each statement here.  A statement whose facts (analyze.c, with the
 * catalog oracle) include a rule of kind "destructive" runs only when
 *
 *	- it is exempt: every target is a temporary object or was created
 *	  earlier in the current transaction, and so is everything the
 *	  statement reaches through it (partitions and children, typed tables,
 *	  owned sequences, tables a TRUNCATE cascades to), or the statement
 *	  destroys nothing (TRUNCATE of a never-written table, disabling a
 *	  trigger created in the transaction); or
 *	- a migration's script is running (session.c) and the migration
 *	  declares every destructive finding (same rule id and object): for an
 *	  up script the findings register() stored in migrations.findings, for
 *	  a down script the findings of lint on the registered down script; or
 *	- migrator.allow() named the same rule and object earlier in the
 *	  current transaction (an audited allowance, kept in session.c); or
 *	- a standing exemption (migrator.exemptions, read by rollout.c) covers
 *	  the rule, the relation and the role.
 *
 * On a Citus cluster (citus.c) a statement is also covered by the authority
 * a coordinator issued for the DDL Citus propagates, and Citus's own
 * maintenance passes; a statement covered here on a Citus table makes this
 * node issue that authority before Citus propagates it.
 *
 * Otherwise it is refused (migrator.guard = enforce), or let through with
 * a WARNING (warn) or silently (observe); warn and observe record it in
 * the statement's transaction (rollout.c).  Switching the guard off
 * leaves a trace (rollout.c) at the next statement.  Migrator's own
 * objects (rule alter_migrator) are never exempt and never covered by a
 * migration's findings or a standing exemption, only by allow(); nor is
 * the drop of migrator itself.
 *
 * Every refusal leaves a server-log line starting with "migrator guard:"
 * and a migrator.events row written by a background worker (worker.c); both
 * survive the rollback of the refused transaction.
 *
 * State, by lifetime: the migrator.guard setting and what is known about
 * the extension live for the session; the declared findings of the running
 * migration for the transaction (TopTransactionContext); the verdict of a
 * statement in guard.c, for that statement.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_attrdef.h"
#include "catalog/indexing.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_policy.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_class.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_largeobject.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_rewrite.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "commands/event_trigger.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "optimizer/optimizer.h"
#include "storage/bufmgr.h"
#include "parser/parse_type.h"
#include "rewrite/rewriteSupport.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "migrator.h"
#include "analyze.h"
#include "citus.h"
#include "history.h"
#include "housekeeping.h"
#include "lint.h"
#include "newness.h"
#include "policy.h"
#include "protect.h"
#include "rollout.h"
#include "rules.h"
#include "script.h"
#include "session.h"

PG_FUNCTION_INFO_V1(migrator_allow);

static bool rule_is_view_definition(Oid ruleid);
static bool type_goes_with_another(Oid typid);
static void policy_assign_mode(int newval, void *extra);
static bool attrdef_column(Oid oid, Oid *relid, int16 *attnum);

/* Prefix of every server-log line the guard writes. */
#define GUARD_LOG_PREFIX "migrator guard:"

typedef enum GuardMode
{
	GUARD_OFF,
	GUARD_OBSERVE,
	GUARD_WARN,
	GUARD_ENFORCE
} GuardMode;

static const struct config_enum_entry guard_mode_options[] = {
	{"off", GUARD_OFF, false},
	{"observe", GUARD_OBSERVE, false},
	{"warn", GUARD_WARN, false},
	{"enforce", GUARD_ENFORCE, false},
	{NULL, 0, false}
};

static int	guard_mode = GUARD_ENFORCE;


/* A (rule, object) pair that the running migration declares. */
typedef struct GuardPermit
{
	const char *rule;			/* rule id (static) */
	char	   *object;			/* object as the parser names it, or NULL */
} GuardPermit;

/* Declared findings of the running migration script, cached per transaction. */
static char *declared_version = NULL;
static char *declared_direction = NULL;
static List *declared_permits = NIL;

/* Is the extension installed here?  Reset by syscache invalidation. */
/*
 * Findings of rules judged when the transaction commits (rule at_commit):
 * a later statement of the transaction may make them harmless.  In
 * TopTransactionContext.
 */
typedef struct CommitFinding
{
	Oid			relid;			/* the table it is about */
	const char *rule;			/* rule id (static) */
	char	   *object;
	char	   *tag;
	char	   *statement;
	char	   *message;		/* what it names besides the table, or NULL */
	int			blocked_before; /* publish_without_identity: what failed
								 * when the statement ran */
} CommitFinding;

static List *commit_findings = NIL;

/*
 * The objects created or altered (OAT_POST_CREATE, OAT_POST_ALTER: guard.c's
 * object access hook) while statements whose new pg_depend rows are judged
 * after them run (touch_depth of them): every row a statement records has
 * one of them as its depender, so the judgement reads their rows only, not
 * the dependencies of every object of the temporary schema.  ObjectAddress
 * in TopTransactionContext; reset when the transaction ends
 * (touch_generation counts the resets).
 */
static List *touched_objects = NIL;
static int	touch_depth = 0;
static uint64 touch_generation = 0;

static void judge_at_commit(void);

static bool extension_cache_valid = false;
static Oid	extension_oid = InvalidOid;
static Oid	extension_namespace = InvalidOid;

/*
 * Syscache callback: CREATE / DROP EXTENSION migrator create and drop the
 * schema and the event trigger, so a change to either catalog resets what
 * we know about the extension.
 */
static void
policy_invalidate_extension(Datum arg, int cacheid, uint32 hashvalue)
{
	extension_cache_valid = false;
}

/*
 * True when the extension is installed in the current database; looked up
 * once and then cached until the next invalidation.
 */
static bool
policy_extension_installed(void)
{
	if (!extension_cache_valid)
	{
		extension_oid = get_extension_oid("migrator", true);
		extension_namespace = OidIsValid(extension_oid)
			? get_namespace_oid("migrator", true) : InvalidOid;
		extension_cache_valid = true;
	}
	return OidIsValid(extension_oid);
}

/* migrator's schema, or InvalidOid when the extension is not installed. */
static Oid
policy_own_namespace(void)
{
	return policy_extension_installed() ? extension_namespace : InvalidOid;
}

/*
 * Whether the guard judges statements in this session at all.  Statements
 * of extension scripts are judged too (their own objects are exempt, see
 * newness.c).
 */
static bool
policy_enabled(void)
{
	return guard_mode != GUARD_OFF && !IsBinaryUpgrade && IsUnderPostmaster;
}

/*
 * End of transaction: the declared-findings cache and the findings judged
 * at commit live in TopTransactionContext and go away with it; before the
 * commit, those findings are judged.
 */
static void
policy_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
		case XACT_EVENT_PRE_PREPARE:
			judge_at_commit();
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			declared_version = NULL;
			declared_direction = NULL;
			declared_permits = NIL;
			commit_findings = NIL;
			touched_objects = NIL;
			touch_depth = 0;
			touch_generation++;
			break;
		default:
			break;
	}
}

/*
 * The declared-findings cache may have been filled in a subtransaction
 * that rolls back.
 */
static void
policy_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					   SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
	{
		declared_version = NULL;
		declared_direction = NULL;
		declared_permits = NIL;
	}
}

static bool
same_object(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static bool
permits_cover(List *permits, RuleFinding *f)
{
	ListCell   *lc;

	foreach(lc, permits)
	{
		GuardPermit *p = lfirst(lc);

		if (strcmp(p->rule, f->rule->id) == 0 && same_object(p->object, f->object))
			return true;
	}
	return false;
}

static GuardPermit *
make_permit(const char *rule_id, const char *object)
{
	GuardPermit *p = palloc0(sizeof(GuardPermit));

	p->rule = migrator_rule(rule_id)->id;
	p->object = object ? pstrdup(object) : NULL;
	return p;
}

/*
 * The destructive (rule, object) pairs the running migration declares for
 * its "direction": for "up" the findings register() stored; for "down" the
 * lint findings of the registered down script (register() parsed it but
 * stores no findings for it).  Cached for the transaction.
 */
static List *
migration_permits(const char *version, const char *direction)
{
	MemoryContext oldcxt;
	List	   *permits = NIL;
	List	   *rules = NIL;
	List	   *objects = NIL;
	ListCell   *rc;
	ListCell   *oc;
	Oid			type = TEXTOID;
	Datum		value = CStringGetTextDatum(version);
	uint64		i;

	/*
	 * A staged change's phase (staged.c) declares exactly the destructive
	 * statements of the script it runs, which it generated; not cached,
	 * since one phase runs several scripts.
	 */
	if (session_staged_script() != NULL)
	{
		LintState	lint = {0};
		ListCell   *fc;

		foreach(fc, lint_script(script_parse(session_staged_script(), "staged script"),
								&lint, true))
		{
			LintFinding *f = lfirst(fc);

			if (f->rule->kind == MIGRATION_DESTRUCTIVE)
				permits = lappend(permits, make_permit(f->rule->id, f->object));
		}
		return permits;
	}

	if (declared_version && strcmp(declared_version, version) == 0 &&
		strcmp(declared_direction, direction) == 0)
		return declared_permits;

	/*
	 * Collect the declared (rule, object) pairs with SPI first: SPI switches
	 * memory contexts as it runs, so the cache is built only afterwards, in
	 * TopTransactionContext, where it lives until the transaction ends.
	 */
	SPI_connect();
	if (strcmp(direction, "up") == 0)
	{
		history_exec("SELECT f->>'rule', f->>'object' "
					 "FROM migrator.migrations m, jsonb_array_elements(m.findings) f "
					 "WHERE m.version = $1 AND f->>'kind' = 'destructive'",
					 1, &type, &value, NULL);
		for (i = 0; i < SPI_processed; i++)
		{
			rules = lappend(rules, SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1));
			objects = lappend(objects, SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2));
		}
	}
	else
	{
		char	   *down = NULL;

		history_exec("SELECT down FROM migrator.migrations WHERE version = $1",
					 1, &type, &value, NULL);
		if (SPI_processed == 1)
			down = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
		if (down)
		{
			LintState	lint = {0};
			ListCell   *fc;

			foreach(fc, lint_script(script_parse(down, "down script"), &lint, true))
			{
				LintFinding *f = lfirst(fc);

				if (f->rule->kind != MIGRATION_DESTRUCTIVE)
					continue;
				rules = lappend(rules, (char *) f->rule->id);
				objects = lappend(objects, f->object);
			}
		}
	}

	oldcxt = MemoryContextSwitchTo(TopTransactionContext);
	forboth(rc, rules, oc, objects)
		permits = lappend(permits, make_permit(lfirst(rc), lfirst(oc)));
	declared_version = pstrdup(version);
	declared_direction = pstrdup(direction);
	declared_permits = permits;
	MemoryContextSwitchTo(oldcxt);
	SPI_finish();
	return permits;
}

/*
 * The text of the statement the hook is looking at, without the blanks and
 * comments before it: from 18 on, the server's statement location in a
 * string of several statements is the first token (before, the end of the
 * previous statement), and the same statement reads the same on every
 * version.  Block comments nest, as in the server's scanner.
 */
static char *
statement_text(const char *query, int location, int len)
{
	const char *start;
	const char *end;

	if (query == NULL)
		return pstrdup("");
	if (location < 0 || location > (int) strlen(query))
		location = 0;
	start = query + location;
	if (len <= 0)
		len = strlen(start);
	end = start + len;
	for (;;)
	{
		while (start < end && isspace((unsigned char) *start))
			start++;
		if (end - start >= 2 && start[0] == '-' && start[1] == '-')
		{
			while (start < end && *start != '\n')
				start++;
		}
		else if (end - start >= 2 && start[0] == '/' && start[1] == '*')
		{
			const char *p = start + 2;
			int			depth = 1;

			while (p < end && depth > 0)
			{
				if (end - p >= 2 && p[0] == '/' && p[1] == '*')
				{
					depth++;
					p += 2;
				}
				else if (end - p >= 2 && p[0] == '*' && p[1] == '/')
				{
					depth--;
					p += 2;
				}
				else
					p++;
			}
			if (depth > 0)
				break;			/* an unterminated comment: keep it */
			start = p;
		}
		else
			break;
	}
	return pnstrdup(start, end - start);
}

/*
 * Record a refusal as a migrator.events row (action "block", outcome
 * "blocked") that survives the refusing transaction's rollback
 * (history_event_autonomous()).
 */
static void
policy_record_block(const RuleFinding *f, const char *tag, const char *statement,
				   const char *session_role)
{
	const char *version = NULL;
	const char *kind = NULL;
	const char *direction = NULL;

	(void) session_migration(&version, &kind, &direction);
	history_event_autonomous_object(version, "block", kind, "blocked", f->rule->id,
									f->object, statement,
									psprintf("%s%s%s refused; session user %s",
											 tag, f->object ? " on " : "",
											 f->object ? f->object : "",
											 session_role));
}

/*
 * Report an unplanned destructive statement: a server-log line and (when
 * enforcing) an events row, both of which survive the rollback, then ERROR
 * (enforce); or the log line and an events row in the statement's
 * transaction, then WARNING (warn) or nothing more (observe).
 */
static void
policy_report(const char *tag, const RuleFinding *f, const char *statement)
{
	const char *role = GetUserNameFromId(GetUserId(), false);
	const char *session_role = GetUserNameFromId(GetSessionUserId(), false);
	const char *dbname = get_database_name(MyDatabaseId);
	const char *object = f->object ? f->object : "";
	bool		enforce = (guard_mode == GUARD_ENFORCE);
	const char *version = NULL;
	const char *kind = NULL;
	const char *direction = NULL;
	bool		in_migration;
	bool		uninstall;
	char	   *citus_detail = citus_refusal_detail();
	char	   *citus_hint = citus_refusal_hint(f, statement);

	ereport(LOG_SERVER_ONLY,
			(errmsg("%s %s rule=%s tag=\"%s\" object=\"%s\" role=\"%s\" session_role=\"%s\" database=\"%s\" statement: %s",
					GUARD_LOG_PREFIX,
					enforce ? "blocked" : guard_mode == GUARD_WARN ? "warned" : "observed",
					f->rule->id, tag, object, role, session_role,
					dbname ? dbname : "", statement),
			 errhidestmt(true)));

	if (enforce)
		policy_record_block(f, tag, statement, session_role);
	else
	{
		rollout_observed(guard_mode == GUARD_WARN, tag, f, statement);
		if (guard_mode == GUARD_OBSERVE)
			return;
	}
	uninstall = f->object && strcmp(f->object, "migrator") == 0 &&
		(strcmp(f->rule->id, "drop_extension") == 0 || strcmp(f->rule->id, "drop_schema") == 0);

	/*
	 * Inside a running migration the statement was not among those its
	 * script declared: it comes from a DO block, a function or EXECUTE,
	 * which registration cannot see.
	 */
	in_migration = session_migration(&version, &kind, &direction);
	ereport(enforce ? ERROR : WARNING,
			(errcode(ERRCODE_MIGRATOR_GUARD_BLOCKED),
			 f->object
			 ? errmsg("unplanned destructive statement %s on \"%s\"", tag, f->object)
			 : errmsg("unplanned destructive statement %s", tag),
			 in_migration
			 ? errdetail("Rule %s (%s) is destructive, and the %s script of migration \"%s\" does not declare it: statements inside DO blocks, functions and EXECUTE are not seen at registration.%s%s%s%s",
						 f->rule->id, f->rule->description, direction, version,
						 f->message ? " " : "", f->message ? f->message : "",
						 citus_detail ? " " : "", citus_detail ? citus_detail : "")
			 : errdetail("Rule %s (%s) is destructive, and no registered migration or allowance of this transaction covers it.%s%s%s%s",
						 f->rule->id, f->rule->description,
						 f->message ? " " : "", f->message ? f->message : "",
						 citus_detail ? " " : "", citus_detail ? citus_detail : ""),
			 citus_hint
			 ? errhint("%s", citus_hint)
			 : in_migration
			 ? errhint("Write the statement at the top level of the script, or call migrator.allow(statement, reason => ...) in the script before it.")
			 : uninstall
			 ? errhint("Dropping migrator deletes its history: keep a copy first, then call migrator.allow(%s, reason => ...) earlier in this transaction (docs/operations.md, \"Uninstalling\").",
					   quote_literal_cstr(statement))
			 : f->rule->hint
			 ? errhint("%s", f->rule->hint)
			 : errhint("Register it as a migration with a plan and a down script and run migrator.apply(), or call migrator.allow(statement, reason => ...) earlier in this transaction.")));
}

/*
 * Does a standing exemption (rollout.c) cover finding "f" of "stmt" or of
 * dropped relation "relid"?  Its use is recorded there; in warn mode the
 * session hears of it too (a NOTICE naming the rule, as the WARNING of a
 * would-be refusal does), so that warn mode shows every destructive
 * statement the guard lets through and why.
 */
static bool
exemption_covers(List **exemptions, bool *loaded, Node *stmt, Oid relid,
				 const RuleFinding *f, const char *tag, const char *statement)
{
	int64		id;

	if (!rollout_exemption_covers(exemptions, loaded, stmt, relid, f, tag, statement, &id))
		return false;
	if (guard_mode == GUARD_WARN)
		ereport(NOTICE,
				(f->object
				 ? errmsg("destructive statement %s on \"%s\" runs under standing exemption " INT64_FORMAT,
						  tag, f->object, id)
				 : errmsg("destructive statement %s runs under standing exemption " INT64_FORMAT,
						  tag, id),
				 errdetail("Rule %s (%s) is destructive; the exemption in migrator.exemptions covers it.",
						   f->rule->id, f->rule->description)));
	return true;
}

/*
 * Report DROP DATABASE or ALTER DATABASE ... RENAME of a protected
 * database: the server-log line, an events row in the protected database,
 * then ERROR (enforce), WARNING (warn) or nothing more (observe).
 */
static void
report_database(const char *tag, const RuleFinding *f, const char *statement,
					  Oid dboid)
{
	const char *role = GetUserNameFromId(GetUserId(), false);
	const char *session_role = GetUserNameFromId(GetSessionUserId(), false);
	const char *dbname = get_database_name(MyDatabaseId);
	bool		enforce = (guard_mode == GUARD_ENFORCE);

	ereport(LOG_SERVER_ONLY,
			(errmsg("%s %s rule=%s tag=\"%s\" object=\"%s\" role=\"%s\" session_role=\"%s\" database=\"%s\" statement: %s",
					GUARD_LOG_PREFIX,
					enforce ? "blocked" : guard_mode == GUARD_WARN ? "warned" : "observed",
					f->rule->id, tag, f->object, role, session_role,
					dbname ? dbname : "", statement),
			 errhidestmt(true)));

	/*
	 * The protected database keeps the record (written there by a worker:
	 * the statement's transaction is in another database), except of a
	 * DROP DATABASE that observe or warn mode lets run: that record would
	 * go with the database, and the worker's connection would be in the
	 * drop's way.  The log line stays.
	 */
	if (enforce)
		history_event_autonomous_in(dboid, "block", "blocked", f->rule->id, statement,
									psprintf("%s on %s refused; session user %s",
											 tag, f->object, session_role));
	else if (strcmp(f->rule->id, "drop_database") != 0)
		history_event_autonomous_in(dboid, "observe",
									guard_mode == GUARD_WARN ? "warned" : "observed",
									f->rule->id, statement,
									psprintf("%s on %s would have been refused; session user %s",
											 tag, f->object, session_role));
	if (guard_mode == GUARD_OBSERVE)
		return;
	ereport(enforce ? ERROR : WARNING,
			(errcode(ERRCODE_MIGRATOR_GUARD_BLOCKED),
			 errmsg("unplanned destructive statement %s on \"%s\"", tag, f->object),
			 errdetail("Database \"%s\" is protected by migrator, from every database of the server.",
					   f->object),
			 errhint("To drop or rename it on purpose, a superuser first removes the protection in that database (recorded in its migrator.events): SECURITY LABEL FOR migrator ON DATABASE %s IS NULL;",
					 quote_identifier(f->object))));
}

/*
 * DROP DATABASE or ALTER DATABASE ... RENAME: when the target database is
 * protected (protect.c), judged here, in whichever database the statement
 * was sent from and whether or not migrator is installed in it; "verdict"
 * receives the verdict: not destructive when the target is not protected.
 * Returns false for other statements.
 */
static bool
judge_protected_database(Node *stmt, GuardSource *source, GuardVerdict *verdict)
{
	const char *dbname;
	const char *rule;
	RuleFinding f = {0};
	Oid			dboid;

	if (!statement_database_target(stmt, &dbname, &rule))
		return false;
	f.rule = migrator_rule(rule);
	f.message = NULL;
	f.severity = NULL;
	dboid = get_database_oid(dbname, true);
	if (!OidIsValid(dboid) || !database_is_protected(dboid))
	{
		/*
		 * A database migrator does not protect is not ours to judge, from
		 * whichever database the statement comes (and the refusal's hint,
		 * allow() earlier in the transaction, cannot be followed: DROP
		 * DATABASE runs in no transaction block).
		 */
		*verdict = VERDICT_NOT_DESTRUCTIVE;
		return true;
	}
	f.object = pstrdup(dbname);
	f.location = -1;

	/*
	 * Neither a migration nor an allowance of the database the statement
	 * runs in covers it: they are for that database's own objects, and
	 * whoever may call allow() or deploy() there (the protected database's
	 * non-superuser owner) would waive a protection only a superuser may
	 * remove, with nothing recorded in the protected database.
	 */
	*verdict = VERDICT_ALLOWED;
	report_database(statement_tag(stmt), &f,
					statement_text(source->query, source->location, source->len),
					dboid);
	return true;
}

/*
 * The object of finding "f" as an allowance names it: with its detail (a
 * routine's argument types, a column's new type), so that an allowance of
 * DROP FUNCTION app.f(int) does not cover DROP FUNCTION app.f(text), nor
 * one type change of a column another.  A migration's declarations name
 * the objects its own checksummed script reaches, without detail.
 */
static const char *
allowance_object(RuleFinding *f)
{
	if (f->detail == NULL || f->object == NULL)
		return f->object;
	return psprintf("%s%s", f->object, f->detail);
}

/*
 * Do the running migration's declared findings or this transaction's
 * allowances cover finding "f"?  Migrator's own objects are covered only
 * by an allowance.
 */
static bool
finding_covered(List *permits, RuleFinding *f)
{
	if (strcmp(f->rule->id, "alter_migrator") != 0 && permits_cover(permits, f))
		return true;
	return session_allowed(f->rule->id, allowance_object(f));
}

/* The destructive findings of "facts" (RuleFinding). */
static List *
destructive_findings(StatementFacts *facts)
{
	List	   *result = NIL;
	ListCell   *lc;

	foreach(lc, facts->findings)
		if (((RuleFinding *) lfirst(lc))->rule->kind == MIGRATION_DESTRUCTIVE)
			result = lappend(result, lfirst(lc));
	return result;
}

/* The declared findings of the running migration, NIL when none runs. */
static List *
running_migration_permits(void)
{
	const char *version;
	const char *kind;
	const char *direction;

	if (!session_migration(&version, &kind, &direction))
		return NIL;
	return migration_permits(version, direction);
}

/*
 * Keep finding "f" of a statement on a table for judge_at_commit();
 * false when the statement names no table that exists.
 */
static bool
defer_to_commit(StatementFacts *facts, RuleFinding *f, const char *statement)
{
	Oid			relid = OidIsValid(f->relid) ? f->relid : facts->targets
		? RangeVarGetRelid(linitial(facts->targets), NoLock, true) : InvalidOid;
	MemoryContext oldcxt;
	CommitFinding *cf;

	if (!OidIsValid(relid))
		return false;
	oldcxt = MemoryContextSwitchTo(TopTransactionContext);
	cf = palloc0(sizeof(CommitFinding));
	cf->relid = relid;
	cf->rule = f->rule->id;
	cf->object = f->object ? pstrdup(f->object) : NULL;
	cf->tag = pstrdup(facts->tag);
	cf->statement = pstrdup(statement);
	cf->message = f->message ? pstrdup(f->message) : NULL;
	cf->blocked_before = f->blocked_before;
	commit_findings = lappend(commit_findings, cf);
	MemoryContextSwitchTo(oldcxt);
	return true;
}

/*
 * Before the transaction commits (or is prepared): the findings kept for
 * it, judged on what the transaction leaves.  Row security on, with no
 * permissive policy, on a table with rows (rls_without_policy); a
 * published table whose UPDATE or DELETE now fails where it did not when
 * the statement ran (publish_without_identity): refused now, which rolls
 * the transaction back, or reported in warn and observe mode.  An allowance granted later in the transaction covers it.
 */
static void
judge_at_commit(void)
{
	List	   *pending = commit_findings;
	ListCell   *lc;

	commit_findings = NIL;
	if (pending == NIL || !policy_enabled() || !policy_extension_installed())
		return;
	foreach(lc, pending)
	{
		CommitFinding *cf = lfirst(lc);
		RuleFinding f = {0};

		if (strcmp(cf->rule, "rls_without_policy") == 0 &&
			!relation_row_security_without_policy(cf->relid))
			continue;
		if (strcmp(cf->rule, "publish_without_identity") == 0 &&
			(relation_publication_blocks(cf->relid) & ~cf->blocked_before) == 0)
			continue;
		f.rule = migrator_rule(cf->rule);
		f.object = cf->object;
		f.message = cf->message;
		f.location = -1;
		if (finding_covered(NIL, &f))
			continue;
		policy_report(cf->tag, &f, cf->statement);
	}
	rollout_flush();
}

/*
 * Judge one utility statement ("subcommand": generated by a statement
 * judged already); returns the verdict and, when it was analysed, its
 * facts; raises the refusal.
 */
static GuardVerdict
judge_statement(Node *stmt, bool subcommand, GuardSource *source,
				StatementFacts **facts_out)
{
	AnalyzeContext *ctx;
	StatementFacts *facts;
	List	   *permits;
	ListCell   *lc;
	GuardVerdict verdict;
	List	   *exemptions = NIL;
	bool		exemptions_loaded = false;
	bool		exempted = false;
	bool		drops_migrator;
	bool		reported = false;
	bool		by_authority = false;

	*facts_out = NULL;

	/* OWNED BY changes what the catalog oracle must look at, in any mode. */
	if (statement_sets_owned_by(stmt))
		catalog_note_owned_by();
	if (!policy_enabled())
		return VERDICT_INERT;

	/* Statements a judged statement generates were judged with it. */
	if (subcommand)
		return VERDICT_NOT_DESTRUCTIVE;

	/* A protected database, from any database (a tag test for others). */
	if (judge_protected_database(stmt, source, &verdict))
		return verdict;
	/* Known not to be installed here: nothing to judge. */
	if (extension_cache_valid && !OidIsValid(extension_oid))
		return VERDICT_INERT;

	/*
	 * Most utility statements fire no rule and cannot alter anything of
	 * ours, and that is decided on the parse tree alone, without catalog
	 * access (a ROLLBACK in an aborted transaction must not have any).
	 */
	ctx = analyze_context(oracle_by_catalog(policy_own_namespace));
	facts = analyze_statement(ctx, stmt, 0);
	*facts_out = facts;
	if (!facts->destructive)
		return VERDICT_NOT_DESTRUCTIVE;
	if (!policy_extension_installed())
		return VERDICT_INERT;
	if (analyze_exempt(ctx, facts))
	{
		/* what Citus propagates of it is exempt on the workers too */
		citus_authorize(facts, destructive_findings(facts));
		return VERDICT_EXEMPT;
	}
	if (!facts->own_object && citus_maintenance_statement(facts))
		return VERDICT_ALLOWED;

	permits = running_migration_permits();
	drops_migrator = statement_drops_extension(stmt, "migrator");
	foreach(lc, facts->findings)
	{
		RuleFinding *f = lfirst(lc);
		char	   *text;

		if (f->rule->kind != MIGRATION_DESTRUCTIVE || finding_covered(permits, f))
			continue;
		if (citus_authority_covers(f->rule->id, f->object, facts->tag))
		{
			by_authority = true;
			continue;
		}
		text = statement_text(source->query, source->location, source->len);

		/*
		 * A standing exemption never covers migrator's own objects, nor the
		 * drop of migrator itself (only allow() may let the history go; the
		 * object access hook refuses other routes to it).
		 */
		if (!facts->own_object && !drops_migrator &&
			exemption_covers(&exemptions, &exemptions_loaded, stmt, InvalidOid,
							 f, facts->tag, text))
		{
			exempted = true;
			continue;
		}
		/* judged at commit: a policy created later in the transaction counts */
		if (f->rule->at_commit && defer_to_commit(facts, f, text))
			continue;
		policy_report(facts->tag, f, text);
		/* observe and warn mode: report each finding, let the statement run */
		reported = true;
	}

	/*
	 * What observe and warn mode recorded goes into the statement's
	 * transaction now, or after the statement (policy_statement_end())
	 * for one that must be the first thing its transaction does (DROP
	 * INDEX CONCURRENTLY) and commits inside itself.
	 */
	if (!facts->needs_autocommit)
		rollout_flush();

	/*
	 * Covered here (by the migration, an allowance or a standing
	 * exemption): what Citus propagates of it carries this node's
	 * authority.  What an authority received from the coordinator covered
	 * is not passed on again.
	 */
	if (!reported && !by_authority)
		citus_authorize(facts, destructive_findings(facts));
	return exempted ? VERDICT_EXEMPTED : VERDICT_ALLOWED;
}

/*
 * After CREATE TABLE AS, SELECT INTO or CREATE MATERIALIZED VIEW: the
 * parse tree does not show the types of the columns a query produces, so
 * the created relation is looked at.  A permanent one with a column of a
 * temporary type would lose it when the session ends (rule
 * depends_on_temporary); refusing now rolls the creation back.  Returns
 * whether it reported (warn and observe mode).
 */
static bool
judge_created(StatementFacts *facts, GuardSource *source)
{
	IntoClause *into = facts->into;
	Oid			temp_nsp;
	Oid			temp_toast_nsp;
	Oid			relid;
	RuleFinding f = {0};

	GetTempNamespaceState(&temp_nsp, &temp_toast_nsp);
	if (!OidIsValid(temp_nsp) || into == NULL || into->rel == NULL)
		return false;
	relid = RangeVarGetRelid(into->rel, NoLock, true);
	if (!OidIsValid(relid) || get_rel_persistence(relid) == RELPERSISTENCE_TEMP ||
		!relation_has_temporary_column(relid))
		return false;
	f.rule = migrator_rule("depends_on_temporary");
	f.object = relation_name(into->rel);
	f.location = -1;
	f.message = NULL;
	if (finding_covered(running_migration_permits(), &f))
		return false;
	policy_report(facts->tag, &f,
				  statement_text(source->query, source->location, source->len));
	return true;
}

/* Does the statement have a finding of rule "rule_id" (judged already)? */
static bool
facts_have_rule(StatementFacts *facts, const char *rule_id)
{
	ListCell   *lc;

	foreach(lc, facts->findings)
		if (strcmp(((RuleFinding *) lfirst(lc))->rule->id, rule_id) == 0)
			return true;
	return false;
}

/*
 * "nsp.name" of relation "relid", with ".sub" when "sub" is given; the
 * schema of the relation in *nsp.
 */
static char *
relation_part_name(Oid relid, const char *sub, Oid *nsp)
{
	char	   *rel = get_rel_name(relid);

	*nsp = get_rel_namespace(relid);
	if (rel == NULL)
		return NULL;
	rel = psprintf("%s.%s", get_namespace_name(*nsp), rel);
	return sub ? psprintf("%s.%s", rel, sub) : rel;
}

/*
 * Where the object a pg_depend row names (a depender) lives, and its name
 * as a finding names it: a column default by its column, a view's rule by
 * its view, a policy or trigger by its table.  NULL when it is gone.
 */
static char *
depender_name(Oid classid, Oid objid, int32 subid, Oid *nsp)
{
	ObjectAddress addr;
	HeapTuple	tuple;
	char	   *name = NULL;

	*nsp = InvalidOid;
	switch (classid)
	{
		case RelationRelationId:
			return relation_part_name(objid, subid ? get_attname(objid, subid, true) : NULL, nsp);
		case AttrDefaultRelationId:
			{
				Oid			relid;
				int16		attnum;

				if (!attrdef_column(objid, &relid, &attnum))
					return NULL;
				return relation_part_name(relid, get_attname(relid, attnum, true), nsp);
			}
		case RewriteRelationId:
			{
				ScanKeyData key;
				Relation	rel = table_open(RewriteRelationId, AccessShareLock);
				SysScanDesc scan;

				ScanKeyInit(&key, Anum_pg_rewrite_oid, BTEqualStrategyNumber,
							F_OIDEQ, ObjectIdGetDatum(objid));
				scan = systable_beginscan(rel, RewriteOidIndexId, true, NULL, 1, &key);
				if (HeapTupleIsValid(tuple = systable_getnext(scan)))
				{
					Form_pg_rewrite rw = (Form_pg_rewrite) GETSTRUCT(tuple);

					name = relation_part_name(rw->ev_class,
											  strcmp(NameStr(rw->rulename), ViewSelectRuleName) == 0
											  ? NULL : pstrdup(NameStr(rw->rulename)), nsp);
				}
				systable_endscan(scan);
				table_close(rel, AccessShareLock);
				return name;
			}
		case PolicyRelationId:
			{
				ScanKeyData key;
				Relation	rel = table_open(PolicyRelationId, AccessShareLock);
				SysScanDesc scan;

				ScanKeyInit(&key, Anum_pg_policy_oid, BTEqualStrategyNumber,
							F_OIDEQ, ObjectIdGetDatum(objid));
				scan = systable_beginscan(rel, PolicyOidIndexId, true, NULL, 1, &key);
				if (HeapTupleIsValid(tuple = systable_getnext(scan)))
				{
					Form_pg_policy pol = (Form_pg_policy) GETSTRUCT(tuple);

					name = relation_part_name(pol->polrelid, pstrdup(NameStr(pol->polname)), nsp);
				}
				systable_endscan(scan);
				table_close(rel, AccessShareLock);
				return name;
			}
		case TypeRelationId:
			tuple = SearchSysCache1(TYPEOID, ObjectIdGetDatum(objid));
			if (!HeapTupleIsValid(tuple))
				return NULL;
			*nsp = ((Form_pg_type) GETSTRUCT(tuple))->typnamespace;
			name = psprintf("%s.%s", get_namespace_name(*nsp),
							NameStr(((Form_pg_type) GETSTRUCT(tuple))->typname));
			ReleaseSysCache(tuple);
			return name;
		case ProcedureRelationId:
			*nsp = get_func_namespace(objid);
			name = get_func_name(objid);
			return name ? psprintf("%s.%s", get_namespace_name(*nsp), name) : NULL;
		default:
			break;
	}
	addr.classId = classid;
	addr.objectId = objid;
	addr.objectSubId = subid;
	if (classid == TriggerRelationId || classid == ConstraintRelationId)
	{
		/* the table (or domain) it belongs to decides */
		Oid			ownerrel = InvalidOid;

		if (classid == TriggerRelationId)
		{
			Relation	rel = table_open(TriggerRelationId, AccessShareLock);
			ScanKeyData key;
			SysScanDesc scan;

			ScanKeyInit(&key, Anum_pg_trigger_oid, BTEqualStrategyNumber,
						F_OIDEQ, ObjectIdGetDatum(objid));
			scan = systable_beginscan(rel, TriggerOidIndexId, true, NULL, 1, &key);
			if (HeapTupleIsValid(tuple = systable_getnext(scan)))
				ownerrel = ((Form_pg_trigger) GETSTRUCT(tuple))->tgrelid;
			systable_endscan(scan);
			table_close(rel, AccessShareLock);
			if (OidIsValid(ownerrel))
				*nsp = get_rel_namespace(ownerrel);
		}
		else
		{
			tuple = SearchSysCache1(CONSTROID, ObjectIdGetDatum(objid));
			if (HeapTupleIsValid(tuple))
			{
				Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tuple);

				*nsp = con->connamespace;
				if (OidIsValid(con->conrelid))
					*nsp = get_rel_namespace(con->conrelid);
				ReleaseSysCache(tuple);
			}
		}
		return getObjectIdentity(&addr, true);
	}
	if (is_objectclass_supported(classid))
		*nsp = get_object_namespace(&addr);
	return getObjectIdentity(&addr, true);
}

/*
 * Is object (classid, objid) one of the temporary schema "temp_nsp", that
 * is, does it depend on that schema (as the objects of a schema do)?
 */
static bool
object_in_temporary_schema(Relation dep, Oid classid, Oid objid, Oid temp_nsp)
{
	ScanKeyData key[2];
	SysScanDesc scan;
	HeapTuple	tuple;
	bool		found = false;

	if (classid == NamespaceRelationId)
		return objid == temp_nsp;
	/* built-in objects (most of what new objects reference) are not */
	if (objid < FirstNormalObjectId)
		return false;
	/* the common kinds from the syscache */
	if (classid == RelationRelationId)
		return get_rel_namespace(objid) == temp_nsp;
	if (classid == ProcedureRelationId)
		return get_func_namespace(objid) == temp_nsp;
	if (classid == TypeRelationId)
	{
		HeapTuple	typ = SearchSysCache1(TYPEOID, ObjectIdGetDatum(objid));

		if (!HeapTupleIsValid(typ))
			return false;
		found = ((Form_pg_type) GETSTRUCT(typ))->typnamespace == temp_nsp;
		ReleaseSysCache(typ);
		return found;
	}
	ScanKeyInit(&key[0], Anum_pg_depend_classid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(classid));
	ScanKeyInit(&key[1], Anum_pg_depend_objid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(objid));
	scan = systable_beginscan(dep, DependDependerIndexId, true, NULL, 2, key);
	while (!found && HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_depend d = (Form_pg_depend) GETSTRUCT(tuple);

		found = d->refclassid == NamespaceRelationId && d->refobjid == temp_nsp;
	}
	systable_endscan(scan);
	return found;
}

/*
 * After a utility statement, in a session with a temporary schema: did the
 * statement make a permanent object depend on a temporary one?  At session
 * end the temporary schema is dropped with CASCADE, by no statement the
 * guard judges, and takes the permanent object with it (a column default
 * naming a temporary sequence in a regclass literal, a domain default, an
 * operator, a text search configuration, a view replaced by one calling a
 * temporary function, an old policy altered).  The parse tree does not
 * show every route; pg_depend does: the rows this statement inserted
 * ("first_cid" on) for the objects it created or altered (entries "from"
 * on of touched_objects) that point at an object of the temporary schema
 * from an object outside it are refused as depends_on_temporary.  They
 * are found from whichever side has fewer objects (the temporary schema's
 * or those the statement touched), so the cost is bounded by what the
 * statement did, however many temporary objects the session holds.
 */
/*
 * Did this statement ("first_cid" on) insert pg_depend row "tuple", a
 * dependency that goes with what it references (normal or auto)?
 */
static bool
new_dependency_row(HeapTuple tuple, CommandId first_cid)
{
	Form_pg_depend d = (Form_pg_depend) GETSTRUCT(tuple);

	return (d->deptype == DEPENDENCY_NORMAL || d->deptype == DEPENDENCY_AUTO) &&
		TransactionIdIsCurrentTransactionId(HeapTupleHeaderGetXmin(tuple->t_data)) &&
		HeapTupleHeaderGetCmin(tuple->t_data) >= first_cid;
}

/*
 * The name of the depender of row "d" when it lives outside the temporary
 * schemas and neither the running migration (its permits read once, into
 * *permits) nor an allowance covers depends_on_temporary on it; NULL
 * otherwise.
 */
static char *
permanent_depender(Form_pg_depend d, Oid temp_toast_nsp, List **permits, bool *permits_read)
{
	Oid			nsp;
	char	   *name = depender_name(d->classid, d->objid, d->objsubid, &nsp);
	RuleFinding f = {0};

	if (name == NULL || !OidIsValid(nsp) || isAnyTempNamespace(nsp) ||
		nsp == temp_toast_nsp)
		return NULL;
	f.rule = migrator_rule("depends_on_temporary");
	f.object = name;
	f.location = -1;
	if (!*permits_read)
	{
		*permits = running_migration_permits();
		*permits_read = true;
	}
	return finding_covered(*permits, &f) ? NULL : name;
}

/*
 * The name of depender (classid, objid) when a pg_depend row it got from
 * this statement ("first_cid" on) points at an object of the temporary
 * schema while it lives outside it, and neither the running migration
 * (its permits read once, into *permits) nor an allowance covers that;
 * NULL otherwise.
 */
static char *
new_temporary_dependency(Relation dep, Oid classid, Oid objid, CommandId first_cid,
						 Oid temp_nsp, Oid temp_toast_nsp,
						 List **permits, bool *permits_read)
{
	ScanKeyData key[2];
	SysScanDesc scan;
	HeapTuple	tuple;
	char	   *found = NULL;

	ScanKeyInit(&key[0], Anum_pg_depend_classid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(classid));
	ScanKeyInit(&key[1], Anum_pg_depend_objid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(objid));
	scan = systable_beginscan(dep, DependDependerIndexId, true, NULL, 2, key);
	while (found == NULL && HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_depend d = (Form_pg_depend) GETSTRUCT(tuple);

		if (new_dependency_row(tuple, first_cid) &&
			object_in_temporary_schema(dep, d->refclassid, d->refobjid, temp_nsp))
			found = permanent_depender(d, temp_toast_nsp, permits, permits_read);
	}
	systable_endscan(scan);
	return found;
}

/*
 * The temporary schema's objects (they depend on it), at most "limit" + 1
 * of them: when they are few, reading what depends on each is cheaper
 * than reading the dependencies of everything the statement touched.
 */
static List *
temporary_objects(Relation dep, Oid temp_nsp, int limit)
{
	ScanKeyData key[2];
	SysScanDesc scan;
	HeapTuple	tuple;
	List	   *result = NIL;

	ScanKeyInit(&key[0], Anum_pg_depend_refclassid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(NamespaceRelationId));
	ScanKeyInit(&key[1], Anum_pg_depend_refobjid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(temp_nsp));
	scan = systable_beginscan(dep, DependReferenceIndexId, true, NULL, 2, key);
	while (list_length(result) <= limit && HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_depend d = (Form_pg_depend) GETSTRUCT(tuple);
		ObjectAddress *addr = palloc(sizeof(ObjectAddress));

		addr->classId = d->classid;
		addr->objectId = d->objid;
		addr->objectSubId = 0;
		result = lappend(result, addr);
	}
	systable_endscan(scan);
	return result;
}

/*
 * The name of a permanent object that this statement ("first_cid" on)
 * made depend on one of "temps", uncovered; NULL when none did.
 */
static char *
new_dependency_on(Relation dep, List *temps, CommandId first_cid, Oid temp_toast_nsp,
				  List **permits, bool *permits_read)
{
	ListCell   *lc;
	char	   *found = NULL;

	foreach(lc, temps)
	{
		ObjectAddress *temp = lfirst(lc);
		ScanKeyData key[2];
		SysScanDesc scan;
		HeapTuple	tuple;

		ScanKeyInit(&key[0], Anum_pg_depend_refclassid, BTEqualStrategyNumber,
					F_OIDEQ, ObjectIdGetDatum(temp->classId));
		ScanKeyInit(&key[1], Anum_pg_depend_refobjid, BTEqualStrategyNumber,
					F_OIDEQ, ObjectIdGetDatum(temp->objectId));
		scan = systable_beginscan(dep, DependReferenceIndexId, true, NULL, 2, key);
		while (found == NULL && HeapTupleIsValid(tuple = systable_getnext(scan)))
			if (new_dependency_row(tuple, first_cid))
				found = permanent_depender((Form_pg_depend) GETSTRUCT(tuple),
										   temp_toast_nsp, permits, permits_read);
		systable_endscan(scan);
		if (found)
			break;
	}
	return found;
}

static void
judge_temporary_dependencies(StatementFacts *facts, GuardSource *source,
							 CommandId first_cid, int from)
{
	Oid			temp_nsp;
	Oid			temp_toast_nsp;
	Relation	dep;
	Relation	attrdef = NULL;
	List	   *permits = NIL;
	bool		permits_read = false;
	char	   *found = NULL;
	List	   *temps;
	int			touched;
	int			i;

	GetTempNamespaceState(&temp_nsp, &temp_toast_nsp);
	if (!OidIsValid(temp_nsp) || from >= list_length(touched_objects))
		return;
	CommandCounterIncrement();

	dep = table_open(DependRelationId, AccessShareLock);
	touched = list_length(touched_objects) - from;

	/*
	 * Two routes to the same rows, the cheaper taken: what depends on each
	 * object of the temporary schema when it holds no more objects than
	 * the statement touched, else the dependencies of what it touched.
	 */
	temps = temporary_objects(dep, temp_nsp, touched);
	if (list_length(temps) <= touched)
	{
		found = new_dependency_on(dep, temps, first_cid, temp_toast_nsp,
								  &permits, &permits_read);
		touched = 0;
	}
	for (i = from; found == NULL && i < from + touched; i++)
	{
		ObjectAddress *obj = list_nth(touched_objects, i);

		/*
		 * A column default's hook names its table and column
		 * (AttrDefaultRelationId, relation, column), not the pg_attrdef
		 * row that depends: the table's new defaults are read.
		 */
		if (obj->classId != AttrDefaultRelationId)
			found = new_temporary_dependency(dep, obj->classId, obj->objectId, first_cid,
											 temp_nsp, temp_toast_nsp,
											 &permits, &permits_read);
		else
		{
			ScanKeyData key;
			SysScanDesc scan;
			HeapTuple	tuple;

			if (attrdef == NULL)
				attrdef = table_open(AttrDefaultRelationId, AccessShareLock);
			ScanKeyInit(&key, Anum_pg_attrdef_adrelid, BTEqualStrategyNumber,
						F_OIDEQ, ObjectIdGetDatum(obj->objectId));
			scan = systable_beginscan(attrdef, AttrDefaultIndexId, true, NULL, 1, &key);
			while (found == NULL && HeapTupleIsValid(tuple = systable_getnext(scan)))
				if (TransactionIdIsCurrentTransactionId(HeapTupleHeaderGetXmin(tuple->t_data)))
					found = new_temporary_dependency(dep, AttrDefaultRelationId,
													 ((Form_pg_attrdef) GETSTRUCT(tuple))->oid,
													 first_cid, temp_nsp, temp_toast_nsp,
													 &permits, &permits_read);
			systable_endscan(scan);
		}
	}
	if (attrdef)
		table_close(attrdef, AccessShareLock);
	table_close(dep, AccessShareLock);
	if (found)
	{
		RuleFinding f = {0};

		f.rule = migrator_rule("depends_on_temporary");
		f.object = found;
		f.location = -1;
		/* warn mode: one report per statement is enough */
		policy_report(facts->tag, &f,
					  statement_text(source->query, source->location, source->len));
	}
}

/*
 * The object access hook saw object (classId, objectId) created or
 * altered: kept while a statement whose dependencies are judged after it
 * runs (see touched_objects).  Costs one test otherwise.
 */
void
policy_object_touched(Oid classId, Oid objectId, bool internal)
{
	ObjectAddress *obj;
	MemoryContext oldcxt;
	int			i;

	/*
	 * What the server creates for its own reasons (toast tables, implicit
	 * array types, indexes rebuilt for a type change) copies dependencies
	 * judged already.
	 */
	if (touch_depth == 0 || internal)
		return;
	/* an object altered again (ALTER TABLE subcommands, columns) */
	for (i = list_length(touched_objects) - 1;
		 i >= 0 && i >= list_length(touched_objects) - 8; i--)
	{
		obj = list_nth(touched_objects, i);
		if (obj->classId == classId && obj->objectId == objectId)
			return;
	}
	oldcxt = MemoryContextSwitchTo(TopTransactionContext);
	obj = palloc(sizeof(ObjectAddress));
	obj->classId = classId;
	obj->objectId = objectId;
	obj->objectSubId = 0;
	touched_objects = lappend(touched_objects, obj);
	MemoryContextSwitchTo(oldcxt);
}

/*
 * Did column "attnum" of "relid" have a default before this transaction
 * (a pg_attrdef row inserted by an earlier, committed transaction, even if
 * this one replaced or removed it since)?
 */
static bool
column_had_committed_default(Oid relid, int16 attnum)
{
	ScanKeyData key[2];
	Relation	rel = table_open(AttrDefaultRelationId, AccessShareLock);
	SysScanDesc scan;
	HeapTuple	tuple;
	bool		found = false;

	ScanKeyInit(&key[0], Anum_pg_attrdef_adrelid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(relid));
	ScanKeyInit(&key[1], Anum_pg_attrdef_adnum, BTEqualStrategyNumber,
				F_INT2EQ, Int16GetDatum(attnum));
	scan = systable_beginscan(rel, AttrDefaultIndexId, true, SnapshotAny, 2, key);
	while (!found && HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		TransactionId xmin = HeapTupleHeaderGetXmin(tuple->t_data);

		found = !TransactionIdIsCurrentTransactionId(xmin) && TransactionIdDidCommit(xmin);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}

/*
 * The current default of column "attnum" of "relid" evaluates to NULL:
 * there is none, or its expression folds to a NULL constant
 * (NULL::int + 0, CASE WHEN false THEN 1 END).
 */
static bool
column_default_is_null(Oid relid, AttrNumber attnum)
{
	Relation	rel = relation_open(relid, NoLock);
	TupleConstr *constr = RelationGetDescr(rel)->constr;
	Node	   *expr = NULL;
	int			i;

	for (i = 0; constr && i < constr->num_defval; i++)
		if (constr->defval[i].adnum == attnum)
			expr = stringToNode(constr->defval[i].adbin);
	relation_close(rel, NoLock);
	if (expr == NULL)
		return true;
	expr = eval_const_expressions(NULL, expr);
	return IsA(expr, Const) && ((Const *) expr)->constisnull;
}

/* Is there a finding of "rule" on "rel"."column" among "findings"? */
static bool
finding_for_column(List *findings, const char *rule, const char *rel,
				   const char *column)
{
	char	   *object = psprintf("%s.%s", rel, column);
	ListCell   *lc;

	foreach(lc, findings)
	{
		RuleFinding *f = lfirst(lc);

		if (strcmp(f->rule->id, rule) == 0 && f->object && strcmp(f->object, object) == 0)
			return true;
	}
	return false;
}

/* Has table "relid" no block at all (created and never written)? */
static bool
relation_never_written(Oid relid)
{
	Relation	rel = relation_open(relid, NoLock);
	bool		empty = !RELKIND_HAS_STORAGE(rel->rd_rel->relkind) ||
		RelationGetNumberOfBlocks(rel) == 0;

	relation_close(rel, NoLock);
	return empty;
}

/*
 * After ALTER DOMAIN ... SET DEFAULT: a default that evaluates to NULL
 * removes the domain's default as DROP DEFAULT does (rule drop_default),
 * which the parse tree shows only for a NULL constant.
 */
static void
judge_domain_default(StatementFacts *facts, GuardSource *source)
{
	TypeName   *typename = makeTypeNameFromNameList(facts->domain_default_set);
	Oid			typid = LookupTypeNameOid(NULL, typename, true);
	HeapTuple	tuple;
	bool		isnull;
	Datum		bin;
	Node	   *expr;
	RuleFinding f = {0};

	if (!OidIsValid(typid) || catalog_object_is_exempt(TypeRelationId, typid))
		return;
	tuple = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
	if (!HeapTupleIsValid(tuple))
		return;
	bin = SysCacheGetAttr(TYPEOID, tuple, Anum_pg_type_typdefaultbin, &isnull);
	expr = isnull ? NULL : stringToNode(TextDatumGetCString(bin));
	ReleaseSysCache(tuple);
	if (expr == NULL)
		return;
	expr = eval_const_expressions(NULL, expr);
	if (!IsA(expr, Const) || !((Const *) expr)->constisnull)
		return;
	f.rule = migrator_rule("drop_default");
	f.object = NameListToString(facts->domain_default_set);
	f.location = -1;
	if (finding_covered(running_migration_permits(), &f))
		return;
	policy_report(facts->tag, &f,
				  statement_text(source->query, source->location, source->len));
}

/*
 * After ALTER TABLE ... SET DEFAULT on an old table: a default that
 * evaluates to NULL removes the column's default as DROP DEFAULT does
 * (rule drop_default), which the parse tree shows only for a NULL
 * constant.  Inherited columns of a table never written are left alone (pg_dump
 * writes SET DEFAULT NULL for a child that dropped an inherited default).
 */
static void
judge_table_defaults(StatementFacts *facts, GuardSource *source)
{
	Oid			relid = RangeVarGetRelid(facts->defaults_relation, NoLock, true);
	ListCell   *lc;

	if (!OidIsValid(relid) || catalog_relid_is_exempt(relid))
		return;
	foreach(lc, facts->defaults_set)
	{
		const char *column = lfirst(lc);
		HeapTuple	tuple;
		AttrNumber	attnum;
		bool		inherited;
		RuleFinding f = {0};

		/* SET DEFAULT NULL itself was judged by the hook (drop_default) */
		if (finding_for_column(facts->findings, "drop_default",
							   relation_name(facts->defaults_relation), column))
			continue;
		tuple = SearchSysCacheAttName(relid, column);
		if (!HeapTupleIsValid(tuple))
			continue;
		attnum = ((Form_pg_attribute) GETSTRUCT(tuple))->attnum;
		inherited = ((Form_pg_attribute) GETSTRUCT(tuple))->attinhcount > 0 &&
			!get_rel_relispartition(relid);
		ReleaseSysCache(tuple);
		/*
		 * An inherited column is left alone only on a table never written:
		 * pg_dump writes SET DEFAULT NULL for an inheritance child that
		 * dropped an inherited default, and a restore sends it before the
		 * child has rows.
		 */
		if ((inherited && relation_never_written(relid)) ||
			catalog_column_is_new(relid, attnum) ||
			!column_default_is_null(relid, attnum) ||
			!column_had_committed_default(relid, attnum))
			continue;
		f.rule = migrator_rule("drop_default");
		f.object = psprintf("%s.%s", relation_name(facts->defaults_relation), column);
		f.location = -1;
		f.message = NULL;
		f.severity = NULL;
		if (finding_covered(running_migration_permits(), &f))
			continue;
		policy_report("ALTER TABLE", &f,
					  statement_text(source->query, source->location, source->len));
	}
}

/*
 * The rule that a dropped object of type "object_type" (as
 * pg_event_trigger_dropped_objects() names it) fires.
 */
static const char *
dropped_object_rule(const char *object_type)
{
	static const struct
	{
		const char *type;
		const char *rule;
	}			map[] = {
		{"table", "drop_table"},
		{"foreign table", "drop_table"},
		{"view", "drop_view"},
		{"materialized view", "drop_view"},
		{"schema", "drop_schema"},
		{"type", "drop_type"},
		{"domain", "drop_type"},
		{"function", "drop_function"},
		{"procedure", "drop_function"},
		{"aggregate", "drop_function"},
		{"sequence", "drop_sequence"},
		{"index", "drop_index"},
		{"trigger", "drop_trigger"},
		{"event trigger", "drop_trigger"},
		{"extension", "drop_extension"},
		{"table column", "drop_column"},
		{"table constraint", "drop_constraint"},
		{"domain constraint", "drop_constraint"},
		{"default value", "drop_default"},
	};
	int			i;

	for (i = 0; i < lengthof(map); i++)
		if (strcmp(map[i].type, object_type) == 0)
			return map[i].rule;
	return "drop_other";
}

/*
 * After an exempt statement, the kinds of dropped objects that are judged:
 * those that hold data or that other objects and queries use by name, and
 * the parts of a table that guard its rows or act on them (policies,
 * triggers, rules, constraints, indexes): an old one redefined in this
 * transaction to use a new object (ALTER POLICY, CREATE OR REPLACE
 * TRIGGER or RULE) goes with that object's CASCADE, and it is still old.
 * A part created in the transaction is new, and one of a dropped table or
 * column goes with them.  Publication memberships are not judged.
 */
static bool
dropped_object_holds_data(const char *object_type)
{
	static const char *const kinds[] = {
		"table", "foreign table", "view", "materialized view", "sequence",
		"table column", "schema", "type", "domain", "function", "procedure",
		"aggregate", "policy", "trigger", "rule", "table constraint",
		"domain constraint", "index",
	};
	int			i;

	for (i = 0; i < lengthof(kinds); i++)
		if (strcmp(kinds[i], object_type) == 0)
			return true;
	return false;
}

/*
 * Is the object a member of migrator itself (its catalog tables,
 * functions, event trigger)?  A standing exemption never covers those.
 */
static bool
object_is_own(Oid classid, Oid objid)
{
	return OidIsValid(extension_oid) &&
		getExtensionOfObject(classid, objid) == extension_oid;
}

/*
 * One object a statement is about to drop (guard.c's object access hook,
 * OAT_DROP,
 * called for every object a DROP removes, its CASCADE victims included,
 * before it is removed): what the sql_drop event trigger judged in 0.2,
 * without PostgreSQL computing every dropped object's identity for an
 * event trigger.  A statement the hook allowed may drop what it drops;
 * after an exempt statement (its targets are new or temporary) without
 * CASCADE only what belongs to the targets goes, which the hook judged;
 * with CASCADE every object that holds data or that readers name must be
 * new, temporary or a member of the extension whose script runs.
 */
void
policy_judge_dropped_object(GuardVerdict verdict, const char *statement_tag_name,
							bool cascades, List *invalid_indexes,
							Oid classid, Oid objid, int32 subid)
{
	ObjectAddress addr;
	RuleFinding f = {0};
	char	   *type;
	const char *tag;
	List	   *exemptions = NIL;
	bool		exemptions_loaded = false;

	if (verdict == VERDICT_INERT || verdict == VERDICT_ALLOWED ||
		verdict == VERDICT_NOT_DESTRUCTIVE || !policy_enabled())
		return;
	if (verdict == VERDICT_EXEMPT && !cascades)
		return;

	/*
	 * A large object dropped outside any utility statement: lo_unlink(), how
	 * applications delete large objects, is data manipulation like DELETE,
	 * left to privileges (DROP OWNED, which drops them too, is judged).
	 */
	if (verdict == VERDICT_UNSEEN && classid == LargeObjectRelationId)
		return;
	if (!policy_extension_installed())
		return;

	/*
	 * A standing exemption let the statement through, and it takes migrator
	 * itself along (DROP SCHEMA migrator CASCADE, DROP OWNED BY its owner,
	 * DROP EXTENSION under a role's exemption): that only allow() may let
	 * happen, since the history goes with it.  Its members go only with
	 * it.
	 */
	if (verdict == VERDICT_EXEMPTED)
	{
		if (classid != ExtensionRelationId || objid != extension_oid)
			return;
		f.rule = migrator_rule("drop_extension");
		f.object = pstrdup("migrator");
		f.location = -1;
		if (session_allowed(f.rule->id, f.object))
			return;
		tag = statement_tag_name ? statement_tag_name : "DROP";
		policy_report(cascades ? psprintf("%s ... CASCADE", tag) : tag,
					  &f, debug_query_string ? debug_query_string : "");
		return;
	}

	addr.classId = classid;
	addr.objectId = objid;
	addr.objectSubId = subid;
	if (classid == AttrDefaultRelationId)
	{
		Oid			adrelid;
		int16		adnum;

		/* judged by its column: SET DEFAULT may have replaced it in this transaction */
		if (!attrdef_column(objid, &adrelid, &adnum) ||
			get_attname(adrelid, adnum, true) == NULL ||
			catalog_relid_is_exempt(adrelid) ||
			catalog_column_is_new(adrelid, adnum) ||
			!column_had_committed_default(adrelid, adnum))
			return;
		type = "default value";
	}
	else
	{
		if (classid == RelationRelationId &&
			(get_rel_persistence(objid) == RELPERSISTENCE_TEMP ||
			 (subid == 0 && list_member_oid(invalid_indexes, objid))))
			return;
		/* a relation's row type and array types go with what they belong to */
		if (classid == TypeRelationId && type_goes_with_another(objid))
			return;
		/* so does a view's _RETURN rule */
		if (classid == RewriteRelationId && rule_is_view_definition(objid))
			return;
		type = getObjectTypeDescription(&addr, true);
		if (type == NULL ||
			(verdict == VERDICT_EXEMPT && !dropped_object_holds_data(type)))
			return;
		if (classid == RelationRelationId && subid != 0
			? catalog_column_is_new(objid, subid) ||
			catalog_object_is_extension_member(classid, objid)
			: catalog_object_is_exempt(classid, objid))
			return;
	}
	f.rule = migrator_rule(cascades ? "drop_cascade" : dropped_object_rule(type));
	f.object = getObjectIdentity(&addr, true);
	f.location = -1;
	f.message = NULL;
	f.severity = NULL;
	if (f.object == NULL || session_allowed(f.rule->id, f.object))
		return;
	tag = statement_tag_name ? statement_tag_name : "DROP";
	if (cascades)
		tag = psprintf("%s ... CASCADE", tag);
	if (!object_is_own(classid, objid) &&
		exemption_covers(&exemptions, &exemptions_loaded, NULL,
						 classid == RelationRelationId ? objid : InvalidOid,
						 &f, tag, debug_query_string ? debug_query_string : ""))
		return;
	policy_report(tag, &f, debug_query_string ? debug_query_string : "");
}

/*
 * Is rule "ruleid" the _RETURN rule of a view (its definition, judged with
 * the view itself)?
 */
static bool
rule_is_view_definition(Oid ruleid)
{
	ScanKeyData key;
	Relation	rel = table_open(RewriteRelationId, AccessShareLock);
	SysScanDesc scan;
	HeapTuple	tuple;
	bool		result = false;

	ScanKeyInit(&key, Anum_pg_rewrite_oid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(ruleid));
	scan = systable_beginscan(rel, RewriteOidIndexId, true, NULL, 1, &key);
	if (HeapTupleIsValid(tuple = systable_getnext(scan)))
		result = strcmp(NameStr(((Form_pg_rewrite) GETSTRUCT(tuple))->rulename),
						ViewSelectRuleName) == 0;
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return result;
}

/*
 * Is type "typid" the row type of a table, view or sequence, or an array
 * type made for another type?  Such a type is dropped with the object it
 * belongs to, which is judged itself.
 */
static bool
type_goes_with_another(Oid typid)
{
	HeapTuple	tuple = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
	Form_pg_type typ;
	bool		result = false;

	if (!HeapTupleIsValid(tuple))
		return false;
	typ = (Form_pg_type) GETSTRUCT(tuple);
	if (OidIsValid(typ->typrelid))
		result = get_rel_relkind(typ->typrelid) != RELKIND_COMPOSITE_TYPE;
	else if (OidIsValid(typ->typelem) && IsTrueArrayType(typ))
		result = get_array_type(typ->typelem) == typid;
	ReleaseSysCache(tuple);
	return result;
}

/*
 * The column of pg_attrdef row "oid", also when this transaction has just
 * deleted the row (sql_drop runs after the drop).
 */
static bool
attrdef_column(Oid oid, Oid *relid, int16 *attnum)
{
	ScanKeyData key;
	Relation	rel = table_open(AttrDefaultRelationId, AccessShareLock);
	SysScanDesc scan;
	HeapTuple	tuple;
	bool		found = false;

	ScanKeyInit(&key, Anum_pg_attrdef_oid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(oid));
	scan = systable_beginscan(rel, AttrDefaultOidIndexId, true, SnapshotAny, 1, &key);
	if (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		*relid = ((Form_pg_attrdef) GETSTRUCT(tuple))->adrelid;
		*attnum = ((Form_pg_attrdef) GETSTRUCT(tuple))->adnum;
		found = true;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}


/*
 * sql_drop event trigger of 0.1 and 0.2 installs (guard.c's entry): judge
 * the objects a statement dropped when the hook did not see it.  A statement the hook allowed
 * (migration, allowance) may drop what it drops, CASCADE victims included.
 * After an exempt statement (its targets are new or temporary), every
 * object it dropped must itself be new or temporary: a new table may own an
 * old sequence, a new parent may have an old partition, a view on a new
 * table may be old.  After a statement judged not destructive, only
 * objects reached through CASCADE of a DROP are judged.  When the hook did
 * not see the statement (library loaded too late), every object is judged.
 */
void
policy_judge_sql_drop(GuardVerdict verdict, List *invalid_indexes,
					  EventTriggerData *trigdata)
{
	uint64		i;
	List	   *exemptions = NIL;
	bool		exemptions_loaded = false;

	/*
	 * Installs of 0.1 and 0.2 have this trigger.  When the hook judged the
	 * statement, the object access hook judged its drops one by one.
	 */
	if (!policy_enabled() || verdict != VERDICT_UNSEEN)
		return;

	if (!policy_extension_installed())
		return;

	SPI_connect();
	if (SPI_execute("SELECT classid, objid, original, normal, is_temporary, "
					"object_type, object_identity, objsubid "
					"FROM pg_catalog.pg_event_trigger_dropped_objects()",
					true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read pg_event_trigger_dropped_objects()");

	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		Oid			classid = DatumGetObjectId(SPI_getbinval(tup, desc, 1, &isnull));
		Oid			objid = DatumGetObjectId(SPI_getbinval(tup, desc, 2, &isnull));
		bool		original = DatumGetBool(SPI_getbinval(tup, desc, 3, &isnull));
		bool		normal = DatumGetBool(SPI_getbinval(tup, desc, 4, &isnull));
		bool		temporary = DatumGetBool(SPI_getbinval(tup, desc, 5, &isnull));
		char	   *type = SPI_getvalue(tup, desc, 6);
		char	   *identity = SPI_getvalue(tup, desc, 7);
		int32		subid = DatumGetInt32(SPI_getbinval(tup, desc, 8, &isnull));
		bool		cascaded = normal && !original;
		RuleFinding f = {0};
		const char *tag;

		if (temporary)
			continue;

		/*
		 * A default: judged by its column, not by its own catalog row (SET
		 * DEFAULT replaced it with a new one in this transaction before the
		 * CASCADE took it): an old column that had a default loses it.
		 */
		if (classid == AttrDefaultRelationId)
		{
			Oid			adrelid;
			int16		adnum;

			if (!attrdef_column(objid, &adrelid, &adnum) ||
				!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(adrelid)) ||
				get_attname(adrelid, adnum, true) == NULL ||
				catalog_relid_is_exempt(adrelid) ||
				catalog_column_is_new(adrelid, adnum) ||
				!column_had_committed_default(adrelid, adnum))
				continue;
		}
		else
		{
			if (classid == RelationRelationId && subid == 0 &&
				list_member_oid(invalid_indexes, objid))
				continue;
			if (classid == RelationRelationId && subid != 0
				? catalog_column_is_new(objid, subid)
				: catalog_object_is_new(classid, objid))
				continue;
			if (catalog_object_is_extension_member(classid, objid))
				continue;
		}

		f.rule = migrator_rule(cascaded ? "drop_cascade" : dropped_object_rule(type));
		f.object = identity;
		f.location = -1;
		f.message = NULL;
		f.severity = NULL;
		if (session_allowed(f.rule->id, f.object))
			continue;
		tag = GetCommandTagName(trigdata->tag);
		if (cascaded)
			tag = psprintf("%s ... CASCADE", tag);
		if (!object_is_own(classid, objid) &&
			exemption_covers(&exemptions, &exemptions_loaded, NULL,
							 classid == RelationRelationId ? objid : InvalidOid,
							 &f, tag, debug_query_string ? debug_query_string : ""))
			continue;
		policy_report(tag, &f, debug_query_string ? debug_query_string : "");
	}
	SPI_finish();
	rollout_flush();
}

/*
 * migrator.allow(statement text, reason text): allow the destructive
 * statements in "statement" for the rest of the current transaction, and
 * record who allowed what and why as an events row (action "allow").  A
 * later statement is covered when each of its destructive findings has the
 * same rule id and the same object as a finding of an allowed statement.
 */
Datum
migrator_allow(PG_FUNCTION_ARGS)
{
	char	   *sql;
	char	   *reason;
	List	   *stmts;
	ListCell   *lc;
	const char *version = NULL;
	const char *kind;
	const char *direction;
	AnalyzeContext *ctx;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("statement must not be null"),
				 errhint("Pass the destructive statement to allow, e.g. 'DROP TABLE app.legacy'.")));
	sql = text_to_cstring(PG_GETARG_TEXT_PP(0));
	reason = PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1));
	if (reason == NULL || strspn(reason, " \t\r\n") == strlen(reason))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("an allowance needs a reason"),
				 errhint("Pass reason => why this destructive statement must run outside a registered migration.")));
	PreventCommandIfReadOnly("migrator.allow()");
	rollout_warn_if_not_preloaded("An allowance");

	stmts = script_parse(sql, "allowed statement");
	if (stmts == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("no statement to allow"),
				 errhint("Pass the destructive statement to allow, e.g. 'DROP TABLE app.legacy'.")));
	(void) session_migration(&version, &kind, &direction);
	ctx = analyze_context(oracle_by_name());

	SPI_connect();
	foreach(lc, stmts)
	{
		ScriptStatement *st = lfirst(lc);
		StatementFacts *facts = analyze_statement(ctx, st->raw->stmt, 0);
		List	   *findings = NIL;
		ListCell   *fc;
		StringInfoData rules;

		if (!facts->is_utility)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("migrator.allow() takes utility statements, not %s", facts->tag),
					 errdetail("The guard judges DDL; data changes are governed by privileges.")));
		foreach(fc, facts->findings)
			if (((RuleFinding *) lfirst(fc))->rule->kind == MIGRATION_DESTRUCTIVE)
				findings = lappend(findings, lfirst(fc));
		if (findings == NIL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("statement %d is not destructive: %s", st->index, st->sql),
					 errhint("The guard lets it run without an allowance.")));

		if (statement_drops_extension(st->raw->stmt, "migrator"))
			housekeeping_warn_uninstall();
		initStringInfo(&rules);
		foreach(fc, findings)
			session_allow(((RuleFinding *) lfirst(fc))->rule->id,
						  allowance_object((RuleFinding *) lfirst(fc)));
		foreach(fc, findings)
		{
			RuleFinding *f = lfirst(fc);

			if (rules.len > 0)
				appendStringInfoString(&rules, ",");
			appendStringInfoString(&rules, f->rule->id);
		}
		history_event(version, "allow", NULL, "success", rules.data, st->sql, reason);
	}
	SPI_finish();
	PG_RETURN_VOID();
}

/*
 * Assign hook of migrator.guard: note that the guard goes off, for the
 * trace the next statement leaves (rollout.c).  Called in the postmaster,
 * at connection start and while transactions end too: it only sets flags.
 */
static void
policy_assign_mode(int newval, void *extra)
{
	rollout_guard_mode_assigned(newval == GUARD_OFF, guard_mode == GUARD_OFF);
}

/*
 * The guard is off in this session since the last statement the hook saw:
 * leave the trace (rollout.c), in a database with the extension.  Costs
 * one flag test otherwise.
 */
static void
trace_if_off(GuardSource *source)
{
	if (!rollout_guard_off_pending() || guard_mode != GUARD_OFF)
		return;
	if (extension_cache_valid && !OidIsValid(extension_oid))
		return;
	if (!IsTransactionState() || !policy_extension_installed())
		return;
	rollout_trace_guard_off(statement_text(source->query, source->location, source->len));
}

/*
 * What the step after the statement judges (judge_after_statement()),
 * decided from its facts and verdict before it runs.  Nothing for
 * statements the guard let alone; defaults only where the statement ran
 * as not destructive or covered (an exempt one sets them on new objects);
 * pg_depend only after a statement that can record a dependency the parse
 * tree does not show, in a session with a temporary schema, when the
 * parse tree did not already show one.
 */
static void
note_after_statement(PolicyNote *note, GuardVerdict verdict, StatementFacts *facts)
{
	bool		ran_covered = verdict == VERDICT_NOT_DESTRUCTIVE ||
		verdict == VERDICT_ALLOWED || verdict == VERDICT_EXEMPTED;
	Oid			temp_nsp;
	Oid			temp_toast_nsp;

	note->facts = facts;
	note->judge_created = false;
	note->judge_defaults = false;
	note->judge_dependencies = false;
	if (facts == NULL || verdict == VERDICT_INERT || verdict == VERDICT_UNSEEN)
		return;
	note->first_cid = GetCurrentCommandId(false);
	note->judge_created = facts->into != NULL;
	note->judge_defaults = ran_covered &&
		(facts->defaults_set != NIL || facts->domain_default_set != NIL);
	if (facts->may_depend_on_temporary &&
		!facts_have_rule(facts, "depends_on_temporary"))
	{
		GetTempNamespaceState(&temp_nsp, &temp_toast_nsp);
		note->judge_dependencies = OidIsValid(temp_nsp);
	}
	if (note->judge_dependencies)
	{
		/* what it creates and alters from now on (policy_object_touched()) */
		note->touched_from = list_length(touched_objects);
		note->touch_generation = touch_generation;
		touch_depth++;
	}
}

/*
 * Judge one utility statement (see judge_statement()); "note", when
 * given, learns what to judge once it has run.
 */
GuardVerdict
policy_judge_statement(Node *stmt, bool subcommand, GuardSource *source,
					   PolicyNote *note, StatementFacts **facts_out)
{
	GuardVerdict verdict = judge_statement(stmt, subcommand, source, facts_out);

	if (note)
		note_after_statement(note, verdict, *facts_out);
	return verdict;
}

/*
 * After a statement ran: what only its result shows, as the facts noted
 * before it say.  The relation CREATE TABLE AS created (its column types),
 * defaults set on old columns and domains (one that evaluates to NULL is
 * drop_default), and the dependencies the statement recorded (a
 * permanent object on a temporary one is depends_on_temporary).  In warn
 * and observe mode one depends_on_temporary report per statement.
 */
static void
judge_after_statement(GuardSource *source, PolicyNote *note)
{
	StatementFacts *facts = note->facts;
	bool		reported = false;
	int			touched_from = 0;

	if (note->judge_dependencies)
	{
		/* a transaction ended inside it (COMMIT in a procedure): all of it */
		if (note->touch_generation == touch_generation)
		{
			touched_from = note->touched_from;
			if (touch_depth > 0)
				touch_depth--;
		}
	}
	if (!note->judge_created && !note->judge_defaults && !note->judge_dependencies)
		return;
	if (!policy_enabled() || !policy_extension_installed())
		return;
	if (note->judge_defaults && facts->defaults_set != NIL)
		judge_table_defaults(facts, source);
	if (note->judge_defaults && facts->domain_default_set != NIL)
		judge_domain_default(facts, source);
	if (note->judge_created)
		reported = judge_created(facts, source);
	if (note->judge_dependencies && !reported)
		judge_temporary_dependencies(facts, source, note->first_cid, touched_from);
}

/*
 * Before a utility statement is judged (guard.c's hook): the trace of a
 * guard switched off, and, for DROP EXTENSION migrator, the size of the
 * history it takes along, for policy_statement_end() to report.  A
 * statement that needs autocommit (DROP INDEX CONCURRENTLY) must be the
 * first thing its transaction does: its trace is written after it.
 */
void
policy_statement_start(Node *stmt, GuardSource *source, PolicyNote *note)
{
	note->record_after = statement_needs_autocommit(stmt);
	note->history_size = NULL;
	note->facts = NULL;
	note->judge_created = false;
	note->judge_defaults = false;
	note->judge_dependencies = false;
	if (!note->record_after)
		trace_if_off(source);
	if (statement_drops_extension(stmt, "migrator") && policy_extension_installed())
		note->history_size = housekeeping_history_size();
}

/*
 * After a utility statement ran: what only its result shows
 * (judge_after_statement()), what DROP EXTENSION migrator took along (a
 * log line; the schema goes when empty), the records observe and warn
 * mode queued, and the trace of SET migrator.guard = off itself.
 */
void
policy_statement_end(GuardSource *source, PolicyNote *note)
{
	judge_after_statement(source, note);
	if (note->history_size)
		housekeeping_after_uninstall(note->history_size);
	rollout_flush();
	trace_if_off(source);
}

/*
 * Define migrator.guard and register the callbacks of the transaction
 * cache and of the extension cache.  Called from GuardInit(), before
 * _PG_init reserves the "migrator" prefix.
 */
void
PolicyInit(void)
{
	DefineCustomEnumVariable("migrator.guard",
							 "Whether unplanned destructive DDL is refused, recorded or ignored.",
							 "enforce refuses it with an error; warn lets it run with a warning and records it; "
							 "observe lets it run silently and records it (for rolling the guard out); off disables the guard, which leaves a trace. "
							 "Only superusers can change it, so that the roles it guards cannot switch it off.",
							 &guard_mode,
							 GUARD_ENFORCE,
							 guard_mode_options,
							 PGC_SUSET,
							 0,
							 NULL, policy_assign_mode, NULL);

	CacheRegisterSyscacheCallback(EVENTTRIGGEROID, policy_invalidate_extension, (Datum) 0);
	CacheRegisterSyscacheCallback(NAMESPACEOID, policy_invalidate_extension, (Datum) 0);
	RegisterXactCallback(policy_xact_callback, NULL);
	RegisterSubXactCallback(policy_subxact_callback, NULL);
}
