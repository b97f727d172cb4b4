/*-------------------------------------------------------------------------
 *
 * lint.h
 *	  Findings of a script: the rules of the rule table that fire on its
 *	  statements, hazards included.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATOR_LINT_H
#define MIGRATOR_LINT_H

#include "nodes/parsenodes.h"

#include "rules.h"
#include "script.h"

/* One finding of lint: a rule that fired on one statement of a script. */
typedef struct LintFinding
{
	const MigratorRule *rule;
	int			statement;		/* 1-based index of the statement */
	int			location;		/* byte offset in the script */
	const char *tag;			/* command tag of the statement */
	char	   *object;			/* object it applies to, or NULL */
	char	   *message;		/* one line, PostgreSQL message style */
	const char *severity;		/* lowered by the table's size, or NULL:
								 * the rule's (lint_finding_severity()) */
} LintFinding;

/* What lint knows while it walks scripts: zero it before the first. */
typedef struct LintState
{
	List	   *created;		/* RangeVars of tables and indexes created */
	List	   *not_null_proven;	/* "rel.col" with a validated IS NOT NULL check */
	List	   *not_null_pending;	/* "constraint=rel.col", NOT VALID */
	List	   *findings;		/* LintFinding of the current script */
	List	   *altered;		/* RangeVars of tables ALTER TABLE locked */
	List	   *indexes;		/* IndexStmts of indexes created */
	List	   *upcoming;		/* ScriptStatements of the script, when known:
								 * an index created after a foreign key
								 * counts for it */
	int			current;		/* index of the statement being linted */
} LintState;

extern void lint_begin_script(LintState *state);
extern void lint_statement(LintState *state, ScriptStatement *st);
extern List *lint_script(List *statements, LintState *state);
extern bool lint_is_new(LintState *state, RangeVar *rv);
extern char *lint_findings_json(List *findings);
extern const char *lint_finding_severity(LintFinding *f);

/* Define the lint GUCs (sizes); called once from _PG_init. */
extern void LintInit(void);

#endif							/* MIGRATOR_LINT_H */
