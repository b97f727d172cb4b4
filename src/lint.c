/*-------------------------------------------------------------------------
 *
 * lint.c
 *	  migrator.lint() and migrator.rules(): the findings of a script.
 *
 * A finding is a rule of the rule table (rules.c) that fired on one
 * statement.  The destructive and staged rules come from
 * classify_statement() (analyze.c); the hazard rules (locks, rewrites,
 * full scans, disabled timeouts, statements that need autocommit) are
 * checked here, because several of them depend on the catalog and on what the migration
 * did before: a table created earlier in the same migration (or, for
 * plan(), in an earlier pending migration) holds no rows, so locking or
 * rewriting it is no hazard.  A table the catalog does not know and that
 * the migration did not create is assumed to exist in production.
 *
 * register() stores the result of lint_script() as jsonb in
 * migrations.findings, so lint(), status() and plan() show the same thing.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_proc.h"
#include "commands/defrem.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "migrator.h"
#include "analyze.h"
#include "lint.h"
#include "rules.h"
#include "script.h"

PG_FUNCTION_INFO_V1(migrator_lint);

static char *
rv_name(RangeVar *rv)
{
	if (rv == NULL)
		return NULL;
	if (rv->schemaname)
		return psprintf("%s.%s", rv->schemaname, rv->relname);
	return pstrdup(rv->relname);
}

/*
 * Was "rv" created earlier in this migration (or plan)?  Names match when
 * the relation names are equal and the schemas are equal or one is left
 * out.
 */
bool
lint_is_new(LintState *state, RangeVar *rv)
{
	ListCell   *lc;

	if (rv == NULL)
		return false;
	foreach(lc, state->created)
	{
		RangeVar   *c = lfirst(lc);

		if (strcmp(c->relname, rv->relname) == 0 &&
			(c->schemaname == NULL || rv->schemaname == NULL ||
			 strcmp(c->schemaname, rv->schemaname) == 0))
			return true;
	}
	return false;
}

static void
lint_add(LintState *state, const char *rule_id, int statement,
		 const char *tag, char *object, int location, char *message)
{
	LintFinding *f = palloc0(sizeof(LintFinding));

	f->rule = migrator_rule(rule_id);
	f->statement = statement;
	f->tag = tag;
	f->object = object;
	f->location = location;
	f->message = message;
	state->findings = lappend(state->findings, f);
}

/*
 * Does the raw expression call a volatile function?  A function the
 * catalog does not know counts as volatile.
 */
static bool
raw_volatile_walker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, FuncCall))
	{
		FuncCall   *fc = (FuncCall *) node;
		FuncCandidateList cands;

		cands = FuncnameGetCandidates(fc->funcname, -1, NIL, false, false,
									  false, true);
		if (cands == NULL)
			return true;
		for (; cands; cands = cands->next)
			if (func_volatile(cands->oid) == PROVOLATILE_VOLATILE)
				return true;
	}
	return raw_expression_tree_walker(node, raw_volatile_walker, context);
}

/* The column a raw "col IS NOT NULL" tests, or NULL. */
static const char *
raw_not_null_column(Node *expr)
{
	NullTest   *nt = (NullTest *) expr;
	ColumnRef  *cr;

	if (expr == NULL || !IsA(expr, NullTest) || nt->nulltesttype != IS_NOT_NULL)
		return NULL;
	cr = (ColumnRef *) nt->arg;
	if (cr == NULL || !IsA(cr, ColumnRef) || list_length(cr->fields) != 1 ||
		!IsA(linitial(cr->fields), String))
		return NULL;
	return strVal(linitial(cr->fields));
}

