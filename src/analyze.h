/*-------------------------------------------------------------------------
 *
 * analyze.h
 *	  The one statement analyser: what a raw statement does, asked once.
 *
 * analyze_statement() returns a statement's facts: the rules of the rule
 * table it fires (destructive and staged, then the hazards), whether its
 * destructive findings destroy nothing (every target, with all it reaches,
 * new or temporary: exempt), the table locks it takes, whether it
 * rewrites a table, needs autocommit or cannot run through SPI.  "New" is
 * answered by an oracle (newness.h): by name for lint(), plan() and
 * register(), by catalog for the guard.  Lint, plan, register and the
 * guard only read these facts; no other module judges a statement by its
 * parse-node tag.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATOR_ANALYZE_H
#define MIGRATOR_ANALYZE_H

#include "nodes/parsenodes.h"
#include "storage/lockdefs.h"

#include "migrator.h"
#include "newness.h"

/*
 * How hazards are graded by the sizes of the tables where the analyser
 * runs (lint's settings, migrator.lint_table_sizes and friends): a hazard
 * on an empty or small table is "info".
 */
typedef struct AnalyzeSizes
{
	bool		enabled;
	int			small_rows;
	int			small_kb;
} AnalyzeSizes;

/*
 * What the analyser carries from one statement to the next: the oracle,
 * the not-null proofs that let SET NOT NULL skip its scan, and what the
 * hazards of later statements depend on.
 */
typedef struct AnalyzeContext
{
	Oracle	   *oracle;
	bool		autocommit;		/* each statement is a transaction of its own */
	AnalyzeSizes sizes;
	List	   *not_null_proven;	/* "rel.col" with a validated IS NOT NULL check */
	List	   *not_null_pending;	/* "constraint=rel.col", NOT VALID */
	List	   *altered;		/* RangeVars of tables ALTER TABLE locked */
	List	   *indexes;		/* IndexStmts of indexes created */
	List	   *upcoming;		/* ScriptStatements of the script, when known:
								 * an index created after a foreign key
								 * counts for it */
	int			current;		/* index of the statement being analysed */
} AnalyzeContext;

/* What to work out besides the findings. */
#define ANALYZE_EXEMPTION	0x01	/* see analyze_exempt() */
#define ANALYZE_HAZARDS		0x02	/* lock and rewrite risks (lint) */
#define ANALYZE_LOCKS		0x04	/* table locks (plan) */

/* A table lock a statement takes. */
typedef struct StatementLock
{
	char	   *relation;		/* as written: "schema.name" or "name" */
	LOCKMODE	mode;
	bool		is_new;			/* created by an earlier statement */
} StatementLock;

/* The facts of one statement. */
typedef struct StatementFacts
{
	Node	   *stmt;
	const char *tag;			/* command tag, e.g. "DROP TABLE" */
	List	   *findings;		/* RuleFinding (rules.h): destructive and
								 * staged rules, alter_migrator last */
	List	   *hazards;		/* RuleFinding with a message (ANALYZE_HAZARDS) */
	bool		destructive;	/* a finding is destructive */
	bool		own_object;		/* it alters migrator's own objects: never
								 * exempt */
	bool		exempt;			/* its destructive findings destroy nothing */
	bool		exempt_known;	/* exempt was worked out */
	bool		cascades;		/* it drops with CASCADE */
	List	   *cascade_victims;	/* by name, exempt with CASCADE: old
									 * objects it may take along (identities) */
	List	   *locks;			/* StatementLock (ANALYZE_LOCKS) */
	bool		rewrites;		/* a finding's rule rewrites or scans a table */
	bool		needs_autocommit;	/* refused inside a transaction block */
	const char *unsupported;	/* why SPI cannot run it, or NULL */
	bool		is_utility;		/* not SELECT, INSERT, UPDATE, DELETE, MERGE */
	IntoClause *into;			/* CREATE TABLE AS, SELECT INTO, materialized
								 * view: what it creates */
	bool		sets_owned_by;	/* CREATE or ALTER SEQUENCE ... OWNED BY */
	RangeVar   *defaults_relation;	/* ALTER TABLE: its table */
	List	   *defaults_set;	/* ALTER TABLE: columns given a default
								 * (names), whose value the guard looks at */
	List	   *domain_default_set; /* ALTER DOMAIN ... SET DEFAULT of an
									 * expression that is no NULL constant:
									 * the domain (names), whose default the
									 * guard looks at */
	bool		may_depend_on_temporary;	/* it can make a permanent object
											 * depend on another through what
											 * the parse tree does not resolve
											 * (literals, operators,
											 * expressions, index classes):
											 * the guard reads pg_depend after
											 * it */
	List	   *invalid_indexes;	/* by catalog: invalid indexes it drops */
	List	   *targets;		/* RangeVars of the relations it targets, as
								 * written: the objects of its findings on
								 * them begin with these names */
	bool		drops_targets;	/* DROP of relations: their partitions go too */
	bool		truncates_targets;	/* TRUNCATE: their partitions are emptied */
	bool		renames_constraint; /* ALTER TABLE ... RENAME CONSTRAINT */
	List	   *dropped_roles;	/* DROP ROLE: the names (String; "" for
								 * CURRENT_USER and the like) */
} StatementFacts;

extern AnalyzeContext *analyze_context(Oracle *oracle);
extern void analyze_begin_script(AnalyzeContext *ctx, bool transactional);
extern StatementFacts *analyze_statement(AnalyzeContext *ctx, Node *stmt,
										 int what);
extern bool analyze_exempt(AnalyzeContext *ctx, StatementFacts *facts);

/* Single questions, for callers that hold no context. */
extern bool statement_needs_autocommit(Node *stmt);
extern const char *statement_unsupported_reason(Node *stmt);
extern const char *statement_tag(Node *stmt);
extern bool statement_cascades(Node *stmt);
extern bool statement_drops_with_cascade(Node *stmt);
extern bool statement_sets_owned_by(Node *stmt);
extern bool statement_database_target(Node *stmt, const char **dbname,
									  const char **rule);
extern bool statement_index_concurrently(Node *stmt, RangeVar **table,
										 const char **index);
extern bool statement_has_concurrent_form(Node *stmt);
extern bool statement_drops_extension(Node *stmt, const char *name);
extern RangeVar *statement_finding_relation(Node *stmt, const char *object);

extern char *relation_name(RangeVar *rv);
extern bool relation_has_temporary_column(Oid relid);
extern bool relation_has_permissive_policy(Oid relid);
extern bool relation_row_security_without_policy(Oid relid);
extern int	relation_publication_blocks(Oid relid);

#endif							/* MIGRATOR_ANALYZE_H */
