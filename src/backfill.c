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

#include "migrator.h"
#include "citus.h"
#include "history.h"

PG_FUNCTION_INFO_V1(migrator_backfill);

/* objsubid of the advisory lock a backfill holds on its table */
#define BACKFILL_LOCK_SUBID 3

static void backfill_run(Oid relid, const char *relation, const char *set,
						 const char *filter, int32 batch_size,
						 const char *column, Oid keytype, bool restart);

/*
 * The key column of "relid": "key" when given (it must be NOT NULL and
 * alone in a unique index without predicate), else the single-column
 * primary key, else the only NOT NULL column alone in such a unique index.
 * Sets the quoted column name and its type.
 */
static void
backfill_key(Oid relid, const char *key, char **column, Oid *type)
{
	Oid			types[2] = {OIDOID, TEXTOID};
	Datum		values[2];
	char		nulls[2] = {' ', key ? ' ' : 'n'};
	TupleDesc	desc;
	bool		isnull;

	values[0] = ObjectIdGetDatum(relid);
	values[1] = key ? CStringGetTextDatum(key) : (Datum) 0;
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
							  2, types, values, nulls, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not look up the key of relation %u", relid);
	desc = SPI_tuptable->tupdesc;
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 key ? errmsg("column \"%s\" of table \"%s\" cannot be a backfill key", key, get_rel_name(relid))
				 : errmsg("table \"%s\" has no column to walk in order", get_rel_name(relid)),
				 errdetail("backfill() walks the table in the order of a NOT NULL column that is alone in a unique index."),
				 key ? errhint("Name such a column with key => 'column'.")
				 : errhint("Add a single-column primary key, or a unique index on one NOT NULL column.")));
	if (SPI_processed > 1 &&
		strcmp(SPI_getvalue(SPI_tuptable->vals[0], desc, 3), "t") != 0)
	{
		StringInfoData names;
		uint64		i;

		initStringInfo(&names);
		for (i = 0; i < SPI_processed; i++)
			appendStringInfo(&names, "%s%s", i > 0 ? ", " : "",
							 SPI_getvalue(SPI_tuptable->vals[i], desc, 1));
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("table \"%s\" has no single-column primary key and several possible backfill keys",
						get_rel_name(relid)),
				 errdetail("NOT NULL columns alone in a unique index: %s.", names.data),
				 errhint("Name one with key => 'column'.")));
	}
	*column = SPI_getvalue(SPI_tuptable->vals[0], desc, 1);
	*type = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], desc, 2, &isnull));
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
	char	   *relation;
	char	   *column;
	Oid			keytype;
	LOCKTAG		tag;

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
	backfill_key(relid, key, &column, &keytype);

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
		backfill_run(relid, relation, set, filter, batch_size, column, keytype,
					 restart);
	}
	PG_FINALLY();
	{
		LockRelease(&tag, ExclusiveLock, true);
	}
	PG_END_TRY();

	SPI_finish();
	PG_RETURN_VOID();
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
 * The body of backfill(): find or create the progress row, run the
 * batches, mark it done.  The caller holds the table's backfill lock and
 * is connected to SPI (non-atomic).
 */
static void
backfill_run(Oid relid, const char *relation, const char *set, const char *filter,
			 int32 batch_size, const char *column, Oid keytype, bool restart)
{
	char	   *update;
	char	   *last_key = NULL;	/* recorded text of the last key */
	Datum		last = (Datum) 0;	/* the last key itself */
	int16		keylen;
	bool		keybyval;
	char	   *recorded_key;
	int64		rows_done = 0;
	int64		batches = 0;
	int64		id;
	Oid			types[3] = {TEXTOID, TEXTOID, TEXTOID};
	Datum		values[3];
	char		nulls[3] = {' ', ' ', ' '};
	bool		isnull;

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
					(errmsg("backfill of %s is already done (" INT64_FORMAT " rows)",
							relation, rows_done),
					 errhint("Pass restart => true to run it again.")));
			return;
		}

		/*
		 * The last key recorded is a value of the recorded key column: going
		 * on in the order of another column would skip rows.
		 */
		if (strcmp(recorded_key, column) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("cannot resume the backfill of %s in the order of column %s", relation, column),
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
		ivalues[4] = CStringGetTextDatum(column);
		ivalues[5] = CStringGetTextDatum(GetUserNameFromId(GetUserId(), false));
		history_exec("INSERT INTO migrator.backfills "
					 "(relation, set_clause, filter, batch_size, key_column, started_by) "
					 "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
					 6, itypes, ivalues, filter ? NULL : "  n   ");
		id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	}
	SPI_commit();

	get_typlenbyval(keytype, &keylen, &keybyval);
	if (last_key)
		last = backfill_key_from_text(keytype, last_key);

	/*
	 * One batch: the next batch_size keys after the last one, updated, and
	 * the count and the greatest key of the batch returned.  The key is
	 * passed as a value of its own type, never as text.  On a Citus table
	 * the batch is one distributed transaction over the shards its keys are
	 * on (its progress row commits with it, on the coordinator); Citus
	 * cannot lock the rows of a query across shards, so the keys are not
	 * locked before the UPDATE, which finds them again by key.
	 */
	update = psprintf("WITH batch AS ("
					  "  SELECT %s AS k FROM %s "
					  "   WHERE ($1 IS NULL OR %s > $1)%s%s%s "
					  "   ORDER BY %s LIMIT %d%s), "
					  "upd AS (UPDATE %s SET %s WHERE %s IN (SELECT k FROM batch) RETURNING 1) "
					  "SELECT (SELECT pg_catalog.count(*) FROM batch), "
					  "       (SELECT k FROM batch ORDER BY k DESC LIMIT 1), "
					  "       (SELECT pg_catalog.count(*) FROM upd)",
					  column, relation, column,
					  filter ? " AND (" : "", filter ? filter : "", filter ? ")" : "",
					  column, batch_size,
					  citus_relation_is_distributed(relid) ? "" : " FOR NO KEY UPDATE",
					  relation, set, column);

	for (;;)
	{
		int64		selected;
		int64		updated;
		Oid			ptypes[4] = {INT8OID, TEXTOID, INT8OID, INT8OID};
		Datum		pvalues[4];
		Datum		batch_last;
		char	   *activity;

		CHECK_FOR_INTERRUPTS();
		if (SPI_execute_with_args(update, 1, &keytype, &last, last_key ? " " : "n",
								  false, 0) != SPI_OK_SELECT)
			elog(ERROR, "backfill batch did not return its counts");
		selected = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		if (selected == 0)
			break;
		batch_last = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);
		Assert(!isnull);
		/* The previous key goes; this one is copied out of the tuple table. */
		if (last_key)
		{
			if (!keybyval)
				pfree(DatumGetPointer(last));
			pfree(last_key);
		}
		last = datumCopy(batch_last, keybyval, keylen);
		last_key = backfill_key_to_text(keytype, last);
		updated = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull));

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
			(errmsg("backfill of %s done: " INT64_FORMAT " rows in " INT64_FORMAT " %s",
					relation, rows_done, batches, batches == 1 ? "batch" : "batches")));
}