/* Is "expr" (a cooked check) "attnum IS NOT NULL", alone or in an AND? */
static bool
expr_implies_not_null(Node *expr, AttrNumber attnum)
{
	if (expr == NULL)
		return false;
	if (IsA(expr, NullTest))
	{
		NullTest   *nt = (NullTest *) expr;

		return nt->nulltesttype == IS_NOT_NULL && !nt->argisrow &&
			IsA(nt->arg, Var) && ((Var *) nt->arg)->varattno == attnum;
	}
	if (IsA(expr, BoolExpr) && ((BoolExpr *) expr)->boolop == AND_EXPR)
	{
		ListCell   *lc;

		foreach(lc, ((BoolExpr *) expr)->args)
			if (expr_implies_not_null(lfirst(lc), attnum))
				return true;
	}
	if (IsA(expr, List))
	{
		ListCell   *lc;

		foreach(lc, (List *) expr)
			if (expr_implies_not_null(lfirst(lc), attnum))
				return true;
	}
	return false;
}

/*
 * Does the catalog hold a validated CHECK constraint that proves "column"
 * of "rv" is not null?  Then SET NOT NULL needs no scan (PostgreSQL 12+).
 */
static bool
catalog_has_not_null_check(RangeVar *rv, const char *column)
{
	Oid			relid = RangeVarGetRelid(rv, NoLock, true);
	AttrNumber	attnum;
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	bool		found = false;

	if (!OidIsValid(relid))
		return false;
	attnum = get_attnum(relid, column);
	if (attnum == InvalidAttrNumber)
		return false;

	rel = table_open(ConstraintRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_constraint_conrelid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(relid));
	scan = systable_beginscan(rel, ConstraintRelidTypidNameIndexId, true,
							  NULL, 1, &key);
	while (!found && HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tup);
		bool		isnull;
		Datum		bin;

		if (con->contype != CONSTRAINT_CHECK || !con->convalidated)
			continue;
		bin = heap_getattr(tup, Anum_pg_constraint_conbin,
						   RelationGetDescr(rel), &isnull);
		if (!isnull)
			found = expr_implies_not_null(stringToNode(TextDatumGetCString(bin)),
										  attnum);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}

/* "rel.col" keys of the not-null proofs this migration added. */
static char *
column_key(RangeVar *rv, const char *column)
{
	return psprintf("%s.%s", rv->relname, column);
}

static bool
string_in_list(List *list, const char *s)
{
	ListCell   *lc;

	foreach(lc, list)
		if (strcmp((char *) lfirst(lc), s) == 0)
			return true;
	return false;
}

/*
 * A constraint added to an existing table (ALTER TABLE ... ADD, or inline
 * in ADD COLUMN).
 */
static void
lint_constraint(LintState *state, int index, const char *tag, RangeVar *rv,
				Constraint *con, bool inline_in_column)
{
	char	   *rel = rv_name(rv);
	int			loc = rv->location;

	switch (con->contype)
	{
		case CONSTR_FOREIGN:
			if (!con->skip_validation)
				lint_add(state, "add_foreign_key_validating", index, tag, rel, loc,
						 psprintf("ADD FOREIGN KEY on existing table \"%s\" validates every row while both tables are locked", rel));
			break;
		case CONSTR_CHECK:
			if (!con->skip_validation)
				lint_add(state, "add_check_validating", index, tag, rel, loc,
						 psprintf("ADD CHECK on existing table \"%s\" validates every row under an ACCESS EXCLUSIVE lock", rel));
			if (!inline_in_column)
			{
				const char *col = raw_not_null_column(con->raw_expr);

				if (col && !con->skip_validation)
					state->not_null_proven = lappend(state->not_null_proven,
													 column_key(rv, col));
				else if (col && con->conname)
					state->not_null_pending = lappend(state->not_null_pending,
													  psprintf("%s=%s", con->conname,
															   column_key(rv, col)));
			}
			break;
		case CONSTR_PRIMARY:
		case CONSTR_UNIQUE:
		case CONSTR_EXCLUSION:
			if (con->indexname == NULL)
				lint_add(state, "add_unique_blocking", index, tag, rel, loc,
						 psprintf("ADD %s on existing table \"%s\" builds an index under an ACCESS EXCLUSIVE lock",
								  con->contype == CONSTR_PRIMARY ? "PRIMARY KEY" :
								  con->contype == CONSTR_UNIQUE ? "UNIQUE" : "EXCLUDE",
								  rel));
			break;
		default:
			break;
	}
}

