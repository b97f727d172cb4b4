/*-------------------------------------------------------------------------
 *
 * citus.c
 *	  migrator on a Citus cluster (docs/citus.md).
 *
 * The history lives on the coordinator; every node preloads the library
 * and has the extension, so that the guard judges what reaches it.  DDL
 * that Citus propagates from a coordinator statement reaches the workers'
 * guards as ordinary statements (on the shell table, and on each shard
 * through worker_apply_shard_ddl_command()), run by the same role.  For
 * the DDL of a statement the coordinator's guard let through, the
 * coordinator issues an authority: the (rule, object) pairs it covers,
 * expanded to the names they take on every shard, signed with a key that
 * every node reads from a file in its data directory
 * (migrator.cluster_key_file), and bound to the role, the database and the
 * time.  It travels as SET LOCAL migrator.cluster_authority, which Citus
 * sends to every worker connection of the distributed transaction (its
 * citus.propagate_set_commands, enabled for that one SET).  A worker's guard
 * covers a destructive statement when a valid authority names it.
 *
 * What Citus itself marks its connections with (application_name
 * "citus_internal ...", assign_distributed_transaction_id()) can be set by
 * any role, so it carries no authority here.  An authority cannot be made
 * without the key, which only the server's operating-system user can read;
 * one copied from a worker's pg_stat_activity serves only the same role,
 * in the same database, for five minutes, for the statements it names.
 *
 * Citus's own maintenance is recognised by what it drops: shards this node
 * holds no placement of (moved or split away: the cleanup of orphaned
 * shards), and the publications, subscriptions and roles its shard moves
 * and splits create, by their names.  Neither holds data the cluster uses.
 *
 * Everything here is looked up in the catalog at run time (the citus
 * extension, pg_dist_partition, pg_dist_shard, pg_dist_placement,
 * pg_dist_node, pg_dist_local_group, shard_name()): migrator never links
 * to Citus, and without it installed in the database every function
 * returns "no" after one cached lookup.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/stat.h>

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/index.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "commands/extension.h"
#include "common/hmac.h"
#include "common/sha2.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_func.h"
#include "parser/parse_type.h"
#include "storage/fd.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/varlena.h"

#include "migrator.h"
#include "citus.h"
#include "rules.h"
#include "session.h"

/* How long an authority is valid after the coordinator issued it. */
#define AUTHORITY_TTL_SECS	300

/* Shortest key: 32 bytes (64 hex digits). */
#define CLUSTER_KEY_MIN_BYTES	32
#define CLUSTER_KEY_MAX_BYTES	256

/* GUCs */
static char *cluster_key_file = NULL;
static char *cluster_authority = NULL;

/* Is Citus installed in this database?  Reset by syscache invalidation. */
static bool citus_cache_valid = false;
static bool citus_installed = false;

/* A (rule, object) pair an authority names. */
typedef struct AuthorityPermit
{
	char	   *rule;
	char	   *object;			/* NULL for rules without one (drop_cascade) */
	bool		shard;			/* names a shard (issuing node only) */
	SubTransactionId subid;		/* where issued (issuing node only) */
} AuthorityPermit;

/*
 * What this transaction issued (the coordinator): the permits of every
 * statement authorized so far, each authority names them all.  In
 * TopTransactionContext.
 */
static List *issued_permits = NIL;

/*
 * The last authority received (migrator.cluster_authority) and what its
 * verification gave: its permits and version, or the reason it is not
 * valid.  In TopTransactionContext.
 */
static char *verified_value = NULL;
static List *verified_permits = NIL;
static char *verified_version = NULL;
static char *verified_problem = NULL;

/* Set when a refusal should say why a received authority did not cover. */
static char *last_problem = NULL;

static void citus_xact_callback(XactEvent event, void *arg);
static void citus_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
								   SubTransactionId parentSubid, void *arg);

/*
 * Syscache callback: CREATE and DROP EXTENSION citus create and drop
 * schemas.
 */
static void
citus_invalidate(Datum arg, int cacheid, uint32 hashvalue)
{
	citus_cache_valid = false;
}

/*
 * Define the GUCs and the callbacks.  Both GUCs are read by the guard:
 * the key file is SIGHUP (only the server's configuration names it, and
 * only the server's operating-system user can read it); the authority is
 * USERSET because Citus's connections set it as the migration's own role,
 * and it is worth nothing without the key.
 */
void
CitusInit(void)
{
	DefineCustomStringVariable("migrator.cluster_key_file",
							   "File holding the key that signs migration authorities on a Citus cluster.",
							   "The same key on every node; relative to the data directory.  Empty: none.",
							   &cluster_key_file,
							   "",
							   PGC_SIGHUP, GUC_SUPERUSER_ONLY,
							   NULL, NULL, NULL);
	DefineCustomStringVariable("migrator.cluster_authority",
							   "Migration authority sent by a Citus coordinator (set by migrator itself).",
							   NULL,
							   &cluster_authority,
							   "",
							   PGC_USERSET, GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE | GUC_NO_RESET_ALL,
							   NULL, NULL, NULL);
	CacheRegisterSyscacheCallback(NAMESPACEOID, citus_invalidate, (Datum) 0);
	RegisterXactCallback(citus_xact_callback, NULL);
	RegisterSubXactCallback(citus_subxact_callback, NULL);
}

/*
 * End of transaction: what was issued and verified goes.
 */
static void
citus_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			issued_permits = NIL;
			verified_value = NULL;
			verified_permits = NIL;
			verified_version = NULL;
			verified_problem = NULL;
			last_problem = NULL;
			break;
		default:
			break;
	}
}

/*
 * Permits issued in a subtransaction that rolls back go with it, as Citus
 * undoes the SET LOCAL that carried them on the workers.
 */
