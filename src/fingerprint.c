/*-------------------------------------------------------------------------
 *
 * fingerprint.c
 *	  Schema fingerprints: taking, comparing and recording them, and
 *	  migrator.drift().
 *
 * A fingerprint is the set of (kind, object, definition) rows that
 * migrator.schema_fingerprint() reads from the catalogs: schemas, tables,
 * columns and their types, constraints, indexes, sequences, views,
 * functions, types, triggers, policies, rules, extensions and privileges,
 * outside the system schemas and migrator's own.  It is read through
 * history_exec(), so names are printed with search_path = pg_catalog and
 * do not depend on the caller's settings.
 *
 * check() compares fingerprints taken before and after scripts run;
 * apply() and rollback() record the fingerprint in migrator.schema_state,
 * and drift() compares that record with the schema as it is now.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"

#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "parser/parser.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "migrator.h"
#include "citus.h"
#include "fingerprint.h"
#include "history.h"
#include "script.h"
#include "session.h"

PG_FUNCTION_INFO_V1(migrator_drift);

#define FINGERPRINT_ORDER " ORDER BY kind COLLATE \"C\", object COLLATE \"C\""

/*
 * The rows of the last history_exec() as a List of FingerprintItem.
 */
static List *
fingerprint_from_spi(void)
{
	List	   *result = NIL;
	uint64		i;

	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		FingerprintItem *item = palloc(sizeof(FingerprintItem));
		char	   *def = SPI_getvalue(tup, desc, 3);

		item->kind = SPI_getvalue(tup, desc, 1);
		item->object = SPI_getvalue(tup, desc, 2);
		item->definition = def ? def : pstrdup("");
		result = lappend(result, item);
	}
	return result;
}

/*
 * The fingerprint of the schema as the current transaction sees it.  The
 * caller has done SPI_connect().
 */
List *
fingerprint_take(void)
{
	int			nestlevel = -1;
	List	   *result;

	/* on a Citus node, tables but not their shards */
	if (citus_present())
	{
		nestlevel = NewGUCNestLevel();
		citus_hide_shards();
	}
	history_exec("SELECT kind, object, definition FROM migrator.schema_fingerprint()"
				 FINGERPRINT_ORDER, 0, NULL, NULL, NULL);
	result = fingerprint_from_spi();
	if (nestlevel >= 0)
		AtEOXact_GUC(true, nestlevel);
	return result;
}

static FingerprintChange *
make_change(const char *change, FingerprintItem *before, FingerprintItem *after)
{
	FingerprintChange *c = palloc(sizeof(FingerprintChange));

	c->change = change;
	c->before = before;
	c->after = after;
	return c;
}

/*
 * The differences between two fingerprints (both sorted by kind and object
 * in byte order), as a List of FingerprintChange in that order.
 */
List *
fingerprint_diff(List *before, List *after)
{
	List	   *result = NIL;
	int			i = 0;
	int			j = 0;

	while (i < list_length(before) || j < list_length(after))
	{
		FingerprintItem *b = i < list_length(before) ? list_nth(before, i) : NULL;
		FingerprintItem *a = j < list_length(after) ? list_nth(after, j) : NULL;
		int			cmp;

		if (b == NULL)
			cmp = 1;
		else if (a == NULL)
			cmp = -1;
		else
		{
			cmp = strcmp(b->kind, a->kind);
			if (cmp == 0)
				cmp = strcmp(b->object, a->object);
		}

		if (cmp < 0)
		{
			result = lappend(result, make_change("removed", b, NULL));
			i++;
		}
		else if (cmp > 0)
		{
			result = lappend(result, make_change("added", NULL, a));
			j++;
		}
		else
		{
			if (strcmp(b->definition, a->definition) != 0)
				result = lappend(result, make_change("changed", b, a));
			i++;
			j++;
		}
	}
	return result;
}

/*
 * One difference in readable form, e.g.
 * "changed column public.t.a: integer -> bigint".
 */
char *
fingerprint_change_text(FingerprintChange *c)
{
	FingerprintItem *item = c->before ? c->before : c->after;

	if (c->before && c->after)
		return psprintf("changed %s %s: %s -> %s", item->kind, item->object,
						c->before->definition, c->after->definition);
	return psprintf("%s %s %s", c->change, item->kind, item->object);
}

/*
 * apply() and rollback() run in the caller's transaction, which may call
 * them many times (the client applies one migration per call to show
 * progress): the fingerprint is then taken once, when the transaction
 * commits, instead of after every call.
 */
