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
#include "access/relation.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_index.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_type.h"
#include "catalog/pg_proc.h"
#include "commands/defrem.h"
#include "commands/tablecmds.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "parser/scanner.h"
#include "parser/gram.h"
#include "parser/parse_type.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/syscache.h"
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
 * Severity from the catalog's sizes (docs/lint.md): a lock or rewrite
 * hazard on a table that is empty or small where lint runs is reported as
 * "info", with the size in the message.  Lint run where the data is (or a
 * copy with its sizes) knows; on an empty schema, switch this off and
 * every existing table counts as large.
 */
static bool lint_table_sizes = true;
static int	lint_small_table_rows = 10000;
static int	lint_small_table_size = 1024;	/* kB */

typedef enum TableSize
{
	TABLE_LARGE,				/* or unknown */
	TABLE_SMALL,
	TABLE_EMPTY
} TableSize;

/*
 * How big is relation "relid" (with its partitions and children when
 * "inh")?  Blocks are the relation files' sizes now; rows are pg_class's
 * estimate (reltuples, -1 before the first VACUUM or ANALYZE: then blocks
 * decide).  "why" receives the words for the message.
 */
static TableSize
relation_size_class(Oid relid, bool inh, char **why)
{
	List	   *rels;
	ListCell   *lc;
	BlockNumber blocks = 0;
	double		rows = 0;
	bool		rows_known = true;
	double		kb;

	if (!lint_table_sizes || !OidIsValid(relid))
		return TABLE_LARGE;
	rels = inh ? find_all_inheritors(relid, NoLock, NULL) : list_make1_oid(relid);
	foreach(lc, rels)
	{
		Oid			rel = lfirst_oid(lc);
		char		relkind = get_rel_relkind(rel);
		Relation	r;

		if (relkind != RELKIND_RELATION && relkind != RELKIND_MATVIEW &&
			relkind != RELKIND_TOASTVALUE && relkind != RELKIND_INDEX)
			continue;
		if (!ConditionalLockRelationOid(rel, AccessShareLock))
			return TABLE_LARGE;	/* lint never waits for a lock */
		r = relation_open(rel, NoLock);
		blocks += RelationGetNumberOfBlocks(r);
		if (r->rd_rel->reltuples < 0)
			rows_known = false;
		else
			rows += r->rd_rel->reltuples;
		relation_close(r, NoLock);
		UnlockRelationOid(rel, AccessShareLock);
	}
	kb = (double) blocks * (BLCKSZ / 1024);
	if (blocks == 0)
	{
		*why = pstrdup("the table is empty here");
		return TABLE_EMPTY;
	}
	if (kb <= lint_small_table_size && (!rows_known || rows <= lint_small_table_rows))
	{
		*why = rows_known
			? psprintf("small here: about %.0f rows, %.0f kB", rows, kb)
			: psprintf("small here: %.0f kB", kb);
		return TABLE_SMALL;
	}
	return TABLE_LARGE;
}

/*
 * The last finding added is a hazard on "rv" ("inh": with its partitions):
 * lower it to "info" when the table is empty or small here.
 */
static void
lint_size_last(LintState *state, RangeVar *rv, bool inh)
{
	LintFinding *f = llast(state->findings);
	char	   *why = NULL;

	if (rv == NULL ||
		relation_size_class(RangeVarGetRelid(rv, NoLock, true), inh, &why) == TABLE_LARGE)
		return;
	f->severity = "info";
	f->message = psprintf("%s (%s)", f->message, why);
}

/* A finding's severity: lowered by the table's size, or the rule's. */
const char *
lint_finding_severity(LintFinding *f)
{
	return f->severity ? f->severity : migrator_rule_severity(f->rule);
}

/*
 * Define the lint GUCs.  Called from _PG_init.
 */