static void
citus_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					   SubTransactionId parentSubid, void *arg)
{
	ListCell   *lc;

	if (event != SUBXACT_EVENT_ABORT_SUB && event != SUBXACT_EVENT_COMMIT_SUB)
		return;
	foreach(lc, issued_permits)
	{
		AuthorityPermit *p = lfirst(lc);

		if (p->subid != mySubid)
			continue;
		if (event == SUBXACT_EVENT_COMMIT_SUB)
			p->subid = parentSubid;
		else
			issued_permits = foreach_delete_current(issued_permits, lc);
	}
	if (event == SUBXACT_EVENT_ABORT_SUB)
	{
		/* the received value may be the one the subtransaction set */
		verified_value = NULL;
		verified_permits = NIL;
	}
}

/*
 * True when the citus extension is installed in the current database.
 */
bool
citus_present(void)
{
	if (!citus_cache_valid)
	{
		citus_installed = IsTransactionState() &&
			OidIsValid(get_extension_oid("citus", true));
		citus_cache_valid = IsTransactionState();
	}
	return citus_installed;
}

/* ---------------------------------------------------------------------
 * Citus metadata
 * ---------------------------------------------------------------------
 */

/*
 * Run a read-only query on Citus's catalog (readable by everyone) with
 * search_path pinned to pg_catalog, with the arguments "values" of "types";
 * return the first column of each row as a List of strings in the caller's
 * memory context.
 */
