/*-------------------------------------------------------------------------
 *
 * rollout.h
 *	  Rolling the guard out and living with it (rollout.c): the records of
 *	  observe and warn mode, standing exemptions, guard-off traces, the
 *	  preload check.  The guard (guard.c) calls these while it judges.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATOR_ROLLOUT_H
#define MIGRATOR_ROLLOUT_H

#include "nodes/nodes.h"
#include "nodes/pg_list.h"

#include "rules.h"

extern void RolloutInit(void);

/* Events queued while a statement is judged, written by rollout_flush(). */
extern void rollout_observed(bool warned, const char *tag, const RuleFinding *f,
							 const char *statement);
extern void rollout_flush(void);

/*
 * Does a standing exemption cover finding "f" of "stmt" (or, when "stmt" is
 * NULL, of relation "relid", a dropped object)?  Loads the exemptions into
 * "*exemptions" on first use; queues the use as an event; "*id" receives
 * the exemption's id.
 */
extern bool rollout_exemption_covers(List **exemptions, bool *loaded, Node *stmt,
									 Oid relid, const RuleFinding *f,
									 const char *tag, const char *statement,
									 int64 *id);

/* The guard switched off: noted by the GUC's assign hook, traced later. */
extern void rollout_guard_mode_assigned(bool now_off, bool was_off);
extern bool rollout_guard_off_pending(void);
extern void rollout_trace_guard_off(const char *statement);

/* A WARNING when this session did not have the guard's hook from its start. */
extern void rollout_warn_if_not_preloaded(const char *function);

#endif							/* MIGRATOR_ROLLOUT_H */
