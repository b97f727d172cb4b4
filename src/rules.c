/*-------------------------------------------------------------------------
 *
 * rules.c
 *	  The rule table, migration kinds, and migrator.rules().
 *
 * Every rule has a stable id that appears in register() refusals, in
 * migrations.findings, in the guard's errors and in events.  A statement
 * that fires no rule is additive.  Rules of kind "staged" mark statements
 * that move data between shapes (backfills, dual-write triggers, NOT VALID
 * constraints and their validation); rules of kind "destructive" mark
 * statements that can lose data or break readers; the hazard rules (kind
 * additive, with a severity of their own) mark lock and rewrite risks.
 * Which statement fires which rule is decided in analyze.c (and, for the
 * hazards, lint.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"

#include "migrator.h"
#include "rules.h"

PG_FUNCTION_INFO_V1(migrator_rules);

/*
 * The rule table.  Keep the rule table of the documentation in step with it.
 */
static const MigratorRule rule_table[] = {
	/* destructive */
	{"drop_table", MIGRATION_DESTRUCTIVE, "DROP TABLE or DROP FOREIGN TABLE"},
	{"drop_view", MIGRATION_DESTRUCTIVE, "DROP VIEW or DROP MATERIALIZED VIEW"},
	{"drop_schema", MIGRATION_DESTRUCTIVE, "DROP SCHEMA"},
	{"drop_type", MIGRATION_DESTRUCTIVE, "DROP TYPE or DROP DOMAIN"},
	{"drop_function", MIGRATION_DESTRUCTIVE, "DROP FUNCTION, PROCEDURE, ROUTINE or AGGREGATE"},
	{"drop_sequence", MIGRATION_DESTRUCTIVE, "DROP SEQUENCE"},
	{"drop_index", MIGRATION_DESTRUCTIVE, "DROP INDEX"},
	{"drop_trigger", MIGRATION_DESTRUCTIVE, "DROP TRIGGER or DROP EVENT TRIGGER"},
	{"drop_extension", MIGRATION_DESTRUCTIVE, "DROP EXTENSION"},
	{"drop_other", MIGRATION_DESTRUCTIVE, "DROP of any other object (policy, rule, publication, ...)"},
	{"drop_cascade", MIGRATION_DESTRUCTIVE, "any DROP ... CASCADE: it also drops dependent objects"},
	{"drop_column", MIGRATION_DESTRUCTIVE, "ALTER TABLE ... DROP COLUMN (or ALTER TYPE ... DROP ATTRIBUTE)"},
	{"drop_constraint", MIGRATION_DESTRUCTIVE, "ALTER TABLE or ALTER DOMAIN ... DROP CONSTRAINT, or ALTER CONSTRAINT ... NOT ENFORCED (18): it is no longer checked"},
	{"drop_default", MIGRATION_DESTRUCTIVE, "ALTER COLUMN DROP DEFAULT, DROP IDENTITY or DROP EXPRESSION"},
	{"drop_not_null", MIGRATION_DESTRUCTIVE, "ALTER COLUMN DROP NOT NULL"},
	{"alter_column_type", MIGRATION_DESTRUCTIVE, "ALTER COLUMN TYPE that is not a lossless widening (varchar(n) to text or a wider varchar, numeric precision up with the same scale, a wider integer, more fractional digits of time)"},
	{"rename", MIGRATION_DESTRUCTIVE, "RENAME of a table, column, schema, type, function or enum value"},
	{"set_schema", MIGRATION_DESTRUCTIVE, "ALTER ... SET SCHEMA"},
	{"truncate", MIGRATION_DESTRUCTIVE, "TRUNCATE"},
	{"delete_rows", MIGRATION_DESTRUCTIVE, "DELETE, or MERGE with a DELETE action"},
	{"drop_owned", MIGRATION_DESTRUCTIVE, "DROP OWNED"},
	{"drop_database", MIGRATION_DESTRUCTIVE, "DROP DATABASE"},
	{"drop_role", MIGRATION_DESTRUCTIVE, "DROP ROLE"},
	{"drop_tablespace", MIGRATION_DESTRUCTIVE, "DROP TABLESPACE"},
	{"detach_partition", MIGRATION_DESTRUCTIVE, "DETACH PARTITION or NO INHERIT"},
	{"disable_trigger", MIGRATION_DESTRUCTIVE, "DISABLE TRIGGER, ENABLE REPLICA TRIGGER, or disabling an event trigger"},
	{"disable_rule", MIGRATION_DESTRUCTIVE, "DISABLE RULE or ENABLE REPLICA RULE"},
	{"disable_row_security", MIGRATION_DESTRUCTIVE, "DISABLE or NO FORCE ROW LEVEL SECURITY"},
	{"rls_without_policy", MIGRATION_DESTRUCTIVE, "ENABLE or FORCE ROW LEVEL SECURITY of a table with rows that another role may read or write (forced: its owner too), without a permissive policy when the transaction commits: those readers see no row, their writes are refused",
	NULL, "Create a permissive policy on the table in the same transaction, after enabling row security; or register the change as a migration, or call migrator.allow(statement, reason => ...) earlier in this transaction.", false, true},
	{"drop_replica_identity", MIGRATION_DESTRUCTIVE, "REPLICA IDENTITY NOTHING, or DEFAULT without a primary key, of a table a publication publishes UPDATE or DELETE of: its UPDATE and DELETE fail",
	NULL, "Keep an identity (REPLICA IDENTITY FULL, or USING INDEX of a unique index on NOT NULL columns); or register the change as a migration, or call migrator.allow(statement, reason => ...) earlier in this transaction."},
	{"publish_without_identity", MIGRATION_DESTRUCTIVE, "CREATE or ALTER PUBLICATION that publishes UPDATE or DELETE of a table, or a DROP of the key or index that is its replica identity, leaving an identity that cannot serve them when the transaction commits (none: NOTHING, or DEFAULT without a primary key; a row filter reading other columns; a column list without all of them): its UPDATE and DELETE fail",
	NULL, "Give the table a replica identity in the same transaction (ALTER TABLE ... REPLICA IDENTITY FULL, or USING INDEX of a unique index on NOT NULL columns, or a primary key), keep row filters and column lists within it, or publish only inserts (WITH (publish = 'insert')); or register the change as a migration, or call migrator.allow(statement, reason => ...) earlier in this transaction.", false, true},
	{"depends_on_temporary", MIGRATION_DESTRUCTIVE, "a permanent object made to depend on a temporary type, function or table (a table, column, default, generated column, trigger, policy, domain or function body): dropped with it when the session ends"},
	{"set_unlogged", MIGRATION_DESTRUCTIVE, "ALTER TABLE ... SET UNLOGGED: the table's rows are lost on a crash and absent on every standby"},
	{"refresh_no_data", MIGRATION_DESTRUCTIVE, "REFRESH MATERIALIZED VIEW ... WITH NO DATA: readers fail until it is refreshed again"},
	{"instead_rule", MIGRATION_DESTRUCTIVE, "CREATE RULE ... DO INSTEAD on INSERT, UPDATE or DELETE of a table: writes are discarded or redirected; or DO ALSO with a DELETE or UPDATE: every such write also deletes or changes rows"},
	{"unpublish", MIGRATION_DESTRUCTIVE, "ALTER PUBLICATION ... DROP or SET, ALTER SUBSCRIPTION ... DISABLE, SET or DROP PUBLICATION: subscribers stop receiving a table's changes"},
	{"restart_sequence", MIGRATION_DESTRUCTIVE, "ALTER SEQUENCE or ALTER COLUMN ... RESTART at or below a value already drawn, CYCLE, or an INCREMENT of the other sign: new rows reuse keys"},
	{"replace_trigger", MIGRATION_DESTRUCTIVE, "CREATE OR REPLACE TRIGGER of an existing trigger: it may stop firing (WHEN false) or do something else"},
	{"alter_extension_add", MIGRATION_DESTRUCTIVE, "ALTER EXTENSION ... ADD: the object becomes the extension's, and its update scripts or DROP EXTENSION drop it"},
	{"alter_migrator", MIGRATION_DESTRUCTIVE, "ALTER of migrator's own tables, sequence, functions or event trigger (fired by the guard, which resolves names)"},
	{"unknown_statement", MIGRATION_DESTRUCTIVE, "a statement kind migrator does not know (one a later PostgreSQL version adds): judged destructive until migrator learns it"},
	{"unknown_subcommand", MIGRATION_DESTRUCTIVE, "an ALTER TABLE subcommand migrator does not know (one a later PostgreSQL version adds): judged destructive until migrator learns it"},
	/* staged */
	{"update_rows", MIGRATION_STAGED, "UPDATE, MERGE without DELETE, or ALTER COLUMN ... SET EXPRESSION (17): a backfill"},
	{"insert_select", MIGRATION_STAGED, "INSERT ... SELECT from a table: a copy between shapes"},
	{"create_trigger", MIGRATION_STAGED, "CREATE TRIGGER: dual-write between old and new shape"},
	{"not_valid_constraint", MIGRATION_STAGED, "ADD CONSTRAINT ... NOT VALID"},
	{"validate_constraint", MIGRATION_STAGED, "VALIDATE CONSTRAINT"},

	/*
	 * Hazards (lint.c): lock and rewrite risks and advice.  They do not
	 * change a migration's kind.  Catalog-aware: they fire on tables that
	 * are not created earlier in the same migration.
	 */
	{"create_index_blocking", MIGRATION_ADDITIVE,
		"CREATE INDEX without CONCURRENTLY on an existing table: blocks writes while the index builds",
	"warning", "Use CREATE INDEX CONCURRENTLY in a migration registered with transactional => false.", false},
	{"drop_index_blocking", MIGRATION_ADDITIVE,
		"DROP INDEX without CONCURRENTLY: takes an ACCESS EXCLUSIVE lock on the index's table",
	"warning", "Use DROP INDEX CONCURRENTLY in a migration registered with transactional => false.", false},
	{"add_foreign_key_validating", MIGRATION_ADDITIVE,
		"ADD FOREIGN KEY without NOT VALID on an existing table: scans it while both tables are locked",
	"warning", "Add the constraint NOT VALID, then VALIDATE CONSTRAINT in a later migration.", false},
	{"add_check_validating", MIGRATION_ADDITIVE,
		"ADD CHECK without NOT VALID on an existing table: scans it under an ACCESS EXCLUSIVE lock",
	"warning", "Add the constraint NOT VALID, then VALIDATE CONSTRAINT in a later migration.", false},
	{"set_not_null_scan", MIGRATION_ADDITIVE,
		"SET NOT NULL without a validated CHECK (column IS NOT NULL): scans the table under an ACCESS EXCLUSIVE lock",
	"warning", "Add CHECK (column IS NOT NULL) NOT VALID, VALIDATE it, then SET NOT NULL (no scan) and drop the CHECK.", false},
	{"add_unique_blocking", MIGRATION_ADDITIVE,
		"ADD UNIQUE or PRIMARY KEY not USING INDEX on an existing table: builds the index under an ACCESS EXCLUSIVE lock",
	"warning", "Build a unique index with CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT ... USING INDEX.", false},
	{"add_column_rewrite", MIGRATION_ADDITIVE,
		"ADD COLUMN with a volatile default, a serial type, a stored generated column or an identity: rewrites the table",
	"warning", "Add the column without a default (or with a constant one), then backfill it in batches.", true},
	{"alter_column_type_rewrite", MIGRATION_ADDITIVE,
		"ALTER COLUMN TYPE that rewrites the table (a wider integer, or any change that is not lossless) under an ACCESS EXCLUSIVE lock",
	"warning", "Add a column of the new type, dual-write and backfill it, then switch readers over.", true},
	{"vacuum_full", MIGRATION_ADDITIVE,
		"VACUUM FULL: rewrites the table under an ACCESS EXCLUSIVE lock",
	"warning", "Use plain VACUUM, or pg_repack, outside migrations.", true},
	{"cluster", MIGRATION_ADDITIVE,
		"CLUSTER: rewrites the table under an ACCESS EXCLUSIVE lock",
	"warning", "Use pg_repack outside migrations.", true},
	{"reindex_blocking", MIGRATION_ADDITIVE,
		"REINDEX without CONCURRENTLY: blocks writes while the index is rebuilt",
	"warning", "Use REINDEX CONCURRENTLY in a migration registered with transactional => false.", false},
	{"set_logged", MIGRATION_ADDITIVE,
		"SET LOGGED or SET UNLOGGED: rewrites the table under an ACCESS EXCLUSIVE lock",
	"warning", "Create the table with the persistence it needs, or do this in a maintenance window.", true},
	{"set_expression_rewrite", MIGRATION_ADDITIVE,
		"ALTER COLUMN ... SET EXPRESSION of a stored generated column (17 and later): rewrites the table under an ACCESS EXCLUSIVE lock",
	"warning", "Add a new generated column (on 18 a virtual one rewrites nothing) and switch readers over, or do this in a maintenance window.", true},
	{"set_tablespace", MIGRATION_ADDITIVE,
		"SET TABLESPACE: copies the table or index under an ACCESS EXCLUSIVE lock",
	"warning", "Move data in a maintenance window, or create new objects in the tablespace.", true},
	{"whole_table_write", MIGRATION_ADDITIVE,
		"UPDATE or DELETE without WHERE, or with a WHERE that is always true, on an existing table: scans and locks every row in one transaction",
	"warning", "Backfill in batches (WHERE id BETWEEN ...), each in its own transaction, and verify the result.", false},
	{"backfill_holds_lock", MIGRATION_ADDITIVE,
		"UPDATE of a table that an earlier statement of the same migration altered: the backfill runs while the ALTER's ACCESS EXCLUSIVE lock is held",
	"warning", "Backfill in a migration of its own (or with CALL migrator.backfill()), after the schema change committed.", false},
	{"add_column_required", MIGRATION_ADDITIVE,
		"ADD COLUMN ... NOT NULL without a default on an existing table: fails on a table with rows",
	"error", "Add the column nullable (or with a constant default), backfill it, then SET NOT NULL after a validated CHECK (column IS NOT NULL).", false},
	{"foreign_key_unindexed", MIGRATION_ADDITIVE,
		"FOREIGN KEY whose referencing columns lead no index: every DELETE or key UPDATE on the referenced table scans the referencing table",
	"warning", "Create an index on the referencing columns (CONCURRENTLY on an existing table, in a migration registered with transactional => false).", false},
	{"domain_constraint_scan", MIGRATION_ADDITIVE,
		"ALTER DOMAIN ... ADD CONSTRAINT without NOT VALID, or SET NOT NULL: scans every column of the domain in every table",
	"warning", "Add a CHECK constraint NOT VALID, then VALIDATE CONSTRAINT in a later migration (a domain's NOT NULL cannot be NOT VALID: use CHECK (VALUE IS NOT NULL)).", false},
	{"lock_table", MIGRATION_ADDITIVE,
		"LOCK TABLE in SHARE mode or stronger: blocks writes (ACCESS EXCLUSIVE: reads too) until the migration commits",
	"warning", "Take no explicit lock; if one is needed, keep the migration short and set lock_timeout.", false},
	{"refresh_blocking", MIGRATION_ADDITIVE,
		"REFRESH MATERIALIZED VIEW without CONCURRENTLY: readers wait for the whole refresh under an ACCESS EXCLUSIVE lock",
	"warning", "Use REFRESH MATERIALIZED VIEW CONCURRENTLY (it needs a unique index), outside transactional migrations.", true},
	{"identifier_too_long", MIGRATION_ADDITIVE,
		"identifier longer than 63 bytes: PostgreSQL truncates it silently, and a later statement naming it in full reaches the truncated name",
	"warning", "Use names of at most 63 bytes.", false},
	{"timeout_disabled", MIGRATION_ADDITIVE,
		"SET lock_timeout or statement_timeout to 0: a blocked lock waits forever and queues every other session",
	"warning", "Set lock_timeout to a few seconds and retry the migration when it times out.", false},
	{"non_transactional", MIGRATION_ADDITIVE,
		"statement cannot run in a transaction block: the migration is not transactional",
	"info", "Register the migration with transactional => false; keep such statements in a migration of their own.", false},
	{"citus_distributed", MIGRATION_ADDITIVE,
		"statement on a Citus distributed or reference table: it takes its locks on every shard, on every node that holds one",
	"info", "Keep the statement short: it waits for and holds its lock on each shard, and lock_timeout applies on each node.", false},
	{"stage_it", MIGRATION_ADDITIVE,
		"a destructive or blocking change of an existing table that migrator.stage() runs as expand, backfill and contract",
	"info", "Stage it: SELECT migrator.stage(version, statement, up => ..., down => ...) and CALL migrator.deploy(); both application versions work until CALL migrator.complete(version) (docs/staged.md).", false},
	{NULL, MIGRATION_ADDITIVE, NULL}
};

