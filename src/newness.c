/*-------------------------------------------------------------------------
 *
 * newness.c
 *	  The two oracles of "is this object new": by name (lint, plan,
 *	  register) and by catalog (the guard).  See newness.h.
 *
 * The reach rules are the same for both: a statement on a relation
 * reaches its partitions and inheritance children (unless ONLY), the typed
 * tables of a composite type, the sequences its tables own (TRUNCATE: only
 * with RESTART IDENTITY) and, for TRUNCATE ... CASCADE, the tables that
 * reference it by foreign key.  The catalog oracle follows pg_inherits,
 * pg_class.reloftype, pg_depend and pg_constraint; the by-name oracle
 * follows what the script itself did (PARTITION OF, INHERITS, ATTACH
 * PARTITION, INHERIT, OF, OWNED BY, REFERENCES) and, for relations that
 * exist already, the catalog.
 *
 * Only the catalog oracle knows what holds nothing at run time: a missing
 * object, a table that was never written, an invalid index.  The by-name
 * oracle cannot: a missing object may be created by an earlier pending
 * migration, a table empty at registration may be written before the
 * migration applies.  Lint therefore reports such statements and the guard
 * lets them through; that is the one way the two may differ, and always in
 * the safe direction (a declared finding the guard does not need).
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
#include "catalog/objectaddress.h"
#include "catalog/pg_attrdef.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_index.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_policy.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_publication.h"
#include "catalog/pg_rewrite.h"
#include "catalog/pg_sequence.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "commands/extension.h"
#include "commands/sequence.h"
#include "commands/trigger.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_func.h"
#include "parser/parse_type.h"
#include "rewrite/rewriteSupport.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "migrator.h"
#include "newness.h"

/* An object created by an earlier statement (by-name oracle). */
typedef struct NewObject
{
	NewKind		kind;
	char	   *schema;			/* as written, NULL when unqualified */
	char	   *name;
	char	   *on_schema;		/* triggers and rules: their relation */
	char	   *on_name;
	bool		temporary;
	int			xact;			/* transaction it was created in */
} NewObject;

/* "from" reaches "to" (by-name oracle). */
typedef struct NewLinkItem
{
	NewLink		link;
	RangeVar   *from;
	RangeVar   *to;
} NewLinkItem;

struct Oracle
{
	bool		by_catalog;
	Oid			own_namespace;	/* migrator's schema, or InvalidOid */
	Oid			(*own_namespace_lookup) (void);	/* NULL once looked up */

	/* by name */
	int			xact;			/* current transaction, counted from 1 */
	List	   *created;		/* NewObject */
	List	   *links;			/* NewLinkItem */
	List	   *redefined;		/* NewObject: old objects redefined (CREATE
								 * OR REPLACE), named by their identity */
};

/*
 * A by-name oracle for one script, or for the migrations of a plan.
 */
Oracle *
oracle_by_name(void)
{
	Oracle	   *o = palloc0(sizeof(Oracle));

	o->xact = 1;
	o->own_namespace = get_namespace_oid("migrator", true);
	if (OidIsValid(o->own_namespace) && !OidIsValid(get_extension_oid("migrator", true)))
		o->own_namespace = InvalidOid;
	return o;
}

/*
 * The catalog oracle of the guard.  "own_namespace_lookup" returns
 * migrator's schema (InvalidOid when the extension is not installed); it
 * is called only when a statement may alter migrator's own objects, so
 * that other statements, transaction control in an aborted transaction
 * among them, are judged without catalog access.
 */
Oracle *
oracle_by_catalog(Oid (*own_namespace_lookup) (void))
{
	Oracle	   *o = palloc0(sizeof(Oracle));

	o->by_catalog = true;
	o->own_namespace_lookup = own_namespace_lookup;
	return o;
}

bool
oracle_is_by_catalog(Oracle *o)
{
	return o->by_catalog;
}

/* migrator's own schema (its objects fire alter_migrator), or InvalidOid. */
Oid
oracle_own_namespace(Oracle *o)
{
	if (o->own_namespace_lookup)
	{
		o->own_namespace = o->own_namespace_lookup();
		o->own_namespace_lookup = NULL;
	}
	return o->own_namespace;
}

/*
 * By name: what was created so far no longer counts as new for
 * destruction.
 */
void
oracle_next_transaction(Oracle *o)
{
	o->xact++;
}

/* ---------------------------------------------------------------------
 * By catalog
 * ---------------------------------------------------------------------
 */

/*
 * Catalog oracle state of the transaction.  Did a statement of this
 * transaction make a sequence owned by a column (CREATE or ALTER SEQUENCE
 * ... OWNED BY, catalog_note_owned_by())?  Only then can a table created
 * in the transaction own an old sequence, which a statement on the new
 * table would drop or move.  True until the first transaction ends in a
 * session that loaded the library mid-transaction: the hook has not seen
 * its statements.
 */
