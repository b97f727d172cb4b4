/*-------------------------------------------------------------------------
 *
 * analyze.c
 *	  What a parsed statement does: the rules of the rule table (rules.c)
 *	  it fires, whether it needs autocommit, whether SPI can run it.
 *
 * A statement that fires no rule is additive.  Rules of kind "staged" mark
 * statements that move data between shapes (backfills, dual-write
 * triggers, NOT VALID constraints and their validation); rules of kind
 * "destructive" mark statements that can lose data or break readers.
 *
 * Classification works on raw parse trees, and looks at the catalog only
 * where the tree cannot tell: ALTER COLUMN TYPE is destructive unless the
 * catalog shows a binary-coercible change of an existing column, SET
 * DEFAULT NULL is not on an inherited column, and a type or relation may
 * be temporary.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/relation.h"
#include "catalog/namespace.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "parser/parse_coerce.h"
#include "parser/parse_type.h"
#include "tcop/cmdtag.h"
#include "tcop/utility.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "migrator.h"
#include "analyze.h"
#include "rules.h"
#include "script.h"

static List *
add_finding(List *findings, const char *rule_id, char *object, int location)
{
	RuleFinding *f = palloc0(sizeof(RuleFinding));

	f->rule = migrator_rule(rule_id);
	f->object = object;
	f->location = location;
	return lappend(findings, f);
}

/*
 * Is the object named "names" qualified with a temporary schema (pg_temp,
 * or another session's pg_temp_N)?
 */
static bool
name_is_temporary(List *names)
{
	return list_length(names) >= 2 &&
		strncmp(strVal(list_nth(names, list_length(names) - 2)), "pg_temp", 7) == 0;
}

/* Is type "typid" in a temporary schema? */
static bool
typid_is_temporary(Oid typid)
{
	HeapTuple	tuple = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
	bool		temp = false;

	if (HeapTupleIsValid(tuple))
	{
		temp = isAnyTempNamespace(((Form_pg_type) GETSTRUCT(tuple))->typnamespace);
		ReleaseSysCache(tuple);
	}
	return temp;
}

/*
 * Is "type" temporary?  Decided by name (pg_temp) or, when the type exists,
 * by its schema.  A permanent table typed by a temporary type, or with a
 * column of one, loses the table or the column when the session ends:
 * temporary-schema cleanup drops what depends on its objects, and runs no
 * utility statement that the guard would see.
 */
static bool
type_is_temporary(TypeName *type)
{
	Oid			typid;
	Oid			temp_nsp;
	Oid			temp_toast_nsp;

	if (type == NULL)
		return false;

	/*
	 * Without a temporary schema of its own, a session can name another
	 * session's temporary type only with its schema (pg_temp_N).  Checked
	 * first: this runs for every column of every CREATE TABLE.
	 */
	GetTempNamespaceState(&temp_nsp, &temp_toast_nsp);
	if (!OidIsValid(temp_nsp) && !name_is_temporary(type->names))
		return false;
	typid = LookupTypeNameOid(NULL, type, true);
	return OidIsValid(typid) && typid_is_temporary(typid);
}

/*
 * Does "rv" name a temporary table or view?  Without a temporary schema
 * of its own, a session names another's only as pg_temp_N.relation.
 */
static bool
relation_is_temporary(RangeVar *rv)
{
	Oid			relid;
	Oid			temp_nsp;
	Oid			temp_toast_nsp;

	if (rv->relpersistence == RELPERSISTENCE_TEMP ||
		(rv->schemaname && strncmp(rv->schemaname, "pg_temp", 7) == 0))
		return true;
	GetTempNamespaceState(&temp_nsp, &temp_toast_nsp);
	if (!OidIsValid(temp_nsp) || rv->schemaname != NULL)
		return false;
	relid = RangeVarGetRelid(rv, NoLock, true);
	return OidIsValid(relid) && get_rel_persistence(relid) == RELPERSISTENCE_TEMP;
}

/*
 * Does the raw expression "expr" call a temporary function (only reachable
 * as pg_temp.f()) or cast to a temporary type?  A permanent object whose
 * default or constraint does so goes when the session ends.
 */
static bool
expression_uses_temporary_walker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, FuncCall) && name_is_temporary(((FuncCall *) node)->funcname))
		return true;
	if (IsA(node, TypeCast) && type_is_temporary(((TypeCast *) node)->typeName))
		return true;
	if (IsA(node, RangeVar) && relation_is_temporary((RangeVar *) node))
		return true;
	return raw_expression_tree_walker(node, expression_uses_temporary_walker, context);
}

static bool
expression_uses_temporary(Node *expr)
{
	return expression_uses_temporary_walker(expr, NULL);
}

/*
 * Does the body of a SQL-standard function (RETURN expr, or BEGIN ATOMIC
 * with DML statements) read a temporary table or view, call a temporary
 * function or use a temporary type?  Such a body is recorded as a
 * dependency: the end of the session drops the permanent function, and
 * with it the defaults and views that call it.
 */
