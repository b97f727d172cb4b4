/*-------------------------------------------------------------------------
 *
 * staged_parse.c
 *	  The statement given to migrator.stage(), read by the server's parser
 *	  alone: which change it is, and its up and down expressions
 *	  (StagedRequest).  No catalog access, so that a change can be staged
 *	  before the migrations that create its table are applied, and so that
 *	  lint can say which destructive statements stage() would run.
 *	  staged_spec.c resolves a request against the catalog.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_class.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "parser/parser.h"
#include "tcop/cmdtag.h"
#include "tcop/utility.h"
#include "utils/memutils.h"

#include "migrator.h"
#include "script.h"
#include "staged_parse.h"

/* The statements stage() accepts, for errors and the documentation. */
static const char *const staged_supported =
"ALTER TABLE t RENAME COLUMN a TO b; "
"ALTER TABLE t RENAME TO u; "
"ALTER TABLE t ALTER COLUMN c TYPE type [USING expression]; "
"ALTER TABLE t ALTER COLUMN c SET NOT NULL; "
"ALTER TABLE t ADD [CONSTRAINT name] CHECK (...), FOREIGN KEY (...) REFERENCES ... or UNIQUE (...); "
"ALTER TABLE t DROP COLUMN c; "
"ALTER TABLE t ADD COLUMN c type [DEFAULT expression] [NOT NULL]; "
"and ADD COLUMN, DROP COLUMN and ALTER COLUMN TYPE together in one ALTER TABLE "
"(a column split into two, two merged into one)";

const char *
staged_supported_text(void)
{
	return staged_supported;
}

/*
 * Refuse the statement: it is not a change stage() can run.
 */
void
staged_unsupported(const char *what, const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_MIGRATOR_NOT_STAGEABLE),
			 errmsg("migrator.stage() cannot stage %s", what),
			 why ? errdetail("%s", why) : 0,
			 errhint("Supported: %s.", staged_supported)));
}

/* The command tag of "node", as the server names it. */
static const char *
command_tag(Node *node)
{
	return GetCommandTagName(CreateCommandTag(node));
}

/* ----------------------------------------------------------------
 * Parsing: the statement and its expressions, without the catalog
 * ----------------------------------------------------------------
 */

/*
 * raw_parser() of "sql", NULL on a syntax error (whose message goes to
 * *error): the callers say what was expected.
 */
static List *
try_raw_parser(const char *sql, char **error)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	List	   *volatile raw = NIL;

	*error = NULL;
	PG_TRY();
	{
		raw = raw_parser(sql, RAW_PARSE_DEFAULT);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		*error = edata->message;
		raw = NIL;
	}
	PG_END_TRY();
	return raw;
}

/*
 * Parse "text" as one expression: the up or down of a single column.
 */
Node *
staged_parse_expression(const char *text, const char *what)
{
	char	   *error;
	List	   *raw = try_raw_parser(psprintf("SELECT %s", text), &error);
	SelectStmt *sel;
	ResTarget  *rt;

	if (list_length(raw) != 1 ||
		!IsA(((RawStmt *) linitial(raw))->stmt, SelectStmt))
		goto bad;
	sel = (SelectStmt *) ((RawStmt *) linitial(raw))->stmt;
	if (list_length(sel->targetList) != 1 || sel->fromClause || sel->whereClause ||
		sel->groupClause || sel->havingClause || sel->windowClause ||
		sel->valuesLists || sel->sortClause || sel->limitCount || sel->limitOffset ||
		sel->lockingClause || sel->withClause || sel->distinctClause ||
		sel->intoClause || sel->op != SETOP_NONE)
		goto bad;
	rt = linitial_node(ResTarget, sel->targetList);
	if (rt->name != NULL || (IsA(rt->val, ColumnRef) &&
							 IsA(llast(((ColumnRef *) rt->val)->fields), A_Star)))
		goto bad;
	return rt->val;

bad:
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s must be one expression", what),
			 error ? errdetail("The text given was \"%s\", and the parser says: %s.", text, error)
			 : errdetail("The text given was \"%s\".", text),
			 errhint("Write an expression over the columns of the row, such as amount::numeric(12,2).")));
	return NULL;				/* keep the compiler quiet */
}

/*
 * Parse "text" as a list "column = expression, ...": the up or down of a
 * change that fills several columns.
 */