/* ADD COLUMN on an existing table. */
static void
lint_add_column(LintState *state, int index, const char *tag, RangeVar *rv,
				ColumnDef *def)
{
	char	   *rel = rv_name(rv);
	const char *why = NULL;
	ListCell   *lc;

	if (def->typeName && list_length(def->typeName->names) == 1)
	{
		const char *t = strVal(linitial(def->typeName->names));

		if (strcmp(t, "serial") == 0 || strcmp(t, "bigserial") == 0 ||
			strcmp(t, "smallserial") == 0 || strcmp(t, "serial2") == 0 ||
			strcmp(t, "serial4") == 0 || strcmp(t, "serial8") == 0)
			why = "a serial type";
	}
	foreach(lc, def->constraints)
	{
		Constraint *con = lfirst_node(Constraint, lc);

		if (con->contype == CONSTR_DEFAULT &&
			raw_volatile_walker(con->raw_expr, NULL))
			why = "a volatile default";
		else if (con->contype == CONSTR_GENERATED)
			why = "a stored generated column";
		else if (con->contype == CONSTR_IDENTITY)
			why = "an identity";
		else
			lint_constraint(state, index, tag, rv, con, true);
	}
	if (why)
		lint_add(state, "add_column_rewrite", index, tag,
				 psprintf("%s.%s", rel, def->colname), rv->location,
				 psprintf("ADD COLUMN \"%s\" with %s rewrites table \"%s\"",
						  def->colname, why, rel));
}

static void
lint_alter_table(LintState *state, int index, const char *tag,
				 AlterTableStmt *stmt)
{
	RangeVar   *rv = stmt->relation;
	char	   *rel = rv_name(rv);
	ListCell   *lc;

	foreach(lc, stmt->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

		/* NOT VALID checks validated here prove NOT NULL later on. */
		if (cmd->subtype == AT_ValidateConstraint)
		{
			ListCell   *pc;
			char	   *prefix = psprintf("%s=", cmd->name);

			foreach(pc, state->not_null_pending)
			{
				char	   *p = lfirst(pc);

				if (strncmp(p, prefix, strlen(prefix)) == 0)
					state->not_null_proven = lappend(state->not_null_proven,
													 pstrdup(p + strlen(prefix)));
			}
			continue;
		}
		if (lint_is_new(state, rv))
			continue;

		switch (cmd->subtype)
		{
			case AT_AddConstraint:
				if (cmd->def && IsA(cmd->def, Constraint))
					lint_constraint(state, index, tag, rv,
									(Constraint *) cmd->def, false);
				break;
			case AT_AddColumn:
				lint_add_column(state, index, tag, rv, (ColumnDef *) cmd->def);
				break;
			case AT_AlterColumnType:
				if (!alter_column_type_is_safe(rv, cmd))
					lint_add(state, "alter_column_type_rewrite", index, tag,
							 psprintf("%s.%s", rel, cmd->name), rv->location,
							 psprintf("ALTER COLUMN \"%s\" TYPE rewrites table \"%s\"",
									  cmd->name, rel));
				break;
			case AT_SetNotNull:
				if (!string_in_list(state->not_null_proven, column_key(rv, cmd->name)) &&
					!catalog_has_not_null_check(rv, cmd->name))
					lint_add(state, "set_not_null_scan", index, tag,
							 psprintf("%s.%s", rel, cmd->name), rv->location,
							 psprintf("SET NOT NULL on column \"%s\" scans table \"%s\" under an ACCESS EXCLUSIVE lock",
									  cmd->name, rel));
				break;
			case AT_SetLogged:
			case AT_SetUnLogged:
				lint_add(state, "set_logged", index, tag, rel, rv->location,
						 psprintf("SET %s rewrites table \"%s\"",
								  cmd->subtype == AT_SetLogged ? "LOGGED" : "UNLOGGED",
								  rel));
				break;
			case AT_SetTableSpace:
				lint_add(state, "set_tablespace", index, tag, rel, rv->location,
						 psprintf("SET TABLESPACE copies \"%s\" under an ACCESS EXCLUSIVE lock",
								  rel));
				break;
			default:
				break;
		}
	}
}

