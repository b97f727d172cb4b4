/*-------------------------------------------------------------------------
 *
 * staged.h
 *	  Staged changes: one destructive statement run as expand, backfill and
 *	  contract, with the old and the new application version working at
 *	  once through versioned schemas (docs/staged.md).
 *
 *	staged.c		migrator.stage(), complete(), abort(); the lifecycle in
 *					migrator.staged_changes; the phases apply(), deploy()
 *					and rollback() run (registered with apply.c)
 *	staged_spec.c	a statement understood without the catalog, then
 *					resolved against it into the SQL of every phase, the
 *					dual-write trigger and the backfill
 *	staged_views.c	the versioned schemas: one schema of views per
 *					version, kept in step with the changes in flight
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATOR_STAGED_H
#define MIGRATOR_STAGED_H

/* Register the routines apply() and deploy() call; once from _PG_init. */
extern void StagedInit(void);

#endif							/* MIGRATOR_STAGED_H */
