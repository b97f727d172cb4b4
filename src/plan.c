/*-------------------------------------------------------------------------
 *
 * plan.c
 *	  migrator.plan(): what apply(target) would do, without doing it.
 *
 * One row per statement of each pending migration, in the order apply()
 * runs them: the migration's kind, the statement's command, the locks it
 * takes (lock level per table, as the server takes them), whether it
 * rewrites or scans a table (from the rule table), whether it can run in
 * a transaction block, and its lint findings.  Lint carries what earlier
 * pending migrations create, so a table created by an earlier step of the
 * plan is no hazard for a later one.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/index.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/tablecmds.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "nodes/makefuncs.h"
#include "storage/lock.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "migrator.h"
#include "analyze.h"
#include "apply.h"
#include "lint.h"
#include "rules.h"
#include "script.h"

PG_FUNCTION_INFO_V1(migrator_plan);

/* Locks of one statement, as "name LockMode" items. */
typedef struct PlanLocks
{
	StringInfoData buf;
	LintState  *lint;
} PlanLocks;

static void
lock_name(PlanLocks *pl, const char *name, LOCKMODE mode, bool is_new)
{
	if (pl->buf.len > 0)
		appendStringInfoString(&pl->buf, ", ");
	appendStringInfo(&pl->buf, "%s %s%s", name,
					 GetLockmodeName(DEFAULT_LOCKMETHOD, mode),
					 is_new ? " (new)" : "");
}

static void
lock_rv(PlanLocks *pl, RangeVar *rv, LOCKMODE mode)
{
	char	   *name;

	if (rv == NULL)
		return;
	name = rv->schemaname ? psprintf("%s.%s", rv->schemaname, rv->relname)
		: rv->relname;
	lock_name(pl, name, mode, lint_is_new(pl->lint, rv));
}

/* Referenced tables of foreign keys are locked SHARE ROW EXCLUSIVE. */
static void
lock_fk(PlanLocks *pl, Node *node)
{
	Constraint *con = (Constraint *) node;

	if (node && IsA(node, Constraint) && con->contype == CONSTR_FOREIGN)
		lock_rv(pl, con->pktable, ShareRowExclusiveLock);
	else if (node && IsA(node, ColumnDef))
	{
		ListCell   *lc;

		foreach(lc, ((ColumnDef *) node)->constraints)
			lock_fk(pl, lfirst(lc));
	}
}

/* DROP INDEX locks the index's table too, when the catalog knows it. */
static void
lock_index_table(PlanLocks *pl, RangeVar *index, LOCKMODE mode)
{
	Oid			indexoid = RangeVarGetRelid(index, NoLock, true);
	Oid			tableoid;

	if (!OidIsValid(indexoid) || get_rel_relkind(indexoid) != RELKIND_INDEX)
		return;
	tableoid = IndexGetRelation(indexoid, true);
	if (OidIsValid(tableoid))
		lock_name(pl, psprintf("%s.%s", get_namespace_name(get_rel_namespace(tableoid)),
							   get_rel_name(tableoid)), mode, false);
}

/*
 * The table locks "stmt" takes, derived from the statement type (and, for
 * ALTER TABLE, from its subcommands with the server's own
 * AlterTableGetLockLevel()).  Catalog-only statements (CREATE FUNCTION,
 * CREATE VIEW, ...) take no table lock and show none.
 */
