/*-------------------------------------------------------------------------
 *
 * guard.c
 *	  The guard: refuse unplanned destructive DDL inside the server.
 *
 * A ProcessUtility hook sees every utility statement, whoever sends it and
 * however deeply it is nested (multi-statement strings, DO blocks, EXECUTE
 * in PL/pgSQL, functions and procedures of any security).  It classifies
 * the statement with the rule table (rules.c, analyze.c); a statement whose
 * findings include a rule of kind "destructive" runs only when
 *
 *	- every target is a temporary object or was created earlier in the
 *	  current transaction, and so is everything the statement reaches
 *	  through it (partitions and children, typed tables, owned sequences,
 *	  tables a TRUNCATE cascades to), or the statement destroys nothing
 *	  (TRUNCATE of a never-written table, disabling a trigger created in
 *	  the transaction): exempt; or
 *	- a migration's script is running (apply.c) and the migration declares
 *	  every destructive finding (same rule id and object): for an up script
 *	  the findings register() stored in migrations.findings, for a down
 *	  script the classification of the registered down script, or
 *	- migrator.allow() named the same rule and object earlier in the
 *	  current transaction (an audited allowance).
 *
 * Otherwise it is refused (migrator.guard = enforce) or let through with a
 * WARNING (warn).  A sql_drop event trigger, enabled ALWAYS, judges what the
 * hook cannot see: objects dropped by CASCADE beyond the targets (after an
 * exempt statement, each must itself be new), and drops in sessions that
 * loaded the library too late for the hook.
 *
 * The guard also protects migrator's own objects: ALTER TABLE on its tables,
 * ALTER SEQUENCE on its sequence, CREATE TRIGGER or RULE on them, CREATE OR REPLACE of its functions and
 * any ALTER of its event trigger fire rule "alter_migrator".
 *
 * Every refusal leaves a server-log line starting with "migrator guard:"
 * and a migrator.events row written by a background worker (worker.c); both
 * survive the rollback of the refused transaction.
 *
 * The guard is inert in databases without the extension, in binary upgrade,
 * in single-user mode (the way back in when the guard itself is in the way)
 * and inside extension scripts (CREATE / ALTER EXTENSION).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "access/transam.h"
#include "access/xact.h"
#include "catalog/catalog.h"
#include "catalog/dependency.h"
#include "catalog/heap.h"
#include "catalog/namespace.h"
#include "catalog/objectaccess.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_attrdef.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_class.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_index.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_policy.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_publication.h"
#include "catalog/pg_sequence.h"
#include "catalog/pg_rewrite.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "commands/defrem.h"
#include "commands/event_trigger.h"
#include "commands/extension.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "parser/parse_func.h"
#include "parser/parse_type.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "optimizer/optimizer.h"
#include "rewrite/rewriteSupport.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "migrator.h"
#include "analyze.h"
#include "guard.h"
#include "history.h"
#include "protect.h"
#include "rules.h"
#include "script.h"
#include "session.h"

PG_FUNCTION_INFO_V1(migrator_allow);
PG_FUNCTION_INFO_V1(migrator_guard_sql_drop);
PG_FUNCTION_INFO_V1(migrator_guard_ddl_start);

/* The name of the extension's sql_drop event trigger (src/sql/20_guard.sql). */
#define GUARD_EVENT_TRIGGER "migrator_guard"

/* Prefix of every server-log line the guard writes. */
#define GUARD_LOG_PREFIX "migrator guard:"

typedef enum GuardMode
{
	GUARD_OFF,
	GUARD_WARN,
	GUARD_ENFORCE
} GuardMode;

static const struct config_enum_entry guard_mode_options[] = {
	{"off", GUARD_OFF, false},
	{"warn", GUARD_WARN, false},
	{"enforce", GUARD_ENFORCE, false},
	{NULL, 0, false}
};

static int	guard_mode = GUARD_ENFORCE;

/*
 * What the hook decided about the utility statement now running; the
 * sql_drop event trigger reads it.  Saved and restored around nested
 * statements.
 */
typedef enum GuardVerdict
{
	VERDICT_UNSEEN,				/* the hook did not judge this statement */
	VERDICT_INERT,				/* guard off or inert here */
	VERDICT_NOT_DESTRUCTIVE,	/* no destructive finding */
	VERDICT_EXEMPT,				/* every target temporary or new */
	VERDICT_ALLOWED				/* declared by a migration or allowed */
} GuardVerdict;

static GuardVerdict current_verdict = VERDICT_UNSEEN;

/* The command tag of the statement judged, and whether it drops with CASCADE. */
static const char *current_tag = NULL;
static bool current_cascades = false;

/* A (rule, object) pair that the running migration declares. */
typedef struct GuardPermit
{
	const char *rule;			/* rule id (static) */
	char	   *object;			/* object as the parser names it, or NULL */
} GuardPermit;

/* Declared findings of the running migration script, cached per transaction. */
static char *declared_version = NULL;
static char *declared_direction = NULL;
static List *declared_permits = NIL;

/*
 * Did a statement of this transaction make a sequence owned by a column
 * (CREATE or ALTER SEQUENCE ... OWNED BY)?  Only then can a table created
 * in the transaction own an old sequence, which a statement on the new
 * table would drop or move.  True until the first transaction ends in a
 * session that loaded the library mid-transaction: the hook has not seen
 * its statements.
 */
static bool owned_by_changed = true;

/* object_created_in_current_xact()'s answers, per transaction */
static HTAB *created_cache = NULL;

/* Is the extension installed here?  Reset by syscache invalidation. */
static bool extension_cache_valid = false;
static Oid	extension_oid = InvalidOid;
static Oid	extension_namespace = InvalidOid;

static ProcessUtility_hook_type prev_ProcessUtility = NULL;

/*
 * Syscache callback: CREATE / DROP EXTENSION migrator create and drop the
 * schema and the event trigger, so a change to either catalog resets what
 * we know about the extension.
 */
static void
guard_invalidate_extension(Datum arg, int cacheid, uint32 hashvalue)
{
	extension_cache_valid = false;
}

/*
 * True when the extension is installed in the current database; looked up
 * once and then cached until the next invalidation.
 */
static bool
guard_extension_installed(void)
{
	if (!extension_cache_valid)
	{
		extension_oid = get_extension_oid("migrator", true);
		extension_namespace = OidIsValid(extension_oid)
			? get_namespace_oid("migrator", true) : InvalidOid;
		extension_cache_valid = true;
	}
	return OidIsValid(extension_oid);
}

/*
 * Whether the guard judges statements in this session at all.  Statements
 * of extension scripts are judged too (their own objects are exempt, see
 * object_is_extension_member()).
 */
static bool
guard_enabled(void)
{
	return guard_mode != GUARD_OFF && !IsBinaryUpgrade && IsUnderPostmaster;
}

/*
 * End of transaction: the declared-findings cache lives in
 * TopTransactionContext and goes away with it.
 */
static void
guard_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			declared_version = NULL;
			declared_direction = NULL;
			declared_permits = NIL;
			created_cache = NULL;
			owned_by_changed = false;

			/*
			 * current_verdict is left alone: DROP INDEX CONCURRENTLY commits
			 * inside the statement, before its sql_drop event fires.  The
			 * hook restores the verdict when the statement ends.
			 */
			break;
		default:
			break;
	}
}

/*
 * The declared-findings cache may have been filled in a subtransaction
 * that rolls back.
 */
static void
guard_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					   SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
	{
		declared_version = NULL;
		declared_direction = NULL;
		declared_permits = NIL;
		if (created_cache)
			hash_destroy(created_cache);
		created_cache = NULL;
	}
}

/*
 * Was the catalog row that "keys" find in catalog "catalogid" (through
 * index "indexid") created in the current transaction?  Every stored
 * version is examined (SnapshotAny, so a row the current command has just
 * deleted counts): the row is new when one version was inserted by the
 * current transaction and none by a committed earlier one.
 */
static bool
catalog_row_created_in_current_xact(Oid catalogid, Oid indexid,
									ScanKey keys, int nkeys)
{
	Relation	rel = table_open(catalogid, AccessShareLock);
	SysScanDesc scan = systable_beginscan(rel, indexid, true, SnapshotAny,
										  nkeys, keys);
	HeapTuple	tuple;
	bool		current = false;
	bool		older = false;

	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		TransactionId xmin = HeapTupleHeaderGetXmin(tuple->t_data);

		if (TransactionIdIsCurrentTransactionId(xmin))
			current = true;
		else if (TransactionIdDidCommit(xmin))
		{
			older = true;
			break;
		}
		/* else: a version left by an aborted transaction */
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return current && !older;
}

/*
 * What object_created_in_current_xact() found, per transaction: an object
 * created in this transaction stays new until it ends, one with a
 * committed version stays old.  (classid, objid) -> bool, in
 * TopTransactionContext; reset by the transaction callbacks.
 */
typedef struct CreatedEntry
{
	Oid			classid;
	Oid			objid;
	bool		created;
} CreatedEntry;

/*
 * The visible catalog row of (classid, objid) decides without a scan of
 * every version when it can: inserted by another transaction means a
 * committed version exists (old); inserted by this one and not as an
 * update of an older row means new.  -1 when only a scan can tell (the
 * row was updated in this transaction, or the catalog has no cache).
 */
