/*-------------------------------------------------------------------------
 *
 * analyze.c
 *	  The one statement analyser: what a parsed statement does.
 *
 * analyze_statement() works out, once per statement, everything lint(),
 * plan(), register() and the guard ask (see analyze.h): the rules of the
 * rule table (rules.c) it fires, the lock and rewrite hazards, whether its
 * destructive findings destroy nothing, the table locks it takes, whether
 * it needs autocommit.  This is the only file that judges a statement by
 * its parse-node tag; "is this object new" is answered by an oracle
 * (newness.c), by name or by catalog, and what a statement creates is
 * noted for the by-name oracle as the statements go by.
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

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/sysattr.h"
#include "access/table.h"
#include "catalog/index.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/partition.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_index.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_opclass.h"
#include "catalog/pg_policy.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_publication.h"
#include "catalog/pg_publication_rel.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "catalog/dependency.h"
#include "catalog/pg_sequence.h"
#include "commands/defrem.h"
#include "commands/extension.h"
#include "commands/policy.h"
#include "commands/tablecmds.h"
#include "commands/trigger.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "parser/parse_coerce.h"
#include "parser/parse_type.h"
#include "rewrite/rewriteSupport.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "tcop/cmdtag.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/syscache.h"
#include "utils/varlena.h"

#include "migrator.h"
#include "analyze.h"
#include "newness.h"
#include "rules.h"
#include "script.h"

/* The name of the extension's event trigger (src/sql/20_guard.sql). */
#define GUARD_EVENT_TRIGGER "migrator_guard"

static List *
add_finding(List *findings, const char *rule_id, char *object, int location)
{
	RuleFinding *f = palloc0(sizeof(RuleFinding));

	f->rule = migrator_rule(rule_id);
	f->object = object;
	f->location = location;
	return lappend(findings, f);
}

