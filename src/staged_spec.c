/*-------------------------------------------------------------------------
 *
 * staged_spec.c
 *	  What a staged change does: the statement given to stage(), read by the
 *	  server's parser, then resolved against the catalog into the SQL of
 *	  every phase (docs/staged.md).
 *
 * staged_parse() needs no catalog: a change can be staged before the
 * migrations that create its table are applied.  staged_resolve() runs
 * when the change expands (and, read-only, for stage() and plan()): it
 * checks the table, chooses every generated name, and writes the SQL of
 * the expand, backfill, constrain, index, validate, complete and abort
 * steps.  Nothing here executes SQL that changes anything; staged.c runs
 * what is written here.
 *
 * User text is never spliced into generated SQL.  The up and down
 * expressions and the defaults and checks of the statement are parsed,
 * analysed against the table (with the caller's search_path, as the
 * caller wrote them), and deparsed by the server's own deparser with
 * search_path pinned, so that the text in the trigger and in the backfill
 * names every object it uses whatever the search_path of the session that
 * later fires the trigger.  Identifiers are quoted with quote_identifier().
 *
 * The dual-write trigger (reshaping changes: ADD COLUMN, DROP COLUMN,
 * ALTER COLUMN TYPE, and a constraint change with a fix-up, which writes
 * a copy of each column it fixes) keeps both shapes of every row
 * consistent:
 *
 *	INSERT	the new shape wrote the row when one of the new shape's
 *			converted columns is not NULL (only the new shape's view shows
 *			them), or when the session's first schema is a version schema
 *			that shows the new shape: the old columns are derived with
 *			down.  Otherwise the old shape wrote it: the new columns are
 *			derived with up.
 *	UPDATE	decided by comparing OLD and NEW: when only old-shape columns
 *			changed, the new ones are derived with up; when only new-shape
 *			columns changed and they are not what up gives anyway, the old
 *			ones are derived with down; when both changed, the row is kept
 *			if they agree and refused (check_violation) if they do not:
 *			only a client writing the table itself, naming the helper
 *			columns, can do that.  A row not backfilled yet (its new columns
 *			all NULL) is converted by any update.
 *
 *-------------------------------------------------------------------------
 */

#include "postgres.h"

#include "access/relation.h"
#include "access/table.h"
#include "catalog/catalog.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_type.h"
#include "commands/comment.h"
#include "commands/defrem.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/analyze.h"
#include "parser/parse_coerce.h"
#include "parser/parse_collate.h"
#include "parser/parse_expr.h"
#include "parser/parse_node.h"
#include "parser/parse_relation.h"
#include "parser/parse_type.h"
#include "parser/parser.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"
#include "utils/syscache.h"

#include "migrator.h"
#include "analyze.h"
#include "backfill.h"
#include "history.h"
#include "script.h"
#include "staged_spec.h"
#include "version.h"

/*
 * A name of at most NAMEDATALEN - 1 bytes: "prefix" + "a" [+ "_" + "b"],
 * clipped and followed by a hash of the whole when it is too long, so that
 * two long names stay distinct and the same input gives the same name in
 * every environment.
 */
static char *
staged_name(const char *prefix, const char *a, const char *b)
{
	char	   *name = psprintf("%s%s%s%s", prefix, a, b ? "_" : "", b ? b : "");
	int			len = strlen(name);
	uint32		hash;
	int			clip;

	if (len < NAMEDATALEN)
		return name;
	hash = hash_bytes((const unsigned char *) name, len);
	clip = pg_mbcliplen(name, len, NAMEDATALEN - 1 - 9);
	return psprintf("%.*s_%08x", clip, name, hash);
}

/*
 * The version schema of "nspname" at "version": "<nspname>_<version>".
 * Applications name it in their search_path, so it is never shortened.
 */
char *
staged_version_schema_name(const char *nspname, const char *version)
{
	char	   *name = psprintf("%s_%s", nspname, version);

	if (strlen(name) >= NAMEDATALEN)
		ereport(ERROR,
				(errcode(ERRCODE_NAME_TOO_LONG),
				 errmsg("version schema name \"%s\" is longer than %d bytes", name, NAMEDATALEN - 1),
				 errdetail("Each version of schema \"%s\" is shown in a schema named after the schema and the version.", nspname),
				 errhint("Stage the change under a shorter version.")));
	return name;
}

/* ----------------------------------------------------------------
 * Resolution against the catalog
 * ----------------------------------------------------------------
 */

static StagedSpec *resolve(const char *version, StagedRequest *req, bool missing_ok,
						   bool expanding);

/* A column of the table as it is before the change expands. */
typedef struct TableColumn
{
	char	   *name;
	AttrNumber	attnum;
	Oid			typid;
	int32		typmod;
	Oid			collid;
	bool		not_null;
	char		identity;
	char		generated;
	char	   *default_text;	/* deparsed, qualified; NULL: none */
	Node	   *default_expr;
} TableColumn;

/* What resolution works with besides the spec. */
typedef struct Resolver
{
	StagedSpec *spec;
	Relation	rel;
	List	   *columns;		/* TableColumn, in attnum order */
	StringInfoData expand;		/* expand, before the trigger */
	StringInfoData finish;		/* expand, after it (views come from staged.c) */
	StringInfoData constrain;
	StringInfoData validate;
	StringInfoData complete;
	StringInfoData abort;
	StringInfoData down;
	StringInfoData trigger_body;
	bool		expanding;		/* the first expand step ran: new columns exist */
} Resolver;

/* Pin search_path so that deparsed text and type names are qualified. */
static int
pin_search_path(void)
{
	int			nestlevel = NewGUCNestLevel();

	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	return nestlevel;
}

static char *
type_text(Oid typid, int32 typmod)
{
	int			nestlevel = pin_search_path();
	char	   *text = format_type_extended(typid, typmod, FORMAT_TYPE_TYPEMOD_GIVEN);

	AtEOXact_GUC(true, nestlevel);
	return text;
}

/* " COLLATE x" when "collid" is not the default of "typid", else "". */
static char *
collate_text(Oid typid, Oid collid)
{
	HeapTuple	tup;
	Form_pg_collation coll;
	char	   *text;

	if (!OidIsValid(collid) || collid == get_typcollation(typid))
		return "";
	tup = SearchSysCache1(COLLOID, ObjectIdGetDatum(collid));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for collation %u", collid);
	coll = (Form_pg_collation) GETSTRUCT(tup);
	text = psprintf(" COLLATE %s",
					quote_qualified_identifier(get_namespace_name(coll->collnamespace),
											   NameStr(coll->collname)));
	ReleaseSysCache(tup);
	return text;
}

/*
 * Deparse "expr", whose Vars are columns of "relid", qualified with
 * "prefix" (NEW in the trigger) or unqualified (prefix NULL: the backfill,
 * a constraint), with search_path pinned.
 */
static char *
deparse_on(Node *expr, Oid relid, const char *prefix)
{
	int			nestlevel = pin_search_path();
	char	   *text;

	text = deparse_expression(expr,
							  deparse_context_for(prefix ? prefix : get_rel_name(relid), relid),
							  prefix != NULL, false);
	AtEOXact_GUC(true, nestlevel);
	return text;
}

/* An OPERATOR(schema.name) clause for operator "opno". */
static char *
operator_text(Oid opno)
{
	HeapTuple	tup = SearchSysCache1(OPEROID, ObjectIdGetDatum(opno));
	Form_pg_operator op;
	char	   *text;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for operator %u", opno);
	op = (Form_pg_operator) GETSTRUCT(tup);
	text = psprintf("OPERATOR(%s.%s)",
					quote_identifier(get_namespace_name(op->oprnamespace)),
					NameStr(op->oprname));
	ReleaseSysCache(tup);
	return text;
}

/* The btree equality operator of type "typid", for duplicate checks. */
static char *
equality_operator_text(Oid typid, const char *column)
{
	Oid			opclass = GetDefaultOpClass(typid, BTREE_AM_OID);
	Oid			opno = OidIsValid(opclass)
		? get_opfamily_member(get_opclass_family(opclass), typid, typid, BTEqualStrategyNumber)
		: InvalidOid;

	if (!OidIsValid(opno))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("column \"%s\" has no btree equality operator", column)));
	return operator_text(opno);
}

/* The table's columns, with their defaults deparsed. */
static List *
table_columns(Relation rel)
{
	TupleDesc	desc = RelationGetDescr(rel);
	List	   *result = NIL;
	int			i;

	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		TableColumn *col;
		int			j;

		if (att->attisdropped)
			continue;
		col = palloc0(sizeof(TableColumn));
		col->name = pstrdup(NameStr(att->attname));
		col->attnum = att->attnum;
		col->typid = att->atttypid;
		col->typmod = att->atttypmod;
		col->collid = att->attcollation;
		col->not_null = att->attnotnull;
		col->identity = att->attidentity;
		col->generated = att->attgenerated;
		if (att->atthasdef && desc->constr)
			for (j = 0; j < desc->constr->num_defval; j++)
				if (desc->constr->defval[j].adnum == att->attnum)
				{
					col->default_expr = stringToNode(desc->constr->defval[j].adbin);
					col->default_text = deparse_on(col->default_expr, RelationGetRelid(rel), NULL);
				}
		result = lappend(result, col);
	}
	return result;
}

static TableColumn *
find_column(Resolver *r, const char *name)
{
	ListCell   *lc;

	foreach(lc, r->columns)
		if (strcmp(((TableColumn *) lfirst(lc))->name, name) == 0)
			return lfirst(lc);
	return NULL;
}

static TableColumn *
existing_column(Resolver *r, const char *name)
{
	TableColumn *col = find_column(r, name);

	if (col == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of relation \"%s\" does not exist", name, r->spec->relname)));
	return col;
}

static void
no_column(Resolver *r, const char *name)
{
	if (find_column(r, name))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_COLUMN),
				 errmsg("column \"%s\" of relation \"%s\" already exists", name, r->spec->relname)));
}

/*
 * Analyse raw expression "raw" (the caller's text, so with the caller's
 * search_path) over the row of the table, whose columns are named
 * "colnames" (one String per column not dropped; NIL: their own names),
 * coerced to "typid"/"typmod" when "typid" is valid.
 */
static Node *
analyze_expression(Resolver *r, Node *raw, List *colnames, Oid typid,
				   int32 typmod, ParseExprKind kind, const char *what)
{
	ParseState *pstate = make_parsestate(NULL);
	ParseNamespaceItem *nsitem;
	Node	   *expr;
	Bitmapset  *attnums = NULL;

	nsitem = addRangeTableEntryForRelation(pstate, r->rel, AccessShareLock,
										   makeAlias(r->spec->relname, copyObject(colnames)),
										   false, true);
	addNSItemToQuery(pstate, nsitem, false, true, true);
	expr = transformExpr(pstate, copyObject(raw), kind);
	if (OidIsValid(typid))
	{
		Oid			exprtype = exprType(expr);
		Node	   *coerced = coerce_to_target_type(pstate, expr, exprtype, typid, typmod,
													COERCION_ASSIGNMENT, COERCE_IMPLICIT_CAST, -1);

		if (coerced == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("%s is of type %s but must be of type %s", what,
							format_type_be(exprtype), format_type_with_typemod(typid, typmod)),
					 errhint("Add a cast to the expression.")));
		expr = coerced;
	}
	assign_expr_collations(pstate, expr);
	free_parsestate(pstate);

	pull_varattnos(expr, 1, &attnums);
	if (bms_is_member(0 - FirstLowInvalidHeapAttributeNumber, attnums))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not use the whole row", what),
				 errhint("Name the columns it reads.")));
	if (expression_returns_set(expr))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not return a set", what)));
	return expr;
}

/* The names of the columns of the table other than those in "hide". */
static List *
shape_colnames(Resolver *r, List *hide, List *rename_from, List *rename_to)
{
	List	   *names = NIL;
	ListCell   *lc;

	foreach(lc, r->columns)
	{
		TableColumn *col = lfirst(lc);
		ListCell   *h;
		bool		hidden = false;
		char	   *name = col->name;
		ListCell   *f,
				   *t;

		foreach(h, hide)
			if (strcmp(lfirst(h), col->name) == 0)
				hidden = true;
		forboth(f, rename_from, t, rename_to)
			if (strcmp(lfirst(f), col->name) == 0)
				name = lfirst(t);
		names = lappend(names, makeString(hidden
										  ? psprintf("-migrator hidden %d-", col->attnum)
										  : pstrdup(name)));
	}
	return names;
}

/* The columns of the table "expr" reads, as names. */
static List *
expression_columns(Resolver *r, Node *expr)
{
	Bitmapset  *attnums = NULL;
	List	   *names = NIL;
	ListCell   *lc;

	pull_varattnos(expr, 1, &attnums);
	foreach(lc, r->columns)
	{
		TableColumn *col = lfirst(lc);

		if (bms_is_member(col->attnum - FirstLowInvalidHeapAttributeNumber, attnums))
			names = lappend(names, col->name);
	}
	return names;
}


/*
 * Objects that depend on column "col" and would stop a DROP COLUMN, or
 * keep reading the old column after complete: views, rules, policies,
 * triggers, generated columns, foreign keys, statistics, publications.
 * Indexes and constraints of the table itself are handled by the caller
 * ("constraints_ok": CHECK and NOT NULL constraints are translated).
 */