static int
object_created_fast(Oid classid, Oid objid)
{
	int			cacheid = is_objectclass_supported(classid) ? get_object_catcache_oid(classid) : -1;
	HeapTuple	tuple;
	int			result = -1;

	if (cacheid < 0)
		return -1;
	tuple = SearchSysCache1(cacheid, ObjectIdGetDatum(objid));
	if (!HeapTupleIsValid(tuple))
		return -1;
	if (!TransactionIdIsCurrentTransactionId(HeapTupleHeaderGetXmin(tuple->t_data)))
		result = 0;
	else if (!(tuple->t_data->t_infomask & HEAP_UPDATED))
		result = 1;
	ReleaseSysCache(tuple);
	return result;
}

/*
 * Was the object (classid, objid) created in the current transaction?  An
 * update of an old object (GRANT, CREATE INDEX on an old table, CREATE OR
 * REPLACE) leaves the committed version behind, so it does not make the
 * object "new".
 */
static bool object_created_scan(Oid classid, Oid objid);

static bool
object_created_in_current_xact(Oid classid, Oid objid)
{
	CreatedEntry key;
	CreatedEntry *entry;
	bool		found;
	int			fast;

	if (created_cache == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = offsetof(CreatedEntry, created);
		ctl.entrysize = sizeof(CreatedEntry);
		ctl.hcxt = TopTransactionContext;
		created_cache = hash_create("migrator created objects", 64, &ctl,
									HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	memset(&key, 0, sizeof(key));
	key.classid = classid;
	key.objid = objid;
	entry = hash_search(created_cache, &key, HASH_FIND, NULL);
	if (entry)
		return entry->created;
	fast = object_created_fast(classid, objid);
	found = fast >= 0 ? (fast == 1) : object_created_scan(classid, objid);
	entry = hash_search(created_cache, &key, HASH_ENTER, NULL);
	entry->created = found;
	return found;
}

static bool
object_created_scan(Oid classid, Oid objid)
{
	ScanKeyData key;
	AttrNumber	oidattnum;
	Oid			oidindex;

	/* Catalogs objectaddress.c does not describe, that a drop reports. */
	if (classid == AttrDefaultRelationId)
	{
		oidattnum = Anum_pg_attrdef_oid;
		oidindex = AttrDefaultOidIndexId;
	}
	else if (classid == RewriteRelationId)
	{
		oidattnum = Anum_pg_rewrite_oid;
		oidindex = RewriteOidIndexId;
	}
	else if (classid == PolicyRelationId)
	{
		oidattnum = Anum_pg_policy_oid;
		oidindex = PolicyOidIndexId;
	}
	else if (is_objectclass_supported(classid))
	{
		oidattnum = get_object_attnum_oid(classid);
		oidindex = get_object_oid_index(classid);
	}
	else
		return false;

	ScanKeyInit(&key, oidattnum, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(objid));
	return catalog_row_created_in_current_xact(classid, oidindex, &key, 1);
}

/*
 * Inside an extension script (CREATE or ALTER EXTENSION): is the object a
 * member of the extension being created or updated, since before this
 * transaction?  An update script drops and replaces its own objects; a
 * membership added in this transaction (ALTER EXTENSION ... ADD of a
 * user's object in the script) does not count, one removed in it (ALTER
 * EXTENSION ... DROP, or the drop running now) still does.  Every stored
 * version of the pg_depend rows is examined, as for "created in this
 * transaction".
 */
static bool
object_is_extension_member(Oid classid, Oid objid)
{
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData key[2];
	HeapTuple	tuple;
	bool		member = false;

	if (!creating_extension || !OidIsValid(CurrentExtensionObject))
		return false;
	rel = table_open(DependRelationId, AccessShareLock);
	ScanKeyInit(&key[0], Anum_pg_depend_classid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(classid));
	ScanKeyInit(&key[1], Anum_pg_depend_objid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(objid));
	scan = systable_beginscan(rel, DependDependerIndexId, true, SnapshotAny, 2, key);
	while (!member && HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_depend dep = (Form_pg_depend) GETSTRUCT(tuple);
		HeapTupleHeader htup = tuple->t_data;
		TransactionId xmin = HeapTupleHeaderGetXmin(htup);

		if (dep->deptype != DEPENDENCY_EXTENSION ||
			dep->refclassid != ExtensionRelationId ||
			dep->refobjid != CurrentExtensionObject)
			continue;
		/* inserted by an earlier, committed transaction */
		if (TransactionIdIsCurrentTransactionId(xmin) || !TransactionIdDidCommit(xmin))
			continue;
		/* and not deleted by another committed one */
		if (!(htup->t_infomask & HEAP_XMAX_INVALID) &&
			!HEAP_XMAX_IS_LOCKED_ONLY(htup->t_infomask))
		{
			TransactionId xmax = HeapTupleHeaderGetUpdateXid(htup);

			if (!TransactionIdIsCurrentTransactionId(xmax) && TransactionIdDidCommit(xmax))
				continue;
		}
		member = true;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return member;
}

/*
 * Is the object temporary, or was it created in this transaction, or is
 * it a member of the extension whose script is running?
 */
static bool
object_is_exempt(Oid classid, Oid objid)
{
	ObjectAddress addr;
	Oid			nsp;

	if (object_is_extension_member(classid, objid))
		return true;
	if (classid == RelationRelationId)
	{
		if (get_rel_persistence(objid) == RELPERSISTENCE_TEMP)
			return true;
	}
	else if (classid != NamespaceRelationId)
	{
		addr.classId = classid;
		addr.objectId = objid;
		addr.objectSubId = 0;
		if (is_objectclass_supported(classid))
		{
			nsp = get_object_namespace(&addr);
			if (OidIsValid(nsp) && isAnyTempNamespace(nsp))
				return true;
		}
	}
	return object_created_in_current_xact(classid, objid);
}

/*
 * Relation "relid" is exempt; one that no longer exists destroys nothing.
 */
static bool
relid_is_exempt(Oid relid)
{
	return !SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)) ||
		object_is_exempt(RelationRelationId, relid);
}

/*
 * For TRUNCATE: is table "relid" empty, so that emptying it destroys
 * nothing?  A partitioned table holds no rows itself (its partitions are
 * judged one by one).  A table counts as empty when it has no block at all
 * (created and never written, as a parallel pg_restore's tables are when it
 * truncates them before COPY), looked at under the ACCESS EXCLUSIVE lock
 * TRUNCATE takes next anyway, and only if that lock is free now: the guard
 * never waits for a lock to refuse.
 */
static List *truncate_locked = NIL;	/* locks relid_is_empty() took */

static bool
relid_is_empty(Oid relid)
{
	char		relkind = get_rel_relkind(relid);
	LOCKTAG		tag;
	bool		held;
	Relation	rel;
	bool		empty;

	if (relkind == RELKIND_PARTITIONED_TABLE)
		return true;

	/*
	 * Only a table the caller may truncate, and never a catalog: a lock on
	 * a catalog would stop the connection of the worker that records a
	 * refusal, and of every other new session.
	 */
	if (relkind != RELKIND_RELATION || IsCatalogRelationOid(relid) ||
		IsSharedRelation(relid) ||
		pg_class_aclcheck(relid, GetUserId(), ACL_TRUNCATE) != ACLCHECK_OK)
		return false;
	SET_LOCKTAG_RELATION(tag, MyDatabaseId, relid);
	held = LockHeldByMe(&tag, AccessExclusiveLock);
	if (!held)
	{
		MemoryContext oldcxt;

		if (!ConditionalLockRelationOid(relid, AccessExclusiveLock))
			return false;
		oldcxt = MemoryContextSwitchTo(TopTransactionContext);
		truncate_locked = lappend_oid(truncate_locked, relid);
		MemoryContextSwitchTo(oldcxt);
	}
	if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)))
		return true;
	rel = table_open(relid, NoLock);
	empty = RelationGetNumberOfBlocks(rel) == 0;
	table_close(rel, NoLock);
	return empty;
}

/*
 * Relation "relid" and everything a statement on it reaches besides it are
 * exempt: its partitions and inheritance children (unless the statement
 * says ONLY: "inh" false), the typed tables of a composite type, and the
 * sequences they own.  A new parent with an old partition attached is not
 * exempt, or TRUNCATE, DROP COLUMN or ALTER COLUMN TYPE on the new parent
 * would reach the old table unjudged.  For TRUNCATE ("truncating"), a table
 * that was never written counts too, and owned sequences only with RESTART
 * IDENTITY; the relations reached are appended to "reached" when given.
 */
