/*-------------------------------------------------------------------------
 *
 * apply.h
 *	  Migrations as loaded from the catalog, and the one way to run and
 *	  record them (apply(), deploy(), check(), plan()).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATOR_APPLY_H
#define MIGRATOR_APPLY_H

#include "datatype/timestamp.h"
#include "nodes/pg_list.h"

#include "script.h"

/* One migration loaded from the catalog. */
typedef struct Migration
{
	char	   *version;
	char	   *kind;
	bool		transactional;
	char	   *up;
	char	   *down;
	char	   *verify;
	char	   *checksum;
	char	   *state;
	List	   *depends_on;		/* versions of its expand and backfill steps */
	Datum		up_bounds;		/* statement boundaries of up (0.3) */
	bool		has_up_bounds;
} Migration;

/* A migration applied by the current call, not recorded yet. */
typedef struct AppliedMigration
{
	Migration  *m;
	Interval   *duration;
	TimestampTz at;				/* when it finished */
	const char *detail;			/* detail of its event, NULL: "applied in" */
} AppliedMigration;

/* What one apply() or deploy() step applied, to record together. */
typedef struct ApplyCall
{
	List	   *applied;		/* AppliedMigration, in order */
} ApplyCall;

/* Pending migrations up to "target" (all when NULL), in version order. */
extern List *migrations_pending_upto(const char *target, bool for_update);
extern List *pending_migrations(const char *target, bool allow_out_of_order,
								bool allow_nontransactional);

extern void migration_check_checksum(Migration *m);
extern Interval *migration_apply(Migration *m, ApplyCall *call);
extern void migration_note_applied(ApplyCall *call, Migration *m,
								   Interval *duration, const char *detail);
extern void migrations_record_applied(ApplyCall *call);
extern void migration_record_applied(Migration *m, Interval *duration);
extern ScriptStatement *migration_down_needs_autocommit(Migration *m);
extern void migrations_check_rollback(List *todo, bool in_transaction);
extern List *migrations_to_roll_back(int steps, const char *target);
extern Interval *migration_rollback(Migration *m);
extern void migration_record_rolled_back(Migration *m, Interval *duration);

/* Run a script as apply() does, without recording it (check()). */
extern void migration_run_script(const char *version, const char *kind,
								 const char *direction, const char *sql);

/* A step plan() shows for a staged change (StagedRoutines.plan). */
typedef struct StagedPlanStep
{
	const char *phase;			/* "expand", "backfill", ..., "complete", "abort" */
	char	   *sql;			/* its statements, or NULL: "what" describes it */
	char	   *what;
	const char *locks;			/* for a described step */
	bool		transactional;	/* can run in a transaction block */
} StagedPlanStep;

/*
 * Staged changes (staged.c) are migrations that run phases instead of an
 * up script.  staged.c sits above apply and deploy (it runs its scripts
 * with migration_run_script() and its steps with deploy's retries), so it
 * registers these at start-up and apply(), deploy(), rollback(), check()
 * and plan() call them through staged_routines (NULL before StagedInit()).
 */
typedef struct StagedRoutines
{
	/* Is "m" a staged change?  (The caller is connected to SPI.) */
	bool		(*is_staged) (Migration *m);
	/* apply() and deploy() start, with the migrations they will run */
	void		(*begin_call) (List *todo);
	/* apply() of "m", in the caller's transaction */
	Interval   *(*apply) (Migration *m);
	/* deploy() of "m", committing; returns the retries */
	int			(*deploy) (Migration *m, int lock_timeout_ms, int lock_retries);
	/* rollback() of "m", in the caller's transaction */
	void		(*rollback) (Migration *m);
	/* after any other migration applied in this transaction */
	void		(*after_migration) (Migration *m);
	/* plan() of "m": its steps (StagedPlanStep), without running anything */
	List	   *(*plan) (Migration *m);

	/*
	 * check() of "m", applied in this transaction from the schema
	 * "before" (a fingerprint): do abort, and the down script of the
	 * completed change, give "before" back?  Sets *outcome ("ok" or what
	 * failed) and *changes (FingerprintChange) or *failure.
	 */
	void		(*check) (Migration *m, List *before, const char **outcome,
						  List **changes, char **failure);
} StagedRoutines;

extern void migration_set_staged_routines(const StagedRoutines *routines);
extern const StagedRoutines *migration_staged_routines(Migration *m);
extern void migration_begin_call(List *todo);

extern Interval *elapsed_interval(TimestampTz start);
extern char *interval_text(Interval *iv);

#endif							/* MIGRATOR_APPLY_H */
