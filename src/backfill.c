/*-------------------------------------------------------------------------
 *
 * backfill.c
 *	  CALL migrator.backfill(): update a large table in key-ordered
 *	  batches, committing between batches, resumable.
 *
 * A staged migration's backfill step (fill a new column from an old one)
 * run as one UPDATE locks every row it touches until it commits, and
 * holds back vacuum for as long.  backfill() updates at most batch_size
 * rows per transaction, in the order of a unique, not-null key column,
 * and records after each batch, in the same transaction, the last key it
 * updated (table migrator.backfills).  An interrupted backfill called
 * again with the same relation, set and filter resumes after that key: no
 * row is updated twice and none is skipped, whatever the moment of the
 * interruption.  Rows inserted behind the progress mark after the start
 * are not updated (the application writes those itself in a staged
 * change).
 *
 * The UPDATE runs with the caller's rights; the progress rows are written
 * through history_exec() like the rest of migrator's catalog.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/varlena.h"

#include "migrator.h"
#include "backfill.h"
#include "citus.h"
#include "history.h"

PG_FUNCTION_INFO_V1(migrator_backfill);

/* objsubid of the advisory lock a backfill holds on its table */
#define BACKFILL_LOCK_SUBID 3

struct BackfillKey;
static void backfill_run(Oid relid, const char *relation, const char *set,
						 const char *filter, int32 batch_size,
						 struct BackfillKey *bk, bool restart);

/* The key a backfill walks the table in the order of. */
typedef struct BackfillKey
{
	int			ncols;
	char	  **columns;		/* quoted names */
	Oid		   *types;
	char	   *text;			/* "a" or "a, b": what migrator.backfills records */
} BackfillKey;

/*
 * The columns of the primary key of "relid" in index order, when it has
 * more than one (a single-column one is found by backfill_key()).
 */
static bool
backfill_composite_pk(Oid relid, BackfillKey *bk)
{
	Oid			type = OIDOID;
	Datum		value = ObjectIdGetDatum(relid);
	uint64		i;

	if (SPI_execute_with_args("SELECT pg_catalog.quote_ident(a.attname), a.atttypid "
							  "  FROM pg_catalog.pg_index i, "
							  "       pg_catalog.unnest(i.indkey::pg_catalog.int2[]) WITH ORDINALITY AS k(attnum, n) "
							  "  JOIN pg_catalog.pg_attribute a ON a.attrelid = $1 AND a.attnum = k.attnum "
							  " WHERE i.indrelid = $1 AND i.indisprimary AND i.indisvalid "
							  "   AND i.indnkeyatts > 1 AND k.n <= i.indnkeyatts "
							  " ORDER BY k.n",
							  1, &type, &value, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not look up the primary key of relation %u", relid);
	if (SPI_processed == 0)
		return false;
	bk->ncols = SPI_processed;
	bk->columns = palloc(sizeof(char *) * bk->ncols);
	bk->types = palloc(sizeof(Oid) * bk->ncols);
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;

		bk->columns[i] = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
		bk->types[i] = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i],
													  SPI_tuptable->tupdesc, 2, &isnull));
	}
	return true;
}

/*
 * "key" of several columns, "a, b": they must be NOT NULL and be the key
 * columns of a unique index without predicate, in any order.
 */