static void
statement_locks(PlanLocks *pl, Node *stmt)
{
	ListCell   *lc;

	switch (nodeTag(stmt))
	{
		case T_AlterTableStmt:
			{
				AlterTableStmt *as = (AlterTableStmt *) stmt;

				lock_rv(pl, as->relation, AlterTableGetLockLevel(as->cmds));
				foreach(lc, as->cmds)
					lock_fk(pl, lfirst_node(AlterTableCmd, lc)->def);
				break;
			}
		case T_CreateStmt:
			lock_rv(pl, ((CreateStmt *) stmt)->relation, AccessExclusiveLock);
			foreach(lc, ((CreateStmt *) stmt)->tableElts)
				lock_fk(pl, lfirst(lc));
			foreach(lc, ((CreateStmt *) stmt)->constraints)
				lock_fk(pl, lfirst(lc));
			break;
		case T_IndexStmt:
			lock_rv(pl, ((IndexStmt *) stmt)->relation,
					((IndexStmt *) stmt)->concurrent ? ShareUpdateExclusiveLock : ShareLock);
			break;
		case T_DropStmt:
			{
				DropStmt   *ds = (DropStmt *) stmt;
				LOCKMODE	mode = ds->concurrent ? ShareUpdateExclusiveLock
				: AccessExclusiveLock;

				foreach(lc, ds->objects)
				{
					switch (ds->removeType)
					{
						case OBJECT_INDEX:
							{
								RangeVar   *rv = makeRangeVarFromNameList(lfirst(lc));

								lock_index_table(pl, rv, mode);
								lock_rv(pl, rv, mode);
								break;
							}
						case OBJECT_TABLE:
						case OBJECT_VIEW:
						case OBJECT_MATVIEW:
						case OBJECT_SEQUENCE:
						case OBJECT_FOREIGN_TABLE:
							lock_rv(pl, makeRangeVarFromNameList(lfirst(lc)), mode);
							break;
						case OBJECT_TRIGGER:
						case OBJECT_RULE:
						case OBJECT_POLICY:
							lock_rv(pl, makeRangeVarFromNameList(list_truncate(list_copy(lfirst(lc)),
																			   list_length(lfirst(lc)) - 1)),
									AccessExclusiveLock);
							break;
						default:
							break;
					}
				}
				break;
			}
		case T_CreateTrigStmt:
			lock_rv(pl, ((CreateTrigStmt *) stmt)->relation, ShareRowExclusiveLock);
			break;
		case T_InsertStmt:
			lock_rv(pl, ((InsertStmt *) stmt)->relation, RowExclusiveLock);
			break;
		case T_UpdateStmt:
			lock_rv(pl, ((UpdateStmt *) stmt)->relation, RowExclusiveLock);
			break;
		case T_DeleteStmt:
			lock_rv(pl, ((DeleteStmt *) stmt)->relation, RowExclusiveLock);
			break;
		case T_MergeStmt:
			lock_rv(pl, ((MergeStmt *) stmt)->relation, RowExclusiveLock);
			break;
		case T_TruncateStmt:
			foreach(lc, ((TruncateStmt *) stmt)->relations)
				lock_rv(pl, lfirst_node(RangeVar, lc), AccessExclusiveLock);
			break;
		case T_RenameStmt:
			{
				RenameStmt *rs = (RenameStmt *) stmt;

				if (rs->relation)
					lock_rv(pl, rs->relation,
							rs->renameType == OBJECT_INDEX ? ShareUpdateExclusiveLock
							: AccessExclusiveLock);
				break;
			}
		case T_AlterObjectSchemaStmt:
			lock_rv(pl, ((AlterObjectSchemaStmt *) stmt)->relation, AccessExclusiveLock);
			break;
		case T_VacuumStmt:
			{
				VacuumStmt *vs = (VacuumStmt *) stmt;
				LOCKMODE	mode = ShareUpdateExclusiveLock;

				foreach(lc, vs->options)
					if (strcmp(lfirst_node(DefElem, lc)->defname, "full") == 0)
						mode = AccessExclusiveLock;
				foreach(lc, vs->rels)
					lock_rv(pl, lfirst_node(VacuumRelation, lc)->relation, mode);
				break;
			}
		case T_ClusterStmt:
			lock_rv(pl, ((ClusterStmt *) stmt)->relation, AccessExclusiveLock);
			break;
		case T_ReindexStmt:
			{
				ReindexStmt *rs = (ReindexStmt *) stmt;
				bool		concurrently = false;

				foreach(lc, rs->params)
					if (strcmp(lfirst_node(DefElem, lc)->defname, "concurrently") == 0)
						concurrently = true;
				if (rs->relation)
					lock_rv(pl, rs->relation,
							concurrently ? ShareUpdateExclusiveLock
							: rs->kind == REINDEX_OBJECT_INDEX ? AccessExclusiveLock
							: ShareLock);
				break;
			}
		case T_LockStmt:
			foreach(lc, ((LockStmt *) stmt)->relations)
				lock_rv(pl, lfirst_node(RangeVar, lc), ((LockStmt *) stmt)->mode);
			break;
		case T_CreatePolicyStmt:
			lock_rv(pl, ((CreatePolicyStmt *) stmt)->table, AccessExclusiveLock);
			break;
		case T_AlterPolicyStmt:
			lock_rv(pl, ((AlterPolicyStmt *) stmt)->table, AccessExclusiveLock);
			break;
		case T_RuleStmt:
			lock_rv(pl, ((RuleStmt *) stmt)->relation, AccessExclusiveLock);
			break;
		case T_RefreshMatViewStmt:
			lock_rv(pl, ((RefreshMatViewStmt *) stmt)->relation,
					((RefreshMatViewStmt *) stmt)->concurrent ? ExclusiveLock
					: AccessExclusiveLock);
			break;
		default:
			break;
	}
}