static const char *const kind_names[] = {"additive", "staged", "destructive"};

const char *
migration_kind_name(MigrationKind kind)
{
	Assert(kind >= MIGRATION_ADDITIVE && kind <= MIGRATION_DESTRUCTIVE);
	return kind_names[kind];
}

/*
 * Parse a kind name; raises an error for anything else.
 */
MigrationKind
migration_kind_from_name(const char *name)
{
	int			i;

	for (i = 0; i < lengthof(kind_names); i++)
		if (strcmp(name, kind_names[i]) == 0)
			return (MigrationKind) i;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid migration kind \"%s\"", name),
			 errhint("The kind is one of \"additive\", \"staged\" or \"destructive\".")));
	return MIGRATION_ADDITIVE;	/* keep compiler quiet */
}

/*
 * Look a rule up by id; an unknown id is a programming error.
 */
const MigratorRule *
migrator_rule(const char *id)
{
	const MigratorRule *r;

	for (r = rule_table; r->id; r++)
		if (strcmp(r->id, id) == 0)
			return r;
	elog(ERROR, "unknown migrator rule \"%s\"", id);
	return NULL;				/* keep compiler quiet */
}

/* The whole table, for lint and the docs. */
const MigratorRule *
migrator_rule_table(void)
{
	return rule_table;
}