static const char *fingerprint_pending_reason = NULL;
static bool fingerprint_callback_registered = false;

static void
fingerprint_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
		case XACT_EVENT_PRE_PREPARE:
			/* (not when the extension was dropped later in the transaction) */
			if (fingerprint_pending_reason &&
				!OidIsValid(get_extension_oid("migrator", true)))
				fingerprint_pending_reason = NULL;
			if (fingerprint_pending_reason)
			{
				const char *reason = fingerprint_pending_reason;

				fingerprint_pending_reason = NULL;
				/* commit has closed the portals: queries need a snapshot */
				PushActiveSnapshot(GetTransactionSnapshot());
				SPI_connect();
				fingerprint_record(reason);
				SPI_finish();
				PopActiveSnapshot();
			}
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
			fingerprint_pending_reason = NULL;
			break;
		default:
			break;
	}
}

/*
 * Record the fingerprint when the current transaction commits ("reason" a
 * string constant).
 */
void
fingerprint_record_at_commit(const char *reason)
{
	if (!fingerprint_callback_registered)
	{
		RegisterXactCallback(fingerprint_xact_callback, NULL);
		fingerprint_callback_registered = true;
	}
	fingerprint_pending_reason = reason;
}

/*
 * Record the fingerprint of the schema as it is now in
 * migrator.schema_state: apply() and rollback() call this after they
 * changed the schema.  The caller has done SPI_connect().
 */
void
fingerprint_record(const char *reason)
{
	Oid			type = TEXTOID;
	Datum		value = CStringGetTextDatum(reason);

	/* Only the newest record matters; the one of CREATE EXTENSION stays. */
	history_exec("DELETE FROM migrator.schema_state WHERE reason <> 'create extension'",
				 0, NULL, NULL, NULL);
	history_exec("INSERT INTO migrator.schema_state (recorded_at, reason, fingerprint) "
				 "SELECT pg_catalog.clock_timestamp(), $1, "
				 "       pg_catalog.array_agg(ROW(f.kind, f.object, f.definition)::migrator.fingerprint_item) "
				 "  FROM migrator.schema_fingerprint() AS f",
				 1, &type, &value, NULL);
}

/*
 * Is the recorded definition of view "object" its current one, deparsed by
 * another server version?  A view's definition is the server's deparse of
 * its query, and deparsers change between major versions (16 stopped
 * qualifying the columns of a single-relation view), so after pg_upgrade a
 * view recorded by the old server may read differently although it is the
 * same.  The recorded query is deparsed once more by this server, through a
 * temporary view created in a subtransaction that is always rolled back,
 * and compared with the current deparse.  Anything that goes wrong (the
 * recorded query no longer parses or refers to objects that are gone) keeps
 * the difference: it is reported as a change.  The caller has done
 * SPI_connect().
 */
static bool
view_redeparses_to_current(const char *object, const char *recorded,
						   const char *current)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	Datum		arg = CStringGetTextDatum(object);
	char	   *viewdef;
	char	   *query;
	size_t		prefix_len;
	size_t		len;
	bool		same = false;

	/* "owner ... <deparse>": the part before the deparse must be equal */
	history_exec("SELECT pg_catalog.pg_get_viewdef(pg_catalog.to_regclass($1))",
				 1, (Oid[]) {TEXTOID}, &arg, NULL);
	if (SPI_processed != 1 ||
		(viewdef = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1)) == NULL)
		return false;
	if (strlen(current) < strlen(viewdef) ||
		strcmp(current + strlen(current) - strlen(viewdef), viewdef) != 0)
		return false;
	prefix_len = strlen(current) - strlen(viewdef);
	if (strlen(recorded) < prefix_len || strncmp(recorded, current, prefix_len) != 0)
		return false;
	query = pstrdup(recorded + prefix_len);
	len = strlen(query);
	while (len > 0 && (query[len - 1] == ';' || isspace((unsigned char) query[len - 1])))
		query[--len] = '\0';

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		List	   *parsed = raw_parser(query, RAW_PARSE_DEFAULT);
		int			save_nestlevel = NewGUCNestLevel();

		/* one SELECT, deparsed with the fingerprint's search_path */
		(void) set_config_option("search_path", "pg_catalog, pg_temp",
								 PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
		if (list_length(parsed) == 1 &&
			IsA(linitial_node(RawStmt, parsed)->stmt, SelectStmt) &&
			SPI_execute(psprintf("CREATE TEMPORARY VIEW migrator_drift_redeparse AS %s",
								 query), false, 0) == SPI_OK_UTILITY &&
			SPI_execute("SELECT pg_catalog.pg_get_viewdef('pg_temp.migrator_drift_redeparse'::pg_catalog.regclass)",
						false, 1) == SPI_OK_SELECT &&
			SPI_processed == 1)
		{
			char	   *again = SPI_getvalue(SPI_tuptable->vals[0],
											 SPI_tuptable->tupdesc, 1);

			same = again != NULL && strcmp(again, viewdef) == 0;
		}
		AtEOXact_GUC(false, save_nestlevel);
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		FreeErrorData(subtransaction_abort(oldcxt, oldowner));
		same = false;
	}
	PG_END_TRY();
	return same;
}