void
LintInit(void)
{
	DefineCustomBoolVariable("migrator.lint_table_sizes",
							 "Whether lint lowers hazards on empty and small tables to info.",
							 "Sizes are those of the database lint runs in. Switch it off to lint against an empty schema as if every existing table were large.",
							 &lint_table_sizes, true, PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("migrator.lint_small_table_rows",
							"Up to how many rows (pg_class.reltuples) a table counts as small for lint.",
							NULL, &lint_small_table_rows, 10000, 0, INT_MAX,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("migrator.lint_small_table_size",
							"Up to what size a table (with its partitions) counts as small for lint.",
							NULL, &lint_small_table_size, 1024, 0, INT_MAX,
							PGC_USERSET, GUC_UNIT_KB, NULL, NULL, NULL);
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

/* Do two RangeVars name the same relation (schema left out matches)? */
static bool
same_relation(RangeVar *a, RangeVar *b)
{
	return strcmp(a->relname, b->relname) == 0 &&
		(a->schemaname == NULL || b->schemaname == NULL ||
		 strcmp(a->schemaname, b->schemaname) == 0);
}

/*
 * Do the first list_length(columns) entries of "keys" (List of String or
 * IndexElem) name exactly "columns" (List of String), in any order?
 */
static bool
keys_lead_with(List *keys, List *columns)
{
	int			n = list_length(columns);
	int			i;

	if (n == 0 || list_length(keys) < n)
		return false;
	for (i = 0; i < n; i++)
	{
		Node	   *k = list_nth(keys, i);
		const char *name = IsA(k, String) ? strVal(k)
		: IsA(k, IndexElem) ? ((IndexElem *) k)->name : NULL;
		ListCell   *lc;
		bool		found = false;

		if (name == NULL)
			return false;
		foreach(lc, columns)
			if (strcmp(strVal(lfirst(lc)), name) == 0)
				found = true;
		if (!found)
			return false;
	}
	return true;
}

/* Does an index of the catalog on "relid" lead with "columns"? */
static bool
catalog_index_leads_with(Oid relid, List *columns)
{
	Relation	rel;
	List	   *indexes;
	ListCell   *lc;
	bool		found = false;

	if (!OidIsValid(relid))
		return false;
	rel = relation_open(relid, AccessShareLock);
	indexes = RelationGetIndexList(rel);
	relation_close(rel, AccessShareLock);
	foreach(lc, indexes)
	{
		HeapTuple	tup = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(lfirst_oid(lc)));
		Form_pg_index idx;
		List	   *keys = NIL;
		int			i;

		if (!HeapTupleIsValid(tup))
			continue;
		idx = (Form_pg_index) GETSTRUCT(tup);
		for (i = 0; i < idx->indnkeyatts; i++)
		{
			char	   *att = idx->indkey.values[i] == 0 ? NULL
			: get_attname(relid, idx->indkey.values[i], true);

			if (att == NULL)
				break;
			keys = lappend(keys, makeString(att));
		}
		if (heap_attisnull(tup, Anum_pg_index_indpred, NULL) && keys_lead_with(keys, columns))
			found = true;
		ReleaseSysCache(tup);
		if (found)
			break;
	}
	return found;
}

/* Does an IndexStmt on "rv", not partial, lead with "columns"? */
static bool
index_stmt_leads_with(IndexStmt *is, RangeVar *rv, List *columns)
{
	return same_relation(is->relation, rv) && is->whereClause == NULL &&
		keys_lead_with(is->indexParams, columns);
}

/*
 * A foreign key from "columns" of "rv": is there an index that leads with
 * them, in the catalog, among the constraints of the CREATE TABLE it is in
 * ("table_elts"), or created earlier or later in the same migration?
 * Without one, every DELETE or key UPDATE on the referenced table scans
 * the referencing table.
 */
static void
lint_foreign_key_index(LintState *state, int index, const char *tag, RangeVar *rv,
					   List *columns, List *table_elts, bool existing)
{
	ListCell   *lc;

	if (columns == NIL)
		return;
	if (existing && catalog_index_leads_with(RangeVarGetRelid(rv, NoLock, true), columns))
		return;
	foreach(lc, table_elts)
	{
		Node	   *elt = lfirst(lc);

		if (IsA(elt, Constraint) &&
			(((Constraint *) elt)->contype == CONSTR_PRIMARY ||
			 ((Constraint *) elt)->contype == CONSTR_UNIQUE) &&
			keys_lead_with(((Constraint *) elt)->keys, columns))
			return;
		if (IsA(elt, ColumnDef) && list_length(columns) == 1 &&
			strcmp(((ColumnDef *) elt)->colname, strVal(linitial(columns))) == 0)
		{
			ListCell   *cc;

			foreach(cc, ((ColumnDef *) elt)->constraints)
				if (((Constraint *) lfirst(cc))->contype == CONSTR_PRIMARY ||
					((Constraint *) lfirst(cc))->contype == CONSTR_UNIQUE)
					return;
		}
	}
	foreach(lc, state->indexes)
		if (index_stmt_leads_with(lfirst(lc), rv, columns))
			return;
	foreach(lc, state->upcoming)
	{
		ScriptStatement *st = lfirst(lc);

		if (st->index > index && IsA(st->raw->stmt, IndexStmt) &&
			index_stmt_leads_with((IndexStmt *) st->raw->stmt, rv, columns))
			return;
	}
	lint_add(state, "foreign_key_unindexed", index, tag, rv_name(rv), rv->location,
			 psprintf("foreign key of table \"%s\" has no index on its referencing columns: every DELETE or key UPDATE of the referenced table scans it",
					  rv_name(rv)));
	if (existing)
		lint_size_last(state, rv, true);
}

/*
 * A constraint added to an existing table (ALTER TABLE ... ADD, or inline
 * in ADD COLUMN).
 */
static void
lint_constraint(LintState *state, int index, const char *tag, RangeVar *rv,
				Constraint *con, const char *inline_column)
{
	char	   *rel = rv_name(rv);
	int			loc = rv->location;
	bool		inline_in_column = inline_column != NULL;

	switch (con->contype)
	{
		case CONSTR_FOREIGN:
			lint_foreign_key_index(state, index, tag, rv,
								   inline_column ? list_make1(makeString(pstrdup(inline_column)))
								   : con->fk_attrs, NIL, true);
			if (!con->skip_validation)
			{
				lint_add(state, "add_foreign_key_validating", index, tag, rel, loc,
						 psprintf("ADD FOREIGN KEY on existing table \"%s\" validates every row while both tables are locked", rel));
				lint_size_last(state, rv, true);
			}
			break;
		case CONSTR_CHECK:
			if (!con->skip_validation)
			{
				lint_add(state, "add_check_validating", index, tag, rel, loc,
						 psprintf("ADD CHECK on existing table \"%s\" validates every row under an ACCESS EXCLUSIVE lock", rel));
				lint_size_last(state, rv, true);
			}
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
			{
				lint_add(state, "add_unique_blocking", index, tag, rel, loc,
						 psprintf("ADD %s on existing table \"%s\" builds an index under an ACCESS EXCLUSIVE lock",
								  con->contype == CONSTR_PRIMARY ? "PRIMARY KEY" :
								  con->contype == CONSTR_UNIQUE ? "UNIQUE" : "EXCLUDE",
								  rel));
				lint_size_last(state, rv, true);
			}
			break;
		default:
			break;
	}
}

/*
 * Is a new column NOT NULL (or PRIMARY KEY) with nothing that fills it:
 * no default, not an identity, not generated, not serial?
 */
static bool
column_is_required(ColumnDef *def)
{
	bool		not_null = def->is_not_null;
	ListCell   *lc;

	foreach(lc, def->constraints)
	{
		Constraint *con = lfirst_node(Constraint, lc);

		if (con->contype == CONSTR_NOTNULL || con->contype == CONSTR_PRIMARY)
			not_null = true;
		if (con->contype == CONSTR_DEFAULT || con->contype == CONSTR_IDENTITY ||
			con->contype == CONSTR_GENERATED)
			return false;
	}
	if (def->raw_default != NULL || def->identity || def->generated)
		return false;
	if (def->typeName && list_length(def->typeName->names) == 1)
	{
		const char *t = strVal(linitial(def->typeName->names));

		if (strncmp(t, "serial", 6) == 0 || strncmp(t, "bigserial", 9) == 0 ||
			strncmp(t, "smallserial", 11) == 0)
			return false;
	}
	return not_null;
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
			lint_constraint(state, index, tag, rv, con, def->colname);
	}
	if (why)
	{
		lint_add(state, "add_column_rewrite", index, tag,
				 psprintf("%s.%s", rel, def->colname), rv->location,
				 psprintf("ADD COLUMN \"%s\" with %s rewrites table \"%s\"",
						  def->colname, why, rel));
		lint_size_last(state, rv, true);
	}
	else if (column_is_required(def))
	{
		char	   *size_why = NULL;

		lint_add(state, "add_column_required", index, tag,
				 psprintf("%s.%s", rel, def->colname), rv->location,
				 psprintf("ADD COLUMN \"%s\" NOT NULL without a default fails on table \"%s\" as soon as it has a row",
						  def->colname, rel));
		if (relation_size_class(RangeVarGetRelid(rv, NoLock, true), true, &size_why) == TABLE_EMPTY)
		{
			LintFinding *f = llast(state->findings);

			f->severity = "warning";
			f->message = psprintf("%s (%s)", f->message, size_why);
		}
	}
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
		if (AlterTableGetLockLevel(list_make1(cmd)) == AccessExclusiveLock)
			state->altered = lappend(state->altered, rv);

		switch (cmd->subtype)
		{
			case AT_AddConstraint:
				if (cmd->def && IsA(cmd->def, Constraint))
					lint_constraint(state, index, tag, rv,
									(Constraint *) cmd->def, NULL);
				break;
			case AT_AddColumn:
				lint_add_column(state, index, tag, rv, (ColumnDef *) cmd->def);
				break;
			case AT_AlterColumnType:
				if (alter_column_type_rewrites(rv, cmd))
				{
					lint_add(state, "alter_column_type_rewrite", index, tag,
							 psprintf("%s.%s", rel, cmd->name), rv->location,
							 psprintf("ALTER COLUMN \"%s\" TYPE rewrites table \"%s\"",
									  cmd->name, rel));
					lint_size_last(state, rv, rv->inh);
				}
				break;
			case AT_SetNotNull:
				if (!string_in_list(state->not_null_proven, column_key(rv, cmd->name)) &&
					!catalog_has_not_null_check(rv, cmd->name))
				{
					lint_add(state, "set_not_null_scan", index, tag,
							 psprintf("%s.%s", rel, cmd->name), rv->location,
							 psprintf("SET NOT NULL on column \"%s\" scans table \"%s\" under an ACCESS EXCLUSIVE lock",
									  cmd->name, rel));
					lint_size_last(state, rv, rv->inh);
				}
				break;
			case AT_SetLogged:
			case AT_SetUnLogged:
				lint_add(state, "set_logged", index, tag, rel, rv->location,
						 psprintf("SET %s rewrites table \"%s\"",
								  cmd->subtype == AT_SetLogged ? "LOGGED" : "UNLOGGED",
								  rel));
				lint_size_last(state, rv, false);
				break;
			case AT_SetTableSpace:
				lint_add(state, "set_tablespace", index, tag, rel, rv->location,
						 psprintf("SET TABLESPACE copies \"%s\" under an ACCESS EXCLUSIVE lock",
								  rel));
				lint_size_last(state, rv, false);
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
 * How big are the tables whose columns are of domain "names" (pg_depend
 * records a column's dependency on its type)?  The largest decides.
 */
static TableSize
domain_size_class(List *names, char **why)
{
	TypeName   *tn = makeTypeNameFromNameList(names);
	Oid			typid = LookupTypeNameOid(NULL, tn, true);
	Relation	dep;
	ScanKeyData key[2];
	SysScanDesc scan;
	HeapTuple	tup;
	TableSize	result = TABLE_EMPTY;
	bool		any = false;

	if (!lint_table_sizes || !OidIsValid(typid))
		return TABLE_LARGE;
	dep = table_open(DependRelationId, AccessShareLock);
	ScanKeyInit(&key[0], Anum_pg_depend_refclassid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(TypeRelationId));
	ScanKeyInit(&key[1], Anum_pg_depend_refobjid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(typid));
	scan = systable_beginscan(dep, DependReferenceIndexId, true, NULL, 2, key);
	while (result != TABLE_LARGE && HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_depend d = (Form_pg_depend) GETSTRUCT(tup);
		char	   *w = NULL;
		TableSize	sz;

		if (d->classid != RelationRelationId || d->objsubid == 0)
			continue;
		any = true;
		sz = relation_size_class(d->objid, false, &w);
		if (sz < result)
		{
			result = sz;
			*why = w;
		}
	}
	systable_endscan(scan);
	table_close(dep, AccessShareLock);
	if (!any)
		*why = pstrdup("no column is of this domain here");
	else if (result == TABLE_EMPTY)
		*why = pstrdup("the tables with columns of this domain are empty here");
	return result;
}

/*
 * Is a raw WHERE clause always true: TRUE, 1 = 1, 'a' = 'a', NOT FALSE,
 * x = x, or an OR with such a branch?
 */
static bool
raw_is_always_true(Node *expr)
{
	if (expr == NULL)
		return false;
	if (IsA(expr, A_Const))
	{
		A_Const    *c = (A_Const *) expr;

		return !c->isnull && IsA(&c->val, Boolean) && boolVal(&c->val);
	}
	if (IsA(expr, TypeCast))
	{
		TypeCast   *tc = (TypeCast *) expr;

		/* 'true'::boolean, 't'::bool */
		if (IsA(tc->arg, A_Const) && IsA(&((A_Const *) tc->arg)->val, String) &&
			list_length(tc->typeName->names) >= 1 &&
			(strcmp(strVal(llast(tc->typeName->names)), "bool") == 0 ||
			 strcmp(strVal(llast(tc->typeName->names)), "boolean") == 0))
		{
			bool		b;

			return parse_bool(strVal(&((A_Const *) tc->arg)->val), &b) && b;
		}
		return raw_is_always_true(tc->arg);
	}
	if (IsA(expr, BoolExpr))
	{
		BoolExpr   *be = (BoolExpr *) expr;
		ListCell   *lc;

		if (be->boolop == OR_EXPR)
		{
			foreach(lc, be->args)
				if (raw_is_always_true(lfirst(lc)))
					return true;
			return false;
		}
		if (be->boolop == AND_EXPR)
		{
			foreach(lc, be->args)
				if (!raw_is_always_true(lfirst(lc)))
					return false;
			return true;
		}
		if (be->boolop == NOT_EXPR)
		{
			Node	   *arg = linitial(be->args);

			return IsA(arg, A_Const) && !((A_Const *) arg)->isnull &&
				IsA(&((A_Const *) arg)->val, Boolean) && !boolVal(&((A_Const *) arg)->val);
		}
	}
	if (IsA(expr, A_Expr))
	{
		A_Expr	   *ae = (A_Expr *) expr;

		/* equal operands under =, >=, <=: 1 = 1, x = x (NULLs aside) */
		if (ae->kind == AEXPR_OP && list_length(ae->name) == 1 &&
			(strcmp(strVal(linitial(ae->name)), "=") == 0 ||
			 strcmp(strVal(linitial(ae->name)), ">=") == 0 ||
			 strcmp(strVal(linitial(ae->name)), "<=") == 0) &&
			ae->lexpr && ae->rexpr &&
			(IsA(ae->lexpr, A_Const) || IsA(ae->lexpr, ColumnRef)) &&
			equal(ae->lexpr, ae->rexpr))
			return true;
	}
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

				Oid			relid;

				if (is->concurrent || lint_is_new(state, is->relation))
					break;
				/* ON ONLY a partitioned table builds nothing: an invalid parent index */
				relid = RangeVarGetRelid(is->relation, NoLock, true);
				if (!is->relation->inh && OidIsValid(relid) &&
					get_rel_relkind(relid) == RELKIND_PARTITIONED_TABLE)
					break;
				lint_add(state, "create_index_blocking", index, tag,
						 rv_name(is->relation), is->relation->location,
						 psprintf("CREATE INDEX on existing table \"%s\" blocks writes while it builds",
								  rv_name(is->relation)));
				lint_size_last(state, is->relation, is->relation->inh);
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

				ListCell   *lc;

				if (lint_is_new(state, rv))
					break;
				if (where == NULL || raw_is_always_true(where))
				{
					lint_add(state, "whole_table_write", index, tag,
							 rv_name(rv), rv->location,
							 where == NULL
							 ? psprintf("%s without WHERE writes every row of table \"%s\" in one transaction",
										update ? "UPDATE" : "DELETE", rv_name(rv))
							 : psprintf("%s with a WHERE that is always true writes every row of table \"%s\" in one transaction",
										update ? "UPDATE" : "DELETE", rv_name(rv)));
					lint_size_last(state, rv, rv->inh);
				}
				if (update)
					foreach(lc, state->altered)
						if (same_relation(lfirst(lc), rv))
						{
							lint_add(state, "backfill_holds_lock", index, tag,
									 rv_name(rv), rv->location,
									 psprintf("UPDATE of table \"%s\" runs while an earlier ALTER TABLE of this migration holds its ACCESS EXCLUSIVE lock",
											  rv_name(rv)));
							lint_size_last(state, rv, rv->inh);
							break;
						}
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
					{
						lint_add(state, "vacuum_full", index, tag, rv_name(rv),
								 rv->location,
								 psprintf("VACUUM FULL rewrites table \"%s\" under an ACCESS EXCLUSIVE lock",
										  rv_name(rv)));
						lint_size_last(state, rv, true);
					}
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
				{
					lint_add(state, "cluster", index, tag, rv_name(rv), rv->location,
							 psprintf("CLUSTER rewrites table \"%s\" under an ACCESS EXCLUSIVE lock",
									  rv_name(rv)));
					lint_size_last(state, rv, true);
				}
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
				if (rs->relation)
					lint_size_last(state, rs->relation, true);
				break;
			}
		case T_LockStmt:
			{
				LockStmt   *ls = (LockStmt *) stmt;
				ListCell   *lc;

				if (ls->mode < ShareLock)
					break;
				foreach(lc, ls->relations)
				{
					RangeVar   *rv = lfirst_node(RangeVar, lc);

					if (lint_is_new(state, rv))
						continue;
					lint_add(state, "lock_table", index, tag, rv_name(rv), rv->location,
							 psprintf("LOCK TABLE \"%s\" in %s mode blocks %s until the migration commits",
									  rv_name(rv), GetLockmodeName(DEFAULT_LOCKMETHOD, ls->mode),
									  ls->mode == AccessExclusiveLock ? "reads and writes" : "writes"));
				}
				break;
			}
		case T_RefreshMatViewStmt:
			{
				RefreshMatViewStmt *rm = (RefreshMatViewStmt *) stmt;

				if (rm->concurrent || rm->skipData || lint_is_new(state, rm->relation))
					break;
				lint_add(state, "refresh_blocking", index, tag, rv_name(rm->relation),
						 rm->relation->location,
						 psprintf("REFRESH MATERIALIZED VIEW \"%s\" without CONCURRENTLY blocks its readers while it runs",
								  rv_name(rm->relation)));
				lint_size_last(state, rm->relation, false);
				break;
			}
		case T_AlterDomainStmt:
			{
				AlterDomainStmt *ad = (AlterDomainStmt *) stmt;
				char	   *why = NULL;
				TableSize	size;

				if (!(ad->subtype == 'C' && ad->def && IsA(ad->def, Constraint) &&
					  !((Constraint *) ad->def)->skip_validation) && ad->subtype != 'O')
					break;
				lint_add(state, "domain_constraint_scan", index, tag,
						 NameListToString(ad->typeName), -1,
						 psprintf("%s on domain \"%s\" scans every column of the domain in every table",
								  ad->subtype == 'O' ? "SET NOT NULL" : "ADD CONSTRAINT",
								  NameListToString(ad->typeName)));
				size = domain_size_class(ad->typeName, &why);
				if (size != TABLE_LARGE)
				{
					LintFinding *f = llast(state->findings);

					f->severity = "info";
					f->message = psprintf("%s (%s)", f->message, why);
				}
				break;
			}
		case T_CreateStmt:
			{
				CreateStmt *cs = (CreateStmt *) stmt;
				ListCell   *lc;

				/* foreign keys of a new table: no index yet, it grows */
				foreach(lc, cs->tableElts)
				{
					Node	   *elt = lfirst(lc);

					if (IsA(elt, Constraint) && ((Constraint *) elt)->contype == CONSTR_FOREIGN)
						lint_foreign_key_index(state, index, tag, cs->relation,
											   ((Constraint *) elt)->fk_attrs, cs->tableElts, false);
					else if (IsA(elt, ColumnDef))
					{
						ListCell   *cc;

						foreach(cc, ((ColumnDef *) elt)->constraints)
							if (((Constraint *) lfirst(cc))->contype == CONSTR_FOREIGN)
								lint_foreign_key_index(state, index, tag, cs->relation,
													   list_make1(makeString(((ColumnDef *) elt)->colname)),
													   cs->tableElts, false);
					}
				}
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
				state->indexes = lappend(state->indexes, is);
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
	state->altered = NIL;		/* locks go with the migration's commit */
	state->upcoming = NIL;
}

/*
 * The length in bytes of the identifier that starts at "p" as written:
 * quoted (with "" for a quote) or not.  0 for U&"..." (escapes).
 */
static int
identifier_source_bytes(const char *p)
{
	int			n = 0;

	if (*p == '"')
	{
		for (p++; *p; p++, n++)
			if (*p == '"')
			{
				if (p[1] != '"')
					break;
				p++;
			}
		return n;
	}
	if ((p[0] == 'U' || p[0] == 'u') && p[1] == '&')
		return 0;
	while (*p && (IS_HIGHBIT_SET(*p) || isalnum((unsigned char) *p) || *p == '_' || *p == '$'))
	{
		p++;
		n++;
	}
	return n;
}

/*
 * Identifiers longer than NAMEDATALEN - 1 bytes: the server truncates
 * them (a NOTICE the client may not show), so the object gets another
 * name than the one written.  The parse tree holds only the truncated
 * names: the statement's text is scanned with the server's own lexer
 * (its truncation NOTICEs muted for the scan; the parse already gave them).
 */
static void
lint_long_identifiers(LintState *state, ScriptStatement *st)
{
	core_yyscan_t scanner;
	core_yy_extra_type extra;
	core_YYSTYPE yylval;
	YYLTYPE		yylloc;
	int			tok;
	int			nestlevel;

	/* cheap test first: no name in the text is that long */
	if (strlen(st->sql) < NAMEDATALEN)
		return;
	nestlevel = NewGUCNestLevel();
	(void) set_config_option("client_min_messages", "warning", PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	scanner = scanner_init(st->sql, &extra, &ScanKeywords, ScanKeywordTokens);
	while ((tok = core_yylex(&yylval, &yylloc, scanner)) != 0)
	{
		if (tok != IDENT || strlen(yylval.str) < NAMEDATALEN - 1 ||
			identifier_source_bytes(st->sql + yylloc) < NAMEDATALEN)
			continue;
		lint_add(state, "identifier_too_long", st->index, statement_tag(st->raw->stmt),
				 pstrdup(yylval.str), st->location + yylloc,
				 psprintf("identifier of %d bytes is truncated to \"%s\"",
						  identifier_source_bytes(st->sql + yylloc), yylval.str));
	}
	scanner_finish(scanner);
	AtEOXact_GUC(true, nestlevel);
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
	state->current = st->index;
	lint_hazards(state, st->index, stmt);
	lint_long_identifiers(state, st);
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
	state->upcoming = statements;
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
		escape_json(&buf, lint_finding_severity(f));
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
		values[1] = CStringGetTextDatum(lint_finding_severity(f));
		values[2] = Int32GetDatum(f->statement);
		values[3] = Int32GetDatum(pg_mbstrlen_with_len(sql, f->location) + 1);
		values[4] = CStringGetTextDatum(f->message);
		values[5] = CStringGetTextDatum(migrator_rule_hint(f->rule));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