/* Does a VACUUM, or REINDEX option list hold "name" set to true? */
static bool
option_is_on(List *options, const char *name)
{
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *opt = lfirst_node(DefElem, lc);

		if (strcmp(opt->defname, name) == 0)
			return defGetBoolean(opt);
	}
	return false;
}

/* Is a raw SET value 0 (in any unit)? */
static bool
raw_value_is_zero(Node *arg)
{
	A_Const    *c = (A_Const *) arg;
	int			value;

	if (arg == NULL || !IsA(arg, A_Const) || c->isnull)
		return false;
	if (IsA(&c->val, Integer))
		return intVal(&c->val) == 0;
	if (IsA(&c->val, String))
		return parse_int(strVal(&c->val), &value, GUC_UNIT_MS, NULL) && value == 0;
	if (IsA(&c->val, Float))
		return strtod(castNode(Float, &c->val)->fval, NULL) == 0;
	return false;
}

/*
 * The hazard rules of one statement.
 */
static void
lint_hazards(LintState *state, int index, Node *stmt)
{
	const char *tag = statement_tag(stmt);

	switch (nodeTag(stmt))
	{
		case T_IndexStmt:
			{
				IndexStmt  *is = (IndexStmt *) stmt;

				if (!is->concurrent && !lint_is_new(state, is->relation))
					lint_add(state, "create_index_blocking", index, tag,
							 rv_name(is->relation), is->relation->location,
							 psprintf("CREATE INDEX on existing table \"%s\" blocks writes while it builds",
									  rv_name(is->relation)));
				break;
			}
		case T_DropStmt:
			{
				DropStmt   *ds = (DropStmt *) stmt;
				ListCell   *lc;

				if (ds->removeType != OBJECT_INDEX || ds->concurrent)
					break;
				foreach(lc, ds->objects)
				{
					RangeVar   *rv = makeRangeVarFromNameList((List *) lfirst(lc));

					if (!lint_is_new(state, rv))
						lint_add(state, "drop_index_blocking", index, tag,
								 rv_name(rv), -1,
								 psprintf("DROP INDEX \"%s\" without CONCURRENTLY locks its table against reads and writes",
										  rv_name(rv)));
				}
				break;
			}
		case T_AlterTableStmt:
			lint_alter_table(state, index, tag, (AlterTableStmt *) stmt);
			break;
		case T_UpdateStmt:
		case T_DeleteStmt:
			{
				bool		update = IsA(stmt, UpdateStmt);
				RangeVar   *rv = update ? ((UpdateStmt *) stmt)->relation
				: ((DeleteStmt *) stmt)->relation;
				Node	   *where = update ? ((UpdateStmt *) stmt)->whereClause
				: ((DeleteStmt *) stmt)->whereClause;

				if (where == NULL && !lint_is_new(state, rv))
					lint_add(state, "whole_table_write", index, tag,
							 rv_name(rv), rv->location,
							 psprintf("%s without WHERE writes every row of table \"%s\" in one transaction",
									  update ? "UPDATE" : "DELETE", rv_name(rv)));
				break;
			}
		case T_VacuumStmt:
			{
				VacuumStmt *vs = (VacuumStmt *) stmt;
				ListCell   *lc;

				if (!vs->is_vacuumcmd || !option_is_on(vs->options, "full"))
					break;
				if (vs->rels == NIL)
					lint_add(state, "vacuum_full", index, tag, NULL, -1,
							 pstrdup("VACUUM FULL rewrites every table of the database"));
				foreach(lc, vs->rels)
				{
					RangeVar   *rv = lfirst_node(VacuumRelation, lc)->relation;

					if (!lint_is_new(state, rv))
						lint_add(state, "vacuum_full", index, tag, rv_name(rv),
								 rv->location,
								 psprintf("VACUUM FULL rewrites table \"%s\" under an ACCESS EXCLUSIVE lock",
										  rv_name(rv)));
				}
				break;
			}
		case T_ClusterStmt:
			{
				RangeVar   *rv = ((ClusterStmt *) stmt)->relation;

				if (rv == NULL)
					lint_add(state, "cluster", index, tag, NULL, -1,
							 pstrdup("CLUSTER rewrites every clustered table of the database"));
				else if (!lint_is_new(state, rv))
					lint_add(state, "cluster", index, tag, rv_name(rv), rv->location,
							 psprintf("CLUSTER rewrites table \"%s\" under an ACCESS EXCLUSIVE lock",
									  rv_name(rv)));
				break;
			}
		case T_ReindexStmt:
			{
				ReindexStmt *rs = (ReindexStmt *) stmt;
				char	   *what = rs->relation ? rv_name(rs->relation)
				: pstrdup(rs->name ? rs->name : "");

				if (option_is_on(rs->params, "concurrently") ||
					(rs->relation && lint_is_new(state, rs->relation)))
					break;
				lint_add(state, "reindex_blocking", index, tag, what,
						 rs->relation ? rs->relation->location : -1,
						 psprintf("REINDEX of \"%s\" without CONCURRENTLY blocks writes while it rebuilds",
								  what));
				break;
			}
		case T_VariableSetStmt:
			{
				VariableSetStmt *vs = (VariableSetStmt *) stmt;

				if (vs->kind == VAR_SET_VALUE && vs->name &&
					(strcmp(vs->name, "lock_timeout") == 0 ||
					 strcmp(vs->name, "statement_timeout") == 0) &&
					list_length(vs->args) == 1 && raw_value_is_zero(linitial(vs->args)))
					lint_add(state, "timeout_disabled", index, tag,
							 pstrdup(vs->name), -1,
							 psprintf("%s is set to 0: waits for locks are not bounded",
									  vs->name));
				break;
			}
		default:
			break;
	}

	if (statement_needs_autocommit(stmt))
		lint_add(state, "non_transactional", index, tag, NULL, -1,
				 psprintf("%s cannot run in a transaction block", tag));
}