static bool
relation_family_is_exempt_ext(Oid relid, bool inh, bool truncating, bool restart_seqs,
							  List **reached)
{
	List	   *rels;
	ListCell   *lc;

	if (!relid_is_exempt(relid) && !(truncating && relid_is_empty(relid)))
		return false;
	rels = inh ? find_all_inheritors(relid, NoLock, NULL) : list_make1_oid(relid);

	/* The typed tables of a composite type, and theirs. */
	if (get_rel_relkind(relid) == RELKIND_COMPOSITE_TYPE)
	{
		Oid			typid = get_rel_type_id(relid);
		Relation	classrel = table_open(RelationRelationId, AccessShareLock);
		ScanKeyData key;
		SysScanDesc scan;
		HeapTuple	tuple;

		ScanKeyInit(&key, Anum_pg_class_reloftype, BTEqualStrategyNumber,
					F_OIDEQ, ObjectIdGetDatum(typid));
		scan = systable_beginscan(classrel, InvalidOid, false, NULL, 1, &key);
		while (HeapTupleIsValid(tuple = systable_getnext(scan)))
			rels = list_concat(rels, find_all_inheritors(((Form_pg_class) GETSTRUCT(tuple))->oid,
														 NoLock, NULL));
		systable_endscan(scan);
		table_close(classrel, AccessShareLock);
	}

	foreach(lc, rels)
	{
		Oid			rel = lfirst_oid(lc);
		ListCell   *seq;

		if (!relid_is_exempt(rel) && !(truncating && relid_is_empty(rel)))
			return false;
		if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(rel)))
			continue;
		/* TRUNCATE touches owned sequences only with RESTART IDENTITY. */
		if (truncating && !restart_seqs)
			continue;
		/* a new table owns only new sequences, unless OWNED BY says otherwise */
		if (!owned_by_changed && object_created_in_current_xact(RelationRelationId, rel))
			continue;
		foreach(seq, getOwnedSequences(rel))
			if (!relid_is_exempt(lfirst_oid(seq)))
				return false;
	}
	if (reached)
		*reached = list_concat(*reached, rels);
	return true;
}

static bool
relation_family_is_exempt(Oid relid, bool inh)
{
	return relation_family_is_exempt_ext(relid, inh, false, false, NULL);
}

/*
 * The relation a RangeVar names is exempt, with what a statement on it
 * reaches (relation_family_is_exempt()); a missing one destroys nothing
 * (the statement fails or, with IF EXISTS, does nothing).
 */
static bool
relation_is_exempt(RangeVar *rv)
{
	Oid			relid;

	if (rv == NULL)
		return false;
	relid = RangeVarGetRelid(rv, NoLock, true);
	return !OidIsValid(relid) || relation_family_is_exempt(relid, rv->inh);
}

static bool truncate_reach_is_exempt(TruncateStmt *ts);
static bool statement_cascades(Node *stmt);
static bool type_goes_with_another(Oid typid);
static bool column_created_in_current_xact(Oid relid, int32 attnum);

/*
 * TRUNCATE: every relation it empties is exempt or empty, the tables that
 * reference them by foreign key included when it cascades.  When it is
 * not exempt, the locks relid_is_empty() took go at once: the statement
 * may be refused, and the events row of the refusal is written by another
 * process that must not wait for them.
 */
static bool
truncate_is_exempt(TruncateStmt *ts)
{
	bool		exempt;
	ListCell   *lc;

	truncate_locked = NIL;
	exempt = truncate_reach_is_exempt(ts);
	if (!exempt)
		foreach(lc, truncate_locked)
			UnlockRelationOid(lfirst_oid(lc), AccessExclusiveLock);
	list_free(truncate_locked);
	truncate_locked = NIL;
	return exempt;
}

static bool
truncate_reach_is_exempt(TruncateStmt *ts)
{
	List	   *relids = NIL;
	ListCell   *lc;

	foreach(lc, ts->relations)
	{
		RangeVar   *rv = lfirst_node(RangeVar, lc);
		Oid			relid = RangeVarGetRelid(rv, NoLock, true);

		if (!OidIsValid(relid))
			continue;
		if (!relation_family_is_exempt_ext(relid, rv->inh, true, ts->restart_seqs,
										   &relids))
			return false;
	}
	if (ts->behavior == DROP_CASCADE)
	{
		/* Until no new referencing table turns up. */
		for (;;)
		{
			List	   *refs = heap_truncate_find_FKs(relids);
			bool		grown = false;

			foreach(lc, refs)
			{
				if (list_member_oid(relids, lfirst_oid(lc)))
					continue;
				if (!relation_family_is_exempt_ext(lfirst_oid(lc), true, true,
												   ts->restart_seqs, &relids))
					return false;
				grown = true;
			}
			if (!grown)
				break;
		}
	}
	return true;
}

/*
 * Invalid indexes that the top-level statement being run drops, for the
 * sql_drop trigger, which cannot look at them any more.  In
 * TopMemoryContext: DROP INDEX CONCURRENTLY commits before sql_drop fires.
 * Emptied when a top-level statement starts and when it ends.
 */
static List *invalid_indexes_dropped = NIL;

static void
forget_invalid_indexes_dropped(void)
{
	list_free(invalid_indexes_dropped);
	invalid_indexes_dropped = NIL;
}

/*
 * Is "rv" an invalid index, e.g. left behind by a failed CREATE INDEX
 * CONCURRENTLY?  No query uses it, so dropping it destroys nothing (the
 * deploy worker drops such leftovers before it retries a migration).
 */
static bool
index_is_invalid(RangeVar *rv)
{
	Oid			relid = RangeVarGetRelid(rv, NoLock, true);
	HeapTuple	tuple;
	bool		invalid = false;

	if (!OidIsValid(relid))
		return false;
	tuple = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(relid));
	if (HeapTupleIsValid(tuple))
	{
		invalid = !((Form_pg_index) GETSTRUCT(tuple))->indisvalid;
		ReleaseSysCache(tuple);
	}
	if (invalid)
	{
		MemoryContext oldcxt = MemoryContextSwitchTo(TopMemoryContext);

		invalid_indexes_dropped = lappend_oid(invalid_indexes_dropped, relid);
		MemoryContextSwitchTo(oldcxt);
	}
	return invalid;
}

/*
 * ALTER TABLE that only disables triggers or rules created in this
 * transaction: a trigger that never fired in a committed state loses
 * nothing when disabled.  pg_dump restores a disabled trigger as CREATE
 * TRIGGER followed by ALTER TABLE ... DISABLE TRIGGER in one query string.
 */
static bool
alter_table_disables_new_only(AlterTableStmt *stmt)
{
	Oid			relid = RangeVarGetRelid(stmt->relation, NoLock, true);
	ListCell   *lc;

	if (!OidIsValid(relid) || stmt->cmds == NIL)
		return false;
	foreach(lc, stmt->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);
		Oid			oid;

		switch (cmd->subtype)
		{
			case AT_DisableTrig:
			case AT_EnableReplicaTrig:
				{
					/*
					 * On a partitioned table the partitions' triggers of the
					 * same name go along; CREATE OR REPLACE TRIGGER on the
					 * parent adopts an old one of a partition.
					 */
					ListCell   *rc;

					foreach(rc, find_all_inheritors(relid, NoLock, NULL))
					{
						oid = get_trigger_oid(lfirst_oid(rc), cmd->name, true);
						if (lfirst_oid(rc) == relid && !OidIsValid(oid))
							return false;
						if (OidIsValid(oid) && !object_is_exempt(TriggerRelationId, oid))
							return false;
					}
				}
				break;
			case AT_DisableRule:
			case AT_EnableReplicaRule:
				oid = get_rewrite_oid(relid, cmd->name, true);
				if (!OidIsValid(oid) || !object_created_in_current_xact(RewriteRelationId, oid))
					return false;
				break;
			default:
				return false;
		}
	}
	return true;
}

/*
 * RESTART of sequence "seqid" with "options" (ALTER SEQUENCE, or ALTER
 * COLUMN ... RESTART of an identity) destroys nothing when the new value
 * lies beyond every value drawn so far: no key is reused.  Only a restart
 * alone is judged (other options change what "beyond" means), and only
 * when the sequence has drawn a value since it was created or last reset.
 */
static bool
sequence_restart_destroys_nothing(Oid seqid, List *options)
{
	HeapTuple	tuple;
	int64		restart;
	int64		increment;
	int64		last;
	Datum		value;
	ListCell   *lc;
	DefElem    *restart_opt = NULL;
	LOCAL_FCINFO(fcinfo, 1);

	foreach(lc, options)
	{
		DefElem    *opt = lfirst_node(DefElem, lc);

		if (strcmp(opt->defname, "restart") != 0)
			return false;
		restart_opt = opt;
	}
	if (restart_opt == NULL ||
		pg_class_aclcheck(seqid, GetUserId(), ACL_SELECT | ACL_USAGE) != ACLCHECK_OK)
		return false;
	tuple = SearchSysCache1(SEQRELID, ObjectIdGetDatum(seqid));
	if (!HeapTupleIsValid(tuple))
		return false;
	increment = ((Form_pg_sequence) GETSTRUCT(tuple))->seqincrement;
	restart = restart_opt->arg ? defGetInt64(restart_opt)
		: ((Form_pg_sequence) GETSTRUCT(tuple))->seqstart;
	ReleaseSysCache(tuple);

	InitFunctionCallInfoData(*fcinfo, NULL, 1, InvalidOid, NULL, NULL);
	fcinfo->args[0].value = ObjectIdGetDatum(seqid);
	fcinfo->args[0].isnull = false;
	value = pg_sequence_last_value(fcinfo);
	if (fcinfo->isnull)
		return false;
	last = DatumGetInt64(value);
	return increment > 0 ? restart > last : restart < last;
}

/*
 * ALTER TABLE whose every subcommand is an identity's SET or RESTART, each
 * RESTART beyond the values drawn: it destroys nothing.
 */
