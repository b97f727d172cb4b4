/*-------------------------------------------------------------------------
 *
 * guard.h
 *	  The guard: refuse unplanned destructive DDL inside the server.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATOR_GUARD_H
#define MIGRATOR_GUARD_H

/* Define migrator.guard, install the hook; called once from _PG_init. */
extern void GuardInit(void);

#endif							/* MIGRATOR_GUARD_H */