static bool owned_by_changed = true;

/* object_created_in_current_xact()'s answers, per transaction */
static HTAB *created_cache = NULL;
static bool callbacks_registered = false;

static void
newness_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			created_cache = NULL;	/* in TopTransactionContext */
			owned_by_changed = false;
			break;
		default:
			break;
	}
}

static void
newness_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
						 SubTransactionId parentSubid, void *arg)
{
	/* what was created in the aborted subtransaction is gone */
	if (event == SUBXACT_EVENT_ABORT_SUB && created_cache)
	{
		hash_destroy(created_cache);
		created_cache = NULL;
	}
}

/* The cache and its callbacks, on first use. */
static void
newness_register_callbacks(void)
{
	if (callbacks_registered)
		return;
	RegisterXactCallback(newness_xact_callback, NULL);
	RegisterSubXactCallback(newness_subxact_callback, NULL);
	callbacks_registered = true;
}

/*
 * A statement made a sequence owned by a column (the guard tells, from
 * the statement's facts).
 */
void
catalog_note_owned_by(void)
{
	owned_by_changed = true;
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

		newness_register_callbacks();
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
 * TRUNCATE takes next anyway: no row can arrive between the judgement and
 * the TRUNCATE.  The lock is waited for as TRUNCATE itself would wait
 * (lock_timeout and deadlock detection apply as to the statement), so the
 * verdict never depends on whether another session happens to hold a lock
 * at this moment: a refused TRUNCATE in a parallel pg_restore, whose COPY
 * then runs in an aborted transaction, loses the table's rows.
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
	held = LockHeldByMe(&tag, AccessExclusiveLock, false);
	if (!held)
	{
		MemoryContext oldcxt;

		LockRelationOid(relid, AccessExclusiveLock);
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
catalog_relation_exempt(RangeVar *rv, bool inh)
{
	Oid			relid;

	if (rv == NULL)
		return false;
	relid = RangeVarGetRelid(rv, NoLock, true);
	return !OidIsValid(relid) || relation_family_is_exempt(relid, inh);
}

static bool catalog_truncate_reach_is_exempt(TruncateStmt *ts);

/*
 * TRUNCATE: every relation it empties is exempt or empty, the tables that
 * reference them by foreign key included when it cascades.  When it is
 * not exempt, the locks relid_is_empty() took go at once: the statement
 * may be refused, and the events row of the refusal is written by another
 * process that must not wait for them.
 */
static bool
catalog_truncate_exempt(TruncateStmt *ts)
{
	bool		exempt;
	ListCell   *lc;

	truncate_locked = NIL;
	exempt = catalog_truncate_reach_is_exempt(ts);
	if (!exempt)
		foreach(lc, truncate_locked)
			UnlockRelationOid(lfirst_oid(lc), AccessExclusiveLock);
	list_free(truncate_locked);
	truncate_locked = NIL;
	return exempt;
}

static bool
catalog_truncate_reach_is_exempt(TruncateStmt *ts)
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
 * Is "rv" an invalid index, e.g. left behind by a failed CREATE INDEX
 * CONCURRENTLY?  No query uses it, so dropping it destroys nothing (the
 * deploy worker drops such leftovers before it retries a migration).  Its
 * OID is appended to *invalid when given.
 */
static bool
index_is_invalid(RangeVar *rv, List **invalid_out)
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
	if (invalid && invalid_out)
		*invalid_out = lappend_oid(*invalid_out, relid);
	return invalid;
}

/*
 * The trigger "name" on "rel", and the triggers of the same name on its
 * partitions (disabling on a partitioned table goes along; CREATE OR
 * REPLACE TRIGGER on the parent adopts an old one of a partition), were
 * created in this transaction.
 */
static bool
catalog_trigger_exempt(RangeVar *rel, const char *name)
{
	Oid			relid = RangeVarGetRelid(rel, NoLock, true);
	ListCell   *rc;

	if (!OidIsValid(relid))
		return false;
	foreach(rc, find_all_inheritors(relid, NoLock, NULL))
	{
		Oid			oid = get_trigger_oid(lfirst_oid(rc), name, true);

		if (lfirst_oid(rc) == relid && !OidIsValid(oid))
			return false;
		if (OidIsValid(oid) && !object_is_exempt(TriggerRelationId, oid))
			return false;
	}
	return true;
}

/* The rule "name" on "rel" was created in this transaction. */
static bool
catalog_rule_exempt(RangeVar *rel, const char *name)
{
	Oid			relid = RangeVarGetRelid(rel, NoLock, true);
	Oid			oid;

	if (!OidIsValid(relid))
		return false;
	oid = get_rewrite_oid(relid, name, true);
	return OidIsValid(oid) && object_created_in_current_xact(RewriteRelationId, oid);
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
 * Was the object (classid, objid) created in the current transaction?
 * For the objects a statement drops (the guard's policy).
 */
bool
catalog_object_is_new(Oid classid, Oid objid)
{
	return object_created_in_current_xact(classid, objid);
}

/*
 * Was column "attnum" of relation "relid" added in the current
 * transaction?
 */
bool
catalog_column_is_new(Oid relid, int32 attnum)
{
	ScanKeyData key[2];

	ScanKeyInit(&key[0], Anum_pg_attribute_attrelid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(relid));
	ScanKeyInit(&key[1], Anum_pg_attribute_attnum, BTEqualStrategyNumber,
				F_INT2EQ, Int16GetDatum((int16) attnum));
	return catalog_row_created_in_current_xact(AttributeRelationId,
											   AttributeRelidNumIndexId, key, 2);
}

/* ---------------------------------------------------------------------
 * By name
 * ---------------------------------------------------------------------
 */

/* Is a schema name a temporary schema (pg_temp, or pg_temp_N)? */
static bool
schema_is_temporary(const char *schema)
{
	return schema != NULL && strncmp(schema, "pg_temp", 7) == 0;
}

/*
 * Do two names match?  The names must be equal, and the schemas equal or
 * one of them left out (as lint has always matched them).
 */
static bool
names_match(const char *schema1, const char *name1,
			const char *schema2, const char *name2)
{
	if (name1 == NULL || name2 == NULL || strcmp(name1, name2) != 0)
		return false;
	return schema1 == NULL || schema2 == NULL || strcmp(schema1, schema2) == 0;
}

/* Split a qualified name list into schema (or NULL) and name. */
static void
split_names(List *names, char **schema, char **name)
{
	*schema = NULL;
	*name = NULL;
	if (names == NIL)
		return;
	*name = strVal(llast(names));
	if (list_length(names) >= 2)
		*schema = strVal(list_nth(names, list_length(names) - 2));
}

/*
 * Remember that an earlier statement created an object of "kind" named
 * "names" (a qualified name list); "on" is the relation of a trigger or
 * rule.
 */
void
oracle_note_created(Oracle *o, NewKind kind, List *names, RangeVar *on,
					bool temporary)
{
	NewObject  *obj;
	char	   *schema;
	char	   *name;

	if (o->by_catalog)
		return;
	split_names(names, &schema, &name);
	if (name == NULL)
		return;
	obj = palloc0(sizeof(NewObject));
	obj->kind = kind;
	obj->schema = schema ? pstrdup(schema) : NULL;
	obj->name = pstrdup(name);
	if (on)
	{
		obj->on_schema = on->schemaname ? pstrdup(on->schemaname) : NULL;
		obj->on_name = pstrdup(on->relname);
	}
	obj->temporary = temporary || schema_is_temporary(schema);
	obj->xact = o->xact;
	o->created = lappend(o->created, obj);
}

/* A relation created by an earlier statement. */
void
oracle_note_relation(Oracle *o, RangeVar *rv)
{
	List	   *names;

	if (o->by_catalog || rv == NULL)
		return;
	names = rv->schemaname
		? list_make2(makeString(rv->schemaname), makeString(rv->relname))
		: list_make1(makeString(rv->relname));
	oracle_note_created(o, NEW_RELATION, names, NULL,
						rv->relpersistence == RELPERSISTENCE_TEMP);
}

/* "from" reaches "to" from now on (see NewLink). */
void
oracle_note_link(Oracle *o, NewLink link, RangeVar *from, RangeVar *to)
{
	NewLinkItem *item;

	if (o->by_catalog || from == NULL || to == NULL)
		return;
	item = palloc0(sizeof(NewLinkItem));
	item->link = link;
	item->from = from;
	item->to = to;
	o->links = lappend(o->links, item);
}

/*
 * An object that existed before was redefined (CREATE OR REPLACE VIEW or
 * FUNCTION): it may now depend on new objects, and a CASCADE that drops
 * those takes it along.  "identity" names it as
 * pg_event_trigger_dropped_objects() would.
 */
void
oracle_note_redefined(Oracle *o, const char *identity)
{
	NewObject  *obj;

	if (o->by_catalog)
		return;
	obj = palloc0(sizeof(NewObject));
	obj->kind = NEW_RELATION;
	obj->name = pstrdup(identity);
	obj->xact = o->xact;
	o->redefined = lappend(o->redefined, obj);
}

/*
 * By name: the old objects redefined in this transaction (identities), as
 * the objects an exempt statement's CASCADE may take along.  By catalog:
 * NIL: the guard's object access hook sees what it takes.
 */
List *
oracle_cascade_victims(Oracle *o)
{
	List	   *result = NIL;
	ListCell   *lc;

	foreach(lc, o->redefined)
	{
		NewObject  *obj = lfirst(lc);

		if (obj->xact == o->xact)
			result = lappend(result, obj->name);
	}
	return result;
}

/*
 * The object of "kind" named (schema, name) created by an earlier
 * statement, in the current transaction unless "any_xact"; or NULL.
 */
static NewObject *
find_created(Oracle *o, NewKind kind, const char *schema, const char *name,
			 bool any_xact)
{
	ListCell   *lc;

	foreach(lc, o->created)
	{
		NewObject  *obj = lfirst(lc);

		if (obj->kind != kind || !names_match(obj->schema, obj->name, schema, name))
			continue;
		if (any_xact || obj->temporary || obj->xact == o->xact)
			return obj;
	}
	return NULL;
}

/*
 * Is relation "rv" temporary: so written, or so in the catalog?
 */
static bool
rangevar_is_temporary(RangeVar *rv)
{
	Oid			relid;

	if (rv->relpersistence == RELPERSISTENCE_TEMP || schema_is_temporary(rv->schemaname))
		return true;
	relid = RangeVarGetRelid(rv, NoLock, true);
	return OidIsValid(relid) && get_rel_persistence(relid) == RELPERSISTENCE_TEMP;
}

/* Relation "rv" itself is temporary or created in this transaction. */
static bool
name_relation_itself_exempt(Oracle *o, RangeVar *rv)
{
	return find_created(o, NEW_RELATION, rv->schemaname, rv->relname, false) != NULL ||
		rangevar_is_temporary(rv);
}

/* A RangeVar naming the catalog's relation "relid". */
static RangeVar *
rangevar_of(Oid relid)
{
	return makeRangeVar(get_namespace_name(get_rel_namespace(relid)),
						get_rel_name(relid), -1);
}

/*
 * By name: relation "rv" and everything a statement on it reaches are
 * exempt.  "inh": partitions and children count (no ONLY); "truncating":
 * owned sequences only with "restart_seqs".  Relations reached are
 * appended to *reached.
 */
static bool
name_family_exempt(Oracle *o, RangeVar *rv, bool inh, bool truncating,
				   bool restart_seqs, List **reached, int depth)
{
	ListCell   *lc;
	Oid			relid;

	if (depth > 64 || !name_relation_itself_exempt(o, rv))
		return false;
	if (reached)
		*reached = lappend(*reached, rv);

	/* What the script linked to it. */
	foreach(lc, o->links)
	{
		NewLinkItem *item = lfirst(lc);

		if (!names_match(item->from->schemaname, item->from->relname,
						 rv->schemaname, rv->relname))
			continue;
		switch (item->link)
		{
			case LINK_CHILD:
				if (inh && !name_family_exempt(o, item->to, true, truncating,
											   restart_seqs, reached, depth + 1))
					return false;
				break;
			case LINK_TYPED:
				if (!name_family_exempt(o, item->to, true, truncating,
										restart_seqs, reached, depth + 1))
					return false;
				break;
			case LINK_OWNED:
				if ((!truncating || restart_seqs) &&
					!name_relation_itself_exempt(o, item->to))
					return false;
				break;
			case LINK_REFERENCED_BY:
				break;			/* TRUNCATE ... CASCADE only */
		}
	}

	/* What the catalog links to it, when it exists already. */
	relid = RangeVarGetRelid(rv, NoLock, true);
	if (OidIsValid(relid) && get_rel_persistence(relid) != RELPERSISTENCE_TEMP)
	{
		List	   *rels = inh ? find_all_inheritors(relid, NoLock, NULL) : NIL;

		foreach(lc, rels)
			if (lfirst_oid(lc) != relid &&
				!name_relation_itself_exempt(o, rangevar_of(lfirst_oid(lc))))
				return false;
		foreach(lc, getOwnedSequences(relid))
			if ((!truncating || restart_seqs) &&
				!name_relation_itself_exempt(o, rangevar_of(lfirst_oid(lc))))
				return false;
	}
	return true;
}

/* By name, TRUNCATE: every relation it empties, cascades included. */
static bool
name_truncate_exempt(Oracle *o, TruncateStmt *ts)
{
	List	   *reached = NIL;
	ListCell   *lc;

	foreach(lc, ts->relations)
		if (!name_family_exempt(o, lfirst_node(RangeVar, lc), lfirst_node(RangeVar, lc)->inh,
								true, ts->restart_seqs, &reached, 0))
			return false;
	if (ts->behavior != DROP_CASCADE)
		return true;
	/* Tables the script made reference a reached one; the list grows. */
	foreach(lc, reached)
	{
		RangeVar   *rv = lfirst(lc);
		ListCell   *kc;

		foreach(kc, o->links)
		{
			NewLinkItem *item = lfirst(kc);

			if (item->link == LINK_REFERENCED_BY &&
				names_match(item->from->schemaname, item->from->relname,
							rv->schemaname, rv->relname) &&
				!name_family_exempt(o, item->to, true, true, ts->restart_seqs,
									&reached, 0))
				return false;
		}
	}
	return true;
}

/* ---------------------------------------------------------------------
 * The questions of analyze.c
 * ---------------------------------------------------------------------
 */

/*
 * Was relation "rv" created by an earlier statement of the script, in any
 * of its transactions?  It holds no rows yet: locking or rewriting it is
 * no hazard.  By catalog: created in the current transaction.
 */
bool
oracle_relation_is_new(Oracle *o, RangeVar *rv)
{
	Oid			relid;

	if (rv == NULL)
		return false;
	if (!o->by_catalog)
		return find_created(o, NEW_RELATION, rv->schemaname, rv->relname, true) != NULL;
	relid = RangeVarGetRelid(rv, NoLock, true);
	return OidIsValid(relid) && object_created_in_current_xact(RelationRelationId, relid);
}

/*
 * Relation "rv", with everything a statement on it reaches (partitions and
 * children unless "inh" is false, typed tables, owned sequences), is
 * temporary or new in this transaction.
 */
bool
oracle_relation_exempt(Oracle *o, RangeVar *rv, bool inh)
{
	if (rv == NULL)
		return false;
	if (o->by_catalog)
		return catalog_relation_exempt(rv, inh);
	return name_family_exempt(o, rv, inh, false, false, NULL, 0);
}

/* TRUNCATE empties only what is exempt (or, by catalog, empty). */
bool
oracle_truncate_exempt(Oracle *o, TruncateStmt *ts)
{
	if (o->by_catalog)
		return catalog_truncate_exempt(ts);
	return name_truncate_exempt(o, ts);
}

/*
 * DROP INDEX "rv": the index (and its partitions' indexes) is exempt, or
 * it is invalid (then appended to *invalid, for the judgement of what the
 * statement drops).
 */
bool
oracle_index_exempt(Oracle *o, RangeVar *rv, List **invalid)
{
	return oracle_relation_exempt(o, rv, true) || index_is_invalid(rv, invalid);
}

/* DROP TYPE or DOMAIN. */
bool
oracle_type_exempt(Oracle *o, TypeName *type)
{
	Oid			typid = LookupTypeNameOid(NULL, type, true);
	char	   *schema;
	char	   *name;
	HeapTuple	tuple;
	bool		temporary = false;

	if (o->by_catalog)
		return !OidIsValid(typid) || object_is_exempt(TypeRelationId, typid);
	split_names(type->names, &schema, &name);
	if (find_created(o, NEW_TYPE, schema, name, false) || schema_is_temporary(schema))
		return true;
	if (!OidIsValid(typid))
		return false;
	tuple = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
	if (HeapTupleIsValid(tuple))
	{
		temporary = isAnyTempNamespace(((Form_pg_type) GETSTRUCT(tuple))->typnamespace);
		ReleaseSysCache(tuple);
	}
	return temporary;
}

/* DROP FUNCTION, PROCEDURE, ROUTINE or AGGREGATE. */
bool
oracle_function_exempt(Oracle *o, ObjectType objtype, ObjectWithArgs *func)
{
	char	   *schema;
	char	   *name;

	if (o->by_catalog)
	{
		Oid			funcid = LookupFuncWithArgs(objtype, func, true);

		return !OidIsValid(funcid) || object_is_exempt(ProcedureRelationId, funcid);
	}
	split_names(func->objname, &schema, &name);
	return find_created(o, NEW_FUNCTION, schema, name, false) != NULL ||
		schema_is_temporary(schema);
}

/* DROP SCHEMA. */
bool
oracle_schema_exempt(Oracle *o, const char *name)
{
	if (o->by_catalog)
	{
		Oid			nspid = get_namespace_oid(name, true);

		return !OidIsValid(nspid) || object_is_exempt(NamespaceRelationId, nspid);
	}
	return find_created(o, NEW_SCHEMA, NULL, name, false) != NULL;
}

/* The trigger "name" on "rel" (and on its partitions) is new. */
bool
oracle_trigger_exempt(Oracle *o, RangeVar *rel, const char *name)
{
	ListCell   *lc;

	Oid			relid;

	if (o->by_catalog)
		return catalog_trigger_exempt(rel, name);
	foreach(lc, o->created)
	{
		NewObject  *obj = lfirst(lc);

		if (obj->kind == NEW_TRIGGER && obj->xact == o->xact &&
			strcmp(obj->name, name) == 0 &&
			names_match(obj->on_schema, obj->on_name, rel->schemaname, rel->relname))
			break;
	}
	if (lc == NULL)
		return false;

	/*
	 * A trigger of that name that a partition has already is old: CREATE OR
	 * REPLACE TRIGGER on the parent adopts it, and disabling goes along.
	 */
	relid = RangeVarGetRelid(rel, NoLock, true);
	if (OidIsValid(relid))
	{
		foreach(lc, find_all_inheritors(relid, NoLock, NULL))
			if (OidIsValid(get_trigger_oid(lfirst_oid(lc), name, true)))
				return false;
	}
	return true;
}

/* The rule "name" on "rel" is new. */
bool
oracle_rule_exempt(Oracle *o, RangeVar *rel, const char *name)
{
	ListCell   *lc;

	if (o->by_catalog)
		return catalog_rule_exempt(rel, name);
	foreach(lc, o->created)
	{
		NewObject  *obj = lfirst(lc);

		if (obj->kind == NEW_RULE && obj->xact == o->xact &&
			strcmp(obj->name, name) == 0 &&
			names_match(obj->on_schema, obj->on_name, rel->schemaname, rel->relname))
			return true;
	}
	return false;
}

/*
 * Extension "extoid" is exempt with what DROP EXTENSION takes along: its
 * members, and the objects marked DEPENDS ON EXTENSION, must be exempt
 * too (an old table added to a new extension, an old index marked as
 * depending on it, would go with it).
 */
static bool
extension_and_members_exempt(Oid extoid)
{
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData key[2];
	HeapTuple	tuple;
	bool		exempt;

	if (!object_is_exempt(ExtensionRelationId, extoid))
		return false;
	exempt = true;
	rel = table_open(DependRelationId, AccessShareLock);
	ScanKeyInit(&key[0], Anum_pg_depend_refclassid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(ExtensionRelationId));
	ScanKeyInit(&key[1], Anum_pg_depend_refobjid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(extoid));
	scan = systable_beginscan(rel, DependReferenceIndexId, true, NULL, 2, key);
	while (exempt && HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_depend dep = (Form_pg_depend) GETSTRUCT(tuple);

		if (dep->deptype != DEPENDENCY_EXTENSION &&
			dep->deptype != DEPENDENCY_AUTO_EXTENSION)
			continue;
		if (dep->classid == RelationRelationId
			? !relation_family_is_exempt(dep->objid, true)
			: !object_is_exempt(dep->classid, dep->objid))
			exempt = false;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return exempt;
}

/*
 * By catalog: the object of kind "objtype" that "object" names (as in a
 * DropStmt, RenameStmt or AlterObjectSchemaStmt) is exempt: missing (the
 * statement then does nothing, or fails), temporary, created in this
 * transaction, or a member of the extension whose script runs.  Triggers
 * are judged with their partitions' clones, extensions with what they
 * take along.  The lock is the one the statement takes next anyway.
 */
static bool
catalog_named_object_exempt(ObjectType objtype, Node *object)
{
	ObjectAddress addr;
	Relation	rel = NULL;

	switch (objtype)
	{
		case OBJECT_TYPE:
		case OBJECT_DOMAIN:
			{
				TypeName   *type = IsA(object, TypeName) ? (TypeName *) object
				: makeTypeNameFromNameList(castNode(List, object));
				Oid			typid = LookupTypeNameOid(NULL, type, true);

				return !OidIsValid(typid) || object_is_exempt(TypeRelationId, typid);
			}
		case OBJECT_TABLE:
		case OBJECT_VIEW:
		case OBJECT_MATVIEW:
		case OBJECT_SEQUENCE:
		case OBJECT_FOREIGN_TABLE:
		case OBJECT_INDEX:
			return catalog_relation_exempt(makeRangeVarFromNameList(castNode(List, object)),
										   true);
		default:
			break;
	}
	addr = get_object_address(objtype, object, &rel, AccessExclusiveLock, true);
	if (rel)
		relation_close(rel, NoLock);
	if (!OidIsValid(addr.objectId))
		return true;
	switch (objtype)
	{
		case OBJECT_TRIGGER:
			{
				List	   *names = castNode(List, object);

				return catalog_trigger_exempt(makeRangeVarFromNameList(list_truncate(list_copy(names),
																					 list_length(names) - 1)),
											  strVal(llast(names)));
			}
		case OBJECT_EXTENSION:
			return extension_and_members_exempt(addr.objectId);
		default:
			return object_is_exempt(addr.classId, addr.objectId);
	}
}

/*
 * By name: the object of kind "objtype" named by "object" was created by
 * an earlier statement of the script, in this transaction.  Kinds the
 * script does not note are never new by name.
 */
static bool
name_named_object_exempt(Oracle *o, ObjectType objtype, Node *object)
{
	List	   *names;
	char	   *schema;
	char	   *name;

	switch (objtype)
	{
		case OBJECT_TYPE:
		case OBJECT_DOMAIN:
			return oracle_type_exempt(o, IsA(object, TypeName) ? (TypeName *) object
									  : makeTypeNameFromNameList(castNode(List, object)));
		case OBJECT_FUNCTION:
		case OBJECT_PROCEDURE:
		case OBJECT_ROUTINE:
		case OBJECT_AGGREGATE:
			return oracle_function_exempt(o, objtype, castNode(ObjectWithArgs, object));
		case OBJECT_TABLE:
		case OBJECT_VIEW:
		case OBJECT_MATVIEW:
		case OBJECT_SEQUENCE:
		case OBJECT_FOREIGN_TABLE:
		case OBJECT_INDEX:
			return oracle_relation_exempt(o, makeRangeVarFromNameList(castNode(List, object)),
										  true);
		case OBJECT_SCHEMA:
			return oracle_schema_exempt(o, strVal(object));
		case OBJECT_PUBLICATION:
			return find_created(o, NEW_PUBLICATION, NULL, strVal(object), false) != NULL;
		case OBJECT_EXTENSION:
			return find_created(o, NEW_EXTENSION, NULL, strVal(object), false) != NULL;
		case OBJECT_STATISTIC_EXT:
			split_names(castNode(List, object), &schema, &name);
			return find_created(o, NEW_STATISTICS, schema, name, false) != NULL;
		case OBJECT_TRIGGER:
		case OBJECT_RULE:
		case OBJECT_POLICY:
			{
				RangeVar   *rel;
				ListCell   *lc;

				names = castNode(List, object);
				if (list_length(names) < 2)
					return false;
				rel = makeRangeVarFromNameList(list_truncate(list_copy(names),
															 list_length(names) - 1));
				name = strVal(llast(names));
				if (objtype == OBJECT_TRIGGER)
					return oracle_trigger_exempt(o, rel, name);
				if (objtype == OBJECT_RULE)
					return oracle_rule_exempt(o, rel, name);
				foreach(lc, o->created)
				{
					NewObject  *obj = lfirst(lc);

					if (obj->kind == NEW_POLICY && obj->xact == o->xact &&
						strcmp(obj->name, name) == 0 &&
						names_match(obj->on_schema, obj->on_name, rel->schemaname, rel->relname))
						return true;
				}
				return false;
			}
		default:
			return false;
	}
}

/*
 * DROP of another kind of object (operator, cast, policy, publication,
 * extension, statistics, ...): exempt when the object is missing (by
 * catalog), new in this transaction, or, inside an extension script, one
 * of the extension's own objects.
 */
bool
oracle_other_object_exempt(Oracle *o, ObjectType objtype, Node *object)
{
	return oracle_named_object_exempt(o, objtype, object);
}

/*
 * The object "object" of kind "objtype" (as a DropStmt, RenameStmt or
 * AlterObjectSchemaStmt names it) is exempt: see
 * catalog_named_object_exempt() and name_named_object_exempt().
 */
bool
oracle_named_object_exempt(Oracle *o, ObjectType objtype, Node *object)
{
	if (object == NULL)
		return false;
	if (o->by_catalog)
		return catalog_named_object_exempt(objtype, object);
	return name_named_object_exempt(o, objtype, object);
}

/*
 * DROP ROLE: the role is missing (IF EXISTS), or was created in this
 * transaction (by catalog; by name never: lint does not follow roles).
 */
bool
oracle_role_exempt(Oracle *o, RoleSpec *role)
{
	Oid			roleid;

	if (!o->by_catalog || role == NULL || role->roletype != ROLESPEC_CSTRING)
		return false;
	roleid = get_role_oid(role->rolename, true);
	return !OidIsValid(roleid) || object_created_in_current_xact(AuthIdRelationId, roleid);
}

/* By name: the part "name" of kind "kind" of relation "rel" is new. */
static bool
name_part_is_new(Oracle *o, NewKind kind, RangeVar *rel, const char *name)
{
	ListCell   *lc;

	foreach(lc, o->created)
	{
		NewObject  *obj = lfirst(lc);

		if (obj->kind == kind && obj->xact == o->xact &&
			strcmp(obj->name, name) == 0 &&
			names_match(obj->on_schema, obj->on_name, rel->schemaname, rel->relname))
			return true;
	}
	return false;
}

/*
 * Column "column" of relation "rel" was added in this transaction (so it
 * holds no committed value), in the relation and in every inheritance
 * child that has it; or, by catalog, it is missing (DROP COLUMN IF EXISTS
 * drops nothing).  An extension script's own relation counts too.
 */
bool
oracle_column_exempt(Oracle *o, RangeVar *rel, const char *column)
{
	Oid			relid;
	ListCell   *lc;

	if (rel == NULL || column == NULL)
		return false;
	if (!o->by_catalog)
		return name_part_is_new(o, NEW_COLUMN, rel, column);
	relid = RangeVarGetRelid(rel, NoLock, true);
	if (!OidIsValid(relid))
		return true;
	/* a composite type's attribute reaches its typed tables: not here */
	if (get_rel_relkind(relid) == RELKIND_COMPOSITE_TYPE)
		return false;
	foreach(lc, find_all_inheritors(relid, NoLock, NULL))
	{
		AttrNumber	attnum = get_attnum(lfirst_oid(lc), column);

		if (attnum == InvalidAttrNumber)
			continue;
		if (!catalog_column_is_new(lfirst_oid(lc), attnum))
			return false;
	}
	return true;
}

/*
 * Constraint "conname" of relation "rel" was added in this transaction,
 * or, by catalog, is missing.
 */
bool
oracle_constraint_exempt(Oracle *o, RangeVar *rel, const char *conname)
{
	Oid			relid;
	Oid			conoid;
	ListCell   *lc;

	if (rel == NULL || conname == NULL)
		return false;
	if (!o->by_catalog)
		return name_part_is_new(o, NEW_CONSTRAINT, rel, conname);
	relid = RangeVarGetRelid(rel, NoLock, true);
	if (!OidIsValid(relid))
		return true;
	if (get_rel_relkind(relid) == RELKIND_COMPOSITE_TYPE)
		return false;
	/* the inherited copies go too */
	foreach(lc, find_all_inheritors(relid, NoLock, NULL))
	{
		conoid = get_relation_constraint_oid(lfirst_oid(lc), conname, true);
		if (OidIsValid(conoid) &&
			!object_created_in_current_xact(ConstraintRelationId, conoid))
			return false;
	}
	return true;
}

/*
 * A RESTART (of sequence "rel", or of the identity of column "column" of
 * table "rel") that lies beyond every value drawn destroys nothing.  Only
 * the catalog knows the values; by name a restart is judged.
 */
bool
oracle_sequence_restart_exempt(Oracle *o, RangeVar *rel, const char *column,
							   List *options)
{
	Oid			relid;
	Oid			seqid;

	if (!o->by_catalog || rel == NULL)
		return false;
	relid = RangeVarGetRelid(rel, NoLock, true);
	if (!OidIsValid(relid))
		return column == NULL;	/* a missing sequence destroys nothing */
	if (column == NULL)
		seqid = relid;
	else
	{
		AttrNumber	attnum = get_attnum(relid, column);

		seqid = attnum == InvalidAttrNumber ? InvalidOid
			: identity_sequence(relid, attnum, true);
	}
	return OidIsValid(seqid) && sequence_restart_destroys_nothing(seqid, options);
}

/*
 * CREATE OR REPLACE TRIGGER "name" on "rel": the trigger it replaces is
 * new (or there is none).
 */
bool
oracle_replaced_trigger_exempt(Oracle *o, RangeVar *rel, const char *name)
{
	Oid			relid;
	Oid			trigid;

	if (!o->by_catalog)
		return oracle_trigger_exempt(o, rel, name);
	relid = RangeVarGetRelid(rel, NoLock, true);
	trigid = OidIsValid(relid) ? get_trigger_oid(relid, name, true) : InvalidOid;
	return !OidIsValid(trigid) || object_is_exempt(TriggerRelationId, trigid);
}

/* ALTER PUBLICATION of a publication created in this transaction. */
bool
oracle_publication_exempt(Oracle *o, const char *name)
{
	Oid			pubid;

	if (!o->by_catalog)
		return find_created(o, NEW_PUBLICATION, NULL, name, false) != NULL;
	pubid = get_publication_oid(name, true);
	return !OidIsValid(pubid) || object_is_exempt(PublicationRelationId, pubid);
}

/*
 * By catalog, for the guard's judgement of dropped objects: is the object
 * temporary, new in this transaction, or a member of the extension whose
 * script runs?  Is relation "relid" so (one that no longer exists destroys
 * nothing)?  Is the object a member of that extension?
 */
bool
catalog_object_is_exempt(Oid classid, Oid objid)
{
	return object_is_exempt(classid, objid);
}

bool
catalog_relid_is_exempt(Oid relid)
{
	return relid_is_exempt(relid);
}

bool
catalog_object_is_extension_member(Oid classid, Oid objid)
{
	return object_is_extension_member(classid, objid);
}