static List *
citus_query(const char *sql, int nargs, Oid *types, Datum *values)
{
	MemoryContext caller = CurrentMemoryContext;
	List	   *result = NIL;
	int			save_nestlevel = NewGUCNestLevel();
	uint64		i;

	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
							 true, 0, false);
	SPI_connect();
	if (SPI_execute_with_args(sql, nargs, types, values, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read Citus metadata: %s", sql);
	for (i = 0; i < SPI_processed; i++)
	{
		char	   *v = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
		MemoryContext old = MemoryContextSwitchTo(caller);

		result = lappend(result, v ? pstrdup(v) : NULL);
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
	AtEOXact_GUC(true, save_nestlevel);
	return result;
}

/* citus_query() with one argument, a relation's OID. */
static List *
citus_query_oid(const char *sql, Oid relid)
{
	Oid			type = OIDOID;
	Datum		value = ObjectIdGetDatum(relid);

	return citus_query(sql, 1, &type, &value);
}

/*
 * The Citus table (distributed, reference or Citus-managed local) that
 * "relid" is, or whose index it is; InvalidOid when none.
 */
static Oid
citus_table_of(Oid relid)
{
	char		relkind;
	Oid			table = relid;

	if (!citus_present() || !OidIsValid(relid))
		return InvalidOid;
	relkind = get_rel_relkind(relid);
	if (relkind == RELKIND_INDEX || relkind == RELKIND_PARTITIONED_INDEX)
		table = IndexGetRelation(relid, true);
	if (!OidIsValid(table))
		return InvalidOid;
	if (citus_query_oid("SELECT 1 FROM pg_catalog.pg_dist_partition "
						"WHERE logicalrelid OPERATOR(pg_catalog.=) $1",
						table) == NIL)
		return InvalidOid;
	return table;
}

/*
 * Is object (classid, objid) one Citus propagates the DDL of (a row of
 * pg_dist_object: views, sequences, types, functions, schemas)?
 */
static bool
citus_distributed_object(Oid classid, Oid objid)
{
	Oid			types[2] = {OIDOID, OIDOID};
	Datum		values[2] = {ObjectIdGetDatum(classid), ObjectIdGetDatum(objid)};

	if (!citus_present() || !OidIsValid(objid))
		return false;
	return citus_query("SELECT 1 FROM pg_catalog.pg_dist_object "
					   "WHERE classid OPERATOR(pg_catalog.=) $1 "
					   "AND objid OPERATOR(pg_catalog.=) $2",
					   2, types, values) != NIL;
}

/*
 * Is "relid" a Citus table with shards on other nodes: one whose rows a
 * single-node statement cannot lock row by row (backfill.c)?
 */
bool
citus_relation_is_distributed(Oid relid)
{
	return OidIsValid(citus_table_of(relid)) && get_rel_relkind(relid) != RELKIND_INDEX;
}

/* "schema.name" of a relation, unquoted, as relation_name() writes a RangeVar. */
static char *
relation_qualified(Oid relid)
{
	return psprintf("%s.%s", get_namespace_name(get_rel_namespace(relid)),
					get_rel_name(relid));
}

/*
 * The names every shard of Citus table "table" gives relation "relid" (the
 * table itself or one of its indexes), unquoted "schema.name".
 */
static List *
shard_names(Oid relid, Oid table)
{
	Oid			types[2] = {OIDOID, OIDOID};
	Datum		values[2] = {ObjectIdGetDatum(relid), ObjectIdGetDatum(table)};

	return citus_query("SELECT pg_catalog.array_to_string(pg_catalog.parse_ident("
					   "  pg_catalog.shard_name($1::pg_catalog.regclass, s.shardid, false)), '.') "
					   "FROM pg_catalog.pg_dist_shard s "
					   "WHERE s.logicalrelid OPERATOR(pg_catalog.=) $2 ORDER BY s.shardid",
					   2, types, values);
}

/* The partitions (at any depth) of "relid". */
static List *
partition_descendants(Oid relid)
{
	List	   *names;
	List	   *result = NIL;
	ListCell   *lc;

	if (get_rel_relkind(relid) != RELKIND_PARTITIONED_TABLE)
		return NIL;
	names = citus_query_oid("SELECT relid::pg_catalog.oid FROM pg_catalog.pg_partition_tree($1) "
							"WHERE level OPERATOR(pg_catalog.>) 0",
							relid);
	foreach(lc, names)
		result = lappend_oid(result, (Oid) strtoul(lfirst(lc), NULL, 10));
	return result;
}

/* relation_name() of analyze.c, as the objects of findings begin */
static char *
rangevar_text(RangeVar *rv)
{
	return relation_name(rv);
}

/*
 * For plan() and lint(): "each of the 6 shards of public.events, on 2 nodes
 * (a:5432, b:5432)", where the statement of "facts" takes its locks on the
 * first Citus table it targets; NULL when it targets none (or Citus is not
 * installed).  What the catalog does not know yet (a table the same script
 * creates) is not described.
 */
char *
citus_statement_note(StatementFacts *facts)
{
	ListCell   *lc;

	if (!citus_present())
		return NULL;
	foreach(lc, facts->targets)
	{
		RangeVar   *rv = lfirst(lc);
		Oid			relid = RangeVarGetRelid(rv, NoLock, true);
		Oid			table = citus_table_of(relid);
		List	   *counts;
		List	   *nodes;
		StringInfoData buf;
		ListCell   *nc;
		int			nshards;

		if (!OidIsValid(table))
			continue;
		counts = citus_query_oid("SELECT pg_catalog.count(*) FROM pg_catalog.pg_dist_shard "
								 "WHERE logicalrelid OPERATOR(pg_catalog.=) $1", table);
		nshards = atoi(linitial(counts));
		nodes = citus_query_oid("SELECT DISTINCT n.nodename || ':' || n.nodeport "
								"FROM pg_catalog.pg_dist_shard s "
								"JOIN pg_catalog.pg_dist_placement p USING (shardid) "
								"JOIN pg_catalog.pg_dist_node n ON n.groupid OPERATOR(pg_catalog.=) p.groupid "
								"WHERE s.logicalrelid OPERATOR(pg_catalog.=) $1 "
								"AND n.noderole OPERATOR(pg_catalog.=) 'primary' ORDER BY 1",
								table);
		initStringInfo(&buf);
		/* each count chooses its own plural form */
		appendStringInfo(&buf, ngettext("the %d shard of %s", "each of the %d shards of %s",
										nshards),
						 nshards, relation_qualified(table));
		appendStringInfo(&buf, ngettext(", on %d node (", ", on %d nodes (",
										list_length(nodes)),
						 list_length(nodes));
		foreach(nc, nodes)
			appendStringInfo(&buf, "%s%s", nc == list_head(nodes) ? "" : ", ",
							 (char *) lfirst(nc));
		appendStringInfoChar(&buf, ')');
		return buf.data;
	}
	return NULL;
}

/*
 * For the schema fingerprint (drift(), check()): in the current GUC nest
 * level, let Citus hide its shards from catalog queries, whatever
 * citus.show_shards_for_app_name_prefixes says for this session.  A shard
 * is Citus's copy of part of a table the fingerprint already describes,
 * and the rebalancer moves them: they are not schema.
 */
void
citus_hide_shards(void)
{
	if (GetConfigOption("citus.override_table_visibility", true, false) == NULL)
		return;
	(void) set_config_option("citus.override_table_visibility", "on",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
							 true, 0, false);
	(void) set_config_option("citus.show_shards_for_app_name_prefixes", "",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
							 true, 0, false);
}

/* ---------------------------------------------------------------------
 * Citus's own maintenance
 * ---------------------------------------------------------------------
 */

/* Name prefixes of the objects Citus's shard moves and splits create. */
static const char *const transfer_prefixes[] = {
	"citus_shard_move_publication_",
	"citus_shard_move_subscription_",	/* and ..._subscription_role_ */
	"citus_shard_split_publication_",
	"citus_shard_split_subscription_",
	NULL
};

static bool
is_transfer_object(const char *name)
{
	int			i;

	for (i = 0; transfer_prefixes[i]; i++)
		if (strncmp(name, transfer_prefixes[i], strlen(transfer_prefixes[i])) == 0)
			return true;
	return false;
}

/*
 * Is "relid" a shard this node holds no placement of: one moved or split
 * away, that Citus's cleanup drops?  It is a shard when its name is what
 * shard_name() gives a Citus table of the same schema for the number its
 * name ends with (the shard's own metadata may be gone: a split deletes
 * the parent shard's).  Without Citus's metadata on this node nothing is
 * known to be orphaned.
 */
static bool
relation_is_orphaned_shard(Oid relid)
{
	const char *name = get_rel_name(relid);
	const char *digits;
	Oid			types[2] = {OIDOID, INT8OID};
	Datum		values[2];

	if (name == NULL || get_rel_relkind(relid) != RELKIND_RELATION)
		return false;
	digits = strrchr(name, '_');
	if (digits == NULL || digits[1] == '\0' ||
		strspn(digits + 1, "0123456789") != strlen(digits + 1) || strlen(digits + 1) > 18)
		return false;
	values[0] = ObjectIdGetDatum(relid);
	values[1] = Int64GetDatum(strtoll(digits + 1, NULL, 10));
	if (DatumGetInt64(values[1]) <= 0)
		return false;
	return citus_query("SELECT 1 FROM pg_catalog.pg_dist_partition p "
					   "WHERE pg_catalog.to_regclass(pg_catalog.shard_name(p.logicalrelid, $2, false)) "
					   "      OPERATOR(pg_catalog.=) $1::pg_catalog.regclass "
					   "AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition q "
					   "                WHERE q.logicalrelid OPERATOR(pg_catalog.=) $1) "
					   "AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_placement pl "
					   "                WHERE pl.shardid OPERATOR(pg_catalog.=) $2 "
					   "                AND pl.groupid OPERATOR(pg_catalog.=) "
					   "                    (SELECT groupid FROM pg_catalog.pg_dist_local_group)) "
					   "LIMIT 1",
					   2, types, values) != NIL;
}

/*
 * Is "pubname" a publication of Citus's own shard move or split (by its
 * name) and "relid" a shard of a Citus table: the shard's name is what
 * shard_name() gives a Citus table of the same schema for the number its
 * name ends with?  Such a publication exists while Citus copies the shard
 * and serves only that copy.  Citus refuses a logical transfer of a shard
 * without a replica identity itself, unless the DBA asked for it with
 * shard_transfer_mode => 'force_logical', which accepts that UPDATE and
 * DELETE of the shard fail while it copies; so publish_without_identity
 * does not judge it.
 */
static bool
transfer_publishes_shard(const char *pubname, Oid relid)
{
	const char *name;
	const char *digits;
	Oid			types[2] = {OIDOID, INT8OID};
	Datum		values[2];

	if (pubname == NULL || !is_transfer_object(pubname))
		return false;
	name = get_rel_name(relid);
	if (name == NULL)
		return false;
	digits = strrchr(name, '_');
	if (digits == NULL || digits[1] == '\0' ||
		strspn(digits + 1, "0123456789") != strlen(digits + 1) || strlen(digits + 1) > 18)
		return false;
	values[0] = ObjectIdGetDatum(relid);
	values[1] = Int64GetDatum(strtoll(digits + 1, NULL, 10));
	if (DatumGetInt64(values[1]) <= 0)
		return false;
	return citus_query("SELECT 1 FROM pg_catalog.pg_dist_partition p "
					   "WHERE pg_catalog.to_regclass(pg_catalog.shard_name(p.logicalrelid, $2, false)) "
					   "      OPERATOR(pg_catalog.=) $1::pg_catalog.regclass "
					   "AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition q "
					   "                WHERE q.logicalrelid OPERATOR(pg_catalog.=) $1) "
					   "LIMIT 1",
					   2, types, values) != NIL;
}

/*
 * Is the statement of "facts" Citus's own maintenance, which destroys no
 * data the cluster uses: DROP TABLE of shards this node holds no placement
 * of, DROP and ALTER of the publications and subscriptions and DROP ROLE
 * of the roles shard moves and splits create (by their names), and their
 * publications of shards without a replica identity?
 */
bool
citus_maintenance_statement(StatementFacts *facts)
{
	ListCell   *lc;

	if (!citus_present())
		return false;
	if (strcmp(facts->tag, "DROP ROLE") == 0)
	{
		foreach(lc, facts->dropped_roles)
			if (!is_transfer_object(strVal(lfirst(lc))))
				return false;
		return facts->dropped_roles != NIL;
	}
	if (strcmp(facts->tag, "DROP PUBLICATION") == 0 ||
		strcmp(facts->tag, "DROP SUBSCRIPTION") == 0 ||
		strcmp(facts->tag, "ALTER PUBLICATION") == 0 ||
		strcmp(facts->tag, "ALTER SUBSCRIPTION") == 0 ||
		strcmp(facts->tag, "CREATE PUBLICATION") == 0)
	{
		/*
		 * One finding per object, named (the cleanup disables a transfer's
		 * subscription and detaches its slot before dropping it); or a
		 * transfer's publication of a shard without a replica identity.
		 */
		foreach(lc, facts->findings)
		{
			RuleFinding *f = lfirst(lc);

			if (f->publication != NULL &&
				transfer_publishes_shard(f->publication, f->relid))
				continue;
			if (f->object == NULL || !is_transfer_object(f->object))
				return false;
		}
		return facts->findings != NIL;
	}
	if (strcmp(facts->tag, "DROP TABLE") == 0 && facts->drops_targets)
	{
		foreach(lc, facts->targets)
		{
			Oid			relid = RangeVarGetRelid((RangeVar *) lfirst(lc), NoLock, true);

			if (OidIsValid(relid) && !relation_is_orphaned_shard(relid))
				return false;
		}
		return facts->targets != NIL;
	}
	return false;
}

/* ---------------------------------------------------------------------
 * The cluster key
 * ---------------------------------------------------------------------
 */

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Read the cluster key into "key" (at most CLUSTER_KEY_MAX_BYTES); returns
 * its length, or 0 with "*problem" saying why there is none.  The file is
 * read each time: a key changed on disk (and a reload) takes effect at
 * once.  Like the server's TLS key, it must not be accessible to others.
 */
static int
cluster_key_load(uint8 *key, char **problem)
{
	char	   *path;
	struct stat st;
	FILE	   *fh;
	char		buf[2 * CLUSTER_KEY_MAX_BYTES + 64];
	size_t		len;
	size_t		i;
	int			n = 0;

	if (cluster_key_file == NULL || cluster_key_file[0] == '\0')
	{
		*problem = pstrdup("migrator.cluster_key_file is not set on this node");
		return 0;
	}
	path = is_absolute_path(cluster_key_file) ? pstrdup(cluster_key_file)
		: psprintf("%s/%s", DataDir, cluster_key_file);
	if (stat(path, &st) != 0)
	{
		*problem = psprintf("could not read key file \"%s\": %m", path);
		return 0;
	}
	if (!S_ISREG(st.st_mode))
	{
		*problem = psprintf("key file \"%s\" is not a regular file", path);
		return 0;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO))
	{
		*problem = psprintf("key file \"%s\" has group or world access (mode %04o); it must be 0600",
							path, (unsigned) (st.st_mode & 07777));
		return 0;
	}
	fh = AllocateFile(path, "r");
	if (fh == NULL)
	{
		*problem = psprintf("could not read key file \"%s\": %m", path);
		return 0;
	}
	len = fread(buf, 1, sizeof(buf) - 1, fh);
	FreeFile(fh);
	buf[len] = '\0';
	while (len > 0 && isspace((unsigned char) buf[len - 1]))
		buf[--len] = '\0';
	for (i = 0; i < len; i += 2)
	{
		int			hi = hex_value(buf[i]);
		int			lo = i + 1 < len ? hex_value(buf[i + 1]) : -1;

		if (hi < 0 || lo < 0 || n >= CLUSTER_KEY_MAX_BYTES)
		{
			n = 0;
			break;
		}
		key[n++] = (uint8) (hi << 4 | lo);
	}
	explicit_bzero(buf, sizeof(buf));
	if (n < CLUSTER_KEY_MIN_BYTES)
	{
		explicit_bzero(key, CLUSTER_KEY_MAX_BYTES);
		*problem = psprintf("key file \"%s\" does not hold a key of %d to %d bytes in hexadecimal",
							path, CLUSTER_KEY_MIN_BYTES, CLUSTER_KEY_MAX_BYTES);
		return 0;
	}
	return n;
}

/*
 * HMAC-SHA256 of "text" with the cluster key, in hexadecimal; NULL with
 * "*problem" set when there is no usable key.
 */
static char *
authority_mac(const char *text, char **problem)
{
	uint8		key[CLUSTER_KEY_MAX_BYTES];
	uint8		mac[PG_SHA256_DIGEST_LENGTH];
	int			keylen = cluster_key_load(key, problem);
	pg_hmac_ctx *ctx;
	char	   *hex;
	int			i;

	if (keylen == 0)
		return NULL;
	ctx = pg_hmac_create(PG_SHA256);
	if (ctx == NULL ||
		pg_hmac_init(ctx, key, keylen) < 0 ||
		pg_hmac_update(ctx, (const uint8 *) text, strlen(text)) < 0 ||
		pg_hmac_final(ctx, mac, sizeof(mac)) < 0)
	{
		explicit_bzero(key, sizeof(key));
		if (ctx)
			pg_hmac_free(ctx);
		*problem = pstrdup("could not compute HMAC-SHA256");
		return NULL;
	}
	pg_hmac_free(ctx);
	explicit_bzero(key, sizeof(key));
	hex = palloc(2 * sizeof(mac) + 1);
	for (i = 0; i < (int) sizeof(mac); i++)
		sprintf(hex + 2 * i, "%02x", mac[i]);
	return hex;
}

/* ---------------------------------------------------------------------
 * Authorities: v1;issued;role;database;version;permits;mac
 * ---------------------------------------------------------------------
 */

/* Append "s" with every byte outside [A-Za-z0-9_.-] as %XX. */
static void
append_escaped(StringInfo buf, const char *s)
{
	for (; s && *s; s++)
	{
		unsigned char c = (unsigned char) *s;

		if (isalnum(c) || c == '_' || c == '.' || c == '-')
			appendStringInfoChar(buf, c);
		else
			appendStringInfo(buf, "%%%02X", c);
	}
}

/* The reverse of append_escaped(); NULL when malformed. */
static char *
unescape(const char *s, int len)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	for (i = 0; i < len; i++)
	{
		if (s[i] == '%')
		{
			int			hi = i + 2 < len ? hex_value(s[i + 1]) : -1;
			int			lo = i + 2 < len ? hex_value(s[i + 2]) : -1;

			if (hi < 0 || lo < 0)
				return NULL;
			appendStringInfoChar(&buf, (char) (hi << 4 | lo));
			i += 2;
		}
		else
			appendStringInfoChar(&buf, s[i]);
	}
	return buf.data;
}

