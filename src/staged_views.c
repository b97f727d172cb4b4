/*-------------------------------------------------------------------------
 *
 * staged_views.c
 *	  The versioned schemas: while a staged change of a table of schema S
 *	  is in flight, each version of the application reads and writes S
 *	  through a schema of its own, "S_<version>", of views over the real
 *	  tables (docs/staged.md).
 *
 * Every table of S has a view in every version schema of S, with that
 * version's columns under that version's names: the new shape in the
 * schemas of versions at or after the change, the old shape before it.
 * The views are simple SELECTs of columns, so PostgreSQL updates through
 * them (auto-updatable), and security_invoker, so privileges and row
 * security are the table's, checked for the session that uses the view.
 * The table's grants are copied onto its views, USAGE on S onto the
 * version schemas.
 *
 * An application chooses its version with search_path = S_<version>, S:
 * while no change of S is in flight the version schema does not exist and
 * the names resolve to the tables themselves, whose shape is then the
 * newest.
 *
 * staged_sync_sql() writes the SQL that makes the version schemas of S
 * what the changes in flight want: it creates the schemas and views that
 * are missing, recreates the views whose definition changed (a comment
 * on each view holds a hash of its definition), drops those no longer
 * wanted, and rewrites the trigger functions that name the schemas of the
 * new shape.  Only schemas migrator created (its comment on them) are
 * ever dropped; a version schema that holds anything else is refused.
 *
 *-------------------------------------------------------------------------
 */

#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "migrator.h"
#include "history.h"
#include "staged_spec.h"
#include "staged_views.h"
#include "version.h"

/* Comments that mark what migrator created. */
#define SCHEMA_COMMENT_PREFIX	"migrator: version schema of "
#define VIEW_COMMENT_PREFIX		"migrator: version view "

/* A change in flight, as its spec describes it. */
typedef struct FlightChange
{
	char	   *version;
	char	   *table;
	char	   *new_table;
	char	   *old_schema;
	char	   *old_version;
	char	   *new_schema;
	char	   *function;
	char	   *function_head;
	char	   *function_tail;
	List	   *view_columns;	/* StagedViewColumn */
	List	   *drop_names;
} FlightChange;

/* A version schema that should exist. */
typedef struct VersionSchema
{
	char	   *name;
	char	   *version;		/* NULL: before every change */
} VersionSchema;

static char *
getvalue(int row, int col)
{
	return SPI_getvalue(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col);
}

/*
 * The changes in flight on tables of schema "nspname", in version order.
 */
static List *
changes_in_flight(const char *nspname)
{
	Oid			type = TEXTOID;
	Datum		value = CStringGetTextDatum(nspname);
	List	   *result = NIL;
	ListCell   *lc;
	uint64		i;
	uint64		n;

	history_exec("SELECT version, spec->>'table', spec->>'new_table', spec->>'old_schema', "
				 "       spec->>'old_version', spec->>'new_schema', spec->>'function', "
				 "       spec->>'function_head', spec->>'function_tail' "
				 "  FROM migrator.staged_changes "
				 " WHERE state IN ('expanding', 'expanded') AND spec->>'schema' = $1 "
				 " ORDER BY migrator.version_key(version), version",
				 1, &type, &value, NULL);
	n = SPI_processed;
	for (i = 0; i < n; i++)
	{
		FlightChange *c = palloc0(sizeof(FlightChange));

		c->version = getvalue(i, 1);
		c->table = getvalue(i, 2);
		c->new_table = getvalue(i, 3);
		c->old_schema = getvalue(i, 4);
		c->old_version = getvalue(i, 5);
		c->new_schema = getvalue(i, 6);
		c->function = getvalue(i, 7);
		c->function_head = getvalue(i, 8);
		c->function_tail = getvalue(i, 9);
		result = lappend(result, c);
	}
	foreach(lc, result)
	{
		FlightChange *c = lfirst(lc);

		value = CStringGetTextDatum(c->version);
		history_exec("SELECT v->>'name', v->>'real', v->>'default', (v->>'added')::boolean "
					 "  FROM migrator.staged_changes, "
					 "       pg_catalog.jsonb_array_elements(spec->'view_columns') WITH ORDINALITY AS e(v, n) "
					 " WHERE version = $1 ORDER BY n",
					 1, &type, &value, NULL);
		for (i = 0; i < SPI_processed; i++)
		{
			StagedViewColumn *vc = palloc0(sizeof(StagedViewColumn));

			vc->name = getvalue(i, 1);
			vc->real = getvalue(i, 2);
			vc->view_default = getvalue(i, 3);
			vc->added = strcmp(getvalue(i, 4), "t") == 0;
			c->view_columns = lappend(c->view_columns, vc);
		}
		history_exec("SELECT d FROM migrator.staged_changes, "
					 "       pg_catalog.jsonb_array_elements_text(spec->'drop_names') AS d "
					 " WHERE version = $1",
					 1, &type, &value, NULL);
		for (i = 0; i < SPI_processed; i++)
			c->drop_names = lappend(c->drop_names, getvalue(i, 1));
	}
	return result;
}