static void
backfill_named_key(Oid relid, const char *key, BackfillKey *bk)
{
	char	   *copy = pstrdup(key);
	List	   *names;
	ListCell   *lc;
	StringInfoData arr;
	Oid			types[2] = {OIDOID, TEXTOID};
	Datum		values[2];
	int			i = 0;

	if (!SplitIdentifierString(copy, ',', &names))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid key \"%s\"", key),
				 errhint("Name the key columns separated by commas, such as key => 'tenant, id'.")));
	initStringInfo(&arr);
	foreach(lc, names)
		appendStringInfo(&arr, "%s%s", arr.len > 0 ? "," : "", quote_identifier(lfirst(lc)));
	values[0] = ObjectIdGetDatum(relid);
	values[1] = CStringGetTextDatum(psprintf("{%s}", arr.data));
	if (SPI_execute_with_args("SELECT pg_catalog.quote_ident(a.attname), a.atttypid "
							  "  FROM pg_catalog.unnest($2::pg_catalog.text[]) WITH ORDINALITY AS k(name, n) "
							  "  JOIN pg_catalog.pg_attribute a ON a.attrelid = $1 AND a.attname = k.name "
							  "   AND a.attnum > 0 AND NOT a.attisdropped AND a.attnotnull "
							  " WHERE EXISTS (SELECT 1 FROM pg_catalog.pg_index i "
							  "                WHERE i.indrelid = $1 AND i.indisunique AND i.indisvalid "
							  "                  AND i.indpred IS NULL AND i.indexprs IS NULL "
							  "                  AND i.indnkeyatts = pg_catalog.cardinality($2::pg_catalog.text[]) "
							  "                  AND (SELECT pg_catalog.array_agg(x ORDER BY x) FROM pg_catalog.unnest("
							  "                          (i.indkey::pg_catalog.int2[])[0:i.indnkeyatts - 1]) AS x) = "
							  "                      (SELECT pg_catalog.array_agg(b.attnum ORDER BY b.attnum) "
							  "                         FROM pg_catalog.pg_attribute b WHERE b.attrelid = $1 "
							  "                          AND b.attname = ANY ($2::pg_catalog.text[]))) "
							  " ORDER BY k.n",
							  2, types, values, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not look up the key of relation %u", relid);
	if (SPI_processed != list_length(names))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("columns %s of table \"%s\" cannot be a backfill key", key, get_rel_name(relid)),
				 errdetail("A key of several columns must be NOT NULL and the columns of a unique index."),
				 errhint("Name the columns of the primary key, or of a unique index on NOT NULL columns.")));
	bk->ncols = SPI_processed;
	bk->columns = palloc(sizeof(char *) * bk->ncols);
	bk->types = palloc(sizeof(Oid) * bk->ncols);
	for (i = 0; i < bk->ncols; i++)
	{
		bool		isnull;

		bk->columns[i] = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
		bk->types[i] = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i],
													  SPI_tuptable->tupdesc, 2, &isnull));
	}
}

/*
 * The key of "relid": "key" when given (a NOT NULL column alone in a
 * unique index without predicate, or several columns of such an index),
 * else the single-column primary key, else the only NOT NULL column alone
 * in such a unique index, else a primary key of several columns.  Without
 * one (or with several such columns and no primary key), an error, or
 * false when "missing_ok".
 */
