/*-------------------------------------------------------------------------
 *
 * protect.c
 *	  Databases protected across the server: the marker the guard reads
 *	  when DROP DATABASE or ALTER DATABASE ... RENAME is sent from any
 *	  database.
 *
 * DROP DATABASE is never sent from the database it drops: dropdb connects
 * to postgres or template1, where migrator is usually not installed.  So
 * the guard must know, in every database, which databases are protected.
 * The marker is a security label of provider "migrator" on the database,
 * value "protected", stored in the shared catalog pg_shseclabel:
 *
 *	- readable from every database without a connection to the protected
 *	  one (GetSecurityLabel() on a shared catalog);
 *	- transactional (set by CREATE EXTENSION, gone if it rolls back);
 *	- settable only through this library: PostgreSQL refuses SECURITY
 *	  LABEL FOR migrator while no library registered the provider, and our
 *	  provider hook lets only superusers set or remove it, with one value;
 *	- kept by ALTER DATABASE ... RENAME (it is keyed by oid), dumped by
 *	  pg_dump --create and pg_dumpall as SECURITY LABEL ON DATABASE, and
 *	  set again by CREATE EXTENSION when a plain dump is restored.
 *
 * CREATE EXTENSION migrator (and ALTER EXTENSION migrator UPDATE) set it
 * through migrator.protect_database(); a drop that takes the extension
 * (DROP EXTENSION, DROP SCHEMA migrator CASCADE, DROP OWNED) removes it;
 * a copy made with CREATE DATABASE ... TEMPLATE of a protected database
 * is protected too.  The one way to drop a protected database on purpose
 * is for a superuser to remove the marker, in that database so that its
 * history records it:
 *
 *	SECURITY LABEL FOR migrator ON DATABASE app IS NULL;
 *
 * The guard can only act in backends that loaded the library: with
 * shared_preload_libraries = 'migrator' that is every backend.
 * protect_database() warns when the library was not preloaded.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_database.h"
#include "commands/dbcommands.h"
#include "commands/defrem.h"
#include "commands/extension.h"
#include "commands/seclabel.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "migrator.h"
#include "history.h"
#include "protect.h"

PG_FUNCTION_INFO_V1(migrator_protect_database);

/* The provider and its one label. */
#define PROTECT_PROVIDER "migrator"
#define PROTECT_LABEL "protected"

/* Was the library loaded through shared_preload_libraries? */
static bool loaded_at_startup = false;

static ObjectAddress
database_address(Oid dboid)
{
	ObjectAddress addr;

	addr.classId = DatabaseRelationId;
	addr.objectId = dboid;
	addr.objectSubId = 0;
	return addr;
}

/*
 * Is database "dboid" protected?  One index lookup in pg_shseclabel, from
 * any database.
 */
bool
database_is_protected(Oid dboid)
{
	ObjectAddress addr = database_address(dboid);
	char	   *label = GetSecurityLabel(&addr, PROTECT_PROVIDER);

	return label != NULL && strcmp(label, PROTECT_LABEL) == 0;
}

/*
 * Set or remove the marker of database "dboid" (in the current
 * transaction; no privilege check: callers are the extension script,
 * DROP EXTENSION and CREATE DATABASE of a protected template).
 */
void
database_set_protected(Oid dboid, bool protect)
{
	ObjectAddress addr = database_address(dboid);

	if (database_is_protected(dboid) == protect)
		return;
	SetSecurityLabel(&addr, PROTECT_PROVIDER, protect ? PROTECT_LABEL : NULL);
}

/*
 * The provider hook, called by SECURITY LABEL FOR migrator after
 * PostgreSQL checked that the caller owns the object.  Only superusers
 * may set or remove the marker, and only on databases; removing it is
 * logged and, when done in the protected database itself, recorded in its
 * migrator.events as an allowance of drop_database.
 */