static bool
body_uses_temporary(Node *body)
{
	ListCell   *lc;

	if (body == NULL)
		return false;
	if (IsA(body, List))
	{
		foreach(lc, (List *) body)
			if (body_uses_temporary(lfirst(lc)))
				return true;
		return false;
	}
	if (IsA(body, ReturnStmt))
		return expression_uses_temporary(((ReturnStmt *) body)->returnval);
	if (IsA(body, SelectStmt) || IsA(body, InsertStmt) || IsA(body, UpdateStmt) ||
		IsA(body, DeleteStmt) || IsA(body, MergeStmt))
		return expression_uses_temporary(body);
	return false;
}

/*
 * Does a column definition's default, generated expression or check call
 * a temporary function or cast to a temporary type?  The session's end
 * drops the default (and a generated column with its data).
 */
static bool
column_uses_temporary(ColumnDef *def)
{
	ListCell   *lc;

	foreach(lc, def->constraints)
	{
		Constraint *con = lfirst(lc);

		if (IsA(con, Constraint) && expression_uses_temporary(con->raw_expr))
			return true;
	}
	return expression_uses_temporary(def->raw_default);
}

/*
 * Has relation "relid" a column of a temporary type?
 */
bool
relation_has_temporary_column(Oid relid)
{
	Relation	rel;
	bool		found = false;
	int			i;

	rel = relation_open(relid, AccessShareLock);
	for (i = 0; i < RelationGetDescr(rel)->natts && !found; i++)
	{
		Form_pg_attribute att = TupleDescAttr(RelationGetDescr(rel), i);

		found = !att->attisdropped && typid_is_temporary(att->atttypid);
	}
	relation_close(rel, AccessShareLock);
	return found;
}

/*
 * Has the temporary relation "rv" names a column of a temporary type?
 * CREATE TABLE ... (LIKE it) would copy that column into a permanent table.
 */
static bool
temporary_relation_has_temporary_column(RangeVar *rv)
{
	Oid			relid = RangeVarGetRelid(rv, NoLock, true);

	return OidIsValid(relid) && get_rel_persistence(relid) == RELPERSISTENCE_TEMP &&
		relation_has_temporary_column(relid);
}

/* Is the relation "rv" names (or will name) permanent? */
static bool
relation_is_permanent(RangeVar *rv)
{
	Oid			relid;

	if (rv == NULL || rv->relpersistence == RELPERSISTENCE_TEMP)
		return false;
	if (rv->schemaname && strcmp(rv->schemaname, "pg_temp") == 0)
		return false;
	relid = RangeVarGetRelid(rv, NoLock, true);
	return !OidIsValid(relid) || get_rel_persistence(relid) != RELPERSISTENCE_TEMP;
}

/*
 * A printable name for one element of DropStmt.objects.
 */
static char *
drop_object_name(Node *obj)
{
	if (obj == NULL)
		return NULL;
	switch (nodeTag(obj))
	{
		case T_String:
			return pstrdup(strVal(obj));
		case T_TypeName:
			return TypeNameToString((TypeName *) obj);
		case T_ObjectWithArgs:
			return NameListToString(((ObjectWithArgs *) obj)->objname);
		case T_List:
			{
				ListCell   *lc;

				foreach(lc, (List *) obj)
					if (!IsA(lfirst(lc), String))
						return NULL;
				return NameListToString((List *) obj);
			}
		default:
			return NULL;
	}
}

static const char *
drop_rule_id(ObjectType type)
{
	switch (type)
	{
		case OBJECT_TABLE:
		case OBJECT_FOREIGN_TABLE:
			return "drop_table";
		case OBJECT_VIEW:
		case OBJECT_MATVIEW:
			return "drop_view";
		case OBJECT_SCHEMA:
			return "drop_schema";
		case OBJECT_TYPE:
		case OBJECT_DOMAIN:
			return "drop_type";
		case OBJECT_FUNCTION:
		case OBJECT_PROCEDURE:
		case OBJECT_ROUTINE:
		case OBJECT_AGGREGATE:
			return "drop_function";
		case OBJECT_SEQUENCE:
			return "drop_sequence";
		case OBJECT_INDEX:
			return "drop_index";
		case OBJECT_TRIGGER:
		case OBJECT_EVENT_TRIGGER:
			return "drop_trigger";
		case OBJECT_EXTENSION:
			return "drop_extension";
		default:
			return "drop_other";
	}
}

/* "schema.name" or "name", as "rv" was written. */
char *
relation_name(RangeVar *rv)
{
	if (rv == NULL)
		return NULL;
	if (rv->schemaname)
		return psprintf("%s.%s", rv->schemaname, rv->relname);
	return pstrdup(rv->relname);
}

static char *
column_name(RangeVar *rv, const char *column)
{
	char	   *rel = relation_name(rv);

	if (column == NULL)
		return rel;
	return rel ? psprintf("%s.%s", rel, column) : pstrdup(column);
}