static void
check_column_dependents(Resolver *r, TableColumn *col, bool type_change)
{
	Oid			types[3] = {OIDOID, INT2OID, BOOLOID};
	Datum		values[3];
	StringInfoData list;
	uint64		i;

	values[0] = ObjectIdGetDatum(r->spec->relid);
	values[1] = Int16GetDatum(col->attnum);
	values[2] = BoolGetDatum(type_change);
	if (SPI_execute_with_args(
							  "SELECT pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid) "
							  "  FROM pg_catalog.pg_depend d "
							  " WHERE d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass "
							  "   AND d.refobjid = $1 AND d.refobjsubid = $2 AND d.deptype IN ('n', 'a') "
							  "   AND NOT (d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND "
							  "            EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indexrelid = d.objid "
							  "                     AND i.indrelid = $1)) "
							  "   AND NOT (d.classid = 'pg_catalog.pg_constraint'::pg_catalog.regclass AND "
							  "            EXISTS (SELECT 1 FROM pg_catalog.pg_constraint c WHERE c.oid = d.objid "
							  "                     AND c.conrelid = $1 AND c.contype IN ('c', 'n'))) "
							  "   AND NOT (d.classid = 'pg_catalog.pg_attrdef'::pg_catalog.regclass AND "
							  "            EXISTS (SELECT 1 FROM pg_catalog.pg_attrdef a WHERE a.oid = d.objid "
							  "                     AND a.adrelid = $1 AND a.adnum = $2)) "
							  "   AND NOT (d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND "
							  "            EXISTS (SELECT 1 FROM pg_catalog.pg_rewrite w "
							  "                      JOIN pg_catalog.pg_class v ON v.oid = w.ev_class "
							  "                     WHERE w.oid = d.objid AND pg_catalog.starts_with("
							  "                           pg_catalog.obj_description(v.relnamespace, 'pg_namespace'), "
							  "                           'migrator: version schema of '))) "
							  "   AND NOT (NOT $3 AND d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass "
							  "            AND d.deptype = 'a' AND EXISTS (SELECT 1 FROM pg_catalog.pg_class s "
							  "                     WHERE s.oid = d.objid AND s.relkind = 'S')) "
							  " ORDER BY 1",
							  3, types, values, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not list the dependents of a column");
	if (SPI_processed == 0)
		return;
	initStringInfo(&list);
	for (i = 0; i < SPI_processed; i++)
		appendStringInfo(&list, "%s%s", i > 0 ? ", " : "",
						 SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1));
	ereport(ERROR,
			(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
			 errmsg("column \"%s\" of relation \"%s\" is used by other objects", col->name, r->spec->relname),
			 errdetail("Used by: %s.", list.data),
			 errhint("Change or drop those objects first: complete() drops the old column.")));
}

/*
 * The newest migration applied before "version", whose version names the
 * schema of the old shape; NULL when there is none.  The caller is
 * connected to SPI.
 */
static char *
previous_version(const char *version)
{
	Oid			type = TEXTOID;
	Datum		value = CStringGetTextDatum(version);
	char	   *prev = NULL;
	uint64		i;

	history_exec("SELECT version FROM migrator.migrations "
				 "WHERE state = 'applied' AND version <> $1 "
				 "ORDER BY migrator.version_key(version) DESC, version DESC",
				 1, &type, &value, NULL);
	for (i = 0; i < SPI_processed; i++)
	{
		char	   *v = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);

		if (version_compare(v, version) < 0)
		{
			prev = v;
			break;
		}
	}
	return prev;
}

/* Append "sql" and a statement terminator to "buf". */
static void
add_sql(StringInfo buf, const char *fmt,...) pg_attribute_printf(2, 3);

static void
add_sql(StringInfo buf, const char *fmt,...)
{
	for (;;)
	{
		va_list		args;
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(buf, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(buf, needed);
	}
	appendStringInfoString(buf, ";\n");
}

/* A dollar-quote tag that "body" does not contain. */
static char *
dollar_tag(const char *body)
{
	int			n;

	for (n = 0;; n++)
	{
		char	   *tag = n == 0 ? "$migrator$" : psprintf("$migrator_%d$", n);

		if (strstr(body, tag) == NULL)
			return tag;
	}
}

/* A SQL string literal of "s" for a RAISE in the trigger. */
static char *
literal(const char *s)
{
	return quote_literal_cstr(s);
}

/* ----------------------------------------------------------------
 * Renames: through the views only, until complete renames for real.
 * ----------------------------------------------------------------
 */
static void
resolve_rename(Resolver *r)
{
	StagedSpec *spec = r->spec;
	StagedRequest *req = spec->req;

	if (req->op == STAGED_RENAME_COLUMN)
	{
		TableColumn *col = existing_column(r, req->from_name);
		StagedViewColumn *vc = palloc0(sizeof(StagedViewColumn));

		no_column(r, req->to_name);
		vc->name = req->to_name;
		vc->real = col->name;
		spec->view_columns = list_make1(vc);
		add_sql(&r->complete, "ALTER TABLE %s RENAME COLUMN %s TO %s", spec->qualified,
				quote_identifier(col->name), quote_identifier(req->to_name));
		add_sql(&r->down, "ALTER TABLE %s RENAME COLUMN %s TO %s", spec->qualified,
				quote_identifier(req->to_name), quote_identifier(col->name));
		spec->describe = psprintf("rename column %s.%s to %s (through the versioned views until complete)",
								  spec->qualified, quote_identifier(col->name),
								  quote_identifier(req->to_name));
	}
	else
	{
		Oid			nsp = RelationGetNamespace(r->rel);

		if (OidIsValid(get_relname_relid(req->to_name, nsp)) ||
			SearchSysCacheExists2(TYPENAMENSP, CStringGetDatum(req->to_name),
								  ObjectIdGetDatum(nsp)))
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_TABLE),
					 errmsg("relation \"%s\" already exists in schema \"%s\"",
							req->to_name, spec->nspname)));
		spec->new_relname = req->to_name;
		add_sql(&r->complete, "ALTER TABLE %s RENAME TO %s", spec->qualified,
				quote_identifier(req->to_name));
		add_sql(&r->down, "ALTER TABLE %s RENAME TO %s",
				quote_qualified_identifier(spec->nspname, req->to_name),
				quote_identifier(spec->relname));
		spec->describe = psprintf("rename table %s to %s (through the versioned views until complete)",
								  spec->qualified, quote_identifier(req->to_name));
	}
}

/* ----------------------------------------------------------------
 * Reshaping: new columns beside the old ones, a dual-write trigger,
 * a backfill, and the old columns dropped at complete.
 * ----------------------------------------------------------------
 */

static char *req_operation_text(StagedRequest *req);
static List *n_all_names(struct Reshape *rs);

/* A column of the new shape, as reshaping resolves it. */
typedef struct NewColumn
{
	StagedAdd  *add;
	char	   *real;			/* its column while in flight */
	Oid			typid;
	int32		typmod;
	Oid			collid;
	Node	   *up;				/* analysed over the old shape; NULL: none */
	bool		base_default;	/* the table gives it a default while in flight */
	Node	   *fill;			/* volatile base default, filled when NULL */
	char	   *default_text;	/* default of the new shape */
	bool		not_null;
	char	   *not_null_check; /* CHECK (real IS NOT NULL) while in flight */
	TableColumn *replaced;		/* ALTER COLUMN TYPE, or the copy of a fix-up */
	/* a fix-up's up, written as text (up is then the fix-up alone) */
	char	   *up_new;			/* over NEW, for the trigger */
	char	   *up_plain;		/* over the table, for the backfill */
	List	   *up_reads;		/* char *: the columns it reads */
} NewColumn;

/* A column of the old shape the new one does not have. */
typedef struct OldColumn
{
	StagedDrop *drop;
	TableColumn *col;
	Node	   *down;			/* analysed over the new shape; NULL: none */
} OldColumn;

/* A column that the fix-up of a constraint change assigns (its copy: "nc"). */
typedef struct FixColumn
{
	TableColumn *col;
	NewColumn  *nc;
	char	   *fix_new;		/* the fix-up over NEW (the trigger) */
	char	   *fix_plain;		/* and over the table (the backfill) */
	List	   *reads;			/* char *: the columns it reads, and col */
} FixColumn;

/* Reshaping state beyond the Resolver. */
typedef struct Reshape
{
	List	   *fixes;			/* FixColumn: a constraint change with a fix-up */
	char	   *fix_check_name; /* its CHECK, written over the copies */
	char	   *trigger_prologue;	/* first statements of the trigger, or NULL */
	List	   *news;			/* NewColumn */
	List	   *olds;			/* OldColumn */
	List	   *checks;			/* translated CHECKs: pairs of names (temp, final) */
	List	   *checks_final;
	List	   *checks_definition;	/* pg_get_constraintdef() of the originals */
	List	   *checks_column;	/* the old column each one reads */
	List	   *indexes_temp;	/* index copies: temp and final names */
	List	   *indexes_final;
} Reshape;

/*
 * Is ALTER COLUMN TYPE from (oldtype, oldmod) to (newtype, newmod) a
 * widening that loses nothing, so that the casts both ways are up and
 * down?
 */
static bool
lossless_widening(Oid oldtype, int32 oldmod, Oid newtype, int32 newmod)
{
	switch (oldtype)
	{
		case INT2OID:
			return newtype == INT4OID || newtype == INT8OID || newtype == FLOAT4OID ||
				newtype == FLOAT8OID ||
				(newtype == NUMERICOID && (newmod < 0 || ((newmod - VARHDRSZ) >> 16) - ((newmod - VARHDRSZ) & 0xffff) >= 5));
		case INT4OID:
			return newtype == INT8OID || newtype == FLOAT8OID ||
				(newtype == NUMERICOID && (newmod < 0 || ((newmod - VARHDRSZ) >> 16) - ((newmod - VARHDRSZ) & 0xffff) >= 10));
		case INT8OID:
			return newtype == NUMERICOID &&
				(newmod < 0 || ((newmod - VARHDRSZ) >> 16) - ((newmod - VARHDRSZ) & 0xffff) >= 19);
		case FLOAT4OID:
			return newtype == FLOAT8OID;
		case NUMERICOID:
			if (newtype != NUMERICOID)
				return false;
			if (newmod < 0)
				return true;
			if (oldmod < 0)
				return false;
			{
				int			op = (oldmod - VARHDRSZ) >> 16,
							os = (oldmod - VARHDRSZ) & 0xffff,
							np = (newmod - VARHDRSZ) >> 16,
							ns = (newmod - VARHDRSZ) & 0xffff;

				return ns >= os && np - ns >= op - os;
			}
		case VARCHAROID:
			return newtype == TEXTOID ||
				(newtype == VARCHAROID && (newmod < 0 || (oldmod >= 0 && newmod >= oldmod)));
		case DATEOID:
			return newtype == TIMESTAMPOID;
		default:
			return false;
	}
}

/* A raw "column::type" for the default up or down of a widening. */
static Node *
raw_cast(const char *column, Oid typid, int32 typmod)
{
	ColumnRef  *ref = makeNode(ColumnRef);
	TypeCast   *tc = makeNode(TypeCast);

	ref->fields = list_make1(makeString(pstrdup(column)));
	ref->location = -1;
	tc->arg = (Node *) ref;
	tc->typeName = makeTypeNameFromOid(typid, typmod);
	tc->location = -1;
	return (Node *) tc;
}

/*
 * The indexes on the old columns of a type change are copied onto the new
 * column (CREATE INDEX CONCURRENTLY after the backfill) and take the
 * original names at complete.  Indexes of constraints, on expressions or
 * with a predicate are refused.  Indexes on columns that are only dropped
 * go with them at complete.
 */