static List *
parse_assignments(const char *text, const char *what)
{
	char	   *error;
	List	   *raw = try_raw_parser(psprintf("UPDATE pg_catalog.pg_class SET %s", text), &error);
	UpdateStmt *upd;
	ListCell   *lc;

	if (list_length(raw) != 1 ||
		!IsA(((RawStmt *) linitial(raw))->stmt, UpdateStmt))
		goto bad;
	upd = (UpdateStmt *) ((RawStmt *) linitial(raw))->stmt;
	if (upd->fromClause || upd->whereClause || update_has_returning(upd) || upd->withClause)
		goto bad;
	foreach(lc, upd->targetList)
	{
		ResTarget  *rt = lfirst_node(ResTarget, lc);
		ListCell   *lc2;

		if (rt->indirection != NIL || rt->val == NULL || IsA(rt->val, MultiAssignRef))
			goto bad;
		foreach(lc2, upd->targetList)
		{
			ResTarget  *other = lfirst_node(ResTarget, lc2);

			if (other != rt && strcmp(other->name, rt->name) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s assigns column \"%s\" twice", what, rt->name)));
		}
	}
	return upd->targetList;

bad:
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s must be a list of assignments", what),
			 error ? errdetail("The text given was \"%s\", and the parser says: %s.", text, error)
			 : errdetail("The text given was \"%s\".", text),
			 errhint("Write column = expression, column = expression, ... for the columns it fills.")));
	return NIL;
}

/* "a, b, c" of a List of char *. */
char *
staged_names_text(List *names)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, names)
		appendStringInfo(&buf, "%s%s", buf.len > 0 ? ", " : "", (char *) lfirst(lc));
	return buf.data;
}

/*
 * The expressions of one direction: "text" (NULL: none) fills the columns
 * "targets" (char *).  One target takes a bare expression, several a list
 * of assignments to some of them.  Returns ResTarget with the column name.
 */
static List *
parse_direction(const char *text, List *targets, const char *what)
{
	List	   *result = NIL;
	ListCell   *lc;

	if (text == NULL)
		return NIL;
	if (targets == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("this change takes no %s", what),
				 errdetail("No column of the %s shape is derived from the other shape.",
						   strcmp(what, "up") == 0 ? "new" : "old")));
	if (list_length(targets) == 1)
	{
		ResTarget  *rt = makeNode(ResTarget);

		rt->name = linitial(targets);
		rt->val = staged_parse_expression(text, what);
		rt->location = -1;
		return list_make1(rt);
	}
	result = parse_assignments(text, what);
	foreach(lc, result)
	{
		ResTarget  *rt = lfirst_node(ResTarget, lc);
		ListCell   *tc;
		bool		found = false;

		foreach(tc, targets)
			if (strcmp(lfirst(tc), rt->name) == 0)
				found = true;
		if (!found)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s assigns column \"%s\", which it does not fill", what, rt->name),
					 errdetail("%s fills: %s.", what, staged_names_text(targets))));
	}
	return result;
}

/* The ResTarget of "name" in "targets", or NULL. */
static ResTarget *
target_for(List *targets, const char *name)
{
	ListCell   *lc;

	foreach(lc, targets)
	{
		ResTarget  *rt = lfirst_node(ResTarget, lc);

		if (strcmp(rt->name, name) == 0)
			return rt;
	}
	return NULL;
}

/* Names of the columns a raw expression refers to (ColumnRef). */
static bool
raw_columns_walker(Node *node, List **names)
{
	if (node == NULL)
		return false;
	if (IsA(node, ColumnRef))
	{
		Node	   *last = llast(((ColumnRef *) node)->fields);

		if (IsA(last, String))
			*names = list_append_unique(*names, makeString(pstrdup(strVal(last))));
		return false;
	}
	return raw_expression_tree_walker(node, raw_columns_walker, (void *) names);
}

/*
 * "name" of a column must not be listed twice in the changes of one
 * statement.
 */
static void
check_column_once(List **seen, const char *name)
{
	ListCell   *lc;

	foreach(lc, *seen)
		if (strcmp(lfirst(lc), name) == 0)
			staged_unsupported("a statement that changes a column twice",
						psprintf("Column \"%s\" appears in two subcommands.", name));
	*seen = lappend(*seen, (char *) name);
}

/*
 * A column of ADD COLUMN: its type, collation, default and NOT NULL; other
 * clauses are changes of their own.
 */