/*
 * Is "expr" (a raw expression) NULL, possibly cast or collated?  A column
 * or domain stores no default for it, so SET DEFAULT NULL drops the default.
 */
static bool
expression_is_null_constant(Node *expr)
{
	while (expr != NULL)
	{
		if (IsA(expr, A_Const))
			return ((A_Const *) expr)->isnull;
		if (IsA(expr, TypeCast))
			expr = ((TypeCast *) expr)->arg;
		else if (IsA(expr, CollateClause))
			expr = ((CollateClause *) expr)->arg;
		else
			return false;
	}
	return false;
}

/* Is column "column" of the relation "rv" names inherited from a parent? */
static bool
column_is_inherited(RangeVar *rv, const char *column)
{
	Oid			relid = rv ? RangeVarGetRelid(rv, NoLock, true) : InvalidOid;
	HeapTuple	tuple;
	bool		inherited = false;

	/* A partition's columns are inherited too, but pg_dump gives them no SET DEFAULT NULL. */
	if (!OidIsValid(relid) || column == NULL || get_rel_relispartition(relid))
		return false;
	tuple = SearchSysCacheAttName(relid, column);
	if (HeapTupleIsValid(tuple))
	{
		inherited = ((Form_pg_attribute) GETSTRUCT(tuple))->attinhcount > 0;
		ReleaseSysCache(tuple);
	}
	return inherited;
}

/*
 * Is a value of type "oldtype" (modifier "oldmod") kept, with its meaning,
 * as a value of "newtype" ("newmod")?  "Binary coercible" is wider: a
 * domain to its base type drops the domain's constraints, int to oid or
 * regclass changes arithmetic and output, xml to text and cidr to inet
 * change the operators.  Only these widenings qualify: the same type with
 * its modifier dropped or widened (varchar and bit varying length, numeric
 * precision with the same scale, fractional digits of timestamp and time),
 * varchar to text and text to unbounded varchar, a wider integer.
 */
static bool
type_change_is_lossless(Oid oldtype, int32 oldmod, Oid newtype, int32 newmod)
{
	if (oldtype == newtype)
	{
		if (newmod == oldmod)
			return true;
		switch (oldtype)
		{
			case VARCHAROID:
			case VARBITOID:
			case TIMESTAMPOID:
			case TIMESTAMPTZOID:
			case TIMEOID:
			case TIMETZOID:
				return newmod == -1 || (oldmod != -1 && newmod >= oldmod);
			case NUMERICOID:
				/* typmod: ((precision << 16) | scale) + VARHDRSZ */
				if (newmod == -1)
					return true;
				return oldmod != -1 &&
					((oldmod - VARHDRSZ) & 0xffff) == ((newmod - VARHDRSZ) & 0xffff) &&
					((newmod - VARHDRSZ) >> 16) >= ((oldmod - VARHDRSZ) >> 16);
			default:
				return false;
		}
	}
	if (oldtype == VARCHAROID && newtype == TEXTOID)
		return true;
	if (oldtype == TEXTOID && newtype == VARCHAROID)
		return newmod == -1;
	if (oldtype == INT2OID)
		return newtype == INT4OID || newtype == INT8OID;
	if (oldtype == INT4OID)
		return newtype == INT8OID;
	return false;
}

/*
 * Is ALTER COLUMN TYPE on "rel" a change the server does without loss: an
 * existing column, no USING, the same collation, and a lossless widening
 * (type_change_is_lossless())?  Anything we cannot prove safe is treated
 * as destructive.
 */
bool
alter_column_type_is_safe(RangeVar *rel, AlterTableCmd *cmd)
{
	ColumnDef  *def = (ColumnDef *) cmd->def;
	Oid			relid;
	AttrNumber	attnum;
	Oid			oldtype;
	int32		oldtypmod;
	Oid			oldcoll;
	Type		newtup;
	Oid			newtype;
	int32		newtypmod;

	/*
	 * A temporary type would take the column with it at session end; a
	 * change of collation (explicit, or the new type's default) rebuilds
	 * indexes and changes ordering, and is checked below.
	 */
	if (rel == NULL || def == NULL || !IsA(def, ColumnDef) ||
		def->raw_default != NULL || def->typeName == NULL ||
		type_is_temporary(def->typeName))
		return false;
	relid = RangeVarGetRelid(rel, NoLock, true);
	if (!OidIsValid(relid))
		return false;
	attnum = get_attnum(relid, cmd->name);
	if (attnum == InvalidAttrNumber)
		return false;
	get_atttypetypmodcoll(relid, attnum, &oldtype, &oldtypmod, &oldcoll);
	newtup = LookupTypeName(NULL, def->typeName, &newtypmod, true);
	if (newtup == NULL)
		return false;
	newtype = typeTypeId(newtup);
	ReleaseSysCache(newtup);

	/* Without COLLATE the column takes the type's default collation. */
	if ((def->collClause
		 ? get_collation_oid(def->collClause->collname, true)
		 : get_typcollation(newtype)) != oldcoll)
		return false;
	return type_change_is_lossless(oldtype, oldtypmod, newtype, newtypmod);
}