static void
copy_indexes(Resolver *r, Reshape *rs, StringInfo abort_indexes)
{
	StagedSpec *spec = r->spec;
	Oid			type = OIDOID;
	Datum		value = ObjectIdGetDatum(spec->relid);
	uint64		i;
	uint64		n;
	SPITupleTable *tt;

	if (SPI_execute_with_args(
							  "SELECT i.indexrelid, c.relname, i.indisunique, "
							  "       i.indexprs IS NOT NULL OR i.indpred IS NOT NULL, "
							  "       EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conindid = i.indexrelid), "
							  "       am.amname, i.indnkeyatts, i.indnatts, "
							  "       pg_catalog.array_to_string(i.indkey::pg_catalog.int2[], ','), "
							  "       pg_catalog.array_to_string(i.indoption::pg_catalog.int2[], ','), "
							  "       pg_catalog.array_to_string(ARRAY(SELECT pg_catalog.pg_get_indexdef(i.indexrelid, k, false) "
							  "                                 FROM pg_catalog.generate_series(1, i.indnatts) k), E'\\x01') "
							  "  FROM pg_catalog.pg_index i "
							  "  JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid "
							  "  JOIN pg_catalog.pg_am am ON am.oid = c.relam "
							  " WHERE i.indrelid = $1 ORDER BY c.relname",
							  1, &type, &value, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not list the indexes of relation %u", spec->relid);
	tt = SPI_tuptable;
	n = SPI_processed;
	for (i = 0; i < n; i++)
	{
		HeapTuple	tup = tt->vals[i];
		TupleDesc	desc = tt->tupdesc;
		char	   *name = SPI_getvalue(tup, desc, 2);
		bool		unique = strcmp(SPI_getvalue(tup, desc, 3), "t") == 0;
		bool		complex = strcmp(SPI_getvalue(tup, desc, 4), "t") == 0;
		bool		constraint = strcmp(SPI_getvalue(tup, desc, 5), "t") == 0;
		char	   *am = SPI_getvalue(tup, desc, 6);
		int			nkey = atoi(SPI_getvalue(tup, desc, 7));
		char	   *keys = SPI_getvalue(tup, desc, 9);
		char	   *options = SPI_getvalue(tup, desc, 10);
		char	   *coldefs = SPI_getvalue(tup, desc, 11);
		List	   *attnums = NIL;
		List	   *opts = NIL;
		List	   *defs = NIL;
		char	   *p;
		bool		touches = false;
		int			k;
		StringInfoData cols;
		StringInfoData include;
		char	   *temp;
		ListCell   *lc;

		/* "1,3" -> (1, 3) */
		for (p = keys; *p;)
		{
			attnums = lappend_int(attnums, (int) strtol(p, &p, 10));
			if (*p == ',')
				p++;
		}
		for (p = options; *p;)
		{
			opts = lappend_int(opts, (int) strtol(p, &p, 10));
			if (*p == ',')
				p++;
		}
		for (p = coldefs;;)
		{
			char	   *sep = strchr(p, '\x01');

			defs = lappend(defs, sep ? pnstrdup(p, sep - p) : pstrdup(p));
			if (!sep)
				break;
			p = sep + 1;
		}

		foreach(lc, rs->olds)
		{
			OldColumn  *oc = lfirst(lc);
			ListCell   *ac;

			foreach(ac, attnums)
				if (lfirst_int(ac) == oc->col->attnum)
					touches = true;
		}
		if (!touches && !complex)
			continue;
		if (complex)
		{
			/* an expression or predicate that reads an old column? */
			Oid			t2[2] = {OIDOID, OIDOID};
			Datum		v2[2];
			bool		reads = false;

			v2[0] = SPI_getbinval(tup, desc, 1, &(bool){false});
			v2[1] = ObjectIdGetDatum(spec->relid);
			foreach(lc, rs->olds)
			{
				OldColumn  *oc = lfirst(lc);
				Oid			t3[3] = {OIDOID, OIDOID, INT2OID};
				Datum		v3[3];

				v3[0] = v2[0];
				v3[1] = v2[1];
				v3[2] = Int16GetDatum(oc->col->attnum);
				if (SPI_execute_with_args("SELECT 1 FROM pg_catalog.pg_depend WHERE classid = 'pg_catalog.pg_class'::pg_catalog.regclass "
										  "AND objid = $1 AND refobjid = $2 AND refobjsubid = $3",
										  3, t3, v3, NULL, false, 0) != SPI_OK_SELECT)
					elog(ERROR, "could not read the dependencies of an index");
				if (SPI_processed > 0)
					reads = true;
			}
			(void) t2;
			if (!reads)
				continue;
		}
		/* Only dropped, not replaced: the index goes with the column. */
		{
			bool		replaced = false;

			foreach(lc, rs->news)
			{
				NewColumn  *nc = lfirst(lc);
				ListCell   *ac;

				if (nc->replaced == NULL)
					continue;
				foreach(ac, attnums)
					if (lfirst_int(ac) == nc->replaced->attnum)
						replaced = true;
			}
			if (!replaced && !complex)
				continue;
		}
		if ((constraint || complex) && rs->fixes)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("cannot stage the constraint with a fix-up: index \"%s\" %s", name,
							constraint ? "belongs to a constraint" : "uses an expression or a predicate over the column"),
					 errdetail("The fix-up writes a copy of the column, which replaces the column at complete()."),
					 errhint("Drop the index (or the constraint) first and create it again after complete(), or stage the constraint without up.")));
		if (constraint || complex)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("cannot stage the type change: index \"%s\" %s", name,
							constraint ? "belongs to a constraint" : "uses an expression or a predicate over the column"),
					 errhint("Drop the index (or the constraint) first and create it again after complete(), or change the type in a plain migration.")));

		initStringInfo(&cols);
		initStringInfo(&include);
		for (k = 0; k < list_length(attnums); k++)
		{
			int			attnum = list_nth_int(attnums, k);
			NewColumn  *repl = NULL;
			StringInfo	target = k < nkey ? &cols : &include;

			foreach(lc, rs->news)
			{
				NewColumn  *nc = lfirst(lc);

				if (nc->replaced && nc->replaced->attnum == attnum)
					repl = nc;
			}
			if (target->len > 0)
				appendStringInfoString(target, ", ");
			if (repl && k < nkey)
			{
				int16		opt = k < list_length(opts) ? list_nth_int(opts, k) : 0;

				appendStringInfoString(target, quote_identifier(repl->real));
				if (opt & INDOPTION_DESC)
					appendStringInfoString(target, (opt & INDOPTION_NULLS_FIRST) ? " DESC" : " DESC NULLS LAST");
				else if (opt & INDOPTION_NULLS_FIRST)
					appendStringInfoString(target, " NULLS FIRST");
			}
			else if (repl)
				appendStringInfoString(target, quote_identifier(repl->real));
			else
				appendStringInfoString(target, (char *) list_nth(defs, k));
		}
		temp = staged_name("", name, "migrator");
		{
			char	   *body = psprintf("%s ON %s USING %s (%s)%s%s%s",
										quote_identifier(temp), spec->qualified,
										quote_identifier(am), cols.data,
										include.len > 0 ? " INCLUDE (" : "",
										include.data, include.len > 0 ? ")" : "");

			spec->index_sql = lappend(spec->index_sql,
									  psprintf("CREATE %sINDEX CONCURRENTLY %s", unique ? "UNIQUE " : "", body));
			spec->index_sql_blocking = lappend(spec->index_sql_blocking,
											   psprintf("CREATE %sINDEX %s", unique ? "UNIQUE " : "", body));
			spec->index_names = lappend(spec->index_names,
										quote_qualified_identifier(spec->nspname, temp));
		}
		rs->indexes_temp = lappend(rs->indexes_temp, temp);
		rs->indexes_final = lappend(rs->indexes_final, name);
		add_sql(abort_indexes, "DROP INDEX IF EXISTS %s",
				quote_qualified_identifier(spec->nspname, temp));
	}
}

/* The CHECK constraints of the table that read column "attnum". */
static List *
checks_on_column(Resolver *r, AttrNumber attnum, List **names, List **defs)
{
	Oid			types[2] = {OIDOID, INT2OID};
	Datum		values[2];
	List	   *exprs = NIL;
	uint64		i;

	values[0] = ObjectIdGetDatum(r->spec->relid);
	values[1] = Int16GetDatum(attnum);
	if (SPI_execute_with_args("SELECT conname, conbin, pg_catalog.pg_get_constraintdef(oid) FROM pg_catalog.pg_constraint "
							  "WHERE conrelid = $1 AND contype = 'c' AND $2 = ANY (conkey) ORDER BY conname",
							  2, types, values, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not list check constraints");
	for (i = 0; i < SPI_processed; i++)
	{
		*names = lappend(*names, SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1));
		exprs = lappend(exprs, stringToNode(SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2)));
		*defs = lappend(*defs, SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 3));
	}
	return exprs;
}

/* "NEW.a IS DISTINCT FROM OLD.a OR ..." over "names" ("false" when none). */
static char *
changed_text(List *names)
{
	StringInfoData buf;
	ListCell   *lc;

	if (names == NIL)
		return "false";
	initStringInfo(&buf);
	foreach(lc, names)
	{
		const char *q = quote_identifier(lfirst(lc));

		appendStringInfo(&buf, "%sNEW.%s IS DISTINCT FROM OLD.%s",
						 buf.len > 0 ? " OR " : "", q, q);
	}
	return buf.data;
}

/* "NEW.a IS NULL AND ..." ("true" when none). */
static char *
all_null_text(List *names, const char *prefix)
{
	StringInfoData buf;
	ListCell   *lc;

	if (names == NIL)
		return "true";
	initStringInfo(&buf);
	foreach(lc, names)
		appendStringInfo(&buf, "%s%s%s IS NULL", buf.len > 0 ? " AND " : "",
						 prefix, quote_identifier(lfirst(lc)));
	return buf.data;
}

/* "SELECT e1, e2 INTO NEW.a, NEW.b;" */
static char *
assign_text(List *targets, List *exprs)
{
	StringInfoData sel;
	StringInfoData into;
	ListCell   *t,
			   *e;

	if (targets == NIL)
		return "";
	initStringInfo(&sel);
	initStringInfo(&into);
	forboth(t, targets, e, exprs)
	{
		appendStringInfo(&sel, "%s%s", sel.len > 0 ? ", " : "", (char *) lfirst(e));
		appendStringInfo(&into, "%sNEW.%s", into.len > 0 ? ", " : "",
						 quote_identifier(lfirst(t)));
	}
	return psprintf("SELECT %s INTO %s;", sel.data, into.data);
}

/*
 * Reshaping, the part that needs no new column: the checks, the names,
 * the expand DDL that adds the new columns, and the analysis of up.
 */
static Reshape *
resolve_reshape(Resolver *r)
{
	StagedSpec *spec = r->spec;
	StagedRequest *req = spec->req;
	Reshape    *rs = palloc0(sizeof(Reshape));
	ListCell   *lc;
	List	   *drop_names = NIL;

	foreach(lc, req->drops)
	{
		StagedDrop *drop = lfirst(lc);
		OldColumn  *oc = palloc0(sizeof(OldColumn));

		oc->drop = drop;
		oc->col = existing_column(r, drop->name);
		drop_names = lappend(drop_names, oc->col->name);
		rs->olds = lappend(rs->olds, oc);
	}
	spec->drop_names = drop_names;

	foreach(lc, req->adds)
	{
		StagedAdd  *add = lfirst(lc);
		NewColumn  *nc = palloc0(sizeof(NewColumn));

		nc->add = add;
		typenameTypeIdAndMod(NULL, add->type, &nc->typid, &nc->typmod);
		nc->collid = add->collate
			? LookupCollation(NULL, add->collate->collname, -1)
			: get_typcollation(nc->typid);
		if (OidIsValid(nc->collid) && !type_is_collatable(nc->typid))
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("collations are not supported by type %s", format_type_be(nc->typid))));
		if (add->replaces)
		{
			TableColumn *old = existing_column(r, add->replaces);

			nc->replaced = old;
			if (old->identity || old->generated)
				staged_unsupported("a type change of an identity or generated column", NULL);
			if (old->typid == nc->typid && old->typmod == nc->typmod && old->collid == nc->collid)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("column \"%s\" already has type %s", old->name,
								format_type_with_typemod(nc->typid, nc->typmod))));
			if (nc->add->up == NULL)
			{
				if (!lossless_widening(old->typid, old->typmod, nc->typid, nc->typmod))
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("the type change of column \"%s\" from %s to %s needs up and down expressions",
									old->name, format_type_with_typemod(old->typid, old->typmod),
									format_type_with_typemod(nc->typid, nc->typmod)),
							 errdetail("Only a lossless widening (integer to bigint, varchar(n) to text, ...) converts by casts both ways."),
							 errhint("Pass up => the new value from the old row and down => the old value from the new row.")));
				nc->add->up = raw_cast(old->name, nc->typid, nc->typmod);
			}
			nc->real = staged_name("_migrator_", old->name, NULL);
			if (!r->expanding)
				no_column(r, nc->real);
			nc->not_null = old->not_null;
			if (old->default_text)
			{
				/* the default, cast to the new type, as ALTER TYPE would */
				List	   *raw = raw_parser(psprintf("SELECT %s", old->default_text), RAW_PARSE_DEFAULT);
				Node	   *expr = ((ResTarget *) linitial(((SelectStmt *) ((RawStmt *) linitial(raw))->stmt)->targetList))->val;

				nc->add->default_expr = expr;
			}
		}
		else
		{
			if (!r->expanding)
				no_column(r, add->name);
			nc->real = add->name;
			nc->not_null = add->not_null;
		}
		rs->news = lappend(rs->news, nc);
	}

	/* The objects that read an old column. */
	foreach(lc, rs->olds)
	{
		OldColumn  *oc = lfirst(lc);
		bool		replaced = false;
		ListCell   *nl;

		foreach(nl, rs->news)
			if (((NewColumn *) lfirst(nl))->replaced == oc->col)
				replaced = true;
		check_column_dependents(r, oc->col, replaced);
		if (!replaced && oc->drop->down == NULL && oc->col->not_null && oc->col->default_text == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("rows the new version writes need a value for column \"%s\"", oc->col->name),
					 errdetail("The column is NOT NULL without a default, and the new version does not see it."),
					 errhint("Pass down => the value of \"%s\" for a row written by the new version.", oc->col->name)));
	}

	/* Defaults and up, analysed with the caller's search_path. */
	foreach(lc, rs->news)
	{
		NewColumn  *nc = lfirst(lc);
		Node	   *def = NULL;

		if (nc->add->default_expr)
		{
			ParseState *pstate = make_parsestate(NULL);
			Node	   *expr = transformExpr(pstate, copyObject(nc->add->default_expr),
											 EXPR_KIND_COLUMN_DEFAULT);
			Node	   *coerced = coerce_to_target_type(pstate, expr, exprType(expr),
														nc->typid, nc->typmod,
														COERCION_ASSIGNMENT, COERCE_IMPLICIT_CAST, -1);

			if (coerced == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_DATATYPE_MISMATCH),
						 errmsg("the default of column \"%s\" is of type %s but the column is %s",
								nc->add->name, format_type_be(exprType(expr)),
								format_type_with_typemod(nc->typid, nc->typmod))));
			assign_expr_collations(pstate, coerced);
			free_parsestate(pstate);
			def = coerced;
			nc->default_text = deparse_on(def, spec->relid, NULL);
		}
		if (nc->add->up)
			nc->up = analyze_expression(r, nc->add->up,
										shape_colnames(r, NIL, NIL, NIL),
										nc->typid, nc->typmod, EXPR_KIND_UPDATE_SOURCE,
										psprintf("up of column \"%s\"", nc->add->name));
		else if (def && contain_volatile_functions(def))
		{
			/* a volatile default: set for new rows, filled for old ones */
			nc->base_default = true;
			nc->fill = def;
		}
		else if (def || !nc->not_null)
			nc->base_default = true;	/* the missing-value default, no rewrite */
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("column \"%s\" is NOT NULL but has neither a default nor an up expression",
							nc->add->name),
					 errhint("Give it a DEFAULT, or pass up => its value for the existing rows.")));
	}
	return rs;
}