static bool
same_object(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static bool
permit_listed(List *permits, const char *rule, const char *object, bool shards_only)
{
	ListCell   *lc;

	foreach(lc, permits)
	{
		AuthorityPermit *p = lfirst(lc);

		if ((!shards_only || p->shard) && strcmp(p->rule, rule) == 0 &&
			same_object(p->object, object))
			return true;
	}
	return false;
}

/* Add (rule, object) to the issued permits, once. */
static void
issue_permit(const char *rule, const char *object, bool shard)
{
	MemoryContext old;
	AuthorityPermit *p;
	ListCell   *lc;

	foreach(lc, issued_permits)
	{
		p = lfirst(lc);
		if (strcmp(p->rule, rule) == 0 && same_object(p->object, object))
		{
			p->shard |= shard;
			return;
		}
	}
	old = MemoryContextSwitchTo(TopTransactionContext);
	p = palloc(sizeof(AuthorityPermit));
	p->rule = pstrdup(rule);
	p->object = object ? pstrdup(object) : NULL;
	p->shard = shard;
	p->subid = GetCurrentSubTransactionId();
	issued_permits = lappend(issued_permits, p);
	MemoryContextSwitchTo(old);
}

/*
 * Issue "rule" for "object" renamed: the part "written" (a relation as the
 * statement names it) replaced by "actual", when "object" starts with it.
 */
static void
issue_renamed(const char *rule, const char *object, const char *written,
			  const char *actual, bool shard)
{
	size_t		n = strlen(written);

	if (object == NULL || strncmp(object, written, n) != 0)
		return;
	if (object[n] == '\0')
		issue_permit(rule, actual, shard);
	else if (object[n] == '.')
		issue_permit(rule, psprintf("%s%s", actual, object + n), shard);
}

/* The signed text of an authority naming every issued permit. */
static char *
authority_text(const char *version)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	appendStringInfo(&buf, "v1;" INT64_FORMAT ";",
					 (int64) timestamptz_to_time_t(GetCurrentTimestamp()));
	append_escaped(&buf, GetUserNameFromId(GetUserId(), false));
	appendStringInfoChar(&buf, ';');
	append_escaped(&buf, get_database_name(MyDatabaseId));
	appendStringInfoChar(&buf, ';');
	append_escaped(&buf, version);
	appendStringInfoChar(&buf, ';');
	foreach(lc, issued_permits)
	{
		AuthorityPermit *p = lfirst(lc);

		if (lc != list_head(issued_permits))
			appendStringInfoChar(&buf, ',');
		appendStringInfoString(&buf, p->rule);
		if (p->object)
		{
			appendStringInfoChar(&buf, ':');
			append_escaped(&buf, p->object);
		}
	}
	return buf.data;
}