/* Remember what a statement creates, for the statements after it. */
static void
lint_note_created(LintState *state, Node *stmt)
{
	switch (nodeTag(stmt))
	{
		case T_CreateStmt:
			{
				CreateStmt *cs = (CreateStmt *) stmt;

				/* CREATE TABLE IF NOT EXISTS of a table that exists is no-op */
				if (!cs->if_not_exists ||
					!OidIsValid(RangeVarGetRelid(cs->relation, NoLock, true)))
					state->created = lappend(state->created, cs->relation);
				break;
			}
		case T_CreateTableAsStmt:
			state->created = lappend(state->created,
									 ((CreateTableAsStmt *) stmt)->into->rel);
			break;
		case T_IndexStmt:
			{
				IndexStmt  *is = (IndexStmt *) stmt;

				if (is->idxname)
					state->created = lappend(state->created,
											 makeRangeVar(is->relation->schemaname,
														  is->idxname, -1));
				break;
			}
		default:
			break;
	}
}

/*
 * Start a new script: findings and not-null proofs are per script, what
 * was created carries over (plan() lints several migrations in a row).
 */
void
lint_begin_script(LintState *state)
{
	state->findings = NIL;
	state->not_null_proven = NIL;
	state->not_null_pending = NIL;
}

/*
 * Lint one statement: append its findings to state->findings, then note
 * what it creates for the statements after it.
 */