/*
 * GRANTs that give column "real" of the table the column privileges that
 * every column of "attnums" has (the grantable option when every one has
 * it): a retyped column's privileges follow it to its new column, which
 * takes its name at complete(), and a new column of a split or a merge
 * (a change that also drops columns) gets those of the columns its up
 * reads.  Without them a role with
 * column privileges could not write the column through the new shape's
 * view (security_invoker: the table's privileges are checked), nor after
 * complete().  A new column derived from nothing gets none, as ADD COLUMN
 * gives none.
 */
static void
copy_column_privileges(Resolver *r, List *attnums, const char *real)
{
	Oid			types[3] = {OIDOID, INT2ARRAYOID, INT4OID};
	Datum		values[3];
	Datum	   *elems;
	ListCell   *lc;
	uint64		i;

	if (attnums == NIL)
		return;
	elems = palloc(sizeof(Datum) * list_length(attnums));
	foreach(lc, attnums)
		elems[foreach_current_index(lc)] = Int16GetDatum((int16) lfirst_int(lc));
	values[0] = ObjectIdGetDatum(r->spec->relid);
	values[1] = PointerGetDatum(construct_array(elems, list_length(attnums), INT2OID,
												sizeof(int16), true, TYPALIGN_SHORT));
	values[2] = Int32GetDatum(list_length(attnums));
	if (SPI_execute_with_args("SELECT CASE WHEN a.grantee = 0 THEN NULL ELSE pg_catalog.pg_get_userbyid(a.grantee) END, "
							  "       a.privilege_type, pg_catalog.bool_and(a.is_grantable) "
							  "  FROM pg_catalog.pg_attribute t, pg_catalog.aclexplode(t.attacl) a "
							  " WHERE t.attrelid = $1 AND t.attnum OPERATOR(pg_catalog.=) ANY ($2) AND t.attacl IS NOT NULL "
							  " GROUP BY a.grantee, a.privilege_type "
							  "HAVING pg_catalog.count(DISTINCT t.attnum) OPERATOR(pg_catalog.=) $3 "
							  " ORDER BY 1 NULLS FIRST, 2",
							  3, types, values, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the column privileges of relation %u", r->spec->relid);
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		char	   *grantee = SPI_getvalue(tup, desc, 1);

		add_sql(&r->expand, "GRANT %s (%s) ON %s TO %s%s", SPI_getvalue(tup, desc, 2),
				quote_identifier(real), r->spec->qualified,
				grantee ? quote_identifier(grantee) : "PUBLIC",
				strcmp(SPI_getvalue(tup, desc, 3), "t") == 0 ? " WITH GRANT OPTION" : "");
	}
}

/* The attribute numbers of the table's columns that "expr" reads. */
static List *
expression_attnums(Resolver *r, Node *expr)
{
	List	   *attnums = NIL;
	ListCell   *lc;

	foreach(lc, expression_columns(r, expr))
		attnums = lappend_int(attnums, find_column(r, lfirst(lc))->attnum);
	return attnums;
}

/*
 * Reshaping: write the expand DDL that adds the new columns.
 */
static void
render_reshape_columns(Resolver *r, Reshape *rs)
{
	StagedSpec *spec = r->spec;
	ListCell   *lc;

	foreach(lc, rs->news)
	{
		NewColumn  *nc = lfirst(lc);
		char	   *type = type_text(nc->typid, nc->typmod);
		char	   *coll = collate_text(nc->typid, nc->collid);
		StagedViewColumn *vc = palloc0(sizeof(StagedViewColumn));

		if (nc->base_default && nc->fill == NULL)
			add_sql(&r->expand, "ALTER TABLE %s ADD COLUMN %s %s%s%s%s%s", spec->qualified,
					quote_identifier(nc->real), type, coll,
					nc->default_text ? " DEFAULT " : "",
					nc->default_text ? nc->default_text : "",
					nc->not_null ? " NOT NULL" : "");
		else
		{
			add_sql(&r->expand, "ALTER TABLE %s ADD COLUMN %s %s%s", spec->qualified,
					quote_identifier(nc->real), type, coll);
			if (nc->fill)
				add_sql(&r->expand, "ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s",
						spec->qualified, quote_identifier(nc->real), nc->default_text);
		}
		if (nc->replaced)
			copy_column_privileges(r, list_make1_int(nc->replaced->attnum), nc->real);
		else if (nc->up && rs->olds != NIL)
			copy_column_privileges(r, expression_attnums(r, nc->up), nc->real);
		/* NOT NULL, proven by a CHECK validated after the backfill */
		if (nc->not_null && !(nc->base_default && nc->fill == NULL))
			nc->not_null_check = staged_name("", spec->relname, psprintf("%s_migrator_not_null", nc->add->name));
		vc->name = nc->add->name;
		vc->real = nc->real;
		vc->added = true;
		vc->view_default = nc->base_default ? NULL : nc->default_text;
		spec->view_columns = lappend(spec->view_columns, vc);
	}
}

/*
 * Reshaping, the part that needs the new columns (after the expand DDL
 * ran): down analysed over the new shape, the trigger, the backfill, the
 * translated CHECKs, the index copies, complete, abort and the down
 * script.  "dry_run": the new columns do not exist; describe instead.
 */
static void render_fix_check(Resolver *r, Reshape *rs, List *hide_old, List *from,
							 List *to, StringInfo cons, StringInfo val, bool dry_run);
static void render_fix_foreign_key(Resolver *r, Reshape *rs, bool dry_run);

static void
render_reshape_rest(Resolver *r, Reshape *rs, bool dry_run)
{
	StagedSpec *spec = r->spec;
	char	   *fix_describe = spec->describe;
	StringInfoData abort_indexes;
	List	   *hide_old = NIL;
	List	   *new_names_from = NIL;
	List	   *new_names_to = NIL;
	List	   *n_free = NIL;
	List	   *n_all = NIL;
	List	   *up_targets = NIL;
	List	   *up_trigger = NIL;
	List	   *up_plain = NIL;
	List	   *o_changed = NIL;
	List	   *down_targets = NIL;
	List	   *down_trigger = NIL;
	List	   *o_names = NIL;
	List	   *fill_targets = NIL;
	List	   *fill_trigger = NIL;
	List	   *fill_plain = NIL;
	List	   *newcols;
	ListCell   *lc;
	bool		need_trigger;
	StringInfoData consistent;

	initStringInfo(&abort_indexes);
	initStringInfo(&consistent);
	if (rs->fixes && spec->req->op == STAGED_ADD_FOREIGN_KEY)
		render_fix_foreign_key(r, rs, dry_run);

	foreach(lc, rs->olds)
	{
		OldColumn  *oc = lfirst(lc);

		hide_old = lappend(hide_old, oc->col->name);
		o_names = lappend(o_names, oc->col->name);
		o_changed = list_append_unique(o_changed, makeString(oc->col->name));
	}
	foreach(lc, rs->news)
	{
		NewColumn  *nc = lfirst(lc);

		n_all = lappend(n_all, nc->real);
		if (nc->up)
		{
			List	   *reads = nc->up_reads ? nc->up_reads : expression_columns(r, nc->up);
			ListCell   *rc;

			n_free = lappend(n_free, nc->real);
			up_targets = lappend(up_targets, nc->real);
			up_trigger = lappend(up_trigger, nc->up_new ? nc->up_new
								 : deparse_on(nc->up, spec->relid, "new"));
			up_plain = lappend(up_plain, nc->up_plain ? nc->up_plain
							   : deparse_on(nc->up, spec->relid, NULL));
			appendStringInfo(&consistent, "%sNEW.%s IS NOT DISTINCT FROM %s",
							 consistent.len > 0 ? " AND " : "", quote_identifier(nc->real),
							 (char *) llast(up_trigger));
			foreach(rc, reads)
				o_changed = list_append_unique(o_changed, makeString(lfirst(rc)));
		}
		else if (nc->fill)
		{
			fill_targets = lappend(fill_targets, nc->real);
			fill_trigger = lappend(fill_trigger, deparse_on(nc->fill, spec->relid, "new"));
			fill_plain = lappend(fill_plain, deparse_on(nc->fill, spec->relid, NULL));
		}
		if (nc->real != nc->add->name)
		{
			new_names_from = lappend(new_names_from, nc->real);
			new_names_to = lappend(new_names_to, nc->add->name);
		}
	}
	newcols = NIL;
	foreach(lc, o_changed)
		newcols = lappend(newcols, strVal(lfirst(lc)));
	o_changed = newcols;

	/* down, over the new shape: old columns hidden, new ones by name */
	if (!dry_run)
	{
		TupleDesc	desc;
		int			i;

		/* The table now has the new columns: read them. */
		r->columns = table_columns(r->rel);
		desc = RelationGetDescr(r->rel);
		(void) desc;
		(void) i;
	}
	foreach(lc, rs->olds)
	{
		OldColumn  *oc = lfirst(lc);
		Node	   *raw = oc->drop->down;
		NewColumn  *repl = NULL;
		ListCell   *nl;

		foreach(nl, rs->news)
			if (((NewColumn *) lfirst(nl))->replaced == oc->col)
				repl = lfirst(nl);
		if (raw == NULL && repl && lossless_widening(oc->col->typid, oc->col->typmod,
													   repl->typid, repl->typmod) &&
			repl->add->up && IsA(repl->add->up, TypeCast))
			raw = raw_cast(repl->add->name, oc->col->typid, oc->col->typmod);
		if (raw == NULL && repl)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the type change of column \"%s\" needs a down expression", oc->col->name),
					 errdetail("Rows the new version writes must be readable by the old version too."),
					 errhint("Pass down => the old value of \"%s\" from the new row.", oc->col->name)));
		if (raw == NULL || dry_run)
			continue;
		oc->down = analyze_expression(r, raw,
									  shape_colnames(r, hide_old, new_names_from, new_names_to),
									  oc->col->typid, oc->col->typmod, EXPR_KIND_UPDATE_SOURCE,
									  psprintf("down of column \"%s\"", oc->col->name));
		down_targets = lappend(down_targets, oc->col->name);
		down_trigger = lappend(down_trigger, deparse_on(oc->down, spec->relid, "new"));
	}

	need_trigger = n_free != NIL || down_targets != NIL || fill_targets != NIL;
	if (need_trigger && !dry_run)
	{
		StringInfoData body;
		StringInfoData tail;
		char	   *new_write;

		/*
		 * Which shape an INSERT wrote: a new column that is not NULL, or a
		 * session on a version schema of the new shape (the array is filled
		 * in by the versioned-schema sync), or, when the new shape has no
		 * column of its own, old columns left NULL.
		 */
		if (n_free != NIL)
			new_write = psprintf("NOT (%s)", all_null_text(n_free, "NEW."));
		else if (down_targets != NIL)
			new_write = psprintf("(%s)", all_null_text(o_names, "NEW."));
		else
			new_write = "false";

		initStringInfo(&body);
		appendStringInfoString(&body, "\nBEGIN\n");
		if (rs->trigger_prologue)
			appendStringInfoString(&body, rs->trigger_prologue);
		appendStringInfoString(&body,
							   "  IF TG_OP = 'INSERT' THEN\n"
							   "    IF (pg_catalog.current_schemas(false))[1] OPERATOR(pg_catalog.=) ANY (");
		initStringInfo(&tail);
		appendStringInfo(&tail, "::pg_catalog.name[]) OR %s THEN\n"
						 "      %s\n"
						 "    ELSE\n"
						 "      %s\n"
						 "    END IF;\n"
						 "  ELSIF %s THEN\n"
						 "    IF %s THEN\n"
						 "      IF NOT (%s) THEN\n"
						 "        RAISE EXCEPTION USING ERRCODE = 'check_violation',\n"
						 "          MESSAGE = %s,\n"
						 "          DETAIL = %s,\n"
						 "          HINT = %s;\n"
						 "      END IF;\n"
						 "    ELSIF NOT (%s) THEN\n"
						 "      %s\n"
						 "    END IF;\n"
						 "  ELSIF %s OR (%s) THEN\n"
						 "      %s\n"
						 "  END IF;\n",
						 new_write,
						 assign_text(down_targets, down_trigger),
						 assign_text(up_targets, up_trigger),
						 changed_text(n_all),
						 changed_text(o_changed),
						 consistent.len > 0 ? consistent.data : "true",
						 literal(psprintf("row of %s written in both shapes of staged change %s with values that disagree",
										  spec->qualified, spec->version)),
						 literal(psprintf("An UPDATE changed columns of the old shape (%s) and of the new shape (%s) of the table itself, and the new ones are not what up derives from the old ones.",
										  staged_names_text(o_changed), staged_names_text(n_all))),
						 literal("Write one shape per statement, through its version schema: migrator derives the other."),
						 consistent.len > 0 ? consistent.data : "true",
						 assign_text(down_targets, down_trigger),
						 changed_text(o_changed),
						 n_free ? psprintf("TG_OP = 'UPDATE' AND %s", all_null_text(n_free, "NEW.")) : "false",
						 assign_text(up_targets, up_trigger));
		foreach(lc, fill_targets)
		{
			int			idx = foreach_current_index(lc);

			appendStringInfo(&tail, "  IF NEW.%s IS NULL THEN NEW.%s := %s; END IF;\n",
							 quote_identifier(lfirst(lc)), quote_identifier(lfirst(lc)),
							 (char *) list_nth(fill_trigger, idx));
		}
		appendStringInfoString(&tail, "  RETURN NEW;\nEND\n");
		spec->function_head = body.data;
		spec->function_tail = tail.data;
	}
	else if (need_trigger)
		spec->function_head = "";	/* dry run: described in plan() */

	/* The backfill: rows whose new columns are all NULL. */
	if (n_free != NIL || fill_targets != NIL)
	{
		StringInfoData set;
		StringInfoData filter;
		ListCell   *t,
				   *e;
		char	   *unconverted = all_null_text(n_free, "");

		initStringInfo(&set);
		initStringInfo(&filter);
		forboth(t, up_targets, e, up_plain)
		{
			if (fill_targets == NIL)
				appendStringInfo(&set, "%s%s = %s", set.len > 0 ? ", " : "",
								 quote_identifier(lfirst(t)), (char *) lfirst(e));
			else
				appendStringInfo(&set, "%s%s = CASE WHEN %s THEN %s ELSE %s END",
								 set.len > 0 ? ", " : "", quote_identifier(lfirst(t)),
								 unconverted, (char *) lfirst(e), quote_identifier(lfirst(t)));
		}
		forboth(t, fill_targets, e, fill_plain)
			appendStringInfo(&set, "%s%s = COALESCE(%s, %s)", set.len > 0 ? ", " : "",
							 quote_identifier(lfirst(t)), quote_identifier(lfirst(t)),
							 (char *) lfirst(e));
		if (n_free != NIL)
			appendStringInfo(&filter, "(%s)", unconverted);
		foreach(t, fill_targets)
			appendStringInfo(&filter, "%s%s IS NULL", filter.len > 0 ? " OR " : "",
							 quote_identifier(lfirst(t)));
		spec->backfill_set = set.data;
		spec->backfill_filter = filter.data;
	}

	/* NOT NULL of new columns, and the CHECKs of replaced columns. */
	{
		StringInfoData cons;
		StringInfoData val;
		StringInfoData abort_cons;

		initStringInfo(&cons);
		initStringInfo(&val);
		initStringInfo(&abort_cons);
		foreach(lc, rs->news)
		{
			NewColumn  *nc = lfirst(lc);

			if (nc->not_null_check)
			{
				add_sql(&cons, "ALTER TABLE %s ADD CONSTRAINT %s CHECK (%s IS NOT NULL) NOT VALID",
						spec->qualified, quote_identifier(nc->not_null_check),
						quote_identifier(nc->real));
				add_sql(&val, "ALTER TABLE %s VALIDATE CONSTRAINT %s", spec->qualified,
						quote_identifier(nc->not_null_check));
				add_sql(&abort_cons, "ALTER TABLE %s DROP CONSTRAINT IF EXISTS %s", spec->qualified,
						quote_identifier(nc->not_null_check));
			}
			if (nc->replaced && !dry_run)
			{
				List	   *names = NIL;
				List	   *defs = NIL;
				List	   *exprs = checks_on_column(r, nc->replaced->attnum, &names, &defs);
				ListCell   *nl,
						   *el;

				rs->checks_definition = list_concat(rs->checks_definition, defs);
				forboth(nl, names, el, exprs)
				{
					char	   *final = lfirst(nl);
					char	   *temp = staged_name("", final, "migrator");
					/* deparsed over the old shape, read again over the new one */
					char	   *text = deparse_on(lfirst(el), spec->relid, NULL);
					Node	   *raw = staged_parse_expression(text, "check constraint");
					Node	   *expr = analyze_expression(r, raw,
														  shape_colnames(r, hide_old, new_names_from, new_names_to),
														  BOOLOID, -1, EXPR_KIND_CHECK_CONSTRAINT,
														  psprintf("check constraint \"%s\"", final));

					add_sql(&cons, "ALTER TABLE %s ADD CONSTRAINT %s CHECK (%s) NOT VALID",
							spec->qualified, quote_identifier(temp),
							deparse_on(expr, spec->relid, NULL));
					add_sql(&val, "ALTER TABLE %s VALIDATE CONSTRAINT %s", spec->qualified,
							quote_identifier(temp));
					add_sql(&abort_cons, "ALTER TABLE %s DROP CONSTRAINT IF EXISTS %s", spec->qualified,
							quote_identifier(temp));
					rs->checks = lappend(rs->checks, temp);
					rs->checks_final = lappend(rs->checks_final, final);
					rs->checks_column = lappend(rs->checks_column, nc->replaced->name);
				}
			}
		}
		if (rs->fix_check_name)
			render_fix_check(r, rs, hide_old, new_names_from, new_names_to, &cons, &val, dry_run);

		/*
		 * A fix-up's constraints come right after the trigger (the second
		 * expand step), so that the new version's writes are checked from
		 * the start; the old version's are fixed by the trigger before.
		 */
		if (rs->fixes)
		{
			spec->expand_late_sql = cons.data;
			spec->constrain_sql = "";
		}
		else
			spec->constrain_sql = cons.data;
		spec->validate_sql = val.data;
		copy_indexes(r, rs, &abort_indexes);

		/* abort: the trigger, the index copies, the checks, the new columns */
		if (need_trigger)
		{
			add_sql(&r->abort, "DROP TRIGGER IF EXISTS %s ON %s", quote_identifier(spec->trigger),
					spec->qualified);
			add_sql(&r->abort, "DROP FUNCTION IF EXISTS %s()", spec->function);
		}
		appendStringInfoString(&r->abort, abort_indexes.data);
		appendStringInfoString(&r->abort, abort_cons.data);
		foreach(lc, rs->news)
			add_sql(&r->abort, "ALTER TABLE %s DROP COLUMN IF EXISTS %s", spec->qualified,
					quote_identifier(((NewColumn *) lfirst(lc))->real));
	}

	/* complete: drop the trigger and the old columns, new ones take their names */
	if (need_trigger)
	{
		add_sql(&r->complete, "DROP TRIGGER %s ON %s", quote_identifier(spec->trigger), spec->qualified);
		add_sql(&r->complete, "DROP FUNCTION %s()", spec->function);
	}
	foreach(lc, rs->olds)
		add_sql(&r->complete, "ALTER TABLE %s DROP COLUMN %s", spec->qualified,
				quote_identifier(((OldColumn *) lfirst(lc))->col->name));
	foreach(lc, rs->news)
	{
		NewColumn  *nc = lfirst(lc);

		if (strcmp(nc->real, nc->add->name) != 0)
			add_sql(&r->complete, "ALTER TABLE %s RENAME COLUMN %s TO %s", spec->qualified,
					quote_identifier(nc->real), quote_identifier(nc->add->name));
		if (nc->default_text && !nc->base_default)
			add_sql(&r->complete, "ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s", spec->qualified,
					quote_identifier(nc->add->name), nc->default_text);
		if (nc->not_null_check)
		{
			add_sql(&r->complete, "ALTER TABLE %s ALTER COLUMN %s SET NOT NULL", spec->qualified,
					quote_identifier(nc->add->name));
			add_sql(&r->complete, "ALTER TABLE %s DROP CONSTRAINT %s", spec->qualified,
					quote_identifier(nc->not_null_check));
		}
		if (nc->replaced)
		{
			char	   *comment = GetComment(spec->relid, RelationRelationId, nc->replaced->attnum);

			if (comment)
				add_sql(&r->complete, "COMMENT ON COLUMN %s.%s IS %s", spec->qualified,
						quote_identifier(nc->add->name), quote_literal_cstr(comment));
		}
	}
	{
		ListCell   *t,
				   *f;

		forboth(t, rs->indexes_temp, f, rs->indexes_final)
			add_sql(&r->complete, "ALTER INDEX %s RENAME TO %s",
					quote_qualified_identifier(spec->nspname, lfirst(t)), quote_identifier(lfirst(f)));
		forboth(t, rs->checks, f, rs->checks_final)
			add_sql(&r->complete, "ALTER TABLE %s RENAME CONSTRAINT %s TO %s", spec->qualified,
					quote_identifier(lfirst(t)), quote_identifier(lfirst(f)));
	}

	if (rs->fixes)
		spec->describe = fix_describe;
	else
		spec->describe = psprintf("%s of %s: new columns %s beside the old ones%s%s%s, dropped at complete",
								  req_operation_text(spec->req), spec->qualified, staged_names_text(n_all_names(rs)),
								  need_trigger ? ", a dual-write trigger" : "",
								  spec->backfill_set ? ", a batched backfill" : "",
								  spec->index_sql ? ", index copies built concurrently" : "");
}