/*
 * migrator.plan(target text) RETURNS TABLE (version, kind, statement,
 * command, locks, rewrites, transactional, findings)
 */
Datum
migrator_plan(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *target = PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0));
	LintState	lint = {0};
	ListCell   *lc;

	InitMaterializedSRF(fcinfo, 0);
	SPI_connect();

	foreach(lc, migrations_pending_upto(target, false))
	{
		Migration  *m = lfirst(lc);
		char	   *version = m->version;
		List	   *statements;
		ListCell   *sc;

		statements = script_parse(m->up, "up script");
		lint_begin_script(&lint);
		lint.upcoming = statements;

		if (statements == NIL)
		{
			Datum		values[8] = {0};
			bool		nulls[8] = {false, false, true, true, true, false, false, true};

			values[0] = CStringGetTextDatum(version);
			values[1] = CStringGetTextDatum(m->kind);
			values[5] = BoolGetDatum(false);
			values[6] = BoolGetDatum(true);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
			continue;
		}

		foreach(sc, statements)
		{
			ScriptStatement *st = lfirst(sc);
			Node	   *stmt = st->raw->stmt;
			PlanLocks	pl;
			StringInfoData found;
			bool		rewrites = false;
			ListCell   *fc;
			Datum		values[8];
			bool		nulls[8] = {false, false, false, false, false, false, false, false};

			lint_statement(&lint, st);
			initStringInfo(&pl.buf);
			initStringInfo(&found);
			pl.lint = &lint;
			statement_locks(&pl, stmt);
			foreach(fc, lint.findings)
			{
				LintFinding *f = lfirst(fc);

				if (f->statement != st->index)
					continue;
				rewrites |= f->rule->rewrites;
				if (found.len > 0)
					appendStringInfoString(&found, ", ");
				appendStringInfo(&found, "%s (%s)", f->rule->id,
								 lint_finding_severity(f));
			}

			values[0] = CStringGetTextDatum(version);
			values[1] = CStringGetTextDatum(m->kind);
			values[2] = Int32GetDatum(st->index);
			values[3] = CStringGetTextDatum(statement_tag(stmt));
			values[4] = CStringGetTextDatum(pl.buf.data);
			values[5] = BoolGetDatum(rewrites);
			values[6] = BoolGetDatum(!statement_needs_autocommit(stmt));
			values[7] = CStringGetTextDatum(found.data);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}

	SPI_finish();
	return (Datum) 0;
}