/*
 * Does ALTER COLUMN TYPE on "rel" rewrite the table?  Lossless changes of
 * the type modifier and binary-coercible changes (varchar to text, a
 * domain to its base type) are done in place; a wider integer, USING, a
 * shorter length and anything else rewrite.
 */
bool
alter_column_type_rewrites(RangeVar *rel, AlterTableCmd *cmd)
{
	ColumnDef  *def = (ColumnDef *) cmd->def;
	Oid			relid;
	AttrNumber	attnum;
	Oid			oldtype;
	int32		oldtypmod;
	Oid			oldcoll;
	Type		newtup;
	Oid			newtype;
	int32		newtypmod;

	if (rel == NULL || def == NULL || !IsA(def, ColumnDef) ||
		def->raw_default != NULL || def->typeName == NULL)
		return true;
	relid = RangeVarGetRelid(rel, NoLock, true);
	attnum = OidIsValid(relid) ? get_attnum(relid, cmd->name) : InvalidAttrNumber;
	if (attnum == InvalidAttrNumber)
		return true;
	get_atttypetypmodcoll(relid, attnum, &oldtype, &oldtypmod, &oldcoll);
	newtup = LookupTypeName(NULL, def->typeName, &newtypmod, true);
	if (newtup == NULL)
		return true;
	newtype = typeTypeId(newtup);
	ReleaseSysCache(newtup);
	if (oldtype == newtype)
		return !type_change_is_lossless(oldtype, oldtypmod, newtype, newtypmod);
	return !IsBinaryCoercible(oldtype, newtype);
}

/* Does a list of DefElem (sequence or identity options) hold "name"? */
static bool
options_have(List *options, const char *name)
{
	ListCell   *lc;

	foreach(lc, options)
		if (IsA(lfirst(lc), DefElem) && strcmp(((DefElem *) lfirst(lc))->defname, name) == 0)
			return true;
	return false;
}

static List *classify_node(Node *stmt, List *findings);

/* Data-modifying statements hidden in WITH clauses. */
static List *
classify_with(WithClause *with, List *findings)
{
	ListCell   *lc;

	if (with == NULL)
		return findings;
	foreach(lc, with->ctes)
	{
		CommonTableExpr *cte = lfirst_node(CommonTableExpr, lc);

		findings = classify_node(cte->ctequery, findings);
	}
	return findings;
}

static List *
classify_alter_table(AlterTableStmt *stmt, List *findings)
{
	ListCell   *lc;

	foreach(lc, stmt->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);
		const char *rule = NULL;
		char	   *object = NULL;

		switch (cmd->subtype)
		{
			case AT_DropColumn:
				rule = "drop_column";
				object = column_name(stmt->relation, cmd->name);
				break;
			case AT_DropConstraint:
				rule = "drop_constraint";
				object = column_name(stmt->relation, cmd->name);
				break;
			case AT_ColumnDefault:
				/*
				 * SET DEFAULT NULL removes a default as DROP DEFAULT does,
				 * except on an inherited column: pg_dump writes it for an
				 * inheritance child that dropped an inherited default, and
				 * a restore must not be refused.
				 */
				if (cmd->def == NULL ||
					(expression_is_null_constant(cmd->def) &&
					 !column_is_inherited(stmt->relation, cmd->name)))
				{
					rule = "drop_default";
					object = column_name(stmt->relation, cmd->name);
				}
				else if (expression_uses_temporary(cmd->def) &&
						 relation_is_permanent(stmt->relation))
				{
					rule = "depends_on_temporary";
					object = column_name(stmt->relation, cmd->name);
				}
				break;
			case AT_SetUnLogged:
				rule = "set_unlogged";
				object = relation_name(stmt->relation);
				break;
			case AT_SetIdentity:
				if (options_have(castNode(List, cmd->def), "restart"))
				{
					rule = "restart_sequence";
					object = column_name(stmt->relation, cmd->name);
				}
				break;
			case AT_DropIdentity:
			case AT_DropExpression:
				rule = "drop_default";
				object = column_name(stmt->relation, cmd->name);
				break;
			case AT_DropNotNull:
				rule = "drop_not_null";
				object = column_name(stmt->relation, cmd->name);
				break;
			case AT_AlterColumnType:
				if (!alter_column_type_is_safe(stmt->relation, cmd))
				{
					rule = "alter_column_type";
					object = column_name(stmt->relation, cmd->name);
				}
				break;
			case AT_DisableTrig:
			case AT_DisableTrigAll:
			case AT_DisableTrigUser:
			case AT_EnableReplicaTrig:
				rule = "disable_trigger";
				object = column_name(stmt->relation, cmd->name);
				break;
			case AT_DisableRule:
			case AT_EnableReplicaRule:
				rule = "disable_rule";
				object = column_name(stmt->relation, cmd->name);
				break;
			case AT_DisableRowSecurity:
			case AT_NoForceRowSecurity:
				rule = "disable_row_security";
				object = relation_name(stmt->relation);
				break;
			case AT_DetachPartition:
			case AT_DetachPartitionFinalize:
			case AT_DropInherit:
				rule = "detach_partition";
				object = relation_name(stmt->relation);
				break;
			case AT_AddOf:
				if (type_is_temporary((TypeName *) cmd->def) &&
					relation_is_permanent(stmt->relation))
				{
					rule = "depends_on_temporary";
					object = relation_name(stmt->relation);
				}
				break;
			case AT_AddColumn:
				if (cmd->def && IsA(cmd->def, ColumnDef) &&
					(type_is_temporary(((ColumnDef *) cmd->def)->typeName) ||
					 column_uses_temporary((ColumnDef *) cmd->def)) &&
					relation_is_permanent(stmt->relation))
				{
					rule = "depends_on_temporary";
					object = column_name(stmt->relation, ((ColumnDef *) cmd->def)->colname);
				}
				break;
			case AT_AddConstraint:
				if (cmd->def && IsA(cmd->def, Constraint) &&
					((Constraint *) cmd->def)->skip_validation)
				{
					rule = "not_valid_constraint";
					object = relation_name(stmt->relation);
				}
				break;
			case AT_ValidateConstraint:
				rule = "validate_constraint";
				object = column_name(stmt->relation, cmd->name);
				break;
			default:
				break;
		}
		if (rule)
			findings = add_finding(findings, rule, object,
								   stmt->relation ? stmt->relation->location : -1);
	}
	return findings;
}