static bool
alter_table_restarts_beyond_only(AlterTableStmt *stmt)
{
	Oid			relid = RangeVarGetRelid(stmt->relation, NoLock, true);
	ListCell   *lc;

	if (!OidIsValid(relid) || stmt->cmds == NIL)
		return false;
	foreach(lc, stmt->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);
		AttrNumber	attnum;
		Oid			seqid;
		List	   *restart = NIL;
		ListCell   *oc;

		if (cmd->subtype != AT_SetIdentity)
			return false;
		foreach(oc, castNode(List, cmd->def))
			if (strcmp(lfirst_node(DefElem, oc)->defname, "restart") == 0)
				restart = lappend(restart, lfirst(oc));
		if (restart == NIL)
			continue;
		attnum = get_attnum(relid, cmd->name);
		seqid = attnum == InvalidAttrNumber ? InvalidOid
			: getIdentitySequence(relid, attnum, true);
		if (!OidIsValid(seqid) || !sequence_restart_destroys_nothing(seqid, restart))
			return false;
	}
	return true;
}

/*
 * True when every object a destructive statement targets is temporary or
 * new in this transaction (or an invalid index).  Statements on other kinds of objects, on
 * shared objects and DROP OWNED are never exempt.
 */
static bool
statement_is_exempt(Node *stmt)
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
							if (!relation_is_exempt(makeRangeVarFromNameList((List *) obj)) &&
								!index_is_invalid(makeRangeVarFromNameList((List *) obj)))
								return false;
							break;
						case OBJECT_TABLE:
						case OBJECT_VIEW:
						case OBJECT_MATVIEW:
						case OBJECT_SEQUENCE:
						case OBJECT_FOREIGN_TABLE:
							if (!relation_is_exempt(makeRangeVarFromNameList((List *) obj)))
								return false;
							break;
						case OBJECT_TYPE:
						case OBJECT_DOMAIN:
							{
								Oid			typid = LookupTypeNameOid(NULL, (TypeName *) obj, true);

								if (OidIsValid(typid) && !object_is_exempt(TypeRelationId, typid))
									return false;
								break;
							}
						case OBJECT_FUNCTION:
						case OBJECT_PROCEDURE:
						case OBJECT_ROUTINE:
						case OBJECT_AGGREGATE:
							{
								Oid			funcid = LookupFuncWithArgs(ds->removeType,
																		(ObjectWithArgs *) obj, true);

								if (OidIsValid(funcid) && !object_is_exempt(ProcedureRelationId, funcid))
									return false;
								break;
							}
						case OBJECT_SCHEMA:
							{
								Oid			nspid = get_namespace_oid(strVal(obj), true);

								if (OidIsValid(nspid) && !object_is_exempt(NamespaceRelationId, nspid))
									return false;
								break;
							}
						default:
							{
								/*
								 * Other kinds (operators, casts, operator
								 * classes, ...) only inside extension
								 * scripts, which drop their own; the lock
								 * is the one DROP takes next anyway.
								 */
								ObjectAddress addr;
								Relation	rel = NULL;

								if (!creating_extension)
									return false;
								addr = get_object_address(ds->removeType, obj, &rel,
														  AccessExclusiveLock, true);
								if (rel)
									relation_close(rel, NoLock);
								if (OidIsValid(addr.objectId) &&
									!object_is_exempt(addr.classId, addr.objectId))
									return false;
								break;
							}
					}
				}
				return true;
			}
		case T_TruncateStmt:
			return truncate_is_exempt((TruncateStmt *) stmt);
		case T_AlterTableStmt:
			return relation_is_exempt(((AlterTableStmt *) stmt)->relation) ||
				alter_table_disables_new_only((AlterTableStmt *) stmt) ||
				alter_table_restarts_beyond_only((AlterTableStmt *) stmt);
		case T_AlterSeqStmt:
			{
				AlterSeqStmt *as = (AlterSeqStmt *) stmt;
				Oid			seqid = RangeVarGetRelid(as->sequence, NoLock, true);

				return !OidIsValid(seqid) || relid_is_exempt(seqid) ||
					sequence_restart_destroys_nothing(seqid, as->options);
			}
		case T_RefreshMatViewStmt:
			return relation_is_exempt(((RefreshMatViewStmt *) stmt)->relation);
		case T_RuleStmt:
			return relation_is_exempt(((RuleStmt *) stmt)->relation);
		case T_CreateTrigStmt:
			{
				/* replace_trigger: the replaced trigger, or its table, is new */
				CreateTrigStmt *ct = (CreateTrigStmt *) stmt;
				Oid			relid = RangeVarGetRelid(ct->relation, NoLock, true);
				Oid			trigid = OidIsValid(relid)
				? get_trigger_oid(relid, ct->trigname, true) : InvalidOid;

				return relation_is_exempt(ct->relation) || !OidIsValid(trigid) ||
					object_is_exempt(TriggerRelationId, trigid);
			}
		case T_AlterPublicationStmt:
			{
				Oid			pubid = get_publication_oid(((AlterPublicationStmt *) stmt)->pubname, true);

				return !OidIsValid(pubid) || object_is_exempt(PublicationRelationId, pubid);
			}
		case T_RenameStmt:
			return ((RenameStmt *) stmt)->relation != NULL &&
				relation_is_exempt(((RenameStmt *) stmt)->relation);
		case T_AlterObjectSchemaStmt:
			return ((AlterObjectSchemaStmt *) stmt)->relation != NULL &&
				relation_is_exempt(((AlterObjectSchemaStmt *) stmt)->relation);
		default:
			return false;
	}
}

static bool
relation_is_own(RangeVar *rv)
{
	Oid			relid;

	if (rv == NULL)
		return false;
	relid = RangeVarGetRelid(rv, NoLock, true);
	return OidIsValid(relid) && get_rel_namespace(relid) == extension_namespace;
}

/*
 * The name of migrator's own object that "stmt" alters, or NULL.  Called
 * only when the extension is installed.
 */
static char *
own_object_altered(Node *stmt)
{
	switch (nodeTag(stmt))
	{
		case T_AlterTableStmt:
			if (relation_is_own(((AlterTableStmt *) stmt)->relation))
				return psprintf("migrator.%s", ((AlterTableStmt *) stmt)->relation->relname);
			return NULL;
		case T_AlterSeqStmt:
			if (relation_is_own(((AlterSeqStmt *) stmt)->sequence))
				return psprintf("migrator.%s", ((AlterSeqStmt *) stmt)->sequence->relname);
			return NULL;
		case T_CreateTrigStmt:
			if (relation_is_own(((CreateTrigStmt *) stmt)->relation))
				return psprintf("migrator.%s", ((CreateTrigStmt *) stmt)->relation->relname);
			return NULL;
		case T_RuleStmt:
			if (relation_is_own(((RuleStmt *) stmt)->relation))
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
					QualifiedNameGetCreationNamespace(cf->funcname, &name) == extension_namespace)
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

/*
 * The destructive findings of "stmt" in the rule table (List of
 * RuleFinding), decided on the parse tree.
 */
static List *
destructive_findings(Node *stmt)
{
	List	   *result = NIL;
	ListCell   *lc;

	foreach(lc, classify_statement(stmt))
	{
		RuleFinding *f = lfirst(lc);

		if (f->rule->kind == MIGRATION_DESTRUCTIVE)
			result = lappend(result, f);
	}
	return result;
}

/*
 * The "alter_migrator" finding when "stmt" alters migrator's own objects,
 * else NULL.  The extension must be installed.
 */
static RuleFinding *
own_object_finding(Node *stmt)
{
	RuleFinding *f;
	char	   *own;

	if (!may_alter_own_object(stmt))
		return NULL;
	/* migrator's own install and update scripts change its objects */
	if (creating_extension && CurrentExtensionObject == extension_oid)
		return NULL;
	if ((own = own_object_altered(stmt)) == NULL)
		return NULL;
	f = palloc0(sizeof(RuleFinding));
	f->rule = migrator_rule("alter_migrator");
	f->object = own;
	f->location = -1;
	return f;
}

/*
 * All destructive findings of "stmt": the rule table's and
 * "alter_migrator".  The extension must be installed.
 */
static List *
guard_findings(Node *stmt)
{
	List	   *findings = destructive_findings(stmt);
	RuleFinding *own = own_object_finding(stmt);

	return own ? lappend(findings, own) : findings;
}

static bool
findings_have_rule(List *findings, const char *rule_id)
{
	ListCell   *lc;

	foreach(lc, findings)
		if (strcmp(((RuleFinding *) lfirst(lc))->rule->id, rule_id) == 0)
			return true;
	return false;
}

static bool
same_object(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static bool
permits_cover(List *permits, RuleFinding *f)
{
	ListCell   *lc;

	foreach(lc, permits)
	{
		GuardPermit *p = lfirst(lc);

		if (strcmp(p->rule, f->rule->id) == 0 && same_object(p->object, f->object))
			return true;
	}
	return false;
}

static GuardPermit *
make_permit(const char *rule_id, const char *object)
{
	GuardPermit *p = palloc0(sizeof(GuardPermit));

	p->rule = migrator_rule(rule_id)->id;
	p->object = object ? pstrdup(object) : NULL;
	return p;
}

/*
 * The destructive (rule, object) pairs the running migration declares for
 * its "direction": for "up" the findings register() stored; for "down" the
 * classification of the registered down script (register() parsed it but
 * stores no findings for it).  Cached for the transaction.
 */
static List *
migration_permits(const char *version, const char *direction)
{
	MemoryContext oldcxt;
	List	   *permits = NIL;
	List	   *rules = NIL;
	List	   *objects = NIL;
	ListCell   *rc;
	ListCell   *oc;
	Oid			type = TEXTOID;
	Datum		value = CStringGetTextDatum(version);
	uint64		i;

	if (declared_version && strcmp(declared_version, version) == 0 &&
		strcmp(declared_direction, direction) == 0)
		return declared_permits;

	/*
	 * Collect the declared (rule, object) pairs with SPI first: SPI switches
	 * memory contexts as it runs, so the cache is built only afterwards, in
	 * TopTransactionContext, where it lives until the transaction ends.
	 */
	SPI_connect();
	if (strcmp(direction, "up") == 0)
	{
		history_exec("SELECT f->>'rule', f->>'object' "
					 "FROM migrator.migrations m, jsonb_array_elements(m.findings) f "
					 "WHERE m.version = $1 AND f->>'kind' = 'destructive'",
					 1, &type, &value, NULL);
		for (i = 0; i < SPI_processed; i++)
		{
			rules = lappend(rules, SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1));
			objects = lappend(objects, SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2));
		}
	}
	else
	{
		char	   *down = NULL;

		history_exec("SELECT down FROM migrator.migrations WHERE version = $1",
					 1, &type, &value, NULL);
		if (SPI_processed == 1)
			down = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
		if (down)
		{
			List	   *findings;
			ListCell   *sc;

			(void) classify_script(script_parse(down, "down script"), &findings);
			foreach(sc, findings)
			{
				ListCell   *fc;

				foreach(fc, (List *) lfirst(sc))
				{
					RuleFinding *f = lfirst(fc);

					if (f->rule->kind != MIGRATION_DESTRUCTIVE)
						continue;
					rules = lappend(rules, (char *) f->rule->id);
					objects = lappend(objects, f->object);
				}
			}
		}
	}

	oldcxt = MemoryContextSwitchTo(TopTransactionContext);
	forboth(rc, rules, oc, objects)
		permits = lappend(permits, make_permit(lfirst(rc), lfirst(oc)));
	declared_version = pstrdup(version);
	declared_direction = pstrdup(direction);
	declared_permits = permits;
	MemoryContextSwitchTo(oldcxt);
	SPI_finish();
	return permits;
}

