/*-------------------------------------------------------------------------
 *
 * analyze.h
 *	  What a parsed statement does: the rules it fires, whether it needs
 *	  autocommit, whether SPI can run it.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATOR_ANALYZE_H
#define MIGRATOR_ANALYZE_H

#include "nodes/parsenodes.h"

#include "migrator.h"

/* Findings (List of RuleFinding, rules.h) of one raw statement. */
extern List *classify_statement(Node *stmt);

/*
 * The highest kind of a script (List of ScriptStatement, script.h);
 * *findings_out, when given, receives one List of RuleFinding per statement.
 */
extern MigrationKind classify_script(List *statements, List **findings_out);

extern bool statement_needs_autocommit(Node *stmt);
extern const char *statement_unsupported_reason(Node *stmt);
extern const char *statement_tag(Node *stmt);

extern char *relation_name(RangeVar *rv);
extern bool relation_has_temporary_column(Oid relid);
extern bool alter_column_type_is_safe(RangeVar *rel, AlterTableCmd *cmd);
extern bool alter_column_type_rewrites(RangeVar *rel, AlterTableCmd *cmd);

#endif							/* MIGRATOR_ANALYZE_H */