static bool
backfill_key(Oid relid, const char *key, BackfillKey *bk, bool missing_ok)
{
	Oid			types[2] = {OIDOID, TEXTOID};
	Datum		values[2];
	char		nulls[2] = {' ', key ? ' ' : 'n'};
	TupleDesc	desc;
	bool		isnull;
	int			i;

	if (key && strchr(key, ','))
		backfill_named_key(relid, key, bk);
	else
	{
		values[0] = ObjectIdGetDatum(relid);
		values[1] = key ? CStringGetTextDatum(key) : (Datum) 0;
		/* not read-only: it sees a key made earlier in the caller's transaction */
		if (SPI_execute_with_args("SELECT pg_catalog.quote_ident(a.attname), "
								  "       a.atttypid, "
								  "       pg_catalog.bool_or(i.indisprimary) "
								  "  FROM pg_catalog.pg_attribute a "
								  "  JOIN pg_catalog.pg_index i "
								  "    ON i.indrelid = a.attrelid AND i.indnkeyatts = 1 "
								  "   AND i.indkey[0] = a.attnum AND i.indpred IS NULL "
								  "   AND i.indisvalid AND i.indisunique "
								  " WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped "
								  "   AND a.attnotnull "
								  "   AND ($2 IS NULL OR a.attname = $2) "
								  " GROUP BY a.attnum, a.attname, a.atttypid "
								  " ORDER BY pg_catalog.bool_or(i.indisprimary) DESC, a.attnum",
								  2, types, values, nulls, false, 0) != SPI_OK_SELECT)
			elog(ERROR, "could not look up the key of relation %u", relid);
		desc = SPI_tuptable->tupdesc;
		if (SPI_processed == 0 && key == NULL && backfill_composite_pk(relid, bk))
			goto done;
		if (missing_ok && (SPI_processed == 0 ||
						   (SPI_processed > 1 &&
							strcmp(SPI_getvalue(SPI_tuptable->vals[0], desc, 3), "t") != 0)))
			return false;
		if (SPI_processed == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 key ? errmsg("column \"%s\" of table \"%s\" cannot be a backfill key", key, get_rel_name(relid))
					 : errmsg("table \"%s\" has no column to walk in order", get_rel_name(relid)),
					 errdetail("backfill() walks the table in the order of a NOT NULL column that is alone in a unique index, or of its primary key."),
					 key ? errhint("Name such a column with key => 'column'.")
					 : errhint("Add a primary key, or a unique index on one NOT NULL column.")));
		if (SPI_processed > 1 &&
			strcmp(SPI_getvalue(SPI_tuptable->vals[0], desc, 3), "t") != 0)
		{
			StringInfoData names;
			uint64		j;

			initStringInfo(&names);
			for (j = 0; j < SPI_processed; j++)
				appendStringInfo(&names, "%s%s", j > 0 ? ", " : "",
								 SPI_getvalue(SPI_tuptable->vals[j], desc, 1));
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("table \"%s\" has no single-column primary key and several possible backfill keys",
							get_rel_name(relid)),
					 errdetail("NOT NULL columns alone in a unique index: %s.", names.data),
					 errhint("Name one with key => 'column'.")));
		}
		bk->ncols = 1;
		bk->columns = palloc(sizeof(char *));
		bk->types = palloc(sizeof(Oid));
		bk->columns[0] = SPI_getvalue(SPI_tuptable->vals[0], desc, 1);
		bk->types[0] = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], desc, 2, &isnull));
	}
done:
	{
		StringInfoData text;

		initStringInfo(&text);
		for (i = 0; i < bk->ncols; i++)
			appendStringInfo(&text, "%s%s", i > 0 ? ", " : "", bk->columns[i]);
		bk->text = text.data;
	}
	return true;
}

/*
 * Has "relid" a key that backfill() finds by itself (without key =>)?  A
 * staged change that needs a backfill is refused before it expands when
 * not.  The caller is connected to SPI.
 */
bool
backfill_relation_has_key(Oid relid)
{
	BackfillKey bk;

	return backfill_key(relid, NULL, &bk, true);
}

/*
 * The key backfill() walks "relid" by (its columns quoted, separated by
 * ", "), or NULL when it has none.  A staged change's trigger names a row
 * by it.  The caller is connected to SPI.
 */
char *
backfill_relation_key_text(Oid relid)
{
	BackfillKey bk;

	return backfill_key(relid, NULL, &bk, true) ? bk.text : NULL;
}

/*
 * CALL migrator.backfill(relation regclass, set text, filter text,
 *						  batch_size integer, key text, restart boolean)
 */
Datum
migrator_backfill(PG_FUNCTION_ARGS)
{
	Oid			relid;
	char	   *set;
	char	   *filter;
	int32		batch_size;
	char	   *key;
	bool		restart;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("relation and set must not be null")));
	relid = PG_GETARG_OID(0);
	set = text_to_cstring(PG_GETARG_TEXT_PP(1));
	filter = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	batch_size = PG_ARGISNULL(3) ? 1000 : PG_GETARG_INT32(3);
	key = PG_ARGISNULL(4) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(4));
	restart = !PG_ARGISNULL(5) && PG_GETARG_BOOL(5);
	if (batch_size < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("batch_size must be at least 1")));
	if (fcinfo->context == NULL || !IsA(fcinfo->context, CallContext) ||
		castNode(CallContext, fcinfo->context)->atomic)
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("migrator.backfill() cannot run inside a transaction block"),
				 errdetail("It commits after each batch."),
				 errhint("Run CALL migrator.backfill() on its own, or as a statement of a migration registered with transactional => false.")));
	backfill_relation(relid, set, filter, batch_size, key, restart);
	PG_RETURN_VOID();
}