/* Is "name" in "list" (of char *)? */
static bool
in_list(List *list, const char *name)
{
	ListCell   *lc;

	foreach(lc, list)
		if (strcmp(lfirst(lc), name) == 0)
			return true;
	return false;
}

/*
 * GRANT statements that give "target" (a quoted view or schema) what the
 * rows of the last SPI query (grantee, privilege, grantable, column)
 * give, for privileges in "kinds".
 */
static void
copy_grants(StringInfo buf, const char *objtype, const char *target,
			const char *const *kinds, int nkinds)
{
	uint64		i;

	for (i = 0; i < SPI_processed; i++)
	{
		char	   *grantee = getvalue(i, 1);
		char	   *priv = getvalue(i, 2);
		bool		grantable = strcmp(getvalue(i, 3), "t") == 0;
		char	   *column = getvalue(i, 4);
		bool		wanted = false;
		int			k;

		for (k = 0; k < nkinds; k++)
			if (strcmp(kinds[k], priv) == 0)
				wanted = true;
		if (!wanted)
			continue;
		appendStringInfo(buf, "GRANT %s%s%s%s ON %s%s TO %s%s;\n", priv,
						 column ? " (" : "", column ? quote_identifier(column) : "",
						 column ? ")" : "", objtype, target,
						 grantee ? quote_identifier(grantee) : "PUBLIC",
						 grantable ? " WITH GRANT OPTION" : "");
	}
}

/*
 * The definition of the view of table "relname" (its OID "relid") in
 * version schema "vs", for the change "c" on it (NULL: none in flight).
 * Sets *viewname.
 */