/*
 * migrator.drift() RETURNS TABLE (change, kind, object, recorded, current,
 * recorded_at): schema changes made since apply() or rollback() last
 * recorded the fingerprint, that is, outside migrator.
 */
Datum
migrator_drift(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	List	   *recorded;
	List	   *current;
	Datum		recorded_at;
	Datum		id;
	bool		isnull;
	ListCell   *lc;

	session_check_not_in_migration("migrator.drift()");
	InitMaterializedSRF(fcinfo, 0);
	SPI_connect();

	/* The newest record of apply() or rollback(), else CREATE EXTENSION's. */
	history_exec("SELECT recorded_at, id FROM migrator.schema_state "
				 "ORDER BY reason <> 'create extension' DESC, id DESC LIMIT 1",
				 0, NULL, NULL, NULL);
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("no schema fingerprint is recorded"),
				 errhint("migrator records one when the extension is created and after each apply() and rollback().")));
	recorded_at = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	id = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);

	/*
	 * The record is read through its text form, as pg_dump reads it: each
	 * composite element stored on disk carries the header of the server
	 * that wrote it, and a record written by Debian's 15.20 (which tags
	 * composite values with a row-type version) is refused by an upstream
	 * 16 or 18 after pg_upgrade ("rows returned by function are not all of
	 * the same row type"), while its text reads the same everywhere.
	 */
	/*
	 * A record made by the fingerprint SQL of 0.1 or 0.2 on 17 or later (an
	 * older installation on a newer server, or its dump restored) holds
	 * what 0.3 reads differently there (src/sql/30_lint.sql): NOT NULL
	 * constraints as rows of their own, which the column rows already say,
	 * and MAINTAIN in full table privileges.  Both are read as 0.3 writes
	 * them; a 0.3 record has neither.
	 */
	history_exec("SELECT f.kind, f.object, "
				 "       CASE WHEN f.kind IN ('table', 'view', 'materialized view', 'foreign table') "
				 "            THEN pg_catalog.regexp_replace(f.definition, "
				 "                   '=a(\\*?)r(\\*?)w(\\*?)d(\\*?)D(\\*?)x(\\*?)t(\\*?)m\\*?/', "
				 "                   '=a\\1r\\2w\\3d\\4D\\5x\\6t\\7/', 'g') "
				 "            ELSE f.definition END "
				 "FROM migrator.schema_state, "
				 "     pg_catalog.unnest(fingerprint::pg_catalog.text::migrator.fingerprint_item[]) AS f "
				 "WHERE id = $1 "
				 "  AND NOT (f.kind = 'constraint' AND f.definition LIKE 'NOT NULL %')"
				 FINGERPRINT_ORDER, 1, (Oid[]) {INT8OID}, &id, NULL);
	recorded = fingerprint_from_spi();
	current = fingerprint_take();

	foreach(lc, fingerprint_diff(recorded, current))
	{
		FingerprintChange *c = lfirst(lc);
		FingerprintItem *item = c->before ? c->before : c->after;
		Datum		values[6];
		bool		nulls[6] = {false, false, false, false, false, false};

		if (c->before && c->after &&
			(strcmp(item->kind, "view") == 0 || strcmp(item->kind, "materialized view") == 0) &&
			view_redeparses_to_current(item->object, c->before->definition,
									   c->after->definition))
			continue;

		values[0] = CStringGetTextDatum(c->change);
		values[1] = CStringGetTextDatum(item->kind);
		values[2] = CStringGetTextDatum(item->object);
		if (c->before)
			values[3] = CStringGetTextDatum(c->before->definition);
		else
			nulls[3] = true;
		if (c->after)
			values[4] = CStringGetTextDatum(c->after->definition);
		else
			nulls[4] = true;
		values[5] = recorded_at;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}

	SPI_finish();
	return (Datum) 0;
}
