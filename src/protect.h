/*-------------------------------------------------------------------------
 *
 * protect.h
 *	  Protected databases: the marker in the shared catalog pg_shseclabel
 *	  that the guard reads in every database (docs/guard-databases.md).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATOR_PROTECT_H
#define MIGRATOR_PROTECT_H

#include "nodes/nodes.h"

/* Is database "dboid" protected?  From any database. */
extern bool database_is_protected(Oid dboid);

/* Set or remove the marker in the current transaction (no privilege check). */
extern void database_set_protected(Oid dboid, bool protect);

/* After a utility statement: DROP EXTENSION migrator, CREATE DATABASE. */
extern void protect_after_statement(Node *stmt);

/* Register the label provider; called once from _PG_init. */
extern void ProtectInit(void);

#endif							/* MIGRATOR_PROTECT_H */
