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

#include "analyze.h"
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
	AnalyzeContext *ctx;		/* by-name oracle, proofs, look-ahead */
	List	   *findings;		/* LintFinding of the current script */
} LintState;

extern void lint_begin_script(LintState *state, bool transactional,
							  List *statements);
extern StatementFacts *lint_statement(LintState *state, ScriptStatement *st,
									  int what);
extern List *lint_script(List *statements, LintState *state,
						 bool transactional);
extern List *lint_down_script(List *up_statements, List *down_statements);
extern MigrationKind lint_findings_kind(List *findings);
extern char *lint_findings_json(List *findings);
extern const char *lint_finding_severity(LintFinding *f);

/* Define the lint GUCs (sizes); called once from _PG_init. */
extern void LintInit(void);

#endif							/* MIGRATOR_LINT_H */