/* ----------------------------------------------------------------
 * Constraints: added NOT VALID, validated, kept at complete.
 *
 * Without up nothing is written: the constraint is added NOT VALID and
 * validated.  With up, the fix-up of the rows that would violate it, the
 * fixed values must not overwrite what the old application wrote, or
 * abort() could not give it back (and the old shape's view would show the
 * new shape's values).  So each column the fix-up assigns gets a copy,
 * "_migrator_<column>", of the same type, and the constraint is put on
 * the copy: the change is a reshaping one, as a type change is.  The old
 * shape's view shows the column, the new shape's view the copy under the
 * column's name; the dual-write trigger derives the copy from the column
 * with the fix-up applied to a violating value (up) and the column from
 * the copy unchanged (down); complete() drops the column and gives the
 * copy its name (the constraint goes with the copy), abort() drops the
 * copy.  Nothing the old application wrote is changed at any time.
 * ----------------------------------------------------------------
 */

/*
 * The reshaping of a constraint change with a fix-up: a copy of each
 * column the fix-up assigns (the new shape's column), the column itself
 * as the old shape's, with the fix-up analysed over the old shape.  Its
 * up (the fix-up applied where the row violates the constraint) is set by
 * set_fix_up() once the caller knows the violation.
 */
static Reshape *
fixing_reshape(Resolver *r)
{
	StagedSpec *spec = r->spec;
	Reshape    *rs = palloc0(sizeof(Reshape));
	ListCell   *lc;

	foreach(lc, spec->req->fix)
	{
		ResTarget  *rt = lfirst_node(ResTarget, lc);
		TableColumn *col = existing_column(r, rt->name);
		FixColumn  *fc = palloc0(sizeof(FixColumn));
		NewColumn  *nc = palloc0(sizeof(NewColumn));
		OldColumn  *oc = palloc0(sizeof(OldColumn));
		ColumnRef  *ref = makeNode(ColumnRef);
		Node	   *expr;

		if (col->identity || col->generated)
			staged_unsupported("a fix-up of an identity or generated column",
							   "The fix-up writes a copy of the column, which takes its place at complete().");
		expr = analyze_expression(r, rt->val, NIL, col->typid, col->typmod,
								  EXPR_KIND_UPDATE_SOURCE,
								  psprintf("up of column \"%s\"", col->name));
		nc->add = palloc0(sizeof(StagedAdd));
		nc->add->name = col->name;
		nc->add->replaces = col->name;
		nc->typid = col->typid;
		nc->typmod = col->typmod;
		nc->collid = col->collid;
		nc->real = staged_name("_migrator_", col->name, NULL);
		if (!r->expanding)
			no_column(r, nc->real);
		nc->up = expr;
		nc->not_null = col->not_null;
		nc->default_text = col->default_text;
		nc->replaced = col;

		/* down: the old column is the copy, unchanged */
		ref->fields = list_make1(makeString(pstrdup(col->name)));
		ref->location = -1;
		oc->drop = palloc0(sizeof(StagedDrop));
		oc->drop->name = col->name;
		oc->drop->down = (Node *) ref;
		oc->col = col;
		check_column_dependents(r, col, true);

		fc->col = col;
		fc->nc = nc;
		fc->fix_new = deparse_on(expr, spec->relid, "new");
		fc->fix_plain = deparse_on(expr, spec->relid, NULL);
		fc->reads = lappend(expression_columns(r, expr), col->name);
		rs->news = lappend(rs->news, nc);
		rs->olds = lappend(rs->olds, oc);
		rs->fixes = lappend(rs->fixes, fc);
		spec->drop_names = lappend(spec->drop_names, col->name);
	}
	spec->reshape = rs;
	return rs;
}

/*
 * The up of each copy: the fix-up where the row (NEW in the trigger, the
 * table's row in the backfill) violates the constraint ("violates_new",
 * "violates_plain", reading "reads" besides the fix-up's columns), else
 * the column's value.
 */
static void
set_fix_up(Reshape *rs, const char *violates_new, const char *violates_plain, List *reads)
{
	ListCell   *lc;

	foreach(lc, rs->fixes)
	{
		FixColumn  *fc = lfirst(lc);
		const char *q = quote_identifier(fc->col->name);

		fc->nc->up_new = psprintf("CASE WHEN %s THEN %s ELSE NEW.%s END",
								  violates_new, fc->fix_new, q);
		fc->nc->up_plain = psprintf("CASE WHEN %s THEN %s ELSE %s END",
									violates_plain, fc->fix_plain, q);
		fc->nc->up_reads = list_concat(list_copy(fc->reads), reads);
	}
}