static StagedAdd *
parse_add_column(ColumnDef *def)
{
	StagedAdd  *add = palloc0(sizeof(StagedAdd));
	ListCell   *lc;

	add->name = def->colname;
	add->type = def->typeName;
	if (list_length(def->typeName->names) == 1 && def->typeName->pct_type == false)
	{
		const char *t = strVal(linitial(def->typeName->names));

		if (strcmp(t, "smallserial") == 0 || strcmp(t, "serial") == 0 ||
			strcmp(t, "bigserial") == 0 || strcmp(t, "serial2") == 0 ||
			strcmp(t, "serial4") == 0 || strcmp(t, "serial8") == 0)
			staged_unsupported("ADD COLUMN of a serial column",
							   "Add such a column with a plain migration: nothing reads it yet.");
	}
	add->collate = def->collClause;
	if (def->identity || def->generated || def->raw_default || def->cooked_default ||
		def->compression || def->fdwoptions)
		staged_unsupported("ADD COLUMN with an identity, a generated expression, a compression or options",
					"Add such a column with a plain migration: nothing reads it yet.");
	foreach(lc, def->constraints)
	{
		Constraint *c = lfirst_node(Constraint, lc);

		switch (c->contype)
		{
			case CONSTR_NOTNULL:
				add->not_null = true;
				break;
			case CONSTR_NULL:
				break;
			case CONSTR_DEFAULT:
				add->default_expr = c->raw_expr;
				break;
			default:
				staged_unsupported("ADD COLUMN with a CHECK, UNIQUE, PRIMARY KEY or REFERENCES clause",
							"Stage the constraint as a change of its own once the column exists.");
		}
	}
	return add;
}

/*
 * The ALTER TABLE subcommands of a reshaping change: ADD COLUMN, DROP
 * COLUMN, ALTER COLUMN TYPE, in any number.
 */
static void
parse_reshape(StagedRequest *req, AlterTableStmt *stmt)
{
	ListCell   *lc;
	List	   *seen = NIL;
	int			types = 0;
	int			adds = 0;
	int			drops = 0;

	foreach(lc, stmt->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

		if (cmd->missing_ok)
			staged_unsupported("IF EXISTS or IF NOT EXISTS", "A staged change names exactly what it changes.");
		switch (cmd->subtype)
		{
			case AT_AddColumn:
				{
					StagedAdd  *add = parse_add_column(castNode(ColumnDef, cmd->def));

					check_column_once(&seen, add->name);
					req->adds = lappend(req->adds, add);
					adds++;
					break;
				}
			case AT_DropColumn:
				{
					StagedDrop *drop = palloc0(sizeof(StagedDrop));

					if (cmd->behavior == DROP_CASCADE)
						staged_unsupported("DROP COLUMN ... CASCADE",
									"The objects that depend on the column must be dropped by a change of their own first.");
					drop->name = cmd->name;
					check_column_once(&seen, drop->name);
					req->drops = lappend(req->drops, drop);
					drops++;
					break;
				}
			case AT_AlterColumnType:
				{
					ColumnDef  *def = castNode(ColumnDef, cmd->def);
					StagedAdd  *add = palloc0(sizeof(StagedAdd));
					StagedDrop *drop = palloc0(sizeof(StagedDrop));

					check_column_once(&seen, cmd->name);
					add->name = cmd->name;
					add->type = def->typeName;
					add->collate = def->collClause;
					add->up = def->raw_default; /* USING */
					add->replaces = cmd->name;
					drop->name = cmd->name;
					req->adds = lappend(req->adds, add);
					req->drops = lappend(req->drops, drop);
					types++;
					break;
				}
			default:
				if (list_length(stmt->cmds) == 1)
					staged_unsupported("this ALTER TABLE subcommand",
									   "It is none of the changes stage() supports.");
				staged_unsupported("this ALTER TABLE subcommand together with ADD COLUMN, DROP COLUMN or ALTER COLUMN TYPE",
							"One staged change either reshapes columns or adds one constraint.");
		}
	}
	req->op = STAGED_RESHAPE;
	if (types > 0 && adds == 0 && drops == 0)
		req->operation = "change_type";
	else if (types > 0)
		req->operation = "reshape";
	else if (drops == 0)
		req->operation = "add_column";
	else if (adds == 0)
		req->operation = "drop_column";
	else if (drops == 1 && adds >= 2)
		req->operation = "split_column";
	else if (adds == 1 && drops >= 2)
		req->operation = "merge_columns";
	else
		req->operation = "reshape";
}

