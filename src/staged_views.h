/*-------------------------------------------------------------------------
 *
 * staged_views.h
 *	  The versioned schemas of staged changes (staged_views.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATOR_STAGED_VIEWS_H
#define MIGRATOR_STAGED_VIEWS_H

#include "nodes/pg_list.h"

/*
 * The SQL that makes the version schemas of schema "nspname" what the
 * changes in flight on its tables want (without the views of table
 * "skip_relid" when it is valid).  The caller is connected to SPI.
 */
extern char *staged_sync_sql(const char *nspname, Oid skip_relid);

/* DROP VIEW of every version view of table "relid" of schema "nspname". */
extern char *staged_detach_sql(const char *nspname, Oid relid);

#endif							/* MIGRATOR_STAGED_VIEWS_H */