/* "a copy of column a" or "copies of columns a, b", for describe. */
static char *
copies_text(StagedSpec *spec)
{
	if (list_length(spec->drop_names) == 1)
		return psprintf("a copy of column %s", staged_names_text(spec->drop_names));
	return psprintf("copies of columns %s", staged_names_text(spec->drop_names));
}

/* The copy of column "name" when a fix-up assigns it, else the column. */
static const char *
fixed_column(Reshape *rs, const char *name)
{
	ListCell   *lc;

	foreach(lc, rs->fixes)
	{
		FixColumn  *fc = lfirst(lc);

		if (strcmp(fc->col->name, name) == 0)
			return fc->nc->real;
	}
	return name;
}

/* A constraint name that is free on the table (and, "as_index", in its schema). */
static char *
constraint_name(Resolver *r, const char *given, const char *column, const char *label,
				bool as_index)
{
	StagedSpec *spec = r->spec;
	Oid			nsp = RelationGetNamespace(r->rel);
	char	   *name = given ? pstrdup(given)
		: ChooseConstraintName(spec->relname, column, label, nsp, NIL);

	if (ConstraintNameIsUsed(CONSTRAINT_RELATION, spec->relid, name))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("constraint \"%s\" for relation \"%s\" already exists", name, spec->relname)));
	if (as_index && OidIsValid(get_relname_relid(name, nsp)))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_TABLE),
				 errmsg("relation \"%s\" already exists", name)));
	return name;
}

static void
resolve_not_null(Resolver *r)
{
	StagedSpec *spec = r->spec;
	TableColumn *col = existing_column(r, spec->req->column);
	const char *q = quote_identifier(col->name);
	char	   *check = staged_name("", spec->relname, psprintf("%s_migrator_not_null", col->name));

	if (col->not_null)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("column \"%s\" of relation \"%s\" is already NOT NULL", col->name, spec->relname)));
	add_sql(&r->down, "ALTER TABLE %s ALTER COLUMN %s DROP NOT NULL", spec->qualified, q);
	if (spec->req->fix)
	{
		/* the copy is NOT NULL: its CHECK, validated, then SET NOT NULL */
		Reshape    *rs = fixing_reshape(r);

		((FixColumn *) linitial(rs->fixes))->nc->not_null = true;
		render_reshape_columns(r, rs);
		set_fix_up(rs, psprintf("NEW.%s IS NULL", q), psprintf("%s IS NULL", q), NIL);
		spec->describe = psprintf("set %s.%s NOT NULL on a copy of the column, its NULLs filled by the trigger and a batched backfill: CHECK NOT VALID, validated; at complete the copy replaces the column, SET NOT NULL without a scan",
								  spec->qualified, q);
		return;
	}
	add_sql(&r->constrain, "ALTER TABLE %s ADD CONSTRAINT %s CHECK (%s IS NOT NULL) NOT VALID",
			spec->qualified, quote_identifier(check), q);
	add_sql(&r->validate, "ALTER TABLE %s VALIDATE CONSTRAINT %s", spec->qualified, quote_identifier(check));
	add_sql(&r->complete, "ALTER TABLE %s ALTER COLUMN %s SET NOT NULL", spec->qualified, q);
	add_sql(&r->complete, "ALTER TABLE %s DROP CONSTRAINT %s", spec->qualified, quote_identifier(check));
	add_sql(&r->abort, "ALTER TABLE %s DROP CONSTRAINT IF EXISTS %s", spec->qualified, quote_identifier(check));
	spec->describe = psprintf("set %s.%s NOT NULL: CHECK NOT VALID, validated, then SET NOT NULL without a scan",
							  spec->qualified, q);
}

static void
resolve_check(Resolver *r)
{
	StagedSpec *spec = r->spec;
	Constraint *c = spec->req->constraint;
	Node	   *expr = analyze_expression(r, c->raw_expr, NIL, BOOLOID, -1,
										  EXPR_KIND_CHECK_CONSTRAINT, "the check expression");
	List	   *cols = expression_columns(r, expr);
	char	   *name = constraint_name(r, c->conname, cols ? linitial(cols) : NULL, "check", false);

	add_sql(&r->abort, "ALTER TABLE %s DROP CONSTRAINT IF EXISTS %s", spec->qualified, quote_identifier(name));
	add_sql(&r->down, "ALTER TABLE %s DROP CONSTRAINT %s", spec->qualified, quote_identifier(name));
	if (spec->req->fix)
	{
		/* the CHECK over the copies is written once they exist (finish) */
		Reshape    *rs = fixing_reshape(r);

		rs->fix_check_name = name;
		render_reshape_columns(r, rs);
		set_fix_up(rs, psprintf("(%s) IS FALSE", deparse_on(expr, spec->relid, "new")),
				   psprintf("(%s) IS FALSE", deparse_on(expr, spec->relid, NULL)), cols);
		spec->describe = psprintf("add CHECK %s to %s on %s, violating values fixed there by the trigger and a batched backfill: NOT VALID, validated without blocking writes; at complete the copy replaces the column",
								  quote_identifier(name), spec->qualified, copies_text(spec));
		return;
	}
	add_sql(&r->constrain, "ALTER TABLE %s ADD CONSTRAINT %s CHECK (%s) NOT VALID",
			spec->qualified, quote_identifier(name), deparse_on(expr, spec->relid, NULL));
	add_sql(&r->validate, "ALTER TABLE %s VALIDATE CONSTRAINT %s", spec->qualified, quote_identifier(name));
	spec->describe = psprintf("add CHECK %s to %s NOT VALID, validated without blocking writes",
							  quote_identifier(name), spec->qualified);
}

/*
 * The CHECK of a fixing change over the new shape (the copies under the
 * columns' names), once the copies exist; NOT VALID, after the trigger,
 * so that the new version's writes are checked from the start and the old
 * version's are fixed before the check.  "dry_run": described.
 */
static void
render_fix_check(Resolver *r, Reshape *rs, List *hide_old, List *from, List *to,
				 StringInfo cons, StringInfo val, bool dry_run)
{
	StagedSpec *spec = r->spec;
	char	   *text;

	if (dry_run)
	{
		/* the copies do not exist: the check as written, and which columns it reads */
		StringInfoData copies;
		ListCell   *f,
				   *t;

		initStringInfo(&copies);
		forboth(f, from, t, to)
			appendStringInfo(&copies, "%s%s as %s", copies.len > 0 ? ", " : "",
							 quote_identifier(lfirst(t)), quote_identifier(lfirst(f)));
		text = psprintf("%s) NOT VALID /* over the copies: %s */",
						deparse_on(analyze_expression(r, spec->req->constraint->raw_expr, NIL,
													  BOOLOID, -1, EXPR_KIND_CHECK_CONSTRAINT,
													  "the check expression"),
								   spec->relid, NULL),
						copies.data);
	}
	else
		text = psprintf("%s) NOT VALID",
						deparse_on(analyze_expression(r, spec->req->constraint->raw_expr,
													  shape_colnames(r, hide_old, from, to),
													  BOOLOID, -1, EXPR_KIND_CHECK_CONSTRAINT,
													  "the check expression"),
								   spec->relid, NULL));
	add_sql(cons, "ALTER TABLE %s ADD CONSTRAINT %s CHECK (%s",
			spec->qualified, quote_identifier(rs->fix_check_name), text);
	add_sql(val, "ALTER TABLE %s VALIDATE CONSTRAINT %s", spec->qualified,
			quote_identifier(rs->fix_check_name));
}

static const char *
fk_action_text(char action)
{
	switch (action)
	{
		case FKCONSTR_ACTION_RESTRICT:
			return "RESTRICT";
		case FKCONSTR_ACTION_CASCADE:
			return "CASCADE";
		case FKCONSTR_ACTION_SETNULL:
			return "SET NULL";
		case FKCONSTR_ACTION_SETDEFAULT:
			return "SET DEFAULT";
		default:
			return "NO ACTION";
	}
}

static void
resolve_foreign_key(Resolver *r)
{
	StagedSpec *spec = r->spec;
	Constraint *c = spec->req->constraint;
	Oid			pkrel = RangeVarGetRelid(c->pktable, AccessShareLock, false);
	char	   *pkqual = quote_qualified_identifier(get_namespace_name(get_rel_namespace(pkrel)),
													get_rel_name(pkrel));
	List	   *pkcols = NIL;
	Reshape    *rs = NULL;
	StringInfoData fk;
	StringInfoData pk;
	ListCell   *lc;
	char	   *name;
	int			i;

	foreach(lc, c->fk_attrs)
		(void) existing_column(r, strVal(lfirst(lc)));
	if (c->pk_attrs != NIL)
	{
		foreach(lc, c->pk_attrs)
			pkcols = lappend(pkcols, strVal(lfirst(lc)));
	}
	else
	{
		/* the referenced table's primary key */
		Oid			type = OIDOID;
		Datum		value = ObjectIdGetDatum(pkrel);
		uint64		k;

		if (SPI_execute_with_args("SELECT a.attname FROM pg_catalog.pg_constraint c, "
								  "     pg_catalog.unnest(c.conkey) WITH ORDINALITY AS k(attnum, n) "
								  "JOIN pg_catalog.pg_attribute a ON a.attrelid = $1 AND a.attnum = k.attnum "
								  "WHERE c.conrelid = $1 AND c.contype = 'p' ORDER BY k.n",
								  1, &type, &value, NULL, false, 0) != SPI_OK_SELECT)
			elog(ERROR, "could not read the primary key of relation %u", pkrel);
		for (k = 0; k < SPI_processed; k++)
			pkcols = lappend(pkcols, SPI_getvalue(SPI_tuptable->vals[k], SPI_tuptable->tupdesc, 1));
		if (pkcols == NIL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_FOREIGN_KEY),
					 errmsg("there is no primary key for referenced table \"%s\"", get_rel_name(pkrel))));
	}
	if (list_length(pkcols) != list_length(c->fk_attrs))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_FOREIGN_KEY),
				 errmsg("number of referencing and referenced columns for foreign key disagree")));

	name = constraint_name(r, c->conname, strVal(linitial(c->fk_attrs)), "fkey", false);
	if (spec->req->fix)
	{
		/* on the copies, added with them (their up is written in finish) */
		rs = fixing_reshape(r);
		render_reshape_columns(r, rs);
		spec->fk_name = name;
		spec->fk_pkqual = pkqual;
		spec->fk_pkcols = pkcols;
	}
	initStringInfo(&fk);
	initStringInfo(&pk);
	i = 0;
	foreach(lc, c->fk_attrs)
	{
		const char *fkcol = strVal(lfirst(lc));

		appendStringInfo(&fk, "%s%s", i > 0 ? ", " : "",
						 quote_identifier(rs ? fixed_column(rs, fkcol) : fkcol));
		appendStringInfo(&pk, "%s%s", i > 0 ? ", " : "", quote_identifier(list_nth(pkcols, i)));
		i++;
	}
	add_sql(&r->expand, "ALTER TABLE %s ADD CONSTRAINT %s FOREIGN KEY (%s) REFERENCES %s (%s)%s ON UPDATE %s ON DELETE %s NOT VALID",
			spec->qualified, quote_identifier(name), fk.data, pkqual, pk.data,
			c->fk_matchtype == FKCONSTR_MATCH_FULL ? " MATCH FULL" : "",
			fk_action_text(c->fk_upd_action), fk_action_text(c->fk_del_action));
	add_sql(&r->validate, "ALTER TABLE %s VALIDATE CONSTRAINT %s", spec->qualified, quote_identifier(name));
	add_sql(&r->abort, "ALTER TABLE %s DROP CONSTRAINT IF EXISTS %s", spec->qualified, quote_identifier(name));
	add_sql(&r->down, "ALTER TABLE %s DROP CONSTRAINT %s", spec->qualified, quote_identifier(name));
	if (rs)
		spec->describe = psprintf("add FOREIGN KEY %s from %s to %s on %s, missing references fixed there by the trigger and a batched backfill: NOT VALID, validated without blocking writes; at complete the copy replaces the column",
								  quote_identifier(name), spec->qualified, pkqual, copies_text(spec));
	else
		spec->describe = psprintf("add FOREIGN KEY %s from %s to %s NOT VALID, validated without blocking writes",
								  quote_identifier(name), spec->qualified, pkqual);
}

/*
 * The up of a fixing foreign key, once the constraint exists on the
 * copies: a reference is missing when no row of the referenced table
 * matches it with the constraint's own equality operators ("dry_run":
 * the types' btree equality, for plan()).  Only non-NULL references are
 * checked, as the constraint does.
 */