/*
 * One ADD CONSTRAINT or SET NOT NULL.
 */
static void
parse_constraint(StagedRequest *req, AlterTableCmd *cmd)
{
	Constraint *c;

	if (cmd->subtype == AT_SetNotNull)
	{
		req->op = STAGED_SET_NOT_NULL;
		req->operation = "set_not_null";
		req->column = cmd->name;
		return;
	}
	c = castNode(Constraint, cmd->def);
	if (c->skip_validation)
		staged_unsupported("ADD CONSTRAINT ... NOT VALID",
					"stage() adds the constraint NOT VALID itself and validates it after the backfill; leave NOT VALID out.");
	if (c->deferrable || c->initdeferred)
		staged_unsupported("a deferrable constraint", NULL);
	req->constraint = c;
	switch (c->contype)
	{
		case CONSTR_CHECK:
			if (c->is_no_inherit)
				staged_unsupported("CHECK ... NO INHERIT", NULL);
			req->op = STAGED_ADD_CHECK;
			req->operation = "add_check";
			break;
		case CONSTR_FOREIGN:
			if (c->fk_matchtype == FKCONSTR_MATCH_PARTIAL || c->fk_del_set_cols != NIL)
				staged_unsupported("MATCH PARTIAL or ON DELETE SET NULL (columns)", NULL);
			req->op = STAGED_ADD_FOREIGN_KEY;
			req->operation = "add_foreign_key";
			break;
		case CONSTR_UNIQUE:
			if (c->including || c->options || c->indexspace || c->indexname ||
				c->where_clause || c->access_method)
				staged_unsupported("UNIQUE with INCLUDE, WITH, USING INDEX or a tablespace", NULL);
			req->op = STAGED_ADD_UNIQUE;
			req->operation = "add_unique";
			break;
		case CONSTR_PRIMARY:
			staged_unsupported("ADD PRIMARY KEY",
						"Stage ADD UNIQUE and SET NOT NULL of the key columns, then add the primary key USING the unique index in a plain migration.");
			break;
		default:
			staged_unsupported("this kind of constraint", NULL);
	}
}

/*
 * Parse the statement given to stage() with its up and down expressions.
 * Only the parse tree is read: the table need not exist yet.
 */