static char *
view_definition(const char *nspname, Oid relid, const char *relname,
				VersionSchema *vs, FlightChange *c, char **viewname)
{
	bool		new_shape = c && vs->version && version_compare(c->version, vs->version) <= 0;
	char	   *target;
	StringInfoData sel;
	StringInfoData extra;
	Oid			type = OIDOID;
	Datum		value = ObjectIdGetDatum(relid);
	List	   *real_new = NIL;
	ListCell   *lc;
	uint64		i;
	uint64		n;
	List	   *names = NIL;
	List	   *reals = NIL;
	static const char *const table_privs[] = {"SELECT", "INSERT", "UPDATE", "DELETE"};

	*viewname = new_shape ? c->new_table : pstrdup(relname);
	target = quote_qualified_identifier(vs->name, *viewname);
	if (c)
		foreach(lc, c->view_columns)
		{
			StagedViewColumn *vc = lfirst(lc);

			if (vc->added)
				real_new = lappend(real_new, vc->real);
		}

	if (SPI_execute_with_args("SELECT attname FROM pg_catalog.pg_attribute "
							  "WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
							  1, &type, &value, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the columns of relation %u", relid);
	n = SPI_processed;
	for (i = 0; i < n; i++)
	{
		char	   *att = getvalue(i, 1);
		char	   *name = att;

		if (in_list(real_new, att))
			continue;			/* a column of the new shape, added below */
		if (new_shape && in_list(c->drop_names, att))
			continue;
		if (new_shape)
			foreach(lc, c->view_columns)
			{
				StagedViewColumn *vc = lfirst(lc);

				if (!vc->added && strcmp(vc->real, att) == 0)
					name = vc->name;
			}
		names = lappend(names, name);
		reals = lappend(reals, att);
	}
	if (new_shape)
		foreach(lc, c->view_columns)
		{
			StagedViewColumn *vc = lfirst(lc);

			if (vc->added)
			{
				names = lappend(names, vc->name);
				reals = lappend(reals, vc->real);
			}
		}

	initStringInfo(&sel);
	initStringInfo(&extra);
	{
		ListCell   *nc,
				   *rc;

		forboth(nc, names, rc, reals)
		{
			if (sel.len > 0)
				appendStringInfoString(&sel, ", ");
			appendStringInfoString(&sel, quote_identifier(lfirst(rc)));
			if (strcmp(lfirst(nc), lfirst(rc)) != 0)
				appendStringInfo(&sel, " AS %s", quote_identifier(lfirst(nc)));
		}
	}
	if (new_shape)
		foreach(lc, c->view_columns)
		{
			StagedViewColumn *vc = lfirst(lc);

			if (vc->view_default)
				appendStringInfo(&extra, "ALTER VIEW %s ALTER COLUMN %s SET DEFAULT %s;\n",
								 target, quote_identifier(vc->name), vc->view_default);
		}

	/* The table's privileges, its owner's included, and per column. */
	if (SPI_execute_with_args("SELECT CASE WHEN a.grantee = 0 THEN NULL ELSE pg_catalog.pg_get_userbyid(a.grantee) END, "
							  "       a.privilege_type, a.is_grantable, NULL::text "
							  "  FROM pg_catalog.pg_class c, "
							  "       pg_catalog.aclexplode(COALESCE(c.relacl, pg_catalog.acldefault('r', c.relowner))) a "
							  " WHERE c.oid = $1 AND a.grantee <> "
							  "       (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = CURRENT_USER) "
							  "UNION ALL "
							  "SELECT CASE WHEN a.grantee = 0 THEN NULL ELSE pg_catalog.pg_get_userbyid(a.grantee) END, "
							  "       a.privilege_type, a.is_grantable, t.attname::text "
							  "  FROM pg_catalog.pg_attribute t, pg_catalog.aclexplode(t.attacl) a "
							  " WHERE t.attrelid = $1 AND t.attnum > 0 AND NOT t.attisdropped AND t.attacl IS NOT NULL "
							  "ORDER BY 1 NULLS FIRST, 2, 4 NULLS FIRST",
							  1, &type, &value, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the privileges of relation %u", relid);
	/* column privileges under the names of this shape */
	for (i = 0; i < SPI_processed; i++)
	{
		char	   *column = getvalue(i, 4);
		ListCell   *nc,
				   *rc;

		if (column == NULL)
			continue;
		forboth(nc, names, rc, reals)
			if (strcmp(lfirst(rc), column) == 0)
			{
				char	   *grantee = getvalue(i, 1);

				appendStringInfo(&extra, "GRANT %s (%s) ON %s TO %s%s;\n", getvalue(i, 2),
								 quote_identifier(lfirst(nc)), target,
								 grantee ? quote_identifier(grantee) : "PUBLIC",
								 strcmp(getvalue(i, 3), "t") == 0 ? " WITH GRANT OPTION" : "");
			}
	}
	{
		/* table-level rows only: copy_grants skips column rows */
		StringInfoData tbl;
		uint64		j;

		initStringInfo(&tbl);
		for (j = 0; j < SPI_processed; j++)
		{
			char	   *grantee = getvalue(j, 1);
			char	   *priv = getvalue(j, 2);
			int			k;
			bool		wanted = false;

			if (getvalue(j, 4) != NULL)
				continue;
			for (k = 0; k < lengthof(table_privs); k++)
				if (strcmp(table_privs[k], priv) == 0)
					wanted = true;
			if (wanted)
				appendStringInfo(&tbl, "GRANT %s ON %s TO %s%s;\n", priv, target,
								 grantee ? quote_identifier(grantee) : "PUBLIC",
								 strcmp(getvalue(j, 3), "t") == 0 ? " WITH GRANT OPTION" : "");
		}
		appendStringInfoString(&extra, tbl.data);
	}

	return psprintf("CREATE VIEW %s WITH (security_invoker = true) AS SELECT %s FROM %s;\n%s",
					target, sel.data, quote_qualified_identifier(nspname, relname), extra.data);
}

/*
 * The SQL that makes the version schemas of schema "nspname" what the
 * changes in flight on its tables want, leaving out the views of table
 * "skip_relid" (when valid: complete and abort create them once they
 * changed it).  The caller is connected to SPI.
 */
char *
staged_sync_sql(const char *nspname, Oid skip_relid)
{
	List	   *changes = changes_in_flight(nspname);
	List	   *wanted = NIL;	/* VersionSchema */
	List	   *ours = NIL;		/* char *: version schemas of nspname that exist */
	StringInfoData sql;
	Oid			nsp = get_namespace_oid(nspname, false);
	Oid			types[2] = {OIDOID, TEXTOID};
	Datum		values[2];
	ListCell   *lc;
	uint64		i;
	uint64		n;
	List	   *tables = NIL;
	List	   *table_names = NIL;
	char	   *comment_prefix = psprintf("%s%s at ", SCHEMA_COMMENT_PREFIX, quote_identifier(nspname));

	initStringInfo(&sql);

	/* the schemas the changes want, in version order */
	foreach(lc, changes)
	{
		FlightChange *c = lfirst(lc);
		const char *names[2] = {c->old_schema, c->new_schema};
		const char *versions[2] = {c->old_version, c->version};
		int			k;

		for (k = 0; k < 2; k++)
		{
			ListCell   *wc;
			bool		found = false;

			foreach(wc, wanted)
				if (strcmp(((VersionSchema *) lfirst(wc))->name, names[k]) == 0)
					found = true;
			if (!found)
			{
				VersionSchema *vs = palloc0(sizeof(VersionSchema));

				vs->name = pstrdup(names[k]);
				vs->version = versions[k] ? pstrdup(versions[k]) : NULL;
				wanted = lappend(wanted, vs);
			}
		}
	}

	/* the version schemas of nspname that exist: migrator's comment on them */
	values[1] = CStringGetTextDatum(comment_prefix);
	if (SPI_execute_with_args("SELECT n.nspname FROM pg_catalog.pg_namespace n "
							  " WHERE pg_catalog.starts_with(pg_catalog.obj_description(n.oid, 'pg_namespace'), $1) "
							  " ORDER BY 1",
							  1, &types[1], &values[1], NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not list the version schemas");
	for (i = 0; i < SPI_processed; i++)
		ours = lappend(ours, getvalue(i, 1));

	/* a wanted schema that exists must be migrator's */
	foreach(lc, wanted)
	{
		VersionSchema *vs = lfirst(lc);

		if (OidIsValid(get_namespace_oid(vs->name, true)) && !in_list(ours, vs->name))
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_SCHEMA),
					 errmsg("schema \"%s\" already exists", vs->name),
					 errdetail("A staged change of schema \"%s\" shows a version of it in schema \"%s\", which migrator did not create.",
							   nspname, vs->name),
					 errhint("Rename or drop that schema, or stage the change under another version.")));
	}

	/* the tables of nspname */
	values[0] = ObjectIdGetDatum(nsp);
	if (SPI_execute_with_args("SELECT c.oid, c.relname FROM pg_catalog.pg_class c "
							  " WHERE c.relnamespace = $1 AND c.relkind IN ('r', 'p', 'f') ORDER BY c.relname",
							  1, &types[0], &values[0], NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not list the tables of schema %s", nspname);
	n = SPI_processed;
	for (i = 0; i < n; i++)
	{
		bool		isnull;

		tables = lappend_oid(tables, DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i],
																	SPI_tuptable->tupdesc, 1, &isnull)));
		table_names = lappend(table_names, getvalue(i, 2));
	}

	/* schemas to drop: views first, and only when nothing else is in them */
	foreach(lc, ours)
	{
		char	   *schema = lfirst(lc);
		ListCell   *wc;
		bool		keep = false;

		foreach(wc, wanted)
			if (strcmp(((VersionSchema *) lfirst(wc))->name, schema) == 0)
				keep = true;
		if (keep)
			continue;
		values[1] = CStringGetTextDatum(schema);
		if (SPI_execute_with_args("SELECT pg_catalog.pg_describe_object(d.classid, d.objid, 0), "
								  "       c.relkind = 'v' AND pg_catalog.starts_with(pg_catalog.obj_description(c.oid, 'pg_class'), "
								  "           '" VIEW_COMMENT_PREFIX "'), c.relname "
								  "  FROM pg_catalog.pg_depend d "
								  "  LEFT JOIN pg_catalog.pg_class c ON d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND c.oid = d.objid "
								  " WHERE d.refclassid = 'pg_catalog.pg_namespace'::pg_catalog.regclass "
								  "   AND d.refobjid = (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = $1) "
								  "   AND d.deptype = 'n' ORDER BY 1",
								  1, &types[1], &values[1], NULL, false, 0) != SPI_OK_SELECT)
			elog(ERROR, "could not list the objects of schema %s", schema);
		for (i = 0; i < SPI_processed; i++)
		{
			char	   *isours = getvalue(i, 2);

			if (isours == NULL || strcmp(isours, "t") != 0)
				ereport(ERROR,
						(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
						 errmsg("version schema \"%s\" holds %s, which migrator did not create",
								schema, getvalue(i, 1)),
						 errhint("Move or drop it: migrator drops the version schema when no change of schema \"%s\" needs it.",
								 nspname)));
			appendStringInfo(&sql, "DROP VIEW %s;\n",
							 quote_qualified_identifier(schema, getvalue(i, 3)));
		}
		appendStringInfo(&sql, "DROP SCHEMA %s;\n", quote_identifier(schema));
	}

	/* the wanted schemas and their views */
	foreach(lc, wanted)
	{
		VersionSchema *vs = lfirst(lc);
		bool		exists = in_list(ours, vs->name);
		List	   *existing = NIL; /* "name\001comment" of views there */
		List	   *keep = NIL;
		ListCell   *tc,
				   *nc;

		if (!exists)
		{
			static const char *const usage[] = {"USAGE"};

			appendStringInfo(&sql, "CREATE SCHEMA %s;\n", quote_identifier(vs->name));
			appendStringInfo(&sql, "COMMENT ON SCHEMA %s IS %s;\n", quote_identifier(vs->name),
							 quote_literal_cstr(psprintf("%s%s (views over its tables as version %s sees them)",
														 comment_prefix,
														 vs->version ? vs->version : "the version before the first staged change",
														 vs->version ? vs->version : "before")));
			values[0] = ObjectIdGetDatum(nsp);
			if (SPI_execute_with_args("SELECT CASE WHEN a.grantee = 0 THEN NULL ELSE pg_catalog.pg_get_userbyid(a.grantee) END, "
									  "       a.privilege_type, a.is_grantable, NULL::text "
									  "  FROM pg_catalog.pg_namespace n, "
									  "       pg_catalog.aclexplode(COALESCE(n.nspacl, pg_catalog.acldefault('n', n.nspowner))) a "
									  " WHERE n.oid = $1 AND a.grantee <> "
									  "       (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = CURRENT_USER) "
									  "UNION "
									  "SELECT pg_catalog.pg_get_userbyid(c.relowner), 'USAGE', false, NULL "
									  "  FROM pg_catalog.pg_class c WHERE c.relnamespace = $1 AND c.relkind IN ('r', 'p', 'f') "
									  "   AND c.relowner <> (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = CURRENT_USER) "
									  "ORDER BY 1 NULLS FIRST, 2",
									  1, &types[0], &values[0], NULL, false, 0) != SPI_OK_SELECT)
				elog(ERROR, "could not read the privileges of schema %s", nspname);
			copy_grants(&sql, "SCHEMA ", quote_identifier(vs->name), usage, 1);
		}
		else
		{
			values[1] = CStringGetTextDatum(vs->name);
			if (SPI_execute_with_args("SELECT c.relname, pg_catalog.obj_description(c.oid, 'pg_class') "
									  "  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
									  " WHERE n.nspname = $1 AND c.relkind = 'v' ORDER BY 1",
									  1, &types[1], &values[1], NULL, false, 0) != SPI_OK_SELECT)
				elog(ERROR, "could not list the views of schema %s", vs->name);
			for (i = 0; i < SPI_processed; i++)
			{
				char	   *comment = getvalue(i, 2);

				existing = lappend(existing, psprintf("%s\001%s", getvalue(i, 1), comment ? comment : ""));
			}
		}

		forboth(tc, tables, nc, table_names)
		{
			Oid			relid = lfirst_oid(tc);
			char	   *relname = lfirst(nc);
			FlightChange *change = NULL;
			ListCell   *cc;
			char	   *viewname;
			char	   *def;
			char	   *comment;
			uint32		hash;
			bool		same = false;

			/* its views come after what is about to change it */
			if (relid == skip_relid)
				continue;
			foreach(cc, changes)
				if (strcmp(((FlightChange *) lfirst(cc))->table, relname) == 0)
					change = lfirst(cc);
			def = view_definition(nspname, relid, relname, vs, change, &viewname);
			hash = hash_bytes((const unsigned char *) def, strlen(def));
			comment = psprintf("%s%08x", VIEW_COMMENT_PREFIX, hash);
			keep = lappend(keep, viewname);
			foreach(cc, existing)
			{
				char	   *e = lfirst(cc);
				char	   *sep = strchr(e, '\001');

				if (strncmp(e, viewname, sep - e) == 0 && viewname[sep - e] == '\0')
				{
					if (strcmp(sep + 1, comment) == 0)
						same = true;
					else
						appendStringInfo(&sql, "DROP VIEW %s;\n",
										 quote_qualified_identifier(vs->name, viewname));
				}
			}
			if (same)
				continue;
			appendStringInfoString(&sql, def);
			appendStringInfo(&sql, "COMMENT ON VIEW %s IS %s;\n",
							 quote_qualified_identifier(vs->name, viewname),
							 quote_literal_cstr(comment));
		}
		/* views of tables that went away or were renamed */
		foreach(tc, existing)
		{
			char	   *e = lfirst(tc);
			char	   *name = pnstrdup(e, strchr(e, '\001') - e);

			if (!in_list(keep, name))
				appendStringInfo(&sql, "DROP VIEW %s;\n",
								 quote_qualified_identifier(vs->name, name));
		}
	}

	/* trigger functions: the schemas that show each change's new shape */
	foreach(lc, changes)
	{
		FlightChange *c = lfirst(lc);
		List	   *schemas = NIL;
		ListCell   *wc;
		char	   *fsql;

		if (c->function == NULL || c->function_tail == NULL)
			continue;
		foreach(wc, wanted)
		{
			VersionSchema *vs = lfirst(wc);

			if (vs->version && version_compare(c->version, vs->version) <= 0)
				schemas = lappend(schemas, vs->name);
		}
		fsql = staged_function_sql(c->function, c->function_head, c->function_tail, schemas);
		/* unchanged: leave it */
		values[1] = CStringGetTextDatum(psprintf("%s%s%s", c->function_head,
												 "", ""));
		{
			Oid			t = TEXTOID;
			Datum		v = CStringGetTextDatum(psprintf("%s()", c->function));
			char	   *src = NULL;

			if (SPI_execute_with_args("SELECT p.prosrc FROM pg_catalog.pg_proc p "
									  " WHERE p.oid = pg_catalog.to_regprocedure($1)",
									  1, &t, &v, NULL, false, 0) != SPI_OK_SELECT)
				elog(ERROR, "could not read function %s", c->function);
			if (SPI_processed == 1)
				src = getvalue(0, 1);
			if (src && strstr(fsql, src) != NULL && strlen(src) > 0)
				continue;
		}
		appendStringInfoString(&sql, fsql);
	}
	return sql.data;
}

/*
 * DROP VIEW of every view of table "relid" in the version schemas of
 * schema "nspname": complete and abort drop columns those views read.
 * staged_sync_sql() creates what is still wanted afterwards.
 */
char *
staged_detach_sql(const char *nspname, Oid relid)
{
	Oid			types[2] = {TEXTOID, OIDOID};
	Datum		values[2];
	StringInfoData sql;
	uint64		i;

	values[0] = CStringGetTextDatum(psprintf("%s%s at ", SCHEMA_COMMENT_PREFIX, quote_identifier(nspname)));
	values[1] = ObjectIdGetDatum(relid);
	if (SPI_execute_with_args("SELECT n.nspname, c.relname "
							  "  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
							  " WHERE c.relkind = 'v' "
							  "   AND pg_catalog.starts_with(pg_catalog.obj_description(n.oid, 'pg_namespace'), $1) "
							  "   AND EXISTS (SELECT 1 FROM pg_catalog.pg_rewrite r "
							  "                 JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass "
							  "                  AND d.objid = r.oid "
							  "                WHERE r.ev_class = c.oid "
							  "                  AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass "
							  "                  AND d.refobjid = $2) "
							  " ORDER BY 1, 2",
							  2, types, values, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not list the views of relation %u", relid);
	initStringInfo(&sql);
	for (i = 0; i < SPI_processed; i++)
		appendStringInfo(&sql, "DROP VIEW %s;\n",
						 quote_qualified_identifier(getvalue(i, 1), getvalue(i, 2)));
	return sql.data;
}