static void
protect_check_relabel(const ObjectAddress *object, const char *seclabel)
{
	char	   *dbname;

	if (object->classId != DatabaseRelationId)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("migrator's security label applies to databases only")));
	if (seclabel != NULL && strcmp(seclabel, PROTECT_LABEL) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid security label \"%s\" for provider migrator", seclabel),
				 errhint("The label is 'protected', or NULL to remove the protection.")));
	if (IsBinaryUpgrade)
		return;
	if (!superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to change migrator's protection of a database"),
				 errdetail("Only superusers may protect a database or remove its protection.")));
	if (seclabel != NULL)
		return;

	dbname = get_database_name(object->objectId);
	ereport(LOG_SERVER_ONLY,
			(errmsg("migrator: database \"%s\" is no longer protected, by role \"%s\"",
					dbname ? dbname : "?", GetUserNameFromId(GetUserId(), false)),
			 errhidestmt(true)));
	if (object->objectId == MyDatabaseId && OidIsValid(get_extension_oid("migrator", true)))
	{
		SPI_connect();
		history_event(NULL, "allow", NULL, "success", "drop_database",
					  debug_query_string ? debug_query_string : "",
					  psprintf("database %s is no longer protected from DROP DATABASE and RENAME sent from other databases",
							   dbname ? dbname : "?"));
		SPI_finish();
	}
}

/*
 * The database CREATE DATABASE copies: its TEMPLATE option, or template1.
 */
static Oid
createdb_template(CreatedbStmt *stmt)
{
	ListCell   *lc;

	foreach(lc, stmt->options)
	{
		DefElem    *opt = lfirst_node(DefElem, lc);

		if (strcmp(opt->defname, "template") == 0 && opt->arg != NULL)
			return get_database_oid(defGetString(opt), true);
	}
	return get_database_oid("template1", true);
}

/*
 * After a utility statement ran (called by the guard's hook, whatever the
 * guard's mode): keep the marker in step with the extension.  A drop that
 * took the extension removes it; CREATE DATABASE from a protected template
 * protects the copy, which holds the extension.
 */
void
protect_after_statement(Node *stmt)
{
	if (IsBinaryUpgrade)
		return;
	/*
	 * The extension goes with DROP EXTENSION, and also with DROP SCHEMA
	 * migrator CASCADE, DROP OWNED BY its owner or a CASCADE from an
	 * extension it requires.
	 */
	if (IsA(stmt, DropStmt) || IsA(stmt, DropOwnedStmt))
	{
		if (!OidIsValid(get_extension_oid("migrator", true)) &&
			database_is_protected(MyDatabaseId))
		{
			char	   *dbname = get_database_name(MyDatabaseId);

			database_set_protected(MyDatabaseId, false);
			/* migrator.events went with the extension: the log keeps this */
			ereport(LOG_SERVER_ONLY,
					(errmsg("migrator: extension dropped from database \"%s\" by role \"%s\"; the database is no longer protected",
							dbname ? dbname : "?", GetUserNameFromId(GetUserId(), false)),
					 errhidestmt(true)));
		}
	}
	else if (IsA(stmt, CreatedbStmt))
	{
		CreatedbStmt *cs = (CreatedbStmt *) stmt;
		Oid			template = createdb_template(cs);
		Oid			copy = get_database_oid(cs->dbname, true);

		if (OidIsValid(template) && OidIsValid(copy) && database_is_protected(template))
			database_set_protected(copy, true);
	}
}

/*
 * migrator.protect_database(): mark the current database as protected.
 * Called by the install and update scripts (CREATE EXTENSION runs as a
 * superuser); warns when the library was not preloaded, because then the
 * backends of other databases cannot act on the marker.
 */
Datum
migrator_protect_database(PG_FUNCTION_ARGS)
{
	if (!superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to protect a database"),
				 errdetail("Only superusers may protect a database.")));
	database_set_protected(MyDatabaseId, true);
	if (!loaded_at_startup)
		ereport(WARNING,
				(errcode(ERRCODE_WARNING),
				 errmsg("migrator is not in shared_preload_libraries"),
				 errdetail("DROP DATABASE and ALTER DATABASE ... RENAME of this database sent from another database are not refused, and the guard judges statements of a session only once the library is loaded in it."),
				 errhint("Add migrator to shared_preload_libraries and restart the server.")));
	PG_RETURN_VOID();
}

/*
 * Register the label provider.  Called from _PG_init.
 */
void
ProtectInit(void)
{
	loaded_at_startup = process_shared_preload_libraries_in_progress;
	register_label_provider(PROTECT_PROVIDER, protect_check_relabel);
}