/*
 * Send the authority to the workers of the distributed transaction: SET
 * LOCAL migrator.cluster_authority, inside a DO block (Citus propagates
 * SET LOCAL only from a multi-statement transaction, which a DO block is),
 * with citus.propagate_set_commands = local for that one statement.
 */
static void
send_authority(const char *authority)
{
	const char *prev = GetConfigOption("citus.propagate_set_commands", true, false);
	char	   *sql;

	if (prev == NULL)
		return;					/* Citus is not loaded: nothing propagates */
	sql = psprintf("DO LANGUAGE plpgsql $migrator_authority$BEGIN "
				   "SET LOCAL migrator.cluster_authority = %s; END$migrator_authority$",
				   quote_literal_cstr(authority));
	prev = pstrdup(prev);
	(void) set_config_option("citus.propagate_set_commands", "local",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_LOCAL,
							 true, 0, false);
	PG_TRY();
	{
		SPI_connect();
		if (SPI_execute(sql, false, 0) != SPI_OK_UTILITY)
			elog(ERROR, "could not send the migration authority");
		SPI_finish();
	}
	PG_FINALLY();
	{
		(void) set_config_option("citus.propagate_set_commands", prev,
								 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_LOCAL,
								 true, 0, false);
	}
	PG_END_TRY();
}