/*
 * Is a RENAME destructive?  Readers name tables, views, columns, types and
 * functions; index, constraint, trigger, rule, policy and statistics names
 * are the schema's own.  ALTER INDEX renames tables and views too, ALTER
 * TABLE indexes: a relation is judged by what it is, not by the command.
 */
static bool
rename_is_destructive(RenameStmt *rs)
{
	switch (rs->renameType)
	{
		case OBJECT_TABLE:
		case OBJECT_VIEW:
		case OBJECT_MATVIEW:
		case OBJECT_INDEX:
		case OBJECT_SEQUENCE:
		case OBJECT_FOREIGN_TABLE:
			{
				Oid			relid = rs->relation
				? RangeVarGetRelid(rs->relation, NoLock, true) : InvalidOid;
				char		relkind;

				if (!OidIsValid(relid))
					return rs->renameType != OBJECT_INDEX;
				relkind = get_rel_relkind(relid);
				return relkind != RELKIND_INDEX && relkind != RELKIND_PARTITIONED_INDEX;
			}
		case OBJECT_TABCONSTRAINT:
		case OBJECT_DOMCONSTRAINT:
		case OBJECT_TRIGGER:
		case OBJECT_RULE:
		case OBJECT_POLICY:
		case OBJECT_STATISTIC_EXT:
			return false;
		default:
			return true;
	}
}