/*
 * The text of the statement the hook is looking at, without leading blanks.
 */
static char *
statement_text(const char *query, int location, int len)
{
	const char *start;

	if (query == NULL)
		return pstrdup("");
	if (location < 0 || location > (int) strlen(query))
		location = 0;
	start = query + location;
	if (len <= 0)
		len = strlen(start);
	while (len > 0 && isspace((unsigned char) *start))
	{
		start++;
		len--;
	}
	return pnstrdup(start, len);
}

/*
 * Record a refusal as a migrator.events row (action "block", outcome
 * "blocked") that survives the refusing transaction's rollback
 * (history_event_autonomous()).
 */
static void
guard_record_block(const RuleFinding *f, const char *tag, const char *statement,
				   const char *session_role)
{
	const char *version = NULL;
	const char *kind = NULL;
	const char *direction = NULL;

	(void) session_migration(&version, &kind, &direction);
	history_event_autonomous(version, "block", kind, "blocked", f->rule->id,
							 statement,
							 psprintf("%s%s%s refused; session user %s",
									  tag, f->object ? " on " : "",
									  f->object ? f->object : "",
									  session_role));
}

/*
 * Report an unplanned destructive statement: a server-log line and (when
 * enforcing) an events row, both of which survive the rollback, then ERROR
 * (enforce) or WARNING (warn).
 */
static void
guard_report(const char *tag, const RuleFinding *f, const char *statement)
{
	const char *role = GetUserNameFromId(GetUserId(), false);
	const char *session_role = GetUserNameFromId(GetSessionUserId(), false);
	const char *dbname = get_database_name(MyDatabaseId);
	const char *object = f->object ? f->object : "";
	bool		enforce = (guard_mode == GUARD_ENFORCE);
	const char *version = NULL;
	const char *kind = NULL;
	const char *direction = NULL;
	bool		in_migration;

	ereport(LOG_SERVER_ONLY,
			(errmsg("%s %s rule=%s tag=\"%s\" object=\"%s\" role=\"%s\" session_role=\"%s\" database=\"%s\" statement: %s",
					GUARD_LOG_PREFIX, enforce ? "blocked" : "warned",
					f->rule->id, tag, object, role, session_role,
					dbname ? dbname : "", statement),
			 errhidestmt(true)));

	if (enforce)
		guard_record_block(f, tag, statement, session_role);

	/*
	 * Inside a running migration the statement was not among those its
	 * script declared: it comes from a DO block, a function or EXECUTE,
	 * which registration cannot see.
	 */
	in_migration = session_migration(&version, &kind, &direction);
	ereport(enforce ? ERROR : WARNING,
			(errcode(ERRCODE_MIGRATOR_GUARD_BLOCKED),
			 f->object
			 ? errmsg("unplanned destructive statement %s on \"%s\"", tag, f->object)
			 : errmsg("unplanned destructive statement %s", tag),
			 in_migration
			 ? errdetail("Rule %s (%s) is destructive, and the %s script of migration \"%s\" does not declare it: statements inside DO blocks, functions and EXECUTE are not seen at registration.",
						 f->rule->id, f->rule->description, direction, version)
			 : errdetail("Rule %s (%s) is destructive, and no registered migration or allowance of this transaction covers it.",
						 f->rule->id, f->rule->description),
			 in_migration
			 ? errhint("Write the statement at the top level of the script, or call migrator.allow(statement, reason => ...) in the script before it.")
			 : errhint("Register it as a migration with a plan and a down script and run migrator.apply(), or call migrator.allow(statement, reason => ...) earlier in this transaction.")));
}

/*
 * Report DROP DATABASE or ALTER DATABASE ... RENAME of a protected
 * database: the server-log line, an events row in the protected database
 * (when enforcing), then ERROR or WARNING.
 */
static void
guard_report_database(const char *tag, const RuleFinding *f, const char *statement,
					  Oid dboid)
{
	const char *role = GetUserNameFromId(GetUserId(), false);
	const char *session_role = GetUserNameFromId(GetSessionUserId(), false);
	const char *dbname = get_database_name(MyDatabaseId);
	bool		enforce = (guard_mode == GUARD_ENFORCE);

	ereport(LOG_SERVER_ONLY,
			(errmsg("%s %s rule=%s tag=\"%s\" object=\"%s\" role=\"%s\" session_role=\"%s\" database=\"%s\" statement: %s",
					GUARD_LOG_PREFIX, enforce ? "blocked" : "warned",
					f->rule->id, tag, f->object, role, session_role,
					dbname ? dbname : "", statement),
			 errhidestmt(true)));
	if (enforce)
		history_event_autonomous_in(dboid, "block", "blocked", f->rule->id, statement,
									psprintf("%s on %s refused; session user %s",
											 tag, f->object, session_role));
	ereport(enforce ? ERROR : WARNING,
			(errcode(ERRCODE_MIGRATOR_GUARD_BLOCKED),
			 errmsg("unplanned destructive statement %s on \"%s\"", tag, f->object),
			 errdetail("Database \"%s\" is protected by migrator, from every database of the server.",
					   f->object),
			 errhint("To drop or rename it on purpose, a superuser first removes the protection in that database (recorded in its migrator.events): SECURITY LABEL FOR migrator ON DATABASE %s IS NULL;",
					 quote_identifier(f->object))));
}

/*
 * DROP DATABASE or ALTER DATABASE ... RENAME: when the target database is
 * protected (protect.c), judged here, in whichever database the statement
 * was sent from and whether or not migrator is installed in it; "verdict"
 * receives the verdict.  Returns false when the target is not protected:
 * the statement is then judged like any other.
 */
static bool
guard_judge_protected_database(Node *stmt, const char *statement,
							   GuardVerdict *verdict)
{
	const char *dbname;
	RuleFinding f;
	Oid			dboid;
	const char *version;
	const char *kind;
	const char *direction;
	List	   *permits = NIL;

	if (IsA(stmt, DropdbStmt))
	{
		dbname = ((DropdbStmt *) stmt)->dbname;
		f.rule = migrator_rule("drop_database");
	}
	else if (IsA(stmt, RenameStmt) && ((RenameStmt *) stmt)->renameType == OBJECT_DATABASE)
	{
		dbname = ((RenameStmt *) stmt)->subname;
		f.rule = migrator_rule("rename");
	}
	else
		return false;
	dboid = get_database_oid(dbname, true);
	if (!OidIsValid(dboid) || !database_is_protected(dboid))
		return false;
	f.object = pstrdup(dbname);
	f.location = -1;

	*verdict = VERDICT_ALLOWED;
	if (guard_extension_installed())
	{
		if (session_migration(&version, &kind, &direction))
			permits = migration_permits(version, direction);
		if (permits_cover(permits, &f) || session_allowed(f.rule->id, f.object))
			return true;
	}
	guard_report_database(statement_tag(stmt), &f, statement, dboid);
	return true;
}

/*
 * Judge one utility statement; returns the verdict, raises the refusal.
 */