/*
 * Does finding "f" of the statement of "facts" name a constraint of its relation
 * ("events.v_check")?  On a shard it keeps its name when the table was
 * created with it, and takes the shard's suffix when it was added later
 * ("public.events_102008.v_check_102008"): Citus looks for the first, then
 * names the second.
 */
static bool
finding_names_constraint(StatementFacts *facts, RuleFinding *f)
{
	if (strcmp(f->rule->id, "rename") == 0)
		return facts->renames_constraint;
	return strcmp(f->rule->id, "drop_constraint") == 0;
}

/*
 * Issue finding "f" (on relation "written") for one shard "shard"
 * ("schema.name_102008"), and with the shard's suffix on the constraint it
 * names when "constraint".
 */
static void
issue_for_shard(RuleFinding *f, const char *written, const char *shard,
				bool constraint)
{
	const char *suffix = strrchr(shard, '_');
	size_t		n = strlen(written);

	issue_renamed(f->rule->id, f->object, written, shard, true);
	if (constraint && suffix && f->object && strncmp(f->object, written, n) == 0 &&
		f->object[n] == '.')
		issue_permit(f->rule->id, psprintf("%s.%s%s", shard, f->object + n + 1, suffix), true);
}

/*
 * For a finding on a type, a function or a schema Citus propagates the DDL
 * of: the object as Citus names it on the workers (qualified), or NULL.
 * Which kind of object the finding is on comes from its rule.
 */
static char *
distributed_object_name(RuleFinding *f)
{
	List	   *names;

	if (f->object == NULL)
		return NULL;
	names = textToQualifiedNameList(cstring_to_text(f->object));
	if (strcmp(f->rule->id, "drop_type") == 0)
	{
		Oid			typid = LookupTypeNameOid(NULL, makeTypeNameFromNameList(names), true);
		HeapTuple	tup;
		char	   *name;

		if (!citus_distributed_object(TypeRelationId, typid))
			return NULL;
		tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
		if (!HeapTupleIsValid(tup))
			return NULL;
		name = psprintf("%s.%s",
						get_namespace_name(((Form_pg_type) GETSTRUCT(tup))->typnamespace),
						NameStr(((Form_pg_type) GETSTRUCT(tup))->typname));
		ReleaseSysCache(tup);
		return name;
	}
	if (strcmp(f->rule->id, "drop_function") == 0)
	{
		FuncCandidateList c;
		Oid			nsp = InvalidOid;
		bool		distributed = false;

		for (c = FuncnameGetCandidates(names, -1, NIL, false, false, false, true);
			 c != NULL; c = c->next)
		{
			if (OidIsValid(nsp) && nsp != get_func_namespace(c->oid))
				return NULL;	/* the same name in several schemas */
			nsp = get_func_namespace(c->oid);
			distributed |= citus_distributed_object(ProcedureRelationId, c->oid);
		}
		if (!distributed)
			return NULL;
		return psprintf("%s.%s", get_namespace_name(nsp), strVal(llast(names)));
	}
	if (strcmp(f->rule->id, "drop_schema") == 0)
	{
		Oid			nsp = get_namespace_oid(f->object, true);

		return citus_distributed_object(NamespaceRelationId, nsp)
			? pstrdup(f->object) : NULL;
	}
	return NULL;
}

/*
 * The coordinator's side: the statement of "facts", whose destructive
 * "findings" (RuleFinding) the guard covered here (a migration declares them, an
 * allowance names them, or its targets are new), is about to run.  When it
 * targets Citus tables, issue the authority for what Citus will send to
 * the workers: each finding as written (the shell tables receive the
 * statement as written), and with its relation named as Citus names it on
 * the workers: qualified, as every shard, and for DROP and TRUNCATE also
 * every partition and its shards.  Then send it.  A statement that cannot
 * carry an authority is refused here, before any worker sees it.
 */