static void
render_fix_foreign_key(Resolver *r, Reshape *rs, bool dry_run)
{
	StagedSpec *spec = r->spec;
	List	   *fk_attrs = spec->req->constraint->fk_attrs;
	List	   *ops = NIL;
	StringInfoData trig;
	StringInfoData plain;
	StringInfoData nn_new;
	StringInfoData nn_plain;
	List	   *reads = NIL;
	ListCell   *lc;
	int			i;

	if (dry_run)
	{
		foreach(lc, fk_attrs)
			ops = lappend(ops, equality_operator_text(existing_column(r, strVal(lfirst(lc)))->typid,
													  strVal(lfirst(lc))));
	}
	else
	{
		Oid			types[2] = {OIDOID, TEXTOID};
		Datum		values[2];
		uint64		k;

		values[0] = ObjectIdGetDatum(spec->relid);
		values[1] = CStringGetTextDatum(spec->fk_name);
		if (SPI_execute_with_args("SELECT k.op FROM pg_catalog.pg_constraint c, "
								  "       pg_catalog.unnest(c.conpfeqop) WITH ORDINALITY AS k(op, n) "
								  " WHERE c.conrelid = $1 AND c.conname = $2 ORDER BY k.n",
								  2, types, values, NULL, false, 0) != SPI_OK_SELECT ||
			SPI_processed != (uint64) list_length(fk_attrs))
			elog(ERROR, "could not read foreign key \"%s\"", spec->fk_name);
		for (k = 0; k < SPI_processed; k++)
		{
			bool		isnull;

			ops = lappend(ops, operator_text(DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[k],
																			 SPI_tuptable->tupdesc, 1,
																			 &isnull))));
		}
	}
	initStringInfo(&trig);
	initStringInfo(&plain);
	initStringInfo(&nn_new);
	initStringInfo(&nn_plain);
	i = 0;
	foreach(lc, fk_attrs)
	{
		const char *fkcol = quote_identifier(strVal(lfirst(lc)));
		const char *pkcol = quote_identifier(list_nth(spec->fk_pkcols, i));
		const char *op = list_nth(ops, i);

		appendStringInfo(&nn_new, "%sNEW.%s IS NOT NULL", i > 0 ? " AND " : "", fkcol);
		appendStringInfo(&nn_plain, "%s%s IS NOT NULL", i > 0 ? " AND " : "", fkcol);
		appendStringInfo(&trig, "%sr.%s %s NEW.%s", i > 0 ? " AND " : "", pkcol, op, fkcol);
		appendStringInfo(&plain, "%sr.%s %s %s.%s", i > 0 ? " AND " : "", pkcol, op,
						 quote_identifier(spec->relname), fkcol);
		reads = lappend(reads, strVal(lfirst(lc)));
		i++;
	}
	set_fix_up(rs,
			   psprintf("(%s AND NOT EXISTS (SELECT 1 FROM %s AS r WHERE %s))",
						nn_new.data, spec->fk_pkqual, trig.data),
			   psprintf("(%s AND NOT EXISTS (SELECT 1 FROM %s AS r WHERE %s))",
						nn_plain.data, spec->fk_pkqual, plain.data),
			   reads);
}

/*
 * The first statement of the trigger of a UNIQUE constraint with a
 * fix-up: a transaction-level advisory lock on each key value the write
 * sets (of the old shape's columns, of the new shape's copies), taken in
 * hash order, so that two writers of the same value take turns: the
 * second one's fix-up then sees the first one's row (READ COMMITTED: each
 * statement of the trigger reads with a new snapshot) instead of both
 * keeping the value and the second failing on the unique index, or both
 * committing before the index exists and its build failing.  A key with a
 * NULL is not locked (NULLs are distinct) unless NULLS NOT DISTINCT.
 */
static char *
unique_lock_text(StagedSpec *spec, Reshape *rs, const char *name)
{
	Constraint *c = spec->req->constraint;
	StringInfoData old_row;
	StringInfoData new_row;
	StringInfoData old_set;
	StringInfoData new_set;
	StringInfoData old_changed;
	StringInfoData new_changed;
	ListCell   *lc;

	initStringInfo(&old_row);
	initStringInfo(&new_row);
	initStringInfo(&old_set);
	initStringInfo(&new_set);
	initStringInfo(&old_changed);
	initStringInfo(&new_changed);
	foreach(lc, c->keys)
	{
		const char *q = quote_identifier(strVal(lfirst(lc)));
		const char *nq = quote_identifier(fixed_column(rs, strVal(lfirst(lc))));
		const char *sep = foreach_current_index(lc) > 0 ? ", " : "";
		const char *and = foreach_current_index(lc) > 0 ? " AND " : "";
		const char *or = foreach_current_index(lc) > 0 ? " OR " : "";

		appendStringInfo(&old_row, "%sNEW.%s", sep, q);
		appendStringInfo(&new_row, "%sNEW.%s", sep, nq);
		if (!c->nulls_not_distinct)
		{
			appendStringInfo(&old_set, "%sNEW.%s IS NOT NULL", and, q);
			appendStringInfo(&new_set, "%sNEW.%s IS NOT NULL", and, nq);
		}
		appendStringInfo(&old_changed, "%sNEW.%s IS DISTINCT FROM OLD.%s", or, q, q);
		appendStringInfo(&new_changed, "%sNEW.%s IS DISTINCT FROM OLD.%s", or, nq, nq);
	}
	return psprintf("  PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext(%s), k.h)\n"
					"     FROM (SELECT DISTINCT h FROM pg_catalog.unnest(ARRAY[\n"
					"             CASE WHEN %s(TG_OP = 'INSERT' OR %s) THEN pg_catalog.hashtext(ROW(%s)::pg_catalog.text) END,\n"
					"             CASE WHEN %s(TG_OP = 'INSERT' OR %s) THEN pg_catalog.hashtext(ROW(%s)::pg_catalog.text) END]) AS u(h)\n"
					"            WHERE h IS NOT NULL ORDER BY h) AS k;\n",
					literal(psprintf("migrator unique %s.%s", spec->qualified, quote_identifier(name))),
					old_set.len > 0 ? psprintf("%s AND ", old_set.data) : "", old_changed.data, old_row.data,
					new_set.len > 0 ? psprintf("%s AND ", new_set.data) : "", new_changed.data, new_row.data);
}

static void
resolve_unique(Resolver *r)
{
	StagedSpec *spec = r->spec;
	Constraint *c = spec->req->constraint;
	Reshape    *rs = NULL;
	char	   *name;
	StringInfoData cols;
	StringInfoData by_copy;
	StringInfoData by_column;
	StringInfoData by_copy_plain;
	StringInfoData by_column_plain;
	StringInfoData notnull;
	StringInfoData notnull_plain;
	StringInfoData unconverted;
	List	   *reads = NIL;
	char	   *self;
	char	   *key;
	ListCell   *lc;
	int			i = 0;
	char	   *index_body;

	name = constraint_name(r, c->conname, strVal(linitial(c->keys)), "key", true);
	if (spec->req->fix)
	{
		rs = fixing_reshape(r);
		render_reshape_columns(r, rs);
	}
	initStringInfo(&cols);
	initStringInfo(&by_copy);
	initStringInfo(&by_column);
	initStringInfo(&by_copy_plain);
	initStringInfo(&by_column_plain);
	initStringInfo(&notnull);
	initStringInfo(&notnull_plain);
	initStringInfo(&unconverted);
	foreach(lc, c->keys)
	{
		TableColumn *col = existing_column(r, strVal(lfirst(lc)));
		const char *q = quote_identifier(col->name);
		const char *nq = quote_identifier(rs ? fixed_column(rs, col->name) : col->name);
		const char *and = i > 0 ? " AND " : "";
		const char *outer = quote_identifier(spec->relname);
		char	   *op = c->nulls_not_distinct ? "IS NOT DISTINCT FROM"
			: equality_operator_text(col->typid, col->name);

		appendStringInfo(&cols, "%s%s", i > 0 ? ", " : "", nq);
		appendStringInfo(&by_copy, "%sd.%s %s NEW.%s", and, nq, op, q);
		appendStringInfo(&by_column, "%sd.%s %s NEW.%s", and, q, op, q);
		appendStringInfo(&by_copy_plain, "%sd.%s %s %s.%s", and, nq, op, outer, q);
		appendStringInfo(&by_column_plain, "%sd.%s %s %s.%s", and, q, op, outer, q);
		if (!c->nulls_not_distinct)
		{
			appendStringInfo(&notnull, "NEW.%s IS NOT NULL AND ", q);
			appendStringInfo(&notnull_plain, "%s IS NOT NULL AND ", q);
		}
		reads = lappend(reads, col->name);
		i++;
	}
	index_body = psprintf("%s ON %s (%s)%s", quote_identifier(name), spec->qualified, cols.data,
						  c->nulls_not_distinct ? " NULLS NOT DISTINCT" : "");
	spec->index_sql = list_make1(psprintf("CREATE UNIQUE INDEX CONCURRENTLY %s", index_body));
	spec->index_sql_blocking = list_make1(psprintf("CREATE UNIQUE INDEX %s", index_body));
	spec->index_names = list_make1(quote_qualified_identifier(spec->nspname, name));
	add_sql(&r->complete, "ALTER TABLE %s ADD CONSTRAINT %s UNIQUE USING INDEX %s", spec->qualified,
			quote_identifier(name), quote_identifier(name));
	add_sql(&r->abort, "DROP INDEX IF EXISTS %s", quote_qualified_identifier(spec->nspname, name));
	add_sql(&r->down, "ALTER TABLE %s DROP CONSTRAINT %s", spec->qualified, quote_identifier(name));
	if (rs == NULL)
	{
		spec->describe = psprintf("add UNIQUE %s to %s through an index built concurrently",
								  quote_identifier(name), spec->qualified);
		return;
	}

	/*
	 * A value is a duplicate when another row's copy has it, or another
	 * row's column (the trigger: the rows the backfill has not reached
	 * keep their values, so a new row must not take one); in the backfill,
	 * when a converted row's copy has it, or an unconverted row before it
	 * in physical order has it in its column: the first row of a group
	 * keeps its value.  The trigger leaves the row itself (its old
	 * version, on UPDATE) out by its key.
	 */
	foreach(lc, rs->fixes)
		appendStringInfo(&unconverted, "%sd.%s IS NULL", unconverted.len > 0 ? " AND " : "",
						 quote_identifier(((FixColumn *) lfirst(lc))->nc->real));
	rs->trigger_prologue = unique_lock_text(spec, rs, name);
	key = backfill_relation_key_text(spec->relid);
	if (key)
	{
		StringInfoData d_key;
		StringInfoData old_key;
		char	   *p;
		char	   *tok;

		initStringInfo(&d_key);
		initStringInfo(&old_key);
		for (tok = strtok_r(key, ",", &p); tok; tok = strtok_r(NULL, ",", &p))
		{
			while (*tok == ' ')
				tok++;
			appendStringInfo(&d_key, "%sd.%s", d_key.len > 0 ? ", " : "", tok);
			appendStringInfo(&old_key, "%sOLD.%s", old_key.len > 0 ? ", " : "", tok);
		}
		self = psprintf(" AND (TG_OP = 'INSERT' OR ROW(%s) IS DISTINCT FROM ROW(%s))",
						d_key.data, old_key.data);
	}
	else
		self = "";				/* refused before it expands: no backfill key */
	set_fix_up(rs,
			   psprintf("(%s(EXISTS (SELECT 1 FROM %s AS d WHERE %s%s) OR EXISTS (SELECT 1 FROM %s AS d WHERE %s%s)))",
						notnull.data, spec->qualified, by_copy.data, self,
						spec->qualified, by_column.data, self),
			   psprintf("(%s(EXISTS (SELECT 1 FROM %s AS d WHERE %s) OR EXISTS (SELECT 1 FROM %s AS d WHERE %s AND %s AND d.ctid < %s.ctid)))",
						notnull_plain.data, spec->qualified, by_copy_plain.data,
						spec->qualified, unconverted.data, by_column_plain.data,
						quote_identifier(spec->relname)),
			   reads);
	spec->describe = psprintf("add UNIQUE %s to %s on %s, duplicates fixed there by the trigger and a batched backfill (the physically first row of a group keeps its value): an index built concurrently; at complete the copy replaces the column",
							  quote_identifier(name), spec->qualified, copies_text(spec));
}

/* ----------------------------------------------------------------
 * Entry points
 * ----------------------------------------------------------------
 */

/* "change type" for "change_type". */
static char *
req_operation_text(StagedRequest *req)
{
	char	   *text = pstrdup(req->operation);
	char	   *p;

	for (p = text; *p; p++)
		if (*p == '_')
			*p = ' ';
	return text;
}

/* The names of the new shape's columns. */
static List *
n_all_names(Reshape *rs)
{
	List	   *names = NIL;
	ListCell   *lc;

	foreach(lc, rs->news)
		names = lappend(names, ((NewColumn *) lfirst(lc))->add->name);
	return names;
}

/*
 * Resolve "req", staged as "version", against the catalog: check the
 * table and the change, choose the generated names, and write the SQL of
 * the expand step that adds new columns and constraints.  The rest is
 * written by staged_finish() once that SQL ran (or, "dry run", without
 * it).  Returns NULL when the table does not exist and "missing_ok".  The
 * caller is connected to SPI.
 */
StagedSpec *
staged_resolve(const char *version, StagedRequest *req, bool missing_ok)
{
	return resolve(version, req, missing_ok, false);
}

/*
 * "req" resolved again while its change is expanding, after its first
 * expand step committed (its new columns exist), as that step resolved it,
 * and finished: for a later call that resumes the change and needs what
 * the first call kept in memory only (the down script, written over the
 * new shape's view once the version schemas exist).  Not for a foreign
 * key, which the first step added.
 */
StagedSpec *
staged_resolve_expanding(const char *version, StagedRequest *req)
{
	StagedSpec *spec = resolve(version, req, false, true);

	staged_finish(spec, false);
	return spec;
}