/* A hazard finding, with the message lint shows. */
static void
add_hazard(StatementFacts *facts, const char *rule_id, char *object,
		   int location, char *message)
{
	RuleFinding *f = palloc0(sizeof(RuleFinding));

	f->rule = migrator_rule(rule_id);
	f->object = object;
	f->location = location;
	f->message = message;
	facts->hazards = lappend(facts->hazards, f);
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

static bool relation_is_permanent(RangeVar *rv);

/* Is collation "coll" in a temporary schema? */
static bool
collation_is_temporary(Oid coll)
{
	HeapTuple	tuple = SearchSysCache1(COLLOID, ObjectIdGetDatum(coll));
	bool		temp = false;

	if (HeapTupleIsValid(tuple))
	{
		temp = isAnyTempNamespace(((Form_pg_collation) GETSTRUCT(tuple))->collnamespace);
		ReleaseSysCache(tuple);
	}
	return temp;
}

/* Is operator class "opclass" in a temporary schema? */
static bool
opclass_is_temporary(Oid opclass)
{
	HeapTuple	tuple = SearchSysCache1(CLAOID, ObjectIdGetDatum(opclass));
	bool		temp = false;

	if (HeapTupleIsValid(tuple))
	{
		temp = isAnyTempNamespace(((Form_pg_opclass) GETSTRUCT(tuple))->opcnamespace);
		ReleaseSysCache(tuple);
	}
	return temp;
}

/*
 * The parse-tree walker of index_concurrently_uses_temporary():
 * expression_uses_temporary_walker()'s routes, and operators and
 * collations in a temporary schema; with a temporary schema of the
 * session's own ("context" true), also any literal of an
 * object-identifier type (regclass, regconfig, ...), whose name is not
 * resolved here.
 */
static bool
index_expression_temporary_walker(Node *node, void *context)
{
	bool		own_temp = *(bool *) context;

	if (node == NULL)
		return false;
	if (IsA(node, FuncCall) && name_is_temporary(((FuncCall *) node)->funcname))
		return true;
	if (IsA(node, RangeVar) && relation_is_temporary((RangeVar *) node))
		return true;
	if (IsA(node, A_Expr) && name_is_temporary(((A_Expr *) node)->name))
		return true;
	if (IsA(node, CollateClause))
	{
		List	   *names = ((CollateClause *) node)->collname;
		Oid			coll;

		if (name_is_temporary(names))
			return true;
		if (own_temp && OidIsValid(coll = get_collation_oid(names, true)) &&
			collation_is_temporary(coll))
			return true;
	}
	if (IsA(node, TypeCast))
	{
		TypeCast   *tc = (TypeCast *) node;
		Oid			typid;

		if (type_is_temporary(tc->typeName))
			return true;
		if (own_temp && OidIsValid(typid = LookupTypeNameOid(NULL, tc->typeName, true)))
		{
			switch (typid)
			{
				case REGCLASSOID:
				case REGTYPEOID:
				case REGPROCOID:
				case REGPROCEDUREOID:
				case REGOPEROID:
				case REGOPERATOROID:
				case REGCONFIGOID:
				case REGDICTIONARYOID:
				case REGCOLLATIONOID:
				case REGNAMESPACEOID:
					return true;
				default:
					break;
			}
		}
	}
	return raw_expression_tree_walker(node, index_expression_temporary_walker, context);
}

/*
 * CREATE INDEX CONCURRENTLY commits inside itself, so the step after the
 * statement cannot find its pg_depend rows among the current
 * transaction's: it is judged before it runs, on the parse tree and
 * conservatively.  An index of a permanent table whose expressions or
 * predicate reach a temporary object (a pg_temp function, operator, type
 * or collation), or hold an object-identifier literal in a session with a
 * temporary schema (not resolved: refused whatever it names), or whose
 * operator classes or collations are temporary, would be dropped when the
 * session ends (rule depends_on_temporary).
 */
static bool
index_concurrently_uses_temporary(IndexStmt *is)
{
	Oid			temp_nsp;
	Oid			temp_toast_nsp;
	bool		own_temp;
	Oid			amid = InvalidOid;
	ListCell   *lc;

	if (!is->concurrent || is->relation == NULL || !relation_is_permanent(is->relation))
		return false;
	GetTempNamespaceState(&temp_nsp, &temp_toast_nsp);
	own_temp = OidIsValid(temp_nsp);
	if (own_temp && is->accessMethod)
		amid = get_index_am_oid(is->accessMethod, true);
	foreach(lc, is->indexParams)
	{
		IndexElem  *elem = lfirst_node(IndexElem, lc);
		Oid			oid;

		if (index_expression_temporary_walker(elem->expr, &own_temp) ||
			name_is_temporary(elem->opclass) || name_is_temporary(elem->collation))
			return true;
		if (!own_temp)
			continue;
		if (elem->collation && OidIsValid(oid = get_collation_oid(elem->collation, true)) &&
			collation_is_temporary(oid))
			return true;
		if (elem->opclass && OidIsValid(amid) &&
			OidIsValid(oid = get_opclass_oid(amid, elem->opclass, true)) &&
			opclass_is_temporary(oid))
			return true;
	}
	return index_expression_temporary_walker(is->whereClause, &own_temp);
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

/*
 * The argument types a statement names routine (or operator) "obj" by,
 * as the catalog names them, in parentheses ("(integer, pg_catalog.text)");
 * NULL for another kind of object or a routine named without arguments
 * (the server then requires its name to be unique).  A finding's detail:
 * an allowance of one overload covers no other.
 */
static char *
object_detail(Node *obj)
{
	ObjectWithArgs *owa;
	StringInfoData buf;
	ListCell   *lc;

	if (obj == NULL || !IsA(obj, ObjectWithArgs))
		return NULL;
	owa = (ObjectWithArgs *) obj;
	if (owa->args_unspecified)
		return NULL;
	initStringInfo(&buf);
	appendStringInfoChar(&buf, '(');
	foreach(lc, owa->objargs)
	{
		TypeName   *t = lfirst(lc);
		Oid			typid = t ? LookupTypeNameOid(NULL, t, true) : InvalidOid;

		if (foreach_current_index(lc) > 0)
			appendStringInfoString(&buf, ", ");
		appendStringInfoString(&buf, t == NULL ? "NONE"
							   : OidIsValid(typid) ? format_type_be_qualified(typid)
							   : TypeNameToString(t));
	}
	appendStringInfoChar(&buf, ')');
	return buf.data;
}

/*
 * "s" (nodeToString() of a raw expression) without its location fields,
 * which differ between two writings of the same expression.  Inside
 * strings nodeToString() escapes spaces, so " :location " is a field.
 */
static char *
without_locations(const char *s)
{
	StringInfoData buf;

	initStringInfo(&buf);
	while (*s)
	{
		if (strncmp(s, " :location ", 11) == 0)
		{
			s += 11;
			if (*s == '-')
				s++;
			while (*s >= '0' && *s <= '9')
				s++;
			continue;
		}
		appendStringInfoChar(&buf, *s++);
	}
	return buf.data;
}

/*
 * What ALTER COLUMN ... TYPE "def" makes of a column, for allowances: the
 * new type (with its modifier) as the catalog names it, the collation and
 * the USING expression.  A finding's detail: an allowance of one type
 * change of a column covers no other.
 */
static char *
column_type_detail(ColumnDef *def)
{
	StringInfoData buf;
	int32		typmod = -1;
	Type		tup = def->typeName ? LookupTypeName(NULL, def->typeName, &typmod, true) : NULL;

	initStringInfo(&buf);
	if (tup != NULL)
	{
		appendStringInfo(&buf, " TYPE %s",
						 format_type_with_typemod(typeTypeId(tup), typmod));
		ReleaseSysCache(tup);
	}
	else if (def->typeName)
		appendStringInfo(&buf, " TYPE %s", TypeNameToString(def->typeName));
	if (def->collClause)
		appendStringInfo(&buf, " COLLATE %s",
						 NameListToString(def->collClause->collname));
	if (def->raw_default)
		appendStringInfo(&buf, " USING %s",
						 without_locations(nodeToString(def->raw_default)));
	return buf.data;
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
static bool
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
static bool
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

/*
 * Sequence options that make new values reuse old ones without RESTART:
 * CYCLE (after the last value the first comes again), or an INCREMENT
 * whose sign differs from the sequence's now (it turns round and walks
 * back over the values drawn).  "seqid" is the sequence, or InvalidOid
 * when it does not exist yet.
 */
static bool
sequence_options_reuse_values(List *options, Oid seqid)
{
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *opt = (DefElem *) lfirst(lc);

		if (!IsA(opt, DefElem))
			continue;
		if (strcmp(opt->defname, "cycle") == 0 && opt->arg != NULL && defGetBoolean(opt))
			return true;
		if (strcmp(opt->defname, "increment") == 0 && opt->arg != NULL && OidIsValid(seqid))
		{
			HeapTuple	tuple = SearchSysCache1(SEQRELID, ObjectIdGetDatum(seqid));
			int64		now;
			int64		next = defGetInt64(opt);

			if (!HeapTupleIsValid(tuple))
				continue;
			now = ((Form_pg_sequence) GETSTRUCT(tuple))->seqincrement;
			ReleaseSysCache(tuple);
			if ((now > 0) != (next > 0))
				return true;
		}
	}
	return false;
}

/* The roles a DROP OWNED or DROP ROLE names, as written. */
static List *
role_findings(List *findings, const char *rule, List *roles)
{
	ListCell   *lc;

	foreach(lc, roles)
	{
		RoleSpec   *role = lfirst_node(RoleSpec, lc);

		findings = add_finding(findings, rule,
							   role->roletype == ROLESPEC_CSTRING ? pstrdup(role->rolename)
							   : pstrdup(get_rolespec_name(role)),
							   role->location);
	}
	return findings;
}

static List *classify_node(Node *stmt, List *findings);

/*
 * CREATE TABLE AS, SELECT INTO or CREATE MATERIALIZED VIEW of a permanent
 * relation whose raw query casts to a temporary type: the column goes when
 * the session ends (rule depends_on_temporary).
 */
static List *
classify_query_into(SelectStmt *query, IntoClause *into, List *findings)
{
	if (into == NULL || into->rel == NULL || !relation_is_permanent(into->rel) ||
		!expression_uses_temporary((Node *) query->targetList))
		return findings;
	return add_finding(findings, "depends_on_temporary", relation_name(into->rel),
					   into->rel->location);
}

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

/* Do a rule's actions (raw statements) delete or update rows? */
static bool
rule_actions_write(List *actions)
{
	ListCell   *lc;

	foreach(lc, actions)
		if (IsA(lfirst(lc), DeleteStmt) || IsA(lfirst(lc), UpdateStmt))
			return true;
	return false;
}

/* An identity's SET INCREMENT or SET CYCLE that reuses values. */
static bool
identity_options_reuse_values(RangeVar *rel, AlterTableCmd *cmd)
{
	Oid			relid = RangeVarGetRelid(rel, NoLock, true);
	AttrNumber	attnum;
	Oid			seqid = InvalidOid;

	if (OidIsValid(relid) && cmd->name &&
		(attnum = get_attnum(relid, cmd->name)) != InvalidAttrNumber)
		seqid = identity_sequence(relid, attnum, true);
	return sequence_options_reuse_values(castNode(List, cmd->def), seqid);
}

/*
 * Does REPLICA IDENTITY "ri" take its replica identity from the table "rv"
 * names while a publication publishes its UPDATE or DELETE?  NOTHING, or
 * DEFAULT without a primary key: every UPDATE and DELETE of the table
 * then fails on the publisher ("cannot update table ... because it does
 * not have a replica identity and publishes updates").  FULL and USING
 * INDEX keep one.  Looked up in the catalog: a table no publication
 * publishes that way, or that has no identity already, loses nothing.
 */
static bool
replica_identity_lost(RangeVar *rv, ReplicaIdentityStmt *ri)
{
	Oid			relid;
	Relation	rel;
	PublicationDesc pubdesc;
	bool		lost = false;
	bool		has_pk;

	if (rv == NULL || ri == NULL || !IsA(ri, ReplicaIdentityStmt) ||
		(ri->identity_type != REPLICA_IDENTITY_NOTHING &&
		 ri->identity_type != REPLICA_IDENTITY_DEFAULT))
		return false;
	relid = RangeVarGetRelid(rv, NoLock, true);
	if (!OidIsValid(relid))
		return false;
	rel = relation_open(relid, AccessShareLock);
	list_free(RelationGetIndexList(rel));	/* sets rd_pkindex */
	has_pk = OidIsValid(rel->rd_pkindex);
	if ((ri->identity_type == REPLICA_IDENTITY_NOTHING || !has_pk) &&
		rel->rd_rel->relreplident != REPLICA_IDENTITY_NOTHING &&
		!(rel->rd_rel->relreplident == REPLICA_IDENTITY_DEFAULT && !has_pk))
	{
		RelationBuildPublicationDesc(rel, &pubdesc);
		lost = pubdesc.pubactions.pubupdate || pubdesc.pubactions.pubdelete;
	}
	relation_close(rel, AccessShareLock);
	return lost;
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

		/* over the value: some names exist in some versions only (compat.h) */
		switch ((int) cmd->subtype)
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
				if (options_have(castNode(List, cmd->def), "restart") ||
					identity_options_reuse_values(stmt->relation, cmd))
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
				/* the partition it takes out, not the parent: one allowance each */
				rule = "detach_partition";
				object = cmd->def && IsA(cmd->def, PartitionCmd) && ((PartitionCmd *) cmd->def)->name
					? relation_name(((PartitionCmd *) cmd->def)->name)
					: relation_name(stmt->relation);
				break;
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
			case AT_AlterConstraint:
				/* 18: NOT ENFORCED stops checking it, as a drop would */
				if (alter_constraint_unenforces(cmd))
				{
					rule = "drop_constraint";
					object = column_name(stmt->relation,
										 alter_constraint_unenforces(cmd));
				}
				break;
			case AT_SetExpression:
				/* 17: every row's value of the column is computed anew */
				rule = "update_rows";
				object = column_name(stmt->relation, cmd->name);
				break;

				/*
				 * Every other subcommand of every supported version, by
				 * name: they add, tune or re-enable, and destroy nothing.
				 * The *Recurse, ReAdd*, Cooked and CheckNotNull ones are
				 * internal to the server's tablecmds.c.
				 */
			case AT_AddColumnRecurse:
			case AT_AddColumnToView:
			case AT_CookedColumnDefault:
			case AT_SetNotNull:
			case AT_CheckNotNull:
			case AT_SetStatistics:
			case AT_SetOptions:
			case AT_ResetOptions:
			case AT_SetStorage:
			case AT_SetCompression:
			case AT_DropColumnRecurse:
			case AT_AddIndex:
			case AT_ReAddIndex:
			case AT_AddConstraintRecurse:
			case AT_ReAddConstraint:
			case AT_ReAddDomainConstraint:
			case AT_ValidateConstraintRecurse:
			case AT_AddIndexConstraint:
			case AT_DropConstraintRecurse:
			case AT_ReAddComment:
			case AT_AlterColumnGenericOptions:
			case AT_ChangeOwner:
			case AT_ClusterOn:
			case AT_DropCluster:
			case AT_SetLogged:
			case AT_DropOids:
			case AT_SetAccessMethod:
			case AT_SetTableSpace:
			case AT_SetRelOptions:
			case AT_ResetRelOptions:
			case AT_ReplaceRelOptions:
			case AT_EnableTrig:
			case AT_EnableAlwaysTrig:
			case AT_EnableTrigAll:
			case AT_EnableTrigUser:
			case AT_EnableRule:
			case AT_EnableAlwaysRule:
			case AT_AddInherit:
			case AT_DropOf:
			case AT_EnableRowSecurity:	/* row_security_findings() */
			case AT_ForceRowSecurity:
			case AT_GenericOptions:
			case AT_AttachPartition:
			case AT_AddIdentity:
			case AT_ReAddStatistics:
				break;
			case AT_ReplicaIdentity:
				if (replica_identity_lost(stmt->relation, (ReplicaIdentityStmt *) cmd->def))
				{
					rule = "drop_replica_identity";
					object = relation_name(stmt->relation);
				}
				break;
			default:
				/* a later server's: judged destructive until known */
				rule = "unknown_subcommand";
				object = relation_name(stmt->relation);
				break;
		}
		if (rule)
		{
			findings = add_finding(findings, rule, object,
								   stmt->relation ? stmt->relation->location : -1);
			if (cmd->subtype == AT_AlterColumnType && cmd->def && IsA(cmd->def, ColumnDef))
				((RuleFinding *) llast(findings))->detail =
					column_type_detail((ColumnDef *) cmd->def);
		}
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

/*
 * Is "stmt" a statement kind of a supported server version (15 to 18)?
 * Every one is named here, the ones no rule fires for included, so that a
 * kind a later server adds is not passed as additive unseen: the caller
 * judges it with rule unknown_statement.  test/t/019_known_kinds.pl
 * compares this list with the server's node tags.
 */
static bool
statement_kind_known(Node *stmt)
{
	switch (nodeTag(stmt))
	{
		case T_AlterCollationStmt:
		case T_AlterDatabaseRefreshCollStmt:
		case T_AlterDatabaseSetStmt:
		case T_AlterDatabaseStmt:
		case T_AlterDefaultPrivilegesStmt:
		case T_AlterDomainStmt:
		case T_AlterEnumStmt:
		case T_AlterEventTrigStmt:
		case T_AlterExtensionContentsStmt:
		case T_AlterExtensionStmt:
		case T_AlterFdwStmt:
		case T_AlterForeignServerStmt:
		case T_AlterFunctionStmt:
		case T_AlterObjectDependsStmt:
		case T_AlterObjectSchemaStmt:
		case T_AlterOpFamilyStmt:
		case T_AlterOperatorStmt:
		case T_AlterOwnerStmt:
		case T_AlterPolicyStmt:
		case T_AlterPublicationStmt:
		case T_AlterRoleSetStmt:
		case T_AlterRoleStmt:
		case T_AlterSeqStmt:
		case T_AlterStatsStmt:
		case T_AlterSubscriptionStmt:
		case T_AlterSystemStmt:
		case T_AlterTSConfigurationStmt:
		case T_AlterTSDictionaryStmt:
		case T_AlterTableMoveAllStmt:
		case T_AlterTableSpaceOptionsStmt:
		case T_AlterTableStmt:
		case T_AlterTypeStmt:
		case T_AlterUserMappingStmt:
		case T_CallStmt:
		case T_CheckPointStmt:
		case T_ClosePortalStmt:
		case T_ClusterStmt:
		case T_CommentStmt:
		case T_CompositeTypeStmt:
		case T_ConstraintsSetStmt:
		case T_CopyStmt:
		case T_CreateAmStmt:
		case T_CreateCastStmt:
		case T_CreateConversionStmt:
		case T_CreateDomainStmt:
		case T_CreateEnumStmt:
		case T_CreateEventTrigStmt:
		case T_CreateExtensionStmt:
		case T_CreateFdwStmt:
		case T_CreateForeignServerStmt:
		case T_CreateForeignTableStmt:
		case T_CreateFunctionStmt:
		case T_CreateOpClassStmt:
		case T_CreateOpFamilyStmt:
		case T_CreatePLangStmt:
		case T_CreatePolicyStmt:
		case T_CreatePublicationStmt:
		case T_CreateRangeStmt:
		case T_CreateRoleStmt:
		case T_CreateSchemaStmt:
		case T_CreateSeqStmt:
		case T_CreateStatsStmt:
		case T_CreateStmt:
		case T_CreateSubscriptionStmt:
		case T_CreateTableAsStmt:
		case T_CreateTableSpaceStmt:
		case T_CreateTransformStmt:
		case T_CreateTrigStmt:
		case T_CreateUserMappingStmt:
		case T_CreatedbStmt:
		case T_DeallocateStmt:
		case T_DeclareCursorStmt:
		case T_DefineStmt:
		case T_DeleteStmt:
		case T_DiscardStmt:
		case T_DoStmt:
		case T_DropOwnedStmt:
		case T_DropRoleStmt:
		case T_DropStmt:
		case T_DropSubscriptionStmt:
		case T_DropTableSpaceStmt:
		case T_DropUserMappingStmt:
		case T_DropdbStmt:
		case T_ExecuteStmt:
		case T_ExplainStmt:
		case T_FetchStmt:
		case T_GrantRoleStmt:
		case T_GrantStmt:
		case T_ImportForeignSchemaStmt:
		case T_IndexStmt:
		case T_InsertStmt:
		case T_ListenStmt:
		case T_LoadStmt:
		case T_LockStmt:
		case T_MergeStmt:
		case T_NotifyStmt:
		case T_PLAssignStmt:
		case T_PlannedStmt:
		case T_PrepareStmt:
		case T_RawStmt:
		case T_ReassignOwnedStmt:
		case T_RefreshMatViewStmt:
		case T_ReindexStmt:
		case T_RenameStmt:
		case T_ReplicaIdentityStmt:
		case T_ReturnStmt:
		case T_RuleStmt:
		case T_SecLabelStmt:
		case T_SelectStmt:
		case T_SetOperationStmt:
		case T_TransactionStmt:
		case T_TruncateStmt:
		case T_UnlistenStmt:
		case T_UpdateStmt:
		case T_VacuumStmt:
		case T_VariableSetStmt:
		case T_VariableShowStmt:
		case T_ViewStmt:
			return true;
		default:
			return false;
	}
}

static List *
classify_node(Node *stmt, List *findings)
{
	if (stmt == NULL)
		return findings;

	switch (nodeTag(stmt))
	{
		case T_IndexStmt:
			if (index_concurrently_uses_temporary((IndexStmt *) stmt))
				findings = add_finding(findings, "depends_on_temporary",
									   ((IndexStmt *) stmt)->idxname
									   ? column_name(((IndexStmt *) stmt)->relation,
													 ((IndexStmt *) stmt)->idxname)
									   : relation_name(((IndexStmt *) stmt)->relation),
									   ((IndexStmt *) stmt)->relation->location);
			break;
		case T_DropStmt:
			{
				DropStmt   *ds = (DropStmt *) stmt;
				const char *rule = drop_rule_id(ds->removeType);
				ListCell   *lc;

				foreach(lc, ds->objects)
				{
					findings = add_finding(findings, rule,
										   drop_object_name(lfirst(lc)), -1);
					((RuleFinding *) llast(findings))->detail = object_detail(lfirst(lc));
				}
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
				bool		deletes = false;
				ListCell   *lc;

				/* WHEN ... THEN DELETE (17: also WHEN NOT MATCHED BY SOURCE) */
				foreach(lc, ms->mergeWhenClauses)
					if (lfirst_node(MergeWhenClause, lc)->commandType == CMD_DELETE)
						deletes = true;
				findings = classify_with(ms->withClause, findings);
				findings = add_finding(findings, deletes ? "delete_rows" : "update_rows",
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
			{
				SelectStmt *sel = (SelectStmt *) stmt;

				findings = classify_with(sel->withClause, findings);
				if (sel->intoClause)
					findings = classify_query_into(sel, sel->intoClause, findings);
				break;
			}
		case T_CreateTableAsStmt:
			{
				CreateTableAsStmt *ctas = (CreateTableAsStmt *) stmt;

				/*
				 * The raw query shows casts to temporary types in its target
				 * list; the guard's hook gets the query analysed and looks
				 * at the created table once it exists instead.
				 */
				if (ctas->query && IsA(ctas->query, SelectStmt))
					findings = classify_query_into((SelectStmt *) ctas->query,
												   ctas->into, findings);
				break;
			}
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
				((RuleFinding *) llast(findings))->detail =
					rs->relation ? NULL : object_detail(rs->object);
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
				((RuleFinding *) llast(findings))->detail =
					as->relation ? NULL : object_detail(as->object);
				break;
			}
		case T_DropOwnedStmt:
			/* one finding per role: an allowance of one covers no other */
			findings = role_findings(findings, "drop_owned", ((DropOwnedStmt *) stmt)->roles);
			break;
		case T_DropdbStmt:
			findings = add_finding(findings, "drop_database",
								   pstrdup(((DropdbStmt *) stmt)->dbname), -1);
			break;
		case T_DropRoleStmt:
			findings = role_findings(findings, "drop_role", ((DropRoleStmt *) stmt)->roles);
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
				if (rs->event == CMD_SELECT)
					break;
				/* DO ALSO DELETE or UPDATE: every such write also runs it */
				if (!rs->instead && !rule_actions_write(rs->actions))
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
		case T_AlterSubscriptionStmt:
			{
				/* the subscriber's side: it stops receiving changes */
				AlterSubscriptionStmt *as = (AlterSubscriptionStmt *) stmt;
				bool		stops = as->kind == ALTER_SUBSCRIPTION_SET_PUBLICATION ||
				as->kind == ALTER_SUBSCRIPTION_DROP_PUBLICATION;

				if (as->kind == ALTER_SUBSCRIPTION_ENABLED)
				{
					ListCell   *lc;

					foreach(lc, as->options)
						if (strcmp(lfirst_node(DefElem, lc)->defname, "enabled") == 0 &&
							!defGetBoolean(lfirst_node(DefElem, lc)))
							stops = true;
				}
				if (stops)
					findings = add_finding(findings, "unpublish", pstrdup(as->subname), -1);
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
			if (options_have(((AlterSeqStmt *) stmt)->options, "restart") ||
				sequence_options_reuse_values(((AlterSeqStmt *) stmt)->options,
											  RangeVarGetRelid(((AlterSeqStmt *) stmt)->sequence,
															   NoLock, true)))
				findings = add_finding(findings, "restart_sequence",
									   relation_name(((AlterSeqStmt *) stmt)->sequence),
									   ((AlterSeqStmt *) stmt)->sequence->location);
			break;
		case T_AlterObjectDependsStmt:
			/* the same route: DROP EXTENSION takes the object along */
			if (!((AlterObjectDependsStmt *) stmt)->remove)
				findings = add_finding(findings, "alter_extension_add",
									   pstrdup(strVal(((AlterObjectDependsStmt *) stmt)->extname)), -1);
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
			/* a later server's statement: judged destructive until known */
			if (!statement_kind_known(stmt))
				findings = add_finding(findings, "unknown_statement",
									   pstrdup(statement_tag(stmt)), -1);
			break;
	}
	return findings;
}

typedef enum TableSize
{
	TABLE_LARGE,				/* or unknown */
	TABLE_SMALL,
	TABLE_EMPTY
} TableSize;

/*
 * How big is relation "relid" (with its partitions and children when
 * "inh")?  Blocks are the sizes of the relation's files and of its TOAST
 * table's now; rows are pg_class's
 * estimate (reltuples, -1 before the first VACUUM or ANALYZE: then blocks
 * decide).  "why" receives the words for the message.
 */
static TableSize
relation_size_class(AnalyzeContext *ctx, Oid relid, bool inh, char **why)
{
	List	   *rels;
	ListCell   *lc;
	BlockNumber blocks = 0;
	double		rows = 0;
	bool		rows_known = true;
	double		kb;

	if (!ctx->sizes.enabled || !OidIsValid(relid))
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

		/*
		 * Its TOAST table too: a rewrite copies every value stored there,
		 * and 15 rows of large values are no small table.
		 */
		if (OidIsValid(r->rd_rel->reltoastrelid))
		{
			Relation	toast;

			if (!ConditionalLockRelationOid(r->rd_rel->reltoastrelid, AccessShareLock))
			{
				relation_close(r, NoLock);
				UnlockRelationOid(rel, AccessShareLock);
				return TABLE_LARGE;
			}
			toast = relation_open(r->rd_rel->reltoastrelid, NoLock);
			blocks += RelationGetNumberOfBlocks(toast);
			relation_close(toast, NoLock);
			UnlockRelationOid(r->rd_rel->reltoastrelid, AccessShareLock);
		}
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
	if (kb <= ctx->sizes.small_kb && (!rows_known || rows <= ctx->sizes.small_rows))
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
hazard_size_last(AnalyzeContext *ctx, StatementFacts *facts, RangeVar *rv, bool inh)
{
	RuleFinding *f = llast(facts->hazards);
	char	   *why = NULL;

	if (rv == NULL ||
		relation_size_class(ctx, RangeVarGetRelid(rv, NoLock, true), inh, &why) == TABLE_LARGE)
		return;
	f->severity = "info";
	f->message = psprintf("%s (%s)", f->message, why);
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
hazard_foreign_key_index(AnalyzeContext *ctx, StatementFacts *facts, RangeVar *rv,
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
	foreach(lc, ctx->indexes)
		if (index_stmt_leads_with(lfirst(lc), rv, columns))
			return;
	foreach(lc, ctx->upcoming)
	{
		ScriptStatement *st = lfirst(lc);

		if (st->index > ctx->current && IsA(st->raw->stmt, IndexStmt) &&
			index_stmt_leads_with((IndexStmt *) st->raw->stmt, rv, columns))
			return;
	}
	add_hazard(facts, "foreign_key_unindexed", relation_name(rv), rv->location,
			 psprintf("foreign key of table \"%s\" has no index on its referencing columns: every DELETE or key UPDATE of the referenced table scans it",
					  relation_name(rv)));
	if (existing)
		hazard_size_last(ctx, facts, rv, true);
}

/*
 * SET NOT NULL on "column" of an existing table (or, from 18 on, ADD
 * CONSTRAINT ... NOT NULL column): the table is scanned unless a validated
 * CHECK proves the column has no NULL.
 */
static void
hazard_set_not_null(AnalyzeContext *ctx, StatementFacts *facts, RangeVar *rv,
					const char *column)
{
	char	   *rel = relation_name(rv);

	if (string_in_list(ctx->not_null_proven, column_key(rv, column)) ||
		catalog_has_not_null_check(rv, column))
		return;
	add_hazard(facts, "set_not_null_scan",
			 psprintf("%s.%s", rel, column), rv->location,
			 psprintf("SET NOT NULL on column \"%s\" scans table \"%s\" under an ACCESS EXCLUSIVE lock",
					  column, rel));
	hazard_size_last(ctx, facts, rv, rv->inh);
}

/*
 * A constraint added to an existing table (ALTER TABLE ... ADD, or inline
 * in ADD COLUMN).
 */
static void
hazard_constraint(AnalyzeContext *ctx, StatementFacts *facts, RangeVar *rv,
				  Constraint *con, const char *inline_column)
{
	char	   *rel = relation_name(rv);
	int			loc = rv->location;
	bool		inline_in_column = inline_column != NULL;

	switch (con->contype)
	{
		case CONSTR_FOREIGN:
			hazard_foreign_key_index(ctx, facts, rv,
								   inline_column ? list_make1(makeString(pstrdup(inline_column)))
								   : con->fk_attrs, NIL, true);
			if (!con->skip_validation)
			{
				add_hazard(facts, "add_foreign_key_validating", rel, loc,
						 psprintf("ADD FOREIGN KEY on existing table \"%s\" validates every row while both tables are locked", rel));
				hazard_size_last(ctx, facts, rv, true);
			}
			break;
		case CONSTR_CHECK:
			if (!con->skip_validation)
			{
				add_hazard(facts, "add_check_validating", rel, loc,
						 psprintf("ADD CHECK on existing table \"%s\" validates every row under an ACCESS EXCLUSIVE lock", rel));
				hazard_size_last(ctx, facts, rv, true);
			}
			if (!inline_in_column)
			{
				const char *col = raw_not_null_column(con->raw_expr);

				if (col && !con->skip_validation)
					ctx->not_null_proven = lappend(ctx->not_null_proven,
													 column_key(rv, col));
				else if (col && con->conname)
					ctx->not_null_pending = lappend(ctx->not_null_pending,
													  psprintf("%s=%s", con->conname,
															   column_key(rv, col)));
			}
			break;
		case CONSTR_PRIMARY:
		case CONSTR_UNIQUE:
		case CONSTR_EXCLUSION:
			if (con->indexname == NULL)
			{
				add_hazard(facts, "add_unique_blocking", rel, loc,
						 psprintf("ADD %s on existing table \"%s\" builds an index under an ACCESS EXCLUSIVE lock",
								  con->contype == CONSTR_PRIMARY ? "PRIMARY KEY" :
								  con->contype == CONSTR_UNIQUE ? "UNIQUE" : "EXCLUDE",
								  rel));
				hazard_size_last(ctx, facts, rv, true);
			}
			break;
		case CONSTR_NOTNULL:
			/* 18: ADD CONSTRAINT name NOT NULL column, as SET NOT NULL */
			if (!inline_in_column && !con->skip_validation &&
				list_length(con->keys) == 1)
				hazard_set_not_null(ctx, facts, rv, strVal(linitial(con->keys)));
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
hazard_add_column(AnalyzeContext *ctx, StatementFacts *facts, RangeVar *rv,
				  ColumnDef *def)
{
	char	   *rel = relation_name(rv);
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
		else if (con->contype == CONSTR_GENERATED &&
				 !constraint_is_virtual_generated(con))
			why = "a stored generated column";
		else if (con->contype == CONSTR_IDENTITY)
			why = "an identity";
		else
			hazard_constraint(ctx, facts, rv, con, def->colname);
	}
	if (why)
	{
		add_hazard(facts, "add_column_rewrite",
				 psprintf("%s.%s", rel, def->colname), rv->location,
				 psprintf("ADD COLUMN \"%s\" with %s rewrites table \"%s\"",
						  def->colname, why, rel));
		hazard_size_last(ctx, facts, rv, true);
	}
	else if (column_is_required(def))
	{
		char	   *size_why = NULL;

		add_hazard(facts, "add_column_required",
				 psprintf("%s.%s", rel, def->colname), rv->location,
				 psprintf("ADD COLUMN \"%s\" NOT NULL without a default fails on table \"%s\" as soon as it has a row",
						  def->colname, rel));
		if (relation_size_class(ctx, RangeVarGetRelid(rv, NoLock, true), true, &size_why) == TABLE_EMPTY)
		{
			RuleFinding *f = llast(facts->hazards);

			f->severity = "warning";
			f->message = psprintf("%s (%s)", f->message, size_why);
		}
	}
}

static void
hazard_alter_table(AnalyzeContext *ctx, StatementFacts *facts,
				   AlterTableStmt *stmt)
{
	RangeVar   *rv = stmt->relation;
	char	   *rel = relation_name(rv);
	ListCell   *lc;

	foreach(lc, stmt->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

		/* NOT VALID checks validated here prove NOT NULL later on. */
		if (cmd->subtype == AT_ValidateConstraint)
		{
			ListCell   *pc;
			char	   *prefix = psprintf("%s=", cmd->name);

			foreach(pc, ctx->not_null_pending)
			{
				char	   *p = lfirst(pc);

				if (strncmp(p, prefix, strlen(prefix)) == 0)
					ctx->not_null_proven = lappend(ctx->not_null_proven,
													 pstrdup(p + strlen(prefix)));
			}
			continue;
		}
		if (oracle_relation_is_new(ctx->oracle, rv))
			continue;
		if (AlterTableGetLockLevel(list_make1(cmd)) == AccessExclusiveLock)
			ctx->altered = lappend(ctx->altered, rv);

		switch ((int) cmd->subtype)
		{
			case AT_AddConstraint:
				if (cmd->def && IsA(cmd->def, Constraint))
					hazard_constraint(ctx, facts, rv,
									(Constraint *) cmd->def, NULL);
				break;
			case AT_SetExpression:
				{
					Oid			relid = RangeVarGetRelid(rv, NoLock, true);

					if (OidIsValid(relid) &&
						column_is_virtual_generated(relid, get_attnum(relid, cmd->name)))
						break;
					add_hazard(facts, "set_expression_rewrite",
							 psprintf("%s.%s", rel, cmd->name), rv->location,
							 psprintf("SET EXPRESSION on column \"%s\" rewrites table \"%s\"",
									  cmd->name, rel));
					hazard_size_last(ctx, facts, rv, rv->inh);
				}
				break;
			case AT_AddColumn:
				hazard_add_column(ctx, facts, rv, (ColumnDef *) cmd->def);
				break;
			case AT_AlterColumnType:
				if (alter_column_type_rewrites(rv, cmd))
				{
					add_hazard(facts, "alter_column_type_rewrite",
							 psprintf("%s.%s", rel, cmd->name), rv->location,
							 psprintf("ALTER COLUMN \"%s\" TYPE rewrites table \"%s\"",
									  cmd->name, rel));
					hazard_size_last(ctx, facts, rv, rv->inh);
				}
				break;
			case AT_SetNotNull:
				hazard_set_not_null(ctx, facts, rv, cmd->name);
				break;
			case AT_SetLogged:
			case AT_SetUnLogged:
				add_hazard(facts, "set_logged", rel, rv->location,
						 psprintf("SET %s rewrites table \"%s\"",
								  cmd->subtype == AT_SetLogged ? "LOGGED" : "UNLOGGED",
								  rel));
				hazard_size_last(ctx, facts, rv, false);
				break;
			case AT_SetTableSpace:
				add_hazard(facts, "set_tablespace", rel, rv->location,
						 psprintf("SET TABLESPACE copies \"%s\" under an ACCESS EXCLUSIVE lock",
								  rel));
				hazard_size_last(ctx, facts, rv, false);
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
domain_size_class(AnalyzeContext *ctx, List *names, char **why)
{
	TypeName   *tn = makeTypeNameFromNameList(names);
	Oid			typid = LookupTypeNameOid(NULL, tn, true);
	Relation	dep;
	ScanKeyData key[2];
	SysScanDesc scan;
	HeapTuple	tup;
	TableSize	result = TABLE_EMPTY;
	bool		any = false;

	if (!ctx->sizes.enabled || !OidIsValid(typid))
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
		sz = relation_size_class(ctx, d->objid, false, &w);
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
statement_hazards(AnalyzeContext *ctx, StatementFacts *facts, Node *stmt)
{

	switch (nodeTag(stmt))
	{
		case T_IndexStmt:
			{
				IndexStmt  *is = (IndexStmt *) stmt;

				Oid			relid;

				if (is->concurrent || oracle_relation_is_new(ctx->oracle, is->relation))
					break;
				/* ON ONLY a partitioned table builds nothing: an invalid parent index */
				relid = RangeVarGetRelid(is->relation, NoLock, true);
				if (!is->relation->inh && OidIsValid(relid) &&
					get_rel_relkind(relid) == RELKIND_PARTITIONED_TABLE)
					break;
				add_hazard(facts, "create_index_blocking",
						 relation_name(is->relation), is->relation->location,
						 psprintf("CREATE INDEX on existing table \"%s\" blocks writes while it builds",
								  relation_name(is->relation)));
				hazard_size_last(ctx, facts, is->relation, is->relation->inh);
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

					if (!oracle_relation_is_new(ctx->oracle, rv))
						add_hazard(facts, "drop_index_blocking",
								 relation_name(rv), -1,
								 psprintf("DROP INDEX \"%s\" without CONCURRENTLY locks its table against reads and writes",
										  relation_name(rv)));
				}
				break;
			}
		case T_AlterTableStmt:
			hazard_alter_table(ctx, facts, (AlterTableStmt *) stmt);
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

				if (oracle_relation_is_new(ctx->oracle, rv))
					break;
				if (where == NULL || raw_is_always_true(where))
				{
					add_hazard(facts, "whole_table_write",
							 relation_name(rv), rv->location,
							 where == NULL
							 ? psprintf("%s without WHERE writes every row of table \"%s\" in one transaction",
										update ? "UPDATE" : "DELETE", relation_name(rv))
							 : psprintf("%s with a WHERE that is always true writes every row of table \"%s\" in one transaction",
										update ? "UPDATE" : "DELETE", relation_name(rv)));
					hazard_size_last(ctx, facts, rv, rv->inh);
				}
				if (update)
					foreach(lc, ctx->altered)
						if (same_relation(lfirst(lc), rv))
						{
							add_hazard(facts, "backfill_holds_lock",
									 relation_name(rv), rv->location,
									 psprintf("UPDATE of table \"%s\" runs while an earlier ALTER TABLE of this migration holds its ACCESS EXCLUSIVE lock",
											  relation_name(rv)));
							hazard_size_last(ctx, facts, rv, rv->inh);
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
					add_hazard(facts, "vacuum_full", NULL, -1,
							 pstrdup("VACUUM FULL rewrites every table of the database"));
				foreach(lc, vs->rels)
				{
					RangeVar   *rv = lfirst_node(VacuumRelation, lc)->relation;

					if (!oracle_relation_is_new(ctx->oracle, rv))
					{
						add_hazard(facts, "vacuum_full", relation_name(rv),
								 rv->location,
								 psprintf("VACUUM FULL rewrites table \"%s\" under an ACCESS EXCLUSIVE lock",
										  relation_name(rv)));
						hazard_size_last(ctx, facts, rv, true);
					}
				}
				break;
			}
		case T_ClusterStmt:
			{
				RangeVar   *rv = ((ClusterStmt *) stmt)->relation;

				if (rv == NULL)
					add_hazard(facts, "cluster", NULL, -1,
							 pstrdup("CLUSTER rewrites every clustered table of the database"));
				else if (!oracle_relation_is_new(ctx->oracle, rv))
				{
					add_hazard(facts, "cluster", relation_name(rv), rv->location,
							 psprintf("CLUSTER rewrites table \"%s\" under an ACCESS EXCLUSIVE lock",
									  relation_name(rv)));
					hazard_size_last(ctx, facts, rv, true);
				}
				break;
			}
		case T_ReindexStmt:
			{
				ReindexStmt *rs = (ReindexStmt *) stmt;
				char	   *what = rs->relation ? relation_name(rs->relation)
				: pstrdup(rs->name ? rs->name : "");

				if (option_is_on(rs->params, "concurrently") ||
					(rs->relation && oracle_relation_is_new(ctx->oracle, rs->relation)))
					break;
				add_hazard(facts, "reindex_blocking", what,
						 rs->relation ? rs->relation->location : -1,
						 psprintf("REINDEX of \"%s\" without CONCURRENTLY blocks writes while it rebuilds",
								  what));
				if (rs->relation)
					hazard_size_last(ctx, facts, rs->relation, true);
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

					if (oracle_relation_is_new(ctx->oracle, rv))
						continue;
					add_hazard(facts, "lock_table", relation_name(rv), rv->location,
							 psprintf("LOCK TABLE \"%s\" in %s mode blocks %s until the migration commits",
									  relation_name(rv), GetLockmodeName(DEFAULT_LOCKMETHOD, ls->mode),
									  ls->mode == AccessExclusiveLock ? "reads and writes" : "writes"));
				}
				break;
			}
		case T_RefreshMatViewStmt:
			{
				RefreshMatViewStmt *rm = (RefreshMatViewStmt *) stmt;

				if (rm->concurrent || rm->skipData || oracle_relation_is_new(ctx->oracle, rm->relation))
					break;
				add_hazard(facts, "refresh_blocking", relation_name(rm->relation),
						 rm->relation->location,
						 psprintf("REFRESH MATERIALIZED VIEW \"%s\" without CONCURRENTLY blocks its readers while it runs",
								  relation_name(rm->relation)));
				hazard_size_last(ctx, facts, rm->relation, false);
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
				add_hazard(facts, "domain_constraint_scan",
						 NameListToString(ad->typeName), -1,
						 psprintf("%s on domain \"%s\" scans every column of the domain in every table",
								  ad->subtype == 'O' ? "SET NOT NULL" : "ADD CONSTRAINT",
								  NameListToString(ad->typeName)));
				size = domain_size_class(ctx, ad->typeName, &why);
				if (size != TABLE_LARGE)
				{
					RuleFinding *f = llast(facts->hazards);

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
						hazard_foreign_key_index(ctx, facts, cs->relation,
											   ((Constraint *) elt)->fk_attrs, cs->tableElts, false);
					else if (IsA(elt, ColumnDef))
					{
						ListCell   *cc;

						foreach(cc, ((ColumnDef *) elt)->constraints)
							if (((Constraint *) lfirst(cc))->contype == CONSTR_FOREIGN)
								hazard_foreign_key_index(ctx, facts, cs->relation,
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
					add_hazard(facts, "timeout_disabled",
							 pstrdup(vs->name), -1,
							 psprintf("%s is set to 0: waits for locks are not bounded",
									  vs->name));
				break;
			}
		default:
			break;
	}

	if (statement_needs_autocommit(stmt))
		add_hazard(facts, "non_transactional", NULL, -1,
				 psprintf("%s cannot run in a transaction block", facts->tag));
}

/* A table lock the statement takes. */
static void
lock_name(StatementFacts *facts, char *name, LOCKMODE mode, bool is_new)
{
	StatementLock *lock = palloc(sizeof(StatementLock));

	lock->relation = name;
	lock->mode = mode;
	lock->is_new = is_new;
	facts->locks = lappend(facts->locks, lock);
}

static void
lock_rv(AnalyzeContext *ctx, StatementFacts *facts, RangeVar *rv, LOCKMODE mode)
{
	if (rv == NULL)
		return;
	lock_name(facts, relation_name(rv), mode,
			  oracle_relation_is_new(ctx->oracle, rv));
}

/* Referenced tables of foreign keys are locked SHARE ROW EXCLUSIVE. */
static void
lock_fk(AnalyzeContext *ctx, StatementFacts *facts, Node *node)
{
	Constraint *con = (Constraint *) node;

	if (node && IsA(node, Constraint) && con->contype == CONSTR_FOREIGN)
		lock_rv(ctx, facts, con->pktable, ShareRowExclusiveLock);
	else if (node && IsA(node, ColumnDef))
	{
		ListCell   *lc;

		foreach(lc, ((ColumnDef *) node)->constraints)
			lock_fk(ctx, facts, lfirst(lc));
	}
}

/* DROP INDEX locks the index's table too, when the catalog knows it. */
static void
lock_index_table(StatementFacts *facts, RangeVar *index, LOCKMODE mode)
{
	Oid			indexoid = RangeVarGetRelid(index, NoLock, true);
	Oid			tableoid;

	if (!OidIsValid(indexoid) || get_rel_relkind(indexoid) != RELKIND_INDEX)
		return;
	tableoid = IndexGetRelation(indexoid, true);
	if (OidIsValid(tableoid))
		lock_name(facts, psprintf("%s.%s", get_namespace_name(get_rel_namespace(tableoid)),
							   get_rel_name(tableoid)), mode, false);
}

/*
 * The table locks "stmt" takes, derived from the statement type (and, for
 * ALTER TABLE, from its subcommands with the server's own
 * AlterTableGetLockLevel()).  Catalog-only statements (CREATE FUNCTION,
 * CREATE VIEW, ...) take no table lock and show none.
 */
static void
statement_locks(AnalyzeContext *ctx, StatementFacts *facts, Node *stmt)
{
	ListCell   *lc;

	switch (nodeTag(stmt))
	{
		case T_AlterTableStmt:
			{
				AlterTableStmt *as = (AlterTableStmt *) stmt;

				lock_rv(ctx, facts, as->relation, AlterTableGetLockLevel(as->cmds));
				foreach(lc, as->cmds)
					lock_fk(ctx, facts, lfirst_node(AlterTableCmd, lc)->def);
				break;
			}
		case T_CreateStmt:
			lock_rv(ctx, facts, ((CreateStmt *) stmt)->relation, AccessExclusiveLock);
			foreach(lc, ((CreateStmt *) stmt)->tableElts)
				lock_fk(ctx, facts, lfirst(lc));
			foreach(lc, ((CreateStmt *) stmt)->constraints)
				lock_fk(ctx, facts, lfirst(lc));
			break;
		case T_IndexStmt:
			lock_rv(ctx, facts, ((IndexStmt *) stmt)->relation,
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

								lock_index_table(facts, rv, mode);
								lock_rv(ctx, facts, rv, mode);
								break;
							}
						case OBJECT_TABLE:
						case OBJECT_VIEW:
						case OBJECT_MATVIEW:
						case OBJECT_SEQUENCE:
						case OBJECT_FOREIGN_TABLE:
							lock_rv(ctx, facts, makeRangeVarFromNameList(lfirst(lc)), mode);
							break;
						case OBJECT_TRIGGER:
						case OBJECT_RULE:
						case OBJECT_POLICY:
							lock_rv(ctx, facts, makeRangeVarFromNameList(list_truncate(list_copy(lfirst(lc)),
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
			lock_rv(ctx, facts, ((CreateTrigStmt *) stmt)->relation, ShareRowExclusiveLock);
			break;
		case T_InsertStmt:
			lock_rv(ctx, facts, ((InsertStmt *) stmt)->relation, RowExclusiveLock);
			break;
		case T_UpdateStmt:
			lock_rv(ctx, facts, ((UpdateStmt *) stmt)->relation, RowExclusiveLock);
			break;
		case T_DeleteStmt:
			lock_rv(ctx, facts, ((DeleteStmt *) stmt)->relation, RowExclusiveLock);
			break;
		case T_MergeStmt:
			lock_rv(ctx, facts, ((MergeStmt *) stmt)->relation, RowExclusiveLock);
			break;
		case T_TruncateStmt:
			foreach(lc, ((TruncateStmt *) stmt)->relations)
				lock_rv(ctx, facts, lfirst_node(RangeVar, lc), AccessExclusiveLock);
			break;
		case T_RenameStmt:
			{
				RenameStmt *rs = (RenameStmt *) stmt;

				if (rs->relation)
					lock_rv(ctx, facts, rs->relation,
							rs->renameType == OBJECT_INDEX ? ShareUpdateExclusiveLock
							: AccessExclusiveLock);
				break;
			}
		case T_AlterObjectSchemaStmt:
			lock_rv(ctx, facts, ((AlterObjectSchemaStmt *) stmt)->relation, AccessExclusiveLock);
			break;
		case T_VacuumStmt:
			{
				VacuumStmt *vs = (VacuumStmt *) stmt;
				LOCKMODE	mode = ShareUpdateExclusiveLock;

				foreach(lc, vs->options)
					if (strcmp(lfirst_node(DefElem, lc)->defname, "full") == 0)
						mode = AccessExclusiveLock;
				foreach(lc, vs->rels)
					lock_rv(ctx, facts, lfirst_node(VacuumRelation, lc)->relation, mode);
				break;
			}
		case T_ClusterStmt:
			lock_rv(ctx, facts, ((ClusterStmt *) stmt)->relation, AccessExclusiveLock);
			break;
		case T_ReindexStmt:
			{
				ReindexStmt *rs = (ReindexStmt *) stmt;
				bool		concurrently = false;

				foreach(lc, rs->params)
					if (strcmp(lfirst_node(DefElem, lc)->defname, "concurrently") == 0)
						concurrently = true;
				if (rs->relation)
					lock_rv(ctx, facts, rs->relation,
							concurrently ? ShareUpdateExclusiveLock
							: rs->kind == REINDEX_OBJECT_INDEX ? AccessExclusiveLock
							: ShareLock);
				break;
			}
		case T_LockStmt:
			foreach(lc, ((LockStmt *) stmt)->relations)
				lock_rv(ctx, facts, lfirst_node(RangeVar, lc), ((LockStmt *) stmt)->mode);
			break;
		case T_CreatePolicyStmt:
			lock_rv(ctx, facts, ((CreatePolicyStmt *) stmt)->table, AccessExclusiveLock);
			break;
		case T_AlterPolicyStmt:
			lock_rv(ctx, facts, ((AlterPolicyStmt *) stmt)->table, AccessExclusiveLock);
			break;
		case T_RuleStmt:
			lock_rv(ctx, facts, ((RuleStmt *) stmt)->relation, AccessExclusiveLock);
			break;
		case T_RefreshMatViewStmt:
			lock_rv(ctx, facts, ((RefreshMatViewStmt *) stmt)->relation,
					((RefreshMatViewStmt *) stmt)->concurrent ? ExclusiveLock
					: AccessExclusiveLock);
			break;
		default:
			break;
	}
}

static bool
relation_is_own(Oid own_namespace, RangeVar *rv)
{
	Oid			relid;

	if (rv == NULL)
		return false;
	relid = RangeVarGetRelid(rv, NoLock, true);
	return OidIsValid(relid) && get_rel_namespace(relid) == own_namespace;
}

/*
 * The name of migrator's own object that "stmt" alters, or NULL.
 * "own_namespace" is the extension's schema.
 */
static char *
own_object_altered(Oid own_namespace, Node *stmt)
{
	switch (nodeTag(stmt))
	{
		case T_AlterTableStmt:
			if (relation_is_own(own_namespace, ((AlterTableStmt *) stmt)->relation))
				return psprintf("migrator.%s", ((AlterTableStmt *) stmt)->relation->relname);
			return NULL;
		case T_AlterSeqStmt:
			if (relation_is_own(own_namespace, ((AlterSeqStmt *) stmt)->sequence))
				return psprintf("migrator.%s", ((AlterSeqStmt *) stmt)->sequence->relname);
			return NULL;
		case T_CreateTrigStmt:
			if (relation_is_own(own_namespace, ((CreateTrigStmt *) stmt)->relation))
				return psprintf("migrator.%s", ((CreateTrigStmt *) stmt)->relation->relname);
			return NULL;
		case T_RuleStmt:
			if (relation_is_own(own_namespace, ((RuleStmt *) stmt)->relation))
				return psprintf("migrator.%s", ((RuleStmt *) stmt)->relation->relname);
			return NULL;
		case T_AlterEventTrigStmt:
			if (strcmp(((AlterEventTrigStmt *) stmt)->trigname, GUARD_EVENT_TRIGGER) == 0)
				return pstrdup(GUARD_EVENT_TRIGGER);
			return NULL;
		case T_AlterOwnerStmt:
			{
				AlterOwnerStmt *as = (AlterOwnerStmt *) stmt;

				if (as->objectType == OBJECT_EVENT_TRIGGER &&
					strcmp(strVal(as->object), GUARD_EVENT_TRIGGER) == 0)
					return pstrdup(GUARD_EVENT_TRIGGER);
				return NULL;
			}
		case T_CreateFunctionStmt:
			{
				CreateFunctionStmt *cf = (CreateFunctionStmt *) stmt;
				char	   *name;

				if (cf->replace &&
					QualifiedNameGetCreationNamespace(cf->funcname, &name) == own_namespace)
					return psprintf("migrator.%s", name);
				return NULL;
			}
		default:
			return NULL;
	}
}

/*
 * Can own_object_altered() return something for this node?  A cheap test
 * on the node tag, so that ordinary statements skip the catalog.
 */
static bool
may_alter_own_object(Node *stmt)
{
	switch (nodeTag(stmt))
	{
		case T_AlterTableStmt:
		case T_AlterSeqStmt:
		case T_CreateTrigStmt:
		case T_RuleStmt:
		case T_AlterEventTrigStmt:
		case T_AlterOwnerStmt:
			return true;
		case T_CreateFunctionStmt:
			return ((CreateFunctionStmt *) stmt)->replace;
		default:
			return false;
	}
}

/* ---------------------------------------------------------------------
 * Exemption: the destructive statement destroys nothing
 * ---------------------------------------------------------------------
 */

/*
 * ALTER TABLE that only disables triggers or rules created in this
 * transaction: a trigger that never fired in a committed state loses
 * nothing when disabled.  pg_dump restores a disabled trigger as CREATE
 * TRIGGER followed by ALTER TABLE ... DISABLE TRIGGER in one query string.
 */
static bool
alter_table_disables_new_only(Oracle *o, AlterTableStmt *stmt)
{
	ListCell   *lc;

	if (stmt->relation == NULL || stmt->cmds == NIL)
		return false;
	foreach(lc, stmt->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

		switch (cmd->subtype)
		{
			case AT_DisableTrig:
			case AT_EnableReplicaTrig:
				if (!oracle_trigger_exempt(o, stmt->relation, cmd->name))
					return false;
				break;
			case AT_DisableRule:
			case AT_EnableReplicaRule:
				if (!oracle_rule_exempt(o, stmt->relation, cmd->name))
					return false;
				break;
			default:
				return false;
		}
	}
	return true;
}

/*
 * ALTER TABLE whose every subcommand drops a part the transaction added:
 * a column added in it (with its default, NOT NULL, identity or
 * expression), a constraint added in it.  Nothing committed is lost (a
 * down script that undoes what its up script added).
 */
static bool
alter_table_drops_new_parts_only(Oracle *o, AlterTableStmt *stmt)
{
	ListCell   *lc;

	/* ALTER TYPE ... DROP ATTRIBUTE reaches the typed tables: not here */
	if (stmt->relation == NULL || stmt->cmds == NIL || stmt->objtype == OBJECT_TYPE)
		return false;
	foreach(lc, stmt->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

		switch (cmd->subtype)
		{
			case AT_ColumnDefault:
				/* only a removal: a new default may depend on anything */
				if (cmd->def != NULL && !expression_is_null_constant(cmd->def))
					return false;
				/* FALLTHROUGH */
			case AT_DropColumn:
			case AT_DropNotNull:
			case AT_DropIdentity:
			case AT_DropExpression:
				if (!oracle_column_exempt(o, stmt->relation, cmd->name))
					return false;
				break;
			case AT_DropConstraint:
				if (!oracle_constraint_exempt(o, stmt->relation, cmd->name))
					return false;
				break;
			default:
				return false;
		}
	}
	return true;
}

/*
 * ALTER TABLE whose every subcommand is an identity's SET or RESTART, each
 * RESTART beyond the values drawn: it destroys nothing (the oracle looks at
 * the sequence; by name it cannot know).
 */
static bool
alter_table_restarts_beyond_only(Oracle *o, AlterTableStmt *stmt)
{
	ListCell   *lc;

	if (stmt->relation == NULL || stmt->cmds == NIL)
		return false;
	foreach(lc, stmt->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);
		List	   *restart = NIL;
		ListCell   *oc;

		if (cmd->subtype != AT_SetIdentity ||
			identity_options_reuse_values(stmt->relation, cmd))
			return false;
		foreach(oc, castNode(List, cmd->def))
			if (strcmp(lfirst_node(DefElem, oc)->defname, "restart") == 0)
				restart = lappend(restart, lfirst(oc));
		if (restart == NIL)
			continue;
		if (!oracle_sequence_restart_exempt(o, stmt->relation, cmd->name, restart))
			return false;
	}
	return true;
}

/*
 * True when every object a destructive statement targets is temporary or
 * new in this transaction (or an invalid index), and so is everything the
 * statement reaches through it (newness.c).  Statements on other kinds of
 * objects, on shared objects and DROP OWNED are never exempt.
 */
static bool
statement_exempt(Oracle *o, Node *stmt, StatementFacts *facts)
{
	ListCell   *lc;

	switch (nodeTag(stmt))
	{
		case T_DropStmt:
			{
				DropStmt   *ds = (DropStmt *) stmt;

				foreach(lc, ds->objects)
				{
					Node	   *obj = lfirst(lc);

					switch (ds->removeType)
					{
						case OBJECT_INDEX:
							if (!oracle_index_exempt(o, makeRangeVarFromNameList((List *) obj),
													 &facts->invalid_indexes))
								return false;
							break;
						case OBJECT_TABLE:
						case OBJECT_VIEW:
						case OBJECT_MATVIEW:
						case OBJECT_SEQUENCE:
						case OBJECT_FOREIGN_TABLE:
							if (!oracle_relation_exempt(o, makeRangeVarFromNameList((List *) obj), true))
								return false;
							break;
						case OBJECT_TYPE:
						case OBJECT_DOMAIN:
							if (!oracle_type_exempt(o, (TypeName *) obj))
								return false;
							break;
						case OBJECT_FUNCTION:
						case OBJECT_PROCEDURE:
						case OBJECT_ROUTINE:
						case OBJECT_AGGREGATE:
							if (!oracle_function_exempt(o, ds->removeType, (ObjectWithArgs *) obj))
								return false;
							break;
						case OBJECT_SCHEMA:
							if (!oracle_schema_exempt(o, strVal(obj)))
								return false;
							break;
						default:

							/*
							 * Other kinds (operators, casts, operator
							 * classes, ...) only inside extension scripts,
							 * which drop their own.
							 */
							if (!oracle_other_object_exempt(o, ds->removeType, obj))
								return false;
							break;
					}
				}
				return true;
			}
		case T_TruncateStmt:
			return oracle_truncate_exempt(o, (TruncateStmt *) stmt);
		case T_AlterTableStmt:
			{
				AlterTableStmt *at = (AlterTableStmt *) stmt;

				return (at->relation != NULL &&
						oracle_relation_exempt(o, at->relation, at->relation->inh)) ||
					alter_table_disables_new_only(o, at) ||
					alter_table_restarts_beyond_only(o, at) ||
					alter_table_drops_new_parts_only(o, at);
			}
		case T_AlterSeqStmt:
			{
				AlterSeqStmt *as = (AlterSeqStmt *) stmt;

				return oracle_relation_exempt(o, as->sequence, false) ||
					oracle_sequence_restart_exempt(o, as->sequence, NULL, as->options);
			}
		case T_RefreshMatViewStmt:
			return oracle_relation_exempt(o, ((RefreshMatViewStmt *) stmt)->relation,
										  ((RefreshMatViewStmt *) stmt)->relation->inh);
		case T_RuleStmt:
			return oracle_relation_exempt(o, ((RuleStmt *) stmt)->relation,
										  ((RuleStmt *) stmt)->relation->inh);
		case T_CreateTrigStmt:
			{
				/* replace_trigger: the replaced trigger, or its table, is new */
				CreateTrigStmt *ct = (CreateTrigStmt *) stmt;

				return oracle_relation_exempt(o, ct->relation, ct->relation->inh) ||
					oracle_replaced_trigger_exempt(o, ct->relation, ct->trigname);
			}
		case T_AlterPublicationStmt:
			/* a new publication, unless it publishes an old table badly */
			foreach(lc, facts->findings)
				if (strcmp(((RuleFinding *) lfirst(lc))->rule->id, "publish_without_identity") == 0)
					return false;
			return oracle_publication_exempt(o, ((AlterPublicationStmt *) stmt)->pubname);
		case T_RenameStmt:
			{
				/*
				 * Any kind of object, by its address: an extension's update
				 * script renames its own functions and types too.
				 */
				RenameStmt *rs = (RenameStmt *) stmt;

				if (rs->relation != NULL)
					return oracle_relation_exempt(o, rs->relation, rs->relation->inh);
				if (rs->renameType == OBJECT_SCHEMA)
					return oracle_schema_exempt(o, rs->subname);
				return oracle_named_object_exempt(o, rs->renameType, rs->object);
			}
		case T_AlterObjectSchemaStmt:
			{
				AlterObjectSchemaStmt *as = (AlterObjectSchemaStmt *) stmt;

				if (as->relation != NULL)
					return oracle_relation_exempt(o, as->relation, as->relation->inh);
				return oracle_named_object_exempt(o, as->objectType, as->object);
			}
		case T_AlterObjectDependsStmt:
			{
				/* DEPENDS ON EXTENSION of an object created in this transaction */
				AlterObjectDependsStmt *ad = (AlterObjectDependsStmt *) stmt;

				if (ad->objectType == OBJECT_TRIGGER)
					return ad->relation != NULL && ad->object != NULL &&
						oracle_trigger_exempt(o, ad->relation,
											  strVal(linitial(castNode(List, ad->object))));
				if (ad->relation != NULL)
					return oracle_relation_exempt(o, ad->relation, false);
				return oracle_named_object_exempt(o, ad->objectType, ad->object);
			}
		case T_AlterEnumStmt:
			/* RENAME VALUE of an enum created in this transaction */
			return oracle_type_exempt(o, makeTypeNameFromNameList(((AlterEnumStmt *) stmt)->typeName));
		case T_DropRoleStmt:
			foreach(lc, ((DropRoleStmt *) stmt)->roles)
				if (!oracle_role_exempt(o, lfirst_node(RoleSpec, lc)))
					return false;
			return true;
		default:
			return false;
	}
}

/* ---------------------------------------------------------------------
 * What a statement creates, for the by-name oracle
 * ---------------------------------------------------------------------
 */

/* Does relation "rv" exist already? */
static bool
relation_exists(RangeVar *rv)
{
	return rv != NULL && OidIsValid(RangeVarGetRelid(rv, NoLock, true));
}

/* "rv" with schema "schema" when it names none (CREATE SCHEMA elements). */
static RangeVar *
in_schema(RangeVar *rv, const char *schema)
{
	RangeVar   *copy;

	if (rv == NULL || schema == NULL || rv->schemaname != NULL)
		return rv;
	copy = copyObject(rv);
	copy->schemaname = pstrdup(schema);
	return copy;
}

/* "names" with schema "schema" when they name none. */
static List *
names_in_schema(List *names, const char *schema)
{
	if (schema == NULL || list_length(names) != 1)
		return names;
	return list_make2(makeString(pstrdup(schema)), linitial(names));
}

/* The foreign keys among the constraints "node" (a ColumnDef or Constraint) holds. */
static void
note_foreign_keys(Oracle *o, RangeVar *rel, Node *node, const char *schema)
{
	if (node == NULL)
		return;
	if (IsA(node, Constraint) && ((Constraint *) node)->contype == CONSTR_FOREIGN)
		oracle_note_link(o, LINK_REFERENCED_BY,
						 in_schema(((Constraint *) node)->pktable, schema), rel);
	else if (IsA(node, ColumnDef))
	{
		ListCell   *lc;

		foreach(lc, ((ColumnDef *) node)->constraints)
			note_foreign_keys(o, rel, lfirst(lc), schema);
	}
}

/* An OWNED BY table.column option of CREATE or ALTER SEQUENCE. */
static void
note_owned_by(Oracle *o, RangeVar *seq, List *options)
{
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *opt = lfirst_node(DefElem, lc);
		List	   *owner;

		if (strcmp(opt->defname, "owned_by") != 0 || !IsA(opt->arg, List))
			continue;
		owner = (List *) opt->arg;
		if (list_length(owner) < 2)
			continue;			/* OWNED BY NONE */
		oracle_note_link(o, LINK_OWNED,
						 makeRangeVarFromNameList(list_truncate(list_copy(owner),
																list_length(owner) - 1)),
						 seq);
	}
}

/*
 * SET DEFAULT on a column of an existing table that has a default: the old
 * default is replaced by one that may depend on new objects, and a CASCADE
 * that drops those takes the column's default along (which the guard
 * reports as "for schema.table.column").
 */
static void
note_default_replaced(Oracle *o, RangeVar *rel, AlterTableCmd *cmd)
{
	Oid			relid;
	HeapTuple	tuple;
	bool		hasdef = false;

	if (cmd->def == NULL || cmd->name == NULL)
		return;
	relid = RangeVarGetRelid(rel, NoLock, true);
	if (!OidIsValid(relid))
		return;
	tuple = SearchSysCacheAttName(relid, cmd->name);
	if (HeapTupleIsValid(tuple))
	{
		hasdef = ((Form_pg_attribute) GETSTRUCT(tuple))->atthasdef;
		ReleaseSysCache(tuple);
	}
	if (hasdef)
		oracle_note_redefined(o, psprintf("for %s.%s",
										  quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
																	 get_rel_name(relid)),
										  quote_identifier(cmd->name)));
}

/*
 * ALTER TABLE ... ADD COLUMN or ADD CONSTRAINT: the column and the named
 * constraints are new (not when IF NOT EXISTS meets a column that exists:
 * it adds nothing).
 */
static void
note_added_part(Oracle *o, RangeVar *rel, AlterTableCmd *cmd)
{
	ListCell   *lc;
	List	   *constraints = NIL;

	if (rel == NULL || cmd->def == NULL)
		return;
	if (IsA(cmd->def, ColumnDef))
	{
		ColumnDef  *col = (ColumnDef *) cmd->def;
		Oid			relid = RangeVarGetRelid(rel, NoLock, true);

		if (col->colname == NULL ||
			(cmd->missing_ok && OidIsValid(relid) &&
			 get_attnum(relid, col->colname) != InvalidAttrNumber))
			return;
		oracle_note_created(o, NEW_COLUMN, list_make1(makeString(col->colname)), rel, false);
		constraints = col->constraints;
	}
	else if (IsA(cmd->def, Constraint))
		constraints = list_make1(cmd->def);
	foreach(lc, constraints)
	{
		Constraint *con = lfirst(lc);

		if (IsA(con, Constraint) && con->conname != NULL)
			oracle_note_created(o, NEW_CONSTRAINT, list_make1(makeString(con->conname)),
								rel, false);
	}
}

/*
 * Tell the by-name oracle what "stmt" created and linked, for the
 * statements after it; "schema" is the schema of a CREATE SCHEMA whose
 * element "stmt" is.
 */
static void
note_statement(Oracle *o, Node *stmt, const char *schema)
{
	ListCell   *lc;

	switch (nodeTag(stmt))
	{
		case T_CreateStmt:
		case T_CreateForeignTableStmt:
			{
				CreateStmt *cs = (CreateStmt *) stmt;
				RangeVar   *rel = in_schema(cs->relation, schema);

				/* CREATE TABLE IF NOT EXISTS of a table that exists is no-op */
				if (cs->if_not_exists && relation_exists(rel))
					break;
				oracle_note_relation(o, rel);
				foreach(lc, cs->inhRelations)
					oracle_note_link(o, LINK_CHILD, in_schema(lfirst(lc), schema), rel);
				if (cs->ofTypename)
					oracle_note_link(o, LINK_TYPED,
									 makeRangeVarFromNameList(names_in_schema(cs->ofTypename->names, schema)),
									 rel);
				foreach(lc, cs->tableElts)
					note_foreign_keys(o, rel, lfirst(lc), schema);
				foreach(lc, cs->constraints)
					note_foreign_keys(o, rel, lfirst(lc), schema);
				break;
			}
		case T_CreateTableAsStmt:
			if (!((CreateTableAsStmt *) stmt)->if_not_exists ||
				!relation_exists(((CreateTableAsStmt *) stmt)->into->rel))
				oracle_note_relation(o, ((CreateTableAsStmt *) stmt)->into->rel);
			break;
		case T_SelectStmt:
			if (((SelectStmt *) stmt)->intoClause)
				oracle_note_relation(o, ((SelectStmt *) stmt)->intoClause->rel);
			break;
		case T_ViewStmt:
			{
				RangeVar   *view = in_schema(((ViewStmt *) stmt)->view, schema);

				if (((ViewStmt *) stmt)->replace && relation_exists(view))
				{
					Oid			relid = RangeVarGetRelid(view, NoLock, false);

					oracle_note_redefined(o, quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
																	   get_rel_name(relid)));
				}
				else
					oracle_note_relation(o, view);
				break;
			}
		case T_CreateSeqStmt:
			{
				CreateSeqStmt *cs = (CreateSeqStmt *) stmt;
				RangeVar   *seq = in_schema(cs->sequence, schema);

				if (cs->if_not_exists && relation_exists(seq))
					break;
				oracle_note_relation(o, seq);
				note_owned_by(o, seq, cs->options);
				break;
			}
		case T_AlterSeqStmt:
			note_owned_by(o, ((AlterSeqStmt *) stmt)->sequence,
						  ((AlterSeqStmt *) stmt)->options);
			break;
		case T_IndexStmt:
			{
				IndexStmt  *is = (IndexStmt *) stmt;

				if (is->idxname)
					oracle_note_relation(o, makeRangeVar(in_schema(is->relation, schema)->schemaname,
														 is->idxname, -1));
				break;
			}
		case T_CompositeTypeStmt:
			{
				RangeVar   *typevar = in_schema(((CompositeTypeStmt *) stmt)->typevar, schema);

				oracle_note_relation(o, typevar);
				oracle_note_created(o, NEW_TYPE,
									typevar->schemaname
									? list_make2(makeString(typevar->schemaname),
												 makeString(typevar->relname))
									: list_make1(makeString(typevar->relname)),
									NULL, false);
				break;
			}
		case T_CreateEnumStmt:
			oracle_note_created(o, NEW_TYPE,
								names_in_schema(((CreateEnumStmt *) stmt)->typeName, schema),
								NULL, false);
			break;
		case T_CreateRangeStmt:
			oracle_note_created(o, NEW_TYPE,
								names_in_schema(((CreateRangeStmt *) stmt)->typeName, schema),
								NULL, false);
			break;
		case T_CreateDomainStmt:
			oracle_note_created(o, NEW_TYPE,
								names_in_schema(((CreateDomainStmt *) stmt)->domainname, schema),
								NULL, false);
			break;
		case T_DefineStmt:
			if (((DefineStmt *) stmt)->kind == OBJECT_TYPE)
				oracle_note_created(o, NEW_TYPE,
									names_in_schema(((DefineStmt *) stmt)->defnames, schema),
									NULL, false);
			else if (((DefineStmt *) stmt)->kind == OBJECT_AGGREGATE)
				oracle_note_created(o, NEW_FUNCTION,
									names_in_schema(((DefineStmt *) stmt)->defnames, schema),
									NULL, false);
			break;
		case T_CreateFunctionStmt:
			{
				CreateFunctionStmt *cf = (CreateFunctionStmt *) stmt;
				List	   *names = names_in_schema(cf->funcname, schema);

				FuncCandidateList old = cf->replace
				? FuncnameGetCandidates(names, -1, NIL, false, false, false, true)
				: NULL;

				for (; old; old = old->next)
					oracle_note_redefined(o, format_procedure_qualified(old->oid));
				if (!cf->replace ||
					FuncnameGetCandidates(names, -1, NIL, false, false, false, true) == NULL)
					oracle_note_created(o, NEW_FUNCTION, names, NULL, false);
				break;
			}
		case T_CreateSchemaStmt:
			{
				CreateSchemaStmt *cs = (CreateSchemaStmt *) stmt;

				if (cs->schemaname == NULL ||
					(cs->if_not_exists && OidIsValid(get_namespace_oid(cs->schemaname, true))))
					break;
				oracle_note_created(o, NEW_SCHEMA, list_make1(makeString(cs->schemaname)),
									NULL, false);
				foreach(lc, cs->schemaElts)
					note_statement(o, lfirst(lc), cs->schemaname);
				break;
			}
		case T_CreateTrigStmt:
			{
				CreateTrigStmt *ct = (CreateTrigStmt *) stmt;

				/* CREATE OR REPLACE of an old trigger leaves it old */
				if (!ct->replace || !relation_exists(ct->relation) ||
					!OidIsValid(get_trigger_oid(RangeVarGetRelid(ct->relation, NoLock, false),
												ct->trigname, true)))
					oracle_note_created(o, NEW_TRIGGER, list_make1(makeString(ct->trigname)),
										in_schema(ct->relation, schema), false);
				break;
			}
		case T_RuleStmt:
			{
				RuleStmt   *rs = (RuleStmt *) stmt;

				if (!rs->replace || !relation_exists(rs->relation) ||
					!OidIsValid(get_rewrite_oid(RangeVarGetRelid(rs->relation, NoLock, false),
												rs->rulename, true)))
					oracle_note_created(o, NEW_RULE, list_make1(makeString(rs->rulename)),
										in_schema(rs->relation, schema), false);
				break;
			}
		case T_AlterTableStmt:
			{
				AlterTableStmt *at = (AlterTableStmt *) stmt;

				foreach(lc, at->cmds)
				{
					AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

					switch (cmd->subtype)
					{
						case AT_AttachPartition:
							oracle_note_link(o, LINK_CHILD, at->relation,
											 ((PartitionCmd *) cmd->def)->name);
							break;
						case AT_AddInherit:
							oracle_note_link(o, LINK_CHILD, (RangeVar *) cmd->def,
											 at->relation);
							break;
						case AT_AddOf:
							oracle_note_link(o, LINK_TYPED,
											 makeRangeVarFromNameList(((TypeName *) cmd->def)->names),
											 at->relation);
							break;
						case AT_AddConstraint:
						case AT_AddColumn:
							note_foreign_keys(o, at->relation, cmd->def, NULL);
							note_added_part(o, at->relation, cmd);
							break;
						case AT_ColumnDefault:
							note_default_replaced(o, at->relation, cmd);
							break;
						default:
							break;
					}
				}
				break;
			}
		case T_AlterPolicyStmt:
			{
				/* an old policy redefined: a CASCADE may take it along */
				AlterPolicyStmt *ap = (AlterPolicyStmt *) stmt;
				Oid			relid = RangeVarGetRelid(ap->table, NoLock, true);

				if (OidIsValid(relid) && ap->qual != NULL &&
					OidIsValid(get_relation_policy_oid(relid, ap->policy_name, true)))
					oracle_note_redefined(o, psprintf("%s on %s", quote_identifier(ap->policy_name),
													  quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
																				 get_rel_name(relid))));
				break;
			}
		case T_CreatePolicyStmt:
			oracle_note_created(o, NEW_POLICY,
								list_make1(makeString(((CreatePolicyStmt *) stmt)->policy_name)),
								in_schema(((CreatePolicyStmt *) stmt)->table, schema), false);
			break;
		case T_CreateExtensionStmt:
			if (!((CreateExtensionStmt *) stmt)->if_not_exists ||
				!OidIsValid(get_extension_oid(((CreateExtensionStmt *) stmt)->extname, true)))
				oracle_note_created(o, NEW_EXTENSION,
									list_make1(makeString(((CreateExtensionStmt *) stmt)->extname)),
									NULL, false);
			break;
		case T_CreateStatsStmt:
			if (((CreateStatsStmt *) stmt)->defnames != NIL &&
				!((CreateStatsStmt *) stmt)->if_not_exists)
				oracle_note_created(o, NEW_STATISTICS,
									names_in_schema(((CreateStatsStmt *) stmt)->defnames, schema),
									NULL, false);
			break;
		case T_CreatePublicationStmt:
			oracle_note_created(o, NEW_PUBLICATION,
								list_make1(makeString(((CreatePublicationStmt *) stmt)->pubname)),
								NULL, false);
			break;
		case T_TransactionStmt:
			switch (((TransactionStmt *) stmt)->kind)
			{
				case TRANS_STMT_COMMIT:
				case TRANS_STMT_ROLLBACK:
				case TRANS_STMT_PREPARE:
				case TRANS_STMT_COMMIT_PREPARED:
				case TRANS_STMT_ROLLBACK_PREPARED:
					oracle_next_transaction(o);
					break;
				default:
					break;
			}
			break;
		default:
			break;
	}
}

/* ---------------------------------------------------------------------
 * The facts of a statement
 * ---------------------------------------------------------------------
 */

/*
 * A context for a script or a run of statements, with "oracle" answering
 * what is new.
 */
AnalyzeContext *
analyze_context(Oracle *oracle)
{
	AnalyzeContext *ctx = palloc0(sizeof(AnalyzeContext));

	ctx->oracle = oracle;
	return ctx;
}

/*
 * A new script (or the next migration of a plan) begins.  Not-null proofs
 * are per script; by name, what earlier scripts created is no longer new
 * for destruction (each migration commits on its own under deploy()), and
 * in a non-transactional script each statement is a transaction of its
 * own.
 */
void
analyze_begin_script(AnalyzeContext *ctx, bool transactional)
{
	ctx->autocommit = !transactional;
	ctx->not_null_proven = NIL;
	ctx->not_null_pending = NIL;
	oracle_next_transaction(ctx->oracle);
}

/* Does "findings" (List of RuleFinding) hold rule "rule_id"? */
static bool
findings_have_rule(List *findings, const char *rule_id)
{
	ListCell   *lc;

	foreach(lc, findings)
		if (strcmp(((RuleFinding *) lfirst(lc))->rule->id, rule_id) == 0)
			return true;
	return false;
}

/* Do sequence options hold OWNED BY a column? */
static bool
sequence_options_own(List *options)
{
	ListCell   *lc;

	foreach(lc, options)
		if (strcmp(lfirst_node(DefElem, lc)->defname, "owned_by") == 0)
			return true;
	return false;
}

/* Is "stmt" a utility statement (not one the planner runs)? */
static bool
statement_is_utility(Node *stmt)
{
	return !(IsA(stmt, SelectStmt) || IsA(stmt, InsertStmt) ||
			 IsA(stmt, UpdateStmt) || IsA(stmt, DeleteStmt) ||
			 IsA(stmt, MergeStmt));
}

/*
 * The relations "stmt" targets, as written (RangeVars): what the objects of
 * its findings on relations begin with (citus.c names them as every shard
 * of a Citus table does).  Also whether it drops or truncates them.
 */
static void
statement_targets(StatementFacts *facts, Node *stmt)
{
	ListCell   *lc;

	switch (nodeTag(stmt))
	{
		case T_AlterTableStmt:
			facts->targets = list_make1(((AlterTableStmt *) stmt)->relation);
			break;
		case T_DropStmt:
			{
				DropStmt   *ds = (DropStmt *) stmt;

				if (ds->removeType != OBJECT_TABLE && ds->removeType != OBJECT_INDEX &&
					ds->removeType != OBJECT_FOREIGN_TABLE &&
					ds->removeType != OBJECT_VIEW && ds->removeType != OBJECT_MATVIEW &&
					ds->removeType != OBJECT_SEQUENCE)
					break;
				foreach(lc, ds->objects)
					facts->targets = lappend(facts->targets,
											 makeRangeVarFromNameList(lfirst(lc)));
				facts->drops_targets = true;
				break;
			}
		case T_TruncateStmt:
			facts->targets = list_copy(((TruncateStmt *) stmt)->relations);
			facts->truncates_targets = true;
			break;
		case T_RenameStmt:
			if (((RenameStmt *) stmt)->relation)
				facts->targets = list_make1(((RenameStmt *) stmt)->relation);
			facts->renames_constraint =
				((RenameStmt *) stmt)->renameType == OBJECT_TABCONSTRAINT;
			break;
		case T_AlterObjectSchemaStmt:
			if (((AlterObjectSchemaStmt *) stmt)->relation)
				facts->targets = list_make1(((AlterObjectSchemaStmt *) stmt)->relation);
			break;
		case T_IndexStmt:
			facts->targets = list_make1(((IndexStmt *) stmt)->relation);
			break;
		case T_CreateTrigStmt:
			facts->targets = list_make1(((CreateTrigStmt *) stmt)->relation);
			break;
		case T_DropRoleStmt:
			foreach(lc, ((DropRoleStmt *) stmt)->roles)
			{
				RoleSpec   *r = lfirst(lc);

				/* CURRENT_USER and the like: an empty name */
				facts->dropped_roles = lappend(facts->dropped_roles,
											   makeString(pstrdup(r->roletype == ROLESPEC_CSTRING
																  ? r->rolename : "")));
			}
			break;
		default:
			break;
	}
}

/*
 * Is "rv" temporary as written (TEMP, or a pg_temp schema)?  What is
 * created there goes with the session whatever it depends on.
 */
static bool
written_temporary(RangeVar *rv)
{
	return rv != NULL &&
		(rv->relpersistence == RELPERSISTENCE_TEMP ||
		 (rv->schemaname && strncmp(rv->schemaname, "pg_temp", 7) == 0));
}

/*
 * Can column definition "def" record a dependency the parse tree does not
 * show?  Its type is judged by name (classify_node()); a default, a
 * generated or identity column, a collation, a check, a key or a
 * reference (an index whose operator class is found by type) may lead to
 * anything.
 */
static bool
column_may_depend(ColumnDef *def)
{
	ListCell   *lc;

	if (def->raw_default || def->cooked_default || def->collClause ||
		def->identity || def->generated)
		return true;
	foreach(lc, def->constraints)
	{
		Constraint *con = lfirst(lc);

		if (!IsA(con, Constraint) ||
			(con->contype != CONSTR_NULL && con->contype != CONSTR_NOTNULL))
			return true;
	}
	return false;
}

/*
 * Can ALTER TABLE "stmt" record a dependency of the table on an object
 * the parse tree does not name?  Subcommands that add no expression, type,
 * collation or index are listed; every other one (and a later server's)
 * can.
 */
static bool
alter_table_may_depend(AlterTableStmt *stmt)
{
	ListCell   *lc;

	if (written_temporary(stmt->relation))
		return false;
	foreach(lc, stmt->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

		/* over the value: some names exist in some versions only (compat.h) */
		switch ((int) cmd->subtype)
		{
			case AT_AddColumn:
			case AT_AddColumnRecurse:
			case AT_AddColumnToView:
				if (cmd->def == NULL || !IsA(cmd->def, ColumnDef) ||
					column_may_depend((ColumnDef *) cmd->def))
					return true;
				break;
			case AT_ColumnDefault:
				/* DROP DEFAULT records nothing */
				if (cmd->def != NULL)
					return true;
				break;
			case AT_DropColumn:
			case AT_DropColumnRecurse:
			case AT_DropConstraint:
			case AT_DropConstraintRecurse:
			case AT_SetNotNull:
			case AT_DropNotNull:
			case AT_CheckNotNull:
			case AT_SetStatistics:
			case AT_SetOptions:
			case AT_ResetOptions:
			case AT_SetStorage:
			case AT_SetCompression:
			case AT_ValidateConstraint:
			case AT_ValidateConstraintRecurse:
			case AT_AlterConstraint:
			case AT_ChangeOwner:
			case AT_ClusterOn:
			case AT_DropCluster:
			case AT_SetLogged:
			case AT_SetUnLogged:
			case AT_DropOids:
			case AT_SetAccessMethod:
			case AT_SetTableSpace:
			case AT_SetRelOptions:
			case AT_ResetRelOptions:
			case AT_ReplaceRelOptions:
			case AT_EnableTrig:
			case AT_EnableAlwaysTrig:
			case AT_EnableReplicaTrig:
			case AT_EnableTrigAll:
			case AT_EnableTrigUser:
			case AT_DisableTrig:
			case AT_DisableTrigAll:
			case AT_DisableTrigUser:
			case AT_EnableRule:
			case AT_EnableAlwaysRule:
			case AT_EnableReplicaRule:
			case AT_DisableRule:
			case AT_DropInherit:
			case AT_DropOf:
			case AT_ReplicaIdentity:
			case AT_EnableRowSecurity:
			case AT_DisableRowSecurity:
			case AT_ForceRowSecurity:
			case AT_NoForceRowSecurity:
			case AT_GenericOptions:
			case AT_AlterColumnGenericOptions:
			case AT_DetachPartition:
			case AT_DetachPartitionFinalize:
			case AT_SetIdentity:
			case AT_DropIdentity:
			case AT_DropExpression:
				break;
			default:
				return true;
		}
	}
	return false;
}

/*
 * Can "stmt" make a permanent object depend on another through what the
 * parse tree does not resolve: a regclass or regconfig literal, an
 * operator, an unqualified name in an expression, the operator class an
 * index finds by type?  The guard reads pg_depend after such a statement
 * in a session with a temporary schema, since the session's end would take
 * the permanent object along (rule depends_on_temporary).  Kinds that
 * record no dependency, create only temporary objects as written, or run
 * statements that the guard judges one by one (CALL, DO) cannot; every
 * other kind, a later server's included, can.  No catalog access.
 */
static bool
statement_may_depend_on_temporary(Node *stmt)
{
	ListCell   *lc;

	switch (nodeTag(stmt))
	{
		case T_TransactionStmt:
		case T_VariableSetStmt:
		case T_VariableShowStmt:
		case T_DiscardStmt:
		case T_ListenStmt:
		case T_UnlistenStmt:
		case T_NotifyStmt:
		case T_LoadStmt:
		case T_CheckPointStmt:
		case T_ClosePortalStmt:
		case T_FetchStmt:
		case T_DeclareCursorStmt:
		case T_PrepareStmt:
		case T_ExecuteStmt:
		case T_DeallocateStmt:
		case T_CallStmt:
		case T_DoStmt:
		case T_CopyStmt:
		case T_LockStmt:
		case T_VacuumStmt:
		case T_ClusterStmt:
		case T_ReindexStmt:
		case T_RefreshMatViewStmt:
		case T_ConstraintsSetStmt:
		case T_DropStmt:
		case T_TruncateStmt:
		case T_DropOwnedStmt:
		case T_ReassignOwnedStmt:
		case T_DropRoleStmt:
		case T_DropdbStmt:
		case T_DropTableSpaceStmt:
		case T_DropSubscriptionStmt:
		case T_DropUserMappingStmt:
		case T_RenameStmt:
		case T_AlterOwnerStmt:
		case T_AlterObjectSchemaStmt:	/* not into or out of pg_temp */
		case T_AlterObjectDependsStmt:
		case T_CommentStmt:
		case T_SecLabelStmt:
		case T_GrantStmt:
		case T_GrantRoleStmt:
		case T_AlterDefaultPrivilegesStmt:
		case T_CreateRoleStmt:
		case T_AlterRoleStmt:
		case T_AlterRoleSetStmt:
		case T_CreatedbStmt:
		case T_AlterDatabaseStmt:
		case T_AlterDatabaseSetStmt:
		case T_AlterDatabaseRefreshCollStmt:
		case T_AlterSystemStmt:
		case T_CreateTableSpaceStmt:
		case T_AlterTableSpaceOptionsStmt:
		case T_AlterTableMoveAllStmt:
		case T_CreateEnumStmt:
		case T_AlterEnumStmt:
		case T_CreateSeqStmt:	/* an integer type; OWNED BY its own schema */
		case T_AlterSeqStmt:
		case T_AlterCollationStmt:
		case T_AlterEventTrigStmt:
		case T_AlterStatsStmt:
		case T_CreateForeignServerStmt:
		case T_AlterForeignServerStmt:
		case T_CreateUserMappingStmt:
		case T_AlterUserMappingStmt:
		case T_CreateSubscriptionStmt:
		case T_AlterSubscriptionStmt:
		case T_SelectStmt:
		case T_InsertStmt:
		case T_UpdateStmt:
		case T_DeleteStmt:
		case T_MergeStmt:
			return false;
		case T_CreateStmt:
			{
				CreateStmt *cs = (CreateStmt *) stmt;

				if (written_temporary(cs->relation))
					return false;
				if (cs->inhRelations || cs->partbound || cs->partspec ||
					cs->ofTypename || cs->constraints)
					return true;
				foreach(lc, cs->tableElts)
					if (!IsA(lfirst(lc), ColumnDef) ||
						column_may_depend((ColumnDef *) lfirst(lc)))
						return true;
				return false;
			}
		case T_AlterTableStmt:
			return alter_table_may_depend((AlterTableStmt *) stmt);
		case T_IndexStmt:
			return !written_temporary(((IndexStmt *) stmt)->relation);
		case T_ViewStmt:
			return !written_temporary(((ViewStmt *) stmt)->view);
		case T_CreateTableAsStmt:
			/* column collations, and a materialized view's query */
			return !written_temporary(((CreateTableAsStmt *) stmt)->into->rel);
		case T_ExplainStmt:
			{
				/* EXPLAIN ANALYZE CREATE TABLE AS creates it without the hook */
				Node	   *query = ((ExplainStmt *) stmt)->query;

				if (query && IsA(query, Query) && ((Query *) query)->utilityStmt)
					query = ((Query *) query)->utilityStmt;
				return query && IsA(query, CreateTableAsStmt);
			}
		case T_CreateFunctionStmt:
			{
				CreateFunctionStmt *cf = (CreateFunctionStmt *) stmt;

				/* types are judged by name; defaults and a SQL body are not */
				if (name_is_temporary(cf->funcname))
					return false;
				if (cf->sql_body)
					return true;
				foreach(lc, cf->parameters)
					if (lfirst_node(FunctionParameter, lc)->defexpr)
						return true;
				foreach(lc, cf->options)
				{
					const char *opt = lfirst_node(DefElem, lc)->defname;

					if (strcmp(opt, "support") == 0 || strcmp(opt, "transform") == 0)
						return true;
				}
				return false;
			}
		case T_AlterFunctionStmt:
			foreach(lc, ((AlterFunctionStmt *) stmt)->actions)
				if (strcmp(lfirst_node(DefElem, lc)->defname, "support") == 0)
					return true;
			return false;
		case T_AlterDomainStmt:
			{
				AlterDomainStmt *ad = (AlterDomainStmt *) stmt;

				return !name_is_temporary(ad->typeName) &&
					((ad->subtype == 'T' && ad->def != NULL) || ad->subtype == 'C');
			}
		case T_CreateDomainStmt:
			return !name_is_temporary(((CreateDomainStmt *) stmt)->domainname);
		case T_CompositeTypeStmt:
			return !written_temporary(((CompositeTypeStmt *) stmt)->typevar);
		case T_CreateRangeStmt:
			return !name_is_temporary(((CreateRangeStmt *) stmt)->typeName);
		case T_DefineStmt:
			return !name_is_temporary(((DefineStmt *) stmt)->defnames);
		case T_CreateSchemaStmt:
			/* its elements run as subcommands, judged with it */
			return ((CreateSchemaStmt *) stmt)->schemaElts != NIL;
		default:
			/*
			 * Triggers, rules, policies, statistics, publications, types
			 * altered, operators, operator classes and families, casts,
			 * transforms, conversions, languages, foreign-data wrappers,
			 * access methods, event triggers, text search, extensions,
			 * IMPORT FOREIGN SCHEMA, and what a later server adds.
			 */
			return true;
	}
}

/* Has table "relid" (or one of its partitions and children) a block? */
static bool
relation_holds_rows(Oid relid)
{
	List	   *rels = find_all_inheritors(relid, NoLock, NULL);
	ListCell   *lc;

	foreach(lc, rels)
	{
		Oid			child = lfirst_oid(lc);
		Relation	r;
		bool		rows;

		if (!RELKIND_HAS_STORAGE(get_rel_relkind(child)))
			continue;
		/* a table whose lock is held elsewhere may be written to: rows */
		if (!ConditionalLockRelationOid(child, AccessShareLock))
			return true;
		r = relation_open(child, NoLock);
		rows = RelationGetNumberOfBlocks(r) > 0;
		relation_close(r, NoLock);
		UnlockRelationOid(child, AccessShareLock);
		if (rows)
			return true;
	}
	return false;
}

/* Has table "relid" a permissive row-level security policy? */
bool
relation_has_permissive_policy(Oid relid)
{
	Relation	pol = table_open(PolicyRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	bool		found = false;

	ScanKeyInit(&key, Anum_pg_policy_polrelid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(relid));
	scan = systable_beginscan(pol, PolicyPolrelidPolnameIndexId, true, NULL, 1, &key);
	while (!found && HeapTupleIsValid(tuple = systable_getnext(scan)))
		found = ((Form_pg_policy) GETSTRUCT(tuple))->polpermissive;
	systable_endscan(scan);
	table_close(pol, AccessShareLock);
	return found;
}

/*
 * Do the privileges of acl "acl" let a role other than "owner" (PUBLIC
 * included) read or write?
 */
static bool
acl_grants_others(Acl *acl, Oid owner)
{
	AclItem    *items = ACL_DAT(acl);
	int			i;

	for (i = 0; i < ACL_NUM(acl); i++)
		if (items[i].ai_grantee != owner &&
			(ACLITEM_GET_PRIVS(items[i]) &
			 (ACL_SELECT | ACL_INSERT | ACL_UPDATE | ACL_DELETE)))
			return true;
	return false;
}

/*
 * May a role other than the owner of table "relid" read or write it (a
 * grant on the table or one of its columns)?  Row security holds back
 * only such roles, unless it is forced (superusers and BYPASSRLS roles
 * pass it always).  A restore creates the policies before it grants.
 */
static bool
relation_read_by_others(Oid relid, Oid owner, int natts)
{
	HeapTuple	tuple;
	Datum		acl;
	bool		isnull;
	bool		others = false;
	AttrNumber	attnum;

	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tuple))
		return false;
	acl = SysCacheGetAttr(RELOID, tuple, Anum_pg_class_relacl, &isnull);
	others = !isnull && acl_grants_others(DatumGetAclP(acl), owner);
	ReleaseSysCache(tuple);
	for (attnum = 1; !others && attnum <= natts; attnum++)
	{
		tuple = SearchSysCache2(ATTNUM, ObjectIdGetDatum(relid), Int16GetDatum(attnum));
		if (!HeapTupleIsValid(tuple))
			continue;
		acl = SysCacheGetAttr(ATTNUM, tuple, Anum_pg_attribute_attacl, &isnull);
		others = !isnull && acl_grants_others(DatumGetAclP(acl), owner);
		ReleaseSysCache(tuple);
	}
	return others;
}

/*
 * Would row security "on" ("forced") hold back a reader of table "relid":
 * a role other than the owner that may read or write it, or with FORCE,
 * the owner too (unless a superuser or BYPASSRLS)?
 */
static bool
row_security_holds_back(Oid relid, Form_pg_class form, bool on, bool forced)
{
	bool		owner_held = false;

	if (!on)
		return false;
	if (forced)
	{
		HeapTuple	role = SearchSysCache1(AUTHOID, ObjectIdGetDatum(form->relowner));

		owner_held = HeapTupleIsValid(role) &&
			!((Form_pg_authid) GETSTRUCT(role))->rolsuper &&
			!((Form_pg_authid) GETSTRUCT(role))->rolbypassrls;
		if (HeapTupleIsValid(role))
			ReleaseSysCache(role);
	}
	return owner_held || relation_read_by_others(relid, form->relowner, form->relnatts);
}

/*
 * Is row security of table "relid" on with no permissive policy, holding
 * back a reader (see row_security_holds_back()), while the table holds
 * rows?  Those readers then see no row, and their writes are refused.
 * An empty table is being set up: no reader loses a row.
 */
bool
relation_row_security_without_policy(Oid relid)
{
	HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	bool		harm;

	if (!HeapTupleIsValid(tuple))
		return false;
	harm = row_security_holds_back(relid, (Form_pg_class) GETSTRUCT(tuple),
								   ((Form_pg_class) GETSTRUCT(tuple))->relrowsecurity,
								   ((Form_pg_class) GETSTRUCT(tuple))->relforcerowsecurity);
	ReleaseSysCache(tuple);
	return harm && !relation_has_permissive_policy(relid) && relation_holds_rows(relid);
}

/*
 * Does a later statement of the script, in the same transaction, create a
 * permissive policy on "rv"?  Migrations enable row security first and
 * create the policies after it.
 */
static bool
upcoming_permissive_policy(AnalyzeContext *ctx, RangeVar *rv)
{
	ListCell   *lc;

	if (ctx->autocommit)
		return false;
	foreach(lc, ctx->upcoming)
	{
		ScriptStatement *st = lfirst(lc);
		Node	   *next = st->raw->stmt;

		if (st->index <= ctx->current)
			continue;
		if (IsA(next, TransactionStmt))
			return false;
		if (IsA(next, CreatePolicyStmt) && ((CreatePolicyStmt *) next)->permissive &&
			same_relation(((CreatePolicyStmt *) next)->table, rv))
			return true;
	}
	return false;
}

/* ---------------------------------------------------------------------
 * Publications and replica identities (rules drop_replica_identity and
 * publish_without_identity)
 * ---------------------------------------------------------------------
 */

/*
 * Which of UPDATE and DELETE of table "relid" fail now because of the
 * publications that publish it (PUBLISH_BLOCKS_UPDATE, _DELETE): the
 * tests of the server's CheckCmdReplicaIdentity(), on its own publication
 * descriptor.  A publication of updates or deletes needs a replica
 * identity (an index, or FULL), a row filter only columns of it, a column
 * list all of them.  A partitioned table is written through its leaves,
 * which are asked instead; a table that is gone blocks nothing.
 */
int
relation_publication_blocks(Oid relid)
{
	Relation	rel = try_relation_open(relid, AccessShareLock);
	PublicationDesc pubdesc;
	bool		identity;
	int			blocks = 0;

	if (rel == NULL)
		return 0;
	if (rel->rd_rel->relkind != RELKIND_RELATION ||
		rel->rd_rel->relpersistence != RELPERSISTENCE_PERMANENT)
	{
		relation_close(rel, AccessShareLock);
		return 0;
	}
	RelationBuildPublicationDesc(rel, &pubdesc);
	identity = rel->rd_rel->relreplident == REPLICA_IDENTITY_FULL ||
		OidIsValid(RelationGetReplicaIndex(rel));
	if (pubdesc.pubactions.pubupdate &&
		(!identity || !publication_desc_identity_serves(&pubdesc, true)))
		blocks |= PUBLISH_BLOCKS_UPDATE;
	if (pubdesc.pubactions.pubdelete &&
		(!identity || !publication_desc_identity_serves(&pubdesc, false)))
		blocks |= PUBLISH_BLOCKS_DELETE;
	relation_close(rel, AccessShareLock);
	return blocks;
}

/* A table a publication statement publishes, with its filter and list. */
typedef struct PublishedTable
{
	Oid			relid;			/* a table (leaf) whose rows are written */
	Node	   *where;			/* the statement's row filter, or NULL */
	List	   *columns;		/* its column list (String), or NIL */
	bool		unknown_filter; /* it has a filter or list the statement
								 * keeps: which columns, not predicted */
} PublishedTable;

/*
 * Add the tables whose rows "relid" publishes: itself, its partitions,
 * and with "inh" its inheritance children (as publications add them), in
 * permanent tables only.  A table met twice keeps its first entry.
 */
static List *
published_tables_add(List *result, Oid relid, bool inh, Node *where,
					 List *columns, bool unknown_filter)
{
	List	   *rels;
	ListCell   *lc;
	char		relkind = get_rel_relkind(relid);

	if (relkind == RELKIND_PARTITIONED_TABLE || inh)
		rels = find_all_inheritors(relid, NoLock, NULL);
	else
		rels = list_make1_oid(relid);
	foreach(lc, rels)
	{
		Oid			leaf = lfirst_oid(lc);
		ListCell   *lc2;
		bool		seen = false;
		PublishedTable *pt;

		if (get_rel_relkind(leaf) != RELKIND_RELATION ||
			get_rel_persistence(leaf) != RELPERSISTENCE_PERMANENT)
			continue;
		foreach(lc2, result)
			if (((PublishedTable *) lfirst(lc2))->relid == leaf)
				seen = true;
		if (seen)
			continue;
		pt = palloc0(sizeof(PublishedTable));
		pt->relid = leaf;
		pt->where = where;
		pt->columns = columns;
		pt->unknown_filter = unknown_filter;
		result = lappend(result, pt);
	}
	return result;
}

/* The tables of the publication objects (FOR TABLE, TABLES IN SCHEMA). */
static List *
published_objects(List *result, List *pubobjects)
{
	ListCell   *lc;

	foreach(lc, pubobjects)
	{
		PublicationObjSpec *obj = lfirst_node(PublicationObjSpec, lc);

		if (obj->pubobjtype == PUBLICATIONOBJ_TABLE && obj->pubtable)
		{
			PublicationTable *pt = obj->pubtable;
			Oid			relid = RangeVarGetRelid(pt->relation, NoLock, true);

			if (OidIsValid(relid))
				result = published_tables_add(result, relid, pt->relation->inh,
											  pt->whereClause, pt->columns, false);
		}
		else if (obj->pubobjtype == PUBLICATIONOBJ_TABLES_IN_SCHEMA ||
				 obj->pubobjtype == PUBLICATIONOBJ_TABLES_IN_CUR_SCHEMA)
		{
			Oid			nsp = InvalidOid;
			ListCell   *lc2;

			if (obj->pubobjtype == PUBLICATIONOBJ_TABLES_IN_SCHEMA && obj->name)
				nsp = get_namespace_oid(obj->name, true);
			else
			{
				List	   *path = fetch_search_path(false);

				if (path != NIL)
					nsp = linitial_oid(path);
			}
			if (!OidIsValid(nsp))
				continue;
			foreach(lc2, GetSchemaPublicationRelations(nsp, PUBLICATION_PART_LEAF))
				result = published_tables_add(result, lfirst_oid(lc2), false,
											  NULL, NIL, false);
		}
	}
	return result;
}

/*
 * The tables publication "pubid" publishes now, for a change of its
 * options: those with a row filter or column list are marked, since the
 * change may make them matter (publish_via_partition_root chooses whose).
 */
static List *
published_by_publication(List *result, Oid pubid, bool all_tables)
{
	ListCell   *lc;

	foreach(lc, GetPublicationRelations(pubid, PUBLICATION_PART_ROOT))
	{
		Oid			relid = lfirst_oid(lc);
		HeapTuple	tuple = SearchSysCache2(PUBLICATIONRELMAP, ObjectIdGetDatum(relid),
											ObjectIdGetDatum(pubid));
		bool		filtered = false;

		if (HeapTupleIsValid(tuple))
		{
			bool		isnull;

			(void) SysCacheGetAttr(PUBLICATIONRELMAP, tuple,
								   Anum_pg_publication_rel_prqual, &isnull);
			filtered = !isnull;
			(void) SysCacheGetAttr(PUBLICATIONRELMAP, tuple,
								   Anum_pg_publication_rel_prattrs, &isnull);
			filtered |= !isnull;
			ReleaseSysCache(tuple);
		}
		result = published_tables_add(result, relid, false, NULL, NIL, filtered);
	}
	foreach(lc, GetAllSchemaPublicationRelations(pubid, PUBLICATION_PART_LEAF))
		result = published_tables_add(result, lfirst_oid(lc), false, NULL, NIL, false);
	if (all_tables)
		foreach(lc, GetAllTablesPublicationRelations(false))
			result = published_tables_add(result, lfirst_oid(lc), false, NULL, NIL, false);
	return result;
}

/*
 * The actions (PUBLISH_BLOCKS_UPDATE, _DELETE) option "publish" of
 * "options" names; false when it is not given.  A list the server will
 * refuse publishes nothing.
 */
static bool
publish_option_actions(List *options, int *actions)
{
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *def = lfirst_node(DefElem, lc);
		List	   *names;
		ListCell   *lc2;

		if (strcmp(def->defname, "publish") != 0)
			continue;
		*actions = 0;
		if (def->arg == NULL ||
			!SplitIdentifierString(pstrdup(defGetString(def)), ',', &names))
			return true;
		foreach(lc2, names)
		{
			if (strcmp(lfirst(lc2), "update") == 0)
				*actions |= PUBLISH_BLOCKS_UPDATE;
			else if (strcmp(lfirst(lc2), "delete") == 0)
				*actions |= PUBLISH_BLOCKS_DELETE;
		}
		return true;
	}
	return false;
}

/* Collects the column names a raw row filter reads. */
static bool
filter_columns_walker(Node *node, List **names)
{
	if (node == NULL)
		return false;
	if (IsA(node, ColumnRef))
	{
		Node	   *last = llast(((ColumnRef *) node)->fields);

		if (IsA(last, String))
			*names = lappend(*names, strVal(last));
		return false;
	}
	return raw_expression_tree_walker(node, filter_columns_walker, (void *) names);
}

/*
 * Would publishing "actions" of table "pt" make them fail, judged on its
 * replica identity as the server judges it: none (NOTHING, or DEFAULT
 * without a primary key), a row filter reading columns outside it, a
 * column list without all of it (FULL takes every column, so with FULL a
 * column list is judged to fail).  A filter or list the statement keeps
 * is judged to fail: the guard looks again at commit.
 */
static int
predicted_blocks(PublishedTable *pt, int actions)
{
	Relation	rel;
	Bitmapset  *idattrs;
	int			blocks = 0;
	List	   *names = NIL;
	ListCell   *lc;
	int			x;

	if (actions == 0)
		return 0;
	rel = try_relation_open(pt->relid, AccessShareLock);
	if (rel == NULL)
		return 0;
	if (pt->unknown_filter)
		blocks = actions;
	else if (rel->rd_rel->relreplident == REPLICA_IDENTITY_FULL)
		blocks = pt->columns != NIL ? actions : 0;
	else if (!OidIsValid(RelationGetReplicaIndex(rel)))
		blocks = actions;
	else
	{
		idattrs = RelationGetIndexAttrBitmap(rel, INDEX_ATTR_BITMAP_IDENTITY_KEY);
		(void) filter_columns_walker(pt->where, &names);
		foreach(lc, names)
		{
			AttrNumber	attnum = get_attnum(pt->relid, lfirst(lc));

			if (attnum == InvalidAttrNumber ||
				!bms_is_member(attnum - FirstLowInvalidHeapAttributeNumber, idattrs))
				blocks = actions;
		}
		x = -1;
		while (pt->columns != NIL && (x = bms_next_member(idattrs, x)) >= 0)
		{
			char	   *name = get_attname(pt->relid,
										   x + FirstLowInvalidHeapAttributeNumber, true);
			bool		listed = false;

			foreach(lc, pt->columns)
				if (name && strcmp(strVal(lfirst(lc)), name) == 0)
					listed = true;
			if (!listed)
				blocks = actions;
		}
	}
	relation_close(rel, AccessShareLock);
	return blocks;
}

/*
 * Does a later statement of the script, in the same transaction, give
 * table "relid" a replica identity (REPLICA IDENTITY FULL or USING INDEX,
 * ADD PRIMARY KEY)?  By name only: the guard judges at commit.
 */
static bool
upcoming_replica_identity(AnalyzeContext *ctx, Oid relid)
{
	ListCell   *lc;

	if (ctx->autocommit)
		return false;
	foreach(lc, ctx->upcoming)
	{
		ScriptStatement *st = lfirst(lc);
		Node	   *next = st->raw->stmt;
		ListCell   *lc2;

		if (st->index <= ctx->current)
			continue;
		if (IsA(next, TransactionStmt))
			return false;
		if (!IsA(next, AlterTableStmt) || ((AlterTableStmt *) next)->relation == NULL ||
			RangeVarGetRelid(((AlterTableStmt *) next)->relation, NoLock, true) != relid)
			continue;
		foreach(lc2, ((AlterTableStmt *) next)->cmds)
		{
			AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc2);

			if (cmd->subtype == AT_ReplicaIdentity && cmd->def &&
				(((ReplicaIdentityStmt *) cmd->def)->identity_type == REPLICA_IDENTITY_FULL ||
				 ((ReplicaIdentityStmt *) cmd->def)->identity_type == REPLICA_IDENTITY_INDEX))
				return true;
			if (cmd->subtype == AT_AddConstraint && cmd->def && IsA(cmd->def, Constraint) &&
				((Constraint *) cmd->def)->contype == CONSTR_PRIMARY)
				return true;
		}
	}
	return false;
}

/* "UPDATE and DELETE", "UPDATE" or "DELETE" */
static const char *
blocked_actions_text(int blocks)
{
	if (blocks == (PUBLISH_BLOCKS_UPDATE | PUBLISH_BLOCKS_DELETE))
		return "UPDATE and DELETE";
	return blocks == PUBLISH_BLOCKS_UPDATE ? "UPDATE" : "DELETE";
}

/*
 * CREATE PUBLICATION, or ALTER PUBLICATION ... ADD or SET of tables,
 * schemas or options, that makes a publication publish updates or
 * deletes of an old table its replica identity cannot serve (rule
 * publish_without_identity): from then on those UPDATEs and DELETEs fail
 * on the publisher.  One finding per table, naming it (qualified) and,
 * in its message, the publication; only what the statement adds to what
 * already fails.  By name, a later statement of the transaction that
 * gives the table an identity counts; the guard judges the finding again
 * when the transaction commits (policy.c), on the server's own test.
 */
static List *
publication_findings(AnalyzeContext *ctx, Node *stmt, List *findings)
{
	const char *pubname;
	List	   *tables = NIL;
	int			actions = PUBLISH_BLOCKS_UPDATE | PUBLISH_BLOCKS_DELETE;
	ListCell   *lc;

	if (IsA(stmt, CreatePublicationStmt))
	{
		CreatePublicationStmt *cp = (CreatePublicationStmt *) stmt;

		pubname = cp->pubname;
		(void) publish_option_actions(cp->options, &actions);
		if (actions == 0)
			return findings;
		tables = published_objects(NIL, cp->pubobjects);
		if (cp->for_all_tables)
			foreach(lc, GetAllTablesPublicationRelations(false))
				tables = published_tables_add(tables, lfirst_oid(lc), false, NULL, NIL, false);
	}
	else if (IsA(stmt, AlterPublicationStmt))
	{
		AlterPublicationStmt *ap = (AlterPublicationStmt *) stmt;
		HeapTuple	tuple;
		Form_pg_publication form;

		if (ap->action == AP_DropObjects && ap->options == NIL)
			return findings;
		pubname = ap->pubname;
		tuple = SearchSysCache1(PUBLICATIONNAME, CStringGetDatum(ap->pubname));
		if (!HeapTupleIsValid(tuple))
			return findings;
		form = (Form_pg_publication) GETSTRUCT(tuple);
		if (!publish_option_actions(ap->options, &actions))
			actions = (form->pubupdate ? PUBLISH_BLOCKS_UPDATE : 0) |
				(form->pubdelete ? PUBLISH_BLOCKS_DELETE : 0);
		if (actions != 0 && ap->options != NIL)
			tables = published_by_publication(NIL, form->oid, form->puballtables);
		ReleaseSysCache(tuple);
		if (actions == 0)
			return findings;
		if (ap->action != AP_DropObjects)
			tables = published_objects(tables, ap->pubobjects);
	}
	else
		return findings;

	foreach(lc, tables)
	{
		PublishedTable *pt = lfirst(lc);
		int			before = relation_publication_blocks(pt->relid);
		int			after = predicted_blocks(pt, actions) & ~before;
		Oid			nsp = get_rel_namespace(pt->relid);
		RangeVar   *rv = makeRangeVar(get_namespace_name(nsp), get_rel_name(pt->relid), -1);
		RuleFinding *f;

		if (after == 0 || oracle_relation_exempt(ctx->oracle, rv, false) ||
			upcoming_replica_identity(ctx, pt->relid))
			continue;
		findings = add_finding(findings, "publish_without_identity",
							   psprintf("%s.%s", rv->schemaname, rv->relname), -1);
		f = llast(findings);
		f->relid = pt->relid;
		f->blocked_before = before;
		f->publication = pstrdup(pubname);
		f->message = psprintf("Publication \"%s\" publishes %s of table \"%s.%s\", whose replica identity cannot serve %s: %s on the publisher.",
							  pubname, blocked_actions_text(after),
							  rv->schemaname, rv->relname,
							  after == (PUBLISH_BLOCKS_UPDATE | PUBLISH_BLOCKS_DELETE) ? "them" : "it",
							  after == (PUBLISH_BLOCKS_UPDATE | PUBLISH_BLOCKS_DELETE) ? "they fail" : "it fails");
	}
	return findings;
}

/*
 * Dropping index "indexoid" (DROP INDEX, or DROP CONSTRAINT of the key it
 * backs): does it take the replica identity of a published table, of
 * itself or of a partition (its partitions' indexes go with it)?  Then
 * what the table's publications publish of UPDATE and DELETE fails (rule
 * publish_without_identity, judged at commit: a new key may follow in
 * the transaction).
 */
static List *
identity_index_findings(AnalyzeContext *ctx, Oid indexoid, List *findings)
{
	Oid			relid = IndexGetRelation(indexoid, true);
	ListCell   *lc;

	if (!OidIsValid(relid))
		return findings;
	foreach(lc, find_all_inheritors(relid, NoLock, NULL))
	{
		Oid			leaf = lfirst_oid(lc);
		Relation	rel = try_relation_open(leaf, AccessShareLock);
		Oid			replidx;
		int			after = 0;
		int			before;
		PublicationDesc pubdesc;
		Oid			nsp;
		RangeVar   *rv;
		RuleFinding *f;

		if (rel == NULL)
			continue;
		replidx = rel->rd_rel->relkind == RELKIND_RELATION
			? RelationGetReplicaIndex(rel) : InvalidOid;
		if (OidIsValid(replidx) &&
			(replidx == indexoid ||
			 list_member_oid(get_partition_ancestors(replidx), indexoid)))
		{
			RelationBuildPublicationDesc(rel, &pubdesc);
			after = (pubdesc.pubactions.pubupdate ? PUBLISH_BLOCKS_UPDATE : 0) |
				(pubdesc.pubactions.pubdelete ? PUBLISH_BLOCKS_DELETE : 0);
		}
		relation_close(rel, AccessShareLock);
		if (after == 0)
			continue;
		before = relation_publication_blocks(leaf);
		after &= ~before;
		nsp = get_rel_namespace(leaf);
		rv = makeRangeVar(get_namespace_name(nsp), get_rel_name(leaf), -1);
		if (after == 0 || oracle_relation_exempt(ctx->oracle, rv, false) ||
			upcoming_replica_identity(ctx, leaf))
			continue;
		findings = add_finding(findings, "publish_without_identity",
							   psprintf("%s.%s", rv->schemaname, rv->relname), -1);
		f = llast(findings);
		f->relid = leaf;
		f->blocked_before = before;
		f->message = psprintf("Index \"%s\" is the replica identity of table \"%s.%s\", which publications publish %s of: without it they fail on the publisher.",
							  get_rel_name(indexoid), rv->schemaname, rv->relname,
							  blocked_actions_text(after));
	}
	return findings;
}

/*
 * ALTER TABLE ... DROP CONSTRAINT of the key, or DROP INDEX of the index,
 * that is a published table's replica identity (identity_index_findings()).
 */
static List *
identity_drop_findings(AnalyzeContext *ctx, Node *stmt, List *findings)
{
	ListCell   *lc;

	if (IsA(stmt, AlterTableStmt))
	{
		AlterTableStmt *at = (AlterTableStmt *) stmt;
		Oid			relid = InvalidOid;

		foreach(lc, at->cmds)
		{
			AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);
			Oid			conoid;

			if (cmd->subtype != AT_DropConstraint || cmd->name == NULL)
				continue;
			/* looked up for a DROP CONSTRAINT only */
			if (!OidIsValid(relid) &&
				(at->relation == NULL ||
				 !OidIsValid(relid = RangeVarGetRelid(at->relation, NoLock, true))))
				return findings;
			conoid = get_relation_constraint_oid(relid, cmd->name, true);
			if (OidIsValid(conoid) && OidIsValid(get_constraint_index(conoid)))
				findings = identity_index_findings(ctx, get_constraint_index(conoid),
												   findings);
		}
	}
	else if (IsA(stmt, DropStmt) && ((DropStmt *) stmt)->removeType == OBJECT_INDEX)
	{
		foreach(lc, ((DropStmt *) stmt)->objects)
		{
			Oid			indexoid = RangeVarGetRelid(makeRangeVarFromNameList((List *) lfirst(lc)),
													NoLock, true);

			if (OidIsValid(indexoid) &&
				(get_rel_relkind(indexoid) == RELKIND_INDEX ||
				 get_rel_relkind(indexoid) == RELKIND_PARTITIONED_INDEX))
				findings = identity_index_findings(ctx, indexoid, findings);
		}
	}
	return findings;
}

/*
 * ENABLE or FORCE ROW LEVEL SECURITY that makes row security hold back a
 * reader of an old table with rows and no permissive policy (rule
 * rls_without_policy; see relation_row_security_without_policy()).  By
 * name, a permissive policy a later statement of the same transaction
 * creates counts; the guard judges the finding when the transaction
 * commits (policy.c), when such a policy may have been created.
 */
static List *
row_security_findings(AnalyzeContext *ctx, AlterTableStmt *stmt, List *findings)
{
	ListCell   *lc;
	bool		changes = false;
	Oid			relid;
	HeapTuple	tuple;
	Form_pg_class form;
	bool		on;
	bool		forced;
	bool		harm;

	foreach(lc, stmt->cmds)
		if (lfirst_node(AlterTableCmd, lc)->subtype == AT_EnableRowSecurity ||
			lfirst_node(AlterTableCmd, lc)->subtype == AT_ForceRowSecurity)
			changes = true;
	if (!changes || stmt->relation == NULL ||
		!OidIsValid(relid = RangeVarGetRelid(stmt->relation, NoLock, true)))
		return findings;
	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tuple))
		return findings;
	form = (Form_pg_class) GETSTRUCT(tuple);
	on = form->relrowsecurity;
	forced = form->relforcerowsecurity;
	/* what the statement leaves */
	foreach(lc, stmt->cmds)
	{
		switch (lfirst_node(AlterTableCmd, lc)->subtype)
		{
			case AT_EnableRowSecurity:
				on = true;
				break;
			case AT_DisableRowSecurity:
				on = false;
				break;
			case AT_ForceRowSecurity:
				forced = true;
				break;
			case AT_NoForceRowSecurity:
				forced = false;
				break;
			default:
				break;
		}
	}
	harm = row_security_holds_back(relid, form, on, forced) &&
		!row_security_holds_back(relid, form, form->relrowsecurity,
								 form->relforcerowsecurity);
	ReleaseSysCache(tuple);
	if (harm && !relation_has_permissive_policy(relid) &&
		relation_holds_rows(relid) &&
		!upcoming_permissive_policy(ctx, stmt->relation))
		findings = add_finding(findings, "rls_without_policy",
							   relation_name(stmt->relation), stmt->relation->location);
	return findings;
}

/* What CREATE TABLE AS, SELECT INTO or CREATE MATERIALIZED VIEW creates. */
static IntoClause *
statement_into(Node *stmt)
{
	if (IsA(stmt, CreateTableAsStmt))
		return ((CreateTableAsStmt *) stmt)->into;
	if (IsA(stmt, SelectStmt))
		return ((SelectStmt *) stmt)->intoClause;
	return NULL;
}

/*
 * The facts of raw (or, in the guard's hook, transformed utility)
 * statement "stmt".  Findings, own-object alteration, autocommit and SPI
 * support are always worked out, without catalog access for statements
 * that fire no rule; "what" asks for the exemption, hazards and locks too.
 * With the by-name oracle, what the statement creates is noted afterwards
 * for the statements that follow.
 */
StatementFacts *
analyze_statement(AnalyzeContext *ctx, Node *stmt, int what)
{
	StatementFacts *facts = palloc0(sizeof(StatementFacts));
	Oracle	   *o = ctx->oracle;
	ListCell   *lc;

	facts->stmt = stmt;
	facts->tag = statement_tag(stmt);
	facts->findings = classify_node(stmt, NIL);
	if (IsA(stmt, AlterTableStmt))
		facts->findings = row_security_findings(ctx, (AlterTableStmt *) stmt,
												facts->findings);
	if (IsA(stmt, CreatePublicationStmt) || IsA(stmt, AlterPublicationStmt))
		facts->findings = publication_findings(ctx, stmt, facts->findings);
	if (IsA(stmt, AlterTableStmt) || IsA(stmt, DropStmt))
		facts->findings = identity_drop_findings(ctx, stmt, facts->findings);
	/* migrator's own install and update scripts change its objects */
	if (may_alter_own_object(stmt) && OidIsValid(oracle_own_namespace(o)) &&
		!(creating_extension &&
		  CurrentExtensionObject == get_extension_oid("migrator", true)))
	{
		char	   *own = own_object_altered(oracle_own_namespace(o), stmt);

		if (own)
		{
			RuleFinding *f = palloc0(sizeof(RuleFinding));

			/* reported first */
			f->rule = migrator_rule("alter_migrator");
			f->object = own;
			f->location = -1;
			facts->findings = lcons(f, facts->findings);
			facts->own_object = true;
		}
	}
	foreach(lc, facts->findings)
	{
		RuleFinding *f = lfirst(lc);

		if (f->rule->kind == MIGRATION_DESTRUCTIVE)
			facts->destructive = true;
		facts->rewrites |= f->rule->rewrites;
	}
	facts->cascades = statement_cascades(stmt);
	facts->needs_autocommit = statement_needs_autocommit(stmt);
	facts->unsupported = statement_unsupported_reason(stmt);
	facts->is_utility = statement_is_utility(stmt);
	facts->into = statement_into(stmt);
	facts->sets_owned_by = statement_sets_owned_by(stmt);
	statement_targets(facts, stmt);
	if (IsA(stmt, AlterTableStmt))
	{
		facts->defaults_relation = ((AlterTableStmt *) stmt)->relation;
		foreach(lc, ((AlterTableStmt *) stmt)->cmds)
		{
			AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

			if (cmd->subtype == AT_ColumnDefault && cmd->def != NULL && cmd->name != NULL)
				facts->defaults_set = lappend(facts->defaults_set, cmd->name);
		}
	}
	if (IsA(stmt, AlterDomainStmt) && ((AlterDomainStmt *) stmt)->subtype == 'T' &&
		((AlterDomainStmt *) stmt)->def != NULL &&
		!expression_is_null_constant(((AlterDomainStmt *) stmt)->def))
		facts->domain_default_set = ((AlterDomainStmt *) stmt)->typeName;
	facts->may_depend_on_temporary = statement_may_depend_on_temporary(stmt);

	if (what & ANALYZE_EXEMPTION)
		(void) analyze_exempt(ctx, facts);
	if (what & ANALYZE_HAZARDS)
	{
		statement_hazards(ctx, facts, stmt);
		if (IsA(stmt, IndexStmt))
			ctx->indexes = lappend(ctx->indexes, stmt);
		foreach(lc, facts->hazards)
			facts->rewrites |= ((RuleFinding *) lfirst(lc))->rule->rewrites;
	}
	if (!oracle_is_by_catalog(o))
	{
		note_statement(o, stmt, NULL);
		if (ctx->autocommit)
			oracle_next_transaction(o);
	}

	/* After noting: the table a CREATE TABLE locks is new. */
	if (what & ANALYZE_LOCKS)
		statement_locks(ctx, facts, stmt);
	return facts;
}

/*
 * Do the destructive findings of "facts" destroy nothing (see
 * statement_exempt())?  Worked out once, when first asked: the catalog
 * oracle may take a lock for TRUNCATE, so the guard asks only once it
 * knows the statement is destructive and the extension installed.
 * Statements on migrator's own objects are never exempt, nor are those
 * that make a permanent object depend on a temporary one (a new object
 * that vanishes with the session is not destroyed by nothing).  An exempt
 * statement that drops with CASCADE may still take old objects along: by
 * catalog the guard's object access hook judges each, by name the old objects
 * the script redefined in the transaction are its possible victims
 * (facts->cascade_victims).
 */
bool
analyze_exempt(AnalyzeContext *ctx, StatementFacts *facts)
{
	if (!facts->exempt_known)
	{
		facts->exempt_known = true;
		facts->exempt = facts->destructive && !facts->own_object &&
			!findings_have_rule(facts->findings, "depends_on_temporary") &&
			statement_exempt(ctx->oracle, facts->stmt, facts);
		if (facts->exempt && facts->cascades)
			facts->cascade_victims = oracle_cascade_victims(ctx->oracle);
	}
	return facts->exempt;
}

/* ---------------------------------------------------------------------
 * Single questions
 * ---------------------------------------------------------------------
 */

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

/*
 * Does "stmt" drop with CASCADE (DROP ... CASCADE, or an ALTER TABLE, ALTER
 * TYPE or ALTER DOMAIN subcommand with CASCADE)?  Not known (NULL): yes.
 */
bool
statement_cascades(Node *stmt)
{
	ListCell   *lc;

	if (stmt == NULL)
		return true;
	switch (nodeTag(stmt))
	{
		case T_DropStmt:
			return ((DropStmt *) stmt)->behavior == DROP_CASCADE;
		case T_AlterTableStmt:
			foreach(lc, ((AlterTableStmt *) stmt)->cmds)
				if (((AlterTableCmd *) lfirst(lc))->behavior == DROP_CASCADE)
					return true;
			return false;
		case T_AlterDomainStmt:
			return ((AlterDomainStmt *) stmt)->behavior == DROP_CASCADE;
		default:
			return false;
	}
}

/* Is "stmt" a DROP ... CASCADE? */
bool
statement_drops_with_cascade(Node *stmt)
{
	return stmt != NULL && IsA(stmt, DropStmt) &&
		((DropStmt *) stmt)->behavior == DROP_CASCADE;
}

/* Does "stmt" make a sequence owned by a column (... OWNED BY t.c)? */
bool
statement_sets_owned_by(Node *stmt)
{
	return (IsA(stmt, AlterSeqStmt) && sequence_options_own(((AlterSeqStmt *) stmt)->options)) ||
		(IsA(stmt, CreateSeqStmt) && sequence_options_own(((CreateSeqStmt *) stmt)->options));
}

/*
 * Does "stmt" drop or rename a database (DROP DATABASE, ALTER DATABASE ...
 * RENAME)?  Then *dbname is the database and *rule the rule it fires.
 */
bool
statement_database_target(Node *stmt, const char **dbname, const char **rule)
{
	if (IsA(stmt, DropdbStmt))
	{
		*dbname = ((DropdbStmt *) stmt)->dbname;
		*rule = "drop_database";
		return true;
	}
	if (IsA(stmt, RenameStmt) && ((RenameStmt *) stmt)->renameType == OBJECT_DATABASE)
	{
		*dbname = ((RenameStmt *) stmt)->subname;
		*rule = "rename";
		return true;
	}
	return false;
}

/*
 * Is "stmt" the blocking form of a statement that has a CONCURRENTLY form
 * (DROP INDEX, CREATE INDEX, REINDEX)?  register() warns about one in the
 * down script of a non-transactional migration.
 */
bool
statement_has_concurrent_form(Node *stmt)
{
	switch (nodeTag(stmt))
	{
		case T_DropStmt:
			return ((DropStmt *) stmt)->removeType == OBJECT_INDEX &&
				!((DropStmt *) stmt)->concurrent;
		case T_IndexStmt:
			return !((IndexStmt *) stmt)->concurrent;
		case T_ReindexStmt:
			return !statement_needs_autocommit(stmt);
		default:
			return false;
	}
}

/*
 * Does "stmt" drop extension "name" (DROP EXTENSION name, or DROP SCHEMA
 * name, which takes an extension of that schema along with CASCADE)?  The
 * guard says what goes with DROP EXTENSION migrator.
 */
bool
statement_drops_extension(Node *stmt, const char *name)
{
	DropStmt   *ds = (DropStmt *) stmt;
	ListCell   *lc;

	if (!IsA(stmt, DropStmt) ||
		(ds->removeType != OBJECT_EXTENSION && ds->removeType != OBJECT_SCHEMA))
		return false;
	foreach(lc, ds->objects)
		if (IsA(lfirst(lc), String) && strcmp(strVal(lfirst(lc)), name) == 0)
			return true;
	return false;
}

/*
 * The relation, as written, that a finding of "stmt" on "object" (as the
 * findings name objects) is about, or NULL when it is about no relation:
 * the relation of ALTER TABLE, RENAME and SET SCHEMA, a target of TRUNCATE
 * or of a DROP of relations, the relation of DROP TRIGGER / RULE / POLICY
 * ("relation.name").  A standing exemption names relations (rollout.c).
 */
RangeVar *
statement_finding_relation(Node *stmt, const char *object)
{
	ListCell   *lc;

	switch (nodeTag(stmt))
	{
		case T_AlterTableStmt:
			return ((AlterTableStmt *) stmt)->relation;
		case T_RenameStmt:
			return ((RenameStmt *) stmt)->relation;
		case T_AlterObjectSchemaStmt:
			return ((AlterObjectSchemaStmt *) stmt)->relation;
		case T_TruncateStmt:
			foreach(lc, ((TruncateStmt *) stmt)->relations)
			{
				RangeVar   *r = lfirst_node(RangeVar, lc);

				if (object && strcmp(relation_name(r), object) == 0)
					return r;
			}
			return NULL;
		case T_DropStmt:
			{
				DropStmt   *ds = (DropStmt *) stmt;

				foreach(lc, ds->objects)
				{
					List	   *names;

					if (!IsA(lfirst(lc), List))
						continue;
					names = (List *) lfirst(lc);
					if (object == NULL || strcmp(NameListToString(names), object) != 0)
						continue;
					switch (ds->removeType)
					{
						case OBJECT_TABLE:
						case OBJECT_VIEW:
						case OBJECT_MATVIEW:
						case OBJECT_SEQUENCE:
						case OBJECT_INDEX:
						case OBJECT_FOREIGN_TABLE:
							return makeRangeVarFromNameList(names);
						case OBJECT_TRIGGER:
						case OBJECT_RULE:
						case OBJECT_POLICY:
							if (list_length(names) >= 2)
								return makeRangeVarFromNameList(list_truncate(list_copy(names),
																			  list_length(names) - 1));
							return NULL;
						default:
							return NULL;
					}
				}
				return NULL;
			}
		default:
			return NULL;
	}
}

/*
 * Is "stmt" CREATE INDEX CONCURRENTLY?  Then *table is its table and
 * *index its name (NULL when it names none).
 */
bool
statement_index_concurrently(Node *stmt, RangeVar **table, const char **index)
{
	if (!IsA(stmt, IndexStmt) || !((IndexStmt *) stmt)->concurrent)
		return false;
	*table = ((IndexStmt *) stmt)->relation;
	*index = ((IndexStmt *) stmt)->idxname;
	return true;
}
