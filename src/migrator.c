/*-------------------------------------------------------------------------
 *
 * migrator.c
 *	  Module entry point of the migrator extension.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"

#include "migrator.h"
#include "citus.h"
#include "deploy.h"
#include "guard.h"
#include "lint.h"
#include "protect.h"
#include "session.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/*
 * Called when the library is loaded; each module that needs start-up work
 * gets an Init function called from here.
 */
void
_PG_init(void)
{
	SessionInit();
	GuardInit();
	ProtectInit();
	CitusInit();
	LintInit();
	DeployInit();
	MarkGUCPrefixReserved("migrator");
}