static StagedSpec *
resolve(const char *version, StagedRequest *req, bool missing_ok, bool expanding)
{
	StagedSpec *spec = palloc0(sizeof(StagedSpec));
	Resolver   *r = palloc0(sizeof(Resolver));
	Oid			relid = RangeVarGetRelid(req->relation, NoLock, true);
	Form_pg_class form;

	if (!OidIsValid(relid))
	{
		if (missing_ok)
			return NULL;
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"%s\" does not exist", relation_name(req->relation)),
				 errdetail("Staged change \"%s\" changes it.", version)));
	}
	spec->version = version;
	spec->req = req;
	spec->relid = relid;
	r->spec = spec;
	r->expanding = expanding;
	r->rel = relation_open(relid, AccessShareLock);
	form = RelationGetForm(r->rel);
	spec->nspname = get_namespace_name(form->relnamespace);
	spec->relname = pstrdup(NameStr(form->relname));
	spec->new_relname = spec->relname;
	spec->qualified = quote_qualified_identifier(spec->nspname, spec->relname);
	if (form->relkind != RELKIND_RELATION)
		staged_unsupported(psprintf("a change of \"%s\"", spec->relname),
					form->relkind == RELKIND_PARTITIONED_TABLE
					? "Partitioned tables are not supported yet." : "It is not an ordinary table.");
	if (form->relispartition || form->relhassubclass || has_superclass(relid))
		staged_unsupported(psprintf("a change of \"%s\"", spec->relname),
					"Tables with partitions, inheritance parents or children are not supported yet.");
	if (form->relpersistence == RELPERSISTENCE_TEMP)
		staged_unsupported("a change of a temporary table", NULL);
	if (IsCatalogNamespace(form->relnamespace) || strcmp(spec->nspname, "migrator") == 0)
		staged_unsupported("a change of a system or migrator table", NULL);

	spec->new_schema = staged_version_schema_name(spec->nspname, version);
	spec->old_version = previous_version(version);
	spec->old_schema = spec->old_version
		? staged_version_schema_name(spec->nspname, spec->old_version)
		: staged_version_schema_name(spec->nspname, psprintf("before_%s", version));
	spec->trigger = staged_name("zz_migrator_", version, NULL);
	spec->function = quote_qualified_identifier(spec->nspname,
												staged_name("_migrator_", version, spec->relname));

	r->columns = table_columns(r->rel);
	initStringInfo(&r->expand);
	initStringInfo(&r->constrain);
	initStringInfo(&r->validate);
	initStringInfo(&r->complete);
	initStringInfo(&r->abort);
	initStringInfo(&r->down);

	switch (req->op)
	{
		case STAGED_RENAME_COLUMN:
		case STAGED_RENAME_TABLE:
			resolve_rename(r);
			break;
		case STAGED_RESHAPE:
			{
				Reshape    *rs = resolve_reshape(r);

				render_reshape_columns(r, rs);
				spec->reshape = rs;
				break;
			}
		case STAGED_SET_NOT_NULL:
			resolve_not_null(r);
			break;
		case STAGED_ADD_CHECK:
			resolve_check(r);
			break;
		case STAGED_ADD_FOREIGN_KEY:
			resolve_foreign_key(r);
			break;
		case STAGED_ADD_UNIQUE:
			resolve_unique(r);
			break;
	}
	spec->expand_sql = r->expand.data;

	/*
	 * A constraint that the trigger's fix-up must come before (a CHECK, the
	 * CHECK of a SET NOT NULL) is added in the second expand step, after
	 * the trigger; new columns and a foreign key (which checks new rows at
	 * once, so its fix-up comes with it) in the first.
	 */
	if (req->op != STAGED_RESHAPE && req->op != STAGED_ADD_FOREIGN_KEY && spec->reshape == NULL)
		spec->expand_late_sql = spec->expand_sql;
	relation_close(r->rel, NoLock);
	r->rel = NULL;
	spec->resolver = r;
	return spec;
}

/*
 * Write the rest of the change's SQL, after its expand SQL ran in this
 * transaction ("dry_run": it did not; what needs the new columns is
 * described instead).
 */
void
staged_finish(StagedSpec *spec, bool dry_run)
{
	Resolver   *r = spec->resolver;

	r->rel = relation_open(spec->relid, AccessShareLock);
	if (spec->reshape)
		render_reshape_rest(r, spec->reshape, dry_run);
	relation_close(r->rel, NoLock);
	r->rel = NULL;

	if (spec->constrain_sql == NULL)
		spec->constrain_sql = r->constrain.data;
	if (spec->validate_sql == NULL)
		spec->validate_sql = r->validate.data;
	else
		spec->validate_sql = psprintf("%s%s", r->validate.data, spec->validate_sql);
	spec->complete_sql = r->complete.data;
	spec->abort_sql = r->abort.data;
	spec->down_sql = r->down.data;
}

/* The names of the version schemas, as a quoted text[] literal. */
static char *
schema_array_literal(List *schemas)
{
	StringInfoData buf;
	ListCell   *lc;
	const char *p;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	foreach(lc, schemas)
	{
		if (buf.len > 1)
			appendStringInfoChar(&buf, ',');
		appendStringInfoChar(&buf, '"');
		for (p = lfirst(lc); *p; p++)
		{
			if (*p == '"' || *p == '\\')
				appendStringInfoChar(&buf, '\\');
			appendStringInfoChar(&buf, *p);
		}
		appendStringInfoChar(&buf, '"');
	}
	appendStringInfoChar(&buf, '}');
	return quote_literal_cstr(buf.data);
}

/*
 * CREATE OR REPLACE FUNCTION of the dual-write trigger, its body "head",
 * the array of the version schemas that show the new shape ("schemas",
 * char *), and "tail" (NULL: the body has no array).  Runs with the
 * rights of the session that writes the row; its text names everything
 * it uses, so it needs no search_path of its own.
 */
char *
staged_function_sql(const char *function, const char *head, const char *tail,
					List *schemas)
{
	char	   *body = tail ? psprintf("%s%s%s", head, schema_array_literal(schemas), tail)
		: pstrdup(head);
	char	   *tag = dollar_tag(body);

	return psprintf("CREATE OR REPLACE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql AS %s%s%s;\n"
					"REVOKE ALL ON FUNCTION %s() FROM PUBLIC;\n",
					function, tag, body, tag, function);
}

/*
 * After expand created the versioned schemas: the script that undoes a
 * completed reshaping change, for rollback().  Its down expressions are
 * analysed over the new shape's view, whose column names are the table's
 * once the change is complete.
 */
void
staged_render_down(StagedSpec *spec)
{
	Reshape    *rs = spec->reshape;
	Oid			nsp;
	Oid			viewid;
	Resolver	vr = {0};
	StringInfoData buf;
	ListCell   *lc;

	if (spec->req->op != STAGED_RESHAPE)
		return;
	nsp = get_namespace_oid(spec->new_schema, false);
	viewid = get_relname_relid(spec->new_relname, nsp);
	if (!OidIsValid(viewid))
		elog(ERROR, "view %s.%s of the new shape is missing", spec->new_schema, spec->new_relname);
	vr.spec = spec;
	vr.rel = relation_open(viewid, AccessShareLock);
	initStringInfo(&buf);

	foreach(lc, rs->olds)
	{
		OldColumn  *oc = lfirst(lc);
		NewColumn  *repl = NULL;
		ListCell   *nl;
		Node	   *raw = oc->drop->down;
		char	   *down = NULL;
		const char *q = quote_identifier(oc->col->name);
		char	   *type = type_text(oc->col->typid, oc->col->typmod);
		char	   *coll = collate_text(oc->col->typid, oc->col->collid);

		foreach(nl, rs->news)
			if (((NewColumn *) lfirst(nl))->replaced == oc->col)
				repl = lfirst(nl);
		if (raw == NULL && repl)
			raw = raw_cast(repl->add->name, oc->col->typid, oc->col->typmod);
		if (raw)
		{
			Node	   *expr = analyze_expression(&vr, raw, NIL, oc->col->typid, oc->col->typmod,
												  EXPR_KIND_UPDATE_SOURCE,
												  psprintf("down of column \"%s\"", oc->col->name));

			down = deparse_on(expr, viewid, NULL);
		}
		if (repl)
		{
			ListCell   *dl,
					   *cl;

			/* its CHECKs as they were, not as ALTER TYPE would adapt them */
			forthree(nl, rs->checks_final, dl, rs->checks_definition, cl, rs->checks_column)
				if (strcmp(lfirst(cl), oc->col->name) == 0)
					add_sql(&buf, "ALTER TABLE %s DROP CONSTRAINT %s", spec->qualified,
							quote_identifier(lfirst(nl)));
			add_sql(&buf, "ALTER TABLE %s ALTER COLUMN %s TYPE %s%s USING %s", spec->qualified,
					q, type, coll, down);
			forthree(nl, rs->checks_final, dl, rs->checks_definition, cl, rs->checks_column)
				if (strcmp(lfirst(cl), oc->col->name) == 0)
					add_sql(&buf, "ALTER TABLE %s ADD CONSTRAINT %s %s", spec->qualified,
							quote_identifier(lfirst(nl)), (char *) lfirst(dl));
			if (oc->col->default_text)
				add_sql(&buf, "ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s", spec->qualified,
						q, oc->col->default_text);
		}
		else
		{
			add_sql(&buf, "ALTER TABLE %s ADD COLUMN %s %s%s%s%s", spec->qualified, q, type, coll,
					oc->col->default_text ? " DEFAULT " : "",
					oc->col->default_text ? oc->col->default_text : "");
			if (down)
				add_sql(&buf, "UPDATE %s SET %s = %s", spec->qualified, q, down);
			if (oc->col->not_null)
				add_sql(&buf, "ALTER TABLE %s ALTER COLUMN %s SET NOT NULL", spec->qualified, q);
		}
	}
	foreach(lc, rs->news)
	{
		NewColumn  *nc = lfirst(lc);

		if (nc->replaced == NULL)
			add_sql(&buf, "ALTER TABLE %s DROP COLUMN %s", spec->qualified,
					quote_identifier(nc->add->name));
	}
	relation_close(vr.rel, NoLock);
	spec->down_sql = buf.data;
}

/* JSON helpers */
static void
json_key(StringInfo buf, const char *key, const char *value)
{
	if (buf->len > 1)
		appendStringInfoChar(buf, ',');
	escape_json(buf, key);
	appendStringInfoChar(buf, ':');
	if (value)
		escape_json(buf, value);
	else
		appendStringInfoString(buf, "null");
}

static void
json_strings(StringInfo buf, const char *key, List *values)
{
	ListCell   *lc;
	bool		first = true;

	if (buf->len > 1)
		appendStringInfoChar(buf, ',');
	escape_json(buf, key);
	appendStringInfoString(buf, ":[");
	foreach(lc, values)
	{
		if (!first)
			appendStringInfoChar(buf, ',');
		escape_json(buf, lfirst(lc));
		first = false;
	}
	appendStringInfoChar(buf, ']');
}

/*
 * What the later phases of the change need, as the JSON stored in
 * staged_changes.spec: names, the view columns of the new shape, the
 * trigger function's text, and the SQL of the backfill, constrain,
 * index, validate, complete, abort and down steps.
 */
char *
staged_spec_json(StagedSpec *spec)
{
	StringInfoData buf;
	ListCell   *lc;
	bool		first = true;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	json_key(&buf, "operation", spec->req->operation);
	json_key(&buf, "schema", spec->nspname);
	json_key(&buf, "table", spec->relname);
	json_key(&buf, "new_table", spec->new_relname);
	json_key(&buf, "old_schema", spec->old_schema);
	json_key(&buf, "old_version", spec->old_version);
	json_key(&buf, "new_schema", spec->new_schema);
	json_key(&buf, "function", spec->function_head ? spec->function : NULL);
	json_key(&buf, "trigger", spec->function_head ? spec->trigger : NULL);
	json_key(&buf, "function_head", spec->function_head);
	json_key(&buf, "function_tail", spec->function_tail);
	appendStringInfoString(&buf, ",\"view_columns\":[");
	foreach(lc, spec->view_columns)
	{
		StagedViewColumn *vc = lfirst(lc);
		StringInfoData col;

		initStringInfo(&col);
		appendStringInfoChar(&col, '{');
		json_key(&col, "name", vc->name);
		json_key(&col, "real", vc->real);
		json_key(&col, "default", vc->view_default);
		appendStringInfo(&col, ",\"added\":%s}", vc->added ? "true" : "false");
		appendStringInfo(&buf, "%s%s", first ? "" : ",", col.data);
		first = false;
	}
	appendStringInfoChar(&buf, ']');
	json_strings(&buf, "drop_names", spec->drop_names);
	json_key(&buf, "expand_late", spec->expand_late_sql);
	json_key(&buf, "backfill_set", spec->backfill_set);
	json_key(&buf, "backfill_filter", spec->backfill_filter);
	json_key(&buf, "constrain", spec->constrain_sql);
	json_strings(&buf, "indexes", spec->index_sql);
	json_strings(&buf, "indexes_blocking", spec->index_sql_blocking);
	json_strings(&buf, "index_names", spec->index_names);
	json_key(&buf, "validate", spec->validate_sql);
	json_key(&buf, "complete", spec->complete_sql);
	json_key(&buf, "abort", spec->abort_sql);
	json_key(&buf, "down", spec->down_sql);
	json_key(&buf, "describe", spec->describe);
	appendStringInfoChar(&buf, '}');
	return buf.data;
}