void
lint_statement(LintState *state, ScriptStatement *st)
{
	Node	   *stmt = st->raw->stmt;
	const char *tag = statement_tag(stmt);
	ListCell   *fc;

	foreach(fc, classify_statement(stmt))
	{
		RuleFinding *rf = lfirst(fc);
		const char *what = rf->rule->kind == MIGRATION_DESTRUCTIVE
		? "is destructive" : "is a staged change";

		lint_add(state, rf->rule->id, st->index, tag, rf->object,
				 rf->location >= 0 ? rf->location : st->location,
				 rf->object
				 ? psprintf("%s \"%s\" %s", tag, rf->object, what)
				 : psprintf("%s %s", tag, what));
	}
	lint_hazards(state, st->index, stmt);
	foreach(fc, state->findings)
	{
		LintFinding *f = lfirst(fc);

		if (f->statement == st->index && f->location < 0)
			f->location = st->location;
	}
	lint_note_created(state, stmt);
}

/*
 * Lint one script (List of ScriptStatement).  "state" carries what earlier
 * scripts created; pass a zeroed LintState for a script on its own.
 * Returns the findings (List of LintFinding) of this script, in statement
 * order.
 */
List *
lint_script(List *statements, LintState *state)
{
	ListCell   *lc;

	lint_begin_script(state);
	foreach(lc, statements)
		lint_statement(state, lfirst(lc));
	return state->findings;
}

/*
 * The findings as a JSON array, for migrations.findings.
 */
char *
lint_findings_json(List *findings)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '[');
	foreach(lc, findings)
	{
		LintFinding *f = lfirst(lc);

		if (buf.len > 1)
			appendStringInfoString(&buf, ", ");
		appendStringInfo(&buf, "{\"statement\": %d, \"rule\": ", f->statement);
		escape_json(&buf, f->rule->id);
		appendStringInfoString(&buf, ", \"kind\": ");
		escape_json(&buf, migration_kind_name(f->rule->kind));
		appendStringInfoString(&buf, ", \"severity\": ");
		escape_json(&buf, migrator_rule_severity(f->rule));
		appendStringInfoString(&buf, ", \"tag\": ");
		escape_json(&buf, f->tag);
		if (f->object)
		{
			appendStringInfoString(&buf, ", \"object\": ");
			escape_json(&buf, f->object);
		}
		appendStringInfoString(&buf, ", \"message\": ");
		escape_json(&buf, f->message);
		appendStringInfoChar(&buf, '}');
	}
	appendStringInfoChar(&buf, ']');
	return buf.data;
}

/*
 * migrator.lint(sql text) RETURNS TABLE (rule, severity, statement,
 * location, message, hint).  location is the 1-based character position
 * in "sql", as in the server's error cursor.
 */
Datum
migrator_lint(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *sql;
	LintState	state = {0};
	ListCell   *lc;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("sql must not be null")));
	sql = text_to_cstring(PG_GETARG_TEXT_PP(0));
	InitMaterializedSRF(fcinfo, 0);

	foreach(lc, lint_script(script_parse(sql, "script"), &state))
	{
		LintFinding *f = lfirst(lc);
		Datum		values[6];
		bool		nulls[6] = {false, false, false, false, false, false};

		values[0] = CStringGetTextDatum(f->rule->id);
		values[1] = CStringGetTextDatum(migrator_rule_severity(f->rule));
		values[2] = Int32GetDatum(f->statement);
		values[3] = Int32GetDatum(pg_mbstrlen_with_len(sql, f->location) + 1);
		values[4] = CStringGetTextDatum(f->message);
		values[5] = CStringGetTextDatum(migrator_rule_hint(f->rule));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