/*
 * The body of backfill(), also run by a staged change's backfill
 * (staged.c): checks, the per-table lock, the batches.  The caller runs in
 * a non-atomic context (a procedure).
 */
void
backfill_relation(Oid relid, const char *set, const char *filter,
				  int32 batch_size, const char *key, bool restart)
{
	char	   *relation;
	BackfillKey bk;
	LOCKTAG		tag;

	PreventCommandIfReadOnly("migrator.backfill()");
	PreventCommandDuringRecovery("migrator.backfill()");

	/*
	 * A regclass argument may be any number: the relation must exist, and
	 * stay, while its name is looked up (each batch locks it again).  The
	 * caller's right to update it is checked before it is locked, so that
	 * nobody can queue a lock on a table they may not touch (the check
	 * raises "relation with OID ... does not exist" for an unknown OID).
	 */
	if (pg_class_aclcheck(relid, GetUserId(), ACL_UPDATE | ACL_SELECT) != ACLCHECK_OK)
		aclcheck_error(ACLCHECK_NO_PRIV, get_relkind_objtype(get_rel_relkind(relid)),
					   get_rel_name(relid));
	LockRelationOid(relid, AccessShareLock);
	if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	if (get_rel_relkind(relid) != RELKIND_RELATION &&
		get_rel_relkind(relid) != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a table", get_rel_name(relid)),
				 errdetail("backfill() updates the rows of a table in batches.")));

	SPI_connect_ext(SPI_OPT_NONATOMIC);
	relation = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
										  get_rel_name(relid));
	(void) backfill_key(relid, key, &bk, false);

	/*
	 * One backfill per table at a time: two sessions resuming the same
	 * backfill would both update the rows after its last key.
	 */
	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, MIGRATOR_LOCK_KEY1, relid,
						 BACKFILL_LOCK_SUBID);
	if (LockAcquire(&tag, ExclusiveLock, true, true) == LOCKACQUIRE_NOT_AVAIL)
		ereport(ERROR,
				(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
				 errmsg("another session is running a backfill of %s", relation),
				 errdetail("It holds advisory lock %u/%u/%d (pg_locks: classid, objid, objsubid).",
						   MIGRATOR_LOCK_KEY1, relid, BACKFILL_LOCK_SUBID),
				 errhint("Wait for it to finish; an interrupted backfill resumes when called again.")));
	PG_TRY();
	{
		backfill_run(relid, relation, set, filter, batch_size, &bk, restart);
	}
	PG_FINALLY();
	{
		LockRelease(&tag, ExclusiveLock, true);
	}
	PG_END_TRY();

	SPI_finish();
}

/*
 * Keys are recorded as text, to be read back by a later call, perhaps in
 * another session: their text form must not depend on the session's
 * DateStyle, IntervalStyle, extra_float_digits, lc_monetary or
 * bytea_output.  These are pinned while a key is converted.
 */