void
citus_authorize(StatementFacts *facts, List *findings)
{
	const char *tag = facts->tag;
	bool		dropping = facts->drops_targets || facts->truncates_targets;
	const char *first = NULL;	/* the first object Citus propagates */
	const char *version = NULL;
	const char *kind;
	const char *direction;
	char	   *text;
	char	   *mac;
	char	   *problem = NULL;
	const char *propagation;
	ListCell   *lc;

	if (findings == NIL || !citus_present())
		return;
	/* with DDL propagation off (Citus sets it so for the DDL it sends), none */
	propagation = GetConfigOption("citus.enable_ddl_propagation", true, false);
	if (propagation == NULL || strcmp(propagation, "off") == 0)
		return;

	foreach(lc, facts->targets)
	{
		RangeVar   *rv = lfirst(lc);
		char	   *written = rangevar_text(rv);
		Oid			relid = RangeVarGetRelid(rv, NoLock, true);
		Oid			table = citus_table_of(relid);
		List	   *relations;
		ListCell   *rc;

		if (!OidIsValid(table))
		{
			ListCell   *fc;

			/* a view or sequence Citus propagates: its qualified name */
			if (!citus_distributed_object(RelationRelationId, relid))
				continue;
			if (first == NULL)
				first = rangevar_text(rv);
			foreach(fc, findings)
			{
				RuleFinding *f = lfirst(fc);

				issue_renamed(f->rule->id, f->object, written, relation_qualified(relid), false);
			}
			continue;
		}
		if (first == NULL)
		{
			first = written;

			/* Citus sends these on connections outside any transaction. */
			if (facts->needs_autocommit)
				ereport(ERROR,
						(errcode(ERRCODE_MIGRATOR_NO_CLUSTER_AUTHORITY),
						 errmsg("cannot carry the authority for %s on \"%s\" to the workers",
								tag, written),
						 errdetail("Citus runs a statement that cannot run in a transaction block outside the distributed transaction, where no authority reaches the workers."),
						 errhint("Use the transactional form of the statement (DROP INDEX without CONCURRENTLY) in a migration.")));
		}

		/* the relation itself, and for DROP and TRUNCATE its partitions */
		relations = list_make1_oid(relid);
		if (dropping)
			relations = list_concat(relations, partition_descendants(relid));

		/*
		 * Before a partitioned table goes, Citus detaches its partitions
		 * from the shell tables on the workers: the finding names each
		 * partition it takes out.
		 */
		if (facts->drops_targets && list_length(relations) > 1)
		{
			ListCell   *pc;

			for_each_from(pc, relations, 1)
				issue_permit("detach_partition", relation_qualified(lfirst_oid(pc)), false);
		}
		foreach(rc, relations)
		{
			Oid			r = lfirst_oid(rc);
			List	   *shards = shard_names(r, r == relid ? table : r);
			ListCell   *fc;

			foreach(fc, findings)
			{
				RuleFinding *f = lfirst(fc);
				ListCell   *sc;

				issue_renamed(f->rule->id, f->object, written, relation_qualified(r), false);
				foreach(sc, shards)
					issue_for_shard(f, written, lfirst(sc),
									finding_names_constraint(facts, f));
			}
		}
	}
	/* types, functions, schemas Citus propagates */
	foreach(lc, findings)
	{
		RuleFinding *f = lfirst(lc);
		char	   *name = distributed_object_name(f);

		if (name == NULL)
			continue;
		issue_permit(f->rule->id, name, false);
		if (first == NULL)
			first = f->object;

		/*
		 * DROP SCHEMA ... CASCADE of a schema with Citus tables: Citus drops
		 * each of them, and their shards, on the workers.
		 */
		if (strcmp(f->rule->id, "drop_schema") == 0)
		{
			ListCell   *tc;

			foreach(tc, citus_query_oid("SELECT p.logicalrelid::pg_catalog.oid "
										"FROM pg_catalog.pg_dist_partition p "
										"JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) p.logicalrelid "
										"WHERE c.relnamespace OPERATOR(pg_catalog.=) $1",
										get_namespace_oid(f->object, false)))
			{
				Oid			table = (Oid) strtoul(lfirst(tc), NULL, 10);
				ListCell   *sc;

				issue_permit("drop_table", relation_qualified(table), false);
				foreach(sc, shard_names(table, table))
					issue_permit("drop_table", lfirst(sc), true);
			}
		}
	}
	if (first == NULL)
		return;

	/* as written, for the shell tables; Citus drops with CASCADE */
	foreach(lc, findings)
	{
		RuleFinding *f = lfirst(lc);

		issue_permit(f->rule->id, f->object, false);
	}
	if (strncmp(tag, "DROP ", 5) == 0)
		issue_permit("drop_cascade", NULL, true);

	(void) session_migration(&version, &kind, &direction);
	text = authority_text(version ? version : "");
	mac = authority_mac(text, &problem);
	if (mac == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_MIGRATOR_NO_CLUSTER_AUTHORITY),
				 errmsg("cannot carry the authority for %s on \"%s\" to the workers",
						tag, first),
				 errdetail("The workers refuse destructive DDL on shards without an authority signed with the cluster key, and %s.",
						   problem),
				 errhint("Put the same key in a file on every node of the cluster and name it in migrator.cluster_key_file (docs/citus.md).")));
	send_authority(psprintf("%s;%s", text, mac));
}

/*
 * Constant-time comparison of two hexadecimal MACs.
 */
static bool
mac_equal(const char *a, const char *b)
{
	size_t		n = strlen(a);
	size_t		i;
	int			diff = 0;

	if (strlen(b) != n)
		return false;
	for (i = 0; i < n; i++)
		diff |= a[i] ^ b[i];
	return diff == 0;
}

/*
 * Verify the authority "value" received here; returns its permits, or
 * NIL with "*problem" saying why it is not valid.  "*version" is the
 * migration it was issued for ("" for an allowance).
 */