static GuardVerdict
guard_judge(PlannedStmt *pstmt, const char *queryString,
			ProcessUtilityContext context)
{
	Node	   *stmt = pstmt->utilityStmt;
	List	   *findings;
	RuleFinding *own;
	List	   *permits = NIL;
	const char *version;
	const char *kind;
	const char *direction;
	ListCell   *lc;
	GuardVerdict verdict;

	if (!guard_enabled())
		return VERDICT_INERT;

	/* Statements a judged statement generates were judged with it. */
	if (context == PROCESS_UTILITY_SUBCOMMAND)
		return VERDICT_NOT_DESTRUCTIVE;

	/* A protected database, from any database (a tag test for others). */
	if ((IsA(stmt, DropdbStmt) || IsA(stmt, RenameStmt)) &&
		guard_judge_protected_database(stmt,
									   statement_text(queryString, pstmt->stmt_location,
													  pstmt->stmt_len),
									   &verdict))
		return verdict;

	/* Known not to be installed here: nothing to judge. */
	if (extension_cache_valid && !OidIsValid(extension_oid))
		return VERDICT_INERT;

	/*
	 * Fast path: most utility statements fire no rule and cannot alter
	 * anything of ours, and that is decided on the parse tree alone.
	 */
	findings = destructive_findings(stmt);
	if (findings == NIL && !may_alter_own_object(stmt))
		return VERDICT_NOT_DESTRUCTIVE;
	if (!guard_extension_installed())
		return VERDICT_INERT;

	/* Migrator's own objects are never exempt. */
	own = own_object_finding(stmt);
	if (own)
		findings = lcons(own, findings);	/* reported first */
	else if (findings == NIL)
		return VERDICT_NOT_DESTRUCTIVE;
	else if (!findings_have_rule(findings, "depends_on_temporary") &&
			 statement_is_exempt(stmt))
		return VERDICT_EXEMPT;	/* a new object that vanishes with the session is not */

	if (session_migration(&version, &kind, &direction))
		permits = migration_permits(version, direction);

	foreach(lc, findings)
	{
		RuleFinding *f = lfirst(lc);

		if (permits_cover(permits, f) || session_allowed(f->rule->id, f->object))
			continue;
		guard_report(statement_tag(stmt), f,
					 statement_text(queryString, pstmt->stmt_location, pstmt->stmt_len));
		/* warn mode: report each finding, let the statement run */
	}
	return VERDICT_ALLOWED;
}

/*
 * After CREATE TABLE AS, SELECT INTO or CREATE MATERIALIZED VIEW: the
 * parse tree does not show the types of the columns a query produces, so
 * the created relation is looked at.  A permanent one with a column of a
 * temporary type would lose it when the session ends (rule
 * depends_on_temporary); refusing now rolls the creation back.
 */
static void
guard_check_created_table(IntoClause *into, const char *tag, const char *statement)
{
	Oid			temp_nsp;
	Oid			temp_toast_nsp;
	Oid			relid;
	RuleFinding f;

	GetTempNamespaceState(&temp_nsp, &temp_toast_nsp);
	if (!OidIsValid(temp_nsp) || into == NULL || into->rel == NULL)
		return;
	relid = RangeVarGetRelid(into->rel, NoLock, true);
	if (!OidIsValid(relid) || get_rel_persistence(relid) == RELPERSISTENCE_TEMP ||
		!relation_has_temporary_column(relid))
		return;
	f.rule = migrator_rule("depends_on_temporary");
	f.object = relation_name(into->rel);
	f.location = -1;
	if (session_allowed(f.rule->id, f.object))
		return;
	guard_report(tag, &f, statement);
}

/*
 * Did column "attnum" of "relid" have a default before this transaction
 * (a pg_attrdef row inserted by an earlier, committed transaction, even if
 * this one replaced or removed it since)?
 */
static bool
column_had_committed_default(Oid relid, int16 attnum)
{
	ScanKeyData key[2];
	Relation	rel = table_open(AttrDefaultRelationId, AccessShareLock);
	SysScanDesc scan;
	HeapTuple	tuple;
	bool		found = false;

	ScanKeyInit(&key[0], Anum_pg_attrdef_adrelid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(relid));
	ScanKeyInit(&key[1], Anum_pg_attrdef_adnum, BTEqualStrategyNumber,
				F_INT2EQ, Int16GetDatum(attnum));
	scan = systable_beginscan(rel, AttrDefaultIndexId, true, SnapshotAny, 2, key);
	while (!found && HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		TransactionId xmin = HeapTupleHeaderGetXmin(tuple->t_data);

		found = !TransactionIdIsCurrentTransactionId(xmin) && TransactionIdDidCommit(xmin);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}

/*
 * The current default of column "attnum" of "relid" evaluates to NULL:
 * there is none, or its expression folds to a NULL constant
 * (NULL::int + 0, CASE WHEN false THEN 1 END).
 */
static bool
column_default_is_null(Oid relid, AttrNumber attnum)
{
	Relation	rel = relation_open(relid, NoLock);
	TupleConstr *constr = RelationGetDescr(rel)->constr;
	Node	   *expr = NULL;
	int			i;

	for (i = 0; constr && i < constr->num_defval; i++)
		if (constr->defval[i].adnum == attnum)
			expr = stringToNode(constr->defval[i].adbin);
	relation_close(rel, NoLock);
	if (expr == NULL)
		return true;
	expr = eval_const_expressions(NULL, expr);
	return IsA(expr, Const) && ((Const *) expr)->constisnull;
}

/*
 * After ALTER TABLE ... SET DEFAULT on an old table: a default that
 * evaluates to NULL removes the column's default as DROP DEFAULT does
 * (rule drop_default), which the parse tree shows only for a NULL
 * constant.  Inherited columns are left alone, as for SET DEFAULT NULL
 * (pg_dump writes it for a child that dropped an inherited default).
 */
static void
guard_check_null_defaults(AlterTableStmt *stmt, const char *statement)
{
	Oid			relid = RangeVarGetRelid(stmt->relation, NoLock, true);
	ListCell   *lc;

	if (!OidIsValid(relid) || relid_is_exempt(relid))
		return;
	foreach(lc, stmt->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);
		HeapTuple	tuple;
		AttrNumber	attnum;
		bool		inherited;
		RuleFinding f;

		if (cmd->subtype != AT_ColumnDefault || cmd->def == NULL || cmd->name == NULL)
			continue;
		tuple = SearchSysCacheAttName(relid, cmd->name);
		if (!HeapTupleIsValid(tuple))
			continue;
		attnum = ((Form_pg_attribute) GETSTRUCT(tuple))->attnum;
		inherited = ((Form_pg_attribute) GETSTRUCT(tuple))->attinhcount > 0 &&
			!get_rel_relispartition(relid);
		ReleaseSysCache(tuple);
		if (inherited || column_created_in_current_xact(relid, attnum) ||
			!column_default_is_null(relid, attnum) ||
			!column_had_committed_default(relid, attnum))
			continue;
		f.rule = migrator_rule("drop_default");
		f.object = psprintf("%s.%s", relation_name(stmt->relation), cmd->name);
		f.location = -1;
		if (session_allowed(f.rule->id, f.object))
			continue;
		{
			const char *version;
			const char *kind;
			const char *direction;

			if (session_migration(&version, &kind, &direction) &&
				permits_cover(migration_permits(version, direction), &f))
				continue;
		}
		guard_report("ALTER TABLE", &f, statement);
	}
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

/*
 * The ProcessUtility hook: judge, then always chain.
 */
static void
guard_ProcessUtility(PlannedStmt *pstmt, const char *queryString,
					 bool readOnlyTree, ProcessUtilityContext context,
					 ParamListInfo params, QueryEnvironment *queryEnv,
					 DestReceiver *dest, QueryCompletion *qc)
{
	/* between top-level statements nothing is judged */
	GuardVerdict save_verdict = context == PROCESS_UTILITY_TOPLEVEL
	? VERDICT_UNSEEN : current_verdict;
	const char *save_tag = current_tag;
	bool		save_cascades = current_cascades;
	GuardVerdict verdict;

	if (context == PROCESS_UTILITY_TOPLEVEL)
		forget_invalid_indexes_dropped();
	if ((IsA(pstmt->utilityStmt, AlterSeqStmt) &&
		 sequence_options_own(((AlterSeqStmt *) pstmt->utilityStmt)->options)) ||
		(IsA(pstmt->utilityStmt, CreateSeqStmt) &&
		 sequence_options_own(((CreateSeqStmt *) pstmt->utilityStmt)->options)))
		owned_by_changed = true;
	verdict = guard_judge(pstmt, queryString, context);

	current_verdict = verdict;
	if (verdict == VERDICT_EXEMPT || verdict == VERDICT_UNSEEN)
	{
		current_tag = statement_tag(pstmt->utilityStmt);
		current_cascades = statement_cascades(pstmt->utilityStmt);
	}
	PG_TRY();
	{
		if (prev_ProcessUtility)
			prev_ProcessUtility(pstmt, queryString, readOnlyTree, context,
								params, queryEnv, dest, qc);
		else
			standard_ProcessUtility(pstmt, queryString, readOnlyTree, context,
									params, queryEnv, dest, qc);
	}
	PG_FINALLY();
	{
		current_verdict = save_verdict;
		current_tag = save_tag;
		current_cascades = save_cascades;
		if (context == PROCESS_UTILITY_TOPLEVEL)
			forget_invalid_indexes_dropped();
	}
	PG_END_TRY();

	/* The protection marker follows the extension, whatever the guard's mode. */
	protect_after_statement(pstmt->utilityStmt);

	if ((verdict == VERDICT_NOT_DESTRUCTIVE || verdict == VERDICT_ALLOWED) &&
		context != PROCESS_UTILITY_SUBCOMMAND &&
		IsA(pstmt->utilityStmt, AlterTableStmt))
		guard_check_null_defaults((AlterTableStmt *) pstmt->utilityStmt,
								  statement_text(queryString, pstmt->stmt_location,
												 pstmt->stmt_len));

	if (verdict != VERDICT_INERT && IsA(pstmt->utilityStmt, CreateTableAsStmt))
		guard_check_created_table(((CreateTableAsStmt *) pstmt->utilityStmt)->into,
								  statement_tag(pstmt->utilityStmt),
								  statement_text(queryString, pstmt->stmt_location,
												 pstmt->stmt_len));
}

/*
 * The rule that a dropped object of type "object_type" (as
 * pg_event_trigger_dropped_objects() names it) fires.
 */
static const char *
dropped_object_rule(const char *object_type)
{
	static const struct
	{
		const char *type;
		const char *rule;
	}			map[] = {
		{"table", "drop_table"},
		{"foreign table", "drop_table"},
		{"view", "drop_view"},
		{"materialized view", "drop_view"},
		{"schema", "drop_schema"},
		{"type", "drop_type"},
		{"domain", "drop_type"},
		{"function", "drop_function"},
		{"procedure", "drop_function"},
		{"aggregate", "drop_function"},
		{"sequence", "drop_sequence"},
		{"index", "drop_index"},
		{"trigger", "drop_trigger"},
		{"event trigger", "drop_trigger"},
		{"extension", "drop_extension"},
		{"table column", "drop_column"},
		{"table constraint", "drop_constraint"},
		{"domain constraint", "drop_constraint"},
		{"default value", "drop_default"},
	};
	int			i;

	for (i = 0; i < lengthof(map); i++)
		if (strcmp(map[i].type, object_type) == 0)
			return map[i].rule;
	return "drop_other";
}

/*
 * Does "stmt" drop with CASCADE (DROP ... CASCADE, or an ALTER TABLE, ALTER
 * TYPE or ALTER DOMAIN subcommand with CASCADE)?
 */
static bool
statement_cascades(Node *stmt)
{
	ListCell   *lc;

	if (stmt == NULL)
		return true;			/* not known: judge */
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
			return true;
	}
}