static int
backfill_pin_key_formats(void)
{
	int			nestlevel = NewGUCNestLevel();

	(void) set_config_option("datestyle", "ISO, YMD", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("intervalstyle", "postgres", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("extra_float_digits", "3", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("lc_monetary", "C", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("bytea_output", "hex", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	return nestlevel;
}

/* The recorded text of key "value" of type "keytype". */
static char *
backfill_key_to_text(Oid keytype, Datum value)
{
	Oid			output;
	bool		isvarlena;
	int			nestlevel = backfill_pin_key_formats();
	char	   *text;

	getTypeOutputInfo(keytype, &output, &isvarlena);
	text = OidOutputFunctionCall(output, value);
	AtEOXact_GUC(true, nestlevel);
	return text;
}

/* The key of type "keytype" recorded as "text". */
static Datum
backfill_key_from_text(Oid keytype, const char *text)
{
	Oid			input;
	Oid			ioparam;
	int			nestlevel = backfill_pin_key_formats();
	Datum		value;

	getTypeInputInfo(keytype, &input, &ioparam);
	value = OidInputFunctionCall(input, (char *) text, ioparam, -1);
	AtEOXact_GUC(true, nestlevel);
	return value;
}

/*
 * The recorded text of the key "values": the text of its one column, or
 * for several columns a text[] literal of theirs.
 */
static char *
backfill_keys_to_text(BackfillKey *bk, Datum *values)
{
	StringInfoData buf;
	int			i;

	if (bk->ncols == 1)
		return backfill_key_to_text(bk->types[0], values[0]);
	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	for (i = 0; i < bk->ncols; i++)
	{
		char	   *t = backfill_key_to_text(bk->types[i], values[i]);
		char	   *p;

		appendStringInfoString(&buf, i > 0 ? ",\"" : "\"");
		for (p = t; *p; p++)
		{
			if (*p == '"' || *p == '\\')
				appendStringInfoChar(&buf, '\\');
			appendStringInfoChar(&buf, *p);
		}
		appendStringInfoChar(&buf, '"');
	}
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

/* The key values recorded as "text" (see backfill_keys_to_text()). */
static void
backfill_keys_from_text(BackfillKey *bk, const char *text, Datum *values)
{
	Oid			type = TEXTOID;
	Datum		arg = CStringGetTextDatum(text);
	List	   *parts = NIL;
	uint64		i;

	if (bk->ncols == 1)
	{
		values[0] = backfill_key_from_text(bk->types[0], text);
		return;
	}
	if (SPI_execute_with_args("SELECT e FROM pg_catalog.unnest($1::pg_catalog.text[]) WITH ORDINALITY AS a(e, n) ORDER BY n",
							  1, &type, &arg, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the recorded backfill key %s", text);
	if (SPI_processed != bk->ncols)
		elog(ERROR, "recorded backfill key %s has %d values, not %d", text,
			 (int) SPI_processed, bk->ncols);
	for (i = 0; i < SPI_processed; i++)
		parts = lappend(parts, SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1));
	for (i = 0; i < bk->ncols; i++)
		values[i] = backfill_key_from_text(bk->types[i], list_nth(parts, i));
}

/*
 * The body of backfill(): find or create the progress row, run the
 * batches, mark it done.  The caller holds the table's backfill lock and
 * is connected to SPI (non-atomic).
 */
static void
backfill_run(Oid relid, const char *relation, const char *set, const char *filter,
			 int32 batch_size, BackfillKey *bk, bool restart)
{
	char	   *update;
	char	   *last_key = NULL;	/* recorded text of the last key */
	Datum	   *last = palloc0(sizeof(Datum) * bk->ncols);	/* the last key itself */
	char	   *lastnulls = palloc(bk->ncols + 1);
	int16	   *keylen = palloc(sizeof(int16) * bk->ncols);
	bool	   *keybyval = palloc(sizeof(bool) * bk->ncols);
	char	   *recorded_key;
	int64		rows_done = 0;
	int64		batches = 0;
	int64		id;
	Oid			types[3] = {TEXTOID, TEXTOID, TEXTOID};
	Datum		values[3];
	char		nulls[3] = {' ', ' ', ' '};
	bool		isnull;
	StringInfoData cols;
	StringInfoData params;
	StringInfoData desc_order;
	int			k;

	/* Resume the unfinished backfill with the same arguments, if any. */
	values[0] = CStringGetTextDatum(relation);
	values[1] = CStringGetTextDatum(set);
	values[2] = filter ? CStringGetTextDatum(filter) : (Datum) 0;
	nulls[2] = filter ? ' ' : 'n';
	history_exec("SELECT id, state, last_key, rows_done, batches, key_column FROM migrator.backfills "
				 "WHERE relation = $1 AND set_clause = $2 AND filter IS NOT DISTINCT FROM $3 "
				 "ORDER BY id DESC LIMIT 1 FOR UPDATE",
				 3, types, values, nulls);
	if (SPI_processed == 1 && !restart)
	{
		HeapTuple	tup = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		char	   *state = SPI_getvalue(tup, desc, 2);

		id = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
		last_key = SPI_getvalue(tup, desc, 3);
		rows_done = DatumGetInt64(SPI_getbinval(tup, desc, 4, &isnull));
		batches = DatumGetInt64(SPI_getbinval(tup, desc, 5, &isnull));
		recorded_key = SPI_getvalue(tup, desc, 6);
		if (strcmp(state, "done") == 0)
		{
			ereport(NOTICE,
					(errmsg_plural("backfill of %s is already done (" INT64_FORMAT " row)",
								   "backfill of %s is already done (" INT64_FORMAT " rows)",
								   (unsigned long) rows_done, relation, rows_done),
					 errhint("Pass restart => true to run it again.")));
			return;
		}

		/*
		 * The last key recorded is a value of the recorded key column: going
		 * on in the order of another column would skip rows.
		 */
		if (strcmp(recorded_key, bk->text) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("cannot resume the backfill of %s in the order of column %s", relation, bk->text),
					 errdetail("The interrupted backfill walked column %s and stopped after key %s.",
							   recorded_key, last_key ? last_key : "(none)"),
					 errhint("Pass key => '%s' to resume it, or restart => true to start again.",
							 recorded_key)));
		ereport(NOTICE,
				(errmsg("resuming backfill of %s after key %s (" INT64_FORMAT " rows done)",
						relation, last_key ? last_key : "(none)", rows_done)));
	}
	else
	{
		Oid			itypes[6] = {TEXTOID, TEXTOID, TEXTOID, INT4OID, TEXTOID, TEXTOID};
		Datum		ivalues[6];

		ivalues[0] = values[0];
		ivalues[1] = values[1];
		ivalues[2] = values[2];
		ivalues[3] = Int32GetDatum(batch_size);
		ivalues[4] = CStringGetTextDatum(bk->text);
		ivalues[5] = CStringGetTextDatum(GetUserNameFromId(GetUserId(), false));
		history_exec("INSERT INTO migrator.backfills "
					 "(relation, set_clause, filter, batch_size, key_column, started_by) "
					 "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
					 6, itypes, ivalues, filter ? NULL : "  n   ");
		id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	}
	SPI_commit();

	for (k = 0; k < bk->ncols; k++)
		get_typlenbyval(bk->types[k], &keylen[k], &keybyval[k]);
	memset(lastnulls, last_key ? ' ' : 'n', bk->ncols);
	lastnulls[bk->ncols] = '\0';
	if (last_key)
		backfill_keys_from_text(bk, last_key, last);

	/*
	 * One batch: the next batch_size keys after the last one (in the order
	 * of the key's columns, compared as a row), updated, and the counts and
	 * the greatest key of the batch returned.  The key is passed as values
	 * of its own types, never as text.  On a Citus table the batch is one
	 * distributed transaction over the shards its keys are on (its progress
	 * row commits with it, on the coordinator); Citus cannot lock the rows
	 * of a query across shards, so the keys are not locked before the
	 * UPDATE, which finds them again by key.
	 */
	initStringInfo(&cols);
	initStringInfo(&params);
	initStringInfo(&desc_order);
	for (k = 0; k < bk->ncols; k++)
	{
		appendStringInfo(&cols, "%s%s", k > 0 ? ", " : "", bk->columns[k]);
		appendStringInfo(&params, "%s$%d", k > 0 ? ", " : "", k + 1);
		appendStringInfo(&desc_order, "%s%s DESC", k > 0 ? ", " : "", bk->columns[k]);
	}
	update = psprintf("WITH batch AS ("
					  "  SELECT %s FROM %s "
					  "   WHERE ($1 IS NULL OR (%s) > (%s))%s%s%s "
					  "   ORDER BY %s LIMIT %d%s), "
					  "upd AS (UPDATE %s SET %s WHERE (%s) IN (SELECT %s FROM batch) RETURNING 1) "
					  "SELECT (SELECT pg_catalog.count(*) FROM batch), "
					  "       (SELECT pg_catalog.count(*) FROM upd), l.* "
					  "  FROM (SELECT 1) AS one "
					  "  LEFT JOIN LATERAL (SELECT %s FROM batch ORDER BY %s LIMIT 1) AS l ON true",
					  cols.data, relation, cols.data, params.data,
					  filter ? " AND (" : "", filter ? filter : "", filter ? ")" : "",
					  cols.data, batch_size,
					  citus_relation_is_distributed(relid) ? "" : " FOR NO KEY UPDATE",
					  relation, set, cols.data, cols.data,
					  cols.data, desc_order.data);

	for (;;)
	{
		int64		selected;
		int64		updated;
		Oid			ptypes[4] = {INT8OID, TEXTOID, INT8OID, INT8OID};
		Datum		pvalues[4];
		char	   *activity;

		CHECK_FOR_INTERRUPTS();
		if (SPI_execute_with_args(update, bk->ncols, bk->types, last, lastnulls,
								  false, 0) != SPI_OK_SELECT)
			elog(ERROR, "backfill batch did not return its counts");
		selected = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		if (selected == 0)
			break;
		/* The previous key goes; this one is copied out of the tuple table. */
		if (last_key)
		{
			for (k = 0; k < bk->ncols; k++)
				if (!keybyval[k])
					pfree(DatumGetPointer(last[k]));
			pfree(last_key);
		}
		for (k = 0; k < bk->ncols; k++)
		{
			Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3 + k, &isnull);

			Assert(!isnull);
			last[k] = datumCopy(d, keybyval[k], keylen[k]);
		}
		memset(lastnulls, ' ', bk->ncols);
		last_key = backfill_keys_to_text(bk, last);
		updated = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));

		/*
		 * In a nonatomic SPI connection tuple tables live until SPI_finish:
		 * free each batch's, or a long backfill grows without bound.
		 */
		SPI_freetuptable(SPI_tuptable);
		rows_done += updated;
		batches++;

		pvalues[0] = Int64GetDatum(id);
		pvalues[1] = CStringGetTextDatum(last_key);
		pvalues[2] = Int64GetDatum(rows_done);
		pvalues[3] = Int64GetDatum(batches);
		history_exec("UPDATE migrator.backfills SET last_key = $2, rows_done = $3, "
					 "batches = $4, updated_at = pg_catalog.clock_timestamp() WHERE id = $1",
					 4, ptypes, pvalues, NULL);
		SPI_commit();
		pfree(DatumGetPointer(pvalues[1]));
		activity = psprintf("CALL migrator.backfill() -- %s: " INT64_FORMAT " rows in " INT64_FORMAT " batches, last key %s",
							relation, rows_done, batches, last_key);
		pgstat_report_activity(STATE_RUNNING, activity);
		pfree(activity);
		if (selected < batch_size)
			break;
	}

	values[0] = Int64GetDatum(id);
	types[0] = INT8OID;
	history_exec("UPDATE migrator.backfills SET state = 'done', "
				 "finished_at = pg_catalog.clock_timestamp() WHERE id = $1",
				 1, types, values, NULL);
	SPI_commit();
	ereport(NOTICE,
			(errmsg_plural("backfill of %s done: " INT64_FORMAT " row",
						   "backfill of %s done: " INT64_FORMAT " rows",
						   (unsigned long) rows_done, relation, rows_done),
			 errdetail_plural("The backfill committed " INT64_FORMAT " batch.",
							  "The backfill committed " INT64_FORMAT " batches.",
							  (unsigned long) batches, batches)));
}
