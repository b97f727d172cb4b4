/*-------------------------------------------------------------------------
 *
 * rules.h
 *	  The rule table: every rule id migrator reports.
 *
 * A rule id appears in register() refusals, in migrations.findings, in the
 * guard's errors, in events and in the documentation (generated from
 * migrator.rules()).  This table is the only list of them.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATOR_RULES_H
#define MIGRATOR_RULES_H

#include "migrator.h"

/* One rule of the rule table. */
typedef struct MigratorRule
{
	const char *id;				/* stable id used in errors, events, docs */
	MigrationKind kind;			/* what a statement that fires it makes */
	const char *description;	/* one line, for the docs and lint */
	const char *severity;		/* "error", "warning" or "info"; NULL: from
								 * kind (see migrator_rule_severity()) */
	const char *hint;			/* the safe pattern; NULL: from kind */
	bool		rewrites;		/* the statement rewrites or scans the table */
	bool		at_commit;		/* the guard judges it when the transaction
								 * commits: a later statement may make it
								 * harmless */
} MigratorRule;

/* A rule that fired on one statement. */
typedef struct RuleFinding
{
	const MigratorRule *rule;
	char	   *object;			/* object it applies to, or NULL */
	int			location;		/* byte offset in the parsed text, or -1 */
	char	   *message;		/* one line for lint, or NULL: from the rule */
	const char *severity;		/* graded by a table's size, or NULL: the
								 * rule's */
	char	   *detail;			/* what makes "object" precise for an
								 * allowance (a routine's argument types, a
								 * column's new type), or NULL */
	Oid			relid;			/* the table a finding judged at commit is
								 * judged on, or InvalidOid: the statement's */
	int			blocked_before; /* publish_without_identity: what failed
								 * already (PUBLISH_BLOCKS_*) */
	const char *publication;	/* publish_without_identity: the
								 * publication, or NULL (a dropped key) */
} RuleFinding;

/* What a publication makes fail on a table (publish_without_identity). */
#define PUBLISH_BLOCKS_UPDATE	0x01
#define PUBLISH_BLOCKS_DELETE	0x02

extern const MigratorRule *migrator_rule(const char *id);
extern const MigratorRule *migrator_rule_table(void);
extern const char *migrator_rule_severity(const MigratorRule *rule);
extern const char *migrator_rule_hint(const MigratorRule *rule);

extern const char *migration_kind_name(MigrationKind kind);
extern MigrationKind migration_kind_from_name(const char *name);

#endif							/* MIGRATOR_RULES_H */