/*
 * After an exempt statement, the kinds of dropped objects that are judged:
 * those that hold data or that other objects and queries use by name.  The
 * parts of a table (indexes, constraints, defaults, triggers, rules,
 * policies, publication memberships) are not: one that depends on a new
 * object was created or redefined with it, and a part of an old table that
 * is dropped with its column or table is judged through them.
 */
static bool
dropped_object_holds_data(const char *object_type)
{
	static const char *const kinds[] = {
		"table", "foreign table", "view", "materialized view", "sequence",
		"table column", "schema", "type", "domain", "function", "procedure",
		"aggregate",
	};
	int			i;

	for (i = 0; i < lengthof(kinds); i++)
		if (strcmp(kinds[i], object_type) == 0)
			return true;
	return false;
}

/*
 * Was column "attnum" of relation "relid" added in the current
 * transaction?
 */
static bool
column_created_in_current_xact(Oid relid, int32 attnum)
{
	ScanKeyData key[2];

	ScanKeyInit(&key[0], Anum_pg_attribute_attrelid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(relid));
	ScanKeyInit(&key[1], Anum_pg_attribute_attnum, BTEqualStrategyNumber,
				F_INT2EQ, Int16GetDatum((int16) attnum));
	return catalog_row_created_in_current_xact(AttributeRelationId,
											   AttributeRelidNumIndexId, key, 2);
}

/*
 * The column of pg_attrdef row "oid", also when this transaction has just
 * deleted the row (sql_drop runs after the drop).
 */
static bool attrdef_column(Oid oid, Oid *relid, int16 *attnum);

/*
 * One object a statement is about to drop (object access hook, OAT_DROP,
 * called for every object a DROP removes, its CASCADE victims included,
 * before it is removed): what the sql_drop event trigger judged in 0.2,
 * without PostgreSQL computing every dropped object's identity for an
 * event trigger.  A statement the hook allowed may drop what it drops;
 * after an exempt statement (its targets are new or temporary) without
 * CASCADE only what belongs to the targets goes, which the hook judged;
 * with CASCADE every object that holds data or that readers name must be
 * new, temporary or a member of the extension whose script runs.
 */
static void
guard_judge_dropped(Oid classid, Oid objid, int32 subid)
{
	GuardVerdict verdict = current_verdict;
	ObjectAddress addr;
	RuleFinding f;
	char	   *type;
	const char *tag;

	if (verdict == VERDICT_INERT || verdict == VERDICT_ALLOWED ||
		verdict == VERDICT_NOT_DESTRUCTIVE || !guard_enabled())
		return;
	if (verdict == VERDICT_EXEMPT && !current_cascades)
		return;
	if (!guard_extension_installed())
		return;

	addr.classId = classid;
	addr.objectId = objid;
	addr.objectSubId = subid;
	if (classid == AttrDefaultRelationId)
	{
		Oid			adrelid;
		int16		adnum;

		/* judged by its column: SET DEFAULT may have replaced it in this transaction */
		if (!attrdef_column(objid, &adrelid, &adnum) ||
			get_attname(adrelid, adnum, true) == NULL ||
			relid_is_exempt(adrelid) ||
			column_created_in_current_xact(adrelid, adnum) ||
			!column_had_committed_default(adrelid, adnum))
			return;
		type = "default value";
	}
	else
	{
		if (classid == RelationRelationId &&
			(get_rel_persistence(objid) == RELPERSISTENCE_TEMP ||
			 (subid == 0 && list_member_oid(invalid_indexes_dropped, objid))))
			return;
		/* a relation's row type and array types go with what they belong to */
		if (classid == TypeRelationId && type_goes_with_another(objid))
			return;
		type = getObjectTypeDescription(&addr, true);
		if (type == NULL ||
			(verdict == VERDICT_EXEMPT && !dropped_object_holds_data(type)))
			return;
		if (classid == RelationRelationId && subid != 0
			? column_created_in_current_xact(objid, subid) || object_is_extension_member(classid, objid)
			: object_is_exempt(classid, objid))
			return;
	}
	f.rule = migrator_rule(current_cascades ? "drop_cascade" : dropped_object_rule(type));
	f.object = getObjectIdentity(&addr, true);
	f.location = -1;
	if (f.object == NULL || session_allowed(f.rule->id, f.object))
		return;
	tag = current_tag ? current_tag : "DROP";
	guard_report(current_cascades ? psprintf("%s ... CASCADE", tag) : tag,
				 &f, debug_query_string ? debug_query_string : "");
}

/*
 * Is type "typid" the row type of a table, view or sequence, or an array
 * type made for another type?  Such a type is dropped with the object it
 * belongs to, which is judged itself.
 */
static bool
type_goes_with_another(Oid typid)
{
	HeapTuple	tuple = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
	Form_pg_type typ;
	bool		result = false;

	if (!HeapTupleIsValid(tuple))
		return false;
	typ = (Form_pg_type) GETSTRUCT(tuple);
	if (OidIsValid(typ->typrelid))
		result = get_rel_relkind(typ->typrelid) != RELKIND_COMPOSITE_TYPE;
	else if (OidIsValid(typ->typelem) && IsTrueArrayType(typ))
		result = get_array_type(typ->typelem) == typid;
	ReleaseSysCache(tuple);
	return result;
}

static object_access_hook_type prev_object_access_hook = NULL;

static void
guard_object_access(ObjectAccessType access, Oid classId, Oid objectId,
					int subId, void *arg)
{
	if (prev_object_access_hook)
		prev_object_access_hook(access, classId, objectId, subId, arg);
	/* internal drops: toast tables, temporary objects at session end */
	if (access == OAT_DROP && arg != NULL &&
		!(((ObjectAccessDrop *) arg)->dropflags & PERFORM_DELETION_INTERNAL))
		guard_judge_dropped(classId, objectId, subId);
}

/*
 * ddl_command_start event trigger (ENABLE ALWAYS): in a session that did
 * not preload the library, calling this function loads it, and the
 * statement that fired it has passed no hook: it is judged here, as the
 * hook would have (later statements pass the hook, installed now).  When
 * the hook judged the statement, nothing to do.
 */