/*
 * The severity of a rule: its own, or from its kind ("error" for
 * destructive rules, which can lose data; "info" for staged ones).
 */
const char *
migrator_rule_severity(const MigratorRule *rule)
{
	if (rule->severity)
		return rule->severity;
	return rule->kind == MIGRATION_DESTRUCTIVE ? "error" : "info";
}

/*
 * The hint of a rule: its own, or the safe pattern of its kind.
 */
const char *
migrator_rule_hint(const MigratorRule *rule)
{
	if (rule->hint)
		return rule->hint;
	if (rule->kind == MIGRATION_DESTRUCTIVE)
		return "Make it the contract step of a staged plan: register it with a plan, a down script and depends_on => the expand and backfill migrations it follows.";
	return "Make it the expand or backfill step of a staged plan, with a verify script that proves the backfill.";
}

/*
 * migrator.rules(): the rule table.
 */
Datum
migrator_rules(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const MigratorRule *r;

	InitMaterializedSRF(fcinfo, 0);
	for (r = migrator_rule_table(); r->id; r++)
	{
		Datum		values[6];
		bool		nulls[6] = {false, false, false, false, false, false};

		values[0] = CStringGetTextDatum(r->id);
		values[1] = CStringGetTextDatum(migration_kind_name(r->kind));
		values[2] = CStringGetTextDatum(migrator_rule_severity(r));
		values[3] = BoolGetDatum(r->rewrites);
		values[4] = CStringGetTextDatum(r->description);
		values[5] = CStringGetTextDatum(migrator_rule_hint(r));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