StagedRequest *
staged_parse(const char *statement, const char *up, const char *down)
{
	List	   *stmts = script_parse(statement, "staged statement");
	StagedRequest *req = palloc0(sizeof(StagedRequest));
	Node	   *node;
	List	   *up_targets = NIL;
	List	   *down_targets = NIL;
	List	   *fix_targets = NIL;
	ListCell   *lc;

	if (list_length(stmts) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("migrator.stage() takes one statement, not %d", list_length(stmts)),
				 errhint("Stage each change under a version of its own; a split or merge of columns is one ALTER TABLE with several subcommands.")));
	node = ((ScriptStatement *) linitial(stmts))->raw->stmt;

	if (IsA(node, RenameStmt))
	{
		RenameStmt *rs = (RenameStmt *) node;

		if (rs->renameType == OBJECT_COLUMN && rs->relationType == OBJECT_TABLE)
		{
			req->op = STAGED_RENAME_COLUMN;
			req->operation = "rename_column";
			req->from_name = rs->subname;
		}
		else if (rs->renameType == OBJECT_TABLE)
		{
			req->op = STAGED_RENAME_TABLE;
			req->operation = "rename_table";
		}
		else
			staged_unsupported(psprintf("%s of this kind of object", command_tag(node)), NULL);
		if (rs->missing_ok)
			staged_unsupported("IF EXISTS", "A staged change names exactly what it changes.");
		req->relation = rs->relation;
		req->to_name = rs->newname;
	}
	else if (IsA(node, AlterTableStmt) &&
			 ((AlterTableStmt *) node)->objtype == OBJECT_TABLE)
	{
		AlterTableStmt *at = (AlterTableStmt *) node;
		AlterTableCmd *first = linitial_node(AlterTableCmd, at->cmds);

		if (at->missing_ok)
			staged_unsupported("IF EXISTS", "A staged change names exactly what it changes.");
		req->relation = at->relation;
		if (first->subtype == AT_SetNotNull || first->subtype == AT_AddConstraint)
		{
			if (list_length(at->cmds) != 1)
				staged_unsupported("several constraints in one statement",
							"Stage each constraint as a change of its own.");
			parse_constraint(req, first);
		}
		else
			parse_reshape(req, at);
	}
	else
		staged_unsupported(command_tag(node), NULL);

	if (!req->relation->inh)
		staged_unsupported("ALTER TABLE ONLY", "The change applies to the whole table.");
	if (req->relation->relpersistence == RELPERSISTENCE_TEMP)
		staged_unsupported("a change of a temporary table", NULL);

	/* Which columns each direction fills. */
	switch (req->op)
	{
		case STAGED_RENAME_COLUMN:
		case STAGED_RENAME_TABLE:
			if (up || down)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("a rename takes no up or down expression"),
						 errdetail("Both versions see the same data under their own names.")));
			break;
		case STAGED_RESHAPE:
			foreach(lc, req->adds)
				up_targets = lappend(up_targets, ((StagedAdd *) lfirst(lc))->name);
			foreach(lc, req->drops)
				down_targets = lappend(down_targets, ((StagedDrop *) lfirst(lc))->name);
			break;
		case STAGED_SET_NOT_NULL:
			fix_targets = list_make1(req->column);
			break;
		case STAGED_ADD_CHECK:
			{
				List	   *cols = NIL;

				(void) raw_columns_walker(req->constraint->raw_expr, &cols);
				foreach(lc, cols)
					fix_targets = lappend(fix_targets, strVal(lfirst(lc)));
				break;
			}
		case STAGED_ADD_FOREIGN_KEY:
			foreach(lc, req->constraint->fk_attrs)
				fix_targets = lappend(fix_targets, strVal(lfirst(lc)));
			break;
		case STAGED_ADD_UNIQUE:
			foreach(lc, req->constraint->keys)
				fix_targets = lappend(fix_targets, strVal(lfirst(lc)));
			break;
	}

	if (req->op == STAGED_RESHAPE)
	{
		List	   *ups = parse_direction(up, up_targets, "up");
		List	   *downs = parse_direction(down, down_targets, "down");

		foreach(lc, req->adds)
		{
			StagedAdd  *add = lfirst(lc);
			ResTarget  *rt = target_for(ups, add->name);

			if (rt && add->up)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("column \"%s\" has both a USING clause and an up expression", add->name),
						 errhint("Give one of them.")));
			if (rt)
				add->up = rt->val;
		}
		foreach(lc, req->drops)
		{
			StagedDrop *drop = lfirst(lc);
			ResTarget  *rt = target_for(downs, drop->name);

			if (rt)
				drop->down = rt->val;
		}
	}
	else if (req->op != STAGED_RENAME_COLUMN && req->op != STAGED_RENAME_TABLE)
	{
		if (down)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("a constraint change takes no down expression"),
					 errdetail("Both versions see the same columns; up fixes the rows that would violate the constraint.")));
		req->fix = parse_direction(up, fix_targets, "up");
	}
	return req;
}

/*
 * Would stage() accept this statement (for lint's "stage it" hint)?
 */
bool
staged_statement_is_supported(Node *stmt)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	bool		ok = true;

	if (!IsA(stmt, RenameStmt) && !IsA(stmt, AlterTableStmt))
		return false;
	PG_TRY();
	{
		/* The parse-only checks of staged_parse(), on this tree. */
		StagedRequest *req = palloc0(sizeof(StagedRequest));

		if (IsA(stmt, RenameStmt))
		{
			RenameStmt *rs = (RenameStmt *) stmt;

			ok = !rs->missing_ok && rs->relation && rs->relation->inh &&
				((rs->renameType == OBJECT_COLUMN && rs->relationType == OBJECT_TABLE) ||
				 rs->renameType == OBJECT_TABLE);
		}
		else
		{
			AlterTableStmt *at = (AlterTableStmt *) stmt;
			AlterTableCmd *first;

			if (at->objtype != OBJECT_TABLE || at->missing_ok || !at->relation->inh)
				ok = false;
			else
			{
				first = linitial_node(AlterTableCmd, at->cmds);
				req->relation = at->relation;
				if (first->subtype == AT_SetNotNull || first->subtype == AT_AddConstraint)
				{
					if (list_length(at->cmds) != 1)
						ok = false;
					else
						parse_constraint(req, first);
				}
				else
					parse_reshape(req, at);
			}
		}
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(oldcxt);
		FlushErrorState();
		ok = false;
	}
	PG_END_TRY();
	return ok;
}