static List *
classify_node(Node *stmt, List *findings)
{
	if (stmt == NULL)
		return findings;

	switch (nodeTag(stmt))
	{
		case T_DropStmt:
			{
				DropStmt   *ds = (DropStmt *) stmt;
				const char *rule = drop_rule_id(ds->removeType);
				ListCell   *lc;

				foreach(lc, ds->objects)
					findings = add_finding(findings, rule,
										   drop_object_name(lfirst(lc)), -1);
				if (ds->behavior == DROP_CASCADE)
					findings = add_finding(findings, "drop_cascade", NULL, -1);
				break;
			}
		case T_TruncateStmt:
			{
				ListCell   *lc;

				foreach(lc, ((TruncateStmt *) stmt)->relations)
				{
					RangeVar   *rv = lfirst_node(RangeVar, lc);

					findings = add_finding(findings, "truncate",
										   relation_name(rv), rv->location);
				}
				break;
			}
		case T_DeleteStmt:
			{
				DeleteStmt *ds = (DeleteStmt *) stmt;

				findings = classify_with(ds->withClause, findings);
				findings = add_finding(findings, "delete_rows",
									   relation_name(ds->relation),
									   ds->relation->location);
				break;
			}
		case T_UpdateStmt:
			{
				UpdateStmt *us = (UpdateStmt *) stmt;

				findings = classify_with(us->withClause, findings);
				findings = add_finding(findings, "update_rows",
									   relation_name(us->relation),
									   us->relation->location);
				break;
			}
		case T_MergeStmt:
			{
				MergeStmt  *ms = (MergeStmt *) stmt;

				findings = classify_with(ms->withClause, findings);
				findings = add_finding(findings, "update_rows",
									   relation_name(ms->relation),
									   ms->relation->location);
				break;
			}
		case T_InsertStmt:
			{
				InsertStmt *is = (InsertStmt *) stmt;
				SelectStmt *sel = (SelectStmt *) is->selectStmt;

				findings = classify_with(is->withClause, findings);
				if (sel && IsA(sel, SelectStmt) &&
					(sel->fromClause != NIL || sel->op != SETOP_NONE))
					findings = add_finding(findings, "insert_select",
										   relation_name(is->relation),
										   is->relation->location);
				if (sel && IsA(sel, SelectStmt))
					findings = classify_with(sel->withClause, findings);
				break;
			}
		case T_SelectStmt:
			findings = classify_with(((SelectStmt *) stmt)->withClause, findings);
			break;
		case T_AlterTableStmt:
			findings = classify_alter_table((AlterTableStmt *) stmt, findings);
			break;
		case T_AlterDomainStmt:
			{
				AlterDomainStmt *ad = (AlterDomainStmt *) stmt;
				char	   *name = NameListToString(ad->typeName);

				switch (ad->subtype)
				{
					case 'T':
						if (ad->def == NULL || expression_is_null_constant(ad->def))
							findings = add_finding(findings, "drop_default", name, -1);
						else if (expression_uses_temporary(ad->def) &&
								 !name_is_temporary(ad->typeName))
							findings = add_finding(findings, "depends_on_temporary", name, -1);
						break;
					case 'C':
						if (ad->def && IsA(ad->def, Constraint) &&
							expression_uses_temporary(((Constraint *) ad->def)->raw_expr) &&
							!name_is_temporary(ad->typeName))
							findings = add_finding(findings, "depends_on_temporary", name, -1);
						break;
					case 'N':
						findings = add_finding(findings, "drop_not_null", name, -1);
						break;
					case 'X':
						findings = add_finding(findings, "drop_constraint",
											   psprintf("%s.%s", name, ad->name), -1);
						if (ad->behavior == DROP_CASCADE)
							findings = add_finding(findings, "drop_cascade", NULL, -1);
						break;
					case 'V':
						findings = add_finding(findings, "validate_constraint",
											   psprintf("%s.%s", name, ad->name), -1);
						break;
					default:
						break;
				}
				break;
			}
		case T_RenameStmt:
			{
				RenameStmt *rs = (RenameStmt *) stmt;
				char	   *object;

				if (!rename_is_destructive(rs))
					break;
				if (rs->relation)
					object = column_name(rs->relation, rs->subname);
				else if (rs->object)
					object = drop_object_name(rs->object);
				else
					object = rs->subname ? pstrdup(rs->subname) : NULL;
				findings = add_finding(findings, "rename", object,
									   rs->relation ? rs->relation->location : -1);
				break;
			}
		case T_AlterEnumStmt:
			if (((AlterEnumStmt *) stmt)->oldVal != NULL)
				findings = add_finding(findings, "rename",
									   psprintf("%s.%s",
												NameListToString(((AlterEnumStmt *) stmt)->typeName),
												((AlterEnumStmt *) stmt)->oldVal), -1);
			break;
		case T_AlterObjectSchemaStmt:
			{
				AlterObjectSchemaStmt *as = (AlterObjectSchemaStmt *) stmt;

				findings = add_finding(findings, "set_schema",
									   as->relation ? relation_name(as->relation)
									   : drop_object_name(as->object),
									   as->relation ? as->relation->location : -1);
				break;
			}
		case T_DropOwnedStmt:
			findings = add_finding(findings, "drop_owned", NULL, -1);
			break;
		case T_DropdbStmt:
			findings = add_finding(findings, "drop_database",
								   pstrdup(((DropdbStmt *) stmt)->dbname), -1);
			break;
		case T_DropRoleStmt:
			findings = add_finding(findings, "drop_role", NULL, -1);
			break;
		case T_DropTableSpaceStmt:
			findings = add_finding(findings, "drop_tablespace",
								   pstrdup(((DropTableSpaceStmt *) stmt)->tablespacename), -1);
			break;
		case T_DropSubscriptionStmt:
			findings = add_finding(findings, "drop_other",
								   pstrdup(((DropSubscriptionStmt *) stmt)->subname), -1);
			break;
		case T_DropUserMappingStmt:
			findings = add_finding(findings, "drop_other", NULL, -1);
			break;
		case T_AlterEventTrigStmt:
			if (((AlterEventTrigStmt *) stmt)->tgenabled == TRIGGER_DISABLED ||
				((AlterEventTrigStmt *) stmt)->tgenabled == TRIGGER_FIRES_ON_REPLICA)
				findings = add_finding(findings, "disable_trigger",
									   pstrdup(((AlterEventTrigStmt *) stmt)->trigname), -1);
			break;
		case T_CreateTrigStmt:
			{
				CreateTrigStmt *ct = (CreateTrigStmt *) stmt;
				Oid			relid;

				findings = add_finding(findings, "create_trigger",
									   relation_name(ct->relation), ct->relation->location);
				if ((name_is_temporary(ct->funcname) || expression_uses_temporary(ct->whenClause)) &&
					relation_is_permanent(ct->relation))
					findings = add_finding(findings, "depends_on_temporary",
										   column_name(ct->relation, ct->trigname),
										   ct->relation->location);
				if (ct->replace &&
					OidIsValid(relid = RangeVarGetRelid(ct->relation, NoLock, true)) &&
					OidIsValid(get_trigger_oid(relid, ct->trigname, true)))
					findings = add_finding(findings, "replace_trigger",
										   column_name(ct->relation, ct->trigname),
										   ct->relation->location);
				break;
			}
		case T_CreatePolicyStmt:
			{
				CreatePolicyStmt *cp = (CreatePolicyStmt *) stmt;

				if ((expression_uses_temporary(cp->qual) || expression_uses_temporary(cp->with_check)) &&
					relation_is_permanent(cp->table))
					findings = add_finding(findings, "depends_on_temporary",
										   column_name(cp->table, cp->policy_name),
										   cp->table->location);
				break;
			}
		case T_AlterPolicyStmt:
			{
				AlterPolicyStmt *ap = (AlterPolicyStmt *) stmt;

				if ((expression_uses_temporary(ap->qual) || expression_uses_temporary(ap->with_check)) &&
					relation_is_permanent(ap->table))
					findings = add_finding(findings, "depends_on_temporary",
										   column_name(ap->table, ap->policy_name),
										   ap->table->location);
				break;
			}
		case T_CreateFunctionStmt:
			{
				CreateFunctionStmt *cf = (CreateFunctionStmt *) stmt;
				bool		temp = type_is_temporary(cf->returnType) ||
				body_uses_temporary(cf->sql_body);
				ListCell   *lc;

				foreach(lc, cf->parameters)
					if (type_is_temporary(lfirst_node(FunctionParameter, lc)->argType))
						temp = true;
				if (temp && !name_is_temporary(cf->funcname))
					findings = add_finding(findings, "depends_on_temporary",
										   NameListToString(cf->funcname), -1);
				break;
			}
		case T_RefreshMatViewStmt:
			if (((RefreshMatViewStmt *) stmt)->skipData)
				findings = add_finding(findings, "refresh_no_data",
									   relation_name(((RefreshMatViewStmt *) stmt)->relation),
									   ((RefreshMatViewStmt *) stmt)->relation->location);
			break;
		case T_RuleStmt:
			{
				RuleStmt   *rs = (RuleStmt *) stmt;
				Oid			relid;
				char		relkind;

				/*
				 * ON SELECT rules make views (pg_dump's way to break a
				 * circular dependency); on views, INSTEAD rules make them
				 * writable.  On a table, an INSTEAD rule takes the writes.
				 */
				if (!rs->instead || rs->event == CMD_SELECT)
					break;
				relid = RangeVarGetRelid(rs->relation, NoLock, true);
				relkind = OidIsValid(relid) ? get_rel_relkind(relid) : RELKIND_RELATION;
				if (relkind == RELKIND_RELATION || relkind == RELKIND_PARTITIONED_TABLE ||
					relkind == RELKIND_FOREIGN_TABLE)
					findings = add_finding(findings, "instead_rule",
										   column_name(rs->relation, rs->rulename),
										   rs->relation->location);
				break;
			}
		case T_AlterPublicationStmt:
			{
				AlterPublicationStmt *ap = (AlterPublicationStmt *) stmt;

				if (ap->action == AP_DropObjects || ap->action == AP_SetObjects ||
					ap->options != NIL)
					findings = add_finding(findings, "unpublish", pstrdup(ap->pubname), -1);
				break;
			}
		case T_AlterSeqStmt:
			if (options_have(((AlterSeqStmt *) stmt)->options, "restart"))
				findings = add_finding(findings, "restart_sequence",
									   relation_name(((AlterSeqStmt *) stmt)->sequence),
									   ((AlterSeqStmt *) stmt)->sequence->location);
			break;
		case T_AlterExtensionContentsStmt:
			if (((AlterExtensionContentsStmt *) stmt)->action > 0)
				findings = add_finding(findings, "alter_extension_add",
									   pstrdup(((AlterExtensionContentsStmt *) stmt)->extname), -1);
			break;
		case T_CreateSchemaStmt:
			{
				ListCell   *lc;

				/* Its elements run as subcommands: judge them here. */
				foreach(lc, ((CreateSchemaStmt *) stmt)->schemaElts)
					findings = classify_node(lfirst(lc), findings);
			}
			break;
		case T_CompositeTypeStmt:
			{
				CompositeTypeStmt *ct = (CompositeTypeStmt *) stmt;
				ListCell   *lc;

				foreach(lc, ct->coldeflist)
					if (IsA(lfirst(lc), ColumnDef) &&
						type_is_temporary(((ColumnDef *) lfirst(lc))->typeName) &&
						relation_is_permanent(ct->typevar))
						findings = add_finding(findings, "depends_on_temporary",
											   relation_name(ct->typevar), -1);
			}
			break;
		case T_CreateDomainStmt:
			{
				CreateDomainStmt *cd = (CreateDomainStmt *) stmt;
				ListCell   *lc;
				bool		temp = type_is_temporary(cd->typeName);

				foreach(lc, cd->constraints)
					if (IsA(lfirst(lc), Constraint) &&
						expression_uses_temporary(((Constraint *) lfirst(lc))->raw_expr))
						temp = true;
				if (temp && !name_is_temporary(cd->domainname))
					findings = add_finding(findings, "depends_on_temporary",
										   NameListToString(cd->domainname), -1);
			}
			break;
		case T_CreateStmt:
			{
				CreateStmt *cs = (CreateStmt *) stmt;
				ListCell   *lc;

				/* Types first: without a temporary schema that is cheap. */
				if (type_is_temporary(cs->ofTypename) &&
					relation_is_permanent(cs->relation))
					findings = add_finding(findings, "depends_on_temporary",
										   relation_name(cs->relation),
										   cs->relation->location);
				foreach(lc, cs->tableElts)
				{
					if (IsA(lfirst(lc), ColumnDef) &&
						(type_is_temporary(((ColumnDef *) lfirst(lc))->typeName) ||
						 column_uses_temporary((ColumnDef *) lfirst(lc))) &&
						relation_is_permanent(cs->relation))
						findings = add_finding(findings, "depends_on_temporary",
											   column_name(cs->relation,
														   ((ColumnDef *) lfirst(lc))->colname),
											   cs->relation->location);
					if (IsA(lfirst(lc), TableLikeClause) &&
						temporary_relation_has_temporary_column(((TableLikeClause *) lfirst(lc))->relation) &&
						relation_is_permanent(cs->relation))
						findings = add_finding(findings, "depends_on_temporary",
											   relation_name(cs->relation),
											   cs->relation->location);
				}
			}
			break;
		default:
			break;
	}
	return findings;
}

