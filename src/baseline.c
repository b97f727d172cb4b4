/*-------------------------------------------------------------------------
 *
 * baseline.c
 *	  migrator.baseline(): mark a registered migration applied without
 *	  running it.
 *
 * A team that switches to migrator from dbmate, golang-migrate, Flyway or
 * Sqitch registers its existing files and then tells migrator which of
 * them the old tool already applied (the command-line client's "adopt"
 * does this from the old tool's history table).  Those migrations must
 * not run again: baseline() records them as applied, in the caller's
 * transaction, under migrator's lock, with an "apply" event whose detail
 * says that nothing ran.  A version that is not registered is refused, so
 * history never names a migration whose scripts migrator does not hold.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "migrator.h"
#include "history.h"
#include "session.h"
#include "version.h"

PG_FUNCTION_INFO_V1(migrator_baseline);

/*
 * migrator.baseline(version text, reason text) RETURNS boolean
 *
 * Returns true when the migration was pending and is now recorded as
 * applied, false when it was applied already (so adopting twice is a
 * no-op).
 */
Datum
migrator_baseline(PG_FUNCTION_ARGS)
{
	char	   *version = PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *reason = PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1));
	Oid			types[2] = {TEXTOID, TEXTOID};
	Datum		values[2];
	char	   *kind;
	char	   *state;
	bool		marked = false;

	check_version_argument(version, "version");
	session_begin_state_change("migrator.baseline()");
	SPI_connect();
	history_lock("marking a migration applied");

	values[0] = CStringGetTextDatum(version);
	history_exec("SELECT kind, state FROM migrator.migrations "
				 "WHERE version = $1 FOR UPDATE",
				 1, types, values, NULL);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_MIGRATOR_UNKNOWN_VERSION),
				 errmsg("migration \"%s\" is not registered", version),
				 errdetail("Only a registered migration can be marked applied."),
				 errhint("Register the migration first (the command-line client's \"migrator push\" registers a directory of migrations).")));
	kind = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	state = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);

	if (strcmp(state, "pending") == 0)
	{
		values[1] = CStringGetTextDatum(GetUserNameFromId(GetUserId(), false));
		history_exec("UPDATE migrator.migrations SET state = 'applied', "
					 "applied_at = pg_catalog.clock_timestamp(), applied_by = $2, "
					 "duration = NULL, apply_seq = "
					 "(SELECT COALESCE(pg_catalog.max(apply_seq), 0) + 1 "
					 "   FROM migrator.migrations) "
					 "WHERE version = $1",
					 2, types, values, NULL);
		history_event(version, "apply", kind, "success", NULL, NULL,
					  psprintf("baseline: marked applied without running its up script%s%s",
							   reason ? "; " : "", reason ? reason : ""));
		marked = true;
	}
	else if (strcmp(state, "applied") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("migration \"%s\" is %s", version, state),
				 errdetail("Only a pending migration can be marked applied.")));

	SPI_finish();
	PG_RETURN_BOOL(marked);
}
