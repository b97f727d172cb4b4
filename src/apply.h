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
} Migration;

/* Pending migrations up to "target" (all when NULL), in version order. */
extern List *migrations_pending_upto(const char *target, bool for_update);
extern List *pending_migrations(const char *target, bool allow_out_of_order,
								bool allow_nontransactional);

extern void migration_check_checksum(Migration *m);
extern Interval *migration_apply(Migration *m);
extern void migration_record_applied(Migration *m, Interval *duration);
extern ScriptStatement *migration_down_needs_autocommit(Migration *m);
extern void migrations_check_rollback(List *todo, bool in_transaction);
extern List *migrations_to_roll_back(int steps, const char *target);
extern Interval *migration_rollback(Migration *m);
extern void migration_record_rolled_back(Migration *m, Interval *duration);

/* Run a script as apply() does, without recording it (check()). */
extern void migration_run_script(const char *version, const char *kind,
								 const char *direction, const char *sql);

extern Interval *elapsed_interval(TimestampTz start);
extern char *interval_text(Interval *iv);

#endif							/* MIGRATOR_APPLY_H */