/*
 * The findings (List of RuleFinding) of one parsed statement.
 */
List *
classify_statement(Node *stmt)
{
	return classify_node(stmt, NIL);
}

/*
 * Classify a whole script (List of ScriptStatement).  Returns the highest
 * kind found; *findings_out, when given, receives a List of List of
 * RuleFinding, one list per statement.
 */
MigrationKind
classify_script(List *statements, List **findings_out)
{
	MigrationKind kind = MIGRATION_ADDITIVE;
	List	   *all = NIL;
	ListCell   *lc;

	foreach(lc, statements)
	{
		ScriptStatement *st = lfirst(lc);
		List	   *findings = classify_statement(st->raw->stmt);
		ListCell   *fc;

		foreach(fc, findings)
		{
			RuleFinding *f = lfirst(fc);

			if (f->rule->kind > kind)
				kind = f->rule->kind;
		}
		all = lappend(all, findings);
	}
	if (findings_out)
		*findings_out = all;
	return kind;
}

/*
 * Statements PostgreSQL refuses inside a transaction block: a migration that
 * holds one must be registered with transactional => false.
 */
bool
statement_needs_autocommit(Node *stmt)
{
	switch (nodeTag(stmt))
	{
		case T_VacuumStmt:
			return ((VacuumStmt *) stmt)->is_vacuumcmd;
		case T_IndexStmt:
			return ((IndexStmt *) stmt)->concurrent;
		case T_DropStmt:
			return ((DropStmt *) stmt)->concurrent;
		case T_ReindexStmt:
			{
				ListCell   *lc;

				if (((ReindexStmt *) stmt)->kind != REINDEX_OBJECT_INDEX &&
					((ReindexStmt *) stmt)->kind != REINDEX_OBJECT_TABLE)
					return true;
				foreach(lc, ((ReindexStmt *) stmt)->params)
				{
					DefElem    *opt = lfirst_node(DefElem, lc);

					if (strcmp(opt->defname, "concurrently") == 0)
						return true;
				}
				return false;
			}
		case T_AlterTableStmt:
			{
				ListCell   *lc;

				foreach(lc, ((AlterTableStmt *) stmt)->cmds)
				{
					AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

					if (cmd->subtype == AT_DetachPartition &&
						((PartitionCmd *) cmd->def)->concurrent)
						return true;
				}
				return false;
			}
		case T_CreatedbStmt:
		case T_DropdbStmt:
		case T_CreateTableSpaceStmt:
		case T_DropTableSpaceStmt:
		case T_AlterSystemStmt:
			return true;
		case T_ClusterStmt:
			return ((ClusterStmt *) stmt)->relation == NULL;
		default:
			return false;
	}
}

/*
 * Statements SPI cannot run at all: a migration never holds them.
 */
const char *
statement_unsupported_reason(Node *stmt)
{
	switch (nodeTag(stmt))
	{
		case T_TransactionStmt:
			return "transaction control statements";
		case T_CopyStmt:
			if (((CopyStmt *) stmt)->filename == NULL)
				return "COPY to or from the client";
			return NULL;
		default:
			return NULL;
	}
}

/*
 * The command tag of a statement, e.g. "DROP TABLE".
 */
const char *
statement_tag(Node *stmt)
{
	return GetCommandTagName(CreateCommandTag(stmt));
}