Datum
migrator_guard_ddl_start(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata;
	PlannedStmt *pstmt;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("guard_ddl_start() must be called as an event trigger")));
	if (current_verdict != VERDICT_UNSEEN || !guard_enabled())
		PG_RETURN_VOID();

	trigdata = (EventTriggerData *) fcinfo->context;
	pstmt = makeNode(PlannedStmt);
	pstmt->commandType = CMD_UTILITY;
	pstmt->utilityStmt = trigdata->parsetree;
	pstmt->stmt_location = -1;
	current_verdict = guard_judge(pstmt, debug_query_string, PROCESS_UTILITY_QUERY);
	current_tag = statement_tag(trigdata->parsetree);
	current_cascades = statement_cascades(trigdata->parsetree);
	PG_RETURN_VOID();
}
static bool
attrdef_column(Oid oid, Oid *relid, int16 *attnum)
{
	ScanKeyData key;
	Relation	rel = table_open(AttrDefaultRelationId, AccessShareLock);
	SysScanDesc scan;
	HeapTuple	tuple;
	bool		found = false;

	ScanKeyInit(&key, Anum_pg_attrdef_oid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(oid));
	scan = systable_beginscan(rel, AttrDefaultOidIndexId, true, SnapshotAny, 1, &key);
	if (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		*relid = ((Form_pg_attrdef) GETSTRUCT(tuple))->adrelid;
		*attnum = ((Form_pg_attrdef) GETSTRUCT(tuple))->adnum;
		found = true;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}

/*
 * sql_drop event trigger: judge the objects a statement dropped when the
 * hook's verdict does not already cover them.  A statement the hook allowed
 * (migration, allowance) may drop what it drops, CASCADE victims included.
 * After an exempt statement (its targets are new or temporary), every
 * object it dropped must itself be new or temporary: a new table may own an
 * old sequence, a new parent may have an old partition, a view on a new
 * table may be old.  After a statement judged not destructive, only
 * objects reached through CASCADE of a DROP are judged.  When the hook did
 * not see the statement (library loaded too late), every object is judged.
 */
Datum
migrator_guard_sql_drop(PG_FUNCTION_ARGS)
{
	GuardVerdict verdict = current_verdict;
	uint64		i;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("guard_sql_drop() must be called as an event trigger")));

	/*
	 * Installs of 0.1 and 0.2 have this trigger.  When the hook judged the
	 * statement, the object access hook judged its drops one by one.
	 */
	if (!guard_enabled() || verdict != VERDICT_UNSEEN)
		PG_RETURN_VOID();
	if (verdict == VERDICT_NOT_DESTRUCTIVE)
	{
		DropStmt   *ds = (DropStmt *) ((EventTriggerData *) fcinfo->context)->parsetree;

		/* Without CASCADE a statement drops only what belongs to its targets. */
		if (ds == NULL || !IsA(ds, DropStmt) || ds->behavior != DROP_CASCADE)
			PG_RETURN_VOID();
	}

	/*
	 * An exempt statement without CASCADE drops what belongs to its targets
	 * (indexes, constraints, defaults) and what the hook already found new:
	 * partitions and children, typed tables, owned sequences.  Anything else
	 * that depends on a target makes it fail.
	 */
	if (verdict == VERDICT_EXEMPT &&
		!statement_cascades(((EventTriggerData *) fcinfo->context)->parsetree))
		PG_RETURN_VOID();
	if (!guard_extension_installed())
		PG_RETURN_VOID();

	SPI_connect();
	if (SPI_execute("SELECT classid, objid, original, normal, is_temporary, "
					"object_type, object_identity, objsubid "
					"FROM pg_catalog.pg_event_trigger_dropped_objects()",
					true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read pg_event_trigger_dropped_objects()");

	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		Oid			classid = DatumGetObjectId(SPI_getbinval(tup, desc, 1, &isnull));
		Oid			objid = DatumGetObjectId(SPI_getbinval(tup, desc, 2, &isnull));
		bool		original = DatumGetBool(SPI_getbinval(tup, desc, 3, &isnull));
		bool		normal = DatumGetBool(SPI_getbinval(tup, desc, 4, &isnull));
		bool		temporary = DatumGetBool(SPI_getbinval(tup, desc, 5, &isnull));
		char	   *type = SPI_getvalue(tup, desc, 6);
		char	   *identity = SPI_getvalue(tup, desc, 7);
		int32		subid = DatumGetInt32(SPI_getbinval(tup, desc, 8, &isnull));
		bool		cascaded = normal && !original;
		RuleFinding f;
		const char *tag;

		if (temporary)
			continue;
		if (verdict == VERDICT_NOT_DESTRUCTIVE && !normal)
			continue;

		/*
		 * A default: judged by its column, not by its own catalog row (SET
		 * DEFAULT replaced it with a new one in this transaction before the
		 * CASCADE took it): an old column that had a default loses it.
		 */
		if (classid == AttrDefaultRelationId)
		{
			Oid			adrelid;
			int16		adnum;

			if (!attrdef_column(objid, &adrelid, &adnum) ||
				!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(adrelid)) ||
				get_attname(adrelid, adnum, true) == NULL ||
				relid_is_exempt(adrelid) ||
				column_created_in_current_xact(adrelid, adnum) ||
				!column_had_committed_default(adrelid, adnum))
				continue;
		}
		else
		{
			if (verdict == VERDICT_EXEMPT && !dropped_object_holds_data(type))
				continue;
			if (classid == RelationRelationId && subid == 0 &&
				list_member_oid(invalid_indexes_dropped, objid))
				continue;
			if (classid == RelationRelationId && subid != 0
				? column_created_in_current_xact(objid, subid)
				: object_created_in_current_xact(classid, objid))
				continue;
			if (object_is_extension_member(classid, objid))
				continue;
		}

		f.rule = migrator_rule(cascaded ? "drop_cascade" : dropped_object_rule(type));
		f.object = identity;
		f.location = -1;
		if (session_allowed(f.rule->id, f.object))
			continue;
		tag = GetCommandTagName(((EventTriggerData *) fcinfo->context)->tag);
		guard_report(cascaded ? psprintf("%s ... CASCADE", tag) : tag,
					 &f, debug_query_string ? debug_query_string : "");
	}
	SPI_finish();
	PG_RETURN_VOID();
}

/*
 * migrator.allow(statement text, reason text): allow the destructive
 * statements in "statement" for the rest of the current transaction, and
 * record who allowed what and why as an events row (action "allow").  A
 * later statement is covered when each of its destructive findings has the
 * same rule id and the same object as a finding of an allowed statement.
 */
Datum
migrator_allow(PG_FUNCTION_ARGS)
{
	char	   *sql;
	char	   *reason;
	List	   *stmts;
	ListCell   *lc;
	const char *version = NULL;
	const char *kind;
	const char *direction;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("statement must not be null"),
				 errhint("Pass the destructive statement to allow, e.g. 'DROP TABLE app.legacy'.")));
	sql = text_to_cstring(PG_GETARG_TEXT_PP(0));
	reason = PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1));
	if (reason == NULL || strspn(reason, " \t\r\n") == strlen(reason))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("an allowance needs a reason"),
				 errhint("Pass reason => why this destructive statement must run outside a registered migration.")));
	PreventCommandIfReadOnly("migrator.allow()");

	stmts = script_parse(sql, "allowed statement");
	if (stmts == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("no statement to allow"),
				 errhint("Pass the destructive statement to allow, e.g. 'DROP TABLE app.legacy'.")));
	(void) session_migration(&version, &kind, &direction);
	/* own_object_finding() needs the extension's schema. */
	(void) guard_extension_installed();

	SPI_connect();
	foreach(lc, stmts)
	{
		ScriptStatement *st = lfirst(lc);
		Node	   *node = st->raw->stmt;
		List	   *findings;
		ListCell   *fc;
		StringInfoData rules;

		if (IsA(node, SelectStmt) || IsA(node, InsertStmt) || IsA(node, UpdateStmt) ||
			IsA(node, DeleteStmt) || IsA(node, MergeStmt))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("migrator.allow() takes utility statements, not %s", statement_tag(node)),
					 errdetail("The guard judges DDL; data changes are governed by privileges.")));
		findings = guard_findings(node);
		if (findings == NIL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("statement %d is not destructive: %s", st->index, st->sql),
					 errhint("The guard lets it run without an allowance.")));

		initStringInfo(&rules);
		foreach(fc, findings)
			session_allow(((RuleFinding *) lfirst(fc))->rule->id,
						  ((RuleFinding *) lfirst(fc))->object);
		foreach(fc, findings)
		{
			RuleFinding *f = lfirst(fc);

			if (rules.len > 0)
				appendStringInfoString(&rules, ",");
			appendStringInfoString(&rules, f->rule->id);
		}
		history_event(version, "allow", NULL, "success", rules.data, st->sql, reason);
	}
	SPI_finish();
	PG_RETURN_VOID();
}

/*
 * Define migrator.guard and install the hook and callbacks.  Called from
 * _PG_init before MarkGUCPrefixReserved().
 */
void
GuardInit(void)
{
	DefineCustomEnumVariable("migrator.guard",
							 "Whether unplanned destructive DDL is refused, reported or ignored.",
							 "enforce refuses it with an error, warn lets it run with a warning, off disables the guard. "
							 "Only superusers can change it, so that the roles it guards cannot switch it off.",
							 &guard_mode,
							 GUARD_ENFORCE,
							 guard_mode_options,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);

	prev_ProcessUtility = ProcessUtility_hook;
	ProcessUtility_hook = guard_ProcessUtility;
	prev_object_access_hook = object_access_hook;
	object_access_hook = guard_object_access;

	CacheRegisterSyscacheCallback(EVENTTRIGGEROID, guard_invalidate_extension, (Datum) 0);
	CacheRegisterSyscacheCallback(NAMESPACEOID, guard_invalidate_extension, (Datum) 0);
	RegisterXactCallback(guard_xact_callback, NULL);
	RegisterSubXactCallback(guard_subxact_callback, NULL);
}