static List *
verify_authority(const char *value, char **version, char **problem)
{
	const char *fields[7];
	int			lens[7];
	int			nfields = 0;
	const char *p = value;
	char	   *signed_text;
	char	   *mac;
	char	   *role;
	char	   *db;
	char	   *me;
	int64		issued;
	int64		now;
	List	   *permits = NIL;
	const char *e;

	*problem = NULL;
	*version = NULL;
	while (nfields < 7)
	{
		e = strchr(p, ';');
		fields[nfields] = p;
		lens[nfields] = e ? (int) (e - p) : (int) strlen(p);
		nfields++;
		if (e == NULL)
			break;
		p = e + 1;
	}
	if (nfields != 7 || lens[0] != 2 || strncmp(fields[0], "v1", 2) != 0 ||
		strchr(fields[6], ';') != NULL)
	{
		*problem = pstrdup("it is not an authority migrator writes");
		return NIL;
	}

	/* the signature first: nothing else of a forged authority is looked at */
	signed_text = pnstrdup(value, fields[6] - value - 1);
	mac = authority_mac(signed_text, problem);
	if (mac == NULL)
	{
		*problem = psprintf("this node cannot verify it: %s", *problem);
		return NIL;
	}
	if (!mac_equal(mac, fields[6]))
	{
		*problem = pstrdup("its signature does not match this node's cluster key");
		return NIL;
	}

	role = unescape(fields[2], lens[2]);
	db = unescape(fields[3], lens[3]);
	*version = unescape(fields[4], lens[4]);
	me = GetUserNameFromId(GetUserId(), false);
	if (role == NULL || db == NULL || *version == NULL)
	{
		*problem = pstrdup("it is not an authority migrator writes");
		return NIL;
	}
	if (strcmp(role, me) != 0)
	{
		*problem = psprintf("it was issued to role \"%s\", and this statement runs as \"%s\"", role, me);
		return NIL;
	}
	if (strcmp(db, get_database_name(MyDatabaseId)) != 0)
	{
		*problem = psprintf("it was issued for database \"%s\"", db);
		return NIL;
	}
	issued = strtoll(pnstrdup(fields[1], lens[1]), NULL, 10);
	now = (int64) timestamptz_to_time_t(GetCurrentTimestamp());
	if (now - issued > AUTHORITY_TTL_SECS)
	{
		*problem = psprintf("it expired: issued " INT64_FORMAT " seconds ago, and an authority is valid for %d seconds",
							now - issued, AUTHORITY_TTL_SECS);
		return NIL;
	}
	if (issued - now > AUTHORITY_TTL_SECS)
	{
		*problem = psprintf("it was issued " INT64_FORMAT " seconds in the future: the clocks of the nodes disagree",
							issued - now);
		return NIL;
	}

	/* permits: rule[:object],... */
	p = fields[5];
	while (p < fields[5] + lens[5])
	{
		const char *end = memchr(p, ',', fields[5] + lens[5] - p);
		const char *colon;
		AuthorityPermit *permit = palloc0(sizeof(AuthorityPermit));

		if (end == NULL)
			end = fields[5] + lens[5];
		colon = memchr(p, ':', end - p);
		permit->rule = pnstrdup(p, (colon ? colon : end) - p);
		permit->object = colon ? unescape(colon + 1, end - colon - 1) : NULL;
		permits = lappend(permits, permit);
		p = end + 1;
	}
	return permits;
}

/*
 * The permits of the authority this transaction received (cached while
 * migrator.cluster_authority keeps its value), or NIL with "*problem"
 * saying why there is none that is valid.
 */
static List *
received_permits(char **version, char **problem)
{
	MemoryContext old;
	List	   *permits;

	*problem = NULL;
	*version = NULL;
	if (cluster_authority == NULL || cluster_authority[0] == '\0')
		return NIL;
	if (verified_value && strcmp(verified_value, cluster_authority) == 0)
	{
		*version = verified_version;
		*problem = verified_problem;
		return verified_permits;
	}
	old = MemoryContextSwitchTo(TopTransactionContext);
	permits = verify_authority(cluster_authority, version, problem);
	verified_value = pstrdup(cluster_authority);
	verified_permits = permits;
	verified_version = *version;
	verified_problem = *problem;
	MemoryContextSwitchTo(old);
	return permits;
}

/*
 * Does an authority cover destructive finding (rule, object) of a statement
 * with command tag "tag"?  On the coordinator: one this transaction issued
 * names it as a shard (a shard on the coordinator itself, reached by
 * Citus's local execution of the statement it was issued for).  On a
 * worker: the authority received from the coordinator names it; the
 * server log says so.  When an authority was received that does not cover
 * it, the reason is kept for the refusal (citus_refusal_detail()).
 */
bool
citus_authority_covers(const char *rule, const char *object, const char *tag)
{
	List	   *permits;
	char	   *version;
	char	   *problem;

	if (!citus_present())
		return false;
	if (permit_listed(issued_permits, rule, object, true))
		return true;
	permits = received_permits(&version, &problem);
	if (problem)
	{
		last_problem = problem;
		return false;
	}
	if (permits == NIL)
		return false;
	if (!permit_listed(permits, rule, object, false))
	{
		last_problem = psprintf("the authority of %s%s%s it carries does not name it",
								version[0] ? "migration \"" : "an allowance",
								version[0] ? version : "", version[0] ? "\"" : "");
		return false;
	}
	ereport(LOG_SERVER_ONLY,
			(errmsg("migrator guard: authorized rule=%s tag=\"%s\" object=\"%s\" role=\"%s\" by the authority of %s%s from the coordinator",
					rule, tag, object ? object : "", GetUserNameFromId(GetUserId(), false),
					version[0] ? "migration " : "an allowance", version),
			 errhidestmt(true)));
	return true;
}

/*
 * For a refusal: why an authority the statement carried did not cover it;
 * NULL when it carried none.
 */
char *
citus_refusal_detail(void)
{
	char	   *problem = last_problem;

	last_problem = NULL;
	if (problem == NULL)
		return NULL;
	return psprintf("The statement carries a migration authority from the coordinator, but %s.",
					problem);
}

/*
 * For a refusal of finding "f" of "statement": when it drops a Citus table
 * (rule drop_table), the allowance that lets alter_distributed_table(),
 * undistribute_table() and alter_table_set_access_method() drop the old
 * table after copying it; NULL otherwise.
 */
char *
citus_refusal_hint(const RuleFinding *f, const char *statement)
{
	if (!citus_present() || f->object == NULL || strcmp(f->rule->id, "drop_table") != 0)
		return NULL;
	if (!OidIsValid(citus_table_of(RangeVarGetRelid(makeRangeVarFromNameList(textToQualifiedNameList(cstring_to_text(f->object))),
													NoLock, true))))
		return NULL;
	return psprintf("alter_distributed_table(), undistribute_table() and alter_table_set_access_method() copy the table, then drop it: allow that first in the same transaction (in a migration, in its script), SELECT migrator.allow(%s, reason => '...'). To drop the table, register a migration with a plan and a down script.",
					quote_literal_cstr(statement));
}
